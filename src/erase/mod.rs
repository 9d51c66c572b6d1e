//! Carrying out a subject's erasure inside one transaction: children before parents, retained
//! and anonymised rows detached from deleted ones, owned rows kept while others share them,
//! blob keys queued in the outbox, and a final re-selection that must find nothing left; and a
//! whole tenant's erasure in batches ([`tenant`]).

pub mod tenant;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::clock::Timestamp;
use crate::db::{Param, Schema, Sql, Tx};
use crate::effects::{Erasure as _, SubjectErasure, Survivors};
use crate::error::Failure;
use crate::ledger::Ledger;
use crate::map::{AnonymiseMode, Effect, Erase};
use crate::plan::{Plan, count};
use crate::scrub::{REDACTED, Scrubber};
use crate::selection::SubjectSelection;

/// What an erasure did to one table.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TableOutcome {
    pub table: String,
    pub rows: u64,
    pub effect: Effect,
    pub blobs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// The blob outbox ids of the objects queued (the ledger entry names them).
    #[serde(skip)]
    #[schemars(skip)]
    pub outbox: Vec<i64>,
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
    schema: &Schema,
    tenant: Option<&str>,
    ledger: &Ledger,
    now: Timestamp,
) -> Result<ErasureOutcome> {
    let model = selection.model();
    // Before anything changes: the rows outside the erasure that reference what it deletes.
    let erasure = SubjectErasure {
        selection,
        plan,
        schema,
    };
    let mut survivors = Survivors::default();
    for parent in erasure.deleted_tables() {
        let found = Survivors::collect(tx, &erasure, &parent, &|sql: &mut Sql| {
            selection.push_selected(sql, &parent, "p", &mut 0)
        })
        .await?;
        survivors.extend(found);
    }
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
            outbox: Vec::new(),
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
                        .push(" IS NOT NULL RETURNING CAST(id AS text)");
                    let queued = tx
                        .fetch_column(&sql)
                        .await
                        .with_context(|| format!("queueing blobs of {name}"))?;
                    outcome.outbox = queued
                        .into_iter()
                        .map(|id| id.and_then(|id| id.parse().ok()).context("an outbox id"))
                        .collect::<Result<_>>()?;
                    outcome.blobs = outcome.outbox.len() as u64;
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

    // What the database did (and what privctl cleared): no row left belonging to no tenant.
    survivors.verify(tx, &erasure).await?;

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
    // Anonymised tables, by content: no row the plan anonymised, and none a fresh selection
    // finds now (one written while the erasure ran), may keep a value anonymisation did not
    // write.
    let scrubber = subject_scrubber(selection);
    for planned in plan.tables.iter().filter(|p| p.effect == Effect::Anonymise) {
        let table = planned.table.as_str();
        let node = model.node(table);
        let Erase::Anonymise(columns) = &node.spec.erase.subject else {
            continue;
        };
        let push_rows = |sql: &mut Sql| {
            sql.push("(");
            selection.push_selected_inline(sql, table, "t");
            let mut materialized = Sql::new(model.dialect);
            if selection
                .push_materialized(&mut materialized, table, "t")
                .is_some()
            {
                sql.push(" OR ").append(&materialized);
            }
            sql.push(")");
        };
        let mut sql = tx.sql();
        sql.push("SELECT count(*) FROM ")
            .ident(table)
            .push(" t WHERE ");
        push_rows(&mut sql);
        sql.push(" AND ");
        push_not_anonymised(&mut sql, &node.info, "t", columns);
        let mut found = count(tx, &sql).await?;
        found += count_unscrubbed(tx, &node.info, table, columns, &scrubber, |sql| {
            push_rows(sql);
            sql.push(" AND NOT ");
            push_not_anonymised(sql, &node.info, "t", columns);
        })
        .await?;
        if found > 0 {
            remaining += found;
            left.push(format!("{table} ({found} rows)"));
        }
    }
    if remaining > 0 {
        return Err(Failure::failed(format!(
            "after erasure rows of the subject in anonymised tables still hold values anonymisation did not write: {}; nothing was committed",
            left.join(", ")
        ))
        .with_hint("rows written while the erasure ran are not part of its plan: run the dry run again (`privctl dsar delete` without --confirm) for a new token")
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
        selection.push_linked_to_selected(
            &mut sql,
            &child.name,
            "t",
            link,
            from_outside,
            &mut counter,
        );
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
    let model = selection.model();
    let node = model.node(table);
    let scrubber = subject_scrubber(selection);
    anonymise_rows(tx, node.into(), columns, ledger, Some(&scrubber), |sql| {
        selection.push_selected(sql, table, "t", &mut 0)
    })
    .await
}

/// The subject's identifiers, as `scrub` looks for them.
pub fn subject_scrubber(selection: &SubjectSelection<'_>) -> Scrubber {
    let model = selection.model();
    Scrubber::new(
        selection
            .subject()
            .identifiers
            .iter()
            .filter_map(|i| model.identities.get(&i.name).map(|k| (k, i.value.as_str()))),
    )
}

/// The table whose rows [`anonymise_rows`] rewrites: its name, key and catalog description.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub table: &'a str,
    pub key: &'a [String],
    pub info: &'a crate::db::TableInfo,
}

impl<'a> From<&'a crate::model::Node> for Rows<'a> {
    fn from(node: &'a crate::model::Node) -> Self {
        Rows {
            table: &node.name,
            key: &node.key,
            info: &node.info,
        }
    }
}

