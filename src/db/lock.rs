//! One run at a time: a session advisory lock on PostgreSQL, a lock row on SQLite.
//!
//! PostgreSQL releases an advisory lock when its session ends, so a killed run never leaves one
//! behind. SQLite has no sessions: the lock is a row in `privctl_locks` naming the process that
//! holds it, and a row whose process no longer runs on this host is taken over.

use anyhow::{Context as _, Result};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Row as _};

use super::{Db, Param, Tx, TxMode};
use crate::clock::Timestamp;
use crate::error::Failure;
use crate::ledger::sha256_hex;

/// A held lock; [`RunLock::release`] gives it back. On PostgreSQL dropping it also does: the
/// session closes.
pub struct RunLock {
    inner: Held,
}

enum Held {
    Postgres {
        conn: PoolConnection<sqlx::Postgres>,
        key: i64,
        /// The backend holding the lock (`pg_backend_pid()`).
        pid: i64,
    },
    Sqlite {
        db: Db,
        name: String,
        holder: String,
    },
}

/// Who holds a lock that could not be taken.
#[derive(Debug, Clone)]
pub struct Holder(pub String);

impl Db {
    /// Takes the lock `name` without waiting; `Err(Holder)` inside `Ok` when another run has it.
    pub async fn try_lock(&self, name: &str, now: Timestamp) -> Result<Result<RunLock, Holder>> {
        match self {
            Db::Postgres(pool) => {
                let key = advisory_key(name);
                let mut conn = pool.acquire().await?;
                // Back in the pool, the session (and the lock) would outlive the run.
                conn.close_on_drop();
                let taken: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut *conn)
                    .await
                    .context("taking the advisory lock")?
                    .try_get(0)?;
                if !taken {
                    let holder: Option<String> = sqlx::query(
                        "SELECT a.application_name || COALESCE(' on ' || host(a.client_addr), ' on this database host') || ' (backend ' || a.pid || ') since ' || a.backend_start::text \
                         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                         WHERE l.locktype = 'advisory' AND l.granted AND (l.classid::bigint << 32 | l.objid::bigint) = $1 LIMIT 1",
                    )
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|row| row.try_get(0).ok());
                    return Ok(Err(Holder(
                        holder.unwrap_or_else(|| "another PostgreSQL session".into()),
                    )));
                }
                let pid: i32 = sqlx::query("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await
                    .context("reading the lock session's backend")?
                    .try_get(0)?;
                Ok(Ok(RunLock {
                    inner: Held::Postgres {
                        conn,
                        key,
                        pid: i64::from(pid),
                    },
                }))
            }
            Db::Sqlite(_) => {
                let host = gethostname::gethostname().to_string_lossy().into_owned();
                let pid = std::process::id();
                let holder = format!("pid {pid} on {host}");
                let mut tx = self.begin(TxMode::Write).await?;
                let mut sql = self.sql();
                sql.push("SELECT holder, pid, host, acquired_at FROM privctl_locks WHERE name = ")
                    .bind(Param::Text(name.to_owned()));
                let row = tx
                    .fetch_optional(&sql)
                    .await
                    .context("reading privctl_locks")?;
                if let Some(row) = row {
                    let field = |i: usize| row[i].clone().unwrap_or_default();
                    let alive = field(2) != host || process_runs(&field(1));
                    if alive {
                        tx.rollback().await?;
                        return Ok(Err(Holder(format!(
                            "{} since {} (if no such run is active, remove the row: DELETE FROM privctl_locks WHERE name = '{name}')",
                            field(0),
                            field(3)
                        ))));
                    }
                    let mut sql = self.sql();
                    sql.push("DELETE FROM privctl_locks WHERE name = ")
                        .bind(Param::Text(name.to_owned()));
                    tx.execute(&sql).await?;
                }
                let mut sql = self.sql();
                sql.push(
                    "INSERT INTO privctl_locks (name, holder, pid, host, acquired_at) VALUES (",
                )
                .bind(Param::Text(name.to_owned()))
                .push(", ")
                .bind(Param::Text(holder.clone()))
                .push(", ")
                .bind(Param::Int(i64::from(pid)))
                .push(", ")
                .bind(Param::Text(host))
                .push(", ")
                .bind(Param::Text(now.to_canonical()))
                .push(")");
                tx.execute(&sql).await?;
                tx.commit().await?;
                Ok(Ok(RunLock {
                    inner: Held::Sqlite {
                        db: self.clone(),
                        name: name.to_owned(),
                        holder,
                    },
                }))
            }
        }
    }
}

/// What a batch checks, inside its own transaction, to know the run's lock is still held.
#[derive(Debug, Clone)]
pub enum LockCheck {
    Postgres { key: i64, pid: i64 },
    Sqlite { name: String, holder: String },
}

