//! `privctl delete-tenant`: erase a whole tenant, two-step, in bounded batches, resumable.
//!
//! The confirmed run consumes the token and records a job in `privctl_jobs` in one transaction,
//! then erases table by table, children before parents, each batch its own short transaction
//! that also records the job's progress. Killed at any point, the same command with the same
//! token resumes the job; the token authorises nothing else meanwhile. Blob keys of deleted rows
//! go to the outbox with the rows; the objects are deleted after the last batch.

use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::{Context, Session};
use crate::confirm::{self, Binding};
use crate::db::{LockCheck, Param, Sql, Tx, TxMode};
use crate::effects::{Survivors, TenantErasure, count_homeless};
use crate::erase::{anonymise_rows, push_not_anonymised};
use crate::error::Failure;
use crate::jobs::State;
use crate::ledger::{NewEntry, sha256_hex};
use crate::map::{Duration, Erase};
use crate::model::Link;
use crate::plan::{count, plan_tenant, push_references};
use crate::selection::TenantSelection;
use crate::twostep::{ConfirmedRun, Holds, Start};

/// Erase a whole tenant (delete or anonymise per the map); needs a token
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant to erase
    #[arg(long, value_name = "ID")]
    pub tenant: String,
    /// The token from the dry run, or `-` to read it (or the dry run's JSON) from stdin
    #[arg(long, value_name = "TOKEN|-")]
    pub confirm: Option<String>,
    /// Rows per transaction
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Pause between batches to leave room for live traffic (e.g. 50ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_pause)]
    pub batch_pause: Option<Duration>,
}

/// `--batch-pause`: at most an hour (a longer pause would stall the run, not spare the database).
fn parse_pause(text: &str) -> Result<Duration, String> {
    Duration::parse(text).and_then(|d| Duration::at_most_an_hour(d, text))
}

const ACTION: &str = "delete-tenant";

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
    let session = ctx.session().await?;
    let selection = TenantSelection::new(&session.model, &args.tenant)?;
    let on_hold = session.check_tenant(Some(&args.tenant)).await?;
    if on_hold {
        return Err(Failure::failed(format!(
            "tenant `{}` is under legal hold: it may not be deleted; no token was issued and nothing changed",
            args.tenant
        ))
        .into());
    }
    let Some(token) = &args.confirm else {
        return dry_run(ctx, &session, &selection).await;
    };
    let token = confirm::read_token(token)?;
    let run = ConfirmedRun::new(ctx, &session, ACTION, Some(&args.tenant), &token);
    // Two runs of one job (a resume started while the first run still works) never interleave.
    let lock = format!("{ACTION}/{}", run.job.id);
    let busy = format!(
        "another run of this deletion (job {}) is working",
        run.job.id
    );
    run.locked(&lock, &busy, async |lock| {
        match execute(&run, &selection, &args, &lock).await {
            Ok(()) => Ok(()),
            Err(error) => Err(failed_run(&run, error).await),
        }
    })
    .await
}

/// A confirmed run that failed after its job started (the job stays open): records `failed` in
/// the ledger and says how to resume. Refusals before the job started are recorded where they
/// happen.
async fn failed_run(run: &ConfirmedRun<'_>, mut error: anyhow::Error) -> anyhow::Error {
    let (session, tenant, job_id) = (run.session, run.tenant.unwrap_or_default(), &run.job.id);
    let open = async {
        let mut tx = session.db.begin(TxMode::Snapshot).await?;
        let job = run.job.find::<Value>(&mut tx).await?;
        tx.rollback().await?;
        anyhow::Ok(job.is_some_and(|job| job.state == State::Running))
    }
    .await
    .unwrap_or(false);
    if !open {
        return error;
    }
    let reason = crate::ui::describe(&error);
    session
        .record(
            run.ctx,
            NewEntry::new(ACTION, "failed", json!({"job": job_id, "reason": reason}))
                .tenant(Some(tenant)),
        )
        .await;
    let hint = format!(
        "the job ({job_id}) stays open and nothing it committed is undone: run the same command with the same token again to resume where it stopped (`privctl status` lists the job)"
    );
    match error.downcast_mut::<Failure>() {
        Some(failure) => {
            failure.hints.push(hint);
            error
        }
        None => error.context(
            Failure::failed(format!("the deletion of tenant `{tenant}` stopped")).with_hint(hint),
        ),
    }
}

