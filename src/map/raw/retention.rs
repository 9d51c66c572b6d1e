//! `[retention]`: each category's window, and the ledger's own.

use std::collections::BTreeMap;

use serde::de::MapAccess;

use super::shape::{Checked, Found, Spellings, deserialize_by_spellings};
use super::tenant::RawTenant;
use super::{Problems, quote_key};
use crate::map::{Duration, RetentionRule, Scope, TableSpec, Window};

/// The `[retention]` category of privctl's own ledger.
pub(super) const LEDGER: &str = "ledger";

/// `[retention] CATEGORY = …`: a window; a table of plan tier → window; or
/// `{ after = "ended_at", keep = … }`.
pub(super) enum RawRetention {
    Flat(String),
    /// Any key besides `after` and `keep` is in `unknown`.
    AfterEnd {
        after: Option<Checked<EndedAt>>,
        keep: Option<Checked<WindowText>>,
        unknown: Vec<String>,
    },
    ByPlan(BTreeMap<String, Checked<WindowText>>),
}

/// A window as written (`"90d"`, `"unlimited"`), parsed by the validation.
pub(super) struct WindowText(String);

/// `after = "ended_at"`, the only time a window is counted from besides the rows' own.
pub(super) struct EndedAt;

deserialize_by_spellings!(RawRetention, WindowText, EndedAt);

impl<'de> Spellings<'de> for RawRetention {
    const EXPECTING: &'static str = "a duration, a table of plan tiers, or { after, keep }";

    fn refusal(_: &Found) -> String {
        "must be a duration, a table of plan tiers, or { after = \"ended_at\", keep = … }"
            .to_owned()
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(RawRetention::Flat(text.to_owned()))
    }

    /// `after` or `keep` make the table an ended_at window; otherwise its keys are plan tiers.
    fn from_table<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut after, mut keep, mut tiers) = (None, None, BTreeMap::new());
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "after" => after = Some(map.next_value()?),
                "keep" => keep = Some(map.next_value()?),
                _ => {
                    let window = map.next_value()?;
                    tiers.insert(key, window);
                }
            }
        }
        Ok(match after.is_some() || keep.is_some() {
            true => RawRetention::AfterEnd {
                after,
                keep,
                unknown: tiers.into_keys().collect(),
            },
            false => RawRetention::ByPlan(tiers),
        })
    }
}

impl<'de> Spellings<'de> for WindowText {
    const EXPECTING: &'static str = "a duration";

    fn refusal(_: &Found) -> String {
        "must be a duration such as \"90d\" or \"unlimited\"".to_owned()
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(WindowText(text.to_owned()))
    }
}

impl<'de> Spellings<'de> for EndedAt {
    const EXPECTING: &'static str = "\"ended_at\"";

