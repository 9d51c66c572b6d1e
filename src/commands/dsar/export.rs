//! `dsar export`: every row of the subject, from one snapshot, streamed into a bundle.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use super::receipt::Receipt;
use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::bundle::columns::ColumnCipher;
use crate::bundle::export::{Erasure, Export};
use crate::bundle::sink::{OutputFormat, Sink};
use crate::db::TxMode;
use crate::ledger::NewEntry;
use crate::report::export::{DsarExport, row_counts};
use crate::session::Context;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Where to write the bundle (created with mode 0600)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace an existing file
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub encryption: crate::commands::export_tenant::EncryptionArgs,
    /// Also write a receipt for the data subject here: a proof, checked offline with
    /// `privctl receipt verify`, that the log records this export of them (needs keys.signing
    /// and [ledger] origin)
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
}

/// `dsar export`: every row of the subject from one snapshot, streamed into a bundle.
pub(super) async fn export(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let key = args.encryption.key()?;
    let session = ctx.session().await?;
    // A receipt that could not be signed is refused before anything is read.
    let mut receipt = Receipt::prepare(&session.map, args.receipt.as_deref())?;
    let Prepared {
        selection,
        on_behalf_of,
        ..
    } = prepare(ctx, &session, &args.subject, "export").await?;
    let tenant = args.subject.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let mut sink = Sink::create(
        OutputFormat::Json,
        &args.out,
        args.force,
        key.as_ref(),
        "subject",
        tenant,
        &ctx.now.to_rfc3339(),
    )?;
    crate::session::report_leftovers(ctx, sink.leftovers_removed());

    let cipher = ColumnCipher::from_map(&session.map)?;
    let mut export = Export::new(cipher.as_ref(), Erasure::Subject);
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    session.set_tenant(&mut tx, tenant).await?;
    for name in selection.tables() {
        let sql = selection.select_rows(name);
        export
            .table(&mut tx, &mut sink, session.model.node(name), &sql, || ())
            .await?;
    }
    tx.rollback().await?;
    let (counts, total) = (export.counts().clone(), export.total());
    let sealed = sink.finish(export.manifest(key.is_some()))?;
    let (sha256, bytes) = (sealed.written.sha256.clone(), sealed.written.bytes);
    let mut details = with_member(
        json!({"row_counts": counts, "total_rows": total, "sha256": sha256, "bytes": bytes, "encrypted": key.is_some()}),
        &on_behalf_of,
    );
    if let Some(receipt) = receipt.as_mut() {
        details["subject_commitment"] =
            json!(receipt.commit_to(&session.map, tenant, selection.subject())?);
    }
    let entry = NewEntry::new("dsar-export", "done", details)
        .tenant(tenant)
        .subject(&subject_ref)
        .resource(&format!("bundle:sha256:{sha256}"));
    let (_, recorded) = sealed.publish(session.append(ctx, entry)).await?;
    if let Some(receipt) = &receipt {
        receipt
            .write(&session.db, &recorded, "the export is written and recorded")
            .await?;
    }

    if ctx.ui.is_json() {
        ctx.ui.json(&DsarExport {
            action: "dsar-export",
            tenant,
            out: &args.out,
            sha256: &sha256,
            bytes,
            row_counts: row_counts(&counts),
            total_rows: total,
            encrypted: key.is_some(),
        })?;
    } else {
        ctx.ui.line(&format!(
            "wrote {total} rows from {} tables to {} (sha256 {sha256})",
            counts.len(),
            args.out.display()
        ))?;
    }
    Ok(())
}
