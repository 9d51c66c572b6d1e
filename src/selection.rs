//! Subject selections: which rows of which tables belong to one data subject in one tenant.
//!
//! A selection starts at rows whose identity columns match the subject's normalised
//! identifiers and follows links: rows that reference a selected row join (parent → child), and
//! rows that a selected row references through an `owned` link join too (child → parent).
//! Every condition carries the tenant, directly or through the links.
//!
//! Reading (preview, export) nests each parent's selection as a subquery. Erasing first
//! materialises every table's selected keys in temporary tables, so deleting children does not
//! change what their parents' selections find.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use crate::db::{Dialect, Param, Sql, SqlType, Tx};
use crate::error::Failure;
use crate::map::{DataMap, IdentityKind, JsonSelector};
use crate::model::{Link, Model, Node, Route};

/// One identifier of the subject, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identifier {
    /// The name in `[identities]`.
    pub name: String,
    pub value: String,
}

/// The data subject: one or more identifiers (all naming the same person).
#[derive(Debug, Clone)]
pub struct Subject {
    pub identifiers: Vec<Identifier>,
}

impl Subject {
    /// The identities the subject is named by (`email`, `phone`, …), each once, never the values.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for i in &self.identifiers {
            if !kinds.contains(&i.name) {
                kinds.push(i.name.clone());
            }
        }
        kinds
    }

    /// Normalises `(identity, raw value)` pairs as the map's `[identities]` say. Errors never
    /// repeat the value: it is personal data.
    pub fn parse(map: &DataMap, given: &[(String, String)]) -> Result<Self, Failure> {
        if given.is_empty() {
            return Err(Failure::usage(
                "name the subject with --email, --phone or --identity NAME=VALUE",
            ));
        }
        let mut identifiers = Vec::new();
        for (name, raw) in given {
            let kind = map.identities.get(name).ok_or_else(|| {
                let known: Vec<&str> = map.identities.keys().map(String::as_str).collect();
                Failure::usage(format!(
                    "--identity {name}=…: the map declares no identity `{name}` (declared: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            })?;
            let value = normalise(kind, raw).map_err(|why| {
                Failure::usage(format!(
                    "--identity {name}: {why} (the value is not repeated here)"
                ))
            })?;
            identifiers.push(Identifier {
                name: name.clone(),
                value,
            });
        }
        identifiers.sort();
        identifiers.dedup();
        Ok(Self { identifiers })
    }
}

/// Normalises one identifier: emails trimmed and lower-cased, phones to E.164.
pub fn normalise(kind: &IdentityKind, raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("the value is empty".into());
    }
    match kind {
        IdentityKind::Email => {
            // ASCII folding, exactly as SQL `lower()` does in SQLite and PostgreSQL's C locale,
            // so input and stored values are normalised by the same function.
            let lower = trimmed.to_ascii_lowercase();
            let ok = lower
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
            if ok {
                Ok(lower)
            } else {
                Err("not an email address".into())
            }
        }
        IdentityKind::Phone { default_region } => crate::phone::e164(trimmed, *default_region),
        IdentityKind::Exact => Ok(raw.to_owned()),
    }
}

/// Where a parent's selection comes from when a child's condition refers to it.
#[derive(Debug, Clone)]
enum Source {
    /// Nested subqueries, evaluated by the database in the statement's snapshot.
    Inline,
    /// Temporary tables of keys, one per table.
    Materialized(BTreeMap<String, String>),
}

/// The rows of one subject in one tenant.
#[derive(Debug, Clone)]
pub struct SubjectSelection<'m> {
    model: &'m Model,
    tenant: Option<String>,
    subject: Subject,
    /// Tables that can hold the subject's rows, each after the tables its condition refers to.
    tables: Vec<String>,
    /// table → edges into it that make rows join.
    edges: BTreeMap<String, Vec<Edge<'m>>>,
    source: Source,
}

#[derive(Debug, Clone, Copy)]
enum Edge<'m> {
    /// Rows of this table referencing selected rows of the link's parent.
    Child(&'m Link),
    /// Rows of this table referenced by selected rows of `child` through an owned link.
    Owned(&'m Node, &'m Link),
    /// Rows of this table that an attribute row of `attribute` matching the subject names
    /// through `link` (`identifies`): selected as if they had matched themselves.
    Identifies(&'m Node, &'m crate::map::IdentityColumn, &'m Link),
}

impl Edge<'_> {
    /// The columns of this table's row that the edge constrains.
    fn columns_here(&self) -> &[String] {
        match self {
            Edge::Child(link) => &link.columns,
            Edge::Owned(_, link) | Edge::Identifies(_, _, link) => &link.parent_columns,
        }
    }

    /// The table whose rows this edge starts from.
    fn from(&self) -> &str {
        match self {
            Edge::Child(link) => &link.parent,
            Edge::Owned(child, _) => &child.name,
            Edge::Identifies(attribute, _, _) => &attribute.name,
        }
    }
}

impl<'m> SubjectSelection<'m> {
    pub fn new(
        model: &'m Model,
        tenant: Option<String>,
        subject: Subject,
    ) -> Result<Self, Failure> {
        let names: BTreeSet<&str> = subject
            .identifiers
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        // Every edge of the map, by the table it selects rows of. Global tables are matched
        // directly and never reached through a link, nor lead anywhere.
        let mut all_edges: BTreeMap<&str, Vec<Edge<'m>>> = BTreeMap::new();
        for node in model.nodes.values().filter(|n| !n.global) {
            for link in &node.links {
                let Some(parent) = model.nodes.get(&link.parent) else {
                    continue; // the tenant table is not followed
                };
                if link.parent == node.name || parent.global {
                    continue; // self-references are not followed
                }
                if link.owned && link.follow {
                    all_edges
                        .entry(parent.name.as_str())
                        .or_default()
                        .push(Edge::Owned(node, link));
                } else if !link.owned && link.follow {
                    all_edges
                        .entry(node.name.as_str())
                        .or_default()
                        .push(Edge::Child(link));
                }
            }
            for column in &node.spec.identities {
                if let Some(via) = &column.identifies
                    && names.contains(column.identity.as_str())
                    && let Some(link) = model.identified_link(node, via)
                    && !model.node(&link.parent).global
                {
                    all_edges
                        .entry(link.parent.as_str())
                        .or_default()
                        .push(Edge::Identifies(node, column, link));
                }
            }
        }
        let mut reachable: BTreeSet<&str> = model
            .nodes
            .values()
            .filter(|n| {
                n.spec
                    .identities
                    .iter()
                    .any(|c| names.contains(c.identity.as_str()))
            })
            .map(|n| n.name.as_str())
            .collect();
        loop {
            let before = reachable.len();
            for (table, edges) in &all_edges {
                if edges.iter().any(|e| reachable.contains(e.from())) {
                    reachable.insert(table);
                }
            }
            if reachable.len() == before {
                break;
            }
        }
        let mut edges: BTreeMap<String, Vec<Edge<'m>>> = BTreeMap::new();
        let mut depends: BTreeMap<&str, BTreeSet<&str>> =
            reachable.iter().map(|t| (*t, BTreeSet::new())).collect();
        for (table, table_edges) in &all_edges {
            for edge in table_edges.iter().filter(|e| reachable.contains(e.from())) {
                edges.entry((*table).to_owned()).or_default().push(*edge);
                // An attribute row names its entity by matching itself, not by being
                // selected: no dependency on the attribute table's selection.
                if !matches!(edge, Edge::Identifies(..)) {
                    depends
                        .get_mut(table)
                        .expect("reachable")
                        .insert(edge.from());
                }
            }
        }
        // Each table after the tables its condition refers to; a cycle of links is entered at
        // the table with the fewest pending dependencies, and its condition walks the cycle once.
        let mut tables = Vec::new();
        while !depends.is_empty() {
            let mut ready: Vec<&str> = depends
                .iter()
                .filter(|(_, d)| d.is_empty())
                .map(|(t, _)| *t)
                .collect();
            if ready.is_empty() {
                let entry = depends
                    .iter()
                    .min_by_key(|(t, d)| (d.len(), **t))
                    .map(|(t, _)| *t)
                    .expect("not empty");
                ready.push(entry);
            }
            for t in ready {
                depends.remove(t);
                for d in depends.values_mut() {
                    d.remove(t);
                }
                tables.push(t.to_owned());
            }
        }
        Ok(Self {
            model,
            tenant,
            subject,
            tables,
            edges,
            source: Source::Inline,
        })
    }

    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Tables that can hold the subject's rows, parents of the selection first.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    pub fn contains(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
    }

    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Materialises every table's selected keys into temporary tables (parents of the
    /// selection first), so later statements see the selection as it was at this moment.
    pub async fn materialize(&mut self, tx: &mut Tx) -> Result<()> {
        let mut temp = BTreeMap::new();
        for (i, table) in self.tables.iter().enumerate() {
            let name = format!("privctl_sel_{i}");
            let qualified = tx.dialect().sql_ops().temp_table(&name);
            let mut drop = tx.sql();
            drop.push("DROP TABLE IF EXISTS ").push(&qualified);
            tx.execute(&drop).await?;
            let node = self.model.node(table);
            let mut sql = tx.sql();
            sql.push("CREATE TEMPORARY TABLE ")
                .push(&name)
                .push(tx.dialect().sql_ops().temp_table_on_commit());
            sql.push(" AS SELECT ")
                .columns("t", &node.key)
                .push(" FROM ")
                .ident(table)
                .push(" t WHERE ");
            let mut counter = 0;
            self.push_condition(&mut sql, table, "t", &mut counter, &mut Vec::new());
            tx.execute(&sql).await?;
            if let Some(analyze) = tx.dialect().sql_ops().analyze_temp_table(&qualified) {
                let mut sql = tx.sql();
                sql.push(&analyze);
                tx.execute(&sql).await?;
            }
            temp.insert(table.clone(), qualified);
            // Later tables refer to this one through its temporary table.
            self.source = Source::Materialized(temp.clone());
        }
        self.source = Source::Materialized(temp);
        Ok(())
    }

    /// Drops the temporary tables (PostgreSQL drops them at commit anyway).
    pub async fn release(&self, tx: &mut Tx) -> Result<()> {
        if let Source::Materialized(temp) = &self.source {
            for qualified in temp.values() {
                let mut drop = tx.sql();
                drop.push("DROP TABLE IF EXISTS ").push(qualified);
                tx.execute(&drop).await?;
            }
        }
        Ok(())
    }

    /// `SELECT <key as JSON> FROM table WHERE <selected> ORDER BY key`.
    pub fn select_keys(&self, table: &str) -> Sql {
        let node = self.model.node(table);
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT ");
        push_key_json(&mut sql, "t", &node.key);
        sql.push(" FROM ").ident(table).push(" t WHERE ");
        self.push_selected(&mut sql, table, "t", &mut 0);
        sql.push(" ORDER BY ").columns("t", &node.key);
        sql
    }

    /// [`Self::select_keys`] of several tables in one statement: rows of
    /// `(position in tables, key as JSON)`, the tables in the order given, each table's keys in
    /// key order. Each table's part is its own `SELECT`, under `UNION ALL`.
    pub fn select_keys_of(&self, tables: &[&str]) -> Sql {
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT s.privctl_table, s.privctl_key FROM (");
        for (i, table) in tables.iter().enumerate() {
            let node = self.model.node(table);
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT ")
                .push(&i.to_string())
                .push(" AS privctl_table, row_number() OVER (ORDER BY ")
                .columns("t", &node.key)
                .push(") AS privctl_row, ");
            push_key_json(&mut sql, "t", &node.key);
            sql.push(" AS privctl_key FROM ")
                .ident(table)
                .push(" t WHERE ");
            self.push_selected(&mut sql, table, "t", &mut 0);
        }
        sql.push(") s ORDER BY s.privctl_table, s.privctl_row");
        sql
    }

    /// [`Self::select_keys`] among the rows whose keys `keys_json` holds (a JSON array of keys as
    /// [`push_key_json`] writes them), read through the table's key: whether the selection
    /// selects a few given rows, without reading what it would select in the whole table (with
    /// no tenant to narrow it, a scan of every contact per question).
    pub fn select_keys_among(&self, table: &str, keys_json: &str) -> Sql {
        let node = self.model.node(table);
        let types: Vec<SqlType> = node.key.iter().map(|k| node.info.cast_type(k)).collect();
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT ");
        push_key_json(&mut sql, "t", &node.key);
        sql.push(" FROM ").ident(table).push(" t WHERE ");
        sql.key_in_json("t", &node.key, &types, keys_json)
            .push(" AND (");
        self.push_selected(&mut sql, table, "t", &mut 0);
        sql.push(") ORDER BY ").columns("t", &node.key);
        sql
    }

    /// `SELECT count(*)` of the rows of `table` whose keys the materialised selection holds:
    /// after an erasure, the rows it meant to delete that still exist.
    pub fn count_materialized(&self, table: &str) -> Option<Sql> {
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT count(*) FROM ")
            .ident(table)
            .push(" t WHERE ");
        self.push_materialized(&mut sql, table, "t")?;
        Some(sql)
    }

    /// `SELECT count(*) FROM table t WHERE (<selected>)` (re-evaluated inline, for checks); a
    /// caller may add ` AND <condition>` on `t`.
    pub fn count_inline(&self, table: &str) -> Sql {
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT count(*) FROM ")
            .ident(table)
            .push(" t WHERE ");
        self.push_selected_inline(&mut sql, table, "t");
        sql
    }

    /// Pushes `(<selected>)` for `table` under `alias`, re-evaluated inline (never from the
    /// materialised keys): what a fresh selection finds now.
    pub fn push_selected_inline(&self, sql: &mut Sql, table: &str, alias: &str) {
        let inline = Self {
            source: Source::Inline,
            ..self.clone()
        };
        sql.push("(");
        inline.push_condition(sql, table, alias, &mut 0, &mut Vec::new());
        sql.push(")");
    }

    /// Pushes a condition true for the rows of `table` under `alias` whose keys the
    /// materialised selection holds (`None` before [`SubjectSelection::materialize`]).
    pub fn push_materialized(&self, sql: &mut Sql, table: &str, alias: &str) -> Option<()> {
        let Source::Materialized(temp) = &self.source else {
            return None;
        };
        let qualified = temp.get(table)?;
        let node = self.model.node(table);
        sql.tuple(alias, &node.key)
            .push(" IN (SELECT ")
            .columns("s", &node.key)
            .push(" FROM ")
            .push(qualified)
            .push(" s)");
        Some(())
    }

    /// Rows of `table` as JSON objects, in key order.
    pub fn select_rows(&self, table: &str) -> Sql {
        let node = self.model.node(table);
        let mut sql = Sql::new(self.model.dialect);
        crate::db::open_json_rows(&mut sql, &node.info, "t");
        sql.push(" FROM ").ident(table).push(" t WHERE ");
        self.push_selected(&mut sql, table, "t", &mut 0);
        sql.push(" ORDER BY ").columns("t", &node.key);
        crate::db::close_json_rows(&mut sql);
        sql
    }

    /// Pushes a condition true for the rows of `child` (under `alias`) whose `link` points at a
    /// selected row of its parent: the child's selected rows, or with `from_outside` any of the
    /// tenant's rows (the link is not followed, so the rows stay out of the selection).
    pub fn push_linked_to_selected(
        &self,
        sql: &mut Sql,
        child: &str,
        alias: &str,
        link: &Link,
        from_outside: bool,
        counter: &mut usize,
    ) {
        if from_outside {
            self.push_scope(sql, child, alias, counter);
        } else {
            self.push_selected(sql, child, alias, counter);
        }
        sql.push(" AND ")
            .tuple(alias, &link.columns)
            .push(" IN (SELECT ")
            .columns("p", &link.parent_columns);
        sql.push(" FROM ").ident(&link.parent).push(" p WHERE ");
        self.push_selected(sql, &link.parent, "p", counter);
        sql.push(")");
    }

    /// Pushes a condition true for the selected rows of `table` under `alias`.
    pub fn push_selected(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        self.push_selected_avoiding(sql, table, alias, counter, &mut Vec::new());
    }

    fn push_selected_avoiding(
        &self,
        sql: &mut Sql,
        table: &str,
        alias: &str,
        counter: &mut usize,
        path: &mut Vec<String>,
    ) {
        match &self.source {
            Source::Materialized(temp) if temp.contains_key(table) => {
                let node = self.model.node(table);
                // Rows that belong to the tenant through their owner are erased after it (the
                // owner holds the foreign key), when that route is gone: their keys were
                // selected within the tenant, and the key alone names them now.
                let owned_route = node
                    .routes
                    .iter()
                    .any(|r| matches!(r, Route::OwnedBy { .. } | Route::OwnedByTenant(_)));
                if owned_route {
                    sql.push("1 = 1");
                } else {
                    self.push_scope(sql, table, alias, counter);
                }
                sql.push(" AND ")
                    .tuple(alias, &node.key)
                    .push(" IN (SELECT ");
                sql.columns("s", &node.key)
                    .push(" FROM ")
                    .push(&temp[table])
                    .push(" s)");
            }
            _ => self.push_condition(sql, table, alias, counter, path),
        }
    }

    /// The defining condition: tenant scope AND (identity match OR an edge from a selected row).
    /// Edges from tables on `path` (whose condition is being written around this one) are left
    /// out, so a cycle of links is walked once.
    fn push_condition(
        &self,
        sql: &mut Sql,
        table: &str,
        alias: &str,
        counter: &mut usize,
        path: &mut Vec<String>,
    ) {
        let node = self.model.node(table);
        let tree: Vec<&Link> = self_links(node);
        if tree.is_empty() || node.key.len() != 1 {
            return self.push_condition_base(sql, table, alias, counter, path);
        }
        // A tree declared in the map (a run and the runs it started): the rows selected on
        // their own, and every row under them, transitively, within the tenant.
        *counter += 1;
        let cte = format!("privctl_tree{counter}");
        let (b, c) = (format!("b{counter}"), format!("c{counter}"));
        let key = &node.key[0];
        self.push_scope(sql, table, alias, counter);
        sql.push(" AND ")
            .column(alias, key)
            .push(&format!(" IN (WITH RECURSIVE {cte}(k) AS (SELECT "))
            .column(&b, key)
            .push(" FROM ")
            .ident(table)
            .push(" ")
            .push(&b)
            .push(" WHERE ");
        self.push_condition_base(sql, table, &b, counter, path);
        sql.push(" UNION SELECT ")
            .column(&c, key)
            .push(" FROM ")
            .ident(table)
            .push(" ")
            .push(&c)
            .push(&format!(" JOIN {cte} r ON ("));
        for (i, link) in tree.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.column(&c, &link.columns[0]).push(" = r.k");
        }
        sql.push(") WHERE ");
        self.push_scope(sql, table, &c, counter);
        sql.push(&format!(") SELECT k FROM {cte})"));
    }

    fn push_condition_base(
        &self,
        sql: &mut Sql,
        table: &str,
        alias: &str,
        counter: &mut usize,
        path: &mut Vec<String>,
    ) {
        let node = self.model.node(table);
        self.push_own_scope(sql, table, alias, counter);
        sql.push(" AND (");
        path.push(table.to_owned());
        let mut first = true;
        let mut or = |sql: &mut Sql| {
            if !std::mem::take(&mut first) {
                sql.push(" OR ");
            }
        };
        for column in &node.spec.identities {
            for identifier in self
                .subject
                .identifiers
                .iter()
                .filter(|i| i.name == column.identity)
            {
                let kind = &self.model_identity_kind(&column.identity);
                or(sql);
                push_identity_match(sql, alias, column, kind, &identifier.value, node);
            }
        }
        // Edges that constrain the same columns of this row go into one `IN (… UNION ALL …)`:
        // PostgreSQL turns one IN into a semi-join, where an OR of two INs makes it test every
        // row of the table in scope against both (an address owned by a contact or by an order:
        // 45.8 ms for a subject who owns none, 0.24 ms as one IN).
        let mut groups: Vec<(&[String], Vec<&Edge>)> = Vec::new();
        for edge in self.edges.get(table).into_iter().flatten() {
            let from = edge.from();
            let materialized =
                matches!(&self.source, Source::Materialized(temp) if temp.contains_key(from));
            let independent = matches!(edge, Edge::Identifies(..));
            if !materialized && !independent && path.iter().any(|p| p == from) {
                continue;
            }
            let columns = edge.columns_here();
            match groups.iter_mut().find(|(c, _)| *c == columns) {
                Some((_, edges)) => edges.push(edge),
                None => groups.push((columns, vec![edge])),
            }
        }
        for (columns, edges) in groups {
            or(sql);
            sql.tuple(alias, columns).push(" IN (");
            for (i, edge) in edges.into_iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                *counter += 1;
                let inner = format!("p{counter}");
                self.push_edge_select(sql, edge, &inner, counter, path);
            }
            sql.push(")");
        }
        path.pop();
        if first {
            sql.push("1 = 0");
        }
        sql.push(")");
    }

    /// `SELECT <the edge's columns> FROM <its table> <inner> WHERE <its rows that select this
    /// one>`: one member of the union that [`Self::push_condition_base`] tests a row against.
    fn push_edge_select(
        &self,
        sql: &mut Sql,
        edge: &Edge,
        inner: &str,
        counter: &mut usize,
        path: &mut Vec<String>,
    ) {
        let (from, columns) = match edge {
            Edge::Child(link) => (link.parent.as_str(), &link.parent_columns),
            Edge::Owned(child, link) => (child.name.as_str(), &link.columns),
            Edge::Identifies(attribute, _, link) => (attribute.name.as_str(), &link.columns),
        };
        sql.push("SELECT ")
            .columns(inner, columns)
            .push(" FROM ")
            .ident(from)
            .push(" ")
            .push(inner)
            .push(" WHERE ");
        match edge {
            Edge::Child(_) | Edge::Owned(..) => {
                self.push_selected_avoiding(sql, from, inner, counter, path);
            }
            Edge::Identifies(attribute, column, _) => {
                // The attribute rows that match the subject name this row.
                self.push_scope(sql, &attribute.name, inner, counter);
                sql.push(" AND (");
                let kind = self.model_identity_kind(&column.identity);
                let mut any = false;
                for identifier in self
                    .subject
                    .identifiers
                    .iter()
                    .filter(|i| i.name == column.identity)
                {
                    if std::mem::replace(&mut any, true) {
                        sql.push(" OR ");
                    }
                    push_identity_match(sql, inner, column, &kind, &identifier.value, attribute);
                }
                if !any {
                    sql.push("1 = 0");
                }
                sql.push(")");
            }
        }
    }

    /// The tenant condition for `table` under `alias`.
    pub fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        push_tenant_scope(
            self.model,
            self.tenant.as_deref(),
            sql,
            table,
            alias,
            counter,
        );
    }

    /// The tenant condition in `table`'s defining condition ([`Self::push_condition_base`]):
    /// [`Self::push_scope`], or `1 = 1` where the rest of the condition already implies it.
    /// That is so when the subject's identifiers match no column of `table` and every edge
    /// into it is a link, by the parent's key, to a parent whose only routes to the tenant are
    /// its own tenant column (or a link to the tenant table) and which is one of `table`'s
    /// routes: a row is then selected only when its parent row is, the parent's selected rows
    /// carry the parent's tenant condition, and that parent row is the route that puts the row
    /// in the tenant. (A table without such a cheap route was scoped with a subquery over every
    /// row of the tenant it reaches through: 148 ms a statement on SQLite for a tenant of 100,000
    /// conversations, where the selection reads a handful of them; issue 16.) Only where the
    /// selection is evaluated inline: materialised keys are erased by key alone.
    fn push_own_scope(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        if self.scope_implied(table) {
            sql.push("1 = 1");
        } else {
            self.push_scope(sql, table, alias, counter);
        }
    }

    /// See [`Self::push_own_scope`].
    fn scope_implied(&self, table: &str) -> bool {
        let has_own_route = |node: &Node| {
            !node.global
                && !node.routes.is_empty()
                && node
                    .routes
                    .iter()
                    .all(|r| matches!(r, Route::Column { .. } | Route::Tenant(_)))
        };
        let node = self.model.node(table);
        if !matches!(self.source, Source::Inline) || self.tenant.is_none() || has_own_route(node) {
            return false;
        }
        let matched_itself = node.spec.identities.iter().any(|column| {
            self.subject
                .identifiers
                .iter()
                .any(|i| i.name == column.identity)
        });
        let edges = self.edges.get(table).map_or(&[][..], Vec::as_slice);
        !matched_itself
            && !edges.is_empty()
            && edges.iter().all(|edge| match edge {
                Edge::Child(link) => {
                    let parent = self.model.node(&link.parent);
                    link.parent_columns == parent.key
                        && has_own_route(parent)
                        && node
                            .routes
                            .iter()
                            .any(|r| matches!(r, Route::Parent(l) if l == *link))
                }
                Edge::Owned(..) | Edge::Identifies(..) => false,
            })
    }

    fn model_identity_kind(&self, name: &str) -> IdentityKind {
        self.model
            .identities
            .get(name)
            .cloned()
            .unwrap_or(IdentityKind::Exact)
    }
}

