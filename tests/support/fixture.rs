//! The conversational-ai fixture (fixtures/conversational-ai) and what the tests that run on it
//! share: its tables, its map, a database seeded with it and `privctl init` run, and snapshots
//! and checks of its rows.
//!
//! ```ignore
//! use crate::support::fixture::{self, setup};
//!
//! let (db, privctl) = setup(dialect, "my-tests-ledger-key").await;
//! let before = fixture::row_counts(&db, fixture::TABLES).await;
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Dialect, Privctl, TestDb, fixture_path};

/// The fixture's folder name under fixtures/.
pub const NAME: &str = "conversational-ai";

/// Every business table of the fixture (schema_migrations is ignored by the map).
pub const TABLES: [&str; 13] = [
    "organizations",
    "members",
    "addresses",
    "contacts",
    "conversations",
    "messages",
    "attachments",
    "recordings",
    "transcripts",
    "agent_traces",
    "orders",
    "invoices",
    "consent_records",
];

/// The fixture's own bookkeeping table (not in the map, not in [`TABLES`]).
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// The tables `privctl init` creates for privctl's data (besides [`PRIVCTL_MIGRATIONS_TABLE`],
/// and on SQLite `privctl_locks`).
pub const PRIVCTL_TABLES: [&str; 7] = [
    "privctl_ledger",
    "privctl_ledger_checkpoints",
    "privctl_ledger_tree",
    "privctl_ledger_meta",
    "privctl_confirmations",
    "privctl_jobs",
    "privctl_blob_outbox",
];

/// The migrations `privctl init` applied: every command reads it, so a role that runs privctl
/// needs `SELECT` on it.
pub const PRIVCTL_MIGRATIONS_TABLE: &str = "privctl_migrations";

/// The fixture's map, in the repository (read it; never write beside it).
pub fn map_path() -> PathBuf {
    fixture_path(NAME).join("privctl.toml")
}

/// Where [`setup_with_map_copy`] copies the fixture's map: `<test dir>/privctl.toml`.
pub fn map_copy_path(db: &TestDb) -> PathBuf {
    db.dir().join("privctl.toml")
}

/// A database of this dialect with the fixture loaded and `privctl init` run, and a privctl
/// runner for it: the fixture's map, and `ledger_key` as `PRIVCTL_LEDGER_KEY` (the map reads
/// the ledger's HMAC key from it).
pub async fn setup(dialect: Dialect, ledger_key: &str) -> (TestDb, Privctl) {
    let db = seeded_db(dialect).await;
    let privctl = init(&db, &map_path(), ledger_key);
    (db, privctl)
}

/// [`setup`], with the fixture's map copied into the test's directory ([`map_copy_path`]) and
/// used from there: the map's `file://./blobs/…` stores then resolve inside the test's
/// directory, never in the repository.
pub async fn setup_with_map_copy(dialect: Dialect, ledger_key: &str) -> (TestDb, Privctl) {
    let db = seeded_db(dialect).await;
    let map = db.map_copy(NAME, "privctl.toml", &[]);
    let privctl = init(&db, &map, ledger_key);
    (db, privctl)
}

async fn seeded_db(dialect: Dialect) -> TestDb {
    let db = TestDb::new(dialect).await;
    db.load_fixture(NAME).await;
    db
}

/// A privctl runner with this map and ledger key, after running `privctl init` with it.
fn init(db: &TestDb, map: &Path, ledger_key: &str) -> Privctl {
    let privctl = Privctl::new(db)
        .map(map)
        .env("PRIVCTL_LEDGER_KEY", ledger_key);
    privctl.clone().arg("init").run().success();
    privctl
}

/// A copy of the fixture's map in the test's directory, named `name`, with `from` replaced by
/// `to` (exactly one occurrence). The map's relative `file://` blob URLs stay relative to the
/// working directory.
#[track_caller]
pub fn write_map_copy(db: &TestDb, name: &str, from: &str, to: &str) -> PathBuf {
    db.map_copy(NAME, name, &[(from, to)])
}

/// `(table, count(*))` of each of these tables, in order.
pub async fn row_counts(db: &TestDb, tables: impl IntoIterator<Item = &str>) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in tables {
        let count = db.query_i64(&format!("SELECT count(*) FROM {table}")).await;
        counts.push((table.to_owned(), count));
    }
    counts
}

/// acme's rows per table (README, "Row counts", plus its organizations row).
pub const ACME_ROWS: [(&str, i64); 13] = [
    ("organizations", 1),
    ("members", 4),
    ("addresses", 3),
    ("contacts", 7),
    ("conversations", 8),
    ("messages", 24),
    ("attachments", 2),
    ("recordings", 1),
    ("transcripts", 1),
    ("agent_traces", 7),
    ("orders", 4),
    ("invoices", 5),
    ("consent_records", 6),
];

