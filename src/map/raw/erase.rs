//! `erase = …` of a table and of `[tenant]`: what erasure does to the rows.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess};

use super::Problems;
use super::shape::{self, Checked, Found, Spellings, deserialize_by_spellings};
use crate::map::{AnonymiseMode, Erase, EraseRules, Scope};

/// Why `scrub` is refused where delete-tenant is the only action.
const SCRUB_IN_TENANT_ERASE: &str = "scrub needs a data subject: use it in erase.subject; delete-tenant deletes or anonymises the whole row";
const SCRUB_IN_PLAIN_ERASE: &str = "scrub needs a data subject, and a plain erase applies to delete-tenant too: write erase = { subject = { anonymise = { … = \"scrub\" } }, tenant = … }; delete-tenant deletes or anonymises the whole row";
const SCRUB_ON_TENANT_ROW: &str = "scrub needs a data subject: the tenant row is erased only by delete-tenant, which deletes or anonymises the whole row";

/// A table's `erase`: one effect for every action, or `{ subject = …, tenant = … }` for
/// `dsar delete` and `delete-tenant` apart.
pub(super) enum RawEraseRules {
    Both(RawErase),
    PerAction {
        subject: Option<Checked<RawErase>>,
        tenant: Option<Checked<RawErase>>,
    },
}

/// One effect: `"delete"`, `"retain"` or `{ anonymise = { column = mode, … } }`.
pub(super) enum RawErase {
    Delete,
    Retain,
    Anonymise(Checked<AnonymiseColumns>),
}

/// `anonymise = { column = "null" | "redact" | "hash" | "scrub", … }`: at least one column.
pub(super) struct AnonymiseColumns(BTreeMap<String, Checked<AnonymiseMode>>);

/// The keys an `erase` table may have: `anonymise`, or `subject` and `tenant`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseTable {
    anonymise: Option<Checked<AnonymiseColumns>>,
    subject: Option<Checked<RawErase>>,
    tenant: Option<Checked<RawErase>>,
}

deserialize_by_spellings!(RawEraseRules, RawErase, AnonymiseColumns, AnonymiseMode);

fn not_an_erase(found: impl std::fmt::Display) -> String {
    format!(
        "{found} is not an erase: use \"delete\", \"retain\" or {{ anonymise = {{ column = \"null\" | \"redact\" | \"hash\" | \"scrub\" }} }}"
    )
}

impl<'de> Spellings<'de> for RawEraseRules {
    const EXPECTING: &'static str =
        "\"delete\", \"retain\", { anonymise = … } or { subject = …, tenant = … }";

    fn refusal(found: &Found) -> String {
        not_an_erase(found)
    }

    fn from_text(text: &str) -> Result<Self, String> {
        RawErase::from_text(text).map(RawEraseRules::Both)
    }

    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let EraseTable {
            anonymise,
            subject,
            tenant,
        } = shape::table(map)?;
        match (anonymise, subject.is_some() || tenant.is_some()) {
            (Some(columns), false) => Ok(RawEraseRules::Both(RawErase::Anonymise(columns))),
            (None, true) => Ok(RawEraseRules::PerAction { subject, tenant }),
            (Some(_), true) => Err(de::Error::custom(
                "`anonymise` beside `subject` or `tenant`: a per-action erase gives each action its own effect ({ subject = { anonymise = … }, tenant = … })",
            )),
            (None, false) => Err(de::Error::custom(not_an_erase("{}"))),
        }
    }
}

impl<'de> Spellings<'de> for RawErase {
    const EXPECTING: &'static str = "\"delete\", \"retain\" or { anonymise = … }";

    fn refusal(found: &Found) -> String {
        not_an_erase(found)
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "delete" => Ok(RawErase::Delete),
            "retain" => Ok(RawErase::Retain),
            _ => Err(not_an_erase(Found::from(text))),
        }
    }

    fn from_table<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() != Some("anonymise") {
            let found = Found::read_table(first, map)?;
            return Err(de::Error::custom(not_an_erase(found)));
        }
        let columns = map.next_value()?;
        let mut others = String::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            others.push_str(&format!(", {key} = …"));
        }
        match others.is_empty() {
            true => Ok(RawErase::Anonymise(columns)),
            false => {
                let found = format!("{{ anonymise = …{others} }}");
                Err(de::Error::custom(not_an_erase(found)))
            }
        }
    }
}

impl<'de> Spellings<'de> for AnonymiseColumns {
    const EXPECTING: &'static str = "a table of columns";

