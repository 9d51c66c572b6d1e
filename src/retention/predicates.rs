//! The statements of one tenant's purge: expired roots in key order, what goes with them.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::Timestamp;
use crate::db::{Param, PickedDelete, Sql, SqlType};
use crate::map::Erase;
use crate::model::{Link, Model};
use crate::selection::push_tenant_scope;

/// One tenant's purge: its cutoffs by table, and the statements that carry them out.
pub struct TenantPurge<'m> {
    pub(super) model: &'m Model,
    pub tenant: Option<String>,
    pub cutoffs: BTreeMap<String, Timestamp>,
}

impl<'m> TenantPurge<'m> {
    pub fn model(&self) -> &'m Model {
        self.model
    }

    fn push_scope(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        push_tenant_scope(
            self.model,
            self.tenant.as_deref(),
            sql,
            table,
            alias,
            counter,
        );
    }

    /// Whether any row of `table` can go: its own window, or a parent it goes with.
    pub fn expires(&self, table: &str) -> bool {
        self.cutoffs.contains_key(table) || self.carrying_links(table).next().is_some()
    }

    /// Links along which rows of `table` go with their parent.
    fn carrying_links<'s>(&'s self, table: &'s str) -> impl Iterator<Item = &'m Link> + 's {
        let node = self.model.node(table);
        let deletes = node.spec.erase.tenant == Erase::Delete;
        node.links.iter().filter(move |l| {
            deletes
                && carries(l, table)
                && self.model.nodes.contains_key(&l.parent)
                && self.expires(&l.parent)
        })
    }

    /// `table`'s own expired rows: the tenant's, with a timestamp before the cutoff.
    pub fn push_own(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        let node = self.model.node(table);
        sql.push("(");
        self.push_scope(sql, table, alias, counter);
        if let (Some(cutoff), Some(column)) = (self.cutoffs.get(table), &node.spec.timestamp) {
            let sql_type = node.info.cast_type(column);
            sql.push(" AND ").before(alias, column, &sql_type, *cutoff);
        }
        sql.push(")");
    }

    /// Every row of `table` this purge deletes: its own expired rows, or rows whose parent goes.
    /// Call only when [`TenantPurge::expires`].
    pub fn push_expired(&self, sql: &mut Sql, table: &str, alias: &str, counter: &mut usize) {
        sql.push("(");
        let mut first = true;
        if self.cutoffs.contains_key(table) {
            self.push_own(sql, table, alias, counter);
            first = false;
        }
        for link in self.carrying_links(table) {
            if !first {
                sql.push(" OR ");
            }
            first = false;
            push_through_link(sql, alias, link, counter, |sql, inner, counter| {
                self.push_expired(sql, &link.parent, inner, counter)
            });
        }
        if first {
            sql.push("1 = 0");
        }
        sql.push(")");
    }
}

/// `alias.<link columns> IN (SELECT <parent columns> FROM parent pN WHERE <condition>)`, the
/// condition on the parent's rows pushed by `condition` under the alias `pN`.
fn push_through_link(
    sql: &mut Sql,
    alias: &str,
    link: &Link,
    counter: &mut usize,
    condition: impl FnOnce(&mut Sql, &str, &mut usize),
) {
    *counter += 1;
    let inner = format!("p{counter}");
    sql.tuple(alias, &link.columns)
        .push(" IN (SELECT ")
        .columns(&inner, &link.parent_columns)
        .push(" FROM ")
        .ident(&link.parent)
        .push(" ")
        .push(&inner)
        .push(" WHERE ");
    condition(sql, &inner, counter);
    sql.push(")");
}

/// Whether rows of `table` go with the parent of `link`.
pub(super) fn carries(link: &Link, table: &str) -> bool {
    link.follow && !link.owned && link.parent != table
}

/// Tables whose rows go with a purged row of `root`, children before parents.
pub fn descendants(model: &Model, root: &str) -> Vec<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut queue = vec![root.to_owned()];
    while let Some(parent) = queue.pop() {
        for (child, link) in model.links_into(&parent) {
            if child.spec.erase.tenant == Erase::Delete
                && carries(link, &child.name)
                && child.name != root
                && found.insert(child.name.clone())
            {
                queue.push(child.name.clone());
            }
        }
    }
    model
        .erase_order
        .iter()
        .filter(|t| found.contains(*t))
        .cloned()
        .collect()
}

/// References into `table` that a purge sets to NULL instead of deleting the referencing row:
/// from kept tables, along `owned` or `follow = false` links, and self-references.
pub fn cleared_links<'m>(
    model: &'m Model,
    table: &'m str,
) -> impl Iterator<Item = (&'m crate::model::Node, &'m Link)> + 'm {
    model.links_into(table).filter(move |(child, link)| {
        !(child.spec.erase.tenant == Erase::Delete && carries(link, &child.name))
    })
}

