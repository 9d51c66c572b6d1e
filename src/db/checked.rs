//! SQL text that is not a bound value and does not come from privctl's own code: names from the
//! map and the catalog, catalog type names, JSON-path keys and map `when` conditions. Each is a
//! newtype that only a validating constructor builds, and the builder's methods that paste such
//! text take the newtype, so text that was never checked cannot reach a statement by accident.

use std::borrow::Cow;
use std::fmt;

use super::Dialect;

/// A checked SQL identifier: a table or column name as the map may give one. The builder always
/// quotes it ([`super::Sql::name`]), so it is only ever a name; the check refuses what no
/// database accepts as a name (nothing, more than PostgreSQL's 63 bytes, a control character).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("an empty name is not a valid identifier".into());
        }
        // Control characters first: a message never carries one raw, whatever else is wrong.
        if name.chars().any(|c| c.is_control()) {
            return Err(format!("{name:?} contains a control character"));
        }
        if name.len() > 63 {
            return Err(format!("`{name}` is longer than 63 bytes"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod ident_tests {
    /// The hostile proptest found a long name with a line break printed raw: the control
    /// character wins, and the message shows it escaped.
    #[test]
    fn a_long_name_with_a_control_character_is_shown_escaped() {
        let name = format!("{}\nx", "a".repeat(70));
        let message = super::Ident::new(&name).unwrap_err();
        assert!(!message.contains('\n'), "{message}");
        assert!(message.contains("control character"), "{message}");
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A type name as the catalog prints it (`bigint`, `character varying(255)`, `timestamp(3) with
/// time zone`, `"MyEnum"`, `public.mood[]`), checked to have a type name's shape so it can be
/// pasted after `AS` in a cast: names (bare or double-quoted), separated by spaces or dots, with
/// numeric modifiers in parentheses and array brackets. Nothing that could close the cast's
/// parenthesis, open a string or a comment, or end the statement passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlType(Cow<'static, str>);

impl SqlType {
    /// `text`: what a value read back from JSON is when its column is unknown.
    pub const TEXT: SqlType = SqlType(Cow::Borrowed("text"));
    /// `timestamptz`: PostgreSQL's instant.
    pub const TIMESTAMPTZ: SqlType = SqlType(Cow::Borrowed("timestamptz"));

    pub fn new(name: &str) -> Result<Self, String> {
        if type_name_shape(name) {
            Ok(Self(Cow::Owned(name.to_owned())))
        } else {
            Err(format!("{name:?} is not shaped like a type name"))
        }
    }

    /// A catalog's type name, or `text` when it fails the check (no catalog prints such a
    /// name; a cast to `text` then makes a comparison with another type fail, never widen).
    pub fn from_catalog(name: &str) -> Self {
        Self::new(name).unwrap_or(Self::TEXT)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What [`super::Sql::bind_as`] and [`super::Sql::key_in_json`] accept as a cast's type: a
/// [`SqlType`]. Catalog text (`&str`, `String`) is accepted only for the command files that the
/// issue-15 restructuring rewrites, and is checked here ([`SqlType::from_catalog`]); remove those
/// two impls once they pass [`SqlType`].
pub trait CastType {
    fn cast_type(&self) -> Cow<'_, SqlType>;
}

impl CastType for SqlType {
    fn cast_type(&self) -> Cow<'_, SqlType> {
        Cow::Borrowed(self)
    }
}

impl CastType for str {
    fn cast_type(&self) -> Cow<'_, SqlType> {
        Cow::Owned(SqlType::from_catalog(self))
    }
}

impl CastType for String {
    fn cast_type(&self) -> Cow<'_, SqlType> {
        Cow::Owned(SqlType::from_catalog(self))
    }
}

impl<T: CastType + ?Sized> CastType for &T {
    fn cast_type(&self) -> Cow<'_, SqlType> {
        (**self).cast_type()
    }
}

fn type_name_shape(name: &str) -> bool {
    let mut chars = name.chars().peekable();
    let mut any_name = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // A quoted name: anything but NUL, `""` for a quote, and it must close.
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '\0' => return false,
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return false;
                }
                any_name = true;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_' || *n == '$')
                {
                    chars.next();
                }
                any_name = true;
            }
            ' ' | '.' => {}
            '(' => {
                // Numeric modifiers only: `(255)`, `(10,2)`, `(10, 2)`.
                let mut digits = false;
                loop {
                    match chars.next() {
                        Some(d) if d.is_ascii_digit() => digits = true,
                        Some(',' | ' ') => {}
                        Some(')') if digits => break,
                        _ => return false,
                    }
                }
            }
            '[' => loop {
                match chars.next() {
                    Some(d) if d.is_ascii_digit() => {}
                    Some(']') => break,
                    _ => return false,
                }
            },
            _ => return false,
        }
    }
    any_name
}

