//! Carrying out a subject's erasure inside one transaction: children before parents, retained
//! and anonymised rows detached from deleted ones, owned rows kept while others share them,
//! blob keys queued in the outbox, and a final re-selection that must find nothing left.

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::clock::Timestamp;
use crate::db::{Param, Sql, Tx};
use crate::error::Failure;
use crate::ledger::Ledger;
use crate::map::{AnonymiseMode, Effect, Erase};
use crate::plan::{Plan, count};
use crate::selection::SubjectSelection;

/// What an erasure did to one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableOutcome {
    pub table: String,
    pub rows: u64,
    pub effect: Effect,
    pub blobs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureOutcome {
    pub tables: Vec<TableOutcome>,
    /// Rows the plan meant to erase that a fresh selection still finds (always 0 on success).
    pub remaining: u64,
}

/// Erases the materialised `selection` as `plan` says. The caller commits.
pub async fn erase_subject(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
    plan: &Plan,
    tenant: Option<&str>,
    ledger: &Ledger,
    now: Timestamp,
) -> Result<ErasureOutcome> {
    let model = selection.model();
    // References left out of the erasure order to break a cycle of foreign keys: cleared on
    // the rows being deleted, so parents can go before those children.
    for (table, link) in &model.broken_links {
        let deleted = plan
            .table(table)
            .is_some_and(|p| p.effect == Effect::Delete && p.rows > 0);
        if !deleted {
            continue;
        }
        let mut sql = tx.sql();
        sql.push("UPDATE ").ident(table).push(" AS t SET ");
        for (i, column) in link.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(column).push(" = NULL");
        }
        sql.push(" WHERE ");
        selection.push_selected(&mut sql, table, "t", &mut 0);
        tx.execute(&sql).await.with_context(|| {
            format!(
                "clearing {table}.{} to break a cycle",
                link.columns.join(",")
            )
        })?;
    }
    let mut outcomes = Vec::new();
    for name in model
        .erase_order
        .iter()
        .filter(|t| plan.table(t).is_some_and(|p| p.rows > 0))
    {
        let planned = plan.table(name).expect("filtered");
        let node = model.node(name);
        let mut outcome = TableOutcome {
            table: name.clone(),
            rows: 0,
            effect: planned.effect,
            blobs: 0,
            legal_basis: planned.legal_basis.clone(),
        };
        match &node.spec.erase.subject {
            Erase::Delete => {
                clear_references_into(tx, selection, plan, name).await?;
                if let Some(blob) = &node.spec.blob {
                    let mut sql = tx.sql();
                    sql.push("INSERT INTO privctl_blob_outbox (store, object_key, source_table, tenant, enqueued_at) SELECT ")
                        .bind(Param::Text(blob.store.clone()))
                        .push(", CAST(")
                        .column("t", &blob.column)
                        .push(" AS text), ")
                        .bind(Param::Text(name.clone()))
                        .push(", ")
                        .bind(tenant.map_or(Param::Null, |t| Param::Text(t.to_owned())))
                        .push(", ")
                        .bind(Param::Text(now.to_canonical()))
                        .push(" FROM ")
                        .ident(name)
                        .push(" t WHERE ");
                    selection.push_selected(&mut sql, name, "t", &mut 0);
                    sql.push(" AND ")
                        .column("t", &blob.column)
                        .push(" IS NOT NULL");
                    outcome.blobs = tx
                        .execute(&sql)
                        .await
                        .with_context(|| format!("queueing blobs of {name}"))?;
                }
                let mut sql = tx.sql();
                sql.push("DELETE FROM ").ident(name).push(" AS t WHERE ");
                selection.push_selected(&mut sql, name, "t", &mut 0);
                push_not_shared(&mut sql, selection, name);
                outcome.rows = tx
                    .execute(&sql)
                    .await
                    .with_context(|| format!("deleting from {name}"))?;
            }
            Erase::Anonymise(columns) => {
                outcome.rows = anonymise(tx, selection, name, columns, ledger).await?;
            }
            Erase::Retain => {
                outcome.rows = planned.rows;
            }
        }
        outcomes.push(outcome);
    }

    // Every erasure verifies itself: select again, from scratch, what should be gone.
    let mut remaining = 0;
    let mut left = Vec::new();
    for planned in plan.tables.iter().filter(|p| p.effect == Effect::Delete) {
        // Both what a fresh selection finds and what is left of the rows the plan named: a
        // row that can no longer be selected (its owner is gone) may still exist.
        let mut found = count(tx, &selection.count_inline(&planned.table)).await?;
        if let Some(sql) = selection.count_materialized(&planned.table) {
            found = found.max(count(tx, &sql).await?);
        }
        let allowed = planned.shared;
        if found > allowed {
            remaining += found - allowed;
            left.push(format!("{} ({} rows)", planned.table, found - allowed));
        }
    }
    if remaining > 0 {
        return Err(Failure::failed(format!(
            "after erasure a fresh selection still finds the subject's rows in {}; nothing was committed",
            left.join(", ")
        ))
        .with_hint("an identity column of an anonymised table is probably not anonymised: check its erase rule")
        .into());
    }
    // Report in the plan's order (parents first), as the dry run did.
    outcomes.sort_by_key(|o| plan.tables.iter().position(|p| p.table == o.table));
    Ok(ErasureOutcome {
        tables: outcomes,
        remaining,
    })
}

