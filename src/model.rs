//! The map resolved against the live schema: every mapped table with its key, tenant column,
//! identity columns and links (the database's foreign keys plus the map's own), and the order in
//! which erasure must visit tables (children before parents).

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Dialect, Schema, SqlType, TableInfo};
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
    pub tenant: Option<(String, SqlType)>,
    /// Links from this table's columns to a parent.
    pub links: Vec<Link>,
    /// `scope = "global"`: a platform-wide table whose rows belong to no tenant.
    pub global: bool,
    /// The ways a row of this table reaches its tenant (see [`Route`]); empty for global tables
    /// and single-tenant maps.
    pub routes: Vec<Route>,
}

impl Node {
    /// Whether every row reaches a tenant: one route, a NOT NULL tenant column or NOT NULL
    /// foreign key. (A table with routes that can all be NULL may hold rows of no tenant.)
    pub fn always_in_a_tenant(&self) -> bool {
        match self.routes.as_slice() {
            [Route::Column { column, .. }] => self.info.column(column).is_some_and(|c| !c.nullable),
            [Route::Parent(l) | Route::Tenant(l)] => !l.nullable,
            _ => false,
        }
    }
}

/// One way a row reaches its tenant. A row belongs to tenant T when *any* of its routes leads
/// to T (SPEC section 2): a table whose tenant column is NOT NULL, or which has a NOT NULL
/// foreign key into a table that always reaches its tenant, has that one route; every other
/// table has the union of all its routes, nullable links and ownership included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The table's own tenant column.
    Column { column: String, sql_type: SqlType },
    /// A link to a mapped table whose rows belong to the tenant.
    Parent(Link),
    /// A link straight to the tenant table (a tenant column by another name).
    Tenant(Link),
    /// Rows that rows of `owner` (of the tenant) reference through an owned link.
    OwnedBy { owner: String, link: Link },
    /// Rows the tenant row itself references through `[tenant] links`.
    OwnedByTenant(Link),
}

impl Route {
    /// The mapped table this route goes through, if any.
    pub fn via(&self) -> Option<&str> {
        match self {
            Route::Parent(link) => Some(&link.parent),
            Route::OwnedBy { owner, .. } => Some(owner),
            _ => None,
        }
    }
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
    /// A foreign key of the database (the referenced row exists), not only the map's word.
    pub enforced: bool,
}

