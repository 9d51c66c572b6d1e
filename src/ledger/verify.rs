//! Verifying the chain: [`Chain`] checks one entry at a time, [`Ledger::verify`] streams the
//! ledger through it in `seq` order, so memory stays flat and there is one round trip.
//!
//! Each entry is checked against its own hash (was it changed?) and against the entry before it
//! (was something removed, inserted or moved?). A problem is reported once, where it starts:
//! an entry whose fields were changed in place is `altered`, and the link of the entry after a
//! bad one is not checked again (its own hash still is).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};

use super::checkpoint::{self, Checkpoint};
use super::floor::Floor;
use super::merkle::{self, Hash};
use super::tree::{self, Range};
use super::{COLUMNS, EntryRef, GENESIS, Ledger, LedgerEntry};
use crate::clock::Timestamp;
use crate::db::{Param, Tx};

/// `--anchor SEQ:HASH`: an entry's seq and hash kept outside the database (`audit head`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("`{text}` is not SEQ:HASH as `privctl audit head` prints it");
        let (seq, hash) = text.trim().split_once(':').ok_or_else(usage)?;
        let seq: i64 = seq.parse().map_err(|_| usage())?;
        let hash = hash.to_ascii_lowercase();
        if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(usage());
        }
        Ok(Self { seq, hash })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// What is wrong with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The hash does not match the entry's fields: a field was changed after it was written.
    Altered,
    /// The hash was recomputed without the ledger key (plain SHA-256 in a keyed ledger).
    Forged,
    /// A gap in `seq`: entries were deleted.
    Removed,
    /// `prev_hash` does not match the entry before: an entry was inserted, duplicated or moved.
    Reordered,
    /// The ledger ends before the anchor's entry: entries were cut off the end.
    Truncated,
    /// The anchor's entry has another hash: the ledger was rewritten up to it.
    Rewritten,
    /// HMAC entries and no `keys.ledger` to check them with.
    NeedsKey,
    /// The signed checkpoint names another log (origin) than this ledger's.
    OtherLog,
    /// Entries below the signed checkpoint's retention floor are back: their bodies were
    /// deleted when it was signed, so the database was restored from an older backup.
    Restored,
    /// Entries were purged past the signed retention floor before the window the checkpoint
    /// announced had passed for them, or though it announced the log keeps every entry.
    PurgedEarly,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Altered => "altered",
            Kind::Forged => "forged",
            Kind::Removed => "removed",
            Kind::Reordered => "reordered",
            Kind::Truncated => "truncated",
            Kind::Rewritten => "rewritten",
            Kind::NeedsKey => "needs-key",
            Kind::OtherLog => "other-log",
            Kind::Restored => "restored",
            Kind::PurgedEarly => "purged-early",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Problem {
    pub seq: i64,
    pub kind: Kind,
    pub detail: String,
}

/// Where verification started: entry 1, or the first entry after a retention checkpoint.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Start {
    pub seq: i64,
    pub checkpoint: Option<Checkpoint>,
}

/// The ledger's Merkle tree as verification recomputed it from the entries.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TreeHead {
    /// The log's origin (`[ledger] origin`), once an entry named one.
    pub origin: Option<String>,
    /// Leaves: every entry ever appended, purged ones included.
    pub size: u64,
    /// The RFC 6962 root, lower-case hex.
    pub root: String,
}

/// What a signed checkpoint says: the log, its size, its root and its retention, and when the
/// ledger is held to it (the clock of `audit-verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The `privctl-retention` line; `None` on a checkpoint without one.
    pub retention: Option<Floor>,
    pub now: Timestamp,
}

/// At most this many problems are listed; the rest are counted (a wrong key fails every entry).
const MAX_PROBLEMS: usize = 1000;

