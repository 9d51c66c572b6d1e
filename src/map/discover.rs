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

/// What a tenant column is called, in the order that breaks ties: `tenant_id`, `org_id`, … as
/// snake_case, camelCase or PascalCase (`organizationId`, `OrganisationId`), in American or
/// British spelling. A project sits under the tenant in most schemas; which of these columns
/// holds the tenant is decided by the schema (see [`find_tenant`]), not by this order alone.
pub const TENANT_STEMS: [&str; 8] = [
    "tenant",
    "org",
    "organization",
    "organisation",
    "workspace",
    "team",
    "account",
    "project",
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

    let identities: BTreeMap<&str, Identities> = tables
        .iter()
        .map(|(name, info)| {
            (
                *name,
                identity_guesses(name, info, &tables, tenant.as_ref()),
            )
        })
        .collect();

    let Some(tenant) = &tenant else {
        let _ = writeln!(
            out,
            "\n# guess: no tenant column ({}) was found, so this draft is single-tenant (no [tenant]).\n\
             # If tenants are kept under another name, run again with --tenant-column NAME.",
            TENANT_STEMS
                .iter()
                .map(|s| format!("{s}_id"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        write_identities(&mut out, &identities);
        for (name, info) in &tables {
            let place = Placement::Single;
            write_table(
                &mut out,
                name,
                info,
                &place,
                &identities[name],
                &[],
                &tables,
            );
        }
        return out;
    };

    // Links by name where the database declares none, rows owned through a 1:1 key, then which
    // tables reach a tenant.
    let guessed: BTreeMap<&str, Vec<(String, String)>> = tables
        .iter()
        .map(|(name, info)| (*name, guessed_links(name, info, &tables, tenant)))
        .collect();
    let owned = owned_links(&tables, tenant, &guessed);
    write_tenant(
        &mut out,
        tenant,
        owned.get(tenant.table).map_or(&[], Vec::as_slice),
    );
    write_identities(&mut out, &identities);

    let owners: BTreeMap<&str, (&str, &str)> = owned
        .iter()
        .flat_map(|(owner, links)| links.iter().map(|l| (l.target, (*owner, l.column))))
        .collect();
    let scoped = tenant_scoped(&tables, tenant, &guessed, &owners);
    for (name, info) in &tables {
        if *name == tenant.table {
            continue;
        }
        let links: Vec<Link> = guessed[name]
            .iter()
            .map(|(column, target)| Link::Guessed { column, target })
            .chain(
                owned
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(|o| Link::Owned(o.clone())),
            )
            .collect();
        let place = if scoped.contains(name) {
            Placement::Tenant {
                tenant,
                owner: owners.get(name).copied(),
            }
        } else if !identities[name].is_empty() {
            Placement::Global { tenant }
        } else {
            write_ignored(&mut out, name, tenant);
            continue;
        };
        write_table(
            &mut out,
            name,
            info,
            &place,
            &identities[name],
            &links,
            &tables,
        );
    }
    out
}

/// The tenant table and column as found.
struct Tenant<'a> {
    table: &'a str,
    id: String,
    /// The tenant column of each table that has one (spellings may differ between tables).
    columns: BTreeMap<&'a str, &'a str>,
    /// How the tenant table was recognised.
    why: String,
    info: &'a TableInfo,
}

impl Tenant<'_> {
    /// The tenant column of `table`, if it has one.
    fn column_of(&self, table: &str) -> Option<&str> {
        self.columns.get(table).copied()
    }

    /// The tenant column's spellings, most common first, as `a` or `b`.
    fn spellings(&self) -> String {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for column in self.columns.values() {
            *counts.entry(column).or_default() += 1;
        }
        let mut names: Vec<(&str, usize)> = counts.into_iter().collect();
        names.sort_by_key(|(name, n)| (std::cmp::Reverse(*n), *name));
        names
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// `organization_id`, `organizationId`, `OrganisationID` → `organizationid` / `organisationid`:
/// names compared without case or underscores.
fn folded(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The position in [`TENANT_STEMS`] of a column named like a tenant column.
fn tenant_stem(column: &str) -> Option<usize> {
    let folded = folded(column);
    TENANT_STEMS
        .iter()
        .position(|stem| folded == format!("{stem}id"))
}

/// The table named like a column's stem (`org_id` → `orgs`, `organizations`, `Organization`,
/// `organisations`), with a one-column primary key.
fn table_named_like<'a>(
    stem: &str,
    tables: &BTreeMap<&'a str, &'a TableInfo>,
) -> Option<(&'a str, &'a TableInfo)> {
    let stem = folded(stem);
    let mut stems = vec![stem.clone()];
    if stem == "org" {
        stems.extend(["organization".to_owned(), "organisation".to_owned()]);
    } else if let Some(rest) = stem.strip_prefix("organization") {
        stems.push(format!("organisation{rest}"));
    } else if let Some(rest) = stem.strip_prefix("organisation") {
        stems.push(format!("organization{rest}"));
    }
    let names: Vec<String> = stems.iter().flat_map(|s| plurals(s)).collect();
    names.iter().find_map(|wanted| {
        tables
            .iter()
            .find(|(name, info)| folded(name) == *wanted && info.primary_key.len() == 1)
            .map(|(name, info)| (*name, *info))
    })
}

/// Finds the tenant: every column named like a tenant column (or the one given) points at a
/// table, through its foreign key or by name. The tenant table is the one of those that most
/// other tables reach, through tenant columns and foreign keys: an organisation is reached by
/// its projects and everything under them, so `project_id` loses to `org_id` even where more
/// tables hold `project_id`. Ties go to the table more tables name directly, then to the
/// order of [`TENANT_STEMS`].
fn find_tenant<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    given: Option<&str>,
) -> Option<Tenant<'a>> {
    struct Candidate<'a> {
        info: &'a TableInfo,
        /// (referenced column, how many foreign keys name it)
        ids: BTreeMap<&'a str, usize>,
        holders: BTreeMap<&'a str, &'a str>,
        by_key: usize,
        rank: usize,
    }
    let mut candidates: BTreeMap<&str, Candidate<'a>> = BTreeMap::new();
    // Tenant columns with neither a foreign key nor a table named like them: they follow the
    // tenant chosen through the others of the same name.
    let mut unresolved: Vec<(&str, &str)> = Vec::new();
    for (name, info) in tables {
        for column in &info.columns {
            let rank = match given {
                Some(given) if column.name == given => 0,
                Some(_) => continue,
                None => match tenant_stem(&column.name) {
                    Some(rank) => rank,
                    None => continue,
                },
            };
            let key = info.foreign_keys.iter().find_map(|fk| {
                let (target, info) = tables.get_key_value(fk.references.as_str())?;
                match (fk.columns.as_slice(), fk.referenced_columns.as_slice()) {
                    ([c], [id]) if *c == column.name => Some((*target, *info, Some(id.as_str()))),
                    _ => None,
                }
            });
            let target = key.or_else(|| {
                let folded = folded(&column.name);
                let stem = folded.strip_suffix("id")?;
                let (target, info) = table_named_like(stem, tables)?;
                Some((target, info, None))
            });
            let Some((target, target_info, id)) = target else {
                unresolved.push((name, column.name.as_str()));
                continue;
            };
            if target == *name {
                continue;
            }
            let candidate = candidates.entry(target).or_insert_with(|| Candidate {
                info: target_info,
                ids: BTreeMap::new(),
                holders: BTreeMap::new(),
                by_key: 0,
                rank,
            });
            candidate.rank = candidate.rank.min(rank);
            if candidate.holders.contains_key(name) {
                continue;
            }
            candidate.holders.insert(name, column.name.as_str());
            if let Some(id) = id {
                *candidate.ids.entry(id).or_default() += 1;
                candidate.by_key += 1;
            }
        }
    }
    let reach = |target: &str, holders: &BTreeMap<&str, &str>| -> usize {
        let mut reached: BTreeSet<&str> = holders.keys().copied().collect();
        loop {
            let before = reached.len();
            for (name, info) in tables {
                if *name != target
                    && info.foreign_keys.iter().any(|fk| {
                        fk.references == target || reached.contains(fk.references.as_str())
                    })
                {
                    reached.insert(name);
                }
            }
            if reached.len() == before {
                return reached.len();
            }
        }
    };
    let mut ranked: Vec<(usize, &str, &Candidate)> = candidates
        .iter()
        .map(|(target, c)| (reach(target, &c.holders), *target, c))
        .collect();
    ranked.sort_by_key(|(reach, target, c)| {
        (
            std::cmp::Reverse(*reach),
            std::cmp::Reverse(c.holders.len()),
            c.rank,
            *target,
        )
    });
    let (reach_of_chosen, table, chosen) = ranked.first()?;
    let id = match chosen
        .ids
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
    {
        Some((id, _)) => (*id).to_owned(),
        None => match chosen.info.primary_key.as_slice() {
            [id] => id.clone(),
            _ => return None,
        },
    };
    let mut columns = chosen.holders.clone();
    for (name, column) in unresolved {
        if given.is_some() || chosen.holders.values().any(|c| *c == column) {
            columns.entry(name).or_insert(column);
        }
    }
    let mut tenant = Tenant {
        table,
        id,
        columns,
        why: String::new(),
        info: chosen.info,
    };
    tenant.why = if chosen.by_key > 0 {
        format!(
            "{} of {} table(s) references it",
            tenant.spellings(),
            chosen.by_key
        )
    } else {
        format!(
            "named like the tenant column {} (no foreign key references it)",
            tenant.spellings()
        )
    };
    if let Some((reach, runner_up, other)) = ranked.get(1) {
        let mut columns: Vec<&str> = other.holders.values().copied().collect();
        columns.sort_unstable();
        columns.dedup();
        let _ = write!(
            tenant.why,
            " and more tables reach it than `{runner_up}` ({} against {reach}, through `{}` and foreign keys)",
            reach_of_chosen,
            columns.join("`, `")
        );
    }
    Some(tenant)
}

