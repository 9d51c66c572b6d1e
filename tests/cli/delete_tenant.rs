//! `privctl delete-tenant` on the conversational-ai fixture: a tenant deletion erases the
//! tenant and nothing else (deleting or anonymising each table as the map says, its blob
//! objects too), refuses a tenant under legal hold (also one placed while it runs), anonymises
//! rows written while it runs, and survives `kill -9` by resuming where it stopped, one run of a
//! job at a time. The expected rows come from fixtures/conversational-ai/README.md.
//!
//! Every test works on a copy of the fixture's map in its own temporary directory: the map's
//! `file://./blobs/…` stores resolve against the map's directory, so the blob objects the tests
//! create (and delete-tenant removes) live there, never in the repository.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::support::fixture::{
    TABLES, acme_counts, acme_keys, assert_no_orphans, create_blobs, everything,
    insert_acme_messages, map_copy_path, plan_counts, setup_with_map_copy, snapshot,
    tenant_condition, token_of, verify_ledger,
};
use crate::support::{Dialect, Privctl, RunOutput, Spawned, TestDb, both_dialects};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "tenant-tests-ledger-key-7d21e4";

/// `privctl --format json delete-tenant --tenant <tenant> <extra…>`.
pub(crate) fn delete_tenant(privctl: &Privctl, tenant: &str, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "delete-tenant", "--tenant", tenant])
        .args(extra)
        .run()
}

/// Every row of every tenant other than acme.
async fn others(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    snapshot(db, |table| tenant_condition(table, "<>", "acme")).await
}

fn assert_same_rows(
    after: &BTreeMap<String, Vec<String>>,
    before: &BTreeMap<String, Vec<String>>,
    what: &str,
) {
    for (table, rows) in before {
        assert_eq!(&after[table], rows, "{what}: {table} changed");
    }
}

/// The effect delete-tenant has on each of acme's tables under the fixture's map.
fn expected_effect(table: &str) -> &'static str {
    match table {
        "organizations" | "invoices" => "anonymise",
        "consent_records" => "retain",
        _ => "delete",
    }
}

