//! Purging expired rows (`purge-retention --confirm`): the run and its strategies.
//!
//! The confirmed run recomputes the dry run's cutoffs from the token's issue time (through
//! [`crate::twostep`]), so it deletes exactly what was planned. It drops whole partitions past
//! every cutoff ([`partitions`]), walks big tables in physical order ([`pages`]) and every other
//! table's expired rows in key order ([`keys`]), in bounded batches, each its own transaction
//! that records the job's progress; rows locked by live traffic are skipped on PostgreSQL. With
//! `[retention] ledger`, a run over every tenant ends by purging the ledger's oldest entries
//! behind a signed checkpoint. [`finish`] closes the job and records the run.

mod finish;
mod keys;
mod pages;
mod partitions;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::batch::Sizing;
use crate::clock::Timestamp;
use crate::confirm::Confirmation;
use crate::db::{LockCheck, TxMode};
use crate::error::Failure;
use crate::ledger::{NewEntry, sha256_hex};
use crate::map::Duration;
use crate::retention::{self, LEDGER_TABLE, Windows};
use crate::session::{Context, Session};
use crate::twostep::{ConfirmedRun, Holds, Start};
use finish::Outcome;
use keys::Walked;

pub const ACTION: &str = "purge-retention";

/// One confirmed purge, holding the purge lock.
pub struct PurgeRun<'r> {
    run: &'r ConfirmedRun<'r>,
    ctx: &'r Context,
    session: &'r Session,
    /// How batches are sized (`--batch-size`, `--batch-time`).
    sizing: Sizing,
    /// Pause between batches (`--batch-pause`).
    pause: Option<Duration>,
    /// When `--max-duration` runs out: the run stops cleanly between batches.
    deadline: Option<Instant>,
    lock: LockCheck,
    /// Rows deleted of those planned, on a terminal.
    bar: Option<indicatif::ProgressBar>,
}

/// What the run's start established: the token, the cutoffs recomputed from its issue time,
/// and the rows the dry run planned per table.
pub(crate) struct Started {
    confirmation: Confirmation,
    windows: Windows,
    planned: BTreeMap<String, u64>,
    resumed: bool,
}

impl<'r> PurgeRun<'r> {
    pub fn new(
        run: &'r ConfirmedRun<'r>,
        sizing: Sizing,
        pause: Option<Duration>,
        max_duration: Option<Duration>,
        lock: LockCheck,
    ) -> Self {
        PurgeRun {
            run,
            ctx: run.ctx,
            session: run.session,
            sizing,
            pause,
            deadline: max_duration.map(|d| Instant::now() + d.to_std()),
            lock,
            bar: run
                .ctx
                .ui
                .progress_bar(0, "{bar:30} {pos}/{len} rows, {per_sec} — {msg}"),
        }
    }

