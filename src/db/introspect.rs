//! Reading the live schema: tables, columns, primary keys, foreign keys, row-level security.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};

use super::{Dialect, Param, SqlType, Tx};

/// The tables of the database (PostgreSQL: the current schema).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, TableInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub row_security: bool,
    /// The row-level security policies' conditions (`USING` and `WITH CHECK`), as text.
    pub policies: Vec<String>,
    pub partitioned: bool,
    /// Indexes (PostgreSQL: including the primary key's; partial indexes left out).
    pub indexes: Vec<IndexInfo>,
    /// User-defined triggers on the table (PostgreSQL: not the internal ones behind foreign keys).
    pub triggers: Vec<TriggerInfo>,
}

/// A trigger: the database runs code privctl cannot see when rows change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerInfo {
    pub name: String,
    /// Fires when a row is deleted.
    pub on_delete: bool,
    /// Fires when a row is updated (anonymised, or a reference cleared).
    pub on_update: bool,
}

/// One index: its key columns or expressions, in order (included columns left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    pub name: String,
    pub keys: Vec<IndexKey>,
    /// A unique index (or the one behind a primary key or UNIQUE constraint).
    pub unique: bool,
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKey {
    Column(String),
    /// The expression as the database prints it (`lower(TRIM(BOTH FROM email))`).
    Expression(String),
}

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    /// The type as the catalog names it (`bigint`, `timestamp with time zone`, `TEXT`).
    pub sql_type: String,
    pub nullable: bool,
}

impl ColumnInfo {
    /// A JSON column: PostgreSQL's json and jsonb, or a SQLite column declared `JSON`.
    pub fn is_json(&self) -> bool {
        self.sql_type.eq_ignore_ascii_case("json") || self.sql_type.eq_ignore_ascii_case("jsonb")
    }

    /// A column holding text (any declared text type; SQLite's text affinity).
    pub fn is_text(&self) -> bool {
        let t = self.sql_type.to_ascii_lowercase();
        t.contains("text") || t.contains("char") || t.contains("clob") || t == "citext"
    }

    /// A PostgreSQL network address (`inet`, `cidr`): an IP address, personal data like text.
    pub fn is_address(&self) -> bool {
        let t = self.sql_type.to_ascii_lowercase();
        t == "inet" || t == "cidr"
    }
}

/// `columns` of this table reference `referenced_columns` of `references`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// What the database does to the referencing rows when a referenced row is deleted.
    pub on_delete: OnDelete,
}

/// A foreign key's `ON DELETE` action.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    /// `NO ACTION` (the default) or `RESTRICT`: the delete fails while a reference remains.
    #[default]
    NoAction,
    /// The referencing rows are deleted too.
    Cascade,
    /// The referencing columns are set to NULL.
    SetNull,
    /// The referencing columns are set to their default.
    SetDefault,
}

impl OnDelete {
    /// From PostgreSQL's `pg_constraint.confdeltype` or SQLite's `on_delete` text.
    fn parse(text: &str) -> Self {
        match text.to_ascii_uppercase().as_str() {
            "C" | "CASCADE" => OnDelete::Cascade,
            "N" | "SET NULL" => OnDelete::SetNull,
            "D" | "SET DEFAULT" => OnDelete::SetDefault,
            _ => OnDelete::NoAction,
        }
    }

    /// Whether the database changes rows outside the statement privctl runs.
    pub fn acts(self) -> bool {
        self != OnDelete::NoAction
    }

    /// As SQL writes it.
    pub fn as_sql(self) -> &'static str {
        match self {
            OnDelete::NoAction => "NO ACTION",
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
            OnDelete::SetDefault => "SET DEFAULT",
        }
    }
}

impl TableInfo {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The type of column `name` as a cast's target; `text` for a column the table lacks.
    pub fn cast_type(&self, name: &str) -> SqlType {
        self.column(name)
            .map_or(SqlType::TEXT, |c| SqlType::from_catalog(&c.sql_type))
    }

    /// Whether a unique index (not a partial one) holds exactly `column`: at most one row per
    /// value.
    pub fn is_unique(&self, column: &str) -> bool {
        self.indexes
            .iter()
            .any(|i| i.unique && matches!(i.keys.as_slice(), [IndexKey::Column(c)] if c == column))
    }
}

