//! The map resolved against the live schema: every mapped table with its key, tenant column,
//! identity columns and links (the database's foreign keys plus the map's own), and the order in
//! which erasure must visit tables (children before parents).

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Dialect, Schema, TableInfo};
use crate::error::Failure;
use crate::map::check::{Finding, FindingKind};
use crate::map::{DataMap, IdentityColumn, TableSpec};

/// A mapped table as the database has it.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub spec: TableSpec,
    pub info: TableInfo,
    /// Row identity: the primary key, or the map's `key`.
    pub key: Vec<String>,
    /// Tenant column and its SQL type.
    pub tenant: Option<(String, String)>,
    /// Links from this table's columns to a parent.
    pub links: Vec<Link>,
}

/// `columns` of the child reference `parent_columns` of `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
    /// The parent row belongs to the child row's subject.
    pub owned: bool,
    /// Rows referencing a selected parent join the selection.
    pub follow: bool,
    /// Every column can be set to NULL.
    pub nullable: bool,
}

/// The tenant table.
#[derive(Debug, Clone)]
pub struct TenantNode {
    pub name: String,
    pub id: String,
    pub id_type: String,
    pub info: TableInfo,
}

/// The map resolved against the schema.
#[derive(Debug, Clone)]
pub struct Model {
    pub dialect: Dialect,
    pub map_path: std::path::PathBuf,
    pub identities: BTreeMap<String, crate::map::IdentityKind>,
    pub tenant: Option<TenantNode>,
    /// `[tenant] erase`: what delete-tenant does to the tenant's own row.
    pub tenant_erase: crate::map::Erase,
    pub nodes: BTreeMap<String, Node>,
    /// Mapped tables, children before parents.
    pub erase_order: Vec<String>,
}

impl Model {
    /// Resolves `map` against `schema`; refuses a map that names what the database lacks.
    pub fn build(map: &DataMap, schema: &Schema, dialect: Dialect) -> Result<Self, Failure> {
        Self::resolve(map, schema, dialect).map_err(|problems| {
            let file = map.path.display();
            let failure = match problems.as_slice() {
                [one] if one.kind == FindingKind::LinkCycle => {
                    Failure::map(format!("{file}: {one}"))
                        .with_hint("mark one of the links `follow = false` or drop it from the map")
                }
                [one] if one.kind == FindingKind::NoTenantPath => {
                    Failure::map(format!("{file}: {one}"))
                        .with_hint("add `tenant = \"<column>\"` or a link to a tenant-scoped table")
                }
                _ => Failure::map(format!(
                    "{file} does not match the database:\n{}",
                    problems
                        .iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )),
            };
            failure.with_hint("run `privctl map check` for the full report")
        })
    }

