//! The real-schema tier (issue 12): privctl against schemas re-created from real open-source SaaS
//! applications' own migrations, compared row key by row key with a ground truth written by hand.
//!
//! Each app is a folder `fixtures/real/<app>/` (see /work/notes/REAL_TIER.md and each folder's
//! README.md) holding `schema.sql`, `seed.sql`, `privctl.toml`, `case.toml` and
//! `truth/{subject,tenant}.sql`. [`real_schema_tests!`] generates one module per app with one
//! `#[tokio::test]` per check, e.g. `real_schemas::langfuse::preview_matches_truth`. Add an app
//! with one more name in the `real_schema_tests!` line at the bottom.
//!
//! PostgreSQL only: every test gets a fresh database with the app's schema and seed, then runs
//! `privctl init` with the app's map.
//!
//! Row keys: the truth prints each row's key as PostgreSQL prints
//! `CAST(json_build_array(<key columns>) AS text)`; the tests read the key of a bundle row by the
//! table's key columns (the map's `key = [...]`, else the primary key) and compare both as JSON
//! values, timestamps compared without a trailing `Z`/`+00:00` or zero fraction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::bundle::{read_json, utf8};
use crate::support::postgres::quote_ident;
use crate::support::{Dialect, Privctl, RunOutput, TestDb, fixture_path};

/// The HMAC key of the ledger (every real map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "real-schemas-ledger-key-5e81d0";

/// Row key (as JSON) -> effect (`delete` | `anonymise` | `retain`), per table.
type Truth = BTreeMap<String, BTreeMap<String, String>>;

/// Row key (as JSON) -> the row's `row_to_json` text, per table.
type Snapshot = BTreeMap<String, BTreeMap<String, String>>;

/// `fixtures/real/<app>/case.toml`.
#[derive(Debug, serde::Deserialize)]
struct Case {
    tenant: String,
    other_tenant: String,
    identities: Vec<(String, String)>,
    residue: Vec<String>,
    retained: Vec<String>,
    /// `table.column` places where the residue scan at the end of `dsar delete` still finds one
    /// of her identifiers, by the map's choice (exit 6 naming exactly these); none: exit 0.
    #[serde(default)]
    scan_residue: Vec<String>,
}

/// One app's fixture loaded into a fresh database, `privctl init` run, and what the checks need.
struct App {
    name: &'static str,
    db: TestDb,
    privctl: Privctl,
    case: Case,
    /// Key columns per table (the map's `key`, else the primary key), for every table of the
    /// `public` schema that has one.
    keys: BTreeMap<String, Vec<String>>,
}

