//! The ledger, verifiable by anyone holding a public key (issue 17): `audit keygen`, `audit
//! vkey`, `audit checkpoint` (the signer), `audit consistency` and `audit witness` (a witness,
//! offline over files), and what `audit-verify --checkpoint` reads.
//!
//! Checkpoints are C2SP signed notes (`c2sp.org/tlog-checkpoint`): the log's origin, its tree
//! size and root, signed with Ed25519 keys in the Go `sumdb/note` formats ([`note`]). The signer
//! keeps the last note it signed in a state file outside the database and signs a new one only
//! when the ledger verifies and is consistent with it; a witness keeps its own state and cosigns
//! (`cosignature/v1`) only a checkpoint consistent with the last one it cosigned.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::Context;
use crate::clock::Timestamp;
use crate::db::TxMode;
use crate::error::Failure;
use crate::ledger::floor::Floor;
use crate::ledger::merkle::{self, Hash};
use crate::ledger::note::{self, Checkpoint, KeyType, SignerKey, VerifierKey};
use crate::ledger::verify::{Kind, SignedHead};
use crate::ledger::{Ledger, tree};
use crate::map::{DataMap, KeySource};

/// Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// The key's name, carried by every signature (the log's origin is a good one)
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Where to write the private key (created with mode 0600; never overwritten)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// A witness key (cosignature/v1), for `privctl audit witness`
    #[arg(long)]
    pub witness: bool,
}

/// Print the verifier keys of keys.signing, to publish beside the checkpoints
#[derive(Debug, clap::Args)]
pub struct VkeyArgs {}

/// Sign the ledger's tree head (a C2SP checkpoint) after verifying the ledger against the last one signed
#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    /// The signer's state: the last checkpoint it signed (kept outside the database)
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,

    /// Also write the checkpoint here (it is printed either way)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Write a witness request: a consistency proof from an older tree size to a checkpoint
#[derive(Debug, clap::Args)]
pub struct ConsistencyArgs {
    /// The tree size the witness last cosigned (0 for its first)
    #[arg(long, value_name = "SIZE")]
    pub old: u64,

    /// The signed checkpoint to prove
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
}

/// Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned
#[derive(Debug, clap::Args)]
pub struct WitnessArgs {
    /// The witness's state folder (the last checkpoint cosigned, per log)
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,

    /// The log's verifier key (vkey text or a file of them); repeat for several
    #[arg(long = "log-vkey", value_name = "KEY", required = true)]
    pub log_vkeys: Vec<String>,

    /// The witness's private key: env:VAR or file:PATH
    #[arg(long, value_name = "SOURCE")]
    pub key: String,

    /// The request from `privctl audit consistency` (`-` for standard input)
    pub request: PathBuf,
}

/// Keys that verify: each `--vkey`/`--witness` value is a vkey, or a file of them (one per line).
pub fn verifier_keys(values: &[String], flag: &str) -> Result<Vec<VerifierKey>> {
    let mut keys = Vec::new();
    for value in values {
        match VerifierKey::parse(value.trim()) {
            Ok(key) => keys.push(key),
            Err(as_key) => {
                let text = std::fs::read_to_string(value).map_err(|error| {
                    Failure::usage(format!(
                        "{flag} {value}: neither a verifier key ({as_key}) nor a readable file ({error})"
                    ))
                })?;
                for (number, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    keys.push(VerifierKey::parse(line.trim()).map_err(|error| {
                        Failure::usage(format!("{flag} {value}, line {}: {error}", number + 1))
                    })?);
                }
            }
        }
    }
    Ok(keys)
}

/// The signer keys of `keys.signing`, in the map's order.
pub fn signing_keys(map: &DataMap) -> Result<Vec<SignerKey>> {
    if map.keys.signing.is_empty() {
        return Err(Failure::usage(format!(
            "{}: keys.signing is not set: a checkpoint needs an Ed25519 key",
            map.path.display()
        ))
        .with_hint("make one with `privctl audit keygen --name ORIGIN --out FILE` and set keys.signing = \"file:FILE\"")
        .into());
    }
    map.keys
        .signing
        .iter()
        .map(|source| signer_key(source, &format!("keys.signing ({source})")))
        .collect()
}

fn signer_key(source: &KeySource, what: &str) -> Result<SignerKey> {
    let bytes = source.load().with_context(|| format!("loading {what}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{what}: not UTF-8 text")))?;
    SignerKey::parse(text.trim()).map_err(|error| Failure::usage(format!("{what}: {error}")).into())
}

