//! One module per subcommand; [`run`] dispatches.

pub mod audit;
pub mod audit_sign;
pub mod completions;
pub mod decrypt;
pub mod delete_tenant;
pub mod demo;
pub mod dsar;
pub mod export_tenant;
pub mod init;
pub mod map;
pub mod purge;
pub mod receipt;
pub mod status;

use anyhow::Result;

use crate::cli::{Cli, Command};
pub use crate::session::{Context, Session};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Context::from_cli(&cli.global)?;
    let Some(metrics) = metrics_target(&cli.command) else {
        return dispatch(&ctx, cli.command).await;
    };
    metrics.check()?;
    let started = std::time::Instant::now();
    let result = dispatch(&ctx, cli.command).await;
    let code = match &result {
        Ok(()) => 0,
        Err(error) => crate::error::exit_code_of(error),
    };
    let written = crate::metrics::write(&metrics, code, started.elapsed(), ctx.now);
    match (result, written) {
        (Err(error), _) => Err(error),
        (Ok(()), Err(error)) => Err(error.context(crate::error::Failure::failed(
            "the run is done, but its metrics file could not be written",
        ))),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Where the command writes its metrics (`--metrics-file`), if it takes them and was given one.
fn metrics_target(command: &Command) -> Option<crate::metrics::Target> {
    let (path, name, tenant, executes) = match command {
        Command::PurgeRetention(args) => (
            args.metrics.metrics_file.clone()?,
            "purge-retention",
            args.tenant.clone(),
            args.confirm.confirm.is_some() || args.blobs_only,
        ),
        Command::DeleteTenant(args) => (
            args.metrics.metrics_file.clone()?,
            "delete-tenant",
            Some(args.tenant.clone()),
            args.confirm.confirm.is_some(),
        ),
        Command::Dsar(dsar::Command::Delete(args)) => (
            args.metrics.metrics_file.clone()?,
            "dsar-delete",
            args.subject.tenant.clone(),
            args.confirm.confirm.is_some(),
        ),
        _ => return None,
    };
    Some(crate::metrics::Target {
        path,
        command: name,
        tenant,
        executes,
    })
}

async fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Init(args) => init::run(ctx, args).await,
        Command::Map(command) => map::run(ctx, command).await,
        Command::Dsar(command) => dsar::run(ctx, command).await,
        Command::ExportTenant(args) => export_tenant::run(ctx, args).await,
        Command::DeleteTenant(args) => delete_tenant::run(ctx, args).await,
        Command::PurgeRetention(args) => purge::run(ctx, args).await,
        Command::AuditVerify(args) => audit::verify(ctx, args).await,
        Command::Audit(command) => audit::run(ctx, command).await,
        Command::Receipt(command) => receipt::run(ctx, command).await,
        Command::Decrypt(args) => decrypt::run(ctx, args).await,
        Command::Status(args) => status::run(ctx, args).await,
        Command::Completions(args) => completions::run(ctx, args),
        Command::Demo(args) => demo::run(ctx, args).await,
    }
}