fn folder(app: &str) -> PathBuf {
    fixture_path("real").join(app)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

impl App {
    async fn load(name: &'static str) -> App {
        let dir = folder(name);
        let case: Case = toml::from_str(&read(&dir.join("case.toml")))
            .unwrap_or_else(|error| panic!("{name}/case.toml: {error}"));
        let db = TestDb::new(Dialect::Postgres).await;
        db.execute(&read(&dir.join("schema.sql"))).await;
        db.execute(&read(&dir.join("seed.sql"))).await;
        let privctl = Privctl::new(&db)
            .map(dir.join("privctl.toml"))
            .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
        privctl.clone().arg("init").run().success();
        let keys = key_columns(&db, &dir.join("privctl.toml")).await;
        App {
            name,
            db,
            privctl,
            case,
            keys,
        }
    }

    /// The map's `[tenant] table`.
    fn tenant_table(&self) -> String {
        let map: toml::Table = toml::from_str(&read(&folder(self.name).join("privctl.toml")))
            .expect("the map is TOML");
        map["tenant"]["table"]
            .as_str()
            .expect("[tenant] table")
            .to_owned()
    }

    /// `--identity name=value` for each of the case's identities.
    fn subject_args(&self) -> Vec<String> {
        self.case
            .identities
            .iter()
            .flat_map(|(name, value)| ["--identity".to_owned(), format!("{name}={value}")])
            .collect()
    }

    /// `privctl --format json dsar <verb> --tenant <tenant> <subject> <extra>`.
    fn dsar(&self, verb: &str, extra: &[&str]) -> RunOutput {
        self.privctl
            .clone()
            .args([
                "--format",
                "json",
                "dsar",
                verb,
                "--tenant",
                &self.case.tenant,
            ])
            .args(self.subject_args())
            .args(extra)
            .run()
    }

    /// `privctl --format json <command> --tenant <tenant> <extra>`.
    fn tenant_command(&self, command: &str, extra: &[&str]) -> RunOutput {
        self.privctl
            .clone()
            .args(["--format", "json", command, "--tenant", &self.case.tenant])
            .args(extra)
            .run()
    }

    /// `truth/<file>` run against the database.
    async fn truth(&self, file: &str) -> Truth {
        let sql = read(&folder(self.name).join("truth").join(file));
        let rows = self
            .db
            .query_strings(&format!(
                "SELECT CAST(json_build_array(table_name, row_key, effect) AS text) \
                 FROM ({}) AS truth",
                sql.trim().trim_end_matches(';')
            ))
            .await;
        let mut truth = Truth::new();
        for row in rows {
            let value: Value = serde_json::from_str(&row).expect("a JSON array");
            let table = value[0].as_str().expect("table_name").to_owned();
            let key: Value = serde_json::from_str(value[1].as_str().expect("row_key"))
                .unwrap_or_else(|error| panic!("{}: row_key is not JSON ({error}): {row}", file));
            let effect = value[2].as_str().expect("effect").to_owned();
            assert!(
                ["delete", "anonymise", "retain"].contains(&effect.as_str()),
                "{file}: bad effect {effect:?}"
            );
            let previous = truth
                .entry(table.clone())
                .or_default()
                .insert(key_text(&key), effect);
            assert!(previous.is_none(), "{file}: {table} {key} listed twice");
        }
        truth
    }

    /// Every row of every table of the `public` schema (privctl's own tables included), by key.
    /// A table without key columns is keyed by the whole row.
    async fn snapshot(&self) -> Snapshot {
        let tables = self
            .db
            .query_strings(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            )
            .await;
        let mut snapshot = Snapshot::new();
        for table in tables {
            let quoted = quote_ident(&table);
            let key = match self.keys.get(&table) {
                Some(columns) => format!(
                    "CAST(json_build_array({}) AS text)",
                    columns
                        .iter()
                        .map(|column| format!("t.{}", quote_ident(column)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "CAST(row_to_json(t) AS text)".to_owned(),
            };
            let rows = self
                .db
                .query_strings(&format!(
                    "SELECT CAST(json_build_array({key}, CAST(row_to_json(t) AS text)) AS text) \
                     FROM public.{quoted} AS t"
                ))
                .await;
            let entry = snapshot.entry(table.clone()).or_default();
            for row in rows {
                let pair: Value = serde_json::from_str(&row).expect("a JSON array");
                let key: Value =
                    serde_json::from_str(pair[0].as_str().expect("key")).expect("a JSON key");
                let json = pair[1].as_str().expect("row").to_owned();
                if let Some(previous) = entry.insert(key_text(&key), json.clone()) {
                    assert_eq!(
                        previous, json,
                        "{table}: two different rows with key {key}; declare `key` in the map"
                    );
                }
            }
        }
        snapshot
    }

    /// The row keys per table of a bundle, read by each table's key columns.
    fn bundle_keys(&self, bundle: &Value) -> BTreeMap<String, BTreeSet<String>> {
        let tables = bundle["tables"]
            .as_object()
            .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"));
        let mut keys = BTreeMap::new();
        for (table, rows) in tables {
            let rows = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array"));
            if rows.is_empty() {
                continue;
            }
            let columns = self
                .keys
                .get(table)
                .unwrap_or_else(|| panic!("{table}: no key columns (no primary key, no `key`)"));
            let set: &mut BTreeSet<String> = keys.entry(table.clone()).or_default();
            for row in rows {
                let key = Value::Array(
                    columns
                        .iter()
                        .map(|column| {
                            row.get(column).cloned().unwrap_or_else(|| {
                                panic!(
                                    "a {table} row in the bundle has no key column {column}: {row}"
                                )
                            })
                        })
                        .collect(),
                );
                set.insert(key_text(&key));
            }
        }
        keys
    }

    /// `pg_dump --data-only` of the database.
    fn dump(&self) -> String {
        let output = Command::new(pg_dump())
            .args(["--data-only", "--no-owner", "--dbname", &self.db.url])
            .output()
            .unwrap_or_else(|error| panic!("cannot run pg_dump: {error}"));
        assert!(
            output.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("pg_dump wrote UTF-8")
    }

    /// The residue strings found in `text`, case-insensitively.
    fn residue_in(&self, text: &str) -> Vec<&str> {
        let lower = text.to_lowercase();
        self.case
            .residue
            .iter()
            .filter(|needle| lower.contains(&needle.to_lowercase()))
            .map(String::as_str)
            .collect()
    }
}

/// Key columns of every table: the primary key's, in key order, overridden by the map's `key`.
async fn key_columns(db: &TestDb, map: &Path) -> BTreeMap<String, Vec<String>> {
    let rows = db
        .query_strings(
            "SELECT CAST(json_build_array(c.relname, json_agg(a.attname ORDER BY k.ord)) AS text) \
             FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
             WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace \
             GROUP BY c.relname",
        )
        .await;
    let mut keys = BTreeMap::new();
    for row in rows {
        let value: Value = serde_json::from_str(&row).expect("a JSON array");
        let columns = value[1]
            .as_array()
            .expect("columns")
            .iter()
            .map(|column| column.as_str().expect("a column").to_owned())
            .collect();
        keys.insert(value[0].as_str().expect("a table").to_owned(), columns);
    }
    let map: toml::Table = toml::from_str(&read(map)).expect("the map is TOML");
    if let Some(tables) = map.get("tables").and_then(toml::Value::as_table) {
        for (table, entry) in tables {
            if let Some(key) = entry.get("key").and_then(toml::Value::as_array) {
                let columns = key
                    .iter()
                    .map(|column| column.as_str().expect("a key column").to_owned())
                    .collect();
                keys.insert(table.clone(), columns);
            }
        }
    }
    keys
}

/// `pg_dump`: from `PATH`, else the newest `/usr/lib/postgresql/<version>/bin/pg_dump`.
fn pg_dump() -> PathBuf {
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let candidate = dir.join("pg_dump");
        if candidate.is_file() {
            return candidate;
        }
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            Some((version, entry.path().join("bin").join("pg_dump")))
        })
        .filter(|(_, path)| path.is_file())
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, path)| path).next().expect(
        "pg_dump is neither on PATH nor in /usr/lib/postgresql/<version>/bin (apt-get install postgresql-client)",
    )
}

/// A row key as compared: its JSON text after [`normalise`].
fn key_text(key: &Value) -> String {
    normalise(key).to_string()
}

/// A key with its timestamps in one spelling: `2026-03-01T10:00:00`, without a zero fraction
/// or a UTC offset (`Z`, `+00:00`), whichever way they were printed.
fn normalise(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        Value::String(text) if looks_like_timestamp(text) => {
            let mut text = text.replacen(' ', "T", 1);
            for suffix in ["Z", "+00:00", "+00"] {
                if let Some(stripped) = text.strip_suffix(suffix) {
                    text = stripped.to_owned();
                }
            }
            if let Some((whole, fraction)) = text.split_once('.')
                && fraction.bytes().all(|byte| byte == b'0')
            {
                text = whole.to_owned();
            }
            Value::String(text)
        }
        other => other.clone(),
    }
}

fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b'T' || bytes[10] == b' ')
        && bytes[13] == b':'
}

/// `(rows, effects)` per table of a plan, tables without rows left out. A table listed more than
/// once (e.g. its global and its tenant part) sums its rows.
fn plan_tables(plan: &Value) -> BTreeMap<String, (u64, BTreeSet<String>)> {
    let mut tables: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    for entry in plan["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no `tables` array: {plan}"))
    {
        let rows = entry["rows"]
            .as_u64()
            .unwrap_or_else(|| panic!("no row count in {entry}"));
        if rows == 0 {
            continue;
        }
        let table = entry["table"].as_str().expect("a table name").to_owned();
        let slot = tables.entry(table).or_default();
        slot.0 += rows;
        if let Some(effect) = entry["effect"].as_str() {
            slot.1.insert(effect.to_owned());
        }
    }
    tables
}

fn truth_tables(truth: &Truth) -> BTreeMap<String, (u64, BTreeSet<String>)> {
    truth
        .iter()
        .map(|(table, rows)| {
            (
                table.clone(),
                (rows.len() as u64, rows.values().cloned().collect()),
            )
        })
        .collect()
}

/// One line per table where the two sides differ.
fn count_differences(
    expected: &BTreeMap<String, (u64, BTreeSet<String>)>,
    actual: &BTreeMap<String, (u64, BTreeSet<String>)>,
) -> Vec<String> {
    let tables: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    tables
        .into_iter()
        .filter_map(|table| {
            let want = expected.get(table);
            let got = actual.get(table);
            (want != got).then(|| {
                format!(
                    "{table}: truth {} row(s) {:?}, privctl {} row(s) {:?}",
                    want.map_or(0, |w| w.0),
                    want.map(|w| &w.1),
                    got.map_or(0, |g| g.0),
                    got.map(|g| &g.1),
                )
            })
        })
        .collect()
}

