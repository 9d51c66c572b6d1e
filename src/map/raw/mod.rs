//! The map as TOML spells it, and its validation into [`super::DataMap`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::*;

/// The `[retention]` category of privctl's own ledger.
const LEDGER: &str = "ledger";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMap {
    version: u32,
    #[serde(default)]
    database: RawDatabase,
    tenant: Option<RawTenant>,
    #[serde(default)]
    identities: BTreeMap<String, RawIdentity>,
    #[serde(default)]
    tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    retention: BTreeMap<String, toml::Value>,
    #[serde(default)]
    blobs: BTreeMap<String, RawBlobStore>,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    confirm: RawConfirm,
    #[serde(default)]
    purge: RawPurge,
    authz: Option<RawAuthz>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthz {
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    tenant_setting: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    table: String,
    id: String,
    plan: Option<String>,
    legal_hold: Option<String>,
    ended_at: Option<String>,
    #[serde(default)]
    retention_overrides: BTreeMap<String, String>,
    erase: Option<toml::Value>,
    #[serde(default)]
    links: Vec<RawTenantLink>,
    parent: Option<String>,
}

/// `[tenant] links = [{ column, references, owned = true }]`: a row the tenant row owns.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenantLink {
    column: String,
    references: String,
    to: Option<String>,
    /// Implied: the tenant row owns what it references. Spelling it `false` is an error.
    owned: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    kind: String,
    default_region: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    ignore: bool,
    reason: Option<String>,
    /// On an ignored table: `dsar scan` and the residue scan may look in it.
    #[serde(default)]
    scan: bool,
    scope: Option<String>,
    tenant: Option<String>,
    key: Option<Vec<String>>,
    #[serde(default)]
    identities: BTreeMap<String, toml::Value>,
    #[serde(default)]
    links: Vec<RawLink>,
    category: Option<String>,
    erase: Option<toml::Value>,
    legal_basis: Option<String>,
    timestamp: Option<String>,
    blob: Option<RawBlob>,
    export: Option<toml::Value>,
    #[serde(default)]
    encrypted: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    column: String,
    references: String,
    to: Option<String>,
    #[serde(default)]
    owned: bool,
    #[serde(default = "yes")]
    follow: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlob {
    column: String,
    store: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlobStore {
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    ledger: Option<String>,
    columns: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfirm {
    ttl: Option<String>,
    require_distinct_actor: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPurge {
    max_rows: Option<u64>,
    max_fraction: Option<f64>,
}

/// Collects problems as `key: what is wrong`.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, key: impl std::fmt::Display, message: impl std::fmt::Display) {
        self.0.push(format!("{key}: {message}"));
    }

    fn ident(&mut self, key: impl std::fmt::Display, name: &str) {
        if let Err(message) = check_identifier(name) {
            self.add(key, message);
        }
    }
}

impl RawMap {
    pub(super) fn validate(self, path: &Path, base: &Path) -> Result<DataMap, Vec<String>> {
        let mut p = Problems::default();
        if self.version != 1 {
            p.add(
                "version",
                format!(
                    "version {} is not supported (this privctl reads version 1)",
                    self.version
                ),
            );
        }

        let identities = self.identities_checked(&mut p);

        let mut tables = BTreeMap::new();
        let mut ignored = BTreeMap::new();
        let mut scan_ignored = BTreeSet::new();
        let table_names: Vec<&String> = self
            .tables
            .iter()
            .filter(|(_, t)| !t.ignore)
            .map(|(n, _)| n)
            .collect();
        for (name, raw) in &self.tables {
            let key = format!("tables.{}", quote_key(name));
            p.ident(&key, name);
            if raw.ignore {
                let stray = raw.stray_keys_when_ignored();
                if !stray.is_empty() {
                    p.add(
                        &key,
                        format!(
                            "an ignored table takes only `ignore`, `reason` and `scan` (found {})",
                            stray.join(", ")
                        ),
                    );
                }
                ignored.insert(name.clone(), raw.reason.clone());
                if raw.scan {
                    scan_ignored.insert(name.clone());
                }
                continue;
            }
            if raw.reason.is_some() {
                p.add(
                    format!("{key}.reason"),
                    "`reason` goes with `ignore = true`",
                );
            }
            if raw.scan {
                p.add(
                    format!("{key}.scan"),
                    "`scan` goes with `ignore = true` (a mapped table is searched through its identities)",
                );
            }
            tables.insert(
                name.clone(),
                raw.table_checked(name, &key, &identities, &self, &mut p),
            );
        }

        let tenant = self
            .tenant
            .as_ref()
            .map(|t| t.tenant_checked(&tables, &ignored, &mut p));

        // Links must point at a mapped table, the tenant table or an ignored table (never
        // followed: the model skips it). A global table's rows belong to no tenant and are
        // reached neither through nor from one, so ownership (which carries tenancy and pulls
        // the owned row into a selection) cannot cross into or out of one. A plain link on a
        // global table is allowed: it still tells erasure which rows refer to which (order, and
        // references to clear), and the model never follows it for selection or tenancy.
        for (name, table) in &tables {
            for (i, link) in table.links.iter().enumerate() {
                let key = format!("tables.{}.links[{i}]", quote_key(name));
                let is_tenant = tenant.as_ref().is_some_and(|t| t.table == link.references);
                let target = tables.get(&link.references);
                if target.is_none() && !is_tenant && !ignored.contains_key(&link.references) {
                    p.add(
                        format!("{key}.references"),
                        format!(
                            "unknown table `{}` (mapped tables: {})",
                            link.references,
                            join(&table_names)
                        ),
                    );
                    continue;
                }
                if !link.owned {
                    continue;
                }
                if ignored.contains_key(&link.references) {
                    p.add(
                        format!("{key}.owned"),
                        format!(
                            "`{}` is ignored: privctl never erases its rows, so it cannot own one (drop `owned = true`)",
                            link.references
                        ),
                    );
                } else if table.scope == Scope::Global {
                    p.add(
                        format!("{key}.owned"),
                        "rows are not reached from a global table: its links cannot be `owned = true`",
                    );
                } else if target.is_some_and(|t| t.scope == Scope::Global) {
                    p.add(
                        format!("{key}.owned"),
                        format!(
                            "`{}` is a global table: its rows belong to no tenant, so no row can own one",
                            link.references
                        ),
                    );
                }
            }
        }
        if tenant.is_none() {
            for (name, table) in &tables {
                if table.tenant.is_some() {
                    p.add(
                        format!("tables.{}.tenant", quote_key(name)),
                        "there is no [tenant] section, so no table can have a tenant column",
                    );
                }
            }
        }

        let ledger_retention = self.ledger_retention_checked(&tables, &mut p);
        let retention = self.retention_checked(&tables, &mut p);

        let mut blobs = BTreeMap::new();
        for (name, store) in &self.blobs {
            let scheme_ok = ["file://", "s3://", "gs://", "az://", "memory://"]
                .iter()
                .any(|s| store.url.starts_with(s));
            if !scheme_ok {
                p.add(
                    format!("blobs.{name}.url"),
                    format!(
                        "`{}` is not a file://, s3://, gs:// or az:// URL",
                        store.url
                    ),
                );
            }
            blobs.insert(
                name.clone(),
                BlobStore {
                    url: store.url.clone(),
                },
            );
        }
        for (name, table) in &tables {
            if let Some(blob) = &table.blob
                && !blobs.contains_key(&blob.store)
            {
                {
                    p.add(
                        format!("tables.{}.blob.store", quote_key(name)),
                        format!("no [blobs.{}] section defines this store", blob.store),
                    );
                }
            }
        }

        let mut keys = Keys::default();
        for (field, value, slot) in [
            ("ledger", &self.keys.ledger, &mut keys.ledger),
            ("columns", &self.keys.columns, &mut keys.columns),
        ] {
            if let Some(text) = value {
                match KeySource::parse(text, base) {
                    Ok(source) => *slot = Some(source),
                    Err(message) => p.add(format!("keys.{field}"), message),
                }
            }
        }

        let ttl = match self.confirm.ttl.as_deref().map(Duration::parse).transpose() {
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

        if let Some(setting) = &self.database.tenant_setting {
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
        }

        let authz = self.authz.as_ref().map(|a| {
            for (k, v) in [
                ("table", &a.table),
                ("member", &a.member),
                ("tenant", &a.tenant),
                ("role", &a.role),
            ] {
                p.ident(format!("authz.{k}"), v);
            }
            if self.tenant.is_none() {
                p.add(
                    "authz",
                    "roles are checked within a tenant: the map needs [tenant]",
                );
            }
            if a.preview.is_empty() && a.export.is_empty() && a.delete.is_empty() {
                p.add(
                    "authz",
                    "no role may do anything: list roles in preview, export and delete",
                );
            }
            AuthzPolicy {
                table: a.table.clone(),
                member: a.member.clone(),
                tenant: a.tenant.clone(),
                role: a.role.clone(),
                preview: a.preview.clone(),
                export: a.export.clone(),
                delete: a.delete.clone(),
                required: a.required,
            }
        });

        let max_fraction = self.purge.max_fraction.unwrap_or(0.5);
        if !(max_fraction > 0.0 && max_fraction <= 1.0) {
            p.add(
                "purge.max_fraction",
                format!("{max_fraction} is not a fraction above 0 and at most 1 (e.g. 0.5)"),
            );
        }

        if !p.0.is_empty() {
            return Err(p.0);
        }
        Ok(DataMap {
            path: path.to_owned(),
            tenant_setting: self.database.tenant_setting,
            tenant,
            identities,
            tables,
            ignored,
            scan_ignored,
            retention,
            ledger_retention,
            blobs,
            keys,
            confirm: ConfirmPolicy {
                ttl,
                require_distinct_actor: self.confirm.require_distinct_actor.unwrap_or(false),
            },
            purge: PurgePolicy {
                max_rows: self.purge.max_rows,
                max_fraction,
            },
            authz,
        })
    }

    fn identities_checked(&self, p: &mut Problems) -> BTreeMap<String, IdentityKind> {
        let mut out = BTreeMap::new();
        for (name, raw) in &self.identities {
            let key = format!("identities.{name}");
            let kind = match raw.kind.as_str() {
                "email" => IdentityKind::Email,
                "exact" => IdentityKind::Exact,
                "phone" => {
                    let region = raw.default_region.as_deref().map(|r| {
                        r.parse::<phonenumber::country::Id>().map_err(|_| {
                            p.add(
                                format!("{key}.default_region"),
                                format!("`{r}` is not a two-letter region code such as \"DE\""),
                            );
                        })
                    });
                    IdentityKind::Phone {
                        default_region: region.and_then(Result::ok),
                    }
                }
                other => {
                    p.add(
                        format!("{key}.kind"),
                        format!("unknown kind `{other}` (use email, phone or exact)"),
                    );
                    continue;
                }
            };
            if raw.default_region.is_some() && !matches!(kind, IdentityKind::Phone { .. }) {
                p.add(
                    format!("{key}.default_region"),
                    "only phone identities have a default region",
                );
            }
            out.insert(name.clone(), kind);
        }
        out
    }

    /// `[retention] ledger`: how long privctl keeps its own ledger (a flat window; the oldest
    /// entries then give way to a signed checkpoint). `None`: kept forever.
    fn ledger_retention_checked(
        &self,
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
        let value = self.retention.get(LEDGER)?;
        let window = value
            .as_str()
            .ok_or_else(|| {
                "must be a duration such as \"7y\" (the ledger has one window for all tenants)"
                    .to_owned()
            })
            .and_then(Window::parse);
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

    fn retention_checked(
        &self,
        tables: &BTreeMap<String, TableSpec>,
        p: &mut Problems,
    ) -> BTreeMap<String, RetentionRule> {
        let mut out = BTreeMap::new();
        for (category, value) in &self.retention {
            if category == LEDGER {
                continue;
            }
            let key = format!("retention.{category}");
            let window = |text: &toml::Value, key: &str, p: &mut Problems| match text.as_str() {
                Some(s) => Window::parse(s).map_err(|m| p.add(key, m)).ok(),
                None => {
                    p.add(key, "must be a duration such as \"90d\" or \"unlimited\"");
                    None
                }
            };
            let rule = match value {
                toml::Value::String(_) => window(value, &key, p).map(RetentionRule::Flat),
                toml::Value::Table(t) if t.contains_key("after") || t.contains_key("keep") => {
                    for k in t.keys().filter(|k| *k != "after" && *k != "keep") {
                        p.add(
                            format!("{key}.{k}"),
                            "unknown key (an ended_at window has `after` and `keep`)",
                        );
                    }
                    match t.get("after").and_then(|v| v.as_str()) {
                        Some("ended_at") => {
                            if self
                                .tenant
                                .as_ref()
                                .and_then(|t| t.ended_at.as_ref())
                                .is_none()
                            {
                                p.add(format!("{key}.after"), "needs `ended_at` in [tenant]");
                            }
                        }
                        _ => p.add(format!("{key}.after"), "must be \"ended_at\""),
                    }
                    match t.get("keep") {
                        Some(v) => {
                            window(v, &format!("{key}.keep"), p).map(RetentionRule::AfterEnd)
                        }
                        None => {
                            p.add(format!("{key}.keep"), "missing (e.g. keep = \"30d\")");
                            None
                        }
                    }
                }
                toml::Value::Table(t) => {
                    if self.tenant.as_ref().and_then(|t| t.plan.as_ref()).is_none() {
                        p.add(&key, "a window per plan tier needs `plan` in [tenant]");
                    }
                    let mut tiers = BTreeMap::new();
                    for (tier, v) in t {
                        if let Some(w) = window(v, &format!("{key}.{tier}"), p) {
                            tiers.insert(tier.clone(), w);
                        }
                    }
                    Some(RetentionRule::ByPlan(tiers))
                }
                _ => {
                    p.add(&key, "must be a duration, a table of plan tiers, or { after = \"ended_at\", keep = … }");
                    None
                }
            };
            if let Some(rule) = rule {
                out.insert(category.clone(), rule);
            }
        }
        let overridden = |category: &str| {
            self.tenant
                .as_ref()
                .is_some_and(|t| t.retention_overrides.contains_key(category))
        };
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
                        "missing: category `{}` has a retention window, which is counted from this column",
                        table.category.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        if let Some(t) = &self.tenant {
            for category in t.retention_overrides.keys() {
                if !out.contains_key(category) && !self.retention.contains_key(category) {
                    p.add(
                        format!("tenant.retention_overrides.{category}"),
                        format!("[retention] has no `{category}` window to override"),
                    );
                }
            }
        }
        out
    }
}

impl RawTenant {
    fn tenant_checked(
        &self,
        tables: &BTreeMap<String, TableSpec>,
        ignored: &BTreeMap<String, Option<String>>,
        p: &mut Problems,
    ) -> TenantSpec {
        for (k, v) in [
            ("table", Some(&self.table)),
            ("id", Some(&self.id)),
            ("plan", self.plan.as_ref()),
            ("legal_hold", self.legal_hold.as_ref()),
            ("ended_at", self.ended_at.as_ref()),
            ("parent", self.parent.as_ref()),
        ] {
            if let Some(v) = v {
                p.ident(format!("tenant.{k}"), v);
            }
        }
        for (category, column) in &self.retention_overrides {
            p.ident(format!("tenant.retention_overrides.{category}"), column);
        }
        if tables.contains_key(&self.table) || ignored.contains_key(&self.table) {
            p.add(
                format!("tables.{}", quote_key(&self.table)),
                "the tenant table is mapped by [tenant]; remove its [tables] entry",
            );
        }
        if self.parent.as_ref() == Some(&self.id) {
            p.add(
                "tenant.parent",
                format!(
                    "`{}` is the tenant's id: `parent` names the column holding a sub-tenant's parent id (e.g. \"parent_id\")",
                    self.id
                ),
            );
        }
        let links = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let key = format!("tenant.links[{i}]");
                p.ident(format!("{key}.column"), &l.column);
                if let Some(to) = &l.to {
                    p.ident(format!("{key}.to"), to);
                }
                if l.owned == Some(false) {
                    p.add(
                        format!("{key}.owned"),
                        "`owned = false`: a [tenant] link is always owned (the tenant row owns the row it references); a table that references the tenant gives its own tenant column or links instead",
                    );
                }
                let problem = if l.references == self.table {
                    Some(format!(
                        "`{}` is the tenant table: the tenant row cannot own a tenant row (sub-tenants: `[tenant] parent`)",
                        self.table
                    ))
                } else if ignored.contains_key(&l.references) {
                    Some(format!(
                        "`{}` is ignored: privctl never erases its rows, so the tenant cannot own one",
                        l.references
                    ))
                } else {
                    match tables.get(&l.references) {
                        None => Some(format!(
                            "unknown table `{}` (mapped tables: {})",
                            l.references,
                            join(&tables.keys().collect::<Vec<_>>())
                        )),
                        Some(t) if t.scope == Scope::Global => Some(format!(
                            "`{}` is a global table: its rows belong to no tenant",
                            l.references
                        )),
                        Some(_) => None,
                    }
                };
                if let Some(problem) = problem {
                    p.add(format!("{key}.references"), problem);
                }
                LinkSpec {
                    column: l.column.clone(),
                    references: l.references.clone(),
                    to: l.to.clone(),
                    owned: true,
                    follow: true,
                }
            })
            .collect();
        TenantSpec {
            table: self.table.clone(),
            id: self.id.clone(),
            plan: self.plan.clone(),
            legal_hold: self.legal_hold.clone(),
            ended_at: self.ended_at.clone(),
            retention_overrides: self.retention_overrides.clone(),
            erase: erase_checked(
                self.erase.as_ref(),
                "tenant.erase",
                Some(SCRUB_ON_TENANT_ROW),
                p,
            ),
            links,
            parent: self.parent.clone(),
        }
    }
}

/// Why `scrub` is refused where delete-tenant is the only action.
const SCRUB_IN_TENANT_ERASE: &str = "scrub needs a data subject: use it in erase.subject; delete-tenant deletes or anonymises the whole row";
const SCRUB_IN_PLAIN_ERASE: &str = "scrub needs a data subject, and a plain erase applies to delete-tenant too: write erase = { subject = { anonymise = { … = \"scrub\" } }, tenant = … }; delete-tenant deletes or anonymises the whole row";
const SCRUB_ON_TENANT_ROW: &str = "scrub needs a data subject: the tenant row is erased only by delete-tenant, which deletes or anonymises the whole row";

impl RawTable {
    /// The keys set on an ignored table besides `ignore`, `reason` and `scan`.
    fn stray_keys_when_ignored(&self) -> Vec<&'static str> {
        [
            ("tenant", self.tenant.is_some()),
            ("scope", self.scope.is_some()),
            ("key", self.key.is_some()),
            ("identities", !self.identities.is_empty()),
            ("links", !self.links.is_empty()),
            ("category", self.category.is_some()),
            ("erase", self.erase.is_some()),
            ("legal_basis", self.legal_basis.is_some()),
            ("timestamp", self.timestamp.is_some()),
            ("blob", self.blob.is_some()),
            ("export", self.export.is_some()),
            ("encrypted", !self.encrypted.is_empty()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
    }

    fn table_checked(
        &self,
        name: &str,
        key: &str,
        identities: &BTreeMap<String, IdentityKind>,
        map: &RawMap,
        p: &mut Problems,
    ) -> TableSpec {
        for (field, value) in [("tenant", &self.tenant), ("timestamp", &self.timestamp)] {
            if let Some(v) = value {
                p.ident(format!("{key}.{field}"), v);
            }
        }
        for (i, column) in self.key.iter().flatten().enumerate() {
            p.ident(format!("{key}.key[{i}]"), column);
        }
        if self.key.as_ref().is_some_and(|k| k.is_empty()) {
            p.add(format!("{key}.key"), "lists no column");
        }
        let scope = match self.scope.as_deref() {
            None | Some("tenant") => Scope::Tenant,
            Some("global") => Scope::Global,
            Some(other) => {
                p.add(
                    format!("{key}.scope"),
                    format!("unknown scope {other:?} (use \"tenant\" or \"global\")"),
                );
                Scope::Tenant
            }
        };
        if scope == Scope::Global {
            if let Some(column) = &self.tenant {
                p.add(
                    format!("{key}.tenant"),
                    format!(
                        "`{column}`: a global table belongs to no tenant (drop `tenant`, or `scope = \"global\"`)"
                    ),
                );
            }
            if self.identities.is_empty() {
                p.add(
                    format!("{key}.identities"),
                    "missing: a global table is reached only by its identities (a DSAR matches its rows directly)",
                );
            }
        }
        let mut idents = Vec::new();
        for (identity, value) in &self.identities {
            let ikey = format!("{key}.identities.{identity}");
            if !identities.contains_key(identity) {
                let known: Vec<&String> = map.identities.keys().collect();
                p.add(
                    &ikey,
                    format!(
                        "unknown identity `{identity}` (declared in [identities]: {})",
                        join(&known)
                    ),
                );
            }
            // One column, or several: `email = ["email", { column = "data", json = "any" }]`.
            let forms: Vec<(String, &toml::Value)> = match value {
                toml::Value::Array(items) => {
                    if items.is_empty() {
                        p.add(
                            &ikey,
                            "lists no column (give a column name or drop the entry)",
                        );
                    }
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (format!("{ikey}[{i}]"), item))
                        .collect()
                }
                single => vec![(ikey.clone(), single)],
            };
            let first = idents.len();
            for (form_key, form) in forms {
                let Some(column) = identity_column(identity, form, &form_key, p) else {
                    continue;
                };
                p.ident(&form_key, &column.column);
                if scope == Scope::Global && column.identifies.is_some() {
                    p.add(
                        format!("{form_key}.identifies"),
                        "rows are not reached from a global table: a match selects only its own row",
                    );
                }
                if idents[first..].contains(&column) {
                    p.add(
                        &form_key,
                        format!(
                            "column `{}` is listed twice for this identity",
                            column.column
                        ),
                    );
                    continue;
                }
                idents.push(column);
            }
        }
        let links = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                p.ident(format!("{key}.links[{i}].column"), &l.column);
                if let Some(to) = &l.to {
                    p.ident(format!("{key}.links[{i}].to"), to);
                }
                // `owned = true, follow = false`: the referenced row belongs to the owner's
                // tenant (and goes with it), but not to the owner's subject.
                LinkSpec {
                    column: l.column.clone(),
                    references: l.references.clone(),
                    to: l.to.clone(),
                    owned: l.owned,
                    follow: l.follow,
                }
            })
            .collect();
        let erase = erase_rules_checked(self.erase.as_ref(), &format!("{key}.erase"), scope, p);
        if (erase.subject == Erase::Retain || erase.tenant == Erase::Retain)
            && self.legal_basis.is_none()
        {
            p.add(
                format!("{key}.legal_basis"),
                "a retained table needs its legal basis (reported with every erasure)",
            );
        }
        let mode = |value: &toml::Value, key: &str, p: &mut Problems| match value.as_str() {
            Some("include") => ExportMode::Include,
            Some("redact") => ExportMode::Redact,
            Some("omit") => ExportMode::Omit,
            _ => {
                p.add(
                    key,
                    format!("unknown mode {value} (use \"include\", \"redact\" or \"omit\")"),
                );
                ExportMode::Include
            }
        };
        let export = match &self.export {
            None => ExportSpec::default(),
            Some(toml::Value::Table(columns)) => ExportSpec::Columns(
                columns
                    .iter()
                    .map(|(column, value)| {
                        let column_key = format!("{key}.export.{column}");
                        p.ident(&column_key, column);
                        (column.clone(), mode(value, &column_key, p))
                    })
                    .collect(),
            ),
            Some(value) => ExportSpec::Table(mode(value, &format!("{key}.export"), p)),
        };
        for (i, column) in self.encrypted.iter().enumerate() {
            p.ident(format!("{key}.encrypted[{i}]"), column);
        }
        let blob = self.blob.as_ref().map(|b| {
            p.ident(format!("{key}.blob.column"), &b.column);
            BlobColumn {
                column: b.column.clone(),
                store: b.store.clone(),
            }
        });
        let _ = name;
        TableSpec {
            name: name.to_owned(),
            tenant: self.tenant.clone(),
            key: self.key.clone(),
            identities: idents,
            links,
            category: self.category.clone(),
            scope,
            erase,
            legal_basis: self.legal_basis.clone(),
            timestamp: self.timestamp.clone(),
            blob,
            export,
            encrypted: self.encrypted.clone(),
        }
    }
}

