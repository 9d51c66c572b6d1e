//! `privctl purge-retention`: delete rows past their retention window, every night, from cron.
//! The run itself is [`crate::purge`]; the dry run is [`dry_run`].
//!
//! The dry run turns every tenant's windows into absolute cutoffs, counts what they expire
//! (with the rows that go with them), refuses a plan that would delete too much, and issues a
//! token bound to the cutoffs. The confirmed run recomputes the cutoffs from the token's issue
//! time, so it deletes exactly what was planned: rows that age past a cutoff in between wait
//! for the next night. It walks each table's expired rows in key order, in bounded batches,
//! each its own transaction (rows locked by live traffic are skipped on PostgreSQL), and only
//! one run holds the lock at a time. With `[retention] ledger`, a run over every tenant ends by
//! purging the ledger's oldest entries behind a signed checkpoint.

mod dry_run;

use anyhow::Result;
use serde_json::json;

use super::{Context, Session};
use crate::clock::Timestamp;
use crate::confirm::{self};
use crate::db::TxMode;
use crate::error::Failure;
use crate::ledger::NewEntry;
use crate::map::Duration;
use crate::plan::count;
use crate::report::purge::BlobsOnly;
use crate::twostep::{ConfirmedRun, locked};

/// Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this tenant [default: every tenant]
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,
    #[command(flatten)]
    pub confirm: crate::cli::ConfirmArg,
    #[command(flatten)]
    pub batches: crate::cli::BatchArgs,
    /// Refuse a plan that deletes more rows than this [default: purge.max_rows in the map]
    #[arg(long, value_name = "N")]
    pub max_rows: Option<u64>,
    /// Accept a plan over --max-rows or over purge.max_fraction of a table
    #[arg(long)]
    pub allow_large: bool,
    /// Stop cleanly between batches after this long (e.g. 2h); the same token resumes
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<Duration>,
    /// Only delete the objects waiting in the blob outbox (their rows are already gone; no token)
    #[arg(long, conflicts_with_all = ["confirm", "max_rows", "allow_large", "as_of"])]
    pub blobs_only: bool,
    /// Dry run as if now were TIME (RFC 3339, e.g. 2027-01-01T00:00:00Z) to see a later purge;
    /// issues no token, so it cannot be confirmed
    #[arg(long, value_name = "TIME", value_parser = parse_as_of)]
    pub as_of: Option<Timestamp>,
    #[command(flatten)]
    pub metrics: crate::cli::MetricsArg,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Duration::parse(text)
}

fn parse_as_of(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text.trim())
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2027-01-01T00:00:00Z ({e})"))
}

use crate::purge::{ACTION, PurgeRun};

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
    // Checked before anything is read: a purge only ever runs at the real time.
    if args.as_of.is_some() && args.confirm.confirm.is_some() {
        return Err(Failure::usage(
            "--as-of and --confirm cannot go together: --as-of only shows what a purge would do at another time (it issues no token); confirm a dry run made without --as-of",
        )
        .into());
    }
    let session = if args.blobs_only {
        ctx.outbox_session().await?
    } else {
        ctx.session().await?
    };
    if args.tenant.is_some() {
        // An unknown tenant is an error here; a tenant on hold is reported by the plan.
        session.check_tenant(args.tenant.as_deref()).await?;
    } else if !args.blobs_only {
        refuse_hidden_tenants(&session).await?;
    }
    if args.blobs_only {
        return locked(ctx, &session, ACTION, BUSY, |_| {
            blobs_only(ctx, &session, &args)
        })
        .await;
    }
    let Some(token) = &args.confirm.confirm else {
        return dry_run::dry_run(ctx, &session, &args).await;
    };
    let token = confirm::read_token(token)?;
    let run = ConfirmedRun::new(ctx, &session, ACTION, args.tenant.as_deref(), &token);
    run.locked(ACTION, BUSY, async |lock| {
        PurgeRun::new(
            &run,
            args.batches.sizing(),
            args.batches.batch_pause,
            args.max_duration,
            lock,
        )
        .execute()
        .await
    })
    .await
}

/// Why a second purge exits 75: one purge at a time, whatever its tenant or token.
const BUSY: &str = "another purge-retention run holds the lock";

/// A run over every tenant lists them from the tenant table. When row-level security hides
/// all of its rows from this role (no tenant setting is made for a run over every tenant), that
/// list is empty and the purge would find nothing and exit 0: refuse instead.
async fn refuse_hidden_tenants(session: &Session) -> Result<()> {
    let Some(tenant) = &session.model.tenant else {
        return Ok(());
    };
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    let hidden = if tx.row_security_active(&tenant.name).await? {
        let mut sql = tx.sql();
        sql.push("SELECT count(*) FROM ").ident(&tenant.name);
        count(&mut tx, &sql).await? == 0
    } else {
        false
    };
    tx.rollback().await?;
    if !hidden {
        return Ok(());
    }
    Err(Failure::failed(format!(
        "row-level security hides every row of {} from this database role, so a purge of every tenant would find none to purge; nothing was done",
        tenant.name
    ))
    .with_hint("run purge-retention once per tenant with --tenant ID (privctl then makes database.tenant_setting), or connect as a role that may read every tenant row")
    .into())
}

/// `--blobs-only`: deletes the objects waiting in the outbox.
async fn blobs_only(ctx: &Context, session: &Session, args: &Args) -> Result<()> {
    let tenant = args.tenant.as_deref();
    let report =
        crate::blobs::drain(&session.db, &session.map, &session.ledger, tenant, ctx.now).await?;
    crate::metrics::blobs(&report);
    let outcome = if report.failed == 0 {
        "blobs"
    } else {
        "failed"
    };
    let details = json!({"blobs_deleted": report.deleted, "blobs_failed": report.failed});
    let entry = NewEntry::new(ACTION, outcome, details).tenant(tenant);
    session.record(ctx, entry).await;
    if ctx.ui.is_json() {
        ctx.ui.json(&BlobsOnly {
            action: ACTION,
            tenant,
            blobs_only: true,
            blobs: &report,
        })?;
    } else {
        ctx.ui.line(&format!(
            "{} blob(s) deleted, {} failed",
            report.deleted, report.failed
        ))?;
    }
    if report.failed > 0 {
        return Err(report.failure("").into());
    }
    Ok(())
}