/// Anonymises the rows of `table` (alias `t`) matching the condition `push_where` writes:
/// `null` and `redact` columns in one statement; `hash` and `scrub` columns computed here, in
/// pages of rows read in key order and written back with one statement per page (the database
/// cannot compute an HMAC or find a phone number portably). Hashes are keyed with the ledger key
/// so equal inputs stay equal. JSON columns keep their type: `redact` writes the JSON string
/// `"[redacted]"`, `hash` the hash as a JSON string, `scrub` rewrites the document's strings.
/// `scrubber` holds the subject's identifiers; without one (a tenant's erasure) `scrub` is refused.
pub async fn anonymise_rows(
    tx: &mut Tx,
    rows: Rows<'_>,
    columns: &[(String, AnonymiseMode)],
    ledger: &Ledger,
    scrubber: Option<&Scrubber>,
    push_where: impl Fn(&mut Sql),
) -> Result<u64> {
    let Rows { table, key, info } = rows;
    let sql_type = |column: &str| info.cast_type(column);
    let is_json = |column: &str| info.column(column).is_some_and(|c| c.is_json());
    let plain: Vec<&(String, AnonymiseMode)> = columns
        .iter()
        .filter(|(_, m)| matches!(m, AnonymiseMode::Null | AnonymiseMode::Redact))
        .collect();
    let computed: Vec<&(String, AnonymiseMode)> = columns
        .iter()
        .filter(|(_, m)| matches!(m, AnonymiseMode::Hash | AnonymiseMode::Scrub))
        .collect();
    if scrubber.is_none()
        && let Some((column, _)) = computed.iter().find(|(_, m)| *m == AnonymiseMode::Scrub)
    {
        return Err(Failure::failed(format!(
            "`{table}`.`{column}` is anonymised with `scrub`, which needs a data subject's identifiers: it is for `dsar delete` only"
        ))
        .with_hint(format!(
            "give the table another effect for delete-tenant: erase = {{ subject = {{ anonymise = {{ {column} = \"scrub\" }} }}, tenant = \"delete\" }}"
        ))
        .into());
    }
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
                _ if is_json(column) => {
                    let redacted = serde_json::Value::from(REDACTED).to_string();
                    sql.bind_as(&redacted, &sql_type(column))
                }
                _ => sql.bind(Param::Text(REDACTED.into())),
            };
        }
        sql.push(" WHERE ");
        push_where(&mut sql);
        affected = tx
            .execute(&sql)
            .await
            .with_context(|| format!("anonymising {table}"))?;
    }
    if computed.is_empty() {
        return Ok(affected);
    }

    // Keyset pages: each page starts after the last key of the one before.
    let mut seen = 0u64;
    let mut after: Option<Vec<String>> = None;
    loop {
        let mut select = tx.sql();
        select.push("SELECT ");
        crate::selection::push_key_json(&mut select, "t", key);
        for (column, _) in &computed {
            select.push(", CAST(").column("t", column).push(" AS text)");
        }
        select.push(" FROM ").ident(table).push(" t WHERE ");
        push_where(&mut select);
        if let Some(last) = &after {
            select.push(" AND ");
            push_key_after(&mut select, key, last, &sql_type);
        }
        select
            .push(" ORDER BY ")
            .columns("t", key)
            .push(" LIMIT ")
            .bind(Param::Int(ANONYMISE_PAGE));
        select.for_update();
        let rows = tx
            .fetch_rows(&select)
            .await
            .with_context(|| format!("reading {table} to anonymise"))?;
        let Some(last) = rows.last() else {
            break;
        };
        seen += rows.len() as u64;
        after = Some(key_values(last[0].as_deref())?);

        // column → (row key, new value) for the rows whose value changes
        let mut changes: Vec<Vec<(Vec<String>, Option<String>)>> = vec![Vec::new(); computed.len()];
        let mut changed_keys: Vec<Vec<String>> = Vec::new();
        for row in &rows {
            let row_key = key_values(row[0].as_deref())?;
            let mut any = false;
            for (i, (column, mode)) in computed.iter().enumerate() {
                let Some(value) = row[i + 1].as_deref() else {
                    continue; // NULL stays NULL
                };
                let new = match mode {
                    AnonymiseMode::Hash => {
                        let hash =
                            ledger.digest(format!("privctl-anonymise/1\0{value}").as_bytes());
                        Some(if is_json(column) {
                            serde_json::Value::from(hash).to_string()
                        } else {
                            hash
                        })
                    }
                    _ => scrubber
                        .expect("checked above")
                        .scrub_stored(value, is_json(column)),
                };
                if let Some(new) = new {
                    changes[i].push((row_key.clone(), Some(new)));
                    any = true;
                }
            }
            if any {
                changed_keys.push(row_key);
            }
        }
        if !changed_keys.is_empty() {
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(table).push(" AS t SET ");
            let mut first = true;
            for (i, (column, _)) in computed.iter().enumerate() {
                if changes[i].is_empty() {
                    continue;
                }
                if !std::mem::take(&mut first) {
                    sql.push(", ");
                }
                sql.ident(column).push(" = CASE");
                for (row_key, value) in &changes[i] {
                    sql.push(" WHEN ");
                    push_key_equals(&mut sql, key, row_key, &sql_type);
                    sql.push(" THEN ");
                    match value {
                        Some(v) => sql.bind_as(v, &sql_type(column)),
                        None => sql.push("NULL"),
                    };
                }
                sql.push(" ELSE ").column("t", column).push(" END");
            }
            // The statement carries the caller's condition (the tenant) as well as the keys.
            sql.push(" WHERE (");
            push_where(&mut sql);
            sql.push(") AND (");
            for (i, row_key) in changed_keys.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                push_key_equals(&mut sql, key, row_key, &sql_type);
            }
            sql.push(")");
            tx.execute(&sql)
                .await
                .with_context(|| format!("anonymising columns of {table}"))?;
        }
        if (rows.len() as i64) < ANONYMISE_PAGE {
            break;
        }
    }
    Ok(affected.max(seen))
}

