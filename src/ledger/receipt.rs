//! Erasure receipts (issue 17): what `dsar delete --receipt FILE` hands the data subject, and
//! what `privctl receipt verify` checks with nothing but the receipt and public keys.
//!
//! A receipt is a JSON document:
//!
//! ```text
//! {"format": "privctl-receipt/1",
//!  "entry": "<the ledger entry's canonical bytes (privctl-ledger/2), as text>",
//!  "subject": {"opening": "<64 hex: r>", "identifiers": ["email", …]},
//!  "proof": "<a C2SP tlog-proof: the entry's leaf index, its inclusion path, the signed checkpoint>",
//!  "objects": [{"entry": "<a blob-delete entry>", "proof": "<its tlog-proof, same checkpoint>"}]}
//! ```
//!
//! `objects` (absent when the entry queued none) proves the erasure's objects gone: the
//! entry's `details.objects.outbox` names the outbox ids it queued, each `blob-delete` entry's
//! `details.outbox_deleted` those it deleted ([`super::ids::IdSet`]).
//!
//! The entry's `details` hold `subject_commitment`, the lower-case hex
//! `SHA-256("privctl-subject-commit/1" ‖ 0x00 ‖ r ‖ 0x00 ‖ tenant ‖ (0x00 ‖ name "=" value)…)`
//! over the normalised identifiers in the order `identifiers` lists them, with `r` 32 random
//! bytes that only the receipt holds: the ledger names no subject, and the receipt proves the
//! erasure was of the subject who can say who they are. The leaf is `SHA-256(0x00 ‖ entry)`;
//! the proof's checkpoint must be signed by the log (and cosigned by the witnesses asked for),
//! and its origin is the entry's. Nothing in a receipt reveals any other entry: the path holds
//! only hashes.

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::ids::IdSet;
use super::merkle::{self, Hash};
use super::note::{self, Checkpoint, SignerKey, VerifierKey};
use super::proof::{Policy, ProofError, SignedCheckpoint, TlogProof};
use super::{COLUMNS, LedgerEntry, tree};
use crate::db::{Param, Tx};

pub const FORMAT: &str = "privctl-receipt/1";