/// acme's rows per table, counted with plain SQL.
pub async fn acme_counts(db: &TestDb) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for table in TABLES {
        let n = db
            .query_i64(&format!(
                "SELECT count(*) FROM {table} WHERE {}",
                tenant_condition(table, "=", "acme")
            ))
            .await;
        counts.insert(table.to_owned(), n);
    }
    counts
}

/// The keys (`id`, as text) of acme's rows of one table.
pub async fn acme_keys(db: &TestDb, table: &str) -> BTreeSet<String> {
    db.query_strings(&format!(
        "SELECT CAST(id AS TEXT) FROM {table} WHERE {}",
        tenant_condition(table, "=", "acme")
    ))
    .await
    .into_iter()
    .collect()
}

/// Adds `count` acme messages (ids from `first_id`) with 100-character bodies to acme's
/// conversation 1.
pub async fn insert_acme_messages(db: &TestDb, first_id: i64, count: i64) {
    let body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
                incididunt ut labore.";
    assert_eq!(body.len(), 100);
    let last = first_id + count - 1;
    let sql = match db.dialect {
        Dialect::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT {first_id} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             SELECT i, 1, 'customer', '{body}', '2026-10-12T12:00:00Z' FROM n"
        ),
        Dialect::Postgres => format!(
            "INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             SELECT i, 1, 'customer', '{body}', TIMESTAMPTZ '2026-10-12T12:00:00Z' \
             FROM generate_series({first_id}, {last}) AS i"
        ),
    };
    db.execute(&sql).await;
    assert_eq!(
        db.query_i64(&format!(
            "SELECT count(*) FROM messages WHERE id BETWEEN {first_id} AND {last}"
        ))
        .await,
        count
    );
}

/// Every row of every table.
pub async fn everything(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    snapshot(db, |_| "1 = 1".to_owned()).await
}

/// The columns of a table, in order.
pub async fn columns(db: &TestDb, table: &str) -> Vec<String> {
    let sql = match db.dialect {
        Dialect::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        Dialect::Postgres => format!(
            "SELECT column_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}' \
             ORDER BY ordinal_position"
        ),
    };
    let columns = db.query_strings(&sql).await;
    assert!(!columns.is_empty(), "table {table} has no columns");
    columns
}

