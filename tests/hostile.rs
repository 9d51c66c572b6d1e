//! Hostile input (issue 14): the corpus in tests/hostile/cases.toml, run against real databases,
//! and property tests of the map loader.
//!
//! Every case of the corpus runs the real binary with a map (the fixture's, edited, or a file of
//! its own), arguments and environment, and must exit with its documented code, never 101 (a
//! panic) nor by a signal; a failure prints exactly one `error: …` line (then optional `hint:`
//! lines) with no control character; what the case marks secret (a password, an identifier)
//! appears in neither stream. After the corpus, every table of the fixture holds the rows it
//! held: no hostile name or condition changed anything.
//!
//! The property tests feed `DataMap::parse` generated documents over the map's model, mutated
//! fixture maps and arbitrary text: it returns a map or a one-line error naming the file, never
//! panics; a map it returns is then resolved against the fixture's SQLite schema
//! (`Model::build`, what every command and `map check` do next), which must not panic either.
//! Proptest keeps any failing input in tests/hostile/map_loader.regressions and replays it first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use privctl::db::{Db, Schema};
use privctl::map::DataMap;
use privctl::model::Model;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde::Deserialize;

use crate::support::fixture::{self, row_counts};
use crate::support::{Dialect, Privctl, TestDb, both_dialects, fixture_path};

const LEDGER_KEY: &str = "hostile-corpus-ledger-key-4e1f";

/// The helpdesk-voice fixture's tables (PostgreSQL only, BIGINT tenant ids).
const HELPDESK_TABLES: [&str; 9] = [
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

/// The longest any case may take: a refused port must fail at once, not after a pool timeout.
const CASE_TIME: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    case: Vec<Case>,
}

/// One hostile input; see the header of tests/hostile/cases.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Why the case is here (an issue item, what it once did).
    why: String,
    #[serde(default = "conversational_ai")]
    fixture: String,
    /// `sqlite`, `postgres`; every dialect the fixture has when left out.
    dialects: Option<Vec<String>>,
    /// Edits of the fixture's map: each `[from, to]`, `from` occurring exactly once.
    #[serde(default)]
    replace: Vec<[String; 2]>,
    /// Text appended to the (edited) fixture map.
    append: Option<String>,
    /// SQL run before the case (e.g. a table with a hostile name); `sql_after` undoes it.
    sql_before: Option<String>,
    /// SQL run after the case; it fails the test if it fails (e.g. `DROP TABLE canary`).
    sql_after: Option<String>,
    /// A map file of its own instead of the fixture's.
    map_text: Option<String>,
    /// A map file of these bytes (hex) instead.
    map_hex: Option<String>,
    /// `--map` / PRIVCTL_MAP names this path (`{dir}` is the test's directory) instead.
    map_path: Option<String>,
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    exit: i32,
    /// Text the stderr must contain.
    #[serde(default)]
    stderr: Vec<String>,
    /// Text the stderr must contain exactly once (a cause is never said twice).
    #[serde(default)]
    stderr_once: Vec<String>,
    /// Text the stdout must contain.
    #[serde(default)]
    stdout: Vec<String>,
    /// Text the stdout must not contain.
    #[serde(default)]
    stdout_lacks: Vec<String>,
    /// Values that must appear in no output.
    #[serde(default)]
    secret: Vec<String>,
}

fn conversational_ai() -> String {
    fixture::NAME.to_owned()
}

fn corpus() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/cases.toml");
    let text = std::fs::read_to_string(&path).expect("cannot read tests/hostile/cases.toml");
    let corpus: Corpus = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("tests/hostile/cases.toml is not a corpus: {e}"));
    corpus.case
}

impl Case {
    fn runs_on(&self, fixture: &str, dialect: Dialect) -> bool {
        self.fixture == fixture
            && self
                .dialects
                .as_ref()
                .is_none_or(|d| d.iter().any(|d| d == dialect.name()))
    }

    /// The case's map file: `{dir}/<name>.toml`, unless `map_path` names another.
    fn map_file(&self, db: &TestDb) -> PathBuf {
        match &self.map_path {
            Some(path) => PathBuf::from(expand(path, db, Path::new(""))),
            None => db.dir().join(format!("{}.toml", self.name)),
        }
    }

