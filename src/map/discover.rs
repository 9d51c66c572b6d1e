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
use super::sample::{Kind, Occurrence};
use crate::db::{Dialect, IndexKey, OnDelete, Schema, TableInfo};

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

/// Drafts a map for `schema`. `tenant_column` overrides the recognised names. `sampled` is what
/// content discovery found in the tables' values (`map discover --sample`; empty without it):
/// each column holding identifiers that no name-based guess covers becomes an identity.
pub fn draft(
    schema: &Schema,
    dialect: Dialect,
    tenant_column: Option<&str>,
    sampled: &[Occurrence],
) -> String {
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

    let mut identities: BTreeMap<&str, Identities> = tables
        .iter()
        .map(|(name, info)| {
            (*name, {
                let mut found = identity_guesses(name, info, &tables, tenant.as_ref());
                if tenant.as_ref().is_none_or(|t| t.table != *name) {
                    content_guesses(&mut found, name, sampled);
                }
                found
            })
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
        write_identities(&mut out, &identities, None);
        let context = Context {
            tables: &tables,
            account: None,
            retained: BTreeMap::new(),
        };
        for (name, info) in &tables {
            let place = Placement::Single;
            write_table(
                &mut out,
                name,
                info,
                &place,
                &identities[name],
                &[],
                &context,
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
    let owners: BTreeMap<&str, (&str, &str)> = owned
        .iter()
        .flat_map(|(owner, links)| links.iter().map(|l| (l.target, (*owner, l.column))))
        .collect();
    let scoped = tenant_scoped(&tables, tenant, &guessed, &owners);

    // The account table's key names a subject too: on the table itself, and on every column
    // that holds one of its keys.
    let account = find_account(&tables, tenant, &scoped, &identities);
    if let Some(account) = &account {
        for (name, info) in &tables {
            if *name != tenant.table {
                user_id_guesses(
                    name,
                    info,
                    account,
                    identities.get_mut(name).expect("every table"),
                );
            }
        }
    }
    write_tenant(
        &mut out,
        tenant,
        owned.get(tenant.table).map_or(&[], Vec::as_slice),
    );
    write_identities(&mut out, &identities, account.as_ref());

    let global =
        |name: &str| !scoped.contains(name) && name != tenant.table && !identities[name].is_empty();
    let retained = retained_tables(&tables, tenant.table, &scoped, &global);
    let context = Context {
        tables: &tables,
        account: account.as_ref(),
        retained,
    };
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
        } else if global(name) {
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
            &context,
        );
    }
    out
}

/// What every table's section may need to know of the others.
struct Context<'c, 'a> {
    tables: &'c BTreeMap<&'a str, &'a TableInfo>,
    account: Option<&'c Account<'a>>,
    /// Global tables drafted `erase = "retain"`, and why.
    retained: BTreeMap<&'a str, String>,
}

/// The account table: the global table with an email column whose one-column key the most
/// foreign keys reference (`users`, `"User"`). Its key is the `user_id` identity.
struct Account<'a> {
    table: &'a str,
    key: &'a str,
    info: &'a TableInfo,
    /// How many foreign keys reference its key.
    references: usize,
}

/// Finds the account table among the tables that reach no tenant: at least two foreign keys
/// must reference its key (ties go to the name).
fn find_account<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant: &Tenant<'_>,
    scoped: &BTreeSet<&str>,
    identities: &BTreeMap<&str, Identities>,
) -> Option<Account<'a>> {
    tables
        .iter()
        .filter(|(name, _)| **name != tenant.table && !scoped.contains(**name))
        .filter(|(name, _)| identities[**name].has_plain("email"))
        .filter_map(|(name, info)| {
            let [key] = info.primary_key.as_slice() else {
                return None;
            };
            let references = tables
                .values()
                .flat_map(|t| &t.foreign_keys)
                .filter(|fk| fk.references == *name && fk.referenced_columns == [key.clone()])
                .count();
            Some(Account {
                table: name,
                key,
                info,
                references,
            })
        })
        .filter(|a| a.references >= 2)
        .max_by_key(|a| (a.references, std::cmp::Reverse(a.table)))
}

/// `text`, `integer`, `uuid`, …: types whose values can be compared as keys.
fn type_family(sql_type: &str) -> String {
    let t = sql_type.to_lowercase();
    if is_text_type(&t) {
        "text".to_owned()
    } else if t.contains("int") || t == "serial" || t == "bigserial" {
        "integer".to_owned()
    } else {
        t
    }
}

