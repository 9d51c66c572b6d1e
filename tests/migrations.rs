//! privctl's own tables as versioned migrations (sql/<dialect>/NNNN_*.sql, applied by
//! `privctl init`, recorded in privctl_migrations).
//!
//! `init` creates them on an empty database, changes nothing when run again, and upgrades a
//! database made by the script earlier privctls ran (tests/fixtures/privctl-v0-*.sql) without
//! losing a row. Every command that needs the tables checks their version first and refuses, naming
//! `privctl init`, when they are missing, older or newer than it.

use std::path::PathBuf;

use privctl::clock::Timestamp;
use privctl::db::{Db, TxMode};
use privctl::ledger::{Ledger, LedgerEntry, NewEntry};

use crate::support::fixture::{
    self, PRIVCTL_MIGRATIONS_TABLE, PRIVCTL_TABLES, columns, verify_ledger,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

const LEDGER_KEY: &str = "migrations-tests-ledger-key-0123";
const JANE: [&str; 4] = ["--tenant", "acme", "--email", "jane.doe@example.com"];

/// The version this privctl's tables should be at.
fn current_version(dialect: Dialect) -> i64 {
    privctl::db::required_version(match dialect {
        Dialect::Sqlite => privctl::db::Dialect::Sqlite,
        Dialect::Postgres => privctl::db::Dialect::Postgres,
    })
}

/// Every table `init` creates in this dialect, bookkeeping included.
fn own_tables(dialect: Dialect) -> Vec<&'static str> {
    let mut tables = vec![PRIVCTL_MIGRATIONS_TABLE];
    tables.extend(PRIVCTL_TABLES);
    if dialect == Dialect::Sqlite {
        tables.push("privctl_locks");
    }
    tables.sort_unstable();
    tables
}

/// The tables whose name starts with `privctl`, sorted.
async fn privctl_tables_present(db: &TestDb) -> Vec<String> {
    db.query_strings(match db.dialect {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'privctl%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE 'privctl%' ORDER BY table_name"
        }
    })
    .await
}

/// privctl_migrations, one line per applied migration (the time it was applied included).
async fn applied_migrations(db: &TestDb) -> Vec<String> {
    let checksum = match db.dialect {
        Dialect::Sqlite => "lower(hex(checksum))",
        Dialect::Postgres => "encode(checksum, 'hex')",
    };
    db.query_strings(&format!(
        "SELECT CAST(version AS text) || '|' || description || '|' || {checksum} || '|' \
         || CAST(installed_on AS text) || '|' || CASE WHEN success THEN 'ok' ELSE 'failed' END \
         FROM privctl_migrations ORDER BY version"
    ))
    .await
}

/// Every row of each of `tables`, every column as text: equal snapshots mean nothing was lost
/// or changed. Columns a later migration adds (the ledger's `origin` and `nonce`, NULL in the
/// entries written before it) are left out, so snapshots before and after an upgrade compare.
async fn rows(db: &TestDb, tables: &[&str]) -> Vec<String> {
    let mut rows = Vec::new();
    for table in tables {
        let row_text = columns(db, table)
            .await
            .iter()
            .filter(|column| {
                !(*table == "privctl_ledger" && ["origin", "nonce"].contains(&column.as_str()))
            })
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS text), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut table_rows = db
            .query_strings(&format!("SELECT '{table}|' || {row_text} FROM {table}"))
            .await;
        table_rows.sort();
        rows.extend(table_rows);
    }
    rows
}

