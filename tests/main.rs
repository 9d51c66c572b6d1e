//! The one integration-test binary: every file in tests/ is a module of it, so the suite links
//! once. `every_test_file_is_included` fails when a file is missing here or in its folder's
//! mod.rs. Where a promise's tests are:
//!
//! - cli/: one file per command, named like its page in commands/ (cli/dsar/ and cli/map/ one
//!   per verb);
//! - tokens.rs: two-step confirmation; ledger/: the audit chain and the audit commands;
//!   platforms/: one end-to-end walk per platform fixture;
//! - the other files: promises across commands (erasure, export files, unmapped tables, map
//!   validation, hostile input, schema shapes, real schemas, database sessions) and the command
//!   pages (docs.rs);
//! - support/: the harness (a database per test in either dialect, the real binary in a sealed
//!   environment, fixtures), tested by harness.rs.

// The tests read their own environment (PRIVCTL_TEST_DATABASE_URL, PRIVCTL_BLESS, PROPTEST_CASES):
// clippy.toml's rule is for privctl itself.
#![allow(clippy::disallowed_methods)]

mod support;

mod blob_stores;
mod catalog;
mod cli;
mod docs;
mod erasure;
mod export_files;
mod harness;
mod hostile;
mod ledger;
mod map_validation;
mod metrics_file;
mod migrations;
mod packaging;
mod platforms;
mod real_schemas;
mod schemas;
mod sessions;
mod shapes;
mod tokens;
mod unmapped_tables;

/// A test file without a `mod` line would silently never run: every `.rs` file and module folder
/// (a folder with a `mod.rs`) in tests/ is declared in tests/main.rs, and every one inside a module
/// folder in that folder's `mod.rs`; a folder of `.rs` files without a `mod.rs` is reported too.
#[test]
fn every_test_file_is_included() {
    let tests_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut missing = Vec::new();
    undeclared_modules(&tests_dir, "main.rs", &mut missing);
    missing.sort();
    assert!(
        missing.is_empty(),
        "files that never run, for want of a `mod` line:\n{}",
        missing.join("\n"),
    );
}

/// Adds to `missing` each module of `dir` (a `<name>.rs` file or a `<name>/mod.rs` folder) that
/// `dir/<root>` does not declare, then looks inside each module folder the same way.
fn undeclared_modules(dir: &std::path::Path, root: &str, missing: &mut Vec<String>) {
    let shown = |path: &std::path::Path| {
        let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        path.strip_prefix(repository)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let root_path = dir.join(root);
    let root_text = std::fs::read_to_string(&root_path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", root_path.display()));
    let declared: Vec<&str> = root_text
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub(super) "))
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            line.strip_prefix("mod ")?.strip_suffix(';').map(str::trim)
        })
        .collect();
    let is_rust =
        |path: &std::path::Path| path.extension().is_some_and(|extension| extension == "rs");
    let listing = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
            .map(|entry| entry.expect("cannot list a folder of tests/").path())
            .collect();
        paths.sort();
        paths
    };
    for path in listing(dir) {
        let Some(name) = path.file_stem().and_then(|name| name.to_str()) else {
            continue;
        };
        if path.is_dir() {
            if path.join("mod.rs").is_file() {
                if !declared.contains(&name) {
                    missing.push(format!(
                        "{}/ (add `mod {name};` to {})",
                        shown(&path),
                        shown(&root_path)
                    ));
                }
                undeclared_modules(&path, "mod.rs", missing);
            } else if listing(&path).iter().any(|file| is_rust(file)) {
                missing.push(format!(
                    "{}/ (its .rs files need a mod.rs declaring them)",
                    shown(&path)
                ));
            }
        } else if is_rust(&path) && path != root_path && !declared.contains(&name) {
            missing.push(format!(
                "{} (add `mod {name};` to {})",
                shown(&path),
                shown(&root_path)
            ));
        }
    }
}