/// The links of `node` to itself that the map declares to be followed (`links = [{ column =
/// "parent_id", references = "<itself>" }]`): rows under a selected row join it. A foreign key
/// to the same table is not followed unless the map says so (a reply is not its parent's).
fn self_links(node: &Node) -> Vec<&Link> {
    node.links
        .iter()
        .filter(|l| {
            l.parent == node.name
                && l.follow
                && !l.owned
                && l.columns.len() == 1
                && l.parent_columns == node.key
                && node
                    .spec
                    .links
                    .iter()
                    .any(|d| d.references == node.name && d.column == l.columns[0])
        })
        .collect()
}

/// Pushes the tenant condition for `table`: the union of its routes to the tenant (its tenant
/// column, links to tables of the tenant, owners of the tenant, the tenant row's own links). A
/// global table, or a single-tenant map, gets `1 = 1`.
pub fn push_tenant_scope(
    model: &Model,
    tenant: Option<&str>,
    sql: &mut Sql,
    table: &str,
    alias: &str,
    counter: &mut usize,
) {
    push_scope_avoiding(
        (model, tenant),
        sql,
        table,
        alias,
        counter,
        &mut Vec::new(),
        None,
    );
}

/// A condition true for the rows of `table` (under `alias`) whose links lead to two different
/// tenants, and the names of the routes compared; `None` when fewer than two routes give a
/// tenant id. Each link into the tenant table, or into a table whose tenant is one chain of
/// single routes away, gives the row a tenant id (as text); two different non-NULL ids in one
/// row are a fault of the platform's data. Not with nested tenants: a sub-tenant's rows are its
/// tenant's.
pub fn cross_tenant_condition(model: &Model, table: &str, alias: &str) -> Option<CrossTenant> {
    let t = model.tenant.as_ref()?;
    if t.parent.is_some() {
        return None;
    }
    let node = model.node(table);
    if node.global {
        return None;
    }
    let d = model.dialect;
    let mut ids: Vec<(String, String)> = Vec::new();
    let mut via: Vec<CrossRoute> = Vec::new();
    if let Some((column, sql_type)) = &node.tenant {
        ids.push((
            format!("`{column}`"),
            format!("CAST({alias}.{} AS text)", d.quote(column)),
        ));
        via.push(CrossRoute::Column(column.clone(), sql_type.clone()));
    }
    for link in node
        .links
        .iter()
        .filter(|l| l.parent != node.name && l.columns.len() == 1)
    {
        if node
            .tenant
            .as_ref()
            .is_some_and(|(c, _)| *c == link.columns[0])
        {
            continue; // the tenant column itself
        }
        let column = d.quote(&link.columns[0]);
        let inner = format!("{alias}_x{}", ids.len());
        let id = if model.is_tenant_table(&link.parent) {
            Some(format!("CAST({alias}.{column} AS text)"))
        } else {
            tenant_of(model, &link.parent, &inner, 1).map(|expr| {
                format!(
                    "(SELECT {expr} FROM {} {inner} WHERE {inner}.{} = {alias}.{column})",
                    d.quote(&link.parent),
                    d.quote(&link.parent_columns[0])
                )
            })
        };
        if let Some(id) = id {
            ids.push((format!("`{}` (to `{}`)", link.columns[0], link.parent), id));
            via.push(if model.is_tenant_table(&link.parent) {
                CrossRoute::Column(link.columns[0].clone(), t.id_type.clone())
            } else {
                CrossRoute::Parent(link.clone())
            });
        }
    }
    if ids.len() < 2 {
        return None;
    }
    let mut pairs = Vec::new();
    for (i, (_, a)) in ids.iter().enumerate() {
        for (_, b) in &ids[i + 1..] {
            pairs.push(format!(
                "({a} IS NOT NULL AND {b} IS NOT NULL AND {a} <> {b})"
            ));
        }
    }
    Some(CrossTenant {
        condition: format!("({})", pairs.join(" OR ")),
        routes: ids.iter().map(|(name, _)| name.clone()).collect(),
        via,
    })
}

