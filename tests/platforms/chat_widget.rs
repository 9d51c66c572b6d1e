//! The chat-widget platform (fixtures/chat-widget, PLATFORMS.md "chat-widget"), end to end on
//! both databases: an end-user found by an email inside JSON custom fields (a path in
//! `visitors.captured_fields`, `any` in `form_submissions.answers`) is exported and deleted and
//! nobody else is; transcripts and technical logs older than 30 days are purged and nothing
//! younger; every export, deletion and access is in the ledger, which verifies; a workspace is
//! exported and deleted whole. The expected ids come from fixtures/chat-widget/README.md and are
//! checked against plain SQL.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::bundle::ids_where;
use crate::support::fixture::columns;
use crate::support::fixture::{plan_counts, token_of};
use crate::support::run;
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

/// The fixture's folder name under fixtures/.
const FIXTURE: &str = "chat-widget";

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "chat-widget-tests-ledger-key-5e21";

/// "Now" for every run (README, "Timestamps"), and the 30-day cutoff it gives.
const NOW: &str = "2026-11-25T10:00:00Z";
const CUTOFF: &str = "2026-10-26T10:00:00Z";

/// Ana's email as an operator might type it: it is trimmed and lower-cased before matching.
const ANA_EMAIL: [&str; 2] = ["--email", "  Ana@Example.COM "];

/// Text that names Ana (her email, phone digits, external id): never in the ledger or stderr.
const ANA_IDENTIFIERS: [&str; 4] = ["ana@", "example.com", "912345678", "shop-1001"];

/// Every business table of the fixture, parents before children.
const TABLES: [&str; 7] = [
    "workspaces",
    "widgets",
    "visitors",
    "chat_sessions",
    "chat_messages",
    "form_submissions",
    "technical_logs",
];

/// The table the map ignores (shared presets, no personal data).
const IGNORED_TABLE: &str = "widget_themes";

type Ids = BTreeMap<String, Vec<i64>>;

/// Builds an id map from `(table, ids)` pairs, leaving out tables without ids.
fn ids(pairs: &[(&str, &[i64])]) -> Ids {
    pairs
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(table, ids)| ((*table).to_owned(), ids.to_vec()))
        .collect()
}

/// Ana's rows in ws_acme found by `--email` (README, "Ana's rows in ws_acme").
fn ana_by_email() -> Ids {
    ids(&[
        ("visitors", &[1, 2]),
        ("chat_sessions", &[1, 2, 3]),
        ("chat_messages", &[1, 2, 3, 4, 5, 6, 7, 8]),
        ("technical_logs", &[1, 2, 3, 4]),
        ("form_submissions", &[1, 2, 3]),
    ])
}

/// Ana's visitor 1 in ws_acme, as `--identity external_id=shop-1001` or `--phone` finds it.
fn ana_visitor_1() -> Ids {
    ids(&[
        ("visitors", &[1]),
        ("chat_sessions", &[1, 2]),
        ("chat_messages", &[1, 2, 3, 4, 5]),
        ("technical_logs", &[1, 2, 4]),
        ("form_submissions", &[1]),
    ])
}

/// Ana's rows in ws_globex (README, "Ana in ws_globex").
fn ana_in_globex() -> Ids {
    ids(&[
        ("visitors", &[101]),
        ("chat_sessions", &[101, 102]),
        ("chat_messages", &[101, 102, 103]),
        ("technical_logs", &[101, 102]),
        ("form_submissions", &[101, 102]),
    ])
}

/// What purge-retention deletes at [`NOW`] (README, "Timestamps").
fn expired() -> Ids {
    ids(&[
        ("chat_sessions", &[2, 5, 7, 102]),
        ("chat_messages", &[4, 5, 11, 12, 15, 103]),
        ("technical_logs", &[2, 6, 8, 10, 102, 104]),
    ])
}

fn counts_of(ids: &Ids) -> BTreeMap<String, u64> {
    ids.iter()
        .map(|(table, ids)| (table.clone(), ids.len() as u64))
        .collect()
}

/// The platform's [`setup`](super::setup); the runner has the ledger key and [`NOW`].
async fn setup(dialect: Dialect) -> (TestDb, Privctl) {
    let envs = [("PRIVCTL_LEDGER_KEY", LEDGER_KEY), ("PRIVCTL_NOW", NOW)];
    super::setup(dialect, FIXTURE, &envs).await
}