/// The result of [`Ledger::verify`].
#[derive(Debug, Default)]
pub struct Verification {
    pub entries: u64,
    /// The last entry's seq and hash.
    pub head: Option<(i64, String)>,
    pub start: Option<Start>,
    /// In ledger order, the first bad entry first.
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub more_problems: u64,
    /// Things an auditor should know that are not problems.
    pub notes: Vec<String>,
    /// The tree recomputed from the entries (and, below the first entry left after retention,
    /// the stored subtrees); `None` when the entries do not follow each other (a problem says why).
    pub tree: Option<TreeHead>,
    /// Leaves whose entries retention deleted (the first entry left is leaf `purged`).
    pub purged: u64,
    /// The recomputed tree, while [`Ledger::verify_signed`] compares it.
    range: Option<Range>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, seq: i64, kind: Kind, detail: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                seq,
                kind,
                detail: detail.into(),
            });
        } else {
            self.more_problems += 1;
        }
    }
}

/// The chain as seen so far.
pub struct Chain<'a> {
    ledger: &'a Ledger,
    checkpoints: BTreeMap<i64, Checkpoint>,
    anchor: Option<Anchor>,
    /// The seq and stored hash of the last entry checked.
    previous: Option<(i64, String)>,
    /// Whether the last entry checked had a problem: then the next one's link to it proves
    /// nothing more, and is not reported again.
    previous_bad: bool,
    /// Whether a `needs-key` problem was reported already.
    told_needs_key: bool,
    canonical: Vec<u8>,
    report: Verification,
    /// The tree so far, and the seq of its leaf 0; `None` once an entry is out of place.
    tree: Option<(Range, i64)>,
}

impl<'a> Chain<'a> {
    /// A chain that starts at entry 1 or at one of `checkpoints` (retention purges).
    pub fn new(ledger: &'a Ledger, checkpoints: Vec<Checkpoint>, anchor: Option<Anchor>) -> Self {
        Self {
            ledger,
            checkpoints: checkpoints.into_iter().map(|c| (c.seq, c)).collect(),
            anchor,
            previous: None,
            previous_bad: false,
            told_needs_key: false,
            canonical: Vec::with_capacity(1024),
            report: Verification::default(),
            tree: None,
        }
    }

    /// Also recomputes the Merkle tree, from `range`, the stored tree up to the first entry
    /// that will be checked, whose seq is `tree_start + range.size()`.
    fn with_tree(mut self, range: Range, tree_start: i64) -> Self {
        self.tree = Some((range, tree_start));
        self
    }

    /// Adds the entry whose canonical bytes are in `canonical` as the tree's next leaf.
    fn push_leaf(tree: &mut Option<(Range, i64)>, seq: i64, canonical: &[u8]) {
        if let Some((range, start)) = tree {
            if seq == *start + range.size() as i64 {
                range.push_leaf(merkle::leaf_hash(canonical));
            } else {
                // Out of place: the chain reports it; the tree's root would prove nothing more.
                *tree = None;
            }
        }
    }

    /// Checks the next entry in `seq` order.
    pub fn check(&mut self, entry: &LedgerEntry) {
        self.check_borrowed(&entry.borrowed());
    }

