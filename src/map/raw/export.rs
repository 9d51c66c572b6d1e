//! A table's `export`: how its columns appear in exports.

use std::collections::BTreeMap;

use serde::de::MapAccess;

use super::Problems;
use super::shape::{self, Checked, Found, Spellings, deserialize_by_spellings};
use crate::map::{ExportMode, ExportSpec};

/// `export = "redact"` (one mode for the table) or `export = { column = mode, … }`.
pub(super) enum RawExport {
    Table(ExportMode),
    Columns(BTreeMap<String, Checked<ExportMode>>),
}

deserialize_by_spellings!(RawExport, ExportMode);

impl<'de> Spellings<'de> for RawExport {
    const EXPECTING: &'static str = "\"include\", \"redact\", \"omit\" or a table of columns";

    fn refusal(found: &Found) -> String {
        ExportMode::refusal(found)
    }

    fn from_text(text: &str) -> Result<Self, String> {
        ExportMode::from_text(text).map(RawExport::Table)
    }

    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        shape::table(map).map(RawExport::Columns)
    }
}

impl<'de> Spellings<'de> for ExportMode {
    const EXPECTING: &'static str = "\"include\", \"redact\" or \"omit\"";

    fn refusal(found: &Found) -> String {
        format!("unknown mode {found} (use \"include\", \"redact\" or \"omit\")")
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "include" => Ok(ExportMode::Include),
            "redact" => Ok(ExportMode::Redact),
            "omit" => Ok(ExportMode::Omit),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// A table's `export` at `key` (`tables.x.export`).
pub(super) fn export_checked(
    value: Option<&Checked<RawExport>>,
    key: &str,
    p: &mut Problems,
) -> ExportSpec {
    match value.and_then(|v| v.valid(key, p)) {
        None => ExportSpec::default(),
        Some(RawExport::Table(mode)) => ExportSpec::Table(*mode),
        Some(RawExport::Columns(columns)) => ExportSpec::Columns(
            columns
                .iter()
                .map(|(column, mode)| {
                    let column_key = format!("{key}.{column}");
                    p.ident(&column_key, column);
                    let mode = mode.valid(&column_key, p).copied().unwrap_or_default();
                    (column.clone(), mode)
                })
                .collect(),
        ),
    }
}
