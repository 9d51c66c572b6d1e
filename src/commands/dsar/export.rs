//! `dsar export`: every row of the subject, from one snapshot, streamed into a bundle.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use super::receipt::Receipt;
use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::bundle::columns::ColumnCipher;
use crate::bundle::export::{Erasure, Export};
use crate::bundle::html::{About, describe};
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
    /// json: the portable bundle (privctl-bundle/1); html: one self-contained page for the data
    /// subject to read and print (who holds the data, why, how long, what erasure would do,
    /// and every record)
    #[arg(long, value_enum, default_value_t = SubjectFormat::Json)]
    pub output_format: SubjectFormat,
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

/// `dsar export --output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SubjectFormat {
    /// One JSON document (privctl-bundle/1)
    Json,
    /// One HTML page for the data subject (no script, no external asset)
    Html,
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
        on_hold,
    } = prepare(ctx, &session, &args.subject, "export").await?;
    let tenant = args.subject.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    session.set_tenant(&mut tx, tenant).await?;
    let mut sink = match args.output_format {
        SubjectFormat::Json => Sink::create(
            OutputFormat::Json,
            &args.out,
            args.force,
            key.as_ref(),
            "subject",
            tenant,
            &ctx.now.to_rfc3339(),
        )?,
        SubjectFormat::Html => {
            let about = about(ctx, &session, &mut tx, &selection, tenant, on_hold).await?;
            Sink::html(&args.out, args.force, key.as_ref(), about)?
        }
    };
    crate::session::report_leftovers(ctx, sink.leftovers_removed());

    let cipher = ColumnCipher::from_map(&session.map)?;
    let mut export = Export::new(cipher.as_ref(), Erasure::Subject);
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
            output_format: format!("{:?}", args.output_format).to_lowercase(),
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

/// What the HTML report says besides the rows: who holds the data (the tenant's name when the
/// map has `[tenant] name`), and per table its purpose, legal basis, retention for this tenant
/// and what erasure would do. Read in the export's snapshot.
async fn about(
    ctx: &Context,
    session: &crate::session::Session,
    tx: &mut crate::db::Tx,
    selection: &crate::selection::SubjectSelection<'_>,
    tenant: Option<&str>,
    on_hold: bool,
) -> Result<About> {
    let name = match (
        tenant,
        session.map.tenant.as_ref().and_then(|t| t.name.as_ref()),
    ) {
        (Some(id), Some(column)) => session
            .tenant_value(tx, id, column)
            .await?
            .filter(|n| !n.trim().is_empty()),
        _ => None,
    };
    let (holder, account) = match (name, tenant) {
        (Some(name), id) => (name, id.map(str::to_owned)),
        (None, Some(id)) => (id.to_owned(), None),
        (None, None) => ("the platform".to_owned(), None),
    };
    let stated = crate::retention::stated(tx, &session.map, &session.model, tenant).await?;
    let hold = on_hold.then(|| match tenant {
        Some(_) => format!(
            "{holder} is under a legal hold at present: nothing can be erased until it is lifted."
        ),
        None => "Some of this data is under a legal hold at present: it cannot be erased until \
                 the hold is lifted."
            .to_owned(),
    });
    Ok(About {
        tables: describe(&session.model, &stated, &holder),
        holder,
        account,
        generated_at: ctx.now,
        found_by: selection.subject().kinds(),
        hold,
    })
}
