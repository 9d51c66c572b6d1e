//! The forms of SPEC section 2 that issue 12 added, and their bad spellings: each error names
//! the file, the key path and the value at fault. One file per section of the map.

mod erase;
mod identities;
mod tables;
mod tenant;

use std::path::Path;

use crate::map::*;

const FILE: &str = "maps/bad.toml";
/// Ends inside `[tenant]`: a test may add tenant keys before its first table.
const BASE: &str = "version = 1\n\
    [identities]\nemail = { kind = \"email\" }\nphone = { kind = \"phone\" }\n\
    [tenant]\ntable = \"orgs\"\nid = \"id\"\n";

fn parse(tables: &str) -> DataMap {
    DataMap::parse(&format!("{BASE}{tables}"), Path::new(FILE))
        .unwrap_or_else(|e| panic!("the map should be valid: {}", e.message))
}

/// The error for `tables` appended to [`BASE`], checked to name the file and each of `needles`.
#[track_caller]
fn refused(tables: &str, needles: &[&str]) -> String {
    let message = DataMap::parse(&format!("{BASE}{tables}"), Path::new(FILE))
        .map(|_| ())
        .expect_err("the map should be refused")
        .message;
    for needle in [FILE].iter().chain(needles) {
        assert!(message.contains(needle), "no {needle:?} in: {message}");
    }
    message
}

fn column(identity: &str, column: &str) -> IdentityColumn {
    IdentityColumn {
        identity: identity.into(),
        column: column.into(),
        when: None,
        json: None,
        identifies: None,
        within: false,
    }
}

#[test]
fn the_readme_maps_for_real_schemas_are_valid() {
    // "Mapping your platform": its maps are complete; the earlier overview is abridged.
    let readme = include_str!("../../../../README.md");
    let (_, section) = readme
        .split_once("### Mapping your platform")
        .expect("the README has a Mapping your platform section");
    let section = section.split("\n### ").next().unwrap_or_default();
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .filter(|block| block.starts_with("version = 1"))
        .collect();
    assert!(!blocks.is_empty(), "the README's map was not found");
    for block in blocks {
        if let Err(e) = DataMap::parse(block, Path::new("README.md")) {
            panic!("{}\n{block}", e.message);
        }
    }
}
