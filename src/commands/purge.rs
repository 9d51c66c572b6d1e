//! `privctl purge-retention`: delete rows past their retention window, every night, from cron.
//!
//! The dry run turns every tenant's windows into absolute cutoffs, counts what they expire
//! (with the rows that go with them), refuses a plan that would delete too much, and issues a
//! token bound to the cutoffs. The confirmed run recomputes the cutoffs from the token's issue
//! time, so it deletes exactly what was planned: rows that age past a cutoff in between wait
//! for the next night. It walks each table's expired rows in key order, in bounded batches,
//! each its own transaction (rows locked by live traffic are skipped on PostgreSQL), and only
//! one run holds the lock at a time. With `[retention] ledger`, a run over every tenant ends by
//! purging the ledger's oldest entries behind a signed checkpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use super::{Context, Session};
use crate::clock::Timestamp;
use crate::confirm::{self, Binding, Confirmation};
use crate::db::{LockCheck, Param, Tx, TxMode};
use crate::error::Failure;
use crate::jobs::{Job, State};
use crate::ledger::{NewEntry, checkpoint, sha256_hex};
use crate::map::{Duration, Effect};
use crate::plan::{ClearedReference, TablePlan, count};
use crate::retention::{self, Batch, LEDGER_TABLE, TenantPurge, Windows};
use crate::twostep::{ConfirmedRun, Holds, Start, locked};

/// Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this tenant [default: every tenant]
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,
    /// The token from the dry run, or `-` to read it (or the dry run's JSON) from stdin
    #[arg(long, value_name = "TOKEN|-")]
    pub confirm: Option<String>,
    /// Rows of a table per transaction (their descendants go in the same transaction)
    #[arg(long, default_value_t = 5000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Refuse a plan that deletes more rows than this [default: purge.max_rows in the map]
    #[arg(long, value_name = "N")]
    pub max_rows: Option<u64>,
    /// Accept a plan over --max-rows or over purge.max_fraction of a table
    #[arg(long)]
    pub allow_large: bool,
    /// Stop cleanly between batches after this long (e.g. 2h); the same token resumes
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<Duration>,
    /// Pause between batches to leave room for live traffic (e.g. 50ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_pause)]
    pub batch_pause: Option<Duration>,
    /// Only delete the objects waiting in the blob outbox (their rows are already gone; no token)
    #[arg(long, conflicts_with_all = ["confirm", "max_rows", "allow_large"])]
    pub blobs_only: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Duration::parse(text)
}

/// `--batch-pause`: at most an hour (a longer pause would stall the run, not spare the database).
fn parse_pause(text: &str) -> Result<Duration, String> {
    Duration::parse(text).and_then(|d| Duration::at_most_an_hour(d, text))
}

const ACTION: &str = "purge-retention";

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
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
    let Some(token) = &args.confirm else {
        return dry_run(ctx, &session, &args).await;
    };
    let token = confirm::read_token(token)?;
    let run = ConfirmedRun::new(ctx, &session, ACTION, args.tenant.as_deref(), &token);
    run.locked(ACTION, BUSY, |lock| execute(&run, &args, lock))
        .await
}

/// Why a second purge exits 75: one purge at a time, whatever its tenant or token.
const BUSY: &str = "another purge-retention run holds the lock";

/// Whether `error` is this run's lock found lost ([`LockCheck::verify`]): the run stops there,
/// rather than carrying on with the next table as after a table's own failure.
fn lost_lock(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<Failure>())
        .any(|f| f.kind == crate::error::Kind::Locked)
}

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

fn selector(tenant: Option<&str>) -> String {
    sha256_hex(format!("privctl-purge/1\0{}", tenant.unwrap_or("*")).as_bytes())
}

async fn set_tenant(tx: &mut Tx, session: &Session, tenant: Option<&str>) -> Result<()> {
    if let (Some(setting), Some(tenant)) = (&session.map.tenant_setting, tenant) {
        tx.set_tenant(setting, tenant).await?;
    }
    Ok(())
}

/// What the dry run found: per table the rows that go (own window or with a parent).
struct Planned {
    tables: Vec<TablePlan>,
    cleared: Vec<ClearedReference>,
    /// Partitions that go whole (PostgreSQL range partitions past every cutoff).
    partitions: Vec<retention::Partition>,
}

impl Planned {
    fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    fn counts(&self) -> BTreeMap<String, u64> {
        self.tables
            .iter()
            .map(|t| (t.table.clone(), t.rows))
            .collect()
    }
}

