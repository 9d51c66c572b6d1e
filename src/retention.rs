//! Retention: which rows are past their window, and the statements that purge them.
//!
//! `[retention]` gives each category a flat window, a window per plan tier, or a time after the
//! tenant's `ended_at`; `[tenant.retention_overrides]` replaces a category's window for one
//! tenant. Every window becomes an absolute cutoff, fixed once at plan time (the confirmed run
//! recomputes them from the token's issue time), so a purge never chases a moving "now".
//!
//! A row goes when its timestamp is before its table's cutoff, or when a parent it belongs to
//! goes: a purged conversation takes its messages, recordings and transcripts, whatever their
//! own windows. "Belongs to" is a followed link (`follow = true`, not `owned`) from a table whose
//! rows are deleted on erasure; kept tables (`retain`, `anonymise`), `owned` and `follow = false`
//! links only lose the reference (set to NULL).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::db::{PageDelete, Param, PickedDelete, Sql, SqlType, Tx};
use crate::error::Failure;
use crate::ledger::sha256_hex;
use crate::map::{DataMap, Erase, RetentionRule, Window};
use crate::model::{Link, Model};
use crate::selection::push_tenant_scope;

/// One tenant's window for one table, as an absolute cutoff.
#[derive(Debug, Clone)]
pub struct Cutoff {
    pub tenant: Option<String>,
    pub plan: Option<String>,
    pub table: String,
    pub category: String,
    /// The window as the map (or the tenant's override) gives it: `90d`, `unlimited`, …
    pub window: String,
    /// Rows whose timestamp is before this go; `None`: nothing expires.
    pub cutoff: Option<Timestamp>,
    /// Why there is no cutoff, or where the window came from.
    pub note: Option<String>,
    /// Rows past the cutoff (filled in by the plan).
    pub rows: u64,
}

impl Cutoff {
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "tenant": self.tenant,
            "plan": self.plan,
            "table": self.table,
            "category": self.category,
            "window": self.window,
            "cutoff": self.cutoff.map(Timestamp::to_rfc3339),
            "rows": self.rows,
        });
        if let Some(note) = &self.note {
            value["note"] = json!(note);
        }
        value
    }

    fn key(&self) -> String {
        format!(
            "{}/{}",
            self.tenant.as_deref().unwrap_or("(all)"),
            self.table
        )
    }
}

/// A tenant left out of the purge, and why.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Skipped {
    pub tenant: String,
    pub reason: String,
}

/// privctl's own ledger, as purge plans name it.
pub const LEDGER_TABLE: &str = "privctl_ledger";

/// Every tenant's cutoffs at one instant.
#[derive(Debug, Clone)]
pub struct Windows {
    pub now: Timestamp,
    pub cutoffs: Vec<Cutoff>,
    pub skipped: Vec<Skipped>,
    /// `[retention] ledger`: ledger entries written before this go (runs over every tenant only).
    pub ledger: Option<Timestamp>,
}

impl Windows {
    /// What a purge token binds: every (tenant, table) cutoff and every skipped tenant.
    pub fn digest(&self) -> String {
        let mut text = String::from("privctl-purge/1\n");
        for c in &self.cutoffs {
            text.push_str(&format!(
                "{}\0{}\0{}\n",
                c.tenant.as_deref().unwrap_or(""),
                c.table,
                c.cutoff.map(Timestamp::to_canonical).unwrap_or_default()
            ));
        }
        for s in &self.skipped {
            text.push_str(&format!("skip\0{}\0{}\n", s.tenant, s.reason));
        }
        if let Some(ledger) = self.ledger {
            text.push_str(&format!("ledger\0{}\n", ledger.to_canonical()));
        }
        sha256_hex(text.as_bytes())
    }

    /// `tenant/table` (and `privctl_ledger`) → the cutoff as RFC 3339, or null.
    fn cutoffs_by_key(&self) -> BTreeMap<String, Value> {
        let mut out: BTreeMap<String, Value> = self
            .cutoffs
            .iter()
            .map(|c| (c.key(), json!(c.cutoff.map(Timestamp::to_rfc3339))))
            .collect();
        if let Some(ledger) = self.ledger {
            out.insert(LEDGER_TABLE.to_owned(), json!(ledger.to_rfc3339()));
        }
        out
    }

    /// What the token stores to explain a later difference.
    pub fn summary(&self, tables: &BTreeMap<String, u64>) -> Value {
        let cutoffs = self.cutoffs_by_key();
        let skipped: Vec<&str> = self.skipped.iter().map(|s| s.tenant.as_str()).collect();
        json!({"cutoffs": cutoffs, "skipped": skipped, "tables": tables})
    }

