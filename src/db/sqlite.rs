//! SQLite's SQL: [`SqlDialect`] for [`Dialect::Sqlite`].

use sqlparser::dialect::SQLiteDialect;

use super::checked::{JsonKey, SqlType};
use super::dialect::{JsonTextChunks, PageDelete, PickedDelete, SqlDialect, stores_epoch};
use super::{ColumnInfo, Dialect, Param, Sql, TableInfo, quote};
use crate::clock::Timestamp;

pub(super) struct Sqlite;

/// SQLite's BLOB affinity: a column declared `BLOB` or with no type at all.
fn is_blob_affinity(sql_type: &str) -> bool {
    let t = sql_type.trim().to_ascii_lowercase();
    t.is_empty() || t.contains("blob")
}

/// The temporary table of [`Sqlite::json_text_chunks`].
const EXPORT_KEYS: &str = "temp.privctl_export_keys";

/// `text` as an SQL string literal.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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

    /// sqlx hands rows over from its worker thread one at a time, which costs more than SQLite
    /// reading them (two context switches a row). So the statement's keys are numbered once, in
    /// its order, into a temporary table (keys only: the statement's condition, however many
    /// routes it has, runs once, by SQLite's own plan), and each chunk joins 2,000 of them back
    /// to the table by its primary key and renders the rows with `json_object`, joined by
    /// newlines into one value. The object is the one [`super::Tx::stream_json_text`] writes:
    /// keys in byte order (serde_json's map), integers and text as they are (SQLite escapes
    /// strings as serde_json does). A chunk holding a floating-point number or bytes (SQLite
    /// writes numbers otherwise, and reads bytes as its binary JSON or refuses them) is flagged
    /// and read row by row. Not chunked: a table with JSON columns (serde_json re-renders the
    /// documents), one whose rows its key does not name one each (no primary key, or a
    /// nullable one that is not the rowid), and one too wide for `json_object`'s arguments.
    fn json_text_chunks(
        &self,
        rows: &Sql,
        table: &TableInfo,
        key: &[String],
    ) -> Option<JsonTextChunks> {
        let column = |name: &str| table.columns.iter().find(|c| c.name == name);
        let rowid_alias = key.len() == 1
            && column(&key[0]).is_some_and(|c| c.sql_type.eq_ignore_ascii_case("integer"));
        let unique = rowid_alias || key.iter().all(|k| column(k).is_some_and(|c| !c.nullable));
        if key.is_empty()
            || key != table.primary_key.as_slice()
            || !unique
            || !rows.json_columns().is_empty()
            || table.columns.len() > 60
        {
            return None;
        }
        let numbered: Vec<String> = (0..key.len()).map(|i| format!("k{i}")).collect();
        let statement = |text: &str| {
            let mut sql = Sql::new(Dialect::Sqlite);
            sql.push(text);
            sql
        };
        let drop = statement(&format!("DROP TABLE IF EXISTS {EXPORT_KEYS}"));
        let mut create = Sql::new(Dialect::Sqlite);
        create
            .push("CREATE TABLE ")
            .push(EXPORT_KEYS)
            .push(" (n INTEGER PRIMARY KEY, ")
            .push(&numbered.join(", "))
            .push(")");
        let mut fill = Sql::new(Dialect::Sqlite);
        fill.push("INSERT INTO ")
            .push(EXPORT_KEYS)
            .push(" (")
            .push(&numbered.join(", "))
            .push(") SELECT ")
            .columns("s", key)
            .push(" FROM (")
            .append(rows)
            .push(") s");
        let mut join = format!(
            " FROM {EXPORT_KEYS} k CROSS JOIN {} t ON ",
            quote(&table.name)
        );
        for (i, k) in key.iter().enumerate() {
            if i > 0 {
                join.push_str(" AND ");
            }
            join.push_str(&format!("t.{} = k.k{i}", quote(k)));
        }
        join.push_str(" WHERE k.n > ");
        let mut names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        let object: Vec<String> = names
            .iter()
            .map(|c| format!("{}, t.{}", string_literal(c), quote(c)))
            .collect();
        let odd: Vec<String> = table
            .columns
            .iter()
            // Every column, the key too: an INTEGER PRIMARY KEY of a WITHOUT ROWID table is no
            // rowid and may hold a REAL.
            .map(|c| {
                if c.is_text() {
                    format!("typeof(t.{}) = 'blob'", quote(&c.name))
                } else {
                    format!("typeof(t.{}) IN ('real', 'blob')", quote(&c.name))
                }
            })
            .collect();
        let odd = if odd.is_empty() {
            "0".to_owned()
        } else {
            odd.join(" OR ")
        };
        let chunk_head = format!(
            "SELECT group_concat(j, char(10)), count(*), max(odd) FROM (SELECT json_object({}) AS j, ({odd}) AS odd{join}",
            object.join(", ")
        );
        let mut rows_head = Sql::new(Dialect::Sqlite);
        self.open_json_rows(&mut rows_head, table, "t");
        rows_head.push(&join);
        let range = |sql: &mut Sql, after: i64, upto: i64| {
            sql.bind(Param::Int(after))
                .push(" AND k.n <= ")
                .bind(Param::Int(upto))
                .push(" ORDER BY k.n");
        };
        Some(JsonTextChunks {
            // The numbered keys of a million rows outgrow the temporary database's page cache
            // (2 MB by default), which then writes them to its file and reads them back: 0.3-0.6
            // s of a 2 s export (issue 16). 64 MB holds ~4 million keys; past that it spills.
            setup: vec![
                statement("PRAGMA temp.cache_size = -65536"),
                drop.clone(),
                create,
            ],
            fill,
            teardown: vec![drop, statement("PRAGMA temp.cache_size = -2000")],
            chunk: Box::new(move |after, upto| {
                let mut sql = Sql::new(Dialect::Sqlite);
                sql.push(&chunk_head);
                range(&mut sql, after, upto);
                sql.push(")");
                sql
            }),
            rows: Box::new(move |after, upto| {
                let mut sql = rows_head.clone();
                range(&mut sql, after, upto);
                sql
            }),
        })
    }

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
             CASE WHEN nonce IS NULL \
             THEN json_array('privctl-ledger/1', seq, at, actor, host, action, tenant, subject_ref, \
             resource, outcome, details, alg, prev_hash) \
             ELSE json_array('privctl-ledger/2', seq, at, actor, host, action, tenant, subject_ref, \
             resource, outcome, details, alg, prev_hash, origin, nonce) END, char(10)), \
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

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt as _;

    use super::*;
    use crate::db::{Db, Tx, TxMode};

    fn table(name: &str, columns: &[(&str, &str, bool)], key: &[&str]) -> TableInfo {
        TableInfo {
            name: name.to_owned(),
            columns: columns
                .iter()
                .map(|(name, sql_type, nullable)| ColumnInfo {
                    name: (*name).to_owned(),
                    sql_type: (*sql_type).to_owned(),
                    nullable: *nullable,
                })
                .collect(),
            primary_key: key.iter().map(|k| (*k).to_owned()).collect(),
            ..TableInfo::default()
        }
    }

    fn rows(info: &TableInfo, filter: &str) -> Sql {
        let mut sql = Sql::new(Dialect::Sqlite);
        Sqlite.open_json_rows(&mut sql, info, "t");
        sql.push(&format!(" FROM {} t {filter}", quote(&info.name)));
        sql
    }

    async fn texts(tx: &mut Tx, sql: &Sql) -> Vec<String> {
        tx.stream_json_text(sql).try_collect().await.expect("rows")
    }

    /// Issue 16: the chunked export's texts are the row-by-row texts, in the statement's order,
    /// over several chunks, with every character that needs escaping; a chunk holding a
    /// floating-point number or bytes (binary JSON to `json_object`, or refused by it) is
    /// read row by row. Tables whose rows a key does not name one each, or with JSON columns,
    /// are not chunked.
    #[tokio::test]
    async fn chunks_render_rows_as_privctl_does() {
        let db = Db::connect("sqlite::memory:", true).await.expect("memory");
        let mut tx = db.begin(TxMode::Write).await.expect("a transaction");
        let mut create = Sql::new(Dialect::Sqlite);
        create.push(
            "CREATE TABLE kinds (id INTEGER PRIMARY KEY, \"Zeta\" TEXT, alpha INTEGER, \
             amount REAL, payload BLOB, note TEXT NOT NULL)",
        );
        tx.execute(&create).await.expect("create");
        let every: String = (1u8..0x80).map(char::from).collect();
        let mut insert = Sql::new(Dialect::Sqlite);
        insert
            .push(
                "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n \
                 WHERE value < 4500) INSERT INTO kinds (id, \"Zeta\", alpha, note) \
                 SELECT value, 'row ' || value || ' ' || ",
            )
            .bind(Param::Text(format!("{every} é ✓ 😀 \u{2028}")))
            .push(", value * 1000000007, 'n' FROM n");
        tx.execute(&insert).await.expect("insert");
        let info = table(
            "kinds",
            &[
                ("id", "INTEGER", true),
                ("Zeta", "TEXT", true),
                ("alpha", "INTEGER", true),
                ("amount", "REAL", true),
                ("payload", "BLOB", true),
                ("note", "TEXT", false),
            ],
            &["id"],
        );
        let key = ["id".to_owned()];
        let statement = rows(&info, "WHERE t.id % 7 <> 0 ORDER BY t.id DESC");
        let mut odd = Sql::new(Dialect::Sqlite);
        odd.push(
            "UPDATE kinds SET amount = 0.1 WHERE id = 4400; \
             UPDATE kinds SET payload = x'00' WHERE id = 2; \
             UPDATE kinds SET payload = x'ff00ff' WHERE id = 3",
        );
        for round in 0..2 {
            if round == 1 {
                tx.execute(&odd).await.expect("odd values");
            }
            let expected = texts(&mut tx, &statement).await;
            assert_eq!(expected.len(), 3858);
            let mut got = Vec::new();
            tx.for_each_json_text(&statement, &info, &key, |row| {
                got.push(row.to_owned());
                Ok(())
            })
            .await
            .expect("chunks");
            assert_eq!(got, expected, "round {round}");
            // The clean middle chunk comes from SQLite's own rendering.
            let chunks = Sqlite
                .json_text_chunks(&statement, &info, &key)
                .expect("chunked");
            for sql in chunks.setup.iter().chain([&chunks.fill]) {
                tx.execute(sql).await.expect("setup");
            }
            let chunk = tx
                .fetch_optional(&(chunks.chunk)(2000, 2001))
                .await
                .expect("a chunk")
                .expect("a row");
            assert_eq!(chunk[0].as_deref(), Some(expected[2000].as_str()));
            assert_eq!(chunk[2].as_deref(), Some("0"));
            for sql in &chunks.teardown {
                tx.execute(sql).await.expect("teardown");
            }
        }
        let json = table(
            "docs",
            &[("id", "INTEGER", true), ("doc", "JSON", true)],
            &["id"],
        );
        let text_key = table("names", &[("name", "TEXT", true)], &["name"]);
        let no_key = table("notes", &[("note", "TEXT", true)], &[]);
        for (info, key) in [(&json, "id"), (&text_key, "name"), (&no_key, "note")] {
            let key = [key.to_owned()];
            assert!(
                Sqlite
                    .json_text_chunks(&rows(info, ""), info, &key)
                    .is_none(),
                "{}",
                info.name
            );
        }
        tx.rollback().await.expect("rollback");
    }
}
