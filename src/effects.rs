//! What the database itself does when privctl erases: the `ON DELETE` actions of foreign keys
//! (`CASCADE`, `SET NULL`, `SET DEFAULT`) on rows privctl does not erase itself, and the tables
//! whose triggers fire. Predicted for the plan, and checked after the erasure: no row that
//! referenced an erased row may be left holding data with no route to its tenant.

use std::collections::BTreeSet;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::db::{ForeignKey, OnDelete, Schema, Sql, SqlType, Tx};
use crate::error::Failure;
use crate::map::{Effect, Erase};
use crate::model::Model;
use crate::plan::{Plan, count};
use crate::selection::{SubjectSelection, TenantSelection};

/// Rows the database changes because privctl deletes rows they reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DatabaseEffect {
    /// The referencing table.
    pub table: String,
    /// Its foreign-key columns, comma-separated.
    pub column: String,
    /// The table whose deleted rows they reference.
    pub references: String,
    pub action: OnDelete,
    pub rows: u64,
    /// `false` for a table the map ignores or does not name: privctl reads only its key column.
    pub mapped: bool,
}

impl DatabaseEffect {
    /// `audit_log.document_id → documents (ON DELETE SET NULL)`.
    pub fn describe(&self) -> String {
        format!(
            "`{}`.`{}` → `{}` (ON DELETE {})",
            self.table,
            self.column,
            self.references,
            self.action.as_sql()
        )
    }
}

/// A table whose triggers fire on what the erasure does to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TriggerWarning {
    pub table: String,
    /// `delete`, `update`.
    pub events: Vec<&'static str>,
    pub triggers: Vec<String>,
}

/// The rows an erasure deletes and the rows it handles itself, as SQL conditions: one for a
/// subject's erasure, one for a tenant's.
pub trait Erasure {
    fn model(&self) -> &Model;
    fn schema(&self) -> &Schema;
    /// What the erasure does to a mapped table's rows (the tenant table included).
    fn erase_of(&self, table: &str) -> Option<&Erase>;
    /// Tables privctl deletes rows from.
    fn deleted_tables(&self) -> Vec<String>;
    /// The rows of `table` privctl deletes, under `alias`.
    fn push_deleted(&self, sql: &mut Sql, table: &str, alias: &str);
    /// Rows of `table` that privctl erases or detaches itself when they reference deleted rows
    /// through `columns`; `false` (nothing pushed) for a table privctl does not map.
    fn push_handled(&self, sql: &mut Sql, table: &str, columns: &[String], alias: &str) -> bool;
    /// The tenant condition of a mapped table; `false` (nothing pushed) when there is none.
    fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str) -> bool;
    /// The table's row identity, when privctl maps the table.
    fn key(&self, table: &str) -> Option<Vec<String>> {
        let model = self.model();
        match (model.nodes.get(table), &model.tenant) {
            (Some(node), _) => Some(node.key.clone()),
            (None, Some(t)) if t.name == table => Some(vec![t.id.clone()]),
            _ => None,
        }
    }
}

/// A subject's erasure: the selection, and the plan's effects per table.
pub struct SubjectErasure<'a, 'm> {
    pub selection: &'a SubjectSelection<'m>,
    pub plan: &'a Plan,
    pub schema: &'a Schema,
}

impl Erasure for SubjectErasure<'_, '_> {
    fn model(&self) -> &Model {
        self.selection.model()
    }
    fn schema(&self) -> &Schema {
        self.schema
    }
    fn erase_of(&self, table: &str) -> Option<&Erase> {
        self.model().nodes.get(table).map(|n| &n.spec.erase.subject)
    }
    fn deleted_tables(&self) -> Vec<String> {
        self.plan
            .tables
            .iter()
            .filter(|t| t.effect == Effect::Delete && t.rows > 0)
            .map(|t| t.table.clone())
            .collect()
    }
    fn push_deleted(&self, sql: &mut Sql, table: &str, alias: &str) {
        self.selection.push_selected(sql, table, alias, &mut 0);
    }
    fn push_handled(&self, sql: &mut Sql, table: &str, columns: &[String], alias: &str) -> bool {
        let Some(node) = self.model().nodes.get(table) else {
            return false;
        };
        sql.push("(");
        if self.selection.contains(table) {
            self.selection.push_selected(sql, table, alias, &mut 0);
        } else {
            sql.push("1 = 0");
        }
        // References through a link that is not followed are cleared by privctl in scope.
        if node.links.iter().any(|l| l.columns == columns && !l.follow) {
            sql.push(" OR (");
            self.selection.push_scope(sql, table, alias, &mut 0);
            sql.push(")");
        }
        sql.push(")");
        true
    }
    fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str) -> bool {
        if !self.model().nodes.contains_key(table) {
            return false;
        }
        self.selection.push_scope(sql, table, alias, &mut 0);
        true
    }
}

