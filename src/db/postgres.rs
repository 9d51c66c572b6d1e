//! PostgreSQL's SQL: [`SqlDialect`] for [`Dialect::Postgres`].

use sqlparser::dialect::PostgreSqlDialect;

use super::checked::{JsonKey, SqlType};
use super::dialect::{PageDelete, PickedDelete, SqlDialect, is_text_type, stores_epoch};
use super::{ColumnInfo, Db, Dialect, Param, Sql, TableInfo, TxMode, quote};
use crate::clock::Timestamp;
use anyhow::{Context as _, Result};

pub(super) struct Postgres;

/// Tables whose selected keys one statement of a plan reads: each statement is two or three
/// round trips (parse and describe, then bind and execute; a third to close the statement the
/// cache drops past 100), and at 500 tables those waits were most of a preview (issue 16,
/// BENCHMARKS.md).
const TABLES_PER_STATEMENT: usize = 50;

/// How a timestamp column stores time, from its catalog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeStorage {
    /// Seconds since the Unix epoch.
    Epoch,
    /// A native timestamp or date type.
    Native,
    /// ISO 8601 text.
    Text,
}

fn time_storage(sql_type: &SqlType) -> TimeStorage {
    let t = sql_type.as_str().to_ascii_lowercase();
    if stores_epoch(&t) {
        TimeStorage::Epoch
    } else if t.starts_with("timestamp") || t == "date" {
        TimeStorage::Native
    } else {
        TimeStorage::Text
    }
}

