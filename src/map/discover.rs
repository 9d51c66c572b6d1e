//! `map discover`: a first data map drafted from the live schema.
//!
//! What the catalog says for certain (tables, keys, foreign keys) needs no line in the map:
//! privctl reads it at every run. The draft adds what the catalog cannot say, as guesses from
//! names and types: the tenant table and column, links where no foreign key exists, identity
//! columns, timestamps, secrets and tables to ignore. Every guess carries a `# guess:` comment
//! saying why. The same schema always gives the same text, so drafts can be diffed in review.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::check::{OWN_TABLES, toml_key};
use crate::db::{Dialect, Schema, TableInfo};

/// Column names that hold the tenant, most specific first.
pub const TENANT_COLUMNS: [&str; 6] = [
    "tenant_id",
    "org_id",
    "organization_id",
    "workspace_id",
    "account_id",
    "project_id",
];

/// Drafts a map for `schema`. `tenant_column` overrides the recognised names.
pub fn draft(schema: &Schema, dialect: Dialect, tenant_column: Option<&str>) -> String {
    let tables: BTreeMap<&str, &TableInfo> = schema
        .tables
        .iter()
        .filter(|(name, _)| !OWN_TABLES.contains(&name.as_str()))
        .map(|(name, info)| (name.as_str(), info))
        .collect();
    let tenant = find_tenant(&tables, tenant_column);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# privctl data map drafted by `privctl map discover` from the {} schema.\n\
         # Lines marked `guess` come from names and types, not from the catalog: review each one,\n\
         # then run `privctl map check`. Foreign keys need no line here: privctl reads them itself.\n\
         \n\
         version = 1",
        dialect.name()
    );

    let secured: Vec<&str> = tables
        .iter()
        .filter(|(_, t)| t.row_security)
        .map(|(n, _)| *n)
        .collect();
    if !secured.is_empty() {
        // The setting the policies read, as `current_setting('app.tenant', …)` names it.
        let read = tables
            .values()
            .flat_map(|t| &t.policies)
            .find_map(|policy| {
                let start = policy.find("current_setting('")? + "current_setting('".len();
                let length = policy[start..].find('\'')?;
                Some(policy[start..start + length].to_owned())
            })
            // Only a name the map accepts as a setting (`app.current_tenant`).
            .filter(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            });
        let (setting, why) = match read {
            Some(setting) => (setting, "the setting their policies read"),
            None => (
                "app.current_tenant".to_owned(),
                "no policy reads a setting privctl recognised; name the one they read",
            ),
        };
        let _ = writeln!(
            out,
            "\n[database]\n\
             # guess: {} use row-level security; {why}\n\
             tenant_setting = {}",
            list(&secured),
            string(&setting)
        );
    }

    let Some(tenant) = &tenant else {
        let _ = writeln!(
            out,
            "\n# guess: no column named {} was found, so this draft is single-tenant (no [tenant]).\n\
             # If tenants are kept under another name, run again with --tenant-column NAME.",
            TENANT_COLUMNS.join(", ")
        );
        write_identities(&mut out, &tables);
        for (name, info) in &tables {
            write_table(&mut out, name, info, None, &[], &tables);
        }
        return out;
    };

    write_tenant(&mut out, tenant);
    write_identities(&mut out, &tables);

    // Links by name where the database declares none, then which tables reach a tenant.
    let guessed: BTreeMap<&str, Vec<(String, String)>> = tables
        .iter()
        .map(|(name, info)| (*name, guessed_links(name, info, &tables, tenant)))
        .collect();
    let scoped = tenant_scoped(&tables, tenant, &guessed);
    for (name, info) in &tables {
        if *name == tenant.table {
            continue;
        }
        if scoped.contains(name) {
            write_table(&mut out, name, info, Some(tenant), &guessed[name], &tables);
        } else {
            write_ignored(&mut out, name, info, tenant);
        }
    }
    out
}

/// The tenant table and column as found.
struct Tenant<'a> {
    table: &'a str,
    id: String,
    column: String,
    /// How the tenant table was recognised.
    why: String,
    info: &'a TableInfo,
}

