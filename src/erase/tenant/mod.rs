//! Erasing a whole tenant (`delete-tenant --confirm`): the job and its passes.
//!
//! The confirmed run consumes the token and records a job in `privctl_jobs` in one transaction
//! (through [`crate::twostep`]), then erases table by table, children before parents, each batch
//! its own short transaction that also records the job's progress. Killed at any point, the same
//! command with the same token resumes the job. Blob keys of deleted rows go to the outbox with
//! the rows; the objects are deleted after the last batch ([`finish`]).

mod finish;
mod links;
mod passes;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use crate::batch::Sizing;
use crate::db::{LockCheck, Tx, TxMode};
use crate::error::Failure;
use crate::jobs::State;
use crate::ledger::{NewEntry, sha256_hex};
use crate::map::{Duration, Erase};
use crate::plan::{count, plan_tenant};
use crate::selection::TenantSelection;
use crate::session::{Context, Session};
use crate::twostep::{ConfirmedRun, Holds, Start};

pub const ACTION: &str = "delete-tenant";

/// One confirmed deletion of a tenant, holding its job's lock.
pub struct TenantRun<'r> {
    pub run: &'r ConfirmedRun<'r>,
    pub selection: &'r TenantSelection<'r>,
    /// How batches are sized (`--batch-size`, `--batch-time`).
    pub sizing: Sizing,
    /// Pause between batches (`--batch-pause`).
    pub pause: Option<Duration>,
    pub lock: &'r LockCheck,
    ctx: &'r Context,
    session: &'r Session,
}

impl<'r> TenantRun<'r> {
    pub fn new(
        run: &'r ConfirmedRun<'r>,
        selection: &'r TenantSelection<'r>,
        sizing: Sizing,
        pause: Option<Duration>,
        lock: &'r LockCheck,
    ) -> Self {
        TenantRun {
            run,
            selection,
            sizing,
            pause,
            lock,
            ctx: run.ctx,
            session: run.session,
        }
    }

