//! The audit ledger: an append-only hash chain in `privctl_ledger`.
//!
//! Canonical encoding of an entry: the compact JSON array
//! `["privctl-ledger/2", seq, at, actor, host, action, tenant, subject_ref, resource, outcome,
//! details, alg, prev_hash, origin, nonce]`, where `seq` is a number, `tenant`, `subject_ref`,
//! `resource` and `origin` are strings or null, `details` is the stored JSON text as a string,
//! `nonce` is 32 random hex digits, and every other field is a string exactly as stored. Entries
//! written before the ledger had a tree (no nonce) keep version 1: the same array without
//! `origin` and `nonce`, tagged `privctl-ledger/1`. `hash` is the lower-case hex HMAC-SHA-256 of those bytes under
//! `keys.ledger` (`alg` = `hmac-sha256`), or their plain SHA-256 without a key (`alg` = `sha256`).
//! The first entry's `prev_hash` is 64 zeros, or the hash in the retention checkpoint the
//! remaining entries start from ([`checkpoint`]).
//!
//! Each entry is also leaf `seq - tree_start` of an RFC 6962 Merkle tree ([`merkle`], stored as
//! [`tree`] describes), appended in the same transaction: its leaf hash is
//! `SHA-256(0x00 ‖ canonical bytes)`.
//!
//! [`verify`] recomputes the chain and the tree as a stream; [`checkpoint`] purges old entries
//! for retention.

pub mod checkpoint;
pub mod floor;
pub mod ids;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod receipt;
pub mod tree;
pub mod verify;

use anyhow::{Context as _, Result};
use hmac::{Hmac, Mac as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::clock::Timestamp;
use crate::db::{Param, Tx};
use crate::selection::Subject;

pub use verify::{Anchor, Problem, Verification};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who appends, and with which key.
#[derive(Clone)]
pub struct Ledger {
    /// HMAC-SHA-256 keyed with `keys.ledger`, cloned for each digest.
    mac: Option<Hmac<Sha256>>,
    pub actor: String,
    pub host: String,
    /// `[ledger] origin`: the log's name, fixed in `privctl_ledger_meta` by the first entry that
    /// names one.
    pub origin: Option<String>,
    /// HMAC-SHA-256 keyed with `keys.subject`, for `subject_ref`.
    subject_mac: Option<Hmac<Sha256>>,
}

/// What a command records.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub action: String,
    pub tenant: Option<String>,
    pub subject_ref: Option<String>,
    pub resource: Option<String>,
    pub outcome: String,
    pub details: Value,
}

impl NewEntry {
    pub fn new(action: &str, outcome: &str, details: Value) -> Self {
        Self {
            action: action.to_owned(),
            tenant: None,
            subject_ref: None,
            resource: None,
            outcome: outcome.to_owned(),
            details,
        }
    }

    pub fn tenant(mut self, tenant: Option<&str>) -> Self {
        self.tenant = tenant.map(str::to_owned);
        self
    }

    pub fn subject(mut self, subject_ref: &str) -> Self {
        self.subject_ref = Some(subject_ref.to_owned());
        self
    }

    pub fn resource(mut self, resource: &str) -> Self {
        self.resource = Some(resource.to_owned());
        self
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub host: String,
    pub action: String,
    pub tenant: Option<String>,
    pub subject_ref: Option<String>,
    pub resource: Option<String>,
    pub outcome: String,
    pub details: String,
    pub alg: String,
    pub prev_hash: String,
    pub hash: String,
    /// The log's origin (version 2; `None` in version 1 and before the map named one).
    pub origin: Option<String>,
    /// 32 random hex digits (version 2), so the hashes of published entries confirm no guess
    /// of their fields; `None` in version 1.
    pub nonce: Option<String>,
}

impl LedgerEntry {
    /// The canonical bytes the hash covers.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.details.len());
        self.write_canonical(&mut out);
        out
    }

