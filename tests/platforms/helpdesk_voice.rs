//! helpdesk-voice (PLATFORMS.md): an IT helpdesk voice agent whose accounts are isolated by
//! PostgreSQL row-level security. Its promises, walked as an operator's scripts would walk them,
//! with privctl connected as the platform's application role (NOSUPERUSER NOBYPASSRLS, only the
//! grants fixtures/helpdesk-voice/README.md gives it). PostgreSQL only: SQLite has no row-level
//! security.
//!
//! The superuser (which bypasses row-level security) loads the fixture, runs `privctl init` as
//! the schema owner would, runs `map check`, and reads rows with plain SQL to check what privctl
//! did. Every test works in its own directory, holding a copy of the map and the blob store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use sqlx::{Connection as _, PgConnection};

use crate::support::bundle::{read_json_text, utf8};
use crate::support::fixture::{PRIVCTL_TABLES, columns, plan_counts, token_of, verify_ledger};
use crate::support::run;
use crate::support::{Dialect, Privctl, RunOutput, TestDb, fixture_path, rls};

const FIXTURE: &str = "helpdesk-voice";
const LEDGER_KEY: &str = "helpdesk-voice-ledger-key-7d21";
/// The platform's application role, as the fixture's README sets it up.
const ROLE: &str = "helpdesk_app";
const ROLE_PASSWORD: &str = "helpdesk-app-test-password";
/// The fixed "now" of the README's retention table.
const NOW: &str = "2026-11-25T10:00:00Z";

/// Northwind: active, recordings 90 days (the default). Sam's DSAR happens here.
const A: &str = "1001";
/// Globex: active, recordings 30 days (its override). The same Sam, same email and mobile.
const B: &str = "2002";
/// Initech: subscription ended 2026-09-01.
const C: &str = "3003";
/// Umbrella: on legal hold.
const D: &str = "4004";
const ACCOUNTS: [&str; 4] = [A, B, C, D];

/// Every business table of the fixture (schema_migrations is ignored by the map).
const TABLES: [&str; 9] = [
    "accounts",
    "agent_accounts",
    "employees",
    "device_push_tokens",
    "calls",
    "call_recordings",
    "transcripts",
    "call_analytics",
    "tickets",
];

/// Rows per table of A, B, C and D (README, "Row counts").
const ROWS: [(&str, [i64; 4]); 9] = [
    ("accounts", [1, 1, 1, 1]),
    ("agent_accounts", [2, 1, 1, 1]),
    ("employees", [4, 2, 2, 1]),
    ("device_push_tokens", [3, 1, 1, 1]),
    ("calls", [4, 3, 2, 1]),
    ("call_recordings", [4, 3, 2, 1]),
    ("transcripts", [4, 3, 2, 1]),
    ("call_analytics", [4, 3, 2, 1]),
    ("tickets", [3, 1, 1, 1]),
];

/// Sam Rivera's rows in A (README, "Sam Rivera"): 13, all deleted.
const SAM_IN_A: [RowIds; 7] = [
    ("employees", &[1]),
    ("calls", &[1, 2]),
    ("call_recordings", &[1, 2]),
    ("transcripts", &[1, 2]),
    ("call_analytics", &[1, 2]),
    ("device_push_tokens", &[1, 2]),
    ("tickets", &[1, 3]),
];

/// Sam's identifiers as a ticket gives them (other spellings than stored).
const SAM: [&str; 4] = [
    "--email",
    "Sam.Rivera@contractor.example",
    "--phone",
    "(415) 555-0142",
];

/// Sam's identifiers in every spelling the fixture stores or the tests type: none may reach the
/// ledger.
const SAM_IDENTIFIERS: [&str; 6] = [
    "sam.rivera@contractor.example",
    "Sam.Rivera@Contractor.example",
    "Sam.Rivera@contractor.example",
    "4155550142",
    "555-0142",
    "555 0142",
];

/// Text only B's rows hold: none of it may reach what privctl writes for A.
const B_MARKERS: [&str; 6] = [
    "2002/calls",
    "Globex",
    "globex",
    "Oakland",
    "77aa0e12c4b9f3d2e6a8",
    "$2b$10$hdvsalt00000000000101",
];

/// The fixture loaded, `privctl init` run by the superuser, and the application role set up as
/// the README says. Both runners work in the test's directory, at [`NOW`].
struct Helpdesk {
    db: TestDb,
    /// privctl connected as the superuser (the schema owner).
    superuser: Privctl,
    /// privctl connected as the application role (what the tests exercise).
    app: Privctl,
    app_url: String,
}