both_dialects! {
    /// Dry run, then confirm: every acme row is gone except the anonymised tenant stub, the
    /// anonymised invoices and the retained consent records (which lose their references);
    /// acme's blobs are deleted; other tenants are byte-for-byte unchanged; no reference
    /// dangles; the ledger records planned, started and done and verifies; the token cannot be
    /// replayed.
    async fn erases_the_tenant_and_nothing_else(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let counts = acme_counts(&db).await;
        let acme_messages = acme_keys(&db, "messages").await;
        assert_eq!(acme_messages.len(), 24);
        let others_before = others(&db).await;
        let acme_before = snapshot(&db, |table| tenant_condition(table, "=", "acme")).await;
        let amounts_before = db
            .query_strings("SELECT amount_cents FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;

        // Dry run: the plan, a token, and no change.
        let dry = delete_tenant(&privctl, "acme", &[]);
        let plan = dry.success().json();
        assert_eq!(plan["action"], "delete-tenant", "{plan}");
        assert_eq!(plan["tenant"], "acme", "{plan}");
        assert!(plan["expires_at"].is_string(), "{plan}");
        assert!(plan.get("cleared_references").is_some(), "{plan}");
        let token = token_of(&plan);
        let expected: BTreeMap<String, (u64, String)> = counts
            .iter()
            .map(|(table, n)| {
                (
                    table.clone(),
                    (*n as u64, expected_effect(table).to_owned()),
                )
            })
            .collect();
        assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
        assert_eq!(plan["total_rows"], 73, "{plan}");
        let blob_counts: BTreeMap<String, u64> = plan["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .filter(|entry| entry["blobs"].as_u64().unwrap_or(0) > 0)
            .map(|entry| {
                (
                    entry["table"].as_str().expect("table").to_owned(),
                    entry["blobs"].as_u64().expect("blobs"),
                )
            })
            .collect();
        assert_eq!(
            blob_counts,
            BTreeMap::from([("attachments".to_owned(), 2), ("recordings".to_owned(), 1)]),
            "{plan}"
        );
        assert_eq!(
            snapshot(&db, |table| tenant_condition(table, "=", "acme")).await,
            acme_before,
            "the dry run changed acme"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations")
                .await,
            1
        );

        // Confirm.
        let run = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        let result = run.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["resumed"], false, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            plan_counts(&result),
            expected,
            "rows affected per table: {result}"
        );
        assert_eq!(result["total_rows"], 73, "{result}");
        assert!(
            result["batches"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
        assert!(result["longest_batch_ms"].is_u64(), "{result}");
        assert_eq!(result["blobs"]["deleted"], 3, "{result}");
        assert_eq!(result["blobs"]["failed"], 0, "{result}");
        assert_eq!(
            result["blobs"]["errors"].as_array().map(Vec::len),
            Some(0),
            "{result}"
        );

        // The tenant's row stays as an anonymised stub.
        assert_eq!(
            db.query_strings("SELECT name FROM organizations WHERE id = 'acme'")
                .await,
            ["[redacted]"]
        );
        // Invoices stay, anonymised, without their contact; consent records stay without theirs.
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' AND customer_email IS NULL \
                 AND customer_name = '[redacted]' AND contact_id IS NULL"
            )
            .await,
            5,
            "all 5 acme invoices anonymised"
        );
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE org_id = 'acme' ORDER BY id")
                .await,
            amounts_before,
            "invoice amounts kept"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM consent_records WHERE org_id = 'acme' AND contact_id IS NULL"
            )
            .await,
            6,
            "all 6 consent records kept, without contact"
        );
        // Every other acme table is empty.
        for table in TABLES {
            if ["organizations", "invoices", "consent_records", "messages"].contains(&table) {
                continue;
            }
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE org_id = 'acme'"
                ))
                .await,
                0,
                "acme {table} rows left"
            );
        }
        let ids: Vec<&str> = acme_messages.iter().map(String::as_str).collect();
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM messages WHERE id IN ({})",
                ids.join(", ")
            ))
            .await,
            0,
            "acme messages left"
        );

        // acme's objects are gone from the stores, the others' are not; the outbox is done.
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                blob.tenant != "acme",
                "{} ({})",
                blob.path.display(),
                blob.tenant
            );
        }
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox WHERE tenant = 'acme' \
                 AND done_at IS NOT NULL"
            )
            .await,
            3
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL OR tenant <> 'acme'"
            )
            .await,
            0
        );

        assert_same_rows(&others(&db).await, &others_before, "other tenants");
        assert_no_orphans(&db).await;

        assert_eq!(
            db.query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq"
            )
            .await,
            ["planned", "started", "done", "objects-deleted"]
        );
        let done = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await;
        let done: Value = serde_json::from_str(&done[0]).expect("details are JSON");
        assert_eq!(done["remaining"], 0, "the done entry: {done}");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["done"]
        );

        // The token is spent.
        let after = everything(&db).await;
        delete_tenant(&privctl, "acme", &["--confirm", &token]).code(3);
        assert_same_rows(&everything(&db).await, &after, "a replayed token");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A tenant under legal hold gets no token and loses nothing; a hold placed after the dry
    /// run stops the confirmed run too.
    async fn refuses_a_tenant_under_legal_hold(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let before = everything(&db).await;

        let run = delete_tenant(&privctl, "umbrella", &[]);
        run.code(1);
        assert!(
            run.stderr.to_lowercase().contains("legal hold"),
            "the message says why: {run}"
        );
        assert!(!run.stdout.contains("pct_"), "a token was printed: {run}");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations")
                .await,
            0,
            "a token was issued"
        );
        assert_same_rows(&everything(&db).await, &before, "umbrella on hold");

        // acme is put on hold between the dry run and the confirmation.
        let token = token_of(&delete_tenant(&privctl, "acme", &[]).success().json());
        db.execute("UPDATE organizations SET legal_hold = TRUE WHERE id = 'acme'")
            .await;
        let held = everything(&db).await;
        let run = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        assert!(
            run.code == 1 || run.code == 3,
            "a confirmed deletion of a tenant on hold must fail: {run}"
        );
        assert_same_rows(&everything(&db).await, &held, "acme on hold");
        assert!(
            blobs.iter().all(|blob| blob.path.exists()),
            "a blob was deleted"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_jobs WHERE state = 'done'")
                .await,
            0
        );
        db.cleanup().await;
    }

    /// `kill -9` in the middle of a batched deletion leaves a consistent database (no orphan,
    /// no broken foreign key); meanwhile the token authorises nothing else; the same command
    /// resumes and finishes, and the totals include what was deleted before the kill.
    async fn resumes_after_sigkill(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        insert_acme_messages(&db, 10001, 2000).await;
        let counts = acme_counts(&db).await;
        assert_eq!(counts["messages"], 2024);
        let others_before = others(&db).await;

        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let planned = plan_counts(&plan);
        assert_eq!(planned["messages"], (2024, "delete".to_owned()), "{plan}");

        let args = [
            "--format",
            "json",
            "delete-tenant",
            "--tenant",
            "acme",
            "--batch-size",
            "50",
            "--batch-pause",
            "20ms",
            "--confirm",
            token.as_str(),
        ];
        let mut child = privctl.clone().args(args).spawn();

        // Wait until some messages are gone while the job still runs, then kill -9.
        let remaining_messages = "SELECT count(*) FROM messages WHERE conversation_id IN \
                                  (SELECT id FROM conversations WHERE org_id = 'acme')";
        child
            .wait_until("messages were deleted", Duration::from_secs(120), async || {
                let running = db
                    .query_strings(
                        "SELECT state FROM privctl_jobs WHERE action = 'delete-tenant' \
                         AND tenant = 'acme'",
                    )
                    .await
                    == ["running"];
                running && db.query_i64(remaining_messages).await < 2024
            })
            .await;
        child.signal("KILL");
        let killed = child.finish(Duration::from_secs(10));
        assert_ne!(killed.code, 0, "privctl finished before the kill: {killed}");

        // Killed mid-way: some messages gone, some left, the job still running.
        let left = db.query_i64(remaining_messages).await;
        assert!(
            left > 0 && left < 2024,
            "the kill did not land mid-way ({left} messages left): {killed}"
        );
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["running"]
        );
        assert_no_orphans(&db).await;
        assert_same_rows(
            &others(&db).await,
            &others_before,
            "other tenants after the kill",
        );

        // Meanwhile the token authorises nothing else.
        let misuse = delete_tenant(&privctl, "globex", &["--confirm", &token]);
        misuse.code(3);
        assert_same_rows(
            &others(&db).await,
            &others_before,
            "the token used for globex",
        );
        assert_eq!(db.query_i64(remaining_messages).await, left);

        // The same command resumes and finishes.
        let run = privctl.clone().args(args).run();
        let result = run.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            plan_counts(&result),
            planned,
            "rows per table, counting those deleted before the kill: {result}"
        );
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        assert_eq!(result["blobs"]["deleted"], 3, "{result}");

        assert_eq!(db.query_i64(remaining_messages).await, 0);
        for table in TABLES {
            if ["organizations", "invoices", "consent_records", "messages"].contains(&table) {
                continue;
            }
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE org_id = 'acme'"
                ))
                .await,
                0,
                "acme {table} rows left"
            );
        }
        assert_eq!(
            db.query_strings("SELECT name FROM organizations WHERE id = 'acme'")
                .await,
            ["[redacted]"]
        );
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                blob.tenant != "acme",
                "{}",
                blob.path.display()
            );
        }
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["done"]
        );
        assert_no_orphans(&db).await;
        assert_same_rows(&others(&db).await, &others_before, "other tenants");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        delete_tenant(&privctl, "acme", &["--confirm", &token]).code(3);
        db.cleanup().await;
    }

    /// An invoice written while delete-tenant runs, after the invoices' pass (here: while it
    /// deletes messages in paused batches), is anonymised by the closing pass, reported as a
    /// late row in the output and the ledger, and counted with its table: never left holding
    /// the customer's email under `done, remaining: 0`.
    async fn an_invoice_written_during_the_run_is_anonymised_and_reported(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 2000).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let args = [
            "--format",
            "json",
            "delete-tenant",
            "--tenant",
            "acme",
            "--batch-size",
            "50",
            "--batch-pause",
            "20ms",
            "--confirm",
            token.as_str(),
        ];
        let mut child = privctl.clone().args(args).spawn();

        // Once acme's invoices are anonymised and messages are still being deleted, the
        // application writes one more invoice with a customer's email.
        let remaining_messages = "SELECT count(*) FROM messages WHERE conversation_id IN \
                                  (SELECT id FROM conversations WHERE org_id = 'acme')";
        let unanonymised = "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                            AND (customer_email IS NOT NULL OR customer_name <> '[redacted]')";
        child
            .wait_until("acme's invoices were anonymised", Duration::from_secs(120), async || {
                if db.query_i64(unanonymised).await != 0 {
                    return false;
                }
                let left = db.query_i64(remaining_messages).await;
                assert!(
                    left > 500,
                    "the invoices' pass should come before the messages' ({left} left)"
                );
                true
            })
            .await;
        db.execute(&format!(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, \
             amount_cents, currency, issued_at) VALUES (9001, 'acme', NULL, \
             'late.buyer@example.com', 'Late Buyer', 1000, 'EUR', {})",
            timestamp(dialect, "2026-11-25T11:00:00Z")
        ))
        .await;
        assert!(
            db.query_i64(remaining_messages).await > 0,
            "the insert landed before the run ended"
        );
        let finished = child.finish(Duration::from_secs(120));
        finished.success();
        let result: Value =
            serde_json::from_str(&finished.stdout).expect("the result is one JSON document");

        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["late_rows"], serde_json::json!({"invoices": 1}), "{result}");
        assert_eq!(plan_counts(&result)["invoices"], (6, "anonymise".to_owned()), "{result}");
        assert_eq!(db.query_i64(unanonymised).await, 0, "every acme invoice anonymised");
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE id = 9001").await,
            ["1000"],
            "the row is kept, like every invoice"
        );
        let done: Value = serde_json::from_str(
            &db.query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await
            .remove(0),
        )
        .expect("ledger details are JSON");
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(done["late_rows"], serde_json::json!({"invoices": 1}), "{done}");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A run stopped after the invoices' pass (a trigger makes the next table's delete fail)
    /// and resumed after an invoice was written meanwhile: the resumed run anonymises that
    /// invoice and reports it, and never hashes an already hashed value again (here the map
    /// hashes `customer_email`).
    async fn a_resumed_run_anonymises_rows_written_since_and_hashes_none_twice(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let map = map_copy_path(&db);
        let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
        let line = "erase = { anonymise = { customer_email = \"null\", customer_name = \"redact\" } }";
        assert_eq!(text.matches(line).count(), 1);
        std::fs::write(
            &map,
            text.replace(
                line,
                "erase = { anonymise = { customer_email = \"hash\", customer_name = \"redact\" } }",
            ),
        )
        .expect("cannot write the map copy");
        let emails_before = db
            .query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);

        // The run stops at the first delete after the invoices' pass.
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER stop_at_orders BEFORE DELETE ON orders \
                 BEGIN SELECT RAISE(ABORT, 'stopped by the test'); END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION stop_by_the_test() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'stopped by the test'; END $$; \
                 CREATE TRIGGER stop_at_orders BEFORE DELETE ON orders \
                 FOR EACH ROW EXECUTE FUNCTION stop_by_the_test()"
            }
        })
        .await;
        let stopped = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        assert_ne!(stopped.code, 0, "{stopped}");
        assert!(stopped.stderr.contains("stopped by the test"), "{stopped}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        let hashed = db
            .query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;
        let expected: Vec<String> = emails_before
            .iter()
            .map(|email| anonymise_hash(email))
            .collect();
        assert_eq!(hashed, expected, "the invoices' pass ran before the stop");

        // Meanwhile the application writes an invoice; then the run is resumed.
        db.execute(&format!(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, \
             amount_cents, currency, issued_at) VALUES (9001, 'acme', NULL, \
             'late.buyer@example.com', 'Late Buyer', 1000, 'EUR', {})",
            timestamp(dialect, "2026-11-25T11:00:00Z")
        ))
        .await;
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER stop_at_orders",
            Dialect::Postgres => "DROP TRIGGER stop_at_orders ON orders",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token])
            .success()
            .json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["late_rows"], serde_json::json!({"invoices": 1}), "{result}");
        assert_eq!(plan_counts(&result)["invoices"], (6, "anonymise".to_owned()), "{result}");

        let mut expected = hashed.clone();
        expected.push(anonymise_hash("late.buyer@example.com"));
        assert_eq!(
            db.query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
                .await,
            expected,
            "hashed once each: the earlier hashes kept, the new email hashed"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND customer_name = '[redacted]'"
            )
            .await,
            6
        );
        let done: Value = serde_json::from_str(
            &db.query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await
            .remove(0),
        )
        .expect("ledger details are JSON");
        assert_eq!(done["late_rows"], serde_json::json!({"invoices": 1}), "{done}");
        assert_no_orphans(&db).await;
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// When something privctl cannot see (here a trigger) keeps an anonymised invoice's email,
    /// the closing pass anonymises again, counts what is still left, and fails (exit 1) naming
    /// the table and the count: no `done`, the job stays open; once the trigger is gone, the
    /// same command finishes.
    async fn fails_while_an_anonymised_value_keeps_coming_back(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER keep_email AFTER UPDATE OF customer_email ON invoices \
                 BEGIN UPDATE invoices SET customer_email = OLD.customer_email \
                 WHERE id = NEW.id; END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION keep_email() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN NEW.customer_email := OLD.customer_email; RETURN NEW; END $$; \
                 CREATE TRIGGER keep_email BEFORE UPDATE ON invoices \
                 FOR EACH ROW EXECUTE FUNCTION keep_email()"
            }
        })
        .await;
        let failed = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        failed.code(1);
        assert!(failed.stderr.contains("invoices (5 rows)"), "{failed}");
        assert!(failed.stderr.contains("the job stays open"), "{failed}");
        // How to go on, and the failure in the ledger (issue 14, item 12).
        assert!(
            failed.stderr.contains("hint: the job") && failed.stderr.contains("same token again"),
            "{failed}"
        );
        assert_eq!(
            db.query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq"
            )
            .await,
            ["planned", "started", "failed"]
        );
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'"
            )
            .await,
            0
        );

        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER keep_email",
            Dialect::Postgres => "DROP TRIGGER keep_email ON invoices",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token])
            .success()
            .json();
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND (customer_email IS NOT NULL OR customer_name <> '[redacted]')"
            )
            .await,
            0
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

