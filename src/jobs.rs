//! `privctl_jobs`: the long confirmed runs (delete-tenant, purge-retention) and where they are.
//!
//! A job is keyed by its token: the same command with the same token finds it and resumes. Its
//! progress is the command's own typed state, saved as JSON in the transaction of each batch
//! that made it, so what the row says is always what the database holds.

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::Timestamp;
use crate::db::{Param, Tx};
use crate::ledger::sha256_hex;

/// How a job ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Done,
    /// `--max-duration` ran out: the next run with the same token goes on.
    Stopped,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Done => "done",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "done" => State::Done,
            "stopped" => State::Stopped,
            "failed" => State::Failed,
            _ => State::Running,
        }
    }
}

/// The job of one action run with one token.
#[derive(Debug, Clone)]
pub struct Job {
    /// A prefix of the token's hash: shown to operators and in the ledger, never the token.
    pub id: String,
    action: &'static str,
}

/// A job found in `privctl_jobs`.
#[derive(Debug)]
pub struct Found<P> {
    pub state: State,
    pub tenant: Option<String>,
    pub progress: P,
}

impl Job {
    /// The job `action` runs under `token`.
    pub fn of_token(action: &'static str, token: &str) -> Job {
        Job {
            id: sha256_hex(token.trim().as_bytes())[..16].to_owned(),
            action,
        }
    }

    /// The job as recorded, if a run with this token started it. Progress a version of privctl
    /// before this one saved in another shape reads as the default (a fresh start of the
    /// remaining work: every step is idempotent).
    pub async fn find<P: DeserializeOwned + Default>(
        &self,
        tx: &mut Tx,
    ) -> Result<Option<Found<P>>> {
        let mut sql = tx.sql();
        sql.push("SELECT state, tenant, progress FROM privctl_jobs WHERE id = ")
            .bind(Param::Text(self.id.clone()))
            .push(" AND action = ")
            .bind(Param::Text(self.action.to_owned()));
        let row = tx
            .fetch_optional(&sql)
            .await
            .with_context(|| format!("reading the {} job {}", self.action, self.id))?;
        Ok(row.map(|row| Found {
            state: State::parse(row[0].as_deref().unwrap_or_default()),
            tenant: row[1].clone(),
            progress: serde_json::from_str(row[2].as_deref().unwrap_or("{}")).unwrap_or_default(),
        }))
    }

    /// Records the job (state `running`), in the transaction that consumes or redeems its token.
    pub async fn insert(
        &self,
        tx: &mut Tx,
        tenant: Option<&str>,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut sql = tx.sql();
        sql.push("INSERT INTO privctl_jobs (id, action, tenant, token_hash, state, progress, started_at, updated_at) VALUES (")
            .bind(Param::Text(self.id.clone()))
            .push(", ")
            .bind(Param::Text(self.action.to_owned()))
            .push(", ")
            .bind(tenant.map_or(Param::Null, |t| Param::Text(t.to_owned())))
            .push(", ")
            .bind(Param::Text(token_hash.to_owned()))
            .push(", 'running', '{}', ")
            .bind(Param::Text(now.to_canonical()))
            .push(", ")
            .bind(Param::Text(now.to_canonical()))
            .push(")");
        tx.execute(&sql)
            .await
            .with_context(|| format!("recording the {} job", self.action))?;
        Ok(())
    }

    /// Saves `progress`, inside the batch that made it.
    pub async fn save(&self, tx: &mut Tx, progress: &impl Serialize, now: Timestamp) -> Result<()> {
        self.update(tx, None, progress, now).await
    }

    /// Saves `progress` and the state the run ends in (`finished_at` set when it is done).
    pub async fn end(
        &self,
        tx: &mut Tx,
        state: State,
        progress: &impl Serialize,
        now: Timestamp,
    ) -> Result<()> {
        self.update(tx, Some(state), progress, now).await
    }

    async fn update(
        &self,
        tx: &mut Tx,
        state: Option<State>,
        progress: &impl Serialize,
        now: Timestamp,
    ) -> Result<()> {
        let mut sql = tx.sql();
        sql.push("UPDATE privctl_jobs SET progress = ")
            .bind(Param::Text(serde_json::to_string(progress)?))
            .push(", updated_at = ")
            .bind(Param::Text(now.to_canonical()));
        if let Some(state) = state {
            sql.push(", state = ")
                .bind(Param::Text(state.as_str().into()));
            if state == State::Done {
                sql.push(", finished_at = ")
                    .bind(Param::Text(now.to_canonical()));
            }
        }
        sql.push(" WHERE id = ").bind(Param::Text(self.id.clone()));
        tx.execute(&sql).await.with_context(|| {
            format!(
                "recording the progress of the {} job {}",
                self.action, self.id
            )
        })?;
        Ok(())
    }
}