    /// Lines saying how these windows differ from `issued` (a [`Windows::summary`]).
    pub fn explain_difference(&self, issued: &Value) -> String {
        let empty = serde_json::Map::new();
        let before = issued
            .get("cutoffs")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let now = self.cutoffs_by_key();
        let mut keys: BTreeSet<&String> = before.keys().collect();
        keys.extend(now.keys());
        let show = |v: Option<&Value>| match v {
            None => "not purged".to_owned(),
            Some(Value::Null) => "no cutoff".to_owned(),
            Some(v) => format!("cutoff {}", v.as_str().unwrap_or_default()),
        };
        let mut lines: Vec<String> = keys
            .into_iter()
            .filter(|k| before.get(*k) != now.get(*k))
            .map(|k| {
                format!(
                    "  {k}: {} at the dry run, {} now",
                    show(before.get(k)),
                    show(now.get(k))
                )
            })
            .collect();
        let skipped_before: BTreeSet<&str> = issued
            .get("skipped")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for s in &self.skipped {
            if !skipped_before.contains(s.tenant.as_str()) {
                lines.push(format!("  {}: now skipped ({})", s.tenant, s.reason));
            }
        }
        for t in skipped_before {
            if !self.skipped.iter().any(|s| s.tenant == t) {
                lines.push(format!("  {t}: skipped at the dry run, not now"));
            }
        }
        if lines.is_empty() {
            lines.push("  the windows' digest differs (the map changed)".into());
        }
        lines.join("\n")
    }

    /// The purges to run, one per tenant with at least one cutoff.
    pub fn purges<'m>(&self, model: &'m Model) -> Vec<TenantPurge<'m>> {
        let mut by_tenant: BTreeMap<Option<String>, BTreeMap<String, Timestamp>> = BTreeMap::new();
        for c in &self.cutoffs {
            if let Some(cutoff) = c.cutoff {
                by_tenant
                    .entry(c.tenant.clone())
                    .or_default()
                    .insert(c.table.clone(), cutoff);
            }
        }
        by_tenant
            .into_iter()
            .map(|(tenant, cutoffs)| TenantPurge {
                model,
                tenant,
                cutoffs,
            })
            .collect()
    }
}

/// A tenant as retention sees it.
#[derive(Debug, Clone)]
struct TenantRow {
    id: Option<String>,
    plan: Option<String>,
    legal_hold: bool,
    ended_at: Option<Timestamp>,
    /// category → days from `[tenant.retention_overrides]` (NULL: the map's window).
    overrides: BTreeMap<String, Option<i64>>,
}