/// `privctl --format json dsar <verb> --tenant <workspace> <subject…> <extra…>`.
fn dsar(
    privctl: &Privctl,
    verb: &str,
    workspace: &str,
    subject: &[&str],
    extra: &[&str],
) -> RunOutput {
    let mut args = vec!["dsar", verb, "--tenant", workspace];
    args.extend_from_slice(subject);
    args.extend_from_slice(extra);
    run(privctl, &args)
}

/// The condition that selects one workspace's rows of a fixture table.
fn in_workspace(table: &str, workspace: &str) -> String {
    match table {
        "workspaces" => format!("id = '{workspace}'"),
        "chat_messages" => format!(
            "session_id IN (SELECT id FROM chat_sessions WHERE workspace_id = '{workspace}')"
        ),
        _ => format!("workspace_id = '{workspace}'"),
    }
}

/// `1, 2, 3` for an SQL `IN (…)`; `NULL` (matches nothing) for none.
fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "NULL".to_owned();
    }
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of every table (the ignored one too), each as `key -> text of all its columns`:
/// compare two snapshots to prove what changed and what did not.
async fn snapshot(db: &TestDb) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut snapshot = BTreeMap::new();
    for table in TABLES.iter().copied().chain([IGNORED_TABLE]) {
        let key = if table == IGNORED_TABLE { "name" } else { "id" };
        let row_text = columns(db, table)
            .await
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS TEXT), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows = db
            .query_strings(&format!(
                "SELECT CAST({key} AS TEXT) || '=' || {row_text} FROM {table} ORDER BY {key}"
            ))
            .await
            .into_iter()
            .map(|row| {
                let (key, text) = row.split_once('=').expect("key=row");
                (key.to_owned(), text.to_owned())
            })
            .collect();
        snapshot.insert(table.to_owned(), rows);
    }
    snapshot
}

/// `before` without the rows `gone` lists: what must be left after erasing exactly those.
fn without(
    before: &BTreeMap<String, BTreeMap<String, String>>,
    gone: &Ids,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut left = before.clone();
    for (table, ids) in gone {
        let rows = left.get_mut(table).expect("a fixture table");
        for id in ids {
            assert!(
                rows.remove(&id.to_string()).is_some(),
                "{table} {id} is not in the fixture"
            );
        }
    }
    left
}

/// The ids per table of a bundle, tables without rows left out, ids sorted.
fn bundle_ids(bundle: &Value) -> Ids {
    bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"))
        .iter()
        .filter(|(table, _)| table.as_str() != "workspaces")
        .filter_map(|(table, rows)| {
            let mut ids: Vec<i64> = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array"))
                .iter()
                .map(|row| {
                    row["id"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("a {table} row has no integer id: {row}"))
                })
                .collect();
            ids.sort_unstable();
            (!ids.is_empty()).then(|| (table.clone(), ids))
        })
        .collect()
}

/// A JSON column's value in a bundle: nested JSON (PostgreSQL's jsonb), or its text (SQLite
/// stores JSON as TEXT), parsed.
fn json_document(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text)
            .unwrap_or_else(|error| panic!("not a JSON document ({error}): {text}")),
        other => other.clone(),
    }
}

/// The bundle's row of `table` with this id.
#[track_caller]
fn bundle_row<'a>(bundle: &'a Value, table: &str, id: i64) -> &'a Value {
    bundle["tables"][table]
        .as_array()
        .unwrap_or_else(|| panic!("no {table} in the bundle"))
        .iter()
        .find(|row| row["id"] == id)
        .unwrap_or_else(|| panic!("no {table} {id} in the bundle"))
}

/// Writes a bundle with `args` (`--out` is added) and returns stdout's JSON and the bundle.
fn write_bundle(db: &TestDb, privctl: &Privctl, name: &str, args: &[&str]) -> (Value, Value) {
    let out = db.dir().join(name);
    let mut args = args.to_vec();
    args.extend(["--out", out.to_str().expect("a UTF-8 path")]);
    let summary = run(privctl, &args).success().json();
    let bytes = std::fs::read(&out)
        .unwrap_or_else(|error| panic!("cannot read the bundle {}: {error}", out.display()));
    let bundle = serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("the bundle {} is not JSON: {error}", out.display()));
    (summary, bundle)
}