/// The keys of an identity's table form.
const IDENTITY_KEYS: [&str; 5] = ["column", "when", "json", "identifies", "match"];

fn identity_column(
    identity: &str,
    value: &toml::Value,
    key: &str,
    p: &mut Problems,
) -> Option<IdentityColumn> {
    match value {
        toml::Value::String(column) => Some(IdentityColumn {
            identity: identity.to_owned(),
            column: column.clone(),
            when: None,
            json: None,
            identifies: None,
            within: false,
        }),
        toml::Value::Table(t) => {
            for k in t.keys().filter(|k| !IDENTITY_KEYS.contains(&k.as_str())) {
                p.add(
                    format!("{key}.{k}"),
                    format!("unknown key (use {})", IDENTITY_KEYS.join(", ")),
                );
            }
            let Some(column) = t.get("column").and_then(|c| c.as_str()) else {
                p.add(
                    format!("{key}.column"),
                    "missing: the column that holds the identifier",
                );
                return None;
            };
            let when = match t.get("when") {
                None => None,
                Some(toml::Value::String(s)) => match MapCondition::parse(s) {
                    Ok(condition) => Some(condition),
                    Err(why) => {
                        p.add(format!("{key}.when"), format!("{s:?} {why}"));
                        None
                    }
                },
                Some(other) => {
                    p.add(
                        format!("{key}.when"),
                        format!("{other} is not a string: give one SQL condition on this table (e.g. \"key = 'email'\")"),
                    );
                    None
                }
            };
            let json = match t.get("json") {
                None => None,
                Some(toml::Value::String(s)) if s == "any" => Some(JsonSelector::Any),
                Some(toml::Value::String(s)) => match json_path(s) {
                    Ok(path) => Some(JsonSelector::Path(path)),
                    Err(m) => {
                        p.add(format!("{key}.json"), m);
                        None
                    }
                },
                Some(_) => {
                    p.add(
                        format!("{key}.json"),
                        "must be a path like \"$.contact.email\" or \"any\"",
                    );
                    None
                }
            };
            let identifies = match t.get("identifies") {
                None => None,
                Some(toml::Value::String(s)) => {
                    p.ident(format!("{key}.identifies"), s);
                    Some(s.clone())
                }
                Some(other) => {
                    p.add(
                        format!("{key}.identifies"),
                        format!("{other} is not a column name: name this table's column that references the entity (e.g. \"contact_id\")"),
                    );
                    None
                }
            };
            let within = match t.get("match") {
                None => false,
                Some(toml::Value::String(s)) if s == "within" => true,
                Some(other) => {
                    p.add(
                        format!("{key}.match"),
                        format!("unknown match {other} (the only one is \"within\": the identifier inside a longer value)"),
                    );
                    false
                }
            };
            Some(IdentityColumn {
                identity: identity.to_owned(),
                column: column.to_owned(),
                when,
                json,
                identifies,
                within,
            })
        }
        other => {
            p.add(
                key,
                format!("{other} is not a column name or {{ column = …, when = …, json = …, identifies = …, match = \"within\" }} (several: a list of these)"),
            );
            None
        }
    }
}