impl IndexKey {
    /// Whether this key is `other`: the same column, or the same expression up to how the
    /// database prints it (case, quotes, spaces, `::text` casts, `TRIM(BOTH FROM …)`).
    pub fn matches(&self, other: &IndexKey) -> bool {
        match (self, other) {
            (IndexKey::Column(a), IndexKey::Column(b)) => a == b,
            (IndexKey::Expression(a), IndexKey::Expression(b)) => {
                canonical_expression(a) == canonical_expression(b)
            }
            _ => false,
        }
    }
}

/// An expression reduced to what decides whether an index on it serves a query.
fn canonical_expression(text: &str) -> String {
    let mut s: String = text
        .to_lowercase()
        .replace("both from", "")
        .replace("::text", "")
        .replace("::character varying", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect();
    // `(email)` around a bare name, as PostgreSQL prints a cast operand.
    loop {
        let mut changed = false;
        let bytes: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == '(' && (i == 0 || !is_name_char(bytes[i - 1])) {
                let end = bytes[i + 1..]
                    .iter()
                    .position(|c| !is_name_char(*c))
                    .map(|p| i + 1 + p);
                if let Some(end) = end
                    && end > i + 1
                    && bytes[end] == ')'
                {
                    out.extend(&bytes[i + 1..end]);
                    i = end + 1;
                    changed = true;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        s = out;
        // Parentheses around the whole expression.
        if s.starts_with('(') && s.ends_with(')') && closes_at_end(&s) {
            s = s[1..s.len() - 1].to_owned();
            changed = true;
        }
        if !changed {
            return s;
        }
    }
}

/// Whether the `(` that starts `s` is closed by its last character.
fn closes_at_end(s: &str) -> bool {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i == s.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

pub(super) async fn read(tx: &mut Tx) -> Result<Schema> {
    match tx.dialect() {
        Dialect::Postgres => read_postgres(tx).await,
        Dialect::Sqlite => read_sqlite(tx).await,
    }
    .context("reading the database schema")
}

/// The PostgreSQL catalog privctl reads, in one statement (issue 16: it was seven, 14 round
/// trips and seven plans a run, and at 500 tables their joins of `pg_attribute` cost more than
/// the rest). One row; each column is one part, a JSON array of rows of text, in the order of
/// [`PG_PARTS`]: tables; columns (with their numbers); primary key, index and foreign key
/// columns by number, named from the columns part (no join of `pg_attribute` per key);
/// policies; triggers. The columns part also holds the columns of partitions that foreign keys
/// reference, for their names. Each part is sorted as the schema's lists are: a table's columns
/// by position, its keys, indexes and foreign keys by name, then position.
const PG_CATALOG: &str = "
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
SELECT
 (SELECT json_agg(ARRAY[c.relname::text, CASE WHEN c.relrowsecurity THEN 't' ELSE 'f' END,
                        CASE WHEN c.relkind = 'p' THEN 't' ELSE 'f' END]
                  ORDER BY c.relname::text)
  FROM pg_class c
  WHERE c.relnamespace = (SELECT oid FROM ns)
    AND c.relkind IN ('r', 'p') AND NOT c.relispartition)::text,
 (SELECT json_agg(ARRAY[c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attnotnull THEN 'f' ELSE 't' END, a.attnum::text]
                  ORDER BY c.relname, a.attnum)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
    AND (NOT c.relispartition OR c.oid IN (SELECT confrelid FROM pg_constraint WHERE contype = 'f'))
    AND a.attnum > 0 AND NOT a.attisdropped)::text,
 (SELECT json_agg(ARRAY[c.relname::text, k.attnum::text] ORDER BY c.relname, k.ord)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
  WHERE i.indisprimary AND c.relnamespace = (SELECT oid FROM ns)
    AND c.relkind IN ('r', 'p') AND NOT c.relispartition)::text,
 (SELECT json_agg(ARRAY[c.relname::text, pg_get_expr(p.polqual, p.polrelid),
                        pg_get_expr(p.polwithcheck, p.polrelid)]
                  ORDER BY c.relname::text, p.polname)
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
  WHERE c.relnamespace = (SELECT oid FROM ns))::text,
 (SELECT json_agg(ARRAY[c.relname::text, ic.relname::text,
                        CASE WHEN k.attnum = 0 THEN 'e' ELSE 'c' END,
                        CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true)
                             ELSE k.attnum::text END,
                        CASE WHEN i.indisunique THEN 't' ELSE 'f' END]
                  ORDER BY c.relname, ic.relname, k.ord)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
  WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND i.indpred IS NULL AND k.ord <= i.indnkeyatts)::text,
 (SELECT json_agg(ARRAY[con.oid::text, c.relname::text, rc.relname::text, u.k::text, u.rk::text,
                        con.confdeltype::text]
                  ORDER BY c.relname, con.conname, u.ord)
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_class rc ON rc.oid = con.confrelid
  JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS u(k, rk, ord) ON true
  WHERE con.contype = 'f' AND con.conparentid = 0
    AND c.relnamespace = (SELECT oid FROM ns)
    AND rc.relnamespace = (SELECT oid FROM ns))::text,
 (SELECT json_agg(ARRAY[c.relname::text, t.tgname::text,
                        CASE WHEN t.tgtype & 8 <> 0 THEN 't' ELSE 'f' END,
                        CASE WHEN t.tgtype & 16 <> 0 THEN 't' ELSE 'f' END]
                  ORDER BY c.relname::text, t.tgname::text)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE NOT t.tgisinternal
    AND c.relnamespace = (SELECT oid FROM ns))::text";

/// The parts of [`PG_CATALOG`], in its columns' order.
const PG_PARTS: [&str; 7] = [
    "tables",
    "columns",
    "primary keys",
    "policies",
    "indexes",
    "foreign keys",
    "triggers",
];

/// The parts of [`PG_CATALOG`]'s one row, each a list of rows of text (NULL as empty text).
async fn pg_catalog(tx: &mut Tx) -> Result<[Vec<Vec<String>>; 7]> {
    let mut sql = tx.sql();
    sql.push(PG_CATALOG);
    let row = tx
        .fetch_optional(&sql)
        .await?
        .context("the catalog statement returned no row")?;
    let parts = PG_PARTS
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let Some(text) = row.get(i).cloned().flatten() else {
                return Ok(Vec::new()); // json_agg of no rows
            };
            let rows: Vec<Vec<Option<String>>> = serde_json::from_str(&text)
                .with_context(|| format!("reading the catalog's {part}"))?;
            Ok(rows
                .into_iter()
                .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
                .collect())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.try_into().expect("one list per part"))
}

async fn read_postgres(tx: &mut Tx) -> Result<Schema> {
    let mut schema = Schema::default();
    let [
        tables,
        columns,
        primary_keys,
        policies,
        indexes,
        foreign_keys,
        triggers,
    ] = pg_catalog(tx).await?;
    for row in tables {
        let name = row[0].clone();
        schema.tables.insert(
            name.clone(),
            TableInfo {
                name,
                row_security: row[1] == "t",
                partitioned: row[2] == "t",
                ..Default::default()
            },
        );
    }
    // (table, column number) -> column name, for the parts that give keys by number.
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    for row in columns {
        let [table, column, sql_type, nullable, number] = <[String; 5]>::try_from(row)
            .map_err(|_| anyhow::anyhow!("a column of the catalog without its five fields"))?;
        if let Some(info) = schema.tables.get_mut(&table) {
            info.columns.push(ColumnInfo {
                name: column.clone(),
                sql_type,
                nullable: nullable == "t",
            });
        }
        names.insert((table, number), column);
    }
    let name_of = |table: &str, number: &str| -> Result<String> {
        names
            .get(&(table.to_owned(), number.to_owned()))
            .cloned()
            .with_context(|| format!("the catalog names no column {number} of {table}"))
    };
    for row in primary_keys {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            table.primary_key.push(name_of(&row[0], &row[1])?);
        }
    }
    for row in policies {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            table
                .policies
                .extend(row[1..].iter().filter(|c| !c.is_empty()).cloned());
        }
    }
    for row in indexes {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            let key = if row[2] == "e" {
                IndexKey::Expression(row[3].clone())
            } else {
                IndexKey::Column(name_of(&row[0], &row[3])?)
            };
            push_index_key(table, &row[1], key, row[4] == "t");
        }
    }
    // A foreign key of a table privctl does not read (a partition's own) is left out, as below.
    let mut foreign: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    let mut order = Vec::new();
    for row in foreign_keys
        .iter()
        .filter(|row| schema.tables.contains_key(&row[1]))
    {
        let key = (row[1].clone(), row[0].clone());
        let fk = foreign.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            ForeignKey {
                columns: vec![],
                references: row[2].clone(),
                referenced_columns: vec![],
                on_delete: OnDelete::parse(&row[5]),
            }
        });
        fk.columns.push(name_of(&row[1], &row[3])?);
        fk.referenced_columns.push(name_of(&row[2], &row[4])?);
    }
    for row in triggers {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            table.triggers.push(TriggerInfo {
                name: row[1].clone(),
                on_delete: row[2] == "t",
                on_update: row[3] == "t",
            });
        }
    }
    for key in order {
        let fk = foreign.remove(&key).expect("collected above");
        if let Some(table) = schema.tables.get_mut(&key.0) {
            table.foreign_keys.push(fk);
        }
    }
    Ok(schema)
}