/// The tenant table.
#[derive(Debug, Clone)]
pub struct TenantNode {
    pub name: String,
    pub id: String,
    pub id_type: SqlType,
    pub info: TableInfo,
    /// `[tenant] parent`: the column naming a sub-tenant's parent (nested tenants).
    pub parent: Option<String>,
    /// `[tenant] links`: rows the tenant row owns (columns of the tenant table).
    pub links: Vec<Link>,
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
    /// Nullable links left out of the erasure order to break a cycle of foreign keys: erasure
    /// clears them on the rows it erases before deleting anything (table, link).
    pub broken_links: Vec<(String, Link)>,
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
                    "{file} does not match the database: {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
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
                        t.name.as_ref(),
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
                    if let Some(parent) = &t.parent
                        && info.column(parent).is_none()
                    {
                        missing(
                            FindingKind::MissingColumn,
                            &t.table,
                            Some(parent),
                            format!(
                                "[tenant] parent: column `{}`.`{parent}` does not exist",
                                t.table
                            ),
                        );
                    }
                    if let crate::map::Erase::Anonymise(columns) = &t.erase {
                        for (column, _) in columns {
                            if info.column(column).is_none() {
                                missing(
                                    FindingKind::MissingColumn,
                                    &t.table,
                                    Some(column),
                                    format!(
                                        "tenant.erase.anonymise.{column}: column `{}`.`{column}` does not exist",
                                        t.table
                                    ),
                                );
                            }
                        }
                    }
                    let erase = crate::map::EraseRules::both(t.erase.clone());
                    for f in crate::map::check::erase_column_types(
                        "tenant", &t.table, &erase, info, dialect,
                    ) {
                        missing(f.kind, &t.table, f.column.as_deref(), f.detail);
                    }
                    info.column(&t.id).map(|c| TenantNode {
                        name: t.table.clone(),
                        id: t.id.clone(),
                        id_type: SqlType::from_catalog(&c.sql_type),
                        info: info.clone(),
                        parent: t.parent.clone(),
                        links: Vec::new(),
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
            // A column anonymised both for a subject and for the tenant is one problem, not two.
            let anonymised: std::collections::BTreeSet<&str> =
                [&spec.erase.subject, &spec.erase.tenant]
                    .into_iter()
                    .filter_map(|erase| match erase {
                        crate::map::Erase::Anonymise(columns) => Some(columns),
                        _ => None,
                    })
                    .flatten()
                    .map(|(column, _)| column.as_str())
                    .collect();
            for column in anonymised {
                check("erase.anonymise", column);
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
            let table_key = format!("tables.{}", crate::map::check::toml_key(name));
            for f in
                crate::map::check::erase_column_types(&table_key, name, &spec.erase, info, dialect)
            {
                missing(f.kind, name, f.column.as_deref(), f.detail);
            }
            for f in crate::map::check::json_identity_types(name, spec, info, dialect) {
                missing(f.kind, name, f.column.as_deref(), f.detail);
            }
            // Checked again in the database's own grammar: where a string or a quoted name ends
            // is the database's to say.
            for identity in &spec.identities {
                if let Some(when) = &identity.when
                    && let Err(why) = when.check_in(dialect)
                {
                    missing(
                        FindingKind::InvalidCondition,
                        name,
                        Some(&identity.column),
                        format!(
                            "tables.{name}.identities.{}.when: {:?} {why} (in {}'s grammar)",
                            identity.identity,
                            when.to_string(),
                            dialect.name()
                        ),
                    );
                }
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
            let tenant_column = spec.tenant.as_ref().and_then(|c| {
                info.column(c)
                    .map(|col| (c.clone(), SqlType::from_catalog(&col.sql_type)))
            });
            nodes.insert(
                name.clone(),
                Node {
                    name: name.clone(),
                    spec: spec.clone(),
                    info: info.clone(),
                    key,
                    tenant: tenant_column,
                    links: Vec::new(),
                    global: spec.scope == crate::map::Scope::Global,
                    routes: Vec::new(),
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
                    enforced: true,
                });
            }
            for spec in &node.spec.links {
                if map.ignored.contains_key(&spec.references) {
                    continue; // a link into an ignored table is allowed and never followed
                }
                let Some(link) = map_link(
                    name,
                    &node.info,
                    spec,
                    parent_key(&spec.references),
                    schema,
                    &mut missing,
                ) else {
                    continue;
                };
                let enforced = links
                    .iter()
                    .any(|l| l.columns == link.columns && l.parent == link.parent && l.enforced);
                links.retain(|l| l.columns != link.columns);
                links.push(Link { enforced, ..link });
            }
            all_links.insert(name.clone(), links);
        }
        for (name, links) in all_links {
            nodes.get_mut(&name).expect("same keys").links = links;
        }
        let mut tenant = tenant;
        if let (Some(t), Some(spec)) = (tenant.as_mut(), map.tenant.as_ref()) {
            for link in &spec.links {
                if map.ignored.contains_key(&link.references) {
                    continue;
                }
                let key = nodes.get(&link.references).map(|n| n.key.clone());
                if let Some(link) = map_link(&t.name, &t.info, link, key, schema, &mut missing) {
                    t.links.push(Link {
                        owned: true,
                        ..link
                    });
                }
            }
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
            broken_links: Vec::new(),
        };
        if model.tenant.is_some() {
            let routes = model.tenant_routes();
            for (name, node_routes) in routes {
                let node = model.nodes.get_mut(&name).expect("mapped");
                if node_routes.is_empty() && !node.global {
                    problems.push(Finding::new(
                        FindingKind::NoTenantPath,
                        Some(&node.name),
                        None,
                        format!(
                            "tables.{}: no tenant column, no link to a table of the tenant and no owner that has one, so it cannot be confined to a tenant (a platform-wide table takes `scope = \"global\"`)",
                            node.name
                        ),
                    ));
                }
                node.routes = node_routes;
            }
        }
        match model.children_first() {
            Ok((order, broken)) => {
                model.erase_order = order;
                model.broken_links = broken;
            }
            Err(cycle) => problems.push(Finding::new(
                FindingKind::LinkCycle,
                cycle.first().map(String::as_str),
                None,
                format!(
                    "the foreign keys between {} form a cycle in which every reference is NOT NULL and not deferrable, so no erasure order exists",
                    cycle.join(", ")
                ),
            )),
        }
        for node in model.nodes.values() {
            for column in node.spec.identities.iter() {
                let Some(via) = &column.identifies else {
                    continue;
                };
                if !node
                    .links
                    .iter()
                    .any(|l| l.columns == [via.clone()] && model.nodes.contains_key(&l.parent))
                {
                    problems.push(Finding::new(
                        FindingKind::UnresolvedLink,
                        Some(&node.name),
                        Some(via),
                        format!(
                            "tables.{}.identities.{}: identifies = \"{via}\" must name a column that links to a mapped table (a foreign key or a `links` entry)",
                            node.name, column.identity
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

    /// The link an attribute table's `identifies` column follows to its entity.
    pub fn identified_link<'a>(&'a self, node: &'a Node, column: &str) -> Option<&'a Link> {
        node.links.iter().find(|l| {
            l.columns.len() == 1 && l.columns[0] == column && self.nodes.contains_key(&l.parent)
        })
    }

    /// Whether `table` is the tenant table.
    pub fn is_tenant_table(&self, table: &str) -> bool {
        self.tenant.as_ref().is_some_and(|t| t.name == table)
    }

    /// Every mapped table's routes to its tenant (see [`Route`]).
    fn tenant_routes(&self) -> BTreeMap<String, Vec<Route>> {
        // Tables whose every row reaches a tenant: a NOT NULL tenant column, or a NOT NULL
        // foreign key into the tenant table or into such a table (a fixpoint over the links).
        let mut total: BTreeSet<&str> = self
            .nodes
            .values()
            .filter(|n| {
                !n.global
                    && n.tenant
                        .as_ref()
                        .is_some_and(|(c, _)| !self.column_nullable(n, c))
            })
            .map(|n| n.name.as_str())
            .collect();
        loop {
            let before = total.len();
            for node in self.nodes.values().filter(|n| !n.global) {
                if node.links.iter().any(|l| self.total_link(node, l, &total)) {
                    total.insert(node.name.as_str());
                }
            }
            if total.len() == before {
                break;
            }
        }
        // Tables whose rows can reach a tenant by any route.
        let mut reach: BTreeSet<&str> = self
            .nodes
            .values()
            .filter(|n| !n.global && n.tenant.is_some())
            .map(|n| n.name.as_str())
            .collect();
        let tenant_owned: BTreeSet<&str> = self
            .tenant
            .iter()
            .flat_map(|t| t.links.iter().map(|l| l.parent.as_str()))
            .collect();
        reach.extend(tenant_owned.iter().copied());
        loop {
            let before = reach.len();
            for node in self.nodes.values().filter(|n| !n.global) {
                for link in node.links.iter().filter(|l| l.parent != node.name) {
                    if self.is_tenant_table(&link.parent) || reach.contains(link.parent.as_str()) {
                        reach.insert(node.name.as_str());
                    }
                    if link.owned
                        && reach.contains(node.name.as_str())
                        && self.nodes.get(&link.parent).is_some_and(|p| !p.global)
                    {
                        reach.insert(link.parent.as_str());
                    }
                }
            }
            if reach.len() == before {
                break;
            }
        }
        let mut out = BTreeMap::new();
        for node in self.nodes.values() {
            let mut routes = Vec::new();
            if node.global {
                out.insert(node.name.clone(), routes);
                continue;
            }
            if let Some((column, sql_type)) = &node.tenant {
                routes.push(Route::Column {
                    column: column.clone(),
                    sql_type: sql_type.clone(),
                });
            }
            let others = node.links.iter().filter(|l| l.parent != node.name);
            if !total.contains(node.name.as_str()) {
                for link in others {
                    if self.is_tenant_table(&link.parent) {
                        routes.push(Route::Tenant(link.clone()));
                    } else if reach.contains(link.parent.as_str()) {
                        routes.push(Route::Parent(link.clone()));
                    }
                }
                for owner in self
                    .nodes
                    .values()
                    .filter(|o| !o.global && reach.contains(o.name.as_str()))
                {
                    for link in owner
                        .links
                        .iter()
                        .filter(|l| l.owned && l.parent == node.name && owner.name != node.name)
                    {
                        routes.push(Route::OwnedBy {
                            owner: owner.name.clone(),
                            link: link.clone(),
                        });
                    }
                }
                for link in self
                    .tenant
                    .iter()
                    .flat_map(|t| &t.links)
                    .filter(|l| l.parent == node.name)
                {
                    routes.push(Route::OwnedByTenant(link.clone()));
                }
            } else if routes.is_empty() {
                // One total route is enough: every row has it, and any other route of the row
                // reaches the same tenant (or the platform's data is inconsistent, which
                // `map check` reports). Prefer the shortest: straight to the tenant table.
                let best = node
                    .links
                    .iter()
                    .filter(|l| self.total_link(node, l, &total))
                    .min_by_key(|l| (!self.is_tenant_table(&l.parent), l.parent.clone()))
                    .expect("a total table has a total link");
                routes.push(if self.is_tenant_table(&best.parent) {
                    Route::Tenant(best.clone())
                } else {
                    Route::Parent(best.clone())
                });
            }
            out.insert(node.name.clone(), routes);
        }
        out
    }

    fn column_nullable(&self, node: &Node, column: &str) -> bool {
        node.info.column(column).is_none_or(|c| c.nullable)
    }

    /// A NOT NULL foreign key into the tenant table or into a table every row of which reaches
    /// its tenant.
    fn total_link(&self, node: &Node, link: &Link, total: &BTreeSet<&str>) -> bool {
        link.parent != node.name
            && !link.nullable
            && link.enforced
            && (self.is_tenant_table(&link.parent) || total.contains(link.parent.as_str()))
    }

    /// Topological order of mapped tables, children (referencing) before parents (referenced),
    /// and the nullable links left out to break cycles. `Err` names the tables of a cycle in
    /// which no link can be broken.
    #[allow(clippy::type_complexity)]
    fn children_first(&self) -> Result<(Vec<String>, Vec<(String, Link)>), Vec<String>> {
        // parent -> (child, link) pairs that must be erased before it: the rows that
        // reference it (through `link`), and (with no link to break) the rows that reach their
        // tenant through a row it owns, which can no longer be found once the owner is gone.
        let mut remaining: BTreeMap<&str, Vec<(&str, Option<&Link>)>> = self
            .nodes
            .keys()
            .map(|n| (n.as_str(), Vec::new()))
            .collect();
        for node in self.nodes.values() {
            for link in &node.links {
                if link.parent != node.name && self.nodes.contains_key(&link.parent) {
                    remaining
                        .get_mut(link.parent.as_str())
                        .expect("mapped")
                        .push((node.name.as_str(), Some(link)));
                }
            }
        }
        // Rows that reach their tenant only through a row that an owner owns must go before
        // that owner: once it is gone, they cannot be found again.
        for owned in self.nodes.values() {
            for route in &owned.routes {
                let Route::OwnedBy { owner, .. } = route else {
                    continue;
                };
                for dependent in self.nodes.values() {
                    let through_owned = dependent.name != *owner
                        && dependent.name != owned.name
                        && dependent
                            .routes
                            .iter()
                            .any(|r| matches!(r, Route::Parent(l) if l.parent == owned.name));
                    if through_owned {
                        remaining
                            .get_mut(owner.as_str())
                            .expect("mapped")
                            .push((dependent.name.as_str(), None));
                    }
                }
            }
        }
        let mut order = Vec::new();
        let mut broken = Vec::new();
        while !remaining.is_empty() {
            // A table can go once nothing unvisited references it.
            let ready: Vec<&str> = remaining
                .iter()
                .filter(|(_, children)| children.is_empty())
                .map(|(n, _)| *n)
                .collect();
            if ready.is_empty() {
                // A cycle: break it at a nullable reference (cleared before erasing), the one
                // whose child has the fewest other references pending, by name for stability.
                let candidate = remaining
                    .iter()
                    .flat_map(|(parent, children)| {
                        children
                            .iter()
                            .filter_map(|(child, l)| l.filter(|l| l.nullable).map(|l| (*child, l)))
                            .map(move |(child, link)| (*parent, child, link))
                    })
                    // Prefer a reference that is not how the child reaches its tenant:
                    // clearing that one would hide the child's rows from a tenant deletion.
                    .min_by_key(|(parent, child, link)| {
                        let route = self.nodes[*child].routes.iter().any(
                            |r| matches!(r, Route::Parent(l) | Route::Tenant(l) if l == *link),
                        );
                        (route, remaining[parent].len(), *child, *parent)
                    });
                let Some((parent, child, link)) = candidate else {
                    return Err(remaining.keys().map(|s| s.to_string()).collect());
                };
                broken.push((child.to_owned(), link.clone()));
                remaining
                    .get_mut(parent)
                    .expect("remaining")
                    .retain(|(c, l)| !(*c == child && *l == Some(link)));
                continue;
            }
            for name in ready {
                remaining.remove(name);
                for children in remaining.values_mut() {
                    children.retain(|(c, _)| *c != name);
                }
                order.push(name.to_owned());
            }
        }
        Ok((order, broken))
    }
}

/// Resolves one `links` entry of the map against the schema. `parent_key` is the referenced
/// table's key (`None`: not a table privctl reads).
fn map_link(
    table: &str,
    info: &TableInfo,
    spec: &crate::map::LinkSpec,
    parent_key: Option<Vec<String>>,
    schema: &Schema,
    missing: &mut impl FnMut(FindingKind, &str, Option<&str>, String),
) -> Option<Link> {
    let Some(parent_key) = parent_key else {
        missing(
            FindingKind::UnresolvedLink,
            table,
            Some(&spec.column),
            format!(
                "tables.{table}.links: `{}` is not a table privctl reads (missing from the database, or its entry has problems)",
                spec.references
            ),
        );
        return None;
    };
    let parent_columns = match &spec.to {
        Some(to) => {
            let exists = schema
                .tables
                .get(&spec.references)
                .is_some_and(|t| t.column(to).is_some());
            if !exists {
                missing(
                    FindingKind::MissingColumn,
                    &spec.references,
                    Some(to),
                    format!(
                        "tables.{table}.links: `to = \"{to}\"`: column `{}`.`{to}` does not exist",
                        spec.references
                    ),
                );
                return None;
            }
            vec![to.clone()]
        }
        None => parent_key,
    };
    if parent_columns.len() != 1 {
        missing(
            FindingKind::UnresolvedLink,
            table,
            Some(&spec.column),
            format!(
                "tables.{table}.links: `{}` has a composite key; declare the link as a foreign key in the database, or name a unique column with `to`",
                spec.references
            ),
        );
        return None;
    }
    Some(Link {
        columns: vec![spec.column.clone()],
        parent: spec.references.clone(),
        parent_columns,
        owned: spec.owned,
        follow: spec.follow,
        nullable: info.column(&spec.column).is_some_and(|c| c.nullable),
        enforced: false,
    })
}