/// One key of a JSON path (`$.contact.email` → `contact`, `email`): a plain object key of
/// letters, digits, `_` and `-`, so it can be written inside a string literal of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonKey(String);

impl JsonKey {
    pub fn new(key: &str) -> Result<Self, String> {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if plain {
            Ok(Self(key.to_owned()))
        } else {
            Err(format!("`{key}` is not a plain object key"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A map `when` condition: the one piece of SQL a map may write, built only from text that
/// parses as exactly one SQL expression ([`crate::map::condition`], with sqlparser), pasted by
/// [`super::Sql::condition`] inside its own parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapCondition(String);

impl MapCondition {
    /// Checks `text` as the map is loaded, before the database (and so its dialect) is known:
    /// it must be one expression in at least one of privctl's dialects.
    /// [`MapCondition::check_in`] then checks it in the database's.
    pub fn parse(text: &str) -> Result<Self, String> {
        crate::map::condition::one_expression_in_any(text)?;
        Ok(Self(text.to_owned()))
    }

    /// Checks the condition in `dialect`'s grammar: strings, quoted names and comments end
    /// where that database says they end.
    pub fn check_in(&self, dialect: Dialect) -> Result<(), String> {
        crate::map::condition::one_expression(&self.0, dialect.sql_ops().grammar())
    }

    /// The SQL text, for the builder only.
    pub(super) fn sql_text(&self) -> &str {
        &self.0
    }
}

/// For messages: the condition as the map wrote it.
impl fmt::Display for MapCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_type_names_pass_and_anything_else_does_not() {
        for name in [
            "bigint",
            "integer",
            "uuid",
            "text",
            "character varying(255)",
            "numeric(10,2)",
            "numeric(10, 2)",
            "timestamp with time zone",
            "timestamp(3) without time zone",
            "bit varying(8)",
            "interval year to month",
            "\"char\"",
            "\"MyEnum\"",
            "\"we\"\"ird\"",
            "public.mood",
            "my_schema.\"Mood\"[]",
            "integer[]",
            "integer[3][]",
            "INTEGER",
            "VARCHAR(40)",
            "DATETIME",
        ] {
            assert!(SqlType::new(name).is_ok(), "{name}");
        }
        for name in [
            "",
            " ",
            "int) OR (1 = 1",
            "text) FROM x WHERE (1",
            "text; DROP TABLE t",
            "text -- rest",
            "text /* rest */",
            "text'",
            "\"open",
            "int(a)",
            "int()",
            "int(1",
            "int[x]",
            "a\0b",
            "\"a\0b\"",
        ] {
            assert!(SqlType::new(name).is_err(), "{name:?}");
        }
        assert_eq!(SqlType::from_catalog("int) OR (true"), SqlType::TEXT);
    }

    #[test]
    fn json_keys_are_plain_names() {
        for key in ["email", "contact-email", "a_1", "0"] {
            assert!(JsonKey::new(key).is_ok(), "{key}");
        }
        for key in ["", "a'b", "a.b", "a b", "$", "a\"", "é"] {
            assert!(JsonKey::new(key).is_err(), "{key:?}");
        }
    }

    #[test]
    fn identifiers_are_names() {
        assert!(Ident::new("we\"ird name").is_ok());
        assert!(Ident::new("").is_err());
        assert!(Ident::new("a\0").is_err());
        assert!(Ident::new("a\nb").is_err());
        assert!(Ident::new(&"x".repeat(64)).is_err());
        let mut sql = super::super::Sql::new(Dialect::Sqlite);
        sql.name(&Ident::new("we\"ird").unwrap());
        assert_eq!(sql.text(), "\"we\"\"ird\"");
    }
}