/// One line per table whose keys differ: what is missing, what is extra.
fn key_differences(
    expected: &BTreeMap<String, BTreeSet<String>>,
    actual: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let empty = BTreeSet::new();
    let tables: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    tables
        .into_iter()
        .filter_map(|table| {
            let want = expected.get(table).unwrap_or(&empty);
            let got = actual.get(table).unwrap_or(&empty);
            let missing: Vec<String> = want.difference(got).cloned().collect();
            let extra: Vec<String> = got.difference(want).cloned().collect();
            (!missing.is_empty() || !extra.is_empty()).then(|| {
                format!(
                    "{table}: {} of {} truth rows found; missing [{}]; extra [{}]",
                    want.len() - missing.len(),
                    want.len(),
                    missing.join(", "),
                    extra.join(", ")
                )
            })
        })
        .collect()
}

fn truth_keys(truth: &Truth) -> BTreeMap<String, BTreeSet<String>> {
    truth
        .iter()
        .map(|(table, rows)| (table.clone(), rows.keys().cloned().collect()))
        .collect()
}

/// Problems after an erasure whose truth is `truth`: rows to delete still there, rows to keep
/// gone, retained rows changed, rows outside the truth changed or gone, new rows.
fn erasure_problems(before: &Snapshot, after: &Snapshot, truth: &Truth) -> Vec<String> {
    let mut problems = Vec::new();
    let empty = BTreeMap::new();
    let no_truth = BTreeMap::new();
    let tables: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for table in tables {
        if table.starts_with("privctl_") {
            continue;
        }
        let rows_before = before.get(table).unwrap_or(&empty);
        let rows_after = after.get(table).unwrap_or(&empty);
        let table_truth = truth.get(table).unwrap_or(&no_truth);
        for (key, effect) in table_truth {
            let was = rows_before.get(key);
            let now = rows_after.get(key);
            match (effect.as_str(), was, now) {
                (_, None, _) => problems.push(format!("{table} {key}: truth row not in the seed")),
                ("delete", Some(_), Some(_)) => {
                    problems.push(format!("{table} {key}: should be deleted, still there"));
                }
                ("anonymise", Some(_), None) => {
                    problems.push(format!("{table} {key}: should be anonymised, was deleted"));
                }
                ("retain", Some(_), None) => {
                    problems.push(format!("{table} {key}: should be retained, was deleted"));
                }
                ("retain", Some(was), Some(now)) if was != now => {
                    problems.push(format!(
                        "{table} {key}: should be retained unchanged, changed\n  before {was}\n  after  {now}"
                    ));
                }
                _ => {}
            }
        }
        for (key, was) in rows_before {
            if table_truth.contains_key(key) {
                continue;
            }
            match rows_after.get(key) {
                None => problems.push(format!("{table} {key}: not in the truth, deleted")),
                Some(now) if now != was => problems.push(format!(
                    "{table} {key}: not in the truth, changed\n  before {was}\n  after  {now}"
                )),
                Some(_) => {}
            }
        }
        for key in rows_after.keys() {
            if !rows_before.contains_key(key) {
                problems.push(format!("{table} {key}: a new row"));
            }
        }
    }
    problems
}