impl SqlDialect for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn name(&self) -> &'static str {
        "postgres"
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn placeholder_marker(&self) -> char {
        '$'
    }

    fn grammar(&self) -> &'static dyn sqlparser::dialect::Dialect {
        &PostgreSqlDialect {}
    }

    fn strict_column_types(&self) -> bool {
        true
    }

    fn page_walks(&self) -> bool {
        true
    }

    fn range_partitions(&self) -> bool {
        true
    }

    fn tables_per_statement(&self) -> usize {
        TABLES_PER_STATEMENT
    }

    fn push_typed_value(&self, sql: &mut Sql, value: &str, sql_type: &SqlType) {
        if is_text_type(sql_type.as_str()) {
            sql.bind(Param::Text(value.to_owned()));
        } else {
            sql.push("CAST(").bind(Param::Text(value.to_owned()));
            sql.push(" AS ").push(sql_type.as_str()).push(")");
        }
    }

    fn push_epoch(&self, sql: &mut Sql, alias: &str, column: &str, sql_type: &SqlType) {
        let col = format!("{alias}.{}", quote(column));
        let expr = match time_storage(sql_type) {
            TimeStorage::Epoch => format!("CAST({col} AS bigint)"),
            TimeStorage::Native => format!("CAST(floor(EXTRACT(EPOCH FROM {col})) AS bigint)"),
            TimeStorage::Text => {
                format!("CAST(floor(EXTRACT(EPOCH FROM CAST({col} AS timestamptz))) AS bigint)")
            }
        };
        sql.push(&expr);
    }

    /// Native types compare directly, so an index on the column serves the comparison.
    fn push_before(
        &self,
        sql: &mut Sql,
        alias: &str,
        column: &str,
        sql_type: &SqlType,
        at: Timestamp,
    ) {
        match time_storage(sql_type) {
            TimeStorage::Epoch => {
                sql.column(alias, column)
                    .push(" < ")
                    .bind(Param::Int(at.unix()));
            }
            TimeStorage::Native => {
                sql.column(alias, column).push(" < ");
                self.push_typed_value(sql, &at.to_canonical(), sql_type);
            }
            TimeStorage::Text => {
                sql.push("CAST(")
                    .column(alias, column)
                    .push(" AS timestamptz) < ");
                self.push_typed_value(sql, &at.to_canonical(), &SqlType::TIMESTAMPTZ);
            }
        }
    }

    fn position_function(&self) -> &'static str {
        "strpos("
    }

    /// `!~ '[^0-9a-f]'`: an anchored `^[0-9a-f]{64}$` took 13 times as long (1.76 s against
    /// 0.14 s on 200,000 hashes).
    fn only_hex_digits(&self) -> &'static str {
        " !~ '[^0-9a-f]'"
    }

    /// bytea read with non-printable bytes escaped (`encode(…, 'escape')`), so an address
    /// stored as bytes is still found; inet/cidr as the address (`host(…)`).
    fn scan_text(&self, alias: &str, column: &ColumnInfo) -> Option<String> {
        let quoted = format!("{alias}.{}", quote(&column.name));
        if column.sql_type.eq_ignore_ascii_case("bytea") {
            Some(format!("encode({quoted}, 'escape')"))
        } else if column.is_text() && is_text_type(&column.sql_type) {
            Some(quoted)
        } else if column.is_address() {
            Some(format!("host({quoted})"))
        } else if column.is_text() || column.is_json() {
            Some(format!("CAST({quoted} AS text)"))
        } else {
            None
        }
    }

    /// `lower()` follows the database's collation (towlower on every character of a UTF-8
    /// text, 2-3x the cost of the whole scan, and `I` → `ı` under a Turkish one), so it runs in
    /// the "C" collation.
    fn fold_ascii_case(&self, expr: &str) -> String {
        format!("lower(({expr}) COLLATE \"C\")")
    }

    /// `host()`: the address as written, without the `/32` a cast to text adds.
    fn sample_text(&self, alias: &str, column: &ColumnInfo) -> String {
        let quoted = format!("{alias}.{}", quote(&column.name));
        if column.is_address() {
            format!("host({quoted})")
        } else {
            format!("CAST({quoted} AS text)")
        }
    }

    fn push_sample(&self, sql: &mut Sql, rows: u64, estimate: Option<f64>) {
        match estimate {
            // A large table: each row with probability p, twice what N rows need, then at
            // most N.
            Some(estimate) if estimate >= 10.0 * rows as f64 => {
                let p = (200.0 * rows as f64 / estimate).clamp(0.0001, 100.0);
                sql.push(&format!(" TABLESAMPLE BERNOULLI ({p:.4})"));
            }
            // A small table (or one never analysed): an exact random sample.
            _ => {
                sql.push(" ORDER BY random()");
            }
        }
    }

    fn push_json_array_element(
        &self,
        sql: &mut Sql,
        json_text: &str,
        i: usize,
        sql_type: &SqlType,
    ) {
        sql.push("CAST(CAST(")
            .bind(Param::Text(json_text.to_owned()))
            .push(&format!(" AS json)->>{i} AS {sql_type})"));
    }

    fn push_json_keys(&self, sql: &mut Sql, types: &[SqlType], keys_json: &str) {
        for (i, ty) in types.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(&format!("CAST(j.e->>{i} AS {ty})"));
        }
        sql.push(" FROM json_array_elements(CAST(")
            .bind(Param::Text(keys_json.to_owned()))
            .push(" AS json)) AS j(e))");
    }

    fn push_json_text_elements(&self, sql: &mut Sql, list_json: &str, cast: Option<&SqlType>) {
        match cast {
            Some(ty) => sql.push(&format!(
                "(SELECT CAST(x AS {ty}) FROM json_array_elements_text(CAST("
            )),
            None => sql.push("(SELECT x FROM json_array_elements_text(CAST("),
        };
        sql.bind(Param::Text(list_json.to_owned()))
            .push(" AS json)) AS j(x))");
    }

    fn push_row_key_json(&self, sql: &mut Sql, alias: &str, key: &[String]) {
        sql.push("CAST(json_build_array(")
            .columns(alias, key)
            .push(") AS text)");
    }

    fn json_path_text(&self, column_sql: &str, json_typed: bool, path: &[JsonKey]) -> String {
        // Each key is a plain name (JsonKey), so it is safe inside a string literal.
        let keys: String = path.iter().map(|key| format!(", '{key}'")).collect();
        // A text column may hold text that is not JSON: it never matches, never fails.
        let document = if json_typed {
            format!("CAST({column_sql} AS jsonb)")
        } else {
            format!("privctl_try_jsonb(CAST({column_sql} AS text))")
        };
        format!("jsonb_extract_path_text({document}{keys})")
    }

    /// Text that may not be JSON: only rows whose text contains the identifier are parsed, and
    /// text that is not JSON never matches (never fails).
    fn json_strings_prefilter(&self, json_typed: bool) -> bool {
        !json_typed
    }

    fn json_strings_open(&self, column_sql: &str, json_typed: bool) -> String {
        let document = if json_typed {
            format!("CAST({column_sql} AS jsonb)")
        } else {
            format!("privctl_try_jsonb(CAST({column_sql} AS text))")
        };
        format!(
            "EXISTS (SELECT 1 FROM jsonb_path_query({document}, 'strict $.**') AS v(x) WHERE jsonb_typeof(v.x) = 'string' AND "
        )
    }

    fn json_string_value(&self) -> &'static str {
        "(v.x #>> '{}')"
    }

    /// A regular expression.
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
            .flat_map(|c| {
                let special = !c.is_ascii_alphanumeric() && c != '@' && c != '_';
                special
                    .then_some('\\')
                    .into_iter()
                    .chain(std::iter::once(c))
            })
            .collect();
        let pattern = format!("[^{before}]{escaped}[^{after}]");
        sql.push(padded).push(" ~ ").bind(Param::Text(pattern));
    }

    /// The database renders each row (`row_to_json`, bytes as base64).
    fn open_json_rows(&self, sql: &mut Sql, info: &TableInfo, alias: &str) {
        sql.push("SELECT CAST(row_to_json(x) AS text) FROM (SELECT ");
        for (i, column) in info.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            if column.sql_type == "bytea" {
                sql.push("encode(")
                    .column(alias, &column.name)
                    .push(", 'base64') AS ")
                    .ident(&column.name);
            } else {
                sql.column(alias, &column.name);
            }
        }
    }

    fn close_json_rows(&self, sql: &mut Sql) {
        sql.push(") x");
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }

    fn for_share_of(&self, alias: &str) -> String {
        format!(" FOR SHARE OF {alias}")
    }

    fn skip_locked_of(&self, alias: &str) -> String {
        format!(" FOR UPDATE OF {alias} SKIP LOCKED")
    }

    fn short_lock_wait(&self) -> Option<&'static str> {
        Some("SET LOCAL lock_timeout = '50ms'")
    }

    fn transaction_lock(&self, key: i64) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT CAST(pg_advisory_xact_lock(")
            .bind(Param::Int(key))
            .push(") AS text)");
        Some(sql)
    }

    fn temp_table(&self, name: &str) -> String {
        format!("pg_temp.{name}")
    }

    fn temp_table_on_commit(&self) -> &'static str {
        " ON COMMIT DROP"
    }

    fn analyze_temp_table(&self, qualified: &str) -> Option<String> {
        Some(format!("ANALYZE {qualified}"))
    }

    fn create_index(&self) -> &'static str {
        "CREATE INDEX CONCURRENTLY "
    }

    /// On the search path.
    fn table_exists(&self, name: &str) -> Sql {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT CAST(to_regclass(")
            .bind(Param::Text(name.to_owned()))
            .push(") AS text)");
        sql
    }

    fn set_tenant(&self, setting: &str, tenant: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT set_config(")
            .bind(Param::Text(setting.to_owned()))
            .push(", ")
            .bind(Param::Text(tenant.to_owned()))
            .push(", true)");
        Some(sql)
    }

    fn row_security_active(&self, table: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT row_security_active(CAST(")
            .bind(Param::Text(quote(table)))
            .push(" AS regclass))");
        Some(sql)
    }

    /// `pg_class.reltuples`: negative (or NULL) when the table was never analysed.
    fn estimated_rows(&self, table: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT CAST(reltuples AS text) FROM pg_class WHERE oid = to_regclass(")
            .bind(Param::Text(quote(table)))
            .push(")");
        Some(sql)
    }

    fn table_pages(&self, table: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT CAST(pg_relation_size(c.oid) / current_setting('block_size')::bigint AS bigint), CAST(CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages ELSE 0 END AS bigint), CAST(GREATEST(c.reltuples, 0) AS bigint), CAST(CASE WHEN c.reltuples < 0 THEN NULL WHEN c.relpages = 0 THEN CASE WHEN pg_relation_size(c.oid) = 0 THEN 0 END ELSE round(c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::bigint)) END AS bigint) FROM pg_class c WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(")
            .bind(Param::Text(table.to_owned()))
            .push("))");
        Some(sql)
    }

    fn server_version(&self) -> Option<&'static str> {
        Some("SELECT current_setting('server_version_num')")
    }

    fn range_partitions_of(&self, table: &str, column: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push(
            "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(",
        )
        .bind(Param::Text(table.to_owned()))
        .push(
            ")) AND c.relkind = 'r' AND pg_get_partkeydef(i.inhparent) = 'RANGE (' || quote_ident(",
        )
        .bind(Param::Text(column.to_owned()))
        .push(") || ')' ORDER BY 1");
        Some(sql)
    }

    fn timestamp_micros(&self, at: &str) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("SELECT CAST(floor(EXTRACT(EPOCH FROM CAST(")
            .bind(Param::Text(at.to_owned()))
            .push(" AS timestamptz)) * 1000000) AS bigint)");
        Some(sql)
    }

    fn ledger_chunk_head(&self) -> Option<&'static str> {
        None
    }

    /// By physical address unless `partitioned` (a row address is a partition's own): the
    /// update or delete is a TID scan of the picked rows. A key `IN (SELECT … LIMIT n)` is
    /// planned as a hash join that reads the whole table on every batch once n is a few
    /// thousand (issue 16: 130–270 ms of a 5000-row batch of 800,000 messages).
    fn push_picked_rows(
        &self,
        sql: &mut Sql,
        table: &str,
        key: &[String],
        partitioned: bool,
        inner: &mut dyn FnMut(&mut Sql),
    ) {
        if partitioned {
            return super::dialect::push_picked_by_key(sql, table, key, inner);
        }
        sql.push("ctid = ANY(ARRAY(SELECT x.ctid FROM ")
            .ident(table)
            .push(" x WHERE ");
        inner(sql);
        sql.push("))");
    }

    /// For a table nothing references and that is not partitioned (the caller's to check):
    /// the delete goes by physical address (a TID scan, no second index lookup).
    fn delete_picked_rows(&self, delete: &PickedDelete<'_>) -> Option<Sql> {
        let PickedDelete {
            table,
            key,
            blob_column,
            limit,
            filter,
        } = delete;
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("WITH batch AS MATERIALIZED (SELECT r.ctid AS row_id, ");
        self.push_row_key_json(&mut sql, "r", key);
        sql.push(" AS key_json");
        for (i, column) in key.iter().enumerate() {
            sql.push(&format!(", r.{} AS k{i}", quote(column)));
        }
        sql.push(" FROM ").ident(table).push(" r WHERE ");
        filter(&mut sql);
        sql.push(" ORDER BY ").columns("r", key);
        sql.push(" LIMIT ").bind(Param::Int(*limit));
        sql.push(" FOR UPDATE OF r SKIP LOCKED), gone AS (DELETE FROM ")
            .ident(table)
            .push(" WHERE ctid = ANY(ARRAY(SELECT row_id FROM batch)) RETURNING ");
        match blob_column {
            Some(blob) => sql.push("CAST(").ident(blob).push(" AS text) AS object"),
            None => sql.push("CAST(NULL AS text) AS object"),
        };
        let descending: Vec<String> = (0..key.len()).map(|i| format!("k{i} DESC")).collect();
        sql.push(&format!(
            ") SELECT 'n', CAST((SELECT count(*) FROM gone) AS text), (SELECT key_json FROM batch ORDER BY {} LIMIT 1) \
             UNION ALL SELECT 'b', NULL, object FROM gone WHERE object IS NOT NULL",
            descending.join(", ")
        ));
        Some(sql)
    }

    /// A TID range scan: pages read in order, no index.
    fn delete_pages(&self, delete: &PageDelete<'_>) -> Option<Sql> {
        let mut sql = Sql::new(Dialect::Postgres);
        if let Some((_, sql_type)) = &delete.tenant {
            // Typed once, not parsed again for every row the join looks at.
            sql.push(&format!(
                "WITH w AS MATERIALIZED (SELECT CAST(c.x->>0 AS {sql_type}) AS tenant, CAST(c.x->>1 AS timestamptz) AS cutoff FROM json_array_elements(CAST("
            ))
            .bind(Param::Text(delete.cutoffs_json.clone()))
            .push(" AS json)) AS c(x)) ");
        }
        sql.push("DELETE FROM ").ident(delete.table);
        match (delete.skip_locked, &delete.tenant) {
            (true, tenant) => {
                sql.push(" WHERE ctid = ANY(ARRAY(SELECT r.ctid FROM ")
                    .ident(delete.table)
                    .push(" r");
                if let Some((column, _)) = tenant {
                    sql.push(" JOIN w ON r.").ident(column).push(" = w.tenant");
                }
                sql.push(" WHERE ");
            }
            (false, Some((column, _))) => {
                sql.push(" r USING w WHERE r.")
                    .ident(column)
                    .push(" = w.tenant AND ");
            }
            (false, None) => {
                sql.push(" r WHERE ");
            }
        }
        sql.push("r.ctid >= CAST(")
            .bind(Param::Text(format!("({},0)", delete.from)))
            .push(" AS tid) AND r.ctid < CAST(")
            .bind(Param::Text(format!("({},0)", delete.to)))
            .push(" AS tid) AND ");
        match delete.cutoff {
            Some(cutoff) => {
                self.push_before(
                    &mut sql,
                    "r",
                    delete.timestamp,
                    delete.timestamp_type,
                    cutoff,
                );
            }
            None => {
                let column = format!("r.{}", quote(delete.timestamp));
                let t = delete.timestamp_type.as_str().to_ascii_lowercase();
                if t.contains("int") || t.starts_with("numeric") {
                    sql.push(&format!("{column} < EXTRACT(EPOCH FROM w.cutoff)"));
                } else if t.starts_with("timestamp") || t == "date" {
                    sql.push(&format!("{column} < w.cutoff"));
                } else {
                    sql.push(&format!("CAST({column} AS timestamptz) < w.cutoff"));
                }
            }
        }
        if delete.skip_locked {
            sql.push(" FOR UPDATE OF r SKIP LOCKED))");
        }
        if let Some(blob) = delete.blob_column {
            let alias = if delete.skip_locked {
                quote(delete.table)
            } else {
                "r".to_owned()
            };
            sql.push(" RETURNING ");
            match &delete.tenant {
                Some((column, _)) => sql.push("CAST(").column(&alias, column).push(" AS text)"),
                None => sql.push("CAST(NULL AS text)"),
            };
            sql.push(", CAST(").column(&alias, blob).push(" AS text)");
        }
        Some(sql)
    }
}

/// See [`Db::index_serves`]: any index that can serve the comparison is chosen.
pub(super) async fn index_serves(db: &Db, table: &str, expression: &str) -> Result<bool> {
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let mut off = db.sql();
    off.push("SET LOCAL enable_seqscan = off");
    tx.execute(&off).await?;
    let mut sql = db.sql();
    sql.push("EXPLAIN SELECT 1 FROM ")
        .ident(table)
        .push(" WHERE ")
        .push(expression)
        .push(" = 'privctl map check'");
    let plan = tx
        .fetch_column(&sql)
        .await
        .with_context(|| format!("asking the planner about an index on {table}"));
    tx.rollback().await?;
    Ok(plan?
        .iter()
        .flatten()
        .any(|line| line.contains("Index Cond")))
}