    /// Writes the case's map (unless `map_path` names one); returns its path.
    fn write_map(&self, db: &TestDb, fixture_map: &str) -> Result<PathBuf, String> {
        let path = self.map_file(db);
        if self.map_path.is_some() {
            return Ok(path);
        }
        let expand = |text: &str| expand(text, db, &path);
        let bytes = if let Some(text) = &self.map_text {
            expand(text).into_bytes()
        } else if let Some(hex_text) = &self.map_hex {
            hex::decode(hex_text.replace(char::is_whitespace, ""))
                .map_err(|e| format!("map_hex: {e}"))?
        } else {
            let mut text = fixture_map.to_owned();
            for [from, to] in &self.replace {
                if text.matches(from.as_str()).count() != 1 {
                    return Err(format!(
                        "replace: {from:?} is not in the fixture map exactly once"
                    ));
                }
                text = text.replacen(from.as_str(), &expand(to), 1);
            }
            if let Some(more) = &self.append {
                text.push('\n');
                text.push_str(&expand(more));
            }
            text.into_bytes()
        };
        std::fs::write(&path, bytes).map_err(|e| format!("writing the map: {e}"))?;
        Ok(path)
    }

    /// Runs the case; what is wrong with its outcome, if anything.
    fn check(&self, db: &TestDb, privctl: &Privctl, fixture_map: &str) -> Result<(), String> {
        let map = self.write_map(db, fixture_map)?;
        let expand = |text: &str| expand(text, db, &map);
        let mut run = privctl.clone().map(&map).timeout(Duration::from_secs(60));
        for (key, value) in &self.env {
            run = run.env(key, expand(value));
        }
        let args: Vec<String> = self.args.iter().map(|a| expand(a)).collect();
        let started = Instant::now();
        let output = run.args(&args).run();
        let elapsed = started.elapsed();
        let mut wrong = Vec::new();
        if output.code == 101 || output.code >= 128 {
            wrong.push("crashed (a panic or a signal)".to_owned());
        }
        if output.code != self.exit {
            wrong.push(format!(
                "exit {} where {} is documented",
                output.code, self.exit
            ));
        }
        if elapsed > CASE_TIME {
            wrong.push(format!("took {elapsed:?}"));
        }
        if output.code != 0 {
            wrong.extend(error_shape(&output.stderr));
        }
        for (stream, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            if text.chars().any(|c| c.is_control() && c != '\n') {
                wrong.push(format!("{stream} holds a control character"));
            }
        }
        for needle in &self.stderr {
            if !output.stderr.contains(&expand(needle)) {
                wrong.push(format!("stderr lacks {needle:?}"));
            }
        }
        for needle in &self.stderr_once {
            let times = output.stderr.matches(&expand(needle)).count();
            if times != 1 {
                wrong.push(format!("stderr holds {needle:?} {times} times"));
            }
        }
        for needle in &self.stdout {
            if !output.stdout.contains(needle.as_str()) {
                wrong.push(format!("stdout lacks {needle:?}"));
            }
        }
        for needle in &self.stdout_lacks {
            if output.stdout.contains(needle.as_str()) {
                wrong.push(format!("stdout holds {needle:?}"));
            }
        }
        for secret in self
            .secret
            .iter()
            .map(|s| expand(s))
            .chain([LEDGER_KEY.to_owned()])
        {
            if output.stdout.contains(&secret) || output.stderr.contains(&secret) {
                let shown: String = secret.chars().take(40).collect();
                wrong.push(format!("printed the secret {shown:?}"));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!("{}\n  {output}", wrong.join("; ")))
        }
    }
}

/// Makes an input too long to write in the corpus.
type Generated = fn() -> String;

