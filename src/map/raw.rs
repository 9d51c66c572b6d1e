//! The map as TOML spells it, and its validation into [`super::DataMap`].

use std::collections::BTreeMap;
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
                let stray = raw.tenant.is_some()
                    || !raw.identities.is_empty()
                    || !raw.links.is_empty()
                    || raw.erase.is_some()
                    || raw.category.is_some()
                    || raw.blob.is_some();
                if stray {
                    p.add(&key, "an ignored table takes only `ignore` and `reason`");
                }
                ignored.insert(name.clone(), raw.reason.clone());
                continue;
            }
            if raw.reason.is_some() {
                p.add(
                    format!("{key}.reason"),
                    "`reason` goes with `ignore = true`",
                );
            }
            tables.insert(
                name.clone(),
                raw.table_checked(name, &key, &identities, &self, &mut p),
            );
        }

        let tenant = self.tenant.as_ref().map(|t| {
            for (k, v) in [
                ("table", Some(&t.table)),
                ("id", Some(&t.id)),
                ("plan", t.plan.as_ref()),
                ("legal_hold", t.legal_hold.as_ref()),
                ("ended_at", t.ended_at.as_ref()),
            ] {
                if let Some(v) = v {
                    p.ident(format!("tenant.{k}"), v);
                }
            }
            for (category, column) in &t.retention_overrides {
                p.ident(format!("tenant.retention_overrides.{category}"), column);
            }
            if tables.contains_key(&t.table) || ignored.contains_key(&t.table) {
                p.add(
                    format!("tables.{}", quote_key(&t.table)),
                    "the tenant table is mapped by [tenant]; remove its [tables] entry",
                );
            }
            TenantSpec {
                table: t.table.clone(),
                id: t.id.clone(),
                plan: t.plan.clone(),
                legal_hold: t.legal_hold.clone(),
                ended_at: t.ended_at.clone(),
                retention_overrides: t.retention_overrides.clone(),
                erase: erase_checked(t.erase.as_ref(), "tenant.erase", &mut p),
                links: Vec::new(),
                parent: None,
            }
        });

        // Links must point at a mapped table or the tenant table.
        for (name, table) in &tables {
            for (i, link) in table.links.iter().enumerate() {
                let known = tables.contains_key(&link.references)
                    || tenant.as_ref().is_some_and(|t| t.table == link.references);
                if !known {
                    let hint = if ignored.contains_key(&link.references) {
                        " (it is ignored: privctl never reads it)".to_owned()
                    } else {
                        format!(" (mapped tables: {})", join(&table_names))
                    };
                    p.add(
                        format!("tables.{}.links[{i}].references", quote_key(name)),
                        format!("unknown table `{}`{hint}", link.references),
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

impl RawTable {
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
            if let Some(column) = identity_column(identity, value, &ikey, p) {
                p.ident(&ikey, &column.column);
                idents.push(column);
            }
        }
        let links = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                p.ident(format!("{key}.links[{i}].column"), &l.column);
                if l.owned && !l.follow {
                    p.add(
                        format!("{key}.links[{i}]"),
                        "`owned = true` and `follow = false` contradict each other",
                    );
                }
                LinkSpec {
                    column: l.column.clone(),
                    references: l.references.clone(),
                    to: None,
                    owned: l.owned,
                    follow: l.follow,
                }
            })
            .collect();
        let erase = erase_checked(self.erase.as_ref(), &format!("{key}.erase"), p);
        if erase == Erase::Retain && self.legal_basis.is_none() {
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
            scope: Scope::Tenant,
            erase: EraseRules::both(erase),
            legal_basis: self.legal_basis.clone(),
            timestamp: self.timestamp.clone(),
            blob,
            export,
            encrypted: self.encrypted.clone(),
        }
    }
}

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
            for k in t
                .keys()
                .filter(|k| !["column", "when", "json"].contains(&k.as_str()))
            {
                p.add(format!("{key}.{k}"), "unknown key (use column, when, json)");
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
                Some(toml::Value::String(s)) if !s.trim().is_empty() && !s.contains(';') => {
                    Some(s.clone())
                }
                Some(_) => {
                    p.add(
                        format!("{key}.when"),
                        "must be one SQL condition on this table (no `;`)",
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
            Some(IdentityColumn {
                identity: identity.to_owned(),
                column: column.to_owned(),
                when,
                json,
                identifies: None,
                within: false,
            })
        }
        _ => {
            p.add(
                key,
                "must be a column name or { column = …, when = … } / { column = …, json = … }",
            );
            None
        }
    }
}

/// `$.a.b` → `["a", "b"]`. Keys are plain names (letters, digits, `_`, `-`).
fn json_path(text: &str) -> Result<Vec<String>, String> {
    let rest = text.strip_prefix("$.").ok_or_else(|| {
        format!("`{text}` must start with `$.` (e.g. \"$.contact.email\") or be \"any\"")
    })?;
    rest.split('.')
        .map(|part| {
            let ok = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if ok {
                Ok(part.to_owned())
            } else {
                Err(format!("`{text}`: `{part}` is not a plain object key"))
            }
        })
        .collect()
}

fn erase_checked(value: Option<&toml::Value>, key: &str, p: &mut Problems) -> Erase {
    match value {
        None => Erase::Delete,
        Some(toml::Value::String(s)) if s == "delete" => Erase::Delete,
        Some(toml::Value::String(s)) if s == "retain" => Erase::Retain,
        Some(toml::Value::Table(t)) if t.len() == 1 && t.contains_key("anonymise") => {
            let Some(columns) = t["anonymise"].as_table().filter(|c| !c.is_empty()) else {
                p.add(
                    format!("{key}.anonymise"),
                    "must list columns: { column = \"null\" | \"redact\" | \"hash\" }",
                );
                return Erase::Delete;
            };
            let mut out = Vec::new();
            for (column, mode) in columns {
                p.ident(format!("{key}.anonymise.{column}"), column);
                let mode = match mode.as_str() {
                    Some("null") => AnonymiseMode::Null,
                    Some("redact") => AnonymiseMode::Redact,
                    Some("hash") => AnonymiseMode::Hash,
                    _ => {
                        p.add(
                            format!("{key}.anonymise.{column}"),
                            "must be \"null\", \"redact\" or \"hash\"",
                        );
                        continue;
                    }
                };
                out.push((column.clone(), mode));
            }
            Erase::Anonymise(out)
        }
        Some(_) => {
            p.add(key, "must be \"delete\", \"retain\" or { anonymise = { column = \"null\" | \"redact\" | \"hash\" } }");
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