/// One route [`cross_tenant_condition`] compares.
#[derive(Debug, Clone)]
pub enum CrossRoute {
    /// A column holding the tenant id (the tenant column, or a link to the tenant table), and
    /// the id's SQL type.
    Column(String, SqlType),
    /// A link to a mapped table.
    Parent(Link),
}

impl CrossRoute {
    /// Pushes the condition that this route leads the row under `alias` to `tenant` (indexable:
    /// a column equality, or a column in the parent's rows of the tenant).
    pub fn push_reaches(&self, model: &Model, tenant: &str, sql: &mut Sql, alias: &str) {
        match self {
            CrossRoute::Column(column, sql_type) => {
                sql.column(alias, column)
                    .push(" = ")
                    .bind_as(tenant, sql_type);
            }
            CrossRoute::Parent(link) => {
                sql.in_select(
                    alias,
                    &link.columns,
                    &link.parent,
                    "r",
                    &link.parent_columns,
                );
                push_tenant_scope(model, Some(tenant), sql, &link.parent, "r", &mut 0);
                sql.push(")");
            }
        }
    }
}

/// See [`cross_tenant_condition`].
#[derive(Debug, Clone)]
pub struct CrossTenant {
    /// True for rows whose routes give two different tenant ids.
    pub condition: String,
    /// The routes compared, as the map names them.
    pub routes: Vec<String>,
    /// The same routes, to ask which rows each leads to one tenant.
    pub via: Vec<CrossRoute>,
}