/// Replaces, in a value of a case, `{url}` (the test's database), `{dir}` (its directory),
/// `{map}` (the case's map file) and the generated inputs too long to write in the corpus.
fn expand(text: &str, db: &TestDb, map: &Path) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    let generated: [(&str, Generated); 9] = [
        ("{long_email}", || {
            format!("{}@example.com", "a".repeat(10_000))
        }),
        ("{long_text}", || "x".repeat(10_000)),
        ("{long_name}", || "n".repeat(64)),
        ("{deep_parens}", || {
            format!("{}1 = 1{}", "(".repeat(5_000), ")".repeat(5_000))
        }),
        ("{deep_not}", || format!("{}TRUE", "NOT ".repeat(5_000))),
        ("{long_or}", || {
            format!("1 = 1{}", " OR 1 = 1".repeat(20_000))
        }),
        ("{deep_arrays}", || {
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))
        }),
        ("{deep_tables}", || {
            format!("{}1{}", "{ a = ".repeat(10_000), " }".repeat(10_000))
        }),
        ("{deep_keys}", || format!("[{}a]", "a.".repeat(10_000))),
    ];
    let mut text = text
        .replace("{url}", &db.url)
        .replace("{dir}", &db.dir().display().to_string())
        .replace("{map}", &map.display().to_string());
    for (name, make) in generated {
        if text.contains(name) {
            text = text.replace(name, &make());
        }
    }
    text
}

/// What is wrong with a failure's stderr: it must be one `error: …` line, then `hint: …` lines.
fn error_shape(stderr: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut lines = stderr.lines();
    match lines.next() {
        Some(first) if first.starts_with("error: ") && first.len() > "error: ".len() => {}
        _ => wrong.push("stderr does not start with one `error: …` line".to_owned()),
    }
    if lines.any(|line| !line.starts_with("hint: ")) {
        wrong.push("stderr has a line after the error that is not a `hint:`".to_owned());
    }
    wrong
}

/// Runs every case of `fixture` on `dialect` against `db` (seeded, `privctl init` run), then
/// checks that `tables` hold the rows they held before.
async fn run_corpus(db: &TestDb, fixture: &str, dialect: Dialect, tables: &[&str]) {
    let privctl = Privctl::new(db).env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
    privctl
        .clone()
        .map(fixture_path(fixture).join("privctl.toml"))
        .arg("init")
        .run()
        .success();
    let fixture_map = std::fs::read_to_string(fixture_path(fixture).join("privctl.toml"))
        .expect("cannot read the fixture map");
    let before = row_counts(db, tables.iter().copied()).await;
    let cases: Vec<Case> = corpus()
        .into_iter()
        .filter(|c| c.runs_on(fixture, dialect))
        .collect();
    assert!(
        !cases.is_empty(),
        "no case runs on {fixture} with {dialect:?}"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let no_map = Path::new("");
        if let Some(sql) = &case.sql_before {
            db.execute(&expand(sql, db, no_map)).await;
        }
        if let Err(why) = case.check(db, &privctl, &fixture_map) {
            failures.push(format!("case `{}` ({}): {why}", case.name, case.why));
        }
        if let Some(sql) = &case.sql_after {
            db.execute(&expand(sql, db, no_map)).await;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed on {fixture} with {dialect:?}:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        row_counts(db, tables.iter().copied()).await,
        before,
        "the hostile corpus changed the data"
    );
}

both_dialects! {
    /// Every case on the conversational-ai fixture.
    async fn the_hostile_corpus_on_conversational_ai(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.load_fixture(fixture::NAME).await;
        run_corpus(&db, fixture::NAME, dialect, &fixture::TABLES).await;
        db.cleanup().await;
    }
}

/// Every case on the helpdesk-voice fixture (PostgreSQL, BIGINT tenant ids).
#[tokio::test]
async fn the_hostile_corpus_on_helpdesk_voice() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.load_fixture("helpdesk-voice").await;
    run_corpus(&db, "helpdesk-voice", Dialect::Postgres, &HELPDESK_TABLES).await;
    db.cleanup().await;
}

