//! Both databases behind one interface. This module and its children are the only places that
//! know how PostgreSQL and SQLite differ: every SQL fragment and capability that differs is a
//! method of [`SqlDialect`] (`dialect.rs`), implemented in `postgres.rs` and `sqlite.rs`; the
//! connection, transactions, introspection and how a row becomes JSON are here. A test below
//! fails when code outside `db/` tests which database it talks to.

mod checked;
mod dialect;
mod introspect;
mod lock;
mod migrate;
mod pooltx;
mod postgres;
mod sql;
mod sqlite;

use std::str::FromStr;
use std::time::Duration as StdDuration;

use anyhow::{Context as _, Result};
use futures_util::{StreamExt as _, TryStreamExt as _, stream::BoxStream};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Column as _, Row as _, ValueRef as _};

use pooltx::PoolTx;

pub use checked::{CastType, Ident, JsonKey, MapCondition, SqlType};
pub use dialect::{JsonTextChunks, PageDelete, PickedDelete, SqlDialect};
pub use introspect::{
    ColumnInfo, ForeignKey, IndexInfo, IndexKey, OnDelete, Schema, TableInfo, TriggerInfo,
};
pub use lock::{Holder, LockCheck, LockState, RunLock, lock_name, process_runs, run_locks};
pub use migrate::{MIGRATIONS_TABLE, required_version};
pub use sql::{Param, Sql, fold_ascii_case, scan_text};

use crate::error::Failure;

/// The SQL dialect of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// Both dialects.
    pub const ALL: [Dialect; 2] = [Dialect::Postgres, Dialect::Sqlite];

    /// The SQL fragments, statements and capabilities of this dialect.
    pub fn sql_ops(self) -> &'static dyn SqlDialect {
        match self {
            Dialect::Postgres => &postgres::Postgres,
            Dialect::Sqlite => &sqlite::Sqlite,
        }
    }

    pub fn name(self) -> &'static str {
        self.sql_ops().name()
    }

    /// Quotes an identifier: always, so hostile or reserved names are only ever names.
    pub fn quote(self, name: &str) -> String {
        quote(name)
    }

    /// The placeholder of the `n`th bound value (1-based).
    pub fn placeholder(self, n: usize) -> String {
        self.sql_ops().placeholder(n)
    }
}

/// Quotes an identifier (both dialects quote alike).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A connection pool to the platform's database.
#[derive(Clone)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// How a transaction is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// One consistent, read-only snapshot (exports, previews).
    Snapshot,
    /// Read-write; on SQLite the write lock is taken at once (`BEGIN IMMEDIATE`) so two writers
    /// never deadlock upgrading their locks.
    Write,
}

