//! What an erasure will do, per table, and the digest a confirmation token binds.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::{Value, json};

use crate::db::{Schema, Tx};
use crate::effects::{self, DatabaseEffect, SubjectErasure, TenantErasure, TriggerWarning};
use crate::error::Failure;
use crate::ledger::sha256_hex;
use crate::map::Effect;
use crate::model::{Link, Node};
use crate::selection::SubjectSelection;

/// One table's part of a plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TablePlan {
    pub table: String,
    pub rows: u64,
    pub effect: Effect,
    /// Objects in blob stores named by the rows (deleted with them).
    pub blobs: u64,
    /// Owned rows still referenced from outside the selection: kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub shared: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// SHA-256 of the selected rows' keys, in key order.
    #[serde(skip)]
    pub keys_digest: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A column whose references to erased rows are set to NULL.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClearedReference {
    pub table: String,
    pub column: String,
    pub rows: u64,
}

/// Everything an erasure will do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cleared_references: Vec<ClearedReference>,
    /// What the database's own ON DELETE actions do to rows privctl does not erase itself.
    pub database_effects: Vec<DatabaseEffect>,
    /// Tables whose triggers fire on the erasure (their effects cannot be predicted).
    pub triggers: Vec<TriggerWarning>,
}

impl Plan {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn table(&self, name: &str) -> Option<&TablePlan> {
        self.tables.iter().find(|t| t.table == name)
    }

    /// The digest a token binds: every table's row count and key digest.
    pub fn digest(&self) -> String {
        let mut text = String::from("privctl-plan/1\n");
        let mut tables: Vec<&TablePlan> = self.tables.iter().collect();
        tables.sort_by(|a, b| a.table.cmp(&b.table));
        for t in tables {
            text.push_str(&format!(
                "{}\0{}\0{}\0{}\n",
                t.table,
                t.rows,
                t.effect.as_str(),
                t.keys_digest
            ));
        }
        // The database's own effects are part of what a token authorises.
        for e in &self.database_effects {
            text.push_str(&format!(
                "effect\0{}\0{}\0{}\0{}\0{}\n",
                e.table,
                e.column,
                e.references,
                e.action.as_sql(),
                e.rows
            ));
        }
        sha256_hex(text.as_bytes())
    }

    /// What a token stores to explain a later difference (counts and key digests only).
    pub fn summary(&self) -> Value {
        let tables: BTreeMap<&str, Value> = self
            .tables
            .iter()
            .map(|t| {
                (
                    t.table.as_str(),
                    json!({"rows": t.rows, "keys": t.keys_digest}),
                )
            })
            .collect();
        let effects: BTreeMap<String, u64> = self
            .database_effects
            .iter()
            .map(|e| (e.describe(), e.rows))
            .collect();
        json!({ "tables": tables, "database_effects": effects })
    }