/// The tenant id of `table`'s row under `alias` as a text expression, when it is one chain of
/// single routes away (`depth` bounds the chain).
fn tenant_of(model: &Model, table: &str, alias: &str, depth: usize) -> Option<String> {
    let d = model.dialect;
    let node = model.nodes.get(table)?;
    if depth > 8 || node.global {
        return None;
    }
    match node.routes.as_slice() {
        [Route::Column { column, .. }] => {
            Some(format!("CAST({alias}.{} AS text)", d.quote(column)))
        }
        [Route::Tenant(link)] => Some(format!(
            "CAST({alias}.{} AS text)",
            d.quote(&link.columns[0])
        )),
        [Route::Parent(link)] if link.columns.len() == 1 => {
            let inner = format!("{alias}_{depth}");
            let expr = tenant_of(model, &link.parent, &inner, depth + 1)?;
            Some(format!(
                "(SELECT {expr} FROM {} {inner} WHERE {inner}.{} = {alias}.{})",
                d.quote(&link.parent),
                d.quote(&link.parent_columns[0]),
                d.quote(&link.columns[0])
            ))
        }
        _ => None,
    }
}

/// Stands for "some tenant" in [`count_tenantless`]; never a tenant id (it holds a NUL).
const ANY_TENANT: &str = "\0privctl-any-tenant";

