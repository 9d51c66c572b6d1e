//! `privctl purge-retention` on the conversational-ai fixture: every tenant's plan-tier window
//! becomes an absolute cutoff, rows past it go with their descendants and nothing else does,
//! per-tenant overrides, `ended_at` windows and legal holds are honoured, a bad or too-large plan
//! issues no token (what its token is bound to: the cutoffs, the holds, the tenant and one use,
//! is in tokens.rs), only one run works at a time, a killed or time-boxed run resumes with the same token, blobs go with their rows,
//! and the ledger records the run without naming anyone.
//!
//! The clock is fixed (`PRIVCTL_NOW`) at 2026-11-25T10:00:00Z, where the fixture README's
//! "Timestamps" section gives these windows: acme (growth) 90d, globex (free) 30d, initech
//! (scale) 365d, umbrella (enterprise, on legal hold) unlimited, hooli (starter) 30d with
//! recordings overridden to 30d and transcripts expired (ended 2026-06-15 + 30d).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::fixture::{
    self, TABLES, assert_no_orphans, create_blobs, everything, plan_counts, setup,
    setup_with_map_copy, snapshot, tenant_condition, token_of, verify_ledger, write_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, Spawned, TestDb, both_dialects};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "purge-tests-ledger-key-3b9e51";

/// The fixed "now" of every run unless a test says otherwise.
pub(crate) const NOW: &str = "2026-11-25T10:00:00Z";

const DAY: i64 = 86_400;

/// Rows by table: ids.
pub(crate) type Ids = BTreeMap<&'static str, Vec<i64>>;

/// Every row of every fixture table (and schema_migrations), as text.
pub(crate) type Snapshot = BTreeMap<String, Vec<String>>;

/// What a purge at [`NOW`] deletes from the unchanged fixture (README, "Timestamps"):
/// conversations acme {3,5,6,7}, globex {102,104}, initech {201}, hooli {401..404}, with their
/// messages, attachments, recordings (acme 1 also by its own 90d window), the transcripts of
/// those recordings, and their traces. Umbrella is on hold. 47 rows.
pub(crate) fn fixture_purged() -> Ids {
    BTreeMap::from([
        (
            "conversations",
            vec![3, 5, 6, 7, 102, 104, 201, 401, 402, 403, 404],
        ),
        (
            "messages",
            vec![
                10, 11, 12, 16, 17, 18, 19, 20, 21, 22, // acme 3, 5, 6, 7
                104, 105, 108, 109, // globex 102, 104
                201, 202, // initech 201
                401, 402, 403, 404, 405, 406, 407, // hooli
            ],
        ),
        ("attachments", vec![401]),
        ("recordings", vec![1, 401, 402]),
        ("transcripts", vec![1, 401, 402]),
        ("agent_traces", vec![4, 6, 102, 201, 401, 402]),
    ])
}

/// `base` plus more ids per table.
fn with(mut base: Ids, more: &[(&'static str, &[i64])]) -> Ids {
    for (table, ids) in more {
        let entry = base.entry(table).or_default();
        entry.extend_from_slice(ids);
        entry.sort_unstable();
    }
    base
}

/// Only these tables' ids.
pub(crate) fn ids(pairs: &[(&'static str, &[i64])]) -> Ids {
    with(BTreeMap::new(), pairs)
}

/// Rows per table of an id map (tables with rows only).
fn counts(ids: &Ids) -> BTreeMap<String, u64> {
    ids.iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(table, ids)| ((*table).to_owned(), ids.len() as u64))
        .collect()
}

fn total(ids: &Ids) -> u64 {
    ids.values().map(|ids| ids.len() as u64).sum()
}

/// [`NOW`] minus `seconds`, as RFC 3339 (`2026-10-27T10:00:00Z`): valid text for a SQLite
/// timestamp column and a PostgreSQL TIMESTAMPTZ literal alike.
fn before_now(seconds: i64) -> String {
    shift(NOW, -seconds)
}

pub(crate) fn shift(at: &str, seconds: i64) -> String {
    let at = OffsetDateTime::parse(at, &Rfc3339).expect("an RFC 3339 time");
    (at + time::Duration::seconds(seconds))
        .format(&Rfc3339)
        .expect("formats")
}

/// The fixture database with `privctl init` run, and a runner whose clock is [`NOW`].
pub(crate) async fn fixture(dialect: Dialect) -> (TestDb, Privctl) {
    let (db, privctl) = setup(dialect, LEDGER_KEY).await;
    (db, privctl.env("PRIVCTL_NOW", NOW))
}

/// `privctl --format json purge-retention <extra…>`.
pub(crate) fn purge(privctl: &Privctl, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "purge-retention"])
        .args(extra)
        .run()
}

/// A dry run that must succeed: its plan.
#[track_caller]
pub(crate) fn dry_run(privctl: &Privctl, extra: &[&str]) -> Value {
    let plan = purge(privctl, extra).success().json();
    assert_eq!(plan["action"], "purge-retention", "{plan}");
    plan
}

/// Runs the plan's token with the same `extra` flags; must succeed: the execution's JSON.
#[track_caller]
pub(crate) fn confirm(privctl: &Privctl, plan: &Value, extra: &[&str]) -> Value {
    let token = token_of(plan);
    let result = purge(
        privctl,
        &[extra, &["--confirm", token.as_str()][..]].concat(),
    )
    .success()
    .json();
    assert_eq!(result["executed"], true, "{result}");
    result
}

/// The `id` of a snapshot row (its first column).
fn row_id(row: &str) -> &str {
    row.split('|').next().unwrap_or_default()
}

/// `after` is `before` without exactly the rows `purged` names: nothing else went, nothing
/// changed in the rows that stayed (no reference cleared, no value rewritten), nothing appeared.
#[track_caller]
pub(crate) fn assert_purged_exactly(before: &Snapshot, after: &Snapshot, purged: &Ids, what: &str) {
    for (table, rows) in before {
        let mut expected_ids: Vec<i64> = purged.get(table.as_str()).cloned().unwrap_or_default();
        expected_ids.sort_unstable();
        let expected_ids: Vec<String> = expected_ids.iter().map(i64::to_string).collect();
        let after_ids: BTreeSet<&str> = after[table].iter().map(|r| row_id(r)).collect();
        let removed: Vec<String> = rows
            .iter()
            .map(|r| row_id(r))
            .filter(|id| !after_ids.contains(id))
            .map(str::to_owned)
            .collect();
        assert_eq!(removed, expected_ids, "{what}: the {table} rows purged");
        let kept: Vec<String> = rows
            .iter()
            .filter(|r| !expected_ids.iter().any(|id| id == row_id(r)))
            .cloned()
            .collect();
        assert_eq!(
            after[table], kept,
            "{what}: the {table} rows that stay must be unchanged"
        );
    }
}

/// The cutoff entry of one tenant and table in a plan's `cutoffs`.
#[track_caller]
fn cutoff<'a>(plan: &'a Value, tenant: &str, table: &str) -> &'a Value {
    plan["cutoffs"]
        .as_array()
        .unwrap_or_else(|| panic!("the plan has no `cutoffs` array: {plan}"))
        .iter()
        .find(|c| c["tenant"] == tenant && c["table"] == table)
        .unwrap_or_else(|| panic!("no cutoff for {tenant}/{table}: {plan}"))
}

/// `table -> deleted` of an execution's tables with rows deleted.
pub(crate) fn deleted_counts(result: &Value) -> BTreeMap<String, u64> {
    result["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no `tables` array: {result}"))
        .iter()
        .filter_map(|entry| {
            let deleted = entry["deleted"]
                .as_u64()
                .unwrap_or_else(|| panic!("no `deleted` count in {entry}"));
            let table = entry["table"].as_str().expect("a table name").to_owned();
            (deleted > 0).then_some((table, deleted))
        })
        .collect()
}

/// `table -> rows` of a plan's tables with rows (every effect must be `delete`).
#[track_caller]
pub(crate) fn planned_counts(plan: &Value) -> BTreeMap<String, u64> {
    plan_counts(plan)
        .into_iter()
        .map(|(table, (rows, effect))| {
            assert_eq!(effect, "delete", "{table}: {plan}");
            (table, rows)
        })
        .collect()
}

async fn confirmations(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM privctl_confirmations")
        .await
}

/// The outcomes of the ledger's purge-retention entries, in order.
async fn purge_outcomes(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT outcome FROM privctl_ledger WHERE action = 'purge-retention' ORDER BY seq",
    )
    .await
}