fn find_tenant<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    given: Option<&str>,
) -> Option<Tenant<'a>> {
    let column = match given {
        Some(column) => column.to_owned(),
        None => TENANT_COLUMNS
            .iter()
            .map(|c| {
                (
                    tables.values().filter(|t| t.column(c).is_some()).count(),
                    *c,
                )
            })
            .filter(|(n, _)| *n > 0)
            // Most tables first; among equals, the order of TENANT_COLUMNS.
            .min_by_key(|(n, c)| {
                (
                    std::cmp::Reverse(*n),
                    TENANT_COLUMNS.iter().position(|x| x == c),
                )
            })?
            .1
            .to_owned(),
    };
    // The table the tenant column's foreign keys point at, most often.
    let mut referenced: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for info in tables.values() {
        for fk in &info.foreign_keys {
            if fk.columns == [column.as_str()]
                && let Some((table, _)) = tables.get_key_value(fk.references.as_str())
                && let [referenced_column] = fk.referenced_columns.as_slice()
            {
                *referenced
                    .entry((table, referenced_column.as_str()))
                    .or_default() += 1;
            }
        }
    }
    if let Some(((table, id), n)) = referenced
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
    {
        return Some(Tenant {
            table,
            id: (*id).to_owned(),
            why: format!("`{column}` of {n} table(s) references it"),
            column,
            info: tables[table],
        });
    }
    // No foreign key: a table named after the column (`org_id` → orgs, organizations).
    let stem = column.strip_suffix("_id").unwrap_or(&column);
    let mut names = plurals(stem);
    if stem == "org" {
        names.extend(plurals("organization"));
    }
    let (table, info) = names
        .iter()
        .find_map(|n| tables.get_key_value(n.as_str()))
        .filter(|(_, info)| info.primary_key.len() == 1)?;
    Some(Tenant {
        table,
        id: info.primary_key[0].clone(),
        why: format!("named like the tenant column `{column}` (no foreign key references it)"),
        column,
        info,
    })
}

fn write_tenant(out: &mut String, tenant: &Tenant<'_>) {
    let _ = writeln!(
        out,
        "\n[tenant]\n# guess: the tenant table, {}; every table with `{}` belongs to a tenant\ntable = {}\nid = {}",
        tenant.why,
        tenant.column,
        string(tenant.table),
        string(&tenant.id)
    );
    let named = |names: &[&str]| {
        names
            .iter()
            .find(|n| tenant.info.column(n).is_some())
            .map(|n| (*n).to_owned())
    };
    let fields = [
        (
            "plan",
            named(&["plan", "plan_tier", "tier", "subscription_plan"]),
            "the tenant's plan tier, for per-plan retention windows",
        ),
        (
            "legal_hold",
            named(&["legal_hold", "on_legal_hold", "litigation_hold"]),
            "a tenant on hold is never purged or deleted",
        ),
        (
            "ended_at",
            named(&[
                "subscription_ended_at",
                "ended_at",
                "cancelled_at",
                "canceled_at",
                "churned_at",
            ]),
            "when the subscription ended, for windows counted from it",
        ),
    ];
    for (key, column, why) in fields {
        if let Some(column) = column {
            let _ = writeln!(out, "{key} = {}  # guess: {why}", string(&column));
        }
    }
}

/// `[identities]`: the kinds the draft's identity columns use.
fn write_identities(out: &mut String, tables: &BTreeMap<&str, &TableInfo>) {
    let kinds: BTreeSet<&str> = tables
        .values()
        .flat_map(|t| identity_columns(t).into_iter().map(|(kind, _)| kind))
        .collect();
    if kinds.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n[identities]");
    for kind in kinds {
        let line = match kind {
            "email" => "email = { kind = \"email\" }  # trimmed, lower-cased",
            "phone" => {
                "phone = { kind = \"phone\" }  # E.164; add default_region = \"DE\" (say) if numbers are stored without a country code"
            }
            _ => "external_id = { kind = \"exact\" }  # compared as given",
        };
        let _ = writeln!(out, "{line}");
    }
}

