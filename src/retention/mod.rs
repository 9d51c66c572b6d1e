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
//!
//! Here: windows and cutoffs; tenants.rs the tenants and their legal holds; predicates.rs the
//! statements of a tenant's purge; partitions.rs whole partitions; walk.rs the page walk;
//! stated.rs each table's window as a data subject is told it.

mod partitions;
mod predicates;
mod stated;
mod tenants;
mod walk;

pub use partitions::{Check as PartitionCheck, Partition, droppable_partitions};
pub use predicates::{Batch, TenantPurge, cleared_links, descendants};
pub use stated::{Stated, stated};
pub use tenants::{held_now, legal_hold_set};
pub use walk::TableWalk;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::db::Tx;
use crate::error::Failure;
use crate::ledger::sha256_hex;
use crate::map::{DataMap, RetentionRule, Window};
use crate::model::Model;

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
    let tenants = tenants::tenants(tx, map, model, only).await?;
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

/// A tenant's window for one category: the map's rule, its plan's tier, or its override.
struct Resolved {
    window: Window,
    /// `[tenant.retention_overrides]`: the days in the tenant's row that replace the map's window.
    override_days: Option<i64>,
    /// Counted from the tenant's `ended_at`, not from each row's timestamp.
    after_end: bool,
}

fn resolve(
    map: &DataMap,
    tenant: &TenantRow,
    category: &str,
    rule: &RetentionRule,
) -> Result<Resolved, String> {
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
    let window = match (overridden, rule) {
        (_, RetentionRule::AfterEnd(keep)) => overridden.unwrap_or(*keep),
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
    Ok(Resolved {
        window,
        override_days: days,
        after_end: matches!(rule, RetentionRule::AfterEnd(_)),
    })
}

/// One tenant's window for `category`: (window as shown, cutoff, note).
fn cutoff(
    map: &DataMap,
    tenant: &TenantRow,
    category: &str,
    rule: &RetentionRule,
    now: Timestamp,
) -> Result<(String, Option<Timestamp>, Option<String>), String> {
    let Resolved {
        window,
        override_days,
        after_end: counted_from_end,
    } = resolve(map, tenant, category, rule)?;
    let note = override_days.map(|_| "tenant override".to_owned());
    if counted_from_end {
        return Ok(after_end(tenant, window, note, now));
    }
    let cutoff = match window {
        Window::Unlimited => None,
        Window::Keep(d) => Some(now.plus_seconds(-d.seconds())),
    };
    // An override is a number of days in the tenant's row: show it as that (0 days is "0d",
    // never record, not "0s").
    let shown = match override_days {
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
