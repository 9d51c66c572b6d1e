//! The data map (`privctl.toml`): where personal data lives and what to do with it.
//!
//! [`DataMap::load`] parses and validates the file. Every problem names the file and the key at
//! fault; nothing in the map is trusted as SQL except the `when` conditions of identity columns.

pub mod check;
pub(crate) mod condition;
pub mod discover;
mod duration;
mod raw;
pub mod sample;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use crate::db::MapCondition;
pub use duration::{Duration, Window};

use crate::error::Failure;

/// The validated data map.
#[derive(Debug, Clone)]
pub struct DataMap {
    pub path: PathBuf,
    /// `database.tenant_setting`: set per transaction for row-level security.
    pub tenant_setting: Option<String>,
    pub tenant: Option<TenantSpec>,
    pub identities: BTreeMap<String, IdentityKind>,
    /// Mapped tables (never includes ignored ones).
    pub tables: BTreeMap<String, TableSpec>,
    /// Ignored tables and the reason given.
    pub ignored: BTreeMap<String, Option<String>>,
    /// Ignored tables with `scan = true`: `dsar scan` and the residue scan of `dsar delete` look
    /// for a subject's identifiers in them (nothing else ever reads them).
    pub scan_ignored: BTreeSet<String>,
    pub retention: BTreeMap<String, RetentionRule>,
    /// `[retention] ledger`: how long the ledger keeps entries (`None`: forever).
    pub ledger_retention: Option<Duration>,
    /// `[ledger] origin`: the log's name in its checkpoints and entries.
    pub ledger_origin: Option<String>,
    pub blobs: BTreeMap<String, BlobStore>,
    pub keys: Keys,
    pub confirm: ConfirmPolicy,
    pub purge: PurgePolicy,
    /// `[authz]`: which platform roles may ask for which DSAR command (`--on-behalf-of`).
    pub authz: Option<AuthzPolicy>,
}

/// `[authz]`: the platform's members table and the roles allowed each DSAR command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzPolicy {
    /// The members table.
    pub table: String,
    /// The column `--on-behalf-of` names a member by (compared case-insensitively).
    pub member: String,
    /// The members table's tenant column.
    pub tenant: String,
    pub role: String,
    pub preview: Vec<String>,
    pub export: Vec<String>,
    pub delete: Vec<String>,
    /// Every DSAR command must name the member it acts for.
    pub required: bool,
}

impl AuthzPolicy {
    /// The roles that may run `command` (`preview`, `scan`, `export` or `delete`).
    pub fn roles(&self, command: &str) -> &[String] {
        match command {
            // A scan reads what a preview reads.
            "preview" | "scan" => &self.preview,
            "export" => &self.export,
            _ => &self.delete,
        }
    }
}

/// `[tenant]`: the table with one row per tenant.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub table: String,
    pub id: String,
    pub plan: Option<String>,
    pub legal_hold: Option<String>,
    pub ended_at: Option<String>,
    /// `[tenant] name`: the column with the tenant's name, shown to data subjects (HTML exports).
    pub name: Option<String>,
    /// category → column with a per-tenant number of days.
    pub retention_overrides: BTreeMap<String, String>,
    pub erase: Erase,
    /// `[tenant] links`: rows the tenant row itself owns (its settings, its SSO configuration):
    /// columns of the tenant table referencing them. Always `owned = true`.
    pub links: Vec<LinkSpec>,
    /// `[tenant] parent`: the column naming a sub-tenant's parent row in the tenant table.
    pub parent: Option<String>,
}

/// How an identifier given on the command line is normalised and matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    /// Trimmed and lower-cased.
    Email,
    /// Normalised to E.164.
    Phone {
        default_region: Option<phonenumber::country::Id>,
    },
    /// Compared as given.
    Exact,
}

