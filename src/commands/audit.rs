//! `privctl audit-verify`, `privctl audit head` and `privctl audit log`: the ledger, read back.
//!
//! None of them appends to the ledger: reading it back touches no personal data, and a verify
//! that wrote an entry would move the head it was asked to check.

use anyhow::Result;

use super::Context;
use crate::clock::Timestamp;
use crate::db::{Db, TxMode};
use crate::error::Failure;
use crate::ledger::verify::Kind;
use crate::ledger::{self, Anchor, Ledger, LogFilter, Verification};
use crate::map::{DataMap, Duration};
use crate::report::audit::{AuditLog, Head, LogEntry, VerifyReport};

/// Verify the ledger's hash chain: altered, removed, reordered, forged or cut-off entries
///
/// Streams the ledger in seq order, recomputes every hash under keys.ledger and names the first
/// bad entry. Exit 4 when anything is wrong.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// An earlier `audit head` (SEQ:HASH): also proves nothing after it was cut off or rewritten
    #[arg(long, value_name = "SEQ:HASH", value_parser = parse_anchor)]
    pub anchor: Option<Anchor>,

    /// A signed checkpoint (`audit checkpoint`): proves the ledger is the same log, no shorter,
    /// and only appended to since
    #[arg(long, value_name = "FILE", requires = "vkeys")]
    pub checkpoint: Option<std::path::PathBuf>,

    /// The log's verifier key (vkey text or a file of them) for --checkpoint; repeat for several
    #[arg(long = "vkey", value_name = "KEY", requires = "checkpoint")]
    pub vkeys: Vec<String>,

    /// A witness's verifier key: the checkpoint must carry its cosignature; repeat for several
    #[arg(long = "witness", value_name = "KEY", requires = "checkpoint")]
    pub witnesses: Vec<String>,
}

fn parse_anchor(text: &str) -> Result<Anchor, String> {
    text.parse()
}

/// Read the ledger: its head, or its recent entries
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Head(HeadArgs),
    Log(LogArgs),
    Keygen(super::audit_sign::KeygenArgs),
    Vkey(super::audit_sign::VkeyArgs),
    Checkpoint(super::audit_sign::CheckpointArgs),
    Consistency(super::audit_sign::ConsistencyArgs),
    Witness(super::audit_sign::WitnessArgs),
}

/// Print the ledger's head (SEQ:HASH), to keep outside the database as an anchor
#[derive(Debug, clap::Args)]
pub struct HeadArgs {}

/// Show recent ledger entries, newest first (never a subject's identifier)
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only entries for this tenant
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,

    /// Only entries of this action (dsar-delete, delete-tenant, purge-retention, …)
    #[arg(long, value_name = "NAME")]
    pub action: Option<String>,

    /// Only entries since this time: RFC 3339, or a duration ago such as 7d or 12h
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// At most this many entries
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
}

/// The map (for keys.ledger), the database and the ledger: what reading the ledger needs. The
/// map's tables are not resolved, so a map that has drifted from the schema does not stop an
/// audit.
async fn open(ctx: &Context) -> Result<(Db, Ledger)> {
    let map = DataMap::load(&ctx.map_path)?;
    let db = ctx.connect().await?;
    let ledger = ctx.ledger(&map)?;
    db.require_privctl_tables().await?;
    Ok((db, ledger))
}

pub async fn verify(ctx: &Context, args: VerifyArgs) -> Result<()> {
    let signed = match &args.checkpoint {
        Some(path) => Some(signed_checkpoint(
            path,
            &args.vkeys,
            &args.witnesses,
            ctx.now,
        )?),
        None => None,
    };
    let (db, ledger) = open(ctx).await?;
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let report = ledger
        .verify_signed(&mut tx, args.anchor.as_ref(), signed.as_ref())
        .await?;
    tx.rollback().await?;
    db.close().await;
    if ctx.ui.is_json() {
        ctx.ui.json(&VerifyReport::new(&report))?;
    } else {
        print_verification(ctx, &report, args.anchor.as_ref())?;
        if let Some(signed) = signed.as_ref().filter(|_| report.ok()) {
            ctx.ui.line(&format!(
                "checkpoint of {} at size {} holds: the ledger only appended to it",
                signed.origin, signed.size
            ))?;
        }
    }
    match report.problems.first() {
        None => Ok(()),
        Some(first) => Err(Failure::ledger_altered(format!(
            "the ledger does not verify: entry {} is {} ({} problem(s) in all)",
            first.seq,
            first.kind,
            report.problems.len() as u64 + report.more_problems
        ))
        .with_hint(match first.kind {
            Kind::PurgedEarly => "the ledger is held to the retention --checkpoint announced: if a newer checkpoint announced another window, verify against that one; if none did, keep this database as evidence",
            _ => "keep this database as evidence; compare with a backup and with the last anchor from `privctl audit head`",
        })
        .into()),
    }
}

/// The checkpoint file, its log signature checked with `vkeys` and a cosignature of each witness.
fn signed_checkpoint(
    path: &std::path::Path,
    vkeys: &[String],
    witnesses: &[String],
    now: Timestamp,
) -> Result<crate::ledger::verify::SignedHead> {
    use super::audit_sign::{open_checkpoint, signed_head, verifier_keys};
    let log_keys = verifier_keys(vkeys, "--vkey")?;
    let witness_keys = verifier_keys(witnesses, "--witness")?;
    let bytes = std::fs::read(path)
        .map_err(|error| Failure::usage(format!("--checkpoint {}: {error}", path.display())))?;
    let what = format!("--checkpoint {}", path.display());
    let mut known = log_keys.clone();
    known.extend(witness_keys.iter().cloned());
    let (opened, checkpoint) = open_checkpoint(&bytes, &known, &what)?;
    if !log_keys.iter().any(|key| opened.verified_by(key).is_some()) {
        return Err(Failure::ledger_altered(format!(
            "{what}: no --vkey signed it (only witnesses did)"
        ))
        .into());
    }
    if let Some(missing) = witness_keys
        .iter()
        .find(|key| opened.verified_by(key).is_none())
    {
        return Err(Failure::ledger_altered(format!(
            "{what}: witness {} did not cosign it",
            missing.name()
        ))
        .into());
    }
    signed_head(&checkpoint, now, &what)
}