/// `SELECT count(*)` of the rows of `table` that no route leads to any tenant (`map check`
/// warns on them; delete-tenant compares the count before and after).
pub fn count_tenantless(model: &Model, table: &str) -> Sql {
    let mut sql = Sql::new(model.dialect);
    sql.push("SELECT count(*) FROM ")
        .ident(table)
        .push(" t WHERE NOT COALESCE((");
    push_tenant_scope(model, Some(ANY_TENANT), &mut sql, table, "t", &mut 0);
    // A NULL reference makes its route unknown, not false.
    sql.push("), 1 = 0)");
    sql
}

/// [`push_tenant_scope`] without the route through `without` (one of `table`'s links): true
/// for the rows that still belong to the tenant once that reference is cleared.
pub fn push_tenant_scope_without(
    model: &Model,
    tenant: Option<&str>,
    sql: &mut Sql,
    table: &str,
    alias: &str,
    without: &Link,
) {
    push_scope_avoiding(
        (model, tenant),
        sql,
        table,
        alias,
        &mut 0,
        &mut Vec::new(),
        Some(without),
    );
}

/// [`push_tenant_scope`], leaving out routes through the tables on `path` (the routes being
/// written around this one), so a cycle of links is walked once.
fn push_scope_avoiding(
    (model, tenant): (&Model, Option<&str>),
    sql: &mut Sql,
    table: &str,
    alias: &str,
    counter: &mut usize,
    path: &mut Vec<String>,
    without: Option<&Link>,
) {
    let Some(tenant) = tenant else {
        sql.push("1 = 1");
        return;
    };
    let node = model.node(table);
    if node.global {
        sql.push("1 = 1");
        return;
    }
    let routes: Vec<&Route> = node
        .routes
        .iter()
        .filter(|r| {
            r.via()
                .is_none_or(|via| via != table && !path.iter().any(|p| p == via))
        })
        .filter(
            |r| !matches!((r, without), (Route::Parent(l) | Route::Tenant(l), Some(w)) if l == w),
        )
        .collect();
    if routes.is_empty() {
        // Model::build refuses maps where a table cannot reach its tenant; a route cut by a
        // cycle finds nothing.
        sql.push("1 = 0");
        return;
    }
    path.push(table.to_owned());
    let several = routes.len() > 1;
    if several {
        sql.push("(");
    }
    for (i, route) in routes.into_iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        match route {
            Route::Column { column, sql_type } => {
                sql.column(alias, column).push(" ");
                push_tenant_is(model, tenant, sql, sql_type);
            }
            Route::Tenant(link) => {
                let id_type = model.tenant.as_ref().map_or(&SqlType::TEXT, |t| &t.id_type);
                sql.column(alias, &link.columns[0]).push(" ");
                push_tenant_is(model, tenant, sql, id_type);
            }
            Route::Parent(link) => {
                *counter += 1;
                let inner = format!("s{counter}");
                sql.in_select(
                    alias,
                    &link.columns,
                    &link.parent,
                    &inner,
                    &link.parent_columns,
                );
                push_scope_avoiding(
                    (model, Some(tenant)),
                    sql,
                    &link.parent,
                    &inner,
                    counter,
                    path,
                    None,
                );
                sql.push(")");
            }
            Route::OwnedBy { owner, link } => {
                *counter += 1;
                let inner = format!("s{counter}");
                sql.in_select(alias, &link.parent_columns, owner, &inner, &link.columns);
                push_scope_avoiding(
                    (model, Some(tenant)),
                    sql,
                    owner,
                    &inner,
                    counter,
                    path,
                    None,
                );
                sql.push(")");
            }
            Route::OwnedByTenant(link) => {
                let t = model
                    .tenant
                    .as_ref()
                    .expect("a tenant route needs [tenant]");
                *counter += 1;
                let inner = format!("s{counter}");
                sql.in_select(alias, &link.parent_columns, &t.name, &inner, &link.columns)
                    .column(&inner, &t.id)
                    .push(" ");
                push_tenant_is(model, tenant, sql, &t.id_type);
                sql.push(")");
            }
        }
    }
    path.pop();
    if several {
        sql.push(")");
    }
}

