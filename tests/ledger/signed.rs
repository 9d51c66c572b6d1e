//! Signed checkpoints and witnesses (issue 17): `audit keygen`, `audit vkey`, `audit
//! checkpoint`, `audit consistency`, `audit witness` and `audit-verify --checkpoint`. A key
//! holder with superuser access who rewrites the ledger and rebuilds everything is refused by
//! the signer and by a witness, and reported by `audit-verify` against an earlier checkpoint;
//! so are entries cut off the end, a total wipe and a checkpoint of another log.

use std::path::{Path, PathBuf};

use super::{JANE_BY_EMAIL, JOHN, dsar, write_entries};
use crate::support::fixture::{map_copy_path, setup_with_map_copy};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

const LEDGER_KEY: &str = "signed-tests-ledger-key-77d0";
const ORIGIN: &str = "privctl.test/prod-eu";

/// The map copy names the log and signs with `log.key` (and `next.key` when rotating).
fn sign_with(db: &TestDb, keys: &[&str]) {
    let path = map_copy_path(db);
    let text = std::fs::read_to_string(&path).expect("cannot read the map copy");
    let signing = keys
        .iter()
        .map(|k| format!("\"file:{k}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = text.replacen(
        "ledger = \"env:PRIVCTL_LEDGER_KEY\"",
        &format!("ledger = \"env:PRIVCTL_LEDGER_KEY\"\nsigning = [{signing}]"),
        1,
    );
    std::fs::write(&path, format!("{text}\n[ledger]\norigin = \"{ORIGIN}\"\n"))
        .expect("cannot write the map copy");
}

/// `audit keygen` into the test's folder; returns the vkey it printed.
fn keygen(privctl: &Privctl, db: &TestDb, file: &str, extra: &[&str]) -> String {
    let out = privctl
        .clone()
        .args(["audit", "keygen", "--name", ORIGIN, "--out"])
        .arg(db.dir().join(file))
        .args(extra)
        .run();
    out.success().stdout.trim().to_owned()
}

fn path(db: &TestDb, name: &str) -> PathBuf {
    db.dir().join(name)
}

fn checkpoint(privctl: &Privctl, db: &TestDb, state: &str, out: &str) -> RunOutput {
    privctl
        .clone()
        .args(["audit", "checkpoint", "--state"])
        .arg(path(db, state))
        .arg("--out")
        .arg(path(db, out))
        .run()
}

fn verify_against(privctl: &Privctl, checkpoint: &Path, vkey: &str, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "audit-verify", "--checkpoint"])
        .arg(checkpoint)
        .args(["--vkey", vkey])
        .args(extra)
        .run()
}

/// [`verify_against`] with the clock at `when`.
fn verify_at(privctl: &Privctl, when: &str, checkpoint: &Path, vkey: &str) -> RunOutput {
    verify_against(&super::at(privctl, when), checkpoint, vkey, &[])
}

