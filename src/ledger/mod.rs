//! The audit ledger: an append-only hash chain in `privctl_ledger`.
//!
//! Canonical encoding (version 1) of an entry: the compact JSON array
//! `["privctl-ledger/1", seq, at, actor, host, action, tenant, subject_ref, resource, outcome,
//! details, alg, prev_hash]`, where `seq` is a number, `tenant`, `subject_ref` and `resource` are
//! strings or null, `details` is the stored JSON text as a string, and every other field is a
//! string exactly as stored. `hash` is the lower-case hex HMAC-SHA-256 of those bytes under
//! `keys.ledger` (`alg` = `hmac-sha256`), or their plain SHA-256 without a key (`alg` = `sha256`).
//! The first entry's `prev_hash` is 64 zeros, or the hash in the retention checkpoint the
//! remaining entries start from ([`checkpoint`]).
//!
//! [`verify`] recomputes the chain as a stream; [`checkpoint`] purges old entries for retention.

pub mod checkpoint;
pub mod merkle;
pub mod note;
pub mod proof;
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
}

impl<'a> EntryRef<'a> {
    /// Appends the canonical bytes to `out` (the verifier reuses one buffer for every entry).
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"[\"privctl-ledger/1\",");
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
pub(crate) const COLUMNS: &str = "seq, at, actor, host, action, tenant, subject_ref, resource, outcome, details, alg, prev_hash, hash";

impl Ledger {
    pub fn new(key: Option<Vec<u8>>, actor: String, host: String) -> Self {
        let mac =
            key.map(|key| Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"));
        Self { mac, actor, host }
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

    /// The subject's reference: a keyed hash of tenant and identifiers, never the identifiers.
    pub fn subject_ref(&self, tenant: Option<&str>, subject: &Subject) -> String {
        let mut text = format!("privctl-subject/1\0{}", tenant.unwrap_or(""));
        for id in &subject.identifiers {
            text.push('\0');
            text.push_str(&id.name);
            text.push('=');
            text.push_str(&id.value);
        }
        self.digest(text.as_bytes())
    }

    /// Appends an entry inside `tx`. Appends are serialised: PostgreSQL takes a transaction-level
    /// advisory lock (released at commit), SQLite's write transactions are exclusive already.
    pub async fn append(&self, tx: &mut Tx, at: Timestamp, entry: NewEntry) -> Result<LedgerEntry> {
        lock_appends(tx).await?;
        let mut head = tx.sql();
        head.push("SELECT CAST(seq AS text), hash, alg FROM privctl_ledger ORDER BY privctl_ledger.seq DESC LIMIT 1");
        let (seq, prev_hash) = match tx
            .fetch_optional(&head)
            .await
            .context("reading the ledger head")?
        {
            Some(row) => {
                let alg = row[2].as_deref().unwrap_or_default();
                if alg != self.alg() {
                    return Err(self.mixed_keys(alg).into());
                }
                let seq = row[0].as_deref().unwrap_or_default();
                (
                    seq.parse::<i64>()
                        .with_context(|| format!("ledger seq `{seq}`"))?
                        + 1,
                    row[1].clone().unwrap_or_default(),
                )
            }
            // Empty: the first entry, or the first after a retention purge removed them all.
            None => match checkpoint::latest(tx).await? {
                Some(c) if c.alg != self.alg() => return Err(self.mixed_keys(&c.alg).into()),
                Some(c) => (c.seq + 1, c.hash),
                None => (1, GENESIS.to_owned()),
            },
        };
        let mut stored = LedgerEntry {
            seq,
            at: at.to_canonical(),
            actor: self.actor.clone(),
            host: self.host.clone(),
            action: entry.action,
            tenant: entry.tenant,
            subject_ref: entry.subject_ref,
            resource: entry.resource,
            outcome: entry.outcome,
            details: serde_json::to_string(&entry.details).expect("JSON value serialises"),
            alg: self.alg().to_owned(),
            prev_hash,
            hash: String::new(),
        };
        stored.hash = self.digest(&stored.canonical());
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
        Ok(stored)
    }
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