impl Db {
    /// Connects to `postgres://…` or `sqlite://path`. A SQLite file must exist unless `create`.
    pub async fn connect(url: &str, create: bool) -> Result<Db> {
        let shown = redact_url(url);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| Failure::usage(format!("--database-url {shown}: {e}")))?
                // The process, so a lock's holder can be named by the pid `ps` shows.
                .application_name(&format!("privctl pid {}", std::process::id()))
                // No JIT: privctl's statements are short and selective, and the planner
                // cannot tell (a filter's functions, an OR of routes): JIT compiled 77 functions
                // in 386 ms of a 470 ms statement that takes 60 ms without it, and 90 ms of a
                // 170 ms content scan.
                .options([("TimeZone", "UTC"), ("lock_timeout", "5s"), ("jit", "off")]);
            // A refused port fails here at once with its own message, where the pool would
            // retry for its whole acquire timeout and then say only that it timed out.
            probe_server(&options)
                .await
                .with_context(|| format!("connecting to {shown}"))?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(StdDuration::from_secs(30))
                .connect_with(options)
                .await
                .with_context(|| format!("connecting to {shown}"))?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| Failure::usage(format!("--database-url {shown}: {e}")))?
                .create_if_missing(create)
                .foreign_keys(true)
                .busy_timeout(StdDuration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .with_context(|| {
                    format!("opening {shown} (a SQLite database must exist; check the path)")
                })?;
            Ok(Db::Sqlite(pool))
        } else {
            Err(Failure::usage(format!(
                "--database-url {shown}: not a postgres:// or sqlite:// URL"
            ))
            .into())
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Postgres(_) => Dialect::Postgres,
            Db::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// A new statement builder for this database's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    pub async fn begin(&self, mode: TxMode) -> Result<Tx> {
        let tx = match (self, mode) {
            (Db::Postgres(pool), TxMode::Snapshot) => Tx::Postgres(
                PoolTx::begin(pool, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?,
            ),
            (Db::Postgres(pool), TxMode::Write) => {
                Tx::Postgres(PoolTx::begin(pool, "BEGIN").await?)
            }
            (Db::Sqlite(pool), TxMode::Snapshot) => Tx::Sqlite(PoolTx::begin(pool, "BEGIN").await?),
            (Db::Sqlite(pool), TxMode::Write) => {
                Tx::Sqlite(PoolTx::begin(pool, "BEGIN IMMEDIATE").await?)
            }
        };
        Ok(tx)
    }

    /// Runs a script of several statements (the demo's fixture).
    pub async fn run_script(&self, script: &str) -> Result<()> {
        let script = AssertSqlSafe(script.to_owned());
        match self {
            Db::Postgres(pool) => sqlx::raw_sql(script).execute(pool).await.map(drop)?,
            Db::Sqlite(pool) => sqlx::raw_sql(script).execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    /// Reads the live schema.
    pub async fn schema(&self) -> Result<Schema> {
        let mut tx = self.begin(TxMode::Snapshot).await?;
        let schema = introspect::read(&mut tx).await;
        tx.rollback().await?;
        schema
    }

    /// Whether an index serves `expression = …` on `table`, as the planner answers with
    /// sequential scans discouraged (PostgreSQL prints an indexed expression its own way, so
    /// the catalog's text cannot tell); `None` where the planner is not asked (SQLite).
    pub async fn index_serves(&self, table: &str, expression: &str) -> Result<Option<bool>> {
        match self {
            Db::Postgres(_) => postgres::index_serves(self, table, expression)
                .await
                .map(Some),
            Db::Sqlite(_) => Ok(None),
        }
    }

    pub async fn close(self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Whether the server accepts connections at all, without logging in: a TCP connection that
/// sends nothing, which PostgreSQL drops without a log line. A full connection here would cost
/// a second backend (and TLS handshake) for every run (issue 16). A Unix socket, or a server
/// that accepts the connection, goes on to the pool, whose errors other than a refusal come
/// back at once.
async fn probe_server(options: &PgConnectOptions) -> std::io::Result<()> {
    if options.get_socket().is_some() || options.get_host().starts_with('/') {
        return Ok(());
    }
    tokio::net::TcpStream::connect((options.get_host(), options.get_port()))
        .await
        .map(drop)
}

/// A transaction on either database.
pub enum Tx {
    Postgres(PoolTx<sqlx::Postgres>),
    Sqlite(PoolTx<sqlx::Sqlite>),
}

macro_rules! bound {
    ($sql:expr) => {{
        let mut query = sqlx::query(AssertSqlSafe($sql.text().to_owned()));
        for param in $sql.params() {
            query = match param {
                Param::Text(s) => query.bind(s.clone()),
                Param::Int(i) => query.bind(*i),
                Param::Null => query.bind(Option::<String>::None),
            };
        }
        query
    }};
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Postgres(_) => Dialect::Postgres,
            Tx::Sqlite(_) => Dialect::Sqlite,
        }
    }

    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Runs a statement; returns the number of rows it affected.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        let affected = match self {
            Tx::Postgres(tx) => bound!(sql).execute(&mut **tx).await?.rows_affected(),
            Tx::Sqlite(tx) => bound!(sql).execute(&mut **tx).await?.rows_affected(),
        };
        Ok(affected)
    }

    /// Fetches every row; each column as text (PostgreSQL statements cast non-text columns).
    pub async fn fetch_rows(&mut self, sql: &Sql) -> Result<Vec<Vec<Option<String>>>> {
        match self {
            Tx::Postgres(tx) => {
                let rows = bound!(sql).fetch_all(&mut **tx).await?;
                rows.iter().map(pg_text_row).collect()
            }
            Tx::Sqlite(tx) => {
                let rows = bound!(sql).fetch_all(&mut **tx).await?;
                rows.iter().map(sqlite_text_row).collect()
            }
        }
    }

    /// The first column of every row, as text.
    pub async fn fetch_column(&mut self, sql: &Sql) -> Result<Vec<Option<String>>> {
        Ok(self
            .fetch_rows(sql)
            .await?
            .into_iter()
            .map(|mut r| r.swap_remove(0))
            .collect())
    }

    /// The first column of the first row, if any.
    pub async fn fetch_optional(&mut self, sql: &Sql) -> Result<Option<Vec<Option<String>>>> {
        Ok(self.fetch_rows(sql).await?.into_iter().next())
    }

    /// Calls `f` with each row of a statement whose every column is text (or NULL), borrowed
    /// from the row: no copy of any value, for long reads such as the ledger's.
    pub async fn for_each_text_row(
        &mut self,
        sql: &Sql,
        mut f: impl FnMut(&[Option<&str>]) -> Result<()>,
    ) -> Result<()> {
        match self {
            Tx::Postgres(tx) => {
                let mut rows = bound!(sql).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    let fields = (0..row.len())
                        .map(|i| row.try_get::<Option<&str>, _>(i))
                        .collect::<Result<Vec<_>, _>>()?;
                    f(&fields)?;
                }
            }
            Tx::Sqlite(tx) => {
                let mut rows = bound!(sql).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    let fields = (0..row.len())
                        .map(|i| row.try_get_unchecked::<Option<&str>, _>(i))
                        .collect::<Result<Vec<_>, _>>()?;
                    f(&fields)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a table exists (PostgreSQL: on the search path).
    pub async fn table_exists(&mut self, name: &str) -> Result<bool> {
        let sql = self.dialect().sql_ops().table_exists(name);
        Ok(self
            .fetch_optional(&sql)
            .await?
            .is_some_and(|row| row.first().is_some_and(Option::is_some)))
    }

    /// Streams rows as JSON objects. On PostgreSQL the statement must return one JSON text
    /// column (see [`Sql::row_json`]); on SQLite every column is converted by its runtime type.
    pub fn stream_json<'a>(
        &'a mut self,
        sql: &'a Sql,
    ) -> BoxStream<'a, Result<serde_json::Map<String, serde_json::Value>>> {
        match self {
            Tx::Postgres(tx) => bound!(sql)
                .fetch(&mut **tx)
                .map(|row| {
                    let text: String = row?.try_get(0)?;
                    Ok(serde_json::from_str(&text)?)
                })
                .boxed(),
            Tx::Sqlite(tx) => bound!(sql)
                .fetch(&mut **tx)
                .map(|row| sqlite_json_row(&row?, sql.json_columns()))
                .boxed(),
        }
    }

    /// Streams rows as JSON object text: on PostgreSQL the database's own rendering, passed
    /// through untouched (no parse, no re-serialisation); on SQLite the text of
    /// [`Tx::stream_json`]'s object, written without building it.
    pub fn stream_json_text<'a>(&'a mut self, sql: &'a Sql) -> BoxStream<'a, Result<String>> {
        match self {
            Tx::Postgres(tx) => bound!(sql)
                .fetch(&mut **tx)
                .map(|row| Ok(row?.try_get::<String, _>(0)?))
                .boxed(),
            Tx::Sqlite(tx) => {
                let mut order: Option<Vec<usize>> = None;
                bound!(sql)
                    .fetch(&mut **tx)
                    .map(move |row| {
                        let row = row?;
                        let order = order.get_or_insert_with(|| key_order(&row));
                        sqlite_json_text(&row, sql.json_columns(), order)
                    })
                    .boxed()
            }
        }
    }

    /// Calls `f` with each row of [`Tx::stream_json_text`] of `rows` (a statement begun with
    /// [`open_json_rows`] over `table`, whose rows `key` names one each): the same texts in the
    /// same order. Where the database renders rows a chunk at a time
    /// ([`SqlDialect::json_text_chunks`]), from those chunks, the next read while `f` takes
    /// this one; a chunk the database cannot render as privctl does is read row by row. An
    /// error of `f` ends the reading and is returned as it is.
    pub async fn for_each_json_text(
        &mut self,
        rows: &Sql,
        table: &TableInfo,
        key: &[String],
        mut f: impl FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let Some(chunks) = self.dialect().sql_ops().json_text_chunks(rows, table, key) else {
            return self.each_json_text(rows, &mut f).await;
        };
        for sql in &chunks.setup {
            self.execute(sql).await?;
        }
        let keys = i64::try_from(self.execute(&chunks.fill).await?)?;
        let mut after = 0;
        let mut current = if keys > 0 {
            Some(self.json_text_chunk(&chunks, after).await?)
        } else {
            None
        };
        while let Some(chunk) = current.take() {
            let upto = after + JSON_TEXT_CHUNK;
            let more = upto < keys;
            match chunk {
                Some(text) => {
                    let (next, written) = tokio::join!(
                        async {
                            if more {
                                self.json_text_chunk(&chunks, upto).await.map(Some)
                            } else {
                                Ok(None)
                            }
                        },
                        async { text.split('\n').try_for_each(&mut f) }
                    );
                    written?;
                    current = next?;
                }
                None => {
                    self.each_json_text(&(chunks.rows)(after, upto), &mut f)
                        .await?;
                    if more {
                        current = Some(self.json_text_chunk(&chunks, upto).await?);
                    }
                }
            }
            after = upto;
        }
        for sql in &chunks.teardown {
            self.execute(sql).await?;
        }
        Ok(())
    }

    /// The rows numbered after `after` of [`Tx::for_each_json_text`]'s temporary table, one
    /// text per line; `None` when they are to be read row by row: a row's text would differ
    /// from [`Tx::stream_json_text`]'s, or the database refused to render one (SQLite's
    /// `json_object` refuses most bytes; read row by row, a real error shows itself again).
    async fn json_text_chunk(
        &mut self,
        chunks: &JsonTextChunks,
        after: i64,
    ) -> Result<Option<String>> {
        let Ok(row) = self
            .fetch_optional(&(chunks.chunk)(after, after + JSON_TEXT_CHUNK))
            .await
        else {
            return Ok(None);
        };
        let mut row = row.unwrap_or_default().into_iter();
        let (text, odd) = (row.next().flatten(), row.nth(1).flatten());
        Ok(text.filter(|_| odd.as_deref() == Some("0")))
    }

    async fn each_json_text(
        &mut self,
        rows: &Sql,
        f: &mut impl FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let mut stream = self.stream_json_text(rows);
        while let Some(row) = stream.try_next().await? {
            f(&row)?;
        }
        Ok(())
    }

    /// Collects [`Tx::stream_json`].
    pub async fn fetch_json(
        &mut self,
        sql: &Sql,
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>> {
        self.stream_json(sql).try_collect().await
    }

    /// Sets the row-level-security tenant setting for the rest of this transaction.
    pub async fn set_tenant(&mut self, setting: &str, tenant: &str) -> Result<()> {
        if let Some(sql) = self.dialect().sql_ops().set_tenant(setting, tenant) {
            self.fetch_rows(&sql)
                .await
                .context("setting database.tenant_setting")?;
        }
        Ok(())
    }

    /// Whether row-level security filters `table` for the connected role in this transaction
    /// (PostgreSQL's `row_security_active`); SQLite has none.
    pub async fn row_security_active(&mut self, table: &str) -> Result<bool> {
        let Some(sql) = self.dialect().sql_ops().row_security_active(table) else {
            return Ok(false);
        };
        let row = self
            .fetch_optional(&sql)
            .await
            .with_context(|| format!("asking whether row-level security filters {table}"))?;
        Ok(row.is_some_and(|r| r.first().is_some_and(|v| v.as_deref() == Some("true"))))
    }

    /// The planner's estimate of `table`'s rows; `None` when it has none (never analysed) or
    /// the database keeps none (SQLite).
    pub async fn estimated_rows(&mut self, table: &str) -> Result<Option<f64>> {
        let Some(sql) = self.dialect().sql_ops().estimated_rows(table) else {
            return Ok(None);
        };
        let estimate = self
            .fetch_column(&sql)
            .await
            .with_context(|| format!("reading the row estimate of {table}"))?
            .into_iter()
            .flatten()
            .next()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|n| *n >= 0.0);
        Ok(estimate)
    }

    /// The leaf partitions of `table` range-partitioned on exactly `column`, each with its
    /// bound as the catalog prints it (`FOR VALUES FROM (…) TO (…)`); none where tables are
    /// never partitioned.
    pub async fn range_partitions(
        &mut self,
        table: &str,
        column: &str,
    ) -> Result<Vec<(String, String)>> {
        let Some(sql) = self.dialect().sql_ops().range_partitions_of(table, column) else {
            return Ok(Vec::new());
        };
        let leaves = self
            .fetch_rows(&sql)
            .await
            .with_context(|| format!("listing the partitions of {table}"))?;
        Ok(leaves
            .into_iter()
            .filter_map(|leaf| Some((leaf[0].clone()?, leaf[1].clone()?)))
            .collect())
    }

    /// The timestamp text `at` (a partition bound) as microseconds since the Unix epoch, as the
    /// database reads it; `None` when it cannot.
    pub async fn timestamp_micros(&mut self, at: &str) -> Option<i128> {
        let sql = self.dialect().sql_ops().timestamp_micros(at)?;
        let micros = self
            .fetch_column(&sql)
            .await
            .ok()
            .and_then(|r| r.into_iter().next())??;
        micros.parse::<i128>().ok()
    }

    /// Serialises transactions on `key` until this one ends (PostgreSQL's transaction-level
    /// advisory lock); SQLite's write transactions are exclusive already.
    pub async fn lock_until_end(&mut self, key: i64) -> Result<()> {
        if let Some(sql) = self.dialect().sql_ops().transaction_lock(key) {
            self.fetch_rows(&sql).await?;
        }
        Ok(())
    }

    /// Whether a purge can walk tables by physical pages here: a database that has TID range
    /// scans ([`SqlDialect::page_walks`]), PostgreSQL 14 or later.
    pub async fn page_walks(&mut self) -> Result<bool> {
        let ops = self.dialect().sql_ops();
        let (true, Some(statement)) = (ops.page_walks(), ops.server_version()) else {
            return Ok(false);
        };
        let mut sql = self.sql();
        sql.push(statement);
        let version = self
            .fetch_column(&sql)
            .await
            .context("reading the server version")?
            .into_iter()
            .flatten()
            .next()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(version >= 140_000)
    }

    /// `table`'s size from the catalog, for a walk by pages; `None` where there are no pages
    /// to walk (SQLite).
    pub async fn table_pages(&mut self, table: &str) -> Result<Option<TablePages>> {
        let Some(sql) = self.dialect().sql_ops().table_pages(table) else {
            return Ok(None);
        };
        let row = self.fetch_optional(&sql).await?.unwrap_or_default();
        let number = |i: usize| -> i64 {
            row.get(i)
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(Some(TablePages {
            pages: number(0),
            rows_per_page: number(1),
            rows: number(2),
            estimate: row.get(3).cloned().flatten().and_then(|v| v.parse().ok()),
        }))
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Postgres(tx) => tx.rollback().await?,
            Tx::Sqlite(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Rows per chunk of [`Tx::for_each_json_text`].
const JSON_TEXT_CHUNK: i64 = 2_000;

/// A table's size in pages (see [`Tx::table_pages`]); 0 where the catalog has no figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TablePages {
    pub pages: i64,
    pub rows_per_page: i64,
    /// The estimated rows.
    pub rows: i64,
    /// The planner's estimate of the rows now: the rows per page of the last ANALYZE or VACUUM
    /// times the table's present size in pages. `None` when the table was never analysed, or
    /// has grown from no pages since.
    pub estimate: Option<u64>,
}

fn pg_text_row(row: &PgRow) -> Result<Vec<Option<String>>> {
    (0..row.len())
        .map(|i| {
            let type_name = row.try_get_raw(i)?.type_info().to_string();
            let text = match type_name.as_str() {
                "INT8" => row.try_get::<Option<i64>, _>(i)?.map(|v| v.to_string()),
                "INT4" => row.try_get::<Option<i32>, _>(i)?.map(|v| v.to_string()),
                "INT2" => row.try_get::<Option<i16>, _>(i)?.map(|v| v.to_string()),
                "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(|v| v.to_string()),
                "VOID" => None,
                _ => row.try_get::<Option<String>, _>(i)?,
            };
            Ok(text)
        })
        .collect()
}

fn sqlite_text_row(row: &SqliteRow) -> Result<Vec<Option<String>>> {
    // SQLite converts any value to text on request; the type check is not wanted here.
    (0..row.len())
        .map(|i| {
            row.try_get_unchecked::<Option<String>, _>(i)
                .map_err(Into::into)
        })
        .collect()
}

/// The column indices of `row` in the order a [`serde_json::Map`] holds their names, so
/// [`sqlite_json_text`] writes the object [`sqlite_json_row`] would serialise.
fn key_order(row: &SqliteRow) -> Vec<usize> {
    let map: serde_json::Map<String, serde_json::Value> = row
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name().to_owned(), serde_json::Value::from(i)))
        .collect();
    map.values()
        .filter_map(serde_json::Value::as_u64)
        .map(|i| i as usize)
        .collect()
}

/// `serde_json::to_string(&sqlite_json_row(row, json_columns))`, written directly: no map, no
/// value copied but a JSON column's document.
fn sqlite_json_text(row: &SqliteRow, json_columns: &[String], order: &[usize]) -> Result<String> {
    use base64::Engine as _;
    use sqlx::TypeInfo as _;
    use std::io::Write as _;
    let columns = row.columns();
    let mut out: Vec<u8> = Vec::with_capacity(256);
    out.push(b'{');
    for (n, &i) in order.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let name = columns[i].name();
        serde_json::to_writer(&mut out, name)?;
        out.push(b':');
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            out.extend_from_slice(b"null");
            continue;
        }
        match raw.type_info().name() {
            "INTEGER" => write!(out, "{}", row.try_get_unchecked::<i64, _>(i)?)?,
            "REAL" => serde_json::to_writer(
                &mut out,
                &serde_json::Value::from(row.try_get_unchecked::<f64, _>(i)?),
            )?,
            "BLOB" => serde_json::to_writer(
                &mut out,
                &base64::engine::general_purpose::STANDARD
                    .encode(row.try_get_unchecked::<&[u8], _>(i)?),
            )?,
            _ => {
                let text = row.try_get_unchecked::<&str, _>(i)?;
                if json_columns.iter().any(|c| c == name) {
                    let value = serde_json::from_str(text)
                        .unwrap_or_else(|_| serde_json::Value::from(text));
                    serde_json::to_writer(&mut out, &value)?;
                } else {
                    serde_json::to_writer(&mut out, text)?;
                }
            }
        }
    }
    out.push(b'}');
    Ok(String::from_utf8(out)?)
}