fn write_tenant(out: &mut String, tenant: &Tenant<'_>, owned: &[OwnedLink<'_>]) {
    let _ = writeln!(
        out,
        "\n[tenant]\n# guess: the tenant table, {}; every table with {} belongs to a tenant\ntable = {}\nid = {}",
        tenant.why,
        tenant.spellings(),
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
    write_links(
        out,
        &owned.iter().cloned().map(Link::Owned).collect::<Vec<_>>(),
    );
}

/// An identity the draft proposes for a table: `email = <value>`.
struct IdentityGuess {
    identity: &'static str,
    /// The TOML value: a column name, or an inline table.
    value: String,
    /// Read from the column's name and type alone (the plain `email = "email"` form).
    plain: bool,
}

/// The identities proposed for a table, and what the draft says about them.
#[derive(Default)]
struct Identities {
    chosen: Vec<IdentityGuess>,
    /// `# guess:` lines that explain the chosen forms or name columns left out.
    notes: Vec<String>,
}

impl Identities {
    fn is_empty(&self) -> bool {
        self.chosen.is_empty()
    }

    fn has(&self, identity: &str) -> bool {
        self.chosen.iter().any(|g| g.identity == identity)
    }

    fn push(&mut self, identity: &'static str, value: String, plain: bool) {
        self.chosen.push(IdentityGuess {
            identity,
            value,
            plain,
        });
    }
}

/// `[identities]`: the kinds the draft's identity columns use.
fn write_identities(out: &mut String, tables: &BTreeMap<&str, Identities>) {
    let kinds: BTreeSet<&str> = tables
        .values()
        .flat_map(|t| t.chosen.iter().map(|g| g.identity))
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

/// Where a drafted table belongs.
enum Placement<'t, 'a> {
    /// No [tenant] in the draft.
    Single,
    /// Reaches the tenant: through its tenant column, links, or the row that owns it.
    Tenant {
        tenant: &'t Tenant<'a>,
        /// (owner table, owner's column) when another table owns this one's rows.
        owner: Option<(&'a str, &'a str)>,
    },
    /// No route to a tenant, but identifiers: `scope = "global"`.
    Global { tenant: &'t Tenant<'a> },
}

/// A link the draft declares.
#[derive(Clone)]
enum Link<'a> {
    /// No foreign key; the column is named like the table.
    Guessed {
        column: &'a str,
        target: &'a str,
    },
    Owned(OwnedLink<'a>),
}

/// A 1:1 foreign key to rows nothing else references: the referencing row owns them.
#[derive(Clone)]
struct OwnedLink<'a> {
    column: &'a str,
    target: &'a str,
}

fn write_links(out: &mut String, links: &[Link<'_>]) {
    if links.is_empty() {
        return;
    }
    let guessed: Vec<String> = links
        .iter()
        .filter_map(|l| match l {
            Link::Guessed { column, target } => {
                Some(format!("`{column}` is named like `{target}`"))
            }
            Link::Owned(_) => None,
        })
        .collect();
    if !guessed.is_empty() {
        let _ = writeln!(
            out,
            "# guess: no foreign key in the database; {}",
            guessed.join(", ")
        );
    }
    for link in links {
        if let Link::Owned(OwnedLink { column, target }) = link {
            let _ = writeln!(
                out,
                "# guess: `{column}` is a 1:1 foreign key (unique) to `{target}`, whose rows nothing else references: each is this row's own (owned = true: it joins this row's selection and tenant)"
            );
        }
    }
    let entries: Vec<String> = links
        .iter()
        .map(|l| match l {
            Link::Guessed { column, target } => format!(
                "{{ column = {}, references = {} }}",
                string(column),
                string(target)
            ),
            Link::Owned(OwnedLink { column, target }) => format!(
                "{{ column = {}, references = {}, owned = true }}",
                string(column),
                string(target)
            ),
        })
        .collect();
    let _ = writeln!(out, "links = [{}]", entries.join(", "));
}

fn write_table(
    out: &mut String,
    name: &str,
    info: &TableInfo,
    place: &Placement<'_, '_>,
    identities: &Identities,
    links: &[Link<'_>],
    tables: &BTreeMap<&str, &TableInfo>,
) {
    let _ = writeln!(out, "\n[tables.{}]", toml_key(name));
    match place {
        Placement::Single => {}
        Placement::Tenant { tenant, owner } => {
            if let Some(column) = tenant.column_of(name) {
                let _ = writeln!(out, "tenant = {}", string(column));
            } else {
                let mut via: Vec<String> = info
                    .foreign_keys
                    .iter()
                    .map(|fk| format!("{} → {}", fk.columns.join(", "), fk.references))
                    .chain(links.iter().filter_map(|l| match l {
                        Link::Guessed { column, target } => Some(format!("{column} → {target}")),
                        Link::Owned(_) => None,
                    }))
                    .collect();
                if let Some((owner, column)) = owner {
                    via.push(format!("owned through {owner}.{column}"));
                }
                let _ = writeln!(
                    out,
                    "# no tenant column: rows belong to the tenant of the rows they link to ({})",
                    via.join("; ")
                );
            }
        }
        Placement::Global { tenant } => {
            let _ = writeln!(
                out,
                "# guess: no {} and no link to tenant data, but it holds identifiers: a platform-wide table (a DSAR in any tenant searches it; export-tenant and delete-tenant never touch it)\nscope = \"global\"",
                tenant.spellings()
            );
        }
    }
    if info.primary_key.is_empty() {
        let _ = writeln!(
            out,
            "# no primary key: name the columns that identify a row\n# key = [\"…\"]"
        );
    }
    for note in &identities.notes {
        let _ = writeln!(out, "# guess: {note}");
    }
    if !identities.is_empty() {
        let chosen: Vec<String> = identities
            .chosen
            .iter()
            .map(|g| format!("{} = {}", g.identity, g.value))
            .collect();
        let why = if identities.chosen.iter().all(|g| g.plain) {
            "by column name and type"
        } else {
            "by column names and types, as said above"
        };
        let _ = writeln!(
            out,
            "identities = {{ {} }}  # guess: {why}",
            chosen.join(", ")
        );
    }
    let proposed: BTreeSet<&str> = identities
        .chosen
        .iter()
        .filter_map(|g| g.value.split('"').nth(1))
        .collect();
    for column in info
        .columns
        .iter()
        .filter(|c| is_json_type(&c.sql_type) && !proposed.contains(c.name.as_str()))
        .filter(|c| {
            !identities
                .notes
                .iter()
                .any(|n| n.starts_with(&format!("`{}`", c.name)))
        })
    {
        let _ = writeln!(
            out,
            "# guess: `{}` is JSON; if it holds identifiers (custom fields), add e.g. email = {{ column = {}, json = \"any\" }} to identities",
            column.name,
            string(&column.name)
        );
    }
    write_links(out, links);
    for fk in &info.foreign_keys {
        if fk.references == name || !tables.contains_key(fk.references.as_str()) {
            continue;
        }
        let shared = ["member", "user", "agent", "operator", "assignee", "owner"];
        if let [column] = fk.columns.as_slice()
            && shared.iter().any(|s| column.to_lowercase().contains(s))
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

fn write_ignored(out: &mut String, name: &str, tenant: &Tenant<'_>) {
    let _ = writeln!(out, "\n[tables.{}]", toml_key(name));
    let _ = writeln!(
        out,
        "# guess: no {}, no link to tenant data and no identity column: check that it holds no personal data",
        tenant.spellings()
    );
    let _ = writeln!(
        out,
        "ignore = true\nreason = \"no tenant column and no link to tenant data (drafted by map discover)\""
    );
}

/// `<name>_id` (or `<name>Id`) columns without a foreign key that are named like another table.
fn guessed_links<'a>(
    name: &str,
    info: &'a TableInfo,
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: &Tenant<'_>,
) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for column in &info.columns {
        let Some(stem) = column
            .name
            .strip_suffix("_id")
            .or_else(|| column.name.strip_suffix("Id"))
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let declared = info
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.contains(&column.name));
        if declared
            || tenant.column_of(name) == Some(column.name.as_str())
            || info.primary_key == [column.name.clone()]
        {
            continue;
        }
        let wanted = plurals(&folded(stem));
        let target = wanted.iter().find_map(|w| {
            tables
                .iter()
                .find(|(t, i)| {
                    folded(t) == *w
                        && **t != name
                        && **t != tenant.table
                        && i.primary_key.len() == 1
                })
                .map(|(t, _)| *t)
        });
        if let Some(target) = target {
            links.push((column.name.clone(), target.to_owned()));
        }
    }
    links
}

/// 1:1 foreign keys (the referencing column is unique) to rows that nothing else references:
/// the reverse-ownership shape (`organisations.claim_id → claims`), by owner table.
fn owned_links<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: &Tenant<'a>,
    guessed: &BTreeMap<&str, Vec<(String, String)>>,
) -> BTreeMap<&'a str, Vec<OwnedLink<'a>>> {
    // How many foreign keys and guessed links point at each table.
    let mut referenced: BTreeMap<&str, usize> = BTreeMap::new();
    for info in tables.values() {
        for fk in &info.foreign_keys {
            *referenced.entry(fk.references.as_str()).or_default() += 1;
        }
    }
    for links in guessed.values() {
        for (_, target) in links {
            *referenced.entry(target.as_str()).or_default() += 1;
        }
    }
    let mut owned: BTreeMap<&str, Vec<OwnedLink<'a>>> = BTreeMap::new();
    for (name, info) in tables {
        for fk in &info.foreign_keys {
            let [column] = fk.columns.as_slice() else {
                continue;
            };
            let Some((target, target_info)) = tables.get_key_value(fk.references.as_str()) else {
                continue;
            };
            let qualifies = target != name
                && *target != tenant.table
                && tenant.column_of(name) != Some(column.as_str())
                && info.primary_key != [column.clone()]
                && info.is_unique(column)
                && referenced.get(target) == Some(&1)
                && !target_info
                    .foreign_keys
                    .iter()
                    .any(|f| f.references == *name);
            if qualifies {
                owned.entry(name).or_default().push(OwnedLink {
                    column: column.as_str(),
                    target,
                });
            }
        }
    }
    owned
}

/// Tables with a tenant column, those linked (by key or guess) to one, and rows owned by one,
/// transitively.
fn tenant_scoped<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: &Tenant<'_>,
    guessed: &BTreeMap<&str, Vec<(String, String)>>,
    owners: &BTreeMap<&str, (&str, &str)>,
) -> BTreeSet<&'a str> {
    let mut scoped: BTreeSet<&str> = tables
        .keys()
        .filter(|n| tenant.column_of(n).is_some())
        .copied()
        .collect();
    loop {
        let before = scoped.len();
        for (name, info) in tables {
            let parents = info
                .foreign_keys
                .iter()
                .map(|fk| fk.references.as_str())
                .chain(guessed[name].iter().map(|(_, t)| t.as_str()))
                .chain(owners.get(name).map(|(owner, _)| *owner));
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

/// Everything the draft proposes as identities of a table: columns named like identifiers,
/// key–value attribute rows that identify their entity, JSON documents named like payloads, and
/// rate-limit keys. One column per identity; the rest are named in notes.
fn identity_guesses(
    name: &str,
    info: &TableInfo,
    tables: &BTreeMap<&str, &TableInfo>,
    tenant: Option<&Tenant<'_>>,
) -> Identities {
    let mut found = Identities::default();
    let mut others = Vec::new();
    for (kind, column) in identity_columns(info) {
        if found.has(kind) {
            others.push(format!("`{column}`"));
        } else {
            found.push(kind, string(&column), true);
        }
    }
    if !others.is_empty() {
        found.notes.push(format!(
            "{} may hold identifiers too; one column per identity here, map the rest in a table of their own kind",
            others.join(", ")
        ));
    }
    if let Some(attribute) = attribute_table(name, info, tables, tenant) {
        let mut which = String::new();
        for kind in ["email", "phone"] {
            if found.has(kind) {
                continue;
            }
            let value = format!(
                "{{ column = {}, when = {}, identifies = {} }}",
                string(attribute.value),
                string(&attribute.condition(kind)),
                string(attribute.entity)
            );
            found.push(kind, value, false);
            which.push_str(if which.is_empty() { "'" } else { "' or '" });
            which.push_str(kind);
        }
        if !which.is_empty() {
            let keyed_by = match attribute.key_table {
                Some((table, column)) => format!(
                    "`{}` references the key table `{table}`, whose `{column}` names the attribute",
                    attribute.key
                ),
                None => format!("`{}` names the attribute", attribute.key),
            };
            found.notes.push(format!(
                "key–value rows about `{}`: {keyed_by} and `{}` holds it; a row whose key is {which}' identifies the `{}` row its `{}` references, and with it everything of that row (the key values are guesses: check the ones the platform writes)",
                attribute.entity_table, attribute.value, attribute.entity_table, attribute.entity
            ));
        }
    }
    let by_column = found.has("email");
    for column in info
        .columns
        .iter()
        .filter(|c| is_json_named(&c.name, &c.sql_type))
    {
        let what = if is_json_type(&column.sql_type) {
            "JSON"
        } else {
            "text named like a JSON document"
        };
        if found.has("email") {
            let why = if by_column {
                "the row already matches by its own email column"
            } else {
                "one column per identity here"
            };
            found.notes.push(format!(
                "`{}` is {what}: {why}; if the document holds other addresses, make email a list: email = [\"…\", {{ column = {}, json = \"any\" }}]",
                column.name,
                string(&column.name)
            ));
        } else {
            found.notes.push(format!(
                "`{}` is {what} named like a payload or form data: any string in it equal to the subject's email matches (add phone = {{ column = {}, json = \"any\" }} if it holds numbers)",
                column.name,
                string(&column.name)
            ));
            found.push(
                "email",
                format!("{{ column = {}, json = \"any\" }}", string(&column.name)),
                false,
            );
        }
    }
    let limits = ["ratelimit", "throttle"];
    if limits.iter().any(|l| folded(name).contains(l)) && !found.has("email") {
        let key = info.columns.iter().find(|c| {
            is_text_type(&c.sql_type)
                && ["key", "identifier", "bucket", "bucketkey", "ratelimitkey"]
                    .contains(&folded(&c.name).as_str())
        });
        if let Some(key) = key {
            found.notes.push(format!(
                "`{}` is a rate-limit key, which often embeds an email (`login:jane@example.com`): match = \"within\" finds it inside the key",
                key.name
            ));
            found.push(
                "email",
                format!("{{ column = {}, match = \"within\" }}", string(&key.name)),
                false,
            );
        }
    }
    found
}

/// A key–value attribute table: `contact_attributes(contact_id, key, value)`.
struct Attribute<'a> {
    /// The column naming the attribute, or referencing the key table.
    key: &'a str,
    /// (key table, its column naming the attribute), when the key is a foreign key.
    key_table: Option<(&'a str, &'a str)>,
    value: &'a str,
    /// The foreign key column to the entity the rows describe, and that entity's table.
    entity: &'a str,
    entity_table: &'a str,
}

impl Attribute<'_> {
    /// The `when` condition selecting rows whose key is `kind`.
    fn condition(&self, kind: &str) -> String {
        match self.key_table {
            None => format!("{} = '{kind}'", sql_name(self.key)),
            Some((table, column)) => {
                let id = "id";
                format!(
                    "{} IN (SELECT {} FROM {} WHERE {} = '{kind}')",
                    sql_name(self.key),
                    sql_name(id),
                    sql_name(table),
                    sql_name(column)
                )
            }
        }
    }
}