/// A tenant's erasure: every row of the tenant, per table's `erase.tenant`.
pub struct TenantErasure<'a, 'm> {
    pub selection: &'a TenantSelection<'m>,
    pub schema: &'a Schema,
    /// Tables whose tenant rows are deleted (the tenant table too, when its row is).
    pub deleted: Vec<String>,
}

impl<'a, 'm> TenantErasure<'a, 'm> {
    /// Every table whose `erase.tenant` deletes, and the tenant table when its row goes.
    pub fn new(selection: &'a TenantSelection<'m>, schema: &'a Schema) -> Self {
        let model = selection.model();
        let mut deleted: Vec<String> = model
            .nodes
            .values()
            .filter(|n| n.spec.erase.tenant == Erase::Delete)
            .map(|n| n.name.clone())
            .collect();
        if let Some(t) = &model.tenant
            && model.tenant_erase == Erase::Delete
        {
            deleted.push(t.name.clone());
        }
        Self {
            selection,
            schema,
            deleted,
        }
    }

    /// Only the tables `plan` deletes rows from.
    pub fn planned(selection: &'a TenantSelection<'m>, schema: &'a Schema, plan: &Plan) -> Self {
        let deleted = plan
            .tables
            .iter()
            .filter(|t| t.effect == Effect::Delete && t.rows > 0)
            .map(|t| t.table.clone())
            .collect();
        Self {
            selection,
            schema,
            deleted,
        }
    }
}

impl Erasure for TenantErasure<'_, '_> {
    fn model(&self) -> &Model {
        self.selection.model()
    }
    fn schema(&self) -> &Schema {
        self.schema
    }
    fn erase_of(&self, table: &str) -> Option<&Erase> {
        let model = self.model();
        match model.nodes.get(table) {
            Some(node) => Some(&node.spec.erase.tenant),
            None => model
                .tenant
                .as_ref()
                .filter(|t| t.name == table)
                .map(|_| &model.tenant_erase),
        }
    }
    fn deleted_tables(&self) -> Vec<String> {
        self.deleted.clone()
    }
    fn push_deleted(&self, sql: &mut Sql, table: &str, alias: &str) {
        self.push_scope(sql, table, alias);
    }
    fn push_handled(&self, sql: &mut Sql, table: &str, _columns: &[String], alias: &str) -> bool {
        self.push_scope(sql, table, alias)
    }
    fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str) -> bool {
        let model = self.model();
        if model.tenant.as_ref().is_some_and(|t| t.name == table) {
            // The tenant's row, and with nested tenants every tenant under it.
            self.selection.push_tenant_rows(sql, alias);
            return true;
        }
        if !model.nodes.contains_key(table) {
            return false;
        }
        self.selection.push_scope(sql, table, alias);
        true
    }
}

/// A set of rows the erasure deletes: privctl's own, or the database's cascade from another set.
#[derive(Debug, Clone)]
enum Deleted<'s> {
    ByPrivctl(String),
    Cascade {
        table: String,
        fk: &'s ForeignKey,
        from: Box<Deleted<'s>>,
    },
}