/// `$.a.b` → `["a", "b"]`. Keys are plain names (letters, digits, `_`, `-`: [`crate::db::JsonKey`]).
fn json_path(text: &str) -> Result<Vec<crate::db::JsonKey>, String> {
    let rest = text.strip_prefix("$.").ok_or_else(|| {
        format!("`{text}` must start with `$.` (e.g. \"$.contact.email\") or be \"any\"")
    })?;
    rest.split('.')
        .map(|part| crate::db::JsonKey::new(part).map_err(|why| format!("`{text}`: {why}")))
        .collect()
}

/// A table's `erase`: one effect (`"delete"`, `"retain"`, `{ anonymise = … }`) for every
/// action, or `{ subject = …, tenant = … }` for `dsar delete` and `delete-tenant` apart. Both
/// parts are required in the per-action form: a forgotten one would silently mean "delete".
fn erase_rules_checked(
    value: Option<&toml::Value>,
    key: &str,
    scope: Scope,
    p: &mut Problems,
) -> EraseRules {
    let Some(toml::Value::Table(t)) = value.filter(|v| {
        v.as_table()
            .is_some_and(|t| t.contains_key("subject") || t.contains_key("tenant"))
    }) else {
        // delete-tenant never touches a global table, so a plain erase there is for DSARs only.
        let scrub = match scope {
            Scope::Global => None,
            Scope::Tenant => Some(SCRUB_IN_PLAIN_ERASE),
        };
        return EraseRules::both(erase_checked(value, key, scrub, p));
    };
    for k in t.keys().filter(|k| *k != "subject" && *k != "tenant") {
        p.add(
            format!("{key}.{k}"),
            "unknown key (a per-action erase is { subject = …, tenant = … }, each \"delete\", \"retain\" or { anonymise = … })",
        );
    }
    let part = |action: &str, scrub: Option<&str>, p: &mut Problems| match t.get(action) {
        Some(v) => erase_checked(Some(v), &format!("{key}.{action}"), scrub, p),
        None => {
            p.add(
                format!("{key}.{action}"),
                format!(
                    "missing: what {} does (\"delete\", \"retain\" or {{ anonymise = … }})",
                    if action == "subject" {
                        "dsar delete"
                    } else {
                        "delete-tenant"
                    }
                ),
            );
            Erase::Delete
        }
    };
    let subject = part("subject", None, p);
    if scope == Scope::Global {
        if t.contains_key("tenant") {
            p.add(
                format!("{key}.tenant"),
                "delete-tenant never touches a global table: give one effect (erase = …) for its DSARs",
            );
        }
        return EraseRules::both(subject);
    }
    let tenant = part("tenant", Some(SCRUB_IN_TENANT_ERASE), p);
    EraseRules { subject, tenant }
}

