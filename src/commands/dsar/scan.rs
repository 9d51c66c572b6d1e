//! `dsar scan`: where the subject's identifiers occur by content; also the residue scan that
//! ends `dsar delete`.

use anyhow::Result;
use serde_json::json;

use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::db::TxMode;
use crate::ledger::NewEntry;
use crate::report::scan::{DsarScan, ScanSummary};
use crate::selection::SubjectSelection;
use crate::session::{Context, Session};

/// `dsar scan`: where the subject's identifiers occur by content, read-only, from one snapshot.
pub(super) async fn scan(ctx: &Context, args: &SubjectArgs) -> Result<()> {
    let session = ctx.session().await?;
    let Prepared {
        selection,
        on_behalf_of,
        ..
    } = prepare(ctx, &session, args, "scan").await?;
    let tenant = args.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let report = residue_scan_of(ctx, &session, &selection, tenant).await?;

    let details = with_member(json!({"scan": report.counts()}), &on_behalf_of);
    let entry = NewEntry::new("dsar-scan", "done", details)
        .tenant(tenant)
        .subject(&subject_ref);
    let mut tx = session.db.begin(TxMode::Write).await?;
    session.ledger.append(&mut tx, ctx.now, entry).await?;
    tx.commit().await?;

    if ctx.ui.is_json() {
        ctx.ui.json(&DsarScan {
            action: "dsar-scan",
            tenant,
            scan: ScanSummary::new(&report),
        })?;
        return Ok(());
    }
    print_scan_table(ctx, &report)
}

/// The scan of [`crate::scan::scan`] in one read-only snapshot, with the tenant setting set;
/// a progress bar on a terminal (tables scanned so far).
pub(super) async fn residue_scan_of(
    ctx: &Context,
    session: &Session,
    selection: &SubjectSelection<'_>,
    tenant: Option<&str>,
) -> Result<crate::scan::ScanReport> {
    let bar = ctx
        .ui
        .progress_bar(0, "{bar:30} {pos}/{len} tables — scanning {msg}");
    let mut on_table = |done: usize, total: usize, table: &str| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(table.to_owned());
        }
    };
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    session.set_tenant(&mut tx, tenant).await?;
    let report = crate::scan::scan(
        &mut tx,
        &session.map,
        &session.schema,
        selection,
        tenant,
        &mut on_table,
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    tx.rollback().await?;
    report
}

/// A scan's hits as a table (table, column, row key, selected, effect), never a value.
pub(super) fn print_scan_table(ctx: &Context, report: &crate::scan::ScanReport) -> Result<()> {
    if report.hits.is_empty() {
        ctx.ui.line(&format!(
            "residue scan: no identifier of the subject in {} tables",
            report.tables.len()
        ))?;
        return Ok(());
    }
    let rows = report
        .hits
        .iter()
        .map(|h| {
            vec![
                h.table.clone(),
                h.column.clone(),
                h.key.to_string(),
                if h.selected { "yes" } else { "no" }.to_owned(),
                h.effect.to_owned(),
            ]
        })
        .collect();
    ctx.ui
        .table(&["table", "column", "row key", "selected", "effect"], rows)?;
    let mut bases: Vec<(&str, &str)> = report
        .hits
        .iter()
        .filter(|h| !h.is_residue())
        .filter_map(|h| h.legal_basis.as_deref().map(|b| (h.table.as_str(), b)))
        .collect();
    bases.dedup();
    for (table, basis) in bases {
        ctx.ui.line(&format!("{table} (retain): {basis}"))?;
    }
    ctx.ui.line(&format!(
        "residue scan: {} hit(s) in {} tables scanned; {} outside retained data",
        report.hits.len(),
        report.tables.len(),
        report.residue()
    ))?;
    Ok(())
}
