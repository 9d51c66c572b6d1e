//! `privctl status`: what earlier runs left unfinished. Jobs that are running or stopped (a run
//! killed, or stopped by `--max-duration`: the same command resumes it), objects queued for
//! deletion from the blob stores and not yet gone, and the run locks: who holds them, and on
//! SQLite whether the holder is still alive.
//!
//! It reads privctl's own tables (and PostgreSQL's lock view) only, needs no data map, and
//! appends nothing to the ledger.

use anyhow::{Context as _, Result};

use super::Context;
use crate::db::{Tx, TxMode};
use crate::report::status::{Job, Lock, PendingObjects, Status};

/// Show unfinished jobs, blob objects still queued for deletion, and run locks
///
/// A job `running` whose process is gone, or `stopped`, resumes with the same command and token;
/// queued objects are deleted by the next destructive run of their tenant, or by
/// `privctl purge-retention --blobs-only`. A lock on SQLite whose process no longer runs on this
/// host is stale, and the next run takes it over.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(ctx: &Context, _args: Args) -> Result<()> {
    let db = ctx.connect().await?;
    db.require_privctl_tables().await?;
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let jobs = jobs(&mut tx).await?;
    let objects = pending_objects(&mut tx).await?;
    // The locks privctl may hold: the purge's, and one per open delete-tenant job.
    let mut names = vec!["purge-retention".to_owned()];
    names.extend(
        jobs.iter()
            .filter(|j| j.action.as_deref() == Some("delete-tenant"))
            .filter_map(|j| j.id.as_deref())
            .map(|id| format!("delete-tenant/{id}")),
    );
    let locks = locks(&mut tx, &names).await?;
    tx.rollback().await?;
    db.close().await;

    if ctx.ui.is_json() {
        ctx.ui.json(&Status {
            jobs,
            pending_objects: objects,
            locks,
        })?;
        return Ok(());
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    if jobs.is_empty() {
        ctx.ui.line("no unfinished job")?;
    } else {
        let rows = jobs
            .iter()
            .map(|j| {
                vec![
                    text(&j.action),
                    text(&j.tenant),
                    text(&j.state),
                    text(&j.started_at),
                    text(&j.updated_at),
                ]
            })
            .collect();
        ctx.ui.table(
            &["job", "tenant", "state", "started", "last progress"],
            rows,
        )?;
    }
    if objects.is_empty() {
        ctx.ui.line("no object queued for deletion")?;
    } else {
        let rows = objects
            .iter()
            .map(|o| {
                vec![
                    text(&o.store),
                    text(&o.tenant),
                    o.objects.to_string(),
                    o.failed.to_string(),
                    text(&o.oldest),
                ]
            })
            .collect();
        ctx.ui.table(
            &["store", "tenant", "queued objects", "with errors", "oldest"],
            rows,
        )?;
    }
    if locks.is_empty() {
        ctx.ui.line("no run lock held")?;
    } else {
        let rows = locks
            .iter()
            .map(|l| {
                vec![
                    text(&l.name),
                    text(&l.holder),
                    text(&l.since),
                    l.state.to_owned(),
                ]
            })
            .collect();
        ctx.ui.table(&["lock", "holder", "since", "state"], rows)?;
    }
    Ok(())
}

/// Jobs not finished: `running` (alive, or killed) and `stopped`.
async fn jobs(tx: &mut Tx) -> Result<Vec<Job>> {
    let mut sql = tx.sql();
    sql.push(
        "SELECT id, action, tenant, state, started_at, updated_at FROM privctl_jobs \
         WHERE finished_at IS NULL AND state IN ('running', 'stopped') ORDER BY started_at, id",
    );
    let rows = tx.fetch_rows(&sql).await.context("reading privctl_jobs")?;
    Ok(rows
        .into_iter()
        .map(|mut r| Job {
            id: r[0].take(),
            action: r[1].take(),
            tenant: r[2].take(),
            state: r[3].take(),
            started_at: r[4].take(),
            updated_at: r[5].take(),
        })
        .collect())
}

/// Objects queued and not yet deleted, per store and tenant.
async fn pending_objects(tx: &mut Tx) -> Result<Vec<PendingObjects>> {
    let mut sql = tx.sql();
    sql.push(
        "SELECT store, tenant, CAST(count(*) AS text), \
         CAST(sum(CASE WHEN last_error IS NULL THEN 0 ELSE 1 END) AS text), min(enqueued_at) \
         FROM privctl_blob_outbox WHERE done_at IS NULL GROUP BY store, tenant ORDER BY store, tenant",
    );
    let rows = tx
        .fetch_rows(&sql)
        .await
        .context("reading privctl_blob_outbox")?;
    let number = |v: &Option<String>| {
        v.as_deref()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(rows
        .into_iter()
        .map(|mut r| PendingObjects {
            store: r[0].take(),
            tenant: r[1].take(),
            objects: number(&r[2]),
            failed: number(&r[3]),
            oldest: r[4].take(),
        })
        .collect())
}

/// Run locks as `privctl status` shows them ([`crate::db::run_locks`]).
async fn locks(tx: &mut Tx, names: &[String]) -> Result<Vec<Lock>> {
    Ok(crate::db::run_locks(tx, names)
        .await?
        .into_iter()
        .map(|l| Lock {
            name: l.name,
            holder: l.holder,
            since: l.since,
            state: l.state,
        })
        .collect())
}