/// Names that hold an attribute's key, folded.
const KEY_NAMES: [&str; 13] = [
    "key",
    "name",
    "attribute",
    "attributename",
    "attributekey",
    "attr",
    "field",
    "fieldname",
    "fieldkey",
    "property",
    "propertyname",
    "keyname",
    "trait",
];

/// Names that hold an attribute's value, folded.
const VALUE_NAMES: [&str; 8] = [
    "value",
    "val",
    "attributevalue",
    "fieldvalue",
    "propertyvalue",
    "valuetext",
    "textvalue",
    "stringvalue",
];

fn attribute_table<'a>(
    name: &str,
    info: &'a TableInfo,
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: Option<&Tenant<'_>>,
) -> Option<Attribute<'a>> {
    let value = info.columns.iter().find(|c| {
        (is_text_type(&c.sql_type) || is_json_type(&c.sql_type))
            && VALUE_NAMES.contains(&folded(&c.name).as_str())
    })?;
    let key_column = |table: &'a TableInfo| {
        table
            .columns
            .iter()
            .find(|c| is_text_type(&c.sql_type) && KEY_NAMES.contains(&folded(&c.name).as_str()))
    };
    let single = |fk: &'a crate::db::ForeignKey| match fk.columns.as_slice() {
        [column] => Some((column.as_str(), fk.references.as_str())),
        _ => None,
    };
    // A key column here, or a foreign key to a table of keys (`attribute_keys(id, key)`).
    let (key, key_table) = match key_column(info) {
        Some(column) => (column.name.as_str(), None),
        None => info
            .foreign_keys
            .iter()
            .filter_map(single)
            .find_map(|(column, target)| {
                let keys = tables.get(target)?;
                let looks_like_keys = ["key", "attribute", "field", "property", "trait"]
                    .iter()
                    .any(|w| folded(target).contains(w));
                let id_is_pk = keys.primary_key == ["id"];
                let named = key_column(keys)?;
                (looks_like_keys && id_is_pk && target != name)
                    .then_some((column, Some((target, named.name.as_str()))))
            })?,
    };
    let tenant_table = tenant.map(|t| t.table);
    let entity = info
        .foreign_keys
        .iter()
        .filter_map(single)
        .filter(|(column, target)| {
            *column != key
                && *target != name
                && Some(*target) != tenant_table
                && key_table.is_none_or(|(k, _)| k != *target)
                && tenant.is_none_or(|t| t.column_of(name) != Some(*column))
        })
        // A row about one entity: a required reference first.
        .min_by_key(|(column, _)| info.column(column).is_none_or(|c| c.nullable))?;
    let entity_table = tables.get_key_value(entity.1)?.0;
    Some(Attribute {
        key,
        key_table,
        value: value.name.as_str(),
        entity: entity.0,
        entity_table,
    })
}

