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
use super::{COLUMNS, EntryRef, GENESIS, Ledger, LedgerEntry};
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
            (last_seq, last_hash) = (last_seq + 1, hash);
            count += 1;
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
    /// Streams the ledger in `seq` order through a [`Chain`].
    pub async fn verify(&self, tx: &mut Tx, anchor: Option<&Anchor>) -> Result<Verification> {
        self.verify_until(tx, anchor, None).await
    }

    /// [`Ledger::verify`] up to and including entry `until` (the part a retention purge removes).
    pub(crate) async fn verify_until(
        &self,
        tx: &mut Tx,
        anchor: Option<&Anchor>,
        until: Option<i64>,
    ) -> Result<Verification> {
        let checkpoints = checkpoint::load(tx).await?;
        let mut chain = Chain::new(self, checkpoints, anchor.cloned());
        match tx.dialect().sql_ops().ledger_chunk_head() {
            Some(head) => chunks(tx, head, &mut chain, until).await?,
            None => precise(tx, &mut chain, i64::MIN, until, None).await?,
        }
        Ok(chain.finish())
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