/// Sets to NULL the references into `parent`'s selected rows from rows that stay: selected
/// rows that are retained or anonymised, and rows outside the selection through links that are
/// not followed.
async fn clear_references_into(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
    plan: &Plan,
    parent: &str,
) -> Result<()> {
    let model = selection.model();
    for (child, link) in model.links_into(parent) {
        if child.name == parent {
            continue;
        }
        let child_keeps = plan
            .table(&child.name)
            .is_some_and(|p| p.effect != Effect::Delete && p.rows > 0);
        let from_outside = !link.follow;
        if !child_keeps && !from_outside {
            continue;
        }
        let mut sql = tx.sql();
        sql.push("UPDATE ").ident(&child.name).push(" AS t SET ");
        for (i, column) in link.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(column).push(" = NULL");
        }
        sql.push(" WHERE ");
        let mut counter = 300;
        if from_outside {
            selection.push_scope(&mut sql, &child.name, "t", &mut counter);
        } else {
            selection.push_selected(&mut sql, &child.name, "t", &mut counter);
        }
        sql.push(" AND ")
            .tuple("t", &link.columns)
            .push(" IN (SELECT ")
            .columns("p", &link.parent_columns);
        sql.push(" FROM ").ident(parent).push(" p WHERE ");
        selection.push_selected(&mut sql, parent, "p", &mut counter);
        sql.push(")");
        tx.execute(&sql).await.with_context(|| {
            format!(
                "clearing {}.{} before erasing {parent}",
                child.name,
                link.columns.join(",")
            )
        })?;
    }
    Ok(())
}

/// Keeps owned rows that anything still references (everything of the subject that referenced
/// them is gone by now, so any reference left comes from outside the selection).
fn push_not_shared(sql: &mut Sql, selection: &SubjectSelection<'_>, table: &str) {
    for (i, (child, link)) in selection
        .model()
        .links_into(table)
        .filter(|(_, l)| l.owned)
        .enumerate()
    {
        let c = format!("o{i}");
        sql.push(" AND NOT EXISTS (SELECT 1 FROM ")
            .ident(&child.name)
            .push(" ")
            .push(&c)
            .push(" WHERE ");
        sql.tuple(&c, &link.columns)
            .push(" = ")
            .tuple("t", &link.parent_columns)
            .push(")");
    }
}

async fn anonymise(
    tx: &mut Tx,
    selection: &SubjectSelection<'_>,
    table: &str,
    columns: &[(String, AnonymiseMode)],
    ledger: &Ledger,
) -> Result<u64> {
    let node = selection.model().node(table);
    anonymise_rows(tx, &node.key, &node.info, table, columns, ledger, |sql| {
        selection.push_selected(sql, table, "t", &mut 0)
    })
    .await
}

/// Anonymises the rows of `table` (alias `t`) matching the condition `push_where` writes:
/// `null` and `redact` columns in one statement, `hash` columns row by row (the database cannot
/// compute an HMAC portably; keyed with the ledger key so equal inputs stay equal).
pub async fn anonymise_rows(
    tx: &mut Tx,
    key: &[String],
    info: &crate::db::TableInfo,
    table: &str,
    columns: &[(String, AnonymiseMode)],
    ledger: &Ledger,
    push_where: impl Fn(&mut Sql),
) -> Result<u64> {
    let plain: Vec<&(String, AnonymiseMode)> = columns
        .iter()
        .filter(|(_, m)| *m != AnonymiseMode::Hash)
        .collect();
    let hashed: Vec<&String> = columns
        .iter()
        .filter(|(_, m)| *m == AnonymiseMode::Hash)
        .map(|(c, _)| c)
        .collect();
    let mut affected = 0;
    if !plain.is_empty() {
        let mut sql = tx.sql();
        sql.push("UPDATE ").ident(table).push(" AS t SET ");
        for (i, (column, mode)) in plain.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(column).push(" = ");
            match mode {
                AnonymiseMode::Null => sql.push("NULL"),
                _ => sql.bind(Param::Text("[redacted]".into())),
            };
        }
        sql.push(" WHERE ");
        push_where(&mut sql);
        affected = tx
            .execute(&sql)
            .await
            .with_context(|| format!("anonymising {table}"))?;
    }
    if hashed.is_empty() {
        return Ok(affected);
    }
    let mut select = tx.sql();
    select.push("SELECT ");
    crate::selection::push_key_json(&mut select, "t", key);
    for column in &hashed {
        select.push(", CAST(").column("t", column).push(" AS text)");
    }
    select.push(" FROM ").ident(table).push(" t WHERE ");
    push_where(&mut select);
    let rows = tx
        .fetch_rows(&select)
        .await
        .with_context(|| format!("reading {table} to hash"))?;
    for row in &rows {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(row[0].as_deref().unwrap_or("[]"))?;
        let mut sql = tx.sql();
        sql.push("UPDATE ").ident(table).push(" SET ");
        for (i, column) in hashed.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(column).push(" = ");
            match &row[i + 1] {
                Some(value) => sql.bind(Param::Text(
                    ledger.digest(format!("privctl-anonymise/1\0{value}").as_bytes()),
                )),
                None => sql.push("NULL"),
            };
        }
        sql.push(" WHERE ");
        for (i, (column, value)) in key.iter().zip(&values).enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let sql_type = info
                .column(column)
                .map_or("text", |c| c.sql_type.as_str())
                .to_owned();
            sql.ident(column).push(" = ").bind_as(&text, &sql_type);
        }
        tx.execute(&sql)
            .await
            .with_context(|| format!("hashing columns of {table}"))?;
    }
    Ok(affected.max(rows.len() as u64))
}
