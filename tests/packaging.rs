//! Packaging (issue 18): contrib/ holds a Dockerfile, a Kubernetes CronJob and systemd units.
//! Nothing here can run a container or systemd, so this checks what would break them silently:
//! every privctl command line they hold is one the real command line accepts (flags renamed
//! since would fail here, not at 3 a.m.), they run as a user without privileges, no secret is on
//! a command line, and the README points at each. `.ci/run` installs privctl with `cargo install
//! --locked` from the clean checkout, as the Dockerfile does. man/ holds the man pages, kept
//! current like completions/.

use std::path::{Path, PathBuf};

use clap::Parser as _;

fn contrib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every privctl invocation in `text`: from a word `privctl` (or a path ending in it) to the end
/// of its shell command (`|`, `;`, `>`, `&&`, a closing quote, the end of the line), with
/// `"$(…)"` substitutions standing for one argument.
fn invocations(text: &str) -> Vec<Vec<String>> {
    let substituted = regex::Regex::new(r#""\$\([^)]*\)""#)
        .unwrap()
        .replace_all(text, "0");
    let mut found = Vec::new();
    for line in substituted.lines() {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let mut i = 0;
        while i < words.len() {
            if words[i] == "privctl" || words[i].ends_with("/privctl") {
                let mut args = vec!["privctl".to_owned()];
                i += 1;
                while i < words.len() && !matches!(words[i], "|" | ";" | ">" | ">>" | "&&" | "||") {
                    args.push(words[i].trim_end_matches(';').to_owned());
                    if words[i].ends_with(';') {
                        break;
                    }
                    i += 1;
                }
                found.push(args);
            }
            i += 1;
        }
    }
    found
}

#[test]
fn every_privctl_command_line_in_contrib_is_accepted_by_the_cli() {
    let files = [
        "systemd/privctl-purge.service",
        "systemd/privctl-anchor.service",
        "kubernetes/purge-cronjob.yaml",
    ];
    let mut checked = 0;
    for file in files {
        let text = read(&contrib().join(file));
        // The CronJob's command spans folded YAML lines: one shell line.
        let text = if file.ends_with(".yaml") {
            let start = text.find("- >-").expect("the folded command");
            let end = text[start..].find("env:").unwrap() + start;
            text[start + 4..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            text.lines()
                .filter(|l| l.starts_with("ExecStart="))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let found = invocations(&text);
        assert!(!found.is_empty(), "{file}: no privctl command line");
        for args in found {
            if let Err(error) = privctl::cli::Cli::try_parse_from(&args) {
                panic!(
                    "{file}: `{}` is refused by the command line:\n{error}",
                    args.join(" ")
                );
            }
            checked += 1;
        }
        assert!(
            !text.contains("postgres://") && !text.contains("PRIVCTL_LEDGER_KEY="),
            "{file}: a secret on a command line"
        );
    }
    assert!(checked >= 5, "only {checked} command lines found");
}

#[test]
fn contrib_runs_without_privileges_and_the_readme_points_at_it() {
    let docker = read(&contrib().join("Dockerfile"));
    let user = docker
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "the image runs as {user}"
    );
    assert!(
        docker.contains("cargo install --locked --path ."),
        "the Dockerfile installs as CI does"
    );
    let cronjob = read(&contrib().join("kubernetes/purge-cronjob.yaml"));
    assert!(
        cronjob.contains("runAsNonRoot: true")
            && cronjob.contains("allowPrivilegeEscalation: false")
    );
    assert!(cronjob.contains("concurrencyPolicy: Forbid"));
    for unit in ["privctl-purge.service", "privctl-anchor.service"] {
        let text = read(&contrib().join("systemd").join(unit));
        assert!(
            text.contains("\nUser=privctl\n") && text.contains("\nNoNewPrivileges=yes\n"),
            "{unit}"
        );
        assert!(
            text.contains("\nEnvironmentFile=/etc/privctl/env\n"),
            "{unit}: secrets from a file"
        );
        let timer = unit.replace(".service", ".timer");
        assert!(
            read(&contrib().join("systemd").join(&timer)).contains("OnCalendar="),
            "{timer}"
        );
    }
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    for file in [
        "contrib/Dockerfile",
        "contrib/kubernetes/purge-cronjob.yaml",
        "contrib/systemd/privctl-purge.service",
        "contrib/systemd/privctl-anchor.service",
        "man/",
    ] {
        assert!(readme.contains(file), "README does not mention {file}");
    }
}

/// man/ holds one page per command and subcommand, generated by clap_mangen from the real
/// command line; refresh with `PRIVCTL_BLESS=1 cargo test man_pages`.
#[test]
fn man_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = pages(
        <privctl::cli::Cli as clap::CommandFactory>::command(),
        "privctl",
        "privctl",
    );
    assert!(pages.len() > 20, "{} pages", pages.len());
    if std::env::var_os("PRIVCTL_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, page) in &pages {
        if std::fs::read(dir.join(name)).ok().as_deref() != Some(page.as_slice()) {
            stale.push(name.clone());
        }
    }
    let on_disk = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty() && on_disk == pages.len(),
        "man/ differs from the command line ({stale:?}; {on_disk} files for {} pages); refresh with `PRIVCTL_BLESS=1 cargo test man_pages`",
        pages.len()
    );
    let purge = String::from_utf8(
        pages
            .iter()
            .find(|(n, _)| n == "privctl-purge-retention.1")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(
        purge.contains("metrics\\-file"),
        "the purge page lists its flags"
    );
}

/// `privctl.1`, `privctl-dsar.1`, `privctl-dsar-delete.1`…: each command's page, named as
/// git's and cargo's are; `bin` is how it is typed (`privctl dsar delete`).
fn pages(command: clap::Command, name: &str, bin: &str) -> Vec<(String, Vec<u8>)> {
    // clap names are 'static (its `string` feature is off): a test may leak a few.
    let leak = |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
    let command = command.name(leak(name)).bin_name(leak(bin));
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .expect("a man page");
    let mut out = vec![(format!("{name}.1"), page)];
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let sub_name = sub.get_name();
        out.extend(pages(
            sub.clone(),
            &format!("{name}-{sub_name}"),
            &format!("{bin} {sub_name}"),
        ));
    }
    out
}