    /// Appends the canonical bytes to `out`.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        self.borrowed().write_canonical(out);
    }

    /// The entry as borrowed fields.
    pub fn borrowed(&self) -> EntryRef<'_> {
        EntryRef {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            host: &self.host,
            action: &self.action,
            tenant: self.tenant.as_deref(),
            subject_ref: self.subject_ref.as_deref(),
            resource: self.resource.as_deref(),
            outcome: &self.outcome,
            details: &self.details,
            alg: &self.alg,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
            origin: self.origin.as_deref(),
            nonce: self.nonce.as_deref(),
        }
    }

    /// Reads an entry from a row of [`COLUMNS`] (every column as text).
    pub(crate) fn from_row(row: Vec<Option<String>>) -> Result<Self> {
        let mut fields = row.into_iter();
        let mut next = || fields.next().flatten();
        let seq = next().context("ledger row without seq")?;
        Ok(Self {
            seq: seq
                .parse()
                .with_context(|| format!("ledger seq `{seq}` is not a number"))?,
            at: next().unwrap_or_default(),
            actor: next().unwrap_or_default(),
            host: next().unwrap_or_default(),
            action: next().unwrap_or_default(),
            tenant: next(),
            subject_ref: next(),
            resource: next(),
            outcome: next().unwrap_or_default(),
            details: next().unwrap_or_default(),
            alg: next().unwrap_or_default(),
            prev_hash: next().unwrap_or_default(),
            hash: next().unwrap_or_default(),
            origin: next(),
            nonce: next(),
        })
    }
}

/// An entry borrowed from a database row: the verifier reads a million of them without copying
/// their fields.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub host: &'a str,
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    pub subject_ref: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub outcome: &'a str,
    pub details: &'a str,
    pub alg: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub origin: Option<&'a str>,
    pub nonce: Option<&'a str>,
}

impl<'a> EntryRef<'a> {
    /// Appends the canonical bytes to `out` (the verifier reuses one buffer for every entry).
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.nonce.is_some() {
            b"[\"privctl-ledger/2\","
        } else {
            b"[\"privctl-ledger/1\","
        });
        out.extend_from_slice(self.seq.to_string().as_bytes());
        for field in [self.at, self.actor, self.host, self.action] {
            push_field(out, Some(field));
        }
        for field in [self.tenant, self.subject_ref, self.resource] {
            push_field(out, field);
        }
        for field in [self.outcome, self.details, self.alg, self.prev_hash] {
            push_field(out, Some(field));
        }
        if self.nonce.is_some() {
            push_field(out, self.origin);
            push_field(out, self.nonce);
        }
        out.push(b']');
    }

    /// Reads an entry from a row of [`COLUMNS`] (every column as text).
    pub(crate) fn from_fields(row: &[Option<&'a str>]) -> Result<Self> {
        let field = |i: usize| row.get(i).copied().flatten();
        let text = |i: usize| field(i).unwrap_or_default();
        let seq = text(0);
        Ok(Self {
            seq: seq
                .parse()
                .with_context(|| format!("ledger seq `{seq}` is not a number"))?,
            at: text(1),
            actor: text(2),
            host: text(3),
            action: text(4),
            tenant: field(5),
            subject_ref: field(6),
            resource: field(7),
            outcome: text(8),
            details: text(9),
            alg: text(10),
            prev_hash: text(11),
            hash: text(12),
            origin: field(13),
            nonce: field(14),
        })
    }
}

/// `,` and the field as a JSON string (or `null`), escaped as serde_json escapes.
pub(crate) fn push_field(out: &mut Vec<u8>, field: Option<&str>) {
    out.push(b',');
    match field {
        Some(text) => serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail"),
        None => out.extend_from_slice(b"null"),
    }
}

/// The stored columns, in canonical order; `seq` first so a `SELECT` can cast it to text.
pub(crate) const COLUMNS: &str = "seq, at, actor, host, action, tenant, subject_ref, resource, outcome, details, alg, prev_hash, hash, origin, nonce";

impl Ledger {
    pub fn new(key: Option<Vec<u8>>, actor: String, host: String) -> Self {
        let mac =
            key.map(|key| Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"));
        Self {
            mac,
            actor,
            host,
            origin: None,
            subject_mac: None,
        }
    }

    /// This ledger, pseudonymising subjects under `keys.subject`.
    pub fn with_subject_key(mut self, key: Option<Vec<u8>>) -> Self {
        self.subject_mac =
            key.map(|key| Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"));
        self
    }

    /// Whether `subject_ref` is keyed (`keys.subject`, or else `keys.ledger`): only then do
    /// entries record it, since an unkeyed hash of an email confirms any guess of it.
    pub fn records_subjects(&self) -> bool {
        self.subject_mac.is_some() || self.mac.is_some()
    }

    /// This ledger, writing entries of the log `origin` (`[ledger] origin`).
    pub fn with_origin(mut self, origin: Option<String>) -> Self {
        self.origin = origin;
        self
    }

    /// Whether `keys.ledger` is set.
    pub fn keyed(&self) -> bool {
        self.mac.is_some()
    }

    /// The `alg` this ledger writes.
    pub fn alg(&self) -> &'static str {
        if self.mac.is_some() {
            "hmac-sha256"
        } else {
            "sha256"
        }
    }

    /// Hash of canonical bytes under this ledger's key.
    pub fn digest(&self, bytes: &[u8]) -> String {
        hex::encode(self.digest_bytes(bytes))
    }

    /// [`Ledger::digest`] as bytes.
    pub fn digest_bytes(&self, bytes: &[u8]) -> [u8; 32] {
        match &self.mac {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(bytes);
                mac.finalize().into_bytes().into()
            }
            None => Sha256::digest(bytes).into(),
        }
    }

