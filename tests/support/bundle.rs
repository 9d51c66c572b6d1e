//! Reading what privctl wrote: bundle files, their rows, keys and counts, and row ids by plain
//! SQL; and the key files encrypted bundles need.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::TestDb;

/// A path as the `&str` a command-line argument needs.
pub fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// A JSON file, parsed.
pub fn read_json(path: &Path) -> Value {
    read_json_text(path).1
}

/// A JSON file's text (to search it for what must not be there) and its value.
pub fn read_json_text(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
    (text, value)
}

/// A row's `id` as text (text and UUID keys are strings, the others numbers).
pub fn key_text(row: &Value) -> String {
    match &row["id"] {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("a row without a usable id ({other}): {row}"),
    }
}

/// The rows of one table of a JSON bundle.
pub fn bundle_rows<'a>(bundle: &'a Value, table: &str) -> &'a [Value] {
    bundle["tables"][table]
        .as_array()
        .unwrap_or_else(|| panic!("the bundle has no {table} array"))
}

/// The integer ids of a table's rows matching `condition`, in order.
pub async fn ids_where(db: &TestDb, table: &str, condition: &str) -> Vec<i64> {
    db.query_strings(&format!(
        "SELECT CAST(id AS TEXT) FROM {table} WHERE {condition} ORDER BY id"
    ))
    .await
    .iter()
    .map(|id| id.parse().expect("an integer id"))
    .collect::<BTreeSet<i64>>()
    .into_iter()
    .collect()
}

/// Rows per table of a JSON bundle.
pub fn bundle_counts(bundle: &Value) -> BTreeMap<String, i64> {
    bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"))
        .iter()
        .map(|(table, rows)| {
            let rows = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array"));
            (table.clone(), rows.len() as i64)
        })
        .collect()
}

/// A `row_counts` object as a map.
pub fn count_map(counts: &Value) -> BTreeMap<String, i64> {
    counts
        .as_object()
        .unwrap_or_else(|| panic!("row_counts is not an object: {counts}"))
        .iter()
        .map(|(table, n)| {
            let n = n
                .as_i64()
                .unwrap_or_else(|| panic!("row count of {table} is not an integer: {n}"));
            (table.clone(), n)
        })
        .collect()
}

/// 32 random bytes: a key for `--encrypt --key-file`.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("no randomness");
    key
}

/// Writes a key file (mode 0600) and returns its path.
pub fn write_key_file(dir: &Path, name: &str, key: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, key).expect("cannot write the key file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}
