//! The one integration-test binary: every file in tests/ is a module of it, so the suite links
//! once. `every_test_file_is_included` fails when a file is missing here.

// The tests read their own environment (PRIVCTL_TEST_DATABASE_URL, PRIVCTL_BLESS, PROPTEST_CASES):
// clippy.toml's rule is for privctl itself.
#![allow(clippy::disallowed_methods)]

mod support;

mod audit;
mod audit_props;
mod audit_retention;
mod audit_third_party;
mod completions;
mod confirm;
mod discover;
mod docs;
mod dsar;
mod erasure;
mod export_files;
mod harness;
mod hostile;
mod map;
mod map_check;
mod migrations;
mod platform_chat_widget;
mod platform_conversational_ai;
mod platform_helpdesk_voice;
mod platform_voice_receptionist;
mod purge;
mod real_schemas;
mod residue;
mod rls;
mod shapes;
mod tenant;
mod unmapped_tables;

/// A test file without a `mod` line here would silently never run.
#[test]
fn every_test_file_is_included() {
    let tests_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main_rs =
        std::fs::read_to_string(tests_dir.join("main.rs")).expect("cannot read tests/main.rs");
    let declared: Vec<&str> = main_rs
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            line.strip_prefix("mod ")?.strip_suffix(';').map(str::trim)
        })
        .collect();

    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&tests_dir).expect("cannot list tests/") {
        let path = entry.expect("cannot list tests/").path();
        // A module is a `<name>.rs` file or a `<name>/mod.rs` folder.
        let module = if path.is_dir() && path.join("mod.rs").is_file() {
            path.file_name()
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            path.file_stem()
        } else {
            None
        };
        let Some(module) = module.and_then(|name| name.to_str()) else {
            continue;
        };
        if module != "main" && !declared.contains(&module) {
            missing.push(module.to_owned());
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "tests/main.rs has no `mod` line for: {} (add `mod {};` to tests/main.rs, or the file never runs)",
        missing.join(", "),
        missing.join(";`, `mod "),
    );
}