// ------------------------------------------------------------------------------------ the checks

/// Check 1: `map check` accepts the hand-written map on the real schema.
async fn map_check_passes(name: &'static str) {
    let app = App::load(name).await;
    app.privctl
        .clone()
        .args(["--format", "json", "map", "check"])
        .run()
        .success();
    app.db.cleanup().await;
}

/// Check 2a: `dsar preview`: per-table row counts and effects equal truth/subject.sql's.
async fn preview_matches_truth(name: &'static str) {
    let app = App::load(name).await;
    let truth = app.truth("subject.sql").await;
    let plan = app.dsar("preview", &[]).success().json();
    let differences = count_differences(&truth_tables(&truth), &plan_tables(&plan));
    assert!(
        differences.is_empty(),
        "{name}: dsar preview differs from truth/subject.sql in {} table(s):\n{}\n\nplan: {plan}",
        differences.len(),
        differences.join("\n")
    );
    app.db.cleanup().await;
}

/// Check 2b: `dsar export`: the bundle's row keys per table equal truth/subject.sql's.
async fn export_matches_truth(name: &'static str) {
    let app = App::load(name).await;
    let truth = app.truth("subject.sql").await;
    let out = app.db.dir().join("subject.json");
    app.dsar("export", &["--out", utf8(&out)]).success();
    let bundle = read_json(&out);
    let differences = key_differences(&truth_keys(&truth), &app.bundle_keys(&bundle));
    assert!(
        differences.is_empty(),
        "{name}: dsar export differs from truth/subject.sql in {} table(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
    app.db.cleanup().await;
}

/// Check 3: `dsar delete` with the preview's token: deletes, anonymises and retains exactly the truth's
/// rows; every other row is byte-identical; no residue string is left in the tenant's rows
/// (outside retained tables), and no dump line carrying one is new.
///
/// The other tenant holds the subject too (that is the point), so the dump cannot simply be
/// free of her identifiers: the check is that the rows of the truths (the subject's and the
/// tenant's) carry none, outside `retained` tables, and that every `pg_dump --data-only` line
/// that carries one was already in the dump before (another tenant's rows, retained rows; never
/// something privctl wrote, such as a ledger entry).
async fn delete_leaves_no_residue(name: &'static str) {
    let app = App::load(name).await;
    let truth = app.truth("subject.sql").await;
    let tenant_truth = app.truth("tenant.sql").await;
    let before = app.snapshot().await;
    let dump_before = app.dump();

    let plan = app.dsar("preview", &[]).success().json();
    let token = plan["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in the preview: {plan}"))
        .to_owned();
    let run = app.dsar("delete", &["--confirm", &token]);
    if app.case.scan_residue.is_empty() {
        run.success();
    } else {
        run.code(6);
        let named: Vec<String> = run.json()["scan"]["hits"]
            .as_array()
            .expect("the scan's hits")
            .iter()
            .map(|h| {
                format!(
                    "{}.{}",
                    h["table"].as_str().unwrap(),
                    h["column"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(named, app.case.scan_residue, "{name}: residue scan: {run}");
    }

    let after = app.snapshot().await;
    let mut problems = erasure_problems(&before, &after, &truth);

    for (table, rows) in &after {
        if app.case.retained.contains(table) {
            continue;
        }
        for (key, json) in rows {
            let in_truth = truth.get(table).is_some_and(|t| t.contains_key(key))
                || tenant_truth.get(table).is_some_and(|t| t.contains_key(key));
            let found = app.residue_in(json);
            if in_truth && !found.is_empty() {
                problems.push(format!("{table} {key}: still holds {found:?}: {json}"));
            }
        }
    }
    let old_lines: BTreeSet<&str> = dump_before.lines().collect();
    let dump_after = app.dump();
    let mut table = String::new();
    for line in dump_after.lines() {
        if let Some(rest) = line.strip_prefix("COPY public.") {
            table = rest
                .split([' ', '('])
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned();
            continue;
        }
        if app.case.retained.contains(&table) || old_lines.contains(line) {
            continue;
        }
        let found = app.residue_in(line);
        if !found.is_empty() {
            problems.push(format!(
                "pg_dump, table {table}: new line holds {found:?}: {line}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{name}: dsar delete: {} problem(s):\n{}\n\n{run}",
        problems.len(),
        problems.join("\n")
    );
    app.db.cleanup().await;
}

/// Check 4a: `export-tenant`: the bundle's row keys per table equal truth/tenant.sql's.
async fn export_tenant_matches_truth(name: &'static str) {
    let app = App::load(name).await;
    let truth = app.truth("tenant.sql").await;
    let out = app.db.dir().join("tenant.json");
    app.tenant_command("export-tenant", &["--out", utf8(&out)])
        .success();
    let bundle = read_json(&out);
    let differences = key_differences(&truth_keys(&truth), &app.bundle_keys(&bundle));
    assert!(
        differences.is_empty(),
        "{name}: export-tenant differs from truth/tenant.sql in {} table(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
    app.db.cleanup().await;
}

/// Check 4b: `delete-tenant`, dry run then confirmed: the plan's counts equal truth/tenant.sql's; the
/// tenant's rows are gone (anonymise/retain rows kept); every other row, the other tenant's
/// included, is byte-identical.
async fn delete_tenant_erases_the_tenant(name: &'static str) {
    let app = App::load(name).await;
    let truth = app.truth("tenant.sql").await;
    let before = app.snapshot().await;

    let plan = app.tenant_command("delete-tenant", &[]).success().json();
    let plan_differences = count_differences(&truth_tables(&truth), &plan_tables(&plan));
    let token = plan["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in the dry run: {plan}"))
        .to_owned();
    let run = app.tenant_command("delete-tenant", &["--confirm", &token]);
    run.success();

    let after = app.snapshot().await;
    let problems = erasure_problems(&before, &after, &truth);
    let tenant_table = app.tenant_table();
    let other_tenant_left = after.get(tenant_table.as_str()).is_some_and(|rows| {
        rows.contains_key(&key_text(&Value::Array(vec![Value::String(
            app.case.other_tenant.clone(),
        )])))
    });
    assert!(
        problems.is_empty() && plan_differences.is_empty() && other_tenant_left,
        "{name}: delete-tenant:\nplan vs truth/tenant.sql ({} table(s)):\n{}\n\nafter the run ({} problem(s)):\n{}\n\n{run}",
        plan_differences.len(),
        plan_differences.join("\n"),
        problems.len(),
        problems.join("\n")
    );
    app.db.cleanup().await;
}

/// One module per app, one `#[tokio::test]` per check.
macro_rules! real_schema_tests {
    ($($app:ident),* $(,)?) => {$(
        mod $app {
            #[::tokio::test]
            async fn map_check_passes() {
                super::map_check_passes(stringify!($app)).await
            }

            #[::tokio::test]
            async fn preview_matches_truth() {
                super::preview_matches_truth(stringify!($app)).await
            }

            #[::tokio::test]
            async fn export_matches_truth() {
                super::export_matches_truth(stringify!($app)).await
            }

            #[::tokio::test]
            async fn delete_leaves_no_residue() {
                super::delete_leaves_no_residue(stringify!($app)).await
            }

            #[::tokio::test]
            async fn export_tenant_matches_truth() {
                super::export_tenant_matches_truth(stringify!($app)).await
            }

            #[::tokio::test]
            async fn delete_tenant_erases_the_tenant() {
                super::delete_tenant_erases_the_tenant(stringify!($app)).await
            }
        }
    )*};
}

real_schema_tests!(langfuse, hoppscotch, trigger);