/// The rows a subject selection holds by the platform's links, in plain SQL: the visitors'
/// sessions, their messages, their technical logs (through session_id, which has no foreign
/// key), and the visitors' forms plus `other_forms` (found by the email in their answers).
async fn subject_rows_by_sql(db: &TestDb, visitors: &[i64], other_forms: &[i64]) -> Ids {
    let visitor_list = id_list(visitors);
    let sessions = ids_where(
        db,
        "chat_sessions",
        &format!("visitor_id IN ({visitor_list})"),
    )
    .await;
    let session_list = id_list(&sessions);
    let messages = ids_where(
        db,
        "chat_messages",
        &format!("session_id IN ({session_list})"),
    )
    .await;
    let logs = ids_where(
        db,
        "technical_logs",
        &format!("session_id IN ({session_list})"),
    )
    .await;
    let forms = ids_where(
        db,
        "form_submissions",
        &format!(
            "visitor_id IN ({visitor_list}) OR id IN ({})",
            id_list(other_forms)
        ),
    )
    .await;
    ids(&[
        ("visitors", visitors),
        ("chat_sessions", &sessions),
        ("chat_messages", &messages),
        ("technical_logs", &logs),
        ("form_submissions", &forms),
    ])
}

/// Fails when a row points at a missing parent: SQLite's foreign key check, and in plain SQL
/// every foreign key and the declared link technical_logs.session_id.
async fn assert_no_orphans(db: &TestDb) {
    crate::support::fixture::assert_no_orphans_through(
        db,
        [
            ("chat_sessions", "visitor_id", "visitors"),
            ("chat_messages", "session_id", "chat_sessions"),
            ("form_submissions", "visitor_id", "visitors"),
            ("technical_logs", "session_id", "chat_sessions"),
            ("visitors", "widget_id", "widgets"),
        ],
    )
    .await;
}

/// Every row of the ledger, all columns as text.
async fn ledger_rows(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || at || '|' || actor || '|' || host || '|' || action \
         || '|' || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') || '|' \
         || COALESCE(resource, '') || '|' || outcome || '|' || details || '|' || prev_hash \
         || '|' || hash FROM privctl_ledger ORDER BY seq",
    )
    .await
}

/// `action:outcome@tenant` of every ledger entry, in order.
async fn ledger_actions(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT action || ':' || outcome || '@' || COALESCE(tenant, '-') \
         FROM privctl_ledger ORDER BY seq",
    )
    .await
}

/// Fails when a text names Ana.
#[track_caller]
fn assert_names_nobody(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for identifier in ANA_IDENTIFIERS {
        assert!(
            !lower.contains(identifier),
            "{what} names the subject ({identifier}): {text}"
        );
    }
}

