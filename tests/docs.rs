//! The pages in `commands/` are tests: every ```console block runs against a fresh SQLite
//! database built from the conversational-ai fixture, so the docs cannot drift from the binary.
//!
//! In a block, `$ cmd` runs `cmd` with bash in the page's working directory (stdout and stderr
//! together); the lines after it are the expected output. `[..]` in a line matches any text,
//! a line `...` matches any number of lines, and a last line `? N` expects exit code N
//! (default 0).

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory as _;

use crate::support::{Dialect, TestDb, fixture_path};

fn pages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("commands")
}

/// One `$ command` and what it must print.
#[derive(Debug)]
struct Example {
    command: String,
    expected: Vec<String>,
    code: i32,
    line: usize,
}

fn examples(page: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<Example> = None;
    for (i, line) in page.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            if in_block {
                out.extend(current.take());
            }
            in_block = !in_block && line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some(Example {
                command: command.to_owned(),
                expected: Vec::new(),
                code: 0,
                line: i + 1,
            });
        } else if let Some(example) = current.as_mut() {
            match line.strip_prefix("? ").and_then(|c| c.trim().parse().ok()) {
                Some(code) => example.code = code,
                None => example.expected.push(line.to_owned()),
            }
        }
    }
    out
}

/// `[..]` matches any text within a line.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// Lines match with `...` standing for any number of lines.
fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| output_matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| line_matches(first, a))
                && output_matches(rest, &actual[1..])
        }
    }
}

async fn run_page(path: &Path) {
    let page = std::fs::read_to_string(path).unwrap();
    let db = TestDb::new(Dialect::Sqlite).await;
    db.load_fixture("conversational-ai").await;
    let work = db.home();
    std::fs::create_dir_all(&work).unwrap();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_privctl"));
    let map = fixture_path("conversational-ai").join("privctl.toml");
    let path_var = format!("{}:/usr/bin:/bin", binary.parent().unwrap().display());
    let env = [
        ("PATH", path_var.as_str()),
        ("HOME", work.to_str().unwrap()),
        ("DATABASE_URL", db.url.as_str()),
        ("PRIVCTL_MAP", map.to_str().unwrap()),
        ("PRIVCTL_LEDGER_KEY", "docs-ledger-key"),
        ("PRIVCTL_ACTOR", "ops@example.com"),
        ("PRIVCTL_NOW", "2026-11-25T10:00:00Z"),
        ("LANG", "C"),
        ("TZ", "UTC"),
    ];
    let name = path.file_name().unwrap().to_string_lossy();
    let list = examples(&page);
    assert!(
        !list.is_empty(),
        "commands/{name} has no ```console example"
    );
    for example in list {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!("{} 2>&1", example.command))
            .env_clear()
            .envs(env)
            .current_dir(&work)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let actual: Vec<&str> = text.lines().collect();
        let code = output.status.code().unwrap_or(-1);
        assert!(
            code == example.code && output_matches(&example.expected, &actual),
            "commands/{name}:{}: `{}`\n--- expected (exit {}):\n{}\n--- actual (exit {code}):\n{text}",
            example.line,
            example.command,
            example.code,
            example.expected.join("\n"),
        );
    }
    db.cleanup().await;
}

#[tokio::test]
async fn every_command_page_runs_as_documented() {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(pages_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    for page in pages {
        run_page(&page).await;
    }
}

/// Every subcommand (leaf of the command tree) has `commands/<path-joined-by-dashes>.md`.
#[test]
fn every_subcommand_has_a_page() {
    fn leaves(command: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = if prefix.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{prefix}-{}", sub.get_name())
            };
            if sub.has_subcommands() {
                leaves(sub, &name, out);
            } else {
                out.push(name);
            }
        }
    }
    let mut names = Vec::new();
    leaves(&privctl::cli::Cli::command(), "", &mut names);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !pages_dir().join(format!("{n}.md")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "subcommands without a page in commands/: {missing:?}"
    );
}

#[test]
fn the_matcher_understands_wildcards() {
    assert!(line_matches(
        "token pct_[..] (expires [..]).",
        "token pct_ab12 (expires 2026)."
    ));
    assert!(!line_matches("rows: 3", "rows: 4"));
    let expected = vec!["a".to_owned(), "...".to_owned(), "z".to_owned()];
    assert!(output_matches(&expected, &["a", "b", "c", "z"]));
    assert!(!output_matches(&expected, &["a", "b"]));
}
