//! What commands report: the shapes of their `--format json` documents (SPEC section 6) and
//! their rendering as text, written once for every command that prints them.

pub mod audit;
pub mod execution;
pub mod export;
pub mod map;
pub mod purge;
pub mod scan;
pub mod schema;
pub mod status;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::confirm;
use crate::effects::{DatabaseEffect, TriggerWarning};
use crate::map::Effect;
use crate::plan::{ClearedReference, Plan, TablePlan};
use crate::session::Context;

/// A plan as a dry run prints it with `--format json` (SPEC section 6): what the erasure will
/// do, and the token that confirms it (none when nothing matched or the tenant is on hold).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanReport<'a> {
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    pub token: Option<&'a str>,
    pub expires_at: Option<String>,
    pub tables: &'a [TablePlan],
    pub total_rows: u64,
    pub cleared_references: &'a [ClearedReference],
    pub database_effects: &'a [DatabaseEffect],
    pub triggers: &'a [TriggerWarning],
}

impl<'a> PlanReport<'a> {
    pub fn new(
        action: &'a str,
        tenant: Option<&'a str>,
        plan: &'a Plan,
        issued: Option<&'a confirm::Issued>,
    ) -> Self {
        PlanReport {
            action,
            tenant,
            token: issued.map(|i| i.token.as_str()),
            expires_at: issued.map(|i| i.expires_at.to_rfc3339()),
            tables: &plan.tables,
            total_rows: plan.total_rows(),
            cleared_references: &plan.cleared_references,
            database_effects: &plan.database_effects,
            triggers: &plan.triggers,
        }
    }
}

/// Per table, the rows and the effect: what the ledger records of a plan.
pub fn table_counts(plan: &Plan) -> Value {
    plan.tables
        .iter()
        .map(|t| (t.table.clone(), json!({"rows": t.rows, "effect": t.effect})))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// An effect as done: `deleted`, `anonymised`, `retained`.
pub fn done_effect(effect: Effect) -> &'static str {
    match effect {
        Effect::Delete => "deleted",
        Effect::Anonymise => "anonymised",
        Effect::Retain => "retained",
    }
}

/// A subject's plan (`dsar preview`, the dry run of `dsar delete`): JSON, or the tables the
/// subject has rows in, what is cleared, what the database does, and how to confirm.
pub fn print_subject_plan(
    ctx: &Context,
    plan: &Plan,
    tenant: Option<&str>,
    issued: Option<&confirm::Issued>,
) -> Result<()> {
    if ctx.ui.is_json() {
        ctx.ui
            .json(&PlanReport::new("dsar-delete", tenant, plan, issued))?;
        return Ok(());
    }
    if plan.total_rows() == 0 {
        ctx.ui.line(&format!(
            "No row matches this subject{} ({} tables searched): nothing to erase, so no token was issued.",
            tenant.map(|t| format!(" in tenant {t}")).unwrap_or_default(),
            plan.tables.len()
        ))?;
        return Ok(());
    }
    let rows = plan
        .tables
        .iter()
        .filter(|t| t.rows > 0)
        .map(|t| {
            let mut effect = t.effect.as_str().to_owned();
            if t.shared > 0 {
                effect.push_str(&format!(" ({} shared, kept)", t.shared));
            }
            vec![
                t.table.clone(),
                t.rows.to_string(),
                effect,
                t.blobs.to_string(),
            ]
        })
        .collect();
    ctx.ui.table(&["table", "rows", "effect", "blobs"], rows)?;
    print_legal_bases(ctx, plan)?;
    for cleared in &plan.cleared_references {
        ctx.ui.line(&format!(
            "{} row(s) of {} keep their row but lose the reference in `{}`",
            cleared.rows, cleared.table, cleared.column
        ))?;
    }
    print_database_effects(ctx, plan)?;
    ctx.ui.line(&format!(
        "{} rows in {} tables",
        plan.total_rows(),
        plan.tables.iter().filter(|t| t.rows > 0).count()
    ))?;
    if let Some(issued) = issued {
        ctx.ui.line(&format!(
            "To erase: privctl dsar delete (same --tenant and identities) --confirm {}\nThe token expires at {}.",
            issued.token,
            issued.expires_at.to_rfc3339()
        ))?;
    }
    Ok(())
}

/// A tenant's plan (the dry run of `delete-tenant`): JSON, or every table with its rows, what
/// the database does, and how to confirm.
pub fn print_tenant_plan(
    ctx: &Context,
    plan: &Plan,
    tenant: &str,
    issued: &confirm::Issued,
) -> Result<()> {
    if ctx.ui.is_json() {
        ctx.ui.json(&PlanReport::new(
            "delete-tenant",
            Some(tenant),
            plan,
            Some(issued),
        ))?;
        return Ok(());
    }
    let rows = plan
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.clone(),
                t.rows.to_string(),
                t.effect.as_str().to_owned(),
                t.blobs.to_string(),
            ]
        })
        .collect();
    ctx.ui.table(&["table", "rows", "effect", "blobs"], rows)?;
    print_legal_bases(ctx, plan)?;
    print_database_effects(ctx, plan)?;
    ctx.ui
        .line(&format!("{} rows of tenant {tenant}", plan.total_rows()))?;
    ctx.ui.line(&format!(
        "To erase: privctl delete-tenant --tenant {tenant} --confirm {}\nThe token expires at {}.",
        issued.token,
        issued.expires_at.to_rfc3339()
    ))?;
    Ok(())
}

/// Why tables with rows are kept or anonymised, as the map's `legal_basis` says.
fn print_legal_bases(ctx: &Context, plan: &Plan) -> Result<()> {
    for t in plan.tables.iter().filter(|t| t.rows > 0) {
        if let Some(basis) = &t.legal_basis {
            ctx.ui
                .line(&format!("{} ({}): {basis}", t.table, t.effect.as_str()))?;
        }
    }
    Ok(())
}

/// The database's own effects and the tables whose triggers fire, as lines under a plan.
pub fn print_database_effects(ctx: &Context, plan: &Plan) -> Result<()> {
    for effect in &plan.database_effects {
        let what = match effect.action {
            crate::db::OnDelete::Cascade => "deletes",
            crate::db::OnDelete::SetNull => "sets to NULL the reference of",
            _ => "sets to its default the reference of",
        };
        ctx.ui.line(&format!(
            "the database {what} {} row(s) of {}: {}",
            effect.rows,
            effect.table,
            effect.describe()
        ))?;
    }
    for t in &plan.triggers {
        ctx.ui.line(&format!(
            "{} has triggers on {} ({}): their effects are not in this plan",
            t.table,
            t.events.join(" and "),
            t.triggers.join(", ")
        ))?;
    }
    Ok(())
}
