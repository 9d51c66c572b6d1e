//! Two-step confirmation (SPEC section 1, "Two-step confirmation"): a dry run issues a one-time
//! token; `dsar delete --confirm TOKEN` executes only with a token issued for exactly this action,
//! tenant, subject and plan, before it expires, once. Every refusal exits 3, says why on stderr,
//! and deletes nothing.
//!
//! All tests run against the conversational-ai fixture: Jane Doe in acme (contacts 1–3, messages
//! 1–12 with email and phone), John Roe in acme, and Jane again in globex. The tokens of
//! `purge-retention` are bound to more: the plan's cutoffs and holds ([`purge_retention`]).

use serde_json::Value;

use crate::support::fixture::{
    MIGRATIONS_TABLE, TABLES, row_counts, setup, token_of, write_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

const LEDGER_KEY: &str = "confirm-tests-ledger-key-0123456789";
const JANE_EMAIL: &str = "jane.doe@example.com";
const JANE_PHONE: &str = "+49301234567";
const JOHN_EMAIL: &str = "john.roe@example.com";

/// Jane in acme, by email only.
const JANE: [&str; 4] = ["--tenant", "acme", "--email", JANE_EMAIL];
/// Jane in acme, by email and phone (contacts 1–3, messages 1–12).
const JANE_FULL: [&str; 6] = [
    "--tenant", "acme", "--email", JANE_EMAIL, "--phone", JANE_PHONE,
];

/// `privctl --format json dsar preview SUBJECT`: the plan, with its token.
#[track_caller]
fn preview(privctl: &Privctl, subject: &[&str]) -> Value {
    privctl
        .clone()
        .args(["--format", "json", "dsar", "preview"])
        .args(subject.iter().copied())
        .run()
        .success()
        .json()
}

/// `privctl --format json dsar delete SUBJECT --confirm CONFIRM`.
fn confirm(privctl: &Privctl, subject: &[&str], confirm: &str) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "dsar", "delete"])
        .args(subject.iter().copied())
        .args(["--confirm", confirm])
        .run()
}

/// The rows a plan gives for `table`.
#[track_caller]
fn planned_rows(plan: &Value, table: &str) -> i64 {
    plan["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("the plan has no \"tables\" array: {plan}"))
        .iter()
        .find(|entry| entry["table"] == table)
        .and_then(|entry| entry["rows"].as_i64())
        .unwrap_or_else(|| panic!("the plan has no row count for {table}: {plan}"))
}

/// Row counts of every fixture table, plus the ones an erasure would change in place, plus
/// privctl's blob outbox: equal snapshots mean nothing was deleted, anonymised or queued.
async fn snapshot(db: &TestDb) -> Vec<(String, i64)> {
    let mut counts = row_counts(db, TABLES.into_iter().chain([MIGRATIONS_TABLE])).await;
    for (name, sql) in [
        (
            "acme contacts",
            "SELECT count(*) FROM contacts WHERE org_id = 'acme'",
        ),
        (
            "acme messages",
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.org_id = 'acme'",
        ),
        (
            "invoices without customer_email",
            "SELECT count(*) FROM invoices WHERE customer_email IS NULL",
        ),
        (
            "consent_records without contact_id",
            "SELECT count(*) FROM consent_records WHERE contact_id IS NULL",
        ),
        (
            "privctl_blob_outbox",
            "SELECT count(*) FROM privctl_blob_outbox",
        ),
    ] {
        counts.push((name.to_owned(), db.query_i64(sql).await));
    }
    counts
}

async fn acme_contacts(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'")
        .await
}

async fn acme_messages(db: &TestDb) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.org_id = 'acme'",
    )
    .await
}

/// Ledger entries of `dsar delete` with this outcome.
async fn dsar_delete_entries(db: &TestDb, outcome: &str) -> i64 {
    db.query_i64(&format!(
        "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = '{outcome}'"
    ))
    .await
}

