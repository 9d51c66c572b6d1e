//! `map check`: the data map against the live schema.

use schemars::JsonSchema;
use serde::Serialize;

use crate::map::check::Finding;

/// What `map check` found: exit 5 unless `ok`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MapCheck<'a> {
    /// No problems (warnings allowed).
    pub ok: bool,
    /// The map's path.
    pub map: &'a str,
    pub problems: &'a [Finding],
    pub warnings: &'a [Finding],
}
