//! `audit log` as operators and auditors use it: it filters and orders the entries real
//! commands wrote on the conversational-ai fixture, and never shows a subject's identifier (nor
//! do `audit-verify` and `audit head`, in either format, even when the verification fails).

use serde_json::Value;

use super::{JANE_BY_EMAIL, JOHN, NOT_A_HASH, dsar, log_json, table_rows, write_entries};
use crate::support::fixture::{setup_with_map_copy, token_of};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "audit-tests-ledger-key-5b8e17";

/// Jane Doe in acme by phone (contacts 2 and 3), spelled as a person might type it.
const JANE_BY_PHONE: [&str; 2] = ["--phone", "+49 (30) 1234567"];

/// Lower-case text that names Jane or John (their emails and phones, in any spelling).
/// (Digit runs are long enough that a hex hash does not contain them by chance.)
const IDENTIFYING: [&str; 8] = [
    "jane",
    "john",
    "example.com",
    "301234567",
    "(30) 1234567",
    "307654321",
    "030 7654321",
    "cust-100",
];

both_dialects! {
    /// `audit log` lists entries newest first; --tenant, --action, --since (RFC 3339 or a
    /// duration before PRIVCTL_NOW) and --limit each select exactly what SQL selects; the
    /// default limit is 50; a bad --since is a usage error naming --since.
    async fn filters_and_orders_entries(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_dated_entries(&privctl);
        let log = privctl.clone().env("PRIVCTL_NOW", LOG_NOW);
        let all = sql_seqs(&db, "1 = 1").await;
        assert!(all.len() >= 6, "six commands wrote {} entries", all.len());

        let listed = log_json(&log, &[]);
        assert_eq!(seqs_of(&listed), all, "every entry, newest first");
        let stored_hashes = db
            .query_strings("SELECT hash FROM privctl_ledger ORDER BY seq DESC")
            .await;
        let entries = listed["entries"].as_array().expect("entries");
        for (entry, hash) in entries.iter().zip(&stored_hashes) {
            assert_eq!(entry["hash"], hash.as_str(), "{entry}");
            assert!(entry["details"].is_object(), "details are parsed JSON: {entry}");
            for field in ["at", "actor", "host", "action", "outcome"] {
                assert!(entry[field].is_string(), "no {field}: {entry}");
            }
            for field in ["tenant", "subject_ref", "resource"] {
                assert!(
                    entry[field].is_string() || entry[field].is_null(),
                    "{field}: {entry}"
                );
            }
        }

        let cases: [(&[&str], &str); 9] = [
            (&["--tenant", "acme"], "tenant = 'acme'"),
            (&["--tenant", "globex"], "tenant = 'globex'"),
            (&["--tenant", "initech"], "tenant = 'initech'"),
            (&["--action", "dsar-preview"], "action = 'dsar-preview'"),
            (
                &["--tenant", "acme", "--action", "dsar-preview"],
                "tenant = 'acme' AND action = 'dsar-preview'",
            ),
            (
                &["--since", "2026-11-10T09:00:00Z"],
                "at >= '2026-11-10T09:00:00.000000Z'",
            ),
            (
                &["--since", "2026-11-10T10:00:00+01:00"],
                "at >= '2026-11-10T09:00:00.000000Z'",
            ),
            // Before LOG_NOW (2026-11-25T10:00:00Z).
            (&["--since", "7d"], "at >= '2026-11-18T10:00:00.000000Z'"),
            (&["--since", "12h"], "at >= '2026-11-24T22:00:00.000000Z'"),
        ];
        for (args, condition) in cases {
            let expected = sql_seqs(&db, condition).await;
            assert_eq!(seqs_of(&log_json(&log, args)), expected, "audit log {args:?}");
            if !args.contains(&"initech") {
                assert!(
                    !expected.is_empty() && expected.len() < all.len(),
                    "{args:?} should select some entries, not all: {expected:?} of {all:?}"
                );
            }
        }
        assert_eq!(seqs_of(&log_json(&log, &["--limit", "2"])), all[..2], "--limit 2");
        assert_eq!(
            seqs_of(&log_json(&log, &["--action", "dsar-preview", "--limit", "1"])),
            sql_seqs(&db, "action = 'dsar-preview'").await[..1],
            "--action dsar-preview --limit 1"
        );

        for since in ["yesterday", "7", "2026-13-01T00:00:00Z"] {
            let refused = log.clone().args(["audit", "log", "--since", since]).run();
            refused.code(2);
            assert!(
                refused.stderr.contains("--since"),
                "--since {since}: stderr does not name --since: {refused}"
            );
        }

        // The table: the same entries newest first, details cut to a cell.
        let table = log.clone().args(["audit", "log"]).run();
        table.success();
        let rows = table_rows(&table.stdout);
        assert_eq!(
            rows[0],
            ["seq", "at", "actor", "action", "tenant", "outcome", "details"],
            "{table}"
        );
        let table_seqs: Vec<i64> = rows[1..]
            .iter()
            .map(|row| row[0].parse().expect("a seq"))
            .collect();
        assert_eq!(table_seqs, all, "{table}");
        for row in &rows[1..] {
            assert!(row[6].chars().count() <= 60, "details longer than 60: {row:?}");
        }

        // More than 50 entries: the newest 50 by default (audit log does not verify, so
        // synthetic rows will do).
        let values: Vec<String> = (1000..1060)
            .map(|seq| {
                format!(
                    "({seq}, '2026-11-25T09:30:00.000000Z', 'filler@test', 'h', 'dsar-export', \
                     'hooli', NULL, NULL, 'done', '{{}}', 'sha256', '{NOT_A_HASH}', '{NOT_A_HASH}')"
                )
            })
            .collect();
        db.execute(&format!(
            "INSERT INTO privctl_ledger (seq, at, actor, host, action, tenant, subject_ref, \
             resource, outcome, details, alg, prev_hash, hash) VALUES {}",
            values.join(", ")
        ))
        .await;
        let newest: Vec<i64> = (1010..1060).rev().collect();
        assert_eq!(seqs_of(&log_json(&log, &[])), newest, "the default limit is 50");
        db.cleanup().await;
    }

    /// After DSARs given by email and phone (in mixed spellings), neither `audit log` nor
    /// `audit-verify`, in either format, prints the subject's email or phone, on stdout or
    /// stderr, in any case.
    async fn reading_the_ledger_never_shows_a_subjects_identifier(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        write_entries(&db, &privctl);
        let subject = [JANE_BY_EMAIL, JANE_BY_PHONE].concat();
        let plan = dsar(&privctl, "preview", &subject, &[]).success().json();
        dsar(&privctl, "delete", &subject, &["--confirm", &token_of(&plan)]).success();
        dsar(&privctl, "preview", &["--phone", "030 7654321"], &[]).success();
        // A refused run is recorded too, with its reason.
        let wrong_token = format!("pct_{}", "0".repeat(40));
        dsar(&privctl, "delete", &JANE_BY_EMAIL, &["--confirm", &wrong_token]).code(3);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE outcome = 'rejected'")
                .await,
            1,
            "the refused delete was not recorded"
        );

        let mut outputs = Vec::new();
        for format in ["table", "json"] {
            let reader = privctl.clone().args(["--format", format]);
            outputs.push(reader.clone().args(["audit", "log"]).run());
            outputs.push(reader.clone().args(["audit", "log", "--limit", "1000"]).run());
            outputs.push(reader.clone().args(["audit", "log", "--tenant", "acme"]).run());
            outputs.push(reader.clone().arg("audit-verify").run());
            outputs.push(reader.clone().args(["audit", "head"]).run());
        }
        for output in &outputs {
            output.success();
            assert_names_nobody(output);
        }

        // Also when the verification fails and prints its problems.
        db.execute("UPDATE privctl_ledger SET details = '{}' WHERE seq = 2").await;
        for format in ["table", "json"] {
            let failed = privctl.clone().args(["--format", format, "audit-verify"]).run();
            failed.code(4);
            assert_names_nobody(&failed);
        }
        db.cleanup().await;
    }
}

