//! `privctl dsar delete` on the conversational-ai fixture: erasure removes what it should and
//! nothing else (not another subject's rows, not another tenant's), an operator erased as a
//! subject leaves their conversations unassigned, only a committed deletion is ledgered as done
//! and the ledger records every step without naming the subject, and a run killed before its
//! commit or while deleting its objects is finished by the same command, one run at a time.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    JANE, JANE_IDENTIFIERS, LEDGER_KEY, assert_stderr_names_nobody, bundle_ids, count_ids, dsar,
    export, ids, jane_all, ledger_rows, range,
};
use crate::support::fixture::{
    assert_no_subject_orphans, plan_counts, setup, snapshot, tenant_condition, verify_ledger,
    write_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

/// The ids of acme's rows (acme's block is 1–99 in every table) of one table.
async fn acme_ids(db: &TestDb, table: &str) -> Vec<i64> {
    db.query_strings(&format!(
        "SELECT id FROM {table} WHERE id < 100 ORDER BY id"
    ))
    .await
    .iter()
    .map(|id| id.parse().expect("an integer id"))
    .collect()
}

/// `action:outcome` of every ledger entry, in order.
async fn ledger_actions(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT action || ':' || outcome FROM privctl_ledger ORDER BY seq")
        .await
}

/// Runs preview and delete with the preview's token; returns both outputs.
fn preview_and_delete(privctl: &Privctl, subject: &[&str]) -> (RunOutput, RunOutput) {
    let preview = dsar(privctl, "preview", "acme", subject, &[]);
    let token = preview.success().json()["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in the preview: {preview}"))
        .to_owned();
    let delete = dsar(privctl, "delete", "acme", subject, &["--confirm", &token]);
    (preview, delete)
}