/// The corpus itself: unique names, a reason for each, one way to give the map, an exit code
/// README's table documents, and every issue 14 item it must cover.
#[test]
fn the_hostile_corpus_is_well_formed() {
    let cases = corpus();
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.as_str()),
            "two cases are named {}",
            case.name
        );
        assert!(
            !case.why.trim().is_empty(),
            "case {} says not why",
            case.name
        );
        let sources = [
            case.map_text.is_some(),
            case.map_hex.is_some(),
            case.map_path.is_some(),
        ];
        assert!(
            sources.iter().filter(|s| **s).count() <= 1
                && (sources.iter().all(|s| !s)
                    || (case.replace.is_empty() && case.append.is_none())),
            "case {} gives its map more than one way",
            case.name
        );
        assert!(
            ["conversational-ai", "helpdesk-voice"].contains(&case.fixture.as_str()),
            "case {}: no test runs fixture {}",
            case.name,
            case.fixture
        );
        assert!(
            case.dialects.as_ref().is_none_or(|d| d
                .iter()
                .all(|d| ["sqlite", "postgres"].contains(&d.as_str()))),
            "case {}: unknown dialect",
            case.name
        );
        assert!(
            [0, 1, 2, 3, 4, 5, 6, 75].contains(&case.exit),
            "case {}: exit {} is no documented exit code",
            case.name,
            case.exit
        );
        assert_eq!(
            case.sql_before.is_some(),
            case.sql_after.is_some(),
            "case {}: sql_before without sql_after (or the reverse) leaves the database changed",
            case.name
        );
    }
    for item in ["item 6", "item 9", "item 10", "item 11", "item 12"] {
        assert!(
            cases.iter().any(|c| c.why.contains(item)),
            "no case covers issue 14 {item}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// The map loader under generated input.

/// Keys of the map's model, by where they go.
const TOP_KEYS: [&str; 12] = [
    "version",
    "database",
    "tenant",
    "identities",
    "tables",
    "retention",
    "blobs",
    "keys",
    "confirm",
    "purge",
    "authz",
    "colour",
];
const TABLE_KEYS: [&str; 15] = [
    "ignore",
    "reason",
    "scan",
    "scope",
    "tenant",
    "key",
    "identities",
    "links",
    "category",
    "erase",
    "legal_basis",
    "timestamp",
    "blob",
    "export",
    "encrypted",
];
const TENANT_KEYS: [&str; 9] = [
    "table",
    "id",
    "plan",
    "legal_hold",
    "ended_at",
    "retention_overrides",
    "erase",
    "links",
    "parent",
];
/// Keys of the entries inside a table: identity columns, links, blobs, identities.
const ENTRY_KEYS: [&str; 12] = [
    "column",
    "when",
    "json",
    "identifies",
    "match",
    "references",
    "owned",
    "follow",
    "store",
    "kind",
    "default_region",
    "anonymise",
];
/// Tables and columns of the conversational-ai schema, which model documents resolve against.
const NAMES: [&str; 20] = [
    "organizations",
    "members",
    "contacts",
    "addresses",
    "conversations",
    "messages",
    "invoices",
    "schema_migrations",
    "id",
    "org_id",
    "email",
    "phone",
    "external_id",
    "name",
    "created_at",
    "plan",
    "legal_hold",
    "subscription_ended_at",
    "address_id",
    "customer_email",
];
const WORDS: [&str; 26] = [
    "email",
    "phone",
    "exact",
    "delete",
    "retain",
    "anonymise",
    "null",
    "redact",
    "hash",
    "scrub",
    "global",
    "tenant",
    "subject",
    "include",
    "omit",
    "any",
    "$.a.b",
    "unlimited",
    "90d",
    "100000000y",
    "ended_at",
    "env:X",
    "file:k",
    "within",
    "role = 'owner'",
    "file://./blobs",
];
/// Strings that have broken parsers somewhere.
const HOSTILE: [&str; 14] = [
    "",
    " ",
    "Notes\"; DROP TABLE canary; --",
    "true) OR (true",
    "1; DROP TABLE x",
    "x -- y",
    "\u{1b}[31m",
    "\u{0}",
    "é́",
    "$.",
    "$..a",
    "9223372036854775807s",
    "-1d",
    "ms",
];

fn string(words: &'static [&'static str]) -> impl Strategy<Value = toml::Value> + Clone {
    prop::sample::select(words).prop_map(|s| toml::Value::String(s.into()))
}

fn scalar() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        string(&WORDS),
        string(&NAMES),
        string(&HOSTILE),
        any::<String>().prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&TOP_KEYS[..]),
        prop::sample::select(&TABLE_KEYS[..]),
        prop::sample::select(&TENANT_KEYS[..]),
        prop::sample::select(&ENTRY_KEYS[..]),
        prop::sample::select(&NAMES[..]),
        prop::sample::select(&WORDS[..]),
        prop::sample::select(&HOSTILE[..]),
    ]
    .prop_map(str::to_owned)
}

