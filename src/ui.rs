//! Everything privctl prints goes through here: data and results to stdout (a table for people
//! or one JSON document for scripts), status and warnings to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal as _, Write as _};

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

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

    /// A progress bar of `len` steps drawn with `template` on stderr, or `None` when progress
    /// is not shown (not a terminal, `--quiet`, `--no-progress`, JSON output).
    pub fn progress_bar(&self, len: u64, template: &str) -> Option<indicatif::ProgressBar> {
        self.progress.then(|| {
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(template).expect("a valid template"),
            );
            bar
        })
    }

    /// A spinner counting steps, drawn with `template` on stderr and ticking on its own, or
    /// `None` when progress is not shown (as [`Ui::progress_bar`]).
    pub fn spinner(&self, template: &str) -> Option<indicatif::ProgressBar> {
        self.progress.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(template).expect("a valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        })
    }

    /// Prints one JSON document on stdout.
    pub fn json(&self, value: &impl serde::Serialize) -> std::io::Result<()> {
        // Through a Value, so every document's keys come out in one (sorted) order.
        let value = serde_json::to_value(value)?;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        out.flush()
    }

    /// Prints a line of result text on stdout (control characters escaped, see [`printable`]).
    pub fn line(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", printable(text))?;
        out.flush()
    }

    /// Prints text on stdout as it is.
    pub fn raw(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Prints a table on stdout. Its cells come from the database and the ledger (an actor, a
    /// tenant id): their control characters are escaped before the table is laid out.
    pub fn table(&self, header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(header.to_vec());
        for row in rows {
            table.add_row(row.iter().map(|cell| printable(cell)));
        }
        self.line(&table.to_string())
    }

    /// A status line on stderr (silent with --quiet).
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", printable(text));
        }
    }

    /// A warning on stderr (always shown).
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {}", printable(text));
    }
}

/// Text as it may reach a terminal: line breaks kept, every other control character escaped
/// (`\u{1b}`), so a value from a map, a flag or the database can never drive the terminal.
pub fn printable(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
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
    // A source that words itself like its wrapper (`error with configuration: error with
    // configuration: …`) is said once.
    let mut said: Vec<&str> = Vec::new();
    let joined = parts.join(": ");
    for part in joined.split(": ") {
        if said.last() != Some(&part) {
            said.push(part);
        }
    }
    one_line(&said.join(": "))
}

/// Text for one line of a terminal: line breaks and tabs become spaces, and other control
/// characters are escaped (`\u{1b}`), so an error never spans lines and text from a map or a
/// flag can never drive the terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A list over several lines (`problems:\n  - a\n  - b`) reads `problems: a; b`.
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut line = line;
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
            line = line.strip_prefix("- ").unwrap_or(line);
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
    let what = without_quoted(message.split(':').next().unwrap_or(message).trim());
    Some(format!(
        "the database refused a value given ({code}: {what}); check that each value given (the tenant id, the identifiers) fits the type of its column"
    ))
}

/// A database message with every double-quoted part (`value "…" is out of range for type
/// bigint`) replaced by `…`: the quoted part is the value given.
fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('"');
    out.push_str(parts.next().unwrap_or_default());
    while let Some(_quoted) = parts.next() {
        out.push('…');
        // An unclosed quote hides the rest.
        match parts.next() {
            Some(after) => out.push_str(after),
            None => break,
        }
    }
    out
}

/// Prints a command-line error as clap words it, in privctl's form: one `error:` line, then
/// clap's tips and the usage as `hint:` lines. An argument clap did not expect is repeated only
/// when it reads as a flag or a subcommand: a stray value may be a data subject's identifier
/// (`dsar preview --tenant acme jane.doe@example.com`).
pub fn print_usage_error(error: &clap::Error) {
    let mut rendered = error.render().to_string();
    let mut hints = Vec::new();
    if let Some(value) = unrepeatable_argument(error) {
        for quoted in [format!("'{value}'"), format!("'-- {value}'")] {
            rendered = rendered.replace(&quoted, "'…'");
        }
        hints.push(
            "the argument is not repeated here (it may be an identifier); every value follows its flag, e.g. --email VALUE"
                .to_owned(),
        );
    }
    let mut error = String::new();
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

/// The argument of an unknown-argument or unknown-subcommand error, unless it reads as a flag
/// (`--emial`) or a subcommand (`dsar-preview`), which are safe to repeat.
fn unrepeatable_argument(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = match error.kind() {
        ErrorKind::UnknownArgument => ContextKind::InvalidArg,
        ErrorKind::InvalidSubcommand => ContextKind::InvalidSubcommand,
        _ => return None,
    };
    let ContextValue::String(value) = error.get(context)? else {
        return None;
    };
    let name = value.trim_start_matches('-');
    let reads_as_a_name = value.len() - name.len() <= 2
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    (!reads_as_a_name).then(|| value.clone())
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
        assert_eq!(one_line("missing:\n  - a\n  - b"), "missing: a; b");
        assert_eq!(
            printable("\u{1b}]0;x\u{7}\nroot\r"),
            "\\u{1b}]0;x\\u{7}\nroot\\r"
        );
    }

    #[test]
    fn a_cause_is_said_once() {
        let error = anyhow::anyhow!("error with configuration: error with configuration: bad")
            .context("--database-url x");
        assert_eq!(
            describe(&error),
            "--database-url x: error with configuration: bad"
        );
        let error = anyhow::anyhow!("X at line 3").context("X at line 3");
        assert_eq!(describe(&error), "X at line 3");
    }

    #[test]
    fn a_refused_value_is_never_quoted() {
        assert_eq!(
            without_quoted(r#"value "99999999999999999999" is out of range for type bigint"#),
            "value … is out of range for type bigint"
        );
        assert_eq!(without_quoted(r#"a "b" c "d"#), "a … c …");
        assert_eq!(
            without_quoted("invalid input syntax"),
            "invalid input syntax"
        );
    }
}
