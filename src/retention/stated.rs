//! Each table's retention as a data subject is told it (the HTML export): the same windows a
//! purge applies to the subject's tenant, without the cutoffs.

use std::collections::BTreeMap;

use anyhow::Result;

use super::predicates::carries;
use super::{TenantRow, resolve, tenants};
use crate::clock::Timestamp;
use crate::db::Tx;
use crate::map::{DataMap, Erase, RetentionRule, Window};
use crate::model::Model;

/// How long one table's rows are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stated {
    /// No window of its own; the rows go with rows of these tables when those are purged.
    WithParents(Vec<String>),
    /// No window, and nothing it belongs to has one.
    NoWindow,
    /// The tenant is under legal hold: nothing of it is purged for now.
    Held,
    /// Kept for `window` after the row's timestamp (`Unlimited`: no time limit).
    Keep { window: Window, overridden: bool },
    /// Kept until `window` after the tenant's subscription ends (`ended`, when it has).
    AfterEnd {
        window: Window,
        ended: Option<Timestamp>,
    },
    /// Over every tenant (`--all-tenants`): a window per plan tier.
    PerPlan(BTreeMap<String, Window>),
    /// The map gives this tenant no window (no plan, a plan without a tier, a bad override):
    /// `map check` and `purge-retention` say more.
    Unstated,
}

/// Every mapped table's retention for `tenant` (`None`: a map without tenants, or every tenant).
pub async fn stated(
    tx: &mut Tx,
    map: &DataMap,
    model: &Model,
    tenant: Option<&str>,
) -> Result<BTreeMap<String, Stated>> {
    // With tenants, `None` is every tenant: only the map's rules apply, not one tenant's row.
    let row = if tenant.is_some() || map.tenant.is_none() {
        tenants::tenants(tx, map, model, tenant)
            .await?
            .into_iter()
            .next()
    } else {
        None
    };
    let mut out = BTreeMap::new();
    for (name, node) in &model.nodes {
        let row = row.as_ref().filter(|_| !node.global);
        let stated = match &node.spec.category {
            None => {
                let parents: Vec<String> = node
                    .links
                    .iter()
                    .filter(|l| {
                        node.spec.erase.tenant == Erase::Delete
                            && carries(l, name)
                            && model
                                .nodes
                                .get(&l.parent)
                                .is_some_and(|p| p.spec.category.is_some())
                    })
                    .map(|l| l.parent.clone())
                    .collect();
                if parents.is_empty() {
                    Stated::NoWindow
                } else {
                    Stated::WithParents(parents)
                }
            }
            Some(_) if row.is_some_and(|r| r.legal_hold) => Stated::Held,
            Some(category) => match (map.retention.get(category), row) {
                (None, _) => Stated::Unstated,
                (Some(rule), Some(row)) => of_tenant(map, row, category, rule),
                (Some(RetentionRule::Flat(window)), None) => Stated::Keep {
                    window: *window,
                    overridden: false,
                },
                (Some(RetentionRule::ByPlan(tiers)), None) => Stated::PerPlan(tiers.clone()),
                (Some(RetentionRule::AfterEnd(window)), None) => Stated::AfterEnd {
                    window: *window,
                    ended: None,
                },
            },
        };
        out.insert(name.clone(), stated);
    }
    Ok(out)
}

fn of_tenant(map: &DataMap, row: &TenantRow, category: &str, rule: &RetentionRule) -> Stated {
    match resolve(map, row, category, rule) {
        Err(_) => Stated::Unstated,
        Ok(r) if r.after_end => Stated::AfterEnd {
            window: r.window,
            ended: row.ended_at,
        },
        Ok(r) => Stated::Keep {
            window: r.window,
            overridden: r.override_days.is_some(),
        },
    }
}
