//! Residue scans: where do a subject's identifiers occur, by content, whatever the map says?
//!
//! Every check that goes through the map sees only what the map describes. A scan reads every
//! table privctl may read (mapped tables within the tenant's scope, `scope = "global"` tables in
//! full, the tenant's own row, and ignored tables only when the map says `scan = true`) and
//! tests every text, varchar, json/jsonb (and PostgreSQL bytea) column of each row for each of
//! the subject's identifiers in the forms people write them: an email in any case (also
//! URL-encoded, `jane%40example.com`), a phone number with any punctuation, with or without the
//! country code. One statement per table, the matching done by the database; only the row's key
//! and the names of the columns that matched come back, never a value.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::{Value, json};

use crate::db::{Schema, Sql, TableInfo, Tx, fold_ascii_case, scan_text};
use crate::map::{DataMap, IdentityKind};
use crate::model::Model;
use crate::scrub::Scrubber;
use crate::selection::{self, Subject, SubjectSelection, TenantSelection};

/// One column of one row that holds one of the subject's identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Hit {
    pub table: String,
    pub column: String,
    /// The row's key as a JSON array (`[1]`, `["a", 2]`); `null` for an ignored table without a
    /// primary key.
    pub key: Value,
    /// Whether the map's subject selection selects this row.
    pub selected: bool,
    /// What a DSAR erasure does to the table: `delete`, `anonymise`, `retain`, or `ignored` (an
    /// ignored table privctl never changes).
    pub effect: &'static str,
    pub legal_basis: Option<String>,
}

impl Hit {
    /// Residue: an identifier in a table that is not retained with a legal basis.
    pub fn is_residue(&self) -> bool {
        !(self.effect == "retain" && self.legal_basis.is_some())
    }
}

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The tables read, in the order they were read.
    pub tables: Vec<String>,
    pub hits: Vec<Hit>,
}

impl ScanReport {
    /// Hits outside tables retained with a legal basis.
    pub fn residue(&self) -> usize {
        self.hits.iter().filter(|h| h.is_residue()).count()
    }

    /// The places (table, column) holding residue, each once, in order.
    pub fn residue_places(&self) -> Vec<(String, String)> {
        let places: BTreeSet<(String, String)> = self
            .hits
            .iter()
            .filter(|h| h.is_residue())
            .map(|h| (h.table.clone(), h.column.clone()))
            .collect();
        places.into_iter().collect()
    }

    /// Counts for the ledger, per table: `{"notes": {"hits": 2, "residue": 2}}` (no keys, no
    /// values).
    pub fn counts(&self) -> Value {
        let mut tables: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for hit in &self.hits {
            let entry = tables.entry(&hit.table).or_default();
            entry.0 += 1;
            if hit.is_residue() {
                entry.1 += 1;
            }
        }
        let tables: serde_json::Map<String, Value> = tables
            .into_iter()
            .map(|(t, (hits, residue))| (t.to_owned(), json!({"hits": hits, "residue": residue})))
            .collect();
        json!({
            "tables_scanned": self.tables.len(),
            "hits": self.hits.len(),
            "residue": self.residue(),
            "tables": tables,
        })
    }
}

/// One table to read: its name, its columns and key, its scope, and what erasure does to it.
struct Target<'a> {
    name: &'a str,
    info: &'a TableInfo,
    key: &'a [String],
    scope: Scope,
    effect: &'static str,
    legal_basis: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every row (global and ignored tables; every table with `--all-tenants`).
    Full,
    /// The tenant selection's rows of a mapped table.
    Tenant,
    /// The tenant's own row(s) in the tenant table.
    TenantRow,
}

/// How one identifier is looked for in a column: the column normalised as the identifier's kind
/// says, first tested for `key`, a part that every form of the identifier contains (one cheap
/// test per column and row, which nearly every row fails), then for the forms themselves.
#[derive(PartialEq, Eq)]
struct Probe {
    kind: IdentityKind,
    key: String,
    /// The forms the identifier is written in; empty when `key` is its only form.
    forms: Vec<String>,
}