    fn tenant(&self) -> &'r str {
        self.selection.tenant()
    }

    /// Starts the job (or finds it, to resume), erases table by table and finishes.
    pub async fn execute(&self) -> Result<()> {
        let (ctx, session, selection) = (self.ctx, self.session, self.selection);
        let tenant = self.tenant();
        let job = &self.run.job;
        let mut tx = session.db.begin(TxMode::Snapshot).await?;
        let found = job.find::<Progress>(&mut tx).await?;
        tx.rollback().await?;
        let (mut progress, resumed) = match found {
            Some(found) => {
                if found.tenant.as_deref() != Some(tenant) {
                    return Err(Failure::confirmation(format!(
                        "the confirmation token belongs to the deletion of tenant `{}`, not `{tenant}`",
                        found.tenant.unwrap_or_default()
                    ))
                    .into());
                }
                if found.state == State::Done {
                    // The rows are gone; what may remain is the objects queued with them (a run
                    // killed while deleting them). Finish those, and nothing else.
                    if self.run.finish_queued_objects().await? {
                        return Ok(());
                    }
                    return Err(Failure::confirmation(format!("tenant `{tenant}` was already deleted with this token; a token authorises one run")).into());
                }
                ctx.ui.status(&format!(
                    "resuming the deletion of tenant {tenant} (job {})",
                    job.id
                ));
                (found.progress, true)
            }
            None => (self.start().await?, false),
        };

        let leftovers = self.drain_leftovers().await?;
        let model = selection.model();
        links::clear_broken_links(session, selection, self.sizing).await?;
        for name in model.erase_order.iter().filter(|n| !model.node(n).global) {
            let node = model.node(name);
            links::clear_references_into(session, selection, name, self.sizing).await?;
            match &node.spec.erase.tenant {
                Erase::Delete => self.delete_pass(name, node, &mut progress).await?,
                Erase::Anonymise(columns) => {
                    self.anonymise_pass(name, node, columns, &mut progress)
                        .await?
                }
                Erase::Retain => self.count_kept(name, &mut progress).await?,
            }
        }
        self.finish(&mut progress, resumed, leftovers).await
    }

    /// The job's start, through the one confirmed-run flow: the tenant's rows must all be its own
    /// and the plan the dry run's; then the token is consumed, the job recorded with the rows of
    /// no tenant there are now (more at the end means rows lost their route), and the start logged.
    async fn start(&self) -> Result<Progress> {
        let (ctx, session, selection, run) = (self.ctx, self.session, self.selection, self.run);
        let tenant = selection.tenant();
        let selector = selector(tenant);
        let start = Start {
            selector: &selector,
            subject: None,
            holds: Holds::Refuse,
        };
        run.start(
            start,
            async |tx, _| {
                refuse_cross_tenant_rows(tx, selection).await?;
                plan_tenant(tx, selection, &session.schema).await
            },
            async |tx, confirmation, plan| {
                confirmation.consume(tx, &ctx.actor, ctx.now).await?;
                run.job
                    .insert(tx, Some(tenant), &confirmation.token_hash, ctx.now)
                    .await?;
                let details = json!({"tables": crate::report::table_counts(&plan), "total_rows": plan.total_rows(), "plan_digest": plan.digest(), "token_ref": confirmation.token_ref, "job": run.job.id, "issued_by": confirmation.issued_by});
                session
                    .ledger
                    .append(
                        tx,
                        ctx.now,
                        NewEntry::new(ACTION, "started", details).tenant(Some(tenant)),
                    )
                    .await?;
                let mut progress = Progress::default();
                for (table, rows) in tenantless_counts(tx, selection.model()).await? {
                    progress.tenantless_before.insert(table, json!(rows));
                }
                run.job.save(tx, &progress, ctx.now).await?;
                Ok(progress)
            },
        )
        .await
    }

    /// Checked in every batch's transaction before it commits: the job's lock is still this run's,
    /// and the tenant was not put under legal hold meanwhile (read under a share lock on
    /// PostgreSQL). A hold stops the run; the job stays open, and resumes once the hold is lifted.
    async fn still_ours(&self, tx: &mut Tx) -> Result<()> {
        let (session, tenant) = (self.session, self.tenant());
        self.lock.verify(tx).await?;
        let held =
            crate::retention::held_now(tx, &session.map, &session.model, &[tenant.to_owned()])
                .await?;
        if !held.is_empty() {
            return Err(Failure::failed(format!(
                "tenant `{tenant}` was put under legal hold during the deletion: stopped before this batch committed"
            ))
            .with_hint("what was erased before stays erased; once the hold is lifted, the same command with the same token resumes")
            .into());
        }
        Ok(())
    }

    /// Deletes the objects earlier runs queued for `tenant` and left (a run killed while deleting
    /// them, a store that failed), and says so when there were any.
    async fn drain_leftovers(&self) -> Result<crate::blobs::DrainReport> {
        let (ctx, session, tenant) = (self.ctx, self.session, self.tenant());
        if crate::blobs::pending(&session.db, Some(tenant)).await? == 0 {
            return Ok(crate::blobs::DrainReport::default());
        }
        let report = crate::blobs::drain(
            &session.db,
            &session.map,
            &session.ledger,
            Some(tenant),
            ctx.now,
        )
        .await?;
        ctx.ui.status(&format!(
            "{} object(s) left queued by earlier runs of tenant {tenant} deleted first ({} failed, retried later)",
            report.deleted, report.failed
        ));
        Ok(report)
    }

    /// After the objects of a finished job were deleted: records in the ledger that none of the
    /// tenant's remain queued (the last step of a deletion), once.
    async fn record_objects_gone(&self, deleted: u64) -> Result<()> {
        let (ctx, session, tenant, job_id) = (
            self.ctx,
            self.session,
            self.tenant(),
            self.run.job.id.as_str(),
        );
        if crate::blobs::pending(&session.db, Some(tenant)).await? > 0 {
            return Ok(());
        }
        let mut tx = session.db.begin(TxMode::Write).await?;
        session
            .ledger
            .append(
                &mut tx,
                ctx.now,
                NewEntry::new(
                    ACTION,
                    "objects-deleted",
                    json!({"job": job_id, "objects_deleted_now": deleted}),
                )
                .tenant(Some(tenant)),
            )
            .await?;
        tx.commit()
            .await
            .context("recording that the objects are gone")?;
        Ok(())
    }
}

