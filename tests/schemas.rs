//! `schemas/` publishes the JSON Schema of every `--format json` document, generated from the
//! types that print them (`privctl::report::schema`). These tests keep the files current and
//! check real outputs against them. Refresh the files after changing a report type:
//! `PRIVCTL_BLESS=1 cargo test --test main schemas`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::cli::dsar::{JANE, dsar};
use crate::cli::purge_retention::NOW;
use crate::support::bundle::{random_key, write_key_file};
use crate::support::fixture::{setup_with_map_copy, token_of};
use crate::support::{Dialect, Privctl, both_dialects};

const LEDGER_KEY: &str = "schema-tests-ledger-key-5c18e0";

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

#[test]
fn schema_files_are_current() {
    let dir = schemas_dir();
    let bless = std::env::var_os("PRIVCTL_BLESS").is_some();
    let mut stale = Vec::new();
    let mut names = BTreeSet::new();
    for document in privctl::report::schema::documents() {
        let file = format!("{}.json", document.name);
        let text = serde_json::to_string_pretty(&document.schema).unwrap() + "\n";
        let path = dir.join(&file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.clone());
        }
        assert!(names.insert(file), "two documents named {}", document.name);
    }
    let listed: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let unknown: Vec<&String> = listed.difference(&names).collect();
    assert!(
        stale.is_empty() && unknown.is_empty(),
        "schemas/{stale:?} differ from the report types, schemas/{unknown:?} match no document; refresh with `PRIVCTL_BLESS=1 cargo test --test main schemas` (and remove files of documents that are gone)"
    );
}

/// The committed schema `schemas/<name>.json`.
fn schema(name: &str) -> Value {
    let path = schemas_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Where `value` breaks `schema`, one line per place (`$.tables[0].rows: …`); empty when it
/// conforms. The keywords schemars writes: `$ref` into `$defs`, `type`, `const`, `enum`,
/// `minimum`, `properties`, `required`, `additionalProperties`, `items`, `anyOf`, `oneOf`,
/// `allOf`; annotations (`format`, `description`, …) are not checked.
fn violations(root: &Value, schema: &Value, value: &Value, path: &str) -> Vec<String> {
    let mut found = Vec::new();
    let schema = match schema {
        Value::Bool(true) => return found,
        Value::Bool(false) => return vec![format!("{path}: no value is allowed here")],
        Value::Object(schema) => schema,
        other => panic!("{path}: not a schema: {other}"),
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or_else(|| panic!("{path}: unresolved $ref {reference}"));
        found.extend(violations(root, target, value, path));
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => panic!("{path}: a type that is not a name: {other}"),
        };
        if !types.iter().any(|t| has_type(value, t)) {
            found.push(format!(
                "{path}: {value} is not of type {}",
                types.join(" or ")
            ));
            return found;
        }
    }
    if let Some(expected) = schema.get("const")
        && value != expected
    {
        found.push(format!("{path}: {value} is not {expected}"));
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(value)
    {
        found.push(format!("{path}: {value} is not one of {allowed:?}"));
    }
    if let (Some(minimum), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && n < minimum
    {
        found.push(format!("{path}: {n} is below the minimum {minimum}"));
    }
    if let Value::Object(object) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().expect("a required key is a string");
            if !object.contains_key(key) {
                found.push(format!("{path}: the required key `{key}` is missing"));
            }
        }
        for (key, item) in object {
            let at = format!("{path}.{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(property) => found.extend(violations(root, property, item, &at)),
                None => {
                    if let Some(other) = schema.get("additionalProperties") {
                        found.extend(violations(root, other, item, &at));
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(each)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            found.extend(violations(root, each, item, &format!("{path}[{i}]")));
        }
    }
    for (keyword, passing) in [("anyOf", 1..=usize::MAX), ("oneOf", 1..=1)] {
        if let Some(Value::Array(branches)) = schema.get(keyword) {
            let results: Vec<Vec<String>> = branches
                .iter()
                .map(|branch| violations(root, branch, value, path))
                .collect();
            let passed = results.iter().filter(|r| r.is_empty()).count();
            if !passing.contains(&passed) {
                found.push(format!(
                    "{path}: {passed} of the {keyword} branches match, not {passing:?}: {}",
                    results.concat().join("; ")
                ));
            }
        }
    }
    for branch in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        found.extend(violations(root, branch, value, path));
    }
    found
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        other => panic!("unknown type {other}"),
    }
}

/// Fails naming every place where `document` breaks `schemas/<name>.json`.
#[track_caller]
fn assert_conforms(name: &str, document: &Value) {
    let schema = schema(name);
    let found = violations(&schema, &schema, document, "$");
    assert!(
        found.is_empty(),
        "this output breaks schemas/{name}.json:\n{}\n{document:#}",
        found.join("\n")
    );
}

/// A small schema in the shape schemars writes: a `$ref` into `$defs`, a nullable field, an
/// `anyOf` of a definition and `null`, an enum, a map.
fn sample_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "action": {"type": "string", "const": "dsar-delete"},
            "tenant": {"type": ["string", "null"]},
            "total_rows": {"type": "integer", "minimum": 0},
            "tables": {"type": "array", "items": {"$ref": "#/$defs/Table"}},
            "head": {"anyOf": [{"$ref": "#/$defs/Head"}, {"type": "null"}]},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}}
        },
        "required": ["action", "tenant", "total_rows", "tables"],
        "$defs": {
            "Table": {
                "type": "object",
                "properties": {
                    "table": {"type": "string"},
                    "effect": {"type": "string", "enum": ["delete", "anonymise", "retain"]}
                },
                "required": ["table", "effect"]
            },
            "Head": {
                "type": "object",
                "properties": {"seq": {"type": "integer"}, "hash": {"type": "string"}},
                "required": ["seq", "hash"]
            }
        }
    })
}

