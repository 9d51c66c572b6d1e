//! `audit-verify` and `audit head` as operators and auditors use them.
//!
//! The ledger is written by real commands (dsar preview, export and delete, export-tenant) on
//! the conversational-ai fixture, then read back: the chain verifies and its head is the one
//! `audit head` prints; an anchor taken earlier keeps verifying while the ledger grows; every
//! kind of tampering done in SQL (a changed field, a removed, cut-off or moved entry, a rewritten
//! history, the wrong key) exits 4 naming the first bad entry and what is wrong with it, and
//! reading the ledger changes nothing in the database.

use serde_json::Value;

use super::{
    JOHN, NOT_A_HASH, dsar, ledger_count, log_json, sql_head, table_rows, verify, write_entries,
};
use crate::support::fixture::{self, setup, setup_with_map_copy, write_map_copy};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "audit-tests-ledger-key-5b8e17";

/// The map's ledger key line; a map copy without it has no `keys.ledger`.
const LEDGER_KEY_LINE: &str = "ledger = \"env:PRIVCTL_LEDGER_KEY\"";

both_dialects! {
    /// After real commands, audit-verify is ok, counts every ledger row, and reports the head
    /// that `audit head` prints in both forms; that head verifies as an anchor, and still does
    /// after the ledger grows. Reading the ledger never appends to it.
    async fn a_ledger_written_by_real_commands_verifies_and_its_head_anchors_it(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let rows = ledger_count(&db).await;
        assert!(rows >= 5, "five commands wrote {rows} ledger entries");
        let (last_seq, last_hash) = sql_head(&db).await;

        let verified = verify(&privctl, &[]);
        let report = verified.success().json();
        assert_eq!(report["ok"], true, "{verified}");
        assert_eq!(report["entries"], rows, "{verified}");
        assert_eq!(report["problems"], serde_json::json!([]), "{verified}");
        assert_eq!(
            report["head"],
            serde_json::json!({"seq": last_seq, "hash": last_hash}),
            "{verified}"
        );
        assert_eq!(
            report["start"],
            serde_json::json!({"seq": 1, "checkpoint": null}),
            "{verified}"
        );

        let head_json = head(&privctl, true);
        assert_eq!(head_json.success().json(), report["head"], "{head_json}");
        let head_text = head(&privctl, false);
        let anchor = head_text.success().stdout.trim().to_owned();
        assert_eq!(anchor, format!("{last_seq}:{last_hash}"), "{head_text}");

        let table = privctl.clone().arg("audit-verify").run();
        table.success();
        assert!(
            table.stdout.contains(&format!(
                "{rows} entries verified, from entry 1; head {anchor}"
            )),
            "the verdict line: {table}"
        );

        let anchored = verify(&privctl, &["--anchor", &anchor]);
        assert_eq!(anchored.success().json()["ok"], true, "{anchored}");
        assert_eq!(ledger_count(&db).await, rows, "audit commands appended to the ledger");
        assert_eq!(sql_head(&db).await, (last_seq, last_hash.clone()), "the head moved");

        // One more command: the old anchor still holds, and the new head is the new entry.
        dsar(&privctl, "preview", &JOHN, &[]).success();
        let grown = ledger_count(&db).await;
        assert!(grown > rows, "the preview wrote no entry");
        let still = verify(&privctl, &["--anchor", &anchor]);
        let report = still.success().json();
        assert_eq!(report["entries"], grown, "{still}");
        assert_ne!(report["head"]["hash"], last_hash.as_str(), "{still}");
        let anchored_table = privctl
            .clone()
            .args(["audit-verify", "--anchor", &anchor])
            .run();
        assert!(
            anchored_table.success().stdout.contains(&anchor),
            "the table output names the anchor it checked: {anchored_table}"
        );

        // Past ten entries, so the chain is read in seq order, not in the order of its text.
        while ledger_count(&db).await < 12 {
            dsar(&privctl, "preview", &JOHN, &[]).success();
        }
        let (seq, hash) = sql_head(&db).await;
        let long = verify(&privctl, &["--anchor", &anchor]);
        let report = long.success().json();
        assert_eq!(report["entries"], 12, "{long}");
        assert_eq!(
            report["head"],
            serde_json::json!({"seq": seq, "hash": hash}),
            "{long}"
        );
        db.cleanup().await;
    }

    /// Each tampering done in SQL exits 4 and names the first bad entry and its kind, in JSON
    /// and in the table; audit-verify changes nothing in the database, and once the ledger is
    /// put back it verifies again.
    async fn tampering_in_sql_is_found_with_the_seq_and_kind(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let rows = ledger_count(&db).await;
        assert!(rows >= 5, "the tampering cases need five entries, got {rows}");
        db.execute("CREATE TABLE ledger_backup AS SELECT * FROM privctl_ledger").await;

        let cases: [(&str, &str, i64, &str); 6] = [
            (
                "details changed",
                "UPDATE privctl_ledger SET details = '{\"rows\":0}' WHERE seq = 3",
                3,
                "altered",
            ),
            (
                "time changed",
                "UPDATE privctl_ledger SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 3",
                3,
                "altered",
            ),
            (
                "actor changed",
                "UPDATE privctl_ledger SET actor = 'someone-else@test' WHERE seq = 3",
                3,
                "altered",
            ),
            (
                "middle entry deleted",
                "DELETE FROM privctl_ledger WHERE seq = 3",
                3,
                "removed",
            ),
            (
                "seq 2 and 3 swapped",
                "UPDATE privctl_ledger SET seq = 1002 WHERE seq = 2; \
                 UPDATE privctl_ledger SET seq = 2 WHERE seq = 3; \
                 UPDATE privctl_ledger SET seq = 3 WHERE seq = 1002",
                2,
                "reordered",
            ),
            (
                "first entry's outcome changed",
                "UPDATE privctl_ledger SET outcome = 'failed' WHERE seq = 1",
                1,
                "altered",
            ),
        ];
        for (name, tamper, seq, kind) in cases {
            db.execute(tamper).await;
            let before = database_state(&db).await;

            let found = verify(&privctl, &[]);
            found.code(4);
            let report = found.json();
            assert_eq!(report["ok"], false, "{name}: {found}");
            assert_eq!(first_problem(&report), (seq, kind.to_owned()), "{name}: {found}");
            if kind != "reordered" {
                assert_eq!(problems(&report).len(), 1, "{name}: reported once: {found}");
            }

            let table = privctl.clone().arg("audit-verify").run();
            table.code(4);
            let cells = table_rows(&table.stdout);
            assert_eq!(
                cells.first().cloned().unwrap_or_default(),
                ["seq", "problem", "detail"],
                "{name}: {table}"
            );
            assert!(
                cells.iter().any(|row| row.first() == Some(&seq.to_string())
                    && row.get(1).map(String::as_str) == Some(kind)),
                "{name}: the table has no row `{seq} | {kind}`: {table}"
            );
            assert!(
                table.stdout.contains("entries NOT verified"),
                "{name}: no verdict line: {table}"
            );
            assert!(
                table.stderr.contains(&format!("entry {seq} is {kind}")),
                "{name}: stderr names the first bad entry: {table}"
            );
            assert_eq!(
                database_state(&db).await,
                before,
                "{name}: audit-verify changed the database"
            );

            restore_ledger(&db).await;
            verify(&privctl, &[]).success();
        }
        db.cleanup().await;
    }

    /// Cutting entries off the end leaves a chain that holds by itself, but the Merkle tree
    /// keeps their leaves: truncated, at the new head + 1. Cut from the tree as well (whole
    /// subtrees over the cut entries), the ledger verifies (exit 0), and only the earlier head,
    /// given as the anchor, shows the cut.
    async fn entries_cut_off_the_end_are_found_only_with_an_anchor(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let (last_seq, last_hash) = sql_head(&db).await;
        let anchor = format!("{last_seq}:{last_hash}");
        db.execute(&format!(
            "DELETE FROM privctl_ledger WHERE seq > {}",
            last_seq - 2
        ))
        .await;
        let new_head = last_seq - 2;

        let by_tree = verify(&privctl, &[]);
        by_tree.code(4);
        let report = by_tree.json();
        assert_eq!(
            first_problem(&report),
            (new_head + 1, "truncated".to_owned()),
            "{by_tree}"
        );
        assert_eq!(problems(&report).len(), 1, "{by_tree}");

        // Leaf i is entry i + 1 here: cut every node reaching past leaf new_head - 1.
        db.execute(&format!(
            "DELETE FROM privctl_ledger_tree WHERE ((idx + 1) << level) > {new_head}"
        ))
        .await;
        let unanchored = verify(&privctl, &[]);
        let report = unanchored.success().json();
        assert_eq!(report["entries"], new_head, "{unanchored}");
        assert_eq!(report["head"]["seq"], new_head, "{unanchored}");
        assert_eq!(report["tree"]["size"], new_head, "{unanchored}");

        let before = database_state(&db).await;
        let anchored = verify(&privctl, &["--anchor", &anchor]);
        anchored.code(4);
        let report = anchored.json();
        assert_eq!(report["ok"], false, "{anchored}");
        assert_eq!(
            first_problem(&report),
            (new_head + 1, "truncated".to_owned()),
            "{anchored}"
        );
        assert_eq!(problems(&report).len(), 1, "{anchored}");

        let table = privctl.clone().args(["audit-verify", "--anchor", &anchor]).run();
        table.code(4);
        assert!(
            table_rows(&table.stdout).iter().any(|row| {
                row.first() == Some(&(new_head + 1).to_string())
                    && row.get(1).map(String::as_str) == Some("truncated")
            }),
            "no `{} | truncated` row: {table}",
            new_head + 1
        );
        assert_eq!(database_state(&db).await, before, "audit-verify changed the database");
        db.cleanup().await;
    }

    /// An anchor whose hash is not the entry's says the ledger was rewritten up to there; an
    /// anchor that is not SEQ:HASH is a usage error naming --anchor.
    async fn a_wrong_anchor_is_rewritten_and_a_malformed_one_is_a_usage_error(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let hash_2 = db
            .query_strings("SELECT hash FROM privctl_ledger WHERE seq = 2")
            .await
            .remove(0);

        for anchor in [format!("3:{hash_2}"), format!("3:{NOT_A_HASH}")] {
            let rewritten = verify(&privctl, &["--anchor", &anchor]);
            rewritten.code(4);
            let report = rewritten.json();
            assert_eq!(report["ok"], false, "--anchor {anchor}: {rewritten}");
            assert_eq!(
                first_problem(&report),
                (3, "rewritten".to_owned()),
                "--anchor {anchor}: {rewritten}"
            );
            assert_eq!(problems(&report).len(), 1, "--anchor {anchor}: {rewritten}");
        }

        let zeros = "0".repeat(64);
        for anchor in [
            "abc".to_owned(),
            "5".to_owned(),
            "5:xyz".to_owned(),
            format!("0:{NOT_A_HASH}"),
            format!("x:{NOT_A_HASH}"),
            format!("5:{}", &NOT_A_HASH[..63]),
            format!("5:{zeros}0"),
            String::new(),
        ] {
            let refused = verify(&privctl, &["--anchor", &anchor]);
            refused.code(2);
            assert!(
                refused.stderr.contains("--anchor"),
                "--anchor {anchor:?}: stderr does not name --anchor: {refused}"
            );
            assert!(refused.stdout.is_empty(), "--anchor {anchor:?}: {refused}");
        }
        db.cleanup().await;
    }

    /// A keyed ledger checked without the key says it needs it (once); with another key every
    /// entry is altered, from entry 1; with the key's variable unset nothing is checked and the
    /// error names the variable.
    async fn verifying_needs_the_ledgers_own_key(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let rows = ledger_count(&db).await;

        let keyless_map = write_map_copy(&db, "keyless.toml", LEDGER_KEY_LINE, "");
        let keyless = verify(&privctl.clone().map(&keyless_map), &[]);
        keyless.code(4);
        let report = keyless.json();
        assert_eq!(report["ok"], false, "{keyless}");
        assert_eq!(report["entries"], rows, "{keyless}");
        assert_eq!(
            problems(&report),
            [(1, "needs-key".to_owned())],
            "one needs-key problem: {keyless}"
        );

        let other_key = verify(&privctl.clone().env("PRIVCTL_LEDGER_KEY", "not-the-key"), &[]);
        other_key.code(4);
        let report = other_key.json();
        assert_eq!(report["ok"], false, "{other_key}");
        assert_eq!(first_problem(&report), (1, "altered".to_owned()), "{other_key}");
        assert!(
            problems(&report).iter().all(|(_, kind)| kind == "altered"),
            "{other_key}"
        );

        let unset = privctl
            .clone()
            .env_remove("PRIVCTL_LEDGER_KEY")
            .args(["--format", "json", "audit-verify"])
            .run();
        unset.code(1);
        assert!(
            unset.stderr.contains("PRIVCTL_LEDGER_KEY"),
            "the error names the missing variable: {unset}"
        );
        assert!(unset.stdout.is_empty(), "nothing verified, nothing printed: {unset}");
        db.cleanup().await;
    }

    /// A fresh ledger: audit-verify is ok with no entries and no head; `audit head` fails
    /// saying the ledger is empty; `audit log` lists nothing.
    async fn an_empty_ledger_verifies_and_has_no_head(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        assert_eq!(ledger_count(&db).await, 0, "init wrote ledger entries");

        let verified = verify(&privctl, &[]);
        let report = verified.success().json();
        assert_eq!(report["ok"], true, "{verified}");
        assert_eq!(report["entries"], 0, "{verified}");
        assert_eq!(report["head"], Value::Null, "{verified}");
        assert_eq!(report["problems"], serde_json::json!([]), "{verified}");
        let table = privctl.clone().arg("audit-verify").run();
        assert!(
            table.success().stdout.contains("0 entries verified"),
            "{table}"
        );

        for json in [true, false] {
            let no_head = head(&privctl, json);
            no_head.code(1);
            assert!(no_head.stdout.is_empty(), "{no_head}");
            assert!(
                no_head.stderr.contains("no entries"),
                "the error says the ledger is empty: {no_head}"
            );
        }

        assert_eq!(log_json(&privctl, &[])["entries"], serde_json::json!([]));
        assert_eq!(ledger_count(&db).await, 0, "reading the ledger wrote to it");
        db.cleanup().await;
    }

    /// On a database where `privctl init` never ran, every audit command exits 1 with a hint to
    /// run it.
    async fn audit_commands_without_init_ask_for_it(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.load_fixture(fixture::NAME).await;
        let privctl = Privctl::new(&db)
            .map(fixture::map_path())
            .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
        let anchor = format!("1:{NOT_A_HASH}");
        let commands: [&[&str]; 5] = [
            &["audit-verify"],
            &["--format", "json", "audit-verify"],
            &["audit-verify", "--anchor", &anchor],
            &["audit", "head"],
            &["audit", "log"],
        ];
        for args in commands {
            let refused = privctl.clone().args(args).run();
            refused.code(1);
            assert!(
                refused.stderr.contains("privctl init"),
                "{args:?}: no hint to run `privctl init`: {refused}"
            );
        }
        let tables = db
            .query_strings(match dialect {
                Dialect::Sqlite => {
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'privctl%'"
                }
                Dialect::Postgres => {
                    "SELECT table_name FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name LIKE 'privctl%'"
                }
            })
            .await;
        assert!(tables.is_empty(), "audit commands created tables: {tables:?}");
        db.cleanup().await;
    }

    /// One chain, one key: a map that lost `keys.ledger` cannot append unkeyed entries (which
    /// anyone could forge) to a keyed ledger, and a key added later cannot continue an unkeyed
    /// one. The command is refused before it does anything.
    async fn a_chain_never_mixes_keyed_and_unkeyed_entries(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        dsar(&privctl, "preview", &JOHN, &[]).success();
        let before = database_state(&db).await;
        let keyless_map = write_map_copy(&db, "keyless.toml", LEDGER_KEY_LINE, "");
        let keyless = privctl.clone().map(&keyless_map);
        let refused = dsar(&keyless, "preview", &JOHN, &[]);
        refused.code(1);
        assert!(
            refused.stderr.contains("keys.ledger"),
            "the refusal names keys.ledger: {refused}"
        );
        assert_eq!(database_state(&db).await, before, "nothing changed");
        verify(&privctl, &[]).success();

        let (db2, unkeyed) = setup(dialect, LEDGER_KEY).await;
        let unkeyed = unkeyed.map(write_map_copy(&db2, "keyless.toml", LEDGER_KEY_LINE, ""));
        dsar(&unkeyed, "preview", &JOHN, &[]).success();
        let keyed = unkeyed.clone().map(fixture::map_path());
        let refused = dsar(&keyed, "preview", &JOHN, &[]);
        refused.code(1);
        assert!(
            refused.stderr.contains("keys.ledger"),
            "the refusal names keys.ledger: {refused}"
        );
        assert_eq!(ledger_count(&db2).await, 1, "nothing appended");
        verify(&unkeyed, &[]).success();
        db2.cleanup().await;
        db.cleanup().await;
    }
}

