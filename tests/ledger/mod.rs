//! The audit ledger: `audit-verify` and `audit head` (audit_verify.rs), `audit log`
//! (audit_log.rs), its retention behind signed checkpoints (retention.rs), property tests of the
//! chain (properties.rs), and an auditor's independent verifier (third_party.rs). What they share
//! is here: entries written by real commands, and the runners and SQL reads they check them with.

mod audit_log;
mod audit_verify;
mod properties;
mod receipts;
mod retention;
mod signed;
mod third_party;
mod tree;

use serde_json::Value;

use crate::support::fixture::token_of;
use crate::support::{Privctl, RunOutput, TestDb};

/// Jane Doe in acme by email (fixture README, contact 1), spelled as a person might type it.
pub const JANE_BY_EMAIL: [&str; 2] = ["--email", " Jane.Doe@Example.COM "];

/// John Roe in acme (contact 4).
pub const JOHN: [&str; 2] = ["--email", "john.roe@example.com"];

/// 64 hex digits that are no entry's hash.
pub const NOT_A_HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// `privctl --format json dsar <verb> --tenant acme <subject…> <extra…>`.
pub fn dsar(privctl: &Privctl, verb: &str, subject: &[&str], extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "dsar", verb, "--tenant", "acme"])
        .args(subject)
        .args(extra)
        .run()
}

/// Five or more entries from real commands: a preview, an export and a delete of Jane (by
/// email), an export of globex, and a preview of John.
pub fn write_entries(db: &TestDb, privctl: &Privctl) {
    let plan = dsar(privctl, "preview", &JANE_BY_EMAIL, &[])
        .success()
        .json();
    let bundle = db.dir().join("subject.json");
    dsar(
        privctl,
        "export",
        &JANE_BY_EMAIL,
        &["--out", bundle.to_str().expect("a UTF-8 path")],
    )
    .success();
    dsar(
        privctl,
        "delete",
        &JANE_BY_EMAIL,
        &["--confirm", &token_of(&plan)],
    )
    .success();
    let globex = db.dir().join("globex.json");
    privctl
        .clone()
        .args([
            "--format",
            "json",
            "export-tenant",
            "--tenant",
            "globex",
            "--out",
        ])
        .arg(&globex)
        .run()
        .success();
    dsar(privctl, "preview", &JOHN, &[]).success();
}

/// `privctl --format json audit-verify <args…>`.
pub fn verify(privctl: &Privctl, args: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "audit-verify"])
        .args(args)
        .run()
}

/// `privctl --format json audit log <args…>`, which must succeed.
#[track_caller]
pub fn log_json(privctl: &Privctl, args: &[&str]) -> Value {
    privctl
        .clone()
        .args(["--format", "json", "audit", "log"])
        .args(args)
        .run()
        .success()
        .json()
}

/// The cells of every row of the table on stdout (header first), trimmed.
pub fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix('│')?.strip_suffix('│'))
        .map(|row| row.split('┆').map(|cell| cell.trim().to_owned()).collect())
        .collect()
}

/// How many entries the ledger holds.
pub async fn ledger_count(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM privctl_ledger").await
}

/// The newest entry's seq and hash, read in SQL.
pub async fn sql_head(db: &TestDb) -> (i64, String) {
    let row = db
        .query_strings(
            "SELECT CAST(seq AS TEXT) || ':' || hash FROM privctl_ledger \
             ORDER BY seq DESC LIMIT 1",
        )
        .await;
    let (seq, hash) = row
        .first()
        .and_then(|row| row.split_once(':'))
        .expect("the ledger has entries");
    (seq.parse().expect("an integer seq"), hash.to_owned())
}

/// The runner with its clock at `now`.
pub fn at(privctl: &Privctl, now: &str) -> Privctl {
    privctl.clone().env("PRIVCTL_NOW", now)
}

/// The fixture's map with `ledger = <value>` first in `[retention]`.
#[track_caller]
pub fn with_ledger_window(map: &str, value: &str) -> String {
    let header = "\n[retention]\n";
    assert_eq!(map.matches(header).count(), 1, "one [retention] header");
    map.replacen(header, &format!("{header}ledger = {value}\n"), 1)
}
