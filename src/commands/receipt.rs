//! `privctl receipt verify`: an erasure receipt (`dsar delete --receipt`), checked with nothing
//! but the receipt and public keys: no database, no map, no secret (see `ledger::receipt`).

use anyhow::Result;

use super::Context;
use super::audit_sign::verifier_keys;
use crate::error::Failure;
use crate::ledger::receipt::{self, Claimed};

/// Check erasure receipts offline
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Verify(VerifyArgs),
    Update(UpdateArgs),
}

/// Prove a receipt again against a later checkpoint (one that witnesses cosigned)
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The later checkpoint, as `audit checkpoint` signed it and witnesses cosigned it
    #[arg(long, value_name = "FILE")]
    pub checkpoint: std::path::PathBuf,

    /// Where to write the updated receipt (mode 0600); the receipt itself is left as it is
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,

    /// The receipt (`dsar delete --receipt`)
    pub receipt: std::path::PathBuf,
}

/// Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The log's verifier key (vkey text or a file of them); repeat for several
    #[arg(long = "vkey", value_name = "KEY", required = true)]
    pub vkeys: Vec<String>,

    /// A witness's verifier key: its cosignature is required; repeat for several
    #[arg(long = "witness", value_name = "KEY")]
    pub witnesses: Vec<String>,

    /// The subject's email: also check that the erasure was of this subject
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,

    /// The subject's phone number, with its country code (+44…)
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,

    /// Another identity the subject was named by, normalised as the operator's map does
    #[arg(long = "identity", value_name = "NAME=VALUE")]
    pub identities: Vec<String>,

    /// For an export's receipt: also check that this file is the bundle the export wrote
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<std::path::PathBuf>,

    /// The receipt (`-` for standard input)
    pub receipt: std::path::PathBuf,
}

pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Verify(args) => verify(ctx, args),
        Command::Update(args) => update(ctx, args).await,
    }
}

async fn update(ctx: &Context, args: UpdateArgs) -> Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
    };
    let receipt: receipt::Receipt = serde_json::from_str(&read(&args.receipt)?).map_err(|e| {
        Failure::usage(format!(
            "{}: not a privctl receipt ({e})",
            args.receipt.display()
        ))
    })?;
    let note = read(&args.checkpoint)?;
    let db = ctx.connect().await?;
    db.require_privctl_tables().await?;
    let mut tx = db.begin(crate::db::TxMode::Snapshot).await?;
    let updated = receipt::against(&mut tx, &receipt, &note).await?;
    tx.rollback().await?;
    db.close().await;
    let text = serde_json::to_string_pretty(&updated).expect("a receipt serialises") + "\n";
    super::audit_sign::write_private(&args.out, &text)?;
    if !ctx.ui.is_json() {
        ctx.ui.line(&format!("wrote {}", args.out.display()))?;
    }
    Ok(())
}

