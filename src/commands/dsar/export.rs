//! `dsar export`: every row of the subject, from one snapshot, streamed into a bundle.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};

use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::bundle::columns::ColumnCipher;
use crate::bundle::{JsonBundle, OutputFile, RowShaping};
use crate::db::TxMode;
use crate::ledger::NewEntry;
use crate::map::Effect;
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
}

/// `dsar export`: every row of the subject from one snapshot, streamed into a bundle.
pub(super) async fn export(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let key = args.encryption.key()?;
    let session = ctx.session().await?;
    let Prepared {
        selection,
        on_behalf_of,
        ..
    } = prepare(ctx, &session, &args.subject, "export").await?;
    let tenant = args.subject.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let mut file = OutputFile::create(&args.out, args.force, key.as_ref())?;
    crate::session::report_leftovers(ctx, file.leftovers_removed());

    let cipher = ColumnCipher::from_map(&session.map)?;

    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    session.set_tenant(&mut tx, tenant).await?;
    let mut bundle = JsonBundle::begin(&mut file, "subject", tenant, &ctx.now.to_rfc3339())?;
    let mut counts = serde_json::Map::new();
    let mut redacted = serde_json::Map::new();
    let mut retained = serde_json::Map::new();
    for name in selection.tables() {
        let node = session.model.node(name);
        let shaping = RowShaping::new(node, cipher.as_ref());
        bundle.begin_table(name)?;
        let sql = selection.select_rows(name);
        let mut rows = tx.stream_json(&sql);
        let mut n = 0u64;
        while let Some(mut row) = rows
            .try_next()
            .await
            .with_context(|| format!("reading {name}"))?
        {
            shaping.apply(name, &mut row, cipher.as_ref())?;
            bundle.row(&row)?;
            n += 1;
        }
        drop(rows);
        bundle.end_table()?;
        counts.insert(name.clone(), json!(n));
        if !shaping.policy.columns.is_empty() {
            redacted.insert(name.clone(), shaping.policy.manifest());
        }
        if node.spec.erase.subject.effect() != Effect::Delete && n > 0 {
            retained.insert(
                name.clone(),
                json!({"effect": node.spec.erase.subject.effect(), "legal_basis": node.spec.legal_basis}),
            );
        }
    }
    tx.rollback().await?;
    let total: u64 = counts.values().filter_map(Value::as_u64).sum();
    bundle.finish(
        &json!({"row_counts": counts, "retained": retained, "redacted_columns": redacted}),
    )?;
    let sealed = file.seal()?;
    let (sha256, bytes) = (sealed.written.sha256.clone(), sealed.written.bytes);
    let details = with_member(
        json!({"row_counts": counts, "total_rows": total, "sha256": sha256, "bytes": bytes, "encrypted": key.is_some()}),
        &on_behalf_of,
    );
    let entry = NewEntry::new("dsar-export", "done", details)
        .tenant(tenant)
        .subject(&subject_ref)
        .resource(&format!("bundle:sha256:{sha256}"));
    sealed.publish(session.append(ctx, entry)).await?;

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