/// Every row matching `condition` in every table (and all of schema_migrations), each as the
/// text of all its columns (NULL marked), ordered by id: compare two snapshots to prove that
/// nothing in them changed.
pub async fn snapshot(
    db: &TestDb,
    condition_for: impl Fn(&str) -> String,
) -> BTreeMap<String, Vec<String>> {
    let mut snapshot = BTreeMap::new();
    for table in TABLES.iter().copied().chain([MIGRATIONS_TABLE]) {
        let row_text = columns(db, table)
            .await
            .iter()
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS TEXT), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let (condition, order) = if table == MIGRATIONS_TABLE {
            ("1 = 1".to_owned(), "version")
        } else {
            (condition_for(table), "id")
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

/// The condition that selects one tenant's rows of a fixture table (`=`) or every other
/// tenant's (`<>`).
pub fn tenant_condition(table: &str, operator: &str, tenant: &str) -> String {
    match table {
        "organizations" => format!("id {operator} '{tenant}'"),
        "messages" => format!(
            "conversation_id IN (SELECT id FROM conversations WHERE org_id {operator} '{tenant}')"
        ),
        _ => format!("org_id {operator} '{tenant}'"),
    }
}

/// A row's reference to its parent: `(child table, column, parent table)`.
/// (child table, column, parent table).
pub type Link = (&'static str, &'static str, &'static str);

/// The links among a subject's rows (and from members to their organization): foreign keys and
/// the map's declared link attachments.message_id (which has no foreign key).
const SUBJECT_LINKS: [Link; 13] = [
    ("members", "org_id", "organizations"),
    ("contacts", "address_id", "addresses"),
    ("conversations", "contact_id", "contacts"),
    ("conversations", "assigned_member_id", "members"),
    ("messages", "conversation_id", "conversations"),
    ("attachments", "message_id", "messages"),
    ("recordings", "conversation_id", "conversations"),
    ("transcripts", "recording_id", "recordings"),
    ("agent_traces", "conversation_id", "conversations"),
    ("orders", "contact_id", "contacts"),
    ("orders", "shipping_address_id", "addresses"),
    ("invoices", "contact_id", "contacts"),
    ("consent_records", "contact_id", "contacts"),
];

/// The other tables' `org_id` links to their organization (members' is in [`SUBJECT_LINKS`]).
const ORGANIZATION_LINKS: [Link; 5] = [
    ("addresses", "org_id", "organizations"),
    ("contacts", "org_id", "organizations"),
    ("conversations", "org_id", "organizations"),
    ("invoices", "org_id", "organizations"),
    ("consent_records", "org_id", "organizations"),
];

/// Fails when a row references a missing parent, through a foreign key or the map's declared
/// link attachments.message_id (which has no foreign key), or through any table's `org_id`.
pub async fn assert_no_orphans(db: &TestDb) {
    assert_no_orphans_through(db, SUBJECT_LINKS.into_iter().chain(ORGANIZATION_LINKS)).await;
}

/// Fails when a row references a missing parent through a link among subjects' rows (a foreign
/// key or the map's declared link attachments.message_id, which has no foreign key), and
/// members' `org_id`; the other tables' `org_id` are not checked (see [`assert_no_orphans`]).
pub async fn assert_no_subject_orphans(db: &TestDb) {
    assert_no_orphans_through(db, SUBJECT_LINKS).await;
}

/// SQLite's foreign key check (every foreign key), then each of `links` (child table, column,
/// parent table with an `id` key) in plain SQL. Any fixture's tests can use it.
pub async fn assert_no_orphans_through(db: &TestDb, links: impl IntoIterator<Item = Link>) {
    if db.dialect == Dialect::Sqlite {
        let broken = db
            .query_optional_strings("SELECT \"table\" FROM pragma_foreign_key_check")
            .await;
        assert!(broken.is_empty(), "PRAGMA foreign_key_check: {broken:?}");
    }
    for (child, column, parent) in links {
        let orphans = db
            .query_strings(&format!(
                "SELECT CAST(id AS TEXT) FROM {child} WHERE {column} IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {child}.{column})"
            ))
            .await;
        assert!(
            orphans.is_empty(),
            "{child}.{column} references missing {parent} rows: {child} ids {orphans:?}"
        );
    }
}

/// Verifies the ledger's chain with the library, under `ledger_key` (the one given to
/// [`setup`]).
pub async fn verify_ledger(db: &TestDb, ledger_key: &str) -> privctl::ledger::Verification {
    let pool = privctl::db::Db::connect(&db.url, false)
        .await
        .expect("cannot connect to the test database");
    let mut tx = pool
        .begin(privctl::db::TxMode::Snapshot)
        .await
        .expect("cannot open a snapshot");
    let ledger =
        privctl::ledger::Ledger::new(Some(ledger_key.as_bytes().to_vec()), "x".into(), "y".into());
    let verification = ledger
        .verify(&mut tx, None)
        .await
        .expect("verify failed to run");
    drop(tx);
    pool.close().await;
    verification
}

/// The token of a plan (`dsar preview`, or a dry run).
#[track_caller]
pub fn token_of(plan: &Value) -> String {
    plan["token"]
        .as_str()
        .unwrap_or_else(|| panic!("the plan has no \"token\" string: {plan}"))
        .to_owned()
}

/// `table -> (rows, effect)` of a plan's or an execution's tables with rows.
pub fn plan_counts(plan: &Value) -> BTreeMap<String, (u64, String)> {
    plan["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no `tables` array: {plan}"))
        .iter()
        .filter_map(|entry| {
            let rows = entry["rows"]
                .as_u64()
                .unwrap_or_else(|| panic!("no row count in {entry}"));
            let table = entry["table"].as_str().expect("a table name").to_owned();
            let effect = entry["effect"]
                .as_str()
                .unwrap_or_else(|| panic!("no effect in {entry}"))
                .to_owned();
            (rows > 0).then_some((table, (rows, effect)))
        })
        .collect()
}

/// One blob object of the fixture, created in the test's file stores.
pub struct Blob {
    pub table: &'static str,
    pub id: i64,
    pub tenant: String,
    pub path: PathBuf,
}

/// Creates `blobs/recordings/<key>` and `blobs/attachments/<key>` beside the map copy for
/// every recording and attachment of every tenant.
pub async fn create_blobs(db: &TestDb) -> Vec<Blob> {
    let mut blobs = Vec::new();
    for table in ["recordings", "attachments"] {
        let rows = db
            .query_strings(&format!(
                "SELECT CAST(id AS TEXT) || '|' || org_id || '|' || storage_key FROM {table} ORDER BY id"
            ))
            .await;
        for row in rows {
            let mut fields = row.splitn(3, '|');
            let (Some(id), Some(tenant), Some(key)) = (fields.next(), fields.next(), fields.next())
            else {
                panic!("id|org_id|storage_key: {row}");
            };
            let path = db.dir().join("blobs").join(table).join(key);
            std::fs::create_dir_all(path.parent().expect("a parent folder"))
                .expect("cannot create the blob's folder");
            std::fs::write(&path, format!("object {table}/{key}")).expect("cannot write a blob");
            blobs.push(Blob {
                table,
                id: id.parse().expect("an integer id"),
                tenant: tenant.to_owned(),
                path,
            });
        }
    }
    assert_eq!(blobs.len(), 12, "6 recordings and 6 attachments");
    blobs
}
