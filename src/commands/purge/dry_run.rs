//! The dry run of `purge-retention`: every tenant's cutoffs, what they expire, the guard
//! against deleting too much, and the token bound to the cutoffs.
//!
//! With `--as-of TIME` the cutoffs are computed at TIME instead of now, so an operator sees a
//! later (or earlier) purge against today's data. Such a dry run issues no token: nothing it
//! shows can be confirmed (a purge only ever runs at the real time, `crate::clock`), and
//! `--confirm -` fed its JSON finds no token. Its ledger entry is written at the real time,
//! with the as-of time in its details (`as_of`) and `token_ref` null.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::json;

use super::Args;
use crate::clock::Timestamp;
use crate::confirm::{self, Binding};
use crate::db::{Tx, TxMode};
use crate::error::Failure;
use crate::ledger::{NewEntry, checkpoint};
use crate::plan::count;
use crate::purge::plan::{Planned, plan};
use crate::purge::{ACTION, cutoffs_detail, selector};
use crate::report::purge::{CutoffReport, LedgerExpiry, PurgePlan};
use crate::retention::{self, LEDGER_TABLE};
use crate::session::{Context, Session};

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

pub(super) async fn dry_run(ctx: &Context, session: &Session, args: &Args) -> Result<()> {
    let tenant = args.tenant.as_deref();
    // The instant the cutoffs are computed at; the ledger entry is written at ctx.now.
    let as_of = args.as_of;
    let at = as_of.unwrap_or(ctx.now);
    let as_of_text = as_of.map(Timestamp::to_rfc3339);
    let mut tx = session.db.begin(TxMode::Write).await?;
    // Under row-level security the tenant's own row is visible only with the setting made.
    session.set_tenant(&mut tx, tenant).await?;
    let mut windows = retention::windows(&mut tx, &session.map, &session.model, tenant, at).await?;
    let planned = plan(&mut tx, session, &mut windows).await?;
    let ledger = match windows.ledger {
        Some(cutoff) => Some(LedgerExpiry {
            cutoff: cutoff.to_rfc3339(),
            entries: checkpoint::expired(&mut tx, cutoff)
                .await?
                .map_or(0, |(_, n)| n),
        }),
        None => None,
    };
    if let Err(refusal) = guard(&mut tx, session, args, &planned).await {
        tx.rollback().await?;
        let mut details = json!({
            "reason": refusal.to_string(),
            "tables": planned.counts(),
            "total_rows": planned.total(),
        });
        if let Some(as_of) = &as_of_text {
            details["as_of"] = json!(as_of);
        }
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
    // An as-of dry run shows a purge that cannot run now: no token.
    let issued = match as_of {
        Some(_) => None,
        None => Some(
            confirm::issue(
                &mut tx,
                &binding,
                &ctx.actor,
                ctx.now,
                session.map.confirm.ttl,
            )
            .await?,
        ),
    };
    let mut details = json!({
        "cutoffs": cutoffs_detail(&windows),
        "skipped": windows.skipped,
        "tables": planned.counts(),
        "total_rows": planned.total(),
        "plan_digest": binding.plan_digest,
        "token_ref": issued.as_ref().map(|i| &i.token_ref),
        "ledger": ledger,
    });
    if let Some(as_of) = &as_of_text {
        details["as_of"] = json!(as_of);
    }
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
        return Ok(ctx.ui.json(&PurgePlan {
            action: ACTION,
            tenant,
            as_of: as_of_text.as_deref(),
            token: issued.as_ref().map(|i| i.token.as_str()),
            expires_at: issued.as_ref().map(|i| i.expires_at.to_rfc3339()),
            cutoffs: windows.cutoffs.iter().map(CutoffReport::from).collect(),
            skipped: &windows.skipped,
            tables: &planned.tables,
            total_rows: planned.total(),
            cleared_references: &planned.cleared,
            partitions: &planned.partitions,
            ledger,
        })?);
    }
    if let Some(as_of) = &as_of_text {
        ctx.ui.line(&format!(
            "As of {as_of} (a preview: cutoffs computed at that time, no token issued)"
        ))?;
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
            ledger.entries, ledger.cutoff
        ))?;
    }
    let again = match tenant {
        Some(t) => format!("privctl purge-retention --tenant {t}"),
        None => "privctl purge-retention".to_owned(),
    };
    let Some(issued) = issued else {
        let as_of = as_of_text.unwrap_or_default();
        return Ok(ctx.ui.line(&format!(
            "{} rows to delete as of {as_of}.\nNo token was issued: a purge runs at the real time (dry run again without --as-of, then --confirm).",
            planned.total(),
        ))?);
    };
    ctx.ui.line(&format!(
        "{} rows to delete.\nTo purge: {again} --confirm {}\nThe token expires at {}.",
        planned.total(),
        issued.token,
        issued.expires_at.to_rfc3339()
    ))?;
    Ok(())
}
