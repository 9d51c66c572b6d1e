//! `privctl map discover` and `privctl map check`: start a data map from the live schema, and
//! keep it from drifting as the schema changes.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::Context;
use crate::error::{Failure, Kind};
use crate::map::DataMap;
use crate::map::check::{self, Finding, FindingKind, Report};
use crate::map::discover;
use crate::report::map::MapCheck;

/// Draft a data map, or check one against the live schema
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Discover(DiscoverArgs),
    Check(CheckArgs),
    Graph(GraphArgs),
}

/// Draw the data map: the tenant table at the root, the routes to it, identities, owned and
/// not-followed links, global and ignored tables, each table's erase effect and retention
///
/// Reads the map and the database's foreign keys (the graph is the model privctl acts on);
/// changes nothing. DOT renders with Graphviz (`dot -Tsvg`); Mermaid renders in Markdown on
/// GitHub and GitLab; SVG is laid out by privctl itself.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The picture's format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub output_format: GraphFormat,

    /// Write it here instead of stdout (never over an existing file without --force)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Overwrite --out if it exists
    #[arg(long, requires = "out")]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

/// Draft a data map from the live schema: tenant table and column, links, identities, timestamps
///
/// Every line that is a guess (from names and types rather than the catalog) carries a
/// `# guess:` comment saying why. The same schema always gives the same draft.
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Write the draft here instead of stdout (never over an existing file without --force)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The column that holds the tenant [default: a tenant_id, org_id, organization_id,
    /// organisation_id, workspace_id, team_id, account_id or project_id column, in any case
    /// style, pointing at the table most others reach]
    #[arg(long, value_name = "NAME")]
    pub tenant_column: Option<String>,

    /// Overwrite --out if it exists
    #[arg(long, requires = "out")]
    pub force: bool,

    /// Also read up to N rows per table and propose identities by content: each column whose
    /// values hold emails, phone numbers (E.164), IPv4 or IPv6 addresses, payment card numbers or IBANs
    /// (--sample alone: 1000). Values are never printed, only the share of rows
    #[arg(
        long,
        value_name = "N",
        num_args = 0..=1,
        default_missing_value = "1000",
        value_parser = clap::value_parser!(u64).range(1..=i64::MAX as u64)
    )]
    pub sample: Option<u64>,
}

/// Check the map against the live schema: every table covered, every name and link resolved
///
/// Exit 5 with the list of problems: a table neither mapped nor ignored, a mapped table or
/// column that does not exist, a link that does not resolve, a table without row identity, a
/// category or plan tier without a retention window, row-level security without
/// database.tenant_setting. Missing indexes are warnings, each with the CREATE INDEX that fixes it.
///
/// With --sample, also reads up to N rows of every mapped table (global ones too; never the
/// tenant table or an ignored one) and recognises identifiers by content in text, JSON and
/// network-address columns: emails, phone numbers, IPv4 and IPv6 addresses, payment card
/// numbers, IBANs.
/// Each column or JSON path holding them that the map does not name as an identity (nor `omit`s
/// from exports) is a warning `unmapped_personal_data`, with the identity entry that would name
/// it. Sampled values are never printed.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Also read up to N rows per table and warn of personal data the map does not name
    /// (--sample alone: 1000). PostgreSQL samples at random; SQLite reads the first N rows
    #[arg(
        long,
        value_name = "N",
        num_args = 0..=1,
        default_missing_value = "1000",
        value_parser = clap::value_parser!(u64).range(1..=i64::MAX as u64)
    )]
    pub sample: Option<u64>,
}

pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Discover(args) => run_discover(ctx, args).await,
        Command::Check(args) => run_check(ctx, args).await,
        Command::Graph(args) => run_graph(ctx, args).await,
    }
}

async fn run_graph(ctx: &Context, args: GraphArgs) -> Result<()> {
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        return Err(Failure::usage(format!("{} already exists", out.display()))
            .with_hint("choose another --out, or pass --force to replace it")
            .into());
    }
    let session = ctx.session().await?;
    let graph = crate::graph::Graph::of(&session.map, &session.model);
    session.db.close().await;
    let text = match args.output_format {
        GraphFormat::Dot => graph.dot(),
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Svg => graph.svg().map_err(Failure::failed)?,
    };
    match &args.out {
        Some(out) => {
            std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("writing the graph")?,
    }
    Ok(())
}