    /// Lines saying how this plan differs from `issued` (a [`Plan::summary`]).
    pub fn explain_difference(&self, issued: &Value) -> String {
        let empty = serde_json::Map::new();
        let before = issued
            .get("tables")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut lines = Vec::new();
        let mut names: Vec<&str> = before.keys().map(String::as_str).collect();
        names.extend(self.tables.iter().map(|t| t.table.as_str()));
        names.sort_unstable();
        names.dedup();
        for name in names {
            let old = before.get(name);
            let old_rows = old
                .and_then(|o| o.get("rows"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let old_keys = old
                .and_then(|o| o.get("keys"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let (new_rows, new_keys) = self
                .table(name)
                .map_or((0, ""), |t| (t.rows, t.keys_digest.as_str()));
            if old_rows != new_rows {
                lines.push(format!(
                    "  {name}: {old_rows} rows at the dry run, {new_rows} now"
                ));
            } else if old_keys != new_keys && !(old_rows == 0 && new_rows == 0) {
                lines.push(format!(
                    "  {name}: still {new_rows} rows, but not the same rows"
                ));
            }
        }
        let before_effects = issued.get("database_effects").and_then(Value::as_object);
        for e in &self.database_effects {
            let old = before_effects
                .and_then(|b| b.get(&e.describe()))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if old != e.rows {
                lines.push(format!(
                    "  the database's {}: {old} rows at the dry run, {} now",
                    e.describe(),
                    e.rows
                ));
            }
        }
        if lines.is_empty() {
            lines.push("  the plan's digest differs (the map or the erase rules changed)".into());
        }
        lines.join("\n")
    }
}

/// Computes the plan for a subject selection inside `tx`; refuses when erasure would have to
/// set a NOT NULL reference to NULL, or when the database's own ON DELETE actions would reach
/// another tenant's rows or delete kept ones.
pub async fn plan_subject(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
    schema: &Schema,
) -> Result<Plan> {
    let model = selection.model();
    let mut tables = Vec::new();
    let selected = selected_keys(tx, selection).await?;
    for (name, keys) in selection.tables().iter().zip(selected) {
        let node = model.node(name);
        let mut digest_input = String::new();
        for key in &keys {
            digest_input.push_str(key.as_deref().unwrap_or("null"));
            digest_input.push('\n');
        }
        let effect = node.spec.erase.subject.effect();
        let rows = keys.len() as u64;
        let blobs = match (&node.spec.blob, effect, rows) {
            (Some(blob), Effect::Delete, 1..) => {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(name)
                    .push(" t WHERE ");
                selection.push_selected(&mut sql, name, "t", &mut 0);
                sql.push(" AND ")
                    .column("t", &blob.column)
                    .push(" IS NOT NULL");
                count(tx, &sql).await?
            }
            _ => 0,
        };
        let shared = if effect == Effect::Delete && rows > 0 {
            count_shared(tx, selection, node).await?
        } else {
            0
        };
        tables.push(TablePlan {
            table: name.clone(),
            rows,
            effect,
            blobs,
            shared,
            legal_basis: node
                .spec
                .legal_basis
                .clone()
                .filter(|_| effect != Effect::Delete),
            keys_digest: sha256_hex(digest_input.as_bytes()),
        });
    }
    let mut plan = Plan {
        tables,
        cleared_references: Vec::new(),
        database_effects: Vec::new(),
        triggers: Vec::new(),
    };
    plan.cleared_references = cleared_references(tx, selection, &plan).await?;
    let erasure = SubjectErasure {
        selection,
        plan: &plan,
        schema,
    };
    let effects = effects::predict(tx, &erasure).await?;
    let triggers = effects::triggers(&erasure, &plan, &effects);
    plan.database_effects = effects;
    plan.triggers = triggers;
    Ok(plan)
}

/// The selected keys of each table of the selection, in its order, each table's in key
/// order: several tables a statement where the database answers each statement in round trips
/// ([`crate::db::SqlDialect::tables_per_statement`]; issue 16: a preview at 500 tables sent
/// 500 statements), else one table a statement.
async fn selected_keys(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
) -> Result<Vec<Vec<Option<String>>>> {
    let per_statement = tx.dialect().sql_ops().tables_per_statement().max(1);
    let mut out = Vec::with_capacity(selection.tables().len());
    for chunk in selection.tables().chunks(per_statement) {
        if let [name] = chunk {
            let keys = tx
                .fetch_column(&selection.select_keys(name))
                .await
                .with_context(|| format!("selecting rows of {name}"))?;
            out.push(keys);
            continue;
        }
        let names: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let rows = tx
            .fetch_rows(&selection.select_keys_of(&names))
            .await
            .with_context(|| format!("selecting rows of {}", names.join(", ")))?;
        let mut keys = vec![Vec::new(); chunk.len()];
        for mut row in rows {
            let key = row.pop().flatten();
            let position = row
                .pop()
                .flatten()
                .and_then(|p| p.parse::<usize>().ok())
                .filter(|p| *p < chunk.len())
                .context("a selected key without the position of its table")?;
            keys[position].push(key);
        }
        out.extend(keys);
    }
    Ok(out)
}

/// Rows of an owned table that rows outside the selection still reference.
async fn count_shared(tx: &mut Tx, selection: &SubjectSelection<'_>, node: &Node) -> Result<u64> {
    let model = selection.model();
    let owned: Vec<(&Node, &Link)> = model
        .links_into(&node.name)
        .filter(|(_, l)| l.owned)
        .collect();
    if owned.is_empty() {
        return Ok(0);
    }
    let mut sql = tx.sql();
    let mut counter = 100;
    sql.push("SELECT count(*) FROM ")
        .ident(&node.name)
        .push(" t WHERE ");
    selection.push_selected(&mut sql, &node.name, "t", &mut counter);
    sql.push(" AND (");
    for (i, (child, link)) in owned.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        counter += 1;
        let c = format!("c{counter}");
        sql.push("EXISTS (SELECT 1 FROM ")
            .ident(&child.name)
            .push(" ")
            .push(&c)
            .push(" WHERE ");
        sql.tuple(&c, &link.columns)
            .push(" = ")
            .tuple("t", &link.parent_columns);
        if selection.contains(&child.name) {
            sql.push(" AND NOT (");
            selection.push_selected(&mut sql, &child.name, &c, &mut counter);
            sql.push(")");
        }
        sql.push(")");
    }
    sql.push(")");
    count(tx, &sql).await
}

/// References that erasure sets to NULL: from retained or anonymised selected rows, and from
/// rows outside the selection through `follow = false` links, into rows that are deleted.
async fn cleared_references(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
    plan: &Plan,
) -> Result<Vec<ClearedReference>> {
    let model = selection.model();
    let deleted = |t: &str| {
        plan.table(t)
            .is_some_and(|p| p.effect == Effect::Delete && p.rows > 0)
    };
    let mut out = Vec::new();
    for node in model.nodes.values() {
        let selected_keeps = plan
            .table(&node.name)
            .is_some_and(|p| p.effect != Effect::Delete && p.rows > 0);
        for link in &node.links {
            if link.parent == node.name || !deleted(&link.parent) {
                continue;
            }
            let from_outside = !link.follow;
            if !selected_keeps && !from_outside {
                continue;
            }
            let mut sql = tx.sql();
            let mut counter = 200;
            sql.push("SELECT count(*) FROM ")
                .ident(&node.name)
                .push(" t WHERE ");
            selection.push_linked_to_selected(
                &mut sql,
                &node.name,
                "t",
                link,
                from_outside,
                &mut counter,
            );
            let rows = count(tx, &sql).await?;
            if rows == 0 {
                continue;
            }
            if !link.nullable {
                return Err(Failure::failed(format!(
                    "erasure would leave {rows} row(s) of `{}` pointing at deleted `{}` rows, and `{}`.`{}` cannot be NULL",
                    node.name,
                    link.parent,
                    node.name,
                    link.columns.join("`, `")
                ))
                .with_hint(format!(
                    "make `{}` deleted with its parent (erase = \"delete\"), or allow NULL in that column",
                    node.name
                ))
                .into());
            }
            out.push(ClearedReference {
                table: node.name.clone(),
                column: link.columns.join(","),
                rows,
            });
        }
    }
    Ok(out)
}

pub(crate) async fn count(tx: &mut Tx, sql: &crate::db::Sql) -> Result<u64> {
    let value = tx
        .fetch_column(sql)
        .await?
        .into_iter()
        .next()
        .flatten()
        .unwrap_or_default();
    value
        .parse()
        .with_context(|| format!("count(*) returned {value:?}"))
}

/// The plan of a tenant erasure: per table the tenant's rows and their effect, the tenant's own
/// row last; refuses when a kept row would have to lose a NOT NULL reference.
pub async fn plan_tenant(
    tx: &mut Tx,
    selection: &crate::selection::TenantSelection<'_>,
    schema: &Schema,
) -> Result<Plan> {
    let model = selection.model();
    let mut tables = Vec::new();
    for name in selection.tables() {
        let node = model.node(name);
        let rows = count(tx, &selection.count(name))
            .await
            .with_context(|| format!("counting {name}"))?;
        let effect = node.spec.erase.tenant.effect();
        let blobs = match (&node.spec.blob, effect, rows) {
            (Some(blob), Effect::Delete, 1..) => {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(name)
                    .push(" t WHERE ");
                selection.push_scope(&mut sql, name, "t");
                sql.push(" AND ")
                    .column("t", &blob.column)
                    .push(" IS NOT NULL");
                count(tx, &sql).await?
            }
            _ => 0,
        };
        tables.push(TablePlan {
            table: name.to_owned(),
            rows,
            effect,
            blobs,
            shared: 0,
            legal_basis: node
                .spec
                .legal_basis
                .clone()
                .filter(|_| effect != Effect::Delete),
            keys_digest: String::new(),
        });
    }
    let tenant = model
        .tenant
        .as_ref()
        .expect("a tenant selection has a tenant");
    let tenant_effect = selection.tenant_erase().effect();
    tables.push(TablePlan {
        table: tenant.name.clone(),
        rows: 1,
        effect: tenant_effect,
        blobs: 0,
        shared: 0,
        legal_basis: None,
        keys_digest: String::new(),
    });
    let mut plan = Plan {
        tables,
        cleared_references: Vec::new(),
        database_effects: Vec::new(),
        triggers: Vec::new(),
    };

    // Kept rows (retained, anonymised) that point at deleted rows lose the reference.
    let deleted = |t: &str| {
        plan.table(t)
            .is_some_and(|p| p.effect == Effect::Delete && p.rows > 0)
    };
    let mut cleared = Vec::new();
    for name in selection.tables() {
        let node = model.node(name);
        let keeps = plan
            .table(name)
            .is_some_and(|p| p.effect != Effect::Delete && p.rows > 0);
        if !keeps {
            continue;
        }
        for link in node
            .links
            .iter()
            .filter(|l| l.parent != node.name && deleted(&l.parent))
        {
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(name)
                .push(" t WHERE ");
            push_references(&mut sql, selection, name, link);
            let rows = count(tx, &sql).await?;
            if rows == 0 {
                continue;
            }
            if !link.nullable {
                let hint = if link.parent == tenant.name {
                    "keep the tenant's row as an anonymised stub: [tenant] erase = { anonymise = { name = \"redact\" } }".to_owned()
                } else {
                    format!("make `{name}` deleted with the tenant, or allow NULL in that column")
                };
                return Err(Failure::failed(format!(
                    "deleting tenant `{}` would leave {rows} kept row(s) of `{name}` pointing at deleted `{}` rows, and `{name}`.`{}` cannot be NULL",
                    selection.tenant(),
                    link.parent,
                    link.columns.join("`, `")
                ))
                .with_hint(hint)
                .into());
            }
            cleared.push(ClearedReference {
                table: name.to_owned(),
                column: link.columns.join(","),
                rows,
            });
        }
    }
    plan.cleared_references = cleared;
    let erasure = TenantErasure::planned(selection, schema, &plan);
    let effects = effects::predict(tx, &erasure).await?;
    let triggers = effects::triggers(&erasure, &plan, &effects);
    plan.database_effects = effects;
    plan.triggers = triggers;
    Ok(plan)
}

/// `t.<link columns> IN (the tenant's rows of the link's parent)`, within the tenant.
pub fn push_references(
    sql: &mut crate::db::Sql,
    selection: &crate::selection::TenantSelection<'_>,
    table: &str,
    link: &Link,
) {
    selection.push_scope(sql, table, "t");
    sql.push(" AND ")
        .tuple("t", &link.columns)
        .push(" IN (SELECT ")
        .columns("p", &link.parent_columns);
    sql.push(" FROM ").ident(&link.parent).push(" p WHERE ");
    selection.push_parent_scope(sql, &link.parent, "p");
    sql.push(")");
}