    /// [`Model::build`], with every problem found rather than a failure.
    pub fn resolve(map: &DataMap, schema: &Schema, dialect: Dialect) -> Result<Self, Vec<Finding>> {
        let mut problems = Vec::new();
        let mut missing = |kind: FindingKind, table: &str, column: Option<&str>, what: String| {
            problems.push(Finding::new(kind, Some(table), column, what));
        };

        let tenant = match &map.tenant {
            None => None,
            Some(t) => match schema.tables.get(&t.table) {
                None => {
                    missing(
                        FindingKind::MissingTable,
                        &t.table,
                        None,
                        format!("[tenant] table `{}` does not exist", t.table),
                    );
                    None
                }
                Some(info) => {
                    for column in [
                        Some(&t.id),
                        t.plan.as_ref(),
                        t.legal_hold.as_ref(),
                        t.ended_at.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .chain(t.retention_overrides.values())
                    {
                        if info.column(column).is_none() {
                            missing(
                                FindingKind::MissingColumn,
                                &t.table,
                                Some(column),
                                format!("[tenant]: column `{}`.`{column}` does not exist", t.table),
                            );
                        }
                    }
                    info.column(&t.id).map(|c| TenantNode {
                        name: t.table.clone(),
                        id: t.id.clone(),
                        id_type: c.sql_type.clone(),
                        info: info.clone(),
                    })
                }
            },
        };

        if let Some(authz) = &map.authz {
            match schema.tables.get(&authz.table) {
                None => missing(
                    FindingKind::MissingTable,
                    &authz.table,
                    None,
                    format!("authz.table: table `{}` does not exist", authz.table),
                ),
                Some(info) => {
                    for (key, column) in [
                        ("member", &authz.member),
                        ("tenant", &authz.tenant),
                        ("role", &authz.role),
                    ] {
                        if info.column(column).is_none() {
                            missing(
                                FindingKind::MissingColumn,
                                &authz.table,
                                Some(column),
                                format!(
                                    "authz.{key}: column `{}`.`{column}` does not exist",
                                    authz.table
                                ),
                            );
                        }
                    }
                }
            }
        }

        let mut nodes = BTreeMap::new();
        for (name, spec) in &map.tables {
            let Some(info) = schema.tables.get(name) else {
                missing(
                    FindingKind::MissingTable,
                    name,
                    None,
                    format!("tables.{name}: table `{name}` does not exist in the database"),
                );
                continue;
            };
            let mut check = |key: &str, column: &str| {
                if info.column(column).is_none() {
                    missing(
                        FindingKind::MissingColumn,
                        name,
                        Some(column),
                        format!("tables.{name}.{key}: column `{name}`.`{column}` does not exist"),
                    );
                }
            };
            if let Some(c) = &spec.tenant {
                check("tenant", c);
            }
            if let Some(c) = &spec.timestamp {
                check("timestamp", c);
            }
            for IdentityColumn {
                identity, column, ..
            } in &spec.identities
            {
                check(&format!("identities.{identity}"), column);
            }
            for link in &spec.links {
                check("links", &link.column);
            }
            if let Some(blob) = &spec.blob {
                check("blob.column", &blob.column);
            }
            for erase in [&spec.erase.subject, &spec.erase.tenant] {
                if let crate::map::Erase::Anonymise(columns) = erase {
                    for (column, _) in columns {
                        check("erase.anonymise", column);
                    }
                }
            }
            for column in &spec.encrypted {
                check("encrypted", column);
            }
            if let crate::map::ExportSpec::Columns(columns) = &spec.export {
                for column in columns.keys() {
                    check("export", column);
                }
            }
            let key = spec.key.clone().unwrap_or_else(|| info.primary_key.clone());
            for column in &key {
                check("key", column);
            }
            for f in crate::map::check::erase_column_types(name, spec, info) {
                missing(f.kind, name, f.column.as_deref(), f.detail);
            }
            if key.is_empty() {
                missing(
                    FindingKind::NoRowIdentity,
                    name,
                    None,
                    format!(
                        "tables.{name}: `{name}` has no primary key; declare its row identity with `key = [\"col\", …]`"
                    ),
                );
            }
            let tenant_column = spec
                .tenant
                .as_ref()
                .and_then(|c| info.column(c).map(|col| (c.clone(), col.sql_type.clone())));
            nodes.insert(
                name.clone(),
                Node {
                    name: name.clone(),
                    spec: spec.clone(),
                    info: info.clone(),
                    key,
                    tenant: tenant_column,
                    links: Vec::new(),
                },
            );
        }

        // Links: the database's foreign keys among mapped tables, then the map's (which win).
        let parent_key = |parent: &str| -> Option<Vec<String>> {
            if let Some(node) = nodes.get(parent) {
                Some(node.key.clone())
            } else {
                tenant
                    .as_ref()
                    .filter(|t| t.name == parent)
                    .map(|t| vec![t.id.clone()])
            }
        };
        let mut all_links: BTreeMap<String, Vec<Link>> = BTreeMap::new();
        for (name, node) in &nodes {
            let mut links = Vec::new();
            for fk in &node.info.foreign_keys {
                if parent_key(&fk.references).is_none() {
                    continue; // references an ignored or unmapped table: never followed
                }
                links.push(Link {
                    columns: fk.columns.clone(),
                    parent: fk.references.clone(),
                    parent_columns: fk.referenced_columns.clone(),
                    owned: false,
                    follow: true,
                    nullable: fk
                        .columns
                        .iter()
                        .all(|c| node.info.column(c).is_some_and(|c| c.nullable)),
                });
            }
            for spec in &node.spec.links {
                let Some(parent_columns) = parent_key(&spec.references) else {
                    missing(
                        FindingKind::UnresolvedLink,
                        name,
                        Some(&spec.column),
                        format!(
                            "tables.{name}.links: `{}` is not a table privctl reads (missing from the database, or its entry has problems)",
                            spec.references
                        ),
                    );
                    continue;
                };
                if parent_columns.len() != 1 {
                    missing(
                        FindingKind::UnresolvedLink,
                        name,
                        Some(&spec.column),
                        format!(
                            "tables.{name}.links: `{}` has a composite key; declare the link as a foreign key in the database",
                            spec.references
                        ),
                    );
                    continue;
                }
                let link = Link {
                    columns: vec![spec.column.clone()],
                    parent: spec.references.clone(),
                    parent_columns,
                    owned: spec.owned,
                    follow: spec.follow,
                    nullable: node.info.column(&spec.column).is_some_and(|c| c.nullable),
                };
                links.retain(|l| l.columns != link.columns);
                links.push(link);
            }
            all_links.insert(name.clone(), links);
        }
        for (name, links) in all_links {
            nodes.get_mut(&name).expect("same keys").links = links;
        }

        if !problems.is_empty() {
            return Err(problems);
        }

        let mut model = Model {
            dialect,
            map_path: map.path.clone(),
            identities: map.identities.clone(),
            tenant_erase: map
                .tenant
                .as_ref()
                .map_or(crate::map::Erase::Delete, |t| t.erase.clone()),
            tenant,
            nodes,
            erase_order: Vec::new(),
        };
        match model.children_first() {
            Ok(order) => model.erase_order = order,
            Err(cycle) => problems.push(Finding::new(
                FindingKind::LinkCycle,
                cycle.first().map(String::as_str),
                None,
                format!(
                    "the links between {} form a cycle, so no erasure order exists",
                    cycle.join(", ")
                ),
            )),
        }
        if model.tenant.is_some() {
            for node in model.nodes.values() {
                if model.tenant_path(&node.name).is_none() {
                    problems.push(Finding::new(
                        FindingKind::NoTenantPath,
                        Some(&node.name),
                        None,
                        format!(
                            "tables.{}: no tenant column and no link to a table with one, so it cannot be confined to a tenant",
                            node.name
                        ),
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(problems)
        }
    }

    pub fn node(&self, name: &str) -> &Node {
        &self.nodes[name]
    }

    /// Links (child, link) whose parent is `parent`.
    pub fn links_into<'a>(
        &'a self,
        parent: &'a str,
    ) -> impl Iterator<Item = (&'a Node, &'a Link)> + 'a {
        self.nodes.values().flat_map(move |n| {
            n.links
                .iter()
                .filter(move |l| l.parent == parent)
                .map(move |l| (n, l))
        })
    }

    /// How a table without a tenant column reaches one: the first followed link to a table
    /// that is tenant-scoped (directly or in turn). `Some(None)` for a table with its own column.
    pub fn tenant_path(&self, table: &str) -> Option<Option<&Link>> {
        let mut seen = BTreeSet::new();
        self.tenant_path_inner(table, &mut seen)
    }

    fn tenant_path_inner<'a>(
        &'a self,
        table: &str,
        seen: &mut BTreeSet<String>,
    ) -> Option<Option<&'a Link>> {
        let node = self.nodes.get(table)?;
        if node.tenant.is_some() {
            return Some(None);
        }
        if !seen.insert(table.to_owned()) {
            return None;
        }
        node.links
            .iter()
            .filter(|l| {
                l.parent != table && self.tenant.as_ref().is_none_or(|t| t.name != l.parent)
            })
            .find(|l| self.tenant_path_inner(&l.parent, seen).is_some())
            .map(Some)
            .or_else(|| {
                // A direct link to the tenant table is a tenant column by another name.
                node.links
                    .iter()
                    .find(|l| self.tenant.as_ref().is_some_and(|t| t.name == l.parent))
                    .map(Some)
            })
    }

    /// Topological order of mapped tables, children (referencing) before parents (referenced).
    fn children_first(&self) -> Result<Vec<String>, Vec<String>> {
        // parent -> children that reference it
        let mut remaining: BTreeMap<&str, BTreeSet<&str>> = self
            .nodes
            .keys()
            .map(|n| (n.as_str(), BTreeSet::new()))
            .collect();
        for node in self.nodes.values() {
            for link in &node.links {
                if link.parent != node.name && self.nodes.contains_key(&link.parent) {
                    remaining
                        .get_mut(link.parent.as_str())
                        .expect("mapped")
                        .insert(node.name.as_str());
                }
            }
        }
        let mut order = Vec::new();
        while !remaining.is_empty() {
            // A table can go once nothing unvisited references it.
            let ready: Vec<&str> = remaining
                .iter()
                .filter(|(_, children)| children.is_empty())
                .map(|(n, _)| *n)
                .collect();
            if ready.is_empty() {
                return Err(remaining.keys().map(|s| s.to_string()).collect());
            }
            for name in ready {
                remaining.remove(name);
                for children in remaining.values_mut() {
                    children.remove(name);
                }
                order.push(name.to_owned());
            }
        }
        Ok(order)
    }
}
