//! The passes of a tenant's deletion over one table: delete in batches, anonymise in pages in
//! key order, or count what is kept. Each batch or page is its own short transaction that also
//! records the job's progress, checked against the run's lock and the tenant's legal hold.

use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::json;

use super::links::{erase_owned, owned_links, push_not_owned_by_tenant};
use super::{Progress, TenantRun};
use crate::db::{Param, Sql, Tx};
use crate::effects::{Survivors, TenantErasure};
use crate::erase::anonymise_rows;
use crate::map::AnonymiseMode;
use crate::model::{Link, Node};
use crate::plan::count;

impl TenantRun<'_> {
    /// Deletes the tenant's rows of `name` in batches (children before parents: the erasure
    /// order), with the rows they own and their objects queued; each batch first checks that
    /// no row outside the erasure still references what it deletes.
    pub(super) async fn delete_pass(
        &self,
        name: &str,
        node: &Node,
        progress: &mut Progress,
    ) -> Result<()> {
        let (ctx, session, selection, tenant) =
            (self.ctx, self.session, self.selection, self.tenant());
        let mut sizer = self.sizing.sizer();
        let model = selection.model();
        let erasure = TenantErasure::new(selection, &session.schema);
        // The rows outside the erasure that reference this table's rows of the tenant,
        // read once: each batch checks them before it commits.
        let mut tx = session.begin_for(Some(tenant)).await?;
        let survivors = Survivors::collect(&mut tx, &erasure, name, &|sql: &mut Sql| {
            selection.push_scope(sql, name, "p")
        })
        .await?;
        tx.rollback().await?;
        loop {
            let began = Instant::now();
            let mut tx = session.begin_for(Some(tenant)).await?;
            let mut sql = tx.sql();
            sql.push("DELETE FROM ").ident(name).push(" WHERE ");
            let limit = sizer.limit();
            session.db.dialect().sql_ops().push_picked_rows(
                &mut sql,
                name,
                &node.key,
                node.info.partitioned,
                &mut |sql| {
                    selection.push_scope(sql, name, "x");
                    // Rows the tenant row owns go after it (the foreign key is the tenant row's).
                    push_not_owned_by_tenant(sql, model, name, "x");
                    // No ORDER BY: any n rows of the tenant will do, and the database can stop
                    // at n instead of finding and sorting every remaining row on each batch.
                    sql.push(" LIMIT ").bind(Param::Int(limit));
                },
            );
            let owned: Vec<&Link> = owned_links(model, node);
            let returned = !owned.is_empty() || node.spec.blob.is_some();
            let (rows, blobs) = if returned {
                sql.push(" RETURNING ");
                match &node.spec.blob {
                    Some(blob) => sql.push("CAST(").ident(&blob.column).push(" AS text)"),
                    None => sql.push("NULL"),
                };
                for link in &owned {
                    sql.push(", CAST(")
                        .ident(&link.columns[0])
                        .push(" AS text)");
                }
                let deleted = tx
                    .fetch_rows(&sql)
                    .await
                    .with_context(|| format!("deleting from {name}"))?;
                let mut blobs = 0;
                if let Some(blob) = &node.spec.blob {
                    let objects: Vec<String> =
                        deleted.iter().filter_map(|r| r[0].clone()).collect();
                    crate::blobs::enqueue(
                        &mut tx,
                        &blob.store,
                        name,
                        Some(tenant),
                        &objects,
                        ctx.now,
                    )
                    .await?;
                    blobs = objects.len() as u64;
                }
                for (i, link) in owned.iter().enumerate() {
                    let keys: Vec<String> =
                        deleted.iter().filter_map(|r| r[i + 1].clone()).collect();
                    erase_owned(&mut tx, session, selection, link, keys, progress, ctx.now).await?;
                }
                (deleted.len() as u64, blobs)
            } else {
                (
                    tx.execute(&sql)
                        .await
                        .with_context(|| format!("deleting from {name}"))?,
                    0,
                )
            };
            if rows == 0 {
                tx.rollback().await?;
                break;
            }
            survivors.verify(&mut tx, &erasure).await?;
            progress.add(name, rows, blobs);
            self.commit_batch(tx, name, progress, began).await?;
            sizer.record(rows, began.elapsed());
            self.pause().await;
        }
        Ok(())
    }

    /// Anonymises the tenant's rows of `name`, in pages of the batches' size in key order; each
    /// page records its last key, so a resume goes on after it.
    pub(super) async fn anonymise_pass(
        &self,
        name: &str,
        node: &Node,
        columns: &[(String, AnonymiseMode)],
        progress: &mut Progress,
    ) -> Result<()> {
        let (ctx, session, selection, tenant) =
            (self.ctx, self.session, self.selection, self.tenant());
        let mut sizer = self.sizing.sizer();
        // A pass finished before an interruption (`passes_done`; or, for a job a
        // version before this one saved, a count without a page position) is not
        // walked again, so a hash is never hashed twice and no row counted twice.
        let again = progress.passes_done.iter().any(|t| t == name)
            || (progress.tables.contains_key(name) && !progress.anonymise_after.contains_key(name));
        if again {
            // Rows written since are the closing pass's (`finish`): anonymised there
            // and reported as late, with every other table's.
            return Ok(());
        }
        // The pass, in pages in key order (sized like the batches), each its own short
        // transaction that records the page's last key: a resume goes on after it.
        let sql_type = |column: &str| node.info.cast_type(column);
        let types: Vec<crate::db::SqlType> = node.key.iter().map(|k| sql_type(k)).collect();
        loop {
            let began = Instant::now();
            let batch = sizer.limit();
            let mut tx = session.begin_for(Some(tenant)).await?;
            let mut page = tx.sql();
            page.push("SELECT ");
            crate::selection::push_key_json(&mut page, "t", &node.key);
            page.push(" FROM ").ident(name).push(" t WHERE (");
            selection.push_scope(&mut page, name, "t");
            page.push(")");
            if let Some(after) = progress.anonymise_after.get(name) {
                let after = crate::erase::key_values(after.as_str())?;
                page.push(" AND ");
                crate::erase::push_key_after(&mut page, &node.key, &after, &sql_type);
            }
            page.push(" ORDER BY ")
                .columns("t", &node.key)
                .push(" LIMIT ")
                .bind(Param::Int(batch));
            let keys: Vec<String> = tx
                .fetch_column(&page)
                .await
                .with_context(|| format!("reading the next page of {name}"))?
                .into_iter()
                .flatten()
                .collect();
            let Some(last) = keys.last().cloned() else {
                // The pass is over: recorded, so a resume or the closing pass takes
                // rows written from now on as late ones.
                progress.tables.entry(name.to_owned()).or_insert(json!(0));
                progress.passes_done.push(name.to_owned());
                self.still_ours(&mut tx).await?;
                self.run.job.save(&mut tx, &*progress, ctx.now).await?;
                tx.commit().await?;
                break;
            };
            let keys_json = format!("[{}]", keys.join(","));
            let rows = anonymise_rows(
                &mut tx,
                node.into(),
                columns,
                &session.ledger,
                None,
                |sql| {
                    sql.push("(");
                    selection.push_scope(sql, name, "t");
                    sql.push(") AND ");
                    sql.key_in_json("t", &node.key, &types, &keys_json);
                },
            )
            .await?;
            progress.add(name, rows, 0);
            progress
                .anonymise_after
                .insert(name.to_owned(), json!(last));
            // A short page is the last: the pass ends in this transaction.
            let last_page = (keys.len() as i64) < batch;
            if last_page {
                progress.passes_done.push(name.to_owned());
            }
            self.commit_batch(tx, name, progress, began).await?;
            sizer.record(rows, began.elapsed());
            if last_page {
                break;
            }
            self.pause().await;
        }
        Ok(())
    }

    /// A table the map keeps: reported like the plan reports it, with its count, once.
    pub(super) async fn count_kept(&self, name: &str, progress: &mut Progress) -> Result<()> {
        if progress.tables.contains_key(name) {
            return Ok(());
        }
        let mut tx = self.session.begin_for(Some(self.tenant())).await?;
        let rows = count(&mut tx, &self.selection.count(name)).await?;
        progress.add(name, rows, 0);
        self.still_ours(&mut tx).await?;
        self.run.job.save(&mut tx, &*progress, self.ctx.now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Commits a batch of `name` with the job's progress, once the run's lock and the tenant's
    /// hold were checked in it; counts the batch and its time.
    async fn commit_batch(
        &self,
        mut tx: Tx,
        name: &str,
        progress: &mut Progress,
        began: Instant,
    ) -> Result<()> {
        progress.batches += 1;
        self.still_ours(&mut tx).await?;
        self.run.job.save(&mut tx, &*progress, self.ctx.now).await?;
        tx.commit()
            .await
            .with_context(|| format!("committing a batch of {name}"))?;
        crate::fault::batch_committed();
        progress.longest_batch_ms = progress
            .longest_batch_ms
            .max(began.elapsed().as_millis() as u64);
        Ok(())
    }

    /// `--batch-pause`, between batches.
    async fn pause(&self) {
        if let Some(pause) = self.pause {
            tokio::time::sleep(pause.to_std()).await;
        }
    }
}