/// Writes `text` to `path` atomically: a temporary file beside it, synced, then renamed.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile_in(folder, path)?;
    temp.1.write_all(text.as_bytes())?;
    temp.1.sync_all()?;
    std::fs::rename(&temp.0, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// [`write_atomically`], readable by its owner only (a receipt holds its subject's opening).
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (temp, mut file) = tempfile_in(folder, path)?;
    #[cfg(unix)]
    std::fs::set_permissions(&temp, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn tempfile_in(folder: &Path, path: &Path) -> Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let file =
        std::fs::File::create(&temp).with_context(|| format!("writing {}", temp.display()))?;
    Ok((temp, file))
}

pub async fn keygen(ctx: &Context, args: KeygenArgs) -> Result<()> {
    let kind = if args.witness {
        KeyType::Cosignature
    } else {
        KeyType::Ed25519
    };
    let key = SignerKey::generate(&args.name, kind)
        .map_err(|error| Failure::usage(format!("--name {}: {error}", args.name)))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&args.out).map_err(|error| {
        Failure::usage(format!(
            "--out {}: {error} (an existing key is never overwritten)",
            args.out.display()
        ))
    })?;
    file.write_all(format!("{}\n", key.expose_secret()).as_bytes())?;
    file.sync_all()?;
    let vkey = key.verifier().to_string();
    if ctx.ui.is_json() {
        ctx.ui
            .json(&serde_json::json!({"vkey": vkey, "private_key_file": args.out}))?;
    } else {
        ctx.ui.line(&vkey)?;
    }
    Ok(())
}

pub async fn vkey(ctx: &Context, _args: VkeyArgs) -> Result<()> {
    let map = DataMap::load(&ctx.map_path)?;
    let keys = signing_keys(&map)?;
    let vkeys: Vec<String> = keys.iter().map(|k| k.verifier().to_string()).collect();
    if ctx.ui.is_json() {
        ctx.ui.json(&serde_json::json!({ "vkeys": vkeys }))?;
    } else {
        for vkey in vkeys {
            ctx.ui.line(&vkey)?;
        }
    }
    Ok(())
}

/// A signed checkpoint, opened with `keys`: its text must be a checkpoint.
pub fn open_checkpoint(
    bytes: &[u8],
    keys: &[VerifierKey],
    what: &str,
) -> Result<(note::OpenedNote, Checkpoint)> {
    let opened = note::open_note(bytes, keys)
        .map_err(|error| Failure::ledger_altered(format!("{what}: {error}")))?;
    let checkpoint = Checkpoint::parse(&opened.text)
        .map_err(|error| Failure::ledger_altered(format!("{what}: {error}")))?;
    Ok((opened, checkpoint))
}

/// What `checkpoint` signed, to hold the ledger to at `now`; a malformed retention line is an
/// altered checkpoint.
pub fn signed_head(checkpoint: &Checkpoint, now: Timestamp, what: &str) -> Result<SignedHead> {
    let retention = Floor::of(checkpoint)
        .map_err(|error| Failure::ledger_altered(format!("{what}: {error}")))?;
    Ok(SignedHead {
        origin: checkpoint.origin.clone(),
        size: checkpoint.size,
        root: checkpoint.root,
        retention,
        now,
    })
}

