//! The end of a purge run: what is still past its cutoff, the token consumed when everything
//! was purged, the job closed and the run recorded; then the queued objects and the summary.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use super::{ACTION, Progress, PurgeRun, Started, cutoffs_detail};
use crate::db::TxMode;
use crate::error::Failure;
use crate::jobs::State;
use crate::ledger::NewEntry;
use crate::map::Effect;
use crate::plan::count;
use crate::report::purge::{PurgeExecution, PurgedTable};
use crate::retention::LEDGER_TABLE;

pub(super) struct Outcome {
    pub stopped: bool,
    pub resumed: bool,
    pub failures: Vec<Value>,
    /// Tenants put under legal hold during the run (their remaining rows were left alone).
    pub held: BTreeSet<String>,
    /// `[retention] ledger`: what [`purge_ledger`] did.
    pub ledger: Option<Value>,
}

impl PurgeRun<'_> {
    /// Records the run's end: consumes the token when everything was purged, closes the job,
    /// appends the ledger entry, deletes the queued blobs and prints the summary.
    pub(super) async fn finish(
        &self,
        started: &Started,
        progress: &Progress,
        outcome: Outcome,
    ) -> Result<()> {
        let (ctx, session, job) = (self.ctx, self.session, &self.run.job);
        let Started {
            confirmation,
            windows,
            planned,
            ..
        } = started;
        let tenant = self.run.tenant;
        let complete = !outcome.stopped && outcome.failures.is_empty();
        let mut tx = session.db.begin(TxMode::Write).await?;

        // What is still past its cutoff: rows that live traffic held locked, or that arrived
        // with an old timestamp. They wait for the next run. Tables walked page by page are not
        // counted again: the walk visited every page, and counting over millions of just-deleted
        // rows would cost a third of the purge.
        let mut remaining: BTreeMap<String, u64> = BTreeMap::new();
        if complete {
            for purge in windows.purges(&session.model) {
                if purge
                    .tenant
                    .as_ref()
                    .is_some_and(|t| outcome.held.contains(t))
                {
                    continue;
                }
                session.set_tenant(&mut tx, purge.tenant.as_deref()).await?;
                for table in purge
                    .cutoffs
                    .keys()
                    .filter(|t| !progress.walks.contains_key(*t))
                {
                    let mut sql = tx.sql();
                    sql.push("SELECT count(*) FROM ")
                        .ident(table)
                        .push(" t WHERE ");
                    purge.push_own(&mut sql, table, "t", &mut 0);
                    let n = count(&mut tx, &sql).await?;
                    if n > 0 {
                        *remaining.entry(table.clone()).or_default() += n;
                    }
                }
            }
            confirmation.consume(&mut tx, &ctx.actor, ctx.now).await?;
        }
        let state = match (complete, outcome.stopped) {
            (true, _) => State::Done,
            (false, true) => State::Stopped,
            (false, false) => State::Failed,
        };
        job.end(&mut tx, state, progress, ctx.now).await?;
        let ledger_outcome = match state {
            State::Stopped => "partial",
            other => other.as_str(),
        };
        let counts: BTreeMap<&String, u64> = progress
            .tables
            .iter()
            .map(|(t, p)| (t, p.deleted))
            .collect();
        let details = json!({
            "tables": counts,
            "total_rows": progress.total(),
            "cutoffs": cutoffs_detail(windows),
            "remaining": remaining,
            "partitions_dropped": progress.partitions,
            "job": job.id,
            "resumed": outcome.resumed,
            "failures": outcome.failures,
            "held_during_run": outcome.held,
            "ledger": outcome.ledger,
        });
        session
            .ledger
            .append(
                &mut tx,
                ctx.now,
                NewEntry::new(ACTION, ledger_outcome, details).tenant(tenant),
            )
            .await?;
        tx.commit().await.context("finishing the purge")?;

        let blobs =
            crate::blobs::drain(&session.db, &session.map, &session.ledger, tenant, ctx.now)
                .await?;
        let mut failures = outcome.failures;
        if blobs.failed > 0 {
            failures.push(json!({"table": null, "error": format!("{} blob(s) could not be deleted and stay in the outbox: {}", blobs.failed, blobs.errors.join("; "))}));
        }

        let mut names: Vec<&String> = planned.keys().collect();
        names.extend(progress.tables.keys());
        let order = |t: &str| {
            session
                .model
                .erase_order
                .iter()
                .position(|n| n == t)
                .unwrap_or(usize::MAX)
        };
        names.sort_by_key(|t| std::cmp::Reverse(order(t)));
        names.dedup();
        let tables: Vec<PurgedTable> = names
            .iter()
            .map(|t| {
                let p = progress.tables.get(*t).cloned().unwrap_or_default();
                PurgedTable {
                    table: (*t).clone(),
                    planned: planned.get(*t).copied().unwrap_or(0),
                    deleted: p.deleted,
                    rows: p.deleted,
                    effect: Effect::Delete,
                    blobs: p.blobs,
                    batches: p.batches,
                    skipped_locked: p.skipped_locked,
                    seconds: (p.seconds * 1000.0).round() / 1000.0,
                }
            })
            .collect();
        for t in &tables {
            crate::metrics::table(&t.table, Some(t.effect), t.deleted);
        }
        crate::metrics::batches(tables.iter().map(|t| t.batches).sum());
        crate::metrics::blobs(&blobs);
        if ctx.ui.is_json() {
            ctx.ui.json(&PurgeExecution {
                action: ACTION,
                tenant,
                executed: true,
                complete,
                stopped: outcome.stopped.then_some("max-duration"),
                resumed: outcome.resumed,
                tables,
                total_rows: progress.total(),
                remaining: &remaining,
                partitions_dropped: &progress.partitions,
                skipped: &windows.skipped,
                held_during_run: &outcome.held,
                longest_batch_ms: progress.longest_batch_ms,
                blobs: &blobs,
                ledger: outcome.ledger.as_ref(),
                failures: &failures,
            })?;
        } else {
            let rows = tables
                .iter()
                .map(|t| {
                    vec![
                        t.table.clone(),
                        t.planned.to_string(),
                        t.deleted.to_string(),
                        t.batches.to_string(),
                        // As JSON prints it (`0.0`), as it always has.
                        Value::from(t.seconds).to_string(),
                    ]
                })
                .collect();
            ctx.ui
                .table(&["table", "planned", "deleted", "batches", "seconds"], rows)?;
            if let Some(ledger) = &outcome.ledger {
                ctx.ui.line(&format!(
                    "{LEDGER_TABLE}: {} entries written before {} purged; the ledger verifies from the checkpoint",
                    ledger["purged"],
                    ledger["cutoff"].as_str().unwrap_or_default()
                ))?;
            }
            for t in tables.iter().filter(|t| t.skipped_locked > 0) {
                ctx.ui.line(&format!(
                    "{}: {} expired row(s) skipped: live traffic held a lock on them or on rows that reference them",
                    t.table, t.skipped_locked
                ))?;
            }
            for (table, n) in &remaining {
                ctx.ui.line(&format!(
                    "{table}: {n} row(s) past the cutoff remain (locked by live traffic, or arrived late); the next run takes them"
                ))?;
            }
            ctx.ui.status(&format!(
                "{} rows purged; {} blob(s) deleted, {} failed",
                progress.total(),
                blobs.deleted,
                blobs.failed
            ));
        }
        for tenant in &outcome.held {
            ctx.ui.warn(&format!(
                "tenant {tenant} was put under legal hold during the run: its remaining rows were left alone"
            ));
        }
        if outcome.stopped {
            ctx.ui.warn(
                "stopped after --max-duration; run the same command with the same token (until it expires) to resume, or the next dry run starts over",
            );
        }
        if !failures.is_empty() {
            return Err(Failure::failed(format!(
                "the purge did not complete: {}",
                failures
                    .iter()
                    .map(|f| match f["table"].as_str() {
                        Some(t) => format!("{t}: {}", f["error"].as_str().unwrap_or_default()),
                        None => f["error"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
            .with_hint(
                "the same token resumes the purge; what was deleted is recorded in the ledger",
            )
            .into());
        }
        Ok(())
    }
}
