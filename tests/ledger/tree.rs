//! The ledger's Merkle tree and its log's name (issue 17): every entry is a leaf, appended in
//! its transaction; entries carry the map's `[ledger] origin` and a random nonce; a map naming
//! another log cannot append; `audit-verify` recomputes the tree and compares it with the stored
//! one.

use std::collections::BTreeSet;

use privctl::db::{Db, TxMode};
use privctl::ledger::{LogFilter, merkle};

use super::{JANE_BY_EMAIL, dsar, verify, write_entries};
use crate::support::fixture::{map_copy_path, setup_with_map_copy};
use crate::support::{Dialect, TestDb, both_dialects};

/// The HMAC key of the ledger (`env:PRIVCTL_LEDGER_KEY` in the map).
const LEDGER_KEY: &str = "tree-tests-ledger-key-41c7";

const ORIGIN: &str = "privctl.test/acme-prod";

/// Names the log in the test's map copy.
fn name_the_log(db: &TestDb, origin: &str) {
    let path = map_copy_path(db);
    let mut text = std::fs::read_to_string(&path).expect("cannot read the map copy");
    text.push_str(&format!("\n[ledger]\norigin = \"{origin}\"\n"));
    std::fs::write(&path, text).expect("cannot write the map copy");
}

/// Every entry as stored, oldest first.
async fn entries(db: &TestDb) -> Vec<privctl::ledger::LedgerEntry> {
    let conn = Db::connect(&db.url, false).await.expect("cannot connect");
    let mut tx = conn.begin(TxMode::Snapshot).await.expect("cannot begin");
    let filter = LogFilter {
        limit: 10_000,
        ..LogFilter::default()
    };
    let mut entries = privctl::ledger::log(&mut tx, &filter)
        .await
        .expect("cannot read");
    tx.rollback().await.expect("cannot roll back");
    conn.close().await;
    entries.reverse();
    entries
}

both_dialects! {
    /// Entries written under a map naming the log carry its origin and a nonce of their own;
    /// the tree `audit-verify` recomputes has a leaf for each, and its root is the RFC 6962
    /// root of their canonical bytes.
    async fn every_entry_is_a_leaf_with_the_logs_origin_and_a_nonce(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        name_the_log(&db, ORIGIN);
        write_entries(&db, &privctl);

        let stored = entries(&db).await;
        assert!(stored.len() >= 5, "{} entries", stored.len());
        assert!(stored.iter().all(|e| e.origin.as_deref() == Some(ORIGIN)), "{stored:?}");
        let nonces: BTreeSet<&str> = stored.iter().filter_map(|e| e.nonce.as_deref()).collect();
        assert_eq!(nonces.len(), stored.len(), "one nonce per entry, never repeated");
        assert!(nonces.iter().all(|n| n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit())));

        let leaves: Vec<merkle::Hash> =
            stored.iter().map(|e| merkle::leaf_hash(&e.canonical())).collect();
        let report = verify(&privctl, &[]).success().json();
        assert_eq!(report["tree"]["size"], stored.len(), "{report}");
        assert_eq!(report["tree"]["root"], hex::encode(merkle::root(&leaves)), "{report}");
        assert_eq!(report["tree"]["origin"], ORIGIN, "{report}");
        db.cleanup().await;
    }

    /// Once an entry named the log, a map naming another cannot append to it: the command
    /// fails, names both origins, and writes nothing.
    async fn a_map_naming_another_log_cannot_append(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        name_the_log(&db, ORIGIN);
        dsar(&privctl, "preview", &JANE_BY_EMAIL, &[]).success();
        let before = entries(&db).await;

        let path = map_copy_path(&db);
        let text = std::fs::read_to_string(&path).expect("cannot read the map copy");
        std::fs::write(&path, text.replace(ORIGIN, "privctl.test/staging"))
            .expect("cannot write the map copy");
        let refused = dsar(&privctl, "preview", &JANE_BY_EMAIL, &[]);
        refused.code(1);
        assert!(
            refused.stderr.contains(ORIGIN) && refused.stderr.contains("privctl.test/staging"),
            "{refused}"
        );
        assert_eq!(entries(&db).await, before, "a refused append changed the ledger");
        db.cleanup().await;
    }

    /// `[ledger] origin` must be a name a checkpoint can carry: one line, no spaces.
    async fn an_origin_with_a_space_is_refused_at_load(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        name_the_log(&db, "prod eu");
        let refused = privctl.clone().args(["map", "check"]).run();
        refused.code(5);
        assert!(refused.stdout.contains("ledger.origin: must be"), "{refused}");
        db.cleanup().await;
    }
}

/// The map copy's `[keys]` line for the ledger key, replaced by `with`.
fn set_keys(db: &TestDb, with: &str) {
    let path = map_copy_path(db);
    let text = std::fs::read_to_string(&path).expect("cannot read the map copy");
    let line = "ledger = \"env:PRIVCTL_LEDGER_KEY\"";
    assert!(text.contains(line), "the fixture map names the ledger key");
    std::fs::write(&path, text.replacen(line, with, 1)).expect("cannot write the map copy");
}

both_dialects! {
    /// `subject_ref` is keyed with `keys.subject` when the map sets it (an HMAC a reader of the
    /// ledger cannot recompute from a guessed email); with no key at all, entries carry none.
    async fn subject_refs_are_keyed_or_absent(dialect: Dialect) {
        use hmac::Mac as _;
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        set_keys(&db, "ledger = \"env:PRIVCTL_LEDGER_KEY\"\nsubject = \"env:PRIVCTL_SUBJECT_KEY\"");
        let keyed = privctl.clone().env("PRIVCTL_SUBJECT_KEY", "subject-key-9e21");
        dsar(&keyed, "preview", &JANE_BY_EMAIL, &[]).success();
        let entry = entries(&db).await.pop().expect("an entry");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"subject-key-9e21").unwrap();
        mac.update(b"privctl-subject/1\0acme\0email=jane.doe@example.com");
        assert_eq!(
            entry.subject_ref.as_deref(),
            Some(hex::encode(mac.finalize().into_bytes()).as_str()),
            "{entry:?}"
        );
        db.cleanup().await;

        let (db, _) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        set_keys(&db, "");
        let unkeyed = crate::support::Privctl::new(&db).map(map_copy_path(&db));
        dsar(&unkeyed, "preview", &JANE_BY_EMAIL, &[]).success();
        let entry = entries(&db).await.pop().expect("an entry");
        assert_eq!(entry.alg, "sha256", "{entry:?}");
        assert_eq!(entry.subject_ref, None, "an unkeyed hash of the email: {entry:?}");
        db.cleanup().await;
    }
}