fn print_verification(
    ctx: &Context,
    report: &Verification,
    anchor: Option<&Anchor>,
) -> std::io::Result<()> {
    let from = match &report.start {
        Some(ledger::verify::Start {
            checkpoint: Some(c),
            ..
        }) => format!(
            "from entry {}, after the retention checkpoint of entry {} (signed {}, {} entries purged)",
            c.seq + 1,
            c.seq,
            c.created_at,
            c.purged
        ),
        Some(start) => format!("from entry {}", start.seq),
        None => "the ledger is empty".to_owned(),
    };
    if !report.problems.is_empty() {
        let rows = report
            .problems
            .iter()
            .map(|p| vec![p.seq.to_string(), p.kind.to_string(), p.detail.clone()])
            .collect();
        ctx.ui.table(&["seq", "problem", "detail"], rows)?;
        if report.more_problems > 0 {
            ctx.ui
                .line(&format!("… and {} more problems", report.more_problems))?;
        }
    }
    let verdict = if report.ok() {
        "verified"
    } else {
        "NOT verified"
    };
    let entries = match report.entries {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    };
    ctx.ui.line(&match &report.head {
        Some((seq, hash)) => format!("{entries} {verdict}, {from}; head {seq}:{hash}"),
        None => format!("{entries} {verdict}: {from}"),
    })?;
    if let Some(anchor) = anchor
        && report.ok()
    {
        ctx.ui
            .line(&format!("anchor {anchor}: the ledger still holds it"))?;
    }
    if let Some(tree) = report
        .tree
        .as_ref()
        .filter(|tree| tree.size > 0 && report.ok())
    {
        ctx.ui.line(&format!(
            "tree: {} {}, root {}{}",
            tree.size,
            if tree.size == 1 { "leaf" } else { "leaves" },
            tree.root,
            tree.origin
                .as_ref()
                .map_or(String::new(), |origin| format!(", log {origin}"))
        ))?;
    }
    for note in &report.notes {
        ctx.ui.line(&format!("note: {note}"))?;
    }
    Ok(())
}

pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Head(_) => head(ctx).await,
        Command::Log(args) => log(ctx, args).await,
        Command::Keygen(args) => super::audit_sign::keygen(ctx, args).await,
        Command::Vkey(args) => super::audit_sign::vkey(ctx, args).await,
        Command::Checkpoint(args) => super::audit_sign::checkpoint(ctx, args).await,
        Command::Consistency(args) => super::audit_sign::consistency(ctx, args).await,
        Command::Witness(args) => super::audit_sign::witness(ctx, args).await,
    }
}

async fn head(ctx: &Context) -> Result<()> {
    let (db, _) = open(ctx).await?;
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let head = ledger::head(&mut tx).await?;
    tx.rollback().await?;
    db.close().await;
    let (seq, hash) = head.ok_or_else(|| Failure::failed("the ledger has no entries yet"))?;
    if ctx.ui.is_json() {
        ctx.ui.json(&Head { seq, hash: &hash })?;
    } else {
        ctx.ui.line(&format!("{seq}:{hash}"))?;
    }
    Ok(())
}

async fn log(ctx: &Context, args: LogArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, ctx.now))
        .transpose()?;
    let (db, _) = open(ctx).await?;
    let filter = LogFilter {
        tenant: args.tenant,
        action: args.action,
        since,
        limit: args.limit,
    };
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let entries = ledger::log(&mut tx, &filter).await?;
    tx.rollback().await?;
    db.close().await;
    if ctx.ui.is_json() {
        let entries = entries.iter().map(LogEntry::new).collect();
        return Ok(ctx.ui.json(&AuditLog { entries })?);
    }
    if entries.is_empty() {
        return Ok(ctx.ui.line("no ledger entries match")?);
    }
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.at.clone(),
                e.actor.clone(),
                e.action.clone(),
                e.tenant.clone().unwrap_or_default(),
                e.outcome.clone(),
                summary(&e.details),
            ]
        })
        .collect();
    ctx.ui.table(
        &[
            "seq", "at", "actor", "action", "tenant", "outcome", "details",
        ],
        rows,
    )?;
    Ok(())
}

/// `--since`: an RFC 3339 time, or a duration before now.
fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp> {
    if let Ok(time) = Timestamp::parse(text) {
        return Ok(time);
    }
    let ago = Duration::parse(text).map_err(|_| {
        Failure::usage(format!(
            "--since {text}: not an RFC 3339 time (2026-11-01T00:00:00Z) nor a duration ago (7d, 12h)"
        ))
    })?;
    Ok(now.plus_seconds(-ago.seconds()))
}

/// An entry's details, cut to fit a table cell (`--format json` has them whole).
fn summary(details: &str) -> String {
    const WIDTH: usize = 60;
    if details.chars().count() <= WIDTH {
        return details.to_owned();
    }
    let cut: String = details.chars().take(WIDTH - 1).collect();
    format!("{cut}…")
}