pub async fn checkpoint(ctx: &Context, args: CheckpointArgs) -> Result<()> {
    let map = DataMap::load(&ctx.map_path)?;
    let signers = signing_keys(&map)?;
    let vkeys: Vec<VerifierKey> = signers.iter().map(SignerKey::verifier).collect();
    let last = match std::fs::read(&args.state) {
        Ok(bytes) => {
            let what = format!("--state {}", args.state.display());
            Some(open_checkpoint(&bytes, &vkeys, &what)?.1)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(
                Failure::usage(format!("--state {}: {error}", args.state.display())).into(),
            );
        }
    };
    let db = ctx.connect().await?;
    db.require_privctl_tables().await?;
    let ledger: Ledger = ctx.ledger(&map)?;
    // The log is named by the map before its first checkpoint, even with no entry yet.
    let mut tx = db.begin(TxMode::Write).await?;
    ledger.name_log(&mut tx).await?;
    tx.commit().await?;
    let mut tx = db.begin(TxMode::Snapshot).await?;
    // The ledger is held to the last checkpoint: only appended to, and purged as it announced.
    let what = format!("--state {}", args.state.display());
    let head = match &last {
        Some(last) => Some(signed_head(last, ctx.now, &what)?),
        None => None,
    };
    let report = ledger.verify_signed(&mut tx, None, head.as_ref()).await?;
    let meta = tree::meta(&mut tx).await?;
    let last_purged = crate::ledger::checkpoint::latest(&mut tx)
        .await?
        .map(|c| c.at);
    tx.rollback().await?;
    db.close().await;
    if let Some(problem) = report.problems.first() {
        let hint = match problem.kind {
            Kind::PurgedEarly => {
                "a new ledger window takes effect once a checkpoint announced it: sign one after changing [retention] ledger, before the next purge"
            }
            _ => "keep this database as evidence; the last checkpoint signed is still in --state",
        };
        return Err(Failure::ledger_altered(format!(
            "refusing to sign: entry {} is {}: {}",
            problem.seq, problem.kind, problem.detail
        ))
        .with_hint(hint)
        .into());
    }
    let Some(origin) = meta.origin else {
        return Err(Failure::usage(format!(
            "{}: [ledger] origin is not set: a checkpoint names its log",
            map.path.display()
        ))
        .with_hint(
            "set [ledger] origin = \"privctl.example.com/prod-eu\" (a name of your own) in the map",
        )
        .into());
    };
    let tree = report
        .tree
        .as_ref()
        .context("the ledger's tree was not recomputed")?;
    let mut root: Hash = [0; 32];
    hex::decode_to_slice(&tree.root, &mut root).context("the tree's root")?;
    let floor = Floor::at_signing(
        report.purged,
        map.ledger_retention,
        last_purged.as_deref(),
        ctx.now,
    );
    let mut body = Checkpoint::new(&origin, tree.size, root);
    body.extensions.push(floor.line());
    let signer_refs: Vec<&SignerKey> = signers.iter().collect();
    let signed = note::sign_note(&body.to_string(), &signer_refs)
        .map_err(|error| Failure::usage(format!("keys.signing: {error}")))?;
    write_atomically(&args.state, &signed)?;
    if let Some(out) = &args.out {
        write_atomically(out, &signed)?;
    }
    if ctx.ui.is_json() {
        ctx.ui.json(&serde_json::json!({
            "origin": origin,
            "size": tree.size,
            "root": tree.root,
            "previous_size": last.as_ref().map(|c| c.size),
            "signed_by": signers.iter().map(|k| k.name().to_owned()).collect::<Vec<_>>(),
            "note": signed,
        }))?;
    } else {
        ctx.ui.raw(&signed)?;
    }
    Ok(())
}

/// The tlog-witness request: `old N`, the consistency proof's hashes in base64, a blank line,
/// the checkpoint note.
fn request_text(old: u64, proof: &[Hash], note: &str) -> String {
    use base64::Engine as _;
    let mut text = format!("old {old}\n");
    for hash in proof {
        text.push_str(&base64::engine::general_purpose::STANDARD.encode(hash));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(note);
    text
}

fn parse_request(text: &str) -> Result<(u64, Vec<Hash>, &str)> {
    use base64::Engine as _;
    let bad = |why: &str| {
        Failure::usage(format!(
            "the witness request is not `old N`, proof lines, a blank line and the checkpoint: {why}"
        ))
    };
    let (head, note) = text
        .split_once("\n\n")
        .ok_or_else(|| bad("no blank line"))?;
    let mut lines = head.lines();
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| bad("the first line is not `old N`"))?;
    let mut proof = Vec::new();
    for line in lines {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line)
            .map_err(|_| bad("a proof line is not base64"))?;
        proof.push(
            bytes
                .try_into()
                .map_err(|_| bad("a proof hash is not 32 bytes"))?,
        );
    }
    Ok((old, proof, note))
}

pub async fn consistency(ctx: &Context, args: ConsistencyArgs) -> Result<()> {
    let note_text = std::fs::read_to_string(&args.checkpoint).map_err(|error| {
        Failure::usage(format!(
            "--checkpoint {}: {error}",
            args.checkpoint.display()
        ))
    })?;
    let body = note_text
        .split_once("\n\n")
        .map(|(text, _)| format!("{text}\n"))
        .ok_or_else(|| {
            Failure::usage(format!(
                "--checkpoint {}: not a signed note",
                args.checkpoint.display()
            ))
        })?;
    let checkpoint = Checkpoint::parse(&body).map_err(|error| {
        Failure::usage(format!(
            "--checkpoint {}: {error}",
            args.checkpoint.display()
        ))
    })?;
    if args.old > checkpoint.size {
        return Err(Failure::usage(format!(
            "--old {} is beyond the checkpoint's size {}",
            args.old, checkpoint.size
        ))
        .into());
    }
    let db = ctx.connect().await?;
    db.require_privctl_tables().await?;
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let stored = tree::size(&mut tx).await?;
    if stored < checkpoint.size {
        return Err(Failure::ledger_altered(format!(
            "the checkpoint covers {} entries, the ledger's tree has {stored}",
            checkpoint.size
        ))
        .into());
    }
    let (old, new) = (args.old, checkpoint.size);
    let proof = tree::over_nodes(&mut tx, |node| tree::consistency_path(old, new, node)).await?;
    tx.rollback().await?;
    db.close().await;
    ctx.ui.raw(&request_text(old, &proof, &note_text))?;
    Ok(())
}

