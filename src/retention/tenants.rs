//! The tenants a purge plans for, and their legal holds.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};

use super::TenantRow;
use crate::clock::Timestamp;
use crate::db::Tx;
use crate::error::Failure;
use crate::map::DataMap;
use crate::model::Model;

pub(super) async fn tenants(
    tx: &mut Tx,
    map: &DataMap,
    model: &Model,
    only: Option<&str>,
) -> Result<Vec<TenantRow>> {
    let (Some(spec), Some(node)) = (&map.tenant, &model.tenant) else {
        return Ok(vec![TenantRow {
            id: None,
            plan: None,
            legal_hold: false,
            ended_at: None,
            overrides: BTreeMap::new(),
        }]);
    };
    let column_type = |name: &str| node.info.cast_type(name);
    let mut sql = tx.sql();
    sql.push("SELECT CAST(")
        .column("t", &node.id)
        .push(" AS text), ");
    for column in [&spec.plan, &spec.legal_hold] {
        match column {
            Some(c) => sql.push("CAST(").column("t", c).push(" AS text), "),
            None => sql.push("NULL, "),
        };
    }
    match &spec.ended_at {
        Some(c) => sql.epoch("t", c, &column_type(c)),
        None => sql.push("NULL"),
    };
    for column in spec.retention_overrides.values() {
        sql.push(", CAST(").column("t", column).push(" AS text)");
    }
    sql.push(" FROM ").ident(&node.name).push(" t");
    if let Some(id) = only {
        sql.push(" WHERE ")
            .column("t", &node.id)
            .push(" = ")
            .bind_as(id, &node.id_type);
    }
    sql.push(" ORDER BY 1");
    let rows = tx
        .fetch_rows(&sql)
        .await
        .with_context(|| format!("reading the tenants from {}", node.name))?;
    let mut out = Vec::new();
    for row in rows {
        let id = row[0].clone();
        let who = id.as_deref().unwrap_or_default();
        let ended_at = match &row[3] {
            None => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .and_then(Timestamp::from_unix)
                    .ok_or_else(|| {
                        Failure::failed(format!(
                            "tenant `{who}`: {}.{} holds {text:?}, not a time",
                            node.name,
                            spec.ended_at.as_deref().unwrap_or_default()
                        ))
                    })?,
            ),
        };
        let mut overrides = BTreeMap::new();
        for (i, (category, column)) in spec.retention_overrides.iter().enumerate() {
            let days = match &row[4 + i] {
                None => None,
                Some(text) => Some(text.trim().parse::<i64>().map_err(|_| {
                    Failure::failed(format!(
                        "tenant `{who}`: {}.{column} holds {text:?}, not a number of days",
                        node.name
                    ))
                })?),
            };
            overrides.insert(category.clone(), days);
        }
        out.push(TenantRow {
            id,
            plan: row[1].clone(),
            legal_hold: row[2].as_deref().is_some_and(legal_hold_set),
            ended_at,
            overrides,
        });
    }
    Ok(out)
}

/// Whether a tenant's legal-hold column, read as text, puts it on hold. The one reading of it
/// for every command: anything but a clear "no" holds (`false`, `f`, `0`, `no`, `n`, `off` or
/// empty, in any case), so a value a platform writes its own way (`TRUE`, `yes`, `Y`) keeps the
/// tenant's data rather than releasing it. NULL (no value) is no hold.
pub fn legal_hold_set(text: &str) -> bool {
    !matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "false" | "f" | "0" | "no" | "n" | "off" | ""
    )
}

/// Which of `tenants` are under legal hold now. Where the database locks rows (PostgreSQL)
/// their rows are locked for share until the transaction ends, so a hold cannot be set while a
/// batch of theirs is deleted.
pub async fn held_now(
    tx: &mut Tx,
    map: &DataMap,
    model: &Model,
    tenants: &[String],
) -> Result<BTreeSet<String>> {
    let (Some(column), Some(node)) = (
        map.tenant.as_ref().and_then(|t| t.legal_hold.as_ref()),
        &model.tenant,
    ) else {
        return Ok(BTreeSet::new());
    };
    if tenants.is_empty() {
        return Ok(BTreeSet::new());
    }
    let list = serde_json::to_string(tenants)?;
    let mut sql = tx.sql();
    sql.push("SELECT CAST(t.")
        .ident(&node.id)
        .push(" AS text), CAST(t.")
        .ident(column)
        .push(" AS text) FROM ")
        .ident(&node.name)
        .push(" t WHERE CAST(t.")
        .ident(&node.id)
        .push(" AS text) IN ");
    let ops = model.dialect.sql_ops();
    ops.push_json_text_elements(&mut sql, &list, None);
    sql.push(&ops.for_share_of("t"));
    let rows = tx
        .fetch_rows(&sql)
        .await
        .context("reading the tenants' legal holds")?;
    Ok(rows
        .into_iter()
        .filter(|r| r[1].as_deref().is_some_and(legal_hold_set))
        .filter_map(|r| r[0].clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::legal_hold_set;

    #[test]
    fn a_legal_hold_is_anything_but_a_clear_no() {
        for held in ["true", "t", "1", "TRUE", "True", "yes", "Y", " on ", "2"] {
            assert!(legal_hold_set(held), "{held:?}");
        }
        for free in ["false", "f", "0", "FALSE", "No", "n", "off", "", "  "] {
            assert!(!legal_hold_set(free), "{free:?}");
        }
    }
}