/// `tests/fixtures/<name>-<dialect>.sql`: privctl's tables as a script of an earlier privctl
/// created them.
fn old_script(name: &str, dialect: Dialect) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(format!("{name}-{}.sql", dialect.name()));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The first entry of a ledger, as privctl appends it (chained from the genesis hash, keyed with
/// [`LEDGER_KEY`]), written in a scratch database of its own: the library needs today's tables.
async fn first_ledger_entry(db: &TestDb) -> LedgerEntry {
    let url = format!("sqlite://{}", db.dir().join("scratch.sqlite3").display());
    let scratch = Db::connect(&url, true)
        .await
        .expect("cannot create the scratch database");
    privctl::commands::init::create_tables(&scratch)
        .await
        .expect("cannot create privctl's tables");
    let mut tx = scratch.begin(TxMode::Write).await.expect("cannot begin");
    let ledger = Ledger::new(
        Some(LEDGER_KEY.as_bytes().to_vec()),
        "ops@example.com".into(),
        "db-admin-1".into(),
    );
    let mut entry = ledger
        .append(
            &mut tx,
            Timestamp::parse("2026-06-01T09:00:00Z").expect("a valid time"),
            NewEntry::new("dsar-preview", "planned", serde_json::json!({"rows": 3}))
                .tenant(Some("acme")),
        )
        .await
        .expect("cannot append to the ledger");
    tx.commit().await.expect("cannot commit");
    scratch.close().await;
    // An earlier privctl wrote version 1: no origin, no nonce.
    entry.origin = None;
    entry.nonce = None;
    entry.hash = ledger.digest(&entry.canonical());
    entry
}

/// `value` as a SQL string literal, or NULL.
fn literal(value: Option<&str>) -> String {
    value.map_or_else(
        || "NULL".to_owned(),
        |v| format!("'{}'", v.replace('\'', "''")),
    )
}

/// The fixture's database with privctl's tables as `script` (an earlier privctl's) made them,
/// holding one ledger entry, a token, a job and a queued object, as that privctl wrote them; and
/// a runner with the fixture's map and ledger key.
async fn initialised_by_an_earlier_privctl(dialect: Dialect, script: &str) -> (TestDb, Privctl) {
    let db = TestDb::new(dialect).await;
    db.load_fixture(fixture::NAME).await;
    db.execute(&old_script(script, dialect)).await;
    let e = first_ledger_entry(&db).await;
    let values = [
        Some(e.at.as_str()),
        Some(&e.actor),
        Some(&e.host),
        Some(&e.action),
        e.tenant.as_deref(),
        e.subject_ref.as_deref(),
        e.resource.as_deref(),
        Some(&e.outcome),
        Some(&e.details),
        Some(&e.alg),
        Some(&e.prev_hash),
        Some(&e.hash),
    ]
    .map(literal)
    .join(", ");
    db.execute(&format!(
        "INSERT INTO privctl_ledger (seq, at, actor, host, action, tenant, subject_ref, resource, \
           outcome, details, alg, prev_hash, hash) VALUES ({}, {values})",
        e.seq
    ))
    .await;
    db.execute(
        "INSERT INTO privctl_confirmations (token_hash, action, tenant, selector, plan_digest, plan, \
           issued_by, issued_at, expires_at) \
         VALUES ('00ff', 'dsar-delete', 'acme', 'x', 'd', '{}', 'ops', '2026-06-01T09:00:00.000000Z', \
           '2026-06-01T09:15:00.000000Z'); \
         INSERT INTO privctl_jobs (id, action, tenant, state, started_at, updated_at) \
         VALUES ('job-1', 'delete-tenant', 'acme', 'stopped', '2026-06-01T09:00:00.000000Z', \
           '2026-06-01T09:01:00.000000Z'); \
         INSERT INTO privctl_blob_outbox (store, object_key, source_table, tenant, enqueued_at) \
         VALUES ('recordings', 'acme/1.wav', 'recordings', 'acme', '2026-06-01T09:01:00.000000Z');",
    )
    .await;
    let privctl = Privctl::new(&db)
        .map(fixture::map_path())
        .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
    (db, privctl)
}

/// The tables both old scripts created, whose rows an upgrade must keep.
const KEPT: [&str; 4] = [
    "privctl_ledger",
    "privctl_confirmations",
    "privctl_jobs",
    "privctl_blob_outbox",
];

#[track_caller]
fn assert_names_init(output: &RunOutput, what: &str) {
    output.code(1);
    assert!(
        output.stderr.contains("privctl init"),
        "{what}: no hint to run `privctl init`: {output}"
    );
}

/// After an upgrade: the entry the earlier privctl appended verifies with the binary, the
/// commands that were refused run, and their entries continue the same chain.
fn assert_the_ledger_continues(privctl: &Privctl) {
    let verified = privctl
        .clone()
        .args(["--format", "json", "audit-verify"])
        .run();
    let report = verified.success().json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["entries"], 1, "{report}");
    privctl
        .clone()
        .args(["dsar", "preview"])
        .args(JANE)
        .run()
        .success();
    privctl.clone().arg("status").run().success();
    let verified = privctl
        .clone()
        .args(["--format", "json", "audit-verify"])
        .run();
    let report = verified.success().json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["entries"], 2, "{report}");
}