    /// Refusal to append an entry hashed otherwise than the chain's head: a keyed chain must not
    /// take entries anyone could forge, and an unkeyed one cannot turn keyed midway (verification
    /// would take the older entries for forgeries).
    fn mixed_keys(&self, head_alg: &str) -> crate::error::Failure {
        if self.keyed() {
            crate::error::Failure::failed(format!(
                "the ledger's entries are hashed with {head_alg} (no key), but the map now sets keys.ledger: one chain cannot mix the two; nothing was done"
            ))
            .with_hint("remove keys.ledger from the map, or archive this database's ledger and start a new one with the key")
        } else {
            crate::error::Failure::failed(format!(
                "the ledger's entries are hashed with {head_alg} under keys.ledger, but the map sets no key: an entry without it could be forged by anyone; nothing was done"
            ))
            .with_hint("set keys.ledger in the map (env:VAR or file:PATH) to the ledger's key")
        }
    }

    /// The subject's reference: a hash of tenant and identifiers, never the identifiers, keyed
    /// with `keys.subject` (or else `keys.ledger`). Unkeyed, it still binds tokens to their
    /// subject, but no entry records it ([`Ledger::records_subjects`]).
    pub fn subject_ref(&self, tenant: Option<&str>, subject: &Subject) -> String {
        let mut text = format!("privctl-subject/1\0{}", tenant.unwrap_or(""));
        for id in &subject.identifiers {
            text.push('\0');
            text.push_str(&id.name);
            text.push('=');
            text.push_str(&id.value);
        }
        match &self.subject_mac {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(text.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            None => self.digest(text.as_bytes()),
        }
    }

    /// Appends an entry inside `tx`, and its leaf and the tree nodes it completes. Appends are
    /// serialised: PostgreSQL takes a transaction-level advisory lock (released at commit),
    /// SQLite's write transactions are exclusive already.
    pub async fn append(&self, tx: &mut Tx, at: Timestamp, entry: NewEntry) -> Result<LedgerEntry> {
        lock_appends(tx).await?;
        let head = self.head_for_append(tx).await?;
        let (seq, prev_hash) = match head.last {
            Some((seq, hash)) => (seq + 1, hash),
            // Empty: the first entry, or the first after a retention purge removed them all.
            None => match checkpoint::latest(tx).await? {
                Some(c) if c.alg != self.alg() => return Err(self.mixed_keys(&c.alg).into()),
                Some(c) => (c.seq + 1, c.hash),
                None => (1, GENESIS.to_owned()),
            },
        };
        let index = seq - head.meta.tree_start;
        if index < 0 || index as u64 != head.tree_size {
            return Err(crate::error::Failure::ledger_altered(format!(
                "the ledger's next entry would be {seq}, leaf {index} of its Merkle tree, but the tree has {} leaves: entries or tree nodes were removed or added",
                head.tree_size
            ))
            .with_hint("keep this database as evidence and run `privctl audit-verify`; nothing was done")
            .into());
        }
        let origin = self.fix_origin(tx, head.meta.origin).await?;
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| anyhow::anyhow!("no randomness for the ledger entry's nonce: {e}"))?;
        let mut stored = LedgerEntry {
            seq,
            at: at.to_canonical(),
            actor: self.actor.clone(),
            host: self.host.clone(),
            action: entry.action,
            tenant: entry.tenant,
            subject_ref: entry.subject_ref.filter(|_| self.records_subjects()),
            resource: entry.resource,
            outcome: entry.outcome,
            details: serde_json::to_string(&entry.details).expect("JSON value serialises"),
            alg: self.alg().to_owned(),
            prev_hash,
            hash: String::new(),
            origin,
            nonce: Some(hex::encode(nonce)),
        };
        let canonical = stored.canonical();
        stored.hash = self.digest(&canonical);
        let mut insert = tx.sql();
        insert
            .push("INSERT INTO privctl_ledger (")
            .push(COLUMNS)
            .push(") VALUES (");
        let text = |s: &str| Param::Text(s.to_owned());
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map_or(Param::Null, |s| Param::Text(s.to_owned()))
        };
        let values = [
            Param::Int(stored.seq),
            text(&stored.at),
            text(&stored.actor),
            text(&stored.host),
            text(&stored.action),
            opt(&stored.tenant),
            opt(&stored.subject_ref),
            opt(&stored.resource),
            text(&stored.outcome),
            text(&stored.details),
            text(&stored.alg),
            text(&stored.prev_hash),
            text(&stored.hash),
            opt(&stored.origin),
            opt(&stored.nonce),
        ];
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                insert.push(", ");
            }
            insert.bind(value);
        }
        insert.push(")");
        tx.execute(&insert)
            .await
            .context("appending to the ledger (has `privctl init` run?)")?;
        let siblings = tree::siblings_of_append(head.tree_size);
        let nodes = tree::read_nodes(tx, &siblings).await?;
        let completed = completed_nodes(
            head.tree_size,
            &siblings,
            &nodes,
            merkle::leaf_hash(&canonical),
        );
        tree::insert_nodes(tx, &completed).await?;
        Ok(stored)
    }

    /// The newest entry, the tree's size and `privctl_ledger_meta`, in one statement.
    async fn head_for_append(&self, tx: &mut Tx) -> Result<AppendHead> {
        let mut head = tx.sql();
        head.push(
            "SELECT m.origin, CAST(m.tree_start AS text), \
             CAST((SELECT max(idx) FROM privctl_ledger_tree WHERE level = 0) AS text), \
             CAST(l.seq AS text), l.hash, l.alg \
             FROM privctl_ledger_meta m LEFT JOIN \
             (SELECT seq, hash, alg FROM privctl_ledger ORDER BY privctl_ledger.seq DESC LIMIT 1) l \
             ON 1 = 1 WHERE m.id = 1",
        );
        let row = match tx.fetch_optional(&head).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(tree::needs_init()),
            Err(error) => {
                return Err(error.context("reading the ledger head (has `privctl init` run?)"));
            }
        };
        let number = |i: usize| -> Result<Option<i64>> {
            row[i]
                .as_deref()
                .map(|text| {
                    text.parse::<i64>()
                        .with_context(|| format!("privctl_ledger: `{text}` is not a number"))
                })
                .transpose()
        };
        let tree_start = number(1)?.unwrap_or(1);
        let tree_size = number(2)?.map_or(0, |max| max as u64 + 1);
        let last = match number(3)? {
            Some(seq) => {
                let alg = row[5].as_deref().unwrap_or_default();
                if alg != self.alg() {
                    return Err(self.mixed_keys(alg).into());
                }
                Some((seq, row[4].clone().unwrap_or_default()))
            }
            None => None,
        };
        Ok(AppendHead {
            meta: tree::Meta {
                origin: row[0].clone(),
                tree_start,
            },
            tree_size,
            last,
        })
    }

    /// Names the log after the map's `[ledger] origin` if no entry has yet (before a first
    /// checkpoint); refuses a map naming another log.
    pub async fn name_log(&self, tx: &mut Tx) -> Result<()> {
        lock_appends(tx).await?;
        let meta = tree::meta(tx).await?;
        self.fix_origin(tx, meta.origin).await?;
        Ok(())
    }

    /// The origin the next entry carries: the log's, which the first entry written under a map
    /// naming one fixes. A map naming another is refused: its entries would join someone else's log.
    async fn fix_origin(&self, tx: &mut Tx, stored: Option<String>) -> Result<Option<String>> {
        match (stored, &self.origin) {
            (Some(stored), Some(mine)) if &stored != mine => Err(crate::error::Failure::failed(format!(
                "this database's ledger is the log `{stored}`, but the map's [ledger] origin is `{mine}`: its entries would join another log; nothing was done"
            ))
            .with_hint(format!("set [ledger] origin = \"{stored}\" in the map, or point --database-url at the database of `{mine}`"))
            .into()),
            (Some(stored), _) => Ok(Some(stored)),
            (None, Some(mine)) => {
                let mut sql = tx.sql();
                sql.push("UPDATE privctl_ledger_meta SET origin = ")
                    .bind(Param::Text(mine.clone()))
                    .push(" WHERE id = 1");
                tx.execute(&sql).await.context("naming the ledger's log")?;
                Ok(Some(mine.clone()))
            }
            (None, None) => Ok(None),
        }
    }
}

