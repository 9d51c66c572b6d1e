//! The voice-receptionist platform (fixtures/voice-receptionist, PLATFORMS.md): an AI phone
//! receptionist whose tenants are projects with UUID ids. Each test checks one of the platform's
//! promises end to end with the real binary, on SQLite and PostgreSQL: a caller found by E.164
//! phone number in any stored spelling, their sessions deleted with recordings (blobs too) and
//! transcripts, billing kept as an anonymised stub, the operator named as actor; a project's
//! export and deletion; plugin secrets shown only by their last four characters; recordings kept
//! 90 days or the project's own number (0 = never record), transcripts and sessions 12 months,
//! billing and the audit log 7 years; and a ledger that verifies at the end and never holds the
//! caller's number. Every expected row comes from fixtures/voice-receptionist/README.md, and is
//! checked against plain SQL where the README derives it.
//!
//! Every test works on a copy of the fixture's map in its own temporary directory, so the map's
//! `file://./blobs/recordings` store resolves there, never in the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::bundle::{ids_where, read_json};
use crate::support::fixture::{columns, plan_counts, token_of, verify_ledger};
use crate::support::run;
use crate::support::{Dialect, Privctl, TestDb, both_dialects};

/// The fixture's folder name under fixtures/.
const FIXTURE: &str = "voice-receptionist";

/// Praxis Dr. Weber: recordings 90 days (the default).
const WEBER: &str = "3f2b8c1e-6d4a-4e7b-9a10-5c8e2f7d0a11";
/// Hotel Seeblick: `recording_retention_days = 0` (never record).
const SEEBLICK: &str = "9c41d7e2-1b3f-4a8c-b6d5-0e2f4a6c8b22";
/// Bay Area Plumbing: `recording_retention_days = 30`.
const BAY: &str = "e58a0f93-7c2d-4b61-8f4e-a3d9c1b7e533";

/// Jane Doe's number in E.164. Stored as `+49 (30) 1234567` and `+49-30-123-4567` in Weber, and
/// as `+49.30.1234567` in Bay Area Plumbing (the same person, another project).
const JANE: &str = "+49301234567";

/// The fixed "now" of every run (README, "Timestamps").
const NOW: &str = "2026-11-25T10:00:00Z";

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "voice-receptionist-ledger-key-5a17c3";

/// The fixture's column key (hex) of `plugin_secrets.api_key`; the map reads it from
/// `env:VOICE_COLUMN_KEY`.
const COLUMN_KEY: &str = "7f3c9a1e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a";

/// The operator who confirms a DSAR deletion (`PRIVCTL_ACTOR`).
const OPERATOR: &str = "mia.schulz@voice-ops.example";

/// Every table of the fixture, parents first.
const TABLES: [&str; 10] = [
    "projects",
    "callers",
    "call_sessions",
    "call_recordings",
    "transcripts",
    "transcript_segments",
    "knowledge_base_articles",
    "plugin_secrets",
    "billing_usage_events",
    "audit_logs",
];

/// `table -> ids`.
type Ids = BTreeMap<&'static str, Vec<i64>>;

