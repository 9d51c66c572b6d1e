//! Ledger retention: purged entries leave a signed checkpoint the rest verifies from.
//!
//! With `[retention] ledger = "30d"` in the map, `purge-retention` over every tenant deletes the
//! ledger's oldest entries (the prefix written before the cutoff, up to the first entry at or after
//! it) in one transaction with a row of `privctl_ledger_checkpoints` signed under `keys.ledger`,
//! and records a `ledger-retention` entry. `audit-verify` then verifies from the checkpoint and
//! notices any change to it, its removal, or entries removed after it. A tampered entry among
//! the expired ones stops the ledger purge and keeps the evidence; a run for one tenant leaves
//! the shared ledger alone.
//!
//! The ledger's entries are written at chosen times by `dsar preview` runs (one entry each) under
//! `PRIVCTL_NOW`. Purges run at [`NOW`] (cutoff [`CUTOFF`]) and are confirmed at [`CONFIRM_AT`];
//! the fixture's own rows are purged as well, which these tests do not look at.

use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{at, verify, with_ledger_window};
use crate::support::fixture::{map_copy_path, setup_with_map_copy, token_of, verify_ledger};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects, sha256_hex};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "audit-retention-tests-key-5c1d7e";

/// When the dry runs run.
const NOW: &str = "2026-11-25T10:00:00Z";

/// When the dry runs' tokens are redeemed (within the 15 minutes they live).
const CONFIRM_AT: &str = "2026-11-25T10:05:00Z";

/// [`CONFIRM_AT`] as the ledger stores times.
const CONFIRM_AT_STORED: &str = "2026-11-25T10:05:00.000000Z";

/// [`NOW`] minus 30 days.
const CUTOFF: &str = "2026-10-26T10:00:00Z";

/// Three times well before [`CUTOFF`].
const OLD: [&str; 3] = [
    "2026-01-01T00:00:00Z",
    "2026-02-01T00:00:00Z",
    "2026-03-01T00:00:00Z",
];

/// A time after [`CUTOFF`].
const RECENT: &str = "2026-11-20T00:00:00Z";

/// `[tables.<name>] category = "ledger"` is refused with this text.
const LEDGER_CATEGORY_REFUSED: &str = "is the retention category of privctl's own ledger";

