//! A statement under construction: text with quoted identifiers and bound values only.

use super::Dialect;

/// A value bound to a placeholder; never pasted into SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
    Null,
}

/// SQL text plus its bound values, for one dialect.
#[derive(Debug, Clone)]
pub struct Sql {
    dialect: Dialect,
    text: String,
    params: Vec<Param>,
    /// Result columns that hold JSON text to be read as nested JSON (SQLite has no JSON type;
    /// a column declared `JSON` holds its text). Set by [`super::open_json_rows`].
    json_columns: Vec<String>,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            text: String::new(),
            params: Vec::new(),
            json_columns: Vec::new(),
        }
    }

    /// Marks a result column as JSON text (see the field's comment).
    pub fn json_column(&mut self, name: &str) -> &mut Self {
        self.json_columns.push(name.to_owned());
        self
    }

    pub fn json_columns(&self) -> &[String] {
        &self.json_columns
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Appends trusted SQL text (keywords, privctl's own fragments, map `when` conditions).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a quoted identifier.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        self.text.push_str(&self.dialect.quote(name));
        self
    }

    /// Appends `alias."column"`.
    pub fn column(&mut self, alias: &str, name: &str) -> &mut Self {
        self.text.push_str(alias);
        self.text.push('.');
        self.ident(name)
    }

    /// Appends a placeholder bound to `param`.
    pub fn bind(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        let placeholder = self.dialect.placeholder(self.params.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Appends a text value converted to a column's type, so comparisons with integer, uuid or
    /// other typed columns use the column's index. `sql_type` comes from the catalog.
    pub fn bind_as(&mut self, value: &str, sql_type: &str) -> &mut Self {
        match self.dialect {
            Dialect::Postgres if !is_text_type(sql_type) => {
                self.push("CAST(").bind(Param::Text(value.to_owned()));
                self.push(" AS ").push(sql_type).push(")")
            }
            // SQLite applies the column's affinity to the compared value.
            _ => self.bind(Param::Text(value.to_owned())),
        }
    }

    /// Ends a `SELECT` that reads rows to rewrite: PostgreSQL locks them (`FOR UPDATE`);
    /// SQLite's write transaction already holds the database.
    pub fn for_update(&mut self) -> &mut Self {
        if self.dialect == Dialect::Postgres {
            self.push(" FOR UPDATE");
        }
        self
    }

    /// Appends another statement fragment, renumbering its placeholders.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        debug_assert_eq!(self.dialect, other.dialect);
        if other.params.is_empty() {
            self.text.push_str(&other.text);
            return self;
        }
        let offset = self.params.len();
        let renumbered = renumber(&other.text, self.dialect, offset);
        self.text.push_str(&renumbered);
        self.params.extend(other.params.iter().cloned());
        self
    }

    /// Appends a comma-separated list of quoted columns, each prefixed with `alias.`.
    pub fn columns(&mut self, alias: &str, names: &[String]) -> &mut Self {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.column(alias, name);
        }
        self
    }

    /// Appends `(a.x, a.y)` for a composite key or `a.x` for a single column.
    pub fn tuple(&mut self, alias: &str, names: &[String]) -> &mut Self {
        if names.len() == 1 {
            self.column(alias, &names[0])
        } else {
            self.push("(").columns(alias, names).push(")")
        }
    }

    /// Appends `<alias.columns> IN (SELECT <inner.inner_columns> FROM <table> <inner> WHERE `:
    /// the caller writes the inner condition and closes the parenthesis.
    pub fn in_select(
        &mut self,
        alias: &str,
        columns: &[String],
        table: &str,
        inner: &str,
        inner_columns: &[String],
    ) -> &mut Self {
        self.tuple(alias, columns)
            .push(" IN (SELECT ")
            .columns(inner, inner_columns)
            .push(" FROM ")
            .ident(table)
            .push(" ")
            .push(inner)
            .push(" WHERE ")
    }
}

/// How a timestamp column stores time, from its catalog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeStorage {
    /// Seconds since the Unix epoch.
    Epoch,
    /// A native timestamp or date type (PostgreSQL).
    Native,
    /// ISO 8601 text (SQLite's usual choice; text columns on PostgreSQL).
    Text,
}