/// Adds a conversation of `tenant` created at `at`, with one message and one agent trace (all
/// with `id`), and with `recording`, a recording and its transcript (also `id`), all at `at`.
async fn insert_conversation(
    db: &TestDb,
    tenant: &str,
    id: i64,
    contact: i64,
    at: &str,
    recording: bool,
) {
    db.execute(&format!(
        "INSERT INTO conversations (id, org_id, contact_id, channel, language, assigned_member_id, started_at, created_at) \
         VALUES ({id}, '{tenant}', {contact}, 'voice', 'en', NULL, '{at}', '{at}');
         INSERT INTO messages (id, conversation_id, sender, body, created_at) \
         VALUES ({id}, {id}, 'customer', 'extra message {id}', '{at}');
         INSERT INTO agent_traces (id, org_id, conversation_id, intent, tools_called, model, latency_ms, tokens, created_at) \
         VALUES ({id}, '{tenant}', {id}, 'extra', '[]', 'test-model', 100, 10, '{at}');"
    ))
    .await;
    if recording {
        insert_recording(db, tenant, id, id, at).await;
    }
}

/// Adds a recording `id` of `conversation` and its transcript `id`, both created at `at`.
async fn insert_recording(db: &TestDb, tenant: &str, id: i64, conversation: i64, at: &str) {
    db.execute(&format!(
        "INSERT INTO recordings (id, org_id, conversation_id, storage_key, duration_seconds, created_at) \
         VALUES ({id}, '{tenant}', {conversation}, '{tenant}/extra/rec-{id}.wav', 60, '{at}');
         INSERT INTO transcripts (id, org_id, recording_id, body, language, created_at) \
         VALUES ({id}, '{tenant}', {id}, 'extra transcript {id}', 'en', '{at}');"
    ))
    .await;
}

/// Starts `privctl --format json purge-retention <args…>` in the background (for kills and
/// concurrent runs).
fn spawn_purge(privctl: &Privctl, args: &[&str]) -> Spawned {
    privctl
        .clone()
        .args(["--format", "json", "purge-retention"])
        .args(args)
        .spawn()
}

/// Waits until the purge job has committed at least one batch while the run goes on.
async fn wait_for_progress(run: &mut Spawned, db: &TestDb) {
    run.wait_until("a committed batch", Duration::from_secs(60), async || {
        db.query_i64(
            "SELECT count(*) FROM privctl_jobs WHERE action = 'purge-retention' \
             AND state = 'running' AND progress <> '{}'",
        )
        .await
            > 0
    })
    .await;
}

/// Writes an object into a store of the map copy's directory.
fn write_blob(db: &TestDb, store: &str, key: &str) -> PathBuf {
    let path = db.dir().join("blobs").join(store).join(key);
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("blob folder");
    std::fs::write(&path, "object").expect("cannot write a blob");
    path
}