fn sample_violations(value: Value) -> Vec<String> {
    let schema = sample_schema();
    violations(&schema, &schema, &value, "$")
}

#[test]
fn the_check_accepts_a_conforming_document() {
    let found = sample_violations(json!({
        "action": "dsar-delete", "tenant": null, "total_rows": 3,
        "tables": [{"table": "contacts", "effect": "delete"}],
        "head": {"seq": 1, "hash": "ab"}, "counts": {"contacts": 3}, "extra": true
    }));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_check_names_the_path_of_a_wrong_type_or_a_missing_key() {
    let found = sample_violations(json!({
        "action": "dsar-delete", "tenant": 7, "total_rows": 3,
        "tables": [{"table": "contacts", "effect": "delete"}, {"table": "orders"}],
    }));
    assert_eq!(
        found,
        [
            "$.tables[1]: the required key `effect` is missing",
            "$.tenant: 7 is not of type string or null",
        ]
    );
    let found = sample_violations(json!({"tenant": "acme", "total_rows": 3, "tables": []}));
    assert_eq!(found, ["$: the required key `action` is missing"]);
}

#[test]
fn the_check_follows_refs_consts_enums_maps_and_any_of() {
    let base = json!({"action": "dsar-delete", "tenant": "acme", "total_rows": 0, "tables": []});
    let with = |key: &str, value: Value| {
        let mut document = base.clone();
        document[key] = value;
        sample_violations(document)
    };
    assert_eq!(
        with("action", json!("delete-tenant")),
        [r#"$.action: "delete-tenant" is not "dsar-delete""#]
    );
    assert_eq!(
        with("total_rows", json!(-1)),
        ["$.total_rows: -1 is below the minimum 0"]
    );
    assert_eq!(
        with("total_rows", json!(1.5)),
        ["$.total_rows: 1.5 is not of type integer"]
    );
    assert_eq!(
        with("tables", json!([{"table": "t", "effect": "shred"}])),
        [
            r#"$.tables[0].effect: "shred" is not one of [String("delete"), String("anonymise"), String("retain")]"#
        ]
    );
    assert_eq!(
        with("counts", json!({"contacts": "3"})),
        [r#"$.counts.contacts: "3" is not of type integer"#]
    );
    let head = with("head", json!({"seq": "1", "hash": "ab"}));
    assert_eq!(head.len(), 1, "{head:?}");
    assert!(
        head[0].starts_with("$.head: 0 of the anyOf branches match"),
        "{head:?}"
    );
    assert!(with("head", json!(null)).is_empty());
}

both_dialects! {
    /// The real commands' `--format json` documents conform to their published schemas: every
    /// document in schemas/ is checked at least once, on the conversational-ai fixture.
    async fn every_document_conforms_to_its_schema(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let mut checked = BTreeSet::new();
        let mut check = |name: &str, document: Value| {
            assert_conforms(name, &document);
            checked.insert(name.to_owned());
            document
        };
        let json = |args: &[&str]| -> Privctl { privctl.clone().args(["--format", "json"]).args(args) };

        check("init", json(&["init"]).run().success().json());

        let preview = check("dsar-preview", dsar(&privctl, "preview", "acme", &JANE, &[]).success().json());
        let plan = check("dsar-delete.plan", dsar(&privctl, "delete", "acme", &JANE, &[]).success().json());
        assert_eq!(preview["tables"], plan["tables"]);
        let bundle = db.dir().join("jane.json");
        let out = bundle.to_str().unwrap();
        check("dsar-export", dsar(&privctl, "export", "acme", &JANE, &["--out", out]).success().json());
        check("dsar-scan", dsar(&privctl, "scan", "acme", &JANE, &[]).success().json());
        let token = token_of(&plan);
        check(
            "dsar-delete.execution",
            dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]).success().json(),
        );

        let key_file = write_key_file(db.dir(), "bundle.key", &random_key());
        let key = key_file.to_str().unwrap();
        let encrypted = db.dir().join("globex.json.enc");
        let encrypted = encrypted.to_str().unwrap();
        let export = ["export-tenant", "--tenant", "globex", "--out", encrypted, "--encrypt", "--key-file", key];
        check("export-tenant", json(&export).run().success().json());
        let decrypted = db.dir().join("globex.json");
        let decrypt = ["decrypt", "--key-file", key, encrypted, decrypted.to_str().unwrap()];
        check("decrypt", json(&decrypt).run().success().json());

        let plan = check(
            "delete-tenant.plan",
            json(&["delete-tenant", "--tenant", "globex"]).run().success().json(),
        );
        let token = token_of(&plan);
        check(
            "delete-tenant.execution",
            json(&["delete-tenant", "--tenant", "globex", "--confirm", &token]).run().success().json(),
        );

        // An as-of dry run (no token, `as_of` set) is a plan document too.
        check(
            "purge-retention.plan",
            json(&["purge-retention", "--as-of", "2027-01-01T00:00:00Z", "--allow-large"])
                .run()
                .success()
                .json(),
        );
        let plan = check("purge-retention.plan", json(&["purge-retention"]).run().success().json());
        let token = token_of(&plan);
        check(
            "purge-retention.execution",
            json(&["purge-retention", "--confirm", &token]).run().success().json(),
        );
        check(
            "purge-retention.blobs-only",
            json(&["purge-retention", "--blobs-only"]).run().success().json(),
        );

        check("audit-verify", json(&["audit-verify"]).run().success().json());
        check("audit-head", json(&["audit", "head"]).run().success().json());
        check("audit-log", json(&["audit", "log"]).run().success().json());
        check("map-check", json(&["map", "check"]).run().json());
        check("status", json(&["status"]).run().success().json());

        let documents: BTreeSet<String> = privctl::report::schema::documents()
            .iter()
            .map(|d| d.name.to_owned())
            .collect();
        let unchecked: Vec<_> = documents.difference(&checked).collect();
        assert!(unchecked.is_empty(), "no real output checked against {unchecked:?}");
        db.cleanup().await;
    }
}