/// What appending reads first.
struct AppendHead {
    meta: tree::Meta,
    tree_size: u64,
    /// The newest entry's seq and hash.
    last: Option<(i64, String)>,
}

/// The nodes leaf `index` completes, given its left siblings (see [`tree::siblings_of_append`]).
fn completed_nodes(
    index: u64,
    siblings: &[tree::NodeKey],
    nodes: &std::collections::HashMap<tree::NodeKey, merkle::Hash>,
    leaf: merkle::Hash,
) -> Vec<(tree::NodeKey, merkle::Hash)> {
    let mut completed = vec![((0, index), leaf)];
    let mut hash = leaf;
    for &(level, idx) in siblings {
        hash = merkle::node_hash(&nodes[&(level, idx)], &hash);
        completed.push(((level + 1, idx / 2), hash));
    }
    completed
}

/// The advisory-lock key of ledger appends ("privledg").
const LEDGER_LOCK: i64 = 0x7072_6976_6c65_6467;

/// Serialises appends (and retention purges) until the transaction ends (see
/// [`Tx::lock_until_end`]).
pub(crate) async fn lock_appends(tx: &mut Tx) -> Result<()> {
    tx.lock_until_end(LEDGER_LOCK)
        .await
        .context("waiting for the ledger lock")
}