/// One erase effect. `scrub_refused`: why `scrub` cannot be used here (`None`: it can).
fn erase_checked(
    value: Option<&toml::Value>,
    key: &str,
    scrub_refused: Option<&str>,
    p: &mut Problems,
) -> Erase {
    match value {
        None => Erase::Delete,
        Some(toml::Value::String(s)) if s == "delete" => Erase::Delete,
        Some(toml::Value::String(s)) if s == "retain" => Erase::Retain,
        Some(toml::Value::Table(t)) if t.len() == 1 && t.contains_key("anonymise") => {
            let Some(columns) = t["anonymise"].as_table().filter(|c| !c.is_empty()) else {
                p.add(
                    format!("{key}.anonymise"),
                    format!(
                        "{} lists no column: {{ column = \"null\" | \"redact\" | \"hash\" | \"scrub\" }}",
                        t["anonymise"]
                    ),
                );
                return Erase::Delete;
            };
            let mut out = Vec::new();
            for (column, mode) in columns {
                let column_key = format!("{key}.anonymise.{column}");
                p.ident(&column_key, column);
                let mode = match mode.as_str() {
                    Some("null") => AnonymiseMode::Null,
                    Some("redact") => AnonymiseMode::Redact,
                    Some("hash") => AnonymiseMode::Hash,
                    Some("scrub") => match scrub_refused {
                        None => AnonymiseMode::Scrub,
                        Some(why) => {
                            p.add(&column_key, why);
                            continue;
                        }
                    },
                    _ => {
                        p.add(
                            &column_key,
                            format!("unknown mode {mode} (use \"null\", \"redact\", \"hash\" or \"scrub\")"),
                        );
                        continue;
                    }
                };
                out.push((column.clone(), mode));
            }
            Erase::Anonymise(out)
        }
        Some(other) => {
            p.add(key, format!("{other} is not an erase: use \"delete\", \"retain\" or {{ anonymise = {{ column = \"null\" | \"redact\" | \"hash\" | \"scrub\" }} }}"));
            Erase::Delete
        }
    }
}