/// `privctl audit head`, as JSON or text.
fn head(privctl: &Privctl, json: bool) -> RunOutput {
    let format = if json { "json" } else { "table" };
    privctl
        .clone()
        .args(["--format", format, "audit", "head"])
        .run()
}

/// `(seq, kind)` of every problem of an audit-verify report.
#[track_caller]
fn problems(report: &Value) -> Vec<(i64, String)> {
    report["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems array: {report}"))
        .iter()
        .map(|problem| {
            assert!(problem["detail"].is_string(), "no detail: {problem}");
            (
                problem["seq"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("no seq: {problem}")),
                problem["kind"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no kind: {problem}"))
                    .to_owned(),
            )
        })
        .collect()
}

/// The first problem's `(seq, kind)`.
#[track_caller]
fn first_problem(report: &Value) -> (i64, String) {
    problems(report)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no problem reported: {report}"))
}

/// Every ledger row (all columns as text) and the row counts of privctl's other tables and of
/// the fixture's tables: what a read-only command must leave as it was.
async fn database_state(db: &TestDb) -> (Vec<String>, Vec<(String, i64)>) {
    let ledger = db
        .query_strings(
            "SELECT CAST(seq AS TEXT) || '|' || at || '|' || actor || '|' || host || '|' \
             || action || '|' || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') \
             || '|' || COALESCE(resource, '') || '|' || outcome || '|' || details || '|' \
             || alg || '|' || prev_hash || '|' || hash FROM privctl_ledger ORDER BY seq",
        )
        .await;
    let counts = fixture::row_counts(
        db,
        fixture::PRIVCTL_TABLES
            .iter()
            .chain(fixture::TABLES.iter())
            .copied(),
    )
    .await;
    (ledger, counts)
}

/// Puts back the ledger saved in `ledger_backup`.
async fn restore_ledger(db: &TestDb) {
    db.execute(
        "DELETE FROM privctl_ledger; INSERT INTO privctl_ledger SELECT * FROM ledger_backup",
    )
    .await;
}
