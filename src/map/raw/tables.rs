//! `[tables.NAME]`: a mapped table (its tenant path, identities, links, erasure, export) or an
//! ignored one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::erase::{RawEraseRules, erase_rules_checked};
use super::export::{RawExport, export_checked};
use super::identity_columns::{IdentityColumns, columns_checked};
use super::shape::{Checked, Found, Spellings, deserialize_by_spellings};
use super::{Problems, join, quote_key};
use crate::map::{BlobColumn, Erase, IdentityKind, LinkSpec, Scope, TableSpec, TenantSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    #[serde(default)]
    ignore: bool,
    reason: Option<String>,
    /// On an ignored table: `dsar scan` and the residue scan may look in it.
    #[serde(default)]
    scan: bool,
    scope: Option<Checked<Scope>>,
    tenant: Option<String>,
    key: Option<Vec<String>>,
    #[serde(default)]
    identities: BTreeMap<String, Checked<IdentityColumns>>,
    #[serde(default)]
    links: Vec<RawLink>,
    category: Option<String>,
    erase: Option<Checked<RawEraseRules>>,
    legal_basis: Option<String>,
    purpose: Option<String>,
    timestamp: Option<String>,
    blob: Option<RawBlob>,
    export: Option<Checked<RawExport>>,
    #[serde(default)]
    encrypted: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    column: String,
    references: String,
    to: Option<String>,
    #[serde(default)]
    owned: bool,
    #[serde(default = "yes")]
    follow: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlob {
    column: String,
    store: String,
}

deserialize_by_spellings!(Scope);

impl<'de> Spellings<'de> for Scope {
    const EXPECTING: &'static str = "\"tenant\" or \"global\"";

    fn refusal(found: &Found) -> String {
        format!("unknown scope {found} (use \"tenant\" or \"global\")")
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "tenant" => Ok(Scope::Tenant),
            "global" => Ok(Scope::Global),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// The `[tables]` section checked: mapped tables, ignored ones (with their reason) and the
/// ignored ones `dsar scan` may look in.
pub(super) struct Tables {
    pub(super) mapped: BTreeMap<String, TableSpec>,
    pub(super) ignored: BTreeMap<String, Option<String>>,
    pub(super) scan_ignored: BTreeSet<String>,
}

/// Every table on its own; `identities` are the valid `[identities]` and all their names.
pub(super) fn tables_checked(
    raw: &BTreeMap<String, RawTable>,
    identities: (&BTreeMap<String, IdentityKind>, &[&String]),
    p: &mut Problems,
) -> Tables {
    let mut out = Tables {
        mapped: BTreeMap::new(),
        ignored: BTreeMap::new(),
        scan_ignored: BTreeSet::new(),
    };
    for (name, table) in raw {
        let key = format!("tables.{}", quote_key(name));
        p.ident(&key, name);
        if table.ignore {
            let stray = table.stray_keys_when_ignored();
            if !stray.is_empty() {
                p.add(
                    &key,
                    format!(
                        "an ignored table takes only `ignore`, `reason` and `scan` (found {})",
                        stray.join(", ")
                    ),
                );
            }
            out.ignored.insert(name.clone(), table.reason.clone());
            if table.scan {
                out.scan_ignored.insert(name.clone());
            }
            continue;
        }
        if table.reason.is_some() {
            p.add(
                format!("{key}.reason"),
                "`reason` goes with `ignore = true`",
            );
        }
        if table.scan {
            p.add(
                format!("{key}.scan"),
                "`scan` goes with `ignore = true` (a mapped table is searched through its identities)",
            );
        }
        let spec = table.table_checked(name, &key, identities, p);
        out.mapped.insert(name.clone(), spec);
    }
    out
}

impl RawTable {
    /// The keys set on an ignored table besides `ignore`, `reason` and `scan`.
    fn stray_keys_when_ignored(&self) -> Vec<&'static str> {
        [
            ("tenant", self.tenant.is_some()),
            ("scope", self.scope.is_some()),
            ("key", self.key.is_some()),
            ("identities", !self.identities.is_empty()),
            ("links", !self.links.is_empty()),
            ("category", self.category.is_some()),
            ("erase", self.erase.is_some()),
            ("legal_basis", self.legal_basis.is_some()),
            ("purpose", self.purpose.is_some()),
            ("timestamp", self.timestamp.is_some()),
            ("blob", self.blob.is_some()),
            ("export", self.export.is_some()),
            ("encrypted", !self.encrypted.is_empty()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }

    fn table_checked(
        &self,
        name: &str,
        key: &str,
        identities: (&BTreeMap<String, IdentityKind>, &[&String]),
        p: &mut Problems,
    ) -> TableSpec {
        for (field, value) in [("tenant", &self.tenant), ("timestamp", &self.timestamp)] {
            if let Some(v) = value {
                p.ident(format!("{key}.{field}"), v);
            }
        }
        for (i, column) in self.key.iter().flatten().enumerate() {
            p.ident(format!("{key}.key[{i}]"), column);
        }
        if self.key.as_ref().is_some_and(|k| k.is_empty()) {
            p.add(format!("{key}.key"), "lists no column");
        }
        let scope = self.scope.as_ref();
        let scope = scope.and_then(|s| s.valid(&format!("{key}.scope"), p).copied());
        let scope = scope.unwrap_or_default();
        if scope == Scope::Global {
            if let Some(column) = &self.tenant {
                p.add(
                    format!("{key}.tenant"),
                    format!(
                        "`{column}`: a global table belongs to no tenant (drop `tenant`, or `scope = \"global\"`)"
                    ),
                );
            }
            if self.identities.is_empty() {
                p.add(
                    format!("{key}.identities"),
                    "missing: a global table is reached only by its identities (a DSAR matches its rows directly)",
                );
            }
        }
        let idents = columns_checked(&self.identities, key, scope, identities, p);
        let links = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                p.ident(format!("{key}.links[{i}].column"), &l.column);
                if let Some(to) = &l.to {
                    p.ident(format!("{key}.links[{i}].to"), to);
                }
                // `owned = true, follow = false`: the referenced row belongs to the owner's
                // tenant (and goes with it), but not to the owner's subject.
                LinkSpec {
                    column: l.column.clone(),
                    references: l.references.clone(),
                    to: l.to.clone(),
                    owned: l.owned,
                    follow: l.follow,
                }
            })
            .collect();
        let erase = erase_rules_checked(self.erase.as_ref(), &format!("{key}.erase"), scope, p);
        if (erase.subject == Erase::Retain || erase.tenant == Erase::Retain)
            && self.legal_basis.is_none()
        {
            p.add(
                format!("{key}.legal_basis"),
                "a retained table needs its legal basis (reported with every erasure)",
            );
        }
        let export = export_checked(self.export.as_ref(), &format!("{key}.export"), p);
        for (i, column) in self.encrypted.iter().enumerate() {
            p.ident(format!("{key}.encrypted[{i}]"), column);
        }
        let blob = self.blob.as_ref().map(|b| {
            p.ident(format!("{key}.blob.column"), &b.column);
            BlobColumn {
                column: b.column.clone(),
                store: b.store.clone(),
            }
        });
        TableSpec {
            name: name.to_owned(),
            tenant: self.tenant.clone(),
            key: self.key.clone(),
            identities: idents,
            links,
            category: self.category.clone(),
            scope,
            erase,
            legal_basis: self.legal_basis.clone(),
            purpose: self.purpose.clone(),
            timestamp: self.timestamp.clone(),
            blob,
            export,
            encrypted: self.encrypted.clone(),
        }
    }
}

/// Links must point at a mapped table, the tenant table or an ignored table (never followed:
/// the model skips it). A global table's rows belong to no tenant and are reached neither
/// through nor from one, so ownership (which carries tenancy and pulls the owned row into a
/// selection) cannot cross into or out of one. A plain link on a global table is allowed: it
/// still tells erasure which rows refer to which (order, and references to clear), and the
/// model never follows it for selection or tenancy.
pub(super) fn links_checked(tables: &Tables, tenant: Option<&TenantSpec>, p: &mut Problems) {
    let mapped: Vec<&String> = tables.mapped.keys().collect();
    for (name, table) in &tables.mapped {
        for (i, link) in table.links.iter().enumerate() {
            let key = format!("tables.{}.links[{i}]", quote_key(name));
            let is_tenant = tenant.is_some_and(|t| t.table == link.references);
            let ignored = tables.ignored.contains_key(&link.references);
            let target = tables.mapped.get(&link.references);
            if target.is_none() && !is_tenant && !ignored {
                p.add(
                    format!("{key}.references"),
                    format!(
                        "unknown table `{}` (mapped tables: {})",
                        link.references,
                        join(&mapped)
                    ),
                );
                continue;
            }
            if !link.owned {
                continue;
            }
            if ignored {
                p.add(
                    format!("{key}.owned"),
                    format!(
                        "`{}` is ignored: privctl never erases its rows, so it cannot own one (drop `owned = true`)",
                        link.references
                    ),
                );
            } else if table.scope == Scope::Global {
                p.add(
                    format!("{key}.owned"),
                    "rows are not reached from a global table: its links cannot be `owned = true`",
                );
            } else if target.is_some_and(|t| t.scope == Scope::Global) {
                p.add(
                    format!("{key}.owned"),
                    format!(
                        "`{}` is a global table: its rows belong to no tenant, so no row can own one",
                        link.references
                    ),
                );
            }
        }
    }
    if tenant.is_none() {
        for (name, table) in &tables.mapped {
            if table.tenant.is_some() {
                p.add(
                    format!("tables.{}.tenant", quote_key(name)),
                    "there is no [tenant] section, so no table can have a tenant column",
                );
            }
        }
    }
}
