//! `[database]`, `[confirm]`, `[purge]` and `[authz]`: how privctl connects, confirms, guards a
//! purge and checks who asks.

use serde::Deserialize;

use super::Problems;
use crate::map::{AuthzPolicy, ConfirmPolicy, Duration, PurgePolicy};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    tenant_setting: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfirm {
    ttl: Option<String>,
    require_distinct_actor: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPurge {
    max_rows: Option<u64>,
    max_fraction: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuthz {
    table: String,
    member: String,
    tenant: String,
    role: String,
    #[serde(default)]
    preview: Vec<String>,
    #[serde(default)]
    export: Vec<String>,
    #[serde(default)]
    delete: Vec<String>,
    #[serde(default)]
    required: bool,
}

impl RawDatabase {
    /// `tenant_setting`: a setting name, set per transaction for row-level security.
    pub(super) fn tenant_setting_checked(&self, p: &mut Problems) -> Option<String> {
        let setting = self.tenant_setting.as_ref()?;
        let ok = !setting.is_empty()
            && setting
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !ok {
            p.add(
                "database.tenant_setting",
                format!("`{setting}` is not a setting name like `app.current_tenant`"),
            );
        }
        Some(setting.clone())
    }
}

impl RawConfirm {
    pub(super) fn confirm_checked(&self, p: &mut Problems) -> ConfirmPolicy {
        let ttl = match self.ttl.as_deref().map(Duration::parse).transpose() {
            Ok(Some(ttl)) if ttl.seconds() <= 0 => {
                p.add("confirm.ttl", "must be longer than zero");
                ttl
            }
            Ok(ttl) => ttl.unwrap_or(Duration::from_seconds(15 * 60)),
            Err(message) => {
                p.add("confirm.ttl", message);
                Duration::from_seconds(0)
            }
        };
        ConfirmPolicy {
            ttl,
            require_distinct_actor: self.require_distinct_actor.unwrap_or(false),
        }
    }
}

impl RawPurge {
    pub(super) fn purge_checked(&self, p: &mut Problems) -> PurgePolicy {
        let max_fraction = self.max_fraction.unwrap_or(0.5);
        if !(max_fraction > 0.0 && max_fraction <= 1.0) {
            p.add(
                "purge.max_fraction",
                format!("{max_fraction} is not a fraction above 0 and at most 1 (e.g. 0.5)"),
            );
        }
        PurgePolicy {
            max_rows: self.max_rows,
            max_fraction,
        }
    }
}

impl RawAuthz {
    /// Roles are checked within a tenant: `has_tenant` says whether the map has `[tenant]`.
    pub(super) fn authz_checked(&self, has_tenant: bool, p: &mut Problems) -> AuthzPolicy {
        for (k, v) in [
            ("table", &self.table),
            ("member", &self.member),
            ("tenant", &self.tenant),
            ("role", &self.role),
        ] {
            p.ident(format!("authz.{k}"), v);
        }
        if !has_tenant {
            p.add(
                "authz",
                "roles are checked within a tenant: the map needs [tenant]",
            );
        }
        if self.preview.is_empty() && self.export.is_empty() && self.delete.is_empty() {
            p.add(
                "authz",
                "no role may do anything: list roles in preview, export and delete",
            );
        }
        AuthzPolicy {
            table: self.table.clone(),
            member: self.member.clone(),
            tenant: self.tenant.clone(),
            role: self.role.clone(),
            preview: self.preview.clone(),
            export: self.export.clone(),
            delete: self.delete.clone(),
            required: self.required,
        }
    }
}
