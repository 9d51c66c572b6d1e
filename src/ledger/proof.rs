//! Offline-verifiable inclusion proofs in the C2SP tlog-proof format (c2sp.org/tlog-proof,
//! "Format"): the entry's index, its RFC 6962 inclusion path and the log's (co)signed
//! checkpoint, checked end to end by [`TlogProof::verify`] ("Verifying a tlog proof") (issue 17).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional)
//! index <decimal>
//! <base64 hash>             (zero or more: the leaf's sibling first, the root's child last)
//!
//! <checkpoint note, verbatim>
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::merkle::{self, Hash};
use super::note::{self, Checkpoint, NoteError, OpenedNote, Verified, VerifierKey};

/// The first line of a proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// An inclusion path longer than this cannot belong to a tree of at most 2^64 - 1 leaves.
const MAX_PATH: usize = 64;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The file breaks the tlog-proof format (the reason says which rule).
    Malformed(&'static str),
    /// The checkpoint note or its signatures (see [`NoteError`]).
    Note(NoteError),
    /// The checkpoint names another log than the one expected.
    WrongOrigin { expected: String, found: String },
    /// None of the log's keys signed the checkpoint.
    NotSignedByLog,
    /// Fewer witnesses cosigned than the policy requires.
    TooFewWitnesses { required: usize, found: usize },
    /// The path does not lead from the leaf at that index to the checkpoint's root.
    NotIncluded,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::Malformed(why) => write!(f, "malformed tlog proof: {why}"),
            ProofError::Note(e) => write!(f, "tlog proof checkpoint: {e}"),
            ProofError::WrongOrigin { expected, found } => write!(
                f,
                "the checkpoint is from log {found:?}, not the expected {expected:?}"
            ),
            ProofError::NotSignedByLog => {
                write!(f, "the checkpoint is not signed by any of the log's keys")
            }
            ProofError::TooFewWitnesses { required, found } => write!(
                f,
                "{found} known witness(es) cosigned the checkpoint; {required} required"
            ),
            ProofError::NotIncluded => write!(
                f,
                "the inclusion path does not lead from this entry at this index to the checkpoint's root"
            ),
        }
    }
}

impl std::error::Error for ProofError {}

impl From<NoteError> for ProofError {
    fn from(e: NoteError) -> Self {
        ProofError::Note(e)
    }
}

/// A tlog proof. [`fmt::Display`] writes the file; [`TlogProof::parse`] reads it strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque, unauthenticated application data (the `extra` line), if any; empty data is
    /// written as no line.
    pub extra: Option<Vec<u8>>,
    /// The entry's zero-based index in the log.
    pub index: u64,
    /// The RFC 6962 inclusion path, leaf's sibling first.
    pub path: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

/// What to trust when verifying a proof.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The log's origin line.
    pub origin: &'a str,
    /// The log's note keys (type 0x01); any one of them must have signed.
    pub log_keys: &'a [VerifierKey],
    /// Known witnesses' cosigner keys (type 0x04).
    pub witnesses: &'a [VerifierKey],
    /// How many of `witnesses` must have cosigned.
    pub quorum: usize,
}

/// A checkpoint note that passed a [`Policy`]: what [`open_checkpoint`] and
/// [`TlogProof::verify`] establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// The log keys that signed it.
    pub log_signatures: Vec<Verified>,
    /// The witnesses that cosigned it, with their times.
    pub cosignatures: Vec<Verified>,
}