/// Counts every tenant's expired rows into `windows` and per table.
async fn plan(tx: &mut Tx, session: &Session, windows: &mut Windows) -> Result<Planned> {
    let model = &session.model;
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    let mut blobs: BTreeMap<String, u64> = BTreeMap::new();
    let mut cleared: BTreeMap<(String, String), u64> = BTreeMap::new();
    let purges = windows.purges(model);
    for purge in &purges {
        let tenant = purge.tenant.as_deref();
        set_tenant(tx, session, tenant).await?;
        for c in windows
            .cutoffs
            .iter_mut()
            .filter(|c| c.tenant.as_deref() == tenant && c.cutoff.is_some())
        {
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(&c.table)
                .push(" t WHERE ");
            purge.push_own(&mut sql, &c.table, "t", &mut 0);
            c.rows = count(tx, &sql)
                .await
                .with_context(|| format!("counting expired rows of {}", c.table))?;
        }
        for name in model.erase_order.iter().filter(|t| purge.expires(t)) {
            let node = model.node(name);
            let mut sql = tx.sql();
            sql.push("SELECT count(*)");
            if let Some(blob) = &node.spec.blob {
                sql.push(", count(").column("t", &blob.column).push(")");
            }
            sql.push(" FROM ").ident(name).push(" t WHERE ");
            purge.push_expired(&mut sql, name, "t", &mut 0);
            let row = tx
                .fetch_optional(&sql)
                .await
                .with_context(|| format!("counting the rows of {name} to purge"))?
                .unwrap_or_default();
            let number = |i: usize| -> u64 {
                row.get(i)
                    .cloned()
                    .flatten()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            *rows.entry(name.clone()).or_default() += number(0);
            *blobs.entry(name.clone()).or_default() += number(1);
            if number(0) == 0 {
                continue;
            }
            for (child, link) in retention::cleared_links(model, name) {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(&child.name)
                    .push(" c WHERE ")
                    .tuple("c", &link.columns)
                    .push(" IN (SELECT ")
                    .columns("x", &link.parent_columns)
                    .push(" FROM ")
                    .ident(name)
                    .push(" x WHERE ");
                purge.push_expired(&mut sql, name, "x", &mut 0);
                sql.push(")");
                let n = count(tx, &sql).await?;
                if n == 0 {
                    continue;
                }
                if !link.nullable {
                    return Err(Failure::failed(format!(
                        "purging `{name}` would leave {n} row(s) of `{}` pointing at deleted rows, and `{}`.`{}` cannot be NULL",
                        child.name,
                        child.name,
                        link.columns.join("`, `")
                    ))
                    .with_hint(format!(
                        "let `{}` go with its parent (erase = \"delete\" and a followed link), or allow NULL in that column",
                        child.name
                    ))
                    .into());
                }
                *cleared
                    .entry((child.name.clone(), link.columns.join(",")))
                    .or_default() += n;
            }
        }
    }
    // Parents first, as the windows are shown.
    let tables = model
        .erase_order
        .iter()
        .rev()
        .filter_map(|name| {
            rows.get(name).map(|&n| TablePlan {
                table: name.clone(),
                rows: n,
                effect: Effect::Delete,
                blobs: blobs.get(name).copied().unwrap_or(0),
                shared: 0,
                legal_basis: None,
                keys_digest: String::new(),
            })
        })
        .collect();
    let cleared = cleared
        .into_iter()
        .map(|((table, column), rows)| ClearedReference {
            table,
            column,
            rows,
        })
        .collect();
    let mut partitions = Vec::new();
    for table in partitioned_roots(session, &purges) {
        partitions
            .extend(retention::droppable_partitions(tx, model, &purges, table, None, true).await?);
    }
    Ok(Planned {
        tables,
        cleared,
        partitions,
    })
}

/// Tables with a cutoff that are partitioned (the candidates for dropping whole partitions).
fn partitioned_roots<'s>(session: &'s Session, purges: &[TenantPurge<'_>]) -> Vec<&'s str> {
    session
        .model
        .erase_order
        .iter()
        .filter(|t| session.model.node(t).info.partitioned)
        .filter(|t| purges.iter().any(|p| p.cutoffs.contains_key(*t)))
        .map(String::as_str)
        .collect()
}

/// The blast-radius guard: refuses more than `--max-rows` rows, or more than
/// `purge.max_fraction` of any table, unless `--allow-large`.
async fn guard(tx: &mut Tx, session: &Session, args: &Args, planned: &Planned) -> Result<()> {
    if args.allow_large {
        return Ok(());
    }
    let mut problems = Vec::new();
    let max_rows = args.max_rows.or(session.map.purge.max_rows);
    if let Some(max) = max_rows
        && planned.total() > max
    {
        problems.push(format!(
            "{} rows in all, more than the limit of {max} (--max-rows or purge.max_rows)",
            planned.total()
        ));
    }
    let fraction = session.map.purge.max_fraction;
    for t in planned.tables.iter().filter(|t| t.rows > 0) {
        let mut sql = tx.sql();
        sql.push("SELECT count(*) FROM ").ident(&t.table);
        let total = count(tx, &sql).await?;
        if total > 0 && t.rows as f64 > fraction * total as f64 {
            problems.push(format!(
                "{} of the {total} rows of `{}` ({:.0}%), more than purge.max_fraction = {fraction}",
                t.rows,
                t.table,
                100.0 * t.rows as f64 / total as f64
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::failed(format!(
        "the purge would delete too much; no token was issued and nothing changed:\n  {}",
        problems.join("\n  ")
    ))
    .with_hint("check the windows in [retention] (9d where 90d was meant?); if this is intended, run the dry run again with --allow-large")
    .into())
}

async fn dry_run(ctx: &Context, session: &Session, args: &Args) -> Result<()> {
    let tenant = args.tenant.as_deref();
    let mut tx = session.db.begin(TxMode::Write).await?;
    // Under row-level security the tenant's own row is visible only with the setting made.
    set_tenant(&mut tx, session, tenant).await?;
    let mut windows =
        retention::windows(&mut tx, &session.map, &session.model, tenant, ctx.now).await?;
    let planned = plan(&mut tx, session, &mut windows).await?;
    let ledger = match windows.ledger {
        Some(cutoff) => Some(json!({
            "cutoff": cutoff.to_rfc3339(),
            "entries": checkpoint::expired(&mut tx, cutoff).await?.map_or(0, |(_, n)| n),
        })),
        None => None,
    };
    if let Err(refusal) = guard(&mut tx, session, args, &planned).await {
        tx.rollback().await?;
        let details = json!({
            "reason": refusal.to_string(),
            "tables": planned.counts(),
            "total_rows": planned.total(),
        });
        let entry = NewEntry::new(ACTION, "refused", details).tenant(tenant);
        session.record(ctx, entry).await;
        return Err(refusal);
    }
    let binding = Binding {
        action: ACTION.into(),
        tenant: tenant.map(str::to_owned),
        selector: selector(tenant),
        plan_digest: windows.digest(),
        plan: windows.summary(&planned.counts()),
    };
    let issued = confirm::issue(
        &mut tx,
        &binding,
        &ctx.actor,
        ctx.now,
        session.map.confirm.ttl,
    )
    .await?;
    let details = json!({
        "cutoffs": cutoffs_detail(&windows),
        "skipped": windows.skipped,
        "tables": planned.counts(),
        "total_rows": planned.total(),
        "plan_digest": binding.plan_digest,
        "token_ref": issued.token_ref,
        "ledger": ledger,
    });
    session
        .ledger
        .append(
            &mut tx,
            ctx.now,
            NewEntry::new(ACTION, "planned", details).tenant(tenant),
        )
        .await?;
    tx.commit().await?;

    if ctx.ui.is_json() {
        return Ok(ctx.ui.json(&json!({
            "action": ACTION,
            "tenant": tenant,
            "token": issued.token,
            "expires_at": issued.expires_at.to_rfc3339(),
            "cutoffs": windows.cutoffs.iter().map(retention::Cutoff::to_json).collect::<Vec<_>>(),
            "skipped": windows.skipped,
            "tables": planned.tables,
            "total_rows": planned.total(),
            "cleared_references": planned.cleared,
            "partitions": planned.partitions,
            "ledger": ledger,
        }))?);
    }
    // Per table and tier: the window, its absolute cutoff, how many tenants, how many rows.
    let mut groups: BTreeMap<(usize, String, String, String), (usize, u64)> = BTreeMap::new();
    for c in &windows.cutoffs {
        let order = session
            .model
            .erase_order
            .iter()
            .rev()
            .position(|t| *t == c.table)
            .unwrap_or(0);
        let cutoff = match (c.cutoff, &c.note) {
            (Some(t), _) => t.to_rfc3339(),
            (None, Some(note)) => format!("none ({note})"),
            (None, None) => "none".to_owned(),
        };
        let tier = c.plan.clone().unwrap_or_else(|| "-".into());
        let entry = groups
            .entry((
                order,
                c.table.clone(),
                tier,
                format!("{}\0{cutoff}", c.window),
            ))
            .or_default();
        entry.0 += 1;
        entry.1 += c.rows;
    }
    let rows = groups
        .into_iter()
        .map(|((_, table, tier, window_cutoff), (tenants, rows))| {
            let (window, cutoff) = window_cutoff.split_once('\0').unwrap_or_default();
            vec![
                table,
                tier,
                window.to_owned(),
                cutoff.to_owned(),
                tenants.to_string(),
                rows.to_string(),
            ]
        })
        .collect();
    if !windows.cutoffs.is_empty() {
        let header = [
            "table",
            "tier",
            "window",
            "cutoff",
            "tenants",
            "expired rows",
        ];
        ctx.ui.table(&header, rows)?;
    }
    let rows = planned
        .tables
        .iter()
        .map(|t| vec![t.table.clone(), t.rows.to_string(), t.blobs.to_string()])
        .collect();
    if !planned.tables.is_empty() {
        let header = ["table", "rows to delete (with descendants)", "blobs"];
        ctx.ui.table(&header, rows)?;
    }
    for s in &windows.skipped {
        ctx.ui
            .line(&format!("skipped: tenant {} ({})", s.tenant, s.reason))?;
    }
    for p in &planned.partitions {
        ctx.ui.line(&format!(
            "{}: partition {} (before {}, {} rows) is dropped whole",
            p.table, p.partition, p.upper_bound, p.rows
        ))?;
    }
    for c in &planned.cleared {
        ctx.ui.line(&format!(
            "{}.{}: {} reference(s) set to NULL",
            c.table, c.column, c.rows
        ))?;
    }
    if let Some(ledger) = &ledger {
        ctx.ui.line(&format!(
            "{LEDGER_TABLE}: {} entries written before {} give way to a signed checkpoint",
            ledger["entries"],
            ledger["cutoff"].as_str().unwrap_or_default()
        ))?;
    }
    let again = match tenant {
        Some(t) => format!("privctl purge-retention --tenant {t}"),
        None => "privctl purge-retention".to_owned(),
    };
    ctx.ui.line(&format!(
        "{} rows to delete.\nTo purge: {again} --confirm {}\nThe token expires at {}.",
        planned.total(),
        issued.token,
        issued.expires_at.to_rfc3339()
    ))?;
    Ok(())
}

fn cutoffs_detail(windows: &Windows) -> Value {
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

/// A run's state, as `privctl_jobs.progress` keeps it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
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

async fn execute(run: &ConfirmedRun<'_>, args: &Args, lock: LockCheck) -> Result<()> {
    let (ctx, session) = (run.ctx, run.session);
    let job = &run.job;
    let job_id = job.id.clone();
    // A run killed while deleting its objects: the same command finishes those, nothing else.
    if run.finish_queued_objects().await? {
        return Ok(());
    }
    let (confirmation, windows, mut progress, resumed) = start(run).await?;
    let planned: BTreeMap<String, u64> = confirmation
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
    if resumed {
        ctx.ui.status(&format!(
            "resuming purge job {job_id}: {} rows deleted before",
            progress.total()
        ));
    }

    let bar = ctx.ui.progress().then(|| {
        let bar = indicatif::ProgressBar::new(planned.values().sum());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} rows, {per_sec} — {msg}")
                .expect("a valid template"),
        );
        bar.set_position(progress.total());
        bar
    });
    let deadline = args.max_duration.map(|d| Instant::now() + d.to_std());
    let mut stopped = false;
    let mut failures: Vec<Value> = Vec::new();
    // Tenants put under legal hold while this run was under way: left alone from then on.
    let mut held: BTreeSet<String> = BTreeSet::new();
    let purges = windows.purges(&session.model);
    for table in partitioned_roots(session, &purges) {
        if let Err(error) =
            drop_partitions(ctx, session, &purges, table, job, &mut progress, &lock).await
        {
            // Not a failure: the batches below delete the same rows one by one.
            ctx.ui.warn(&format!(
                "{table}: partitions not dropped ({error:#}); deleting their rows instead"
            ));
        }
    }
    if !stopped {
        match walk_tables(
            ctx,
            session,
            args,
            &purges,
            &planned,
            job,
            &mut progress,
            &mut held,
            deadline,
            &bar,
            &lock,
        )
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
            if let Some(bar) = &bar {
                bar.set_message(pair.clone());
            }
            let walked = purge_table(
                ctx,
                session,
                args,
                purge,
                root,
                job,
                &mut progress,
                deadline,
                &bar,
                &lock,
            )
            .await;
            match walked {
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
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut ledger = None;
    if let Some(cutoff) = windows.ledger.filter(|_| !stopped && failures.is_empty()) {
        match purge_ledger(ctx, session, cutoff).await {
            Ok(purged) => ledger = Some(purged),
            Err(error) => {
                ctx.ui.warn(&format!("{LEDGER_TABLE}: {error:#}"));
                failures.push(
                    json!({"tenant": null, "table": LEDGER_TABLE, "error": format!("{error:#}")}),
                );
            }
        }
    }
    finish(
        ctx,
        session,
        args,
        &confirmation,
        &windows,
        job,
        &progress,
        &planned,
        Outcome {
            stopped,
            resumed,
            failures,
            held,
            ledger,
        },
    )
    .await
}

/// `[retention] ledger`: deletes the ledger entries written before `cutoff` and leaves a signed
/// checkpoint, in one transaction with the entry that records it (the first after the
/// checkpoint). Returns what the run's summary shows.
async fn purge_ledger(ctx: &Context, session: &Session, cutoff: Timestamp) -> Result<Value> {
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
    let entry = NewEntry::new("ledger-retention", "done", summary.clone()).resource(LEDGER_TABLE);
    session.ledger.append(&mut tx, ctx.now, entry).await?;
    tx.commit().await.context("purging old ledger entries")?;
    Ok(summary)
}

/// The run's start, through the one confirmed-run flow: the cutoffs recomputed from the dry
/// run's instant must be the dry run's (the map, the tenants' plans and holds unchanged); then
/// the job is recorded, or found to resume, and the start logged. The token is consumed when
/// the purge completes (`finish`), so a stopped or failed run resumes with it.
async fn start(run: &ConfirmedRun<'_>) -> Result<(Confirmation, Windows, Progress, bool)> {
    let (ctx, session, tenant) = (run.ctx, run.session, run.tenant);
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
            Ok((confirmation, windows, progress, resumed))
        },
    )
    .await
}

/// How a walk over a table ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walked {
    Done,
    /// `--max-duration` ran out.
    Stopped,
    /// The tenant was put under legal hold during the run.
    Held,
}

/// Deletes one tenant's expired rows of `root` (with their descendants) batch by batch.
#[allow(clippy::too_many_arguments)]
async fn purge_table(
    ctx: &Context,
    session: &Session,
    args: &Args,
    purge: &TenantPurge<'_>,
    root: &str,
    job: &Job,
    progress: &mut Progress,
    deadline: Option<Instant>,
    bar: &Option<indicatif::ProgressBar>,
    lock: &LockCheck,
) -> Result<Walked> {
    let model = purge.model();
    let descendants = retention::descendants(model, root);
    let limit = i64::from(args.batch_size);
    let mut after: Option<String> = None;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Walked::Stopped);
        }
        let began = Instant::now();
        let mut tx = session.db.begin(TxMode::Write).await?;
        set_tenant(&mut tx, session, purge.tenant.as_deref()).await?;
        if let Some(tenant) = &purge.tenant {
            let held =
                retention::held_now(&mut tx, &session.map, model, std::slice::from_ref(tenant))
                    .await?;
            if !held.is_empty() {
                tx.rollback().await?;
                return Ok(Walked::Held);
            }
        }
        let deleted_here = match purge.delete_batch_in_place(root, after.as_deref(), limit) {
            Some(sql) => {
                let rows = tx
                    .fetch_rows(&sql)
                    .await
                    .with_context(|| format!("deleting expired rows of {root}"))?;
                let mut deleted = 0;
                let mut objects = Vec::new();
                for row in rows {
                    match row[0].as_deref() {
                        Some("n") => {
                            deleted = row[1].as_deref().unwrap_or("0").parse().unwrap_or(0);
                            if row[2].is_some() {
                                after = row[2].clone();
                            }
                        }
                        _ => objects.extend(row[2].clone()),
                    }
                }
                if deleted == 0 {
                    tx.rollback().await?;
                    return Ok(Walked::Done);
                }
                if let Some(blob) = &model.node(root).spec.blob {
                    crate::blobs::enqueue(
                        &mut tx,
                        &blob.store,
                        root,
                        purge.tenant.as_deref(),
                        &objects,
                        ctx.now,
                    )
                    .await?;
                }
                let entry = progress.tables.entry(root.to_owned()).or_default();
                entry.deleted += deleted;
                entry.blobs += objects.len() as u64;
                deleted
            }
            None => {
                let keys = tx
                    .fetch_column(&purge.select_batch(root, after.as_deref(), limit))
                    .await
                    .with_context(|| format!("selecting expired rows of {root}"))?;
                let keys: Vec<String> = keys.into_iter().flatten().collect();
                if keys.is_empty() {
                    tx.rollback().await?;
                    return Ok(Walked::Done);
                }
                after = keys.last().cloned();
                delete_batch_skipping_locked(
                    ctx,
                    session,
                    &mut tx,
                    purge,
                    root,
                    &descendants,
                    &keys,
                    progress,
                )
                .await?
            }
        };
        let entry = progress.tables.entry(root.to_owned()).or_default();
        entry.batches += 1;
        entry.seconds += began.elapsed().as_secs_f64();
        lock.verify(&mut tx).await?;
        job.save(&mut tx, &*progress, ctx.now).await?;
        tx.commit()
            .await
            .with_context(|| format!("committing a batch of {root}"))?;
        crate::fault::batch_committed();
        progress.longest_batch_ms = progress
            .longest_batch_ms
            .max(began.elapsed().as_millis() as u64);
        if let Some(bar) = bar {
            bar.inc(deleted_here);
        }
        if let Some(pause) = args.batch_pause {
            tokio::time::sleep(pause.to_std()).await;
        }
    }
}