/// Adds the `user_id` identity to `name`: the account table's own key, every column with a
/// foreign key to it, and columns without a foreign key named like a user id (`*user_id`,
/// `*UserId`, `*userUid`, `*_by`, `*By`) of the key's type.
fn user_id_guesses(name: &str, info: &TableInfo, account: &Account<'_>, found: &mut Identities) {
    if name == account.table {
        found.push("user_id", account.key, string(account.key), true);
        found.notes.push(format!(
            "the account table: a global table with an email column whose key `{}` {} foreign keys reference; `--identity user_id=<{}>` names a subject by account",
            account.key, account.references, account.key
        ));
        return;
    }
    let key_type = account
        .info
        .column(account.key)
        .map(|c| type_family(&c.sql_type))
        .unwrap_or_default();
    let mut referencing = Vec::new();
    let mut named = Vec::new();
    for column in &info.columns {
        let keys: Vec<&crate::db::ForeignKey> = info
            .foreign_keys
            .iter()
            .filter(|fk| fk.columns.contains(&column.name))
            .collect();
        let references_account = keys.iter().any(|fk| {
            fk.references == account.table
                && fk.columns == [column.name.clone()]
                && fk.referenced_columns == [account.key.to_owned()]
        });
        if references_account {
            referencing.push(column.name.as_str());
            continue;
        }
        let words = words(&column.name);
        let folded = folded(&column.name);
        let like_user_id = folded.ends_with("userid")
            || folded.ends_with("useruid")
            || words.len() > 1 && words.last().is_some_and(|w| w == "by");
        if keys.is_empty() && like_user_id && type_family(&column.sql_type) == key_type {
            named.push(column.name.as_str());
        }
    }
    let mut why = Vec::new();
    if !referencing.is_empty() {
        why.push(format!(
            "{} reference(s) `{}`",
            list(&referencing),
            account.table
        ));
    }
    if !named.is_empty() {
        why.push(format!(
            "{} named like a user id, of its key's type (no foreign key)",
            list(&named)
        ));
    }
    if why.is_empty() {
        return;
    }
    for column in referencing.iter().chain(&named) {
        found.push("user_id", column, string(column), true);
    }
    found.notes.push(format!(
        "{}: a user id, the key of the account table (`--identity user_id=…` finds these rows; a link into a global table is never followed)",
        why.join("; ")
    ));
}

/// Global tables a DSAR must not delete: those tenant tables reference with ON DELETE CASCADE
/// (deleting one row for one tenant's request would delete rows of every tenant), and those
/// that tables the draft ignores reference (deleting would fail, or orphan rows privctl never
/// reads). Each drafted `erase = "retain"` with the reason.
fn retained_tables<'a>(
    tables: &BTreeMap<&'a str, &'a TableInfo>,
    tenant_table: &str,
    scoped: &BTreeSet<&str>,
    global: &dyn Fn(&str) -> bool,
) -> BTreeMap<&'a str, String> {
    let mut retained = BTreeMap::new();
    for target in tables.keys().filter(|t| global(t)) {
        let mut cascading = BTreeSet::new();
        let mut ignored = BTreeSet::new();
        for (name, info) in tables {
            if name == target {
                continue;
            }
            let of_tenant = scoped.contains(name) || *name == tenant_table;
            for fk in info
                .foreign_keys
                .iter()
                .filter(|fk| fk.references == *target)
            {
                if of_tenant && fk.on_delete == OnDelete::Cascade {
                    cascading.insert(*name);
                } else if !of_tenant && !global(name) {
                    ignored.insert(*name);
                }
            }
        }
        let mut why = Vec::new();
        if !cascading.is_empty() {
            why.push(format!(
                "tenant tables reference it with ON DELETE CASCADE ({}): deleting its row in one tenant's DSAR would delete their rows in every tenant",
                list(&cascading.into_iter().collect::<Vec<_>>())
            ));
        }
        if !ignored.is_empty() {
            why.push(format!(
                "{} reference(s) it and hold(s) no identifier, so the draft ignores them: deleting its rows would fail or orphan theirs (or map them)",
                list(&ignored.into_iter().collect::<Vec<_>>())
            ));
        }
        if !why.is_empty() {
            retained.insert(*target, why.join("; "));
        }
    }
    retained
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

/// An identity the draft proposes for a table: `email = <value>`, or `email = [<value>, …]`
/// when several columns hold it.
struct IdentityGuess {
    identity: &'static str,
    /// The TOML values: column names, or inline tables, one per column.
    values: Vec<String>,
    /// The columns those values name.
    columns: Vec<String>,
    /// Read from the columns' names and types alone (the plain `email = "email"` form).
    plain: bool,
}

impl IdentityGuess {
    /// `email = "email"` or `email = ["email", { column = "data", json = "any" }]`.
    fn entry(&self) -> String {
        match self.values.as_slice() {
            [one] => format!("{} = {one}", self.identity),
            many => format!("{} = [{}]", self.identity, many.join(", ")),
        }
    }
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

