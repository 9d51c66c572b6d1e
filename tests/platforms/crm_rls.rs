//! privctl under PostgreSQL row-level security, on the crm-rls fixture (fixtures/crm-rls): connected
//! as the platform's application role (NOSUPERUSER NOBYPASSRLS), with only the grants the
//! fixture's README tells an operator to give it, export-tenant, dsar and delete-tenant for
//! workspace A work and never read or touch workspace B, whose Lena Fischer has the same email and
//! phone as A's. Without `database.tenant_setting` the role sees no workspace and privctl refuses
//! instead of exporting an empty one. PostgreSQL only: SQLite has no row-level security.
//!
//! The superuser (which bypasses row-level security) loads the fixture, runs `privctl init` as the
//! schema owner would, and counts and snapshots rows with plain SQL to check what privctl did.
//! Every test works on a copy of the fixture's map (and its column key) in its own temporary
//! directory, so the blob objects it creates and privctl deletes live there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sqlx::{Connection as _, PgConnection};

use crate::support::bundle::{bundle_rows, key_text, read_json_text, utf8};
use crate::support::fixture::{columns, plan_counts, token_of, verify_ledger};
use crate::support::run;
use crate::support::{Dialect, Privctl, RunOutput, TestDb, fixture_path, rls};

const FIXTURE: &str = "crm-rls";

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "rls-tests-ledger-key-5c19a0";

/// The platform's application role, as the fixture's README sets it up.
const ROLE: &str = "crm_app";
const ROLE_PASSWORD: &str = "crm-app-test-password";

/// Workspace A (Nordlicht), the one the tests act on.
const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
/// Workspace B (Brightside): same subject, never to be read or touched.
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
/// Workspace C (Castle): on legal hold.
const C: &str = "cccccccc-0000-4000-8000-000000000003";

/// Every business table of the fixture (schema_migrations is ignored by the map).
const TABLES: [&str; 10] = [
    "workspaces",
    "operators",
    "leads",
    "conversations",
    "messages",
    "attachments",
    "call_recordings",
    "transcripts",
    "integration_credentials",
    "audit_events",
];

/// A's rows per table (README, "Row counts").
const A_ROWS: [(&str, i64); 10] = [
    ("workspaces", 1),
    ("operators", 3),
    ("leads", 5),
    ("conversations", 5),
    ("messages", 10),
    ("attachments", 2),
    ("call_recordings", 2),
    ("transcripts", 2),
    ("integration_credentials", 2),
    ("audit_events", 4),
];

/// Lena Fischer's rows in A with all three identifiers (README, "Lena Fischer").
const LENA_IN_A: [(&str, &[&str]); 6] = [
    (
        "leads",
        &[
            "aaaaaaaa-1ead-4000-8000-000000000001",
            "aaaaaaaa-1ead-4000-8000-000000000002",
        ],
    ),
    ("conversations", &["1", "2", "3"]),
    ("messages", &["1", "2", "3", "4", "5", "6", "7"]),
    ("attachments", &["aaaaaaaa-a77a-4000-8000-000000000001"]),
    ("call_recordings", &["1"]),
    ("transcripts", &["1"]),
];

/// Lena's identifiers as an operator's ticket gives them (other spellings than stored).
const LENA: [&str; 6] = [
    "--email",
    "Lena.Fischer@example.com",
    "--phone",
    "0151 23456789",
    "--identity",
    "external_id=nl-1001",
];

/// Text that occurs only in B's rows (README, "Workspace B"): none of it may reach anything
/// privctl writes for A. B's UUIDs (its own, its leads', attachments' and storage keys) all start
/// with `bbbbbbbb`.
const B_MARKERS: [&str; 14] = [
    "bbbbbbbb",
    "Brightside",
    "brightside",
    "bs-2001",
    "+49-151-2345-6789",
    "south-facing",
    "priya.shah@example.com",
    "noah.green@example.com",
    "198.51.100.77",
    "192.0.2.50",
    "panels",
    "renovated in 2019",
    "EAAG-brightside-whatsapp-0101",
    "Y3JtLXJscy0AAABlD4tkd2LNJw1frp4",
];