both_dialects! {
    /// The dry run counts the oldest entries up to the first one at or after the cutoff: an entry
    /// one second before the cutoff goes, one exactly at it stays, and so does an old entry
    /// written after it. JSON and text show the same count and cutoff (now − window), the plan's
    /// ledger entry records them, and nothing of the ledger is purged.
    async fn dry_run_counts_the_expired_prefix_up_to_the_first_recent_entry(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_entries(
            &privctl,
            &[
                OLD[0],
                "2026-10-26T09:59:59Z",
                "2026-10-26T10:00:00Z",
                OLD[1],
            ],
        );
        assert_eq!(seqs(&db).await, [1, 2, 3, 4]);

        let plan = dry_run(&privctl, NOW, &[]);
        let expected = json!({"cutoff": CUTOFF, "entries": 2});
        assert_eq!(plan["ledger"], expected, "{plan}");
        let planned = last_entry_details(&db, "purge-retention").await;
        assert_eq!(planned["ledger"], expected, "the plan's ledger entry: {planned}");

        let text = at(&privctl, NOW).arg("purge-retention").run();
        text.success();
        assert!(
            text.stdout.contains(&format!(
                "privctl_ledger: 2 entries written before {CUTOFF} give way to a signed checkpoint"
            )),
            "{text}"
        );

        // Dry runs only append.
        assert_eq!(seqs(&db).await, [1, 2, 3, 4, 5, 6]);
        assert!(checkpoints(&db).await.is_empty());

        // The cutoff is now minus the window: with "1d" every entry before the dry runs'
        // (written at NOW) is past it, the old one after a recent one included.
        let one_day = ledger_map(&db, "one-day.toml", r#""1d""#);
        let plan = dry_run(&privctl.clone().map(one_day), NOW, &[]);
        assert_eq!(
            plan["ledger"],
            json!({"cutoff": "2026-11-24T10:00:00Z", "entries": 4}),
            "{plan}"
        );
        db.cleanup().await;
    }

    /// The confirmed run deletes exactly the expired prefix, leaves one checkpoint (the last
    /// purged entry's seq, hash and time, signed under keys.ledger), records a ledger-retention
    /// entry and consumes the token; audit-verify starts after the checkpoint, the first entry
    /// left chains from its hash, and appending carries on from the head.
    async fn confirmed_run_purges_the_prefix_behind_one_signed_checkpoint(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        let before = ledger(&db).await;
        assert_eq!(before.len(), 4);

        let plan = dry_run(&privctl, NOW, &[]);
        assert_eq!(plan["ledger"], json!({"cutoff": CUTOFF, "entries": 3}), "{plan}");
        let token = token_of(&plan);
        let result = confirm(&privctl, CONFIRM_AT, &plan);

        let [checkpoint] = checkpoints(&db).await.try_into().unwrap_or_else(|rows: Vec<_>| {
            panic!("one checkpoint, got {}", rows.len())
        });
        let last_purged = &before[2];
        assert_eq!(
            checkpoint,
            CheckpointRow {
                seq: 3,
                hash: last_purged.hash.clone(),
                at: last_purged.at.clone(),
                created_at: CONFIRM_AT_STORED.to_owned(),
                purged: 3,
                alg: "hmac-sha256".to_owned(),
                signature: checkpoint.signature.clone(),
            }
        );
        assert_eq!(
            checkpoint.signature,
            hmac_hex(&checkpoint.canonical()),
            "HMAC-SHA-256 under keys.ledger of the checkpoint's canonical array"
        );
        assert_eq!(
            result["ledger"],
            json!({
                "cutoff": CUTOFF,
                "purged": 3,
                "checkpoint": {
                    "seq": 3,
                    "hash": checkpoint.hash,
                    "signature": checkpoint.signature,
                },
            }),
            "{result}"
        );

        // Entries 1 to 3 are gone; the rest are untouched, the first of them linked to the
        // checkpoint's hash.
        let after = ledger(&db).await;
        assert_eq!(after[0], before[3], "entry 4 is unchanged");
        assert_eq!(after[0].prev_hash, checkpoint.hash);
        assert_eq!(
            after.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            [
                "dsar-preview",
                "purge-retention",
                "purge-retention",
                "ledger-retention",
                "purge-retention",
                "blob-delete",
            ],
            "{after:?}"
        );
        assert_eq!(
            after.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [4, 5, 6, 7, 8, 9]
        );
        // The ledger-retention entry, in the chain after the run's "started" entry, records
        // the checkpoint; so does the run's own entry.
        let retention = &after[3];
        assert_eq!(retention.prev_hash, after[2].hash);
        assert_eq!(retention.at, CONFIRM_AT_STORED);
        assert_eq!(
            db.query_strings(
                "SELECT outcome || '|' || COALESCE(resource, '') FROM privctl_ledger \
                 WHERE action = 'ledger-retention'"
            )
            .await,
            ["done|privctl_ledger"]
        );
        assert_eq!(last_entry_details(&db, "ledger-retention").await, result["ledger"]);
        let done = last_entry_details(&db, "purge-retention").await;
        assert_eq!(done["ledger"], result["ledger"], "{done}");
        assert!(!token_is_unconsumed(&db, &token).await, "the token is consumed");

        // audit-verify: from entry 4, after the checkpoint of entry 3.
        let verified = verify(&privctl, &[]).success().json();
        assert_eq!(verified["entries"], 6, "{verified}");
        assert_eq!(verified["start"]["seq"], 4, "{verified}");
        assert_eq!(
            verified["start"]["checkpoint"],
            json!({
                "seq": 3,
                "hash": checkpoint.hash,
                "at": checkpoint.at,
                "created_at": CONFIRM_AT_STORED,
                "purged": 3,
                "alg": "hmac-sha256",
                "signature": checkpoint.signature,
            }),
            "{verified}"
        );
        assert_eq!(verified["head"]["seq"], 9, "{verified}");
        let text = privctl.clone().arg("audit-verify").run();
        text.success();
        assert!(
            text.stdout.contains(
                "6 entries verified, from entry 4, after the retention checkpoint of entry 3"
            ),
            "{text}"
        );
        let library = verify_ledger(&db, LEDGER_KEY).await;
        assert!(library.ok(), "{:?}", library.problems);

        // Appending carries on from the head.
        write_entries(&privctl, &["2026-11-25T10:06:00Z"]);
        let appended = ledger(&db).await;
        let (new, head) = (&appended[6], &appended[5]);
        assert_eq!((new.seq, new.prev_hash.as_str()), (10, head.hash.as_str()));
        let verified = verify(&privctl, &[]).success().json();
        assert_eq!(
            (&verified["start"]["seq"], &verified["head"]["seq"]),
            (&json!(4), &json!(10)),
            "{verified}"
        );
        db.cleanup().await;
    }

    /// Any change to the checkpoint row fails audit-verify with exit 4 at the checkpoint's seq:
    /// `altered`, or `forged` when the signature is the plain SHA-256 of its canonical bytes.
    async fn a_changed_checkpoint_fails_verification(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        purge_now(&privctl);
        let [checkpoint] = checkpoints(&db).await.try_into().expect("one checkpoint");
        db.execute("CREATE TABLE saved_checkpoints AS SELECT * FROM privctl_ledger_checkpoints")
            .await;

        let other_hash = flip_first_hex_digit(&checkpoint.hash);
        let other_signature = flip_first_hex_digit(&checkpoint.signature);
        let plain_sha256 = sha256_hex(&checkpoint.canonical());
        let cases = [
            ("purged", "purged = 2".to_owned(), 3, "altered"),
            ("hash", format!("hash = '{other_hash}'"), 3, "altered"),
            ("at", "at = '2026-03-02T00:00:00.000000Z'".to_owned(), 3, "altered"),
            ("created_at", "created_at = '2026-11-25T10:06:00.000000Z'".to_owned(), 3, "altered"),
            ("alg", "alg = 'sha256'".to_owned(), 3, "altered"),
            ("signature", format!("signature = '{other_signature}'"), 3, "altered"),
            ("signature (plain SHA-256)", format!("signature = '{plain_sha256}'"), 3, "forged"),
            // Moved back one entry: its signature no longer holds there.
            ("seq", "seq = 2".to_owned(), 2, "altered"),
        ];
        for (column, assignment, seq, kind) in cases {
            db.execute(&format!("UPDATE privctl_ledger_checkpoints SET {assignment}"))
                .await;
            let output = verify(&privctl, &[]);
            output.code(4);
            assert_eq!(
                first_problem(&output.json()),
                (seq, kind.to_owned()),
                "checkpoint {column} changed: {output}"
            );
            restore_checkpoints(&db).await;
        }
        verify(&privctl, &[]).success();

        // The text form names it too.
        db.execute("UPDATE privctl_ledger_checkpoints SET purged = 30").await;
        let text = privctl.clone().arg("audit-verify").run();
        text.code(4);
        assert!(text.stderr.contains("entry 3 is altered"), "{text}");
        assert!(text.stdout.contains("NOT verified"), "{text}");
        db.cleanup().await;
    }

    /// Removing the checkpoint shows entries 1 to 3 removed; removing the oldest entry left
    /// shows it removed (a checkpoint made up for it without the key is `forged`); removing
    /// every entry while the checkpoint stays shows everything after the checkpoint removed.
    async fn removed_checkpoints_and_entries_fail_verification(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        purge_now(&privctl);
        db.execute("CREATE TABLE saved_checkpoints AS SELECT * FROM privctl_ledger_checkpoints")
            .await;

        db.execute("DELETE FROM privctl_ledger_checkpoints").await;
        let output = verify(&privctl, &[]);
        output.code(4);
        let report = output.json();
        assert_eq!(first_problem(&report), (1, "removed".to_owned()), "{output}");
        assert!(
            report["problems"][0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("entries 1 to 3 are missing")),
            "{output}"
        );
        restore_checkpoints(&db).await;
        verify(&privctl, &[]).success();

        let entry_4 = ledger(&db).await.remove(0);
        db.execute("DELETE FROM privctl_ledger WHERE seq = 4").await;
        let output = verify(&privctl, &[]);
        output.code(4);
        assert_eq!(first_problem(&output.json()), (4, "removed".to_owned()), "{output}");

        // A checkpoint made up for the removed entry, without the key, does not hide it.
        let made_up = CheckpointRow {
            seq: 4,
            hash: entry_4.hash,
            at: entry_4.at,
            created_at: CONFIRM_AT_STORED.to_owned(),
            purged: 1,
            alg: "hmac-sha256".to_owned(),
            signature: String::new(),
        };
        let signature = sha256_hex(&made_up.canonical());
        db.execute(&format!(
            "INSERT INTO privctl_ledger_checkpoints \
             (seq, hash, at, created_at, purged, alg, signature) \
             VALUES (4, '{}', '{}', '{}', 1, 'hmac-sha256', '{signature}')",
            made_up.hash, made_up.at, made_up.created_at
        ))
        .await;
        let output = verify(&privctl, &[]);
        output.code(4);
        assert_eq!(first_problem(&output.json()), (4, "forged".to_owned()), "{output}");
        db.execute("DELETE FROM privctl_ledger_checkpoints WHERE seq = 4").await;

        db.execute("DELETE FROM privctl_ledger").await;
        let output = verify(&privctl, &[]);
        output.code(4);
        assert_eq!(first_problem(&output.json()), (4, "removed".to_owned()), "{output}");
        db.cleanup().await;
    }

    /// An expired entry changed after it was written, or removed, stops the ledger's purge: the
    /// run fails naming the entry, the ledger keeps every entry (the altered one as it is) and
    /// gets no checkpoint, and the token stays usable. With the entries put back, the same token
    /// finishes the job and purges the prefix.
    async fn a_tampered_expired_entry_blocks_the_ledger_purge(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        let plan = dry_run(&privctl, NOW, &[]);
        let token = token_of(&plan);
        let original = db
            .query_strings("SELECT details FROM privctl_ledger WHERE seq = 2")
            .await
            .remove(0);
        db.execute("UPDATE privctl_ledger SET details = '{\"rows\":0}' WHERE seq = 2")
            .await;
        let before = ledger(&db).await;

        let failed = purge(&privctl, CONFIRM_AT, &["--confirm", token.as_str()]);
        assert_ne!(failed.code, 0, "{failed}");
        assert!(
            failed.stderr.contains("privctl_ledger") && failed.stderr.contains("entry 2: altered"),
            "the ledger problem is named: {failed}"
        );
        let result = failed.json();
        assert_eq!(result["ledger"], Value::Null, "{result}");
        assert_eq!(result["complete"], false, "{result}");
        assert_eq!(result["failures"][0]["table"], "privctl_ledger", "{result}");

        // Nothing of the ledger went: the run only appended.
        let after = ledger(&db).await;
        assert_eq!(after[..before.len()], before[..]);
        assert_eq!(
            db.query_strings("SELECT details FROM privctl_ledger WHERE seq = 2").await,
            ["{\"rows\":0}"],
            "the evidence is kept"
        );
        assert!(checkpoints(&db).await.is_empty());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'ledger-retention'")
                .await,
            0
        );
        assert!(token_is_unconsumed(&db, &token).await, "the token is not consumed");
        let output = verify(&privctl, &[]);
        output.code(4);
        assert_eq!(first_problem(&output.json()), (2, "altered".to_owned()), "{output}");

        let original = original.replace('\'', "''");
        db.execute(&format!(
            "UPDATE privctl_ledger SET details = '{original}' WHERE seq = 2"
        ))
        .await;

        // An expired entry removed: the same. The test keeps it in a table of its own, which
        // the map must account for (privctl refuses a map that leaves a table out).
        let map = map_copy_path(&db);
        let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
        std::fs::write(
            &map,
            format!(
                "{text}\n[tables.saved_entry]\nignore = true\nreason = \"the test's copy of a removed ledger entry\"\n"
            ),
        )
        .expect("cannot write the map copy");
        db.execute(
            "CREATE TABLE saved_entry AS SELECT * FROM privctl_ledger WHERE seq = 1; \
             DELETE FROM privctl_ledger WHERE seq = 1;",
        )
        .await;
        let failed = purge(&privctl, CONFIRM_AT, &["--confirm", token.as_str()]);
        assert_ne!(failed.code, 0, "{failed}");
        assert!(failed.stderr.contains("entry 1: removed"), "{failed}");
        assert!(checkpoints(&db).await.is_empty());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE seq IN (2, 3)").await,
            2
        );
        assert!(token_is_unconsumed(&db, &token).await, "the token is not consumed");
        db.execute("INSERT INTO privctl_ledger SELECT * FROM saved_entry").await;
        let result = purge(&privctl, CONFIRM_AT, &["--confirm", token.as_str()])
            .success()
            .json();
        assert_eq!(result["ledger"]["purged"], 3, "{result}");
        assert_eq!(checkpoints(&db).await.len(), 1);
        assert!(!token_is_unconsumed(&db, &token).await);
        verify(&privctl, &[]).success();
        db.cleanup().await;
    }

    /// With nothing written before the cutoff, the confirmed run purges nothing of the ledger,
    /// writes no checkpoint and no ledger-retention entry.
    async fn nothing_expired_leaves_no_checkpoint(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_entries(&privctl, &[RECENT]);
        let plan = dry_run(&privctl, NOW, &[]);
        assert_eq!(plan["ledger"], json!({"cutoff": CUTOFF, "entries": 0}), "{plan}");
        let result = confirm(&privctl, CONFIRM_AT, &plan);
        assert_eq!(
            result["ledger"],
            json!({"cutoff": CUTOFF, "purged": 0, "checkpoint": null}),
            "{result}"
        );
        // The preview, the purge's three steps, the purge's objects (blob-delete).
        assert_eq!(seqs(&db).await, [1, 2, 3, 4, 5]);
        assert!(checkpoints(&db).await.is_empty());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'ledger-retention'")
                .await,
            0
        );
        let verified = verify(&privctl, &[]).success().json();
        assert_eq!(verified["start"], json!({"seq": 1, "checkpoint": null}), "{verified}");
        db.cleanup().await;
    }

    /// `--tenant`: the dry run shows no ledger purge (JSON `null`, no text line) and the
    /// confirmed run leaves every ledger entry in place.
    async fn a_run_for_one_tenant_leaves_the_ledger_alone(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        let text = at(&privctl, NOW)
            .args(["purge-retention", "--tenant", "acme"])
            .run();
        text.success();
        assert!(!text.stdout.contains("privctl_ledger"), "{text}");

        let plan = dry_run(&privctl, NOW, &["--tenant", "acme"]);
        assert_eq!(plan["ledger"], Value::Null, "{plan}");
        let before = ledger(&db).await;
        let result = confirm_with(&privctl, CONFIRM_AT, &plan, &["--tenant", "acme"]);
        assert_eq!(result["ledger"], Value::Null, "{result}");

        let after = ledger(&db).await;
        assert_eq!(after[..before.len()], before[..], "nothing of the ledger went");
        assert_eq!(after[0].seq, 1);
        assert!(checkpoints(&db).await.is_empty());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'ledger-retention'")
                .await,
            0
        );
        let verified = verify(&privctl, &[]).success().json();
        assert_eq!(verified["start"], json!({"seq": 1, "checkpoint": null}), "{verified}");
        db.cleanup().await;
    }

    /// An anchor taken before the purge: one naming a purged entry before the checkpoint's
    /// passes with a note; one naming the checkpoint's entry is checked against the checkpoint's
    /// hash (a wrong hash is `rewritten`).
    async fn an_anchor_taken_before_the_purge_still_checks(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_entries(&privctl, &OLD[..2]);
        let early = audit_head(&privctl);
        write_entries(&privctl, &OLD[2..]);
        let at_checkpoint = audit_head(&privctl);
        write_entries(&privctl, &[RECENT]);
        assert!(early.starts_with("2:"), "{early}");
        assert!(at_checkpoint.starts_with("3:"), "{at_checkpoint}");
        purge_now(&privctl);
        assert_eq!(checkpoints(&db).await[0].seq, 3);

        let output = verify(&privctl, &["--anchor", early.as_str()]);
        let report = output.success().json();
        let notes = report["notes"].as_array().unwrap_or_else(|| panic!("notes: {output}"));
        assert_eq!(notes.len(), 1, "{output}");
        let note = notes[0].as_str().unwrap_or_default();
        assert!(
            note.contains("entry 2") && note.contains("purged for retention"),
            "{output}"
        );
        let text = privctl
            .clone()
            .args(["audit-verify", "--anchor", early.as_str()])
            .run();
        text.success();
        assert!(text.stdout.contains("note: the anchor's entry 2 was purged"), "{text}");

        let output = verify(&privctl, &["--anchor", at_checkpoint.as_str()]);
        let report = output.success().json();
        assert!(report.get("notes").is_none(), "{output}");

        let (seq, hash) = at_checkpoint.split_once(':').expect("SEQ:HASH");
        let wrong = format!("{seq}:{}", flip_first_hex_digit(hash));
        let output = verify(&privctl, &["--anchor", wrong.as_str()]);
        output.code(4);
        assert_eq!(first_problem(&output.json()), (3, "rewritten".to_owned()), "{output}");
        db.cleanup().await;
    }

    /// A second purge, later, leaves a second checkpoint after the first; verification starts
    /// from the newer one.
    async fn a_second_purge_leaves_a_second_checkpoint(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_entries(&privctl, &[OLD[0], OLD[1], RECENT]);
        let first = purge_now(&privctl);
        assert_eq!(first["ledger"]["purged"], 2, "{first}");
        let head_after_first = *seqs(&db).await.last().expect("entries");

        // 60 days on, every entry the first purge left is past the new cutoff; one written a
        // week before the new dry run is not. (--allow-large: more of the fixture expires too.)
        let later = "2027-01-24T10:00:00Z";
        write_entries(&privctl, &["2027-01-17T10:00:00Z"]);
        let plan = dry_run(&privctl, later, &["--allow-large"]);
        let expired = head_after_first - 2;
        assert_eq!(
            plan["ledger"],
            json!({"cutoff": "2026-12-25T10:00:00Z", "entries": expired}),
            "{plan}"
        );
        let text = at(&privctl, "2027-01-24T10:05:00Z")
            .args(["purge-retention", "--confirm", token_of(&plan).as_str()])
            .run();
        text.success();
        assert!(
            text.stdout.contains(&format!(
                "privctl_ledger: {expired} entries written before 2026-12-25T10:00:00Z purged; \
                 the ledger verifies from the checkpoint"
            )),
            "{text}"
        );

        let rows = checkpoints(&db).await;
        assert_eq!(
            rows.iter().map(|c| (c.seq, c.purged)).collect::<Vec<_>>(),
            [(2, 2), (head_after_first, expired)]
        );
        assert_eq!(seqs(&db).await[0], head_after_first + 1);
        let verified = verify(&privctl, &[]).success().json();
        assert_eq!(verified["start"]["seq"], head_after_first + 1, "{verified}");
        assert_eq!(verified["start"]["checkpoint"]["seq"], head_after_first, "{verified}");
        assert_eq!(
            verified["start"]["checkpoint"]["hash"], rows[1].hash,
            "{verified}"
        );
        let library = verify_ledger(&db, LEDGER_KEY).await;
        assert!(library.ok(), "{:?}", library.problems);
        db.cleanup().await;
    }

    /// `[retention] ledger` must be one duration of at least a day ("unlimited" keeps the
    /// ledger); anything else, or a table in the `ledger` category, is a map error (exit 1)
    /// naming the key, and nothing is written.
    async fn the_ledger_window_is_validated(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        write_old_and_recent_entries(&privctl);
        let ledger_before = ledger(&db).await;
        let tokens_before = db.query_i64("SELECT count(*) FROM privctl_confirmations").await;

        for (name, value) in [
            ("hours", r#""12h""#),
            ("zero", r#""0d""#),
            ("tiers", r#"{ free = "30d", growth = "90d" }"#),
            ("words", r#""soon""#),
            ("number", "30"),
        ] {
            let map = ledger_map(&db, &format!("{name}.toml"), value);
            let output = at(&privctl.clone().map(&map), NOW)
                .arg("purge-retention")
                .run();
            output.code(1);
            assert!(
                output.stderr.contains("retention.ledger")
                    && output.stderr.contains(&map.display().to_string()),
                "ledger = {value}: {output}"
            );
        }
        let map = ledger_category_map(&db);
        let output = at(&privctl.clone().map(&map), NOW)
            .arg("purge-retention")
            .run();
        output.code(1);
        assert!(
            output.stderr.contains("tables.conversations.")
                && output.stderr.contains(LEDGER_CATEGORY_REFUSED),
            "{output}"
        );
        assert_eq!(ledger(&db).await, ledger_before, "no ledger entry");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations").await,
            tokens_before,
            "no token"
        );

        // "unlimited" keeps the ledger: no ledger part in the plan.
        let unlimited = ledger_map(&db, "unlimited.toml", r#""unlimited""#);
        let plan = dry_run(&privctl.clone().map(&unlimited), NOW, &[]);
        assert_eq!(plan["ledger"], Value::Null, "{plan}");
        db.cleanup().await;
    }

    /// The refusal of a table in the `ledger` category should name the key the map has,
    /// `tables.<name>.category`; it names `tables.<name>.retention`, which is not a key a table
    /// takes (`retention = "ledger"` in a table is refused as an unknown field).
    async fn a_ledger_category_error_names_the_category_key(dialect: Dialect) {
        let (db, privctl) = fixture(dialect, r#""30d""#).await;
        let map = ledger_category_map(&db);
        let output = at(&privctl.clone().map(&map), NOW)
            .arg("purge-retention")
            .run();
        output.code(1);
        assert!(
            output.stderr.contains("tables.conversations.category:"),
            "{output}"
        );
        db.cleanup().await;
    }
}

/// The fixture with `privctl init` run and `ledger = <window>` (a TOML value) in the map copy's
/// `[retention]`; the ledger is empty.
async fn fixture(dialect: Dialect, window: &str) -> (TestDb, Privctl) {
    let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
    let map = map_copy_path(&db);
    let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
    std::fs::write(&map, with_ledger_window(&text, window)).expect("cannot write the map copy");
    assert_eq!(db.query_i64("SELECT count(*) FROM privctl_ledger").await, 0);
    (db, privctl)
}

/// A map in the test's directory, named `name`: the fixture's map with `ledger = <value>` in
/// `[retention]`.
fn ledger_map(db: &TestDb, name: &str, value: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(crate::support::fixture::map_path())
        .expect("cannot read the fixture map");
    let path = db.dir().join(name);
    std::fs::write(&path, with_ledger_window(&text, value)).expect("cannot write a map");
    path
}

/// A map whose conversations table has `category = "ledger"`.
fn ledger_category_map(db: &TestDb) -> std::path::PathBuf {
    let text = std::fs::read_to_string(map_copy_path(db)).expect("cannot read the map copy");
    let table = text
        .find("\n[tables.conversations]\n")
        .expect("a conversations table");
    let line = "category = \"conversation\"";
    let offset = table + text[table..].find(line).expect("its category");
    let changed = format!(
        "{}category = \"ledger\"{}",
        &text[..offset],
        &text[offset + line.len()..]
    );
    let path = db.dir().join("ledger-category.toml");
    std::fs::write(&path, changed).expect("cannot write a map");
    path
}

/// Appends one ledger entry (a `dsar preview`) at each of `times`, in order.
fn write_entries(privctl: &Privctl, times: &[&str]) {
    for time in times {
        at(privctl, time)
            .args(["--format", "json", "dsar", "preview", "--tenant", "acme"])
            .args(["--email", "jane.doe@example.com"])
            .run()
            .success();
    }
}

/// Entries 1 to 3 before [`CUTOFF`] ([`OLD`]), entry 4 after it ([`RECENT`]).
fn write_old_and_recent_entries(privctl: &Privctl) {
    write_entries(privctl, &OLD);
    write_entries(privctl, &[RECENT]);
}

/// `privctl --format json purge-retention <extra…>` at `now`.
fn purge(privctl: &Privctl, now: &str, extra: &[&str]) -> RunOutput {
    at(privctl, now)
        .args(["--format", "json", "purge-retention"])
        .args(extra)
        .run()
}

/// A dry run at `now` that must succeed: its plan.
#[track_caller]
fn dry_run(privctl: &Privctl, now: &str, extra: &[&str]) -> Value {
    let plan = purge(privctl, now, extra).success().json();
    assert_eq!(plan["action"], "purge-retention", "{plan}");
    plan
}

/// Redeems the plan's token at `now`; the run must complete: its JSON.
#[track_caller]
fn confirm(privctl: &Privctl, now: &str, plan: &Value) -> Value {
    confirm_with(privctl, now, plan, &[])
}

#[track_caller]
fn confirm_with(privctl: &Privctl, now: &str, plan: &Value, extra: &[&str]) -> Value {
    let token = token_of(plan);
    let args = [extra, &["--confirm", token.as_str()][..]].concat();
    let result = purge(privctl, now, &args).success().json();
    assert_eq!(
        (&result["executed"], &result["complete"]),
        (&json!(true), &json!(true)),
        "{result}"
    );
    result
}

/// A dry run at [`NOW`] and its confirmation at [`CONFIRM_AT`]: the confirmation's JSON.
#[track_caller]
fn purge_now(privctl: &Privctl) -> Value {
    let plan = dry_run(privctl, NOW, &[]);
    confirm(privctl, CONFIRM_AT, &plan)
}

/// `privctl audit head`: `SEQ:HASH`.
#[track_caller]
fn audit_head(privctl: &Privctl) -> String {
    privctl
        .clone()
        .args(["audit", "head"])
        .run()
        .success()
        .stdout
        .trim()
        .to_owned()
}

/// The seq and kind of the first problem of an audit-verify report.
#[track_caller]
fn first_problem(report: &Value) -> (i64, String) {
    let problem = &report["problems"][0];
    (
        problem["seq"]
            .as_i64()
            .unwrap_or_else(|| panic!("no first problem: {report}")),
        problem["kind"].as_str().unwrap_or_default().to_owned(),
    )
}

/// One row of `privctl_ledger`, the fields the chain is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LedgerRow {
    seq: i64,
    at: String,
    action: String,
    prev_hash: String,
    hash: String,
}

/// Every ledger entry, in seq order.
async fn ledger(db: &TestDb) -> Vec<LedgerRow> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || at || '|' || action || '|' || prev_hash || '|' || hash \
         FROM privctl_ledger ORDER BY seq",
    )
    .await
    .iter()
    .map(|row| {
        let fields: Vec<&str> = row.split('|').collect();
        let [seq, at, action, prev_hash, hash] = fields[..] else {
            panic!("five fields: {row}");
        };
        LedgerRow {
            seq: seq.parse().expect("a seq"),
            at: at.to_owned(),
            action: action.to_owned(),
            prev_hash: prev_hash.to_owned(),
            hash: hash.to_owned(),
        }
    })
    .collect()
}

async fn seqs(db: &TestDb) -> Vec<i64> {
    ledger(db).await.iter().map(|e| e.seq).collect()
}

/// The parsed details of the newest entry of `action`.
async fn last_entry_details(db: &TestDb, action: &str) -> Value {
    let details = db
        .query_strings(&format!(
            "SELECT details FROM privctl_ledger WHERE action = '{action}' ORDER BY seq DESC"
        ))
        .await;
    let newest = details
        .first()
        .unwrap_or_else(|| panic!("no {action} entry"));
    serde_json::from_str(newest).expect("details are JSON")
}

/// One row of `privctl_ledger_checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CheckpointRow {
    seq: i64,
    hash: String,
    at: String,
    created_at: String,
    purged: i64,
    alg: String,
    signature: String,
}