    /// Whether `identity` is held by plain columns (`email = "email"`).
    fn has_plain(&self, identity: &str) -> bool {
        self.chosen
            .iter()
            .any(|g| g.identity == identity && g.plain)
    }

    /// Adds `column` (as `value`) to `identity`: a second column makes the entry a list.
    fn push(&mut self, identity: &'static str, column: &str, value: String, plain: bool) {
        match self.chosen.iter_mut().find(|g| g.identity == identity) {
            Some(guess) => {
                guess.values.push(value);
                guess.columns.push(column.to_owned());
                guess.plain &= plain;
            }
            None => self.chosen.push(IdentityGuess {
                identity,
                values: vec![value],
                columns: vec![column.to_owned()],
                plain,
            }),
        }
    }

    /// Whether `column` is proposed as (part of) an identity.
    fn names(&self, column: &str) -> bool {
        self.chosen
            .iter()
            .any(|g| g.columns.iter().any(|c| c == column))
    }
}

/// `[identities]`: the kinds the draft's identity columns use.
fn write_identities(
    out: &mut String,
    tables: &BTreeMap<&str, Identities>,
    account: Option<&Account<'_>>,
) {
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
            "user_id" => {
                let _ = writeln!(
                    out,
                    "user_id = {{ kind = \"exact\" }}  # guess: the key of the account table `{}`, compared as given",
                    account.map_or("", |a| a.table)
                );
                continue;
            }
            "ip_address" | "card_number" | "iban" => {
                let _ = writeln!(
                    out,
                    "{kind} = {{ kind = \"exact\" }}  # guess: found by content (--sample), compared as given"
                );
                continue;
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
    context: &Context<'_, '_>,
) {
    let tables = context.tables;
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
        match row_key(info) {
            Some((index, columns)) => {
                let _ = writeln!(
                    out,
                    "key = [{}]  # guess: no primary key; the unique index `{index}` on NOT NULL columns identifies a row",
                    columns
                        .iter()
                        .map(|c| string(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "# no primary key: name the columns that identify a row\n# key = [\"…\"]"
                );
            }
        }
    }
    for note in &identities.notes {
        let _ = writeln!(out, "# guess: {note}");
    }
    if !identities.is_empty() {
        let chosen: Vec<String> = identities.chosen.iter().map(IdentityGuess::entry).collect();
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
    for column in info
        .columns
        .iter()
        .filter(|c| is_json_type(&c.sql_type) && !identities.names(&c.name))
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
        if context.account.is_some_and(|a| a.table == fk.references) {
            continue; // a user id: an identity, said above
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
    match context.retained.get(name) {
        Some(why) => {
            let _ = writeln!(
                out,
                "# guess: kept when a DSAR matches it: {why}\nerase = \"retain\"\nlegal_basis = \"TODO: why this table outlives a DSAR\""
            );
        }
        None => {
            let _ = writeln!(out, "erase = \"delete\"");
        }
    }
}

/// A unique index whose keys are all NOT NULL columns, the shortest (then the first by name):
/// the row identity of a table without a primary key.
fn row_key(info: &TableInfo) -> Option<(&str, Vec<&str>)> {
    info.indexes
        .iter()
        .filter(|i| i.unique)
        .filter_map(|i| {
            let columns: Option<Vec<&str>> = i
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) if info.column(c).is_some_and(|c| !c.nullable) => {
                        Some(c.as_str())
                    }
                    _ => None,
                })
                .collect();
            Some((i.name.as_str(), columns?))
        })
        .min_by_key(|(name, columns)| (columns.len(), *name))
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

/// Identity columns by name and type, in snake_case or camelCase (`email`, `user_email`,
/// `inviteeEmail`, `emailAddress`, `phone_number`, `externalId`): (identity, column).
fn identity_columns(info: &TableInfo) -> Vec<(&'static str, String)> {
    info.columns
        .iter()
        .filter(|c| is_text_type(&c.sql_type))
        .filter_map(|c| {
            let words = words(&c.name);
            let ends = |tail: &[&str]| {
                words.ends_with(&tail.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
            };
            let kind = if ends(&["email"]) || ends(&["email", "address"]) {
                "email"
            } else if ends(&["phone"])
                || ["phonenumber", "mobile", "msisdn", "phonee164"]
                    .contains(&folded(&c.name).as_str())
                || ends(&["number"]) && words.iter().any(|w| w == "phone" || w == "caller")
            {
                "phone"
            } else if ends(&["external", "id"]) || folded(&c.name) == "externalref" {
                "external_id"
            } else {
                return None;
            };
            Some((kind, c.name.clone()))
        })
        .collect()
}

/// Identities by content (`--sample`): each column of `table` whose sampled values hold an
/// identifier and that no other guess names, with the share of rows that hold one. Several JSON
/// paths of one column and kind make one `json = "any"`.
fn content_guesses(found: &mut Identities, table: &str, sampled: &[Occurrence]) {
    let mut places: BTreeMap<(&str, Kind), Vec<&Occurrence>> = BTreeMap::new();
    for occurrence in sampled.iter().filter(|o| o.table == table) {
        places
            .entry((occurrence.column.as_str(), occurrence.kind))
            .or_default()
            .push(occurrence);
    }
    for ((column, kind), occurrences) in places {
        if found.names(column) {
            continue;
        }
        // The plain-text form when some rows hold it as text, else the one path, else any path.
        let chosen = occurrences
            .iter()
            .find(|o| o.path.is_none())
            .copied()
            .or_else(|| (occurrences.len() == 1).then(|| occurrences[0]));
        let entry = match chosen {
            Some(occurrence) => occurrence.entry(),
            None => format!("{{ column = {}, json = \"any\" }}", string(column)),
        };
        let shares: Vec<String> = occurrences.iter().map(|o| o.share()).collect();
        found
            .notes
            .push(format!("`{column}`: {}", shares.join("; ")));
        found.push(kind.identity().0, column, entry, false);
    }
}

/// Everything the draft proposes as identities of a table: columns named like identifiers,
/// key–value attribute rows that identify their entity, JSON documents named like payloads, and
/// rate-limit keys. Several columns of one identity make a list.
fn identity_guesses(
    name: &str,
    info: &TableInfo,
    tables: &BTreeMap<&str, &TableInfo>,
    tenant: Option<&Tenant<'_>>,
) -> Identities {
    let mut found = Identities::default();
    for (kind, column) in identity_columns(info) {
        found.push(kind, &column, string(&column), true);
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
            found.push(kind, attribute.value, value, false);
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
    let by_column = found.has_plain("email");
    let documents: Vec<&crate::db::ColumnInfo> = info
        .columns
        .iter()
        .filter(|c| is_json_named(&c.name, &c.sql_type) && !found.names(&c.name))
        .collect();
    for column in documents {
        let what = if is_json_type(&column.sql_type) {
            "JSON"
        } else {
            "text named like a JSON document"
        };
        if by_column {
            found.notes.push(format!(
                "`{}` is {what}: the row already matches by its own email column; if the document holds other addresses, add {{ column = {}, json = \"any\" }} to the email list",
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
                &column.name,
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
                "`{}` is a rate-limit key, which often embeds an email (`login:<email>`): match = \"within\" finds it inside the key",
                key.name
            ));
            found.push(
                "email",
                &key.name,
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
        "output",
        "result",
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
        "output",
        "result",
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

/// A name's words, lower-cased, split at underscores and case changes: `providerAccessToken`
/// → provider, access, token; `photoURL` → photo, url; `user_id` → user, id.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, c) in chars.iter().enumerate() {
        if *c == '_' || *c == '-' || *c == ' ' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_uppercase()
            && (previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || previous.is_some_and(char::is_uppercase)
                    && next.is_some_and(|n| n.is_lowercase()));
        if starts_word && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The row's time, for retention: `created_at`, `createdAt`, `createdOn`, … in that order.
fn timestamp_column(info: &TableInfo) -> Option<String> {
    [
        "createdat",
        "insertedat",
        "occurredat",
        "recordedat",
        "startedat",
        "issuedat",
        "createdon",
        "created",
    ]
    .iter()
    .find_map(|wanted| {
        info.columns
            .iter()
            .find(|c| folded(&c.name) == *wanted)
            .map(|c| c.name.clone())
    })
}

/// `api_key`, `access_token`, `refreshToken`, `client_secret`, `password_hash` (but not
/// `tokens`, a count, nor `public_key`, meant to be shown).
fn is_secret(column: &str) -> bool {
    let words = words(column);
    let key = words.len() > 1
        && words.last().is_some_and(|w| w == "key")
        && !words.iter().any(|w| w == "public")
        && !is_blob_key(column);
    key || words.iter().any(|w| w == "token" || w == "secret")
        || words.first().is_some_and(|w| w.starts_with("password"))
}

/// `storage_key`, `blobKey`, `s3_key`, `avatar_storage_path`: names of objects in blob storage.
fn is_blob_key(column: &str) -> bool {
    let words = words(column).join("_");
    [
        "storage_key",
        "blob_key",
        "object_key",
        "s3_key",
        "storage_path",
    ]
    .iter()
    .any(|k| words == *k || words.ends_with(&format!("_{k}")))
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