    /// The confirmed run: finishes what a killed run left queued, or starts (or resumes) the
    /// job, purges, and finishes.
    pub async fn execute(&self) -> Result<()> {
        let (ctx, session) = (self.ctx, self.session);
        // A run killed while deleting its objects: the same command finishes those, nothing else.
        if self.run.finish_queued_objects().await? {
            return Ok(());
        }
        let (started, mut progress) = self.start().await?;
        if started.resumed {
            ctx.ui.status(&format!(
                "resuming purge job {}: {} rows deleted before",
                self.run.job.id,
                progress.total()
            ));
        }
        if let Some(bar) = &self.bar {
            bar.set_length(started.planned.values().sum());
            bar.set_position(progress.total());
        }
        let mut stopped = false;
        let mut failures: Vec<Value> = Vec::new();
        // Tenants put under legal hold while this run was under way: left alone from then on.
        let mut held: BTreeSet<String> = BTreeSet::new();
        let purges = started.windows.purges(&session.model);
        for table in plan::partitioned_roots(session, &purges) {
            if let Err(error) = self.drop_partitions(&purges, table, &mut progress).await {
                // Not a failure: the batches below delete the same rows one by one.
                ctx.ui.warn(&format!(
                    "{table}: partitions not dropped ({error:#}); deleting their rows instead"
                ));
            }
        }
        match self
            .walk_tables(&purges, &started.planned, &mut progress, &mut held)
            .await
        {
            Ok(finished) => stopped = !finished,
            Err(error) if lost_lock(&error) => return Err(error),
            Err(error) => {
                ctx.ui.warn(&format!("{error:#}"));
                failures
                    .push(json!({"tenant": null, "table": null, "error": format!("{error:#}")}));
            }
        }
        'tenants: for purge in &purges {
            if stopped || !failures.is_empty() {
                break;
            }
            if purge.tenant.as_ref().is_some_and(|t| held.contains(t)) {
                continue;
            }
            for root in session
                .model
                .erase_order
                .iter()
                .filter(|t| purge.cutoffs.contains_key(*t))
            {
                let pair = format!("{}/{root}", purge.tenant.as_deref().unwrap_or("(all)"));
                if progress.done.contains(&pair) {
                    continue;
                }
                if let Some(bar) = &self.bar {
                    bar.set_message(pair.clone());
                }
                match self.purge_table(purge, root, &mut progress).await {
                    Ok(Walked::Done) => {
                        progress.done.insert(pair);
                    }
                    Ok(Walked::Stopped) => {
                        stopped = true;
                        break 'tenants;
                    }
                    Ok(Walked::Held) => {
                        held.extend(purge.tenant.clone());
                        continue 'tenants;
                    }
                    Err(error) if lost_lock(&error) => return Err(error),
                    Err(error) => {
                        ctx.ui.warn(&format!("{pair}: {error:#}"));
                        failures.push(json!({"tenant": purge.tenant, "table": root, "error": format!("{error:#}")}));
                    }
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let mut ledger = None;
        if let Some(cutoff) = started
            .windows
            .ledger
            .filter(|_| !stopped && failures.is_empty())
        {
            match self.purge_ledger(cutoff).await {
                Ok(purged) => ledger = Some(purged),
                Err(error) => {
                    ctx.ui.warn(&format!("{LEDGER_TABLE}: {error:#}"));
                    failures.push(
                        json!({"tenant": null, "table": LEDGER_TABLE, "error": format!("{error:#}")}),
                    );
                }
            }
        }
        let outcome = Outcome {
            stopped,
            resumed: started.resumed,
            failures,
            held,
            ledger,
        };
        self.finish(&started, &progress, outcome).await
    }

    /// The run's start, through the one confirmed-run flow: the cutoffs recomputed from the dry
    /// run's instant must be the dry run's (the map, the tenants' plans and holds unchanged); then
    /// the job is recorded, or found to resume, and the start logged. The token is consumed when
    /// the purge completes (`finish`), so a stopped or failed run resumes with it.
    async fn start(&self) -> Result<(Started, Progress)> {
        let (ctx, session, run) = (self.ctx, self.session, self.run);
        let tenant = run.tenant;
        let selector = selector(tenant);
        let start = Start {
            selector: &selector,
            subject: None,
            holds: Holds::Skip,
        };
        run.start(
            start,
            async |tx, confirmation| {
                retention::windows(
                    tx,
                    &session.map,
                    &session.model,
                    tenant,
                    confirmation.issued_at,
                )
                .await
            },
            async |tx, confirmation, windows| {
                let (progress, resumed) = match run.job.find::<Progress>(tx).await? {
                    Some(found) => (found.progress, true),
                    None => {
                        run.job
                            .insert(tx, tenant, &confirmation.token_hash, ctx.now)
                            .await?;
                        (Progress::default(), false)
                    }
                };
                let details = json!({
                    "cutoffs": cutoffs_detail(&windows),
                    "skipped": windows.skipped,
                    "plan_digest": confirmation.binding.plan_digest,
                    "token_ref": confirmation.token_ref,
                    "issued_by": confirmation.issued_by,
                    "job": run.job.id,
                    "resumed": resumed,
                });
                session
                    .ledger
                    .append(
                        tx,
                        ctx.now,
                        NewEntry::new(ACTION, "started", details).tenant(tenant),
                    )
                    .await?;
                let planned = confirmation
                    .binding
                    .plan
                    .get("tables")
                    .and_then(Value::as_object)
                    .map(|t| {
                        t.iter()
                            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                            .collect()
                    })
                    .unwrap_or_default();
                let started = Started {
                    confirmation,
                    windows,
                    planned,
                    resumed,
                };
                Ok((started, progress))
            },
        )
        .await
    }

    /// `[retention] ledger`: deletes the ledger entries written before `cutoff` and leaves a signed
    /// checkpoint, in one transaction with the entry that records it (the first after the
    /// checkpoint). Returns what the run's summary shows.
    async fn purge_ledger(&self, cutoff: Timestamp) -> Result<Value> {
        let (ctx, session) = (self.ctx, self.session);
        let mut tx = session.db.begin(TxMode::Write).await?;
        let Some(checkpoint) = session
            .ledger
            .purge_before(&mut tx, ctx.now, cutoff)
            .await?
        else {
            tx.rollback().await?;
            return Ok(json!({"cutoff": cutoff.to_rfc3339(), "purged": 0, "checkpoint": null}));
        };
        let summary = json!({
            "cutoff": cutoff.to_rfc3339(),
            "purged": checkpoint.purged,
            "checkpoint": {"seq": checkpoint.seq, "hash": checkpoint.hash, "signature": checkpoint.signature},
        });
        let entry =
            NewEntry::new("ledger-retention", "done", summary.clone()).resource(LEDGER_TABLE);
        session.ledger.append(&mut tx, ctx.now, entry).await?;
        tx.commit().await.context("purging old ledger entries")?;
        Ok(summary)
    }
}

/// A run's state, as `privctl_jobs.progress` keeps it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Progress {
    tables: BTreeMap<String, TableProgress>,
    /// `tenant/table` pairs whose expired rows are all gone.
    done: BTreeSet<String>,
    longest_batch_ms: u64,
    /// Partitions detached and dropped whole.
    #[serde(default)]
    partitions: Vec<retention::Partition>,
    /// table → the next heap page of a physical walk.
    #[serde(default)]
    walks: BTreeMap<String, i64>,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct TableProgress {
    deleted: u64,
    blobs: u64,
    batches: u64,
    seconds: f64,
    /// Expired roots left for the next run because live traffic held a lock on them or on one
    /// of their descendants.
    #[serde(default)]
    skipped_locked: u64,
}

impl Progress {
    fn total(&self) -> u64 {
        self.tables.values().map(|t| t.deleted).sum()
    }
}

/// Whether `error` is this run's lock found lost ([`LockCheck::verify`]): the run stops there,
/// rather than carrying on with the next table as after a table's own failure.
fn lost_lock(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<Failure>())
        .any(|f| f.kind == crate::error::Kind::Locked)
}

/// The selector a purge token is bound to: the tenant it is for, or every tenant.
pub fn selector(tenant: Option<&str>) -> String {
    sha256_hex(format!("privctl-purge/1\0{}", tenant.unwrap_or("*")).as_bytes())
}

/// Each cutoff as `[tenant, table, cutoff]`, for the ledger.
pub fn cutoffs_detail(windows: &Windows) -> Value {
    windows
        .cutoffs
        .iter()
        .filter(|c| c.cutoff.is_some())
        .map(|c| {
            json!([
                c.tenant,
                c.table,
                c.cutoff.map(crate::clock::Timestamp::to_canonical)
            ])
        })
        .collect()
}