impl CheckpointRow {
    /// What the signature covers, built independently of privctl: the compact JSON array
    /// `["privctl-ledger-checkpoint/1", seq, hash, at, created_at, purged, alg]`.
    fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&json!([
            "privctl-ledger-checkpoint/1",
            self.seq,
            self.hash,
            self.at,
            self.created_at,
            self.purged,
            self.alg,
        ]))
        .expect("JSON serialises")
    }
}

/// Every checkpoint, in seq order.
async fn checkpoints(db: &TestDb) -> Vec<CheckpointRow> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || hash || '|' || at || '|' || created_at || '|' || \
         CAST(purged AS TEXT) || '|' || alg || '|' || signature \
         FROM privctl_ledger_checkpoints ORDER BY seq",
    )
    .await
    .iter()
    .map(|row| {
        let fields: Vec<&str> = row.split('|').collect();
        let [seq, hash, at, created_at, purged, alg, signature] = fields[..] else {
            panic!("seven fields: {row}");
        };
        CheckpointRow {
            seq: seq.parse().expect("a seq"),
            hash: hash.to_owned(),
            at: at.to_owned(),
            created_at: created_at.to_owned(),
            purged: purged.parse().expect("a count"),
            alg: alg.to_owned(),
            signature: signature.to_owned(),
        }
    })
    .collect()
}

/// Puts back the checkpoints saved in `saved_checkpoints`.
async fn restore_checkpoints(db: &TestDb) {
    db.execute(
        "DELETE FROM privctl_ledger_checkpoints; \
         INSERT INTO privctl_ledger_checkpoints SELECT * FROM saved_checkpoints;",
    )
    .await;
}

/// The lower-case hex HMAC-SHA-256 of `bytes` under [`LEDGER_KEY`].
fn hmac_hex(bytes: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(LEDGER_KEY.as_bytes()).expect("HMAC takes any key");
    mac.update(bytes);
    hex::encode(mac.finalize().into_bytes())
}

/// `hex` with its first digit changed: another well-formed hash.
fn flip_first_hex_digit(hex: &str) -> String {
    let first = if hex.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &hex[1..])
}

/// Whether `token` was issued and is not consumed yet.
async fn token_is_unconsumed(db: &TestDb, token: &str) -> bool {
    let hash = sha256_hex(token.as_bytes());
    db.query_i64(&format!(
        "SELECT count(*) FROM privctl_confirmations \
         WHERE token_hash = '{hash}' AND consumed_at IS NULL"
    ))
    .await
        == 1
}
