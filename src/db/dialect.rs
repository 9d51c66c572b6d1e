//! Every way PostgreSQL and SQLite differ in the SQL privctl writes: one trait, implemented in
//! `postgres.rs` and `sqlite.rs`. Code outside `db/` asks a [`super::Dialect`] for its
//! implementation ([`super::Dialect::sql_ops`]) or calls the builder ([`super::Sql`]), which
//! does; it never tests which database it talks to (a test in `db/mod.rs` keeps it so).
//!
//! A fragment method appends to a statement under construction; a capability says what a
//! database can do, so a caller can choose a strategy without naming the database; a method
//! returning `Option<Sql>` builds a statement only one database has (`None` on the other).

use super::checked::{JsonKey, SqlType};
use super::{ColumnInfo, Dialect, Sql, TableInfo};
use crate::clock::Timestamp;

/// SQL fragments, statements and capabilities that differ between the databases.
pub trait SqlDialect: Sync {
    /// The dialect this implements.
    fn dialect(&self) -> Dialect;

    /// `postgres` or `sqlite`, as messages and `privctl init --format json` name it.
    fn name(&self) -> &'static str;

    /// The placeholder of the `n`th bound value (1-based).
    fn placeholder(&self, n: usize) -> String;

    /// The character that starts a placeholder (`$1`, `?1`).
    fn placeholder_marker(&self) -> char;

    /// sqlparser's grammar of this database, for map `when` conditions.
    fn grammar(&self) -> &'static dyn sqlparser::dialect::Dialect;

    // ---- capabilities ----

    /// Whether a column holds only values of its declared type (PostgreSQL). SQLite stores any
    /// value in any column, and its text and JSON functions take any value.
    fn strict_column_types(&self) -> bool;

    /// Whether a purge can walk a table by physical pages (TID range scans) and delete rows by
    /// their physical address (PostgreSQL; from version 14, see [`super::Tx::page_walks`]).
    fn page_walks(&self) -> bool;

    /// Whether tables can be range-partitioned, so an expired partition can be dropped whole.
    fn range_partitions(&self) -> bool;

    /// How many tables' selected keys a plan reads in one statement
    /// ([`crate::selection::SubjectSelection::select_keys_of`]): several where each statement
    /// costs round trips to a server (PostgreSQL, issue 16); one where a statement is a call
    /// into the process (SQLite), which reads each table by itself.
    fn tables_per_statement(&self) -> usize {
        1
    }

    // ---- values and expressions ----

    /// Appends `value` bound and converted to `sql_type`, so a comparison with an integer,
    /// uuid or other typed column uses the column's index (SQLite applies the column's affinity
    /// to the compared value instead).
    fn push_typed_value(&self, sql: &mut Sql, value: &str, sql_type: &SqlType);

    /// Appends a timestamp column as whole seconds since the Unix epoch (NULL stays NULL).
    fn push_epoch(&self, sql: &mut Sql, alias: &str, column: &str, sql_type: &SqlType);

    /// Appends `<column> is before <at>`, whatever the column's time type; NULL is never
    /// before anything.
    fn push_before(
        &self,
        sql: &mut Sql,
        alias: &str,
        column: &str,
        sql_type: &SqlType,
        at: Timestamp,
    );

    /// The function (with its opening parenthesis) that gives the position of a text inside
    /// another, 0 when absent: `strpos(` or `instr(`.
    fn position_function(&self) -> &'static str;

    /// The operator and pattern that are true when a text holds nothing but `0-9a-f`.
    fn only_hex_digits(&self) -> &'static str;

    /// The expression reading `alias.column` as text for a content scan, or `None` when the
    /// column cannot hold text.
    fn scan_text(&self, alias: &str, column: &ColumnInfo) -> Option<String>;

    /// `expr` with ASCII letters lower-cased and every other character kept.
    fn fold_ascii_case(&self, expr: &str) -> String;

    /// The expression reading a column's value as text for `map check --sample`.
    fn sample_text(&self, alias: &str, column: &ColumnInfo) -> String;

    /// Appends how `map check --sample` picks about `rows` rows of a table estimated to hold
    /// `estimate` rows (after `FROM … t`, before `LIMIT`).
    fn push_sample(&self, sql: &mut Sql, rows: u64, estimate: Option<f64>);

    // ---- JSON ----

    /// Element `i` of the JSON array bound as `json_text`, converted to `sql_type` where the
    /// database has types.
    fn push_json_array_element(&self, sql: &mut Sql, json_text: &str, i: usize, sql_type: &SqlType);

    /// Appends `<columns> FROM <rows of keys_json>)`, the rest of `… IN (SELECT ` over a JSON
    /// array of keys (each an array of its columns' values), each column as its `types[i]`.
    fn push_json_keys(&self, sql: &mut Sql, types: &[SqlType], keys_json: &str);

    /// Appends `(SELECT <element> FROM <elements of the JSON array of strings list_json>)`,
    /// each element converted to `cast` when given.
    fn push_json_text_elements(&self, sql: &mut Sql, list_json: &str, cast: Option<&SqlType>);