/// A value of any shape over the map's vocabulary, nested a few levels.
fn value() -> impl Strategy<Value = toml::Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

/// `strategy`, or once in ten a value of any shape (the wrong type for the key, most often).
fn or_wild(strategy: impl Strategy<Value = toml::Value> + 'static) -> BoxedStrategy<toml::Value> {
    prop_oneof![9 => strategy, 1 => value()].boxed()
}

/// A name of the schema, now and then a hostile one.
fn name() -> BoxedStrategy<toml::Value> {
    prop_oneof![9 => string(&NAMES), 1 => string(&HOSTILE)].boxed()
}

/// A table name of the schema, now and then a hostile one.
fn table_name() -> BoxedStrategy<String> {
    prop_oneof![
        9 => prop::sample::select(&NAMES[..8]),
        1 => prop::sample::select(&HOSTILE[..]),
    ]
    .prop_map(str::to_owned)
    .boxed()
}

fn words(words: &'static [&'static str]) -> BoxedStrategy<toml::Value> {
    or_wild(string(words))
}

const DURATIONS: [&str; 14] = [
    "30d",
    "90d",
    "15m",
    "1h",
    "365d",
    "unlimited",
    "0s",
    "1000y",
    "100000000y",
    "9223372036854775807s",
    "-1d",
    "1.5d",
    "d",
    "",
];
const CATEGORIES: [&str; 5] = ["conversation", "contact", "billing", "tarce", ""];
const CONDITIONS: [&str; 6] = [
    "role = 'owner'",
    "true",
    "true) OR (true",
    "1; DROP TABLE x",
    "email IS NOT NULL -- x",
    "(",
];
const PATHS: [&str; 5] = ["$.email", "$.a.b", "any", "$.", "$..a"];

/// A table of the keys present.
fn present(entries: Vec<(&str, Option<toml::Value>)>) -> toml::Value {
    toml::Value::Table(
        entries
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value?)))
            .collect(),
    )
}

/// `erase = …`: a word, or `{ anonymise = { column = mode } }`.
fn erase() -> BoxedStrategy<toml::Value> {
    let columns = prop::collection::btree_map(
        prop::sample::select(&NAMES[8..]).prop_map(str::to_owned),
        words(&["null", "redact", "hash", "scrub", "bogus"]),
        0..3,
    )
    .prop_map(|m| {
        present(vec![(
            "anonymise",
            Some(toml::Value::Table(m.into_iter().collect())),
        )])
    });
    or_wild(prop_oneof![
        2 => string(&["delete", "retain", "anonymise", "bogus"]),
        1 => columns,
    ])
}

/// What an identity names in a table: a column, `{ column, when, json, match, identifies }`,
/// or a list of these.
fn identity_entry() -> BoxedStrategy<toml::Value> {
    let entry = (
        name(),
        prop::option::of(words(&CONDITIONS)),
        prop::option::of(words(&PATHS)),
        prop::option::of(words(&["within", "exact"])),
        prop::option::of(name()),
    )
        .prop_map(|(column, when, json, within, identifies)| {
            present(vec![
                ("column", Some(column)),
                ("when", when),
                ("json", json),
                ("match", within),
                ("identifies", identifies),
            ])
        });
    or_wild(prop_oneof![
        3 => name(),
        2 => entry.clone(),
        1 => prop::collection::vec(entry, 1..3).prop_map(toml::Value::Array),
    ])
}

/// `{ column, references, owned, follow }`.
fn link() -> BoxedStrategy<toml::Value> {
    (
        name(),
        table_name(),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(column, references, owned, follow)| {
            present(vec![
                ("column", Some(column)),
                ("references", Some(toml::Value::String(references))),
                ("owned", owned.map(toml::Value::Boolean)),
                ("follow", follow.map(toml::Value::Boolean)),
            ])
        })
        .boxed()
}