/// One mapped table.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    /// Tenant column; `None` when the table reaches its tenant through links.
    pub tenant: Option<String>,
    /// Declared row identity for a table without a primary key.
    pub key: Option<Vec<String>>,
    pub identities: Vec<IdentityColumn>,
    pub links: Vec<LinkSpec>,
    pub category: Option<String>,
    /// `tenant` (the default) or `global`: a platform-wide table of no tenant.
    pub scope: Scope,
    /// What erasure does, per action.
    pub erase: EraseRules,
    pub legal_basis: Option<String>,
    /// Why the platform holds these rows, in words for the data subject (HTML exports).
    pub purpose: Option<String>,
    pub timestamp: Option<String>,
    pub blob: Option<BlobColumn>,
    /// How the table's columns appear in exports: one mode for the table, or one per column.
    pub export: ExportSpec,
    pub encrypted: Vec<String>,
}

/// A column of a table that holds an identity of the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityColumn {
    /// The name in `[identities]`.
    pub identity: String,
    pub column: String,
    /// Trusted SQL condition on the table (key–value attribute tables): one expression.
    pub when: Option<MapCondition>,
    pub json: Option<JsonSelector>,
    /// `identifies = "<link column>"`: a match selects the row this column references (an
    /// attribute row naming its entity) as if that row had matched.
    pub identifies: Option<String>,
    /// `match = "within"`: the identifier may sit inside a longer value.
    pub within: bool,
}

/// `[tables.X] scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Rows belong to tenants (through a tenant column or links).
    #[default]
    Tenant,
    /// A platform-wide table: rows belong to no tenant; DSARs match them directly.
    Global,
}

/// `erase = …` or `erase = { subject = …, tenant = … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraseRules {
    /// For `dsar delete`.
    pub subject: Erase,
    /// For `delete-tenant`.
    pub tenant: Erase,
}

impl EraseRules {
    /// The same effect for every action.
    pub fn both(erase: Erase) -> Self {
        Self {
            subject: erase.clone(),
            tenant: erase,
        }
    }
}

/// Where in a JSON column an identifier sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonSelector {
    /// `$.a.b`: object keys from the root.
    Path(Vec<crate::db::JsonKey>),
    /// Any string value anywhere in the document.
    Any,
}

/// A link declared in the map (in addition to the database's foreign keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    pub column: String,
    pub references: String,
    /// The referenced column when it is not the referenced table's key (a unique column).
    pub to: Option<String>,
    /// The referenced row belongs to the referencing row's subject.
    pub owned: bool,
    /// `false`: rows that reference a selected row are not the subject's data (e.g. the agent
    /// assigned to a conversation); erasing the referenced row sets this column to NULL instead.
    pub follow: bool,
}

/// What erasure does to a table's selected rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erase {
    Delete,
    Retain,
    Anonymise(Vec<(String, AnonymiseMode)>),
}

impl Erase {
    pub fn effect(&self) -> Effect {
        match self {
            Erase::Delete => Effect::Delete,
            Erase::Retain => Effect::Retain,
            Erase::Anonymise(_) => Effect::Anonymise,
        }
    }
}

/// The effect of an erasure on a table, as plans report it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Delete,
    Anonymise,
    Retain,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Delete => "delete",
            Effect::Anonymise => "anonymise",
            Effect::Retain => "retain",
        }
    }
}

/// How one column is anonymised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymiseMode {
    /// Set to NULL.
    Null,
    /// Replaced by the text `[redacted]`.
    Redact,
    /// Replaced by a keyed hash of its value (same input, same output: counts stay possible).
    Hash,
    /// Each occurrence of the subject's identifiers replaced by `[redacted]`, the rest kept
    /// (text and JSON columns; DSAR only).
    Scrub,
}

/// `export = "redact"` (the table's non-structural columns, or its `encrypted` ones) or
/// `export = { password_hash = "omit", api_key = "redact" }` (just those columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSpec {
    Table(ExportMode),
    Columns(BTreeMap<String, ExportMode>),
}

impl Default for ExportSpec {
    fn default() -> Self {
        ExportSpec::Table(ExportMode::Include)
    }
}

/// How a table's columns appear in exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportMode {
    #[default]
    Include,
    /// Only the last four characters of each value.
    Redact,
    Omit,
}

/// `blob = { column, store }`: the row names an object in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobColumn {
    pub column: String,
    pub store: String,
}