const SQLITE_TABLES: &str = "
SELECT name FROM sqlite_schema
WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY name";

const SQLITE_COLUMNS: &str = "
SELECT m.name, p.name, p.type, p.\"notnull\", p.pk
FROM sqlite_schema m, pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, p.cid";

const SQLITE_FOREIGN_KEYS: &str = "
SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_delete
FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, f.id, f.seq";

const SQLITE_TRIGGERS: &str = "
SELECT tbl_name, name, COALESCE(sql, '') FROM sqlite_schema WHERE type = 'trigger' ORDER BY 1, 2";

const SQLITE_INDEXES: &str = "
SELECT m.name, il.name, x.cid, COALESCE(x.name, ''), COALESCE(s.sql, ''), il.\"unique\"
FROM sqlite_schema m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) x
LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
  AND il.partial = 0 AND x.key = 1
ORDER BY m.name, il.name, x.seqno";

async fn read_sqlite(tx: &mut Tx) -> Result<Schema> {
    let mut schema = Schema::default();
    for row in rows(tx, SQLITE_TABLES).await? {
        let name = row[0].clone();
        schema.tables.insert(
            name.clone(),
            TableInfo {
                name,
                ..Default::default()
            },
        );
    }
    let mut pk_positions: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in rows(tx, SQLITE_COLUMNS).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            let pk: i64 = row[4].parse().unwrap_or(0);
            table.columns.push(ColumnInfo {
                name: row[1].clone(),
                sql_type: row[2].clone(),
                // A primary key column of a rowid table is never NULL in practice.
                nullable: row[3] == "0" && pk == 0,
            });
            if pk > 0 {
                pk_positions
                    .entry(row[0].clone())
                    .or_default()
                    .push((pk, row[1].clone()));
            }
        }
    }
    for (name, mut columns) in pk_positions {
        columns.sort();
        if let Some(table) = schema.tables.get_mut(&name) {
            table.primary_key = columns.into_iter().map(|(_, c)| c).collect();
        }
    }
    for row in rows(tx, SQLITE_INDEXES).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            let key = if row[2] == "-2" {
                // SQLite keeps an expression only in the index's CREATE statement.
                let position = table
                    .indexes
                    .iter()
                    .find(|i| i.name == row[1])
                    .map_or(0, |i| i.keys.len());
                let expressions = sqlite_index_keys(&row[4]);
                IndexKey::Expression(expressions.get(position).cloned().unwrap_or_default())
            } else {
                IndexKey::Column(row[3].clone())
            };
            push_index_key(table, &row[1], key, row[5] == "1");
        }
    }
    let mut current: Option<(String, String, ForeignKey)> = None;
    let mut collected = Vec::new();
    for row in rows(tx, SQLITE_FOREIGN_KEYS).await? {
        let same = current
            .as_ref()
            .is_some_and(|(t, id, _)| *t == row[0] && *id == row[1]);
        if !same {
            collected.extend(current.take());
            current = Some((
                row[0].clone(),
                row[1].clone(),
                ForeignKey {
                    columns: vec![],
                    references: row[2].clone(),
                    referenced_columns: vec![],
                    on_delete: OnDelete::parse(&row[5]),
                },
            ));
        }
        let (_, _, fk) = current.as_mut().expect("set above");
        fk.columns.push(row[3].clone());
        // An empty `to` means the referenced table's primary key.
        fk.referenced_columns.push(row[4].clone());
    }
    collected.extend(current);
    for row in rows(tx, SQLITE_TRIGGERS).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            let (on_delete, on_update) = sqlite_trigger_events(&row[2]);
            table.triggers.push(TriggerInfo {
                name: row[1].clone(),
                on_delete,
                on_update,
            });
        }
    }
    for (table, _, mut fk) in collected {
        if fk.referenced_columns.iter().any(String::is_empty)
            && let Some(parent) = schema.tables.get(&fk.references)
        {
            fk.referenced_columns = parent.primary_key.clone();
        }
        // A key naming no column of a parent without a primary key is one SQLite itself
        // refuses to use ("foreign key mismatch"): it links nothing.
        if fk.referenced_columns.len() != fk.columns.len() {
            continue;
        }
        if let Some(t) = schema.tables.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }
    Ok(schema)
}