/// The commitment to a subject, in hex.
pub fn commitment(r: &[u8; 32], tenant: Option<&str>, identifiers: &[(String, String)]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"privctl-subject-commit/1\0");
    hasher.update(r);
    hasher.update(b"\0");
    hasher.update(tenant.unwrap_or("").as_bytes());
    for (name, value) in identifiers {
        hasher.update(b"\0");
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// 32 random bytes for a commitment.
pub fn opening() -> Result<[u8; 32]> {
    let mut r = [0u8; 32];
    getrandom::fill(&mut r).map_err(|e| anyhow::anyhow!("no randomness for the receipt: {e}"))?;
    Ok(r)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub format: String,
    pub entry: String,
    pub subject: Opening,
    pub proof: String,
    /// The `blob-delete` entries that deleted the objects the erasure queued, proved in the
    /// same checkpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectProof>,
}

/// A `blob-delete` entry (canonical bytes as text) and its tlog proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectProof {
    pub entry: String,
    pub proof: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opening {
    pub opening: String,
    /// The identities the subject was named by, in the commitment's order.
    pub identifiers: Vec<String>,
    /// Their kinds (`email`, `phone`, `exact`): how a verifier normalises a value it is given.
    pub kinds: Vec<String>,
}

/// Builds the receipt of `entry` (committed) and of `objects`, the `blob-delete` entries
/// that deleted its objects (see [`deletions`]): their inclusion in the tree up to the newest
/// of them, whose checkpoint `signers` sign now.
pub async fn build(
    tx: &mut Tx,
    entry: &LedgerEntry,
    objects: &[String],
    r: &[u8; 32],
    identifiers: Vec<(String, String)>,
    signers: &[SignerKey],
) -> Result<Receipt> {
    let meta = tree::meta(tx).await?;
    let origin = meta
        .origin
        .context("the log has no origin ([ledger] origin) to sign a checkpoint for")?;
    let canonical = String::from_utf8(entry.canonical()).expect("canonical bytes are JSON text");
    let mut last = entry.seq;
    for object in objects {
        last = last.max(seq_of(object)?);
    }
    let size = u64::try_from(last + 1 - meta.tree_start).context("the tree's size")?;
    let root = tree::stored_range(tx, size).await?.root();
    let signer_refs: Vec<&SignerKey> = signers.iter().collect();
    let checkpoint = note::sign_note(
        &Checkpoint::new(&origin, size, root).to_string(),
        &signer_refs,
    )
    .map_err(|e| anyhow::anyhow!("keys.signing: {e}"))?;
    let proof = prove(tx, &canonical, meta.tree_start, size, &root, &checkpoint).await?;
    let mut proved = Vec::with_capacity(objects.len());
    for object in objects {
        proved.push(ObjectProof {
            entry: object.clone(),
            proof: prove(tx, object, meta.tree_start, size, &root, &checkpoint).await?,
        });
    }
    Ok(Receipt {
        format: FORMAT.to_owned(),
        entry: canonical,
        subject: Opening {
            opening: hex::encode(r),
            kinds: identifiers.iter().map(|(_, kind)| kind.clone()).collect(),
            identifiers: identifiers.into_iter().map(|(name, _)| name).collect(),
        },
        proof,
        objects: proved,
    })
}

/// The tlog proof of the entry `text` in the tree of `size` leaves, from the stored nodes,
/// checked against `root` before it is handed out.
async fn prove(
    tx: &mut Tx,
    text: &str,
    tree_start: i64,
    size: u64,
    root: &Hash,
    checkpoint: &str,
) -> Result<String> {
    let seq = seq_of(text)?;
    let index = u64::try_from(seq - tree_start).context("the entry's leaf index")?;
    if index >= size {
        anyhow::bail!("the checkpoint's tree ({size} entries) does not reach entry {seq}");
    }
    let path = tree::over_nodes(tx, |node| tree::inclusion_path(index, size, node)).await?;
    if !merkle::verify_inclusion(
        &merkle::leaf_hash(text.as_bytes()),
        index,
        size,
        &path,
        root,
    ) {
        return Err(crate::error::Failure::ledger_altered(format!(
            "the tree does not hold entry {seq} as its leaf {index}: the log or the receipt was rewritten"
        ))
        .into());
    }
    Ok(TlogProof {
        extra: None,
        index,
        path,
        checkpoint: checkpoint.to_owned(),
    }
    .to_string())
}

/// The seq of an entry's canonical text.
fn seq_of(text: &str) -> Result<i64> {
    let fields: Vec<serde_json::Value> =
        serde_json::from_str(text).context("an entry is not a JSON array")?;
    fields
        .get(1)
        .and_then(serde_json::Value::as_i64)
        .context("an entry has no seq")
}

/// The outbox ids whose objects the erasure entry `text` queued (`None`: it names none, as
/// an export or an entry written before erasures named them).
fn queued(text: &str) -> Option<IdSet> {
    let fields: Vec<serde_json::Value> = serde_json::from_str(text).ok()?;
    let details: serde_json::Value = serde_json::from_str(fields.get(10)?.as_str()?).ok()?;
    IdSet::parse(details["objects"]["outbox"].as_str()?).ok()
}

/// The outbox ids a `blob-delete` entry's details say it deleted.
fn deleted(details: &str) -> Option<IdSet> {
    let details: serde_json::Value = serde_json::from_str(details).ok()?;
    IdSet::parse(details["outbox_deleted"].as_str()?).ok()
}

/// The `blob-delete` entries that deleted the objects the erasure entry `text` queued: those
/// in `held` (a receipt's, whose bodies retention may have purged since), then from the
/// ledger, oldest first, below seq `below`, each kept only while it deletes objects not yet
/// covered. Returns their canonical texts; objects still queued are covered by none.
pub async fn deletions(
    tx: &mut Tx,
    text: &str,
    held: &[String],
    below: Option<i64>,
) -> Result<Vec<String>> {
    let Some(mut missing) = queued(text).filter(|ids| !ids.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for object in held {
        let fields: Vec<serde_json::Value> =
            serde_json::from_str(object).context("a receipt's object entry is not a JSON array")?;
        if below.is_some_and(|below| seq_of(object).is_ok_and(|seq| seq >= below)) {
            continue;
        }
        if let Some(ids) = fields.get(10).and_then(|d| d.as_str()).and_then(deleted)
            && ids.meets(&missing)
        {
            missing = missing.minus(&ids);
            found.push(object.clone());
        }
    }
    let mut sql = tx.sql();
    sql.push("SELECT CAST(seq AS text), ")
        .push(&COLUMNS["seq, ".len()..])
        .push(" FROM privctl_ledger WHERE action = 'blob-delete' AND seq > ")
        .bind(Param::Int(seq_of(text)?));
    if let Some(below) = below {
        sql.push(" AND seq < ").bind(Param::Int(below));
    }
    sql.push(" ORDER BY seq");
    let mut rows = Vec::new();
    tx.for_each_text_row(&sql, |fields| {
        if missing.is_empty() {
            return Ok(());
        }
        let entry = super::EntryRef::from_fields(fields)?;
        if let Some(ids) = deleted(entry.details)
            && ids.meets(&missing)
        {
            missing = missing.minus(&ids);
            let mut bytes = Vec::new();
            entry.write_canonical(&mut bytes);
            rows.push(String::from_utf8(bytes).expect("canonical bytes are JSON text"));
        }
        Ok(())
    })
    .await
    .context("reading the ledger's blob-delete entries")?;
    found.extend(rows);
    found.sort_by_key(|text| seq_of(text).unwrap_or(i64::MAX));
    found.dedup();
    Ok(found)
}

/// The receipt proved again, against a later checkpoint (one witnesses cosigned): the entry's
/// inclusion path in that checkpoint's tree, and those of the `blob-delete` entries that
/// deleted its objects (the receipt's, and any the ledger wrote since, up to the checkpoint),
/// from the stored nodes, checked against its root.
pub async fn against(tx: &mut Tx, receipt: &Receipt, note_text: &str) -> Result<Receipt> {
    let (body, _) = note_text
        .split_once("\n\n")
        .context("the checkpoint is not a signed note")?;
    let checkpoint = Checkpoint::parse(&format!("{body}\n"))
        .map_err(|e| anyhow::anyhow!("the checkpoint: {e}"))?;
    let fields: Vec<serde_json::Value> =
        serde_json::from_str(&receipt.entry).context("the receipt's entry is not a JSON array")?;
    if fields.get(13).and_then(|v| v.as_str()) != Some(checkpoint.origin.as_str()) {
        anyhow::bail!("the checkpoint is of another log than the receipt's entry");
    }
    let meta = tree::meta(tx).await?;
    let size = checkpoint.size;
    let below = meta.tree_start + i64::try_from(size).context("the checkpoint's size")?;
    let held: Vec<String> = receipt.objects.iter().map(|o| o.entry.clone()).collect();
    let objects = deletions(tx, &receipt.entry, &held, Some(below)).await?;
    let root = checkpoint.root;
    let proof = prove(tx, &receipt.entry, meta.tree_start, size, &root, note_text).await?;
    let mut proved = Vec::with_capacity(objects.len());
    for object in objects {
        let proof = prove(tx, &object, meta.tree_start, size, &root, note_text).await?;
        proved.push(ObjectProof {
            entry: object,
            proof,
        });
    }
    Ok(Receipt {
        proof,
        objects: proved,
        ..receipt.clone()
    })
}

/// What a receipt proved.
#[derive(Debug, Clone, Serialize)]
pub struct Proved {
    pub origin: String,
    pub seq: i64,
    pub action: String,
    pub outcome: String,
    pub tenant: Option<String>,
    /// What the entry names: `bundle:sha256:HEX` for an export (the bundle handed over).
    pub resource: Option<String>,
    pub at: String,
    pub tree_size: u64,
    pub signed_by: Vec<String>,
    pub cosigned_by: Vec<String>,
    /// Whether the identifiers given opened the subject commitment (`None`: none given).
    pub subject_matches: Option<bool>,
    /// The objects the erasure queued and how many of them the receipt proves deleted
    /// (`None`: the entry names no objects, as an export's).
    pub objects: Option<ObjectsProved>,
}

/// What a receipt proves about an erasure's objects.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectsProved {
    pub queued: u64,
    /// Queued objects a proved `blob-delete` entry says it deleted.
    pub deleted: u64,
    /// The seqs of those entries.
    pub entries: Vec<i64>,
}

impl ObjectsProved {
    pub fn complete(&self) -> bool {
        self.deleted == self.queued
    }
}

/// Why a receipt does not prove anything.
#[derive(Debug)]
pub enum Refusal {
    /// Not a receipt, or a part of it is malformed.
    Malformed(String),
    /// The proof does not hold.
    Proof(ProofError),
    /// The checkpoint's signed retention is malformed or contradicts the entry.
    Retention(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "not a privctl receipt: {why}"),
            Refusal::Proof(error) => write!(f, "{error}"),
            Refusal::Retention(why) => write!(f, "the log's checkpoint contradicts itself: {why}"),
        }
    }
}

