//! `privctl map check` (check.rs) and `privctl map discover` (discover.rs): `map discover`
//! drafts a map from the live schema; `map check` keeps it from drifting (SPEC section 2,
//! issue 6). Both dialects unless a test says otherwise. What both files use is here.

mod check;
mod discover;
mod graph;

use std::path::Path;

use serde_json::Value;

use crate::support::{Privctl, RunOutput};

fn check(privctl: &Privctl, map: &Path) -> RunOutput {
    privctl
        .clone()
        .map(map)
        .args(["--format", "json", "map", "check"])
        .run()
}

/// `map check --format json` with this map: exit 5 and its problems, or exit 0 and none.
#[track_caller]
fn problems(privctl: &Privctl, map: &Path) -> Vec<Value> {
    let output = check(privctl, map);
    let report = output.json();
    let problems = report["problems"].as_array().expect("problems").clone();
    let expected = if problems.is_empty() { 0 } else { 5 };
    output.code(expected);
    assert_eq!(report["ok"], problems.is_empty(), "{output}");
    problems
}

#[track_caller]
fn has(findings: &[Value], kind: &str, table: &str, column: Option<&str>) -> bool {
    findings.iter().any(|f| {
        f["kind"] == kind && f["table"] == table && column.is_none_or(|c| f["column"] == c)
    })
}

fn discover(privctl: &Privctl, out: &Path) -> String {
    privctl
        .clone()
        .args(["map", "discover", "--out"])
        .arg(out)
        .run()
        .success();
    std::fs::read_to_string(out).expect("the draft was written")
}