    /// [`Chain::check`] on borrowed fields.
    pub fn check_borrowed(&mut self, entry: &EntryRef<'_>) {
        self.report.entries += 1;
        let (expected_seq, expected_prev) = match self.previous.take() {
            Some((seq, hash)) => (seq + 1, hash),
            None => self.start(entry.seq),
        };
        let hash_ok = self.check_hash(entry);
        Self::push_leaf(&mut self.tree, entry.seq, &self.canonical);
        let (listed_before, more_before) = (self.report.problems.len(), self.report.more_problems);
        let linked = entry.prev_hash == expected_prev || self.previous_bad;
        if entry.seq > expected_seq {
            let missing = if entry.seq - expected_seq == 1 {
                format!("entry {expected_seq} is missing")
            } else {
                format!("entries {expected_seq} to {} are missing", entry.seq - 1)
            };
            self.report.problem(
                expected_seq,
                Kind::Removed,
                format!("{missing}: the next entry is {}", entry.seq),
            );
            if let Err((kind, detail)) = hash_ok {
                self.report.problem(entry.seq, kind, detail);
            }
        } else if !linked && self.only_prev_hash_changed(entry, &expected_prev) {
            self.report.problem(
                entry.seq,
                Kind::Altered,
                "prev_hash was changed after the entry was written (the hash matches the right one)",
            );
        } else if entry.seq < expected_seq || !linked {
            let before = if expected_seq == 1 {
                "the chain's start (64 zeros)".to_owned()
            } else {
                format!("entry {}'s hash", expected_seq - 1)
            };
            self.report.problem(
                entry.seq,
                Kind::Reordered,
                format!(
                    "prev_hash does not match {before}: this entry was inserted, duplicated or moved here"
                ),
            );
        } else if let Err((kind, detail)) = hash_ok {
            self.report.problem(entry.seq, kind, detail);
        }
        if let Some(anchor) = &self.anchor
            && anchor.seq == entry.seq
            && anchor.hash != entry.hash
        {
            let detail = format!(
                "the anchor says entry {} has hash {}, the ledger has {}: the ledger was rewritten up to here",
                anchor.seq, anchor.hash, entry.hash
            );
            self.report.problem(entry.seq, Kind::Rewritten, detail);
        }
        // A missing key is not a fault of this entry: the next link is still checked.
        self.previous_bad = self.report.more_problems > more_before
            || self.report.problems[listed_before..]
                .iter()
                .any(|p| p.kind != Kind::NeedsKey);
        self.previous = Some((entry.seq, entry.hash.to_owned()));
    }

    /// Checks a run of entries whose canonical bytes the database wrote (see [`chunks`]):
    /// each line is `seq alg prev_hash hash canonical`. Returns false, having changed nothing,
    /// unless every entry verifies and follows the one before; the caller then checks the same
    /// entries field by field, so every problem is found and described by [`Chain::check`].
    fn accept_clean(&mut self, lines: &str) -> bool {
        let Some((mut last_seq, previous_hash)) = self.previous.clone() else {
            return false;
        };
        let mut last_hash = previous_hash.as_str();
        let mut count = 0;
        let mut leaves = Vec::new();
        for line in lines.split('\n') {
            let mut parts = line.splitn(5, ' ');
            let (Some(seq), Some(alg), Some(prev_hash), Some(hash), Some(canonical)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return false;
            };
            let clean = seq.parse::<i64>().ok() == Some(last_seq + 1)
                && alg == self.ledger.alg()
                && prev_hash == last_hash
                && hex_eq(&self.ledger.digest_bytes(canonical.as_bytes()), hash)
                && self
                    .anchor
                    .as_ref()
                    .is_none_or(|a| a.seq != last_seq + 1 || a.hash == hash);
            if !clean {
                return false;
            }
            if self.tree.is_some() {
                leaves.push((last_seq + 1, merkle::leaf_hash(canonical.as_bytes())));
            }
            (last_seq, last_hash) = (last_seq + 1, hash);
            count += 1;
        }
        if let Some((range, start)) = &mut self.tree {
            for (seq, leaf) in leaves {
                if seq == *start + range.size() as i64 {
                    range.push_leaf(leaf);
                } else {
                    self.tree = None;
                    break;
                }
            }
        }
        self.previous = Some((last_seq, last_hash.to_owned()));
        self.previous_bad = false;
        self.report.entries += count;
        true
    }

    /// The seq and prev_hash the first entry should have: after a checkpoint, or from genesis.
    fn start(&mut self, first: i64) -> (i64, String) {
        let checkpoint = self
            .checkpoints
            .range(..first)
            .next_back()
            .map(|(_, c)| c.clone());
        let start = match checkpoint {
            Some(c) => {
                if let Err((kind, detail)) = c.check(self.ledger) {
                    self.report.problem(c.seq, kind, detail);
                }
                self.report.start = Some(Start {
                    seq: c.seq + 1,
                    checkpoint: Some(c.clone()),
                });
                (c.seq + 1, c.hash)
            }
            None => {
                self.report.start = Some(Start {
                    seq: 1,
                    checkpoint: None,
                });
                (1, GENESIS.to_owned())
            }
        };
        if first > start.0 {
            // A gap before the first entry: reported by `check` as removed entries.
            if let Some(start) = &mut self.report.start {
                start.seq = first;
            }
        }
        start
    }