/// `[blobs.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobStore {
    pub url: String,
    /// S3: another endpoint than AWS's.
    pub endpoint: Option<String>,
    /// S3: the bucket's region.
    pub region: Option<String>,
    /// S3: the access key id and secret access key (otherwise the environment's `AWS_*`).
    pub credentials: Option<(KeySource, KeySource)>,
}

/// `[retention] category = …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetentionRule {
    Flat(Window),
    /// plan tier → window.
    ByPlan(BTreeMap<String, Window>),
    /// Counted from the tenant's `ended_at`.
    AfterEnd(Window),
}

/// `[keys]`: where secrets come from (never the secret itself).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub ledger: Option<KeySource>,
    pub columns: Option<KeySource>,
    /// `keys.subject`: the HMAC key of `subject_ref` in ledger entries.
    pub subject: Option<KeySource>,
    /// `keys.signing`: the Ed25519 keys that sign checkpoints (several while rotating).
    pub signing: Vec<KeySource>,
}

/// `env:VAR` or `file:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
}

impl KeySource {
    /// A key's source given on the command line (`file:` paths relative to the working folder).
    pub fn parse_flag(text: &str) -> Result<Self, String> {
        Self::parse(text, Path::new(""))
    }

    fn parse(text: &str, base: &Path) -> Result<Self, String> {
        if let Some(var) = text.strip_prefix("env:") {
            if var.is_empty() {
                return Err("`env:` needs a variable name".into());
            }
            Ok(Self::Env(var.to_owned()))
        } else if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path".into());
            }
            Ok(Self::File(base.join(path)))
        } else {
            Err("must be `env:VAR` or `file:PATH` (never the key itself)".into())
        }
    }

    /// Reads the secret. A trailing newline of a key file is not part of the key.
    #[allow(clippy::disallowed_methods)] // the variable the map's `env:VAR` names
    pub fn load(&self) -> anyhow::Result<Vec<u8>> {
        let bytes = match self {
            KeySource::Env(var) => std::env::var_os(var)
                .with_context(|| {
                    format!("the map's key `env:{var}`: environment variable {var} is not set")
                })?
                .into_encoded_bytes(),
            KeySource::File(path) => {
                let mut bytes = std::fs::read(path)
                    .with_context(|| format!("reading key file {}", path.display()))?;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                bytes
            }
        };
        anyhow::ensure!(!bytes.is_empty(), "the key from {self} is empty");
        Ok(bytes)
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env(var) => write!(f, "env:{var}"),
            KeySource::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// `[confirm]`.
#[derive(Debug, Clone)]
pub struct ConfirmPolicy {
    pub ttl: Duration,
    pub require_distinct_actor: bool,
}

/// `[purge]`: the blast-radius guard of purge-retention.
#[derive(Debug, Clone)]
pub struct PurgePolicy {
    /// Refuse a plan deleting more rows than this (`--max-rows` overrides).
    pub max_rows: Option<u64>,
    /// Refuse a plan deleting more than this fraction of a table's rows (default 0.5).
    pub max_fraction: f64,
}

impl DataMap {
    /// Reads and validates a map file.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::map(format!("{}: cannot read the data map: {e}", path.display()))
                .with_hint("give the map with --map FILE or PRIVCTL_MAP (default: ./privctl.toml)")
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates map text; `path` names the file in errors and anchors `file:` keys.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Failure> {
        let raw: raw::RawMap =
            toml::from_str(text).map_err(|e| Failure::map(toml_error(path, text, e)))?;
        let base = path.parent().unwrap_or(Path::new("."));
        raw.validate(path, base).map_err(|problems| {
            let count = match problems.len() {
                1 => String::new(),
                n => format!(" ({n} problems)"),
            };
            Failure::map(format!(
                "{}: the data map is invalid{count}: {}",
                path.display(),
                problems.join("; ")
            ))
        })
    }

    /// The table spec for a mapped table.
    pub fn table(&self, name: &str) -> Option<&TableSpec> {
        self.tables.get(name)
    }
}

/// A TOML error on one line: the file, the key and the line and column, and what is wrong. The
/// parser's own rendering quotes the offending line of the file, which may hold a secret
/// written where a key's source belongs (`ledger = s3cr3t`): it is left out.
fn toml_error(path: &Path, text: &str, mut error: toml::de::Error) -> String {
    let at = error.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        format!("line {line}, column {column}")
    });
    // Without the input, the error renders as its message and then the key path, if any.
    error.set_input(None);
    let rendered = error.to_string();
    let mut lines: Vec<&str> = rendered.lines().filter(|l| !l.trim().is_empty()).collect();
    let key = lines
        .last()
        .and_then(|l| l.strip_prefix("in `")?.strip_suffix('`'))
        .map(str::to_owned);
    if key.is_some() {
        lines.pop();
    }
    let place = match (key, at) {
        (Some(key), Some(at)) => format!("{key} ({at}): "),
        (Some(key), None) => format!("{key}: "),
        (None, Some(at)) => format!("{at}: "),
        (None, None) => String::new(),
    };
    format!("{}: {place}{}", path.display(), lines.join(" "))
}