fn ids(pairs: &[(&'static str, &[i64])]) -> Ids {
    pairs.iter().map(|(t, ids)| (*t, ids.to_vec())).collect()
}

/// Jane's rows in Weber, found by `--phone +49301234567` (README, "Jane Doe in Weber").
fn jane_in_weber() -> Ids {
    ids(&[
        ("callers", &[1, 4]),
        ("call_sessions", &[1, 2, 3, 7]),
        ("call_recordings", &[1, 2, 3, 7]),
        ("transcripts", &[1, 2, 3, 7]),
        ("transcript_segments", &[11, 12, 21, 22, 31, 32, 71, 72]),
        ("billing_usage_events", &[1, 2, 3, 7, 90]),
    ])
}

/// Weber's rows per table (README, "Row counts").
const WEBER_ROWS: [(&str, u64); 10] = [
    ("projects", 1),
    ("callers", 4),
    ("call_sessions", 8),
    ("call_recordings", 7),
    ("transcripts", 8),
    ("transcript_segments", 16),
    ("knowledge_base_articles", 2),
    ("plugin_secrets", 2),
    ("billing_usage_events", 10),
    ("audit_logs", 3),
];

/// A stored phone number as privctl matches it: spaces, dashes, dots and parentheses removed.
fn normalised(column: &str) -> String {
    let mut sql = column.to_owned();
    for character in [" ", "-", ".", "(", ")"] {
        sql = format!("replace({sql}, '{character}', '')");
    }
    sql
}

/// The platform's [`setup`](super::setup); the runner has both keys and the fixed clock.
async fn setup(dialect: Dialect) -> (TestDb, Privctl) {
    let envs = [
        ("PRIVCTL_LEDGER_KEY", LEDGER_KEY),
        ("VOICE_COLUMN_KEY", COLUMN_KEY),
        ("PRIVCTL_NOW", NOW),
    ];
    super::setup(dialect, FIXTURE, &envs).await
}

/// Creates `blobs/recordings/<storage_key>` beside the map copy for every recording; returns
/// recording id -> file.
async fn create_recording_blobs(db: &TestDb) -> BTreeMap<i64, PathBuf> {
    let rows = db
        .query_strings(
            "SELECT CAST(id AS TEXT) || '|' || storage_key FROM call_recordings ORDER BY id",
        )
        .await;
    let mut blobs = BTreeMap::new();
    for row in rows {
        let (id, key) = row.split_once('|').expect("id|storage_key");
        let path = db.dir().join("blobs").join("recordings").join(key);
        std::fs::create_dir_all(path.parent().expect("a parent folder"))
            .expect("cannot create the blob's folder");
        std::fs::write(&path, format!("opus audio of recording {id}"))
            .expect("cannot write a blob");
        blobs.insert(id.parse().expect("an integer id"), path);
    }
    assert_eq!(blobs.len(), 12, "README: 12 recordings");
    blobs
}

/// The recordings whose blob file no longer exists.
fn missing_blobs(blobs: &BTreeMap<i64, PathBuf>) -> Vec<i64> {
    blobs
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(id, _)| *id)
        .collect()
}

/// The condition selecting one project's rows of a table (`=`), or every other project's (`<>`).
fn tenant_condition(table: &str, operator: &str, tenant: &str) -> String {
    match table {
        "projects" => format!("id {operator} '{tenant}'"),
        "transcript_segments" => format!(
            "transcript_id IN (SELECT id FROM transcripts WHERE tenant_id {operator} '{tenant}')"
        ),
        _ => format!("tenant_id {operator} '{tenant}'"),
    }
}

/// Every row of every table, keyed by table and id (`projects` by its text id), as the text of
/// all its columns except `except` (NULL marked): compare two of them to prove what changed.
async fn rows(db: &TestDb, except: &[&str]) -> BTreeMap<(String, String), String> {
    rows_where(db, except, |_| "1 = 1".to_owned()).await
}

/// [`rows`], of the rows of each table matching `condition_for(table)`.
async fn rows_where(
    db: &TestDb,
    except: &[&str],
    condition_for: impl Fn(&str) -> String,
) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        let text = columns(db, table)
            .await
            .iter()
            .filter(|column| !except.contains(&column.as_str()))
            .map(|column| format!("COALESCE(CAST(\"{column}\" AS TEXT), '<NULL>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        for row in db
            .query_strings(&format!(
                "SELECT CAST(id AS TEXT) || '#' || {text} FROM {table} WHERE {} ORDER BY id",
                condition_for(table)
            ))
            .await
        {
            let (id, rest) = row.split_once('#').expect("id#row");
            out.insert((table.to_owned(), id.to_owned()), rest.to_owned());
        }
    }
    out
}

/// `before` without the rows of `gone`.
fn without(
    before: &BTreeMap<(String, String), String>,
    gone: &Ids,
) -> BTreeMap<(String, String), String> {
    before
        .iter()
        .filter(|((table, id), _)| {
            !gone
                .get(table.as_str())
                .is_some_and(|ids| ids.iter().any(|gone| gone.to_string() == *id))
        })
        .map(|(key, row)| (key.clone(), row.clone()))
        .collect()
}

/// `table -> ids` of a bundle's rows (but `projects`, whose ids are UUIDs).
fn bundle_ids(bundle: &Value) -> BTreeMap<String, Vec<i64>> {
    bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("no `tables` in the bundle: {bundle}"))
        .iter()
        .filter(|(table, _)| *table != "projects")
        .map(|(table, rows)| {
            let mut ids: Vec<i64> = rows
                .as_array()
                .expect("an array of rows")
                .iter()
                .map(|row| row["id"].as_i64().expect("an integer id"))
                .collect();
            ids.sort_unstable();
            (table.clone(), ids)
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
}

/// `dsar preview`, then `dsar delete --confirm -` (the token on stdin) as `actor`, for Jane in
/// Weber; returns the plan and the execution.
fn delete_jane(privctl: &Privctl, actor: &str) -> (Value, Value) {
    let subject = ["--tenant", WEBER, "--phone", JANE];
    let plan = run(privctl, &[&["dsar", "preview"][..], &subject].concat())
        .success()
        .json();
    let executed = privctl
        .clone()
        .env("PRIVCTL_ACTOR", actor)
        .stdin(token_of(&plan))
        .args(["--format", "json", "dsar", "delete"])
        .args(subject)
        .args(["--confirm", "-"])
        .run()
        .success()
        .json();
    (plan, executed)
}

/// Every text field of every ledger entry, one line per entry.
async fn ledger_text(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || actor || '|' || host || '|' || action || '|' \
         || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') || '|' \
         || COALESCE(resource, '') || '|' || outcome || '|' || COALESCE(CAST(details AS TEXT), '') \
         FROM privctl_ledger ORDER BY seq",
    )
    .await
}

/// Fails when the ledger holds Jane's number in any spelling, or any digits run of it.
async fn assert_ledger_never_names_the_caller(db: &TestDb) {
    for entry in ledger_text(db).await {
        for spelling in [
            JANE,
            "49301234567",
            "1234567",
            "+49 (30)",
            "+49-30-123",
            "+49.30.",
        ] {
            assert!(
                !entry.contains(spelling),
                "a ledger entry holds the caller's number ({spelling}): {entry}"
            );
        }
    }
}

/// SQLite's foreign key check, and in plain SQL on both: no row references a missing parent.
async fn assert_no_orphans(db: &TestDb) {
    crate::support::fixture::assert_no_orphans_through(
        db,
        [
            ("callers", "tenant_id", "projects"),
            ("call_sessions", "caller_id", "callers"),
            ("call_recordings", "session_id", "call_sessions"),
            ("transcripts", "session_id", "call_sessions"),
            ("transcripts", "recording_id", "call_recordings"),
            ("transcript_segments", "transcript_id", "transcripts"),
            ("billing_usage_events", "session_id", "call_sessions"),
        ],
    )
    .await;
}

/// `caller_number` of these billing events, in id order (NULL as `<NULL>`).
async fn caller_numbers(db: &TestDb, condition: &str) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT COALESCE(caller_number, '<NULL>') FROM billing_usage_events \
         WHERE {condition} ORDER BY id"
    ))
    .await
}