impl Deleted<'_> {
    fn table(&self) -> &str {
        match self {
            Deleted::ByPrivctl(t) | Deleted::Cascade { table: t, .. } => t,
        }
    }

    fn tables(&self) -> Vec<&str> {
        match self {
            Deleted::ByPrivctl(t) => vec![t],
            Deleted::Cascade { table, from, .. } => {
                let mut out = from.tables();
                out.push(table);
                out
            }
        }
    }

    fn push(&self, e: &dyn Erasure, sql: &mut Sql, alias: &str, depth: usize) {
        match self {
            Deleted::ByPrivctl(table) => e.push_deleted(sql, table, alias),
            Deleted::Cascade { table, fk, from } => {
                push_referencing(e, sql, table, fk, from, alias, depth);
            }
        }
    }
}

/// `alias.<fk columns> IN (the rows of `from`) AND NOT <handled by privctl>`.
fn push_referencing(
    e: &dyn Erasure,
    sql: &mut Sql,
    table: &str,
    fk: &ForeignKey,
    from: &Deleted<'_>,
    alias: &str,
    depth: usize,
) {
    let inner = format!("e{depth}");
    sql.tuple(alias, &fk.columns)
        .push(" IN (SELECT ")
        .columns(&inner, &fk.referenced_columns)
        .push(" FROM ")
        .ident(from.table())
        .push(" ")
        .push(&inner)
        .push(" WHERE ");
    from.push(e, sql, &inner, depth + 1);
    sql.push(")");
    let mut handled = Sql::new(sql.dialect());
    if e.push_handled(&mut handled, table, &fk.columns, alias) {
        sql.push(" AND NOT ").append(&handled);
    }
}

/// How deep the database's cascades are followed (a cascade from a cascaded row, …).
const CASCADE_DEPTH: usize = 4;

/// Predicts what the database does: every foreign key, of any table (mapped, ignored or not
/// named), whose `ON DELETE` acts on rows referencing rows the erasure deletes, outside what
/// privctl erases itself. Refuses when a cascade would delete a kept (retained or anonymised)
/// row, or when any action would reach a row of another tenant.
pub async fn predict(tx: &mut Tx, e: &dyn Erasure) -> Result<Vec<DatabaseEffect>> {
    let mut effects = Vec::new();
    let mut work: Vec<Deleted<'_>> = e
        .deleted_tables()
        .into_iter()
        .map(Deleted::ByPrivctl)
        .collect();
    while let Some(deleted) = work.pop() {
        let chain = deleted.tables();
        for (child, info) in &e.schema().tables {
            for fk in info
                .foreign_keys
                .iter()
                .filter(|fk| fk.references == deleted.table() && fk.on_delete.acts())
            {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(child)
                    .push(" t WHERE ");
                push_referencing(e, &mut sql, child, fk, &deleted, "t", 0);
                let rows = count(tx, &sql).await.with_context(|| {
                    format!(
                        "counting the rows of {child} the database changes on delete from {}",
                        deleted.table()
                    )
                })?;
                if rows == 0 {
                    continue;
                }
                let effect = DatabaseEffect {
                    table: child.clone(),
                    column: fk.columns.join(","),
                    references: deleted.table().to_owned(),
                    action: fk.on_delete,
                    rows,
                    mapped: e.key(child).is_some(),
                };
                refuse_unsafe(tx, e, &effect, &sql).await?;
                if fk.on_delete == OnDelete::Cascade
                    && chain.len() < CASCADE_DEPTH
                    && !chain.contains(&child.as_str())
                {
                    work.push(Deleted::Cascade {
                        table: child.clone(),
                        fk,
                        from: Box::new(deleted.clone()),
                    });
                }
                match effects.iter_mut().find(|x: &&mut DatabaseEffect| {
                    (&x.table, &x.column, &x.references)
                        == (&effect.table, &effect.column, &effect.references)
                }) {
                    Some(existing) => existing.rows += effect.rows,
                    None => effects.push(effect),
                }
            }
        }
    }
    effects.sort_by(|a, b| {
        (&a.table, &a.column, &a.references).cmp(&(&b.table, &b.column, &b.references))
    });
    Ok(effects)
}