/// A timestamp literal for the fixture's time columns (TIMESTAMPTZ on PostgreSQL, text on
/// SQLite).
fn timestamp(dialect: Dialect, at: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("'{at}'"),
        Dialect::Postgres => format!("TIMESTAMPTZ '{at}'"),
    }
}

/// What `anonymise = "hash"` writes for `value`: the lower-case hex HMAC-SHA-256, under the
/// ledger key, of `privctl-anonymise/1`, a NUL byte and the value.
fn anonymise_hash(value: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(LEDGER_KEY.as_bytes())
        .expect("HMAC takes any key");
    mac.update(format!("privctl-anonymise/1\0{value}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Starts the confirmed delete-tenant of acme with `token` slowly (batches of 10, 100 ms apart)
/// and returns once its first batch committed, the run still going.
async fn slow_run_after_its_first_batch(privctl: &Privctl, db: &TestDb, token: &str) -> Spawned {
    let args = [
        "--format",
        "json",
        "delete-tenant",
        "--tenant",
        "acme",
        "--batch-size",
        "10",
        "--batch-pause",
        "100ms",
        "--confirm",
        token,
    ];
    let mut run = privctl.clone().args(args).spawn();
    run.wait_until("its first batch", Duration::from_secs(60), async || {
        db.query_strings("SELECT progress FROM privctl_jobs WHERE tenant = 'acme'")
            .await
            .iter()
            .any(|p| p.contains("\"batches\":1") || p.contains("\"batches\":2"))
    })
    .await;
    run
}

both_dialects! {
    /// Killed in its blob phase (issue 14, item 5): the rows are done and the token consumed,
    /// objects remain queued. The same command again deletes them and exits 0 (it used to exit
    /// 3, "already deleted", and leave them); the ledger records `objects-deleted` once none is
    /// left, and `privctl status` shows the queue before and none after. Once nothing is left,
    /// the token is refused as spent (exit 3).
    async fn killed_while_deleting_objects_the_same_command_finishes_them(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-objects:1")
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        const QUEUED: &str =
            "SELECT count(*) FROM privctl_blob_outbox WHERE tenant = 'acme' AND done_at IS NULL";
        // One of acme's three objects left its store, but the kill came before its batch was
        // recorded: all three stay queued (a drain records a batch and its `blob-delete` entry
        // in one transaction).
        let gone = blobs.iter().filter(|b| b.tenant == "acme" && !b.path.exists()).count();
        assert_eq!(gone, 1, "one of acme's objects went before the kill");
        assert_eq!(db.query_i64(QUEUED).await, 3, "a batch marked done without its entry");
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        let pending: u64 = status["pending_objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["tenant"] == "acme")
            .map(|p| p["objects"].as_u64().unwrap())
            .sum();
        assert_eq!(pending, 3, "{status:#}");

        let again = privctl
            .clone()
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run();
        again.success();
        let again = again.json();
        assert_eq!(again["already_done"], true, "{again}");
        assert_eq!(again["blobs"]["deleted"], 3, "the one already gone counts as deleted: {again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        let recorded = db
            .query_strings("SELECT details FROM privctl_ledger WHERE action = 'blob-delete'")
            .await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let recorded: serde_json::Value = serde_json::from_str(&recorded[0]).unwrap();
        assert_eq!(recorded["deleted"], 3, "{recorded}");
        for blob in blobs.iter().filter(|b| b.tenant == "acme") {
            assert!(!blob.path.exists(), "{} is still in its store", blob.path.display());
        }
        assert!(blobs.iter().filter(|b| b.tenant != "acme").all(|b| b.path.exists()));
        let outcomes = db
            .query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq",
            )
            .await;
        assert_eq!(outcomes, ["planned", "started", "done", "objects-deleted"]);
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        assert_eq!(status["pending_objects"], serde_json::json!([]), "{status:#}");
        privctl
            .clone()
            .args(["delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run()
            .code(3);
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Two runs of one job (issue 14, item 8): the same command started while the first run still
    /// works exits 75 at once, naming the job, and changes nothing; it used to run alongside and
    /// one of the two failed on a foreign key. `privctl status` names the job's lock. The first
    /// run finishes alone.
    async fn a_second_run_of_the_same_job_exits_75_while_the_first_works(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 200).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let mut first = slow_run_after_its_first_batch(&privctl, &db, &token).await;
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        let second = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        first.assert_running("the first run ended before the second");
        second.code(75);
        assert!(second.stderr.contains("another run of this deletion"), "{second}");
        if dialect == Dialect::Postgres {
            let name = status["locks"][0]["name"].as_str().unwrap_or_default();
            assert!(name.starts_with("delete-tenant/"), "{status:#}");
        }
        first.finish(Duration::from_secs(120)).success();
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["done"]
        );
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }
}

/// One reading of the legal hold for every command (issue 15's fix): on SQLite a hold stored as
/// `'TRUE'` (or `'yes'`) used to stop a purge but not `delete-tenant` or `dsar delete`. Now each
/// refuses, and the purge skips the tenant.
#[tokio::test]
async fn a_hold_written_as_text_holds_for_every_command() {
    let (db, privctl) = setup_with_map_copy(Dialect::Sqlite, LEDGER_KEY).await;
    for value in ["TRUE", "yes"] {
        // (The fixture's CHECK allows 0 and 1 only; another platform's schema need not.)
        db.execute(&format!(
            "PRAGMA ignore_check_constraints = ON; \
             UPDATE organizations SET legal_hold = '{value}' WHERE id = 'acme'"
        ))
        .await;
        let refused = delete_tenant(&privctl, "acme", &[]);
        refused.code(1);
        assert!(refused.stderr.contains("legal hold"), "{value}: {refused}");
        let preview = privctl
            .clone()
            .args([
                "--format",
                "json",
                "dsar",
                "preview",
                "--tenant",
                "acme",
                "--email",
                "jane.doe@example.com",
            ])
            .run();
        preview.code(1);
        assert!(preview.stderr.contains("legal hold"), "{value}: {preview}");
        let preview = preview.json();
        assert_eq!(preview["token"], Value::Null, "{value}: {preview}");
        let purge = privctl
            .clone()
            .env("PRIVCTL_NOW", "2026-11-25T10:00:00Z")
            .args(["--format", "json", "purge-retention"])
            .run()
            .success()
            .json();
        assert!(
            purge["skipped"].to_string().contains("acme"),
            "{value}: {purge}"
        );
    }
    db.cleanup().await;
}

both_dialects! {
    /// A legal hold placed while delete-tenant runs (issue 15's fix: the hold re-read in the
    /// erasing transaction): the run stops before its next batch commits (exit 1), the job stays
    /// open, what was erased stays erased; once the hold is lifted the same command finishes.
    async fn a_hold_placed_during_the_run_stops_it_before_the_next_batch(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 200).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let run = slow_run_after_its_first_batch(&privctl, &db, &token).await;
        db.execute("UPDATE organizations SET legal_hold = TRUE WHERE id = 'acme'").await;
        let stopped = run.finish(Duration::from_secs(120));
        stopped.code(1);
        assert!(stopped.to_string().contains("put under legal hold during the deletion"), "{stopped}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert!(db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'").await > 0);
        assert_no_orphans(&db).await;

        db.execute("UPDATE organizations SET legal_hold = FALSE WHERE id = 'acme'").await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token]).success().json();
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'").await, 0);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed after its third batch committed (issue 14's kill tests, rows phase, at a chosen
    /// point): no orphan, the job open; the same command resumes and ends like one run.
    async fn killed_after_three_batches_it_resumes_to_the_same_end(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 100).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-batches:3")
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--batch-size", "10", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert_no_orphans(&db).await;
        let result = delete_tenant(&privctl, "acme", &["--batch-size", "10", "--confirm", &token])
            .success()
            .json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// Anonymisation in bounded batches (issue 15's named fix): an anonymised table is walked
    /// in pages of --batch-size, each page its own transaction recording its last key. Made to
    /// fail on the fourth page, the run leaves the first three pages anonymised and committed (it
    /// used to anonymise the whole table in one transaction, and leave nothing); the same
    /// command then goes on after the last recorded key and counts each row once.
    async fn an_anonymised_table_goes_in_pages_and_a_resume_goes_on_after_the_last(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        db.execute(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, amount_cents, currency, issued_at) \
             SELECT 1000 + n, 'acme', NULL, 'buyer' || n || '@example.com', 'Buyer ' || n, 100, 'EUR', '2026-10-01T00:00:00Z' \
             FROM (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6 UNION SELECT 7) AS t",
        )
        .await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        assert_eq!(plan_counts(&plan)["invoices"].0, 12, "{plan}");
        let token = token_of(&plan);
        // Invoice 1005 is on the fourth page of four (keys 1, 2, 3 | 4, 5, 1001 | 1002, 1003, 1004 |
        // 1005, 1006, 1007).
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER stop_at_1005 BEFORE UPDATE ON invoices WHEN OLD.id = 1005 \
                 BEGIN SELECT RAISE(ABORT, 'stop here'); END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION stop_at_1005() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN IF OLD.id = 1005 THEN RAISE EXCEPTION 'stop here'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER stop_at_1005 BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION stop_at_1005()"
            }
        })
        .await;
        let failed = delete_tenant(&privctl, "acme", &["--batch-size", "3", "--confirm", &token]);
        failed.code(1);
        const DONE: &str =
            "SELECT count(*) FROM invoices WHERE org_id = 'acme' AND customer_email IS NULL";
        assert_eq!(db.query_i64(DONE).await, 9, "three pages of three committed: {failed}");

        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER stop_at_1005",
            Dialect::Postgres => "DROP TRIGGER stop_at_1005 ON invoices",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--batch-size", "3", "--confirm", &token])
            .success()
            .json();
        assert_eq!(plan_counts(&result)["invoices"].0, 12, "each row counted once: {result}");
        assert_eq!(result["late_rows"], serde_json::json!({}), "{result}");
        assert_eq!(db.query_i64(DONE).await, 12);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Batches sized by time (issue 16): a run with `--batch-time` and a small `--batch-size`
    /// cap ends in the same state as a default run on the same data, in more batches than the
    /// cap allows one of, and reports them with the longest batch's time.
    async fn batches_sized_by_time_end_like_a_default_run(dialect: Dialect) {
        let (by_default, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&by_default, 10001, 100).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        delete_tenant(&privctl, "acme", &["--confirm", &token_of(&plan)]).success();
        let expected = snapshot(&by_default, |_| "1 = 1".to_owned()).await;

        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 100).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let result = delete_tenant(
            &privctl,
            "acme",
            &["--batch-time", "20ms", "--batch-size", "7", "--confirm", &token_of(&plan)],
        )
        .success()
        .json();
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        // At most 7 rows a batch: the 100 messages alone take 15 batches.
        assert!(result["batches"].as_u64().is_some_and(|n| n >= 15), "{result}");
        assert!(result["longest_batch_ms"].is_u64(), "{result}");
        assert_same_rows(&snapshot(&db, |_| "1 = 1".to_owned()).await, &expected, "sized by time");
        assert_no_orphans(&db).await;
        by_default.cleanup().await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed after its third batch with batches sized by time: the same command, sized by
    /// time again, resumes and ends like one run.
    async fn killed_after_three_timed_batches_it_resumes_to_the_same_end(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 100).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let timed = ["--batch-time", "10ms", "--batch-size", "10"];
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-batches:3")
            .args(["--format", "json", "delete-tenant", "--tenant", "acme"])
            .args(timed)
            .args(["--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert_no_orphans(&db).await;
        let mut args = timed.to_vec();
        args.extend(["--confirm", &token]);
        let result = delete_tenant(&privctl, "acme", &args).success().json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        assert_eq!(db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'").await, 0);
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// A `--batch-time` of nothing, over 10s or not a duration is refused (exit 2, naming the
    /// flag) before anything runs, by both commands that take it.
    async fn a_bad_batch_time_exits_2_naming_the_flag(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        for bad in ["0", "0ms", "1h", "11s", "garbage"] {
            for command in [&["delete-tenant", "--tenant", "acme"][..], &["purge-retention"][..]] {
                let out = privctl.clone().args(command).args(["--batch-time", bad]).run();
                out.code(2);
                assert!(out.stderr.contains("--batch-time"), "{bad}: {out}");
            }
        }
        assert_eq!(db.query_i64("SELECT count(*) FROM privctl_confirmations").await, 0);
        db.cleanup().await;
    }
}
