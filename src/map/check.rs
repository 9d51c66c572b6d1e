//! `map check`: the map against the live schema. Every table accounted for, every name and link
//! resolved, every window defined, and the indexes that keep privctl's statements cheap.
//!
//! [`Finding`] is also how [`crate::model::Model::build`] reports a map that does not match the
//! database, so a command refusing to run and `map check` name the same problems.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};

use crate::db::{Db, Dialect, IndexKey, Schema, TableInfo, TxMode};
use crate::map::{DataMap, Erase, IdentityKind, RetentionRule};
use crate::model::Model;

/// privctl's own tables (`privctl init`): never part of the map.
pub const OWN_TABLES: [&str; 9] = [
    crate::db::MIGRATIONS_TABLE,
    "privctl_ledger",
    "privctl_ledger_checkpoints",
    "privctl_ledger_tree",
    "privctl_ledger_meta",
    "privctl_confirmations",
    "privctl_jobs",
    "privctl_blob_outbox",
    "privctl_locks",
];

/// What is wrong (a problem: exit 5) or worth fixing (a warning).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The map cannot be read or is invalid in itself.
    InvalidMap,
    /// A table of the database that is neither mapped nor ignored.
    UnmappedTable,
    /// The map names a table the database lacks.
    MissingTable,
    /// The map names a column the database lacks.
    MissingColumn,
    /// A link to a table privctl does not read, or one it cannot follow.
    UnresolvedLink,
    /// No primary key and no `key = […]`.
    NoRowIdentity,
    /// No tenant column and no link to a table with one.
    NoTenantPath,
    /// Links that form a cycle: no erasure order exists.
    LinkCycle,
    /// A kept row would have to lose a NOT NULL reference to a deleted row.
    NotNullReference,
    /// An ignored table holds a foreign key into mapped data: erasing it would fail or orphan.
    IgnoredReferencesMapped,
    /// A table's retention category has no window in `[retention]`.
    CategoryWithoutWindow,
    /// A plan tier found in the tenant table has no window in a per-plan rule.
    PlanWithoutWindow,
    /// A table under row-level security, and no `database.tenant_setting`.
    RowSecurityWithoutSetting,
    /// An identity's `when` condition is not valid SQL on its table.
    InvalidCondition,
    /// An email or phone identity on a column that is not text; a `json` identity on a column
    /// that cannot hold JSON.
    IdentityType,
    /// `scrub` on a column that holds neither text nor JSON; on PostgreSQL, `redact` or `hash`
    /// on one either (they write text).
    AnonymiseType,
    /// `null` anonymisation of a NOT NULL column.
    AnonymiseNotNull,
    /// A mapped table whose rows fire triggers when erasure deletes or updates them (a warning:
    /// privctl cannot predict what they do).
    Trigger,
    /// A column privctl filters on has no index (a warning).
    MissingIndex,
    /// Rows whose routes lead to two different tenants: a data-integrity fault of the
    /// platform (a document in one team's folder that names another team).
    CrossTenantRow,
    /// Rows that no route leads to any tenant (a warning): no tenant-scoped command reaches
    /// them; a DSAR with `--all-tenants` does.
    TenantlessRows,
    /// Sampled values of a column (or a JSON path in it) hold identifiers (emails, phone
    /// numbers, IPv4 addresses, card numbers, IBANs) the map does not name as an identity there
    /// (a warning; `map check --sample N`).
    UnmappedPersonalData,
}

/// One problem or warning, naming the table and column at fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub kind: FindingKind,
    pub table: Option<String>,
    pub column: Option<String>,
    pub detail: String,
    /// Where in a JSON column (`$.contact.email`; content discovery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The statement that would fix it (missing indexes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The map entry that would declare it (content discovery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propose: Option<crate::map::sample::Proposal>,
}

