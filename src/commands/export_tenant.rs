//! `privctl export-tenant`: every row of one tenant, from one snapshot, streamed into a bundle.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::Context;
use crate::bundle::KeyMaterial;
use crate::bundle::columns::ColumnCipher;
use crate::bundle::export::{Erasure, Export};
use crate::bundle::sink::{OutputFormat, Sink};
use crate::db::TxMode;
use crate::ledger::NewEntry;
use crate::report::export::{TenantExport, row_counts};
use crate::selection::TenantSelection;

/// Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant to export
    #[arg(long, value_name = "ID")]
    pub tenant: String,
    /// Where to write: a file (json, ndjson) or a directory (csv)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Bundle format
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub output_format: OutputFormat,
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// Replace an existing file (or write into an existing directory)
    #[arg(long)]
    pub force: bool,
}

/// `--encrypt` and where its key comes from (never the key itself on the command line).
#[derive(Debug, Clone, clap::Args)]
pub struct EncryptionArgs {
    /// Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env
    #[arg(long)]
    pub encrypt: bool,
    /// File with a 32-byte key (raw, base64 or hex)
    #[arg(long, value_name = "F", conflicts_with = "passphrase_env")]
    pub key_file: Option<PathBuf>,
    /// Environment variable holding a passphrase (stretched with argon2id)
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
}

impl EncryptionArgs {
    /// The key, when `--encrypt` is given.
    pub fn key(&self) -> Result<Option<KeyMaterial>> {
        if !self.encrypt {
            if self.key_file.is_some() || self.passphrase_env.is_some() {
                return Err(crate::error::Failure::usage(
                    "--key-file and --passphrase-env need --encrypt",
                )
                .into());
            }
            return Ok(None);
        }
        match (&self.key_file, &self.passphrase_env) {
            (Some(file), None) => KeyMaterial::from_key_file(file).map(Some),
            (None, Some(var)) => KeyMaterial::from_env(var).map(Some),
            _ => Err(crate::error::Failure::usage(
                "--encrypt needs --key-file F or --passphrase-env VAR",
            )
            .into()),
        }
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
    let key = args.encryption.key()?;
    let session = ctx.session().await?;
    let selection = TenantSelection::new(&session.model, &args.tenant)?;
    session.check_tenant(Some(&args.tenant)).await?;
    let cipher = ColumnCipher::from_map(&session.map)?;
    let mut sink = Sink::create(
        args.output_format,
        &args.out,
        args.force,
        key.as_ref(),
        "tenant",
        Some(&args.tenant),
        &ctx.now.to_rfc3339(),
    )?;
    crate::session::report_leftovers(ctx, sink.leftovers_removed());
    let progress = ctx.ui.spinner("{spinner} {pos} rows, {per_sec} — {msg}");

    let mut export = Export::new(cipher.as_ref(), Erasure::Tenant);
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    if let Some(setting) = &session.map.tenant_setting {
        tx.set_tenant(setting, &args.tenant).await?;
    }
    let tenant_node = session
        .model
        .tenant
        .as_ref()
        .expect("TenantSelection checked");
    let tenant_columns: Vec<String> = tenant_node
        .info
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let tenant_rows = tx
        .fetch_json(&selection.select_tenant_row())
        .await
        .context("reading the tenant row")?;
    export.rows(&mut sink, &tenant_node.name, &tenant_columns, &tenant_rows)?;
    for name in selection.tables() {
        if let Some(bar) = &progress {
            bar.set_message(name.to_owned());
        }
        let sql = selection.select_rows(name);
        let node = session.model.node(name);
        let on_row = || {
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        };
        export.table(&mut tx, &mut sink, node, &sql, on_row).await?;
    }
    tx.rollback().await?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let (counts, total) = (export.counts(), export.total());
    let manifest = export.manifest(key.is_some());
    let sealed = sink.finish(manifest)?;
    let entry = entry(&args, counts, total, &sealed.written);
    let (written, _) = sealed.publish(session.append(ctx, entry)).await?;
    if ctx.ui.is_json() {
        ctx.ui.json(&TenantExport {
            action: "export-tenant",
            tenant: &args.tenant,
            out: &args.out,
            output_format: format!("{:?}", args.output_format).to_lowercase(),
            encrypted: key.is_some(),
            sha256: &written.sha256,
            bytes: written.bytes,
            row_counts: row_counts(counts),
            total_rows: total,
        })?;
    } else {
        ctx.ui.line(&format!(
            "wrote {total} rows of tenant {} from {} tables to {} (sha256 {})",
            args.tenant,
            counts.len(),
            args.out.display(),
            written.sha256
        ))?;
    }
    Ok(())
}

/// The ledger entry of the export: counts and the bundle's digest, never the path (which may
/// name a person).
fn entry(
    args: &Args,
    counts: &Map<String, Value>,
    total: u64,
    written: &crate::bundle::Written,
) -> NewEntry {
    let details = json!({
        "row_counts": counts,
        "total_rows": total,
        "sha256": written.sha256,
        "bytes": written.bytes,
        "files": written.files,
        "encrypted": args.encryption.encrypt,
    });
    NewEntry::new("export-tenant", "done", details)
        .tenant(Some(&args.tenant))
        .resource(&format!("bundle:sha256:{}", written.sha256))
}
