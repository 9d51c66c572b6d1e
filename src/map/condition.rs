//! `when` conditions: the one piece of SQL a map may write, checked to be exactly one expression.
//!
//! privctl pastes a condition into its statements as `AND (<condition>)`. Text that closes that
//! parenthesis (`true) OR (true`), ends the statement (`;`) or comments out the rest (`--`)
//! would change what the statement selects: a DSAR widened to every subject of the tenant. A
//! [`crate::db::MapCondition`] is only built from text that parses as one SQL expression, and a model is
//! only built when it does so in the database's own dialect ([`crate::db::MapCondition::check_in`]).

use sqlparser::dialect::Dialect as Grammar;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use crate::db::Dialect;

/// Why `text` is not one expression in any of privctl's dialects, if it is not (the check of
/// [`crate::db::MapCondition::parse`], made as the map is loaded, before the database and so
/// its dialect are known; the model then checks the database's).
pub(crate) fn one_expression_in_any(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(
            "is empty: give one SQL condition on this table (e.g. \"key = 'email'\")".into(),
        );
    }
    let mut first_error = None;
    for dialect in Dialect::ALL {
        match one_expression(text, dialect.sql_ops().grammar()) {
            Ok(()) => return Ok(()),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_default())
}

/// Why `text` is not exactly one SQL expression in `grammar`, if it is not.
pub(crate) fn one_expression(text: &str, grammar: &dyn Grammar) -> Result<(), String> {
    let tokens = Tokenizer::new(grammar, text)
        .tokenize_with_location()
        .map_err(|e| format!("is not SQL ({})", e.message))?;
    let mut depth = 0usize;
    for token in &tokens {
        match &token.token {
            Token::SemiColon => {
                return Err(
                    "holds `;`: a condition is one SQL expression, never a statement".into(),
                );
            }
            Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_),
            ) => {
                return Err("holds a comment (`--` or `/* */`), which would cut off the rest of privctl's statement".into());
            }
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    "closes a parenthesis it did not open (`)`): a condition cannot reach outside its own parentheses".to_owned()
                })?;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("leaves a parenthesis open (`(`)".into());
    }
    let mut parser = Parser::new(grammar).with_tokens_with_locations(tokens);
    parser
        .parse_expr()
        .map_err(|e| format!("is not one SQL expression ({})", parser_message(&e)))?;
    let rest = parser.peek_token();
    if rest.token != Token::EOF {
        return Err(format!(
            "is not one SQL expression: `{}` follows it (combine conditions with AND / OR inside it)",
            rest.token
        ));
    }
    Ok(())
}

/// The parser's message without its "sql parser error: " prefix.
fn parser_message(error: &sqlparser::parser::ParserError) -> String {
    let text = error.to_string();
    text.strip_prefix("sql parser error: ")
        .unwrap_or(&text)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use crate::db::{Dialect, MapCondition as Condition};

    #[test]
    fn one_expression_in_either_dialect_is_accepted() {
        for text in [
            "key = 'email'",
            "attribute_key_id IN (SELECT id FROM contact_attribute_keys WHERE key = 'email')",
            "kind = 'a;b' AND note <> '-- not a comment' AND x <> ')'",
            "CAST(payload AS text) LIKE '%@%'",
            "payload::text <> ''",
            "\"Notes\"\"\" IS NOT NULL",
        ] {
            Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        let [_, sqlite] = Dialect::ALL;
        Condition::parse("key = 'email'")
            .unwrap()
            .check_in(sqlite)
            .unwrap();
    }

    #[test]
    fn escapes_statements_and_comments_are_refused() {
        for (text, why) in [
            ("true) OR (true", "closes a parenthesis it did not open"),
            ("key = 'email') OR (1 = 1", "closes a parenthesis"),
            ("true; DROP TABLE contacts", "`;`"),
            ("key = 'email' -- and the rest", "comment"),
            ("key = 'email' /* the rest */", "comment"),
            ("(true", "parenthesis open"),
            ("DELETE FROM contacts", "not one SQL expression"),
            ("SELECT 1", "not one SQL expression"),
            ("key = 'email' key = 'phone'", "follows it"),
            ("key = 'unterminated", "not SQL"),
            ("", "empty"),
            ("   ", "empty"),
        ] {
            let error = Condition::parse(text).unwrap_err();
            assert!(error.contains(why), "{text:?}: {error}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}true{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(Condition::parse(&deep).is_err());
        let not = format!("{}true", "NOT ".repeat(5_000));
        assert!(Condition::parse(&not).is_err());
    }

    #[test]
    fn the_database_dialect_decides_where_a_string_ends() {
        // A dollar-quoted string is PostgreSQL's: in SQLite's grammar it is not one expression.
        let [postgres, sqlite] = Dialect::ALL;
        let dollar = Condition::parse("note = $$ it's ) fine $$").unwrap();
        dollar.check_in(postgres).unwrap();
        assert!(dollar.check_in(sqlite).is_err());
    }
}
