//! Executions of `dsar delete --confirm` and `delete-tenant --confirm`: what the confirmed run
//! did, and the report of a run whose rows an earlier run already erased.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::scan::ScanSummary;
use crate::blobs::DrainReport;
use crate::effects::DatabaseEffect;
use crate::erase::TableOutcome;
use crate::map::Effect;
use crate::plan::ClearedReference;

/// What `dsar delete --confirm` erased, in one transaction.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DsarDeletion<'a> {
    /// `dsar-delete`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// Always `true`: the erasure is committed.
    pub executed: bool,
    /// Per table, the rows erased and how.
    pub tables: &'a [TableOutcome],
    pub total_rows: u64,
    /// Columns whose references to erased rows were set to NULL.
    pub cleared_references: &'a [ClearedReference],
    /// What the database's own ON DELETE actions did.
    pub database_effects: &'a [DatabaseEffect],
    /// Rows the plan meant to erase that a fresh selection still finds (0 on success).
    pub remaining: u64,
    /// Objects in blob stores queued for deletion with the rows.
    pub blobs_queued: u64,
    /// What deleting the queued objects did (failures stay in the outbox).
    pub blobs: &'a DrainReport,
    /// The residue scan after the erasure; `null` when it was not run (`--no-residue-scan`).
    pub scan: Option<ScanSummary<'a>>,
}

/// What `delete-tenant --confirm` erased, in resumable batches.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TenantDeletion<'a> {
    /// `delete-tenant`.
    pub action: &'a str,
    pub tenant: &'a str,
    /// Always `true`: the deletion is committed.
    pub executed: bool,
    /// Whether this run resumed a job an earlier run left unfinished.
    pub resumed: bool,
    pub tables: Vec<TenantTable>,
    pub total_rows: u64,
    /// Rows of the tenant a fresh count still finds (0 on success).
    pub remaining: u64,
    /// Per table, rows written during the run after the table's pass, anonymised by a later one.
    pub late_rows: BTreeMap<String, u64>,
    pub batches: u64,
    pub longest_batch_ms: u64,
    /// What deleting the queued objects did (failures stay in the outbox).
    pub blobs: &'a DrainReport,
}

/// One table of a tenant's deletion.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TenantTable {
    pub table: String,
    /// Rows erased (all runs of the job).
    pub rows: u64,
    pub effect: Option<Effect>,
    /// Objects in blob stores queued with the rows.
    pub blobs: u64,
}

/// A confirmed run whose token an earlier run already spent, which deleted the objects that
/// run left queued.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlreadyDone<'a> {
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// Always `false`: this run erased no row.
    pub executed: bool,
    /// Always `true`.
    pub already_done: bool,
    pub blobs: &'a DrainReport,
}

/// A confirmed run's document: what it did, or (its token already spent) the objects it
/// deleted that the earlier run left queued. For the schema only.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(super) enum Confirmed<T> {
    Ran(T),
    AlreadyDone(AlreadyDone<'static>),
}
