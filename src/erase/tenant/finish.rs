//! The end of a tenant's deletion: the tenant's own row, the closing checks (nothing left,
//! nothing stranded, anonymised rows still anonymised), the job closed and the end recorded in
//! one transaction; then the queued objects deleted.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::links::{erase_owned, push_not_owned_by_tenant};
use super::{ACTION, Progress, TenantRun, tenantless_counts};
use crate::db::Sql;
use crate::effects::{Survivors, TenantErasure};
use crate::erase::{anonymise_rows, push_not_anonymised};
use crate::error::Failure;
use crate::jobs::State;
use crate::ledger::NewEntry;
use crate::map::{Effect, Erase};
use crate::plan::count;
use crate::report::execution::{TenantDeletion, TenantTable};

impl TenantRun<'_> {
    /// Erases the tenant's own row, checks nothing is left, closes the job and records the end, in
    /// one transaction; then deletes the queued blobs.
    pub(super) async fn finish(
        &self,
        progress: &mut Progress,
        resumed: bool,
        leftovers: crate::blobs::DrainReport,
    ) -> Result<()> {
        let (ctx, session, selection, run) = (self.ctx, self.session, self.selection, self.run);
        let job_id = run.job.id.as_str();
        let model = selection.model();
        let tenant = selection.tenant();
        let tenant_node = model.tenant.as_ref().expect("tenant selection");
        let mut tx = session.begin_for(Some(tenant)).await?;
        self.still_ours(&mut tx).await?;

        let mut remaining = 0;
        let mut left = Vec::new();
        for name in model
            .erase_order
            .iter()
            .filter(|n| !model.node(n).global && model.node(n).spec.erase.tenant == Erase::Delete)
        {
            let mut sql = selection.count(name);
            push_not_owned_by_tenant(&mut sql, model, name, "t");
            let n = count(&mut tx, &sql).await?;
            if n > 0 {
                remaining += n;
                left.push(format!("{name} ({n} rows)"));
            }
        }
        if remaining > 0 {
            return Err(Failure::failed(format!(
                "rows of tenant `{tenant}` appeared during the deletion in {}; run the same command again to finish",
                left.join(", ")
            ))
            .into());
        }
        // Anonymised tables, by content: the tenant's rows that hold values anonymisation did not
        // write (written after their table's pass) are anonymised here, in the transaction that
        // closes the job, and reported; then a fresh count must find none.
        for name in model.erase_order.iter().filter(|n| !model.node(n).global) {
            let node = model.node(name);
            let Erase::Anonymise(columns) = &node.spec.erase.tenant else {
                continue;
            };
            let push_unanonymised = |sql: &mut Sql| {
                sql.push("(");
                selection.push_scope(sql, name, "t");
                sql.push(") AND ");
                push_not_anonymised(sql, &node.info, "t", columns);
            };
            let rows = anonymise_rows(
                &mut tx,
                node.into(),
                columns,
                &session.ledger,
                None,
                push_unanonymised,
            )
            .await?;
            progress.add_late(name, rows);
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(name)
                .push(" t WHERE ");
            push_unanonymised(&mut sql);
            let n = count(&mut tx, &sql).await?;
            if n > 0 {
                remaining += n;
                left.push(format!("{name} ({n} rows)"));
            }
        }
        if remaining > 0 {
            return Err(Failure::failed(format!(
                "after anonymising them again, rows of tenant `{tenant}` still hold values anonymisation did not write in {}; nothing of this last step was committed and the job stays open",
                left.join(", ")
            ))
            .with_hint("something privctl cannot see writes them back (a trigger, the application): stop it, then run the same command again to finish")
            .into());
        }
        let push_id = |sql: &mut crate::db::Sql| selection.push_tenant_rows(sql, "t");
        // What the tenant row owns (`[tenant] links`), read before the row goes.
        let mut owned_keys = Vec::new();
        for link in &tenant_node.links {
            let mut sql = tx.sql();
            sql.push("SELECT CAST(")
                .column("t", &link.columns[0])
                .push(" AS text) FROM ")
                .ident(&tenant_node.name)
                .push(" t WHERE ");
            push_id(&mut sql);
            let keys: Vec<String> = tx.fetch_column(&sql).await?.into_iter().flatten().collect();
            owned_keys.push((link, keys));
        }
        let tenant_rows = match selection.tenant_erase() {
            Erase::Delete => {
                let erasure = TenantErasure::new(selection, &session.schema);
                let survivors =
                    Survivors::collect(&mut tx, &erasure, &tenant_node.name, &|sql: &mut Sql| {
                        selection.push_tenant_rows(sql, "p")
                    })
                    .await?;
                let mut sql = tx.sql();
                sql.push("DELETE FROM ")
                    .ident(&tenant_node.name)
                    .push(" AS t WHERE ");
                push_id(&mut sql);
                let deleted = tx
                    .execute(&sql)
                    .await
                    .context("deleting the tenant's row")?;
                survivors.verify(&mut tx, &erasure).await?;
                deleted
            }
            Erase::Anonymise(columns) => {
                let key = vec![tenant_node.id.clone()];
                let rows = crate::erase::Rows {
                    table: &tenant_node.name,
                    key: &key,
                    info: &tenant_node.info,
                };
                anonymise_rows(&mut tx, rows, columns, &session.ledger, None, push_id).await?
            }
            Erase::Retain => 0,
        };
        if *selection.tenant_erase() == Erase::Delete {
            for (link, keys) in owned_keys {
                // Anonymised and retained ones were handled with their table.
                if model.node(&link.parent).spec.erase.tenant == Erase::Delete {
                    erase_owned(&mut tx, session, selection, link, keys, progress, ctx.now).await?;
                }
            }
        }
        progress.add(&tenant_node.name, tenant_rows, 0);
        // Independently of the routes that found the rows: no row may have lost its way to a
        // tenant without being erased (an owned row whose owner is gone, a reference the database
        // set to NULL, a cycle cleared).
        let mut stranded = Vec::new();
        for (table, rows) in tenantless_counts(&mut tx, model).await? {
            let before = progress
                .tenantless_before
                .get(&table)
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if rows > before {
                stranded.push(format!("{table} ({} rows)", rows - before));
            }
        }
        if !stranded.is_empty() {
            return Err(Failure::failed(format!(
                "the deletion of tenant `{tenant}` left rows that belong to no tenant any more in {}: they lost their route to the tenant without being erased; nothing of this last step was committed and the job stays open",
                stranded.join(", ")
            ))
            .with_hint("run `privctl map check` (tenantless_rows) and map those rows' routes; then run the same command again")
            .into());
        }

        run.job
            .end(&mut tx, State::Done, &*progress, ctx.now)
            .await?;
        let mut details = json!({
            "tables": progress.tables,
            "blobs_queued": progress.blobs,
            "remaining": remaining,
            "job": job_id,
            "resumed": resumed,
            "batches": progress.batches,
        });
        if !progress.late.is_empty() {
            details["late_rows"] = json!(progress.late);
        }
        session
            .ledger
            .append(
                &mut tx,
                ctx.now,
                NewEntry::new(ACTION, "done", details).tenant(Some(tenant)),
            )
            .await?;
        tx.commit().await.context("finishing the deletion")?;

        // What this run deleted: the objects earlier runs left (deleted first), then its own.
        let mut blobs = crate::blobs::drain(
            &session.db,
            &session.map,
            &session.ledger,
            Some(tenant),
            ctx.now,
        )
        .await?;
        blobs.deleted += leftovers.deleted;
        blobs.failed += leftovers.failed;
        blobs.errors.extend(leftovers.errors);
        if blobs.failed == 0 && blobs.deleted > 0 {
            self.record_objects_gone(blobs.deleted).await?;
        }
        let effects: BTreeMap<&str, Effect> = model
            .nodes
            .values()
            .map(|n| (n.name.as_str(), n.spec.erase.tenant.effect()))
            .chain(std::iter::once((
                tenant_node.name.as_str(),
                selection.tenant_erase().effect(),
            )))
            .collect();
        // Progress keeps its counts as JSON numbers (it is saved with the job).
        let number = |counts: &Map<String, Value>, table: &str| {
            counts.get(table).and_then(Value::as_u64).unwrap_or(0)
        };
        let tables: Vec<TenantTable> = progress
            .tables
            .keys()
            .map(|t| TenantTable {
                table: t.clone(),
                rows: number(&progress.tables, t),
                effect: effects.get(t.as_str()).copied(),
                blobs: number(&progress.blobs, t),
            })
            .collect();
        let total: u64 = tables.iter().map(|t| t.rows).sum();
        for t in &tables {
            crate::metrics::table(&t.table, t.effect, t.rows);
        }
        crate::metrics::batches(progress.batches);
        crate::metrics::blobs(&blobs);
        if ctx.ui.is_json() {
            ctx.ui.json(&TenantDeletion {
                action: ACTION,
                tenant,
                executed: true,
                resumed,
                tables,
                total_rows: total,
                remaining,
                late_rows: progress
                    .late
                    .keys()
                    .map(|t| (t.clone(), number(&progress.late, t)))
                    .collect(),
                batches: progress.batches,
                longest_batch_ms: progress.longest_batch_ms,
                blobs: &blobs,
            })?;
        } else {
            let rows = tables
                .iter()
                .map(|t| {
                    vec![
                        t.table.clone(),
                        t.rows.to_string(),
                        t.effect.map(Effect::as_str).unwrap_or_default().to_owned(),
                    ]
                })
                .collect();
            ctx.ui.table(&["table", "rows", "effect"], rows)?;
            for (table, rows) in &progress.late {
                ctx.ui.status(&format!(
                    "{table}: {rows} row(s) written during the run after the table's pass were anonymised too"
                ));
            }
            ctx.ui.status(&format!(
                "tenant {tenant} erased: {total} rows in {} batches; {} blob(s) deleted, {} failed (retried on the next run)",
                progress.batches, blobs.deleted, blobs.failed
            ));
        }
        if blobs.failed > 0 {
            return Err(blobs.failure("").into());
        }
        Ok(())
    }
}