/// Checked in every batch's transaction before it commits: the job's lock is still this run's,
/// and the tenant was not put under legal hold meanwhile (read under a share lock on
/// PostgreSQL). A hold stops the run; the job stays open, and resumes once the hold is lifted.
async fn still_ours(tx: &mut Tx, session: &Session, tenant: &str, lock: &LockCheck) -> Result<()> {
    lock.verify(tx).await?;
    let held =
        crate::retention::held_now(tx, &session.map, &session.model, &[tenant.to_owned()]).await?;
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
async fn drain_leftovers(
    ctx: &Context,
    session: &Session,
    tenant: &str,
) -> Result<crate::blobs::DrainReport> {
    if crate::blobs::pending(&session.db, Some(tenant)).await? == 0 {
        return Ok(crate::blobs::DrainReport::default());
    }
    let report = crate::blobs::drain(&session.db, &session.map, Some(tenant), ctx.now).await?;
    ctx.ui.status(&format!(
        "{} object(s) left queued by earlier runs of tenant {tenant} deleted first ({} failed, retried later)",
        report.deleted, report.failed
    ));
    Ok(report)
}

/// After the objects of a finished job were deleted: records in the ledger that none of the
/// tenant's remain queued (the last step of a deletion), once.
async fn record_objects_gone(
    ctx: &Context,
    session: &Session,
    tenant: &str,
    job_id: &str,
    deleted: u64,
) -> Result<()> {
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

fn selector(tenant: &str) -> String {
    sha256_hex(format!("privctl-tenant/1\0{tenant}").as_bytes())
}

async fn dry_run(ctx: &Context, session: &Session, selection: &TenantSelection<'_>) -> Result<()> {
    let tenant = selection.tenant();
    let mut tx = session.begin_for(Some(tenant)).await?;
    refuse_cross_tenant_rows(&mut tx, selection).await?;
    let plan = plan_tenant(&mut tx, selection, &session.schema).await?;
    let binding = Binding {
        action: ACTION.into(),
        tenant: Some(tenant.to_owned()),
        selector: selector(tenant),
        plan_digest: plan.digest(),
        plan: plan.summary(),
    };
    let issued = confirm::issue(
        &mut tx,
        &binding,
        &ctx.actor,
        ctx.now,
        session.map.confirm.ttl,
    )
    .await?;
    let details = json!({"tables": crate::report::table_counts(&plan), "total_rows": plan.total_rows(), "plan_digest": binding.plan_digest, "token_ref": issued.token_ref});
    session
        .ledger
        .append(
            &mut tx,
            ctx.now,
            NewEntry::new(ACTION, "planned", details).tenant(Some(tenant)),
        )
        .await?;
    tx.commit().await?;
    crate::report::print_tenant_plan(ctx, &plan, tenant, &issued)
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

/// The confirmed run, holding the job's lock: starts the job (or finds it, to resume), erases
/// table by table in batches, and finishes.
async fn execute(
    run: &ConfirmedRun<'_>,
    selection: &TenantSelection<'_>,
    args: &Args,
    lock: &LockCheck,
) -> Result<()> {
    let (ctx, session) = (run.ctx, run.session);
    let tenant = selection.tenant();
    let job = &run.job;
    let job_id = job.id.clone();
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
                if run.finish_queued_objects().await? {
                    return Ok(());
                }
                return Err(Failure::confirmation(format!("tenant `{tenant}` was already deleted with this token; a token authorises one run")).into());
            }
            ctx.ui.status(&format!(
                "resuming the deletion of tenant {tenant} (job {job_id})"
            ));
            (found.progress, true)
        }
        None => (start(run, selection).await?, false),
    };

    let leftovers = drain_leftovers(ctx, session, tenant).await?;
    let model = selection.model();
    let batch = i64::from(args.batch_size);
    let erasure = TenantErasure::new(selection, &session.schema);
    clear_broken_links(session, selection, batch).await?;
    for name in model.erase_order.iter().filter(|n| !model.node(n).global) {
        let node = model.node(name);
        clear_references_into(session, selection, name, batch).await?;
        match &node.spec.erase.tenant {
            Erase::Delete => {
                // The rows outside the erasure that reference this table's rows of the tenant,
                // read once: each batch checks them before it commits.
                let mut tx = session.begin_for(Some(tenant)).await?;
                let survivors = Survivors::collect(&mut tx, &erasure, name, &|sql: &mut Sql| {
                    selection.push_scope(sql, name, "p")
                })
                .await?;
                tx.rollback().await?;
                loop {
                    let began = Instant::now();
                    let mut tx = session.begin_for(Some(tenant)).await?;
                    let mut sql = tx.sql();
                    sql.push("DELETE FROM ")
                        .ident(name)
                        .push(" WHERE ")
                        .tuple(&session.db.dialect().quote(name), &node.key);
                    sql.push(" IN (SELECT ")
                        .columns("x", &node.key)
                        .push(" FROM ")
                        .ident(name)
                        .push(" x WHERE ");
                    selection.push_scope(&mut sql, name, "x");
                    // Rows the tenant row owns go after it (the foreign key is the tenant row's).
                    push_not_owned_by_tenant(&mut sql, model, name, "x");
                    // No ORDER BY: any n rows of the tenant will do, and the database can stop at n
                    // instead of finding and sorting every remaining row on each batch.
                    sql.push(" LIMIT ").bind(Param::Int(batch)).push(")");
                    let owned: Vec<&Link> = owned_links(model, node);
                    let returned = !owned.is_empty() || node.spec.blob.is_some();
                    let (rows, blobs) = if returned {
                        sql.push(" RETURNING ");
                        match &node.spec.blob {
                            Some(blob) => sql.push("CAST(").ident(&blob.column).push(" AS text)"),
                            None => sql.push("NULL"),
                        };
                        for link in &owned {
                            sql.push(", CAST(")
                                .ident(&link.columns[0])
                                .push(" AS text)");
                        }
                        let deleted = tx
                            .fetch_rows(&sql)
                            .await
                            .with_context(|| format!("deleting from {name}"))?;
                        let mut blobs = 0;
                        if let Some(blob) = &node.spec.blob {
                            let objects: Vec<String> =
                                deleted.iter().filter_map(|r| r[0].clone()).collect();
                            crate::blobs::enqueue(
                                &mut tx,
                                &blob.store,
                                name,
                                Some(tenant),
                                &objects,
                                ctx.now,
                            )
                            .await?;
                            blobs = objects.len() as u64;
                        }
                        for (i, link) in owned.iter().enumerate() {
                            let keys: Vec<String> =
                                deleted.iter().filter_map(|r| r[i + 1].clone()).collect();
                            erase_owned(
                                &mut tx,
                                session,
                                selection,
                                link,
                                keys,
                                &mut progress,
                                ctx.now,
                            )
                            .await?;
                        }
                        (deleted.len() as u64, blobs)
                    } else {
                        (
                            tx.execute(&sql)
                                .await
                                .with_context(|| format!("deleting from {name}"))?,
                            0,
                        )
                    };
                    if rows == 0 {
                        tx.rollback().await?;
                        break;
                    }
                    survivors.verify(&mut tx, &erasure).await?;
                    progress.add(name, rows, blobs);
                    progress.batches += 1;
                    still_ours(&mut tx, session, tenant, lock).await?;
                    job.save(&mut tx, &progress, ctx.now).await?;
                    tx.commit()
                        .await
                        .with_context(|| format!("committing a batch of {name}"))?;
                    crate::fault::batch_committed();
                    progress.longest_batch_ms = progress
                        .longest_batch_ms
                        .max(began.elapsed().as_millis() as u64);
                    if let Some(pause) = args.batch_pause {
                        tokio::time::sleep(pause.to_std()).await;
                    }
                }
            }
            Erase::Anonymise(columns) => {
                // A pass finished before an interruption (`passes_done`; or, for a job a
                // version before this one saved, a count without a page position) is not
                // walked again, so a hash is never hashed twice and no row counted twice.
                let again = progress.passes_done.iter().any(|t| t == name)
                    || (progress.tables.contains_key(name.as_str())
                        && !progress.anonymise_after.contains_key(name.as_str()));
                if again {
                    // Rows written since are the closing pass's (`finish`): anonymised there
                    // and reported as late, with every other table's.
                    continue;
                }
                // The pass, in pages of --batch-size rows in key order, each its own short
                // transaction that records the page's last key: a resume goes on after it.
                let sql_type = |column: &str| {
                    node.info
                        .column(column)
                        .map_or("text", |c| c.sql_type.as_str())
                        .to_owned()
                };
                let types: Vec<String> = node.key.iter().map(|k| sql_type(k)).collect();
                let types: Vec<&str> = types.iter().map(String::as_str).collect();
                loop {
                    let began = Instant::now();
                    let mut tx = session.begin_for(Some(tenant)).await?;
                    let mut page = tx.sql();
                    page.push("SELECT ");
                    crate::selection::push_key_json(&mut page, "t", &node.key);
                    page.push(" FROM ").ident(name).push(" t WHERE (");
                    selection.push_scope(&mut page, name, "t");
                    page.push(")");
                    if let Some(after) = progress.anonymise_after.get(name.as_str()) {
                        let after = crate::erase::key_values(after.as_str())?;
                        page.push(" AND ");
                        crate::erase::push_key_after(&mut page, &node.key, &after, &sql_type);
                    }
                    page.push(" ORDER BY ")
                        .columns("t", &node.key)
                        .push(" LIMIT ")
                        .bind(Param::Int(batch));
                    let keys: Vec<String> = tx
                        .fetch_column(&page)
                        .await
                        .with_context(|| format!("reading the next page of {name}"))?
                        .into_iter()
                        .flatten()
                        .collect();
                    let Some(last) = keys.last().cloned() else {
                        // The pass is over: recorded, so a resume or the closing pass takes
                        // rows written from now on as late ones.
                        progress.tables.entry(name.clone()).or_insert(json!(0));
                        progress.passes_done.push(name.clone());
                        still_ours(&mut tx, session, tenant, lock).await?;
                        job.save(&mut tx, &progress, ctx.now).await?;
                        tx.commit().await?;
                        break;
                    };
                    let keys_json = format!("[{}]", keys.join(","));
                    let rows = anonymise_rows(
                        &mut tx,
                        &node.key,
                        &node.info,
                        name,
                        columns,
                        &session.ledger,
                        None,
                        |sql| {
                            sql.push("(");
                            selection.push_scope(sql, name, "t");
                            sql.push(") AND ");
                            sql.key_in_json("t", &node.key, &types, &keys_json);
                        },
                    )
                    .await?;
                    progress.add(name, rows, 0);
                    progress.anonymise_after.insert(name.clone(), json!(last));
                    progress.batches += 1;
                    // A short page is the last: the pass ends in this transaction.
                    let last_page = (keys.len() as i64) < batch;
                    if last_page {
                        progress.passes_done.push(name.clone());
                    }
                    still_ours(&mut tx, session, tenant, lock).await?;
                    job.save(&mut tx, &progress, ctx.now).await?;
                    tx.commit()
                        .await
                        .with_context(|| format!("committing a batch of {name}"))?;
                    crate::fault::batch_committed();
                    progress.longest_batch_ms = progress
                        .longest_batch_ms
                        .max(began.elapsed().as_millis() as u64);
                    if last_page {
                        break;
                    }
                    if let Some(pause) = args.batch_pause {
                        tokio::time::sleep(pause.to_std()).await;
                    }
                }
            }
            Erase::Retain => {
                // Reported like the plan reports them: kept, with their count.
                if !progress.tables.contains_key(name.as_str()) {
                    let mut tx = session.begin_for(Some(tenant)).await?;
                    let rows = count(&mut tx, &selection.count(name)).await?;
                    progress.add(name, rows, 0);
                    still_ours(&mut tx, session, tenant, lock).await?;
                    job.save(&mut tx, &progress, ctx.now).await?;
                    tx.commit().await?;
                }
            }
        }
    }
    finish(run, selection, &mut progress, resumed, lock, leftovers).await
}

