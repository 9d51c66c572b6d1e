//! Content discovery (`map check --sample N`, issue 13): read a sample of each table and
//! recognise personal identifiers by what the values look like, not by what the map says.
//!
//! The recognisers are pure functions of one value. They answer only *which kinds* of
//! identifier a value holds; no value leaves this module, and none is ever printed or logged.
//!
//! - **Email**: a bounded occurrence anywhere in the text (`local@domain.tld`, the local part
//!   at most 64 characters, the domain at most 253 with a alphabetic TLD of 2+ letters); a
//!   URL-encoded `@` (`%40`) counts as `@`.
//! - **Phone**: the whole (trimmed) value, 7–20 characters of digits, spaces, `+`, `-`, `(`,
//!   `)` and `.`, that parses to a valid number (E.164) with the map's phone `default_region`.
//! - **IPv4**: a dotted quad in the text (each octet 0–255, no leading zeros).
//! - **Payment card**: the whole value, 13–19 digits (spaces and `-` between them allowed) that
//!   pass the Luhn check.
//! - **IBAN**: the whole value (spaces allowed): country code, check digits, 11–30 letters or
//!   digits, remainder 1 modulo 97.
//!
//! JSON documents are walked: each string value is recognised on its own, under its path
//! (`$.contact.email`, array elements as `[*]`: `$.cc[*].to`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr as _;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::db::{ColumnInfo, Db, Dialect, Schema, Sql, TxMode};
use crate::map::check::{Finding, FindingKind, toml_key};
use crate::map::{DataMap, ExportMode, ExportSpec, IdentityKind, JsonSelector, TableSpec};

/// A kind of personal identifier recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Email,
    Phone,
    Ipv4,
    Ipv6,
    Card,
    Iban,
}

impl Kind {
    /// What a report calls values of this kind (`37% … hold email addresses`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Email => "email addresses",
            Kind::Phone => "phone numbers",
            Kind::Ipv4 => "IPv4 addresses",
            Kind::Ipv6 => "IPv6 addresses",
            Kind::Card => "payment card numbers",
            Kind::Iban => "IBANs",
        }
    }
}

/// The kinds of identifier one text value holds.
pub fn recognise(text: &str, region: Option<phonenumber::country::Id>) -> BTreeSet<Kind> {
    let mut kinds = BTreeSet::new();
    if holds_email(text) {
        kinds.insert(Kind::Email);
    }
    if holds_ipv4(text) {
        kinds.insert(Kind::Ipv4);
    }
    if holds_ipv6(text) {
        kinds.insert(Kind::Ipv6);
    }
    if is_card(text) {
        kinds.insert(Kind::Card);
    } else if is_iban(text) {
        kinds.insert(Kind::Iban);
    } else if kinds.is_empty() && is_phone(text, region) {
        kinds.insert(Kind::Phone);
    }
    kinds
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    /// Any element of an array.
    Element,
}

/// Renders a path: `$`, `$.a.b`, `$.cc[*].to`, `$["odd key"]`.
pub fn path_text(path: &[Step]) -> String {
    let mut out = String::from("$");
    for step in path {
        match step {
            Step::Key(key) => {
                let bare = !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !key.starts_with(|c: char| c.is_ascii_digit());
                if bare {
                    out.push('.');
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(']');
                }
            }
            Step::Element => out.push_str("[*]"),
        }
    }
    out
}

/// The paths of a JSON document's string values that hold identifiers, and which kinds each
/// holds. The root itself (a document that is one string) has the empty path.
pub fn recognise_json(
    document: &Value,
    region: Option<phonenumber::country::Id>,
) -> BTreeMap<Vec<Step>, BTreeSet<Kind>> {
    let mut out: BTreeMap<Vec<Step>, BTreeSet<Kind>> = BTreeMap::new();
    let mut path = Vec::new();
    walk(document, region, &mut path, &mut out, 0);
    out
}

/// Documents nested deeper than this are not followed further (no stack to exhaust).
const MAX_DEPTH: usize = 64;

fn walk(
    value: &Value,
    region: Option<phonenumber::country::Id>,
    path: &mut Vec<Step>,
    out: &mut BTreeMap<Vec<Step>, BTreeSet<Kind>>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(text) => {
            let kinds = recognise(text, region);
            if !kinds.is_empty() {
                out.entry(path.clone()).or_default().extend(kinds);
            }
        }
        Value::Array(items) => {
            path.push(Step::Element);
            for item in items {
                walk(item, region, path, out, depth + 1);
            }
            path.pop();
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                path.push(Step::Key(key.clone()));
                walk(item, region, path, out, depth + 1);
                path.pop();
            }
        }
        _ => {}
    }
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._%+-'".contains(&c)
}

fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

/// Whether `text` holds a bounded email address (see the module's comment).
pub fn holds_email(text: &str) -> bool {
    if text.contains("%40") {
        return holds_email_in(&text.replace("%40", "@"));
    }
    holds_email_in(text)
}

fn holds_email_in(text: &str) -> bool {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && is_local_char(bytes[start - 1]) && at - start < 65 {
            start -= 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_char(bytes[end]) && end - at < 255 {
            end += 1;
        }
        let local = text[start..at].trim_start_matches(['.', '\'']);
        let domain = text[at + 1..end].trim_end_matches(['.', '-']);
        if valid_local(local) && valid_domain(domain) {
            return true;
        }
    }
    false
}

fn valid_local(local: &str) -> bool {
    !local.is_empty() && local.len() <= 64 && !local.ends_with('.') && !local.contains("..")
}

fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels
        .iter()
        .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
    let tld = labels[labels.len() - 1];
    labels_ok && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether the whole (trimmed) value is a phone number that parses to a valid E.164 number.
pub fn is_phone(text: &str, region: Option<phonenumber::country::Id>) -> bool {
    let text = text.trim();
    let shaped = (7..=20).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if !shaped || digits < 6 || looks_like_date(text) {
        return false;
    }
    phonenumber::parse(region, text).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// `2024-01-15`, `15.01.2024`: three groups of digits split by one `-` or `.`, one of four
/// digits, the others of one or two. Many regions' numbering plans would take them for phones.
fn looks_like_date(text: &str) -> bool {
    ['-', '.'].iter().any(|sep| {
        let groups: Vec<&str> = text.split(*sep).collect();
        groups.len() == 3
            && groups
                .iter()
                .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
            && groups.iter().filter(|g| g.len() == 4).count() == 1
            && groups.iter().filter(|g| g.len() <= 2).count() == 2
    })
}

/// Whether `text` holds a dotted-quad IPv4 address bounded by characters that are neither digits
/// nor dots.
pub fn holds_ipv4(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|token| token.trim_matches('.'))
        .any(|token| token.matches('.').count() == 3 && Ipv4Addr::from_str(token).is_ok())
}

/// Whether `text` holds an IPv6 address bounded by characters that cannot belong to one: eight
/// groups, or a `::` abbreviation with at least three groups written out (so `::1` and clock
/// times are not taken for addresses). An IPv4-mapped tail (`::ffff:192.0.2.1`) counts.
pub fn holds_ipv6(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.'))
        .map(|token| token.trim_matches('.'))
        .filter(|token| token.matches(':').count() >= 2)
        .any(|token| {
            let groups = token.split(':').filter(|g| !g.is_empty()).count();
            Ipv6Addr::from_str(token).is_ok() && (groups >= 3 || !token.contains("::"))
        })
}

/// Whether the whole value is a payment card number: 13–19 digits (spaces or `-` between
/// groups) passing the Luhn check, not all one digit.
pub fn is_card(text: &str) -> bool {
    let text = text.trim();
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return false;
    }
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    (13..=19).contains(&digits.len()) && digits.iter().any(|d| *d != digits[0]) && luhn(&digits)
}

/// The Luhn checksum over decimal digits, most significant first.
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the whole value (spaces allowed) is an IBAN with valid check digits (mod 97).
pub fn is_iban(text: &str) -> bool {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = compact.as_bytes();
    let shaped = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric);
    if !shaped {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36).unwrap_or(0);
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// `1000` → `1,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The share of `rows` out of `sampled` as a whole percentage, at least 1% when any row holds
/// one.
pub fn percent(rows: u64, sampled: u64) -> u64 {
    if sampled == 0 || rows == 0 {
        return 0;
    }
    ((rows * 100 + sampled / 2) / sampled).max(1)
}

/// How `map check --sample N` reads a table: a random sample where the database can draw one
/// cheaply, else the first rows (see [`crate::db::SqlDialect::push_sample`]).
fn sample_statement(
    dialect: Dialect,
    table: &str,
    columns: &[&ColumnInfo],
    rows: u64,
    reltuples: Option<f64>,
) -> Sql {
    let ops = dialect.sql_ops();
    let mut sql = Sql::new(dialect);
    sql.push("SELECT ");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&ops.sample_text("t", column));
    }
    sql.push(" FROM ").ident(table).push(" t");
    ops.push_sample(&mut sql, rows, reltuples);
    sql.push(&format!(" LIMIT {rows}"));
    sql
}