both_dialects! {
    /// The map accounts for every table (widget_themes ignored) with no problem and no
    /// warning: the JSON identities, the declared link of technical_logs and every window.
    async fn the_chat_widget_map_passes_map_check(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let check = run(&privctl, &["map", "check"]);
        let report = check.success().json();
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["problems"], serde_json::json!([]), "{report}");
        assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
        db.cleanup().await;
    }

    /// `--email` finds Ana's visitors by `$.email` in captured_fields (stored with spaces and in
    /// other case) and her offline forms by `any` in answers (an array, a nested object); the
    /// export holds exactly those rows and their sessions, messages and technical logs, as
    /// plain SQL finds them, with the stored JSON intact. The near miss, Bruno's form that
    /// mentions her email in a sentence, and her rows in ws_globex are not in it.
    async fn a_visitor_found_by_email_in_json_fields_is_exported_with_exactly_their_rows(
        dialect: Dialect
    ) {
        let (db, privctl) = setup(dialect).await;

        let preview = dsar(&privctl, "preview", "ws_acme", &ANA_EMAIL, &[]).success().json();
        let expected = ana_by_email();
        assert_eq!(
            plan_counts(&preview),
            expected
                .iter()
                .map(|(table, ids)| (table.clone(), (ids.len() as u64, "delete".to_owned())))
                .collect(),
            "{preview}"
        );
        assert_eq!(preview["total_rows"], 20, "{preview}");

        let (summary, bundle) = write_bundle(
            &db,
            &privctl,
            "ana.json",
            &["dsar", "export", "--tenant", "ws_acme", ANA_EMAIL[0], ANA_EMAIL[1]],
        );
        assert_eq!(summary["total_rows"], 20, "{summary}");
        assert_eq!(bundle["kind"], "subject");
        assert_eq!(bundle["tenant"], "ws_acme");
        assert_eq!(bundle_ids(&bundle), expected, "the bundle holds exactly Ana's rows");
        assert_eq!(
            subject_rows_by_sql(&db, &[1, 2], &[2, 3]).await,
            expected,
            "plain SQL agrees with the README"
        );
        let manifest: BTreeMap<String, u64> =
            serde_json::from_value(bundle["manifest"]["row_counts"].clone())
                .expect("row counts");
        assert_eq!(
            manifest.into_iter().filter(|(_, n)| *n > 0).collect::<BTreeMap<_, _>>(),
            counts_of(&expected)
        );

        // Found by the path: the stored JSON comes back as stored.
        for id in [1, 2] {
            let stored = db
                .query_strings(&format!(
                    "SELECT CAST(captured_fields AS TEXT) FROM visitors WHERE id = {id}"
                ))
                .await;
            let exported = &bundle_row(&bundle, "visitors", id)["captured_fields"];
            assert!(exported.is_object(), "a JSON column exports as nested JSON: {exported}");
            assert_eq!(
                json_document(exported),
                json_document(&Value::String(stored[0].clone())),
                "visitor {id}"
            );
        }
        assert_eq!(
            json_document(&bundle_row(&bundle, "visitors", 1)["captured_fields"])["email"],
            " Ana@Example.com "
        );
        // Found only by `any`: offline forms without a visitor, the email in an array element
        // and in a nested object.
        for id in [2, 3] {
            let form = bundle_row(&bundle, "form_submissions", id);
            assert_eq!(form["visitor_id"], Value::Null, "form {id}: {form}");
        }
        assert_eq!(
            json_document(&bundle_row(&bundle, "form_submissions", 2)["answers"])[0]["value"],
            " ANA@example.COM"
        );
        assert_eq!(
            json_document(&bundle_row(&bundle, "form_submissions", 3)["answers"])["contact"]
                ["email"],
            "Ana@Example.com "
        );
        let bodies = db
            .query_strings("SELECT body FROM chat_messages WHERE id BETWEEN 1 AND 8 ORDER BY id")
            .await;
        for (id, body) in (1..=8).zip(bodies) {
            assert_eq!(bundle_row(&bundle, "chat_messages", id)["body"], body.as_str());
        }

        // The other identifiers the map names pick out visitor 1 only: the external id exactly
        // (not the near miss shop-10010), the phone inside captured_fields (not …679).
        for (name, subject) in [
            ("external_id", ["--identity", "external_id=shop-1001"]),
            ("phone", ["--phone", "912 345 678"]),
            ("e164", ["--phone", "+351912345678"]),
        ] {
            let (_, bundle) = write_bundle(
                &db,
                &privctl,
                &format!("ana-{name}.json"),
                &["dsar", "export", "--tenant", "ws_acme", subject[0], subject[1]],
            );
            assert_eq!(bundle_ids(&bundle), ana_visitor_1(), "{name}");
        }
        assert_eq!(
            subject_rows_by_sql(&db, &[1], &[]).await,
            ana_visitor_1(),
            "plain SQL agrees with the README"
        );

        // The same email in ws_globex is another workspace's subject: an array of strings there.
        let (_, globex) = write_bundle(
            &db,
            &privctl,
            "ana-globex.json",
            &["dsar", "export", "--tenant", "ws_globex", ANA_EMAIL[0], ANA_EMAIL[1]],
        );
        assert_eq!(bundle_ids(&globex), ana_in_globex());
        assert_eq!(
            subject_rows_by_sql(&db, &[101], &[102]).await,
            ana_in_globex(),
            "plain SQL agrees with the README"
        );
        db.cleanup().await;
    }

    /// `dsar delete` with the preview's token erases exactly Ana's 20 rows in ws_acme: every
    /// other row of every table is byte for byte what it was (the near miss, Bruno, the
    /// anonymous visitor, ws_globex's Ana, the workspace, its widgets, the ignored themes); no
    /// orphan is left, technical logs included; the selection is empty afterwards.
    async fn a_visitor_found_by_email_in_json_fields_is_deleted_and_nobody_else(
        dialect: Dialect
    ) {
        let (db, privctl) = setup(dialect).await;
        let before = snapshot(&db).await;

        let preview = dsar(&privctl, "preview", "ws_acme", &ANA_EMAIL, &[]).success().json();
        let token = token_of(&preview);
        let deleted = dsar(&privctl, "delete", "ws_acme", &ANA_EMAIL, &["--confirm", &token]);
        // Bruno's submission 5 mentions her inside a longer string ("friend of ana@…"): not
        // hers to erase, but the residue scan names it (exit 6, the erasure committed).
        deleted.code(6);
        assert!(deleted.stderr.contains("form_submissions.answers"), "{deleted}");
        let result = deleted.json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            plan_counts(&result)
                .into_iter()
                .map(|(table, (rows, effect))| {
                    assert_eq!(effect, "delete", "{table}");
                    (table, rows)
                })
                .collect::<BTreeMap<_, _>>(),
            counts_of(&ana_by_email()),
            "{result}"
        );

        let after = snapshot(&db).await;
        assert_eq!(after, without(&before, &ana_by_email()), "exactly Ana's rows went");
        for (table, condition) in [
            ("visitors", "id IN (3, 4, 5)"),
            ("chat_sessions", "id BETWEEN 4 AND 7"),
            ("chat_messages", "id BETWEEN 9 AND 15"),
            ("form_submissions", "id IN (4, 5)"),
            ("technical_logs", "id BETWEEN 5 AND 10"),
        ] {
            assert_eq!(
                ids_where(&db, table, &in_workspace(table, "ws_acme")).await,
                ids_where(&db, table, condition).await,
                "ws_acme {table} after the erasure (README)"
            );
        }
        assert_no_orphans(&db).await;

        let again = dsar(&privctl, "preview", "ws_acme", &ANA_EMAIL, &[]).success().json();
        assert_eq!(again["total_rows"], 0, "{again}");
        // A token authorises one run.
        dsar(&privctl, "delete", "ws_acme", &ANA_EMAIL, &["--confirm", &token]).code(3);
        assert_eq!(snapshot(&db).await, after);
        assert_names_nobody("stderr", &deleted.stderr);
        db.cleanup().await;
    }

    /// At a fixed now, the nightly purge deletes every session, message and technical log
    /// older than 30 days, in both workspaces (the session half an hour before the cutoff
    /// included, logs without a session included) and nothing younger (the session half an
    /// hour after it stays); visitors, forms, widgets and the ignored table have no window.
    async fn transcripts_and_technical_logs_older_than_30_days_are_purged_and_nothing_younger(
        dialect: Dialect
    ) {
        let (db, privctl) = setup(dialect).await;
        let before = snapshot(&db).await;

        // The README's expired rows are exactly those older than the cutoff, in plain SQL.
        for (table, timestamp) in [
            ("chat_sessions", "started_at"),
            ("chat_messages", "created_at"),
            ("technical_logs", "logged_at"),
        ] {
            assert_eq!(
                ids_where(&db, table, &format!("{timestamp} < '{CUTOFF}'")).await,
                expired()[table],
                "{table}"
            );
        }

        let plan = run(&privctl, &["purge-retention"]).success().json();
        assert_eq!(plan["action"], "purge-retention", "{plan}");
        let cutoffs = plan["cutoffs"].as_array().expect("cutoffs");
        for workspace in ["ws_acme", "ws_globex"] {
            for table in ["chat_sessions", "chat_messages", "technical_logs"] {
                let entry = cutoffs
                    .iter()
                    .find(|c| c["tenant"] == workspace && c["table"] == table)
                    .unwrap_or_else(|| panic!("no cutoff for {workspace}/{table}: {plan}"));
                assert_eq!(entry["window"], "30d", "{entry}");
                assert_eq!(entry["cutoff"], CUTOFF, "{entry}");
            }
        }
        assert_eq!(
            plan_counts(&plan)
                .into_iter()
                .map(|(table, (rows, _))| (table, rows))
                .collect::<BTreeMap<_, _>>(),
            counts_of(&expired()),
            "{plan}"
        );
        assert_eq!(plan["total_rows"], 16, "{plan}");
        assert_eq!(snapshot(&db).await, before, "the dry run changed rows");

        let token = token_of(&plan);
        let result = run(&privctl, &["purge-retention", "--confirm", &token])
            .success()
            .json();
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["total_rows"], 16, "{result}");
        let deleted: BTreeMap<String, u64> = result["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .filter(|entry| entry["deleted"].as_u64() > Some(0))
            .map(|entry| {
                (
                    entry["table"].as_str().expect("a name").to_owned(),
                    entry["deleted"].as_u64().expect("a count"),
                )
            })
            .collect();
        assert_eq!(deleted, counts_of(&expired()), "{result}");

        let after = snapshot(&db).await;
        assert_eq!(after, without(&before, &expired()), "exactly the expired rows went");
        for (table, timestamp) in [
            ("chat_sessions", "started_at"),
            ("chat_messages", "created_at"),
            ("technical_logs", "logged_at"),
        ] {
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE {timestamp} < '{CUTOFF}'"
                ))
                .await,
                0,
                "{table}: a row older than 30 days is left"
            );
        }
        assert_eq!(
            ids_where(&db, "chat_sessions", "1 = 1").await,
            [1, 3, 4, 6, 101, 103],
            "the sessions younger than 30 days (README)"
        );
        assert_no_orphans(&db).await;

        let again = run(&privctl, &["purge-retention"]).success().json();
        assert_eq!(again["total_rows"], 0, "nothing else is old enough: {again}");
        db.cleanup().await;
    }

    /// Every access (dsar preview), export (dsar export, export-tenant), deletion (dsar delete,
    /// delete-tenant) and purge is one ledger entry per step with its outcome; the DSAR entries
    /// share one keyed subject_ref and no entry names Ana; `audit-verify` passes, and fails
    /// (exit 4) once an entry is altered.
    async fn every_export_deletion_and_access_is_in_the_ledger_and_audit_verify_passes(
        dialect: Dialect
    ) {
        let (db, privctl) = setup(dialect).await;

        let preview = dsar(&privctl, "preview", "ws_acme", &ANA_EMAIL, &[]);
        let token = token_of(&preview.success().json());
        let out = db.dir().join("ana.json");
        let export = dsar(
            &privctl,
            "export",
            "ws_acme",
            &ANA_EMAIL,
            &["--out", out.to_str().expect("UTF-8")],
        );
        let sha256 = export.success().json()["sha256"]
            .as_str()
            .expect("sha256")
            .to_owned();
        let delete = dsar(&privctl, "delete", "ws_acme", &ANA_EMAIL, &["--confirm", &token]);
        delete.code(6); // residue in Bruno's submission 5 (see above)

        let tenant_out = db.dir().join("globex.json");
        run(
            &privctl,
            &["export-tenant", "--tenant", "ws_globex", "--out", tenant_out.to_str().expect("UTF-8")],
        )
        .success();
        let plan = run(&privctl, &["delete-tenant", "--tenant", "ws_globex"]).success().json();
        run(&privctl, &["delete-tenant", "--tenant", "ws_globex", "--confirm", &token_of(&plan)])
            .success();
        let plan = run(&privctl, &["purge-retention"]).success().json();
        run(&privctl, &["purge-retention", "--confirm", &token_of(&plan)]).success();

        assert_eq!(
            ledger_actions(&db).await,
            [
                "dsar-preview:planned@ws_acme",
                "dsar-export:done@ws_acme",
                "dsar-delete:done@ws_acme",
                "dsar-scan:done@ws_acme", // the residue scan after the erasure
                "export-tenant:done@ws_globex",
                "delete-tenant:planned@ws_globex",
                "delete-tenant:started@ws_globex",
                "delete-tenant:done@ws_globex",
                "purge-retention:planned@-",
                "purge-retention:started@-",
                "purge-retention:done@-",
            ]
        );
        let subject_refs = db
            .query_optional_strings(
                "SELECT subject_ref FROM privctl_ledger WHERE action LIKE 'dsar-%' ORDER BY seq",
            )
            .await;
        let first = subject_refs[0].clone().expect("the preview has a subject_ref");
        assert!(
            first.len() == 64 && first.chars().all(|c| c.is_ascii_hexdigit()),
            "subject_ref is a keyed hash: {first}"
        );
        assert!(
            subject_refs.iter().all(|r| r.as_deref() == Some(first.as_str())),
            "{subject_refs:?}"
        );
        let details = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'dsar-export' ORDER BY seq",
            )
            .await;
        assert!(details[0].contains(&sha256), "the export's digest: {}", details[0]);
        let deletion = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'dsar-delete' ORDER BY seq",
            )
            .await;
        let deletion: Value = serde_json::from_str(&deletion[0]).expect("details are JSON");
        assert_eq!(deletion["remaining"], 0, "{deletion}");
        for row in ledger_rows(&db).await {
            assert_names_nobody("the ledger", &row);
        }
        for output in [&preview, &export, &delete] {
            assert_names_nobody("stderr", &output.stderr);
        }

        let verified = run(&privctl, &["audit-verify"]).success().json();
        assert_eq!(verified["ok"], true, "{verified}");
        assert_eq!(verified["entries"], 11, "{verified}");
        assert_eq!(verified["problems"], serde_json::json!([]), "{verified}");

        // The log is tamper-evident: rewriting what an entry says is caught.
        db.execute(
            "UPDATE privctl_ledger SET details = '{\"total_rows\": 0}' \
             WHERE action = 'dsar-export'",
        )
        .await;
        let tampered = run(&privctl, &["audit-verify"]);
        let report = tampered.code(4).json();
        assert_eq!(report["ok"], false, "{report}");
        assert_eq!(report["problems"][0]["seq"], 2, "{report}");
        db.cleanup().await;
    }

    /// export-tenant writes every row of one workspace (messages through their sessions,
    /// technical logs by their own workspace_id) and none of the other's; delete-tenant with
    /// its token erases that workspace whole, its own row last, and leaves the other workspace
    /// and the ignored table exactly as they were.
    async fn export_tenant_and_delete_tenant_cover_exactly_one_workspace(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let readme_counts: [(&str, [u64; 2]); 7] = [
            ("workspaces", [1, 1]),
            ("widgets", [2, 1]),
            ("visitors", [5, 2]),
            ("chat_sessions", [7, 3]),
            ("chat_messages", [15, 5]),
            ("form_submissions", [5, 2]),
            ("technical_logs", [10, 4]),
        ];

        for (i, (workspace, total)) in [("ws_acme", 45), ("ws_globex", 18)].into_iter().enumerate() {
            let (summary, bundle) = write_bundle(
                &db,
                &privctl,
                &format!("{workspace}.json"),
                &["export-tenant", "--tenant", workspace],
            );
            assert_eq!(summary["total_rows"], total, "{summary}");
            assert_eq!(bundle["kind"], "tenant");
            assert_eq!(bundle["tenant"], workspace);
            for (table, counts) in readme_counts {
                assert_eq!(
                    bundle["manifest"]["row_counts"][table], counts[i],
                    "{workspace} {table}"
                );
                if table == "workspaces" {
                    assert_eq!(bundle["tables"][table][0]["id"], workspace);
                    continue;
                }
                assert_eq!(
                    bundle_ids(&bundle).remove(table).unwrap_or_default(),
                    ids_where(&db, table, &in_workspace(table, workspace)).await,
                    "{workspace} {table}: every row of the workspace and no other"
                );
            }
        }

        let before = snapshot(&db).await;
        let plan = run(&privctl, &["delete-tenant", "--tenant", "ws_globex"]).success().json();
        assert_eq!(plan["total_rows"], 18, "{plan}");
        assert_eq!(snapshot(&db).await, before, "the dry run changed rows");
        let result = run(
            &privctl,
            &["delete-tenant", "--tenant", "ws_globex", "--confirm", &token_of(&plan)],
        )
        .success()
        .json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");

        let mut globex = Ids::new();
        for table in TABLES {
            if table != "workspaces" {
                globex.insert(
                    table.to_owned(),
                    before[table]
                        .keys()
                        .map(|id| id.parse::<i64>().expect("an integer id"))
                        .filter(|id| *id > 100)
                        .collect(),
                );
            }
        }
        let mut expected = without(&before, &globex);
        expected
            .get_mut("workspaces")
            .expect("workspaces")
            .remove("ws_globex");
        assert_eq!(snapshot(&db).await, expected, "ws_globex went whole, nothing else did");
        for table in TABLES {
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE {}",
                    in_workspace(table, "ws_globex")
                ))
                .await,
                0,
                "{table}"
            );
        }
        assert_no_orphans(&db).await;
        run(&privctl, &["export-tenant", "--tenant", "ws_globex", "--out", "gone.json"]).code(1);
        db.cleanup().await;
    }
}