    fn refusal(_: &Found) -> String {
        "must be \"ended_at\"".to_owned()
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "ended_at" => Ok(EndedAt),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// `[retention] ledger`: how long privctl keeps its own ledger (a flat window; the oldest
/// entries then give way to a signed checkpoint). `None`: kept forever.
pub(super) fn ledger_retention_checked(
    retention: &BTreeMap<String, Checked<RawRetention>>,
    tables: &BTreeMap<String, TableSpec>,
    p: &mut Problems,
) -> Option<Duration> {
    for (name, table) in tables {
        if table.category.as_deref() == Some(LEDGER) {
            p.add(
                format!("tables.{}.category", quote_key(name)),
                "`ledger` is the retention category of privctl's own ledger; give this table another",
            );
        }
    }
    let window = match retention.get(LEDGER)? {
        Checked::Valid(RawRetention::Flat(text)) => Window::parse(text),
        _ => Err(
            "must be a duration such as \"7y\" (the ledger has one window for all tenants)".into(),
        ),
    };
    match window {
        Ok(Window::Unlimited) => None,
        Ok(Window::Keep(d)) if d.seconds() >= 86_400 => Some(d),
        Ok(Window::Keep(d)) => {
            p.add(
                "retention.ledger",
                format!(
                    "{d} is shorter than a day: the ledger is the evidence of what privctl did"
                ),
            );
            None
        }
        Err(message) => {
            p.add("retention.ledger", message);
            None
        }
    }
}

/// Every category's rule but the ledger's, and what the tables and `[tenant]` need for them.
pub(super) fn retention_checked(
    retention: &BTreeMap<String, Checked<RawRetention>>,
    tenant: Option<&RawTenant>,
    tables: &BTreeMap<String, TableSpec>,
    p: &mut Problems,
) -> BTreeMap<String, RetentionRule> {
    let window = |text: &WindowText, key: &str, p: &mut Problems| {
        Window::parse(&text.0).map_err(|m| p.add(key, m)).ok()
    };
    let mut out = BTreeMap::new();
    for (category, value) in retention {
        if category == LEDGER {
            continue;
        }
        let key = format!("retention.{category}");
        let rule = match value.valid(&key, p) {
            None => None,
            Some(RawRetention::Flat(text)) => Window::parse(text)
                .map_err(|m| p.add(&key, m))
                .ok()
                .map(RetentionRule::Flat),
            Some(RawRetention::AfterEnd {
                after,
                keep,
                unknown,
            }) => {
                for k in unknown {
                    p.add(
                        format!("{key}.{k}"),
                        "unknown key (an ended_at window has `after` and `keep`)",
                    );
                }
                let after_key = format!("{key}.after");
                match after.as_ref().map(|a| a.valid(&after_key, p)) {
                    Some(Some(EndedAt)) => {
                        if tenant.and_then(|t| t.ended_at.as_ref()).is_none() {
                            p.add(after_key, "needs `ended_at` in [tenant]");
                        }
                    }
                    Some(None) => {}
                    None => p.add(after_key, "must be \"ended_at\""),
                }
                let keep_key = format!("{key}.keep");
                match keep {
                    Some(keep) => keep
                        .valid(&keep_key, p)
                        .and_then(|w| window(w, &keep_key, p))
                        .map(RetentionRule::AfterEnd),
                    None => {
                        p.add(keep_key, "missing (e.g. keep = \"30d\")");
                        None
                    }
                }
            }
            Some(RawRetention::ByPlan(tiers)) => {
                if tenant.and_then(|t| t.plan.as_ref()).is_none() {
                    p.add(&key, "a window per plan tier needs `plan` in [tenant]");
                }
                let mut windows = BTreeMap::new();
                for (tier, value) in tiers {
                    let tier_key = format!("{key}.{tier}");
                    if let Some(w) = value
                        .valid(&tier_key, p)
                        .and_then(|w| window(w, &tier_key, p))
                    {
                        windows.insert(tier.clone(), w);
                    }
                }
                Some(RetentionRule::ByPlan(windows))
            }
        };
        if let Some(rule) = rule {
            out.insert(category.clone(), rule);
        }
    }
    let overridden =
        |category: &str| tenant.is_some_and(|t| t.retention_overrides.contains_key(category));
    for (name, table) in tables {
        let Some(category) = &table.category else {
            continue;
        };
        let rule = out.get(category);
        let per_tenant = match rule {
            Some(RetentionRule::ByPlan(_)) => Some("a window per plan tier"),
            Some(RetentionRule::AfterEnd(_)) => Some("a window after the tenant's ended_at"),
            _ if overridden(category) => Some("a per-tenant override"),
            _ => None,
        };
        if table.scope == Scope::Global
            && let Some(per_tenant) = per_tenant
        {
            p.add(
                format!("tables.{}.category", quote_key(name)),
                format!("`{category}` has {per_tenant}, but a global table's rows belong to no tenant: give it a category with one flat window"),
            );
        }
        // "unlimited" for every tenant needs no time to count from.
        let forever =
            rule == Some(&RetentionRule::Flat(Window::Unlimited)) && !overridden(category);
        if matches!(
            rule,
            Some(RetentionRule::Flat(_) | RetentionRule::ByPlan(_))
        ) && !forever
            && table.timestamp.is_none()
        {
            p.add(
                format!("tables.{name}.timestamp"),
                format!(
                    "missing: category `{category}` has a retention window, which is counted from this column"
                ),
            );
        }
    }
    if let Some(t) = tenant {
        for category in t.retention_overrides.keys() {
            if !out.contains_key(category) && !retention.contains_key(category) {
                p.add(
                    format!("tenant.retention_overrides.{category}"),
                    format!("[retention] has no `{category}` window to override"),
                );
            }
        }
    }
    out
}
