//! A statement under construction: text with quoted identifiers and bound values only.

use super::Dialect;
use super::checked::{CastType, Ident, JsonKey, MapCondition, SqlType};

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

    /// Appends trusted SQL text: keywords and privctl's own fragments. Text from the map, the
    /// catalog or JSON paths goes through the methods that take its newtype instead
    /// ([`Sql::condition`], [`Sql::bind_as`], [`Sql::name`], [`Sql::json_path_text`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a quoted identifier.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        self.text.push_str(&self.dialect.quote(name));
        self
    }

    /// Appends a checked identifier, quoted.
    pub fn name(&mut self, name: &Ident) -> &mut Self {
        self.ident(name.as_str())
    }

    /// Appends a map `when` condition inside its own parentheses: `(<condition>)`.
    pub fn condition(&mut self, condition: &MapCondition) -> &mut Self {
        self.push("(").push(condition.sql_text()).push(")")
    }

    /// Appends the text at a JSON path of the document in `column_sql` (see
    /// [`super::SqlDialect::json_path_text`]).
    pub fn json_path_text(
        &mut self,
        column_sql: &str,
        json_typed: bool,
        path: &[JsonKey],
    ) -> &mut Self {
        let text = self
            .dialect
            .sql_ops()
            .json_path_text(column_sql, json_typed, path);
        self.push(&text)
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
        let placeholder = self.dialect.sql_ops().placeholder(self.params.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Appends a text value converted to a column's type (a [`SqlType`] from the catalog), so
    /// comparisons with integer, uuid or other typed columns use the column's index.
    pub fn bind_as(&mut self, value: &str, sql_type: &(impl CastType + ?Sized)) -> &mut Self {
        let sql_type = sql_type.cast_type();
        self.dialect
            .sql_ops()
            .push_typed_value(self, value, &sql_type);
        self
    }

    /// Ends a `SELECT` that reads rows to rewrite: PostgreSQL locks them (`FOR UPDATE`);
    /// SQLite's write transaction already holds the database.
    pub fn for_update(&mut self) -> &mut Self {
        let lock = self.dialect.sql_ops().for_update();
        self.push(lock)
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

    /// Appends `<alias.key> IN (SELECT …)` over `keys_json`, a JSON array of keys, each an array
    /// of its columns' values (`[[1], [2]]`, as a row key is written), bound as one value; on
    /// PostgreSQL each element is read back as its column's `types[i]`, so the key's index is
    /// used.
    pub fn key_in_json<T: CastType>(
        &mut self,
        alias: &str,
        key: &[String],
        types: &[T],
        keys_json: &str,
    ) -> &mut Self {
        self.tuple(alias, key).push(" IN (SELECT ");
        let types: Vec<SqlType> = types.iter().map(|t| t.cast_type().into_owned()).collect();
        self.dialect
            .sql_ops()
            .push_json_keys(self, &types, keys_json);
        self
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

impl Sql {
    /// Appends a timestamp column as whole seconds since the Unix epoch (NULL stays NULL).
    pub fn epoch(&mut self, alias: &str, column: &str, sql_type: &SqlType) -> &mut Self {
        self.dialect
            .sql_ops()
            .push_epoch(self, alias, column, sql_type);
        self
    }

    /// Appends `<column> is before <at>`, whatever the column's time type; NULL is never
    /// before anything. Native PostgreSQL types compare directly, so an index on the column
    /// serves the comparison.
    pub fn before(
        &mut self,
        alias: &str,
        column: &str,
        sql_type: &SqlType,
        at: crate::clock::Timestamp,
    ) -> &mut Self {
        self.dialect
            .sql_ops()
            .push_before(self, alias, column, sql_type, at);
        self
    }
}

impl Sql {
    /// Appends a condition true when the text expression `haystack` contains `needle` (a bound
    /// value, never SQL): `strpos` in PostgreSQL, `instr` in SQLite. No `LIKE`, so `_` and `%`
    /// in an identifier (`jane_doe@…`, `jane%40…`) are plain characters.
    pub fn contains(&mut self, haystack: &str, needle: &str) -> &mut Self {
        let function = self.dialect.sql_ops().position_function();
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
        let only_hex = self.dialect.sql_ops().only_hex_digits();
        self.push(&digits).push(only_hex).push(")")
    }
}

/// The SQL expression reading `alias.column` as text for a content scan, or `None` when the
/// column cannot hold text (see [`super::SqlDialect::scan_text`]).
pub fn scan_text(dialect: Dialect, alias: &str, column: &super::ColumnInfo) -> Option<String> {
    dialect.sql_ops().scan_text(alias, column)
}

/// `expr` with ASCII letters lower-cased and every other character kept, as privctl folds an
/// email (`str::to_ascii_lowercase`), in any collation.
pub fn fold_ascii_case(dialect: Dialect, expr: &str) -> String {
    dialect.sql_ops().fold_ascii_case(expr)
}

/// Shifts `$n` / `?n` placeholders by `offset`. Placeholders inside string literals or quoted
/// identifiers are left alone (privctl never writes such literals, but map conditions might).
fn renumber(text: &str, dialect: Dialect, offset: usize) -> String {
    let marker = dialect.sql_ops().placeholder_marker();
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
        pg.bind_as("42", &SqlType::new("bigint").unwrap());
        assert_eq!(pg.text(), "CAST($1 AS bigint)");
        let mut lite = Sql::new(Dialect::Sqlite);
        lite.bind_as("42", &SqlType::new("INTEGER").unwrap());
        assert_eq!(lite.text(), "?1");
    }

    #[test]
    fn catalog_text_that_is_not_a_type_name_is_never_pasted() {
        // Catalog text still reaches bind_as from the command files as &str: it is checked.
        let mut pg = Sql::new(Dialect::Postgres);
        pg.bind_as("42", "bigint) OR (1 = 1");
        assert_eq!(pg.text(), "$1");
        let mut pg = Sql::new(Dialect::Postgres);
        pg.key_in_json("t", &["id".to_owned()], &["int) OR (true"], "[[1]]");
        assert_eq!(
            pg.text(),
            r#"t."id" IN (SELECT CAST(j.e->>0 AS text) FROM json_array_elements(CAST($1 AS json)) AS j(e))"#
        );
    }

    #[test]
    fn map_conditions_and_json_keys_reach_the_text_only_checked() {
        let when = MapCondition::parse("kind = 'email'").unwrap();
        let mut sql = Sql::new(Dialect::Sqlite);
        sql.push("x AND ").condition(&when);
        assert_eq!(sql.text(), "x AND (kind = 'email')");
        assert!(MapCondition::parse("1 = 1) OR (1 = 1").is_err());
        let path = [
            JsonKey::new("contact").unwrap(),
            JsonKey::new("email").unwrap(),
        ];
        let mut pg = Sql::new(Dialect::Postgres);
        pg.json_path_text("t.\"doc\"", true, &path);
        assert_eq!(
            pg.text(),
            r#"jsonb_extract_path_text(CAST(t."doc" AS jsonb), 'contact', 'email')"#
        );
        let mut lite = Sql::new(Dialect::Sqlite);
        lite.json_path_text("t.\"doc\"", false, &path);
        assert_eq!(
            lite.text(),
            r#"CASE WHEN json_valid(t."doc") THEN json_extract(t."doc", '$.contact.email') END"#
        );
    }
}