fn first_problem(output: &RunOutput) -> (i64, String) {
    let report = output.json();
    (
        report["problems"][0]["seq"].as_i64().unwrap_or(-1),
        report["problems"][0]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A ledger signed once at its current size: (runner, the log's vkey).
async fn signed_ledger(dialect: Dialect) -> (TestDb, Privctl, String) {
    let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
    let privctl = privctl.current_dir(db.dir());
    let vkey = keygen(&privctl, &db, "log.key", &[]);
    sign_with(&db, &["log.key"]);
    write_entries(&db, &privctl);
    checkpoint(&privctl, &db, "signer.state", "first.checkpoint").success();
    (db, privctl, vkey)
}

both_dialects! {
    /// The signed note is a C2SP checkpoint of this log; `audit vkey` prints the key that
    /// verifies it; the ledger verifies against it, and against it still after more entries
    /// and a second checkpoint, which the signer only signs as an extension of the first.
    async fn a_checkpoint_signs_the_tree_and_the_ledger_verifies_against_it(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        let note = std::fs::read_to_string(path(&db, "first.checkpoint")).unwrap();
        let mut lines = note.lines();
        assert_eq!(lines.next(), Some(ORIGIN), "{note}");
        let size: u64 = lines.next().unwrap().parse().unwrap();
        let report = privctl.clone().args(["--format", "json", "audit-verify"]).run();
        let report = report.success().json();
        assert_eq!(report["tree"]["size"], size, "{note}");
        assert!(note.contains(&format!("\n\n— {ORIGIN} ")), "{note}");
        let vkeys = privctl.clone().args(["audit", "vkey"]).run();
        assert_eq!(vkeys.success().stdout.trim(), vkey);

        verify_against(&privctl, &path(&db, "first.checkpoint"), &vkey, &[]).success();
        dsar(&privctl, "preview", &JOHN, &[]).success();
        checkpoint(&privctl, &db, "signer.state", "second.checkpoint").success();
        let second = std::fs::read_to_string(path(&db, "second.checkpoint")).unwrap();
        assert!(second.starts_with(&format!("{ORIGIN}\n{}\n", size + 1)), "{second}");
        verify_against(&privctl, &path(&db, "first.checkpoint"), &vkey, &[]).success();
        verify_against(&privctl, &path(&db, "second.checkpoint"), &vkey, &[]).success();

        // Another key does not verify it; a flipped byte of the note does not either.
        let other = keygen(&privctl, &db, "other.key", &[]);
        verify_against(&privctl, &path(&db, "first.checkpoint"), &other, &[]).code(4);
        let flipped = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
        std::fs::write(path(&db, "flipped.checkpoint"), flipped).unwrap();
        verify_against(&privctl, &path(&db, "flipped.checkpoint"), &vkey, &[]).code(4);
        db.cleanup().await;
    }

    /// Someone with the ledger key and superuser access replaces the ledger with another
    /// history, chain and tree rebuilt by privctl itself: the signer refuses to sign it, a
    /// witness that cosigned the first checkpoint refuses the new one, and `audit-verify`
    /// against the first checkpoint reports the rewrite.
    async fn a_rebuilt_ledger_is_refused_by_the_signer_and_the_witness(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        let witness_vkey = keygen(&privctl, &db, "witness.key", &["--witness"]);
        let request = privctl
            .clone()
            .args(["audit", "consistency", "--old", "0", "--checkpoint"])
            .arg(path(&db, "first.checkpoint"))
            .run();
        let witness = |request: &str| {
            privctl
                .clone()
                .args(["audit", "witness", "--state"])
                .arg(path(&db, "witness"))
                .args(["--log-vkey", &vkey, "--key", "file:witness.key", "-"])
                .stdin(request.as_bytes().to_vec())
                .run()
        };
        let cosigned = witness(&request.success().stdout);
        std::fs::write(path(&db, "cosigned.checkpoint"), &cosigned.success().stdout).unwrap();
        verify_against(
            &privctl,
            &path(&db, "cosigned.checkpoint"),
            &vkey,
            &["--witness", &witness_vkey],
        )
        .success();
        let size = std::fs::read_to_string(path(&db, "first.checkpoint")).unwrap();
        let size: u64 = size.lines().nth(1).unwrap().parse().unwrap();

        db.execute("DELETE FROM privctl_ledger; DELETE FROM privctl_ledger_tree; DELETE FROM privctl_ledger_meta")
            .await;
        privctl.clone().arg("init").run().success();
        for _ in 0..size + 1 {
            dsar(&privctl, "preview", &JANE_BY_EMAIL, &[]).success();
        }
        privctl.clone().arg("audit-verify").run().success();

        let refused = checkpoint(&privctl, &db, "signer.state", "forged.checkpoint");
        refused.code(4);
        assert!(refused.stderr.contains("refusing to sign"), "{refused}");
        let found = verify_against(&privctl, &path(&db, "first.checkpoint"), &vkey, &[]);
        found.code(4);
        assert_eq!(first_problem(&found).1, "rewritten", "{found}");

        // The key holder signs with a fresh state; the witness still refuses.
        checkpoint(&privctl, &db, "fresh.state", "forged.checkpoint").success();
        let request = privctl
            .clone()
            .args(["audit", "consistency", "--old", &size.to_string(), "--checkpoint"])
            .arg(path(&db, "forged.checkpoint"))
            .run();
        let refused = witness(&request.success().stdout);
        refused.code(4);
        assert!(refused.stderr.contains("refusing to cosign"), "{refused}");
        db.cleanup().await;
    }

    /// Entries cut off the end with their tree nodes, and a total wipe, are found by the
    /// checkpoint (truncated); a checkpoint of another log is `other-log`.
    async fn cuts_wipes_and_other_logs_are_found_by_the_checkpoint(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        let first = path(&db, "first.checkpoint");
        let note = std::fs::read_to_string(&first).unwrap();
        let size: i64 = note.lines().nth(1).unwrap().parse().unwrap();

        db.execute(&format!(
            "DELETE FROM privctl_ledger WHERE seq >= {size}; DELETE FROM privctl_ledger_tree WHERE ((idx + 1) << level) > {}",
            size - 1
        ))
        .await;
        privctl.clone().arg("audit-verify").run().success();
        let cut = verify_against(&privctl, &first, &vkey, &[]);
        cut.code(4);
        assert_eq!(first_problem(&cut), (size, "truncated".to_owned()), "{cut}");

        db.execute("DELETE FROM privctl_ledger; DELETE FROM privctl_ledger_tree; DELETE FROM privctl_ledger_meta")
            .await;
        let wiped = verify_against(&privctl, &first, &vkey, &[]);
        wiped.code(4);
        assert_eq!(first_problem(&wiped).1, "truncated", "{wiped}");
        db.cleanup().await;

        // A staging ledger, signed with the same key under another origin.
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        db.execute("UPDATE privctl_ledger_meta SET origin = 'privctl.test/staging'").await;
        let other = verify_against(&privctl, &path(&db, "first.checkpoint"), &vkey, &[]);
        other.code(4);
        assert_eq!(first_problem(&other).1, "other-log", "{other}");
        db.cleanup().await;
    }

    /// While a key is rotated, keys.signing lists both: every checkpoint carries both
    /// signatures and verifies with either vkey.
    async fn a_checkpoint_signed_by_old_and_new_keys_verifies_with_either(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.current_dir(db.dir());
        let old = keygen(&privctl, &db, "log.key", &[]);
        let new = keygen(&privctl, &db, "next.key", &[]);
        sign_with(&db, &["log.key", "next.key"]);
        write_entries(&db, &privctl);
        checkpoint(&privctl, &db, "signer.state", "both.checkpoint").success();
        let note = std::fs::read_to_string(path(&db, "both.checkpoint")).unwrap();
        assert_eq!(note.matches("\n— ").count(), 2, "{note}");
        verify_against(&privctl, &path(&db, "both.checkpoint"), &old, &[]).success();
        verify_against(&privctl, &path(&db, "both.checkpoint"), &new, &[]).success();
        db.cleanup().await;
    }
}

both_dialects! {
    /// `audit keygen` writes a Go note signer key, private to its owner, prints only the
    /// vkey, and never overwrites a key.
    async fn keygen_writes_a_private_file_and_never_overwrites_one(dialect: Dialect) {
        use std::os::unix::fs::PermissionsExt as _;
        let db = TestDb::new(dialect).await;
        let privctl = Privctl::new(&db).current_dir(db.dir());
        let key = path(&db, "log.key");
        let first = privctl.clone().args(["audit", "keygen", "--name", ORIGIN, "--out", "log.key"]).run();
        let vkey = first.success().stdout.trim().to_owned();
        assert!(vkey.starts_with(&format!("{ORIGIN}+")), "{vkey}");
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(text.starts_with(&format!("PRIVATE+KEY+{ORIGIN}+")), "a Go note signer key");
        assert!(!first.stdout.contains("PRIVATE"), "the private key was printed: {first}");
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        let again = privctl.clone().args(["audit", "keygen", "--name", ORIGIN, "--out", "log.key"]).run();
        again.code(2);
        assert_eq!(std::fs::read_to_string(&key).unwrap(), text, "the key was overwritten");
        db.cleanup().await;
    }
}

both_dialects! {
    /// Retention deletes entry bodies and keeps the tree: checkpoints signed before the purge
    /// stay consistent with the ledger after it, the signer signs the next one as their
    /// extension, and `audit-verify` holds the ledger to the retention each one announced: the
    /// purge is within the window the announcing checkpoint signed, and is reported against the
    /// first one, which said the log keeps every entry.
    async fn checkpoints_outlive_a_ledger_retention_purge(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        let first = std::fs::read_to_string(path(&db, "first.checkpoint")).unwrap();
        assert!(first.contains("\nprivctl-retention 0 - -\n"), "{first}");
        let path_map = map_copy_path(&db);
        let map = std::fs::read_to_string(&path_map).unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        // The window is announced by a checkpoint before the purge it allows.
        checkpoint(&privctl, &db, "signer.state", "announced.checkpoint").success();
        let announced = std::fs::read_to_string(path(&db, "announced.checkpoint")).unwrap();
        assert!(announced.contains("\nprivctl-retention 0 1d "), "{announced}");
        let later = "2027-06-01T00:00:00Z";
        let plan = super::at(&privctl, later)
            .args(["--format", "json", "purge-retention", "--allow-large"])
            .run();
        let plan = plan.success().json();
        assert!(plan["ledger"]["entries"].as_u64().unwrap_or(0) >= 5, "{plan}");
        let token = crate::support::fixture::token_of(&plan);
        super::at(&privctl, later)
            .args(["purge-retention", "--confirm", token.as_str()])
            .run()
            .success();

        let verified = privctl.clone().args(["--format", "json", "audit-verify"]).run();
        let verified = verified.success().json();
        assert!(verified["start"]["checkpoint"].is_object(), "{verified}");
        sign_at(&privctl, &db, later, "signer.state", "after.checkpoint").success();
        let after = std::fs::read_to_string(path(&db, "after.checkpoint")).unwrap();
        let purged = plan["ledger"]["entries"].as_u64().unwrap();
        assert!(after.contains(&format!("\nprivctl-retention {purged} 1d 2027-05-31T00:00:00.000000Z\n")), "{after}");
        for held in ["announced.checkpoint", "after.checkpoint"] {
            verify_at(&privctl, later, &path(&db, held), &vkey).success();
        }
        // The first checkpoint is still a prefix of the log (a consistency proof from it to the
        // new head verifies), but it announced no window, so the purge is reported against it.
        let consistency = privctl
            .clone()
            .args(["audit", "consistency", "--old", &size_of(&db, "first.checkpoint"), "--checkpoint"])
            .arg(path(&db, "after.checkpoint"))
            .run();
        consistency.success();
        let early = verify_at(&privctl, later, &path(&db, "first.checkpoint"), &vkey);
        early.code(4);
        assert_eq!(first_problem(&early), (purged as i64, "purged-early".to_owned()), "{early}");
        assert!(early.stderr.contains("if a newer checkpoint announced another window"), "{early}");
        db.cleanup().await;
    }

    /// `audit-verify --checkpoint` holds the database to the signed retention: entries purged
    /// before the window the checkpoint announced had passed are `purged-early` (the same
    /// ledger verifies once the window has passed), and purged bodies put back from a backup
    /// are `restored`, both exit 4.
    async fn audit_verify_reports_a_purge_before_the_signed_window_and_restored_bodies(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        let path_map = map_copy_path(&db);
        // A copy of the ledger, to put purged bodies back from.
        let map = std::fs::read_to_string(&path_map).unwrap()
            + "\n[tables.saved_ledger]\nignore = true\nreason = \"the test's copy of the ledger\"\n";
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"30d\"")).unwrap();
        checkpoint(&privctl, &db, "signer.state", "announced.checkpoint").success();
        db.execute("CREATE TABLE saved_ledger AS SELECT * FROM privctl_ledger").await;
        // Shortened to one day and purged two days on, behind the signer's back.
        let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        purge_at(&privctl, &soon);
        let first_left = db.query_i64("SELECT min(seq) FROM privctl_ledger").await;
        assert!(first_left > 5, "the purge removed the entries written so far");
        let early = verify_at(&privctl, &soon, &path(&db, "announced.checkpoint"), &vkey);
        early.code(4);
        assert_eq!(first_problem(&early), (first_left - 1, "purged-early".to_owned()), "{early}");
        assert!(early.json()["problems"][0]["detail"].as_str().unwrap().contains("before the window of 30d"), "{early}");
        // Thirty days on, the same purge is within the announced window.
        let month = (time::OffsetDateTime::now_utc() + time::Duration::days(31))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        verify_at(&privctl, &month, &path(&db, "announced.checkpoint"), &vkey).success();

        // Signed after the purge, then the purged bodies are put back from the saved copy.
        sign_at(&privctl, &db, &month, "signer.state", "purged.checkpoint").success();
        verify_at(&privctl, &month, &path(&db, "purged.checkpoint"), &vkey).success();
        db.execute("INSERT INTO privctl_ledger SELECT * FROM saved_ledger WHERE seq < (SELECT min(seq) FROM privctl_ledger)").await;
        let restored = verify_at(&privctl, &month, &path(&db, "purged.checkpoint"), &vkey);
        restored.code(4);
        assert_eq!(first_problem(&restored).1, "restored", "{restored}");
        db.cleanup().await;
    }

    /// The signer holds the log to the retention its last checkpoint announced: entries purged
    /// under a keep-everything checkpoint, or before the announced window ran out (the window
    /// shortened and purged at once), are refused with exit 4 and the state is left as it was.
    async fn the_signer_refuses_a_purge_the_last_checkpoint_did_not_allow(dialect: Dialect) {
        let (db, privctl, _vkey) = signed_ledger(dialect).await;
        let path_map = map_copy_path(&db);
        let map = std::fs::read_to_string(&path_map).unwrap();
        let purge_at = |window: &str, when: &str| {
            std::fs::write(&path_map, super::with_ledger_window(&map, window)).unwrap();
            let plan = super::at(&privctl, when)
                .args(["--format", "json", "purge-retention", "--allow-large"])
                .run();
            let plan = plan.success().json();
            let token = crate::support::fixture::token_of(&plan);
            super::at(&privctl, when)
                .args(["purge-retention", "--confirm", token.as_str()])
                .run()
                .success();
        };
        let sign_at = |when: &str, out: &str| {
            super::at(&privctl, when)
                .args(["audit", "checkpoint", "--state"])
                .arg(path(&db, "signer.state"))
                .arg("--out")
                .arg(path(&db, out))
                .run()
        };
        // Signed with no window ("keeps every entry"), then purged: refused.
        purge_at("\"1d\"", "2027-06-01T00:00:00Z");
        let state = std::fs::read_to_string(path(&db, "signer.state")).unwrap();
        let refused = sign_at("2027-06-01T00:00:00Z", "refused.checkpoint");
        refused.code(4);
        assert!(refused.stderr.contains("keeps every entry"), "{refused}");
        assert_eq!(std::fs::read_to_string(path(&db, "signer.state")).unwrap(), state);
        assert!(!path(&db, "refused.checkpoint").exists());
        db.cleanup().await;

        // Announced 30 days, then shortened to one and purged two days on: refused; once the
        // announced 30 days have passed for every purged entry, signed.
        let (db, privctl, _vkey) = signed_ledger(dialect).await;
        let path_map = map_copy_path(&db);
        let map = std::fs::read_to_string(&path_map).unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"30d\"")).unwrap();
        checkpoint(&privctl, &db, "signer.state", "announced.checkpoint").success();
        let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        let plan = super::at(&privctl, &soon)
            .args(["--format", "json", "purge-retention", "--allow-large"])
            .run();
        let plan = plan.success().json();
        assert!(plan["ledger"]["entries"].as_u64().unwrap_or(0) >= 5, "{plan}");
        let token = crate::support::fixture::token_of(&plan);
        super::at(&privctl, &soon)
            .args(["purge-retention", "--confirm", token.as_str()])
            .run()
            .success();
        let early = super::at(&privctl, &soon)
            .args(["audit", "checkpoint", "--state"])
            .arg(path(&db, "signer.state"))
            .run();
        early.code(4);
        assert!(early.stderr.contains("before the window of 30d"), "{early}");
        super::at(&privctl, "2027-06-01T00:00:00Z")
            .args(["audit", "checkpoint", "--state"])
            .arg(path(&db, "signer.state"))
            .run()
            .success();
        db.cleanup().await;
    }
}