    fn refusal(found: &Found) -> String {
        lists_no_column(found)
    }

    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let columns: BTreeMap<String, Checked<AnonymiseMode>> = shape::table(map)?;
        match columns.is_empty() {
            true => Err(de::Error::custom(lists_no_column("{}"))),
            false => Ok(AnonymiseColumns(columns)),
        }
    }
}

fn lists_no_column(found: impl std::fmt::Display) -> String {
    format!("{found} lists no column: {{ column = \"null\" | \"redact\" | \"hash\" | \"scrub\" }}")
}

impl<'de> Spellings<'de> for AnonymiseMode {
    const EXPECTING: &'static str = "\"null\", \"redact\", \"hash\" or \"scrub\"";

    fn refusal(found: &Found) -> String {
        format!("unknown mode {found} (use \"null\", \"redact\", \"hash\" or \"scrub\")")
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "null" => Ok(AnonymiseMode::Null),
            "redact" => Ok(AnonymiseMode::Redact),
            "hash" => Ok(AnonymiseMode::Hash),
            "scrub" => Ok(AnonymiseMode::Scrub),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// A table's `erase` at `key`. Both parts are required in the per-action form: a forgotten one
/// would silently mean "delete".
pub(super) fn erase_rules_checked(
    value: Option<&Checked<RawEraseRules>>,
    key: &str,
    scope: Scope,
    p: &mut Problems,
) -> EraseRules {
    let Some(rules) = value.and_then(|v| v.valid(key, p)) else {
        return EraseRules::both(Erase::Delete);
    };
    let (subject, tenant) = match rules {
        RawEraseRules::Both(erase) => {
            // delete-tenant never touches a global table, so a plain erase there is for DSARs only.
            let scrub = match scope {
                Scope::Global => None,
                Scope::Tenant => Some(SCRUB_IN_PLAIN_ERASE),
            };
            return EraseRules::both(erase_checked(erase, key, scrub, p));
        }
        RawEraseRules::PerAction { subject, tenant } => (subject, tenant),
    };
    let subject_key = format!("{key}.subject");
    let subject = part_checked(subject.as_ref(), &subject_key, "dsar delete", None, p);
    if scope == Scope::Global {
        if tenant.is_some() {
            p.add(
                format!("{key}.tenant"),
                "delete-tenant never touches a global table: give one effect (erase = …) for its DSARs",
            );
        }
        return EraseRules::both(subject);
    }
    let tenant_key = format!("{key}.tenant");
    let scrub = Some(SCRUB_IN_TENANT_ERASE);
    let tenant = part_checked(tenant.as_ref(), &tenant_key, "delete-tenant", scrub, p);
    EraseRules { subject, tenant }
}

/// The part of a per-action erase for the command `what`, at `key`.
fn part_checked(
    value: Option<&Checked<RawErase>>,
    key: &str,
    what: &str,
    scrub_refused: Option<&str>,
    p: &mut Problems,
) -> Erase {
    let Some(value) = value else {
        p.add(
            key,
            format!("missing: what {what} does (\"delete\", \"retain\" or {{ anonymise = … }})"),
        );
        return Erase::Delete;
    };
    let erase = value.valid(key, p);
    erase.map_or(Erase::Delete, |e| erase_checked(e, key, scrub_refused, p))
}

/// `[tenant] erase` at `key`: one effect, for delete-tenant.
pub(super) fn tenant_erase_checked(
    value: Option<&Checked<RawErase>>,
    key: &str,
    p: &mut Problems,
) -> Erase {
    value
        .and_then(|v| v.valid(key, p))
        .map_or(Erase::Delete, |erase| {
            erase_checked(erase, key, Some(SCRUB_ON_TENANT_ROW), p)
        })
}

/// One effect at `key`. `scrub_refused`: why `scrub` cannot be used here (`None`: it can).
fn erase_checked(
    erase: &RawErase,
    key: &str,
    scrub_refused: Option<&str>,
    p: &mut Problems,
) -> Erase {
    let columns = match erase {
        RawErase::Delete => return Erase::Delete,
        RawErase::Retain => return Erase::Retain,
        RawErase::Anonymise(columns) => columns,
    };
    let Some(AnonymiseColumns(columns)) = columns.valid(&format!("{key}.anonymise"), p) else {
        return Erase::Delete;
    };
    let mut out = Vec::new();
    for (column, mode) in columns {
        let column_key = format!("{key}.anonymise.{column}");
        p.ident(&column_key, column);
        match (mode.valid(&column_key, p), scrub_refused) {
            (None, _) => {}
            (Some(AnonymiseMode::Scrub), Some(why)) => p.add(&column_key, why),
            (Some(mode), _) => out.push((column.clone(), *mode)),
        }
    }
    Erase::Anonymise(out)
}