    /// Appends a row key as JSON text: `[1]`, `["a", 2]`.
    fn push_row_key_json(&self, sql: &mut Sql, alias: &str, key: &[String]);

    /// The text at `path` of the JSON document in `column_sql` (a json/jsonb column when
    /// `json_typed`, else text that may not be JSON: it never matches, never fails).
    fn json_path_text(&self, column_sql: &str, json_typed: bool, path: &[JsonKey]) -> String;

    /// Whether a search of every string of a document in a column that is not `json_typed`
    /// should first test that the column's text holds the value (it parses only those rows).
    fn json_strings_prefilter(&self, json_typed: bool) -> bool;

    /// Opens `EXISTS (SELECT 1 FROM <every string value of the document in column_sql> WHERE `;
    /// the string's value is [`SqlDialect::json_string_value`].
    fn json_strings_open(&self, column_sql: &str, json_typed: bool) -> String;

    /// The text of the string value in [`SqlDialect::json_strings_open`].
    fn json_string_value(&self) -> &'static str;

    /// Appends a condition true when `padded` (the text expression with a space on each side)
    /// holds `spelling` with a character of neither class `before` nor `after` (character
    /// class bodies: `a-z0-9._%+-`) right before and after it. The pattern is bound.
    fn push_bounded_match(
        &self,
        sql: &mut Sql,
        padded: &str,
        before: &str,
        after: &str,
        spelling: &str,
    );

    /// Starts a statement whose rows come back as JSON objects (see
    /// [`super::Tx::stream_json`]). Continue with ` FROM … WHERE …`, then call
    /// [`SqlDialect::close_json_rows`].
    fn open_json_rows(&self, sql: &mut Sql, info: &TableInfo, alias: &str);

    /// Ends a statement begun with [`SqlDialect::open_json_rows`].
    fn close_json_rows(&self, sql: &mut Sql);

    /// How to read the rows of `rows` (a statement begun with [`SqlDialect::open_json_rows`] over
    /// `table`, whose rows `key` names one each) as JSON object text a chunk at a time, where
    /// one text per chunk is cheaper than a row at a time (see
    /// [`super::Tx::for_each_json_text`]); `None` to read them row by row.
    fn json_text_chunks(
        &self,
        rows: &Sql,
        table: &TableInfo,
        key: &[String],
    ) -> Option<JsonTextChunks> {
        let _ = (rows, table, key);
        None
    }

    // ---- locks ----

    /// Ends a `SELECT` that reads rows to rewrite: ` FOR UPDATE`, or nothing where a write
    /// transaction already holds the database.
    fn for_update(&self) -> &'static str;

    /// Ends a `SELECT` whose rows of `alias` must not change until the transaction ends.
    fn for_share_of(&self, alias: &str) -> String;

    /// Ends a `SELECT` that picks rows of `alias` to delete, skipping rows live traffic holds.
    fn skip_locked_of(&self, alias: &str) -> String;

    /// A statement that bounds how long this transaction waits for a row lock (50 ms), so a
    /// batch that meets live traffic can be redone skipping locked rows.
    fn short_lock_wait(&self) -> Option<&'static str>;

    /// A statement that serialises transactions on `key` until the end of this one (an
    /// advisory lock), where a write transaction does not already.
    fn transaction_lock(&self, key: i64) -> Option<Sql>;

    // ---- schema objects ----

    /// How a temporary table named `name` is referred to (its schema).
    fn temp_table(&self, name: &str) -> String;

    /// What follows `CREATE TEMPORARY TABLE <name>` so it goes at commit.
    fn temp_table_on_commit(&self) -> &'static str;

    /// A statement giving the planner the row count of a just-filled temporary table, where it
    /// would otherwise guess (PostgreSQL never analyses temporary tables by itself and assumes
    /// thousands of rows: issue 16 measured a 25-row erase reading all 7.1M messages for it).
    fn analyze_temp_table(&self, _qualified: &str) -> Option<String> {
        None
    }

    /// `CREATE INDEX ` and, where the database can, `CONCURRENTLY ` (no write lock).
    fn create_index(&self) -> &'static str;

    /// A statement whose first row's first column is not NULL when table `name` exists.
    fn table_exists(&self, name: &str) -> Sql;

    /// A statement setting the row-level-security `setting` to `tenant` for the transaction.
    fn set_tenant(&self, setting: &str, tenant: &str) -> Option<Sql>;

    /// A statement answering whether row-level security filters `table` for this role.
    fn row_security_active(&self, table: &str) -> Option<Sql>;

    /// A statement reading the planner's estimate of a table's rows.
    fn estimated_rows(&self, table: &str) -> Option<Sql>;

    /// A statement reading a table's size in pages, rows per page, estimated rows, and the
    /// planner's estimate of its rows now (NULL where the catalog has no figure).
    fn table_pages(&self, table: &str) -> Option<Sql>;

    /// A statement reading the server's version number (`140000` for 14.0).
    fn server_version(&self) -> Option<&'static str>;

    /// A statement listing the leaf partitions of `table` range-partitioned on exactly
    /// `column`: name and bound, as the catalog prints it.
    fn range_partitions_of(&self, table: &str, column: &str) -> Option<Sql>;

