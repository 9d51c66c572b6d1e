//! Everything privctl prints goes through here: data and results to stdout (a table for people
//! or one JSON document for scripts), status and warnings to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal as _, Write as _};

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

/// Output format of results (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// One JSON document on stdout.
    Json,
}

/// The printer.
#[derive(Debug, Clone)]
pub struct Ui {
    pub format: Format,
    quiet: bool,
    progress: bool,
}

impl Ui {
    pub fn new(format: Format, quiet: bool, no_progress: bool) -> Self {
        let progress = !quiet && !no_progress && std::io::stderr().is_terminal();
        Self {
            format,
            quiet,
            progress,
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Whether progress bars may be drawn (stderr is a terminal, not quiet).
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// Prints one JSON document on stdout.
    pub fn json(&self, value: &Value) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        out.flush()
    }

    /// Prints a line of result text on stdout.
    pub fn line(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()
    }

    /// Prints text on stdout as it is.
    pub fn raw(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Prints a table on stdout.
    pub fn table(&self, header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(header.to_vec());
        for row in rows {
            table.add_row(row);
        }
        self.line(&table.to_string())
    }

    /// A status line on stderr (silent with --quiet).
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A warning on stderr (always shown).
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }
}

/// An error and its causes on one line, `outer: inner: …`, for the operator. A cause that only
/// repeats the one before it (a database error and its wrapped source) is said once, and a
/// database's refusal of a value (SQLSTATE class 22: `invalid input syntax for type bigint:
/// "…"`) is said without the value, which may be a data subject's identifier.
pub fn describe(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        if let Some(refusal) = refused_value(cause) {
            parts.push(refusal);
            break;
        }
        let text = cause.to_string();
        if parts.last().is_some_and(|last| last.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    one_line(&parts.join(": "))
}

/// Text for one line of a terminal: line breaks and tabs become spaces, and other control
/// characters are escaped (`\u{1b}`), so an error never spans lines and text from a map or a
/// flag can never drive the terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A list over several lines (`problems:\n  a\n  b`) reads `problems: a; b`.
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        for c in line.chars() {
            match c {
                '\t' => out.push(' '),
                c if c.is_control() => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
    }
    out
}

/// `the database refused a value given (22P02: invalid input syntax for type bigint)` for a
/// data exception, the part of the message that quotes the value left out.
fn refused_value(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    let database = cause.downcast_ref::<sqlx::Error>()?.as_database_error()?;
    let code = database.code()?;
    if !code.starts_with("22") {
        return None;
    }
    let message = database.message();
    let what = message.split(':').next().unwrap_or(message).trim();
    Some(format!(
        "the database refused a value given ({code}: {what}); check that each value given (the tenant id, the identifiers) fits the type of its column"
    ))
}

/// Prints a command-line error as clap words it, in privctl's form: one `error:` line, then
/// clap's tips and the usage as `hint:` lines.
pub fn print_usage_error(rendered: &str) {
    let mut error = String::new();
    let mut hints = Vec::new();
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(tip) = line.strip_prefix("tip: ") {
            hints.push(tip.to_owned());
        } else if let Some(usage) = line.strip_prefix("Usage: ") {
            hints.push(format!("usage: {usage}"));
        } else if line.starts_with("For more information") {
            hints.push(line.trim_end_matches('.').to_owned());
        } else {
            let line = line.strip_prefix("error: ").unwrap_or(line);
            if !error.is_empty() {
                error.push(' ');
            }
            error.push_str(line);
        }
    }
    eprintln!("error: {}", one_line(&error));
    for hint in hints {
        eprintln!("hint: {}", one_line(&hint));
    }
}

/// Prints a failure and its hints on stderr.
pub fn print_error(error: &anyhow::Error) {
    eprintln!("error: {}", describe(error));
    for hint in crate::error::hints(error) {
        eprintln!("hint: {}", one_line(hint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_cannot_drive_the_terminal() {
        assert_eq!(
            one_line("too much:\n  13 rows of a\n  5 rows of b\n"),
            "too much: 13 rows of a; 5 rows of b"
        );
        assert_eq!(one_line("tenant `\u{1b}[31mx`"), "tenant `\\u{1b}[31mx`");
        assert_eq!(one_line("a\tb\r\nc"), "a b; c");
    }
}