/// The witness's state file for a log: its origin, made a file name.
fn witness_state(folder: &Path, origin: &str) -> PathBuf {
    let name: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // The hash keeps `a/b` and `a_b` apart.
    let hash = crate::ledger::sha256_hex(origin.as_bytes());
    folder.join(format!("{name}.{}.checkpoint", &hash[..8]))
}

pub async fn witness(ctx: &Context, args: WitnessArgs) -> Result<()> {
    let log_keys = verifier_keys(&args.log_vkeys, "--log-vkey")?;
    let source = KeySource::parse_flag(&args.key)
        .map_err(|message| Failure::usage(format!("--key: {message}")))?;
    let key = signer_key(&source, "--key")?;
    if key.kind() != KeyType::Cosignature {
        return Err(Failure::usage(
            "--key: not a witness key (make one with `privctl audit keygen --witness`)",
        )
        .into());
    }
    let text = if args.request.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .context("reading the request from standard input")?
    } else {
        std::fs::read_to_string(&args.request)
            .map_err(|error| Failure::usage(format!("{}: {error}", args.request.display())))?
    };
    let (old, proof, note_text) = parse_request(&text)?;
    let (_, checkpoint) = open_checkpoint(note_text.as_bytes(), &log_keys, "the checkpoint")?;
    std::fs::create_dir_all(&args.state)
        .map_err(|error| Failure::usage(format!("--state {}: {error}", args.state.display())))?;
    let state = witness_state(&args.state, &checkpoint.origin);
    let mut own = log_keys.clone();
    own.push(key.verifier());
    let last = match std::fs::read(&state) {
        Ok(bytes) => Some(open_checkpoint(&bytes, &own, &state.display().to_string())?.1),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(Failure::usage(format!("{}: {error}", state.display())).into()),
    };
    let (last_size, last_root) = last
        .as_ref()
        .map_or((0, merkle::root(&[])), |c| (c.size, c.root));
    if old != last_size {
        return Err(Failure::failed(format!(
            "this witness last cosigned size {last_size} of {}; the request proves from {old}",
            checkpoint.origin
        ))
        .with_hint(format!(
            "ask the log for `privctl audit consistency --old {last_size} --checkpoint FILE`"
        ))
        .into());
    }
    if checkpoint.size < last_size
        || !merkle::verify_consistency(
            last_size,
            checkpoint.size,
            &last_root,
            &checkpoint.root,
            &proof,
        )
    {
        return Err(Failure::ledger_altered(format!(
            "refusing to cosign: {} at size {} is not an append-only extension of size {last_size} cosigned before: the log was rewritten or rolled back",
            checkpoint.origin, checkpoint.size
        ))
        .with_hint("keep both checkpoints as evidence")
        .into());
    }
    // The retention the log announced: the floor never goes down, and rises only under a window.
    let retention = |c: &Checkpoint, what: &str| {
        Floor::of(c).map_err(|error| {
            Failure::ledger_altered(format!("refusing to cosign: {what}: {error}"))
        })
    };
    let next = retention(&checkpoint, "the checkpoint")?;
    if let Some(last) = &last
        && let Some(previous) = retention(last, "the checkpoint cosigned before")?
    {
        let next = next.ok_or_else(|| {
            Failure::ledger_altered(format!(
                "refusing to cosign: {} at size {} no longer signs its retention (a privctl-retention line), which the checkpoint cosigned before did",
                checkpoint.origin, checkpoint.size
            ))
        })?;
        previous.may_precede(&next).map_err(|error| {
            Failure::ledger_altered(format!("refusing to cosign: {error}"))
                .with_hint("keep both checkpoints as evidence")
        })?;
    }
    let timestamp = u64::try_from(ctx.now.unix()).unwrap_or(0);
    let cosigned = note::cosign_note(note_text.as_bytes(), &key, timestamp)
        .map_err(|error| Failure::failed(format!("cosigning: {error}")))?;
    write_atomically(&state, &cosigned)?;
    ctx.ui.raw(&cosigned)?;
    Ok(())
}