fn sqlite_json_row(
    row: &SqliteRow,
    json_columns: &[String],
) -> Result<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    use serde_json::Value;
    let mut out = serde_json::Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            match raw.type_info().to_string().as_str() {
                "INTEGER" => Value::from(row.try_get_unchecked::<i64, _>(i)?),
                "REAL" => Value::from(row.try_get_unchecked::<f64, _>(i)?),
                "BLOB" => Value::from(
                    base64::engine::general_purpose::STANDARD
                        .encode(row.try_get_unchecked::<Vec<u8>, _>(i)?),
                ),
                _ => {
                    let text = row.try_get_unchecked::<String, _>(i)?;
                    // A JSON column's document, nested as PostgreSQL's json and jsonb are;
                    // text that is not JSON stays text.
                    if json_columns.iter().any(|c| c == column.name()) {
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    } else {
                        Value::from(text)
                    }
                }
            }
        };
        out.insert(column.name().to_owned(), value);
    }
    Ok(out)
}

/// Whether `error` is PostgreSQL giving up on a lock (`lock_timeout`, SQLSTATE 55P03).
pub fn is_lock_timeout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|e| e.code())
            .is_some_and(|code| code == "55P03")
    })
}

/// A database URL with any password replaced, for messages: the one in the user information
/// (`user:***@host`) and any query parameter whose name holds `password` (`?password=`,
/// `sslpassword=`).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Starts a statement whose rows come back as JSON objects (see [`Tx::stream_json`]): on
/// PostgreSQL the database renders each row (`row_to_json`, bytes as base64); on SQLite the
/// columns are converted by their runtime type. Continue with ` FROM … WHERE …`, then call
/// [`close_json_rows`].
pub fn open_json_rows(sql: &mut Sql, info: &TableInfo, alias: &str) {
    sql.dialect().sql_ops().open_json_rows(sql, info, alias);
}