impl TlogProof {
    /// Parses a proof (c2sp.org/tlog-proof, "Format"): the header, an optional `extra` line
    /// (canonical non-empty base64), `index` (decimal, no leading zero), hash lines, a blank
    /// line, then the checkpoint note (not checked here: [`TlogProof::verify`] does).
    pub fn parse(text: &str) -> Result<Self, ProofError> {
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or(ProofError::Malformed("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(ProofError::Malformed(
                "the first line must be c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = lines.next();
        let mut extra = None;
        if let Some(b64) = line.and_then(|l| l.strip_prefix("extra ")) {
            let bytes = B64
                .decode(b64)
                .map_err(|_| ProofError::Malformed("the extra data is not standard base64"))?;
            if bytes.is_empty() {
                return Err(ProofError::Malformed("an empty extra line"));
            }
            extra = Some(bytes);
            line = lines.next();
        }
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .ok_or(ProofError::Malformed("no index line"))?;
        if index.is_empty()
            || !index.bytes().all(|b| b.is_ascii_digit())
            || (index.len() > 1 && index.starts_with('0'))
        {
            return Err(ProofError::Malformed(
                "the index is not a decimal without leading zeros",
            ));
        }
        let index = index
            .parse()
            .map_err(|_| ProofError::Malformed("the index is above 2^64 - 1"))?;
        let mut path = Vec::new();
        for line in lines {
            if path.len() == MAX_PATH {
                return Err(ProofError::Malformed(
                    "an inclusion path of more than 64 hashes",
                ));
            }
            path.push(note::decode_hash(line).ok_or(ProofError::Malformed(
                "a path line is not base64 of 32 bytes",
            ))?);
        }
        if checkpoint.is_empty() {
            return Err(ProofError::Malformed("no checkpoint"));
        }
        Ok(Self {
            extra,
            index,
            path,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the proof for the entry whose RFC 6962 leaf hash is `leaf` (the steps of
    /// c2sp.org/tlog-proof, "Verifying a tlog proof"): the checkpoint is a valid signed note
    /// for `policy.origin`, signed by a log key, cosigned by at least `policy.quorum` known
    /// witnesses (every known signature must verify), and the path leads from `leaf` at
    /// `index` to its root (`merkle::verify_inclusion`).
    pub fn verify(&self, leaf: &Hash, policy: &Policy<'_>) -> Result<SignedCheckpoint, ProofError> {
        let signed = open_checkpoint(self.checkpoint.as_bytes(), policy)?;
        let checkpoint = &signed.checkpoint;
        if !merkle::verify_inclusion(
            leaf,
            self.index,
            checkpoint.size,
            &self.path,
            &checkpoint.root,
        ) {
            return Err(ProofError::NotIncluded);
        }
        Ok(signed)
    }
}

/// Opens a checkpoint note under `policy` (c2sp.org/tlog-proof, "Verifying a tlog proof",
/// steps 2 and 3; c2sp.org/tlog-checkpoint): a valid signed note whose every known signature
/// verifies, whose text is a checkpoint of `policy.origin`, signed by one of the log's keys
/// and cosigned by at least `policy.quorum` of the known witnesses. For `audit-verify
/// --checkpoint` and for a witness (quorum 0) before it checks consistency and cosigns.
pub fn open_checkpoint(note: &[u8], policy: &Policy<'_>) -> Result<SignedCheckpoint, ProofError> {
    let mut known: Vec<VerifierKey> = policy.log_keys.to_vec();
    known.extend(policy.witnesses.iter().cloned());
    let opened: OpenedNote = note::open_note(note, &known)?;
    let checkpoint = Checkpoint::parse(&opened.text)?;
    if checkpoint.origin != policy.origin {
        return Err(ProofError::WrongOrigin {
            expected: policy.origin.to_owned(),
            found: checkpoint.origin,
        });
    }
    let signed_by = |keys: &[VerifierKey]| -> Vec<Verified> {
        keys.iter()
            .filter_map(|k| opened.verified_by(k).cloned())
            .collect()
    };
    let log_signatures = signed_by(policy.log_keys);
    if log_signatures.is_empty() {
        return Err(ProofError::NotSignedByLog);
    }
    let cosignatures = signed_by(policy.witnesses);
    if cosignatures.len() < policy.quorum {
        return Err(ProofError::TooFewWitnesses {
            required: policy.quorum,
            found: cosignatures.len(),
        });
    }
    Ok(SignedCheckpoint {
        checkpoint,
        log_signatures,
        cosignatures,
    })
}

impl fmt::Display for TlogProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{HEADER}")?;
        // An empty `extra` has no line (the format has no way to write one).
        if let Some(extra) = self.extra.as_ref().filter(|e| !e.is_empty()) {
            writeln!(f, "extra {}", B64.encode(extra))?;
        }
        writeln!(f, "index {}", self.index)?;
        for hash in &self.path {
            writeln!(f, "{}", note::encode_hash(hash))?;
        }
        write!(f, "\n{}", self.checkpoint)
    }
}

#[cfg(test)]
mod tests;
