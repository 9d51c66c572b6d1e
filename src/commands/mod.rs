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
    match cli.command {
        Command::Init(args) => init::run(&ctx, args).await,
        Command::Map(command) => map::run(&ctx, command).await,
        Command::Dsar(command) => dsar::run(&ctx, command).await,
        Command::ExportTenant(args) => export_tenant::run(&ctx, args).await,
        Command::DeleteTenant(args) => delete_tenant::run(&ctx, args).await,
        Command::PurgeRetention(args) => purge::run(&ctx, args).await,
        Command::AuditVerify(args) => audit::verify(&ctx, args).await,
        Command::Audit(command) => audit::run(&ctx, command).await,
        Command::Receipt(command) => receipt::run(&ctx, command).await,
        Command::Decrypt(args) => decrypt::run(&ctx, args).await,
        Command::Status(args) => status::run(&ctx, args).await,
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args).await,
    }
}
