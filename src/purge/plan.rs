//! What a purge would delete: every tenant's expired rows counted into the windows, the
//! partitions that go whole, and the guard against deleting too much at once.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};

use crate::db::Tx;
use crate::error::Failure;
use crate::map::Effect;
use crate::plan::{ClearedReference, TablePlan, count};
use crate::retention::{self, TenantPurge, Windows};
use crate::session::Session;

/// What the dry run found: per table the rows that go (own window or with a parent).
pub struct Planned {
    pub tables: Vec<TablePlan>,
    pub cleared: Vec<ClearedReference>,
    /// Partitions that go whole (PostgreSQL range partitions past every cutoff).
    pub partitions: Vec<retention::Partition>,
}

impl Planned {
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.tables
            .iter()
            .map(|t| (t.table.clone(), t.rows))
            .collect()
    }
}

/// Counts every tenant's expired rows into `windows` and per table.
pub async fn plan(tx: &mut Tx, session: &Session, windows: &mut Windows) -> Result<Planned> {
    let model = &session.model;
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    let mut blobs: BTreeMap<String, u64> = BTreeMap::new();
    let mut cleared: BTreeMap<(String, String), u64> = BTreeMap::new();
    let purges = windows.purges(model);
    for purge in &purges {
        let tenant = purge.tenant.as_deref();
        session.set_tenant(tx, tenant).await?;
        for c in windows
            .cutoffs
            .iter_mut()
            .filter(|c| c.tenant.as_deref() == tenant && c.cutoff.is_some())
        {
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(&c.table)
                .push(" t WHERE ");
            purge.push_own(&mut sql, &c.table, "t", &mut 0);
            c.rows = count(tx, &sql)
                .await
                .with_context(|| format!("counting expired rows of {}", c.table))?;
        }
        for name in model.erase_order.iter().filter(|t| purge.expires(t)) {
            let node = model.node(name);
            let mut sql = tx.sql();
            sql.push("SELECT count(*)");
            if let Some(blob) = &node.spec.blob {
                sql.push(", count(").column("t", &blob.column).push(")");
            }
            sql.push(" FROM ").ident(name).push(" t WHERE ");
            purge.push_expired(&mut sql, name, "t", &mut 0);
            let row = tx
                .fetch_optional(&sql)
                .await
                .with_context(|| format!("counting the rows of {name} to purge"))?
                .unwrap_or_default();
            let number = |i: usize| -> u64 {
                row.get(i)
                    .cloned()
                    .flatten()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            *rows.entry(name.clone()).or_default() += number(0);
            *blobs.entry(name.clone()).or_default() += number(1);
            if number(0) == 0 {
                continue;
            }
            for (child, link) in retention::cleared_links(model, name) {
                let mut sql = tx.sql();
                sql.push("SELECT count(*) FROM ")
                    .ident(&child.name)
                    .push(" c WHERE ")
                    .tuple("c", &link.columns)
                    .push(" IN (SELECT ")
                    .columns("x", &link.parent_columns)
                    .push(" FROM ")
                    .ident(name)
                    .push(" x WHERE ");
                purge.push_expired(&mut sql, name, "x", &mut 0);
                sql.push(")");
                let n = count(tx, &sql).await?;
                if n == 0 {
                    continue;
                }
                if !link.nullable {
                    return Err(Failure::failed(format!(
                        "purging `{name}` would leave {n} row(s) of `{}` pointing at deleted rows, and `{}`.`{}` cannot be NULL",
                        child.name,
                        child.name,
                        link.columns.join("`, `")
                    ))
                    .with_hint(format!(
                        "let `{}` go with its parent (erase = \"delete\" and a followed link), or allow NULL in that column",
                        child.name
                    ))
                    .into());
                }
                *cleared
                    .entry((child.name.clone(), link.columns.join(",")))
                    .or_default() += n;
            }
        }
    }
    // Parents first, as the windows are shown.
    let tables = model
        .erase_order
        .iter()
        .rev()
        .filter_map(|name| {
            rows.get(name).map(|&n| TablePlan {
                table: name.clone(),
                rows: n,
                effect: Effect::Delete,
                blobs: blobs.get(name).copied().unwrap_or(0),
                shared: 0,
                legal_basis: None,
                keys_digest: String::new(),
            })
        })
        .collect();
    let cleared = cleared
        .into_iter()
        .map(|((table, column), rows)| ClearedReference {
            table,
            column,
            rows,
        })
        .collect();
    let mut partitions = Vec::new();
    for table in partitioned_roots(session, &purges) {
        partitions.extend(
            retention::droppable_partitions(
                tx,
                model,
                &purges,
                table,
                None,
                retention::PartitionCheck::Count,
            )
            .await?,
        );
    }
    Ok(Planned {
        tables,
        cleared,
        partitions,
    })
}

/// Tables with a cutoff that are partitioned (the candidates for dropping whole partitions).
pub fn partitioned_roots<'s>(session: &'s Session, purges: &[TenantPurge<'_>]) -> Vec<&'s str> {
    session
        .model
        .erase_order
        .iter()
        .filter(|t| session.model.node(t).info.partitioned)
        .filter(|t| purges.iter().any(|p| p.cutoffs.contains_key(*t)))
        .map(String::as_str)
        .collect()
}
