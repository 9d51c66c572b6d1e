//! A transaction on a pooled connection that goes back to the pool when the transaction ends.
//!
//! sqlx hands a connection back by spawning a task when the connection is dropped, and that
//! task pings the server before the connection is idle again. A command runs its transactions
//! one after another, so the next transaction asks the pool before that task has run, and the
//! pool opens a second connection: a second backend and handshake, 5–10 ms per run (issue 16).
//! Here the transaction ends with COMMIT or ROLLBACK and then awaits the connection's return,
//! so the next transaction finds it idle. One connection serves a whole run.
//!
//! A transaction dropped while still open (an error on the way) closes its connection instead:
//! the server rolls the transaction back, and nothing half-done is ever reused.

use std::ops::{Deref, DerefMut};

use anyhow::Result;
use sqlx::pool::PoolConnection;
use sqlx::{Database, Executor, Pool};

pub struct PoolTx<DB: Database> {
    /// Set to close on drop from the start: dropped before its transaction ended, it is
    /// closed; ended, it no longer holds the connection (see [`PoolTx::end`]).
    conn: PoolConnection<DB>,
}

impl<DB: Database> PoolTx<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Takes a connection from `pool` and starts a transaction on it with `begin`.
    pub async fn begin(pool: &Pool<DB>, begin: &'static str) -> Result<Self> {
        let mut conn = pool.acquire().await?;
        conn.close_on_drop();
        sqlx::raw_sql(begin).execute(&mut *conn).await?;
        Ok(Self { conn })
    }

    pub async fn commit(self) -> Result<()> {
        self.end("COMMIT").await
    }

    pub async fn rollback(self) -> Result<()> {
        self.end("ROLLBACK").await
    }

    /// Ends the transaction with `statement`, then hands the connection back and waits until
    /// it is idle in the pool (sqlx pings it first). If the statement fails, the connection is
    /// dropped and closed.
    async fn end(mut self, statement: &'static str) -> Result<()> {
        sqlx::raw_sql(statement).execute(&mut *self.conn).await?;
        self.conn.return_to_pool().await;
        Ok(())
    }
}

impl<DB: Database> Deref for PoolTx<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl<DB: Database> DerefMut for PoolTx<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}
