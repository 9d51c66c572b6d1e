//! `purge-retention`: its plan (the dry run), its execution, and `--blobs-only`.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::blobs::DrainReport;
use crate::clock::Timestamp;
use crate::map::Effect;
use crate::plan::{ClearedReference, TablePlan};
use crate::retention::{Cutoff, Partition, Skipped};

/// What `purge-retention` without `--confirm` would delete, and the token that confirms it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PurgePlan<'a> {
    /// `purge-retention`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// `--as-of TIME` (RFC 3339): the cutoffs were computed as if now were this time. Present
    /// only on such a dry run, which issues no token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<&'a str>,
    /// `null` with `--as-of` (an as-of dry run cannot be confirmed).
    pub token: Option<&'a str>,
    /// RFC 3339; `null` with `--as-of`.
    pub expires_at: Option<String>,
    /// Per tenant and table, the window and the cutoff it gives.
    pub cutoffs: Vec<CutoffReport<'a>>,
    /// Tenants left out, and why.
    pub skipped: &'a [Skipped],
    pub tables: &'a [TablePlan],
    pub total_rows: u64,
    pub cleared_references: &'a [ClearedReference],
    /// Partitions that go whole (PostgreSQL range partitions past every cutoff).
    pub partitions: &'a [Partition],
    /// `[retention] ledger`: the ledger entries that go; `null` without that window.
    pub ledger: Option<LedgerExpiry>,
}

/// One tenant's window for one table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CutoffReport<'a> {
    /// `null` for a purge of tables without tenants.
    pub tenant: Option<&'a str>,
    /// The tenant's plan tier, for per-plan windows.
    pub plan: Option<&'a str>,
    pub table: &'a str,
    pub category: &'a str,
    /// The window as the map (or the tenant's override) gives it: `90d`, `unlimited`, …
    pub window: &'a str,
    /// RFC 3339: rows older than this go; `null` when nothing expires.
    pub cutoff: Option<String>,
    /// Why there is no cutoff, or where the window came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
    /// Rows past the cutoff.
    pub rows: u64,
}

impl<'a> From<&'a Cutoff> for CutoffReport<'a> {
    fn from(c: &'a Cutoff) -> Self {
        CutoffReport {
            tenant: c.tenant.as_deref(),
            plan: c.plan.as_deref(),
            table: &c.table,
            category: &c.category,
            window: &c.window,
            cutoff: c.cutoff.map(Timestamp::to_rfc3339),
            note: c.note.as_deref(),
            rows: c.rows,
        }
    }
}

/// The ledger entries a purge would remove (`[retention] ledger`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct LedgerExpiry {
    /// RFC 3339: entries written before this go.
    pub cutoff: String,
    pub entries: u64,
}

/// What `purge-retention --confirm` deleted (a run stopped by `--max-duration` resumes with
/// the same command).
#[derive(Debug, Serialize, JsonSchema)]
pub struct PurgeExecution<'a> {
    /// `purge-retention`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// Always `true`.
    pub executed: bool,
    /// Whether every expired row is gone (the token is spent).
    pub complete: bool,
    /// `max-duration` when the run stopped at `--max-duration`; else `null`.
    pub stopped: Option<&'static str>,
    /// Whether this run resumed a job an earlier run left unfinished.
    pub resumed: bool,
    /// Tables in erase order (children first).
    pub tables: Vec<PurgedTable>,
    pub total_rows: u64,
    /// Per table, expired rows still there.
    pub remaining: &'a BTreeMap<String, u64>,
    pub partitions_dropped: &'a [Partition],
    pub skipped: &'a [Skipped],
    /// Tenants put under legal hold during the run (their remaining rows were left alone).
    pub held_during_run: &'a BTreeSet<String>,
    pub longest_batch_ms: u64,
    pub blobs: &'a DrainReport,
    /// `[retention] ledger`: the old ledger entries purged and the checkpoint left.
    #[schemars(with = "Option<LedgerPurge>")]
    pub ledger: Option<&'a Value>,
    /// What failed; the run exits 1 when this is not empty.
    #[schemars(with = "Vec<PurgeFailure>")]
    pub failures: &'a [Value],
}

/// One table of a purge.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PurgedTable {
    pub table: String,
    /// Rows the plan counted.
    pub planned: u64,
    pub deleted: u64,
    /// The same as `deleted`.
    pub rows: u64,
    /// Always `delete`.
    pub effect: Effect,
    pub blobs: u64,
    pub batches: u64,
    /// Expired rows left for the next run because live traffic held a lock on them.
    pub skipped_locked: u64,
    pub seconds: f64,
}

/// The old ledger entries a purge removed (schema of a document part built as JSON).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct LedgerPurge {
    /// RFC 3339.
    cutoff: String,
    purged: i64,
    /// The retention checkpoint written (`null` when nothing was purged).
    checkpoint: Option<CheckpointRef>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct CheckpointRef {
    seq: i64,
    hash: String,
    signature: String,
}

/// One failure of a purge (schema of a document part built as JSON).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct PurgeFailure {
    /// The tenant whose rows failed (absent for failures of no tenant).
    tenant: Option<String>,
    /// The table, `null` for blob deletions.
    table: Option<String>,
    error: String,
}

/// What `purge-retention --blobs-only` deleted from the blob stores.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlobsOnly<'a> {
    /// `purge-retention`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// Always `true`.
    pub blobs_only: bool,
    pub blobs: &'a DrainReport,
}