/// One batch of a root table's expired rows, as a JSON array of keys bound to each statement.
pub struct Batch<'a> {
    pub root: &'a str,
    pub descendants: &'a [String],
    /// `[[1],[2]]`: each key as the JSON array of its columns.
    pub keys_json: String,
}

impl TenantPurge<'_> {
    /// `SELECT key_json FROM root WHERE own expired AND key > after ORDER BY key LIMIT n`, rows
    /// locked and locked rows skipped where the database locks rows, so live traffic is never
    /// waited for.
    pub fn select_batch(&self, root: &str, after: Option<&str>, limit: i64) -> Sql {
        let node = self.model.node(root);
        let mut sql = Sql::new(self.model.dialect);
        sql.push("SELECT ");
        crate::selection::push_key_json(&mut sql, "r", &node.key);
        sql.push(" FROM ").ident(root).push(" r WHERE ");
        self.push_own(&mut sql, root, "r", &mut 0);
        if let Some(after) = after {
            push_after(&mut sql, self.model, root, after);
        }
        sql.push(" ORDER BY ").columns("r", &node.key);
        sql.push(" LIMIT ").bind(Param::Int(limit));
        sql.push(&self.model.dialect.sql_ops().skip_locked_of("r"));
        sql
    }

    /// For a table nothing references and that is not partitioned, where the database can
    /// (PostgreSQL): one batch in one statement. The batch's rows are picked in key order and
    /// locked (skipping rows live traffic holds), then deleted by their physical address (a TID
    /// scan, no second index lookup). Returns `('n', count, last key)` and one `('b', NULL,
    /// object)` per blob.
    pub fn delete_batch_in_place(
        &self,
        root: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Option<Sql> {
        let model = self.model;
        let node = model.node(root);
        if node.info.partitioned || model.links_into(root).next().is_some() {
            return None;
        }
        let filter = |sql: &mut Sql| {
            self.push_own(sql, root, "r", &mut 0);
            if let Some(after) = after {
                push_after(sql, model, root, after);
            }
        };
        model.dialect.sql_ops().delete_picked_rows(&PickedDelete {
            table: root,
            key: &node.key,
            blob_column: node.spec.blob.as_ref().map(|b| b.column.as_str()),
            limit,
            filter: &filter,
        })
    }

    /// Rows of `table` in the batch: the root's keys, or rows whose carrying parent is in it.
    pub fn push_member(
        &self,
        sql: &mut Sql,
        batch: &Batch<'_>,
        table: &str,
        alias: &str,
        counter: &mut usize,
    ) {
        let node = self.model.node(table);
        if table == batch.root {
            sql.push("(");
            self.push_scope(sql, table, alias, counter);
            let types: Vec<SqlType> = (0..node.key.len())
                .map(|i| key_type(self.model, table, i))
                .collect();
            sql.push(" AND ")
                .key_in_json(alias, &node.key, &types, &batch.keys_json)
                .push(")");
            return;
        }
        sql.push("(");
        let mut first = true;
        for link in node.links.iter().filter(|l| {
            carries(l, table) && (l.parent == batch.root || batch.descendants.contains(&l.parent))
        }) {
            if !first {
                sql.push(" OR ");
            }
            first = false;
            push_through_link(sql, alias, link, counter, |sql, inner, counter| {
                self.push_member(sql, batch, &link.parent, inner, counter)
            });
        }
        if first {
            sql.push("1 = 0");
        }
        sql.push(")");
    }
}

/// ` AND <key of r> > <the key in after>`: where the previous batch stopped.
fn push_after(sql: &mut Sql, model: &Model, root: &str, after: &str) {
    let node = model.node(root);
    sql.push(" AND ").tuple("r", &node.key).push(" > ");
    if node.key.len() > 1 {
        sql.push("(");
    }
    for i in 0..node.key.len() {
        if i > 0 {
            sql.push(", ");
        }
        push_json_element(sql, after, i, &key_type(model, root, i));
    }
    if node.key.len() > 1 {
        sql.push(")");
    }
}

/// The SQL type of a key column, for casts of values read back from JSON.
fn key_type(model: &Model, table: &str, i: usize) -> SqlType {
    let node = model.node(table);
    node.info.cast_type(&node.key[i])
}

/// Element `i` of a bound JSON array, converted to `sql_type` where the database has types.
fn push_json_element(sql: &mut Sql, json_text: &str, i: usize, sql_type: &SqlType) {
    sql.dialect()
        .sql_ops()
        .push_json_array_element(sql, json_text, i, sql_type);
}