/// Refuses an effect that reaches another tenant's rows, or cascades into kept rows.
/// `affected` counts the effect's rows (`SELECT count(*) FROM child t WHERE …`).
async fn refuse_unsafe(
    tx: &mut Tx,
    e: &dyn Erasure,
    effect: &DatabaseEffect,
    affected: &Sql,
) -> Result<()> {
    let child = &effect.table;
    let mut scope = Sql::new(affected.dialect());
    if e.push_scope(&mut scope, child, "t") {
        let mut outside = affected.clone();
        outside.push(" AND NOT (").append(&scope).push(")");
        let rows = count(tx, &outside).await?;
        if rows > 0 {
            return Err(Failure::failed(format!(
                "refused: deleting these rows makes the database change {rows} row(s) of `{child}` outside this tenant, through the foreign key {}",
                effect.describe()
            ))
            .with_hint("a row referencing rows of two tenants is a data-integrity fault of the platform: fix that row, or change the foreign key's ON DELETE action")
            .into());
        }
    }
    let kept = e
        .erase_of(child)
        .is_some_and(|erase| *erase != Erase::Delete);
    if effect.action == OnDelete::Cascade && kept {
        return Err(Failure::failed(format!(
            "refused: the database would delete {} row(s) of `{child}`, which the map keeps ({}), through the foreign key {}",
            effect.rows,
            e.erase_of(child).map_or("retain", |x| x.effect().as_str()),
            effect.describe()
        ))
        .with_hint(format!(
            "make the foreign key ON DELETE SET NULL or NO ACTION, or erase `{child}` with the rows it references"
        ))
        .into());
    }
    Ok(())
}

/// Tables whose triggers fire on the erasure: deletes on deleted tables, updates on anonymised
/// tables and on tables whose references are cleared.
pub fn triggers(e: &dyn Erasure, plan: &Plan, effects: &[DatabaseEffect]) -> Vec<TriggerWarning> {
    let mut deleted: BTreeSet<&str> = plan
        .tables
        .iter()
        .filter(|t| t.effect == Effect::Delete && t.rows > 0)
        .map(|t| t.table.as_str())
        .collect();
    let mut updated: BTreeSet<&str> = plan
        .tables
        .iter()
        .filter(|t| t.effect == Effect::Anonymise && t.rows > 0)
        .map(|t| t.table.as_str())
        .collect();
    updated.extend(plan.cleared_references.iter().map(|c| c.table.as_str()));
    for effect in effects {
        match effect.action {
            OnDelete::Cascade => deleted.insert(&effect.table),
            _ => updated.insert(&effect.table),
        };
    }
    let mut out = Vec::new();
    for (name, info) in &e.schema().tables {
        let mut events = Vec::new();
        let mut names = BTreeSet::new();
        for t in &info.triggers {
            if t.on_delete && deleted.contains(name.as_str()) {
                events.push("delete");
                names.insert(t.name.clone());
            }
            if t.on_update && updated.contains(name.as_str()) {
                events.push("update");
                names.insert(t.name.clone());
            }
        }
        if !names.is_empty() {
            events.sort_unstable();
            events.dedup();
            out.push(TriggerWarning {
                table: name.clone(),
                events,
                triggers: names.into_iter().collect(),
            });
        }
    }
    out
}

/// Rows of mapped tables that reference rows about to be deleted and are not deleted by privctl
/// itself: their keys, read before the erasure, so that [`Survivors::verify`] can say afterwards
/// what became of each.
#[derive(Debug, Default)]
pub struct Survivors {
    groups: Vec<SurvivorGroup>,
}

#[derive(Debug)]
struct SurvivorGroup {
    table: String,
    key: Vec<String>,
    /// `` `documents`.`folder_id` → `folders` (ON DELETE SET NULL) ``, as messages name it.
    reference: String,
    /// The database deletes these rows (`ON DELETE CASCADE`): the plan showed them going.
    meant_to_go: bool,
    /// Each row's key, and whether it belonged to the tenant before the erasure.
    rows: Vec<(Vec<String>, bool)>,
}