/// A name as a `when` condition writes it: bare when it needs no quotes in either database.
fn sql_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let reserved = [
        "all", "and", "as", "by", "case", "check", "column", "default", "from", "group", "in",
        "is", "not", "null", "or", "order", "select", "table", "to", "user", "where",
    ];
    if plain && !reserved.contains(&name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A column named like a JSON document that may hold a subject's identifiers (`payload`,
/// `data`, `metadata`, `answers`, `custom_fields`, …): json/jsonb, or text under a name that is
/// rarely free text. A `body` or `input` of type text is usually prose, where `scrub` is the tool.
fn is_json_named(column: &str, sql_type: &str) -> bool {
    let lower = column.to_lowercase();
    let last = last_word(column);
    let json = [
        "payload",
        "data",
        "metadata",
        "meta",
        "input",
        "inputs",
        "body",
        "variables",
        "vars",
        "fields",
        "answers",
        "attributes",
        "properties",
        "traits",
        "params",
        "responses",
    ];
    let text = [
        "payload",
        "data",
        "metadata",
        "variables",
        "fields",
        "answers",
        "attributes",
        "properties",
        "traits",
        "params",
    ];
    if is_json_type(sql_type) {
        json.contains(&last.as_str())
    } else if is_text_type(sql_type) {
        text.contains(&last.as_str()) || lower.ends_with("_json") || column.ends_with("Json")
    } else {
        false
    }
}

/// `custom_fields` → `fields`; `formAnswers` → `answers`.
fn last_word(column: &str) -> String {
    let start = column
        .char_indices()
        .filter(|(i, c)| *c == '_' || (*i > 0 && c.is_ascii_uppercase()))
        .map(|(i, c)| if c == '_' { i + 1 } else { i })
        .next_back()
        .unwrap_or(0);
    column[start..].to_lowercase()
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