/// `audit consistency --old OLD` for the checkpoint file, handed to `audit witness` (its key
/// `witness.key`, its state `witness/`).
fn cosign(privctl: &Privctl, db: &TestDb, vkey: &str, old: &str, checkpoint: &str) -> RunOutput {
    let request = privctl
        .clone()
        .args(["audit", "consistency", "--old", old, "--checkpoint"])
        .arg(path(db, checkpoint))
        .run();
    let request = request.success().stdout.clone();
    privctl
        .clone()
        .args(["audit", "witness", "--state"])
        .arg(path(db, "witness"))
        .args(["--log-vkey", vkey, "--key", "file:witness.key", "-"])
        .stdin(request.into_bytes())
        .run()
}

/// A dry run and its confirmed purge of `purge-retention` with the clock at `when`.
fn purge_at(privctl: &Privctl, when: &str) {
    let plan = super::at(privctl, when)
        .args(["--format", "json", "purge-retention", "--allow-large"])
        .run();
    let token = crate::support::fixture::token_of(&plan.success().json());
    super::at(privctl, when)
        .args(["purge-retention", "--confirm", token.as_str()])
        .run()
        .success();
}

/// `audit checkpoint --state STATE --out OUT` with the clock at `when`.
fn sign_at(privctl: &Privctl, db: &TestDb, when: &str, state: &str, out: &str) -> RunOutput {
    super::at(privctl, when)
        .args(["audit", "checkpoint", "--state"])
        .arg(path(db, state))
        .arg("--out")
        .arg(path(db, out))
        .run()
}