    /// Whether the entry's hash holds with `prev_hash` set back to `expected`: then the entry is
    /// in its place and only that field was edited (an inserted or moved entry fails this too).
    fn only_prev_hash_changed(&self, entry: &EntryRef<'_>, expected: &str) -> bool {
        let mut original = *entry;
        original.prev_hash = expected;
        let mut canonical = Vec::new();
        original.write_canonical(&mut canonical);
        check_digest(self.ledger, entry.alg, &canonical, entry.hash).is_ok()
    }

    /// Whether the entry's hash matches its fields under the ledger's key.
    fn check_hash(&mut self, entry: &EntryRef<'_>) -> Result<(), (Kind, String)> {
        self.canonical.clear();
        entry.write_canonical(&mut self.canonical);
        match check_digest(self.ledger, entry.alg, &self.canonical, entry.hash) {
            Ok(()) => Ok(()),
            Err(Kind::NeedsKey) if self.told_needs_key => Ok(()),
            Err(Kind::NeedsKey) => {
                self.told_needs_key = true;
                Err((Kind::NeedsKey, "this and later entries are HMAC-SHA-256: set keys.ledger in the map to check their hashes (only the chain links were checked)".into()))
            }
            Err(Kind::Forged) if entry.alg == "sha256" => Err((
                Kind::Forged,
                "the entry is hashed with plain SHA-256 but the ledger has a key (keys.ledger): \
                 it was rewritten by someone without the key, or written before the key was set"
                    .into(),
            )),
            Err(Kind::Forged) => Err((Kind::Forged, "the hash is a plain SHA-256 of the entry: it was recomputed by someone without the ledger key".into())),
            Err(kind) => Err((kind, format!("the {} hash does not match the entry's fields: changed after it was written", entry.alg))),
        }
    }

    /// The report, with the anchor checked against where the ledger ends.
    pub fn finish(mut self) -> Verification {
        let last = self.previous.take();
        if self.report.start.is_none() {
            // Empty: fine unless a checkpoint says entries came after it.
            if let Some((_, c)) = self.checkpoints.iter().next_back() {
                let (seq, detail) = (
                    c.seq + 1,
                    format!(
                        "the ledger is empty, but a retention checkpoint ends at entry {}: every later entry was removed",
                        c.seq
                    ),
                );
                self.report.problem(seq, Kind::Removed, detail);
            }
        }
        if let Some(anchor) = &self.anchor {
            let head_seq = last.as_ref().map_or(0, |(seq, _)| *seq);
            let first = self.report.start.as_ref().map_or(1, |s| s.seq);
            if anchor.seq > head_seq {
                let detail = format!(
                    "the anchor names entry {}, but the ledger ends at {}: entries were cut off the end",
                    anchor.seq,
                    if head_seq == 0 {
                        "nothing".to_owned()
                    } else {
                        format!("entry {head_seq}")
                    }
                );
                self.report.problem(head_seq + 1, Kind::Truncated, detail);
            } else if anchor.seq < first {
                match self.checkpoints.get(&anchor.seq) {
                    Some(c) if c.hash != anchor.hash => {
                        let detail = format!(
                            "the anchor says entry {} has hash {}, the retention checkpoint has {}",
                            anchor.seq, anchor.hash, c.hash
                        );
                        self.report.problem(anchor.seq, Kind::Rewritten, detail);
                    }
                    Some(_) => {}
                    None => self.report.notes.push(format!(
                        "the anchor's entry {} was purged for retention before entry {first}; it shows only that the ledger still reaches past it",
                        anchor.seq
                    )),
                }
            }
        }
        self.report.head = last;
        self.report
    }
}

