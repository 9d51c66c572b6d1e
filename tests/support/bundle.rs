//! Reading what privctl wrote: bundle files, their rows and keys, and row ids by plain SQL.

use std::collections::BTreeSet;
use std::path::Path;

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