/// Pushes a condition true for the rows (under `alias`) that hold a value anonymisation did
/// not write in one of `columns`: the rows still to anonymise, wherever they came from (a row
/// inserted while an erasure ran, a run interrupted). What `anonymise_rows` leaves is NULL for
/// `null`, NULL or `[redacted]` (the JSON string in a JSON column) for `redact`, NULL or a hash
/// (64 hexadecimal digits) for `hash`. `scrub` keeps the rest of the value, so only the
/// subject's identifiers can tell (see [`count_unscrubbed`]); it adds nothing here, and
/// without any other column the condition is `1 = 0`.
pub fn push_not_anonymised(
    sql: &mut Sql,
    info: &crate::db::TableInfo,
    alias: &str,
    columns: &[(String, AnonymiseMode)],
) {
    let is_json = |column: &str| info.column(column).is_some_and(|c| c.is_json());
    let dialect = sql.dialect();
    sql.push("(");
    let mut any = false;
    for (column, mode) in columns {
        let quoted = format!("{alias}.{}", dialect.quote(column));
        let text = format!("CAST({quoted} AS text)");
        if *mode == AnonymiseMode::Scrub {
            continue;
        }
        if std::mem::replace(&mut any, true) {
            sql.push(" OR ");
        }
        sql.push("(").push(&quoted).push(" IS NOT NULL");
        match mode {
            AnonymiseMode::Null | AnonymiseMode::Scrub => {}
            AnonymiseMode::Redact => {
                let redacted = if is_json(column) {
                    serde_json::Value::from(REDACTED).to_string()
                } else {
                    REDACTED.to_owned()
                };
                sql.push(" AND ")
                    .push(&text)
                    .push(" <> ")
                    .bind(Param::Text(redacted));
            }
            AnonymiseMode::Hash => {
                sql.push(" AND NOT ").is_hex_digest(&text, is_json(column));
            }
        }
        sql.push(")");
    }
    if !any {
        sql.push("1 = 0");
    }
    sql.push(")");
}