both_dialects! {
    /// At 2026-11-25T10:00Z the dry run plans exactly the fixture's expired rows (47: the
    /// conversations past each tier's window with their messages, attachments, recordings,
    /// the transcript that hangs on acme's recording 1, traces, and hooli's expired
    /// transcripts), skips umbrella for its legal hold, and changes nothing; the confirmed run
    /// deletes exactly those rows, and every other row (tables without a retention rule, and
    /// the rows inside their windows) is byte-for-byte unchanged.
    async fn a_purge_deletes_exactly_the_rows_past_each_tenants_window(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let expected = fixture_purged();

        let plan = dry_run(&privctl, &[]);
        assert_eq!(plan["tenant"], Value::Null, "{plan}");
        assert!(plan["expires_at"].is_string(), "{plan}");
        assert_eq!(planned_counts(&plan), counts(&expected), "planned rows: {plan}");
        assert_eq!(plan["total_rows"], 47, "{plan}");
        assert_eq!(
            plan["skipped"],
            json!([{"tenant": "umbrella", "reason": "legal hold"}]),
            "{plan}"
        );
        assert!(
            plan["cutoffs"]
                .as_array()
                .expect("cutoffs")
                .iter()
                .all(|c| c["tenant"] != "umbrella"),
            "umbrella is on hold: no cutoff of its own: {plan}"
        );
        // Each tier's window as an absolute cutoff.
        for (tenant, window, at) in [
            ("acme", "90d", "2026-08-27T10:00:00Z"),
            ("globex", "30d", "2026-10-26T10:00:00Z"),
            // The map's "365d", shown normalised.
            ("initech", "1y", "2025-11-25T10:00:00Z"),
            ("hooli", "30d", "2026-10-26T10:00:00Z"),
        ] {
            for table in ["conversations", "messages", "attachments", "agent_traces"] {
                let c = cutoff(&plan, tenant, table);
                assert_eq!(c["cutoff"], at, "{tenant}/{table}: {c}");
                assert_eq!(c["window"], window, "{tenant}/{table}: {c}");
            }
        }
        assert_eq!(cutoff(&plan, "acme", "recordings")["cutoff"], "2026-08-27T10:00:00Z");
        assert_eq!(cutoff(&plan, "initech", "recordings")["cutoff"], "2026-08-27T10:00:00Z");
        assert_eq!(cutoff(&plan, "hooli", "recordings")["cutoff"], "2026-10-26T10:00:00Z");
        // Transcripts: only hooli's subscription has ended (2026-06-15 + 30d is past).
        assert_eq!(cutoff(&plan, "hooli", "transcripts")["cutoff"], NOW);
        for tenant in ["acme", "globex", "initech"] {
            assert_eq!(
                cutoff(&plan, tenant, "transcripts")["cutoff"],
                Value::Null,
                "{tenant}: the subscription runs: {plan}"
            );
        }
        assert_eq!(everything(&db).await, before, "the dry run changed rows");
        assert_eq!(confirmations(&db).await, 1);

        let result = confirm(&privctl, &plan, &[]);
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["resumed"], false, "{result}");
        assert_eq!(result["stopped"], Value::Null, "{result}");
        assert_eq!(
            deleted_counts(&result),
            planned_counts(&plan),
            "deleted equals planned, per table: {result}"
        );
        assert_eq!(result["total_rows"], 47, "{result}");
        assert_eq!(result["remaining"], json!({}), "{result}");
        assert_eq!(
            result["skipped"],
            json!([{"tenant": "umbrella", "reason": "legal hold"}]),
            "{result}"
        );

        let after = everything(&db).await;
        assert_purged_exactly(&before, &after, &expected, "the purge");
        for table in [
            "organizations", "members", "addresses", "contacts", "orders", "invoices",
            "consent_records", "schema_migrations",
        ] {
            assert_eq!(after[table], before[table], "{table} has no retention rule");
        }
        assert_no_orphans(&db).await;
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE action = 'purge-retention'")
                .await,
            ["done"]
        );

        // A second plan at the same instant finds nothing left.
        let again = dry_run(&privctl, &[]);
        assert_eq!(again["total_rows"], 0, "{again}");
        db.cleanup().await;
    }

    /// Rows a day inside each tier's window stay and rows a day outside go, with their
    /// message, trace, recording and transcript: globex (free, 30d) at now-29d / now-31d,
    /// acme (growth, 90d) at now-89d / now-91d, initech (scale, 365d) at now-364d / now-366d.
    /// Enterprise is unlimited: even with umbrella's hold lifted, its 5-year-old conversation
    /// stays (no cutoff, window "unlimited"), while its recording (a flat 90d for everyone)
    /// goes with its transcript.
    async fn rows_just_outside_a_window_go_and_rows_just_inside_stay(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        insert_conversation(&db, "globex", 150, 101, &before_now(29 * DAY), true).await;
        insert_conversation(&db, "globex", 151, 101, &before_now(31 * DAY), true).await;
        insert_conversation(&db, "acme", 50, 1, &before_now(89 * DAY), false).await;
        insert_conversation(&db, "acme", 51, 1, &before_now(91 * DAY), false).await;
        insert_conversation(&db, "initech", 250, 201, &before_now(364 * DAY), false).await;
        insert_conversation(&db, "initech", 251, 201, &before_now(366 * DAY), false).await;
        insert_conversation(&db, "umbrella", 350, 301, &before_now(5 * 365 * DAY), false).await;
        let before = everything(&db).await;
        let expected = with(
            fixture_purged(),
            &[
                ("conversations", &[51, 151, 251]),
                ("messages", &[51, 151, 251]),
                ("agent_traces", &[51, 151, 251]),
                // Inside its own 90d window, but its conversation goes.
                ("recordings", &[151]),
                ("transcripts", &[151]),
            ],
        );

        let plan = dry_run(&privctl, &[]);
        assert_eq!(planned_counts(&plan), counts(&expected), "{plan}");
        assert_eq!(plan["total_rows"], total(&expected), "{plan}");
        let result = confirm(&privctl, &plan, &[]);
        assert_eq!(deleted_counts(&result), counts(&expected), "{result}");
        let after = everything(&db).await;
        assert_purged_exactly(&before, &after, &expected, "the purge");
        assert_no_orphans(&db).await;

        // Lift umbrella's hold: enterprise keeps conversations and traces without limit.
        db.execute("UPDATE organizations SET legal_hold = FALSE WHERE id = 'umbrella'")
            .await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        assert_eq!(plan["skipped"], json!([]), "{plan}");
        for table in ["conversations", "messages", "attachments", "agent_traces"] {
            let c = cutoff(&plan, "umbrella", table);
            assert_eq!(c["window"], "unlimited", "{c}");
            assert_eq!(c["cutoff"], Value::Null, "{c}");
            assert_eq!(c["plan"], "enterprise", "{c}");
        }
        assert_eq!(cutoff(&plan, "umbrella", "recordings")["window"], "90d", "{plan}");
        let expected = ids(&[("recordings", &[301]), ("transcripts", &[301])]);
        assert_eq!(planned_counts(&plan), counts(&expected), "{plan}");
        confirm(&privctl, &plan, &[]);
        assert_purged_exactly(&before, &everything(&db).await, &expected, "umbrella off hold");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM conversations WHERE id IN (301, 302, 350)")
                .await,
            3,
            "umbrella's old conversations stay"
        );
        db.cleanup().await;
    }

    /// `organizations.recording_retention_days` replaces the 90d recording window for that
    /// tenant only: acme's recording of 2026-10-12 stays under the default, and goes (with its
    /// transcript, not with its conversation) once acme keeps recordings 1 day.
    async fn a_tenants_recording_override_replaces_the_recording_window(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        insert_recording(&db, "acme", 50, 1, "2026-10-12T09:30:00Z").await;
        let before = everything(&db).await;

        let plan = dry_run(&privctl, &[]);
        let acme = cutoff(&plan, "acme", "recordings");
        assert_eq!(acme["window"], "90d", "{acme}");
        assert_eq!(acme["cutoff"], "2026-08-27T10:00:00Z", "{acme}");
        assert_eq!(acme.get("note"), None, "no override for acme: {acme}");
        let hooli = cutoff(&plan, "hooli", "recordings");
        assert_eq!(hooli["window"], "30d", "{hooli}");
        assert_eq!(hooli["note"], "tenant override", "{hooli}");
        confirm(&privctl, &plan, &[]);
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "default window");

        db.execute("UPDATE organizations SET recording_retention_days = 1 WHERE id = 'acme'")
            .await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        let acme = cutoff(&plan, "acme", "recordings");
        assert_eq!(acme["window"], "1d", "{acme}");
        assert_eq!(acme["cutoff"], before_now(DAY), "{acme}");
        assert_eq!(acme["note"], "tenant override", "{acme}");
        assert_eq!(
            cutoff(&plan, "globex", "recordings")["cutoff"],
            "2026-08-27T10:00:00Z",
            "other tenants keep the default: {plan}"
        );
        let expected = ids(&[("recordings", &[50]), ("transcripts", &[50])]);
        assert_eq!(planned_counts(&plan), counts(&expected), "{plan}");
        let result = confirm(&privctl, &plan, &[]);
        assert_eq!(deleted_counts(&result), counts(&expected), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &expected, "1-day override");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM conversations WHERE id = 1").await,
            1,
            "the conversation stays"
        );
        db.cleanup().await;
    }

    /// Transcripts are kept until `ended_at` + 30d: with hooli's subscription ended 10 days
    /// ago they have no cutoff (the note says when they expire) and a recent hooli transcript
    /// stays, though the transcripts of hooli's purged recordings still go with them; once the
    /// end is far enough back, that transcript goes by its own rule and its recording stays.
    async fn transcripts_wait_for_ended_at_plus_their_window_unless_their_recording_goes(
        dialect: Dialect
    ) {
        let (db, privctl) = fixture(dialect).await;
        insert_conversation(&db, "hooli", 450, 401, &before_now(5 * DAY), true).await;
        db.execute(&format!(
            "UPDATE organizations SET subscription_ended_at = '{}' WHERE id = 'hooli'",
            before_now(10 * DAY)
        ))
        .await;
        let before = everything(&db).await;

        let plan = dry_run(&privctl, &[]);
        let c = cutoff(&plan, "hooli", "transcripts");
        assert_eq!(c["cutoff"], Value::Null, "{c}");
        let note = c["note"].as_str().unwrap_or_default();
        assert!(
            note.contains("expires at") && note.contains("2026-12-15T10:00:00Z"),
            "the note says when hooli's transcripts expire: {c}"
        );
        // The fixture's purge: hooli transcripts 401 and 402 go with recordings 401 and 402.
        let expected = fixture_purged();
        assert_eq!(planned_counts(&plan), counts(&expected), "{plan}");
        confirm(&privctl, &plan, &[]);
        assert_purged_exactly(&before, &everything(&db).await, &expected, "ended 10 days ago");
        assert_eq!(
            db.query_strings("SELECT CAST(id AS TEXT) FROM transcripts WHERE org_id = 'hooli'")
                .await,
            ["450"]
        );

        // Ended long ago: every hooli transcript is past its window; its recording is not.
        db.execute(
            "UPDATE organizations SET subscription_ended_at = '2026-06-15T00:00:00Z' \
             WHERE id = 'hooli'",
        )
        .await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        assert_eq!(cutoff(&plan, "hooli", "transcripts")["cutoff"], NOW, "{plan}");
        let expected = ids(&[("transcripts", &[450])]);
        assert_eq!(planned_counts(&plan), counts(&expected), "{plan}");
        confirm(&privctl, &plan, &[]);
        assert_purged_exactly(&before, &everything(&db).await, &expected, "ended in June");
        db.cleanup().await;
    }

    /// A tenant whose plan tier has no window in a per-plan rule makes the dry run fail
    /// (exit 1) naming the tenant and the plan; no token is issued and nothing changes. A
    /// tenant whose plan has a window can still be purged on its own.
    async fn a_plan_tier_without_a_window_is_an_error_not_a_skip(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let map = write_map_copy(
            &db,
            "no-scale.toml",
            "conversation = { free = \"30d\", starter = \"30d\", growth = \"90d\", scale = \"365d\", ",
            "conversation = { free = \"30d\", starter = \"30d\", growth = \"90d\", ",
        );
        let privctl = privctl.map(&map);
        let before = everything(&db).await;

        let run = purge(&privctl, &[]);
        run.code(1);
        assert!(run.stderr.contains("initech"), "names the tenant: {run}");
        assert!(run.stderr.contains("scale"), "names the plan: {run}");
        assert!(run.stderr.contains("conversation"), "names the rule: {run}");
        assert!(!run.stdout.contains("pct_"), "a token was printed: {run}");
        assert_eq!(confirmations(&db).await, 0, "a token was stored");
        assert_eq!(everything(&db).await, before);

        let acme = dry_run(&privctl, &["--tenant", "acme"]);
        assert_eq!(acme["total_rows"], 18, "{acme}");
        assert_eq!(confirmations(&db).await, 1);
        db.cleanup().await;
    }

    /// A plan deleting more than purge.max_fraction (0.5) of a table (growth = "9d" for
    /// "90d") is refused with exit 1 naming the table and the limit, issues no token and is
    /// recorded as refused; with --allow-large it is planned, and the token deletes exactly
    /// that plan without the flag being given again.
    async fn the_blast_radius_guard_refuses_large_plans_unless_allowed(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let map = db.map_copy(
            fixture::NAME,
            "growth-9d.toml",
            &[
                (
                    "conversation = { free = \"30d\", starter = \"30d\", growth = \"90d\"",
                    "conversation = { free = \"30d\", starter = \"30d\", growth = \"9d\"",
                ),
                (
                    "trace = { free = \"30d\", starter = \"30d\", growth = \"90d\"",
                    "trace = { free = \"30d\", starter = \"30d\", growth = \"9d\"",
                ),
            ],
        );
        let typo = privctl.clone().map(&map);
        let before = everything(&db).await;

        let run = purge(&typo, &[]);
        run.code(1);
        assert!(run.stderr.contains("conversations"), "names the table: {run}");
        assert!(run.stderr.contains("max_fraction"), "names the limit: {run}");
        assert!(!run.stdout.contains("pct_"), "a token was printed: {run}");
        assert_eq!(confirmations(&db).await, 0, "a token was stored");
        assert_eq!(everything(&db).await, before);
        assert_eq!(purge_outcomes(&db).await, ["refused"]);

        // --allow-large: acme's whole conversation history (all before 2026-11-16) goes.
        let large = dry_run(&typo, &["--allow-large"]);
        let expected = with(
            fixture_purged(),
            &[
                ("conversations", &[1, 2, 4, 8]),
                ("messages", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 23, 24]),
                ("attachments", &[1, 2]),
                ("agent_traces", &[1, 2, 3, 5, 7]),
            ],
        );
        assert_eq!(large["total_rows"], 72, "{large}");
        assert_eq!(planned_counts(&large), counts(&expected), "{large}");
        // The confirmation is the printed command: no guard flag needed again.
        let result = confirm(&typo, &large, &[]);
        assert_eq!(deleted_counts(&result), counts(&expected), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &expected, "allowed");
        db.cleanup().await;
    }

    /// `--max-rows N` refuses a plan of more than N rows (exit 1, no token) and accepts one of
    /// N rows or fewer.
    async fn max_rows_refuses_a_plan_of_more_rows(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        for limit in ["10", "46"] {
            let run = purge(&privctl, &["--max-rows", limit]);
            run.code(1);
            assert!(run.stderr.contains("47"), "says how many: {run}");
            assert!(run.stderr.contains("--max-rows"), "names the limit: {run}");
            assert!(!run.stdout.contains("pct_"), "a token was printed: {run}");
        }
        assert_eq!(confirmations(&db).await, 0);
        for limit in ["47", "1000"] {
            let plan = dry_run(&privctl, &["--max-rows", limit]);
            assert_eq!(plan["total_rows"], 47, "{plan}");
        }
        assert_eq!(confirmations(&db).await, 2);
        db.cleanup().await;
    }

    /// The confirmed run purges by the dry run's cutoffs: a row that ages past acme's 90d
    /// cutoff in the 10 minutes between the steps stays, and the next plan takes it.
    async fn rows_that_age_past_a_cutoff_after_the_dry_run_wait_for_the_next_plan(
        dialect: Dialect
    ) {
        let (db, privctl) = fixture(dialect).await;
        let later = shift(NOW, 600);
        // At NOW it is 5 minutes inside acme's window; at NOW + 10 min, 5 minutes outside.
        insert_conversation(&db, "acme", 60, 1, &shift(&before_now(90 * DAY), 300), false).await;
        let before = everything(&db).await;

        let first = dry_run(&privctl, &[]);
        assert_eq!(first["total_rows"], 47, "{first}");
        let result = confirm(&privctl.clone().env("PRIVCTL_NOW", &later), &first, &[]);
        assert_eq!(result["total_rows"], 47, "{result}");
        assert_eq!(result["remaining"], json!({}), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "first run");

        let later_privctl = privctl.clone().env("PRIVCTL_NOW", &later);
        let before = everything(&db).await;
        let second = dry_run(&later_privctl, &[]);
        assert_eq!(
            cutoff(&second, "acme", "conversations")["cutoff"],
            "2026-08-27T10:10:00Z",
            "{second}"
        );
        let expected = ids(&[
            ("conversations", &[60]),
            ("messages", &[60]),
            ("agent_traces", &[60]),
        ]);
        assert_eq!(planned_counts(&second), counts(&expected), "{second}");
        confirm(&later_privctl, &second, &[]);
        assert_purged_exactly(&before, &everything(&db).await, &expected, "the next plan");
        db.cleanup().await;
    }

    /// `--as-of TIME` plans the purge as if now were TIME (issue 17): two days on, a globex
    /// conversation 29 days old today (inside its 30d window) has aged out, so the as-of plan
    /// counts its rows while the plan at now does not. The as-of dry run issues no token
    /// (`token` and `expires_at` null, no confirmation stored; its JSON fed to `--confirm -`
    /// is refused, exit 3), says it was as of TIME (JSON `as_of`, the text's first line),
    /// deletes nothing, and its ledger entry is written at the real time with the as-of time
    /// in its details.
    async fn an_as_of_dry_run_plans_a_later_purge_and_issues_no_token(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        insert_conversation(&db, "globex", 150, 101, &before_now(29 * DAY), false).await;
        let as_of = shift(NOW, 2 * DAY);
        let before = everything(&db).await;

        let now_plan = dry_run(&privctl, &[]);
        assert_eq!(now_plan["total_rows"], 47, "{now_plan}");
        assert!(now_plan.get("as_of").is_none(), "{now_plan}");
        assert_eq!(confirmations(&db).await, 1);

        let plan = dry_run(&privctl, &["--as-of", &as_of]);
        assert_eq!(plan["as_of"], as_of.as_str(), "{plan}");
        assert_eq!(plan["token"], Value::Null, "{plan}");
        assert_eq!(plan["expires_at"], Value::Null, "{plan}");
        assert_eq!(
            cutoff(&plan, "globex", "conversations")["cutoff"],
            shift(&as_of, -30 * DAY).as_str(),
            "{plan}"
        );
        assert_eq!(
            cutoff(&now_plan, "globex", "conversations")["cutoff"],
            before_now(30 * DAY).as_str(),
            "{now_plan}"
        );
        let planned = planned_counts(&plan);
        let now_planned = planned_counts(&now_plan);
        for table in ["conversations", "messages", "agent_traces"] {
            assert!(
                planned[table] > now_planned[table],
                "{table}: the as-of plan counts the aged-out rows: {plan}"
            );
        }
        assert!(
            plan["total_rows"].as_u64().expect("a count") >= 47 + 3,
            "{plan}"
        );
        assert_eq!(confirmations(&db).await, 1, "an as-of dry run stores no token");
        assert_eq!(everything(&db).await, before, "the as-of dry run changed rows");

        // Its ledger entry: the real time, the as-of time apart, no token.
        let rows = db
            .query_strings(
                "SELECT at || '|' || outcome || '|' || details FROM privctl_ledger \
                 WHERE action = 'purge-retention' ORDER BY seq DESC",
            )
            .await;
        let (at, rest) = rows[0].split_once('|').expect("at|outcome|details");
        let (outcome, details) = rest.split_once('|').expect("outcome|details");
        assert!(at.starts_with("2026-11-25T10:00:00"), "written at the real time: {at}");
        assert_eq!(outcome, "planned");
        let details: Value = serde_json::from_str(details).expect("details are JSON");
        assert_eq!(details["as_of"], as_of.as_str(), "{details}");
        assert_eq!(details["token_ref"], Value::Null, "{details}");
        assert_eq!(details["total_rows"], plan["total_rows"], "{details}");

        // Its JSON carries no token a confirmed run could take.
        let refused = privctl
            .clone()
            .args(["--format", "json", "purge-retention", "--confirm", "-"])
            .stdin(serde_json::to_vec(&plan).expect("JSON"))
            .run();
        refused.code(3);
        assert!(refused.stderr.contains("no \"token\""), "{refused}");
        assert_eq!(everything(&db).await, before, "nothing was purged");

        // The text says it: as of when, and that nothing can be confirmed.
        let text = privctl
            .clone()
            .args(["purge-retention", "--as-of", &as_of])
            .run();
        text.success();
        assert!(
            text.stdout.starts_with(&format!("As of {as_of} ")),
            "{text}"
        );
        assert!(text.stdout.contains("No token was issued"), "{text}");
        assert!(!text.stdout.contains("To purge:"), "{text}");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// `--as-of` with `--confirm` is a usage error (exit 2, one line naming both flags) that
    /// reads nothing, deletes nothing, records nothing and leaves the token usable; a value
    /// that is not an RFC 3339 time, and `--as-of` with `--blobs-only`, are usage errors too.
    async fn as_of_with_confirm_exits_2_and_deletes_nothing(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        let entries = db.query_i64("SELECT count(*) FROM privctl_ledger").await;

        let as_of = shift(NOW, 400 * DAY);
        for confirm_arg in [token.as_str(), "-"] {
            let refused = privctl
                .clone()
                .args(["--format", "json", "purge-retention", "--as-of", &as_of])
                .args(["--confirm", confirm_arg])
                .stdin(serde_json::to_vec(&plan).expect("JSON"))
                .run();
            refused.code(2);
            assert_eq!(refused.stdout, "", "{refused}");
            let message = refused.stderr.trim_end();
            assert!(!message.contains('\n'), "one line: {refused}");
            assert!(
                message.contains("--as-of") && message.contains("--confirm"),
                "{refused}"
            );
        }
        for bad in [
            &["--as-of", "next tuesday"][..],
            &["--as-of", "2027-01-01"][..],
            &["--as-of", &as_of, "--blobs-only"][..],
        ] {
            purge(&privctl, bad).code(2);
        }
        assert_eq!(everything(&db).await, before, "nothing was purged");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger").await,
            entries,
            "a refused command line records nothing"
        );
        // The token was not spent: the purge it plans still runs, at the real time.
        let result = confirm(&privctl, &plan, &[]);
        assert_eq!(result["total_rows"], 47, "{result}");
        db.cleanup().await;
    }

    /// `--tenant hooli` plans and purges hooli's expired rows and nothing of the others;
    /// `--tenant umbrella` plans nothing and reports the hold; an unknown tenant is exit 1.
    async fn tenant_flag_purges_that_tenant_only(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;

        let hooli = dry_run(&privctl, &["--tenant", "hooli"]);
        assert_eq!(hooli["tenant"], "hooli", "{hooli}");
        assert!(
            hooli["cutoffs"]
                .as_array()
                .expect("cutoffs")
                .iter()
                .all(|c| c["tenant"] == "hooli"),
            "{hooli}"
        );
        let expected = ids(&[
            ("conversations", &[401, 402, 403, 404]),
            ("messages", &[401, 402, 403, 404, 405, 406, 407]),
            ("attachments", &[401]),
            ("recordings", &[401, 402]),
            ("transcripts", &[401, 402]),
            ("agent_traces", &[401, 402]),
        ]);
        assert_eq!(planned_counts(&hooli), counts(&expected), "{hooli}");
        assert_eq!(hooli["total_rows"], 18, "{hooli}");
        // Confirmed the way a cron job does: the dry run's JSON on standard input.
        let result = privctl
            .clone()
            .args(["--format", "json", "purge-retention", "--tenant", "hooli", "--confirm", "-"])
            .stdin(serde_json::to_vec(&hooli).expect("JSON"))
            .run()
            .success()
            .json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(deleted_counts(&result), counts(&expected), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &expected, "--tenant hooli");

        let umbrella = dry_run(&privctl, &["--tenant", "umbrella"]);
        assert_eq!(umbrella["total_rows"], 0, "{umbrella}");
        assert_eq!(
            umbrella["skipped"],
            json!([{"tenant": "umbrella", "reason": "legal hold"}]),
            "{umbrella}"
        );

        let unknown = purge(&privctl, &["--tenant", "nosuch"]);
        unknown.code(1);
        assert!(!unknown.stdout.contains("pct_"), "{unknown}");
        assert_eq!(confirmations(&db).await, 2, "tokens for hooli and umbrella only");
        db.cleanup().await;
    }

    /// While one confirmed run works (slowly: one row per batch, 300 ms apart), a second
    /// confirmed run exits 75 at once about the lock, without touching its token or starting a
    /// job; the first finishes with exit 0 and the second's token then does the rest.
    async fn a_second_run_while_one_holds_the_lock_exits_75(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let first = dry_run(&privctl, &["--tenant", "hooli"]);
        let second = dry_run(&privctl, &[]);

        let token = token_of(&first);
        let mut running = spawn_purge(
            &privctl,
            &[
                "--tenant", "hooli", "--batch-size", "1", "--batch-pause", "300ms",
                "--confirm", token.as_str(),
            ],
        );
        wait_for_progress(&mut running, &db).await;

        let started = Instant::now();
        let blocked = purge(&privctl, &["--confirm", token_of(&second).as_str()]);
        let took = started.elapsed();
        running.assert_running("the first run ended before the second tried");
        blocked.code(75);
        assert!(blocked.stderr.contains("lock"), "{blocked}");
        // The holder is named by the process id `ps` shows, on either database.
        assert!(
            blocked.stderr.contains(&format!("pid {}", running.id())),
            "{blocked}"
        );
        assert!(took < Duration::from_secs(10), "took {took:?}: {blocked}");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_jobs").await,
            1,
            "the blocked run started a job"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL"
            )
            .await,
            0
        );

        let first = running.finish(Duration::from_secs(120));
        assert_eq!(first.code, 0, "{first}");
        let result: Value = serde_json::from_str(&first.stdout).expect("JSON");
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["total_rows"], 18, "{result}");

        // The lock is free again: the second token does the rest.
        let result = confirm(&privctl, &second, &[]);
        assert_eq!(result["total_rows"], 47 - 18, "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "both runs");
        db.cleanup().await;
    }

    /// A tenant put on legal hold while a long confirmed run is under way (before the run has
    /// reached that tenant) is not purged: "a tenant on hold is never purged".
    async fn a_hold_placed_during_a_run_stops_the_purge_of_that_tenant(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        // hooli's rows, without its organizations row (where the hold goes).
        let hooli_rows = async || {
            let mut rows = snapshot(&db, |table| tenant_condition(table, "=", "hooli")).await;
            rows.remove("organizations");
            rows
        };
        let before = hooli_rows().await;

        // Tenants go in order (acme first, hooli after globex): about 25 batches before hooli.
        let mut running = spawn_purge(
            &privctl,
            &["--batch-size", "1", "--batch-pause", "100ms", "--confirm", token.as_str()],
        );
        wait_for_progress(&mut running, &db).await;
        db.execute("UPDATE organizations SET legal_hold = TRUE WHERE id = 'hooli'")
            .await;
        assert_eq!(hooli_rows().await, before, "the run reached hooli before the hold");
        running.assert_running("the run ended too early");
        let outputs = running.finish(Duration::from_secs(120));
        assert_eq!(hooli_rows().await, before, "hooli was purged while on hold: {outputs}");
        db.cleanup().await;
    }

    /// `kill -9` in the middle of a confirmed run leaves a consistent database; on SQLite the
    /// dead run's lock row does not block the next run. The same command with the same token
    /// resumes ("resumed": true), the end state is the single run's, the deleted counts add up
    /// to the plan, and the ledger verifies.
    async fn a_killed_run_resumes_with_the_same_token_and_ends_like_one_run(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        let args = [
            "--batch-size", "1", "--batch-pause", "200ms", "--confirm", token.as_str(),
        ];
        let mut running = spawn_purge(&privctl, &args);
        wait_for_progress(&mut running, &db).await;
        let pid = running.id();
        running.signal("KILL");
        let killed = running.finish(Duration::from_secs(10));

        // Killed mid-way: some expired rows gone, not all; nothing dangles.
        let after_kill = everything(&db).await;
        let gone: usize = TABLES
            .iter()
            .map(|t| before[*t].len() - after_kill[*t].len())
            .sum();
        assert!(
            gone > 0 && gone < 47,
            "the kill did not land mid-way ({gone} rows gone): {killed}"
        );
        assert_no_orphans(&db).await;
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs").await,
            ["running"]
        );
        if dialect == Dialect::Sqlite {
            assert_eq!(
                db.query_strings("SELECT CAST(pid AS TEXT) FROM privctl_locks").await,
                [pid.to_string()],
                "the dead run's lock row is still there"
            );
        }

        // The same token and batch size; without the pause, which only made the first run
        // slow enough to be killed mid-way.
        let resume = ["--batch-size", "1", "--confirm", token.as_str()];
        let result = purge(&privctl, &resume).success().json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(deleted_counts(&result), planned_counts(&plan), "{result}");
        assert_eq!(result["total_rows"], 47, "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "resumed");
        assert_no_orphans(&db).await;
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs").await,
            ["done"]
        );
        assert_eq!(
            purge_outcomes(&db).await,
            ["planned", "started", "started", "done"]
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        purge(&privctl, &resume).code(3);
        db.cleanup().await;
    }

    /// `--max-duration` stops between batches with exit 0, "complete": false and "stopped":
    /// "max-duration", leaving the token usable; the same token then finishes the plan.
    async fn max_duration_stops_cleanly_and_the_same_token_finishes(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);

        let partial = confirm(
            &privctl,
            &plan,
            &["--batch-size", "1", "--batch-pause", "200ms", "--max-duration", "700ms"],
        );
        assert_eq!(partial["complete"], false, "{partial}");
        assert_eq!(partial["stopped"], "max-duration", "{partial}");
        let done_before = partial["total_rows"].as_u64().expect("total_rows");
        assert!(done_before > 0 && done_before < 47, "{partial}");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL"
            )
            .await,
            0,
            "the token was consumed by a partial run"
        );
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs").await,
            ["stopped"]
        );
        assert_no_orphans(&db).await;

        let result = purge(&privctl, &["--confirm", token.as_str()]).success().json();
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(deleted_counts(&result), planned_counts(&plan), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "finished");
        assert_eq!(
            purge_outcomes(&db).await,
            ["planned", "started", "partial", "started", "done"]
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// With fresh planner statistics, PostgreSQL walks the tables where a good share expires
    /// (agent_traces, attachments, transcripts: nothing references them) in physical page
    /// order for every tenant at once, instead of by key per tenant. That path must delete
    /// exactly the same rows and blobs (umbrella's old rows on hold stay), stop cleanly at
    /// --max-duration and resume to the same end state, with deleted equal to planned.
    async fn analyzed_tables_purge_the_same_rows_and_blobs_and_resume(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let blobs = create_blobs(&db).await;
        db.execute("ANALYZE").await;
        if dialect == Dialect::Postgres {
            assert_eq!(
                db.query_i64(
                    "SELECT CAST(reltuples AS bigint) FROM pg_class WHERE relname = 'agent_traces'"
                )
                .await,
                17,
                "the statistics that pick the physical walk"
            );
        }
        let before = everything(&db).await;

        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        assert_eq!(planned_counts(&plan), counts(&fixture_purged()), "{plan}");
        let partial = confirm(
            &privctl,
            &plan,
            &["--batch-size", "1", "--batch-pause", "200ms", "--max-duration", "500ms"],
        );
        assert_eq!(partial["complete"], false, "{partial}");
        assert_no_orphans(&db).await;

        let result = purge(&privctl, &["--confirm", token.as_str()]).success().json();
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(deleted_counts(&result), planned_counts(&plan), "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "analyzed");
        assert_no_orphans(&db).await;
        let purged = fixture_purged();
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                !purged[blob.table].contains(&blob.id),
                "{} ({} {})",
                blob.path.display(),
                blob.table,
                blob.id
            );
        }
        assert_eq!(
            db.query_strings(
                "SELECT COALESCE(tenant, '-') || ':' || store || ':' || object_key \
                 FROM privctl_blob_outbox WHERE done_at IS NOT NULL ORDER BY store, object_key"
            )
            .await,
            [
                "hooli:attachments:hooli/2026/03/att-401-contract.pdf",
                "acme:recordings:acme/2026/06/rec-1.wav",
                "hooli:recordings:hooli/2026/05/rec-401.wav",
                "hooli:recordings:hooli/2026/06/rec-402.wav",
            ]
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// The objects of exactly the purged recordings and attachments leave the stores (through
    /// the outbox, marked done); every other object stays. `--blobs-only` needs no token,
    /// deletes what waits in the outbox (of one tenant with --tenant), marks it done and
    /// changes no row.
    async fn purged_rows_take_their_blobs_and_blobs_only_drains_the_outbox(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let blobs = create_blobs(&db).await;

        let plan = dry_run(&privctl, &[]);
        let blob_counts: BTreeMap<String, u64> = plan["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .filter(|t| t["blobs"].as_u64().unwrap_or(0) > 0)
            .map(|t| (t["table"].as_str().expect("table").to_owned(), t["blobs"].as_u64().expect("blobs")))
            .collect();
        assert_eq!(
            blob_counts,
            BTreeMap::from([("attachments".to_owned(), 1), ("recordings".to_owned(), 3)]),
            "{plan}"
        );
        let result = confirm(&privctl, &plan, &[]);
        assert_eq!(result["blobs"]["deleted"], 4, "{result}");
        assert_eq!(result["blobs"]["failed"], 0, "{result}");
        let purged = fixture_purged();
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                !purged[blob.table].contains(&blob.id),
                "{} ({} {})",
                blob.path.display(),
                blob.table,
                blob.id
            );
        }
        assert_eq!(
            db.query_strings(
                "SELECT store || ':' || object_key FROM privctl_blob_outbox \
                 WHERE done_at IS NOT NULL ORDER BY store, object_key"
            )
            .await,
            [
                "attachments:hooli/2026/03/att-401-contract.pdf",
                "recordings:acme/2026/06/rec-1.wav",
                "recordings:hooli/2026/05/rec-401.wav",
                "recordings:hooli/2026/06/rec-402.wav",
            ]
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL").await,
            0
        );

        // Objects left in the outbox by an earlier run whose deletion failed.
        let queued = [
            ("recordings", "globex/old/rec-900.wav", "globex"),
            ("attachments", "acme/old/att-900.pdf", "acme"),
            ("recordings", "hooli/old/rec-901.wav", "hooli"),
        ];
        let mut paths = BTreeMap::new();
        for (store, key, tenant) in queued {
            paths.insert(tenant, write_blob(&db, store, key));
            db.execute(&format!(
                "INSERT INTO privctl_blob_outbox (store, object_key, source_table, tenant, enqueued_at) \
                 VALUES ('{store}', '{key}', '{store}', '{tenant}', '2026-11-24T10:00:00.000000Z')"
            ))
            .await;
        }
        let rows = everything(&db).await;
        let tokens = confirmations(&db).await;

        let globex = purge(&privctl, &["--blobs-only", "--tenant", "globex"]).success().json();
        assert_eq!(globex["blobs_only"], true, "{globex}");
        assert_eq!(globex["blobs"]["deleted"], 1, "{globex}");
        assert!(!paths["globex"].exists());
        assert!(paths["acme"].exists() && paths["hooli"].exists());

        let all = purge(&privctl, &["--blobs-only"]).success().json();
        assert_eq!(all["blobs_only"], true, "{all}");
        assert_eq!(all["blobs"]["deleted"], 2, "{all}");
        assert_eq!(all["blobs"]["failed"], 0, "{all}");
        assert!(paths.values().all(|path| !path.exists()));
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL").await,
            0
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NOT NULL")
                .await,
            7
        );
        assert_eq!(everything(&db).await, rows, "--blobs-only changed rows");
        assert_eq!(confirmations(&db).await, tokens, "--blobs-only issued a token");
        // The objects of rows that stay are still there.
        for blob in blobs.iter().filter(|b| !purged[b.table].contains(&b.id)) {
            assert!(blob.path.exists(), "{}", blob.path.display());
        }
        db.cleanup().await;
    }

    /// A dry run and its confirmation add exactly three purge-retention entries (planned,
    /// started, done) whose details carry per-table counts and the cutoffs, never a row, an
    /// email, a phone number or a name; the chain verifies.
    async fn the_ledger_records_planned_started_done_with_counts_and_cutoffs(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let entries_before = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        let mut identifiers: Vec<String> = Vec::new();
        for sql in [
            "SELECT email FROM contacts WHERE email IS NOT NULL",
            "SELECT phone FROM contacts WHERE phone IS NOT NULL",
            "SELECT name FROM contacts WHERE name IS NOT NULL",
            "SELECT email FROM members",
            "SELECT customer_email FROM invoices",
        ] {
            identifiers.extend(db.query_strings(sql).await.iter().map(|v| v.trim().to_lowercase()));
        }
        // Normalised phones too (digits after the country code).
        identifiers.extend(["+49301234567".to_owned(), "301234567".to_owned()]);

        let plan = dry_run(&privctl, &[]);
        let expected = counts(&fixture_purged());
        confirm(&privctl, &plan, &[]);

        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger").await,
            entries_before + 4,
            "one entry per step and one for the batch of objects, none per row"
        );
        assert_eq!(
            db.query_strings("SELECT action || ':' || outcome FROM privctl_ledger WHERE action = 'blob-delete'")
                .await,
            ["blob-delete:done"]
        );
        assert_eq!(purge_outcomes(&db).await, ["planned", "started", "done"]);
        let details: Vec<Value> = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'purge-retention' ORDER BY seq",
            )
            .await
            .iter()
            .map(|text| serde_json::from_str(text).expect("details are JSON"))
            .collect();
        let [planned, started, done] = details.as_slice() else {
            panic!("three entries: {details:?}");
        };
        let table_counts = |v: &Value| -> BTreeMap<String, u64> {
            v["tables"]
                .as_object()
                .unwrap_or_else(|| panic!("no tables object: {v}"))
                .iter()
                .map(|(t, n)| (t.clone(), n.as_u64().expect("a count")))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        assert_eq!(table_counts(planned), expected, "{planned}");
        assert_eq!(planned["total_rows"], 47, "{planned}");
        assert_eq!(table_counts(done), expected, "{done}");
        assert_eq!(done["total_rows"], 47, "{done}");
        assert_eq!(done["remaining"], json!({}), "{done}");
        assert_eq!(
            planned["skipped"],
            json!([{"tenant": "umbrella", "reason": "legal hold"}]),
            "{planned}"
        );
        for entry in [planned, started, done] {
            let cutoffs = entry["cutoffs"]
                .as_array()
                .unwrap_or_else(|| panic!("no cutoffs: {entry}"));
            let find = |tenant: &str, table: &str| {
                cutoffs
                    .iter()
                    .find(|c| c[0] == tenant && c[1] == table)
                    .and_then(|c| c[2].as_str())
                    .unwrap_or_else(|| panic!("no {tenant}/{table} cutoff: {entry}"))
                    .to_owned()
            };
            assert!(find("acme", "conversations").starts_with("2026-08-27T10:00:00"), "{entry}");
            assert!(find("globex", "agent_traces").starts_with("2026-10-26T10:00:00"), "{entry}");
            assert!(find("initech", "messages").starts_with("2025-11-25T10:00:00"), "{entry}");
            assert!(find("hooli", "transcripts").starts_with("2026-11-25T10:00:00"), "{entry}");
            assert!(cutoffs.iter().all(|c| c[0] != "umbrella"), "{entry}");
            assert_eq!(cutoffs, planned["cutoffs"].as_array().expect("cutoffs"), "{entry}");
        }
        let ledger_text = db
            .query_strings(
                "SELECT COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') || '|' || \
                 COALESCE(resource, '') || '|' || details FROM privctl_ledger",
            )
            .await
            .join("\n")
            .to_lowercase();
        for identifier in &identifiers {
            assert!(
                !ledger_text.contains(identifier.as_str()),
                "the ledger names {identifier:?}: {ledger_text}"
            );
        }
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

/// The ledger keeps appending past ten entries (eleven dry runs, each one entry) and the chain
/// verifies. A regression test: the head was once read with `… ORDER BY seq DESC` where `seq`
/// named the text cast in the select list, so on PostgreSQL "9" sorted after "10" and the
/// eleventh append reused seq 10.
async fn the_ledger_takes_more_than_ten_entries(dialect: Dialect) {
    let (db, privctl) = fixture(dialect).await;
    assert_eq!(db.query_i64("SELECT count(*) FROM privctl_ledger").await, 0);
    for _ in 0..11 {
        dry_run(&privctl, &["--tenant", "globex"]);
    }
    assert_eq!(
        db.query_strings("SELECT CAST(seq AS TEXT) FROM privctl_ledger ORDER BY 1 + seq")
            .await,
        (1..=11).map(|n| n.to_string()).collect::<Vec<_>>()
    );
    let verification = verify_ledger(&db, LEDGER_KEY).await;
    assert!(verification.ok(), "{:?}", verification.problems);
    db.cleanup().await;
}

mod the_ledger_takes_more_than_ten_entries {
    use crate::support::Dialect;

    #[tokio::test]
    async fn sqlite() {
        super::the_ledger_takes_more_than_ten_entries(Dialect::Sqlite).await
    }

    #[tokio::test]
    async fn postgres() {
        super::the_ledger_takes_more_than_ten_entries(Dialect::Postgres).await
    }
}

/// `events` (a tenant column, a timestamp), range-partitioned by month with one partition per
/// `YYYY-MM` given (`events_YYYY_MM`, autovacuum off so the catalog has a figure for a
/// partition only after a test's ANALYZE), and a copy of the fixture's map purging it as traces.
async fn partitioned_events(db: &TestDb, months: &[&str]) -> PathBuf {
    db.execute(
        "CREATE TABLE events (id bigint, org_id text NOT NULL REFERENCES organizations (id), kind text, \
         created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)",
    )
    .await;
    for month in months {
        let (year, number) = month.split_once('-').expect("YYYY-MM");
        let (year, number): (u32, u32) = (year.parse().unwrap(), number.parse().unwrap());
        let next = if number == 12 {
            format!("{}-01", year + 1)
        } else {
            format!("{year}-{:02}", number + 1)
        };
        db.execute(&format!(
            "CREATE TABLE events_{} PARTITION OF events FOR VALUES FROM ('{month}-01') \
             TO ('{next}-01') WITH (autovacuum_enabled = false)",
            month.replace('-', "_")
        ))
        .await;
    }
    db.map_copy(
        fixture::NAME,
        "events.toml",
        &[(
            "[tables.schema_migrations]",
            "[tables.events]\ntenant = \"org_id\"\ncategory = \"trace\"\ntimestamp = \"created_at\"\n\n[tables.schema_migrations]",
        )],
    )
}

/// A range-partitioned table (PostgreSQL declarative partitioning, as pg_partman creates) loses
/// the partitions whose every row is past its tenant's cutoff, dropped whole and recorded in the
/// ledger; a partition that also holds a row of a tenant kept longer (initech, 365 days) or on
/// hold (umbrella) stays and only its expired rows go; the current partition stays whole.
#[tokio::test]
async fn a_partitioned_table_loses_its_expired_partitions_and_keeps_the_rest() {
    let (db, privctl) = fixture(Dialect::Postgres).await;
    // No ANALYZE: the catalog has no figure for the partitions, so their rows are counted.
    let map = partitioned_events(&db, &["2026-01", "2026-02", "2026-06", "2026-11"]).await;
    // January: acme and globex only, both past their windows (90 and 30 days): dropped.
    // February: acme, and one umbrella row (legal hold): stays, acme's rows deleted.
    // June: acme, and initech (365 days, not expired): stays, acme's rows deleted.
    // November: recent rows of acme: untouched.
    db.execute(
        "INSERT INTO events VALUES \
         (1, 'acme', 'x', '2026-01-05T10:00:00Z'), (2, 'globex', 'x', '2026-01-20T10:00:00Z'), \
         (3, 'acme', 'x', '2026-01-31T23:00:00Z'), \
         (10, 'acme', 'x', '2026-02-03T10:00:00Z'), (11, 'umbrella', 'x', '2026-02-04T10:00:00Z'), \
         (20, 'acme', 'x', '2026-06-03T10:00:00Z'), (21, 'initech', 'x', '2026-06-04T10:00:00Z'), \
         (30, 'acme', 'x', '2026-11-20T10:00:00Z')",
    )
    .await;
    let privctl = privctl.map(&map);
    // 5 of the table's 8 rows go: more than purge.max_fraction, so the guard wants a yes.
    let plan = dry_run(&privctl, &["--allow-large"]);
    let partitions: Vec<&str> = plan["partitions"]
        .as_array()
        .expect("partitions in the plan")
        .iter()
        .map(|p| p["partition"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(partitions, ["events_2026_01"], "{plan}");
    let result = confirm(&privctl, &plan, &[]);
    assert_eq!(
        result["partitions_dropped"][0]["partition"], "events_2026_01",
        "{result}"
    );
    assert_eq!(result["partitions_dropped"][0]["rows"], 3, "{result}");
    assert_eq!(
        result["partitions_dropped"][0]["rows_estimated"], false,
        "{result}"
    );
    assert_eq!(
        db.query_strings(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'events'::regclass ORDER BY 1"
        )
        .await,
        ["events_2026_02", "events_2026_06", "events_2026_11"]
    );
    assert_eq!(
        db.query_optional_strings("SELECT to_regclass('events_2026_01')::text")
            .await,
        [None],
        "the detached partition is dropped, not left behind"
    );
    assert_eq!(
        db.query_strings("SELECT CAST(id AS text) FROM events ORDER BY id")
            .await,
        ["11", "21", "30"]
    );
    let deleted: BTreeMap<String, u64> = deleted_counts(&result);
    assert_eq!(deleted.get("events"), Some(&5), "{result}");
    let details = db
        .query_strings(
            "SELECT details FROM privctl_ledger WHERE action = 'purge-retention' AND outcome = 'done'",
        )
        .await;
    assert!(
        details.len() == 1 && details[0].contains("events_2026_01"),
        "the ledger names the dropped partition: {details:?}"
    );
    db.cleanup().await;
}

/// A partition the catalog has a figure for is dropped without being read (issue 16): its rows
/// are the planner's estimate (rows per page at the last ANALYZE times its present size), and
/// the output and the ledger say it is an estimate. Here the partition gained a row after its
/// ANALYZE, in the same page: the estimate says 2 where 3 rows go, and says it is one.
#[tokio::test]
async fn a_dropped_partitions_rows_are_the_catalogs_estimate_and_say_so() {
    let (db, privctl) = fixture(Dialect::Postgres).await;
    let map = partitioned_events(&db, &["2026-01", "2026-11"]).await;
    db.execute(
        "INSERT INTO events VALUES (1, 'acme', 'x', '2026-01-05T10:00:00Z'), \
         (2, 'globex', 'x', '2026-01-20T10:00:00Z'), (30, 'acme', 'x', '2026-11-20T10:00:00Z')",
    )
    .await;
    db.execute("ANALYZE events_2026_01").await;
    db.execute("INSERT INTO events VALUES (3, 'acme', 'x', '2026-01-31T23:00:00Z')")
        .await;
    let privctl = privctl.map(&map);
    let plan = dry_run(&privctl, &["--allow-large"]);
    assert_eq!(
        plan["partitions"][0]["rows"], 3,
        "the dry run counts: {plan}"
    );
    assert_eq!(plan["partitions"][0]["rows_estimated"], false, "{plan}");
    let result = confirm(&privctl, &plan, &[]);
    let dropped = &result["partitions_dropped"][0];
    assert_eq!(dropped["partition"], "events_2026_01", "{result}");
    assert_eq!(
        dropped["rows"], 2,
        "the catalog's figure, not a count: {result}"
    );
    assert_eq!(dropped["rows_estimated"], true, "{result}");
    assert_eq!(
        db.query_strings("SELECT CAST(id AS text) FROM events ORDER BY id")
            .await,
        ["30"],
        "every row of the partition went"
    );
    let details = db
        .query_strings(
            "SELECT details FROM privctl_ledger WHERE action = 'purge-retention' AND outcome = 'done'",
        )
        .await;
    assert!(
        details.len() == 1 && details[0].contains("\"rows_estimated\":true"),
        "the ledger says the figure is an estimate: {details:?}"
    );
    db.cleanup().await;
}

/// One expired agent trace held `FOR UPDATE` by the application (issue 14, item 4): the purge
/// neither waits for it nor fails. Every other expired conversation goes; the one whose trace is
/// locked stays, with its trace, counted as `skipped_locked` and as remaining (exit
/// 0). Once the lock is gone, the next run takes it. Before, the descendants' DELETE waited
/// for the lock and the tenant's purge failed after the 5 s lock timeout.
#[tokio::test]
async fn a_locked_descendant_row_is_skipped_and_the_next_run_takes_it() {
    use sqlx::{Connection as _, Executor as _};
    let (db, privctl) = fixture(Dialect::Postgres).await;
    // Six expired globex conversations (30 days; 2026-09-01 is past the cutoff).
    for id in 9001..=9006 {
        insert_conversation(&db, "globex", id, 201, "2026-09-01T00:00:00Z", false).await;
    }
    let plan = dry_run(&privctl, &["--tenant", "globex"]);
    let mut application = sqlx::PgConnection::connect(&db.url).await.unwrap();
    application.execute("BEGIN").await.unwrap();
    application
        .execute("SELECT id FROM agent_traces WHERE id = 9003 FOR UPDATE")
        .await
        .unwrap();
    let run = confirm(&privctl, &plan, &["--tenant", "globex"]);
    let conversations = run["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "conversations")
        .cloned()
        .unwrap();
    assert_eq!(conversations["skipped_locked"], 1, "{run:#}");
    let left = |table: &'static str, column: &'static str| {
        let db = &db;
        async move {
            db.query_strings(&format!(
                "SELECT CAST({column} AS text) FROM {table} WHERE {column} BETWEEN 9001 AND 9006 ORDER BY 1"
            ))
            .await
        }
    };
    assert_eq!(left("conversations", "id").await, ["9003"], "{run:#}");
    // (Its message is past its own window and was no one's lock: it went, as a root.)
    assert_eq!(
        left("messages", "conversation_id").await,
        Vec::<String>::new()
    );
    assert_eq!(left("agent_traces", "conversation_id").await, ["9003"]);
    assert!(
        run["remaining"].to_string().contains("conversations"),
        "{run:#}"
    );

    application.execute("ROLLBACK").await.unwrap();
    application.close().await.unwrap();
    let again = dry_run(&privctl, &["--tenant", "globex"]);
    confirm(&privctl, &again, &["--tenant", "globex"]);
    assert_eq!(left("conversations", "id").await, Vec::<String>::new());
    assert_eq!(
        left("agent_traces", "conversation_id").await,
        Vec::<String>::new()
    );
    db.cleanup().await;
}

/// The purge lock's session is terminated mid-run (issue 14, item 7): the run notices before its
/// next batch commits and stops, exit 75, saying the lock was lost; it no longer carries on
/// unlocked and exits 0. The same command then resumes and ends like one run.
#[tokio::test]
async fn a_run_whose_lock_session_dies_stops_before_its_next_batch() {
    let (db, privctl) = fixture(Dialect::Postgres).await;
    let before = everything(&db).await;
    let plan = dry_run(&privctl, &[]);
    let token = token_of(&plan);
    let mut run = spawn_purge(
        &privctl,
        &[
            "--confirm",
            token.as_str(),
            "--batch-size",
            "1",
            "--batch-pause",
            "150ms",
        ],
    );
    wait_for_progress(&mut run, &db).await;
    // `privctl status` meanwhile: the running job and the lock its session holds.
    let status = privctl
        .clone()
        .args(["--format", "json", "status"])
        .run()
        .success()
        .json();
    let jobs: Vec<(&str, &str)> = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["action"].as_str().unwrap(), j["state"].as_str().unwrap()))
        .collect();
    assert_eq!(jobs, [("purge-retention", "running")], "{status:#}");
    assert_eq!(status["locks"][0]["name"], "purge-retention", "{status:#}");
    assert_eq!(status["locks"][0]["state"], "held", "{status:#}");
    let terminated = db
        .query_i64(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())) t",
        )
        .await;
    assert_eq!(terminated, 1, "the run's lock session");
    let outputs = run.finish(Duration::from_secs(120));
    assert_eq!(outputs.code, 75, "{outputs}");
    assert!(outputs.to_string().contains("lost its lock"), "{outputs}");

    let result = purge(&privctl, &["--confirm", token.as_str()])
        .success()
        .json();
    assert_eq!(result["complete"], true, "{result}");
    assert_purged_exactly(
        &before,
        &everything(&db).await,
        &fixture_purged(),
        "resumed",
    );
    db.cleanup().await;
}

