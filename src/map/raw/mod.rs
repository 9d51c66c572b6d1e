//! The map as TOML spells it, and its validation into [`super::DataMap`].
//!
//! serde reads each section into typed structs and enums: a key a section does not know stops
//! parsing with toml's message, and a value of the wrong shape (`erase = 3`, an unknown mode) is
//! a problem of the map (see [`shape`]). The validation then checks what the types cannot:
//! names, durations, references between tables, and the rules that tie keys together. Every
//! problem is reported at once, as `key: what is wrong`.

mod erase;
mod export;
mod identities;
mod identity_columns;
mod keys;
mod policy;
mod retention;
mod shape;
mod tables;
mod tenant;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::Path;

use serde::Deserialize;

use super::{DataMap, check_identifier};
use identities::RawIdentity;
use keys::{RawBlobStore, RawKeys};
use policy::{RawAuthz, RawConfirm, RawDatabase, RawPurge};
use retention::RawRetention;
use shape::Checked;
use tables::RawTable;
use tenant::RawTenant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMap {
    version: u32,
    #[serde(default)]
    database: RawDatabase,
    tenant: Option<RawTenant>,
    #[serde(default)]
    identities: BTreeMap<String, RawIdentity>,
    #[serde(default)]
    tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    retention: BTreeMap<String, Checked<RawRetention>>,
    #[serde(default)]
    blobs: BTreeMap<String, RawBlobStore>,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    ledger: keys::RawLedger,
    #[serde(default)]
    confirm: RawConfirm,
    #[serde(default)]
    purge: RawPurge,
    authz: Option<RawAuthz>,
}

/// Collects problems as `key: what is wrong`.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, key: impl Display, message: impl Display) {
        self.0.push(format!("{key}: {message}"));
    }

    fn ident(&mut self, key: impl Display, name: &str) {
        if let Err(message) = check_identifier(name) {
            self.add(key, message);
        }
    }
}

impl RawMap {
    pub(super) fn validate(self, path: &Path, base: &Path) -> Result<DataMap, Vec<String>> {
        let mut p = Problems::default();
        if self.version != 1 {
            p.add(
                "version",
                format!(
                    "version {} is not supported (this privctl reads version 1)",
                    self.version
                ),
            );
        }
        let kinds = identities::kinds_checked(&self.identities, &mut p);
        let declared: Vec<&String> = self.identities.keys().collect();
        let tables = tables::tables_checked(&self.tables, (&kinds, &declared), &mut p);
        let tenant = self.tenant.as_ref();
        let tenant_spec = tenant.map(|t| t.tenant_checked(&tables.mapped, &tables.ignored, &mut p));
        tables::links_checked(&tables, tenant_spec.as_ref(), &mut p);
        let ledger_retention =
            retention::ledger_retention_checked(&self.retention, &tables.mapped, &mut p);
        let retention =
            retention::retention_checked(&self.retention, tenant, &tables.mapped, &mut p);
        let blobs = keys::blobs_checked(&self.blobs, &tables.mapped, base, &mut p);
        let keys = self.keys.keys_checked(base, &mut p);
        let ledger_origin = self.ledger.origin_checked(&mut p);
        let confirm = self.confirm.confirm_checked(&mut p);
        let tenant_setting = self.database.tenant_setting_checked(&mut p);
        let authz = self.authz.as_ref();
        let authz = authz.map(|a| a.authz_checked(tenant.is_some(), &mut p));
        let purge = self.purge.purge_checked(&mut p);
        if !p.0.is_empty() {
            return Err(p.0);
        }
        Ok(DataMap {
            path: path.to_owned(),
            tenant_setting,
            tenant: tenant_spec,
            identities: kinds,
            tables: tables.mapped,
            ignored: tables.ignored,
            scan_ignored: tables.scan_ignored,
            retention,
            ledger_retention,
            ledger_origin,
            blobs,
            keys,
            confirm,
            purge,
            authz,
        })
    }
}

/// A table name as a TOML key: quoted unless it is a bare key.
fn quote_key(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

fn join(names: &[&String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
