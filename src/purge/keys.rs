//! The key walk of a purge: a table's expired rows in key order, in batches, each deleted
//! with its descendants in its own transaction, skipping what live traffic holds locked.

use std::time::Instant;

use anyhow::{Context as _, Result};

use super::{Progress, PurgeRun};
use crate::db::{Tx, TxMode};
use crate::retention::{self, Batch, TenantPurge};

/// How a walk over a table ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Walked {
    Done,
    /// `--max-duration` ran out.
    Stopped,
    /// The tenant was put under legal hold during the run.
    Held,
}

/// A batch of expired roots of one table, with the descendants that go with them.
#[derive(Clone, Copy)]
pub(super) struct Roots<'a, 'm> {
    pub purge: &'a TenantPurge<'m>,
    pub root: &'a str,
    pub descendants: &'a [String],
    pub keys: &'a [String],
}

impl PurgeRun<'_> {
    /// Deletes one tenant's expired rows of `root` (with their descendants) batch by batch.
    pub(super) async fn purge_table(
        &self,
        purge: &TenantPurge<'_>,
        root: &str,
        progress: &mut Progress,
    ) -> Result<Walked> {
        let (ctx, session, job, lock) = (self.ctx, self.session, &self.run.job, &self.lock);
        let (deadline, bar) = (self.deadline, &self.bar);
        let model = purge.model();
        let descendants = retention::descendants(model, root);
        let mut sizer = self.sizing.sizer();
        let mut after: Option<String> = None;
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(Walked::Stopped);
            }
            let began = Instant::now();
            let limit = sizer.limit();
            let mut tx = session.db.begin(TxMode::Write).await?;
            session.set_tenant(&mut tx, purge.tenant.as_deref()).await?;
            if let Some(tenant) = &purge.tenant {
                let held =
                    retention::held_now(&mut tx, &session.map, model, std::slice::from_ref(tenant))
                        .await?;
                if !held.is_empty() {
                    tx.rollback().await?;
                    return Ok(Walked::Held);
                }
            }
            let deleted_here = match purge.delete_batch_in_place(root, after.as_deref(), limit) {
                Some(sql) => {
                    let rows = tx
                        .fetch_rows(&sql)
                        .await
                        .with_context(|| format!("deleting expired rows of {root}"))?;
                    let mut deleted = 0;
                    let mut objects = Vec::new();
                    for row in rows {
                        match row[0].as_deref() {
                            Some("n") => {
                                deleted = row[1].as_deref().unwrap_or("0").parse().unwrap_or(0);
                                if row[2].is_some() {
                                    after = row[2].clone();
                                }
                            }
                            _ => objects.extend(row[2].clone()),
                        }
                    }
                    if deleted == 0 {
                        tx.rollback().await?;
                        return Ok(Walked::Done);
                    }
                    if let Some(blob) = &model.node(root).spec.blob {
                        crate::blobs::enqueue(
                            &mut tx,
                            &blob.store,
                            root,
                            purge.tenant.as_deref(),
                            &objects,
                            ctx.now,
                        )
                        .await?;
                    }
                    let entry = progress.tables.entry(root.to_owned()).or_default();
                    entry.deleted += deleted;
                    entry.blobs += objects.len() as u64;
                    deleted
                }
                None => {
                    let keys = tx
                        .fetch_column(&purge.select_batch(root, after.as_deref(), limit))
                        .await
                        .with_context(|| format!("selecting expired rows of {root}"))?;
                    let keys: Vec<String> = keys.into_iter().flatten().collect();
                    if keys.is_empty() {
                        tx.rollback().await?;
                        return Ok(Walked::Done);
                    }
                    after = keys.last().cloned();
                    self.delete_batch_skipping_locked(
                        &mut tx,
                        &Roots {
                            purge,
                            root,
                            descendants: &descendants,
                            keys: &keys,
                        },
                        progress,
                    )
                    .await?
                }
            };
            let entry = progress.tables.entry(root.to_owned()).or_default();
            entry.batches += 1;
            entry.seconds += began.elapsed().as_secs_f64();
            lock.verify(&mut tx).await?;
            job.save(&mut tx, &*progress, ctx.now).await?;
            tx.commit()
                .await
                .with_context(|| format!("committing a batch of {root}"))?;
            crate::fault::batch_committed();
            progress.longest_batch_ms = progress
                .longest_batch_ms
                .max(began.elapsed().as_millis() as u64);
            sizer.record(deleted_here.max(1), began.elapsed());
            if let Some(bar) = bar {
                bar.inc(deleted_here);
            }
            if let Some(pause) = self.pause {
                tokio::time::sleep(pause.to_std()).await;
            }
        }
    }

    /// Deletes a batch of expired roots with their descendants, skipping what live traffic has
    /// locked. The roots are already locked by this transaction (`SKIP LOCKED`); a descendant may
    /// not be. On PostgreSQL the batch first waits at most 50 ms for any row lock; if one is held,
    /// the batch is redone root by root, each in a savepoint, and a root whose rows are locked is
    /// left (with its descendants) for the next run, counted in `skipped_locked`. SQLite locks the
    /// whole database, so a batch there never meets a locked row.
    pub(super) async fn delete_batch_skipping_locked(
        &self,
        tx: &mut Tx,
        roots: &Roots<'_, '_>,
        progress: &mut Progress,
    ) -> Result<u64> {
        let session = self.session;
        let Roots {
            purge: _,
            root,
            descendants,
            keys,
        } = *roots;
        // Without a short lock wait (SQLite locks the whole database, so a batch there never
        // meets a locked row) or without descendants, the roots' SKIP LOCKED is enough.
        let dialect = session.db.dialect();
        let (Some(wait), false) = (dialect.sql_ops().short_lock_wait(), descendants.is_empty())
        else {
            return self.delete_with_descendants(tx, roots, progress).await;
        };
        let statement = |text: &str| {
            let mut sql = crate::db::Sql::new(dialect);
            sql.push(text);
            sql
        };
        tx.execute(&statement(wait)).await?;
        tx.execute(&statement("SAVEPOINT privctl_batch")).await?;
        let before = progress.tables.clone();
        match self.delete_with_descendants(tx, roots, progress).await {
            Ok(deleted) => return Ok(deleted),
            Err(error) if crate::db::is_lock_timeout(&error) => {
                progress.tables = before;
                tx.execute(&statement("ROLLBACK TO SAVEPOINT privctl_batch"))
                    .await?;
            }
            Err(error) => return Err(error),
        }
        let mut deleted = 0;
        for key in keys {
            tx.execute(&statement("SAVEPOINT privctl_root")).await?;
            let before = progress.tables.clone();
            match self
                .delete_with_descendants(
                    tx,
                    &Roots {
                        keys: std::slice::from_ref(key),
                        ..*roots
                    },
                    progress,
                )
                .await
            {
                Ok(n) => {
                    deleted += n;
                    tx.execute(&statement("RELEASE SAVEPOINT privctl_root"))
                        .await?;
                }
                Err(error) if crate::db::is_lock_timeout(&error) => {
                    progress.tables = before;
                    tx.execute(&statement("ROLLBACK TO SAVEPOINT privctl_root"))
                        .await?;
                    progress
                        .tables
                        .entry(root.to_owned())
                        .or_default()
                        .skipped_locked += 1;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(deleted)
    }

    /// Deletes a batch of `root`'s rows, given by key, with their descendants (children first),
    /// after clearing references into them from rows that stay. Returns the rows deleted.
    async fn delete_with_descendants(
        &self,
        tx: &mut Tx,
        roots: &Roots<'_, '_>,
        progress: &mut Progress,
    ) -> Result<u64> {
        let (ctx, session) = (self.ctx, self.session);
        let Roots {
            purge,
            root,
            descendants,
            keys,
        } = *roots;
        let model = purge.model();
        let batch = Batch {
            root,
            descendants,
            keys_json: format!("[{}]", keys.join(",")),
        };
        let mut deleted_here = 0;
        for table in descendants.iter().map(String::as_str).chain([root]) {
            for (child, link) in retention::cleared_links(model, table) {
                let mut sql = tx.sql();
                sql.push("UPDATE ").ident(&child.name).push(" SET ");
                for (i, column) in link.columns.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.ident(column).push(" = NULL");
                }
                let quoted = session.db.dialect().quote(&child.name);
                sql.push(" WHERE ")
                    .tuple(&quoted, &link.columns)
                    .push(" IN (SELECT ")
                    .columns("x", &link.parent_columns)
                    .push(" FROM ")
                    .ident(table)
                    .push(" x WHERE ");
                purge.push_member(&mut sql, &batch, table, "x", &mut 0);
                sql.push(")");
                tx.execute(&sql).await.with_context(|| {
                    format!("clearing {}.{}", child.name, link.columns.join(","))
                })?;
            }
            let node = model.node(table);
            let mut sql = tx.sql();
            sql.push("DELETE FROM ").ident(table).push(" AS d WHERE ");
            purge.push_member(&mut sql, &batch, table, "d", &mut 0);
            let (rows, blobs) = match &node.spec.blob {
                Some(blob) => {
                    sql.push(" RETURNING CAST(")
                        .ident(&blob.column)
                        .push(" AS text)");
                    let objects = tx
                        .fetch_column(&sql)
                        .await
                        .with_context(|| format!("deleting from {table}"))?;
                    let rows = objects.len() as u64;
                    let objects: Vec<String> = objects.into_iter().flatten().collect();
                    crate::blobs::enqueue(
                        tx,
                        &blob.store,
                        table,
                        purge.tenant.as_deref(),
                        &objects,
                        ctx.now,
                    )
                    .await?;
                    (rows, objects.len() as u64)
                }
                None => (
                    tx.execute(&sql)
                        .await
                        .with_context(|| format!("deleting from {table}"))?,
                    0,
                ),
            };
            let entry = progress.tables.entry(table.to_owned()).or_default();
            entry.deleted += rows;
            entry.blobs += blobs;
            deleted_here += rows;
        }
        Ok(deleted_here)
    }
}