/// The events of a SQLite `CREATE TRIGGER … [BEFORE|AFTER|INSTEAD OF] DELETE|INSERT|UPDATE
/// [OF …] ON table`: (fires on delete, fires on update). Unreadable text counts as both.
fn sqlite_trigger_events(create: &str) -> (bool, bool) {
    let words: Vec<String> = create
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    // The event is the first of these keywords after the trigger's name; `ON` ends the search.
    for word in words.iter().skip(2) {
        match word.as_str() {
            "DELETE" => return (true, false),
            "UPDATE" => return (false, true),
            "INSERT" => return (false, false),
            "ON" => break,
            _ => {}
        }
    }
    (true, true)
}

fn push_index_key(table: &mut TableInfo, index: &str, key: IndexKey, unique: bool) {
    match table.indexes.iter_mut().find(|i| i.name == index) {
        Some(existing) => existing.keys.push(key),
        None => table.indexes.push(IndexInfo {
            name: index.to_owned(),
            keys: vec![key],
            unique,
        }),
    }
}

/// The key list of a SQLite `CREATE INDEX … ON t (a, lower(b) DESC)`, split at top-level commas,
/// without a trailing `ASC`/`DESC` or `COLLATE`.
fn sqlite_index_keys(create: &str) -> Vec<String> {
    let upper = create.to_ascii_uppercase();
    let on = upper.char_indices().find(|(i, _)| {
        upper[*i..].starts_with("ON")
            && upper[..*i].ends_with(char::is_whitespace)
            && upper[*i + 2..].starts_with(char::is_whitespace)
    });
    let Some((on, _)) = on else {
        return Vec::new();
    };
    let rest = &create[on..];
    let Some(open) = rest.find('(') else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in rest[open + 1..].chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`' | '[') => quote = Some(if c == '[' { ']' } else { c }),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => break,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                keys.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    keys.push(current);
    keys.into_iter()
        .map(|key| {
            let mut key = key.trim().to_owned();
            for suffix in [" ASC", " DESC"] {
                if key.to_ascii_uppercase().ends_with(suffix) {
                    key.truncate(key.len() - suffix.len());
                }
            }
            if let Some(at) = key.to_ascii_uppercase().rfind(" COLLATE ") {
                key.truncate(at);
            }
            key.trim().to_owned()
        })
        .collect()
}

async fn rows(tx: &mut Tx, query: &'static str) -> Result<Vec<Vec<String>>> {
    let mut sql = tx.sql();
    sql.push(query);
    let _: Option<Param> = None;
    Ok(tx
        .fetch_rows(&sql)
        .await?
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_match_as_either_database_prints_them() {
        let ours = IndexKey::Expression(r#"lower(trim("email"))"#.into());
        for printed in [
            "lower(TRIM(BOTH FROM email))",
            "lower(TRIM(BOTH FROM (email)::text))",
            r#"lower(trim("email"))"#,
            "LOWER(TRIM(email))",
            "(lower(trim(email)))",
        ] {
            assert!(
                ours.matches(&IndexKey::Expression(printed.into())),
                "{printed}"
            );
        }
        assert!(!ours.matches(&IndexKey::Expression("lower(email)".into())));
        assert!(!ours.matches(&IndexKey::Column("email".into())));
        let phone = IndexKey::Expression(r#"replace(replace("phone", ' ', ''), '-', '')"#.into());
        assert!(phone.matches(&IndexKey::Expression(
            "replace(replace(phone, ' '::text, ''::text), '-'::text, ''::text)".into()
        )));
    }

    #[test]
    fn sqlite_trigger_events_are_read_from_the_create_statement() {
        assert_eq!(
            sqlite_trigger_events(
                "CREATE TRIGGER audit_del AFTER DELETE ON documents BEGIN INSERT INTO x VALUES (1); END"
            ),
            (true, false)
        );
        assert_eq!(
            sqlite_trigger_events(
                "create trigger \"t\" before update of title, body on documents begin select 1; end"
            ),
            (false, true)
        );
        assert_eq!(
            sqlite_trigger_events("CREATE TRIGGER IF NOT EXISTS t INSERT ON d BEGIN SELECT 1; END"),
            (false, false)
        );
    }

    #[test]
    fn sqlite_index_keys_are_split_at_top_level_commas() {
        assert_eq!(
            sqlite_index_keys(
                "CREATE INDEX \"a, b\"\n  ON \"t x\" (\"org_id\", lower(trim(\"email\")) DESC, c COLLATE NOCASE)"
            ),
            vec![r#""org_id""#, r#"lower(trim("email"))"#, "c"]
        );
    }
}
