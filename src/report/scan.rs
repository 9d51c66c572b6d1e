//! Residue scans: `dsar scan`, and the scan that ends `dsar delete`.

use schemars::JsonSchema;
use serde::Serialize;

use crate::scan::{Hit, ScanReport};

/// What a residue scan found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScanSummary<'a> {
    pub tables_scanned: usize,
    /// Every column of every row that holds one of the subject's identifiers.
    pub hits: &'a [Hit],
    /// Hits outside tables retained with a legal basis.
    pub residue: usize,
}

impl<'a> ScanSummary<'a> {
    pub fn new(report: &'a ScanReport) -> Self {
        ScanSummary {
            tables_scanned: report.tables.len(),
            hits: &report.hits,
            residue: report.residue(),
        }
    }
}

/// Where `dsar scan` found the subject's identifiers by content.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DsarScan<'a> {
    /// `dsar-scan`.
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    #[serde(flatten)]
    pub scan: ScanSummary<'a>,
}
