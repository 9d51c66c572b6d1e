//! Range partitions whose every row is past its cutoff, dropped whole.

use anyhow::Result;

use super::TenantPurge;
use crate::db::{Sql, Tx};
use crate::model::Model;

/// A leaf partition of a range-partitioned table whose every row is past its tenant's cutoff:
/// dropped whole instead of deleted row by row.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Partition {
    pub table: String,
    pub partition: String,
    /// The partition's upper bound (exclusive), as PostgreSQL prints it.
    pub upper_bound: String,
    pub rows: u64,
    /// `rows` is the catalog's estimate, not a count: the rows per page of the partition's last
    /// ANALYZE or VACUUM times its present size. A count reads the whole partition under its
    /// lock, the one cost of dropping it that grows with its size (issue 16); the estimate is
    /// taken when the catalog has one and the partition is dropped in the confirmed run. Every
    /// row of the partition is gone either way.
    #[serde(default)]
    pub rows_estimated: bool,
}

/// How far [`droppable_partitions`] checks each candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// By its bounds only: no partition is read (the caller checks each again under a lock).
    Bounds,
    /// Its rows' tenants, and its rows counted.
    Count,
    /// Its rows' tenants, and its rows from the catalog's estimate when there is one.
    Estimate,
}

/// Leaf partitions of `table` (PostgreSQL, range-partitioned on its timestamp column) whose
/// upper bound is at or before the cutoff of every tenant they hold rows of, and that hold no
/// row of a tenant this run does not purge. Only for tables that nothing references, without
/// blobs, and with their own tenant column (or no tenants): dropping such a partition deletes
/// exactly the rows the batches would. `check` says how far each is read.
pub async fn droppable_partitions(
    tx: &mut Tx,
    model: &Model,
    purges: &[TenantPurge<'_>],
    table: &str,
    only: Option<&str>,
    check: Check,
) -> Result<Vec<Partition>> {
    let node = model.node(table);
    let Some(timestamp) = &node.spec.timestamp else {
        return Ok(Vec::new());
    };
    let tenant_column = match (&model.tenant, &node.tenant) {
        (None, _) => None,
        (Some(_), Some((column, sql_type))) => Some((column.clone(), sql_type.clone())),
        (Some(_), None) => return Ok(Vec::new()),
    };
    if !model.dialect.sql_ops().range_partitions()
        || !node.info.partitioned
        || node.spec.blob.is_some()
        || model.links_into(table).next().is_some()
    {
        return Ok(Vec::new());
    }
    // Leaf partitions whose key is exactly the timestamp column, with their upper bounds.
    let leaves = tx.range_partitions(table, timestamp).await?;
    let ops = model.dialect.sql_ops();
    let mut out = Vec::new();
    for (name, bound) in leaves {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let Some(upper) = upper_bound(&bound) else {
            continue; // DEFAULT, MAXVALUE, or a bound this code does not read: rows go one by one
        };
        let Some(upper_micros) = tx.timestamp_micros(&upper).await else {
            continue;
        };
        let allowed: Vec<&str> = purges
            .iter()
            .filter(|p| {
                p.cutoffs
                    .get(table)
                    .is_some_and(|c| upper_micros <= c.unix_micros())
            })
            .map(|p| p.tenant.as_deref().unwrap_or_default())
            .collect();
        if allowed.is_empty() {
            continue;
        }
        if check == Check::Bounds {
            // Candidates by their bounds only; the caller verifies each under a lock.
            out.push(Partition {
                table: table.to_owned(),
                partition: name,
                upper_bound: upper,
                rows: 0,
                rows_estimated: false,
            });
            continue;
        }
        if let Some((column, sql_type)) = &tenant_column {
            let list = serde_json::to_string(&allowed)?;
            let tenant_table = model.tenant.as_ref().expect("checked above");
            let checked_by_key = node.info.foreign_keys.iter().any(|fk| {
                fk.columns == [column.clone()]
                    && fk.references == tenant_table.name
                    && fk.referenced_columns == [tenant_table.id.clone()]
            });
            let mut sql = Sql::new(model.dialect);
            if checked_by_key {
                // Every value is a tenant id (a foreign key says so): probe the partition for
                // each tenant this run does not purge that far, through its tenant index,
                // instead of reading the whole partition.
                sql.push("SELECT 1 FROM ")
                    .ident(&tenant_table.name)
                    .push(" o WHERE o.")
                    .ident(&tenant_table.id)
                    .push(" NOT IN ");
                ops.push_json_text_elements(&mut sql, &list, Some(sql_type));
                sql.push(" AND EXISTS (SELECT 1 FROM ")
                    .ident(&name)
                    .push(" t WHERE t.")
                    .ident(column)
                    .push(" = o.")
                    .ident(&tenant_table.id)
                    .push(") UNION ALL SELECT 1 FROM ")
                    .ident(&name)
                    .push(" t WHERE t.")
                    .ident(column)
                    .push(" IS NULL LIMIT 1");
            } else {
                sql.push("SELECT 1 FROM ")
                    .ident(&name)
                    .push(" t WHERE t.")
                    .ident(column)
                    .push(" IS NULL OR t.")
                    .ident(column)
                    .push(" NOT IN ");
                ops.push_json_text_elements(&mut sql, &list, Some(sql_type));
                sql.push(" LIMIT 1");
            }
            if tx.fetch_optional(&sql).await?.is_some() {
                continue; // a row of a tenant kept longer (or on hold) lives here
            }
        }
        let estimate = match check {
            Check::Estimate => tx.table_pages(&name).await?.and_then(|p| p.estimate),
            _ => None,
        };
        let rows = match estimate {
            Some(rows) => rows,
            None => {
                let mut sql = Sql::new(model.dialect);
                sql.push("SELECT count(*) FROM ").ident(&name);
                crate::plan::count(tx, &sql).await?
            }
        };
        out.push(Partition {
            table: table.to_owned(),
            partition: name,
            upper_bound: upper,
            rows,
            rows_estimated: estimate.is_some(),
        });
    }
    Ok(out)
}

/// The upper bound of `FOR VALUES FROM (…) TO ('…')`, unquoted.
fn upper_bound(bound: &str) -> Option<String> {
    let to = bound.rfind(" TO (")?;
    let inner = bound[to + 5..].strip_suffix(')')?.trim();
    let quoted = inner.strip_prefix('\'')?.strip_suffix('\'')?;
    if quoted.contains('\'') && !quoted.contains("''") {
        return None;
    }
    Some(quoted.replace("''", "'"))
}

#[cfg(test)]
mod tests {
    use super::upper_bound;

    #[test]
    fn reads_the_upper_bound_of_a_range_partition() {
        assert_eq!(
            upper_bound("FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')"),
            Some("2026-02-01 00:00:00+00".into())
        );
        assert_eq!(
            upper_bound("FOR VALUES FROM ('2026-01-01') TO (MAXVALUE)"),
            None
        );
        assert_eq!(upper_bound("DEFAULT"), None);
    }
}