/// Checks `stored` against the digest of `bytes` under `alg`: `Altered` when it does not match,
/// `Forged` when it is plain SHA-256 in a keyed ledger, `NeedsKey` for HMAC without a key.
pub(crate) fn check_digest(
    ledger: &Ledger,
    alg: &str,
    bytes: &[u8],
    stored: &str,
) -> Result<(), Kind> {
    match (alg, ledger.keyed()) {
        ("hmac-sha256", true) | ("sha256", false) => {
            if hex_eq(&ledger.digest_bytes(bytes), stored) {
                Ok(())
            } else if ledger.keyed() && hex_eq(&Sha256::digest(bytes).into(), stored) {
                Err(Kind::Forged)
            } else {
                Err(Kind::Altered)
            }
        }
        ("sha256", true) if hex_eq(&Sha256::digest(bytes).into(), stored) => Err(Kind::Forged),
        ("hmac-sha256", false) => Err(Kind::NeedsKey),
        _ => Err(Kind::Altered),
    }
}

/// Whether `hex` is the lower-case hex of `digest`, without allocating.
fn hex_eq(digest: &[u8; 32], hex: &str) -> bool {
    let mut stored = [0u8; 32];
    hex.len() == 64
        && !hex.bytes().any(|b| b.is_ascii_uppercase())
        && hex::decode_to_slice(hex, &mut stored).is_ok()
        && stored == *digest
}

impl Ledger {
    /// Streams the ledger in `seq` order through a [`Chain`], recomputes its Merkle tree and
    /// compares it with the stored one.
    pub async fn verify(&self, tx: &mut Tx, anchor: Option<&Anchor>) -> Result<Verification> {
        self.verify_signed(tx, anchor, None).await
    }

    /// [`Ledger::verify`], and the ledger against a signed checkpoint: the same log, at least
    /// as many entries, and a tree that only appended to the checkpoint's.
    pub async fn verify_signed(
        &self,
        tx: &mut Tx,
        anchor: Option<&Anchor>,
        signed: Option<&SignedHead>,
    ) -> Result<Verification> {
        let meta = match tree::meta(tx).await {
            Ok(meta) => meta,
            Err(_) if signed.is_some() => {
                let mut report = Verification::default();
                report.problem(1, Kind::Truncated, format!(
                    "the signed checkpoint covers {} entries, but the ledger and its tree are gone (privctl_ledger_meta is empty)",
                    signed.map_or(0, |s| s.size)
                ));
                return Ok(report);
            }
            Err(error) => return Err(error),
        };
        let stored_size = tree::size(tx).await?;
        let mut first = tx.sql();
        first.push("SELECT CAST(min(seq) AS text) FROM privctl_ledger");
        let first = tx
            .fetch_optional(&first)
            .await?
            .and_then(|row| row.into_iter().next().flatten())
            .and_then(|seq| seq.parse::<i64>().ok());
        // The leaves before the first entry left (purged for retention) come from the stored tree.
        let purged = match first {
            Some(seq) => u64::try_from(seq - meta.tree_start).unwrap_or(0),
            // Empty: retention purged every entry up to its last checkpoint, and no more.
            None => checkpoint::latest(tx).await?.map_or(0, |c| {
                u64::try_from(c.seq + 1 - meta.tree_start).unwrap_or(0)
            }),
        };
        let range = match tree::stored_range(tx, purged.min(stored_size)).await {
            Ok(range) => Some(range),
            Err(error) => {
                let mut report = Verification::default();
                report.problem(
                    meta.tree_start,
                    Kind::Altered,
                    format!("the stored tree below the first entry cannot be read: {error:#}"),
                );
                return Ok(report);
            }
        };
        let mut report = self
            .verify_until(tx, anchor, None, range.map(|r| (r, meta.tree_start)))
            .await?;
        report.purged = purged;
        if let Some(computed) = report.range.take() {
            let computed = if report.ok() {
                tree_against_stored(tx, &mut report, computed, stored_size, &meta).await?
            } else {
                // The entries' own problems say where they start; the tree adds nothing.
                computed
            };
            if let Some(signed) = signed {
                against_signed(tx, &mut report, &computed, signed, &meta).await?;
                if report.ok() {
                    against_retention(tx, &mut report, signed, &meta).await?;
                }
            }
            report.tree = Some(TreeHead {
                origin: meta.origin.clone(),
                size: computed.size(),
                root: hex::encode(computed.root()),
            });
        } else if signed.is_some() {
            report.notes.push(
                "the entries do not follow each other, so the signed checkpoint was not compared"
                    .into(),
            );
        }
        Ok(report)
    }