/// Counts the rows matching `push_where` whose `scrub` columns still hold one of the
/// subject's identifiers (as `scrub` finds them: any case, any phone punctuation).
pub async fn count_unscrubbed(
    tx: &mut Tx,
    info: &crate::db::TableInfo,
    table: &str,
    columns: &[(String, AnonymiseMode)],
    scrubber: &Scrubber,
    push_where: impl Fn(&mut Sql),
) -> Result<u64> {
    let scrubbed: Vec<&String> = columns
        .iter()
        .filter(|(_, m)| *m == AnonymiseMode::Scrub)
        .map(|(c, _)| c)
        .collect();
    if scrubbed.is_empty() {
        return Ok(0);
    }
    let is_json = |column: &str| info.column(column).is_some_and(|c| c.is_json());
    let mut sql = tx.sql();
    sql.push("SELECT ");
    for (i, column) in scrubbed.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("CAST(").column("t", column).push(" AS text)");
    }
    sql.push(" FROM ").ident(table).push(" t WHERE ");
    push_where(&mut sql);
    let mut found = 0;
    tx.for_each_text_row(&sql, |row| {
        let holds = scrubbed.iter().zip(row).any(|(column, value)| {
            value.is_some_and(|v| scrubber.scrub_stored(v, is_json(column)).is_some())
        });
        found += u64::from(holds);
        Ok(())
    })
    .await
    .with_context(|| format!("checking the scrubbed columns of {table}"))?;
    Ok(found)
}

/// Rows read and rewritten per statement when values are computed in Rust (`hash`, `scrub`).
const ANONYMISE_PAGE: i64 = 500;

/// A row key from its JSON text (`[1]`, `["a", 2]`), each value as text.
pub(crate) fn key_values(json: Option<&str>) -> Result<Vec<String>> {
    let values: Vec<serde_json::Value> =
        serde_json::from_str(json.unwrap_or("[]")).context("reading a row key")?;
    Ok(values
        .into_iter()
        .map(|value| match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

/// `(t.k1 = v1 AND t.k2 = v2)`, each value converted to its column's type.
pub(crate) fn push_key_equals(
    sql: &mut Sql,
    key: &[String],
    values: &[String],
    sql_type: &impl Fn(&str) -> crate::db::SqlType,
) {
    sql.push("(");
    for (i, (column, value)) in key.iter().zip(values).enumerate() {
        if i > 0 {
            sql.push(" AND ");
        }
        sql.column("t", column)
            .push(" = ")
            .bind_as(value, &sql_type(column));
    }
    sql.push(")");
}

/// `(t.k1, t.k2) > (v1, v2)`: the rows after `values` in key order.
pub(crate) fn push_key_after(
    sql: &mut Sql,
    key: &[String],
    values: &[String],
    sql_type: &impl Fn(&str) -> crate::db::SqlType,
) {
    sql.push("(").columns("t", key).push(") > (");
    for (i, (column, value)) in key.iter().zip(values).enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_as(value, &sql_type(column));
    }
    sql.push(")");
}