/// The job's start, through the one confirmed-run flow: the tenant's rows must all be its own
/// and the plan the dry run's; then the token is consumed, the job recorded with the rows of
/// no tenant there are now (more at the end means rows lost their route), and the start logged.
async fn start(run: &ConfirmedRun<'_>, selection: &TenantSelection<'_>) -> Result<Progress> {
    let (ctx, session) = (run.ctx, run.session);
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

/// Sets to NULL, in batches, the references from kept rows (retained, anonymised) into the
/// tenant's rows of `parent`, before those rows are deleted.
async fn clear_references_into(
    session: &Session,
    selection: &TenantSelection<'_>,
    parent: &str,
    batch: i64,
) -> Result<()> {
    let model = selection.model();
    let erasure = TenantErasure::new(selection, &session.schema);
    if model.node(parent).spec.erase.tenant != Erase::Delete {
        return Ok(());
    }
    for (child, link) in model.links_into(parent) {
        if child.name == parent || child.spec.erase.tenant == Erase::Delete || !link.nullable {
            continue;
        }
        loop {
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(&child.name).push(" SET ");
            for (i, column) in link.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(column).push(" = NULL");
            }
            sql.push(" WHERE ")
                .tuple(&session.db.dialect().quote(&child.name), &child.key)
                .push(" IN (SELECT ");
            sql.columns("t", &child.key)
                .push(" FROM ")
                .ident(&child.name)
                .push(" t WHERE ");
            push_references(&mut sql, selection, &child.name, link);
            sql.push(" LIMIT ")
                .bind(Param::Int(batch))
                .push(") RETURNING ");
            crate::selection::push_key_json(
                &mut sql,
                &session.db.dialect().quote(&child.name),
                &child.key,
            );
            let changed = tx
                .fetch_column(&sql)
                .await
                .with_context(|| format!("clearing {}.{}", child.name, link.columns.join(",")))?;
            if changed.is_empty() {
                tx.rollback().await?;
                break;
            }
            // A kept row whose only route to the tenant was this reference would belong to no
            // tenant: refuse rather than leave it holding data nobody can reach.
            let homeless = count_homeless(&mut tx, &erasure, &child.name, &changed).await?;
            if homeless > 0 {
                tx.rollback().await?;
                return Err(Failure::failed(format!(
                    "clearing `{}`.`{}` → `{parent}` would leave {homeless} kept row(s) of `{}` holding data but belonging to no tenant; this batch was not committed",
                    child.name,
                    link.columns.join("`, `"),
                    child.name
                ))
                .with_hint(format!(
                    "delete `{}` with the tenant (erase = {{ tenant = \"delete\" }}), or give it a tenant column",
                    child.name
                ))
                .into());
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Erases the tenant's own row, checks nothing is left, closes the job and records the end, in
/// one transaction; then deletes the queued blobs.
async fn finish(
    run: &ConfirmedRun<'_>,
    selection: &TenantSelection<'_>,
    progress: &mut Progress,
    resumed: bool,
    lock: &LockCheck,
    leftovers: crate::blobs::DrainReport,
) -> Result<()> {
    let (ctx, session, job_id) = (run.ctx, run.session, run.job.id.as_str());
    let model = selection.model();
    let tenant = selection.tenant();
    let tenant_node = model.tenant.as_ref().expect("tenant selection");
    let mut tx = session.begin_for(Some(tenant)).await?;
    still_ours(&mut tx, session, tenant, lock).await?;

    let mut remaining = 0;
    let mut left = Vec::new();
    for name in model
        .erase_order
        .iter()
        .filter(|n| !model.node(n).global && model.node(n).spec.erase.tenant == Erase::Delete)
    {
        let mut sql = selection.count(name);
        push_not_owned_by_tenant(&mut sql, model, name, "t");
        let n = count(&mut tx, &sql).await?;
        if n > 0 {
            remaining += n;
            left.push(format!("{name} ({n} rows)"));
        }
    }
    if remaining > 0 {
        return Err(Failure::failed(format!(
            "rows of tenant `{tenant}` appeared during the deletion in {}; run the same command again to finish",
            left.join(", ")
        ))
        .into());
    }
    // Anonymised tables, by content: the tenant's rows that hold values anonymisation did not
    // write (written after their table's pass) are anonymised here, in the transaction that
    // closes the job, and reported; then a fresh count must find none.
    for name in model.erase_order.iter().filter(|n| !model.node(n).global) {
        let node = model.node(name);
        let Erase::Anonymise(columns) = &node.spec.erase.tenant else {
            continue;
        };
        let push_unanonymised = |sql: &mut Sql| {
            sql.push("(");
            selection.push_scope(sql, name, "t");
            sql.push(") AND ");
            push_not_anonymised(sql, &node.info, "t", columns);
        };
        let rows = anonymise_rows(
            &mut tx,
            &node.key,
            &node.info,
            name,
            columns,
            &session.ledger,
            None,
            push_unanonymised,
        )
        .await?;
        progress.add_late(name, rows);
        let mut sql = tx.sql();
        sql.push("SELECT count(*) FROM ")
            .ident(name)
            .push(" t WHERE ");
        push_unanonymised(&mut sql);
        let n = count(&mut tx, &sql).await?;
        if n > 0 {
            remaining += n;
            left.push(format!("{name} ({n} rows)"));
        }
    }
    if remaining > 0 {
        return Err(Failure::failed(format!(
            "after anonymising them again, rows of tenant `{tenant}` still hold values anonymisation did not write in {}; nothing of this last step was committed and the job stays open",
            left.join(", ")
        ))
        .with_hint("something privctl cannot see writes them back (a trigger, the application): stop it, then run the same command again to finish")
        .into());
    }
    let push_id = |sql: &mut crate::db::Sql| selection.push_tenant_rows(sql, "t");
    // What the tenant row owns (`[tenant] links`), read before the row goes.
    let mut owned_keys = Vec::new();
    for link in &tenant_node.links {
        let mut sql = tx.sql();
        sql.push("SELECT CAST(")
            .column("t", &link.columns[0])
            .push(" AS text) FROM ")
            .ident(&tenant_node.name)
            .push(" t WHERE ");
        push_id(&mut sql);
        let keys: Vec<String> = tx.fetch_column(&sql).await?.into_iter().flatten().collect();
        owned_keys.push((link, keys));
    }
    let tenant_rows = match selection.tenant_erase() {
        Erase::Delete => {
            let erasure = TenantErasure::new(selection, &session.schema);
            let survivors =
                Survivors::collect(&mut tx, &erasure, &tenant_node.name, &|sql: &mut Sql| {
                    selection.push_tenant_rows(sql, "p")
                })
                .await?;
            let mut sql = tx.sql();
            sql.push("DELETE FROM ")
                .ident(&tenant_node.name)
                .push(" AS t WHERE ");
            push_id(&mut sql);
            let deleted = tx
                .execute(&sql)
                .await
                .context("deleting the tenant's row")?;
            survivors.verify(&mut tx, &erasure).await?;
            deleted
        }
        Erase::Anonymise(columns) => {
            let key = vec![tenant_node.id.clone()];
            anonymise_rows(
                &mut tx,
                &key,
                &tenant_node.info,
                &tenant_node.name,
                columns,
                &session.ledger,
                None,
                push_id,
            )
            .await?
        }
        Erase::Retain => 0,
    };
    if *selection.tenant_erase() == Erase::Delete {
        for (link, keys) in owned_keys {
            // Anonymised and retained ones were handled with their table.
            if model.node(&link.parent).spec.erase.tenant == Erase::Delete {
                erase_owned(&mut tx, session, selection, link, keys, progress, ctx.now).await?;
            }
        }
    }
    progress.add(&tenant_node.name, tenant_rows, 0);
    // Independently of the routes that found the rows: no row may have lost its way to a
    // tenant without being erased (an owned row whose owner is gone, a reference the database
    // set to NULL, a cycle cleared).
    let mut stranded = Vec::new();
    for (table, rows) in tenantless_counts(&mut tx, model).await? {
        let before = progress
            .tenantless_before
            .get(&table)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if rows > before {
            stranded.push(format!("{table} ({} rows)", rows - before));
        }
    }
    if !stranded.is_empty() {
        return Err(Failure::failed(format!(
            "the deletion of tenant `{tenant}` left rows that belong to no tenant any more in {}: they lost their route to the tenant without being erased; nothing of this last step was committed and the job stays open",
            stranded.join(", ")
        ))
        .with_hint("run `privctl map check` (tenantless_rows) and map those rows' routes; then run the same command again")
        .into());
    }

    run.job
        .end(&mut tx, State::Done, &*progress, ctx.now)
        .await?;
    let mut details = json!({
        "tables": progress.tables,
        "blobs_queued": progress.blobs,
        "remaining": remaining,
        "job": job_id,
        "resumed": resumed,
        "batches": progress.batches,
    });
    if !progress.late.is_empty() {
        details["late_rows"] = json!(progress.late);
    }
    session
        .ledger
        .append(
            &mut tx,
            ctx.now,
            NewEntry::new(ACTION, "done", details).tenant(Some(tenant)),
        )
        .await?;
    tx.commit().await.context("finishing the deletion")?;

    // What this run deleted: the objects earlier runs left (deleted first), then its own.
    let mut blobs = crate::blobs::drain(&session.db, &session.map, Some(tenant), ctx.now).await?;
    blobs.deleted += leftovers.deleted;
    blobs.failed += leftovers.failed;
    blobs.errors.extend(leftovers.errors);
    if blobs.failed == 0 && blobs.deleted > 0 {
        record_objects_gone(ctx, session, tenant, job_id, blobs.deleted).await?;
    }
    let effects: Map<String, Value> = model
        .nodes
        .values()
        .map(|n| (n.name.clone(), json!(n.spec.erase.tenant.effect())))
        .chain(std::iter::once((
            tenant_node.name.clone(),
            json!(selection.tenant_erase().effect()),
        )))
        .collect();
    let tables: Vec<Value> = progress
        .tables
        .iter()
        .map(|(t, rows)| json!({"table": t, "rows": rows, "effect": effects.get(t), "blobs": progress.blobs.get(t).cloned().unwrap_or(json!(0))}))
        .collect();
    let total: u64 = progress.tables.values().filter_map(Value::as_u64).sum();
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": ACTION,
            "tenant": tenant,
            "executed": true,
            "resumed": resumed,
            "tables": tables,
            "total_rows": total,
            "remaining": remaining,
            "late_rows": progress.late,
            "batches": progress.batches,
            "longest_batch_ms": progress.longest_batch_ms,
            "blobs": blobs,
        }))?;
    } else {
        let rows = tables
            .iter()
            .map(|t| {
                vec![
                    t["table"].as_str().unwrap_or_default().to_owned(),
                    t["rows"].to_string(),
                    t["effect"].as_str().unwrap_or_default().to_owned(),
                ]
            })
            .collect();
        ctx.ui.table(&["table", "rows", "effect"], rows)?;
        for (table, rows) in &progress.late {
            ctx.ui.status(&format!(
                "{table}: {rows} row(s) written during the run after the table's pass were anonymised too"
            ));
        }
        ctx.ui.status(&format!(
            "tenant {tenant} erased: {total} rows in {} batches; {} blob(s) deleted, {} failed (retried on the next run)",
            progress.batches, blobs.deleted, blobs.failed
        ));
    }
    if blobs.failed > 0 {
        return Err(Failure::failed(format!(
            "{} blob(s) could not be deleted and stay in the outbox: {}",
            blobs.failed,
            blobs.errors.join("; ")
        ))
        .into());
    }
    Ok(())
}