impl Finding {
    pub fn new(
        kind: FindingKind,
        table: Option<&str>,
        column: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            table: table.map(str::to_owned),
            column: column.map(str::to_owned),
            detail: detail.into(),
            path: None,
            fix: None,
            propose: None,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// What `map check` found.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub problems: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// Checks `map` against the database behind `db`; with `sample = Some(N)`, also reads up to N
/// rows of each mapped table for personal data the map does not name (content discovery).
pub async fn check(map: &DataMap, db: &Db, sample: Option<u64>) -> Result<Report> {
    let schema = db.schema().await?;
    let mut report = Report::default();
    let model = match Model::resolve(map, &schema, db.dialect()) {
        Ok(model) => Some(model),
        Err(findings) => {
            report.problems.extend(findings);
            None
        }
    };
    coverage(map, &schema, &mut report.problems);
    if let Some(model) = &model {
        identity_types(model, &mut report.problems);
    }
    row_security(map, &schema, &mut report.problems);
    categories(map, &mut report.problems);
    plan_tiers(map, &schema, db, &mut report.problems).await?;
    if let Some(model) = &model {
        conditions(model, db, &mut report.problems).await?;
        report.warnings = missing_indexes(map, model, db).await?;
        not_null_references(model, &mut report.problems, &mut report.warnings);
        report.warnings.extend(triggers(model));
        report.warnings.extend(tenantless_rows(model, db).await?);
        cross_tenant_rows(model, db, &mut report.problems).await?;
    }
    if let Some(rows) = sample {
        report
            .warnings
            .extend(crate::map::sample::unmapped_personal_data(map, &schema, db, rows).await?);
    }
    report.problems.sort_by(|a, b| {
        (a.kind, &a.table, &a.column, &a.detail).cmp(&(b.kind, &b.table, &b.column, &b.detail))
    });
    report.problems.dedup();
    Ok(report)
}

/// Every table is mapped, ignored or the tenant table; ignored tables hold no key into mapped data.
fn coverage(map: &DataMap, schema: &Schema, problems: &mut Vec<Finding>) {
    problems.extend(unmapped_tables(map, schema));
    let tenant_table = map.tenant.as_ref().map(|t| t.table.as_str());
    let mapped = |name: &str| map.tables.contains_key(name) || tenant_table == Some(name);
    // Only rows privctl may delete matter: a global table is never deleted with a tenant, and a
    // table retained for every action keeps its rows.
    let deletable = |table: &str| match map.tables.get(table) {
        Some(spec) => {
            let deletes = [&spec.erase.subject, &spec.erase.tenant]
                .iter()
                .any(|e| **e != crate::map::Erase::Retain);
            deletes
                && !(spec.scope == crate::map::Scope::Global
                    && spec.erase.subject == crate::map::Erase::Retain)
        }
        None => tenant_table == Some(table),
    };
    for (name, info) in &schema.tables {
        if !map.ignored.contains_key(name) {
            continue;
        }
        for fk in info
            .foreign_keys
            .iter()
            .filter(|fk| mapped(&fk.references) && deletable(&fk.references))
            // ON DELETE CASCADE / SET NULL: the database itself takes care of these rows,
            // and plans show what it does (database_effects).
            .filter(|fk| fk.on_delete == crate::db::OnDelete::NoAction)
        {
            problems.push(Finding::new(
                FindingKind::IgnoredReferencesMapped,
                Some(name),
                fk.columns.first().map(String::as_str),
                format!(
                    "tables.{name} is ignored, but its foreign key ({}) references mapped table `{}` with no ON DELETE action: erasing those rows would fail; map the table",
                    fk.columns.join(", "),
                    fk.references
                ),
            ));
        }
    }
}

/// The tables of the database the map does not account for: neither mapped (the tenant table
/// counts as mapped) nor ignored. privctl's own tables are never part of the map; SQLite's
/// internal ones never reach the [`Schema`]. `map check` reports each as a problem, and every
/// command that reads or erases personal data refuses to run while there is one
/// ([`crate::commands::Context::session`]): whatever such a table holds would be left out.
pub fn unmapped_tables(map: &DataMap, schema: &Schema) -> Vec<Finding> {
    let tenant_table = map.tenant.as_ref().map(|t| t.table.as_str());
    let mapped = |name: &str| map.tables.contains_key(name) || tenant_table == Some(name);
    let mut found = Vec::new();
    for (name, info) in &schema.tables {
        if OWN_TABLES.contains(&name.as_str()) || map.ignored.contains_key(name) || mapped(name) {
            continue;
        }
        let tenant_columns: Vec<&str> = map
            .tables
            .values()
            .filter_map(|t| t.tenant.as_deref())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|c| info.column(c).is_some())
            .collect();
        let links: Vec<String> = info
            .foreign_keys
            .iter()
            .filter(|fk| mapped(&fk.references))
            .map(|fk| format!("{} → {}", fk.columns.join(", "), fk.references))
            .collect();
        let why = match (tenant_columns.first(), links.is_empty()) {
            (Some(column), _) => format!("it has the tenant column `{column}`"),
            (None, false) => format!("it links into mapped data ({})", links.join("; ")),
            (None, true) => "privctl cannot tell whether it holds personal data".to_owned(),
        };
        found.push(Finding::new(
            FindingKind::UnmappedTable,
            Some(name),
            tenant_columns.first().copied(),
            format!(
                "table `{name}` is neither mapped nor ignored ({why}): add [tables.{}], or `ignore = true` with a reason",
                toml_key(name)
            ),
        ));
    }
    found
}

/// A table under row-level security needs the setting its policies read.
fn row_security(map: &DataMap, schema: &Schema, problems: &mut Vec<Finding>) {
    if map.tenant_setting.is_some() {
        return;
    }
    let used = map
        .tables
        .keys()
        .map(String::as_str)
        .chain(map.tenant.as_ref().map(|t| t.table.as_str()))
        .chain(map.authz.as_ref().map(|a| a.table.as_str()))
        .collect::<BTreeSet<_>>();
    for name in used {
        if schema.tables.get(name).is_some_and(|t| t.row_security) {
            problems.push(Finding::new(
                FindingKind::RowSecurityWithoutSetting,
                Some(name),
                None,
                format!(
                    "table `{name}` has row-level security, and the map has no `database.tenant_setting`: connected as the platform's role privctl would see no rows (or, as a superuser, every tenant's)"
                ),
            ));
        }
    }
}

/// Every category a table names has a window (`"unlimited"` says so explicitly), so a typo in
/// a category can never switch retention off unnoticed.
fn categories(map: &DataMap, problems: &mut Vec<Finding>) {
    for (name, table) in &map.tables {
        if let Some(category) = &table.category
            && !map.retention.contains_key(category)
        {
            problems.push(Finding::new(
                FindingKind::CategoryWithoutWindow,
                Some(name),
                table.timestamp.as_deref(),
                format!(
                    "tables.{}.category: `{category}` has no window in [retention] (write `{category} = \"unlimited\"` to keep such rows until erased)",
                    toml_key(name)
                ),
            ));
        }
    }
}

/// Every plan tier in use has a window in every per-plan rule.
async fn plan_tiers(
    map: &DataMap,
    schema: &Schema,
    db: &Db,
    problems: &mut Vec<Finding>,
) -> Result<()> {
    let Some(tenant) = &map.tenant else {
        return Ok(());
    };
    let Some(plan) = &tenant.plan else {
        return Ok(());
    };
    let per_plan: Vec<(&String, &BTreeMap<String, crate::map::Window>)> = map
        .retention
        .iter()
        .filter_map(|(category, rule)| match rule {
            RetentionRule::ByPlan(tiers) => Some((category, tiers)),
            _ => None,
        })
        .collect();
    let present = schema
        .tables
        .get(&tenant.table)
        .is_some_and(|t| t.column(plan).is_some());
    if per_plan.is_empty() || !present {
        return Ok(());
    }
    let mut sql = db.sql();
    sql.push("SELECT DISTINCT CAST(")
        .ident(plan)
        .push(" AS text) FROM ")
        .ident(&tenant.table)
        .push(" WHERE ")
        .ident(plan)
        .push(" IS NOT NULL ORDER BY 1");
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let tiers = tx
        .fetch_column(&sql)
        .await
        .with_context(|| format!("reading the plan tiers in {}.{plan}", tenant.table));
    tx.rollback().await?;
    for tier in tiers?.into_iter().flatten() {
        for (category, windows) in &per_plan {
            if !windows.contains_key(&tier) {
                problems.push(Finding::new(
                    FindingKind::PlanWithoutWindow,
                    Some(&tenant.table),
                    Some(plan),
                    format!(
                        "retention.{category}: tenants on plan `{tier}` have no window (tiers given: {})",
                        windows.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A retained or anonymised row keeps living; a NOT NULL reference from it to a row that
/// erasure deletes cannot be cleared. Each action has its own rules (`erase.subject` for a
/// DSAR, `erase.tenant` for delete-tenant), so each is checked with its own: a segment
/// anonymised for a DSAR and deleted with its tenant is no problem for delete-tenant.
/// For delete-tenant it is a problem (every tenant with such rows would be refused); for a
/// DSAR a warning: only a subject whose rows meet there is refused, by the plan, before
/// anything changes.
fn not_null_references(model: &Model, problems: &mut Vec<Finding>, warnings: &mut Vec<Finding>) {
    type Rule = fn(&crate::map::EraseRules) -> &Erase;
    let actions: [(&str, Rule, bool); 2] = [
        ("dsar delete", |e| &e.subject, false),
        ("delete-tenant", |e| &e.tenant, true),
    ];
    // The tables a DSAR can delete rows of: those a subject named by every identity reaches.
    let subject = crate::selection::Subject {
        identifiers: model
            .identities
            .keys()
            .map(|name| crate::selection::Identifier {
                name: name.clone(),
                value: String::new(),
            })
            .collect(),
    };
    let reachable: BTreeSet<String> = crate::selection::SubjectSelection::new(model, None, subject)
        .map(|s| s.tables().iter().cloned().collect())
        .unwrap_or_default();
    for (action, rule, tenant_row_goes) in actions {
        for child in model.nodes.values() {
            let kept = rule(&child.spec.erase);
            if *kept == Erase::Delete {
                continue;
            }
            for link in child.links.iter().filter(|l| !l.nullable) {
                let parent_deleted = match model.nodes.get(&link.parent) {
                    Some(parent) => {
                        *rule(&parent.spec.erase) == Erase::Delete
                            && (tenant_row_goes || reachable.contains(&parent.name))
                    }
                    // A DSAR never deletes the tenant's row.
                    None => tenant_row_goes && model.tenant_erase == Erase::Delete,
                };
                if parent_deleted && link.parent != child.name {
                    let list = if tenant_row_goes {
                        &mut *problems
                    } else {
                        &mut *warnings
                    };
                    list.push(Finding::new(
                        FindingKind::NotNullReference,
                        Some(&child.name),
                        link.columns.first().map(String::as_str),
                        format!(
                            "`{}`.`{}` is NOT NULL, but {action} keeps its rows ({}) while it deletes the `{}` rows they reference: make the column nullable, or erase `{}` too",
                            child.name,
                            link.columns.join(", "),
                            kept.effect().as_str(),
                            link.parent,
                            child.name
                        ),
                    ));
                }
            }
        }
    }
}

/// What an anonymisation writes must fit its column, or the erasure stops at that table (a
/// delete-tenant half done, stuck until the map is fixed): `null` needs a nullable column;
/// `scrub` rewrites text, so it needs a text or JSON column; on PostgreSQL `redact` and `hash`
/// write text, so they need one too (SQLite stores text in any column). Called by
/// [`Model::resolve`] with each mapped table and the tenant table, so a command refuses what
/// `map check` reports. `key` is the map's key of the table (`tables.invoices`, `tenant`).
pub fn erase_column_types(
    key: &str,
    name: &str,
    erase: &crate::map::EraseRules,
    info: &TableInfo,
    dialect: Dialect,
) -> Vec<Finding> {
    use crate::map::AnonymiseMode;
    let actions: Vec<(&str, &Erase)> = if erase.subject == erase.tenant {
        vec![("erase", &erase.subject)]
    } else {
        vec![
            ("erase.subject", &erase.subject),
            ("erase.tenant", &erase.tenant),
        ]
    };
    let mut out = Vec::new();
    for (action, erase) in actions {
        let Erase::Anonymise(columns) = erase else {
            continue;
        };
        for (column, mode) in columns {
            let Some(c) = info.column(column) else {
                continue; // reported as a missing column
            };
            let at = format!("{key}.{action}.anonymise.{column}: `{name}`.`{column}`");
            let textual = c.is_text() || c.is_json();
            let (kind, detail) = match mode {
                AnonymiseMode::Null if !c.nullable => (
                    FindingKind::AnonymiseNotNull,
                    format!(
                        "{at} is NOT NULL, so \"null\" cannot be written there: the erasure would stop at this table; use \"redact\" or \"hash\", or make the column nullable"
                    ),
                ),
                AnonymiseMode::Scrub if !textual => (
                    FindingKind::AnonymiseType,
                    format!(
                        "{at} is {}, but `scrub` rewrites text: use it on text and JSON columns only (or \"null\", \"redact\", \"hash\")",
                        c.sql_type
                    ),
                ),
                AnonymiseMode::Redact | AnonymiseMode::Hash
                    if !textual && dialect.sql_ops().strict_column_types() =>
                {
                    let mode = if *mode == AnonymiseMode::Redact {
                        "redact"
                    } else {
                        "hash"
                    };
                    (
                        FindingKind::AnonymiseType,
                        format!(
                            "{at} is {}, but `{mode}` writes text: use it on text and JSON columns only (\"null\" clears a nullable column of any type)",
                            c.sql_type
                        ),
                    )
                }
                _ => continue,
            };
            out.push(Finding::new(kind, Some(name), Some(column), detail));
        }
    }
    out
}

/// A `json` identity reads its column as a JSON document. PostgreSQL reads json, jsonb and text
/// columns so (text that is not JSON never matches); any other type (an integer, a timestamp)
/// holds no document, and a DSAR naming the identity fails or never matches. SQLite stores text
/// in any column, and its JSON functions take any value. Called by [`Model::resolve`], so a
/// command refuses what `map check` reports.
pub fn json_identity_types(
    name: &str,
    spec: &crate::map::TableSpec,
    info: &TableInfo,
    dialect: Dialect,
) -> Vec<Finding> {
    if !dialect.sql_ops().strict_column_types() {
        return Vec::new();
    }
    spec.identities
        .iter()
        .filter(|identity| identity.json.is_some())
        .filter_map(|identity| {
            let c = info.column(&identity.column)?;
            if c.is_json() || c.is_text() {
                return None;
            }
            Some(Finding::new(
                FindingKind::IdentityType,
                Some(name),
                Some(&identity.column),
                format!(
                    "tables.{}.identities.{}.json: `{name}`.`{}` is {}, which cannot hold a JSON document: name a json, jsonb or text column, or drop `json`",
                    toml_key(name),
                    identity.identity,
                    identity.column,
                    c.sql_type
                ),
            ))
        })
        .collect()
}

/// Mapped tables (and the tenant table) whose triggers fire on delete or update: what they do
/// is outside every plan.
fn triggers(model: &Model) -> Vec<Finding> {
    let tables = model
        .nodes
        .values()
        .map(|n| &n.info)
        .chain(model.tenant.as_ref().map(|t| &t.info));
    let mut out = Vec::new();
    for info in tables {
        let firing: Vec<String> = info
            .triggers
            .iter()
            .filter(|t| t.on_delete || t.on_update)
            .map(|t| {
                let events = match (t.on_delete, t.on_update) {
                    (true, true) => "delete, update",
                    (true, false) => "delete",
                    _ => "update",
                };
                format!("`{}` ({events})", t.name)
            })
            .collect();
        if firing.is_empty() {
            continue;
        }
        out.push(Finding::new(
            FindingKind::Trigger,
            Some(&info.name),
            None,
            format!(
                "`{}` has triggers that fire when erasure deletes or updates its rows: {}. privctl cannot predict what they do; the plan names them, and the check after erasure and the residue scan catch rows they change",
                info.name,
                firing.join(", ")
            ),
        ));
    }
    out
}

/// Email and phone identities are normalised as text: on PostgreSQL a column of another type
/// (a phone number kept as `bigint`) fails every DSAR that names it.
fn identity_types(model: &Model, problems: &mut Vec<Finding>) {
    if !model.dialect.sql_ops().strict_column_types() {
        return; // SQLite's text functions take any value
    }
    for node in model.nodes.values() {
        for identity in node.spec.identities.iter().filter(|i| i.json.is_none()) {
            let kind = &model.identities[&identity.identity];
            let Some(column) = node.info.column(&identity.column) else {
                continue;
            };
            let t = column.sql_type.to_lowercase();
            let textual = t.contains("text") || t.contains("char");
            if *kind != IdentityKind::Exact && !textual {
                problems.push(Finding::new(
                    FindingKind::IdentityType,
                    Some(&node.name),
                    Some(&identity.column),
                    format!(
                        "tables.{}.identities.{}: `{}`.`{}` is {}, but {} identities are matched as normalised text: store it as text, or make the identity `kind = \"exact\"`",
                        toml_key(&node.name),
                        identity.identity,
                        node.name,
                        identity.column,
                        column.sql_type,
                        identity.identity
                    ),
                ));
            }
        }
    }
}

/// Every `when` condition of an identity is valid SQL on its table.
async fn conditions(model: &Model, db: &Db, problems: &mut Vec<Finding>) -> Result<()> {
    for node in model.nodes.values() {
        for identity in &node.spec.identities {
            let Some(when) = &identity.when else {
                continue;
            };
            // No alias: privctl pastes the condition under whatever alias the statement gives
            // the table, so it may name its columns only unqualified.
            let mut sql = db.sql();
            sql.push("SELECT 1 FROM ")
                .ident(&node.name)
                .push(" WHERE ")
                .condition(when)
                .push(" AND 1 = 0");
            let mut tx = db.begin(TxMode::Snapshot).await?;
            let result = tx.fetch_rows(&sql).await;
            tx.rollback().await?;
            if let Err(error) = result {
                problems.push(Finding::new(
                    FindingKind::InvalidCondition,
                    Some(&node.name),
                    Some(&identity.column),
                    format!(
                        "tables.{}.identities.{}.when: not a valid condition on `{}` (name its columns unqualified): {}",
                        toml_key(&node.name),
                        identity.identity,
                        node.name,
                        error.root_cause()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Tenant, link, identity and retention-timestamp columns without an index that serves
/// privctl's conditions on them, each with the statement that adds one.
async fn missing_indexes(map: &DataMap, model: &Model, db: &Db) -> Result<Vec<Finding>> {
    let dialect = model.dialect;
    let mut warnings = Vec::new();
    for node in model.nodes.values() {
        let tenant = node.tenant.as_ref().map(|(c, _)| c.as_str());
        // (key, what privctl filters it for, column, the index name's middle part)
        let mut wanted: Vec<(IndexKey, String, &str, String)> = Vec::new();
        if let Some(column) = tenant {
            wanted.push((
                IndexKey::Column(column.to_owned()),
                "tenant column".into(),
                column,
                column.to_owned(),
            ));
        }
        for link in &node.links {
            if let [column] = link.columns.as_slice() {
                wanted.push((
                    IndexKey::Column(column.clone()),
                    format!("link to `{}`", link.parent),
                    column,
                    column.clone(),
                ));
            }
        }
        for identity in &node.spec.identities {
            let kind = &model.identities[&identity.identity];
            let quoted = dialect.quote(&identity.column);
            let key = match (kind, &identity.json) {
                (IdentityKind::Exact, None) => IndexKey::Column(identity.column.clone()),
                _ => match crate::selection::match_expression(
                    dialect,
                    &quoted,
                    identity,
                    kind,
                    node.info
                        .column(&identity.column)
                        .is_some_and(|c| crate::selection::is_json_type(&c.sql_type)),
                ) {
                    Some(expression) => IndexKey::Expression(expression),
                    // `json = "any"` searches every string of a document: no index can serve it.
                    None => continue,
                },
            };
            // Two identities can sit in one JSON column: the name says which.
            let name = match &key {
                IndexKey::Column(_) => identity.column.clone(),
                IndexKey::Expression(_) if identity.column == identity.identity => {
                    format!("{}_norm", identity.column)
                }
                IndexKey::Expression(_) => {
                    format!("{}_{}_norm", identity.column, identity.identity)
                }
            };
            wanted.push((
                key,
                format!("identity `{}`", identity.identity),
                &identity.column,
                name,
            ));
        }
        if let Some(column) = &node.spec.timestamp
            && node
                .spec
                .category
                .as_ref()
                .is_some_and(|c| map.retention.contains_key(c))
        {
            wanted.push((
                IndexKey::Column(column.clone()),
                "retention timestamp".into(),
                column,
                column.clone(),
            ));
        }
        let mut seen = BTreeSet::new();
        for (key, role, column, name) in wanted {
            if !seen.insert(format!("{key:?}")) {
                continue;
            }
            let is_served = match &key {
                // A database may print an indexed expression its own way (PostgreSQL's casts,
                // VARIADIC arrays): its planner, where asked, says whether an index serves the
                // comparison. A planner that cannot answer (a policy reading a setting nobody
                // made) leaves the catalog's word.
                IndexKey::Expression(expression) => {
                    match db.index_serves(&node.name, expression).await {
                        Ok(Some(answer)) => answer,
                        Ok(None) | Err(_) => served(&node.info, &key, tenant),
                    }
                }
                IndexKey::Column(_) => served(&node.info, &key, tenant),
            };
            if is_served {
                continue;
            }
            let mut finding = Finding::new(
                FindingKind::MissingIndex,
                Some(&node.name),
                Some(column),
                format!(
                    "`{}`.`{column}` ({role}) has no index: privctl's statements on it scan the table",
                    node.name
                ),
            );
            finding.fix = Some(create_index(dialect, &node.name, &name, &key));
            warnings.push(finding);
        }
    }
    Ok(warnings)
}

/// Rows whose links lead to different tenants (see [`crate::selection::cross_tenant_condition`]):
/// a fault of the platform's data that no erasure should guess about.
async fn cross_tenant_rows(model: &Model, db: &Db, problems: &mut Vec<Finding>) -> Result<()> {
    let mut tx = db.begin(TxMode::Snapshot).await?;
    for node in model.nodes.values() {
        let Some(cross) = crate::selection::cross_tenant_condition(model, &node.name, "t") else {
            continue;
        };
        let mut sql = db.sql();
        sql.push("SELECT count(*) FROM ")
            .ident(&node.name)
            .push(" t WHERE ")
            .push(&cross.condition);
        let rows = crate::plan::count(&mut tx, &sql).await?;
        if rows > 0 {
            problems.push(Finding::new(
                FindingKind::CrossTenantRow,
                Some(&node.name),
                None,
                format!(
                    "{rows} row(s) of `{}` reach different tenants through {}: the platform's data contradicts itself, and privctl cannot tell whose rows they are; fix the rows (delete-tenant refuses to run while the tenant has such rows)",
                    node.name,
                    cross.routes.join(", ")
                ),
            ));
        }
    }
    tx.rollback().await?;
    Ok(())
}

/// Tables whose routes to the tenant are all nullable, and how many of their rows belong to no
/// tenant today.
async fn tenantless_rows(model: &Model, db: &Db) -> Result<Vec<Finding>> {
    let mut warnings = Vec::new();
    if model.tenant.is_none() {
        return Ok(warnings);
    }
    let mut tx = db.begin(TxMode::Snapshot).await?;
    for node in model.nodes.values().filter(|n| !n.global) {
        let total = node.always_in_a_tenant();
        if total || node.routes.is_empty() {
            continue;
        }
        let sql = crate::selection::count_tenantless(model, &node.name);
        let rows = crate::plan::count(&mut tx, &sql).await?;
        if rows > 0 {
            warnings.push(Finding::new(
                FindingKind::TenantlessRows,
                Some(&node.name),
                None,
                format!(
                    "{rows} row(s) of `{}` belong to no tenant (every route to one is NULL): export-tenant, delete-tenant and a DSAR with --tenant never reach them; `dsar … --all-tenants` does",
                    node.name
                ),
            ));
        }
    }
    tx.rollback().await?;
    Ok(warnings)
}

/// Whether an index of `info` starts with `key`, or with the tenant column and then `key`
/// (every statement privctl runs carries the tenant condition).
fn served(info: &TableInfo, key: &IndexKey, tenant: Option<&str>) -> bool {
    if let IndexKey::Column(column) = key
        && info.primary_key.first() == Some(column)
    {
        return true;
    }
    info.indexes
        .iter()
        .any(|index| match index.keys.as_slice() {
            [first, ..] if first.matches(key) => true,
            [IndexKey::Column(first), second, ..] => {
                tenant == Some(first.as_str()) && second.matches(key)
            }
            _ => false,
        })
}

fn create_index(dialect: Dialect, table: &str, name: &str, key: &IndexKey) -> String {
    let keys = match key {
        IndexKey::Column(c) => dialect.quote(c),
        // Both databases take a function call as an index key without extra parentheses.
        IndexKey::Expression(e) => e.clone(),
    };
    let mut name = format!("{table}_{name}_idx");
    while name.len() > 63 {
        name.remove(0);
    }
    format!(
        "{}{} ON {} ({keys});",
        dialect.sql_ops().create_index(),
        dialect.quote(&name),
        dialect.quote(table)
    )
}

/// A table name as a TOML key: bare when it can be, quoted otherwise.
pub fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        toml::Value::String(name.to_owned()).to_string()
    }
}