impl Survivors {
    /// Reads the keys of rows of mapped tables (and the tenant table) that reference the rows
    /// of `parent` privctl deletes (`push_deleted` under alias `p`), through any foreign key or
    /// link, except the rows privctl deletes itself.
    pub async fn collect(
        tx: &mut Tx,
        e: &dyn Erasure,
        parent: &str,
        push_deleted: &dyn Fn(&mut Sql),
    ) -> Result<Self> {
        let mut groups = Vec::new();
        let own_deletes = e.deleted_tables();
        for (child, refs) in references_into(e, parent) {
            let Some(key) = e.key(&child) else { continue };
            for (columns, parent_columns, action) in refs {
                let mut sql = tx.sql();
                sql.push("SELECT ");
                crate::selection::push_key_json(&mut sql, "t", &key);
                sql.push(", CASE WHEN ");
                if !e.push_scope(&mut sql, &child, "t") {
                    sql.push("1 = 1");
                }
                sql.push(" THEN 1 ELSE 0 END FROM ")
                    .ident(&child)
                    .push(" t WHERE ");
                sql.tuple("t", &columns)
                    .push(" IN (SELECT ")
                    .columns("p", &parent_columns)
                    .push(" FROM ")
                    .ident(parent)
                    .push(" p WHERE ");
                push_deleted(&mut sql);
                sql.push(")");
                // Not the rows privctl deletes itself.
                if e.erase_of(&child) == Some(&Erase::Delete) && own_deletes.contains(&child) {
                    let mut deleted = Sql::new(sql.dialect());
                    e.push_deleted(&mut deleted, &child, "t");
                    sql.push(" AND NOT (").append(&deleted).push(")");
                }
                let found = tx.fetch_rows(&sql).await.with_context(|| {
                    format!("reading the rows of {child} that reference {parent}")
                })?;
                if found.is_empty() {
                    continue;
                }
                let rows = found
                    .iter()
                    .map(|r| {
                        let key = crate::erase::key_values(r[0].as_deref())?;
                        Ok((key, r[1].as_deref() == Some("1")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                groups.push(SurvivorGroup {
                    table: child.clone(),
                    key: key.clone(),
                    reference: format!(
                        "`{child}`.`{}` → `{parent}`{}",
                        columns.join("`, `"),
                        action.map_or(String::new(), |a| format!(" (ON DELETE {})", a.as_sql()))
                    ),
                    meant_to_go: action == Some(OnDelete::Cascade),
                    rows,
                });
            }
        }
        Ok(Self { groups })
    }

    pub fn extend(&mut self, other: Survivors) {
        self.groups.extend(other.groups);
    }

    /// After the erasure: each collected row either still exists and still belongs to the
    /// tenant it belonged to, or was meant to go. A row left with no route to its tenant (its
    /// reference was cleared, by privctl or by the database) is an error naming the table and
    /// the reference; so is a row that vanished though nothing in the plan deleted it (a
    /// trigger).
    pub async fn verify(&self, tx: &mut Tx, e: &dyn Erasure) -> Result<()> {
        let may_go: BTreeSet<(&str, &Vec<String>)> = self
            .groups
            .iter()
            .filter(|g| g.meant_to_go)
            .flat_map(|g| g.rows.iter().map(move |(k, _)| (g.table.as_str(), k)))
            .collect();
        let mut orphans = Vec::new();
        let mut vanished = Vec::new();
        for group in &self.groups {
            let now = in_scope_now(tx, e, &group.table, &group.key, &group.rows).await?;
            let homeless = group
                .rows
                .iter()
                .filter(|(k, before)| *before && now.get(k) == Some(&false))
                .count();
            if homeless > 0 {
                orphans.push(format!(
                    "{homeless} row(s) of `{}` through {}",
                    group.table, group.reference
                ));
            }
            let gone = group
                .rows
                .iter()
                .filter(|(k, _)| {
                    !now.contains_key(k) && !may_go.contains(&(group.table.as_str(), k))
                })
                .count();
            if gone > 0 {
                vanished.push(format!(
                    "{gone} row(s) of `{}` referencing through {}",
                    group.table, group.reference
                ));
            }
        }
        if !orphans.is_empty() {
            return Err(Failure::failed(format!(
                "after erasure, rows that referenced erased rows would hold data but belong to no tenant (their reference was cleared): {}; nothing of this step was committed",
                orphans.join("; ")
            ))
            .with_hint("erase those rows with what they reference (erase = \"delete\" for the table, or ON DELETE CASCADE), or give the table a tenant column")
            .into());
        }
        if !vanished.is_empty() {
            return Err(Failure::failed(format!(
                "after erasure, rows the plan did not erase are gone (a trigger?): {}; nothing of this step was committed",
                vanished.join("; ")
            ))
            .with_hint("the plan names the tables whose triggers fire; check what those triggers do")
            .into());
        }
        Ok(())
    }
}

/// For each of `rows` that still exists: whether it belongs to the tenant now.
async fn in_scope_now(
    tx: &mut Tx,
    e: &dyn Erasure,
    table: &str,
    key: &[String],
    rows: &[(Vec<String>, bool)],
) -> Result<std::collections::BTreeMap<Vec<String>, bool>> {
    let info = e.schema().tables.get(table);
    let sql_type = |column: &str| info.map_or(SqlType::TEXT, |i| i.cast_type(column));
    let mut out = std::collections::BTreeMap::new();
    for chunk in rows.chunks(500) {
        let mut sql = tx.sql();
        sql.push("SELECT ");
        crate::selection::push_key_json(&mut sql, "t", key);
        sql.push(", CASE WHEN ");
        if !e.push_scope(&mut sql, table, "t") {
            sql.push("1 = 1");
        }
        sql.push(" THEN 1 ELSE 0 END FROM ")
            .ident(table)
            .push(" t WHERE ");
        for (i, (k, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            crate::erase::push_key_equals(&mut sql, key, k, &sql_type);
        }
        for row in tx
            .fetch_rows(&sql)
            .await
            .with_context(|| format!("checking the rows of {table} after the erasure"))?
        {
            let k = crate::erase::key_values(row[0].as_deref())?;
            out.insert(k, row[1].as_deref() == Some("1"));
        }
    }
    Ok(out)
}

/// Keys (as [`crate::selection::push_key_json`] writes them) of rows of `table` that no longer
/// belong to the tenant: rows privctl just detached from a deleted row.
pub async fn count_homeless(
    tx: &mut Tx,
    e: &dyn Erasure,
    table: &str,
    keys: &[Option<String>],
) -> Result<usize> {
    let Some(key) = e.key(table) else {
        return Ok(0);
    };
    let rows = keys
        .iter()
        .map(|k| Ok((crate::erase::key_values(k.as_deref())?, true)))
        .collect::<Result<Vec<_>>>()?;
    let now = in_scope_now(tx, e, table, &key, &rows).await?;
    Ok(now.values().filter(|in_scope| !**in_scope).count())
}

/// Every reference into `parent` from a table privctl maps (or the tenant table): the database's
/// foreign keys (with their ON DELETE action) and the map's links, without duplicates.
#[allow(clippy::type_complexity)]
fn references_into(
    e: &dyn Erasure,
    parent: &str,
) -> Vec<(String, Vec<(Vec<String>, Vec<String>, Option<OnDelete>)>)> {
    let mut out: Vec<(String, Vec<(Vec<String>, Vec<String>, Option<OnDelete>)>)> = Vec::new();
    for (child, info) in &e.schema().tables {
        if e.key(child).is_none() {
            continue;
        }
        let mut refs: Vec<(Vec<String>, Vec<String>, Option<OnDelete>)> = info
            .foreign_keys
            .iter()
            .filter(|fk| fk.references == parent)
            .map(|fk| {
                (
                    fk.columns.clone(),
                    fk.referenced_columns.clone(),
                    Some(fk.on_delete),
                )
            })
            .collect();
        if let Some(node) = e.model().nodes.get(child) {
            for link in node.links.iter().filter(|l| l.parent == parent) {
                if !refs.iter().any(|(c, _, _)| *c == link.columns) {
                    refs.push((link.columns.clone(), link.parent_columns.clone(), None));
                }
            }
        }
        if !refs.is_empty() {
            out.push((child.clone(), refs));
        }
    }
    out
}