/// The plaintexts of A's integration credentials (README, "Encrypted columns").
const A_API_KEYS: [(i64, &str); 2] = [
    (1, "EAAG-nordlicht-whatsapp-0001"),
    (2, "key-nordlicht-mailgun-7f3a"),
];

/// The fixture loaded, `privctl init` run by the superuser, and the application role set up as
/// the README says.
struct Crm {
    db: TestDb,
    /// privctl connected as the application role (what the tests exercise).
    app: Privctl,
    /// The application role's URL.
    app_url: String,
}

async fn setup() -> Crm {
    // The schema owner creates privctl's tables, like any migration.
    let envs = [("PRIVCTL_LEDGER_KEY", LEDGER_KEY)];
    let (db, superuser) = super::setup(Dialect::Postgres, FIXTURE, &envs).await;

    // Only the grants the README tells operators to give: schema_migrations gets nothing, so
    // privctl must never touch an ignored table.
    let app_url = rls::application_role(&db, ROLE, ROLE_PASSWORD, &TABLES).await;
    let app = superuser.env("DATABASE_URL", &app_url);
    Crm { db, app, app_url }
}

/// The condition that selects one workspace's rows of a table (`=`), or every other
/// workspace's (`<>`).
fn tenant_condition(table: &str, operator: &str, tenant: &str) -> String {
    match table {
        "workspaces" => format!("id {operator} '{tenant}'"),
        "messages" => format!(
            "conversation_id IN (SELECT id FROM conversations WHERE tenant_id {operator} '{tenant}')"
        ),
        _ => format!("tenant_id {operator} '{tenant}'"),
    }
}

/// One workspace's rows per table, counted by the superuser.
async fn tenant_counts(db: &TestDb, tenant: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for table in TABLES {
        let n = db
            .query_i64(&format!(
                "SELECT count(*) FROM {table} WHERE {}",
                tenant_condition(table, "=", tenant)
            ))
            .await;
        counts.insert(table.to_owned(), n);
    }
    counts
}

/// The keys (`id` as text) of one workspace's rows of a table, read by the superuser.
async fn tenant_keys(db: &TestDb, table: &str, tenant: &str) -> BTreeSet<String> {
    db.query_strings(&format!(
        "SELECT CAST(id AS text) FROM {table} WHERE {}",
        tenant_condition(table, "=", tenant)
    ))
    .await
    .into_iter()
    .collect()
}

/// Every row of every table outside workspace A (and all of schema_migrations), each as the text
/// of all its columns, ordered by id: equal snapshots prove nothing there changed.
async fn outside_a(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    let mut snapshot = BTreeMap::new();
    for table in TABLES.into_iter().chain(["schema_migrations"]) {
        let row_text = columns(db, table)
            .await
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS text), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let (condition, order) = match table {
            "schema_migrations" => ("TRUE".to_owned(), "version"),
            _ => (tenant_condition(table, "<>", A), "id"),
        };
        let rows = db
            .query_strings(&format!(
                "SELECT {row_text} FROM {table} WHERE {condition} ORDER BY {order}"
            ))
            .await;
        snapshot.insert(table.to_owned(), rows);
    }
    snapshot
}

/// Creates every attachment's and recording's object in the map copy's file stores; returns
/// `(storage key, path)` of each.
async fn create_blobs(db: &TestDb) -> Vec<(String, PathBuf)> {
    let mut blobs = Vec::new();
    for (table, store) in [
        ("attachments", "attachments"),
        ("call_recordings", "recordings"),
    ] {
        for key in db
            .query_strings(&format!("SELECT storage_key FROM {table} ORDER BY id"))
            .await
        {
            let path = db.dir().join("blobs").join(store).join(&key);
            std::fs::create_dir_all(path.parent().expect("a parent folder"))
                .expect("cannot create the blob's folder");
            std::fs::write(&path, format!("object {store}/{key}")).expect("cannot write a blob");
            blobs.push((key, path));
        }
    }
    assert_eq!(blobs.len(), 7, "4 attachments and 3 recordings");
    blobs
}

/// Fails when text privctl wrote holds anything of workspace B.
#[track_caller]
fn assert_nothing_of_b(text: &str, what: &str) {
    for marker in B_MARKERS {
        assert!(
            !text.contains(marker),
            "{what} holds {marker:?}, which only workspace B has"
        );
    }
}