/// `PRIVCTL_NOW` of `audit log` in [`filters_and_orders_entries`].
const LOG_NOW: &str = "2026-11-25T10:00:00Z";

/// Entries at known times (before [`LOG_NOW`]) in two tenants and four actions.
fn write_dated_entries(privctl: &Privctl) {
    let at = |now: &str| privctl.clone().env("PRIVCTL_NOW", now);
    dsar(&at("2026-11-01T09:00:00Z"), "preview", &JANE_BY_EMAIL, &[]).success();
    at("2026-11-10T09:00:00Z")
        .args(["--format", "json", "export-tenant", "--tenant", "globex"])
        .args(["--out", "globex.json"])
        .run()
        .success();
    dsar(
        &at("2026-11-19T09:00:00Z"),
        "export",
        &JANE_BY_PHONE,
        &["--out", "subject.json"],
    )
    .success();
    at("2026-11-24T23:00:00Z")
        .args(["--format", "json", "dsar", "preview", "--tenant", "globex"])
        .args(JANE_BY_EMAIL)
        .run()
        .success();
    let plan = dsar(&at("2026-11-25T08:55:00Z"), "preview", &JOHN, &[])
        .success()
        .json();
    dsar(
        &at("2026-11-25T09:00:00Z"),
        "delete",
        &JOHN,
        &["--confirm", &token_of(&plan)],
    )
    .success();
}

/// The seqs of `audit log` JSON entries, in the order listed.
#[track_caller]
fn seqs_of(log: &Value) -> Vec<i64> {
    log["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries array: {log}"))
        .iter()
        .map(|entry| {
            entry["seq"]
                .as_i64()
                .unwrap_or_else(|| panic!("no seq: {entry}"))
        })
        .collect()
}

/// The seqs of the entries matching `condition`, newest first.
async fn sql_seqs(db: &TestDb, condition: &str) -> Vec<i64> {
    db.query_strings(&format!(
        "SELECT CAST(seq AS TEXT) FROM privctl_ledger WHERE {condition} ORDER BY seq DESC"
    ))
    .await
    .iter()
    .map(|seq| seq.parse().expect("an integer seq"))
    .collect()
}

/// Fails when stdout or stderr names Jane or John, in any case.
#[track_caller]
fn assert_names_nobody(output: &RunOutput) {
    let text = format!("{}\n{}", output.stdout, output.stderr).to_lowercase();
    for identifier in IDENTIFYING {
        assert!(
            !text.contains(identifier),
            "the output contains {identifier:?}: {output}"
        );
    }
}