/// The probes of a subject's identifiers. Emails are lower-cased and also looked for with `@`
/// URL-encoded, keyed on the local part (the part that names the person; a domain is shared);
/// phones without punctuation, with the country code (without `+`, so `+49…` and `0049…` match
/// too) and in national form with a leading 0, keyed on the national number.
fn probes(identities: &BTreeMap<String, IdentityKind>, subject: &Subject) -> Vec<Probe> {
    let mut out: Vec<Probe> = Vec::new();
    for identifier in &subject.identifiers {
        let kind = identities
            .get(&identifier.name)
            .cloned()
            .unwrap_or(IdentityKind::Exact);
        let (key, mut forms) = match &kind {
            IdentityKind::Email => {
                // Parsing made sure of a local part before the `@`.
                let lower = identifier.value.to_ascii_lowercase();
                let local = lower.split('@').next().unwrap_or_default().to_owned();
                (local, vec![lower.replace('@', "%40"), lower])
            }
            IdentityKind::Phone { .. } => phone_forms(&identifier.value),
            IdentityKind::Exact => (identifier.value.clone(), Vec::new()),
        };
        if forms == [key.as_str()] {
            forms.clear();
        }
        let probe = Probe { kind, key, forms };
        // An empty value would match every row (and is never an identifier).
        if !probe.key.is_empty() && !out.contains(&probe) {
            out.push(probe);
        }
    }
    out
}

/// `+49301234567` → the national number `301234567` (which every form contains) and the forms
/// `49301234567` (which `+49…` and `0049…` contain) and `0301234567`.
fn phone_forms(e164: &str) -> (String, Vec<String>) {
    let digits = e164.trim_start_matches('+').to_owned();
    let mut forms = vec![digits.clone()];
    let mut key = digits.clone();
    if let Some(code) = crate::phone::country_code(&digits)
        && let Some(national) = digits.strip_prefix(&code.to_string())
    {
        forms.push(format!("0{national}"));
        key = national.to_owned();
    }
    (key, forms)
}