/// `= $tenant`, or with nested tenants `IN (<the tenant and every tenant under it>)`.
fn push_tenant_is(model: &Model, tenant: &str, sql: &mut Sql, sql_type: &SqlType) {
    if tenant == ANY_TENANT {
        sql.push("IN (SELECT ");
        let t = model
            .tenant
            .as_ref()
            .expect("a tenant route needs [tenant]");
        let d = sql.dialect();
        sql.push(&format!("{} FROM {})", d.quote(&t.id), d.quote(&t.name)));
        return;
    }
    match model
        .tenant
        .as_ref()
        .and_then(|t| t.parent.as_ref().map(|p| (t, p)))
    {
        None => {
            sql.push("= ").bind_as(tenant, sql_type);
        }
        Some((t, parent)) => {
            sql.push("IN (");
            push_tenant_tree(sql, t, parent, tenant);
            sql.push(")");
        }
    }
}

/// `WITH RECURSIVE … SELECT id`: the ids of the tenant and of every tenant under it.
pub fn push_tenant_tree(sql: &mut Sql, tenant: &crate::model::TenantNode, parent: &str, id: &str) {
    let d = sql.dialect();
    let table = d.quote(&tenant.name);
    let key = d.quote(&tenant.id);
    let up = d.quote(parent);
    sql.push(&format!(
        "WITH RECURSIVE privctl_tree(id) AS (SELECT {key} FROM {table} WHERE {key} = "
    ))
    .bind_as(id, &tenant.id_type)
    .push(&format!(
        " UNION SELECT c.{key} FROM {table} c JOIN privctl_tree p ON c.{up} = p.id) SELECT id FROM privctl_tree"
    ));
}

