//! A table's `identities`: the columns that hold each identity, as a column name or a table
//! for data kept elsewhere (attribute rows, JSON, inside longer values).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess};

use super::shape::{self, Checked, Found, Spellings, deserialize_by_spellings};
use super::{Problems, join};
use crate::db::JsonKey;
use crate::map::{IdentityColumn, IdentityKind, JsonSelector, MapCondition, Scope};

/// A table's `identities.NAME`: one column form, or a list of them
/// (`email = ["email", { column = "data", json = "any" }]`).
pub(super) enum IdentityColumns {
    /// Always valid: a wrong single form makes the entry itself wrong.
    One(Checked<IdentityForm>),
    List(Vec<Checked<IdentityForm>>),
}

/// A column name, or a table for data kept elsewhere (attributes, JSON, inside longer values).
pub(super) enum IdentityForm {
    Column(String),
    Table(Box<IdentityTable>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IdentityTable {
    column: Option<Checked<ColumnName>>,
    when: Option<Checked<ConditionText>>,
    json: Option<Checked<JsonText>>,
    identifies: Option<Checked<Identifies>>,
    #[serde(rename = "match")]
    within: Option<Checked<Within>>,
}

/// `column = "<column>"`.
struct ColumnName(String);

/// `when = "<SQL condition>"`, parsed by the validation.
struct ConditionText(String);

/// `json = "$.a.b"` (parsed by the validation) or `json = "any"`.
enum JsonText {
    Any,
    Path(String),
}

/// `identifies = "<link column>"`.
struct Identifies(String);

/// `match = "within"`, the only match there is.
struct Within;

deserialize_by_spellings!(
    IdentityColumns,
    IdentityForm,
    ColumnName,
    ConditionText,
    JsonText,
    Identifies,
    Within,
);

impl<'de> Spellings<'de> for IdentityColumns {
    const EXPECTING: &'static str = IdentityForm::EXPECTING;

    fn refusal(found: &Found) -> String {
        IdentityForm::refusal(found)
    }

    fn from_text(text: &str) -> Result<Self, String> {
        let form = IdentityForm::from_text(text)?;
        Ok(IdentityColumns::One(Checked::Valid(form)))
    }

    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let form = IdentityForm::from_table(map)?;
        Ok(IdentityColumns::One(Checked::Valid(form)))
    }

    fn from_list<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        shape::list(seq).map(IdentityColumns::List)
    }
}

impl<'de> Spellings<'de> for IdentityForm {
    const EXPECTING: &'static str = "a column name or { column = … }";

    fn refusal(found: &Found) -> String {
        format!(
            "{found} is not a column name or {{ column = …, when = …, json = …, identifies = …, match = \"within\" }} (several: a list of these)"
        )
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(IdentityForm::Column(text.to_owned()))
    }

    fn from_table<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        shape::table(map).map(IdentityForm::Table)
    }
}

impl<'de> Spellings<'de> for ColumnName {
    const EXPECTING: &'static str = "a column name";

    fn refusal(found: &Found) -> String {
        format!("{found} is not a column name: name the column that holds the identifier")
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(ColumnName(text.to_owned()))
    }
}

impl<'de> Spellings<'de> for ConditionText {
    const EXPECTING: &'static str = "an SQL condition";

    fn refusal(found: &Found) -> String {
        format!(
            "{found} is not a string: give one SQL condition on this table (e.g. \"key = 'email'\")"
        )
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(ConditionText(text.to_owned()))
    }
}

impl<'de> Spellings<'de> for JsonText {
    const EXPECTING: &'static str = "a JSON path or \"any\"";

    fn refusal(_: &Found) -> String {
        "must be a path like \"$.contact.email\" or \"any\"".to_owned()
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(match text {
            "any" => JsonText::Any,
            path => JsonText::Path(path.to_owned()),
        })
    }
}

impl<'de> Spellings<'de> for Identifies {
    const EXPECTING: &'static str = "a column name";

    fn refusal(found: &Found) -> String {
        format!(
            "{found} is not a column name: name this table's column that references the entity (e.g. \"contact_id\")"
        )
    }

    fn from_text(text: &str) -> Result<Self, String> {
        Ok(Identifies(text.to_owned()))
    }
}