async fn run_discover(ctx: &Context, args: DiscoverArgs) -> Result<()> {
    if let Some(column) = &args.tenant_column {
        crate::map::check_identifier(column)
            .map_err(|e| Failure::usage(format!("--tenant-column: {e}")))?;
    }
    let db = ctx.connect().await?;
    let schema = db.schema().await?;
    let dialect = db.dialect();
    let sampled = match args.sample {
        Some(rows) => {
            let tables: std::collections::BTreeSet<&str> = schema
                .tables
                .keys()
                .map(String::as_str)
                .filter(|t| !crate::map::check::OWN_TABLES.contains(t))
                .collect();
            crate::map::sample::sample_tables(&db, &schema, &tables, rows, None).await?
        }
        None => Vec::new(),
    };
    db.close().await;
    if let Some(column) = &args.tenant_column {
        let found = schema.tables.values().any(|t| t.column(column).is_some());
        if !found {
            return Err(Failure::usage(format!(
                "--tenant-column {column}: no table of the database has a column of that name"
            ))
            .into());
        }
    }
    let text = discover::draft(&schema, dialect, args.tenant_column.as_deref(), &sampled);
    match &args.out {
        None => ctx.ui.raw(&text)?,
        Some(path) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true);
            if args.force {
                options.create(true).truncate(true);
            } else {
                options.create_new(true);
            }
            let mut file = options.open(path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Failure::failed(format!("{}: the file exists", path.display()))
                        .with_hint("pass --force to overwrite it, or choose another --out")
                        .into()
                } else {
                    anyhow::Error::new(e).context(format!("creating {}", path.display()))
                }
            })?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            let guesses = text.matches("# guess:").count();
            ctx.ui.status(&format!(
                "wrote {}: {guesses} guesses to review (lines marked `# guess:`), then run `privctl map check`",
                path.display()
            ));
        }
    }
    Ok(())
}

async fn run_check(ctx: &Context, args: CheckArgs) -> Result<()> {
    let path = ctx.map_path.display().to_string();
    let report = match DataMap::load(&ctx.map_path) {
        Ok(map) => {
            let db = ctx.connect().await?;
            let report = check::check(&map, &db, args.sample).await;
            db.close().await;
            report?
        }
        Err(failure) if failure.kind == Kind::Map => Report {
            problems: vec![Finding::new(
                FindingKind::InvalidMap,
                None,
                None,
                failure.message,
            )],
            warnings: Vec::new(),
        },
        Err(failure) => return Err(failure.into()),
    };
    let ok = report.problems.is_empty();
    if ctx.ui.is_json() {
        ctx.ui.json(&MapCheck {
            ok,
            map: &path,
            problems: &report.problems,
            warnings: &report.warnings,
        })?;
    } else {
        print_findings(ctx, "problem", &report.problems)?;
        print_findings(ctx, "warning", &report.warnings)?;
        if ok {
            ctx.ui.line(&format!(
                "{path}: every table is accounted for ({} warning(s))",
                report.warnings.len()
            ))?;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            Kind::MapProblems,
            format!(
                "{path}: map check found {} problem(s)",
                report.problems.len()
            ),
        )
        .into())
    }
}

fn print_findings(ctx: &Context, what: &str, findings: &[Finding]) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    let rows = findings
        .iter()
        .map(|f| {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            vec![
                kind,
                f.table.clone().unwrap_or_default(),
                f.column.clone().unwrap_or_default(),
                f.detail.clone(),
            ]
        })
        .collect();
    ctx.ui.table(&[what, "table", "column", "detail"], rows)?;
    let fixes: Vec<&str> = findings.iter().filter_map(|f| f.fix.as_deref()).collect();
    if !fixes.is_empty() {
        ctx.ui
            .line("-- the statements that add the missing indexes:")?;
        for fix in fixes {
            ctx.ui.line(fix)?;
        }
    }
    Ok(())
}