fn is_keyed_hash(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

both_dialects! {
    /// `map check` accepts the fixture's map on the live schema, without a warning: every table
    /// mapped, every category with a window, every identity column with the expression index
    /// its matching needs.
    async fn map_check_passes_on_the_voice_receptionist_schema(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let output = run(&privctl, &["map", "check"]);
        output.success();
        assert!(
            !output.stdout.contains("missing_index"),
            "the fixture's indexes cover every identity, tenant and timestamp column: {output}"
        );
        db.cleanup().await;
    }

    /// `--phone +49301234567` finds both of Jane's caller rows in Weber whatever their stored
    /// spelling, and through them her sessions, recordings, transcripts, segments and billing
    /// events (the billing event of 2019 by its number alone), but not the namesake whose number
    /// has one digit more, nor Jane's rows in Bay Area Plumbing. The export holds exactly those
    /// rows, the rows plain SQL finds from the normalised numbers.
    async fn a_caller_is_found_by_e164_phone_in_every_stored_spelling_and_only_in_their_project(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let plan = run(
            &privctl,
            &["dsar", "preview", "--tenant", WEBER, "--phone", JANE],
        )
        .success()
        .json();
        let expected = jane_in_weber();
        let planned: BTreeMap<String, (u64, String)> = expected
            .iter()
            .map(|(table, ids)| {
                let effect = if *table == "billing_usage_events" {
                    "anonymise"
                } else {
                    "delete"
                };
                (table.to_string(), (ids.len() as u64, effect.to_owned()))
            })
            .collect();
        assert_eq!(plan_counts(&plan), planned, "{plan}");
        assert_eq!(
            plan["total_rows"], 27,
            "README: 27 rows (22 deleted, 5 anonymised)"
        );
        let recordings = plan["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["table"] == "call_recordings")
            .expect("call_recordings in the plan");
        assert_eq!(recordings["blobs"], 4, "one blob per recording: {plan}");

        // The same rows from plain SQL: callers by normalised number, then down the foreign keys.
        let callers = format!(
            "tenant_id = '{WEBER}' AND {} = '{JANE}'",
            normalised("phone")
        );
        let sessions = format!("caller_id IN (SELECT id FROM callers WHERE {callers})");
        let transcripts = format!("session_id IN (SELECT id FROM call_sessions WHERE {sessions})");
        let from_sql = ids(&[
            ("callers", &ids_where(&db, "callers", &callers).await),
            (
                "call_sessions",
                &ids_where(&db, "call_sessions", &sessions).await,
            ),
            (
                "call_recordings",
                &ids_where(&db, "call_recordings", &transcripts).await,
            ),
            (
                "transcripts",
                &ids_where(&db, "transcripts", &transcripts).await,
            ),
            (
                "transcript_segments",
                &ids_where(
                    &db,
                    "transcript_segments",
                    &format!("transcript_id IN (SELECT id FROM transcripts WHERE {transcripts})"),
                )
                .await,
            ),
            (
                "billing_usage_events",
                &ids_where(
                    &db,
                    "billing_usage_events",
                    &format!(
                        "tenant_id = '{WEBER}' AND ({transcripts} OR {} = '{JANE}')",
                        normalised("caller_number")
                    ),
                )
                .await,
            ),
        ]);
        assert_eq!(
            from_sql, expected,
            "the README's rows are what plain SQL finds"
        );

        let out = db.dir().join("jane.json");
        run(
            &privctl,
            &[
                "dsar",
                "export",
                "--tenant",
                WEBER,
                "--phone",
                JANE,
                "--out",
                out.to_str().expect("UTF-8"),
            ],
        )
        .success();
        let bundle = read_json(&out);
        assert_eq!(bundle["kind"], "subject");
        assert_eq!(bundle["tenant"], WEBER);
        let exported: BTreeMap<String, Vec<i64>> = expected
            .iter()
            .map(|(t, ids)| (t.to_string(), ids.clone()))
            .collect();
        assert_eq!(
            bundle_ids(&bundle),
            exported,
            "the bundle holds exactly Jane's rows"
        );
        for (table, rows) in bundle["tables"].as_object().expect("tables") {
            for row in rows.as_array().expect("rows") {
                if let Some(tenant) = row.get("tenant_id") {
                    assert_eq!(tenant, WEBER, "{table} row of another project: {row}");
                }
            }
        }
        // The namesake (+493012345678) and the other project's Jane are not in it.
        let text = std::fs::read_to_string(&out).expect("the bundle");
        assert!(
            !text.contains("+49 30 12345678") && !text.contains("+493012345678"),
            "{text}"
        );
        assert!(
            !text.contains(BAY) && !text.contains("+49.30.1234567"),
            "{text}"
        );
        db.cleanup().await;
    }

    /// `dsar delete` by phone: Jane's callers, sessions, recordings (and their blob files),
    /// transcripts and segments are gone, her five billing events stay with the number replaced
    /// by a keyed hash and session_id NULL (tenant id, minutes and amount unchanged), and every
    /// other row of every project, the namesake's and Jane's in Bay Area Plumbing included, is
    /// exactly as before.
    async fn dsar_delete_by_phone_removes_sessions_recordings_and_transcripts_and_keeps_an_anonymised_billing_stub(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let blobs = create_recording_blobs(&db).await;
        let before = rows(&db, &[]).await;
        let before_billing = rows(&db, &["caller_number", "session_id"]).await;

        let (_, executed) = delete_jane(&privctl, OPERATOR);
        assert_eq!(executed["executed"], true, "{executed}");
        assert_eq!(executed["remaining"], 0, "{executed}");

        let expected = jane_in_weber();
        let erased: Ids = expected
            .iter()
            .filter(|(table, _)| **table != "billing_usage_events")
            .map(|(t, ids)| (*t, ids.clone()))
            .collect();
        // Everything but Jane's deleted rows and her billing events' two columns is unchanged.
        assert_eq!(
            without(&rows(&db, &["caller_number", "session_id"]).await, &erased),
            without(&before_billing, &erased),
        );
        // And every row other than Jane's (billing included) is unchanged in every column.
        assert_eq!(
            without(&rows(&db, &[]).await, &expected),
            without(&before, &expected)
        );
        for (table, gone) in &erased {
            let left = ids_where(&db, table, &format!("id IN ({})", join(gone))).await;
            assert!(left.is_empty(), "{table} still has {left:?}");
        }

        // The billing stubs: tenant id kept, number hashed (one hash for one number), no session.
        let stubs = "id IN (1, 2, 3, 7, 90)";
        let numbers = caller_numbers(&db, stubs).await;
        assert_eq!(numbers.len(), 5);
        assert!(numbers.iter().all(|n| is_keyed_hash(n)), "{numbers:?}");
        assert!(
            numbers.iter().all(|n| *n == numbers[0]),
            "the same number, the same hash: {numbers:?}"
        );
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM billing_usage_events WHERE {stubs} \
                 AND tenant_id = '{WEBER}' AND session_id IS NULL"
            ))
            .await,
            5
        );
        // Jane's billing in Bay Area Plumbing still has her number.
        assert_eq!(caller_numbers(&db, "id = 201").await, [JANE]);

        // Her recordings left object storage, nobody else's did.
        assert_eq!(missing_blobs(&blobs), [1, 2, 3, 7]);
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NOT NULL \
                 AND tenant = '{WEBER}' AND source_table = 'call_recordings'"
            ))
            .await,
            4,
            "the four objects went through the outbox"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL")
                .await,
            0,
            "every queued object was deleted"
        );
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }

    /// The ledger records the DSAR deletion with the confirming operator (`PRIVCTL_ACTOR`) as
    /// actor, the tenant, and a keyed subject_ref, never the caller's number in any spelling.
    async fn the_dsar_deletion_is_logged_with_the_operator_as_actor_and_never_the_callers_number(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        create_recording_blobs(&db).await;
        delete_jane(&privctl, OPERATOR);
        let done = db
            .query_strings(
                "SELECT actor || '|' || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') \
                 FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'",
            )
            .await;
        let [entry] = done.as_slice() else {
            panic!("one finished dsar-delete entry: {done:?}");
        };
        let fields: Vec<&str> = entry.split('|').collect();
        assert_eq!(fields[0], OPERATOR, "the operator is the actor: {entry}");
        assert_eq!(fields[1], WEBER, "{entry}");
        assert!(!fields[2].is_empty(), "a subject_ref: {entry}");
        // The preview was run by the default actor, the deletion by the operator.
        let actors = db
            .query_strings(
                "SELECT DISTINCT actor FROM privctl_ledger \
                 WHERE action LIKE 'dsar-%' ORDER BY actor",
            )
            .await;
        assert!(actors.contains(&OPERATOR.to_owned()), "{actors:?}");
        assert_ledger_never_names_the_caller(&db).await;
        db.cleanup().await;
    }

    /// `export-tenant` of Weber holds every row of the project (its README counts, and the ids
    /// plain SQL finds, transcript segments through their transcripts) and none of another's.
    async fn export_tenant_holds_every_row_of_the_project_and_none_of_another(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let out = db.dir().join("weber.json");
        let output = run(
            &privctl,
            &[
                "export-tenant",
                "--tenant",
                WEBER,
                "--out",
                out.to_str().expect("UTF-8"),
            ],
        )
        .success()
        .json();
        let counts: BTreeMap<String, u64> = WEBER_ROWS
            .iter()
            .map(|(t, n)| (t.to_string(), *n))
            .collect();
        let reported: BTreeMap<String, u64> = output["row_counts"]
            .as_object()
            .expect("row_counts")
            .iter()
            .map(|(t, n)| (t.clone(), n.as_u64().expect("a count")))
            .collect();
        assert_eq!(reported, counts, "{output}");
        assert_eq!(output["total_rows"], 61);

        let bundle = read_json(&out);
        let mut from_sql = BTreeMap::new();
        for table in TABLES.into_iter().filter(|t| *t != "projects") {
            from_sql.insert(
                table.to_owned(),
                ids_where(&db, table, &tenant_condition(table, "=", WEBER)).await,
            );
        }
        let exported = bundle_ids(&bundle);
        let projects = bundle["tables"]["projects"].as_array().expect("projects");
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0]["id"], WEBER);
        assert_eq!(exported, from_sql);
        let text = std::fs::read_to_string(&out).expect("the bundle");
        assert!(
            !text.contains(SEEBLICK) && !text.contains(BAY),
            "another project's rows"
        );
        db.cleanup().await;
    }

    /// `delete-tenant` of Weber: its project row, callers, sessions, recordings (and all seven
    /// blob files), transcripts, segments, knowledge base and plugin secrets are gone; its ten
    /// billing events survive, anonymised with the tenant id kept; its audit log is retained;
    /// the other projects are exactly as before.
    async fn deleting_a_project_wipes_recordings_transcripts_and_knowledge_base_and_keeps_billing_anonymised_with_its_tenant_id(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let blobs = create_recording_blobs(&db).await;
        let others = |table: &str| tenant_condition(table, "<>", WEBER);
        let others_before = rows_where(&db, &[], others).await;
        let weber = |table: &str| tenant_condition(table, "=", WEBER);
        let billing_before = rows_where(&db, &["caller_number", "session_id"], weber).await;

        let plan = run(&privctl, &["delete-tenant", "--tenant", WEBER])
            .success()
            .json();
        let mut expected: BTreeMap<String, (u64, String)> = BTreeMap::new();
        for (table, rows) in WEBER_ROWS {
            let effect = match table {
                "billing_usage_events" => "anonymise",
                "audit_logs" => "retain",
                _ => "delete",
            };
            expected.insert(table.to_owned(), (rows, effect.to_owned()));
        }
        assert_eq!(plan_counts(&plan), expected, "{plan}");
        let executed = run(
            &privctl,
            &[
                "delete-tenant",
                "--tenant",
                WEBER,
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success()
        .json();
        assert_eq!(executed["executed"], true, "{executed}");

        for table in [
            "callers",
            "call_sessions",
            "call_recordings",
            "transcripts",
            "transcript_segments",
            "knowledge_base_articles",
            "plugin_secrets",
        ] {
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE {}",
                    tenant_condition(table, "=", WEBER)
                ))
                .await,
                0,
                "{table} still has Weber rows"
            );
        }
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM projects WHERE id = '{WEBER}'"
            ))
            .await,
            0
        );
        assert_eq!(
            missing_blobs(&blobs),
            [1, 2, 3, 5, 6, 7, 8],
            "Weber's seven recordings"
        );

        // Billing: all ten rows, tenant id kept, numbers hashed, no session, amounts unchanged.
        let weber_billing = format!("tenant_id = '{WEBER}'");
        let numbers = caller_numbers(&db, &weber_billing).await;
        assert_eq!(numbers.len(), 10);
        assert!(numbers.iter().all(|n| is_keyed_hash(n)), "{numbers:?}");
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM billing_usage_events \
                 WHERE {weber_billing} AND session_id IS NULL"
            ))
            .await,
            10
        );
        // Billing: minutes, amounts, times and the tenant id as they were. Audit log: retained
        // as it was, every column.
        let kept = |rows: BTreeMap<(String, String), String>| {
            rows.into_iter()
                .filter(|((table, _), _)| table == "billing_usage_events" || table == "audit_logs")
                .collect::<BTreeMap<_, _>>()
        };
        let after = kept(rows_where(&db, &["caller_number", "session_id"], weber).await);
        assert_eq!(after.len(), 13, "10 billing events and 3 audit log entries");
        assert_eq!(after, kept(billing_before));
        // Every other project's row is unchanged.
        assert_eq!(rows_where(&db, &[], others).await, others_before);
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }

    /// Plugin API keys are AES-256-GCM in the database: exports decrypt them with the column key
    /// and show only their last four characters, never the key or its ciphertext; the stored
    /// ciphertext is untouched and still decrypts.
    async fn plugin_secrets_show_only_the_last_four_characters_in_exports(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let stored = db
            .query_strings("SELECT api_key FROM plugin_secrets ORDER BY id")
            .await;
        for (tenant, expected) in [
            (WEBER, vec!["****wx7Q", "****K9z2"]),
            (BAY, vec!["****0Xa9"]),
        ] {
            let out = db.dir().join(format!("{tenant}.json"));
            run(
                &privctl,
                &[
                    "export-tenant",
                    "--tenant",
                    tenant,
                    "--out",
                    out.to_str().expect("UTF-8"),
                ],
            )
            .success();
            let bundle = read_json(&out);
            let keys: Vec<&str> = bundle["tables"]["plugin_secrets"]
                .as_array()
                .expect("plugin_secrets rows")
                .iter()
                .map(|row| row["api_key"].as_str().expect("a string"))
                .collect();
            assert_eq!(keys, expected);
            assert_eq!(
                bundle["manifest"]["redacted_columns"]["plugin_secrets"]["redact"],
                serde_json::json!(["api_key"])
            );
            let text = std::fs::read_to_string(&out).expect("the bundle");
            // Neither a plaintext key (or its prefix) nor any piece of a ciphertext.
            let forbidden = ["cal_live", "hubspot-pat", "sk_live"]
                .into_iter()
                .chain(stored.iter().map(|s| &s[..20]));
            for secret in forbidden {
                assert!(!text.contains(secret), "the export shows {secret}");
            }
        }
        // The CSV export redacts the same way.
        let csv = db.dir().join("weber-csv");
        run(
            &privctl,
            &[
                "export-tenant",
                "--tenant",
                WEBER,
                "--out",
                csv.to_str().expect("UTF-8"),
                "--output-format",
                "csv",
            ],
        )
        .success();
        let secrets =
            std::fs::read_to_string(csv.join("plugin_secrets.csv")).expect("plugin_secrets.csv");
        assert!(
            secrets.contains("****wx7Q") && secrets.contains("****K9z2"),
            "{secrets}"
        );
        assert!(
            !secrets.contains("cal_live") && !secrets.contains(&stored[0][..20]),
            "{secrets}"
        );

        // The database keeps the ciphertext, which the column key still opens.
        assert_eq!(
            db.query_strings("SELECT api_key FROM plugin_secrets ORDER BY id")
                .await,
            stored
        );
        let cipher = privctl::bundle::columns::ColumnCipher::new(COLUMN_KEY.as_bytes())
            .expect("the fixture key");
        assert_eq!(
            cipher.decrypt(&stored[2]).expect("decrypts"),
            "sk_live_51NzQp8LmT3vR6yW2hJ4k0Xa9"
        );
        db.cleanup().await;
    }

    /// Recordings: Weber keeps 90 days (2026-08-28 stays, 2026-08-26 goes), Hotel Seeblick's 0
    /// days means every recording goes (yesterday's too), Bay Area Plumbing's 30 days takes a
    /// recording the 90-day default would keep. Their blob files go with them; a transcript
    /// whose recording went stays with recording_id NULL. A second dry run finds nothing.
    async fn purge_retention_keeps_recordings_90_days_or_the_projects_own_days_including_0(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let blobs = create_recording_blobs(&db).await;
        let plan = run(&privctl, &["purge-retention", "--allow-large"])
            .success()
            .json();
        for (tenant, window, cutoff) in [
            (WEBER, "90d", "2026-08-27T10:00:00Z"),
            (SEEBLICK, "0d", NOW),
            (BAY, "30d", "2026-10-26T10:00:00Z"),
        ] {
            let entry = cutoff_of(&plan, tenant, "call_recordings");
            assert_eq!(entry["window"], window, "{entry}");
            assert_eq!(entry["cutoff"], cutoff, "{entry}");
        }
        run(
            &privctl,
            &[
                "purge-retention",
                "--allow-large",
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success();

        // Recordings past their project's window, and those of purged sessions (5, 7, 203).
        assert_eq!(
            ids_where(&db, "call_recordings", "1 = 1").await,
            [1, 3, 6, 201],
            "README: recordings 1, 3, 6 (Weber) and 201 (Bay) stay"
        );
        assert_eq!(missing_blobs(&blobs), [2, 5, 7, 8, 101, 102, 202, 203]);
        // Transcripts outlive their recordings: 2, 8, 101, 102 and 202 stay, their link cleared.
        assert_eq!(
            ids_where(&db, "transcripts", "recording_id IS NULL").await,
            [2, 4, 8, 101, 102, 202]
        );
        let again = run(&privctl, &["purge-retention"]).success().json();
        assert_eq!(again["total_rows"], 0, "{again}");
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }

    /// Sessions and transcripts are kept 12 months (365 days: 2025-12-01 stays, 2025-11-20
    /// goes) and take their segments along; billing events and the audit log 7 years (2019-12
    /// stays, 2019-11-20 and 2019-10-01 go), and a billing event whose session was purged stays
    /// with session_id NULL. Nothing else changes: callers, knowledge base and secrets have no
    /// window.
    async fn purge_retention_keeps_transcripts_and_sessions_12_months_and_billing_and_audit_7_years(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        create_recording_blobs(&db).await;
        let before = rows(&db, &["session_id", "recording_id"]).await;
        let plan = run(&privctl, &["purge-retention", "--allow-large"])
            .success()
            .json();
        for tenant in [WEBER, SEEBLICK, BAY] {
            for (table, window, cutoff) in [
                ("call_sessions", "1y", "2025-11-25T10:00:00Z"),
                ("transcripts", "1y", "2025-11-25T10:00:00Z"),
                ("billing_usage_events", "7y", "2019-11-27T10:00:00Z"),
                ("audit_logs", "7y", "2019-11-27T10:00:00Z"),
            ] {
                let entry = cutoff_of(&plan, tenant, table);
                assert_eq!(entry["window"], window, "{entry}");
                assert_eq!(entry["cutoff"], cutoff, "{entry}");
            }
        }
        let executed = run(
            &privctl,
            &[
                "purge-retention",
                "--allow-large",
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success()
        .json();
        assert_eq!(executed["executed"], true, "{executed}");

        let purged = ids(&[
            ("call_sessions", &[5, 7, 103, 203]),
            ("call_recordings", &[2, 5, 7, 8, 101, 102, 202, 203]),
            ("transcripts", &[5, 7, 103, 203]),
            (
                "transcript_segments",
                &[51, 52, 71, 72, 1031, 1032, 2031, 2032],
            ),
            ("billing_usage_events", &[90]),
            ("audit_logs", &[1]),
        ]);
        let counts: BTreeMap<String, (u64, String)> = purged
            .iter()
            .map(|(table, ids)| (table.to_string(), (ids.len() as u64, "delete".to_owned())))
            .collect();
        assert_eq!(
            plan_counts(&plan),
            counts,
            "the dry run planned exactly these: {plan}"
        );
        assert_eq!(
            plan["total_rows"], 26,
            "README: a full purge deletes 26 rows"
        );
        assert_eq!(plan_counts(&executed), counts, "{executed}");
        // Exactly these rows went; every other row is unchanged but for the cleared links.
        assert_eq!(
            rows(&db, &["session_id", "recording_id"]).await,
            without(&before, &purged)
        );
        assert_eq!(
            ids_where(&db, "billing_usage_events", "session_id IS NULL").await,
            [5, 7, 91, 103, 203],
            "billing outlives the purged sessions"
        );
        assert_eq!(
            ids_where(
                &db,
                "billing_usage_events",
                "occurred_at < '2019-11-27T10:00:00Z'"
            )
            .await,
            Vec::<i64>::new()
        );
        assert_eq!(
            caller_numbers(&db, "id = 91").await,
            ["+49307654321"],
            "a purge deletes, it does not anonymise"
        );
        let entries = db
            .query_i64(
                "SELECT count(*) FROM privctl_ledger \
                 WHERE action = 'purge-retention' AND outcome = 'done'",
            )
            .await;
        assert_eq!(entries, 1);
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }

    /// After a DSAR deletion, a project export and deletion and a retention purge, `audit-verify`
    /// exits 0 over the whole chain, and no entry holds the caller's number.
    async fn audit_verify_passes_after_every_operation(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        create_recording_blobs(&db).await;
        delete_jane(&privctl, OPERATOR);
        let out = db.dir().join("bay.json");
        run(
            &privctl,
            &[
                "export-tenant",
                "--tenant",
                BAY,
                "--out",
                out.to_str().expect("UTF-8"),
            ],
        )
        .success();
        let plan = run(&privctl, &["delete-tenant", "--tenant", BAY])
            .success()
            .json();
        run(
            &privctl,
            &[
                "delete-tenant",
                "--tenant",
                BAY,
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success();
        let plan = run(&privctl, &["purge-retention", "--allow-large"])
            .success()
            .json();
        run(
            &privctl,
            &[
                "purge-retention",
                "--allow-large",
                "--confirm",
                &token_of(&plan),
            ],
        )
        .success();

        let verified = run(&privctl, &["audit-verify"]).success().json();
        assert_eq!(verified["ok"], true, "{verified}");
        let entries = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        assert_eq!(verified["entries"], entries, "{verified}");
        let actions: BTreeSet<String> = db
            .query_strings("SELECT action FROM privctl_ledger WHERE outcome = 'done'")
            .await
            .into_iter()
            .collect();
        for action in [
            "dsar-delete",
            "export-tenant",
            "delete-tenant",
            "purge-retention",
        ] {
            assert!(
                actions.contains(action),
                "no finished {action} entry: {actions:?}"
            );
        }
        assert!(
            verify_ledger(&db, LEDGER_KEY).await.ok(),
            "the library agrees"
        );
        assert_ledger_never_names_the_caller(&db).await;
        db.cleanup().await;
    }
}

/// The plan's cutoff entry for one project's table.
#[track_caller]
fn cutoff_of<'a>(plan: &'a Value, tenant: &str, table: &str) -> &'a Value {
    plan["cutoffs"]
        .as_array()
        .unwrap_or_else(|| panic!("no cutoffs: {plan}"))
        .iter()
        .find(|c| c["tenant"] == tenant && c["table"] == table)
        .unwrap_or_else(|| panic!("no cutoff for {tenant}/{table}: {plan}"))
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