/// Ends a statement begun with [`open_json_rows`].
pub fn close_json_rows(sql: &mut Sql) {
    sql.dialect().sql_ops().close_json_rows(sql);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQL that only one of the databases speaks: it belongs in `postgres.rs` or `sqlite.rs`.
    const ONE_DATABASE_SQL: &[&str] = &[
        "pg_",
        "TABLESAMPLE",
        "FOR SHARE",
        "FOR UPDATE",
        "SKIP LOCKED",
        "ctid",
        "AS tid",
        "::text",
        "::bigint",
        "AS jsonb",
        "jsonb_",
        "privctl_try_jsonb",
        "#>>",
        "->>",
        "json_build_array",
        "json_array_elements",
        "row_to_json",
        "regclass",
        "set_config",
        "SET LOCAL",
        "ON COMMIT",
        "CONCURRENTLY",
        "MATERIALIZED",
        "COLLATE",
        "strpos(",
        "sqlite_master",
        "json_each",
        "json_tree",
        "json_extract",
        "json_array(",
        "group_concat",
        "julianday",
        "strftime",
        " GLOB ",
        "instr(",
    ];

    /// Why `line` (code, comments removed) tells the databases apart, if it does.
    fn dialect_branch(line: &str) -> Option<String> {
        for variant in ["Dialect", "Db", "Tx"] {
            for dialect in ["Postgres", "Sqlite"] {
                let token = format!("{variant}::{dialect}");
                let named = line.match_indices(&token).any(|(at, _)| {
                    !line[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if named {
                    return Some(format!("names `{token}`"));
                }
            }
        }
        if compares_dialects(line) {
            return Some("compares a dialect".into());
        }
        if line.contains("map_or(\"text\"") && line.contains("sql_type") {
            return Some(
                "reads a catalog type as text for a cast: use TableInfo::cast_type (a SqlType)"
                    .into(),
            );
        }
        ONE_DATABASE_SQL
            .iter()
            .find(|marker| line.contains(**marker))
            .map(|marker| format!("holds SQL only one database speaks (`{marker}`)"))
    }

    /// An expression that is a dialect: `dialect`, `tx.dialect()`, `self.model.dialect`, or a
    /// dialect's name as a string.
    fn is_dialect(expression: &str) -> bool {
        let e = expression
            .trim()
            .trim_start_matches('&')
            .to_ascii_lowercase();
        e.ends_with("dialect")
            || e.ends_with("dialect()")
            || e.contains("dialect::")
            || e == "\"postgres\""
            || e == "\"sqlite\""
    }

    /// `==`/`!=` with a dialect on either side, or `match`/`matches!` on a dialect (alone or
    /// first in a tuple).
    fn compares_dialects(line: &str) -> bool {
        let stop = |c: char| c.is_whitespace() || matches!(c, ')' | '{' | '&' | '|' | ',' | ';');
        for op in ["==", "!="] {
            for (at, _) in line.match_indices(op) {
                let left = line[..at].trim_end();
                let left = &left[left
                    .rfind(|c: char| c.is_whitespace() || c == '(')
                    .map_or(0, |i| i + 1)..];
                let right = line[at + 2..].trim_start();
                let right = &right[..right.find(stop).unwrap_or(right.len())];
                if is_dialect(left) || is_dialect(right) {
                    return true;
                }
            }
        }
        let scrutinee = |after: &str| {
            let rest = after.trim_start();
            let rest = rest.strip_prefix('(').unwrap_or(rest);
            let end = rest.find([',', '{', ')']).unwrap_or(rest.len());
            is_dialect(&rest[..end])
        };
        line.match_indices("match ")
            .any(|(at, _)| scrutinee(&line[at + 6..]))
            || line
                .match_indices("matches!(")
                .any(|(at, _)| scrutinee(&line[at + 9..]))
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every difference between the databases lives in `db/` (README: "the only place that
    /// knows their differences"): no code outside it names a dialect's variant, compares
    /// dialects or writes SQL only one database speaks. A file's unit tests (from its
    /// `#[cfg(test)]` on) may name the dialect they test.
    #[test]
    fn no_dialect_branch_outside_db() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        files.sort();
        let mut found = Vec::new();
        for path in &files {
            let relative = path
                .strip_prefix(root)
                .expect("under the crate")
                .to_string_lossy()
                .replace('\\', "/");
            if relative.starts_with("src/db/") {
                continue;
            }
            let text = std::fs::read_to_string(path).expect("a readable source file");
            for (i, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[cfg(test)]") {
                    break;
                }
                let code = match line.find("//") {
                    // A `//` inside a string (a URL) is not a comment.
                    Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
                    _ => line,
                };
                if let Some(why) = dialect_branch(code) {
                    found.push(format!("{relative}:{}: {why}: {}", i + 1, line.trim()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "dialect differences outside src/db/ (move them behind db::SqlDialect):\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_guard_sees_branches() {
        for line in [
            "if tx.dialect() == Dialect::Postgres {",
            "match dialect {",
            "if model.dialect != crate::db::Dialect::Sqlite",
            "Tx::Sqlite(tx) => {}",
            "sql.push(\" FOR UPDATE\");",
            "if db.dialect().name() == \"sqlite\" {",
            "match (dialect, reltuples) {",
            "if matches!(sql.dialect(), Dialect::Sqlite) {",
            "if self.dialect == other.dialect {",
            ".map_or(\"text\", |c| c.sql_type.as_str())",
        ] {
            assert!(dialect_branch(line).is_some(), "{line}");
        }
        for line in [
            "let ops = dialect.sql_ops();",
            "sql.for_update();",
            "impl SqlDialect for X {}",
            "match tx.dialect().sql_ops().ledger_chunk_head() {",
            "let model = match Model::resolve(map, &schema, db.dialect()) {",
            "match one_expression(text, dialect.sql_ops().grammar()) {",
        ] {
            assert!(dialect_branch(line).is_none(), "{line}");
        }
    }

    #[test]
    fn quoting_doubles_quotes_and_passwords_never_show() {
        assert_eq!(
            Dialect::Postgres.quote(r#"we"ird name"#),
            r#""we""ird name""#
        );
        assert_eq!(Dialect::Sqlite.placeholder(3), "?3");
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite://demo.db"), "sqlite://demo.db");
        assert_eq!(
            redact_url("postgres://app@db/x?password=s3cret&sslmode=require&sslpassword=k3y"),
            "postgres://app@db/x?password=***&sslmode=require&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgresql://app:pw@db/x?PassWord=s3cret"),
            "postgresql://app:***@db/x?PassWord=***"
        );
    }
}