fn write_table(
    out: &mut String,
    name: &str,
    info: &TableInfo,
    tenant: Option<&Tenant<'_>>,
    guessed: &[(String, String)],
    tables: &BTreeMap<&str, &TableInfo>,
) {
    let _ = writeln!(out, "\n[tables.{}]", toml_key(name));
    if let Some(tenant) = tenant
        && info.column(&tenant.column).is_some()
    {
        let _ = writeln!(out, "tenant = {}", string(&tenant.column));
    } else if tenant.is_some() {
        let via: Vec<String> = info
            .foreign_keys
            .iter()
            .map(|fk| format!("{} → {}", fk.columns.join(", "), fk.references))
            .chain(guessed.iter().map(|(c, t)| format!("{c} → {t}")))
            .collect();
        let _ = writeln!(
            out,
            "# no tenant column: rows belong to the tenant of the rows they link to ({})",
            via.join("; ")
        );
    }
    if info.primary_key.is_empty() {
        let _ = writeln!(
            out,
            "# no primary key: name the columns that identify a row\n# key = [\"…\"]"
        );
    }
    let identities = identity_columns(info);
    if !identities.is_empty() {
        let mut seen = BTreeSet::new();
        let mut chosen = Vec::new();
        let mut others = Vec::new();
        for (kind, column) in &identities {
            let identity = *kind;
            if seen.insert(identity) {
                chosen.push(format!("{identity} = {}", string(column)));
            } else {
                others.push(format!("`{column}`"));
            }
        }
        let _ = writeln!(
            out,
            "identities = {{ {} }}  # guess: by column name and type",
            chosen.join(", ")
        );
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "# guess: {} may hold identifiers too; one column per identity here, map the rest in a table of their own kind",
                others.join(", ")
            );
        }
    }
    for column in info.columns.iter().filter(|c| is_json_type(&c.sql_type)) {
        let _ = writeln!(
            out,
            "# guess: `{}` is JSON; if it holds identifiers (custom fields), add e.g. email = {{ column = {}, json = \"any\" }} to identities",
            column.name,
            string(&column.name)
        );
    }
    if !guessed.is_empty() {
        let links: Vec<String> = guessed
            .iter()
            .map(|(column, target)| {
                format!(
                    "{{ column = {}, references = {} }}",
                    string(column),
                    string(target)
                )
            })
            .collect();
        let why: Vec<String> = guessed
            .iter()
            .map(|(column, target)| format!("`{column}` is named like `{target}`"))
            .collect();
        let _ = writeln!(
            out,
            "# guess: no foreign key in the database; {}\nlinks = [{}]",
            why.join(", "),
            links.join(", ")
        );
    }
    for fk in &info.foreign_keys {
        if fk.references == name || !tables.contains_key(fk.references.as_str()) {
            continue;
        }
        let shared = ["member", "user", "agent", "operator", "assignee", "owner"];
        if let [column] = fk.columns.as_slice()
            && shared.iter().any(|s| column.contains(s))
        {
            let _ = writeln!(
                out,
                "# guess: `{column}` points at `{}`, who is not this row's subject: consider links = [{{ column = {}, references = {}, follow = false }}]",
                fk.references,
                string(column),
                string(&fk.references)
            );
        }
    }
    if let Some(column) = timestamp_column(info) {
        let _ = writeln!(
            out,
            "timestamp = {}  # guess: the row's time, for retention\n# category = \"…\"  # give the table a retention category, with its window in [retention]",
            string(&column)
        );
    }
    let secrets: Vec<&str> = info
        .columns
        .iter()
        .filter(|c| is_text_type(&c.sql_type) || c.sql_type.to_lowercase().contains("bytea"))
        .map(|c| c.name.as_str())
        .filter(|c| is_secret(c))
        .collect();
    if !secrets.is_empty() {
        // A password hash is of no use to anyone outside; a key is shown by its last four.
        let modes: Vec<String> = secrets
            .iter()
            .map(|c| {
                let mode = if c.to_lowercase().starts_with("password") {
                    "omit"
                } else {
                    "redact"
                };
                format!("{} = \"{mode}\"", toml_key(c))
            })
            .collect();
        let _ = writeln!(
            out,
            "export = {{ {} }}  # guess: {} look(s) like secrets: omitted, or shown by their last four characters (list ciphertext columns in encrypted = […])",
            modes.join(", "),
            list(&secrets)
        );
    }
    for column in info.columns.iter().filter(|c| is_blob_key(&c.name)) {
        let _ = writeln!(
            out,
            "# guess: `{}` may name an object in blob storage: blob = {{ column = {}, store = \"…\" }} with a [blobs.…] section",
            column.name,
            string(&column.name)
        );
    }
    let billing = ["invoice", "billing", "payment", "receipt", "tax"];
    if billing.iter().any(|b| name.to_lowercase().contains(b)) {
        let _ = writeln!(
            out,
            "# guess: billing records are often kept by law: erase = {{ anonymise = {{ … }} }} with a legal_basis"
        );
    }
    let _ = writeln!(out, "erase = \"delete\"");
}

fn write_ignored(out: &mut String, name: &str, info: &TableInfo, tenant: &Tenant<'_>) {
    let personal: Vec<String> = identity_columns(info)
        .into_iter()
        .map(|(_, c)| format!("`{c}`"))
        .collect();
    let _ = writeln!(out, "\n[tables.{}]", toml_key(name));
    if personal.is_empty() {
        let _ = writeln!(
            out,
            "# guess: no `{}`, no link to tenant data and no identity column: check that it holds no personal data",
            tenant.column
        );
    } else {
        let _ = writeln!(
            out,
            "# guess: REVIEW: {} look(s) personal, but the table has no `{}` and no link to tenant data, so privctl cannot confine it to a tenant",
            personal.join(", "),
            tenant.column
        );
    }
    let _ = writeln!(
        out,
        "ignore = true\nreason = \"no tenant column and no link to tenant data (drafted by map discover)\""
    );
}