both_dialects! {
    /// After the delete, Jane's deleted rows are gone, retained and anonymised rows stay
    /// without her, the shared address and all of John's rows stay, blobs are queued, and no
    /// reference dangles.
    async fn erases_the_subject_and_keeps_everything_else(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let amounts_before = db
            .query_strings("SELECT amount_cents FROM invoices WHERE id IN (1, 2) ORDER BY id")
            .await;

        let (_, delete) = preview_and_delete(&privctl, &JANE);
        let result = delete.success().json();
        assert_eq!(result["action"], "dsar-delete", "{result}");
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], 33, "{result}");
        assert_eq!(result["blobs_queued"], 2, "{result}");
        let expected_effects: BTreeMap<String, (u64, String)> = [
            ("contacts", 3, "delete"),
            ("conversations", 3, "delete"),
            ("messages", 12, "delete"),
            ("attachments", 1, "delete"),
            ("recordings", 1, "delete"),
            ("transcripts", 1, "delete"),
            ("agent_traces", 4, "delete"),
            ("orders", 2, "delete"),
            ("addresses", 1, "delete"),
            ("invoices", 2, "anonymise"),
            ("consent_records", 3, "retain"),
        ]
        .into_iter()
        .map(|(table, rows, effect)| (table.to_owned(), (rows, effect.to_owned())))
        .collect();
        assert_eq!(plan_counts(&result), expected_effects, "{result}");

        // Jane's deleted rows are gone.
        let mut deleted = jane_all();
        deleted.remove("invoices");
        deleted.remove("consent_records");
        deleted.insert("addresses".into(), vec![1]);
        for (table, ids) in &deleted {
            assert_eq!(
                count_ids(&db, table, ids).await,
                0,
                "{table} {ids:?} still exist"
            );
        }

        // Retained and anonymised rows stay, without Jane.
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM consent_records WHERE id IN (1, 2, 3) AND contact_id IS NULL"
            )
            .await,
            3,
            "consent records 1-3 kept with contact_id NULL"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE id IN (1, 2) AND customer_email IS NULL \
                 AND customer_name = '[redacted]' AND contact_id IS NULL"
            )
            .await,
            2,
            "invoices 1-2 anonymised"
        );
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE id IN (1, 2) ORDER BY id")
                .await,
            amounts_before,
            "invoice amounts kept"
        );

        // Exactly what the README says acme holds after a full erasure.
        let after: [(&str, Vec<i64>); 12] = [
            ("members", range(1, 4)),
            ("addresses", vec![2, 3]),
            ("contacts", range(4, 7)),
            ("conversations", range(4, 8)),
            ("messages", range(13, 24)),
            ("attachments", vec![2]),
            ("recordings", vec![]),
            ("transcripts", vec![]),
            ("agent_traces", range(5, 7)),
            ("orders", vec![3, 4]),
            ("invoices", range(1, 5)),
            ("consent_records", range(1, 6)),
        ];
        for (table, expected) in &after {
            assert_eq!(
                &acme_ids(&db, table).await,
                expected,
                "acme {table} after the erasure"
            );
        }
        assert_eq!(
            db.query_i64("SELECT count(*) FROM organizations WHERE id = 'acme'")
                .await,
            1
        );

        // John's rows are untouched.
        assert_eq!(
            db.query_strings("SELECT COALESCE(email, '') FROM contacts WHERE id = 4")
                .await,
            ["john.roe@example.com"]
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE id = 3 AND contact_id = 4 \
                 AND customer_email IS NOT NULL AND customer_name <> '[redacted]'"
            )
            .await,
            1,
            "John's invoice 3 untouched"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM consent_records WHERE id = 4 AND contact_id = 4")
                .await,
            1,
            "John's consent 4 untouched"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE id = 4 AND address_id = 2")
                .await,
            1,
            "John keeps address 2"
        );

        // The two blobs are queued for deletion, nothing else.
        assert_eq!(
            db.query_strings(
                "SELECT store || ':' || object_key FROM privctl_blob_outbox \
                 ORDER BY store, object_key"
            )
            .await,
            [
                "attachments:acme/2026/10/att-1-parcel-damage.jpg",
                "recordings:acme/2026/06/rec-1.wav"
            ]
        );

        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }

    /// Jane also lives in globex (and the other tenants hold their own data): an acme DSAR
    /// leaves every row outside acme exactly as it was.
    async fn in_one_tenant_leaves_every_other_tenant_untouched(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let globex_before = snapshot(&db, |table| tenant_condition(table, "=", "globex")).await;
        let globex_rows: usize = globex_before
            .iter()
            .filter(|(table, _)| table.as_str() != "schema_migrations")
            .map(|(_, rows)| rows.len())
            .sum();
        assert_eq!(
            globex_rows, 35,
            "globex's 34 rows and its tenant row: {globex_before:?}"
        );
        assert!(
            globex_before["contacts"]
                .iter()
                .any(|row| row.contains("jane.doe@example.com")),
            "globex holds Jane too"
        );
        let others_before = snapshot(&db, |table| tenant_condition(table, "<>", "acme")).await;

        let (preview, delete) = preview_and_delete(&privctl, &JANE);
        assert_eq!(delete.success().json()["remaining"], 0, "{delete}");

        let globex_after = snapshot(&db, |table| tenant_condition(table, "=", "globex")).await;
        for table in globex_before.keys() {
            assert_eq!(
                globex_after[table], globex_before[table],
                "globex {table} changed"
            );
        }
        let others_after = snapshot(&db, |table| tenant_condition(table, "<>", "acme")).await;
        for table in others_before.keys() {
            assert_eq!(
                others_after[table], others_before[table],
                "{table} outside acme changed"
            );
        }
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox \
                 WHERE tenant <> 'acme' OR object_key NOT LIKE 'acme/%'"
            )
            .await,
            0,
            "blobs of another tenant queued"
        );
        assert_stderr_names_nobody(&[&preview, &delete]);
        db.cleanup().await;
    }

    /// Preview, export and delete each append a ledger entry; the chain verifies, the entries
    /// name the subject only by one keyed hash, and no output on stderr names her.
    async fn ledger_records_each_step_without_naming_the_subject(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let out = db.dir().join("subject.json");

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let exported = dsar(
            &privctl,
            "export",
            "acme",
            &JANE,
            &["--out", out.to_str().expect("UTF-8")],
        );
        let sha256 = exported.success().json()["sha256"]
            .as_str()
            .expect("sha256")
            .to_owned();
        let delete = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        delete.success();

        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(
            verification.ok(),
            "the chain does not verify: {:?}",
            verification.problems
        );
        assert_eq!(verification.entries, 5);
        assert_eq!(
            ledger_actions(&db).await,
            [
                "dsar-preview:planned",
                "dsar-export:done",
                "dsar-delete:done",
                "blob-delete:done", // the erased rows' objects, gone from the blob store
                "dsar-scan:done"    // the residue scan after the erasure
            ]
        );
        assert_eq!(
            db.query_strings("SELECT COALESCE(tenant, '') FROM privctl_ledger ORDER BY seq")
                .await,
            ["acme", "acme", "acme", "acme", "acme"]
        );
        let blobs: Value = serde_json::from_str(
            &db.query_strings("SELECT details FROM privctl_ledger WHERE action = 'blob-delete'")
                .await[0],
        )
        .expect("JSON details");
        assert_eq!(blobs["failed"], 0, "{blobs}");
        assert!(blobs["deleted"].as_u64().unwrap_or(0) > 0, "{blobs}");
        assert_eq!(blobs["stores"].as_object().map(|s| s.values().filter_map(Value::as_u64).sum::<u64>()), blobs["deleted"].as_u64(), "{blobs}");
        let subject_refs = db
            .query_optional_strings("SELECT subject_ref FROM privctl_ledger ORDER BY seq")
            .await;
        let first = subject_refs[0]
            .clone()
            .expect("the preview has a subject_ref");
        assert!(
            first.len() == 64
                && first
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "subject_ref is not 64 lower-case hex: {first}"
        );
        // Every entry names the subject by the same reference, but the objects' (a drain is
        // per tenant, not per subject).
        assert!(
            subject_refs
                .iter()
                .enumerate()
                .all(|(i, r)| r.as_deref() == if i == 3 { None } else { Some(first.as_str()) }),
            "{subject_refs:?}"
        );
        let details = db
            .query_strings("SELECT details FROM privctl_ledger ORDER BY seq")
            .await;
        assert!(
            details[1].contains(&sha256),
            "the export's entry has the file digest: {}",
            details[1]
        );
        let deletion: Value = serde_json::from_str(&details[2]).expect("details are JSON");
        assert_eq!(deletion["remaining"], 0, "the deletion's entry: {deletion}");

        for row in ledger_rows(&db).await {
            let lower = row.to_lowercase();
            for identifier in JANE_IDENTIFIERS {
                assert!(
                    !lower.contains(identifier),
                    "the ledger names the subject ({identifier}): {row}"
                );
            }
        }
        assert_stderr_names_nobody(&[&preview, &exported, &delete]);
        db.cleanup().await;
    }

    /// A deletion's `done` entry is written only with a committed deletion: a bad token, a
    /// deletion that fails half-way, and a replayed token change nothing and log no `done`;
    /// the failed run leaves the token usable, the finished one consumes it.
    async fn only_a_committed_delete_is_ledgered_as_done(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let acme = |table: &str| tenant_condition(table, "=", "acme");
        let before = snapshot(&db, acme).await;

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let done_entries =
            "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'";

        // An unknown token: rejected, nothing deleted.
        let bogus = dsar(
            &privctl,
            "delete",
            "acme",
            &JANE,
            &["--confirm", "pct_00000000000000000000000000000000"],
        );
        bogus.code(3);
        assert_eq!(
            snapshot(&db, acme).await,
            before,
            "a rejected token deleted something"
        );
        assert_eq!(db.query_i64(done_entries).await, 0);

        // A deletion that fails half-way (the database refuses to delete contacts, which go
        // after their children): rolled back whole, no `done` entry, no blob queued.
        match dialect {
            Dialect::Sqlite => {
                db.execute(
                    "CREATE TRIGGER refuse_contact_delete BEFORE DELETE ON contacts \
                 BEGIN SELECT RAISE(ABORT, 'contacts may not be deleted right now'); END;",
                )
                .await
            }
            Dialect::Postgres => {
                db.execute(
                    "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'contacts may not be deleted right now'; END $$; \
                 CREATE TRIGGER refuse_contact_delete BEFORE DELETE ON contacts \
                 FOR EACH ROW EXECUTE FUNCTION refuse_delete();",
                )
                .await
            }
        }
        let failed = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        failed.code(1);
        assert_eq!(
            snapshot(&db, acme).await,
            before,
            "a failed deletion left changes behind"
        );
        assert_eq!(
            db.query_i64(done_entries).await,
            0,
            "{:?}",
            ledger_actions(&db).await
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox")
                .await,
            0
        );
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER refuse_contact_delete",
            Dialect::Postgres => "DROP TRIGGER refuse_contact_delete ON contacts",
        })
        .await;

        // The same token still works: the failed run did not consume it.
        let deleted = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        assert_eq!(deleted.success().json()["remaining"], 0, "{deleted}");
        assert_eq!(db.query_i64(done_entries).await, 1);
        let after_delete = snapshot(&db, acme).await;
        assert_ne!(after_delete, before);

        // Replaying it is rejected, changes nothing and is ledgered as rejected.
        let entries = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        let replay = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        replay.code(3);
        assert_eq!(
            snapshot(&db, acme).await,
            after_delete,
            "a replayed token changed data"
        );
        assert_eq!(db.query_i64(done_entries).await, 1);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger").await,
            entries + 1
        );
        assert_eq!(
            ledger_actions(&db).await.last().map(String::as_str),
            Some("dsar-delete:rejected")
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox")
                .await,
            2
        );

        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(
            verification.ok(),
            "the chain does not verify: {:?}",
            verification.problems
        );
        for row in ledger_rows(&db).await {
            let lower = row.to_lowercase();
            for identifier in JANE_IDENTIFIERS {
                assert!(
                    !lower.contains(identifier),
                    "the ledger names the subject ({identifier}): {row}"
                );
            }
        }
        assert_stderr_names_nobody(&[&preview, &bogus, &failed, &deleted, &replay]);
        db.cleanup().await;
    }

    /// An operator is a subject too: their member row only, and the conversations assigned to
    /// them (a `follow = false` link) stay, unassigned.
    async fn member_subject_is_deleted_and_their_conversations_are_unassigned(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let member = ["--email", "agent@acme.example"];

        let preview = dsar(&privctl, "preview", "acme", &member, &[]);
        let plan = preview.success().json();
        assert_eq!(plan["total_rows"], 1, "{plan}");
        assert_eq!(
            plan_counts(&plan),
            BTreeMap::from([("members".to_owned(), (1, "delete".to_owned()))]),
            "{plan}"
        );
        let (_, bundle) = export(&db, &privctl, "agent.json", &member);
        assert_eq!(bundle_ids(&bundle), ids(&[("members", &[3])]));

        // Confirm with the whole preview JSON on stdin.
        let delete = privctl
            .clone()
            .stdin(preview.stdout.clone())
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(member)
            .args(["--confirm", "-"])
            .run();
        let result = delete.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], 1, "{result}");

        assert_eq!(acme_ids(&db, "members").await, [1, 2, 4]);
        assert_eq!(acme_ids(&db, "conversations").await, range(1, 8));
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM conversations \
                 WHERE id IN (1, 3, 4, 7) AND assigned_member_id IS NULL"
            )
            .await,
            4,
            "conversations 1, 3, 4, 7 unassigned"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM conversations WHERE id = 5 AND assigned_member_id = 2"
            )
            .await,
            1,
            "conversation 5 stays with member 2"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM members WHERE email = 'agent@globex.example'")
                .await,
            1,
            "globex's agent untouched"
        );
        assert_eq!(acme_ids(&db, "messages").await, range(1, 24));
        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// An anonymised table's rows are checked by content after `dsar delete` erases: rows of
    /// the subject written while the erasure runs (here by a trigger, on the erasure's own
    /// deletes of her orders, into invoices, which this map lets a subject be found in by
    /// `customer_email`) still hold her email, so the erasure fails (exit 1) naming the table
    /// and the count, nothing is committed, the token stays usable, and no `done` is recorded.
    async fn rows_written_into_an_anonymised_table_during_the_erasure_fail_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = write_map_copy(
            &db,
            "invoices-by-email.toml",
            "[tables.invoices]\ntenant = \"org_id\"\n",
            "[tables.invoices]\ntenant = \"org_id\"\nidentities = { email = \"customer_email\" }\n",
        );
        let privctl = privctl.map(map);
        let acme = |table: &str| tenant_condition(table, "=", "acme");
        let token = dsar(&privctl, "delete", "acme", &JANE, &[]).success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let before = snapshot(&db, acme).await;
        let insert = "INSERT INTO invoices (id, org_id, contact_id, customer_email, \
                      customer_name, amount_cents, currency, issued_at) \
                      SELECT max(id) + 1, 'acme', NULL, 'Jane.Doe@example.com', 'Jane Doe', \
                      100, 'EUR', ";
        db.execute(&match dialect {
            Dialect::Sqlite => format!(
                "CREATE TRIGGER write_during_erasure AFTER DELETE ON orders BEGIN \
                 {insert} '2026-11-25T11:00:00Z' FROM invoices; END"
            ),
            Dialect::Postgres => format!(
                "CREATE FUNCTION write_invoice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 {insert} TIMESTAMPTZ '2026-11-25T11:00:00Z' FROM invoices; RETURN OLD; END $$; \
                 CREATE TRIGGER write_during_erasure AFTER DELETE ON orders \
                 FOR EACH ROW EXECUTE FUNCTION write_invoice()"
            ),
        })
        .await;

        let failed = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        failed.code(1);
        assert!(
            failed.stderr.contains("anonymised tables") && failed.stderr.contains("invoices (2 rows)"),
            "the table and the count are named: {failed}"
        );
        assert!(failed.stderr.contains("nothing was committed"), "{failed}");
        assert_eq!(snapshot(&db, acme).await, before, "nothing committed");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' \
                 AND outcome = 'done'"
            )
            .await,
            0
        );

        // Without the writes, the same token erases as planned.
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER write_during_erasure",
            Dialect::Postgres => "DROP TRIGGER write_during_erasure ON orders",
        })
        .await;
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token])
            .success()
            .json();
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND lower(customer_email) = 'jane.doe@example.com'"
            )
            .await,
            0
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed while deleting the erased rows' objects (issue 14, item 5): the erasure is
    /// committed and the token spent, one object remains queued. The same command deletes it and
    /// exits 0 (`already_done`), recorded as `objects-deleted`; with nothing left, the spent token
    /// is refused (exit 3).
    async fn killed_while_deleting_objects_the_same_delete_finishes_them(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let killed = dsar(
            &privctl.clone().env("PRIVCTL_TEST_FAULT", "kill-after-objects:1"),
            "delete",
            "acme",
            &JANE,
            &["--confirm", &token],
        );
        assert_ne!(killed.code, 0, "{killed}");
        const QUEUED: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL";
        // The kill came after the first object's deletion and before its batch was recorded:
        // both stay queued and no `blob-delete` entry claims either.
        assert_eq!(db.query_i64(QUEUED).await, 2, "a batch marked done without its entry");
        const BLOB_ENTRIES: &str = "SELECT count(*) FROM privctl_ledger WHERE action = 'blob-delete'";
        assert_eq!(db.query_i64(BLOB_ENTRIES).await, 0);

        let again = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        again.success();
        let again = again.json();
        assert_eq!(again["already_done"], true, "{again}");
        assert_eq!(again["blobs"]["deleted"], 2, "{again}");
        assert_eq!(db.query_i64(BLOB_ENTRIES).await, 1);
        assert_eq!(db.query_i64(QUEUED).await, 0);
        let outcomes = db
            .query_strings("SELECT outcome FROM privctl_ledger WHERE action = 'dsar-delete' ORDER BY seq")
            .await;
        assert_eq!(outcomes.last().map(String::as_str), Some("objects-deleted"), "{outcomes:?}");
        dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]).code(3);
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A second run with the same token while the first still deletes its objects is not a
    /// resume of a killed run: it exits 75 and touches nothing; once the first is gone (killed
    /// here), the same command finishes what it left queued. Without the run's lock the second
    /// run took the first one's queued objects for a killed run's and both exited 0.
    async fn a_second_run_while_the_first_deletes_its_objects_is_locked_out(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let mut first = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "pause-after-objects:1")
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(JANE)
            .args(["--confirm", &token])
            .spawn();
        const QUEUED: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL";
        // The erasure committed (its entry is there) before the objects' deletion began; the
        // first run then pauses after its first object, before recording the batch.
        const ERASED: &str =
            "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while db.query_i64(ERASED).await < 1 {
            assert!(!first.has_exited(), "the first run ended before pausing");
            assert!(std::time::Instant::now() < deadline, "the erasure did not commit within 60 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        let second = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        second.code(75);
        assert!(second.stderr.contains("another run with this token"), "{second}");
        assert_eq!(db.query_i64(QUEUED).await, 2, "the second run deleted an object");
        assert!(!first.has_exited(), "the first run still works");

        first.signal("KILL");
        first.finish(std::time::Duration::from_secs(10));
        let again = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        again.success();
        assert_eq!(again.json()["already_done"], true, "{again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed with its erasure done but not committed (issue 14's kill tests, rows phase): nothing
    /// is erased, no ledger entry says done, the token is still good; the same command then
    /// erases exactly the plan.
    async fn killed_before_its_commit_a_delete_erases_nothing_and_runs_again(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db, |_| "1 = 1".to_owned()).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let killed = dsar(
            &privctl.clone().env("PRIVCTL_TEST_FAULT", "kill-before-commit"),
            "delete",
            "acme",
            &JANE,
            &["--confirm", &token],
        );
        assert_ne!(killed.code, 0, "{killed}");
        assert_eq!(snapshot(&db, |_| "1 = 1".to_owned()).await, before, "the killed run changed rows");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'").await,
            0
        );
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]).success().json();
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(done["total_rows"], 33, "{done}");
        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }
}