/// The tree size a checkpoint file signs.
fn size_of(db: &TestDb, checkpoint: &str) -> String {
    let text = std::fs::read_to_string(path(db, checkpoint)).unwrap();
    text.lines().nth(1).unwrap().to_owned()
}

both_dialects! {
    /// A witness holds the log to the retention it announced, even when the key holder signs
    /// with a fresh signer state: entries purged after a cosigned "keeps every entry"
    /// checkpoint are refused (exit 4); announced first (a checkpoint with the window, cosigned),
    /// the same purge is cosigned.
    async fn a_witness_refuses_a_purge_its_last_checkpoint_did_not_announce(dialect: Dialect) {
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        keygen(&privctl, &db, "witness.key", &["--witness"]);
        cosign(&privctl, &db, &vkey, "0", "first.checkpoint").success();
        let later = "2027-06-01T00:00:00Z";
        let path_map = map_copy_path(&db);
        let map = std::fs::read_to_string(&path_map).unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        purge_at(&privctl, later);
        sign_at(&privctl, &db, later, "fresh.state", "purged.checkpoint").success();
        let refused = cosign(&privctl, &db, &vkey, &size_of(&db, "first.checkpoint"), "purged.checkpoint");
        refused.code(4);
        assert!(refused.stderr.contains("keeps every entry"), "{refused}");
        db.cleanup().await;

        // The same purge, announced first.
        let (db, privctl, vkey) = signed_ledger(dialect).await;
        keygen(&privctl, &db, "witness.key", &["--witness"]);
        cosign(&privctl, &db, &vkey, "0", "first.checkpoint").success();
        let path_map = map_copy_path(&db);
        let map = std::fs::read_to_string(&path_map).unwrap();
        std::fs::write(&path_map, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        checkpoint(&privctl, &db, "signer.state", "announced.checkpoint").success();
        cosign(&privctl, &db, &vkey, &size_of(&db, "first.checkpoint"), "announced.checkpoint").success();
        purge_at(&privctl, later);
        sign_at(&privctl, &db, later, "signer.state", "purged.checkpoint").success();
        cosign(&privctl, &db, &vkey, &size_of(&db, "announced.checkpoint"), "purged.checkpoint").success();
        db.cleanup().await;
    }
}