    /// [`Ledger::verify`] up to and including entry `until` (the part a retention purge removes).
    pub(crate) async fn verify_until(
        &self,
        tx: &mut Tx,
        anchor: Option<&Anchor>,
        until: Option<i64>,
        tree: Option<(Range, i64)>,
    ) -> Result<Verification> {
        let checkpoints = checkpoint::load(tx).await?;
        let mut chain = Chain::new(self, checkpoints, anchor.cloned());
        if let Some((range, start)) = tree {
            chain = chain.with_tree(range, start);
        }
        match tx.dialect().sql_ops().ledger_chunk_head() {
            Some(head) => chunks(tx, head, &mut chain, until).await?,
            None => precise(tx, &mut chain, i64::MIN, until, None).await?,
        }
        let tree = chain.tree.take();
        let mut report = chain.finish();
        report.range = tree.map(|(range, _)| range);
        Ok(report)
    }
}

/// Checks entries `after < seq <= until` (at most `limit`) field by field, in one stream.
async fn precise(
    tx: &mut Tx,
    chain: &mut Chain<'_>,
    after: i64,
    until: Option<i64>,
    limit: Option<i64>,
) -> Result<()> {
    let mut sql = tx.sql();
    sql.push("SELECT CAST(seq AS text), ")
        .push(&COLUMNS["seq, ".len()..])
        .push(" FROM privctl_ledger WHERE seq > ")
        .bind(Param::Int(after));
    if let Some(until) = until {
        sql.push(" AND seq <= ").bind(Param::Int(until));
    }
    sql.push(" ORDER BY privctl_ledger.seq");
    if let Some(limit) = limit {
        sql.push(" LIMIT ").bind(Param::Int(limit));
    }
    tx.for_each_text_row(&sql, |fields| {
        chain.check_borrowed(&EntryRef::from_fields(fields)?);
        Ok(())
    })
    .await
    .context("reading the ledger")
}

/// Entries per chunk.
const CHUNK: i64 = 2_000;

/// Where the database reads ledger chunks ([`crate::db::SqlDialect::ledger_chunk_head`]), as
/// SQLite does: sqlx hands rows over from its worker thread one at a time, which costs several times
/// the hashing. So SQLite writes each entry's canonical bytes itself (`json_array`: compact, and
/// escaping as serde_json does) and sends a chunk of entries as one text. A chunk whose entries
/// all verify and link up is done; any other (a problem, or bytes SQLite escaped differently) is
/// read again field by field, so the result is exactly [`precise`]'s.
/// (On PostgreSQL, rows stream over the socket while the server reads ahead; building the same
/// bytes there with `to_json` cost the server more than it saved: 4.1 s against 1.8 s for a
/// million entries.)
async fn chunks(
    tx: &mut Tx,
    head: &'static str,
    chain: &mut Chain<'_>,
    until: Option<i64>,
) -> Result<()> {
    // The first entry, where the chain starts (from a checkpoint?), field by field.
    precise(tx, chain, i64::MIN, until, Some(1)).await?;
    let Some((mut after, _)) = chain.previous.clone() else {
        return Ok(());
    };
    let mut current = chunk(tx, head, after, until).await?;
    while let Some(read) = current {
        // SQLite writes the next chunk on its worker thread while this one is hashed here.
        let (next, clean) = if read.full {
            let (next, clean) = tokio::join!(chunk(tx, head, read.last, until), async {
                chain.accept_clean(&read.lines)
            });
            (next?, clean)
        } else {
            (None, chain.accept_clean(&read.lines))
        };
        if !clean {
            precise(tx, chain, after, Some(read.last), None).await?;
        }
        after = read.last;
        current = next;
    }
    Ok(())
}

/// Up to [`CHUNK`] entries after `after`, one line each (see [`Chain::accept_clean`]).
struct Chunk {
    lines: String,
    last: i64,
    /// Whether more entries may follow.
    full: bool,
}

