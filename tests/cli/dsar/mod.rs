//! `privctl dsar preview | export | delete | scan`, one file per verb. Preview, export and
//! delete run on the conversational-ai fixture, for Jane Doe in acme unless a test says
//! otherwise (the expected ids come from fixtures/conversational-ai/README.md); scan runs on
//! fixtures/residue. What the verbs' files share is here: Jane, her rows, and the runners.

mod delete;
mod export;
mod html;
mod preview;
mod scan;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Privctl, RunOutput, TestDb};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
pub(crate) const LEDGER_KEY: &str = "dsar-tests-ledger-key-0f3a9c";

/// Jane Doe in acme, by all three identifiers the README lists.
pub(crate) const JANE: [&str; 6] = [
    "--email",
    "jane.doe@example.com",
    "--phone",
    "+49301234567",
    "--identity",
    "external_id=cust-1001",
];

/// Text that names Jane: it must never reach the ledger or stderr.
const JANE_IDENTIFIERS: [&str; 3] = ["jane", "1234567", "example.com"];

type Ids = BTreeMap<String, Vec<i64>>;

/// `privctl --format json dsar <verb> --tenant <tenant> <subject…> <extra…>`.
pub(crate) fn dsar(
    privctl: &Privctl,
    verb: &str,
    tenant: &str,
    subject: &[&str],
    extra: &[&str],
) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "dsar", verb, "--tenant", tenant])
        .args(subject)
        .args(extra)
        .run()
}

/// Builds an id map from `(table, ids)` pairs.
fn ids(pairs: &[(&str, &[i64])]) -> Ids {
    pairs
        .iter()
        .map(|(table, ids)| ((*table).to_owned(), ids.to_vec()))
        .collect()
}

fn range(from: i64, to: i64) -> Vec<i64> {
    (from..=to).collect()
}

/// Jane's rows in acme with all three identifiers (README, "Jane's rows in acme").
fn jane_all() -> Ids {
    let mut expected = ids(&[
        ("contacts", &[1, 2, 3]),
        ("conversations", &[1, 2, 3]),
        ("attachments", &[1]),
        ("recordings", &[1]),
        ("transcripts", &[1]),
        ("agent_traces", &[1, 2, 3, 4]),
        ("orders", &[1, 2]),
        ("addresses", &[1, 2]),
        ("invoices", &[1, 2]),
        ("consent_records", &[1, 2, 3]),
    ]);
    expected.insert("messages".into(), range(1, 12));
    expected
}

/// The ids per table of a bundle, tables without rows left out, ids sorted.
fn bundle_ids(bundle: &Value) -> Ids {
    let tables = bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"));
    tables
        .iter()
        .filter_map(|(table, rows)| {
            let rows = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array: {rows}"));
            let mut ids: Vec<i64> = rows
                .iter()
                .map(|row| {
                    row["id"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("a {table} row has no integer id: {row}"))
                })
                .collect();
            ids.sort_unstable();
            (!ids.is_empty()).then(|| (table.clone(), ids))
        })
        .collect()
}

/// Exports the subject to a new file in the test's directory; returns stdout's JSON and the
/// bundle.
fn export(db: &TestDb, privctl: &Privctl, name: &str, subject: &[&str]) -> (Value, Value) {
    let out = db.dir().join(name);
    let output = dsar(
        privctl,
        "export",
        "acme",
        subject,
        &["--out", out.to_str().expect("a UTF-8 path")],
    );
    let summary = output.success().json();
    let bytes = std::fs::read(&out)
        .unwrap_or_else(|error| panic!("cannot read the bundle {}: {error}", out.display()));
    let bundle: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("the bundle {} is not JSON: {error}", out.display()));
    (summary, bundle)
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many of these rows of `table` exist.
async fn count_ids(db: &TestDb, table: &str, ids: &[i64]) -> i64 {
    db.query_i64(&format!(
        "SELECT count(*) FROM {table} WHERE id IN ({})",
        id_list(ids)
    ))
    .await
}

/// Every row of the ledger, all columns as text.
pub(crate) async fn ledger_rows(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || at || '|' || actor || '|' || host || '|' || action \
         || '|' || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') || '|' \
         || COALESCE(resource, '') || '|' || outcome || '|' || details || '|' || alg || '|' \
         || prev_hash || '|' || hash FROM privctl_ledger ORDER BY seq",
    )
    .await
}

/// Fails when any of the outputs' stderr names Jane.
fn assert_stderr_names_nobody(outputs: &[&RunOutput]) {
    for output in outputs {
        let stderr = output.stderr.to_lowercase();
        for identifier in JANE_IDENTIFIERS {
            assert!(
                !stderr.contains(identifier),
                "stderr contains {identifier:?}: {output}"
            );
        }
    }
}