/// `dsar <command> --tenant <tenant>` for Lena, with `extra` arguments.
fn dsar(privctl: &Privctl, command: &str, tenant: &str, extra: &[&str]) -> RunOutput {
    let mut args = vec!["dsar", command, "--tenant", tenant];
    args.extend(LENA);
    args.extend(extra);
    run(privctl, &args)
}

/// The fixture's own promise, before privctl is involved: the role sees nothing without the
/// setting (also on a connection where an earlier transaction had set it), exactly one
/// workspace with it, and cannot write a row into another workspace.
#[tokio::test]
async fn the_fixture_confines_the_role_to_the_workspace_it_sets() {
    let crm = setup().await;
    let db = &crm.db;
    let a = tenant_counts(db, A).await;
    let readme: BTreeMap<String, i64> = A_ROWS.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect();
    assert_eq!(a, readme, "A's rows per table (README)");
    for (tenant, total) in [(A, 36), (B, 21), (C, 9)] {
        let rows: i64 = tenant_counts(db, tenant).await.values().sum();
        assert_eq!(rows, total, "{tenant}'s rows with its workspace (README)");
    }

    let mut connection = PgConnection::connect(&crm.app_url)
        .await
        .expect("cannot connect as the role");
    let nothing: BTreeMap<String, i64> = TABLES.iter().map(|t| ((*t).to_owned(), 0)).collect();
    assert_eq!(
        rls::counts_as_role(&mut connection, None, &TABLES).await,
        nothing,
        "no setting"
    );
    assert_eq!(
        rls::counts_as_role(&mut connection, Some(A), &TABLES).await,
        a,
        "A set"
    );
    // The transaction-local setting is now '' on this connection, not unset: still nothing.
    assert_eq!(
        rls::counts_as_role(&mut connection, None, &TABLES).await,
        nothing,
        "after a transaction that set it"
    );
    assert_eq!(
        rls::counts_as_role(&mut connection, Some(B), &TABLES).await,
        tenant_counts(db, B).await,
        "B set"
    );

    // With A set, B's rows can be neither changed nor created.
    let mut tx = connection.begin().await.expect("cannot begin");
    sqlx::query("SELECT set_config('app.current_tenant', $1, true)")
        .bind(A)
        .execute(&mut *tx)
        .await
        .expect("set_config failed");
    let changed = sqlx::query("UPDATE leads SET name = 'x' WHERE tenant_id = $1::uuid")
        .bind(B)
        .execute(&mut *tx)
        .await
        .expect("the update runs")
        .rows_affected();
    assert_eq!(changed, 0, "an update reached B's leads");
    let refused = sqlx::query(
        "INSERT INTO leads (id, tenant_id, created_at) \
         VALUES ('bbbbbbbb-1ead-4000-8000-000000000199', $1::uuid, now())",
    )
    .bind(B)
    .execute(&mut *tx)
    .await
    .expect_err("the policy must refuse a lead for B while A is set");
    assert!(
        refused.to_string().contains("row-level security"),
        "{refused}"
    );
    tx.rollback().await.ok();
    connection.close().await.ok();

    // The fixture's encrypted columns decrypt with its column key.
    let key = std::fs::read(fixture_path(FIXTURE).join("column.key")).expect("column.key");
    let cipher = privctl::bundle::columns::ColumnCipher::new(key.trim_ascii_end())
        .expect("column.key is an AES-256 key");
    for (id, plain) in A_API_KEYS.iter().copied().chain([
        (101, "EAAG-brightside-whatsapp-0101"),
        (201, "pat-castle-hubspot-0201"),
    ]) {
        let stored = db
            .query_strings(&format!(
                "SELECT api_key FROM integration_credentials WHERE id = {id}"
            ))
            .await;
        assert_eq!(
            cipher.decrypt(&stored[0]).expect("decrypts"),
            plain,
            "credential {id}"
        );
    }
    crm.db.cleanup().await;
}