/// The newest entry's seq and hash (`audit head`), if the ledger has any.
pub async fn head(tx: &mut Tx) -> Result<Option<(i64, String)>> {
    let mut sql = tx.sql();
    sql.push("SELECT CAST(seq AS text), hash FROM privctl_ledger ORDER BY privctl_ledger.seq DESC LIMIT 1");
    let Some(row) = tx
        .fetch_optional(&sql)
        .await
        .context("reading the ledger head")?
    else {
        return Ok(None);
    };
    let seq = row[0].as_deref().unwrap_or_default();
    Ok(Some((
        seq.parse().with_context(|| format!("ledger seq `{seq}`"))?,
        row[1].clone().unwrap_or_default(),
    )))
}

/// Filters of `audit log`.
#[derive(Debug, Default)]
pub struct LogFilter {
    pub tenant: Option<String>,
    pub action: Option<String>,
    pub since: Option<Timestamp>,
    pub limit: u32,
}

/// The newest entries matching `filter`, newest first.
pub async fn log(tx: &mut Tx, filter: &LogFilter) -> Result<Vec<LedgerEntry>> {
    let mut sql = tx.sql();
    sql.push("SELECT CAST(seq AS text), ")
        .push(&COLUMNS["seq, ".len()..])
        .push(" FROM privctl_ledger WHERE 1 = 1");
    if let Some(tenant) = &filter.tenant {
        sql.push(" AND tenant = ").bind(Param::Text(tenant.clone()));
    }
    if let Some(action) = &filter.action {
        sql.push(" AND action = ").bind(Param::Text(action.clone()));
    }
    if let Some(since) = filter.since {
        // `at` is fixed-width canonical text, so text order is time order.
        sql.push(" AND at >= ")
            .bind(Param::Text(since.to_canonical()));
    }
    sql.push(" ORDER BY privctl_ledger.seq DESC LIMIT ")
        .bind(Param::Int(i64::from(filter.limit)));
    tx.fetch_rows(&sql)
        .await
        .context("reading the ledger")?
        .into_iter()
        .map(LedgerEntry::from_row)
        .collect()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(tenant: Option<&str>, details: &str) -> LedgerEntry {
        LedgerEntry {
            seq: 1,
            at: "2026-11-25T10:00:00.000000Z".into(),
            actor: "ops@example.com".into(),
            host: "h".into(),
            action: "dsar-preview".into(),
            tenant: tenant.map(str::to_owned),
            subject_ref: None,
            resource: None,
            outcome: "planned".into(),
            details: details.into(),
            alg: "sha256".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            origin: None,
            nonce: None,
        }
    }

    #[test]
    fn canonical_bytes_match_the_readme() {
        let e = entry(Some("acme"), r#"{"a":"é\n"}"#);
        assert_eq!(
            String::from_utf8(e.canonical()).unwrap(),
            r#"["privctl-ledger/1",1,"2026-11-25T10:00:00.000000Z","ops@example.com","h","dsar-preview","acme",null,null,"planned","{\"a\":\"é\\n\"}","sha256","0000000000000000000000000000000000000000000000000000000000000000"]"#
        );
    }

    #[test]
    fn canonical_bytes_escape_as_a_compact_json_array_does() {
        let awkward = "q\"b\\c\n\t\u{1}\u{1f}\u{7f}é\u{2028}😀/";
        let e = entry(Some(awkward), awkward);
        let expected = serde_json::to_vec(&json!([
            "privctl-ledger/1",
            e.seq,
            e.at,
            e.actor,
            e.host,
            e.action,
            e.tenant,
            e.subject_ref,
            e.resource,
            e.outcome,
            e.details,
            e.alg,
            e.prev_hash,
        ]))
        .unwrap();
        assert_eq!(e.canonical(), expected);
    }
}
