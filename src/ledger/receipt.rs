//! Erasure receipts (issue 17): what `dsar delete --receipt FILE` hands the data subject, and
//! what `privctl receipt verify` checks with nothing but the receipt and public keys.
//!
//! A receipt is a JSON document:
//!
//! ```text
//! {"format": "privctl-receipt/1",
//!  "entry": "<the ledger entry's canonical bytes (privctl-ledger/2), as text>",
//!  "subject": {"opening": "<64 hex: r>", "identifiers": ["email", …]},
//!  "proof": "<a C2SP tlog-proof: the entry's leaf index, its inclusion path, the signed checkpoint>"}
//! ```
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

use super::merkle::{self, Hash};
use super::note::{self, Checkpoint, SignerKey, VerifierKey};
use super::proof::{Policy, ProofError, SignedCheckpoint, TlogProof};
use super::{LedgerEntry, tree};
use crate::db::Tx;

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opening {
    pub opening: String,
    /// The identities the subject was named by, in the commitment's order.
    pub identifiers: Vec<String>,
    /// Their kinds (`email`, `phone`, `exact`): how a verifier normalises a value it is given.
    pub kinds: Vec<String>,
}

/// Builds the receipt of `entry` (just committed): its inclusion in the tree of `index + 1`
/// leaves, whose checkpoint `signers` sign now.
pub async fn build(
    tx: &mut Tx,
    entry: &LedgerEntry,
    r: &[u8; 32],
    identifiers: Vec<(String, String)>,
    signers: &[SignerKey],
) -> Result<Receipt> {
    let meta = tree::meta(tx).await?;
    let origin = meta
        .origin
        .context("the log has no origin ([ledger] origin) to sign a checkpoint for")?;
    let index = u64::try_from(entry.seq - meta.tree_start).context("the entry's leaf index")?;
    let size = index + 1;
    let root = tree::stored_range(tx, size).await?.root();
    let path = tree::over_nodes(tx, |node| tree::inclusion_path(index, size, node)).await?;
    let canonical = entry.canonical();
    anyhow::ensure!(
        merkle::verify_inclusion(&merkle::leaf_hash(&canonical), index, size, &path, &root),
        "the stored tree does not hold entry {} as leaf {index}",
        entry.seq
    );
    let signer_refs: Vec<&SignerKey> = signers.iter().collect();
    let checkpoint = note::sign_note(
        &Checkpoint::new(&origin, size, root).to_string(),
        &signer_refs,
    )
    .map_err(|e| anyhow::anyhow!("keys.signing: {e}"))?;
    let proof = TlogProof {
        extra: None,
        index,
        path,
        checkpoint,
    };
    Ok(Receipt {
        format: FORMAT.to_owned(),
        entry: String::from_utf8(canonical).expect("canonical bytes are JSON text"),
        subject: Opening {
            opening: hex::encode(r),
            kinds: identifiers.iter().map(|(_, kind)| kind.clone()).collect(),
            identifiers: identifiers.into_iter().map(|(name, _)| name).collect(),
        },
        proof: proof.to_string(),
    })
}

/// The receipt proved again, against a later checkpoint (one witnesses cosigned): the entry's
/// inclusion path in that checkpoint's tree, from the stored nodes, checked against its root.
pub async fn against(tx: &mut Tx, receipt: &Receipt, note_text: &str) -> Result<Receipt> {
    let (body, _) = note_text
        .split_once("\n\n")
        .context("the checkpoint is not a signed note")?;
    let checkpoint = Checkpoint::parse(&format!("{body}\n"))
        .map_err(|e| anyhow::anyhow!("the checkpoint: {e}"))?;
    let fields: Vec<serde_json::Value> =
        serde_json::from_str(&receipt.entry).context("the receipt's entry is not a JSON array")?;
    let seq = fields
        .get(1)
        .and_then(serde_json::Value::as_i64)
        .context("the receipt's entry has no seq")?;
    if fields.get(13).and_then(|v| v.as_str()) != Some(checkpoint.origin.as_str()) {
        anyhow::bail!("the checkpoint is of another log than the receipt's entry");
    }
    let meta = tree::meta(tx).await?;
    let index = u64::try_from(seq - meta.tree_start).context("the entry's leaf index")?;
    if index >= checkpoint.size {
        anyhow::bail!(
            "the checkpoint's tree ({} entries) does not reach entry {seq}",
            checkpoint.size
        );
    }
    let size = checkpoint.size;
    let path = tree::over_nodes(tx, |node| tree::inclusion_path(index, size, node)).await?;
    let leaf = merkle::leaf_hash(receipt.entry.as_bytes());
    if !merkle::verify_inclusion(&leaf, index, size, &path, &checkpoint.root) {
        return Err(crate::error::Failure::ledger_altered(format!(
            "the checkpoint's tree does not hold the receipt's entry {seq}: the log or the receipt was rewritten"
        ))
        .into());
    }
    let proof = TlogProof {
        extra: None,
        index,
        path,
        checkpoint: note_text.to_owned(),
    };
    Ok(Receipt {
        proof: proof.to_string(),
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
    })
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
