//! The command line: global flags and the subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::{
    audit, completions, decrypt, delete_tenant, demo, dsar, export_tenant, init, map, purge,
    receipt, status,
};
use crate::ui::Format;

/// privctl: privacy operations for multi-tenant SaaS databases.
///
/// Answers data subject requests, exports and deletes tenants, purges data past its retention
/// window, and keeps a tamper-evident ledger of everything it did. Every destructive command is
/// two-step: a dry run issues a token, the real run consumes it.
#[derive(Debug, Parser)]
#[command(
    name = "privctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database: postgres://… or sqlite://path
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// The data map
    #[arg(
        long,
        env = "PRIVCTL_MAP",
        global = true,
        default_value = "privctl.toml",
        value_name = "FILE"
    )]
    pub map: PathBuf,

    /// Who is acting, recorded in the ledger [default: $USER@hostname]
    #[arg(long, env = "PRIVCTL_ACTOR", global = true, value_name = "NAME")]
    pub actor: Option<String>,

    /// Human tables or one JSON document on stdout
    #[arg(long, env = "PRIVCTL_FORMAT", global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// No status lines and no progress bars
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// No progress bars (they are also off when stderr is not a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::Args),
    #[command(subcommand)]
    Map(map::Command),
    #[command(subcommand)]
    Dsar(dsar::Command),
    ExportTenant(export_tenant::Args),
    DeleteTenant(delete_tenant::Args),
    PurgeRetention(purge::Args),
    AuditVerify(audit::VerifyArgs),
    #[command(subcommand)]
    Audit(audit::Command),
    #[command(subcommand)]
    Receipt(receipt::Command),
    Decrypt(decrypt::Args),
    Status(status::Args),
    Completions(completions::Args),
    Demo(demo::Args),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

/// `--confirm`: how every destructive command's confirmed run gets its token.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfirmArg {
    /// The token from the dry run, or `-` to read it (or the dry run's JSON) from stdin
    #[arg(long, value_name = "TOKEN|-")]
    pub confirm: Option<String>,
}

/// `--metrics-file`: the run's metrics for node_exporter's textfile collector.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArg {
    /// When the run ends, write its metrics here in the Prometheus text format (atomically:
    /// for node_exporter's textfile collector), whatever its exit code
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<std::path::PathBuf>,
}

/// How a long run goes in bounded batches (delete-tenant, purge-retention): see
/// [`crate::batch::Sizing::from_flags`] for how the two sizes combine.
#[derive(Debug, Clone, clap::Args)]
pub struct BatchArgs {
    /// Most rows per transaction (a purge deletes their descendants in the same transaction);
    /// given alone, every batch has this size [default: 100000, sized by --batch-time]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s)
    /// [default: 100ms unless --batch-size is given alone]
    #[arg(long, value_name = "DURATION", value_parser = parse_batch_time)]
    pub batch_time: Option<crate::map::Duration>,
    /// Pause between batches to leave room for live traffic (e.g. 50ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_pause)]
    pub batch_pause: Option<crate::map::Duration>,
}

impl BatchArgs {
    /// The batches' sizing these flags ask for.
    pub fn sizing(&self) -> crate::batch::Sizing {
        crate::batch::Sizing::from_flags(self.batch_size, self.batch_time.map(|d| d.to_std()))
    }
}

/// `--batch-pause`: at most an hour (a longer pause would stall the run, not spare the database).
fn parse_pause(text: &str) -> Result<crate::map::Duration, String> {
    crate::map::Duration::parse(text).and_then(|d| crate::map::Duration::at_most_an_hour(d, text))
}

/// `--batch-time`: from 1ms to 10s (a longer batch holds its locks too long to be a batch).
fn parse_batch_time(text: &str) -> Result<crate::map::Duration, String> {
    let time = crate::map::Duration::parse(text)?;
    let ms = time.to_std().as_millis();
    if ms == 0 {
        return Err(format!(
            "`{}` is no time: a batch takes at least 1ms",
            text.trim()
        ));
    }
    if ms > 10_000 {
        return Err(format!(
            "`{}` is longer than the longest batch time, 10s",
            text.trim()
        ));
    }
    Ok(time)
}