both_dialects! {
    /// On an empty database `init` creates every table of privctl's and records each migration
    /// once, at the version this privctl needs.
    async fn init_on_an_empty_database_creates_the_current_version(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        let privctl = Privctl::new(&db);
        privctl.clone().arg("init").run().success();
        assert_eq!(privctl_tables_present(&db).await, own_tables(dialect));
        let applied = db
            .query_strings("SELECT CAST(version AS text) FROM privctl_migrations ORDER BY version")
            .await;
        let expected: Vec<String> = (1..=current_version(dialect)).map(|v| v.to_string()).collect();
        assert_eq!(applied, expected);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_migrations WHERE NOT success").await,
            0
        );
        db.cleanup().await;
    }

    /// `init` run again applies nothing (the bookkeeping is as the first run left it), says the
    /// same, and the tables are still usable.
    async fn init_twice_applies_nothing_the_second_time(dialect: Dialect) {
        let (db, privctl) = fixture::setup(dialect, LEDGER_KEY).await;
        let first = applied_migrations(&db).await;
        privctl.clone().args(["dsar", "preview"]).args(JANE).run().success();
        // privctl_migrations is compared above, as text (SQLite cannot cast its checksum).
        let mut tables = own_tables(dialect);
        tables.retain(|table| *table != "privctl_migrations");
        let before = rows(&db, &tables).await;

        let again = privctl.clone().arg("init").run();
        assert!(again.success().stdout.starts_with("privctl tables are ready in "), "{again}");
        assert_eq!(applied_migrations(&db).await, first, "the second init re-applied a migration");
        assert_eq!(rows(&db, &tables).await, before, "the second init changed rows");
        assert_eq!(privctl_tables_present(&db).await, own_tables(dialect));
        assert!(verify_ledger(&db, LEDGER_KEY).await.ok());
        db.cleanup().await;
    }

    /// A database made by the last script `init` ran before migrations: every command refuses
    /// (version 0) and names `privctl init`; `init` then records the migrations and keeps every
    /// row, and the ledger the earlier privctl wrote verifies and goes on.
    async fn init_upgrades_tables_made_by_the_last_script(dialect: Dialect) {
        let (db, privctl) = initialised_by_an_earlier_privctl(dialect, "privctl-v0").await;
        let before = rows(&db, &KEPT).await;
        assert_eq!(before.len(), 4, "{before:?}");

        let refused = privctl.clone().args(["dsar", "preview"]).args(JANE).run();
        assert_names_init(&refused, "dsar preview before the upgrade");
        assert!(
            refused.stderr.contains(&format!(
                "privctl's tables are at version 0 (created before privctl versioned them), this privctl needs {}",
                current_version(dialect)
            )),
            "{refused}"
        );
        assert_names_init(&privctl.clone().arg("audit-verify").run(), "audit-verify");
        assert_names_init(&privctl.clone().arg("status").run(), "status");
        assert_eq!(rows(&db, &KEPT).await, before, "a refused command changed privctl's rows");

        privctl.clone().arg("init").run().success();
        assert_eq!(rows(&db, &KEPT).await, before, "the upgrade lost or changed rows");
        assert_eq!(privctl_tables_present(&db).await, own_tables(dialect));
        assert_eq!(applied_migrations(&db).await.len() as i64, current_version(dialect));
        assert_the_ledger_continues(&privctl);
        db.cleanup().await;
    }

    /// A database made by the first script (before the ledger's checkpoints, and on SQLite the
    /// run locks): `init` adds what it lacks and keeps every row.
    async fn init_upgrades_tables_made_by_the_first_script(dialect: Dialect) {
        let (db, privctl) = initialised_by_an_earlier_privctl(dialect, "privctl-v0-first").await;
        assert!(
            !privctl_tables_present(&db).await.contains(&"privctl_ledger_checkpoints".to_owned())
        );
        let before = rows(&db, &KEPT).await;

        privctl.clone().arg("init").run().success();
        assert_eq!(rows(&db, &KEPT).await, before, "the upgrade lost or changed rows");
        assert_eq!(privctl_tables_present(&db).await, own_tables(dialect));
        if dialect == Dialect::Postgres {
            assert_eq!(
                db.query_strings("SELECT CAST(privctl_try_jsonb('{\"a\": 1}') AS text)").await,
                ["{\"a\": 1}"]
            );
        }
        assert_the_ledger_continues(&privctl);
        db.cleanup().await;
    }

    /// Without privctl's tables, every command that needs them exits 1 naming `privctl init`,
    /// and none creates a table.
    async fn commands_without_privctl_tables_name_init(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.load_fixture(fixture::NAME).await;
        let privctl = Privctl::new(&db)
            .map(fixture::map_path())
            .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
        let out = db.dir().join("out.json");
        let out = out.to_str().expect("a UTF-8 path");
        let commands: Vec<Vec<&str>> = vec![
            [&["dsar", "preview"][..], &JANE].concat(),
            [&["dsar", "export"][..], &JANE, &["--out", out]].concat(),
            [&["dsar", "delete"][..], &JANE].concat(),
            [&["dsar", "scan"][..], &JANE].concat(),
            vec!["export-tenant", "--tenant", "acme", "--out", out],
            vec!["delete-tenant", "--tenant", "acme"],
            vec!["purge-retention"],
            vec!["purge-retention", "--blobs-only"],
            vec!["audit-verify"],
            vec!["audit", "head"],
            vec!["audit", "log"],
            vec!["status"],
        ];
        for args in commands {
            let refused = privctl.clone().args(&args).run();
            assert_names_init(&refused, &args.join(" "));
            assert!(
                refused.stderr.contains("privctl's own tables are missing from this database"),
                "{args:?}: {refused}"
            );
        }
        assert_eq!(privctl_tables_present(&db).await, Vec::<String>::new());
        db.cleanup().await;
    }

    /// Tables a newer privctl migrated further: this one neither runs on them nor "upgrades"
    /// them, and says to use a newer privctl; a migration changed after it was applied stops
    /// `init` too.
    async fn newer_or_changed_migrations_are_refused(dialect: Dialect) {
        let (db, privctl) = fixture::setup(dialect, LEDGER_KEY).await;
        let next = current_version(dialect) + 1;
        let checksum = match dialect {
            Dialect::Sqlite => "X'00'",
            Dialect::Postgres => "'\\x00'::bytea",
        };
        db.execute(&format!(
            "INSERT INTO privctl_migrations (version, description, success, checksum, execution_time) \
             VALUES ({next}, 'from the future', TRUE, {checksum}, 0)"
        ))
        .await;
        let refused = privctl.clone().args(["dsar", "preview"]).args(JANE).run();
        refused.code(1);
        assert!(
            refused.stderr.contains(&format!("privctl's tables are at version {next}, newer than this privctl")),
            "{refused}"
        );
        let init = privctl.clone().arg("init").run();
        init.code(1);
        assert!(init.stderr.contains("newer than this privctl"), "{init}");

        db.execute(&format!(
            "DELETE FROM privctl_migrations WHERE version = {next}; \
             UPDATE privctl_migrations SET checksum = {checksum} WHERE version = 1"
        ))
        .await;
        let init = privctl.clone().arg("init").run();
        init.code(1);
        assert!(init.stderr.contains("records migration 1 with another checksum"), "{init}");
        db.cleanup().await;
    }
}