/// One `[tables.NAME]`: each key of the model present or not, with a value of its type (or,
/// now and then, of any shape).
fn table_spec() -> BoxedStrategy<toml::Value> {
    let shape = (
        prop::option::of(any::<bool>().prop_map(toml::Value::Boolean)),
        prop::option::of(words(&["framework bookkeeping", ""])),
        prop::option::of(words(&["global", "tenant", "subject", "bogus"])),
        prop::option::of(name()),
        prop::option::of(prop::collection::vec(name(), 0..3).prop_map(toml::Value::Array)),
        prop::option::of(
            prop::collection::btree_map(
                prop::sample::select(&["email", "phone", "external_id", "unknown"][..])
                    .prop_map(str::to_owned),
                identity_entry(),
                0..3,
            )
            .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ),
    );
    let effects = (
        prop::option::of(prop::collection::vec(link(), 0..3).prop_map(toml::Value::Array)),
        prop::option::of(words(&CATEGORIES)),
        prop::option::of(erase()),
        prop::option::of(name()),
        prop::option::of((name(), words(&["recordings", "nowhere"])).prop_map(
            |(column, store)| present(vec![("column", Some(column)), ("store", Some(store))]),
        )),
        prop::option::of(or_wild(prop_oneof![
            string(&["omit", "redact", "include"]),
            prop::collection::btree_map(
                prop::sample::select(&NAMES[8..]).prop_map(str::to_owned),
                string(&["omit", "redact", "include"]),
                0..3,
            )
            .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ])),
    );
    (shape, effects)
        .prop_map(
            |(
                (ignore, reason, scope, tenant, key, identities),
                (links, category, erase, timestamp, blob, export),
            )| {
                present(vec![
                    ("ignore", ignore),
                    ("reason", reason),
                    ("scope", scope),
                    ("tenant", tenant),
                    ("key", key),
                    ("identities", identities),
                    ("links", links),
                    ("category", category),
                    ("erase", erase),
                    ("timestamp", timestamp),
                    ("blob", blob),
                    ("export", export),
                ])
            },
        )
        .boxed()
}

/// `[tenant]`.
fn tenant_section() -> BoxedStrategy<toml::Value> {
    (
        table_name(),
        name(),
        prop::option::of(name()),
        prop::option::of(name()),
        prop::option::of(name()),
        prop::option::of(erase()),
        prop::option::of(
            prop::collection::btree_map(
                prop::sample::select(&CATEGORIES[..]).prop_map(str::to_owned),
                name(),
                0..2,
            )
            .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ),
        prop::option::of(name()),
    )
        .prop_map(
            |(table, id, plan, legal_hold, ended_at, erase, overrides, parent)| {
                present(vec![
                    ("table", Some(toml::Value::String(table))),
                    ("id", Some(id)),
                    ("plan", plan),
                    ("legal_hold", legal_hold),
                    ("ended_at", ended_at),
                    ("erase", erase),
                    ("retention_overrides", overrides),
                    ("parent", parent),
                ])
            },
        )
        .boxed()
}

/// `[retention]`: category → a duration, a window per plan tier, or `{ after, keep }`.
fn retention_section() -> BoxedStrategy<toml::Value> {
    let rule = or_wild(prop_oneof![
        3 => string(&DURATIONS),
        1 => prop::collection::btree_map(
            prop::sample::select(&["free", "growth", "enterprise"][..]).prop_map(str::to_owned),
            string(&DURATIONS),
            0..3,
        )
        .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        1 => (words(&["ended_at", "started_at"]), string(&DURATIONS)).prop_map(|(after, keep)| {
            present(vec![("after", Some(after)), ("keep", Some(keep))])
        }),
    ]);
    prop::collection::btree_map(
        prop::sample::select(&CATEGORIES[..]).prop_map(str::to_owned),
        rule,
        0..4,
    )
    .prop_map(|m| toml::Value::Table(m.into_iter().collect()))
    .boxed()
}

