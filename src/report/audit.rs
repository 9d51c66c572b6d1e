//! The ledger read back: `audit-verify`, `audit head`, `audit log`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::ledger::verify::{Problem, Start, TreeHead};
use crate::ledger::{LedgerEntry, Verification};

/// What `audit-verify` found: exit 4 unless `ok`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyReport<'a> {
    pub ok: bool,
    /// Entries verified.
    pub entries: u64,
    /// The last entry; `null` for an empty ledger.
    pub head: Option<Head<'a>>,
    /// Where verification started; `null` for an empty ledger.
    pub start: Option<&'a Start>,
    /// In ledger order, the first bad entry first (at most 1000).
    pub problems: &'a [Problem],
    /// Problems found beyond those listed (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_problems: u64,
    /// What verification could not prove, as sentences (absent when none).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub notes: &'a [String],
    /// The Merkle tree recomputed from the entries; `null` when they do not follow each other.
    pub tree: Option<&'a TreeHead>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl<'a> VerifyReport<'a> {
    pub fn new(report: &'a Verification) -> Self {
        VerifyReport {
            ok: report.ok(),
            entries: report.entries,
            head: report
                .head
                .as_ref()
                .map(|(seq, hash)| Head { seq: *seq, hash }),
            start: report.start.as_ref(),
            problems: &report.problems,
            more_problems: report.more_problems,
            notes: &report.notes,
            tree: report.tree.as_ref(),
        }
    }
}

/// The ledger's last entry (`audit head`): keep it outside the database as an anchor.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Head<'a> {
    pub seq: i64,
    /// Its hash, hex.
    pub hash: &'a str,
}

/// Recent ledger entries, newest first (`audit log`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditLog<'a> {
    pub entries: Vec<LogEntry<'a>>,
}

/// One ledger entry as `audit log` shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogEntry<'a> {
    pub seq: i64,
    /// When it was written (RFC 3339).
    pub at: &'a str,
    pub actor: &'a str,
    pub host: &'a str,
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// The subject's keyed reference (never an identifier).
    pub subject_ref: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub outcome: &'a str,
    /// The entry's details: a JSON object whose keys depend on the action (counts, digests,
    /// cutoffs, …); the stored text as a string if it is not JSON.
    pub details: Value,
    pub hash: &'a str,
}

impl<'a> LogEntry<'a> {
    pub fn new(e: &'a LedgerEntry) -> Self {
        LogEntry {
            seq: e.seq,
            at: &e.at,
            actor: &e.actor,
            host: &e.host,
            action: &e.action,
            tenant: e.tenant.as_deref(),
            subject_ref: e.subject_ref.as_deref(),
            resource: e.resource.as_deref(),
            outcome: &e.outcome,
            details: serde_json::from_str(&e.details)
                .unwrap_or_else(|_| Value::String(e.details.clone())),
            hash: &e.hash,
        }
    }
}