/// export-tenant as the role: exactly A's rows, key for key, counted by the superuser; the API
/// keys decrypted with keys.columns; nothing of B anywhere in the bundle. The same role exports
/// B when asked for B: the setting follows --tenant.
#[tokio::test]
async fn export_tenant_as_the_rls_role_holds_exactly_the_workspaces_rows() {
    let crm = setup().await;
    let db = &crm.db;
    let expected = tenant_counts(db, A).await;

    let out = db.dir().join("a.json");
    let summary = run(
        &crm.app,
        &["export-tenant", "--tenant", A, "--out", utf8(&out)],
    )
    .success()
    .json();
    let (text, bundle) = read_json_text(&out);
    assert_eq!(bundle["tenant"], A, "{summary}");
    assert_eq!(
        summary["total_rows"], 36,
        "35 rows and the workspace: {summary}"
    );
    let mut exported = BTreeMap::new();
    for table in TABLES {
        let rows = bundle_rows(&bundle, table);
        let keys: BTreeSet<String> = rows.iter().map(key_text).collect();
        assert_eq!(keys.len(), rows.len(), "{table}: a row exported twice");
        assert_eq!(
            keys,
            tenant_keys(db, table, A).await,
            "{table}: the exported rows"
        );
        for row in rows {
            if let Some(tenant) = row.get("tenant_id") {
                assert_eq!(tenant, A, "a {table} row of another workspace: {row}");
            }
        }
        exported.insert(table.to_owned(), rows.len() as i64);
        assert_eq!(
            bundle["manifest"]["row_counts"][table], expected[table],
            "manifest row count of {table}"
        );
    }
    assert_eq!(exported, expected, "rows per table");

    // Values keep their types: numeric, jsonb, inet.
    let lena = bundle_rows(&bundle, "leads")
        .iter()
        .find(|row| row["id"] == "aaaaaaaa-1ead-4000-8000-000000000001")
        .expect("Lena's lead");
    assert_eq!(lena["deal_value"].as_f64(), Some(125000.0), "{lena}");
    assert_eq!(lena["custom_fields"]["preferences"]["rooms"], 4, "{lena}");
    let marta = &bundle_rows(&bundle, "operators")
        .iter()
        .find(|row| row["id"] == 1)
        .expect("operator 1")["last_sign_in_ip"];
    assert_eq!(marta, "203.0.113.10");

    // The integration credentials, decrypted with keys.columns.
    let credentials: BTreeMap<i64, String> = bundle_rows(&bundle, "integration_credentials")
        .iter()
        .map(|row| {
            let id = row["id"].as_i64().expect("an integer id");
            (id, row["api_key"].as_str().expect("api_key").to_owned())
        })
        .collect();
    let plain: BTreeMap<i64, String> = A_API_KEYS
        .iter()
        .map(|(id, key)| (*id, (*key).to_owned()))
        .collect();
    assert_eq!(credentials, plain, "api_key decrypted with keys.columns");
    assert_eq!(
        bundle["manifest"]["encrypted_columns"]["integration_credentials"]["decrypted"],
        true
    );

    assert_nothing_of_b(&text, "A's bundle");
    assert_nothing_of_b(&summary.to_string(), "export-tenant's output");

    // The same role, asked for B, gets B (and none of A).
    let out_b = db.dir().join("b.json");
    run(
        &crm.app,
        &["export-tenant", "--tenant", B, "--out", utf8(&out_b)],
    )
    .success();
    let (text_b, bundle_b) = read_json_text(&out_b);
    for table in TABLES {
        let keys: BTreeSet<String> = bundle_rows(&bundle_b, table).iter().map(key_text).collect();
        assert_eq!(keys, tenant_keys(db, table, B).await, "B's {table}");
    }
    assert!(
        !text_b.contains("aaaaaaaa"),
        "B's bundle holds something of A"
    );
    crm.db.cleanup().await;
}

