//! The page walk: one pass over a table for every tenant at once.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::TenantPurge;
use crate::clock::Timestamp;
use crate::db::{PageDelete, Sql, SqlType};
use crate::model::Model;

/// A physical walk of one table for every tenant at once (where the database walks pages:
/// [`crate::db::SqlDialect::page_walks`], PostgreSQL 14 and later): batches are
/// ranges of heap pages, read in order (a TID range scan, no index), and each batch deletes the
/// rows in its pages that are past their own tenant's cutoff, locked with `SKIP LOCKED`. One pass
/// over the table, like a plain `DELETE … WHERE created_at < cutoff`, however many tenants.
/// Only for tables nothing references, not partitioned, with their own tenant column.
pub struct TableWalk {
    pub table: String,
    /// Each tenant's cutoff for the table.
    cutoffs: Vec<(Option<String>, Timestamp)>,
    tenant: Option<(String, SqlType)>,
    cutoff: Option<Timestamp>,
}

impl TableWalk {
    pub fn new(model: &Model, purges: &[TenantPurge<'_>], table: &str) -> Option<Self> {
        let node = model.node(table);
        if !model.dialect.sql_ops().page_walks()
            || node.info.partitioned
            || model.links_into(table).next().is_some()
            || node.spec.timestamp.is_none()
        {
            return None;
        }
        let cutoffs: Vec<(Option<&str>, Timestamp)> = purges
            .iter()
            .filter_map(|p| p.cutoffs.get(table).map(|c| (p.tenant.as_deref(), *c)))
            .collect();
        if cutoffs.is_empty() {
            return None;
        }
        let (tenant, cutoff) = match (&model.tenant, &node.tenant) {
            (None, _) => (None, Some(cutoffs[0].1)),
            (Some(_), Some(column)) => (Some(column.clone()), None),
            (Some(_), None) => return None,
        };
        Some(Self {
            table: table.to_owned(),
            cutoffs: cutoffs
                .into_iter()
                .map(|(t, c)| (t.map(str::to_owned), c))
                .collect(),
            tenant,
            cutoff,
        })
    }

    /// Deletes the expired rows in heap pages `[from, to)`; for a table with blobs, returns
    /// the tenant (as text, or NULL) and the object key of each deleted row.
    /// The tenants this walk purges (none for a database without tenants).
    pub fn tenants(&self) -> Vec<String> {
        self.cutoffs.iter().filter_map(|(t, _)| t.clone()).collect()
    }

    /// Leaves tenants out (a legal hold placed during the run); false when none is left.
    pub fn without(&mut self, tenants: &BTreeSet<String>) -> bool {
        self.cutoffs
            .retain(|(t, _)| t.as_ref().is_none_or(|t| !tenants.contains(t)));
        !self.cutoffs.is_empty()
    }

    /// `[["acme", "2026-08-27T10:00:00.000000Z"], …]`
    fn cutoffs_json(&self) -> String {
        let list: Vec<Value> = self
            .cutoffs
            .iter()
            .map(|(t, c)| json!([t, c.to_canonical()]))
            .collect();
        Value::Array(list).to_string()
    }

    /// With `skip_locked`, rows are picked with `FOR UPDATE SKIP LOCKED` first; without, they
    /// are deleted directly (the caller bounds the wait for a locked row with lock_timeout).
    pub fn delete_pages(&self, model: &Model, from: i64, to: i64, skip_locked: bool) -> Sql {
        let node = model.node(&self.table);
        let timestamp = node.spec.timestamp.as_deref().unwrap_or_default();
        let timestamp_type = node.info.cast_type(timestamp);
        model
            .dialect
            .sql_ops()
            .delete_pages(&PageDelete {
                table: &self.table,
                timestamp,
                timestamp_type: &timestamp_type,
                tenant: self.tenant.as_ref().map(|(c, t)| (c.as_str(), t)),
                cutoffs_json: self.cutoffs_json(),
                cutoff: self.cutoff,
                from,
                to,
                skip_locked,
                blob_column: node.spec.blob.as_ref().map(|b| b.column.as_str()),
            })
            .expect("a TableWalk exists only where the database walks pages")
    }
}
