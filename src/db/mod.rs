//! Both databases behind one interface. This module and its children are the only places that
//! know how PostgreSQL and SQLite differ: quoting, placeholders, transactions, introspection and
//! how a row becomes JSON.

mod introspect;
mod lock;
mod migrate;
mod sql;

use std::str::FromStr;
use std::time::Duration as StdDuration;

use anyhow::{Context as _, Result};
use futures_util::{StreamExt as _, TryStreamExt as _, stream::BoxStream};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Column as _, Row as _, ValueRef as _};

pub use introspect::{
    ColumnInfo, ForeignKey, IndexInfo, IndexKey, OnDelete, Schema, TableInfo, TriggerInfo,
};
pub use lock::{Holder, LockCheck, RunLock, lock_name, process_runs};
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
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// Quotes an identifier: always, so hostile or reserved names are only ever names.
    pub fn quote(self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// The placeholder of the `n`th bound value (1-based).
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => format!("?{n}"),
        }
    }
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
                .options([("TimeZone", "UTC"), ("lock_timeout", "5s")]);
            // One connection first: a refused port or an unknown host fails here at once with
            // its own message, where the pool would retry for its whole acquire timeout and
            // then say only that it timed out.
            let first = sqlx::ConnectOptions::connect(&options)
                .await
                .with_context(|| format!("connecting to {shown}"))?;
            sqlx::Connection::close(first).await.ok();
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
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
            (Db::Postgres(pool), TxMode::Write) => Tx::Postgres(pool.begin().await?),
            (Db::Sqlite(pool), TxMode::Snapshot) => Tx::Sqlite(pool.begin().await?),
            (Db::Sqlite(pool), TxMode::Write) => {
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)
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

    pub async fn close(self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }
}

/// A transaction on either database.
pub enum Tx {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
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
        let mut sql = self.sql();
        match self.dialect() {
            Dialect::Postgres => sql
                .push("SELECT CAST(to_regclass(")
                .bind(Param::Text(name.to_owned()))
                .push(") AS text)"),
            Dialect::Sqlite => sql
                .push("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ")
                .bind(Param::Text(name.to_owned())),
        };
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
    /// through untouched (no parse, no re-serialisation); on SQLite, as [`Tx::stream_json`].
    pub fn stream_json_text<'a>(&'a mut self, sql: &'a Sql) -> BoxStream<'a, Result<String>> {
        match self {
            Tx::Postgres(tx) => bound!(sql)
                .fetch(&mut **tx)
                .map(|row| Ok(row?.try_get::<String, _>(0)?))
                .boxed(),
            Tx::Sqlite(tx) => bound!(sql)
                .fetch(&mut **tx)
                .map(|row| {
                    Ok(serde_json::to_string(&sqlite_json_row(
                        &row?,
                        sql.json_columns(),
                    )?)?)
                })
                .boxed(),
        }
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
        if let Tx::Postgres(_) = self {
            let mut sql = self.sql();
            sql.push("SELECT set_config(")
                .bind(Param::Text(setting.to_owned()))
                .push(", ")
                .bind(Param::Text(tenant.to_owned()))
                .push(", true)");
            self.fetch_rows(&sql)
                .await
                .context("setting database.tenant_setting")?;
        }
        Ok(())
    }

    /// Turns PostgreSQL's JIT compilation off for the rest of this transaction, for statements
    /// whose cost is the functions they call on every row (a content scan): the planner cannot
    /// tell how few rows such a filter keeps, so it compiles them, and compiling cost more than
    /// it saved (90 ms of a 170 ms tenant scan, 0.7 s of a 3.7 s scan of every row). SQLite has
    /// no JIT.
    pub async fn without_jit(&mut self) -> Result<()> {
        if let Tx::Postgres(_) = self {
            let mut sql = self.sql();
            sql.push("SET LOCAL jit = off");
            self.execute(&sql).await.context("turning JIT off")?;
        }
        Ok(())
    }

    /// Whether row-level security filters `table` for the connected role in this transaction
    /// (PostgreSQL's `row_security_active`); SQLite has none.
    pub async fn row_security_active(&mut self, table: &str) -> Result<bool> {
        if self.dialect() != Dialect::Postgres {
            return Ok(false);
        }
        let mut sql = self.sql();
        sql.push("SELECT row_security_active(CAST(")
            .bind(Param::Text(self.dialect().quote(table)))
            .push(" AS regclass))");
        let row = self
            .fetch_optional(&sql)
            .await
            .with_context(|| format!("asking whether row-level security filters {table}"))?;
        Ok(row.is_some_and(|r| r.first().is_some_and(|v| v.as_deref() == Some("true"))))
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
    match sql.dialect() {
        Dialect::Postgres => {
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
        Dialect::Sqlite => {
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
    }
}

/// Ends a statement begun with [`open_json_rows`].
pub fn close_json_rows(sql: &mut Sql) {
    if sql.dialect() == Dialect::Postgres {
        sql.push(") x");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