/// Refuses a tenant with rows whose links lead to another tenant too: whose rows they are is
/// for the platform to fix, not for an erasure to guess.
async fn refuse_cross_tenant_rows(tx: &mut Tx, selection: &TenantSelection<'_>) -> Result<()> {
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

/// Leaves out the rows of `table` that the tenant row references through `[tenant] links`:
/// they are erased after it.
fn push_not_owned_by_tenant(
    sql: &mut crate::db::Sql,
    model: &crate::model::Model,
    table: &str,
    alias: &str,
) {
    let Some(t) = &model.tenant else {
        return;
    };
    for (i, link) in t.links.iter().filter(|l| l.parent == table).enumerate() {
        push_not_referenced(sql, &t.name, link, &format!("own{i}"), alias);
    }
}

/// ` AND NOT EXISTS (a row of `from` referencing the row under `alias` through `link`)`.
fn push_not_referenced(
    sql: &mut crate::db::Sql,
    from: &str,
    link: &Link,
    inner: &str,
    alias: &str,
) {
    sql.push(" AND NOT EXISTS (SELECT 1 FROM ")
        .ident(from)
        .push(" ")
        .push(inner)
        .push(" WHERE ")
        .tuple(inner, &link.columns)
        .push(" = ")
        .tuple(alias, &link.parent_columns)
        .push(")");
}

/// The owned links of `node` into mapped tables: the rows they reference go with the row.
fn owned_links<'m>(model: &'m crate::model::Model, node: &'m crate::model::Node) -> Vec<&'m Link> {
    node.links
        .iter()
        .filter(|l| l.owned && l.parent != node.name && model.nodes.contains_key(&l.parent))
        .collect()
}

/// Erases, in the transaction that deleted their owner, the rows an owner referenced through
/// an owned link (`keys`: the referenced values), unless anything still references them; then
/// what those rows own in turn. Once their owner is gone such rows cannot be found again, so
/// they are never left for a later batch.
fn erase_owned<'a>(
    tx: &'a mut Tx,
    session: &'a Session,
    selection: &'a TenantSelection<'a>,
    link: &'a Link,
    keys: Vec<String>,
    progress: &'a mut Progress,
    now: crate::clock::Timestamp,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>> {
    Box::pin(async move {
        if keys.is_empty() {
            return Ok(());
        }
        let model = selection.model();
        let table = link.parent.as_str();
        let node = model.node(table);
        let column = &link.parent_columns[0];
        let sql_type = node
            .info
            .column(column)
            .map_or("text", |c| c.sql_type.as_str())
            .to_owned();
        for chunk in keys.chunks(500) {
            let push_where = |sql: &mut crate::db::Sql| {
                sql.column("t", column).push(" IN (");
                for (i, key) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_as(key, &sql_type);
                }
                sql.push(")");
                let mut n = 0;
                for (child, l) in model.links_into(table) {
                    n += 1;
                    push_not_referenced(sql, &child.name, l, &format!("r{n}"), "t");
                }
                if let Some(t) = &model.tenant {
                    for l in t.links.iter().filter(|l| l.parent == table) {
                        n += 1;
                        push_not_referenced(sql, &t.name, l, &format!("r{n}"), "t");
                    }
                }
            };
            match &node.spec.erase.tenant {
                Erase::Delete => {
                    let owned = owned_links(model, node);
                    let mut sql = tx.sql();
                    sql.push("DELETE FROM ").ident(table).push(" AS t WHERE ");
                    push_where(&mut sql);
                    sql.push(" RETURNING ");
                    match &node.spec.blob {
                        Some(blob) => sql.push("CAST(").ident(&blob.column).push(" AS text)"),
                        None => sql.push("NULL"),
                    };
                    for l in &owned {
                        sql.push(", CAST(").ident(&l.columns[0]).push(" AS text)");
                    }
                    let deleted = tx
                        .fetch_rows(&sql)
                        .await
                        .with_context(|| format!("deleting owned rows of {table}"))?;
                    let mut blobs = 0;
                    if let Some(blob) = &node.spec.blob {
                        let objects: Vec<String> =
                            deleted.iter().filter_map(|r| r[0].clone()).collect();
                        blobs = objects.len() as u64;
                        crate::blobs::enqueue(
                            tx,
                            &blob.store,
                            table,
                            Some(selection.tenant()),
                            &objects,
                            now,
                        )
                        .await?;
                    }
                    progress.add(table, deleted.len() as u64, blobs);
                    for (i, l) in owned.iter().enumerate() {
                        let next: Vec<String> =
                            deleted.iter().filter_map(|r| r[i + 1].clone()).collect();
                        erase_owned(tx, session, selection, l, next, progress, now).await?;
                    }
                }
                Erase::Anonymise(columns) => {
                    let rows = anonymise_rows(
                        tx,
                        &node.key,
                        &node.info,
                        table,
                        columns,
                        &session.ledger,
                        None,
                        push_where,
                    )
                    .await?;
                    progress.add(table, rows, 0);
                }
                Erase::Retain => {}
            }
        }
        Ok(())
    })
}