/// A document over the map's model: a version, `[tenant]`, `[identities]`, tables of the
/// schema's names, `[retention]`, `[confirm]`, `[purge]` and `[keys]`, each key with a value of
/// its type most of the time; every section may be missing.
fn model_document() -> impl Strategy<Value = String> {
    let identities = prop::collection::btree_map(
        prop::sample::select(&["email", "phone", "external_id", "unknown"][..])
            .prop_map(str::to_owned),
        (
            words(&["email", "phone", "exact", "bogus"]),
            prop::option::of(words(&["DE", "US", "ZZ", ""])),
        )
            .prop_map(|(kind, region)| {
                present(vec![("kind", Some(kind)), ("default_region", region)])
            }),
        0..4,
    )
    .prop_map(|m| toml::Value::Table(m.into_iter().collect()));
    let tables = prop::collection::btree_map(table_name(), table_spec(), 0..6)
        .prop_map(|m| toml::Value::Table(m.into_iter().collect()));
    let confirm = (
        prop::option::of(words(&DURATIONS)),
        prop::option::of(any::<bool>().prop_map(toml::Value::Boolean)),
    )
        .prop_map(|(ttl, distinct)| {
            present(vec![("ttl", ttl), ("require_distinct_actor", distinct)])
        });
    let purge = (
        prop::option::of(or_wild(any::<i64>().prop_map(toml::Value::Integer))),
        prop::option::of(or_wild(any::<f64>().prop_map(toml::Value::Float))),
    )
        .prop_map(|(rows, fraction)| present(vec![("max_rows", rows), ("max_fraction", fraction)]));
    let keys = prop::option::of(words(&[
        "env:PRIVCTL_LEDGER_KEY",
        "file:key",
        "env:",
        "s3cr3t",
    ]))
    .prop_map(|ledger| present(vec![("ledger", ledger)]));
    (
        prop::option::weighted(0.95, or_wild(Just(toml::Value::Integer(1)))),
        prop::option::of(or_wild(tenant_section())),
        prop::option::of(or_wild(identities)),
        prop::option::of(or_wild(tables)),
        prop::option::of(or_wild(retention_section())),
        prop::option::of(or_wild(confirm)),
        prop::option::of(or_wild(purge)),
        prop::option::of(or_wild(keys)),
        prop::option::weighted(0.1, (key(), value())),
    )
        .prop_map(
            |(version, tenant, identities, tables, retention, confirm, purge, keys, stray)| {
                let mut doc = toml::Table::new();
                // Now and then a key the model lacks (or one it has, with any value).
                if let Some((key, value)) = stray {
                    doc.insert(key, value);
                }
                for (key, value) in [
                    ("version", version),
                    ("tenant", tenant),
                    ("identities", identities),
                    ("tables", tables),
                    ("retention", retention),
                    ("confirm", confirm),
                    ("purge", purge),
                    ("keys", keys),
                ] {
                    if let Some(value) = value {
                        doc.insert(key.to_owned(), value);
                    }
                }
                toml::to_string(&doc).unwrap_or_default()
            },
        )
}

/// The fixtures whose maps are mutated.
const MAP_FIXTURES: [&str; 7] = [
    "conversational-ai",
    "helpdesk-voice",
    "chat-widget",
    "voice-receptionist",
    "shapes",
    "residue",
    "crm-rls",
];

/// A fixture's map, and its schema read from a SQLite database (PostgreSQL-only fixtures have
/// none: their maps are only parsed).
struct MapFixture {
    map: String,
    schema: Option<Schema>,
}

/// Every fixture of [`MAP_FIXTURES`], read once for all the properties.
static MAP_FIXTURE_DATA: LazyLock<Vec<MapFixture>> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot start a runtime");
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    MAP_FIXTURES
        .iter()
        .map(|name| {
            let folder = fixture_path(name);
            let map = std::fs::read_to_string(folder.join("privctl.toml"))
                .unwrap_or_else(|e| panic!("cannot read the {name} map: {e}"));
            let schema = std::fs::read_to_string(folder.join("schema.sqlite.sql"))
                .ok()
                .map(|sql| {
                    runtime.block_on(async {
                        let url = format!("sqlite://{}", dir.path().join(name).display());
                        let db = Db::connect(&url, true).await.expect("cannot create SQLite");
                        db.run_script(&sql)
                            .await
                            .expect("the fixture's schema fails");
                        let schema = db.schema().await.expect("cannot read the schema");
                        db.close().await;
                        schema
                    })
                });
            MapFixture { map, schema }
        })
        .collect()
});