async fn setup() -> Helpdesk {
    let envs = [("PRIVCTL_LEDGER_KEY", LEDGER_KEY), ("PRIVCTL_NOW", NOW)];
    let (db, superuser) = super::setup(Dialect::Postgres, FIXTURE, &envs).await;
    let app_url = rls::application_role(&db, ROLE, ROLE_PASSWORD, &TABLES).await;
    let app = superuser.clone().env("DATABASE_URL", &app_url);
    Helpdesk {
        db,
        superuser,
        app,
        app_url,
    }
}

/// `dsar <command> --tenant A` for Sam, with `extra` arguments.
fn dsar_sam(privctl: &Privctl, command: &str, extra: &[&str]) -> RunOutput {
    let mut args = vec!["dsar", command, "--tenant", A];
    args.extend(SAM);
    args.extend(extra);
    run(privctl, &args)
}

/// The condition that selects one account's rows of a table (`=`), or every other account's
/// (`<>`).
fn tenant_condition(table: &str, operator: &str, tenant: &str) -> String {
    match table {
        "accounts" => format!("id {operator} {tenant}"),
        "call_analytics" => {
            format!("call_id IN (SELECT id FROM calls WHERE account_id {operator} {tenant})")
        }
        _ => format!("account_id {operator} {tenant}"),
    }
}

/// One account's rows per table, counted by the superuser.
async fn tenant_counts(db: &TestDb, tenant: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for table in TABLES {
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE {}",
            tenant_condition(table, "=", tenant)
        );
        counts.insert(table.to_owned(), db.query_i64(&sql).await);
    }
    counts
}

/// The README's row counts of account `index` (0 = A … 3 = D).
fn readme_counts(index: usize) -> BTreeMap<String, i64> {
    ROWS.iter()
        .map(|(table, counts)| ((*table).to_owned(), counts[index]))
        .collect()
}

/// The ids of one account's rows of a table, read by the superuser.
async fn tenant_keys(db: &TestDb, table: &str, tenant: &str) -> BTreeSet<i64> {
    db.query_strings(&format!(
        "SELECT CAST(id AS text) FROM {table} WHERE {}",
        tenant_condition(table, "=", tenant)
    ))
    .await
    .iter()
    .map(|id| id.parse().expect("an integer id"))
    .collect()
}