/// `<name>_id` columns without a foreign key that are named like another table.
fn guessed_links(
    name: &str,
    info: &TableInfo,
    tables: &BTreeMap<&str, &TableInfo>,
    tenant: &Tenant<'_>,
) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for column in &info.columns {
        let Some(stem) = column.name.strip_suffix("_id") else {
            continue;
        };
        let declared = info
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.contains(&column.name));
        if declared || column.name == tenant.column || info.primary_key == [column.name.clone()] {
            continue;
        }
        let target = plurals(stem).into_iter().find(|t| {
            t != name
                && *t != tenant.table
                && tables
                    .get(t.as_str())
                    .is_some_and(|t| t.primary_key.len() == 1)
        });
        if let Some(target) = target {
            links.push((column.name.clone(), target));
        }
    }
    links
}

/// Tables with the tenant column, and those linked (by key or guess) to one, transitively.
fn tenant_scoped<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: &Tenant<'_>,
    guessed: &BTreeMap<&str, Vec<(String, String)>>,
) -> BTreeSet<&'a str> {
    let mut scoped: BTreeSet<&str> = tables
        .iter()
        .filter(|(_, t)| t.column(&tenant.column).is_some())
        .map(|(n, _)| *n)
        .collect();
    loop {
        let before = scoped.len();
        for (name, info) in tables {
            let parents = info
                .foreign_keys
                .iter()
                .map(|fk| fk.references.as_str())
                .chain(guessed[name].iter().map(|(_, t)| t.as_str()));
            let reaches = parents
                .into_iter()
                .any(|p| p != *name && (scoped.contains(p) || p == tenant.table));
            if reaches {
                scoped.insert(name);
            }
        }
        if scoped.len() == before {
            return scoped;
        }
    }
}

/// Identity columns by name and type: (`email` | `phone` | `external_id`, column).
fn identity_columns(info: &TableInfo) -> Vec<(&'static str, String)> {
    info.columns
        .iter()
        .filter(|c| is_text_type(&c.sql_type))
        .filter_map(|c| {
            let n = c.name.to_lowercase();
            let kind = if n == "email" || n.ends_with("_email") || n == "email_address" {
                "email"
            } else if ["phone", "phone_number", "mobile", "msisdn", "phone_e164"]
                .contains(&n.as_str())
                || n.ends_with("_phone")
                || n.ends_with("_number") && (n.contains("phone") || n.contains("caller"))
            {
                "phone"
            } else if n == "external_id" || n.ends_with("_external_id") || n == "external_ref" {
                "external_id"
            } else {
                return None;
            };
            Some((kind, c.name.clone()))
        })
        .collect()
}

fn timestamp_column(info: &TableInfo) -> Option<String> {
    [
        "created_at",
        "inserted_at",
        "occurred_at",
        "recorded_at",
        "started_at",
        "issued_at",
        "created",
    ]
    .iter()
    .find(|n| info.column(n).is_some())
    .map(|n| (*n).to_owned())
}

/// `api_key`, `access_token`, `client_secret`, `password_hash` (but not `tokens`, a count).
fn is_secret(column: &str) -> bool {
    let n = column.to_lowercase();
    let words: Vec<&str> = n.split('_').collect();
    (n.ends_with("_key") && !is_blob_key(&n))
        || words.contains(&"token")
        || words.contains(&"secret")
        || n.starts_with("password")
}

fn is_blob_key(column: &str) -> bool {
    let n = column.to_lowercase();
    [
        "storage_key",
        "blob_key",
        "object_key",
        "s3_key",
        "storage_path",
    ]
    .iter()
    .any(|k| n == *k || n.ends_with(&format!("_{k}")))
}

fn is_text_type(sql_type: &str) -> bool {
    let t = sql_type.to_lowercase();
    t.is_empty()
        || t.contains("text")
        || t.contains("char")
        || t.contains("citext")
        || t.contains("clob")
        || t == "string"
}

fn is_json_type(sql_type: &str) -> bool {
    sql_type.to_lowercase().starts_with("json")
}

/// `conversation` → conversation, conversations; `reply` → replies; `address` → addresses.
fn plurals(stem: &str) -> Vec<String> {
    let mut names = vec![format!("{stem}s"), stem.to_owned(), format!("{stem}es")];
    if let Some(base) = stem.strip_suffix('y') {
        names.push(format!("{base}ies"));
    }
    names
}

fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