impl<'de> Spellings<'de> for Within {
    const EXPECTING: &'static str = "\"within\"";

    fn refusal(found: &Found) -> String {
        format!(
            "unknown match {found} (the only one is \"within\": the identifier inside a longer value)"
        )
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "within" => Ok(Within),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// A table's `identities` at `key` (`tables.x`): every column form, in order. `kinds` are the
/// valid `[identities]`, `declared` all their names.
pub(super) fn columns_checked(
    raw: &BTreeMap<String, Checked<IdentityColumns>>,
    key: &str,
    scope: Scope,
    (kinds, declared): (&BTreeMap<String, IdentityKind>, &[&String]),
    p: &mut Problems,
) -> Vec<IdentityColumn> {
    let mut idents = Vec::new();
    for (identity, value) in raw {
        let ikey = format!("{key}.identities.{identity}");
        if !kinds.contains_key(identity) {
            p.add(
                &ikey,
                format!(
                    "unknown identity `{identity}` (declared in [identities]: {})",
                    join(declared)
                ),
            );
        }
        let forms: Vec<(String, &Checked<IdentityForm>)> = match value.valid(&ikey, p) {
            None => continue,
            Some(IdentityColumns::One(form)) => vec![(ikey.clone(), form)],
            Some(IdentityColumns::List(forms)) => {
                if forms.is_empty() {
                    p.add(
                        &ikey,
                        "lists no column (give a column name or drop the entry)",
                    );
                }
                let key = |i| format!("{ikey}[{i}]");
                forms.iter().enumerate().map(|(i, f)| (key(i), f)).collect()
            }
        };
        let first = idents.len();
        for (form_key, form) in forms {
            let form = form.valid(&form_key, p);
            let Some(column) = form.and_then(|f| column_checked(identity, f, &form_key, p)) else {
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
    idents
}

fn column_checked(
    identity: &str,
    form: &IdentityForm,
    key: &str,
    p: &mut Problems,
) -> Option<IdentityColumn> {
    let table = match form {
        IdentityForm::Column(column) => {
            return Some(IdentityColumn {
                identity: identity.to_owned(),
                column: column.clone(),
                when: None,
                json: None,
                identifies: None,
                within: false,
            });
        }
        IdentityForm::Table(table) => table,
    };
    let column_key = format!("{key}.column");
    let Some(column) = &table.column else {
        p.add(column_key, "missing: the column that holds the identifier");
        return None;
    };
    let ColumnName(column) = column.valid(&column_key, p)?;
    let when_key = format!("{key}.when");
    let when = table.when.as_ref().and_then(|w| w.valid(&when_key, p));
    let when = when.and_then(|ConditionText(s)| {
        MapCondition::parse(s)
            .map_err(|why| p.add(&when_key, format!("{s:?} {why}")))
            .ok()
    });
    let json_key = format!("{key}.json");
    let json = match table.json.as_ref().and_then(|j| j.valid(&json_key, p)) {
        None => None,
        Some(JsonText::Any) => Some(JsonSelector::Any),
        Some(JsonText::Path(s)) => json_path(s)
            .map(JsonSelector::Path)
            .map_err(|m| p.add(&json_key, m))
            .ok(),
    };
    let identifies_key = format!("{key}.identifies");
    let identifies = table
        .identifies
        .as_ref()
        .and_then(|i| i.valid(&identifies_key, p));
    let identifies = identifies.map(|Identifies(column)| {
        p.ident(&identifies_key, column);
        column.clone()
    });
    let within = table
        .within
        .as_ref()
        .and_then(|w| w.valid(&format!("{key}.match"), p));
    Some(IdentityColumn {
        identity: identity.to_owned(),
        column: column.clone(),
        when,
        json,
        identifies,
        within: within.is_some(),
    })
}

/// `$.a.b` → `["a", "b"]`. Keys are plain names (letters, digits, `_`, `-`: [`JsonKey`]).
fn json_path(text: &str) -> Result<Vec<JsonKey>, String> {
    let rest = text.strip_prefix("$.").ok_or_else(|| {
        format!("`{text}` must start with `$.` (e.g. \"$.contact.email\") or be \"any\"")
    })?;
    rest.split('.')
        .map(|part| JsonKey::new(part).map_err(|why| format!("`{text}`: {why}")))
        .collect()
}