/// Whether the map already accounts for `column` (at `path` inside a JSON column) of `spec`: an
/// identity on it (a plain identity on a JSON column, or `json = "any"`, covers every path), or
/// `export = "omit"` for it.
fn declared(spec: Option<&TableSpec>, column: &str, path: Option<&[Step]>) -> bool {
    let Some(spec) = spec else {
        return false;
    };
    let omitted = match &spec.export {
        ExportSpec::Table(mode) => *mode == ExportMode::Omit,
        ExportSpec::Columns(columns) => columns.get(column) == Some(&ExportMode::Omit),
    };
    omitted
        || spec
            .identities
            .iter()
            .filter(|i| i.column == column)
            .any(|i| match (&i.json, path) {
                (None | Some(JsonSelector::Any), _) => true,
                (Some(JsonSelector::Path(keys)), Some(path)) => {
                    keys.len() == path.len()
                        && keys
                            .iter()
                            .zip(path)
                            .all(|(k, s)| matches!(s, Step::Key(key) if key == k.as_str()))
                }
                (Some(JsonSelector::Path(_)), None) => false,
            })
}

/// Where sampled values of one column (or one JSON path inside it) hold one kind of identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub table: String,
    pub column: String,
    /// The path inside a JSON document (a JSON column, or text that holds JSON).
    pub path: Option<Vec<Step>>,
    pub kind: Kind,
    /// Sampled rows holding it, of `sampled` read.
    pub rows: u64,
    pub sampled: u64,
    /// Some value holds it inside longer text rather than as the whole value.
    pub within: bool,
}

impl Occurrence {
    /// `37% of 1,000 sampled rows hold email addresses (at $.contact.email)`.
    pub fn share(&self) -> String {
        format!(
            "{}% of {} sampled rows hold {}{}",
            percent(self.rows, self.sampled),
            thousands(self.sampled),
            self.kind.plural(),
            self.path
                .as_deref()
                .map(|p| format!(" (at {})", path_text(p)))
                .unwrap_or_default()
        )
    }

    /// The identity entry that names this place, as TOML: `"note"`,
    /// `{ column = "note", match = "within" }`, `{ column = "data", json = "$.contact.email" }`
    /// or, under an array, `{ column = "data", json = "any" }`.
    pub fn entry(&self) -> String {
        let column = Value::String(self.column.clone()).to_string();
        match &self.path {
            None if self.within => format!("{{ column = {column}, match = \"within\" }}"),
            None => column,
            Some(steps) if !steps.is_empty() && steps.iter().all(|s| matches!(s, Step::Key(_))) => {
                format!(
                    "{{ column = {column}, json = {} }}",
                    Value::String(path_text(steps))
                )
            }
            Some(_) => format!("{{ column = {column}, json = \"any\" }}"),
        }
    }
}

impl Kind {
    /// The identity a draft names this kind by, and its line in `[identities]`.
    pub fn identity(self) -> (&'static str, &'static str) {
        match self {
            Kind::Email => ("email", "{ kind = \"email\" }"),
            Kind::Phone => ("phone", "{ kind = \"phone\" }"),
            Kind::Ipv4 | Kind::Ipv6 => ("ip_address", "{ kind = \"exact\" }"),
            Kind::Card => ("card_number", "{ kind = \"exact\" }"),
            Kind::Iban => ("iban", "{ kind = \"exact\" }"),
        }
    }

    /// Whether `text` is this kind of identifier as a whole (trimmed), not inside longer text.
    fn is_whole(self, text: &str) -> bool {
        let text = text.trim();
        match self {
            Kind::Email => {
                text.matches('@').count() == 1
                    && text
                        .bytes()
                        .all(|c| c == b'@' || (is_local_char(c) && c != b'%') || is_domain_char(c))
                    && holds_email_in(text)
            }
            Kind::Ipv4 => Ipv4Addr::from_str(text).is_ok(),
            Kind::Ipv6 => Ipv6Addr::from_str(text).is_ok(),
            Kind::Phone | Kind::Card | Kind::Iban => true,
        }
    }
}