/// table → id (or version) → the text of all its columns, for the rows of every table (and all
/// of schema_migrations) that `condition_for` selects: equal snapshots prove nothing changed.
async fn snapshot(
    db: &TestDb,
    condition_for: impl Fn(&str) -> String,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut snapshot = BTreeMap::new();
    for table in TABLES.into_iter().chain(["schema_migrations"]) {
        let row_text = columns(db, table)
            .await
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS text), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let (key, condition) = match table {
            "schema_migrations" => ("version", "TRUE".to_owned()),
            _ => ("CAST(id AS text)", condition_for(table)),
        };
        let rows = db
            .query_strings(&format!(
                "SELECT {key} || '=' || {row_text} FROM {table} WHERE {condition}"
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

/// Every row of every table outside `tenant`.
async fn outside(db: &TestDb, tenant: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    snapshot(db, |table| tenant_condition(table, "<>", tenant)).await
}

/// Every row of every table.
async fn everything(db: &TestDb) -> BTreeMap<String, BTreeMap<String, String>> {
    snapshot(db, |_| "TRUE".to_owned()).await
}

/// Every row of privctl's own tables as text (the ledger, tokens, jobs, the blob outbox).
async fn privctl_rows(db: &TestDb) -> Vec<String> {
    let mut rows = Vec::new();
    for table in PRIVCTL_TABLES {
        let row_text = columns(db, table)
            .await
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS text), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        rows.extend(
            db.query_strings(&format!("SELECT {row_text} FROM {table}"))
                .await
                .into_iter()
                .map(|row| format!("{table}: {row}")),
        );
    }
    rows
}

/// Creates every recording's object in the test's store; returns `(storage key, path)` of each.
async fn create_blobs(db: &TestDb) -> Vec<(String, PathBuf)> {
    let mut blobs = Vec::new();
    for key in db
        .query_strings("SELECT storage_key FROM call_recordings ORDER BY id")
        .await
    {
        let path = db.dir().join("blobs").join("recordings").join(&key);
        std::fs::create_dir_all(path.parent().expect("a parent folder"))
            .expect("cannot create the blob's folder");
        std::fs::write(&path, format!("audio of {key}")).expect("cannot write a blob");
        blobs.push((key, path));
    }
    assert_eq!(blobs.len(), 10, "10 recordings (README)");
    blobs
}

/// Fails unless exactly the blobs whose keys are in `gone` were deleted.
#[track_caller]
fn assert_blobs_gone(blobs: &[(String, PathBuf)], gone: &[&str]) {
    for (key, path) in blobs {
        let expected_gone = gone.contains(&key.as_str());
        assert_eq!(
            path.exists(),
            !expected_gone,
            "blob {key} should {}",
            if expected_gone { "be gone" } else { "be there" }
        );
    }
}

/// The ids of one table's rows in a JSON bundle (none when the table is absent).
fn bundle_keys(bundle: &Value, table: &str) -> BTreeSet<i64> {
    bundle["tables"][table]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row["id"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("a row without an integer id: {row}"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `table → (rows, "delete")` for these counts, leaving out tables with none.
fn deletions<'a>(
    counts: impl IntoIterator<Item = (&'a str, u64)>,
) -> BTreeMap<String, (u64, String)> {
    counts
        .into_iter()
        .filter(|(_, rows)| *rows > 0)
        .map(|(table, rows)| (table.to_owned(), (rows, "delete".to_owned())))
        .collect()
}

/// Some rows of one table: `(table, ids)`.
type RowIds<'a> = (&'a str, &'a [i64]);

/// `before` without these rows.
fn without(
    before: &BTreeMap<String, BTreeMap<String, String>>,
    gone: &[RowIds],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut expected = before.clone();
    for (table, ids) in gone {
        let rows = expected.get_mut(*table).expect("a fixture table");
        for id in *ids {
            assert!(
                rows.remove(&id.to_string()).is_some(),
                "{table} {id} is not in the fixture"
            );
        }
    }
    expected
}

/// The README's badge table: `(employee id, raw badge id)`.
fn readme_badges() -> Vec<(i64, String)> {
    let readme = std::fs::read_to_string(fixture_path(FIXTURE).join("README.md"))
        .expect("cannot read the README");
    let section = readme
        .split("## Badge IDs")
        .nth(1)
        .expect("the README has a Badge IDs section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, employee, _, badge, _] = cells.as_slice() else {
                return None;
            };
            let id = employee.split(' ').next()?.parse().ok()?;
            Some((id, badge.trim_matches('`').to_owned()))
        })
        .collect()
}

/// `audit-verify` as the role exits 0 with `"ok": true`, and the library agrees.
async fn assert_ledger_verifies(helpdesk: &Helpdesk) {
    let verified = run(&helpdesk.app, &["audit-verify"]).success().json();
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(
        verify_ledger(&helpdesk.db, LEDGER_KEY).await.ok(),
        "the ledger verifies with the library"
    );
}

/// "Tenant isolation by PostgreSQL RLS", checked on the map: `map check` (as the superuser,
/// which can read every table's catalog entry and row) finds every table accounted for, every
/// category with a window, no missing index and the row-level security setting named.
#[tokio::test]
async fn map_check_passes_with_every_table_mapped_and_the_rls_setting_named() {
    let helpdesk = setup().await;
    let check = run(&helpdesk.superuser, &["map", "check"]).success().json();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["problems"], serde_json::json!([]), "{check}");
    assert_eq!(check["warnings"], serde_json::json!([]), "{check}");

    // Without the setting, the check names the tables the role could not see.
    let text = std::fs::read_to_string(helpdesk.db.dir().join("privctl.toml")).unwrap();
    let stripped = text.replacen(
        "\n[database]\ntenant_setting = \"app.current_tenant\"\n",
        "\n",
        1,
    );
    assert_ne!(stripped, text, "the map names the setting");
    let no_setting = helpdesk.db.dir().join("no-setting.toml");
    std::fs::write(&no_setting, stripped).unwrap();
    let refused = run(
        &helpdesk.superuser.clone().map(&no_setting),
        &["map", "check"],
    );
    refused.code(5);
    assert!(
        refused.stdout.contains("database.tenant_setting"),
        "{refused}"
    );
    helpdesk.db.cleanup().await;
}

/// The fixture's own promise, before privctl is involved: the seed holds the README's rows, and
/// the role sees no account without the setting and exactly one with it.
#[tokio::test]
async fn the_role_sees_one_account_at_a_time_and_the_seed_matches_the_readme() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    for (index, tenant) in ACCOUNTS.into_iter().enumerate() {
        assert_eq!(
            tenant_counts(db, tenant).await,
            readme_counts(index),
            "account {tenant}'s rows per table (README)"
        );
    }
    let totals: Vec<i64> = {
        let mut totals = Vec::new();
        for tenant in ACCOUNTS {
            totals.push(tenant_counts(db, tenant).await.values().sum());
        }
        totals
    };
    assert_eq!(totals, [29, 18, 14, 9], "rows per account (README)");

    let mut connection = PgConnection::connect(&helpdesk.app_url)
        .await
        .expect("cannot connect as the role");
    let nothing: BTreeMap<String, i64> = TABLES.iter().map(|t| ((*t).to_owned(), 0)).collect();
    assert_eq!(
        rls::counts_as_role(&mut connection, None, &TABLES).await,
        nothing,
        "no setting"
    );
    for (index, tenant) in ACCOUNTS.into_iter().enumerate() {
        assert_eq!(
            rls::counts_as_role(&mut connection, Some(tenant), &TABLES).await,
            readme_counts(index),
            "{tenant} set"
        );
    }
    assert_eq!(
        rls::counts_as_role(&mut connection, None, &TABLES).await,
        nothing,
        "after transactions that set it"
    );
    connection.close().await.expect("cannot close");
    helpdesk.db.cleanup().await;
}

/// DSAR for an employee by work email and E.164 mobile in account A, as the role: the preview
/// and the bundle hold exactly Sam's rows (calls, recordings, transcripts, analytics, push
/// tokens redacted, tickets); the confirmed delete removes exactly them and their recordings'
/// blobs; B's Sam, with the same email and mobile, and every row outside A are untouched.
#[tokio::test]
async fn a_dsar_by_email_and_phone_in_a_erases_exactly_the_employees_rows_and_leaves_b_untouched() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let app = &helpdesk.app;
    let blobs = create_blobs(db).await;
    let before_outside = outside(db, A).await;
    let before = everything(db).await;
    let sam: BTreeMap<&str, BTreeSet<i64>> = SAM_IN_A
        .iter()
        .map(|(table, ids)| (*table, ids.iter().copied().collect()))
        .collect();
    let expected = deletions(SAM_IN_A.iter().map(|(t, ids)| (*t, ids.len() as u64)));

    // Each identifier alone names the same employee.
    for identity in [&SAM[..2], &SAM[2..]] {
        let mut args = vec!["dsar", "preview", "--tenant", A];
        args.extend(identity);
        let plan = run(app, &args).success().json();
        assert_eq!(plan_counts(&plan), expected, "{identity:?}: {plan}");
    }
    let plan = dsar_sam(app, "preview", &[]).success().json();
    assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
    assert_eq!(plan["total_rows"], 13, "{plan}");
    let recordings = plan["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "call_recordings")
        .expect("call_recordings in the plan");
    assert_eq!(recordings["blobs"], 2, "{plan}");
    let token = token_of(&plan);

    let out = db.dir().join("dsar-bundle.json");
    let export = dsar_sam(app, "export", &["--out", utf8(&out)])
        .success()
        .json();
    assert_eq!(export["total_rows"], 13, "{export}");
    let (text, bundle) = read_json_text(&out);
    for table in TABLES {
        let expected = sam.get(table).cloned().unwrap_or_default();
        assert_eq!(bundle_keys(&bundle, table), expected, "Sam's {table}");
    }
    for marker in B_MARKERS {
        assert!(
            !text.contains(marker),
            "Sam's bundle from A holds {marker:?}"
        );
    }
    // Push tokens are for delivery only: the bundle shows their last four characters.
    for row in bundle["tables"]["device_push_tokens"].as_array().unwrap() {
        assert_eq!(row["token"], "****-sam", "{row}");
    }
    for token in db
        .query_strings("SELECT token FROM device_push_tokens")
        .await
    {
        assert!(
            !text.contains(&token),
            "the bundle holds push token {token}"
        );
    }

    let done = dsar_sam(app, "delete", &["--confirm", &token])
        .success()
        .json();
    assert_eq!(done["executed"], true, "{done}");
    assert_eq!(done["remaining"], 0, "{done}");
    assert_eq!(plan_counts(&done), expected, "rows erased: {done}");

    assert_eq!(
        everything(db).await,
        without(&before, &SAM_IN_A),
        "exactly Sam's rows went"
    );
    assert_eq!(
        outside(db, A).await,
        before_outside,
        "rows outside A changed"
    );
    assert_blobs_gone(&blobs, &["1001/calls/1.wav", "1001/calls/2.wav"]);

    // B's Sam is all there for a DSAR in B: employee, call, recording, transcript, analytics,
    // push token.
    let mut args = vec!["dsar", "preview", "--tenant", B];
    args.extend(SAM);
    let in_b = run(app, &args).success().json();
    assert_eq!(in_b["total_rows"], 6, "Sam in B: {in_b}");

    let ledger = privctl_rows(db).await.join("\n");
    for identifier in SAM_IDENTIFIERS {
        assert!(
            !ledger.contains(identifier),
            "privctl's tables hold {identifier:?}"
        );
    }
    assert_ledger_verifies(&helpdesk).await;
    helpdesk.db.cleanup().await;
}

/// "Badge IDs stored only as bcrypt hashes, never raw": each employee's badge_hash is a bcrypt
/// hash of the badge ID the README lists (checked with pgcrypto), and no raw badge ID is in any
/// fixture file but the README, in any table, in any bundle, plan or output privctl writes, or
/// in its ledger, after every command has run.
#[tokio::test]
async fn raw_badge_ids_appear_nowhere_not_in_the_database_the_bundles_or_the_ledger() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let app = &helpdesk.app;
    create_blobs(db).await;
    let badges = readme_badges();
    assert_eq!(badges.len(), 9, "one badge per employee: {badges:?}");

    let hashes_of_a: BTreeSet<String> = db
        .query_strings(&format!(
            "SELECT badge_hash FROM employees WHERE account_id = {A}"
        ))
        .await
        .into_iter()
        .collect();
    db.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto").await;
    for (employee, badge) in &badges {
        // pgcrypto knows bcrypt as `$2a$`, the same algorithm as `$2b$` for short ASCII input.
        let matches = db
            .query_i64(&format!(
                "SELECT count(*) FROM employees WHERE id = {employee} AND badge_hash LIKE '$2b$10$%' \
                 AND substr(crypt('{badge}', '$2a$' || substr(badge_hash, 5)), 5) = substr(badge_hash, 5)"
            ))
            .await;
        assert_eq!(
            matches, 1,
            "employee {employee}'s hash is bcrypt of {badge}"
        );
    }
    let wrong = db
        .query_i64(
            "SELECT count(*) FROM employees \
             WHERE substr(crypt('NW-00000', '$2a$' || substr(badge_hash, 5)), 5) = substr(badge_hash, 5)",
        )
        .await;
    assert_eq!(wrong, 0, "a wrong badge matches no hash");

    for file in ["schema.postgres.sql", "seed.sql", "privctl.toml"] {
        let text = std::fs::read_to_string(fixture_path(FIXTURE).join(file)).unwrap();
        for (_, badge) in &badges {
            assert!(!text.contains(badge.as_str()), "{file} holds {badge}");
        }
    }

    // Everything privctl writes: every account's bundle in every format, Sam's DSAR, a
    // delete-tenant and purges.
    let dir = db.dir().to_owned();
    let mut written: Vec<(String, String)> = Vec::new();
    let mut keep = |what: String, output: &RunOutput| {
        written.push((what.clone(), output.stdout.clone()));
        written.push((format!("{what} (stderr)"), output.stderr.clone()));
    };
    for tenant in ACCOUNTS {
        for format in ["json", "ndjson"] {
            let out = dir.join(format!("{tenant}.{format}"));
            let args = [
                "export-tenant",
                "--tenant",
                tenant,
                "--out",
                utf8(&out),
                "--output-format",
                format,
            ];
            keep(
                format!("export-tenant {tenant} {format}"),
                run(app, &args).success(),
            );
        }
    }
    let csv = dir.join("1001-csv");
    let args = [
        "export-tenant",
        "--tenant",
        A,
        "--out",
        utf8(&csv),
        "--output-format",
        "csv",
    ];
    keep("export-tenant csv".into(), run(app, &args).success());
    let subject = dir.join("dsar-bundle.json");
    keep(
        "dsar export".into(),
        dsar_sam(app, "export", &["--out", utf8(&subject)]).success(),
    );
    let plan = dsar_sam(app, "preview", &[]).success().json();
    keep(
        "dsar delete".into(),
        dsar_sam(app, "delete", &["--confirm", &token_of(&plan)]).success(),
    );
    let plan = run(app, &["delete-tenant", "--tenant", C]).success().json();
    keep(
        "delete-tenant".into(),
        run(
            app,
            &[
                "delete-tenant",
                "--tenant",
                C,
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success(),
    );
    let plan = run(app, &["purge-retention", "--tenant", B])
        .success()
        .json();
    keep(
        "purge-retention".into(),
        run(
            app,
            &[
                "purge-retention",
                "--tenant",
                B,
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success(),
    );
    keep(
        "audit log".into(),
        run(app, &["audit", "log", "--limit", "1000"]).success(),
    );

    let mut files = vec![csv.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                files.push(entry.unwrap().path());
            }
        } else if path.extension().is_some_and(|e| e != "toml") {
            written.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file()
            && path
                .extension()
                .is_some_and(|e| e == "json" || e == "ndjson")
        {
            written.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    // The database after all of it: every table of the platform and of privctl.
    let rows = everything(db).await;
    for (table, rows) in &rows {
        for row in rows.values() {
            written.push((format!("table {table}"), row.clone()));
        }
    }
    for row in privctl_rows(db).await {
        written.push(("privctl's tables".into(), row));
    }

    for (what, text) in &written {
        for (_, badge) in &badges {
            assert!(!text.contains(badge.as_str()), "{what} holds badge {badge}");
        }
    }
    // The bundles hand the hashes back, as stored.
    let (_, bundle) = read_json_text(&dir.join("1001.json"));
    let exported: BTreeSet<String> = bundle["tables"]["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["badge_hash"].as_str().expect("a hash").to_owned())
        .collect();
    assert_eq!(exported, hashes_of_a, "A's four hashes, as stored");
    assert_ledger_verifies(&helpdesk).await;
    helpdesk.db.cleanup().await;
}

/// export-tenant of B as the role: the bundle holds every row of B (with its account row, push
/// tokens redacted) and none of another account's.
#[tokio::test]
async fn export_tenant_of_b_holds_every_row_of_b_and_none_of_another_account() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let out = db.dir().join("globex.json");
    let summary = run(
        &helpdesk.app,
        &["export-tenant", "--tenant", B, "--out", utf8(&out)],
    )
    .success()
    .json();
    let (text, bundle) = read_json_text(&out);
    for table in TABLES {
        assert_eq!(
            bundle_keys(&bundle, table),
            tenant_keys(db, table, B).await,
            "B's {table}"
        );
        assert_eq!(
            bundle["manifest"]["row_counts"][table],
            readme_counts(1)[table],
            "manifest row count of {table}: {}",
            bundle["manifest"]
        );
    }
    for other in [
        "1001/",
        "3003/",
        "4004/",
        "northwind",
        "initech",
        "umbrella",
    ] {
        assert!(!text.contains(other), "B's bundle holds {other:?}");
        assert!(!summary.to_string().contains(other), "{summary}");
    }
    let token = &bundle["tables"]["device_push_tokens"][0]["token"];
    assert_eq!(token, "****-sam", "the push token is redacted");
    assert!(
        !text.contains("77aa0e12c4b9f3d2e6a8"),
        "the token itself is in the bundle"
    );
    helpdesk.db.cleanup().await;
}

/// delete-tenant of B as the role, two-step: the plan counts every row of B, the confirmed run
/// erases all 18 and B's recordings, and A, C and D stay whole. D, on legal hold, is refused.
#[tokio::test]
async fn delete_tenant_of_b_erases_every_row_and_blob_of_b_and_refuses_d_on_legal_hold() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let app = &helpdesk.app;
    let blobs = create_blobs(db).await;
    let before = outside(db, B).await;

    let held = run(app, &["delete-tenant", "--tenant", D]);
    held.code(1);
    assert!(held.stderr.contains("legal hold"), "{held}");

    let plan = run(app, &["delete-tenant", "--tenant", B]).success().json();
    let expected = deletions(
        ROWS.iter()
            .map(|(table, counts)| (*table, counts[1] as u64)),
    );
    assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
    assert_eq!(plan["total_rows"], 18, "{plan}");

    let done = run(
        app,
        &[
            "delete-tenant",
            "--tenant",
            B,
            "--confirm",
            &token_of(&plan),
        ],
    )
    .success()
    .json();
    assert_eq!(done["executed"], true, "{done}");
    assert_eq!(done["remaining"], 0, "{done}");
    assert_eq!(done["total_rows"], 18, "{done}");

    let nothing: BTreeMap<String, i64> = TABLES.iter().map(|t| ((*t).to_owned(), 0)).collect();
    assert_eq!(tenant_counts(db, B).await, nothing, "B after delete-tenant");
    assert_eq!(outside(db, B).await, before, "rows outside B changed");
    assert_blobs_gone(
        &blobs,
        &[
            "2002/calls/101.wav",
            "2002/calls/102.wav",
            "2002/calls/103.wav",
        ],
    );
    assert_eq!(tenant_counts(db, D).await, readme_counts(3), "D is whole");
    assert_ledger_verifies(&helpdesk).await;
    helpdesk.db.cleanup().await;
}

/// purge-retention on 2026-11-25, one account per run (the role cannot list every account, so a
/// purge of all is refused): recordings past 90 days go in A and C, B's 30-day override takes a
/// recording the default would keep, C's transcripts and analytics go 30 days after its
/// subscription ended while its account data stays, and D on legal hold loses nothing.
#[tokio::test]
async fn purge_retention_per_account_keeps_recordings_90_days_or_the_override_and_transcripts_30_days_after_the_end()
 {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let app = &helpdesk.app;
    let blobs = create_blobs(db).await;
    let before = everything(db).await;

    let all = run(app, &["purge-retention"]);
    all.code(1);
    assert!(
        all.stderr
            .contains("row-level security hides every row of accounts")
            && all.stderr.contains("--tenant"),
        "{all}"
    );
    assert_eq!(everything(db).await, before, "a refused purge changed rows");

    let expected: [(&str, &[RowIds]); 4] = [
        (A, &[("call_recordings", &[2, 4])]),
        (B, &[("call_recordings", &[102])]),
        (
            C,
            &[
                ("call_recordings", &[201]),
                ("transcripts", &[201, 202]),
                ("call_analytics", &[201, 202]),
            ],
        ),
        (D, &[]),
    ];
    for (tenant, gone) in expected {
        // All of C's transcripts and analytics go at once: the blast-radius guard (which counts
        // the account's own rows under row-level security) wants --allow-large.
        let mut args = vec!["purge-retention", "--tenant", tenant];
        if tenant == C {
            args.push("--allow-large");
        }
        let plan = run(app, &args).success().json();
        assert_eq!(
            plan_counts(&plan),
            deletions(gone.iter().map(|(t, ids)| (*t, ids.len() as u64))),
            "{tenant}'s plan: {plan}"
        );
        if tenant == D {
            assert_eq!(plan["total_rows"], 0, "{plan}");
            assert_eq!(
                plan["skipped"],
                serde_json::json!([{"tenant": D, "reason": "legal hold"}]),
                "{plan}"
            );
            continue;
        }
        let done = run(
            app,
            &[
                "purge-retention",
                "--tenant",
                tenant,
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success()
        .json();
        assert_eq!(done["executed"], true, "{done}");
        assert_eq!(plan_counts(&done), plan_counts(&plan), "{tenant}: {done}");
    }
    let mut merged: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (table, ids) in expected.iter().flat_map(|(_, gone)| gone.iter()) {
        merged.entry(table).or_default().extend(*ids);
    }
    let gone: Vec<RowIds> = merged
        .iter()
        .map(|(table, ids)| (*table, ids.as_slice()))
        .collect();
    assert_eq!(
        everything(db).await,
        without(&before, &gone),
        "exactly the expired rows went"
    );
    assert_blobs_gone(
        &blobs,
        &[
            "1001/calls/2.wav",
            "1001/calls/4.wav",
            "2002/calls/102.wav",
            "3003/calls/201.wav",
        ],
    );
    assert_ledger_verifies(&helpdesk).await;
    helpdesk.db.cleanup().await;
}

/// "Transcripts and analytics: the subscription plus 30 days. Account data: the subscription
/// plus 90 days", on both sides of each window for C (ended 2026-09-01): on 2026-09-30 nothing
/// is due; on 2026-11-25 transcripts and analytics go and account data stays; on 2026-11-29
/// account data is still inside its window (only a recording's own 90 days are up); on 2026-12-01 every employee, agent, call (with its
/// last recording), push token and ticket of C goes, leaving only the account row.
#[tokio::test]
async fn account_data_goes_90_days_after_the_subscription_ends_and_not_a_day_before() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let blobs = create_blobs(db).await;
    let before = outside(db, C).await;
    let at = |now: &str| helpdesk.app.clone().env("PRIVCTL_NOW", now);
    let purge = |now: &str| {
        let plan = run(
            &at(now),
            &["purge-retention", "--tenant", C, "--allow-large"],
        )
        .success()
        .json();
        (plan_counts(&plan), plan)
    };

    let (counts, plan) = purge("2026-09-30T10:00:00Z");
    assert_eq!(counts, BTreeMap::new(), "nothing due a day before: {plan}");

    // Every transcript and analytics row of C goes at once, which the blast-radius guard refuses
    // unless told it is meant (it counts C's own rows: the role sees no other account's).
    let guarded = run(&at(NOW), &["purge-retention", "--tenant", C]);
    guarded.code(1);
    assert!(
        guarded.stderr.contains("purge.max_fraction") && guarded.stderr.contains("--allow-large"),
        "{guarded}"
    );
    let (counts, plan) = purge(NOW);
    assert_eq!(
        counts,
        deletions([
            ("call_recordings", 1),
            ("transcripts", 2),
            ("call_analytics", 2)
        ]),
        "{plan}"
    );
    let done = run(
        &at(NOW),
        &[
            "purge-retention",
            "--tenant",
            C,
            "--confirm",
            &token_of(&plan),
        ],
    )
    .success()
    .json();
    assert_eq!(done["executed"], true, "{done}");
    let mut left = readme_counts(2);
    for (table, n) in [
        ("call_recordings", 1),
        ("transcripts", 2),
        ("call_analytics", 2),
    ] {
        *left.get_mut(table).unwrap() -= n;
    }
    assert_eq!(
        tenant_counts(db, C).await,
        left,
        "C after the purge of {NOW}"
    );

    let (counts, plan) = purge("2026-11-29T23:59:00Z");
    // Account data is due on 2026-11-30. Recording 202 is past its own 90 days (since
    // 2026-11-28T15:00): the only row due (this plan is not confirmed).
    assert_eq!(
        counts,
        deletions([("call_recordings", 1)]),
        "account data is due on 2026-11-30: {plan}"
    );

    let later = "2026-12-01T10:00:00Z";
    let (counts, plan) = purge(later);
    let account_data = deletions([
        ("agent_accounts", 1),
        ("employees", 2),
        ("device_push_tokens", 1),
        ("calls", 2),
        ("call_recordings", 1),
        ("tickets", 1),
    ]);
    assert_eq!(counts, account_data, "{plan}");
    let done = run(
        &at(later),
        &[
            "purge-retention",
            "--tenant",
            C,
            "--confirm",
            &token_of(&plan),
        ],
    )
    .success()
    .json();
    assert_eq!(plan_counts(&done), account_data, "{done}");
    let only_the_account: BTreeMap<String, i64> = TABLES
        .iter()
        .map(|t| ((*t).to_owned(), i64::from(*t == "accounts")))
        .collect();
    assert_eq!(
        tenant_counts(db, C).await,
        only_the_account,
        "C after {later}"
    );
    assert_eq!(outside(db, C).await, before, "rows outside C changed");
    assert_blobs_gone(&blobs, &["3003/calls/201.wav", "3003/calls/202.wav"]);
    assert_ledger_verifies(&helpdesk).await;
    helpdesk.db.cleanup().await;
}

/// The whole walk as the role (map check, Sam's DSAR, export-tenant, delete-tenant, a purge per
/// account) leaves a ledger that `audit-verify` passes, whose every entry is of one account,
/// whose DSAR entries carry a subject_ref, and that never holds Sam's email or phone.
#[tokio::test]
async fn audit_verify_passes_after_the_whole_walk_and_the_ledger_never_names_the_employee() {
    let helpdesk = setup().await;
    let db = &helpdesk.db;
    let app = &helpdesk.app;
    create_blobs(db).await;
    run(&helpdesk.superuser, &["map", "check"]).success();

    let plan = dsar_sam(app, "preview", &[]).success().json();
    let out = db.dir().join("dsar-bundle.json");
    dsar_sam(app, "export", &["--out", utf8(&out)]).success();
    dsar_sam(app, "delete", &["--confirm", &token_of(&plan)]).success();
    let bundle = db.dir().join("tenant.json");
    run(
        app,
        &["export-tenant", "--tenant", A, "--out", utf8(&bundle)],
    )
    .success();
    let plan = run(app, &["delete-tenant", "--tenant", B]).success().json();
    run(
        app,
        &[
            "delete-tenant",
            "--tenant",
            B,
            "--confirm",
            &token_of(&plan),
        ],
    )
    .success();
    for tenant in [A, C, D] {
        let plan = run(
            app,
            &["purge-retention", "--tenant", tenant, "--allow-large"],
        )
        .success()
        .json();
        if plan["total_rows"] != 0 {
            run(
                app,
                &[
                    "purge-retention",
                    "--tenant",
                    tenant,
                    "--confirm",
                    &token_of(&plan),
                ],
            )
            .success();
        }
    }

    assert_ledger_verifies(&helpdesk).await;
    let head = run(app, &["audit", "head"]).success().json();
    let entries = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
    assert_eq!(head["seq"].as_i64(), Some(entries), "{head}");

    let tenants = db
        .query_optional_strings("SELECT tenant FROM privctl_ledger ORDER BY seq")
        .await;
    for tenant in &tenants {
        let tenant = tenant.as_deref().unwrap_or("<none>");
        assert!([A, B, C, D].contains(&tenant), "a ledger entry of {tenant}");
    }
    let dsar_refs = db
        .query_optional_strings(
            "SELECT subject_ref FROM privctl_ledger WHERE action LIKE 'dsar-%' ORDER BY seq",
        )
        .await;
    assert_eq!(
        dsar_refs.len(),
        4,
        "preview, export, delete and the residue scan after it: {dsar_refs:?}"
    );
    assert!(
        dsar_refs
            .iter()
            .all(|r| r.as_ref().is_some_and(|r| r.len() >= 32)),
        "{dsar_refs:?}"
    );
    assert!(
        dsar_refs.windows(2).all(|w| w[0] == w[1]),
        "one subject, one subject_ref: {dsar_refs:?}"
    );
    let ledger = privctl_rows(db).await.join("\n");
    for identifier in SAM_IDENTIFIERS {
        assert!(
            !ledger.contains(identifier),
            "privctl's tables hold {identifier:?}"
        );
    }
    helpdesk.db.cleanup().await;
}