fn time_storage(dialect: Dialect, sql_type: &str) -> TimeStorage {
    let t = sql_type.to_ascii_lowercase();
    if t.contains("int") || t == "numeric" || t.starts_with("numeric(") {
        TimeStorage::Epoch
    } else if dialect == Dialect::Postgres && (t.starts_with("timestamp") || t == "date") {
        TimeStorage::Native
    } else {
        TimeStorage::Text
    }
}

impl Sql {
    /// Appends a timestamp column as whole seconds since the Unix epoch (NULL stays NULL).
    pub fn epoch(&mut self, alias: &str, column: &str, sql_type: &str) -> &mut Self {
        let col = format!("{alias}.{}", self.dialect.quote(column));
        let expr = match (self.dialect, time_storage(self.dialect, sql_type)) {
            (Dialect::Postgres, TimeStorage::Epoch) => format!("CAST({col} AS bigint)"),
            (Dialect::Postgres, TimeStorage::Native) => {
                format!("CAST(floor(EXTRACT(EPOCH FROM {col})) AS bigint)")
            }
            (Dialect::Postgres, TimeStorage::Text) => {
                format!("CAST(floor(EXTRACT(EPOCH FROM CAST({col} AS timestamptz))) AS bigint)")
            }
            (Dialect::Sqlite, TimeStorage::Epoch) => format!("CAST({col} AS INTEGER)"),
            (Dialect::Sqlite, _) => format!("CAST(strftime('%s', {col}) AS INTEGER)"),
        };
        self.push(&expr)
    }

    /// Appends `<column> is before <at>`, whatever the column's time type; NULL is never
    /// before anything. Native PostgreSQL types compare directly, so an index on the column
    /// serves the comparison.
    pub fn before(
        &mut self,
        alias: &str,
        column: &str,
        sql_type: &str,
        at: crate::clock::Timestamp,
    ) -> &mut Self {
        let storage = time_storage(self.dialect, sql_type);
        match (self.dialect, storage) {
            (_, TimeStorage::Epoch) => {
                self.column(alias, column)
                    .push(" < ")
                    .bind(Param::Int(at.unix()));
            }
            (Dialect::Postgres, TimeStorage::Native) => {
                self.column(alias, column)
                    .push(" < ")
                    .bind_as(&at.to_canonical(), sql_type);
            }
            (Dialect::Postgres, TimeStorage::Text) => {
                self.push("CAST(")
                    .column(alias, column)
                    .push(" AS timestamptz) < ")
                    .bind_as(&at.to_canonical(), "timestamptz");
            }
            (Dialect::Sqlite, _) => {
                // julianday reads every ISO 8601 form SQLite knows ('T' or space, 'Z',
                // fractions), so text that sorts differently still compares as time.
                self.push("julianday(")
                    .column(alias, column)
                    .push(") < julianday(")
                    .bind(Param::Text(at.to_canonical()))
                    .push(")");
            }
        }
        self
    }
}

impl Sql {
    /// Appends a condition true when the text expression `haystack` contains `needle` (a bound
    /// value, never SQL): `strpos` in PostgreSQL, `instr` in SQLite. No `LIKE`, so `_` and `%`
    /// in an identifier (`jane_doe@…`, `jane%40…`) are plain characters.
    pub fn contains(&mut self, haystack: &str, needle: &str) -> &mut Self {
        let function = match self.dialect {
            Dialect::Postgres => "strpos(",
            Dialect::Sqlite => "instr(",
        };
        self.push(function)
            .push(haystack)
            .push(", ")
            .bind(Param::Text(needle.to_owned()))
            .push(") > 0")
    }
}