both_dialects! {
    /// Killed in its blob phase (issue 14, item 5): the rows are purged and the token consumed,
    /// objects remain queued. The same command again deletes only those and exits 0
    /// (`already_done`), recorded as `objects-deleted`; with nothing left, the spent token is
    /// refused (exit 3).
    async fn killed_while_deleting_objects_the_same_purge_finishes_them(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let blobs = create_blobs(&db).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-objects:1")
            .args(["--format", "json", "purge-retention", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        const QUEUED: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL";
        // One of the four objects left its store, but the kill came before its batch was
        // recorded: all four stay queued and no `blob-delete` entry claims any of them.
        let purged = fixture_purged();
        let gone = blobs.iter().filter(|b| !b.path.exists()).count();
        assert_eq!(gone, 1, "one object went before the kill");
        assert_eq!(db.query_i64(QUEUED).await, 4, "a batch marked done without its entry");
        const BLOB_ENTRIES: &str = "SELECT count(*) FROM privctl_ledger WHERE action = 'blob-delete'";
        assert_eq!(db.query_i64(BLOB_ENTRIES).await, 0);
        let before = everything(&db).await;

        let again = purge(&privctl, &["--confirm", &token]);
        again.success();
        let again = again.json();
        assert_eq!(again["already_done"], true, "{again}");
        assert_eq!(again["blobs"]["deleted"], 4, "the one already gone counts as deleted: {again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        assert_eq!(db.query_i64(BLOB_ENTRIES).await, 1);
        for blob in &blobs {
            assert_eq!(blob.path.exists(), !purged[blob.table].contains(&blob.id), "{}", blob.path.display());
        }
        assert_eq!(before, everything(&db).await, "the second run changed rows");
        assert_eq!(
            purge_outcomes(&db).await.last().map(String::as_str),
            Some("objects-deleted")
        );
        purge(&privctl, &["--confirm", &token]).code(3);
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed after its second batch committed (issue 14's kill tests, rows phase, at a chosen
    /// point): no orphan; the same command resumes and ends with exactly the planned rows gone.
    async fn killed_after_two_batches_a_purge_resumes_to_the_same_end(dialect: Dialect) {
        let (db, privctl) = fixture(dialect).await;
        let before = everything(&db).await;
        let plan = dry_run(&privctl, &[]);
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-batches:2")
            .args(["--format", "json", "purge-retention", "--batch-size", "2", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        assert_no_orphans(&db).await;
        let result = purge(&privctl, &["--batch-size", "2", "--confirm", &token]).success().json();
        assert_eq!(result["complete"], true, "{result}");
        assert_eq!(result["resumed"], true, "{result}");
        assert_purged_exactly(&before, &everything(&db).await, &fixture_purged(), "resumed");
        db.cleanup().await;
    }
}