/// A proposal to declare an occurrence in a map: `identity = entry` in the table's identities,
/// and `declare` in `[identities]` when the map has no identity of that kind yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Proposal {
    pub identity: String,
    pub entry: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declare: Option<String>,
}

/// How `map` would declare an occurrence: under the map's identity of that kind (emails and
/// phone numbers), else a new one (`ip_address`, `card_number`, `iban`: compared as given).
pub fn proposal(map: &DataMap, occurrence: &Occurrence) -> Proposal {
    let (default, declaration) = occurrence.kind.identity();
    let existing = map.identities.iter().find_map(|(name, kind)| {
        let fits = match (occurrence.kind, kind) {
            (Kind::Email, IdentityKind::Email) | (Kind::Phone, IdentityKind::Phone { .. }) => true,
            (Kind::Ipv4 | Kind::Ipv6 | Kind::Card | Kind::Iban, IdentityKind::Exact) => {
                name == default
            }
            _ => false,
        };
        fits.then(|| name.clone())
    });
    Proposal {
        identity: existing.clone().unwrap_or_else(|| default.to_owned()),
        entry: occurrence.entry(),
        declare: existing
            .is_none()
            .then(|| format!("{} = {declaration}", toml_key(default))),
    }
}

/// Reads up to `rows` rows of each of `tables` and finds, by content, where their text and JSON
/// values hold identifiers (phone numbers read with `region`). Text that holds a JSON object or
/// array is walked as JSON. No sampled value leaves this function.
pub async fn sample_tables(
    db: &Db,
    schema: &Schema,
    tables: &BTreeSet<&str>,
    rows: u64,
    region: Option<phonenumber::country::Id>,
) -> Result<Vec<Occurrence>> {
    let dialect = db.dialect();
    let mut found = Vec::new();
    let mut tx = db.begin(TxMode::Snapshot).await?;
    for &table in tables {
        let Some(info) = schema.tables.get(table) else {
            continue; // a missing table is map check's to report
        };
        let columns: Vec<&ColumnInfo> = info
            .columns
            .iter()
            .filter(|c| c.is_text() || c.is_json() || c.is_address())
            .collect();
        if columns.is_empty() {
            continue;
        }
        let estimate = tx.estimated_rows(table).await?;
        let sql = sample_statement(dialect, table, &columns, rows, estimate);
        let sampled = tx
            .fetch_rows(&sql)
            .await
            .with_context(|| format!("sampling the rows of {table}"))?;
        // (column, JSON path or None, kind) → (rows holding it, whether any holds it within text).
        type Place = (usize, Option<Vec<Step>>, Kind);
        let mut counts: BTreeMap<Place, (u64, bool)> = BTreeMap::new();
        for row in &sampled {
            let mut seen: BTreeMap<Place, bool> = BTreeMap::new();
            for (i, value) in row.iter().enumerate().take(columns.len()) {
                let Some(value) = value else { continue };
                let document = if columns[i].is_json() || value.trim_start().starts_with(['{', '['])
                {
                    serde_json::from_str::<Value>(value)
                        .ok()
                        .filter(|d| columns[i].is_json() || d.is_object() || d.is_array())
                } else {
                    None
                };
                match document {
                    Some(document) => {
                        for (path, kinds) in recognise_json(&document, region) {
                            for kind in kinds {
                                seen.entry((i, Some(path.clone()), kind)).or_default();
                            }
                        }
                    }
                    None => {
                        for kind in recognise(value, region) {
                            *seen.entry((i, None, kind)).or_default() |= !kind.is_whole(value);
                        }
                    }
                }
            }
            for (place, within) in seen {
                let entry = counts.entry(place).or_default();
                entry.0 += 1;
                entry.1 |= within;
            }
        }
        let total = sampled.len() as u64;
        drop(sampled);
        for ((i, path, kind), (holding, within)) in counts {
            found.push(Occurrence {
                table: table.to_owned(),
                column: columns[i].name.clone(),
                path,
                kind,
                rows: holding,
                sampled: total,
                within,
            });
        }
    }
    tx.rollback().await?;
    Ok(found)
}

/// The phone region of the map's phone identity, if it names one.
pub fn phone_region(map: &DataMap) -> Option<phonenumber::country::Id> {
    map.identities.values().find_map(|kind| match kind {
        IdentityKind::Phone { default_region } => *default_region,
        _ => None,
    })
}

