//! Exports: `dsar export`, `export-tenant`, and `decrypt` of an encrypted bundle.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// An export's row counts as its code keeps them (table → JSON number), typed.
pub fn row_counts(counts: &Map<String, Value>) -> BTreeMap<String, u64> {
    counts
        .iter()
        .map(|(table, n)| (table.clone(), n.as_u64().unwrap_or_default()))
        .collect()
}

/// The bundle `dsar export` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DsarExport<'a> {
    /// `dsar-export`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// The bundle's path.
    pub out: &'a Path,
    /// SHA-256 of the bundle file, hex.
    pub sha256: &'a str,
    pub bytes: u64,
    /// `json` or `html`.
    pub output_format: String,
    /// Per table, the rows exported.
    pub row_counts: BTreeMap<String, u64>,
    pub total_rows: u64,
    pub encrypted: bool,
}

/// The bundle `export-tenant` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TenantExport<'a> {
    /// `export-tenant`.
    pub action: &'a str,
    pub tenant: &'a str,
    /// The bundle's path.
    pub out: &'a Path,
    /// `json`, `ndjson` or `csv`.
    pub output_format: String,
    pub encrypted: bool,
    /// SHA-256 of the bundle file, hex.
    pub sha256: &'a str,
    pub bytes: u64,
    /// Per table, the rows exported.
    pub row_counts: BTreeMap<String, u64>,
    pub total_rows: u64,
}

/// The file `decrypt` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Decrypted<'a> {
    pub output: &'a Path,
    pub bytes: u64,
    /// SHA-256 of the decrypted file, hex.
    pub sha256: &'a str,
}