/// Clears, before anything is deleted, the nullable references privctl left out of the
/// erasure order to break a cycle of foreign keys, on the tenant's rows that will be deleted.
/// Refuses when rows reach the tenant only through such a reference: clearing it would
/// hide them from the deletion.
async fn clear_broken_links(
    session: &Session,
    selection: &TenantSelection<'_>,
    batch: i64,
) -> Result<()> {
    let model = selection.model();
    for (table, link) in &model.broken_links {
        let child = model.node(table);
        if child.global || child.spec.erase.tenant != Erase::Delete {
            continue;
        }
        let is_route = child.routes.iter().any(|r| {
            matches!(r, crate::model::Route::Parent(l) | crate::model::Route::Tenant(l) if l == link)
        });
        if is_route {
            // Clearing it is safe only if every row keeps another route to the tenant.
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(table)
                .push(" t WHERE ");
            selection.push_scope(&mut sql, table, "t");
            // A NULL reference makes its route unknown, not false: COALESCE counts it out.
            sql.push(" AND NOT COALESCE((");
            crate::selection::push_tenant_scope_without(
                model,
                Some(selection.tenant()),
                &mut sql,
                table,
                "t",
                link,
            );
            sql.push("), 1 = 0)");
            let stranded = count(&mut tx, &sql).await?;
            tx.rollback().await?;
            if stranded > 0 {
                return Err(Failure::failed(format!(
                    "the foreign keys around `{table}` form a cycle that can only be broken at `{table}`.`{}`, and {stranded} row(s) of `{table}` reach the tenant only through it: clearing it would hide them from the deletion; nothing was deleted",
                    link.columns.join("`, `")
                ))
                .with_hint(format!("give `{table}` a tenant column (tenant = \"…\") or another route to the tenant"))
                .into());
            }
        }
        loop {
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(table).push(" SET ");
            for (i, column) in link.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(column).push(" = NULL");
            }
            sql.push(" WHERE ")
                .tuple(&session.db.dialect().quote(table), &child.key)
                .push(" IN (SELECT ")
                .columns("t", &child.key)
                .push(" FROM ")
                .ident(table)
                .push(" t WHERE ");
            selection.push_scope(&mut sql, table, "t");
            for column in &link.columns {
                sql.push(" AND ").column("t", column).push(" IS NOT NULL");
            }
            sql.push(" LIMIT ").bind(Param::Int(batch)).push(")");
            let changed = tx.execute(&sql).await.with_context(|| {
                format!(
                    "clearing {table}.{} to break a cycle",
                    link.columns.join(",")
                )
            })?;
            tx.commit().await?;
            if changed == 0 {
                break;
            }
        }
    }
    Ok(())
}
