//! `privctl delete-tenant`: erase a whole tenant, two-step, in bounded batches, resumable.
//!
//! The confirmed run consumes the token and records a job in `privctl_jobs` in one transaction,
//! then erases table by table, children before parents, each batch its own short transaction
//! that also records the job's progress. Killed at any point, the same command with the same
//! token resumes the job; the token authorises nothing else meanwhile. Blob keys of deleted rows
//! go to the outbox with the rows; the objects are deleted after the last batch.

use anyhow::Result;
use serde_json::{Value, json};

use super::{Context, Session};
use crate::confirm::{self, Binding};
use crate::db::TxMode;
use crate::error::Failure;
use crate::jobs::State;
use crate::ledger::NewEntry;
use crate::plan::plan_tenant;
use crate::selection::TenantSelection;
use crate::twostep::ConfirmedRun;

/// Erase a whole tenant (delete or anonymise per the map); needs a token
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant to erase
    #[arg(long, value_name = "ID")]
    pub tenant: String,
    #[command(flatten)]
    pub confirm: crate::cli::ConfirmArg,
    #[command(flatten)]
    pub batches: crate::cli::BatchArgs,
    #[command(flatten)]
    pub metrics: crate::cli::MetricsArg,
}

use crate::erase::tenant::{ACTION, TenantRun};

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
    let Some(token) = &args.confirm.confirm else {
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
        let erasure = TenantRun::new(
            &run,
            &selection,
            args.batches.sizing(),
            args.batches.batch_pause,
            &lock,
        );
        match erasure.execute().await {
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

async fn dry_run(ctx: &Context, session: &Session, selection: &TenantSelection<'_>) -> Result<()> {
    let tenant = selection.tenant();
    let mut tx = session.begin_for(Some(tenant)).await?;
    crate::erase::tenant::refuse_cross_tenant_rows(&mut tx, selection).await?;
    let plan = plan_tenant(&mut tx, selection, &session.schema).await?;
    let binding = Binding {
        action: ACTION.into(),
        tenant: Some(tenant.to_owned()),
        selector: crate::erase::tenant::selector(tenant),
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