/// Walks, in physical order and for every tenant at once, each table where many rows expire
/// (PostgreSQL 14+, no row-level security setting, a table nothing references); marks its
/// tenant pairs done. `Ok(false)` when `--max-duration` ran out.
#[allow(clippy::too_many_arguments)]
async fn walk_tables(
    ctx: &Context,
    session: &Session,
    args: &Args,
    purges: &[TenantPurge<'_>],
    planned: &BTreeMap<String, u64>,
    job: &Job,
    progress: &mut Progress,
    held: &mut BTreeSet<String>,
    deadline: Option<Instant>,
    bar: &Option<indicatif::ProgressBar>,
    lock: &LockCheck,
) -> Result<bool> {
    if session.db.dialect() != crate::db::Dialect::Postgres || session.map.tenant_setting.is_some()
    {
        return Ok(true);
    }
    let model = &session.model;
    let mut tx = session.db.begin(TxMode::Write).await?;
    let mut sql = tx.sql();
    sql.push("SELECT current_setting('server_version_num')");
    let version: i64 = count(&mut tx, &sql).await? as i64;
    tx.rollback().await?;
    if version < 140_000 {
        return Ok(true); // no TID range scans: the per-tenant key walk does the work
    }
    for table in &model.erase_order {
        let Some(mut walk) = retention::TableWalk::new(model, purges, table) else {
            continue;
        };
        let pairs: Vec<String> = purges
            .iter()
            .filter(|p| p.cutoffs.contains_key(table))
            .map(|p| format!("{}/{table}", p.tenant.as_deref().unwrap_or("(all)")))
            .collect();
        if pairs.iter().all(|p| progress.done.contains(p)) {
            continue;
        }
        // The table's size in pages and rows per page, from the catalog.
        let mut tx = session.db.begin(TxMode::Write).await?;
        let mut sql = tx.sql();
        sql.push("SELECT CAST(pg_relation_size(c.oid) / current_setting('block_size')::bigint AS bigint), CAST(CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages ELSE 0 END AS bigint), CAST(GREATEST(c.reltuples, 0) AS bigint) FROM pg_class c WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(")
            .bind(Param::Text(table.clone()))
            .push("))");
        let row = tx.fetch_optional(&sql).await?.unwrap_or_default();
        tx.rollback().await?;
        let number = |i: usize| -> i64 {
            row.get(i)
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (pages, per_page, estimate) = (number(0), number(1).max(1), number(2));
        // A physical pass reads the whole table: worth it when a good share of it expires;
        // otherwise the key walk touches only the expired rows' neighbourhood.
        let expiring = planned.get(table).copied().unwrap_or(0) as f64;
        if estimate <= 0 || expiring < 0.05 * estimate as f64 {
            continue;
        }
        let step = (i64::from(args.batch_size) / per_page).max(1);
        let mut page = progress.walks.get(table).copied().unwrap_or(0);
        if let Some(bar) = bar {
            bar.set_message(format!("{table} (pages in order)"));
        }
        while page < pages {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            let began = Instant::now();
            // First a plain delete of the pages that waits at most 50 ms for a row lock; if
            // live traffic holds one, the batch is redone picking rows with SKIP LOCKED (and
            // the held rows wait for the next night). Locking every row first would double
            // the cost of the common, uncontended batch.
            let mut skip_locked = false;
            let (mut tx, rows) = loop {
                let mut tx = session.db.begin(TxMode::Write).await?;
                let now_held =
                    retention::held_now(&mut tx, &session.map, model, &walk.tenants()).await?;
                if !now_held.is_empty() {
                    held.extend(now_held.iter().cloned());
                    if !walk.without(&now_held) {
                        break (tx, None);
                    }
                }
                if !skip_locked {
                    let mut set = tx.sql();
                    set.push("SET LOCAL lock_timeout = '50ms'");
                    tx.execute(&set).await?;
                }
                let sql = walk.delete_pages(model, page, page + step, skip_locked);
                // (rows deleted, and for a table with blobs each row's tenant and object)
                let result = if model.node(table).spec.blob.is_some() {
                    tx.fetch_rows(&sql)
                        .await
                        .map(|rows| (rows.len() as u64, rows))
                } else {
                    tx.execute(&sql).await.map(|n| (n, Vec::new()))
                };
                match result {
                    Ok(rows) => break (tx, Some(rows)),
                    Err(error) if !skip_locked && crate::db::is_lock_timeout(&error) => {
                        tx.rollback().await?;
                        skip_locked = true;
                    }
                    Err(error) => {
                        return Err(error.context(format!("deleting expired rows of {table}")));
                    }
                }
            };
            let Some((deleted, rows)) = rows else {
                // Every tenant of this walk went under legal hold.
                tx.rollback().await?;
                break;
            };
            let node = model.node(table);
            let blobs = match &node.spec.blob {
                Some(blob) => {
                    let mut by_tenant: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
                    for row in &rows {
                        if let Some(object) = &row[1] {
                            by_tenant
                                .entry(row[0].clone())
                                .or_default()
                                .push(object.clone());
                        }
                    }
                    let mut blobs = 0;
                    for (tenant, objects) in by_tenant {
                        blobs += objects.len() as u64;
                        crate::blobs::enqueue(
                            &mut tx,
                            &blob.store,
                            table,
                            tenant.as_deref(),
                            &objects,
                            ctx.now,
                        )
                        .await?;
                    }
                    blobs
                }
                None => 0,
            };
            page += step;
            let entry = progress.tables.entry(table.clone()).or_default();
            entry.deleted += deleted;
            entry.blobs += blobs;
            entry.batches += 1;
            entry.seconds += began.elapsed().as_secs_f64();
            progress.walks.insert(table.clone(), page);
            if page >= pages {
                let finished = pairs.iter().filter(|p| !held_pair(held, p));
                progress.done.extend(finished.cloned());
            }
            lock.verify(&mut tx).await?;
            job.save(&mut tx, &*progress, ctx.now).await?;
            tx.commit()
                .await
                .with_context(|| format!("committing a batch of {table}"))?;
            progress.longest_batch_ms = progress
                .longest_batch_ms
                .max(began.elapsed().as_millis() as u64);
            if let Some(bar) = bar {
                bar.inc(deleted);
            }
            if let Some(pause) = args.batch_pause {
                tokio::time::sleep(pause.to_std()).await;
            }
        }
        progress
            .done
            .extend(pairs.into_iter().filter(|p| !held_pair(held, p)));
    }
    Ok(true)
}

/// Whether a `tenant/table` pair belongs to a tenant in `held`.
fn held_pair(held: &BTreeSet<String>, pair: &str) -> bool {
    pair.rsplit_once('/')
        .is_some_and(|(tenant, _)| held.contains(tenant))
}

/// Detaches and drops each partition of `table` whose rows are all past their cutoffs: the
/// partition is locked against writes, checked again, detached (a brief ACCESS EXCLUSIVE on the
/// parent, bounded by lock_timeout) and dropped, in one transaction.
async fn drop_partitions(
    ctx: &Context,
    session: &Session,
    purges: &[TenantPurge<'_>],
    table: &str,
    job: &Job,
    progress: &mut Progress,
    lock: &LockCheck,
) -> Result<()> {
    let model = &session.model;
    let mut tx = session.db.begin(TxMode::Write).await?;
    let candidates =
        retention::droppable_partitions(&mut tx, model, purges, table, None, false).await?;
    tx.rollback().await?;
    for candidate in candidates {
        let began = Instant::now();
        let mut tx = session.db.begin(TxMode::Write).await?;
        let mut sql = tx.sql();
        sql.push("LOCK TABLE ")
            .ident(&candidate.partition)
            .push(" IN SHARE MODE");
        tx.execute(&sql).await?;
        let again = retention::droppable_partitions(
            &mut tx,
            model,
            purges,
            table,
            Some(&candidate.partition),
            true,
        )
        .await?;
        let Some(partition) = again.into_iter().next() else {
            tx.rollback().await?;
            continue;
        };
        let mut sql = tx.sql();
        sql.push("ALTER TABLE ")
            .ident(table)
            .push(" DETACH PARTITION ")
            .ident(&partition.partition);
        tx.execute(&sql)
            .await
            .with_context(|| format!("detaching partition {}", partition.partition))?;
        let mut sql = tx.sql();
        sql.push("DROP TABLE ").ident(&partition.partition);
        tx.execute(&sql)
            .await
            .with_context(|| format!("dropping partition {}", partition.partition))?;
        let entry = progress.tables.entry(table.to_owned()).or_default();
        entry.deleted += partition.rows;
        entry.batches += 1;
        entry.seconds += began.elapsed().as_secs_f64();
        progress.partitions.push(partition);
        lock.verify(&mut tx).await?;
        job.save(&mut tx, &*progress, ctx.now).await?;
        tx.commit().await?;
        progress.longest_batch_ms = progress
            .longest_batch_ms
            .max(began.elapsed().as_millis() as u64);
    }
    Ok(())
}

/// Deletes a batch of expired roots with their descendants, skipping what live traffic has
/// locked. The roots are already locked by this transaction (`SKIP LOCKED`); a descendant may
/// not be. On PostgreSQL the batch first waits at most 50 ms for any row lock; if one is held,
/// the batch is redone root by root, each in a savepoint, and a root whose rows are locked is
/// left (with its descendants) for the next run, counted in `skipped_locked`. SQLite locks the
/// whole database, so a batch there never meets a locked row.
#[allow(clippy::too_many_arguments)]
async fn delete_batch_skipping_locked(
    ctx: &Context,
    session: &Session,
    tx: &mut Tx,
    purge: &TenantPurge<'_>,
    root: &str,
    descendants: &[String],
    keys: &[String],
    progress: &mut Progress,
) -> Result<u64> {
    if session.db.dialect() != crate::db::Dialect::Postgres || descendants.is_empty() {
        return delete_with_descendants(ctx, session, tx, purge, root, descendants, keys, progress)
            .await;
    }
    let dialect = session.db.dialect();
    let statement = |text: &str| {
        let mut sql = crate::db::Sql::new(dialect);
        sql.push(text);
        sql
    };
    tx.execute(&statement("SET LOCAL lock_timeout = '50ms'"))
        .await?;
    tx.execute(&statement("SAVEPOINT privctl_batch")).await?;
    let before = progress.tables.clone();
    match delete_with_descendants(ctx, session, tx, purge, root, descendants, keys, progress).await
    {
        Ok(deleted) => return Ok(deleted),
        Err(error) if crate::db::is_lock_timeout(&error) => {
            progress.tables = before;
            tx.execute(&statement("ROLLBACK TO SAVEPOINT privctl_batch"))
                .await?;
        }
        Err(error) => return Err(error),
    }
    let mut deleted = 0;
    for key in keys {
        tx.execute(&statement("SAVEPOINT privctl_root")).await?;
        let before = progress.tables.clone();
        match delete_with_descendants(
            ctx,
            session,
            tx,
            purge,
            root,
            descendants,
            std::slice::from_ref(key),
            progress,
        )
        .await
        {
            Ok(n) => {
                deleted += n;
                tx.execute(&statement("RELEASE SAVEPOINT privctl_root"))
                    .await?;
            }
            Err(error) if crate::db::is_lock_timeout(&error) => {
                progress.tables = before;
                tx.execute(&statement("ROLLBACK TO SAVEPOINT privctl_root"))
                    .await?;
                progress
                    .tables
                    .entry(root.to_owned())
                    .or_default()
                    .skipped_locked += 1;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(deleted)
}

/// Deletes a batch of `root`'s rows, given by key, with their descendants (children first),
/// after clearing references into them from rows that stay. Returns the rows deleted.
#[allow(clippy::too_many_arguments)]
async fn delete_with_descendants(
    ctx: &Context,
    session: &Session,
    tx: &mut Tx,
    purge: &TenantPurge<'_>,
    root: &str,
    descendants: &[String],
    keys: &[String],
    progress: &mut Progress,
) -> Result<u64> {
    let model = purge.model();
    let batch = Batch {
        root,
        descendants,
        keys_json: format!("[{}]", keys.join(",")),
    };
    let mut deleted_here = 0;
    for table in descendants.iter().map(String::as_str).chain([root]) {
        for (child, link) in retention::cleared_links(model, table) {
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(&child.name).push(" SET ");
            for (i, column) in link.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(column).push(" = NULL");
            }
            let quoted = session.db.dialect().quote(&child.name);
            sql.push(" WHERE ")
                .tuple(&quoted, &link.columns)
                .push(" IN (SELECT ")
                .columns("x", &link.parent_columns)
                .push(" FROM ")
                .ident(table)
                .push(" x WHERE ");
            purge.push_member(&mut sql, &batch, table, "x", &mut 0);
            sql.push(")");
            tx.execute(&sql)
                .await
                .with_context(|| format!("clearing {}.{}", child.name, link.columns.join(",")))?;
        }
        let node = model.node(table);
        let mut sql = tx.sql();
        sql.push("DELETE FROM ").ident(table).push(" AS d WHERE ");
        purge.push_member(&mut sql, &batch, table, "d", &mut 0);
        let (rows, blobs) = match &node.spec.blob {
            Some(blob) => {
                sql.push(" RETURNING CAST(")
                    .ident(&blob.column)
                    .push(" AS text)");
                let objects = tx
                    .fetch_column(&sql)
                    .await
                    .with_context(|| format!("deleting from {table}"))?;
                let rows = objects.len() as u64;
                let objects: Vec<String> = objects.into_iter().flatten().collect();
                crate::blobs::enqueue(
                    tx,
                    &blob.store,
                    table,
                    purge.tenant.as_deref(),
                    &objects,
                    ctx.now,
                )
                .await?;
                (rows, objects.len() as u64)
            }
            None => (
                tx.execute(&sql)
                    .await
                    .with_context(|| format!("deleting from {table}"))?,
                0,
            ),
        };
        let entry = progress.tables.entry(table.to_owned()).or_default();
        entry.deleted += rows;
        entry.blobs += blobs;
        deleted_here += rows;
    }
    Ok(deleted_here)
}

struct Outcome {
    stopped: bool,
    resumed: bool,
    failures: Vec<Value>,
    /// Tenants put under legal hold during the run (their remaining rows were left alone).
    held: BTreeSet<String>,
    /// `[retention] ledger`: what [`purge_ledger`] did.
    ledger: Option<Value>,
}

/// Records the run's end: consumes the token when everything was purged, closes the job,
/// appends the ledger entry, deletes the queued blobs and prints the summary.
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Context,
    session: &Session,
    args: &Args,
    confirmation: &Confirmation,
    windows: &Windows,
    job: &Job,
    progress: &Progress,
    planned: &BTreeMap<String, u64>,
    outcome: Outcome,
) -> Result<()> {
    let tenant = args.tenant.as_deref();
    let complete = !outcome.stopped && outcome.failures.is_empty();
    let mut tx = session.db.begin(TxMode::Write).await?;

    // What is still past its cutoff: rows that live traffic held locked, or that arrived
    // with an old timestamp. They wait for the next run. Tables walked page by page are not
    // counted again: the walk visited every page, and counting over millions of just-deleted
    // rows would cost a third of the purge.
    let mut remaining: BTreeMap<String, u64> = BTreeMap::new();
    if complete {
        for purge in windows.purges(&session.model) {
            if purge
                .tenant
                .as_ref()
                .is_some_and(|t| outcome.held.contains(t))
            {
                continue;
            }
            set_tenant(&mut tx, session, purge.tenant.as_deref()).await?;
            for table in purge
                .cutoffs
                .keys()
                .filter(|t| !progress.walks.contains_key(*t))
            {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(table)
                    .push(" t WHERE ");
                purge.push_own(&mut sql, table, "t", &mut 0);
                let n = count(&mut tx, &sql).await?;
                if n > 0 {
                    *remaining.entry(table.clone()).or_default() += n;
                }
            }
        }
        confirmation.consume(&mut tx, &ctx.actor, ctx.now).await?;
    }
    let state = match (complete, outcome.stopped) {
        (true, _) => State::Done,
        (false, true) => State::Stopped,
        (false, false) => State::Failed,
    };
    job.end(&mut tx, state, progress, ctx.now).await?;
    let ledger_outcome = match state {
        State::Stopped => "partial",
        other => other.as_str(),
    };
    let counts: BTreeMap<&String, u64> = progress
        .tables
        .iter()
        .map(|(t, p)| (t, p.deleted))
        .collect();
    let details = json!({
        "tables": counts,
        "total_rows": progress.total(),
        "cutoffs": cutoffs_detail(windows),
        "remaining": remaining,
        "partitions_dropped": progress.partitions,
        "job": job.id,
        "resumed": outcome.resumed,
        "failures": outcome.failures,
        "held_during_run": outcome.held,
        "ledger": outcome.ledger,
    });
    session
        .ledger
        .append(
            &mut tx,
            ctx.now,
            NewEntry::new(ACTION, ledger_outcome, details).tenant(tenant),
        )
        .await?;
    tx.commit().await.context("finishing the purge")?;

    let blobs = crate::blobs::drain(&session.db, &session.map, tenant, ctx.now).await?;
    let mut failures = outcome.failures;
    if blobs.failed > 0 {
        failures.push(json!({"table": null, "error": format!("{} blob(s) could not be deleted and stay in the outbox: {}", blobs.failed, blobs.errors.join("; "))}));
    }

    let mut names: Vec<&String> = planned.keys().collect();
    names.extend(progress.tables.keys());
    let order = |t: &str| {
        session
            .model
            .erase_order
            .iter()
            .position(|n| n == t)
            .unwrap_or(usize::MAX)
    };
    names.sort_by_key(|t| std::cmp::Reverse(order(t)));
    names.dedup();
    let tables: Vec<Value> = names
        .iter()
        .map(|t| {
            let p = progress.tables.get(*t).cloned().unwrap_or_default();
            json!({
                "table": t,
                "planned": planned.get(*t).copied().unwrap_or(0),
                "deleted": p.deleted,
                "rows": p.deleted,
                "effect": "delete",
                "blobs": p.blobs,
                "batches": p.batches,
                "skipped_locked": p.skipped_locked,
                "seconds": (p.seconds * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": ACTION,
            "tenant": tenant,
            "executed": true,
            "complete": complete,
            "stopped": outcome.stopped.then_some("max-duration"),
            "resumed": outcome.resumed,
            "tables": tables,
            "total_rows": progress.total(),
            "remaining": remaining,
            "partitions_dropped": progress.partitions,
            "skipped": windows.skipped,
            "held_during_run": outcome.held,
            "longest_batch_ms": progress.longest_batch_ms,
            "blobs": blobs,
            "ledger": outcome.ledger,
            "failures": failures,
        }))?;
    } else {
        let rows = tables
            .iter()
            .map(|t| {
                vec![
                    t["table"].as_str().unwrap_or_default().to_owned(),
                    t["planned"].to_string(),
                    t["deleted"].to_string(),
                    t["batches"].to_string(),
                    t["seconds"].to_string(),
                ]
            })
            .collect();
        ctx.ui
            .table(&["table", "planned", "deleted", "batches", "seconds"], rows)?;
        if let Some(ledger) = &outcome.ledger {
            ctx.ui.line(&format!(
                "{LEDGER_TABLE}: {} entries written before {} purged; the ledger verifies from the checkpoint",
                ledger["purged"],
                ledger["cutoff"].as_str().unwrap_or_default()
            ))?;
        }
        for t in tables
            .iter()
            .filter(|t| t["skipped_locked"].as_u64() > Some(0))
        {
            ctx.ui.line(&format!(
                "{}: {} expired row(s) skipped: live traffic held a lock on them or on rows that reference them",
                t["table"].as_str().unwrap_or_default(),
                t["skipped_locked"]
            ))?;
        }
        for (table, n) in &remaining {
            ctx.ui.line(&format!(
                "{table}: {n} row(s) past the cutoff remain (locked by live traffic, or arrived late); the next run takes them"
            ))?;
        }
        ctx.ui.status(&format!(
            "{} rows purged; {} blob(s) deleted, {} failed",
            progress.total(),
            blobs.deleted,
            blobs.failed
        ));
    }
    for tenant in &outcome.held {
        ctx.ui.warn(&format!(
            "tenant {tenant} was put under legal hold during the run: its remaining rows were left alone"
        ));
    }
    if outcome.stopped {
        ctx.ui.warn(
            "stopped after --max-duration; run the same command with the same token (until it expires) to resume, or the next dry run starts over",
        );
    }
    if !failures.is_empty() {
        return Err(Failure::failed(format!(
            "the purge did not complete: {}",
            failures
                .iter()
                .map(|f| match f["table"].as_str() {
                    Some(t) => format!("{t}: {}", f["error"].as_str().unwrap_or_default()),
                    None => f["error"].as_str().unwrap_or_default().to_owned(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .with_hint("the same token resumes the purge; what was deleted is recorded in the ledger")
        .into());
    }
    Ok(())
}

/// `--blobs-only`: deletes the objects waiting in the outbox.
async fn blobs_only(ctx: &Context, session: &Session, args: &Args) -> Result<()> {
    let tenant = args.tenant.as_deref();
    let report = crate::blobs::drain(&session.db, &session.map, tenant, ctx.now).await?;
    let outcome = if report.failed == 0 {
        "blobs"
    } else {
        "failed"
    };
    let details = json!({"blobs_deleted": report.deleted, "blobs_failed": report.failed});
    let entry = NewEntry::new(ACTION, outcome, details).tenant(tenant);
    session.record(ctx, entry).await;
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": ACTION,
            "tenant": tenant,
            "blobs_only": true,
            "blobs": report,
        }))?;
    } else {
        ctx.ui.line(&format!(
            "{} blob(s) deleted, {} failed",
            report.deleted, report.failed
        ))?;
    }
    if report.failed > 0 {
        return Err(Failure::failed(format!(
            "{} blob(s) could not be deleted and stay in the outbox: {}",
            report.failed,
            report.errors.join("; ")
        ))
        .into());
    }
    Ok(())
}