/// A refusal: exit 3, stderr mentions every one of `needles` (each an alternative list,
/// case-insensitive), and neither stream repeats the token or Jane's identifiers.
#[track_caller]
fn assert_refused(output: &RunOutput, token: &str, needles: &[&[&str]]) {
    output.code(3);
    let stderr = output.stderr.to_lowercase();
    for alternatives in needles {
        assert!(
            alternatives
                .iter()
                .any(|needle| stderr.contains(&needle.to_lowercase())),
            "stderr should mention one of {alternatives:?}: {output}"
        );
    }
    let secret = token.strip_prefix("pct_").unwrap_or(token);
    for (stream, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(
            !text.contains(secret),
            "{stream} repeats the token: {output}"
        );
        for identifier in [JANE_EMAIL, JANE_PHONE] {
            assert!(
                !text.contains(identifier),
                "{stream} prints the subject's identifier {identifier}: {output}"
            );
        }
    }
}

/// An execution: exit 0 and `"executed": true`.
#[track_caller]
fn assert_executed(output: &RunOutput) -> Value {
    let result = output.success().json();
    assert_eq!(
        result["executed"],
        Value::Bool(true),
        "expected \"executed\": true: {output}"
    );
    result
}

/// Every `schema.table.column` of the database (privctl's own tables included).
async fn all_columns(db: &TestDb) -> Vec<(String, String)> {
    let sql = match db.dialect {
        Dialect::Sqlite => {
            "SELECT '\"' || m.name || '\"' || '|' || '\"' || p.name || '\"' \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        }
        Dialect::Postgres => {
            "SELECT '\"' || table_schema || '\".\"' || table_name || '\"' || '|' || '\"' || column_name || '\"' \
             FROM information_schema.columns \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        }
    };
    db.query_strings(sql)
        .await
        .into_iter()
        .map(|line| {
            let (table, column) = line.split_once('|').expect("table|column");
            (table.to_owned(), column.to_owned())
        })
        .collect()
}

/// Where `needle` occurs in any value of any column of any table, as `table.column` names.
async fn occurrences(db: &TestDb, needle: &str) -> Vec<String> {
    assert!(
        needle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    );
    let mut found = Vec::new();
    for (table, column) in all_columns(db).await {
        let count = db
            .query_i64(&format!(
                "SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE '%{needle}%'"
            ))
            .await;
        if count > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

both_dialects! {
    async fn an_unknown_token_is_refused_and_nothing_is_deleted(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        // The real token with its last character changed: well-formed, never issued.
        let mut unknown = token.clone();
        let last = unknown.pop().expect("a token");
        unknown.push(if last == '0' { '1' } else { '0' });
        let before = snapshot(&db).await;
        let rejected = dsar_delete_entries(&db, "rejected").await;

        let output = confirm(&privctl, &JANE, &unknown);

        assert_refused(&output, &unknown, &[&["unknown", "not known", "not found", "no such"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(acme_contacts(&db).await, 7);
        assert_eq!(acme_messages(&db).await, 24);
        assert_eq!(dsar_delete_entries(&db, "rejected").await, rejected + 1);
        db.cleanup().await;
    }

    async fn an_expired_token_is_refused_and_nothing_is_deleted(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let plan = preview(&privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:00:00Z"), &JANE);
        let token = token_of(&plan);
        let expires_at = plan["expires_at"].as_str().unwrap_or_default();
        assert!(
            expires_at.starts_with("2026-11-01T12:15:00"),
            "the default ttl is 15 minutes: expires_at = {expires_at:?}"
        );
        let before = snapshot(&db).await;

        let output = confirm(
            &privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:16:00Z"),
            &JANE,
            &token,
        );

        assert_refused(&output, &token, &[&["expired"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(acme_contacts(&db).await, 7);
        assert_eq!(acme_messages(&db).await, 24);
        db.cleanup().await;
    }

    async fn a_token_confirmed_before_it_expires_is_accepted(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(
            &privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:00:00Z"),
            &JANE,
        ));

        let output = confirm(
            &privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:14:00Z"),
            &JANE,
            &token,
        );

        assert_executed(&output);
        assert_eq!(acme_contacts(&db).await, 6, "contact 1 is erased");
        assert_eq!(acme_messages(&db).await, 19, "messages 1-5 are erased");
        db.cleanup().await;
    }

    async fn a_token_lives_as_long_as_the_maps_confirm_ttl(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = write_map_copy(&db, "ttl.toml", "ttl = \"15m\"", "ttl = \"1h\"");
        let privctl = privctl.map(&map);
        let plan = preview(&privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:00:00Z"), &JANE);
        let expires_at = plan["expires_at"].as_str().unwrap_or_default();
        assert!(
            expires_at.starts_with("2026-11-01T13:00:00"),
            "confirm.ttl = \"1h\": expires_at = {expires_at:?}"
        );

        // 45 minutes: past the default 15, within the map's hour.
        let output = confirm(
            &privctl.clone().env("PRIVCTL_NOW", "2026-11-01T12:45:00Z"),
            &JANE,
            &token_of(&plan),
        );

        assert_executed(&output);
        assert_eq!(acme_contacts(&db).await, 6);
        db.cleanup().await;
    }

    async fn a_used_token_cannot_be_replayed(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        assert_executed(&confirm(&privctl, &JANE, &token));
        assert_eq!(acme_contacts(&db).await, 6);
        let after_first = snapshot(&db).await;
        let rejected = dsar_delete_entries(&db, "rejected").await;

        let replay = confirm(&privctl, &JANE, &token);

        assert_refused(&replay, &token, &[&["used", "consumed"]]);
        assert_eq!(snapshot(&db).await, after_first, "the replay changed data");
        assert_eq!(
            dsar_delete_entries(&db, "rejected").await,
            rejected + 1,
            "the ledger records the refused replay"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL")
                .await,
            1
        );
        db.cleanup().await;
    }

    async fn a_token_for_another_tenant_is_refused_and_nothing_is_deleted(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        let before = snapshot(&db).await;
        let globex_jane = ["--tenant", "globex", "--email", JANE_EMAIL];

        let output = confirm(&privctl, &globex_jane, &token);

        assert_refused(&output, &token, &[&["tenant"], &["globex"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'globex'").await,
            3,
            "Jane's globex contact is untouched"
        );
        // The mistake cost nothing: the token still works for what it was issued for.
        assert_executed(&confirm(&privctl, &JANE, &token));
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'globex'").await,
            3
        );
        db.cleanup().await;
    }

    async fn a_token_for_another_subject_is_refused_and_nothing_is_deleted(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        let before = snapshot(&db).await;
        let john = ["--tenant", "acme", "--email", JOHN_EMAIL];

        let output = confirm(&privctl, &john, &token);

        assert_refused(&output, &token, &[&["subject"]]);
        assert!(
            !output.stderr.contains(JOHN_EMAIL),
            "stderr prints John's email: {output}"
        );
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE id = 4").await,
            1,
            "John is untouched"
        );
        assert_executed(&confirm(&privctl, &JANE, &token));
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE id = 4").await,
            1,
            "John is untouched"
        );
        db.cleanup().await;
    }

    async fn a_token_is_bound_to_every_identifier_of_the_subject(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        // Issued for email and phone (contacts 1-3), confirmed with the email alone (contact 1).
        let token = token_of(&preview(&privctl, &JANE_FULL));
        let before = snapshot(&db).await;

        let output = confirm(&privctl, &JANE, &token);

        assert_refused(&output, &token, &[&["subject"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        db.cleanup().await;
    }

    async fn a_token_binds_the_subject_not_the_spelling_of_its_identifiers(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE_FULL));

        // The same subject: identifiers in another order, spelt as the fixture stores them.
        let respelt = [
            "--tenant",
            "acme",
            "--phone",
            "+49 (30) 1234567",
            "--email",
            " Jane.Doe@Example.COM ",
        ];
        let output = confirm(&privctl, &respelt, &token);

        assert_executed(&output);
        assert_eq!(acme_contacts(&db).await, 4, "contacts 1-3 are erased");
        assert_eq!(acme_messages(&db).await, 12, "messages 1-12 are erased");
        db.cleanup().await;
    }

    async fn two_runs_racing_with_one_token_execute_once(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));

        let runs: Vec<RunOutput> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|_| scope.spawn(|| confirm(&privctl, &JANE, &token)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a run panicked"))
                .collect()
        });

        let executed = runs.iter().filter(|run| run.code == 0).count();
        assert_eq!(executed, 1, "exactly one run executes: {} / {}", runs[0], runs[1]);
        let loser = runs.iter().find(|run| run.code != 0).expect("one run lost");
        assert!(
            loser.code == 3 || loser.code == 75,
            "the other run is refused (3) or finds the work locked (75): {loser}"
        );
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL")
                .await,
            1
        );
        db.cleanup().await;
    }

    async fn a_token_for_another_action_is_refused_naming_the_action(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        assert_eq!(db.query_i64("SELECT count(*) FROM privctl_confirmations").await, 1);
        // The only token there is: make it a delete-tenant token.
        db.execute("UPDATE privctl_confirmations SET action = 'delete-tenant'").await;
        let before = snapshot(&db).await;

        let output = confirm(&privctl, &JANE, &token);

        assert_refused(&output, &token, &[&["delete-tenant"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(acme_contacts(&db).await, 7);
        assert_eq!(acme_messages(&db).await, 24);
        db.cleanup().await;
    }

    async fn with_require_distinct_actor_only_another_actor_can_confirm(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = write_map_copy(
            &db,
            "four-eyes.toml",
            "require_distinct_actor = false",
            "require_distinct_actor = true",
        );
        let privctl = privctl.map(&map);
        // Issued by the harness's actor, tester@test.
        let token = token_of(&preview(&privctl, &JANE));
        let before = snapshot(&db).await;

        let same_actor = confirm(&privctl, &JANE, &token);

        assert_refused(&same_actor, &token, &[&["require_distinct_actor", "distinct", "someone else", "another actor", "second person"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");

        let other_actor = privctl
            .clone()
            .args(["--actor", "reviewer@test", "--format", "json", "dsar", "delete"])
            .args(JANE)
            .args(["--confirm", &token])
            .run();

        assert_executed(&other_actor);
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(
            db.query_strings(
                "SELECT actor FROM privctl_ledger WHERE action = 'dsar-delete' ORDER BY seq DESC LIMIT 1"
            )
            .await,
            ["reviewer@test"],
            "the ledger names the confirming actor"
        );
        db.cleanup().await;
    }

    async fn a_row_added_since_the_dry_run_is_refused_showing_the_counts(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let plan = preview(&privctl, &JANE_FULL);
        let token = token_of(&plan);
        let planned = planned_rows(&plan, "messages");
        assert_eq!(planned, 12, "Jane's messages by email and phone: 1-12");
        db.execute(
            "INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             VALUES (90, 1, 'customer', 'One more thing about my parcel.', '2026-10-12T10:00:00Z')",
        )
        .await;
        let before = snapshot(&db).await;
        let rejected = dsar_delete_entries(&db, "rejected").await;

        let output = confirm(&privctl, &JANE_FULL, &token);

        assert_refused(
            &output,
            &token,
            &[&["messages"], &[&planned.to_string()], &[&(planned + 1).to_string()]],
        );
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(acme_contacts(&db).await, 7);
        assert_eq!(acme_messages(&db).await, 25);
        assert_eq!(dsar_delete_entries(&db, "rejected").await, rejected + 1);

        // A fresh dry run sees the new message, and its token works.
        let fresh = preview(&privctl, &JANE_FULL);
        assert_eq!(planned_rows(&fresh, "messages"), planned + 1);
        assert_executed(&confirm(&privctl, &JANE_FULL, &token_of(&fresh)));
        assert_eq!(acme_contacts(&db).await, 4, "contacts 1-3 are erased");
        assert_eq!(acme_messages(&db).await, 12, "messages 1-12 and 90 are erased");
        assert_eq!(db.query_i64("SELECT count(*) FROM messages WHERE id = 90").await, 0);
        db.cleanup().await;
    }

    async fn a_row_swapped_for_another_since_the_dry_run_is_refused(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let plan = preview(&privctl, &JANE_FULL);
        let token = token_of(&plan);
        let planned = planned_rows(&plan, "messages");
        // Same count, different rows: message 5 goes, message 91 comes, both in conversation 1.
        db.execute(
            "DELETE FROM messages WHERE id = 5; \
             INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             VALUES (91, 1, 'customer', 'A different message.', '2026-10-12T09:06:00Z')",
        )
        .await;
        let before = snapshot(&db).await;

        let output = confirm(&privctl, &JANE_FULL, &token);

        assert_refused(
            &output,
            &token,
            &[&["messages"], &["not the same rows", "different rows", "other rows", "rows differ"]],
        );
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        assert_eq!(db.query_i64("SELECT count(*) FROM messages WHERE id = 91").await, 1);

        // The refusal did not use the token up: with the data back as planned, it works.
        db.execute(
            "DELETE FROM messages WHERE id = 91; \
             INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             VALUES (5, 1, 'customer', 'Great, please ship it to Hauptstraße 1, 10115 Berlin.', \
             '2026-10-12T09:06:00Z')",
        )
        .await;
        let result = assert_executed(&confirm(&privctl, &JANE_FULL, &token));
        assert_eq!(planned_rows(&result, "messages"), planned);
        assert_eq!(acme_messages(&db).await, 12);
        db.cleanup().await;
    }

    async fn a_failed_run_leaves_the_token_usable(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        // The database refuses to delete messages: the erasure fails half-way.
        match dialect {
            Dialect::Sqlite => {
                db.execute(
                    "CREATE TRIGGER refuse_message_delete BEFORE DELETE ON messages \
                     BEGIN SELECT RAISE(ABORT, 'messages are locked by a test'); END",
                )
                .await;
            }
            Dialect::Postgres => {
                db.execute(
                    "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'messages are locked by a test'; END $$; \
                     CREATE TRIGGER refuse_message_delete BEFORE DELETE ON messages \
                     FOR EACH ROW EXECUTE FUNCTION refuse_delete()",
                )
                .await;
            }
        }
        let before = snapshot(&db).await;

        let failed = confirm(&privctl, &JANE, &token);

        failed.code(1);
        assert_eq!(snapshot(&db).await, before, "a failed run left part of its work");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL")
                .await,
            0,
            "a failed run consumed the token"
        );

        match dialect {
            Dialect::Sqlite => db.execute("DROP TRIGGER refuse_message_delete").await,
            Dialect::Postgres => {
                db.execute("DROP TRIGGER refuse_message_delete ON messages").await;
            }
        }
        assert_executed(&confirm(&privctl, &JANE, &token));
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(acme_messages(&db).await, 19);
        db.cleanup().await;
    }

    async fn the_dry_run_of_dsar_delete_issues_a_token_and_changes_nothing(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db).await;

        let dry_run = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete"])
            .args(JANE)
            .run();

        let plan = dry_run.success().json();
        assert_ne!(plan["executed"], Value::Bool(true), "a dry run executed: {dry_run}");
        assert_eq!(snapshot(&db).await, before, "the dry run changed data");
        assert_executed(&confirm(&privctl, &JANE, &token_of(&plan)));
        assert_eq!(acme_contacts(&db).await, 6);
        db.cleanup().await;
    }

    async fn confirm_dash_reads_a_bare_token_from_stdin(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));

        let output = confirm(&privctl.clone().stdin(format!("{token}\n")), &JANE, "-");

        assert_executed(&output);
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(acme_messages(&db).await, 19);
        db.cleanup().await;
    }

    async fn confirm_dash_reads_the_dry_runs_json_from_stdin(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let preview_output = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview"])
            .args(JANE)
            .run();
        preview_output.success();

        let output = confirm(
            &privctl.clone().stdin(preview_output.stdout_bytes.clone()),
            &JANE,
            "-",
        );

        assert_executed(&output);
        assert_eq!(acme_contacts(&db).await, 6);
        assert_eq!(acme_messages(&db).await, 19);
        db.cleanup().await;
    }

    async fn confirm_dash_with_nothing_on_stdin_is_refused(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let token = token_of(&preview(&privctl, &JANE));
        let before = snapshot(&db).await;

        let output = confirm(&privctl, &JANE, "-");

        assert_refused(&output, &token, &[&["stdin", "standard input"]]);
        assert_eq!(snapshot(&db).await, before, "a refused run changed data");
        db.cleanup().await;
    }

    async fn the_plain_token_never_appears_in_the_database(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let first = token_of(&preview(&privctl, &JANE));
        let dry_run = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete"])
            .args(JANE_FULL)
            .run();
        let second = token_of(&dry_run.success().json());
        // A refusal (recorded in the ledger) and an execution (which consumes the token).
        confirm(&privctl, &["--tenant", "globex", "--email", JANE_EMAIL], &first).code(3);
        assert_executed(&confirm(&privctl, &JANE_FULL, &second));
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations").await,
            2,
            "one stored confirmation per token"
        );

        // The search finds what is stored: the hash of a token.
        let stored_hash = db
            .query_strings("SELECT token_hash FROM privctl_confirmations")
            .await
            .remove(0);
        assert!(!occurrences(&db, &stored_hash).await.is_empty(), "the search finds nothing");
        for token in [&first, &second] {
            let secret = token.strip_prefix("pct_").expect("tokens start with pct_");
            let found = occurrences(&db, secret).await;
            assert!(found.is_empty(), "the plain token {token} is stored in {found:?}");
            if dialect == Dialect::Sqlite {
                let path = db.url.strip_prefix("sqlite://").expect("a sqlite URL");
                for file in [path.to_owned(), format!("{path}-wal"), format!("{path}-journal")] {
                    if let Ok(bytes) = std::fs::read(&file) {
                        assert!(
                            !bytes.windows(secret.len()).any(|window| window == secret.as_bytes()),
                            "the plain token {token} is in the bytes of {file}"
                        );
                    }
                }
            }
        }
        db.cleanup().await;
    }

    async fn tokens_carry_at_least_128_random_bits(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let tokens: Vec<String> = (0..3).map(|_| token_of(&preview(&privctl, &JANE))).collect();

        for token in &tokens {
            let random = token
                .strip_prefix("pct_")
                .unwrap_or_else(|| panic!("a token starts with pct_: {token}"));
            assert!(
                random.len() >= 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
                "a token carries at least 32 hex digits (128 bits): {token}"
            );
        }
        for (i, token) in tokens.iter().enumerate() {
            for other in &tokens[i + 1..] {
                assert_ne!(token, other, "two dry runs issued the same token");
                let shared = token.chars().zip(other.chars()).take_while(|(a, b)| a == b).count();
                assert!(shared < 12, "tokens share a long prefix: {token} {other}");
            }
        }
        db.cleanup().await;
    }
}

/// `purge-retention --confirm TOKEN`: the token is bound to the plan's tenant selector, cutoffs
/// and holds, expires, and works once (with the purge's own fixture and helpers, at its fixed
/// "now").
mod purge_retention {
    use crate::cli::purge_retention::{
        NOW, assert_purged_exactly, confirm, deleted_counts, dry_run, fixture, fixture_purged, ids,
        planned_counts, purge, shift,
    };
    use crate::support::fixture::{everything, token_of};
    use crate::support::{Dialect, both_dialects};

    both_dialects! {
        /// A token works only for its tenant selector: acme's token is refused (exit 3, nothing
        /// deleted) without --tenant and for hooli, still works for acme afterwards (a rejection
        /// does not use it up), deletes exactly acme's expired rows, and cannot be replayed.
        async fn a_token_works_once_and_only_for_its_tenant(dialect: Dialect) {
            let (db, privctl) = fixture(dialect).await;
            let before = everything(&db).await;

            let acme_plan = dry_run(&privctl, &["--tenant", "acme"]);
            let token = token_of(&acme_plan);
            for tenant_args in [&[][..], &["--tenant", "hooli"][..]] {
                let run = purge(&privctl, &[tenant_args, &["--confirm", token.as_str()][..]].concat());
                run.code(3);
                assert_eq!(everything(&db).await, before, "{run}");
            }
            let result = confirm(&privctl, &acme_plan, &["--tenant", "acme"]);
            assert_eq!(result["total_rows"], 18, "{result}");
            let acme = ids(&[
                ("conversations", &[3, 5, 6, 7]),
                ("messages", &[10, 11, 12, 16, 17, 18, 19, 20, 21, 22]),
                ("recordings", &[1]),
                ("transcripts", &[1]),
                ("agent_traces", &[4, 6]),
            ]);
            let after_acme = everything(&db).await;
            assert_purged_exactly(&before, &after_acme, &acme, "acme's token");

            let run = purge(&privctl, &["--tenant", "acme", "--confirm", token.as_str()]);
            run.code(3);
            assert!(run.stderr.contains("used"), "{run}");
            assert_eq!(everything(&db).await, after_acme, "a replayed token");
            db.cleanup().await;
        }

        /// A token is bound to its plan's cutoffs and holds, and expires: acme moved to another
        /// tier, or hooli put on hold, between the steps is exit 3 naming the tenant, as is a
        /// confirmation after the 15 minutes; nothing is deleted and no job starts. With the
        /// plan's state restored and in time, the same token deletes exactly the plan.
        async fn a_token_is_refused_when_cutoffs_or_holds_changed_or_it_expired(dialect: Dialect) {
            let (db, privctl) = fixture(dialect).await;
            let before = everything(&db).await;
            let plan = dry_run(&privctl, &[]);
            let token = token_of(&plan);

            // acme changes tier between the dry run and the confirmation.
            db.execute("UPDATE organizations SET plan = 'scale' WHERE id = 'acme'")
                .await;
            let changed = everything(&db).await;
            let run = purge(&privctl, &["--confirm", token.as_str()]);
            run.code(3);
            assert!(run.stderr.contains("acme"), "says what changed: {run}");
            assert_eq!(everything(&db).await, changed, "nothing deleted");

            // Back on its tier, but hooli is put on legal hold.
            db.execute(
                "UPDATE organizations SET plan = 'growth' WHERE id = 'acme'; \
                 UPDATE organizations SET legal_hold = TRUE WHERE id = 'hooli'",
            )
            .await;
            let held = everything(&db).await;
            let run = purge(&privctl, &["--confirm", token.as_str()]);
            run.code(3);
            assert!(run.stderr.contains("hooli"), "says what changed: {run}");
            assert_eq!(everything(&db).await, held, "nothing deleted");

            // The hold lifted, but 16 minutes later: expired.
            db.execute("UPDATE organizations SET legal_hold = FALSE WHERE id = 'hooli'")
                .await;
            let late = privctl.clone().env("PRIVCTL_NOW", shift(NOW, 16 * 60));
            let run = purge(&late, &["--confirm", token.as_str()]);
            run.code(3);
            assert!(run.stderr.contains("expired"), "{run}");
            assert_eq!(everything(&db).await, before, "nothing deleted");
            assert_eq!(db.query_i64("SELECT count(*) FROM privctl_jobs").await, 0);

            let result = confirm(&privctl, &plan, &[]);
            assert_eq!(deleted_counts(&result), planned_counts(&plan), "{result}");
            assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "in time");
            db.cleanup().await;
        }
    }
}