impl LockCheck {
    /// Fails (exit 75) unless the lock is still held by this run: on PostgreSQL, its session
    /// still holds the advisory lock (a terminated backend or a restarted server loses it, and
    /// another run may have taken it since); on SQLite, the lock row still names this run.
    /// Checked inside each batch's transaction, so a batch never commits after the loss is
    /// visible.
    pub async fn verify(&self, tx: &mut Tx) -> Result<()> {
        let mut sql = tx.sql();
        match self {
            LockCheck::Postgres { key, pid } => {
                sql.push(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ",
                )
                .bind(Param::Int(*pid))
                .push(" AND (classid::bigint << 32 | objid::bigint) = ")
                .bind(Param::Int(*key));
            }
            LockCheck::Sqlite { name, holder } => {
                sql.push("SELECT 1 FROM privctl_locks WHERE name = ")
                    .bind(Param::Text(name.clone()))
                    .push(" AND holder = ")
                    .bind(Param::Text(holder.clone()));
            }
        }
        let held = tx
            .fetch_optional(&sql)
            .await
            .context("checking that this run still holds its lock")?
            .is_some();
        if held {
            Ok(())
        } else {
            Err(Failure::locked(
                "this run lost its lock (its database session ended: a terminated backend or a restarted server), so another run may be working; stopped before the next batch, which was not committed",
            )
            .with_hint("run the same command again: it resumes where this one stopped, once no other run holds the lock")
            .into())
        }
    }
}

impl RunLock {
    /// What each batch checks to know the lock is still held.
    pub fn check(&self) -> LockCheck {
        match &self.inner {
            Held::Postgres { key, pid, .. } => LockCheck::Postgres {
                key: *key,
                pid: *pid,
            },
            Held::Sqlite { name, holder, .. } => LockCheck::Sqlite {
                name: name.clone(),
                holder: holder.clone(),
            },
        }
    }

    pub async fn release(self) -> Result<()> {
        match self.inner {
            Held::Postgres { mut conn, key, .. } => {
                sqlx::query(AssertSqlSafe("SELECT pg_advisory_unlock($1)".to_owned()))
                    .bind(key)
                    .execute(&mut *conn)
                    .await?;
            }
            Held::Sqlite { db, name, holder } => {
                let mut tx = db.begin(TxMode::Write).await?;
                let mut sql = db.sql();
                sql.push("DELETE FROM privctl_locks WHERE name = ")
                    .bind(Param::Text(name))
                    .push(" AND holder = ")
                    .bind(Param::Text(holder));
                tx.execute(&sql).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// A run lock as `privctl status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockState {
    pub name: Option<String>,
    pub holder: Option<String>,
    pub since: Option<String>,
    pub state: &'static str,
}

/// Run locks: on PostgreSQL the advisory locks held by privctl sessions in this database (never
/// stale: they end with their session), named from `names` (the locks privctl may take); on
/// SQLite the rows of `privctl_locks`, stale when their process no longer runs on this host.
pub async fn run_locks(tx: &mut Tx, names: &[String]) -> Result<Vec<LockState>> {
    let mut sql = tx.sql();
    match tx {
        Tx::Postgres(_) => {
            sql.push(
                "SELECT CAST((l.classid::bigint << 32 | l.objid::bigint) AS text), \
                 a.application_name || COALESCE(' on ' || host(a.client_addr), ' on this database host') || ' (backend ' || a.pid || ')', \
                 CAST(a.backend_start AS text) \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'privctl pid %' \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 ORDER BY 3",
            );
            let rows = tx.fetch_rows(&sql).await.context("reading pg_locks")?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    let key = r[0].as_deref().and_then(|k| k.parse::<i64>().ok());
                    let name = key
                        .and_then(|k| lock_name(k, names))
                        .unwrap_or("(a privctl lock)");
                    LockState {
                        name: Some(name.to_owned()),
                        holder: r[1].clone(),
                        since: r[2].clone(),
                        state: "held",
                    }
                })
                .collect())
        }
        Tx::Sqlite(_) => {
            sql.push("SELECT name, holder, CAST(pid AS text), host, acquired_at FROM privctl_locks ORDER BY name");
            let rows = tx.fetch_rows(&sql).await.context("reading privctl_locks")?;
            let here = gethostname::gethostname().to_string_lossy().into_owned();
            Ok(rows
                .into_iter()
                .map(|r| {
                    let pid = r[2].clone().unwrap_or_default();
                    let on_this_host = r[3].as_deref() == Some(here.as_str());
                    let state = if !on_this_host {
                        "held (on another host)"
                    } else if process_runs(&pid) {
                        "held"
                    } else {
                        "stale: its process is gone; the next run takes it over"
                    };
                    LockState {
                        name: r[0].clone(),
                        holder: r[1].clone(),
                        since: r[4].clone(),
                        state,
                    }
                })
                .collect())
        }
    }
}

/// The PostgreSQL advisory lock key of the lock `name`.
fn advisory_key(name: &str) -> i64 {
    let digest = sha256_hex(format!("privctl-lock/{name}").as_bytes());
    i64::from_str_radix(&digest[..15], 16).expect("hex digits")
}

/// The name among `candidates` of the lock whose advisory key is `key` (an advisory lock keeps
/// only the key): `purge-retention`, `delete-tenant/<job>`.
pub fn lock_name(key: i64, candidates: &[String]) -> Option<&str> {
    candidates
        .iter()
        .map(String::as_str)
        .find(|name| advisory_key(name) == key)
}

/// Whether process `pid` runs on this host (Linux `/proc`; elsewhere assume it does).
pub fn process_runs(pid: &str) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    !pid.is_empty() && proc.join(pid).exists()
}