/// Computes every tenant's cutoffs (or only `only`'s) at `now`. A category without a window,
/// or a tenant whose plan has no window in a per-plan rule, is an error, never a silent skip.
pub async fn windows(
    tx: &mut Tx,
    map: &DataMap,
    model: &Model,
    only: Option<&str>,
    now: Timestamp,
) -> Result<Windows> {
    let tenants = tenants(tx, map, model, only).await?;
    let mut out = Windows {
        now,
        cutoffs: Vec::new(),
        skipped: Vec::new(),
        // A run for one tenant leaves the ledger, which every tenant shares, alone.
        ledger: map
            .ledger_retention
            .filter(|_| only.is_none())
            .map(|window| now.plus_seconds(-window.seconds())),
    };
    let mut problems = Vec::new();
    for tenant in &tenants {
        if tenant.legal_hold {
            out.skipped.push(Skipped {
                tenant: tenant.id.clone().unwrap_or_default(),
                reason: "legal hold".into(),
            });
            continue;
        }
        for name in &model.erase_order {
            let node = model.node(name);
            let Some(category) = &node.spec.category else {
                continue;
            };
            // A misspelt category must not switch retention off: map check reports it, and
            // the purge refuses rather than skip the table.
            let Some(rule) = map.retention.get(category) else {
                let problem = format!(
                    "tables.{}.category: `{category}` has no window in [retention]",
                    crate::map::check::toml_key(name)
                );
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
                continue;
            };
            // Kept for every tenant alike (`"unlimited"`, no override): nothing to plan.
            let overridden = map
                .tenant
                .as_ref()
                .is_some_and(|t| t.retention_overrides.contains_key(category));
            if *rule == RetentionRule::Flat(Window::Unlimited) && !overridden {
                continue;
            }
            match cutoff(map, tenant, category, rule, now) {
                Ok((window, cutoff, note)) => out.cutoffs.push(Cutoff {
                    tenant: tenant.id.clone(),
                    plan: tenant.plan.clone(),
                    table: name.clone(),
                    category: category.clone(),
                    window,
                    cutoff,
                    note,
                    rows: 0,
                }),
                Err(problem) => {
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Failure::failed(format!(
            "the retention plan is incomplete; nothing was purged and no token was issued:\n  {}",
            problems.join("\n  ")
        ))
        .with_hint("give every category and plan tier a window in [retention] (\"unlimited\" keeps forever), or fix the tenant's plan; `privctl map check` lists what is missing")
        .into());
    }
    Ok(out)
}

/// One tenant's window for `category`: (window as shown, cutoff, note).
fn cutoff(
    map: &DataMap,
    tenant: &TenantRow,
    category: &str,
    rule: &RetentionRule,
    now: Timestamp,
) -> Result<(String, Option<Timestamp>, Option<String>), String> {
    let who = tenant.id.as_deref().unwrap_or("the database");
    let days = tenant.overrides.get(category).copied().flatten();
    if let Some(days) = days
        && days < 0
    {
        let column = map
            .tenant
            .as_ref()
            .and_then(|t| t.retention_overrides.get(category))
            .map_or("?", String::as_str);
        return Err(format!(
            "tenant `{who}`: {column} = {days} is not a number of days"
        ));
    }
    let overridden = days.map(|d| Window::Keep(crate::map::Duration::from_seconds(d * 86_400)));
    let note = overridden.map(|_| "tenant override".to_owned());
    let window = match (overridden, rule) {
        (_, RetentionRule::AfterEnd(keep)) => {
            return Ok(after_end(tenant, overridden.unwrap_or(*keep), note, now));
        }
        (Some(w), _) => w,
        (None, RetentionRule::Flat(w)) => *w,
        (None, RetentionRule::ByPlan(tiers)) => {
            let Some(plan) = &tenant.plan else {
                return Err(format!(
                    "tenant `{who}` has no plan, and [retention].{category} has a window per plan"
                ));
            };
            *tiers.get(plan).ok_or_else(|| {
                format!(
                    "tenant `{who}` is on plan `{plan}`, which [retention].{category} has no window for"
                )
            })?
        }
    };
    let cutoff = match window {
        Window::Unlimited => None,
        Window::Keep(d) => Some(now.plus_seconds(-d.seconds())),
    };
    // An override is a number of days in the tenant's row: show it as that (0 days is "0d",
    // never record, not "0s").
    let shown = match days {
        Some(days) => format!("{days}d"),
        None => show_window(&window),
    };
    Ok((shown, cutoff, note))
}

/// A window counted from the tenant's `ended_at`: once it has passed, everything the tenant
/// left (up to the plan's instant) goes; before, nothing.
fn after_end(
    tenant: &TenantRow,
    keep: Window,
    note: Option<String>,
    now: Timestamp,
) -> (String, Option<Timestamp>, Option<String>) {
    let shown = format!("{} after ended_at", show_window(&keep));
    let Window::Keep(keep) = keep else {
        return (shown, None, note);
    };
    match tenant.ended_at {
        None => (shown, None, Some("the subscription has not ended".into())),
        Some(ended) => {
            let expires = ended.plus_seconds(keep.seconds());
            if now >= expires {
                (shown, Some(now), note)
            } else {
                let note = format!("expires at {}", expires.to_rfc3339());
                (shown, None, Some(note))
            }
        }
    }
}

fn show_window(window: &Window) -> String {
    match window {
        Window::Unlimited => "unlimited".to_owned(),
        Window::Keep(d) => d.to_string(),
    }
}

async fn tenants(
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

/// One tenant's purge: its cutoffs by table, and the statements that carry them out.
pub struct TenantPurge<'m> {
    model: &'m Model,
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
fn carries(link: &Link, table: &str) -> bool {
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

/// A leaf partition of a range-partitioned table whose every row is past its tenant's cutoff:
/// dropped whole instead of deleted row by row.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Partition {
    pub table: String,
    pub partition: String,
    /// The partition's upper bound (exclusive), as PostgreSQL prints it.
    pub upper_bound: String,
    pub rows: u64,
}

/// Leaf partitions of `table` (PostgreSQL, range-partitioned on its timestamp column) whose
/// upper bound is at or before the cutoff of every tenant they hold rows of, and that hold no
/// row of a tenant this run does not purge. Only for tables that nothing references, without
/// blobs, and with their own tenant column (or no tenants): dropping such a partition deletes
/// exactly the rows the batches would. Without `verify`, candidates by their bounds only (no
/// partition is read).
pub async fn droppable_partitions(
    tx: &mut Tx,
    model: &Model,
    purges: &[TenantPurge<'_>],
    table: &str,
    only: Option<&str>,
    verify: bool,
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
        if !verify {
            // Candidates by their bounds only; the caller verifies each under a lock.
            out.push(Partition {
                table: table.to_owned(),
                partition: name,
                upper_bound: upper,
                rows: 0,
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
        let mut sql = Sql::new(model.dialect);
        sql.push("SELECT count(*) FROM ").ident(&name);
        let rows = crate::plan::count(tx, &sql).await?;
        out.push(Partition {
            table: table.to_owned(),
            partition: name,
            upper_bound: upper,
            rows,
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

#[cfg(test)]
mod tests {
    use super::{legal_hold_set, upper_bound};

    #[test]
    fn a_legal_hold_is_anything_but_a_clear_no() {
        for held in ["true", "t", "1", "TRUE", "True", "yes", "Y", " on ", "2"] {
            assert!(legal_hold_set(held), "{held:?}");
        }
        for free in ["false", "f", "0", "FALSE", "No", "n", "off", "", "  "] {
            assert!(!legal_hold_set(free), "{free:?}");
        }
    }

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