fn push_identity_match(
    sql: &mut Sql,
    alias: &str,
    column: &crate::map::IdentityColumn,
    kind: &IdentityKind,
    value: &str,
    node: &Node,
) {
    let dialect = sql.dialect();
    let ops = dialect.sql_ops();
    let sql_type = node
        .info
        .column(&column.column)
        .map_or(SqlType::TEXT, |c| SqlType::from_catalog(&c.sql_type));
    let json_typed = node
        .info
        .column(&column.column)
        .is_some_and(|c| is_json_type(&c.sql_type));
    sql.push("(");
    let col = format!("{alias}.{}", dialect.quote(&column.column));
    match &column.json {
        None if *kind == IdentityKind::Exact && !column.within => {
            sql.column(alias, &column.column)
                .push(" = ")
                .bind_as(value, &sql_type);
        }
        None | Some(JsonSelector::Path(_)) => {
            let expr =
                match_expression(dialect, &col, column, kind, json_typed).expect("not json = any");
            if column.within {
                push_within(sql, kind, &format!("CAST({expr} AS text)"), value);
            } else {
                sql.push(&expr)
                    .push(" = ")
                    .bind(Param::Text(value.to_owned()));
            }
        }
        Some(JsonSelector::Any) => {
            if ops.json_strings_prefilter(json_typed) {
                // Only rows whose text contains the identifier are parsed.
                sql.contains(
                    &normalised(kind, &format!("lower({col})")),
                    &value.to_lowercase(),
                )
                .push(" AND ");
            }
            sql.push(&ops.json_strings_open(&col, json_typed));
            if !column.within {
                push_normalised(sql, kind, ops.json_string_value());
            }
            if column.within {
                // The normalised string value is what push_within searches.
                let expr = normalised(kind, ops.json_string_value());
                sql.push("1 = 1 AND ");
                push_within(sql, kind, &expr, value);
                sql.push(")");
            } else {
                sql.push(" = ")
                    .bind(Param::Text(value.to_owned()))
                    .push(")");
            }
        }
    }
    if let Some(when) = &column.when {
        // Map SQL, one expression in this dialect (checked when the model was built).
        sql.push(" AND ").condition(when);
    }
    sql.push(")");
}

/// A json or jsonb column (on PostgreSQL its text is always valid JSON).
pub fn is_json_type(sql_type: &str) -> bool {
    matches!(sql_type.to_ascii_lowercase().as_str(), "json" | "jsonb")
}

/// `match = "within"`: the normalised identifier (or, for emails, its URL-encoded spelling)
/// occurs inside `expr`, bounded by characters that cannot belong to it: `email:jane@x.com`
/// and `?to=jane%40x.com` match, `majane@x.com` does not. The pattern is built from the
/// normalised value and bound, never pasted (see [`crate::db::SqlDialect::push_bounded_match`]).
fn push_within(sql: &mut Sql, kind: &IdentityKind, expr: &str, value: &str) {
    // Characters that may surround an identifier of this kind without being part of it.
    let (before, after) = match kind {
        IdentityKind::Email => ("a-z0-9._%+-", "a-z0-9.-"),
        IdentityKind::Phone { .. } => ("0-9+", "0-9"),
        IdentityKind::Exact => ("A-Za-z0-9_-", "A-Za-z0-9_-"),
    };
    let mut spellings = vec![value.to_owned()];
    if *kind == IdentityKind::Email {
        spellings.push(value.replace('@', "%40"));
    }
    let padded = format!("(' ' || {expr} || ' ')");
    sql.push("(");
    for (i, spelling) in spellings.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.dialect()
            .sql_ops()
            .push_bounded_match(sql, &padded, before, after, spelling);
    }
    sql.push(")");
}

/// The expression an identity column is compared on: the stored value (or the value at a JSON
/// path of it) normalised as input is. `column_sql` is the quoted, possibly qualified, column.
/// `None` for `json = "any"`, which searches every string of the document. `map check` looks
/// for an index on exactly this expression.
pub fn match_expression(
    dialect: Dialect,
    column_sql: &str,
    column: &crate::map::IdentityColumn,
    kind: &IdentityKind,
    json_typed: bool,
) -> Option<String> {
    let value = match &column.json {
        None => column_sql.to_owned(),
        Some(JsonSelector::Any) => return None,
        Some(JsonSelector::Path(path)) => {
            let mut text = Sql::new(dialect);
            text.json_path_text(column_sql, json_typed, path);
            text.text().to_owned()
        }
    };
    Some(normalised(kind, &value))
}