/// dsar preview, export and delete as the role for Lena in A: the plan and the bundle hold
/// exactly her rows in A; the deletion removes exactly them (and their blobs); B's Lena, with
/// the same email and phone, and every other row outside A are untouched.
#[tokio::test]
async fn dsar_as_the_rls_role_erases_the_subject_in_a_and_leaves_b_untouched() {
    let crm = setup().await;
    let db = &crm.db;
    let blobs = create_blobs(db).await;
    let before = outside_a(db).await;
    let a_before: BTreeMap<&str, BTreeSet<String>> = {
        let mut keys = BTreeMap::new();
        for table in TABLES {
            keys.insert(table, tenant_keys(db, table, A).await);
        }
        keys
    };
    let lena: BTreeMap<&str, BTreeSet<String>> = LENA_IN_A
        .iter()
        .map(|(table, ids)| (*table, ids.iter().map(|id| (*id).to_owned()).collect()))
        .collect();

    let plan = dsar(&crm.app, "preview", A, &[]).success().json();
    let expected: BTreeMap<String, (u64, String)> = lena
        .iter()
        .map(|(table, ids)| ((*table).to_owned(), (ids.len() as u64, "delete".to_owned())))
        .collect();
    assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
    assert_eq!(plan["total_rows"], 15, "{plan}");
    let token = token_of(&plan);

    let out = db.dir().join("lena.json");
    let export = dsar(&crm.app, "export", A, &["--out", utf8(&out)])
        .success()
        .json();
    let (text, bundle) = read_json_text(&out);
    assert_eq!(export["total_rows"], 15, "{export}");
    for (table, ids) in &lena {
        let keys: BTreeSet<String> = bundle_rows(&bundle, table).iter().map(key_text).collect();
        assert_eq!(&keys, ids, "Lena's {table} in the bundle");
    }
    assert_nothing_of_b(&text, "Lena's bundle from A");

    let done = dsar(&crm.app, "delete", A, &["--confirm", &token])
        .success()
        .json();
    assert_eq!(done["executed"], true, "{done}");
    assert_eq!(done["remaining"], 0, "{done}");
    assert_eq!(plan_counts(&done), expected, "rows erased: {done}");

    for table in TABLES {
        let gone = lena.get(table).cloned().unwrap_or_default();
        let left: BTreeSet<String> = a_before[table].difference(&gone).cloned().collect();
        assert_eq!(
            tenant_keys(db, table, A).await,
            left,
            "A's {table} after the erasure"
        );
    }
    assert_eq!(outside_a(db).await, before, "rows outside A changed");
    for (key, path) in &blobs {
        let lenas = key.ends_with("/expose-lindenstrasse-12.pdf") || key.ends_with("/call-1.ogg");
        assert_eq!(path.exists(), !lenas, "blob {key}");
    }

    // B's Lena is still all there for a DSAR in B.
    let in_b = dsar(&crm.app, "preview", B, &[]).success().json();
    assert_eq!(in_b["total_rows"], 8, "Lena in B: {in_b}");
    run(&crm.app, &["audit-verify"]).success();
    assert!(
        verify_ledger(db, LEDGER_KEY).await.ok(),
        "the ledger verifies"
    );
    crm.db.cleanup().await;
}

/// Without database.tenant_setting the role sees no workspace: every tenant command refuses
/// (exit 1, "not found", with a hint at the setting) instead of exporting or planning an empty
/// workspace, and writes no file.
#[tokio::test]
async fn without_the_tenant_setting_the_rls_role_is_refused_not_handed_an_empty_workspace() {
    let crm = setup().await;
    let db = &crm.db;
    let map = db.map_copy(
        FIXTURE,
        "no-setting.toml",
        &[(
            "\n[database]\ntenant_setting = \"app.current_tenant\"\n",
            "\n",
        )],
    );
    let app = crm.app.clone().map(&map);
    let ledger_before = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
    let out = db.dir().join("empty.json");
    let refusals = [
        run(&app, &["export-tenant", "--tenant", A, "--out", utf8(&out)]),
        dsar(&app, "preview", A, &[]),
        dsar(&app, "export", A, &["--out", utf8(&out)]),
        dsar(&app, "delete", A, &[]),
        run(&app, &["delete-tenant", "--tenant", A]),
    ];
    for refused in &refusals {
        refused.code(1);
        assert!(
            refused.stderr.contains(&format!("tenant `{A}` not found")),
            "{refused}"
        );
        assert!(
            refused.stderr.contains("database.tenant_setting")
                && refused.stderr.contains("row-level security"),
            "the hint should name the missing setting: {refused}"
        );
        assert!(refused.stdout.is_empty(), "{refused}");
    }
    assert!(!out.exists(), "a refused export left a file");
    assert_eq!(
        db.query_i64("SELECT count(*) FROM privctl_ledger").await,
        ledger_before,
        "a refused run recorded work"
    );

    // With the setting, the same role finds the workspace.
    run(
        &crm.app,
        &["export-tenant", "--tenant", A, "--out", utf8(&out)],
    )
    .success();
    crm.db.cleanup().await;
}

