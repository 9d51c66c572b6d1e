//! `dsar delete --confirm`: the erasure the dry run planned, through the one confirmed-run
//! flow, then the subject's objects and a residue scan.

use anyhow::{Context as _, Result};
use serde_json::json;

use super::receipt::Receipt;
use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::confirm;
use crate::db::TxMode;
use crate::erase::erase_subject;
use crate::error::Failure;
use crate::ledger::NewEntry;
use crate::ledger::ids::IdSet;
use crate::plan::plan_subject;
use crate::report;
use crate::report::execution::DsarDeletion;
use crate::report::scan::ScanSummary;
use crate::selection::SubjectSelection;
use crate::session::Context;
use crate::twostep::{ConfirmedRun, Holds, Start};

/// `dsar delete --confirm`: erase exactly what the dry run planned, or nothing.
///
/// The run holds a lock named after its token from the first read to the last object deleted:
/// a second run with the same token while the first still works exits 75 at once, rather than
/// taking the first run's queued objects for a killed run's and deleting them beside it.
pub(super) async fn delete(
    ctx: &Context,
    args: &SubjectArgs,
    token: &str,
    residue_scan: bool,
    receipt: Option<&std::path::Path>,
) -> Result<()> {
    let token = confirm::read_token(token)?;
    let session = ctx.session().await?;
    // A receipt that could not be signed is refused before anything is erased.
    let mut receipt = Receipt::prepare(&session.map, receipt)?;
    let run = ConfirmedRun::new(ctx, &session, "dsar-delete", args.tenant.as_deref(), &token);
    let lock = format!("dsar-delete/{}", run.job.id);
    run.locked(
        &lock,
        "another run with this token is working",
        async |_| delete_locked(&run, args, residue_scan, receipt.as_mut()).await,
    )
    .await
}

