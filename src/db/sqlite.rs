//! SQLite's SQL: [`SqlDialect`] for [`Dialect::Sqlite`].

use sqlparser::dialect::SQLiteDialect;

use super::checked::{JsonKey, SqlType};
use super::dialect::{PageDelete, PickedDelete, SqlDialect, stores_epoch};
use super::{ColumnInfo, Dialect, Param, Sql, TableInfo, quote};
use crate::clock::Timestamp;

pub(super) struct Sqlite;

/// SQLite's BLOB affinity: a column declared `BLOB` or with no type at all.
fn is_blob_affinity(sql_type: &str) -> bool {
    let t = sql_type.trim().to_ascii_lowercase();
    t.is_empty() || t.contains("blob")
}

impl SqlDialect for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn placeholder_marker(&self) -> char {
        '?'
    }

    fn grammar(&self) -> &'static dyn sqlparser::dialect::Dialect {
        &SQLiteDialect {}
    }

    fn strict_column_types(&self) -> bool {
        false
    }

    fn page_walks(&self) -> bool {
        false
    }

    fn range_partitions(&self) -> bool {
        false
    }

    /// SQLite applies the column's affinity to the compared value.
    fn push_typed_value(&self, sql: &mut Sql, value: &str, _sql_type: &SqlType) {
        sql.bind(Param::Text(value.to_owned()));
    }

    /// Epoch seconds, or ISO 8601 text (SQLite's usual choice) read by `strftime`.
    fn push_epoch(&self, sql: &mut Sql, alias: &str, column: &str, sql_type: &SqlType) {
        let col = format!("{alias}.{}", quote(column));
        let expr = if stores_epoch(&sql_type.as_str().to_ascii_lowercase()) {
            format!("CAST({col} AS INTEGER)")
        } else {
            format!("CAST(strftime('%s', {col}) AS INTEGER)")
        };
        sql.push(&expr);
    }

    fn push_before(
        &self,
        sql: &mut Sql,
        alias: &str,
        column: &str,
        sql_type: &SqlType,
        at: Timestamp,
    ) {
        if stores_epoch(&sql_type.as_str().to_ascii_lowercase()) {
            sql.column(alias, column)
                .push(" < ")
                .bind(Param::Int(at.unix()));
        } else {
            // julianday reads every ISO 8601 form SQLite knows ('T' or space, 'Z',
            // fractions), so text that sorts differently still compares as time.
            sql.push("julianday(")
                .column(alias, column)
                .push(") < julianday(")
                .bind(Param::Text(at.to_canonical()))
                .push(")");
        }
    }

    fn position_function(&self) -> &'static str {
        "instr("
    }

    /// SQLite has no regular expressions built in.
    fn only_hex_digits(&self) -> &'static str {
        " NOT GLOB '*[^0-9a-f]*'"
    }

    /// SQLite keeps text in a BLOB or untyped column as readily as in a TEXT one.
    fn scan_text(&self, alias: &str, column: &ColumnInfo) -> Option<String> {
        let quoted = format!("{alias}.{}", quote(&column.name));
        if column.is_text() || column.is_json() || is_blob_affinity(&column.sql_type) {
            Some(format!("CAST({quoted} AS text)"))
        } else {
            None
        }
    }

    /// `lower()` folds ASCII letters only, as privctl folds an email.
    fn fold_ascii_case(&self, expr: &str) -> String {
        format!("lower({expr})")
    }

    fn sample_text(&self, alias: &str, column: &ColumnInfo) -> String {
        format!("{alias}.{}", quote(&column.name))
    }

    /// The first rows in storage (rowid) order.
    fn push_sample(&self, _sql: &mut Sql, _rows: u64, _estimate: Option<f64>) {}

    fn push_json_array_element(
        &self,
        sql: &mut Sql,
        json_text: &str,
        i: usize,
        _sql_type: &SqlType,
    ) {
        sql.push("json_extract(")
            .bind(Param::Text(json_text.to_owned()))
            .push(&format!(", '$[{i}]')"));
    }

    fn push_json_keys(&self, sql: &mut Sql, types: &[SqlType], keys_json: &str) {
        for i in 0..types.len() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(&format!("json_extract(j.value, '$[{i}]')"));
        }
        sql.push(" FROM json_each(")
            .bind(Param::Text(keys_json.to_owned()))
            .push(") AS j)");
    }

    fn push_json_text_elements(&self, sql: &mut Sql, list_json: &str, _cast: Option<&SqlType>) {
        sql.push("(SELECT value FROM json_each(")
            .bind(Param::Text(list_json.to_owned()))
            .push("))");
    }

    fn push_row_key_json(&self, sql: &mut Sql, alias: &str, key: &[String]) {
        sql.push("json_array(").columns(alias, key).push(")");
    }

    fn json_path_text(&self, column_sql: &str, _json_typed: bool, path: &[JsonKey]) -> String {
        // Each key is a plain name (JsonKey), so it is safe inside the path's string literal.
        let path: Vec<&str> = path.iter().map(JsonKey::as_str).collect();
        format!(
            "CASE WHEN json_valid({column_sql}) THEN json_extract({column_sql}, '$.{}') END",
            path.join(".")
        )
    }

    fn json_strings_prefilter(&self, _json_typed: bool) -> bool {
        false
    }

    fn json_strings_open(&self, column_sql: &str, _json_typed: bool) -> String {
        format!(
            "json_valid({column_sql}) AND EXISTS (SELECT 1 FROM json_tree({column_sql}) AS v WHERE v.type = 'text' AND "
        )
    }

    fn json_string_value(&self) -> &'static str {
        "v.value"
    }

    /// A GLOB with character classes.
    fn push_bounded_match(
        &self,
        sql: &mut Sql,
        padded: &str,
        before: &str,
        after: &str,
        spelling: &str,
    ) {
        let escaped: String = spelling
            .chars()
            .map(|c| match c {
                '*' | '?' | '[' | ']' => format!("[{c}]"),
                c => c.to_string(),
            })
            .collect();
        let pattern = format!("*[^{before}]{escaped}[^{after}]*");
        sql.push(padded).push(" GLOB ").bind(Param::Text(pattern));
    }

    /// The columns are converted by their runtime type as they are read; a JSON column's text
    /// is read as nested JSON.
    fn open_json_rows(&self, sql: &mut Sql, info: &TableInfo, alias: &str) {
        sql.push("SELECT ");
        let names: Vec<String> = info.columns.iter().map(|c| c.name.clone()).collect();
        sql.columns(alias, &names);
        for column in &info.columns {
            if column.sql_type.eq_ignore_ascii_case("json")
                || column.sql_type.eq_ignore_ascii_case("jsonb")
            {
                sql.json_column(&column.name);
            }
        }
    }

    fn close_json_rows(&self, _sql: &mut Sql) {}

    /// The write transaction already holds the database.
    fn for_update(&self) -> &'static str {
        ""
    }

    fn for_share_of(&self, _alias: &str) -> String {
        String::new()
    }

    fn skip_locked_of(&self, _alias: &str) -> String {
        String::new()
    }

    fn short_lock_wait(&self) -> Option<&'static str> {
        None
    }

    /// SQLite's write transactions are exclusive already.
    fn transaction_lock(&self, _key: i64) -> Option<Sql> {
        None
    }

    fn temp_table(&self, name: &str) -> String {
        format!("temp.{name}")
    }

    fn temp_table_on_commit(&self) -> &'static str {
        ""
    }

    fn create_index(&self) -> &'static str {
        "CREATE INDEX "
    }

    fn table_exists(&self, name: &str) -> Sql {
        let mut sql = Sql::new(Dialect::Sqlite);
        sql.push("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ")
            .bind(Param::Text(name.to_owned()));
        sql
    }

    /// No row-level security.
    fn set_tenant(&self, _setting: &str, _tenant: &str) -> Option<Sql> {
        None
    }

    fn row_security_active(&self, _table: &str) -> Option<Sql> {
        None
    }

    fn estimated_rows(&self, _table: &str) -> Option<Sql> {
        None
    }

    fn table_pages(&self, _table: &str) -> Option<Sql> {
        None
    }

    fn server_version(&self) -> Option<&'static str> {
        None
    }

    fn range_partitions_of(&self, _table: &str, _column: &str) -> Option<Sql> {
        None
    }

    fn timestamp_micros(&self, _at: &str) -> Option<Sql> {
        None
    }

    /// A row per entry costs more through the driver than one aggregated text per chunk. No
    /// ORDER BY in group_concat (a sort per chunk): the subquery's order holds in practice, and
    /// a chunk out of order is not clean, so it is read again field by field.
    fn ledger_chunk_head(&self) -> Option<&'static str> {
        Some(
            "SELECT group_concat(seq || ' ' || alg || ' ' || prev_hash || ' ' || hash || ' ' || \
             json_array('privctl-ledger/1', seq, at, actor, host, action, tenant, subject_ref, \
             resource, outcome, details, alg, prev_hash), char(10)), \
             CAST(max(seq) AS TEXT), CAST(count(*) AS TEXT) \
             FROM (SELECT * FROM privctl_ledger WHERE seq > ",
        )
    }

    fn delete_picked_rows(&self, _delete: &PickedDelete<'_>) -> Option<Sql> {
        None
    }

    fn delete_pages(&self, _delete: &PageDelete<'_>) -> Option<Sql> {
        None
    }
}