/// Checks a table or column name from the map ([`crate::db::Ident`]'s check). Names are always
/// quoted in SQL; this only refuses what no database accepts as a name.
pub fn check_identifier(name: &str) -> Result<(), String> {
    crate::db::Ident::new(name).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        DataMap::parse(text, Path::new("maps/bad.toml"))
            .unwrap_err()
            .message
    }

    const BASE: &str = "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n";

    #[test]
    fn the_fixture_map_is_valid() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conversational-ai/privctl.toml");
        let map = DataMap::load(&path).unwrap();
        assert!(map.tables.contains_key("contacts"));
        assert_eq!(map.confirm.ttl.seconds(), 15 * 60);
    }

    #[test]
    fn toml_errors_are_one_line_name_the_key_and_never_quote_the_file() {
        let unknown = error(&format!("{BASE}[tables.contacts]\ntenat = \"org_id\"\n"));
        assert!(!unknown.contains('\n'), "{unknown}");
        assert!(
            unknown.starts_with(
                "maps/bad.toml: tables.contacts (line 6, column 1): unknown field `tenat`"
            ),
            "{unknown}"
        );
        // A secret written bare where its source belongs is not valid TOML: the message says
        // where, and never shows the line.
        let bare = error(&format!("{BASE}[keys]\nledger = s3cr3t-value\n"));
        assert!(!bare.contains("s3cr3t") && !bare.contains('\n'), "{bare}");
        assert!(bare.contains("line 6"), "{bare}");
        let several = error(&format!(
            "{BASE}[confirm]\nttl = \"15x\"\n[purge]\nmax_fraction = 2.0\n"
        ));
        assert!(
            !several.contains('\n') && several.contains("(2 problems)"),
            "{several}"
        );
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let unknown = error(&format!("{BASE}[tables.contacts]\ntenat = \"org_id\"\n"));
        assert!(
            unknown.contains("maps/bad.toml") && unknown.contains("tenat"),
            "{unknown}"
        );

        let link = error(&format!(
            "{BASE}[tables.messages]\ntenant = \"org_id\"\nlinks = [{{ column = \"c\", references = \"conversatons\" }}]\n"
        ));
        assert!(
            link.contains("tables.messages.links[0].references") && link.contains("conversatons"),
            "{link}"
        );

        let ttl = error(&format!("{BASE}[confirm]\nttl = \"15x\"\n"));
        assert!(
            ttl.contains("confirm.ttl") && ttl.contains("unknown unit"),
            "{ttl}"
        );

        let ident = error(&format!("{BASE}[tables.contacts]\ntenant = \"\"\n"));
        assert!(
            ident.contains("tables.contacts.tenant") && ident.contains("not a valid identifier"),
            "{ident}"
        );

        let retain = error(&format!(
            "{BASE}[tables.consent]\ntenant = \"org_id\"\nerase = \"retain\"\n"
        ));
        assert!(retain.contains("tables.consent.legal_basis"), "{retain}");

        let key = error(&format!("{BASE}[keys]\nledger = \"s3cr3t\"\n"));
        assert!(
            key.contains("keys.ledger") && !key.contains("s3cr3t"),
            "{key}"
        );
    }
}