async fn chunk(
    tx: &mut Tx,
    head: &'static str,
    after: i64,
    until: Option<i64>,
) -> Result<Option<Chunk>> {
    let mut sql = tx.sql();
    sql.push(head).bind(Param::Int(after));
    if let Some(until) = until {
        sql.push(" AND seq <= ").bind(Param::Int(until));
    }
    sql.push(" ORDER BY seq LIMIT ")
        .bind(Param::Int(CHUNK))
        .push(")");
    let row = tx
        .fetch_optional(&sql)
        .await
        .context("reading the ledger")?
        .unwrap_or_default();
    let field = |i: usize| row.get(i).cloned().flatten();
    let Some(last) = field(1).and_then(|n| n.parse::<i64>().ok()) else {
        return Ok(None);
    };
    let count: i64 = field(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    Ok(Some(Chunk {
        lines: field(0).unwrap_or_default(),
        last,
        full: count >= CHUNK,
    }))
}

/// Compares the tree recomputed from the entries with the stored one: as many leaves as entries
/// (more: the newest entries were deleted; fewer: entries were added behind privctl's back),
/// and the same root.
async fn tree_against_stored(
    tx: &mut Tx,
    report: &mut Verification,
    computed: Range,
    stored_size: u64,
    meta: &tree::Meta,
) -> Result<Range> {
    let size = computed.size();
    let next = meta.tree_start + size as i64;
    if stored_size > size {
        let ends = if size == 0 {
            "the ledger has no entries".to_owned()
        } else {
            format!("the ledger ends at entry {}", next - 1)
        };
        report.problem(
            next,
            Kind::Truncated,
            format!(
                "the Merkle tree has {stored_size} leaves but {ends}: the newest {} entries were deleted",
                stored_size - size
            ),
        );
    } else if stored_size < size {
        report.problem(
            meta.tree_start + stored_size as i64,
            Kind::Altered,
            format!(
                "the Merkle tree has {stored_size} leaves for {size} entries: entries were written behind privctl's back, or tree nodes deleted"
            ),
        );
    } else {
        match tree::stored_range(tx, size).await {
            Ok(stored) if stored.root() == computed.root() => {}
            Ok(_) => {
                let (seq, detail) = match first_other_leaf(tx, meta, size).await? {
                    Some(seq) => (seq, format!("entry {seq} is not the entry the Merkle tree holds as its leaf: it was rewritten, and the chain re-linked after it")),
                    None => (meta.tree_start, "the stored Merkle tree's nodes do not match its leaves: tree nodes were rewritten".to_owned()),
                };
                report.problem(seq, Kind::Altered, detail);
            }
            Err(error) => report.problem(meta.tree_start, Kind::Altered, format!("{error:#}")),
        }
    }
    Ok(computed)
}

/// Compares the recomputed tree with a signed checkpoint: the same log, at least its size, and
/// a consistency proof (from the stored nodes) from its root to the recomputed one.
async fn against_signed(
    tx: &mut Tx,
    report: &mut Verification,
    computed: &Range,
    signed: &SignedHead,
    meta: &tree::Meta,
) -> Result<()> {
    if meta.origin.as_deref() != Some(signed.origin.as_str()) {
        let this = match &meta.origin {
            Some(origin) => format!("`{origin}`"),
            None => "unnamed (no entry was written under a map with [ledger] origin)".to_owned(),
        };
        report.problem(
            meta.tree_start,
            Kind::OtherLog,
            format!(
                "the checkpoint is signed for the log `{}`, this ledger is {this}",
                signed.origin
            ),
        );
        return Ok(());
    }
    let size = computed.size();
    if signed.size > size {
        report.problem(
            meta.tree_start + size as i64,
            Kind::Truncated,
            format!(
                "the signed checkpoint covers {} entries, the ledger has {size}: entries were cut off the end, or the database was restored from an older backup",
                signed.size
            ),
        );
        return Ok(());
    }
    if signed.size == 0 {
        return Ok(());
    }
    let proof = tree::over_nodes(tx, |node| tree::consistency_path(signed.size, size, node))
        .await
        .ok();
    let consistent = proof.is_some_and(|proof| {
        merkle::verify_consistency(signed.size, size, &signed.root, &computed.root(), &proof)
    });
    if !consistent {
        report.problem(
            meta.tree_start + signed.size as i64 - 1,
            Kind::Rewritten,
            format!(
                "the ledger's first {} entries are not those the checkpoint signed: the ledger was rewritten",
                signed.size
            ),
        );
    }
    Ok(())
}

/// Holds the ledger to the checkpoint's signed retention: the floor never goes down (bodies do
/// not come back), and entries purged since were older than the window it announced, now.
/// Judged against the newest checkpoint the verifier holds: one that is older than a change of
/// window announced since reports the purge that change allowed (the detail says so).
async fn against_retention(
    tx: &mut Tx,
    report: &mut Verification,
    signed: &SignedHead,
    meta: &tree::Meta,
) -> Result<()> {
    let Some(retention) = &signed.retention else {
        report.notes.push(
            "the signed checkpoint has no privctl-retention line: retention purges were not checked against it"
                .into(),
        );
        return Ok(());
    };
    let floor = report.purged;
    if floor < retention.floor {
        report.problem(
            meta.tree_start + floor as i64,
            Kind::Restored,
            format!(
                "the signed checkpoint says the bodies of the first {} entries were purged, but the ledger holds them from entry {}: the database was restored from a backup taken before that purge",
                retention.floor,
                meta.tree_start + floor as i64
            ),
        );
        return Ok(());
    }
    let last_purged = checkpoint::latest(tx).await?.map(|c| c.at);
    if let Err(error) = retention.purged_within_window(floor, last_purged.as_deref(), signed.now) {
        report.problem(
            meta.tree_start + floor as i64 - 1,
            Kind::PurgedEarly,
            format!(
                "{error} (the checkpoint's retention floor is {}, the ledger's {floor})",
                retention.floor
            ),
        );
    }
    Ok(())
}

/// The first entry whose leaf hash is not the stored leaf (a second pass, run only when the
/// roots differ), in chunks of entries and stored leaves over the same range.
async fn first_other_leaf(tx: &mut Tx, meta: &tree::Meta, size: u64) -> Result<Option<i64>> {
    const STEP: i64 = 5_000;
    let mut from = meta.tree_start;
    let end = meta.tree_start + size as i64;
    while from < end {
        let to = (from + STEP).min(end);
        let mut entries = tx.sql();
        entries
            .push("SELECT CAST(seq AS text), ")
            .push(&COLUMNS["seq, ".len()..])
            .push(" FROM privctl_ledger WHERE seq >= ")
            .bind(Param::Int(from))
            .push(" AND seq < ")
            .bind(Param::Int(to));
        let mut computed = std::collections::HashMap::new();
        let mut canonical = Vec::new();
        tx.for_each_text_row(&entries, |fields| {
            let entry = EntryRef::from_fields(fields)?;
            canonical.clear();
            entry.write_canonical(&mut canonical);
            computed.insert(entry.seq, hex::encode(merkle::leaf_hash(&canonical)));
            Ok(())
        })
        .await?;
        let mut leaves = tx.sql();
        leaves
            .push("SELECT CAST(idx AS text), hash FROM privctl_ledger_tree WHERE level = 0 AND idx >= ")
            .bind(Param::Int(from - meta.tree_start))
            .push(" AND idx < ")
            .bind(Param::Int(to - meta.tree_start))
            .push(" ORDER BY idx");
        let mut stored = std::collections::HashMap::new();
        for row in tx.fetch_rows(&leaves).await? {
            if let Some(idx) = row[0].as_deref().and_then(|i| i.parse::<i64>().ok()) {
                stored.insert(meta.tree_start + idx, row[1].clone().unwrap_or_default());
            }
        }
        for seq in from..to {
            // A purged entry has no bytes left to compare.
            if let Some(leaf) = computed.get(&seq)
                && stored.get(&seq) != Some(leaf)
            {
                return Ok(Some(seq));
            }
        }
        from = to;
    }
    Ok(None)
}