/// The tables a scan reads, alphabetically: mapped tables (the tenant's rows, global ones in
/// full), the tenant table (the tenant's own row), and ignored tables with `scan = true`.
fn targets<'a>(
    model: &'a Model,
    map: &'a DataMap,
    schema: &'a Schema,
    tenant: Option<&str>,
) -> Vec<Target<'a>> {
    let tenant_scoped = tenant.is_some() && model.tenant.is_some();
    let mut out: Vec<Target<'a>> = model
        .nodes
        .values()
        .map(|node| Target {
            name: &node.name,
            info: &node.info,
            key: &node.key,
            scope: if tenant_scoped && !node.global {
                Scope::Tenant
            } else {
                Scope::Full
            },
            effect: node.spec.erase.subject.effect().as_str(),
            legal_basis: node.spec.legal_basis.clone(),
        })
        .collect();
    if let Some(t) = &model.tenant {
        out.push(Target {
            name: &t.name,
            info: &t.info,
            key: std::slice::from_ref(&t.id),
            scope: if tenant_scoped {
                Scope::TenantRow
            } else {
                Scope::Full
            },
            // A DSAR never erases the tenant's own row.
            effect: "retain",
            legal_basis: None,
        });
    }
    for name in &map.scan_ignored {
        if let Some(info) = schema.tables.get(name) {
            out.push(Target {
                name,
                info,
                key: &info.primary_key,
                scope: Scope::Full,
                effect: "ignored",
                legal_basis: None,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(b.name));
    out
}

/// The statement for one table: `SELECT key, m0, m1, … FROM (…) s WHERE m0 IS NOT NULL OR …`,
/// where `mN` is column N's text when it contains one of the probes' forms (the database's cheap
/// test; [`holds_identifier`] then checks the occurrence is bounded). `None` when the table has
/// no column that can hold text.
fn statement(
    model: &Model,
    target: &Target<'_>,
    tenant: Option<&str>,
    probes: &[Probe],
) -> Option<(Sql, Vec<String>)> {
    let dialect = model.dialect;
    let columns: Vec<(String, String)> = target
        .info
        .columns
        .iter()
        .filter_map(|c| scan_text(dialect, "t", c).map(|expr| (c.name.clone(), expr)))
        .collect();
    if columns.is_empty() || probes.is_empty() {
        return None;
    }
    let mut sql = Sql::new(dialect);
    sql.push("SELECT k");
    for i in 0..columns.len() {
        sql.push(&format!(", m{i}"));
    }
    sql.push(" FROM (SELECT ");
    if target.key.is_empty() {
        sql.push("NULL");
    } else {
        selection::push_key_json(&mut sql, "t", target.key);
    }
    sql.push(" AS k");
    for (i, (_, expr)) in columns.iter().enumerate() {
        sql.push(", CASE WHEN ");
        for (j, probe) in probes.iter().enumerate() {
            if j > 0 {
                sql.push(" OR ");
            }
            let haystack = match probe.kind {
                IdentityKind::Email => fold_ascii_case(dialect, expr),
                IdentityKind::Phone { .. } => selection::normalised(&probe.kind, expr),
                IdentityKind::Exact => expr.clone(),
            };
            sql.push("(");
            sql.contains(&haystack, &probe.key);
            if !probe.forms.is_empty() {
                sql.push(" AND (");
                for (k, form) in probe.forms.iter().enumerate() {
                    if k > 0 {
                        sql.push(" OR ");
                    }
                    sql.contains(&haystack, form);
                }
                sql.push(")");
            }
            sql.push(")");
        }
        sql.push(&format!(" THEN {expr} END AS m{i}"));
    }
    sql.push(" FROM ").ident(target.name).push(" t");
    match (target.scope, tenant) {
        (Scope::Tenant, Some(tenant)) => {
            sql.push(" WHERE ");
            selection::push_tenant_scope(model, Some(tenant), &mut sql, target.name, "t", &mut 0);
        }
        (Scope::TenantRow, Some(tenant)) => {
            if let Ok(tenants) = TenantSelection::new(model, tenant) {
                sql.push(" WHERE ");
                tenants.push_tenant_rows(&mut sql, "t");
            }
        }
        _ => {}
    }
    sql.push(") s WHERE ");
    for i in 0..columns.len() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push(&format!("m{i} IS NOT NULL"));
    }
    sql.push(" ORDER BY k");
    Some((sql, columns.into_iter().map(|(name, _)| name).collect()))
}

/// Scans, inside `tx` (a snapshot with the tenant setting already applied), every table privctl
/// may read for the subject of `selection`, within `tenant` (`None`: every row, for
/// `--all-tenants` and single-tenant maps), and marks each hit with whether the selection
/// selects its row. `on_table(done, total, table)` is called before each table is read (for a
/// progress bar).
pub async fn scan(
    tx: &mut Tx,
    map: &DataMap,
    schema: &Schema,
    selection: &SubjectSelection<'_>,
    tenant: Option<&str>,
    on_table: &mut dyn FnMut(usize, usize, &str),
) -> Result<ScanReport> {
    let model = selection.model();
    let probes = probes(&model.identities, selection.subject());
    let kinds: Vec<(IdentityKind, String)> = selection
        .subject()
        .identifiers
        .iter()
        .map(|i| {
            let kind = model
                .identities
                .get(&i.name)
                .cloned()
                .unwrap_or(IdentityKind::Exact);
            (kind, i.value.clone())
        })
        .collect();
    let scrubber = Scrubber::new(kinds.iter().map(|(k, v)| (k, v.as_str())));
    let mut report = ScanReport::default();
    let targets = targets(model, map, schema, tenant);
    let total = targets.len();
    for (done, target) in targets.into_iter().enumerate() {
        on_table(done, total, target.name);
        report.tables.push(target.name.to_owned());
        let Some((sql, columns)) = statement(model, &target, tenant, &probes) else {
            continue;
        };
        let rows = tx
            .fetch_rows(&sql)
            .await
            .with_context(|| format!("scanning {}", target.name))?;
        if rows.is_empty() {
            continue;
        }
        let selected: BTreeSet<String> =
            if model.nodes.contains_key(target.name) && selection.contains(target.name) {
                // Asked only for the rows found: one key lookup each.
                let keys: Vec<&str> = rows.iter().filter_map(|r| r[0].as_deref()).collect();
                let keys_json = format!("[{}]", keys.join(","));
                tx.fetch_column(&selection.select_keys_among(target.name, &keys_json))
                    .await
                    .with_context(|| format!("selecting the subject's rows of {}", target.name))?
                    .into_iter()
                    .flatten()
                    .collect()
            } else {
                BTreeSet::new()
            };
        for row in rows {
            let key_text = row[0].clone();
            let key = key_text
                .as_deref()
                .and_then(|k| serde_json::from_str(k).ok())
                .unwrap_or(Value::Null);
            let is_selected = key_text.as_ref().is_some_and(|k| selected.contains(k));
            let matched: Vec<&String> = columns
                .iter()
                .zip(&row[1..])
                .filter(|(_, text)| {
                    text.as_deref()
                        .is_some_and(|t| holds_identifier(&scrubber, t))
                })
                .map(|(column, _)| column)
                .collect();
            // A key that holds the identifier itself (a rate-limit key) is never printed.
            let key = if target.key.iter().any(|k| matched.contains(&k)) {
                Value::String("[redacted]".into())
            } else {
                key
            };
            for column in matched {
                {
                    report.hits.push(Hit {
                        table: target.name.to_owned(),
                        column: column.clone(),
                        key: key.clone(),
                        selected: is_selected,
                        effect: target.effect,
                        legal_basis: target.legal_basis.clone(),
                    });
                }
            }
        }
    }
    Ok(report)
}

/// Whether `text` holds one of the subject's identifiers as an occurrence of its own, bounded by
/// characters that cannot belong to it (as `scrub` finds them): `xjane@example.com`,
/// `jane@example.community` and `+49 30 12345678` are someone else's. A URL-encoded `@` counts
/// as `@`.
fn holds_identifier(scrubber: &Scrubber, text: &str) -> bool {
    scrubber.scrub_text(text).is_some()
        || (text.contains("%40") && scrubber.scrub_text(&text.replace("%40", "@")).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_looked_for_with_and_without_the_country_code() {
        assert_eq!(
            phone_forms("+49301234567"),
            (
                "301234567".to_owned(),
                vec!["49301234567".to_owned(), "0301234567".to_owned()]
            )
        );
    }

    #[test]
    fn every_form_contains_its_probes_key() {
        let email = IdentityKind::Email;
        let phone = IdentityKind::Phone {
            default_region: None,
        };
        let subject = |identifiers: &[(&str, &str)]| Subject {
            identifiers: identifiers
                .iter()
                .map(|(name, value)| crate::selection::Identifier {
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect(),
        };
        let identities = BTreeMap::from([("email".to_owned(), email), ("phone".to_owned(), phone)]);
        let found = probes(
            &identities,
            &subject(&[
                ("email", "Jane.Doe@Example.com"),
                ("phone", "+49301234567"),
                ("external_id", "cust-7"),
            ]),
        );
        let shapes: Vec<(&str, Vec<&str>)> = found
            .iter()
            .map(|p| (p.key.as_str(), p.forms.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shapes,
            vec![
                (
                    "jane.doe",
                    vec!["jane.doe%40example.com", "jane.doe@example.com"]
                ),
                ("301234567", vec!["49301234567", "0301234567"]),
                ("cust-7", vec![]),
            ]
        );
        for probe in &found {
            assert!(probe.forms.iter().all(|f| f.contains(&probe.key)));
        }
    }
}