/// What a verifier is told about the subject: values by identity name, or by kind (`--email`,
/// `--phone`), already normalised as privctl normalises them.
#[derive(Debug, Default)]
pub struct Claimed {
    pub by_name: HashMap<String, String>,
    pub by_kind: HashMap<String, String>,
}

impl Claimed {
    fn is_empty(&self) -> bool {
        self.by_name.is_empty() && self.by_kind.is_empty()
    }
}

/// Verifies a receipt with the log's keys and `witnesses` (each must have cosigned); with
/// `claimed` identifiers, also whether they open the subject commitment.
pub fn verify(
    text: &str,
    log_keys: &[VerifierKey],
    witnesses: &[VerifierKey],
    claimed: &Claimed,
) -> Result<Proved, Refusal> {
    let bad = |why: &str| Refusal::Malformed(why.to_owned());
    let receipt: Receipt =
        serde_json::from_str(text).map_err(|e| Refusal::Malformed(format!("{e}")))?;
    if receipt.format != FORMAT {
        return Err(bad("the format is not privctl-receipt/1"));
    }
    let fields: Vec<serde_json::Value> =
        serde_json::from_str(&receipt.entry).map_err(|_| bad("the entry is not a JSON array"))?;
    let text_at = |i: usize| fields.get(i).and_then(|v| v.as_str()).map(str::to_owned);
    if text_at(0).as_deref() != Some("privctl-ledger/2") || fields.len() != 15 {
        return Err(bad("the entry is not a privctl-ledger/2 entry"));
    }
    let seq = fields[1].as_i64().ok_or_else(|| bad("the entry's seq"))?;
    let origin = text_at(13).ok_or_else(|| bad("the entry names no log (origin)"))?;
    let proof = TlogProof::parse(&receipt.proof).map_err(Refusal::Proof)?;
    let policy = Policy {
        origin: &origin,
        log_keys,
        witnesses,
        quorum: witnesses.len(),
    };
    let leaf: Hash = merkle::leaf_hash(receipt.entry.as_bytes());
    let SignedCheckpoint {
        checkpoint,
        log_signatures,
        cosignatures,
    } = proof.verify(&leaf, &policy).map_err(Refusal::Proof)?;
    // A checkpoint that signs its retention (`privctl-retention`, audit checkpoint) must not
    // say this entry was purged while it is younger than the cutoff.
    let floor = super::floor::Floor::of(&checkpoint).map_err(Refusal::Retention)?;
    if let Some(floor) = &floor {
        floor
            .admits(proof.index, &text_at(2).unwrap_or_default())
            .map_err(Refusal::Retention)?;
    }
    let objects = objects_proved(&receipt, seq, &origin, &proof.checkpoint, &policy)?;
    let tenant = text_at(6);
    let subject_matches = if claimed.is_empty() {
        None
    } else {
        let details: serde_json::Value = text_at(10)
            .and_then(|d| serde_json::from_str(&d).ok())
            .ok_or_else(|| bad("the entry's details are not JSON"))?;
        let stored = details["subject_commitment"]
            .as_str()
            .ok_or_else(|| bad("the entry holds no subject commitment"))?;
        let mut r = [0u8; 32];
        hex::decode_to_slice(&receipt.subject.opening, &mut r)
            .map_err(|_| bad("the opening is not 64 hex digits"))?;
        let mut pairs = Vec::new();
        let kinds = &receipt.subject.kinds;
        for (i, name) in receipt.subject.identifiers.iter().enumerate() {
            let by_kind = kinds.get(i).and_then(|kind| claimed.by_kind.get(kind));
            match claimed.by_name.get(name).or(by_kind) {
                Some(value) => pairs.push((name.clone(), value.clone())),
                None => {
                    return Err(Refusal::Malformed(format!(
                        "the subject was named by `{name}`: give it to check the subject"
                    )));
                }
            }
        }
        Some(commitment(&r, tenant.as_deref(), &pairs) == stored)
    };
    Ok(Proved {
        origin,
        seq,
        action: text_at(5).unwrap_or_default(),
        outcome: text_at(9).unwrap_or_default(),
        tenant,
        resource: text_at(8),
        at: text_at(2).unwrap_or_default(),
        tree_size: checkpoint.size,
        signed_by: log_signatures.into_iter().map(|v| v.name).collect(),
        cosigned_by: cosignatures.into_iter().map(|v| v.name).collect(),
        subject_matches,
        objects,
    })
}

