//! The audit ledger: an append-only hash chain in `privctl_ledger`.
//!
//! Canonical encoding (version 1) of an entry: the compact JSON array
//! `["privctl-ledger/1", seq, at, actor, host, action, tenant, subject_ref, resource, outcome,
//! details, alg, prev_hash]`, where `seq` is a number, `tenant`, `subject_ref` and `resource` are
//! strings or null, `details` is the stored JSON text as a string, and every other field is a
//! string exactly as stored. `hash` is the lower-case hex HMAC-SHA-256 of those bytes under
//! `keys.ledger` (`alg` = `hmac-sha256`), or their plain SHA-256 without a key (`alg` = `sha256`).
//! The first entry's `prev_hash` is 64 zeros.

use anyhow::{Context as _, Result};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::clock::Timestamp;
use crate::db::{Dialect, Param, Tx};
use crate::selection::Subject;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who appends, and with which key.
#[derive(Clone)]
pub struct Ledger {
    key: Option<Vec<u8>>,
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
        serde_json::to_vec(&json!([
            "privctl-ledger/1",
            self.seq,
            self.at,
            self.actor,
            self.host,
            self.action,
            self.tenant,
            self.subject_ref,
            self.resource,
            self.outcome,
            self.details,
            self.alg,
            self.prev_hash,
        ]))
        .expect("a JSON array of strings serialises")
    }
}

const COLUMNS: &str = "seq, at, actor, host, action, tenant, subject_ref, resource, outcome, details, alg, prev_hash, hash";

impl Ledger {
    pub fn new(key: Option<Vec<u8>>, actor: String, host: String) -> Self {
        Self { key, actor, host }
    }

    fn alg(&self) -> &'static str {
        if self.key.is_some() {
            "hmac-sha256"
        } else {
            "sha256"
        }
    }

    /// Hash of canonical bytes under this ledger's key.
    pub fn digest(&self, bytes: &[u8]) -> String {
        match &self.key {
            Some(key) => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(bytes);
                hex::encode(mac.finalize().into_bytes())
            }
            None => hex::encode(Sha256::digest(bytes)),
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
        if tx.dialect() == Dialect::Postgres {
            let mut lock = tx.sql();
            lock.push("SELECT CAST(pg_advisory_xact_lock(")
                .bind(Param::Int(LEDGER_LOCK))
                .push(") AS text)");
            tx.fetch_rows(&lock)
                .await
                .context("waiting for the ledger lock")?;
        }
        let mut head = tx.sql();
        head.push("SELECT CAST(seq AS text), hash FROM privctl_ledger ORDER BY privctl_ledger.seq DESC LIMIT 1");
        let (seq, prev_hash) = match tx
            .fetch_optional(&head)
            .await
            .context("reading the ledger head")?
        {
            Some(row) => (
                row[0]
                    .as_deref()
                    .unwrap_or("0")
                    .parse::<i64>()
                    .context("ledger seq")?
                    + 1,
                row[1].clone().unwrap_or_default(),
            ),
            None => (1, GENESIS.to_owned()),
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

    /// Recomputes the chain in `seq` order; returns the entries checked and the problems found.
    pub async fn verify(&self, tx: &mut Tx) -> Result<Verification> {
        let mut sql = tx.sql();
        sql.push("SELECT CAST(seq AS text), ")
            .push(&COLUMNS["seq, ".len()..])
            .push(" FROM privctl_ledger ORDER BY privctl_ledger.seq");
        let mut report = Verification::default();
        let mut previous: Option<(i64, String)> = None;
        for row in tx.fetch_rows(&sql).await? {
            let field = |i: usize| row[i].clone().unwrap_or_default();
            let entry = LedgerEntry {
                seq: field(0).parse().context("ledger seq")?,
                at: field(1),
                actor: field(2),
                host: field(3),
                action: field(4),
                tenant: row[5].clone(),
                subject_ref: row[6].clone(),
                resource: row[7].clone(),
                outcome: field(8),
                details: field(9),
                alg: field(10),
                prev_hash: field(11),
                hash: field(12),
            };
            report.entries += 1;
            let (expected_seq, expected_prev) = match &previous {
                Some((seq, hash)) => (seq + 1, hash.clone()),
                None => (1, GENESIS.to_owned()),
            };
            if entry.seq != expected_seq {
                report.problem(
                    entry.seq,
                    "removed",
                    format!(
                        "expected seq {expected_seq}, found {}: entries are missing",
                        entry.seq
                    ),
                );
            } else if entry.prev_hash != expected_prev {
                report.problem(entry.seq, "chain-broken", "prev_hash does not match the previous entry's hash: an entry was inserted, removed or reordered");
            }
            if entry.alg != self.alg() {
                report.problem(
                    entry.seq,
                    "wrong-key",
                    format!(
                        "entry hashed with {}, the configured key needs {}",
                        entry.alg,
                        self.alg()
                    ),
                );
            } else if self.digest(&entry.canonical()) != entry.hash {
                report.problem(entry.seq, "altered", "the hash does not match the entry's fields: it was changed after it was written");
            }
            previous = Some((entry.seq, entry.hash.clone()));
            report.head = Some(entry);
        }
        Ok(report)
    }
}

/// Postgres advisory-lock key for ledger appends ("privledg").
const LEDGER_LOCK: i64 = 0x7072_6976_6c65_6467;

/// The result of [`Ledger::verify`].
#[derive(Debug, Default)]
pub struct Verification {
    pub entries: u64,
    pub head: Option<LedgerEntry>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub seq: i64,
    pub kind: &'static str,
    pub detail: String,
}

impl Verification {
    fn problem(&mut self, seq: i64, kind: &'static str, detail: impl Into<String>) {
        self.problems.push(Problem {
            seq,
            kind,
            detail: detail.into(),
        });
    }

    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
