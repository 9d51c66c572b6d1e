//! The page walk of a purge (PostgreSQL 14+): a table where many rows expire is walked in
//! physical order, for every tenant at once, by ranges of heap pages.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{Context as _, Result};

use super::{Progress, PurgeRun};
use crate::db::TxMode;
use crate::retention::{self, TenantPurge};

impl PurgeRun<'_> {
    /// Walks, in physical order and for every tenant at once, each table where many rows expire
    /// (PostgreSQL 14+, no row-level security setting, a table nothing references); marks its
    /// tenant pairs done. `Ok(false)` when `--max-duration` ran out.
    pub(super) async fn walk_tables(
        &self,
        purges: &[TenantPurge<'_>],
        planned: &BTreeMap<String, u64>,
        progress: &mut Progress,
        held: &mut BTreeSet<String>,
    ) -> Result<bool> {
        let (ctx, session, job, lock) = (self.ctx, self.session, &self.run.job, &self.lock);
        let (deadline, bar) = (self.deadline, &self.bar);
        if session.map.tenant_setting.is_some() {
            return Ok(true);
        }
        let model = &session.model;
        let mut tx = session.db.begin(TxMode::Write).await?;
        let walks = tx.page_walks().await?;
        tx.rollback().await?;
        if !walks {
            return Ok(true); // no TID range scans: the per-tenant key walk does the work
        }
        for table in &model.erase_order {
            let Some(mut walk) = retention::TableWalk::new(model, purges, table) else {
                continue;
            };
            let pairs: Vec<String> = purges
                .iter()
                .filter(|p| p.cutoffs.contains_key(table))
                .map(|p| format!("{}/{table}", p.tenant.as_deref().unwrap_or("(all)")))
                .collect();
            if pairs.iter().all(|p| progress.done.contains(p)) {
                continue;
            }
            // The table's size in pages and rows per page, from the catalog.
            let mut tx = session.db.begin(TxMode::Write).await?;
            let Some(size) = tx.table_pages(table).await? else {
                tx.rollback().await?;
                continue;
            };
            tx.rollback().await?;
            let (pages, per_page, estimate) = (size.pages, size.rows_per_page.max(1), size.rows);
            // A physical pass reads the whole table: worth it when a good share of it expires;
            // otherwise the key walk touches only the expired rows' neighbourhood.
            let expiring = planned.get(table).copied().unwrap_or(0) as f64;
            if estimate <= 0 || expiring < 0.05 * estimate as f64 {
                continue;
            }
            // Pages per batch: as many as hold the batch's rows.
            let mut sizer = self.sizing.sizer();
            let mut page = progress.walks.get(table).copied().unwrap_or(0);
            if let Some(bar) = bar {
                bar.set_message(format!("{table} (pages in order)"));
            }
            while page < pages {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(false);
                }
                let began = Instant::now();
                let step = (sizer.limit() / per_page).max(1);
                // First a plain delete of the pages that waits at most 50 ms for a row lock; if
                // live traffic holds one, the batch is redone picking rows with SKIP LOCKED (and
                // the held rows wait for the next night). Locking every row first would double
                // the cost of the common, uncontended batch.
                let mut skip_locked = false;
                let (mut tx, rows) = loop {
                    let mut tx = session.db.begin(TxMode::Write).await?;
                    let now_held =
                        retention::held_now(&mut tx, &session.map, model, &walk.tenants()).await?;
                    if !now_held.is_empty() {
                        held.extend(now_held.iter().cloned());
                        if !walk.without(&now_held) {
                            break (tx, None);
                        }
                    }
                    if let (false, Some(wait)) =
                        (skip_locked, tx.dialect().sql_ops().short_lock_wait())
                    {
                        let mut set = tx.sql();
                        set.push(wait);
                        tx.execute(&set).await?;
                    }
                    let sql = walk.delete_pages(model, page, page + step, skip_locked);
                    // (rows deleted, and for a table with blobs each row's tenant and object)
                    let result = if model.node(table).spec.blob.is_some() {
                        tx.fetch_rows(&sql)
                            .await
                            .map(|rows| (rows.len() as u64, rows))
                    } else {
                        tx.execute(&sql).await.map(|n| (n, Vec::new()))
                    };
                    match result {
                        Ok(rows) => break (tx, Some(rows)),
                        Err(error) if !skip_locked && crate::db::is_lock_timeout(&error) => {
                            tx.rollback().await?;
                            skip_locked = true;
                        }
                        Err(error) => {
                            return Err(error.context(format!("deleting expired rows of {table}")));
                        }
                    }
                };
                let Some((deleted, rows)) = rows else {
                    // Every tenant of this walk went under legal hold.
                    tx.rollback().await?;
                    break;
                };
                let node = model.node(table);
                let blobs = match &node.spec.blob {
                    Some(blob) => {
                        let mut by_tenant: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
                        for row in &rows {
                            if let Some(object) = &row[1] {
                                by_tenant
                                    .entry(row[0].clone())
                                    .or_default()
                                    .push(object.clone());
                            }
                        }
                        let mut blobs = 0;
                        for (tenant, objects) in by_tenant {
                            blobs += objects.len() as u64;
                            crate::blobs::enqueue(
                                &mut tx,
                                &blob.store,
                                table,
                                tenant.as_deref(),
                                &objects,
                                ctx.now,
                            )
                            .await?;
                        }
                        blobs
                    }
                    None => 0,
                };
                page += step;
                let entry = progress.tables.entry(table.clone()).or_default();
                entry.deleted += deleted;
                entry.blobs += blobs;
                entry.batches += 1;
                entry.seconds += began.elapsed().as_secs_f64();
                progress.walks.insert(table.clone(), page);
                if page >= pages {
                    let finished = pairs.iter().filter(|p| !held_pair(held, p));
                    progress.done.extend(finished.cloned());
                }
                lock.verify(&mut tx).await?;
                job.save(&mut tx, &*progress, ctx.now).await?;
                tx.commit()
                    .await
                    .with_context(|| format!("committing a batch of {table}"))?;
                progress.longest_batch_ms = progress
                    .longest_batch_ms
                    .max(began.elapsed().as_millis() as u64);
                // Sized by the rows the pages hold, deleted or not: reading them is the cost.
                sizer.record((step * per_page) as u64, began.elapsed());
                if let Some(bar) = bar {
                    bar.inc(deleted);
                }
                if let Some(pause) = self.pause {
                    tokio::time::sleep(pause.to_std()).await;
                }
            }
            progress
                .done
                .extend(pairs.into_iter().filter(|p| !held_pair(held, p)));
        }
        Ok(true)
    }
}

/// Whether a `tenant/table` pair belongs to a tenant in `held`.
fn held_pair(held: &BTreeSet<String>, pair: &str) -> bool {
    pair.rsplit_once('/')
        .is_some_and(|(tenant, _)| held.contains(tenant))
}
