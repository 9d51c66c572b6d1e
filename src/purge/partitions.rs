//! Whole partitions past every cutoff: detached and dropped instead of deleted row by row.

use std::time::Instant;

use anyhow::{Context as _, Result};

use super::{Progress, PurgeRun};
use crate::db::TxMode;
use crate::retention::{self, PartitionCheck, TenantPurge};

impl PurgeRun<'_> {
    /// Detaches and drops each partition of `table` whose rows are all past their cutoffs: the
    /// partition is locked against writes, checked again, detached (a brief ACCESS EXCLUSIVE on the
    /// parent, bounded by lock_timeout) and dropped, in one transaction. Its rows are the
    /// catalog's estimate where there is one (see [`retention::Partition::rows_estimated`]): a
    /// count would read the partition whole.
    pub(super) async fn drop_partitions(
        &self,
        purges: &[TenantPurge<'_>],
        table: &str,
        progress: &mut Progress,
    ) -> Result<()> {
        let (ctx, session, job, lock) = (self.ctx, self.session, &self.run.job, &self.lock);
        let model = &session.model;
        let mut tx = session.db.begin(TxMode::Write).await?;
        let candidates = retention::droppable_partitions(
            &mut tx,
            model,
            purges,
            table,
            None,
            PartitionCheck::Bounds,
        )
        .await?;
        tx.rollback().await?;
        for candidate in candidates {
            let began = Instant::now();
            let mut tx = session.db.begin(TxMode::Write).await?;
            let mut sql = tx.sql();
            sql.push("LOCK TABLE ")
                .ident(&candidate.partition)
                .push(" IN SHARE MODE");
            tx.execute(&sql).await?;
            let again = retention::droppable_partitions(
                &mut tx,
                model,
                purges,
                table,
                Some(&candidate.partition),
                PartitionCheck::Estimate,
            )
            .await?;
            let Some(partition) = again.into_iter().next() else {
                tx.rollback().await?;
                continue;
            };
            let mut sql = tx.sql();
            sql.push("ALTER TABLE ")
                .ident(table)
                .push(" DETACH PARTITION ")
                .ident(&partition.partition);
            tx.execute(&sql)
                .await
                .with_context(|| format!("detaching partition {}", partition.partition))?;
            let mut sql = tx.sql();
            sql.push("DROP TABLE ").ident(&partition.partition);
            tx.execute(&sql)
                .await
                .with_context(|| format!("dropping partition {}", partition.partition))?;
            let entry = progress.tables.entry(table.to_owned()).or_default();
            entry.deleted += partition.rows;
            entry.batches += 1;
            entry.seconds += began.elapsed().as_secs_f64();
            progress.partitions.push(partition);
            lock.verify(&mut tx).await?;
            job.save(&mut tx, &*progress, ctx.now).await?;
            tx.commit().await?;
            progress.longest_batch_ms = progress
                .longest_batch_ms
                .max(began.elapsed().as_millis() as u64);
        }
        Ok(())
    }
}