fn quote_key(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

fn join(names: &[&String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    //! The forms of SPEC section 2 that issue 12 added, and their bad spellings: each error names
    //! the file, the key path and the value at fault.

    use super::*;

    const FILE: &str = "maps/bad.toml";
    /// Ends inside `[tenant]`: a test may add tenant keys before its first table.
    const BASE: &str = "version = 1\n\
        [identities]\nemail = { kind = \"email\" }\nphone = { kind = \"phone\" }\n\
        [tenant]\ntable = \"orgs\"\nid = \"id\"\n";

    fn parse(tables: &str) -> DataMap {
        DataMap::parse(&format!("{BASE}{tables}"), Path::new(FILE))
            .unwrap_or_else(|e| panic!("the map should be valid: {}", e.message))
    }

    /// The error for `tables` appended to [`BASE`], checked to name the file and each of `needles`.
    #[track_caller]
    fn refused(tables: &str, needles: &[&str]) -> String {
        let message = DataMap::parse(&format!("{BASE}{tables}"), Path::new(FILE))
            .map(|_| ())
            .expect_err("the map should be refused")
            .message;
        for needle in [FILE].iter().chain(needles) {
            assert!(message.contains(needle), "no {needle:?} in: {message}");
        }
        message
    }

    fn column(identity: &str, column: &str) -> IdentityColumn {
        IdentityColumn {
            identity: identity.into(),
            column: column.into(),
            when: None,
            json: None,
            identifies: None,
            within: false,
        }
    }

    #[test]
    fn an_identity_may_live_in_several_columns() {
        let map = parse(
            "[tables.responses]\ntenant = \"org_id\"\n\
             identities = { email = [\"email\", { column = \"data\", json = \"any\" }], phone = [\"phone\"] }\n",
        );
        assert_eq!(
            map.tables["responses"].identities,
            [
                column("email", "email"),
                IdentityColumn {
                    json: Some(JsonSelector::Any),
                    ..column("email", "data")
                },
                column("phone", "phone"),
            ]
        );
    }

    #[test]
    fn a_bad_element_of_an_identity_list_is_named_by_its_index() {
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", { column = \"data\", json = \"contact.email\" }] }\n",
            &["tables.x.identities.email[1].json", "`contact.email`"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", 3] }\n",
            &["tables.x.identities.email[1]: 3 is not a column name"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", \"\"] }\n",
            &["tables.x.identities.email[1]: an empty name"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [] }\n",
            &["tables.x.identities.email: lists no column"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", \"email\"] }\n",
            &["tables.x.identities.email[1]", "`email` is listed twice"],
        );
    }

    #[test]
    fn an_attribute_row_identifies_its_entity_and_a_match_may_be_within() {
        let map = parse(
            "[tables.contact_attributes]\ntenant = \"org_id\"\n\
             identities = { email = { column = \"value\", when = \"key = 'email'\", identifies = \"contact_id\" } }\n\
             [tables.rate_limits]\ntenant = \"org_id\"\n\
             identities = { email = { column = \"key\", match = \"within\" } }\n",
        );
        assert_eq!(
            map.tables["contact_attributes"].identities,
            [IdentityColumn {
                when: Some(MapCondition::parse("key = 'email'").unwrap()),
                identifies: Some("contact_id".into()),
                ..column("email", "value")
            }]
        );
        assert_eq!(
            map.tables["rate_limits"].identities,
            [IdentityColumn {
                within: true,
                ..column("email", "key")
            }]
        );
    }

    #[test]
    fn bad_identifies_and_match_values_are_refused_naming_the_key() {
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"value\", identifies = 3 } }\n",
            &[
                "tables.x.identities.email.identifies",
                "3 is not a column name",
            ],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"value\", identifies = \"\" } }\n",
            &["tables.x.identities.email.identifies: an empty name"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", { column = \"k\", match = \"contains\" }] }\n",
            &[
                "tables.x.identities.email[1].match",
                "\"contains\"",
                "\"within\"",
            ],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"k\", match = true } }\n",
            &["tables.x.identities.email.match", "unknown match true"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"k\", matches = \"within\" } }\n",
            &[
                "tables.x.identities.email.matches",
                "use column, when, json, identifies, match",
            ],
        );
    }

    #[test]
    fn a_global_table_names_identities_and_no_tenant() {
        let map = parse(
            "[tables.contacts]\ntenant = \"org_id\"\nidentities = { email = \"email\" }\n\
             [tables.jobs]\nscope = \"global\"\nidentities = { email = { column = \"payload\", json = \"any\" } }\n\
             links = [{ column = \"contact_id\", references = \"contacts\" }]\n\
             erase = { anonymise = { payload = \"scrub\" } }\n\
             [tables.contact_notes]\nscope = \"tenant\"\ntenant = \"org_id\"\n",
        );
        let jobs = &map.tables["jobs"];
        assert_eq!(jobs.scope, Scope::Global);
        assert_eq!(jobs.tenant, None);
        // Links are kept (erasure order), never followed for selection or tenancy.
        assert_eq!(jobs.links.len(), 1);
        // delete-tenant never touches it: a plain scrub is for its DSARs.
        let scrub = Erase::Anonymise(vec![("payload".into(), AnonymiseMode::Scrub)]);
        assert_eq!(jobs.erase.subject, scrub);
        assert_eq!(map.tables["contacts"].scope, Scope::Tenant);
        assert_eq!(map.tables["contact_notes"].scope, Scope::Tenant);
    }

    #[test]
    fn bad_global_tables_are_refused_naming_the_key() {
        refused(
            "[tables.jobs]\nscope = \"globl\"\ntenant = \"org_id\"\n",
            &["tables.jobs.scope", "unknown scope \"globl\""],
        );
        refused(
            "[tables.jobs]\nscope = \"global\"\ntenant = \"org_id\"\nidentities = { email = \"email\" }\n",
            &[
                "tables.jobs.tenant",
                "`org_id`",
                "a global table belongs to no tenant",
            ],
        );
        refused(
            "[tables.jobs]\nscope = \"global\"\n",
            &["tables.jobs.identities: missing"],
        );
        refused(
            "[tables.attrs]\nscope = \"global\"\n\
             identities = { email = { column = \"value\", identifies = \"contact_id\" } }\n",
            &[
                "tables.attrs.identities.email.identifies",
                "not reached from a global table",
            ],
        );
        refused(
            "[tables.addresses]\ntenant = \"org_id\"\n\
             [tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
             links = [{ column = \"address_id\", references = \"addresses\", owned = true }]\n",
            &[
                "tables.jobs.links[0].owned",
                "not reached from a global table",
            ],
        );
        refused(
            "[tables.users]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
             [tables.contacts]\ntenant = \"org_id\"\n\
             links = [{ column = \"user_id\", references = \"users\", owned = true }]\n",
            &[
                "tables.contacts.links[0].owned",
                "`users` is a global table",
            ],
        );
        refused(
            "[tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
             erase = { subject = \"delete\", tenant = \"retain\" }\n",
            &[
                "tables.jobs.erase.tenant",
                "delete-tenant never touches a global table",
            ],
        );
        refused(
            "[tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
             category = \"logs\"\ntimestamp = \"at\"\n\
             [tenant.retention_overrides]\nlogs = \"log_days\"\n\
             [retention]\nlogs = \"30d\"\n",
            &["tables.jobs.category", "`logs` has a per-tenant override"],
        );
    }

    #[test]
    fn erase_may_differ_per_action() {
        let map = parse(
            "[tables.segments]\ntenant = \"org_id\"\n\
             erase = { subject = { anonymise = { filters = \"scrub\", name = \"redact\" } }, tenant = \"delete\" }\n\
             [tables.invoices]\ntenant = \"org_id\"\n\
             erase = { subject = { anonymise = { email = \"null\" } }, tenant = \"retain\" }\n\
             legal_basis = \"tax law\"\n\
             [tables.notes]\ntenant = \"org_id\"\nerase = { anonymise = { body = \"hash\" } }\n",
        );
        let segments = &map.tables["segments"].erase;
        assert_eq!(
            segments.subject,
            Erase::Anonymise(vec![
                ("filters".into(), AnonymiseMode::Scrub),
                ("name".into(), AnonymiseMode::Redact),
            ])
        );
        assert_eq!(segments.tenant, Erase::Delete);
        assert_eq!(map.tables["invoices"].erase.tenant, Erase::Retain);
        let notes = Erase::Anonymise(vec![("body".into(), AnonymiseMode::Hash)]);
        assert_eq!(map.tables["notes"].erase, EraseRules::both(notes));
    }

    #[test]
    fn scrub_outside_erase_subject_is_refused() {
        let tenant = refused(
            "[tables.segments]\ntenant = \"org_id\"\n\
             erase = { subject = \"delete\", tenant = { anonymise = { filters = \"scrub\" } } }\n",
            &[
                "tables.segments.erase.tenant.anonymise.filters",
                "scrub needs a data subject: use it in erase.subject; delete-tenant deletes or anonymises the whole row",
            ],
        );
        assert!(!tenant.contains("erase.subject."), "{tenant}");
        refused(
            "[tables.messages]\ntenant = \"org_id\"\nerase = { anonymise = { body = \"scrub\" } }\n",
            &[
                "tables.messages.erase.anonymise.body",
                "scrub needs a data subject",
                "a plain erase applies to delete-tenant too",
            ],
        );
        refused(
            "[tenant.erase]\nanonymise = { name = \"scrub\" }\n",
            &["tenant.erase.anonymise.name", "scrub needs a data subject"],
        );
    }

    #[test]
    fn bad_per_action_erases_are_refused_naming_the_key() {
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\" }\n",
            &["tables.x.erase.tenant: missing: what delete-tenant does"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { tenant = \"delete\" }\n",
            &["tables.x.erase.subject: missing: what dsar delete does"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\", tenant = \"delete\", dsar = \"retain\" }\n",
            &["tables.x.erase.dsar: unknown key"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = { anonymise = { a = \"blank\" } }, tenant = \"delete\" }\n",
            &[
                "tables.x.erase.subject.anonymise.a",
                "unknown mode \"blank\"",
            ],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"purge\", tenant = \"delete\" }\n",
            &["tables.x.erase.subject", "\"purge\" is not an erase"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = { subject = \"delete\" }, tenant = \"delete\" }\n",
            &["tables.x.erase.subject", "is not an erase"],
        );
        refused(
            "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\", tenant = \"retain\" }\n",
            &["tables.x.legal_basis", "legal basis"],
        );
    }

    #[test]
    fn links_may_target_a_unique_column_or_an_ignored_table() {
        let map = parse(
            "[tables.bookings]\ntenant = \"org_id\"\n\
             [tables.attendees]\n\
             links = [{ column = \"booking_uid\", references = \"bookings\", to = \"uid\" }, \
                      { column = \"created_by\", references = \"users\" }]\n\
             [tables.users]\nignore = true\n",
        );
        assert_eq!(
            map.tables["attendees"].links,
            [
                LinkSpec {
                    column: "booking_uid".into(),
                    references: "bookings".into(),
                    to: Some("uid".into()),
                    owned: false,
                    follow: true,
                },
                LinkSpec {
                    column: "created_by".into(),
                    references: "users".into(),
                    to: None,
                    owned: false,
                    follow: true,
                },
            ]
        );
    }

    #[test]
    fn bad_links_are_refused_naming_the_key() {
        refused(
            "[tables.attendees]\nlinks = [{ column = \"b\", references = \"bookings\", to = \"\" }]\n\
             [tables.bookings]\ntenant = \"org_id\"\n",
            &["tables.attendees.links[0].to: an empty name"],
        );
        refused(
            "[tables.contacts]\ntenant = \"org_id\"\n\
             links = [{ column = \"user_id\", references = \"users\", owned = true }]\n\
             [tables.users]\nignore = true\n",
            &["tables.contacts.links[0].owned", "`users` is ignored"],
        );
        refused(
            "[tables.contacts]\ntenant = \"org_id\"\n\
             links = [{ column = \"user_id\", references = \"usres\" }]\n\
             [tables.users]\nignore = true\n",
            &[
                "tables.contacts.links[0].references",
                "unknown table `usres`",
            ],
        );
    }

    #[test]
    fn the_tenant_row_owns_rows_and_tenants_may_nest() {
        let map = parse(
            "parent = \"parent_id\"\n\
             links = [{ column = \"settings_id\", references = \"org_settings\" }, \
                      { column = \"sso_id\", references = \"sso\", owned = true, to = \"uid\" }]\n\
             [tables.org_settings]\n[tables.sso]\n",
        );
        let tenant = map.tenant.unwrap();
        assert_eq!(tenant.parent.as_deref(), Some("parent_id"));
        assert_eq!(
            tenant.links,
            [
                LinkSpec {
                    column: "settings_id".into(),
                    references: "org_settings".into(),
                    to: None,
                    owned: true,
                    follow: true,
                },
                LinkSpec {
                    column: "sso_id".into(),
                    references: "sso".into(),
                    to: Some("uid".into()),
                    owned: true,
                    follow: true,
                },
            ]
        );
    }

    #[test]
    fn bad_tenant_links_and_parents_are_refused_naming_the_key() {
        refused(
            "links = [{ column = \"settings_id\", references = \"org_settings\", owned = false }]\n\
             [tables.org_settings]\n",
            &["tenant.links[0].owned", "always owned"],
        );
        refused(
            "links = [{ column = \"settings_id\", references = \"org_setings\" }]\n\
             [tables.org_settings]\n",
            &[
                "tenant.links[0].references",
                "unknown table `org_setings`",
                "org_settings",
            ],
        );
        refused(
            "links = [{ column = \"plan_id\", references = \"plans\" }]\n\
             [tables.plans]\nignore = true\n",
            &["tenant.links[0].references", "`plans` is ignored"],
        );
        refused(
            "links = [{ column = \"user_id\", references = \"users\" }]\n\
             [tables.users]\nscope = \"global\"\nidentities = { email = \"email\" }\n",
            &["tenant.links[0].references", "`users` is a global table"],
        );
        refused(
            "links = [{ column = \"parent_id\", references = \"orgs\" }]\n",
            &["tenant.links[0].references", "`[tenant] parent`"],
        );
        refused(
            "links = [{ column = \"\", references = \"org_settings\", to = \"\" }]\n\
             [tables.org_settings]\n",
            &[
                "tenant.links[0].column: an empty name",
                "tenant.links[0].to: an empty name",
            ],
        );
        refused(
            "parent = \"id\"\n",
            &["tenant.parent", "`id` is the tenant's id"],
        );
        refused("parent = \"\"\n", &["tenant.parent: an empty name"]);
        refused(
            "links = [{ column = \"s\", references = \"org_settings\", follow = false }]\n\
             [tables.org_settings]\n",
            &["follow"],
        );
    }

    #[test]
    fn an_ignored_table_may_be_scanned() {
        let map = parse(
            "[tables.audit_archive]\nignore = true\nscan = true\nreason = \"cold archive\"\n\
             [tables.schema_migrations]\nignore = true\n",
        );
        assert!(map.ignored.contains_key("audit_archive"));
        assert_eq!(
            map.scan_ignored.iter().collect::<Vec<_>>(),
            ["audit_archive"]
        );
    }

    #[test]
    fn scan_on_a_mapped_table_and_stray_keys_on_an_ignored_one_are_refused() {
        refused(
            "[tables.contacts]\ntenant = \"org_id\"\nscan = true\n",
            &["tables.contacts.scan", "`scan` goes with `ignore = true`"],
        );
        refused(
            "[tables.archive]\nignore = true\nscan = true\ntimestamp = \"at\"\nexport = \"omit\"\n",
            &[
                "tables.archive: an ignored table takes only `ignore`, `reason` and `scan`",
                "timestamp, export",
            ],
        );
    }

    #[test]
    fn the_readme_maps_for_real_schemas_are_valid() {
        // "Mapping your platform": its maps are complete; the earlier overview is abridged.
        let readme = include_str!("../../../README.md");
        let (_, section) = readme
            .split_once("### Mapping your platform")
            .expect("the README has a Mapping your platform section");
        let section = section.split("\n### ").next().unwrap_or_default();
        let blocks: Vec<&str> = section
            .split("```toml\n")
            .skip(1)
            .filter_map(|rest| rest.split("```").next())
            .filter(|block| block.starts_with("version = 1"))
            .collect();
        assert!(!blocks.is_empty(), "the README's map was not found");
        for block in blocks {
            if let Err(e) = DataMap::parse(block, Path::new("README.md")) {
                panic!("{}\n{block}", e.message);
            }
        }
    }
}