    /// A statement reading the timestamp text `at` as microseconds since the Unix epoch.
    fn timestamp_micros(&self, at: &str) -> Option<Sql>;

    /// The head of a statement that reads ledger entries a chunk at a time, one text per
    /// chunk (lines of `seq alg prev_hash hash canonical-json`), where one aggregated row is
    /// cheaper than a row per entry; it ends with `WHERE seq > `.
    fn ledger_chunk_head(&self) -> Option<&'static str>;

    /// Appends, after `DELETE FROM <table> WHERE ` or `UPDATE <table> SET … WHERE `, the rows
    /// a subquery over the same table picks: `inner` writes the subquery's condition on alias
    /// `x` (after `WHERE `) and its `LIMIT`. By key here, `(<table>.key) IN (SELECT x.key …)`.
    fn push_picked_rows(
        &self,
        sql: &mut Sql,
        table: &str,
        key: &[String],
        partitioned: bool,
        inner: &mut dyn FnMut(&mut Sql),
    ) {
        let _ = partitioned;
        push_picked_by_key(sql, table, key, inner);
    }

    // ---- whole statements only one database has ----

    /// One purge batch in one statement: rows picked in key order and locked (skipping rows
    /// live traffic holds), then deleted by their physical address. Returns `('n', count, last
    /// key)` and one `('b', NULL, object)` per blob.
    fn delete_picked_rows(&self, delete: &PickedDelete<'_>) -> Option<Sql>;

    /// Deletes the expired rows in heap pages `[from, to)`.
    fn delete_pages(&self, delete: &PageDelete<'_>) -> Option<Sql>;
}

/// See [`SqlDialect::json_text_chunks`]: the keys of a statement's rows are numbered once, in
/// the statement's order, into a temporary table; each chunk then renders the rows numbered
/// `(after, upto]` as JSON object text.
pub struct JsonTextChunks {
    /// Prepares the temporary table (and what makes it cheap), in order.
    pub setup: Vec<Sql>,
    /// Numbers the statement's keys into it; affects one row per row of the statement.
    pub fill: Sql,
    /// Drops it and undoes the rest of `setup`.
    pub teardown: Vec<Sql>,
    /// `chunk(after, upto)`: one row of (the rows' JSON object texts joined by newlines, their
    /// count, `0` when every row's text is the one [`super::Tx::stream_json_text`] writes).
    pub chunk: Box<dyn Fn(i64, i64) -> Sql + Send + Sync>,
    /// `rows(after, upto)`: the same rows as the statement returns them, to read one by one.
    pub rows: Box<dyn Fn(i64, i64) -> Sql + Send + Sync>,
}

/// See [`SqlDialect::delete_picked_rows`].
pub struct PickedDelete<'a> {
    pub table: &'a str,
    pub key: &'a [String],
    pub blob_column: Option<&'a str>,
    pub limit: i64,
    /// Writes the condition of the rows to pick, on alias `r` (after `WHERE `).
    pub filter: &'a dyn Fn(&mut Sql),
}

/// See [`SqlDialect::delete_pages`].
pub struct PageDelete<'a> {
    pub table: &'a str,
    pub timestamp: &'a str,
    pub timestamp_type: &'a SqlType,
    /// The tenant column and its type: each row's cutoff is its tenant's, from `cutoffs_json`.
    pub tenant: Option<(&'a str, &'a SqlType)>,
    /// `[["acme", "2026-08-27T10:00:00.000000Z"], …]`
    pub cutoffs_json: String,
    /// The one cutoff of a database without tenants.
    pub cutoff: Option<Timestamp>,
    pub from: i64,
    pub to: i64,
    /// Rows are picked with `FOR UPDATE SKIP LOCKED` first; without, they are deleted directly.
    pub skip_locked: bool,
    /// With a blob column, returns the tenant (as text, or NULL) and object of each row.
    pub blob_column: Option<&'a str>,
}

/// A type that stores time as seconds since the Unix epoch.
pub(super) fn stores_epoch(lowered: &str) -> bool {
    lowered.contains("int") || lowered == "numeric" || lowered.starts_with("numeric(")
}

/// A text type whose values compare as text without a cast.
pub(super) fn is_text_type(sql_type: &str) -> bool {
    let t = sql_type.to_ascii_lowercase();
    t == "text" || t.starts_with("character varying") || t.starts_with("varchar") || t == "citext"
}

/// `(<table>.key) IN (SELECT x.key FROM <table> x WHERE <inner>)`: the rows a subquery picks,
/// by key (see [`SqlDialect::push_picked_rows`]).
pub(super) fn push_picked_by_key(
    sql: &mut Sql,
    table: &str,
    key: &[String],
    inner: &mut dyn FnMut(&mut Sql),
) {
    sql.tuple(&sql.dialect().quote(table), key)
        .push(" IN (SELECT ")
        .columns("x", key)
        .push(" FROM ")
        .ident(table)
        .push(" x WHERE ");
    inner(sql);
    sql.push(")");
}