/// Checked without the superuser: nothing privctl writes for A as the role (bundles in every
/// format, plans, the ledger as `audit log` shows it to the role) holds anything of B, and every
/// ledger entry is A's.
#[tokio::test]
async fn nothing_of_b_reaches_the_bundles_or_the_ledger() {
    let crm = setup().await;
    let dir = crm.db.dir().to_owned();
    let mut written = Vec::new();
    for format in ["json", "ndjson"] {
        let out = dir.join(format!("a.{format}"));
        let output = run(
            &crm.app,
            &[
                "export-tenant",
                "--tenant",
                A,
                "--out",
                utf8(&out),
                "--output-format",
                format,
            ],
        );
        written.push((
            format!("export-tenant {format}"),
            output.success().stdout.clone(),
        ));
        written.push((
            format!("the {format} bundle"),
            std::fs::read_to_string(&out).unwrap(),
        ));
    }
    let csv = dir.join("a-csv");
    run(
        &crm.app,
        &[
            "export-tenant",
            "--tenant",
            A,
            "--out",
            utf8(&csv),
            "--output-format",
            "csv",
        ],
    )
    .success();
    for entry in std::fs::read_dir(&csv).expect("the CSV folder") {
        let path = entry.expect("an entry").path();
        written.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    let subject = dir.join("lena.json");
    written.push((
        "dsar export".into(),
        dsar(&crm.app, "export", A, &["--out", utf8(&subject)])
            .success()
            .stdout
            .clone(),
    ));
    written.push((
        "Lena's bundle".into(),
        std::fs::read_to_string(&subject).unwrap(),
    ));
    written.push((
        "dsar preview".into(),
        dsar(&crm.app, "preview", A, &[]).success().stdout.clone(),
    ));
    let plan = run(&crm.app, &["delete-tenant", "--tenant", A])
        .success()
        .stdout
        .clone();
    written.push(("delete-tenant's plan".into(), plan));

    let log = run(&crm.app, &["audit", "log", "--limit", "100"])
        .success()
        .json();
    let log_text = log.to_string();
    written.push(("the ledger".into(), log_text));
    for (what, text) in &written {
        assert_nothing_of_b(text, what);
    }
    let entries = log["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("audit log has no entries array: {log}"));
    assert_eq!(
        entries.len(),
        6,
        "three exports, a dsar export and preview, a plan: {log}"
    );
    for entry in entries {
        assert_eq!(entry["tenant"], A, "a ledger entry not of A: {entry}");
    }
    crm.db.cleanup().await;
}

/// delete-tenant of A as the role, two-step: the plan counts A's rows, the confirmed run erases
/// every one of them and A's workspace row and blobs, and leaves B and C whole. C, on legal
/// hold, is refused.
#[tokio::test]
async fn delete_tenant_as_the_rls_role_erases_a_and_leaves_b_whole() {
    let crm = setup().await;
    let db = &crm.db;
    let blobs = create_blobs(db).await;
    let before = outside_a(db).await;
    let a = tenant_counts(db, A).await;

    let plan = run(&crm.app, &["delete-tenant", "--tenant", A])
        .success()
        .json();
    let planned: BTreeMap<String, i64> = plan_counts(&plan)
        .into_iter()
        .map(|(table, (rows, effect))| {
            assert_eq!(effect, "delete", "{table}: {plan}");
            (table, rows as i64)
        })
        .collect();
    assert_eq!(
        planned, a,
        "the plan: every row of A and its workspace: {plan}"
    );

    let done = run(
        &crm.app,
        &[
            "delete-tenant",
            "--tenant",
            A,
            "--confirm",
            &token_of(&plan),
            "--batch-size",
            "2",
        ],
    )
    .success()
    .json();
    assert_eq!(done["executed"], true, "{done}");
    assert_eq!(done["remaining"], 0, "{done}");
    assert_eq!(done["total_rows"], 36, "{done}");

    let nothing: BTreeMap<String, i64> = TABLES.iter().map(|t| ((*t).to_owned(), 0)).collect();
    assert_eq!(tenant_counts(db, A).await, nothing, "A after delete-tenant");
    assert_eq!(outside_a(db).await, before, "rows outside A changed");
    for (key, path) in &blobs {
        assert_eq!(path.exists(), !key.starts_with("aaaaaaaa"), "blob {key}");
    }

    let held = run(&crm.app, &["delete-tenant", "--tenant", C]);
    held.code(1);
    assert!(held.stderr.contains("legal hold"), "{held}");
    assert_eq!(tenant_counts(db, C).await["leads"], 1);
    run(&crm.app, &["audit-verify"]).success();
    crm.db.cleanup().await;
}

/// purge-retention --tenant A as the role, on 2026-11-01: A's audit events older than 365
/// days and recordings (with their transcripts) older than 90 days go, and nothing else; B's
/// expired audit event stays. A purge of every tenant, which the role cannot list, is refused
/// rather than finding nothing to do.
#[tokio::test]
async fn purge_retention_as_the_rls_role_purges_the_named_workspace_only() {
    let crm = setup().await;
    let db = &crm.db;
    let blobs = create_blobs(db).await;
    let before = outside_a(db).await;
    let app = crm.app.clone().env("PRIVCTL_NOW", "2026-11-01T00:00:00Z");

    let all = run(&app, &["purge-retention"]);
    all.code(1);
    assert!(
        all.stderr
            .contains("row-level security hides every row of workspaces")
            && all.stderr.contains("--tenant"),
        "{all}"
    );

    let plan = run(&app, &["purge-retention", "--tenant", A])
        .success()
        .json();
    let expected: BTreeMap<String, (u64, String)> = [
        ("audit_events", 1),
        ("call_recordings", 1),
        ("transcripts", 1),
    ]
    .into_iter()
    .map(|(table, rows)| (table.to_owned(), (rows, "delete".to_owned())))
    .collect();
    assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
    let done = run(
        &app,
        &[
            "purge-retention",
            "--tenant",
            A,
            "--confirm",
            &token_of(&plan),
        ],
    )
    .success()
    .json();
    assert_eq!(done["executed"], true, "{done}");

    assert_eq!(
        tenant_keys(db, "audit_events", A).await,
        BTreeSet::from(["1".to_owned(), "2".to_owned(), "4".to_owned()]),
        "A's audit events younger than 365 days"
    );
    assert_eq!(
        tenant_keys(db, "call_recordings", A).await,
        BTreeSet::from(["1".to_owned()])
    );
    assert_eq!(
        tenant_keys(db, "transcripts", A).await,
        BTreeSet::from(["1".to_owned()])
    );
    assert_eq!(outside_a(db).await, before, "rows outside A changed");
    for (key, path) in &blobs {
        assert_eq!(path.exists(), !key.ends_with("/call-2.ogg"), "blob {key}");
    }
    crm.db.cleanup().await;
}

/// `dsar scan` in A reads through the tenant selection: the application role, which row-level
/// security confines to A, finds exactly what the superuser (who sees every workspace) finds,
/// so the scan's statements never needed a row of B, and nothing of B is printed.
#[tokio::test]
async fn dsar_scan_as_the_rls_role_finds_what_the_superuser_finds_in_a() {
    let crm = setup().await;
    let as_role = dsar(&crm.app, "scan", A, &[]);
    let confined = as_role.success().json();
    assert_nothing_of_b(&as_role.stdout, "the scan of A");
    let superuser = crm.app.clone().env("DATABASE_URL", &crm.db.url);
    let unconfined = dsar(&superuser, "scan", A, &[]).success().json();
    assert_eq!(
        confined["hits"], unconfined["hits"],
        "{confined:#}\n{unconfined:#}"
    );
    assert!(
        !confined["hits"].as_array().expect("hits").is_empty(),
        "Lena is found in A: {confined:#}"
    );
    crm.db.cleanup().await;
}