/// Reads up to `rows` rows of every mapped table (global ones included; never the tenant table
/// or an ignored one), and warns of each column (or JSON path) whose values hold identifiers
/// the map does not name there, with the entry that would name it. No sampled value leaves
/// this function.
pub async fn unmapped_personal_data(
    map: &DataMap,
    schema: &Schema,
    db: &Db,
    rows: u64,
) -> Result<Vec<Finding>> {
    // The tenant table is not read: its rows are the tenants', and the map names no identities
    // there a warning could ask for.
    let tables: BTreeSet<&str> = map
        .tables
        .keys()
        .map(String::as_str)
        .filter(|t| !map.ignored.contains_key(*t))
        .collect();
    let found = sample_tables(db, schema, &tables, rows, phone_region(map)).await?;
    let mut warnings = Vec::new();
    for occurrence in found {
        let table = occurrence.table.as_str();
        let column = occurrence.column.as_str();
        if declared(map.tables.get(table), column, occurrence.path.as_deref()) {
            continue;
        }
        let proposal = proposal(map, &occurrence);
        let declare = proposal
            .declare
            .as_ref()
            .map(|d| format!(" (and `{d}` to [identities])"))
            .unwrap_or_default();
        let mut finding = Finding::new(
            FindingKind::UnmappedPersonalData,
            Some(table),
            Some(column),
            format!(
                "{}, and the map names no identity there: add `{} = {}` to tables.{}.identities{declare}, or `export = {{ {} = \"omit\" }}` if it is not the subjects'",
                occurrence.share(),
                toml_key(&proposal.identity),
                proposal.entry,
                toml_key(table),
                toml_key(column),
            ),
        );
        finding.path = occurrence.path.as_deref().map(path_text);
        finding.propose = Some(proposal);
        warnings.push(finding);
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id;
    use serde_json::json;

    #[test]
    fn emails_are_found_bounded_in_text() {
        assert!(holds_email("jane@example.com"));
        assert!(holds_email("Bob forwarded this from JANE@example.com."));
        assert!(holds_email("<jane.doe+tag@mail.example.co.uk>"));
        assert!(holds_email("smtp: rcpt jane%40example.com rejected"));
        assert!(!holds_email("@example.com"));
        assert!(!holds_email("jane@localhost"));
        assert!(!holds_email("jane@example.c0m"));
        assert!(!holds_email("meet @ noon"));
        assert!(!holds_email("a..b@example.com x@-.com"));
        assert!(!holds_email("plain text"));
    }

    #[test]
    fn phones_are_whole_values_that_parse_with_the_region() {
        let de = Some(Id::DE);
        assert!(is_phone("+49 30 1234567", de));
        assert!(is_phone("030 1234567", de));
        assert!(is_phone("+49 (30) 1234567", de));
        assert!(is_phone(" +1 (415) 555-2671 ", None));
        assert!(
            !is_phone("030 1234567", None),
            "a national number needs a region"
        );
        assert!(
            !is_phone("call 030 1234567", de),
            "free text is not a phone value"
        );
        assert!(!is_phone("12345", de));
        assert!(
            !is_phone("+49 30 1234567 0000 0000 000", de),
            "longer than 20"
        );
        assert!(!is_phone("2024-01-15", de), "a date is not a phone number");
        assert!(!is_phone("15.01.2024", de), "a date is not a phone number");
    }

    #[test]
    fn luhn_and_cards() {
        assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
        assert!(is_card("4111 1111 1111 1111"));
        assert!(is_card("4111-1111-1111-1111"));
        assert!(is_card("378282246310005"));
        assert!(!is_card("4111 1111 1111 1112"), "fails Luhn");
        assert!(!is_card("0000000000000000"), "one digit repeated");
        assert!(!is_card("411111111111"), "too short");
        assert!(!is_card("card 4111111111111111"), "not the whole value");
    }

    #[test]
    fn ibans_check_mod_97() {
        assert!(is_iban("DE89 3704 0044 0532 0130 00"));
        assert!(is_iban("GB82WEST12345698765432"));
        assert!(is_iban("gb82 west 1234 5698 7654 32"));
        assert!(
            !is_iban("DE89 3704 0044 0532 0130 01"),
            "wrong check digits"
        );
        assert!(!is_iban("DE89"), "too short");
        assert!(!is_iban("hello world, this is text"));
    }

    #[test]
    fn ipv4_addresses_are_dotted_quads() {
        assert!(holds_ipv4("192.168.1.20"));
        assert!(holds_ipv4("login from 10.0.0.1."));
        assert!(!holds_ipv4("256.1.1.1"));
        assert!(!holds_ipv4("1.2.3"));
        assert!(!holds_ipv4("1.2.3.4.5"));
        assert!(!holds_ipv4("01.2.3.4"), "leading zeros");
        // A dotted quad is an address, not a phone number.
        assert_eq!(recognise("10.0.0.1", Some(Id::DE)), [Kind::Ipv4].into());
    }

    #[test]
    fn ipv6_addresses_are_found_bounded_in_text() {
        assert!(holds_ipv6("2001:db8:85a3:0:0:8a2e:370:7334"));
        assert!(holds_ipv6("login from 2001:db8::8a2e:370:7334, twice"));
        assert!(holds_ipv6("[2001:db8:0:1::42]:443"));
        assert!(holds_ipv6("from 64:ff9b::192.0.2.1."), "an IPv4 tail");
        assert!(
            !holds_ipv6("::1"),
            "loopback: too few groups to be someone's"
        );
        assert!(
            !holds_ipv6("at 10:20:30 on 2024-01-15T10:20:30Z"),
            "clock times"
        );
        assert!(!holds_ipv6("Foo::Bar::baz()"));
        assert!(
            !holds_ipv6("2001:db8:85a3:0:0:8a2e:370:7334:1:2"),
            "ten groups"
        );
        assert_eq!(
            recognise("2001:db8::8a2e:370:7334", Some(Id::DE)),
            [Kind::Ipv6].into()
        );
        assert!(Kind::Ipv6.is_whole(" 2001:db8::8a2e:370:7334 "));
    }

    #[test]
    fn recognise_combines_kinds() {
        let de = Some(Id::DE);
        assert!(recognise("nothing here", de).is_empty());
        assert_eq!(
            recognise("jane@example.com from 10.0.0.1", de),
            [Kind::Email, Kind::Ipv4].into()
        );
        assert_eq!(recognise("4111111111111111", de), [Kind::Card].into());
    }

    #[test]
    fn json_documents_are_walked_with_paths() {
        let document = json!({
            "contact": {"email": "Jane@Example.COM", "name": "Jane"},
            "cc": [{"to": "a@example.com"}, {"to": "b@example.com"}, "x"],
            "ip": "10.1.2.3",
            "odd key": "+49 30 1234567",
            "n": 4111111111111111u64,
        });
        let found: Vec<(String, Vec<Kind>)> = recognise_json(&document, Some(Id::DE))
            .into_iter()
            .map(|(path, kinds)| (path_text(&path), kinds.into_iter().collect()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("$.cc[*].to".to_owned(), vec![Kind::Email]),
                ("$.contact.email".to_owned(), vec![Kind::Email]),
                ("$.ip".to_owned(), vec![Kind::Ipv4]),
                ("$[\"odd key\"]".to_owned(), vec![Kind::Phone]),
            ]
        );
        assert_eq!(
            recognise_json(&json!("jane@example.com"), None)
                .keys()
                .map(|p| path_text(p))
                .collect::<Vec<_>>(),
            vec!["$".to_owned()]
        );
    }

    #[test]
    fn shares_and_numbers_read_well() {
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(percent(370, 1000), 37);
        assert_eq!(percent(1, 1000), 1);
        assert_eq!(percent(0, 1000), 0);
        assert_eq!(percent(1, 3), 33);
    }

    #[test]
    fn the_sample_statement_fits_the_table_size() {
        let column = ColumnInfo {
            name: "note".into(),
            sql_type: "text".into(),
            nullable: true,
        };
        let columns = [&column];
        let [postgres, sqlite] = Dialect::ALL;
        let big = sample_statement(postgres, "notes", &columns, 1000, Some(1e6));
        assert_eq!(
            big.text(),
            r#"SELECT CAST(t."note" AS text) FROM "notes" t TABLESAMPLE BERNOULLI (0.2000) LIMIT 1000"#
        );
        let small = sample_statement(postgres, "notes", &columns, 1000, Some(9999.0));
        assert!(
            small.text().ends_with("ORDER BY random() LIMIT 1000"),
            "{}",
            small.text()
        );
        let unknown = sample_statement(postgres, "notes", &columns, 1000, None);
        assert!(unknown.text().ends_with("ORDER BY random() LIMIT 1000"));
        let sqlite = sample_statement(sqlite, "notes", &columns, 10, None);
        assert_eq!(sqlite.text(), r#"SELECT t."note" FROM "notes" t LIMIT 10"#);
    }
}