async fn delete_locked(
    run: &ConfirmedRun<'_>,
    args: &SubjectArgs,
    residue_scan: bool,
    mut receipt: Option<&mut Receipt<'_>>,
) -> Result<()> {
    let (ctx, session, tenant) = (run.ctx, run.session, run.tenant);
    // A run killed while deleting its objects: the same command finishes those, nothing else.
    if run.finish_queued_objects().await? {
        return Ok(());
    }
    let Prepared {
        mut selection,
        on_hold,
        on_behalf_of,
    } = prepare(ctx, session, args, "delete").await?;
    if on_hold {
        return Err(Failure::failed(format!(
            "tenant `{}` is under legal hold: nothing was erased",
            tenant.unwrap_or_default()
        ))
        .into());
    }
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    // The receipt's commitment to the subject: its opening goes only into the receipt.
    let commitment = match receipt.as_deref_mut() {
        Some(receipt) => Some(receipt.commit_to(&session.map, tenant, selection.subject())?),
        None => None,
    };
    let start = Start {
        selector: &subject_ref,
        subject: Some(&subject_ref),
        holds: Holds::Refuse,
    };
    let materialised = &mut selection;
    let (plan, outcome, entry) = run
        .start(
            start,
            async move |tx, _| {
                materialised.materialize(tx).await?;
                let plan = plan_subject(tx, materialised, &session.schema).await?;
                Ok((plan, materialised))
            },
            async |tx, confirmation, (plan, selection)| {
                let outcome = erase_subject(tx, selection, &plan, &session.schema, tenant, &session.ledger, ctx.now).await?;
                confirmation.consume(tx, &ctx.actor, ctx.now).await?;
                let details = json!({
                    "tables": outcome.tables.iter().map(|t| (t.table.clone(), json!({"effect": t.effect, "rows": t.rows, "blobs": t.blobs}))).collect::<serde_json::Map<_, _>>(),
                    "cleared_references": plan.cleared_references,
                    "database_effects": plan.database_effects,
                    "remaining": outcome.remaining,
                    "objects": objects_queued(&outcome),
                    "plan_digest": plan.digest(),
                    "token_ref": confirmation.token_ref,
                    "issued_by": confirmation.issued_by,
                });
                let mut details = with_member(details, &on_behalf_of);
                if let Some(commitment) = &commitment {
                    details["subject_commitment"] = json!(commitment);
                }
                let entry = NewEntry::new("dsar-delete", "done", details).tenant(tenant).subject(&subject_ref);
                let entry = session.ledger.append(tx, ctx.now, entry).await?;
                selection.release(tx).await?;
                anyhow::Ok((plan, outcome, entry))
            },
        )
        .await?;

    if let Some(receipt) = &receipt {
        receipt
            .write(&session.db, &entry, "the erasure is committed and recorded")
            .await?;
    }
    for t in &outcome.tables {
        crate::metrics::table(&t.table, Some(t.effect), t.rows);
    }
    let blobs: u64 = outcome.tables.iter().map(|t| t.blobs).sum();
    // The rows are gone; now their objects leave the blob stores. A failure stays in the outbox.
    let drained =
        crate::blobs::drain(&session.db, &session.map, &session.ledger, tenant, ctx.now).await?;
    crate::metrics::blobs(&drained);
    // The receipt again, now with the entries that say its objects are gone.
    if let Some(receipt) = receipt.as_ref().filter(|_| blobs > 0) {
        receipt
            .write(&session.db, &entry, "the erasure is committed and recorded")
            .await?;
    }
    // Trust, but verify by content: the committed state, read in a fresh snapshot with a fresh
    // (inline) selection, since the materialised one went with the erasure's transaction.
    let report = if residue_scan {
        let fresh = SubjectSelection::new(
            &session.model,
            args.tenant.clone(),
            selection.subject().clone(),
        )?;
        let report = super::scan::residue_scan_of(ctx, session, &fresh, tenant)
            .await
            .context(
                "the erasure is committed and recorded, but the residue scan after it failed",
            )?;
        let details = json!({"after": "dsar-delete", "scan": report.counts()});
        let entry = NewEntry::new("dsar-scan", "done", details)
            .tenant(tenant)
            .subject(&subject_ref);
        let mut tx = session.db.begin(TxMode::Write).await?;
        session.ledger.append(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Some(report)
    } else {
        None
    };
    if ctx.ui.is_json() {
        ctx.ui.json(&DsarDeletion {
            action: "dsar-delete",
            tenant,
            executed: true,
            tables: &outcome.tables,
            total_rows: outcome.tables.iter().map(|t| t.rows).sum(),
            cleared_references: &plan.cleared_references,
            database_effects: &plan.database_effects,
            remaining: outcome.remaining,
            blobs_queued: blobs,
            blobs: &drained,
            scan: report.as_ref().map(ScanSummary::new),
        })?;
    } else {
        let rows = outcome
            .tables
            .iter()
            .map(|t| {
                vec![
                    t.table.clone(),
                    t.rows.to_string(),
                    report::done_effect(t.effect).into(),
                    t.blobs.to_string(),
                ]
            })
            .collect();
        ctx.ui.table(&["table", "rows", "effect", "blobs"], rows)?;
        for t in &outcome.tables {
            if let Some(basis) = &t.legal_basis {
                ctx.ui.line(&format!(
                    "{} ({}): {basis}",
                    t.table,
                    report::done_effect(t.effect)
                ))?;
            }
        }
        ctx.ui.status(&format!(
            "erased; a fresh selection finds {} rows left to erase; {} of {blobs} blob(s) deleted",
            outcome.remaining, drained.deleted
        ));
        if let Some(report) = &report {
            super::scan::print_scan_table(ctx, report)?;
        }
    }
    if drained.failed > 0 {
        return Err(drained.failure("the erasure is committed, but ").into());
    }
    if let Some(report) = report.filter(|r| r.residue() > 0) {
        let places: Vec<String> = report
            .residue_places()
            .iter()
            .map(|(table, column)| format!("{table}.{column}"))
            .collect();
        return Err(Failure::residue(format!(
            "erased as planned (committed and recorded), but a residue scan still finds the subject's identifiers outside retained data in {} place(s): {}",
            places.len(),
            places.join(", ")
        ))
        .with_hint("the map is silent about these columns: name them as identities (or anonymise them with `scrub`), or retain the table with a legal_basis; `privctl dsar scan` lists the rows")
        .into());
    }
    Ok(())
}

/// The objects an erasure queued: how many, and their outbox ids (which the `blob-delete`
/// entries that delete them name), so a receipt can prove each one gone.
fn objects_queued(outcome: &crate::erase::ErasureOutcome) -> serde_json::Value {
    let ids = IdSet::from_ids(outcome.tables.iter().flat_map(|t| t.outbox.iter().copied()));
    json!({"queued": ids.len(), "outbox": ids.to_string()})
}