/// One edit of a map's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Line `at` (modulo the count) dropped.
    DropLine(usize),
    /// Line `at` written twice.
    DuplicateLine(usize),
    /// The value after `=` on line `at` replaced.
    ReplaceValue(usize, toml::Value),
    /// Cut at byte `at` (on a character boundary).
    Truncate(usize),
    /// Text inserted at byte `at`.
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), value()).prop_map(|(at, v)| Mutation::ReplaceValue(at, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                prop::sample::select(HOSTILE.to_vec()).prop_map(str::to_owned),
                prop::sample::select(vec![
                    "[",
                    "]",
                    "{",
                    "}",
                    "\"",
                    "'",
                    "=",
                    "\n",
                    "[[tables.x]]\n",
                    "[tables.x]\n"
                ])
                .prop_map(str::to_owned),
                any::<String>(),
            ]
        )
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match mutation {
        Mutation::DropLine(at) if !lines.is_empty() => {
            lines.remove(at % lines.len());
        }
        Mutation::DuplicateLine(at) if !lines.is_empty() => {
            let line = lines[at % lines.len()].clone();
            lines.insert(at % lines.len(), line);
        }
        Mutation::ReplaceValue(at, value) => {
            let assignments: Vec<usize> = (0..lines.len())
                .filter(|i| lines[*i].contains(" = ") && !lines[*i].trim_start().starts_with('#'))
                .collect();
            if !assignments.is_empty() {
                let i = assignments[at % assignments.len()];
                let key = lines[i].split(" = ").next().unwrap_or_default().to_owned();
                lines[i] = format!("{key} = {value}");
            }
        }
        Mutation::Truncate(at) => return text[..boundary(*at)].to_owned(),
        Mutation::Insert(at, s) => {
            let at = boundary(*at);
            return format!("{}{s}{}", &text[..at], &text[at..]);
        }
        _ => {}
    }
    lines.join("\n")
}

/// A fixture's map with one to three mutations, and the fixture's index in [`MAP_FIXTURES`].
fn mutated_fixture() -> impl Strategy<Value = (usize, String)> {
    (
        0..MAP_FIXTURES.len(),
        prop::collection::vec(mutation(), 1..4),
    )
        .prop_map(|(i, mutations)| {
            let text = mutations
                .iter()
                .fold(MAP_FIXTURE_DATA[i].map.clone(), |text, m| mutate(&text, m));
            (i, text)
        })
}

/// The loader's answer to any text: a map, or an error that names the file on one line; and a
/// map it returns resolves against `schema` (when given) or fails naming the file, never panics.
fn load_cleanly(text: &str, schema: Option<&Schema>) -> Result<(), TestCaseError> {
    let path = Path::new("maps/generated.toml");
    match DataMap::parse(text, path) {
        Err(failure) => {
            prop_assert!(
                failure.message.starts_with("maps/generated.toml"),
                "the error does not name the file: {}",
                failure.message
            );
            prop_assert!(
                !failure.message.contains('\n'),
                "the error spans lines: {}",
                failure.message
            );
        }
        Ok(map) => {
            if let Some(schema) = schema
                && let Err(failure) = Model::build(&map, schema, privctl::db::Dialect::Sqlite)
            {
                prop_assert!(
                    failure.message.starts_with("maps/generated.toml"),
                    "the model's error does not name the file: {}",
                    failure.message
                );
            }
        }
    }
    Ok(())
}

/// Generated cases per property (the three together run in a few seconds); `PROPTEST_CASES`
/// runs more.
fn loader_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: loader_cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/hostile/map_loader.regressions",
        ))),
        ..ProptestConfig::default()
    })]

    /// Documents over the map's model (its sections and keys, values of every type, hostile
    /// strings) never make the loader panic.
    #[test]
    fn the_map_loader_takes_any_model_document(text in model_document()) {
        load_cleanly(&text, MAP_FIXTURE_DATA[0].schema.as_ref())?;
    }

    /// The fixtures' maps with lines dropped, duplicated or given other values, cut short or
    /// with text inserted, never make the loader panic.
    #[test]
    fn the_map_loader_takes_any_mutated_fixture_map((fixture, text) in mutated_fixture()) {
        load_cleanly(&text, MAP_FIXTURE_DATA[fixture].schema.as_ref())?;
    }

    /// Bytes of any kind, as text, never make the loader panic.
    #[test]
    fn the_map_loader_takes_any_text(text in any::<String>()) {
        load_cleanly(&text, None)?;
    }
}