/// A job's state, as `privctl_jobs.progress` keeps it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    /// table → rows erased so far
    tables: Map<String, Value>,
    /// table → blobs queued so far
    blobs: Map<String, Value>,
    longest_batch_ms: u64,
    batches: u64,
    /// table → rows of no tenant when the job started (tables whose routes can all be NULL):
    /// more at the end means rows of this tenant lost their route without being erased.
    #[serde(default)]
    tenantless_before: Map<String, Value>,
    /// table → rows written during the run into an anonymised table after its pass, and
    /// anonymised by a later one (a resumed run's, or the closing one).
    #[serde(default)]
    late: Map<String, Value>,
    /// table → the key (JSON) of the last row of the last page its anonymisation pass committed.
    #[serde(default)]
    anonymise_after: Map<String, Value>,
    /// Anonymised tables whose pass is finished.
    #[serde(default)]
    passes_done: Vec<String>,
}

impl Progress {
    /// Rows of `table` found holding values anonymisation did not write after the table's
    /// pass (written meanwhile), and anonymised then: counted with the table, and reported.
    fn add_late(&mut self, table: &str, rows: u64) {
        if rows == 0 {
            return;
        }
        self.add(table, rows, 0);
        let entry = self.late.entry(table.to_owned()).or_insert(json!(0));
        *entry = json!(entry.as_u64().unwrap_or(0) + rows);
    }

    fn add(&mut self, table: &str, rows: u64, blobs: u64) {
        let entry = self.tables.entry(table.to_owned()).or_insert(json!(0));
        *entry = json!(entry.as_u64().unwrap_or(0) + rows);
        if blobs > 0 {
            let entry = self.blobs.entry(table.to_owned()).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap_or(0) + blobs);
        }
    }
}

/// The selector a delete-tenant token is bound to: the tenant, hashed.
pub fn selector(tenant: &str) -> String {
    sha256_hex(format!("privctl-tenant/1\0{tenant}").as_bytes())
}

/// Refuses a tenant with rows whose links lead to another tenant too: whose rows they are is
/// for the platform to fix, not for an erasure to guess.
pub async fn refuse_cross_tenant_rows(tx: &mut Tx, selection: &TenantSelection<'_>) -> Result<()> {
    let model = selection.model();
    let mut found = Vec::new();
    for table in selection.tables() {
        let Some(cross) = crate::selection::cross_tenant_condition(model, table, "t") else {
            continue;
        };
        // The rows any of whose routes gives this tenant, and another route another one: one
        // statement per route, each served by the route's index.
        let mut rows = 0;
        for route in &cross.via {
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(table)
                .push(" t WHERE ");
            route.push_reaches(model, selection.tenant(), &mut sql, "t");
            sql.push(" AND ").push(&cross.condition);
            rows = rows.max(count(tx, &sql).await?);
        }
        if rows > 0 {
            found.push(format!(
                "{table} ({rows} rows, through {})",
                cross.routes.join(", ")
            ));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Failure::failed(format!(
        "tenant `{}` has rows that also reach another tenant: {}; privctl cannot tell whose they are, so nothing was deleted",
        selection.tenant(),
        found.join("; ")
    ))
    .with_hint("fix those rows in the platform (`privctl map check` lists them as cross_tenant_row), then run the dry run again")
    .into())
}

/// Rows of no tenant in each table whose routes to a tenant can all be NULL.
async fn tenantless_counts(tx: &mut Tx, model: &crate::model::Model) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for node in model
        .nodes
        .values()
        // Kept rows (anonymised, retained) may lose their tenant when their parents go: the
        // map asks for that. Deleted ones may not.
        .filter(|n| !n.global && !n.always_in_a_tenant() && n.spec.erase.tenant == Erase::Delete)
    {
        let sql = crate::selection::count_tenantless(model, &node.name);
        out.push((node.name.clone(), count(tx, &sql).await?));
    }
    Ok(out)
}