/// Checks the receipt's `blob-delete` entries: each is proved in the receipt's own checkpoint,
/// is of the same log, later than the erasure, and deletes some of the objects the erasure
/// queued; together they cover how many of them.
fn objects_proved(
    receipt: &Receipt,
    seq: i64,
    origin: &str,
    checkpoint: &str,
    policy: &Policy<'_>,
) -> Result<Option<ObjectsProved>, Refusal> {
    let bad = |why: String| Refusal::Malformed(why);
    let Some(queued) = queued(&receipt.entry) else {
        if receipt.objects.is_empty() {
            return Ok(None);
        }
        return Err(bad(
            "object entries for an entry that queued no objects".into()
        ));
    };
    let mut missing = queued.clone();
    let mut entries = Vec::new();
    for (i, object) in receipt.objects.iter().enumerate() {
        let which = format!("object entry {}", i + 1);
        let fields: Vec<serde_json::Value> = serde_json::from_str(&object.entry)
            .map_err(|_| bad(format!("{which} is not a JSON array")))?;
        let text_at = |i: usize| fields.get(i).and_then(|v| v.as_str());
        if text_at(0) != Some("privctl-ledger/2") || fields.len() != 15 {
            return Err(bad(format!("{which} is not a privctl-ledger/2 entry")));
        }
        if text_at(5) != Some("blob-delete") || text_at(13) != Some(origin) {
            return Err(bad(format!(
                "{which} is not a blob-delete entry of the same log"
            )));
        }
        let object_seq = fields[1]
            .as_i64()
            .ok_or_else(|| bad(format!("{which}: its seq")))?;
        if object_seq <= seq {
            return Err(bad(format!("{which} is not later than the erasure")));
        }
        let proof = TlogProof::parse(&object.proof).map_err(Refusal::Proof)?;
        if proof.checkpoint != checkpoint {
            return Err(bad(format!(
                "{which} is proved in another checkpoint than the erasure"
            )));
        }
        proof
            .verify(&merkle::leaf_hash(object.entry.as_bytes()), policy)
            .map_err(Refusal::Proof)?;
        let ids = text_at(10)
            .and_then(deleted)
            .ok_or_else(|| bad(format!("{which} names no deleted objects")))?;
        if !ids.meets(&queued) {
            return Err(bad(format!(
                "{which} deletes none of the erasure's objects"
            )));
        }
        missing = missing.minus(&ids);
        entries.push(object_seq);
    }
    Ok(Some(ObjectsProved {
        queued: queued.len(),
        deleted: queued.len() - missing.len(),
        entries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commitment_is_the_documented_hash() {
        let r = [7u8; 32];
        let ids = vec![("email".to_owned(), "jane@example.com".to_owned())];
        let mut bytes = b"privctl-subject-commit/1\0".to_vec();
        bytes.extend_from_slice(&r);
        bytes.extend_from_slice(b"\0acme\0email=jane@example.com");
        assert_eq!(
            commitment(&r, Some("acme"), &ids),
            hex::encode(Sha256::digest(&bytes))
        );
        assert_ne!(
            commitment(&[8u8; 32], Some("acme"), &ids),
            commitment(&r, Some("acme"), &ids)
        );
    }
}
