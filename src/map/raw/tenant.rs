//! `[tenant]`: the table with one row per tenant, the rows it owns, and sub-tenants.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::erase::{RawErase, tenant_erase_checked};
use super::shape::Checked;
use super::{Problems, join, quote_key};
use crate::map::{LinkSpec, Scope, TableSpec, TenantSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenant {
    table: String,
    id: String,
    name: Option<String>,
    pub(super) plan: Option<String>,
    legal_hold: Option<String>,
    pub(super) ended_at: Option<String>,
    #[serde(default)]
    pub(super) retention_overrides: BTreeMap<String, String>,
    erase: Option<Checked<RawErase>>,
    #[serde(default)]
    links: Vec<RawTenantLink>,
    parent: Option<String>,
}

/// `[tenant] links = [{ column, references, owned = true }]`: a row the tenant row owns.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenantLink {
    column: String,
    references: String,
    to: Option<String>,
    /// Implied: the tenant row owns what it references. Spelling it `false` is an error.
    owned: Option<bool>,
}

impl RawTenant {
    pub(super) fn tenant_checked(
        &self,
        tables: &BTreeMap<String, TableSpec>,
        ignored: &BTreeMap<String, Option<String>>,
        p: &mut Problems,
    ) -> TenantSpec {
        for (k, v) in [
            ("table", Some(&self.table)),
            ("id", Some(&self.id)),
            ("name", self.name.as_ref()),
            ("plan", self.plan.as_ref()),
            ("legal_hold", self.legal_hold.as_ref()),
            ("ended_at", self.ended_at.as_ref()),
            ("parent", self.parent.as_ref()),
        ] {
            if let Some(v) = v {
                p.ident(format!("tenant.{k}"), v);
            }
        }
        for (category, column) in &self.retention_overrides {
            p.ident(format!("tenant.retention_overrides.{category}"), column);
        }
        if tables.contains_key(&self.table) || ignored.contains_key(&self.table) {
            p.add(
                format!("tables.{}", quote_key(&self.table)),
                "the tenant table is mapped by [tenant]; remove its [tables] entry",
            );
        }
        if self.parent.as_ref() == Some(&self.id) {
            p.add(
                "tenant.parent",
                format!(
                    "`{}` is the tenant's id: `parent` names the column holding a sub-tenant's parent id (e.g. \"parent_id\")",
                    self.id
                ),
            );
        }
        let links = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let key = format!("tenant.links[{i}]");
                p.ident(format!("{key}.column"), &l.column);
                if let Some(to) = &l.to {
                    p.ident(format!("{key}.to"), to);
                }
                if l.owned == Some(false) {
                    p.add(
                        format!("{key}.owned"),
                        "`owned = false`: a [tenant] link is always owned (the tenant row owns the row it references); a table that references the tenant gives its own tenant column or links instead",
                    );
                }
                let problem = if l.references == self.table {
                    Some(format!(
                        "`{}` is the tenant table: the tenant row cannot own a tenant row (sub-tenants: `[tenant] parent`)",
                        self.table
                    ))
                } else if ignored.contains_key(&l.references) {
                    Some(format!(
                        "`{}` is ignored: privctl never erases its rows, so the tenant cannot own one",
                        l.references
                    ))
                } else {
                    match tables.get(&l.references) {
                        None => Some(format!(
                            "unknown table `{}` (mapped tables: {})",
                            l.references,
                            join(&tables.keys().collect::<Vec<_>>())
                        )),
                        Some(t) if t.scope == Scope::Global => Some(format!(
                            "`{}` is a global table: its rows belong to no tenant",
                            l.references
                        )),
                        Some(_) => None,
                    }
                };
                if let Some(problem) = problem {
                    p.add(format!("{key}.references"), problem);
                }
                LinkSpec {
                    column: l.column.clone(),
                    references: l.references.clone(),
                    to: l.to.clone(),
                    owned: true,
                    follow: true,
                }
            })
            .collect();
        TenantSpec {
            table: self.table.clone(),
            id: self.id.clone(),
            plan: self.plan.clone(),
            legal_hold: self.legal_hold.clone(),
            ended_at: self.ended_at.clone(),
            name: self.name.clone(),
            retention_overrides: self.retention_overrides.clone(),
            erase: tenant_erase_checked(self.erase.as_ref(), "tenant.erase", p),
            links,
            parent: self.parent.clone(),
        }
    }
}