impl Sql {
    /// Appends a condition true when the text expression `text` is a hash as `anonymise =
    /// "hash"` writes it: 64 lower-case hexadecimal digits, inside JSON string quotes when
    /// `json`. The length, then no character outside `0-9a-f`: PostgreSQL's `!~ '[^0-9a-f]'`
    /// (an anchored `^[0-9a-f]{64}$` took 13 times as long: 1.76 s against 0.14 s on 200,000
    /// hashes), SQLite's `NOT GLOB` (it has no regular expressions built in).
    pub fn is_hex_digest(&mut self, text: &str, json: bool) -> &mut Self {
        let (length, digits) = if json {
            (66, format!("substr({text}, 2, 64)"))
        } else {
            (64, text.to_owned())
        };
        self.push("(length(")
            .push(text)
            .push(&format!(") = {length} AND "));
        if json {
            self.push("substr(")
                .push(text)
                .push(", 1, 1) = '\"' AND substr(")
                .push(text)
                .push(", 66, 1) = '\"' AND ");
        }
        match self.dialect {
            Dialect::Postgres => self.push(&digits).push(" !~ '[^0-9a-f]')"),
            Dialect::Sqlite => self.push(&digits).push(" NOT GLOB '*[^0-9a-f]*')"),
        }
    }
}

/// The SQL expression reading `alias.column` as text for a content scan, or `None` when the
/// column cannot hold text: text, varchar and json/jsonb columns cast to text; PostgreSQL's
/// bytea read with non-printable bytes escaped (`encode(…, 'escape')`), so an address stored
/// as bytes is still found, and inet/cidr as the address (`host(…)`); SQLite's BLOB and untyped
/// columns cast to text.
pub fn scan_text(dialect: Dialect, alias: &str, column: &super::ColumnInfo) -> Option<String> {
    let quoted = format!("{alias}.{}", dialect.quote(&column.name));
    match dialect {
        Dialect::Postgres if column.sql_type.eq_ignore_ascii_case("bytea") => {
            Some(format!("encode({quoted}, 'escape')"))
        }
        Dialect::Postgres if column.is_text() && is_text_type(&column.sql_type) => Some(quoted),
        Dialect::Postgres if column.is_address() => Some(format!("host({quoted})")),
        _ if column.is_text() || column.is_json() => Some(format!("CAST({quoted} AS text)")),
        // SQLite keeps text in a BLOB or untyped column as readily as in a TEXT one.
        Dialect::Sqlite if is_blob_affinity(&column.sql_type) => {
            Some(format!("CAST({quoted} AS text)"))
        }
        _ => None,
    }
}

/// SQLite's BLOB affinity: a column declared `BLOB` or with no type at all.
fn is_blob_affinity(sql_type: &str) -> bool {
    let t = sql_type.trim().to_ascii_lowercase();
    t.is_empty() || t.contains("blob")
}

fn is_text_type(sql_type: &str) -> bool {
    let t = sql_type.to_ascii_lowercase();
    t == "text" || t.starts_with("character varying") || t.starts_with("varchar") || t == "citext"
}

/// Shifts `$n` / `?n` placeholders by `offset`. Placeholders inside string literals or quoted
/// identifiers are left alone (privctl never writes such literals, but map conditions might).
fn renumber(text: &str, dialect: Dialect, offset: usize) -> String {
    let marker = match dialect {
        Dialect::Postgres => '$',
        Dialect::Sqlite => '?',
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == marker && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n: usize = digits.parse().expect("digits");
                out.push(marker);
                out.push_str(&(n + offset).to_string());
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_fragments_are_renumbered() {
        let mut a = Sql::new(Dialect::Postgres);
        a.push("x = ").bind(Param::Int(1));
        let mut b = Sql::new(Dialect::Postgres);
        b.push(" AND y = ")
            .bind(Param::Int(2))
            .push(" AND z = '$1'");
        a.append(&b);
        assert_eq!(a.text(), "x = $1 AND y = $2 AND z = '$1'");
        assert_eq!(a.params().len(), 2);
    }

    #[test]
    fn typed_binds_cast_on_postgres_only() {
        let mut pg = Sql::new(Dialect::Postgres);
        pg.bind_as("42", "bigint");
        assert_eq!(pg.text(), "CAST($1 AS bigint)");
        let mut lite = Sql::new(Dialect::Sqlite);
        lite.bind_as("42", "INTEGER");
        assert_eq!(lite.text(), "?1");
    }
}