/// The stored value normalised the way input is: emails trimmed and lower-cased; phones without
/// spaces, dashes, dots and parentheses.
fn push_normalised(sql: &mut Sql, kind: &IdentityKind, expr: &str) {
    sql.push(&normalised(kind, expr));
}

/// The SQL expression that normalises `expr` for `kind` (see [`push_normalised`]); `map check`
/// looks for an index on exactly this expression.
pub fn normalised(kind: &IdentityKind, expr: &str) -> String {
    match kind {
        IdentityKind::Email => format!("lower(trim({expr}))"),
        IdentityKind::Phone { .. } => format!(
            "replace(replace(replace(replace(replace({expr}, ' ', ''), '-', ''), '.', ''), '(', ''), ')', '')"
        ),
        IdentityKind::Exact => expr.to_owned(),
    }
}

/// A row key as JSON text: `[1]`, `["a", 2]`.
pub fn push_key_json(sql: &mut Sql, alias: &str, key: &[String]) {
    sql.dialect().sql_ops().push_row_key_json(sql, alias, key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalise(&IdentityKind::Email, "  Jane.Doe@Example.COM ").unwrap(),
            "jane.doe@example.com"
        );
        assert!(normalise(&IdentityKind::Email, "not-an-email").is_err());
        assert!(normalise(&IdentityKind::Email, "   ").is_err());
    }

    #[test]
    fn phones_become_e164_and_errors_never_repeat_the_number() {
        let de = IdentityKind::Phone {
            default_region: Some(phonenumber::country::Id::DE),
        };
        for given in [
            "+49 (30) 1234567",
            "030 1234567",
            "+49-30-123-4567",
            "+49301234567",
        ] {
            assert_eq!(normalise(&de, given).unwrap(), "+49301234567", "{given}");
        }
        let error = normalise(&de, "12345").unwrap_err();
        assert!(!error.contains("12345"), "{error}");
        let nowhere = IdentityKind::Phone {
            default_region: None,
        };
        assert!(normalise(&nowhere, "030 1234567").is_err());
    }

    #[test]
    fn exact_identities_are_kept_as_given() {
        assert_eq!(
            normalise(&IdentityKind::Exact, "Cust-1001").unwrap(),
            "Cust-1001"
        );
    }
}

/// Every row of one tenant: rows whose tenant column is the tenant, plus rows that reach it
/// through links, plus the tenant's own row.
#[derive(Debug, Clone)]
pub struct TenantSelection<'m> {
    model: &'m Model,
    tenant: String,
}

impl<'m> TenantSelection<'m> {
    /// Refuses a map without `[tenant]`: there is no tenant to select.
    pub fn new(model: &'m Model, tenant: &str) -> Result<Self, Failure> {
        if model.tenant.is_none() {
            return Err(Failure::failed(
                "the map has no [tenant] section: this is a single-tenant database",
            ));
        }
        Ok(Self {
            model,
            tenant: tenant.to_owned(),
        })
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// What erasure does to the tenant's own row (`[tenant] erase`).
    pub fn tenant_erase(&self) -> &'m crate::map::Erase {
        &self.model.tenant_erase
    }

    /// The tenant condition for a link's parent: a mapped table, or the tenant table itself.
    pub fn push_parent_scope(&self, sql: &mut Sql, table: &str, alias: &str) {
        match &self.model.tenant {
            Some(t) if t.name == table => {
                sql.column(alias, &t.id)
                    .push(" = ")
                    .bind_as(&self.tenant, &t.id_type);
            }
            _ => self.push_scope(sql, table, alias),
        }
    }

    /// Mapped tables of tenants, parents first (the reverse of the erasure order); global
    /// tables belong to no tenant and are never part of a tenant selection.
    pub fn tables(&self) -> Vec<&'m str> {
        self.model
            .erase_order
            .iter()
            .rev()
            .filter(|t| !self.model.node(t).global)
            .map(String::as_str)
            .collect()
    }

    /// Pushes the condition for the tenant table's rows of this tenant (with nested tenants,
    /// the tenant and every tenant under it).
    pub fn push_tenant_rows(&self, sql: &mut Sql, alias: &str) {
        let t = self.model.tenant.as_ref().expect("checked in new");
        sql.column(alias, &t.id).push(" ");
        push_tenant_is(self.model, &self.tenant, sql, &t.id_type);
    }

    /// The condition for `table`'s rows of this tenant under `alias`.
    pub fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str) {
        push_tenant_scope(self.model, Some(&self.tenant), sql, table, alias, &mut 0);
    }

    /// `SELECT count(*)` of the tenant's rows in `table`.
    pub fn count(&self, table: &str) -> Sql {
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT count(*) FROM ")
            .ident(table)
            .push(" t WHERE ");
        self.push_scope(&mut sql, table, "t");
        sql
    }

    /// The tenant's rows of `table` as JSON objects, in the order the database finds them:
    /// sorting millions of rows by key would cost a third of an export's time.
    pub fn select_rows(&self, table: &str) -> Sql {
        let node = self.model.node(table);
        let mut sql = Sql::new(self.model.dialect);
        crate::db::open_json_rows(&mut sql, &node.info, "t");
        sql.push(" FROM ").ident(table).push(" t WHERE ");
        self.push_scope(&mut sql, table, "t");
        crate::db::close_json_rows(&mut sql);
        sql
    }

    /// The tenant's own row (and its sub-tenants' rows) as JSON objects.
    pub fn select_tenant_row(&self) -> Sql {
        let tenant = self.model.tenant.as_ref().expect("checked in new");
        let mut sql = Sql::new(self.model.dialect);
        crate::db::open_json_rows(&mut sql, &tenant.info, "t");
        sql.push(" FROM ").ident(&tenant.name).push(" t WHERE ");
        self.push_tenant_rows(&mut sql, "t");
        crate::db::close_json_rows(&mut sql);
        sql
    }
}