fn verify(ctx: &Context, args: VerifyArgs) -> Result<()> {
    let log_keys = verifier_keys(&args.vkeys, "--vkey")?;
    let witnesses = verifier_keys(&args.witnesses, "--witness")?;
    let mut claimed = Claimed::default();
    if let Some(email) = &args.email {
        let value = crate::selection::normalise(&crate::map::IdentityKind::Email, email)
            .map_err(|why| Failure::usage(format!("--email: {why}")))?;
        claimed.by_kind.insert("email".into(), value);
    }
    if let Some(phone) = &args.phone {
        let value = crate::phone::e164(phone.trim(), None)
            .map_err(|why| Failure::usage(format!("--phone: {why}")))?;
        claimed.by_kind.insert("phone".into(), value);
    }
    for pair in &args.identities {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::usage("--identity takes NAME=VALUE"))?;
        claimed.by_name.insert(name.to_owned(), value.to_owned());
    }
    let text = if args.receipt.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| Failure::usage(format!("reading the receipt: {e}")))?
    } else {
        std::fs::read_to_string(&args.receipt)
            .map_err(|e| Failure::usage(format!("{}: {e}", args.receipt.display())))?
    };
    let proved = receipt::verify(&text, &log_keys, &witnesses, &claimed).map_err(|refusal| {
        Failure::ledger_altered(format!("the receipt does not verify: {refusal}"))
    })?;
    let what = match proved.action.as_str() {
        "dsar-export" => "export",
        _ => "erasure",
    };
    if proved.subject_matches == Some(false) {
        return Err(Failure::ledger_altered(format!(
            "the receipt's {what} was not of the subject named: the identifiers do not open its commitment"
        ))
        .into());
    }
    if let Some(bundle) = &args.bundle {
        let Some(expected) = proved
            .resource
            .as_deref()
            .and_then(|r| r.strip_prefix("bundle:sha256:"))
        else {
            return Err(Failure::usage(format!(
                "--bundle: the receipt's entry ({}) names no bundle",
                proved.action
            ))
            .into());
        };
        let actual = sha256_of(bundle)?;
        if actual != expected {
            return Err(Failure::ledger_altered(format!(
                "--bundle {}: its SHA-256 is {actual}, the export the receipt proves wrote {expected}: not the bundle handed over, or altered since",
                bundle.display()
            ))
            .into());
        }
    }
    if ctx.ui.is_json() {
        ctx.ui.json(&proved)?;
        return objects_complete(&proved);
    }
    ctx.ui.line(&format!(
        "proved: entry {} of the log {} records {} {} in tenant {} at {}",
        proved.seq,
        proved.origin,
        proved.action,
        proved.outcome,
        proved.tenant.as_deref().unwrap_or("(none)"),
        proved.at
    ))?;
    let cosigned = if proved.cosigned_by.is_empty() {
        String::new()
    } else {
        format!(", cosigned by {}", proved.cosigned_by.join(", "))
    };
    ctx.ui.line(&format!(
        "in its checkpoint of {} entries, signed by {}{cosigned}",
        proved.tree_size,
        proved.signed_by.join(", ")
    ))?;
    ctx.ui.line(&match proved.subject_matches {
        Some(_) => format!("subject: the identifiers given open the receipt's commitment: this {what} was of that subject"),
        None => "subject: not checked (give --email, --phone or --identity to check it)".to_owned(),
    })?;
    if let Some(bundle) = &args.bundle {
        ctx.ui.line(&format!(
            "bundle: {} is the bundle this export wrote",
            bundle.display()
        ))?;
    }
    if let Some(objects) = proved.objects.as_ref().filter(|o| o.queued > 0) {
        let seqs: Vec<String> = objects.entries.iter().map(i64::to_string).collect();
        ctx.ui.line(&format!(
            "objects: {} of the {} objects it queued proved deleted{}",
            objects.deleted,
            objects.queued,
            match seqs.len() {
                0 => String::new(),
                1 => format!(", by entry {}", seqs[0]),
                _ => format!(", by entries {}", seqs.join(", ")),
            }
        ))?;
    }
    objects_complete(&proved)
}

/// A receipt that proves the rows erased but not every object deleted does not prove the
/// erasure done: exit 1, saying what is missing and how to get it.
fn objects_complete(proved: &receipt::Proved) -> Result<()> {
    match &proved.objects {
        Some(objects) if !objects.complete() => Err(Failure::failed(format!(
            "the receipt proves the rows' erasure, but {} of the {} objects it queued are not proved deleted",
            objects.queued - objects.deleted,
            objects.queued
        ))
        .with_hint("the objects were still queued when the receipt was written: once the blob outbox is drained (`privctl purge-retention --blobs-only`), `privctl receipt update` against a checkpoint signed after it proves them")
        .into()),
        _ => Ok(()),
    }
}

/// The SHA-256 of a file, lower-case hex, read in chunks.
fn sha256_of(path: &std::path::Path) -> Result<String> {
    use sha2::Digest as _;
    let mut file = std::fs::File::open(path)
        .map_err(|e| Failure::usage(format!("--bundle {}: {e}", path.display())))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .map_err(|e| Failure::usage(format!("--bundle {}: {e}", path.display())))?;
    Ok(hex::encode(hasher.finalize()))
}
