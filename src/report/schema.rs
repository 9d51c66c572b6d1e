//! The JSON Schema of every `--format json` document, generated from the very types that print
//! them, so a schema cannot drift from the output. Committed in `schemas/` (one file per
//! document) and kept current by a test: `PRIVCTL_BLESS=1 cargo test --test main schemas`.

use schemars::JsonSchema;
use serde_json::Value;

use super::PlanReport;
use super::audit::{AuditLog, Head, VerifyReport};
use super::execution::{Confirmed, DsarDeletion, TenantDeletion};
use super::export::{Decrypted, DsarExport, TenantExport};
use super::map::MapCheck;
use super::purge::{BlobsOnly, PurgeExecution, PurgePlan};
use super::scan::DsarScan;
use super::status::{Initialized, Status};

/// One document's schema, and the file it is published as: `schemas/<name>.json`.
pub struct Document {
    pub name: &'static str,
    pub schema: Value,
}

/// Every document a command prints with `--format json`, in the order of the commands' pages.
pub fn documents() -> Vec<Document> {
    vec![
        document::<PlanReport>(
            "dsar-preview",
            "privctl dsar preview",
            Some("dsar-delete"),
            "The plan of a subject's erasure, printed by `dsar preview` (and by `dsar delete` without --confirm): per table the rows and the effect, and the token that confirms it (null when nothing matched).",
        ),
        document::<PlanReport>(
            "dsar-delete.plan",
            "privctl dsar delete (without --confirm)",
            Some("dsar-delete"),
            "The plan of a subject's erasure, printed by `dsar delete` without --confirm (and by `dsar preview`): per table the rows and the effect, and the token that confirms it (null when nothing matched).",
        ),
        document::<Confirmed<DsarDeletion>>(
            "dsar-delete.execution",
            "privctl dsar delete --confirm",
            Some("dsar-delete"),
            "What `dsar delete --confirm` erased; or, when an earlier run already spent the token, the queued objects this run deleted (`already_done`).",
        ),
        document::<DsarExport>(
            "dsar-export",
            "privctl dsar export",
            Some("dsar-export"),
            "The bundle `dsar export` wrote: its path, digest, size and rows per table.",
        ),
        document::<DsarScan>(
            "dsar-scan",
            "privctl dsar scan",
            Some("dsar-scan"),
            "Where `dsar scan` found the subject's identifiers by content, and how many of those places are residue.",
        ),
        document::<PlanReport>(
            "delete-tenant.plan",
            "privctl delete-tenant (without --confirm)",
            Some("delete-tenant"),
            "The plan of a tenant's deletion, printed by `delete-tenant` without --confirm: per table the rows and the effect, and the token that confirms it.",
        ),
        document::<Confirmed<TenantDeletion>>(
            "delete-tenant.execution",
            "privctl delete-tenant --confirm",
            Some("delete-tenant"),
            "What `delete-tenant --confirm` erased; or, when an earlier run already spent the token, the queued objects this run deleted (`already_done`).",
        ),
        document::<TenantExport>(
            "export-tenant",
            "privctl export-tenant",
            Some("export-tenant"),
            "The bundle `export-tenant` wrote: its path, format, digest, size and rows per table.",
        ),
        document::<Decrypted>(
            "decrypt",
            "privctl decrypt",
            None,
            "The file `decrypt` wrote from an encrypted bundle.",
        ),
        document::<PurgePlan>(
            "purge-retention.plan",
            "privctl purge-retention (without --confirm)",
            Some("purge-retention"),
            "What `purge-retention` without --confirm would delete: the cutoffs, per table the expired rows, the partitions dropped whole, and the token that confirms it.",
        ),
        document::<Confirmed<PurgeExecution>>(
            "purge-retention.execution",
            "privctl purge-retention --confirm",
            Some("purge-retention"),
            "What `purge-retention --confirm` deleted (`complete` false when it stopped at --max-duration: the same command resumes it); or, when an earlier run already spent the token, the queued objects this run deleted (`already_done`).",
        ),
        document::<BlobsOnly>(
            "purge-retention.blobs-only",
            "privctl purge-retention --blobs-only",
            Some("purge-retention"),
            "What `purge-retention --blobs-only` deleted from the blob stores.",
        ),
        document::<VerifyReport>(
            "audit-verify",
            "privctl audit-verify",
            None,
            "Whether the ledger's hash chain verifies, and every problem found (exit 4 unless `ok`).",
        ),
        document::<Head>(
            "audit-head",
            "privctl audit head",
            None,
            "The ledger's last entry: keep it outside the database as an anchor for `audit-verify --anchor`.",
        ),
        document::<AuditLog>(
            "audit-log",
            "privctl audit log",
            None,
            "Recent ledger entries, newest first (never a subject's identifier).",
        ),
        document::<MapCheck>(
            "map-check",
            "privctl map check",
            None,
            "What `map check` found in the data map against the live schema: problems (exit 5) and warnings.",
        ),
        document::<Status>(
            "status",
            "privctl status",
            None,
            "What earlier runs left unfinished: jobs, objects queued for deletion, run locks.",
        ),
        document::<Initialized>(
            "init",
            "privctl init",
            None,
            "privctl's own tables are ready in the database.",
        ),
    ]
}

/// `T`'s schema with its `$id`, title and description; `action` (when the document names one)
/// fixed with `const` in the document's `action` key (in each alternative's, for a document
/// that is one of several shapes).
fn document<T: JsonSchema>(
    name: &'static str,
    command: &str,
    action: Option<&str>,
    description: &str,
) -> Document {
    // What is printed (the serialize contract): a key skipped when empty or zero is optional,
    // every other key is required.
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(action) = action {
        fix_action(&mut schema, action);
    }
    let root = schema.as_object_mut().expect("a schema is an object");
    root.insert("$id".into(), format!("urn:privctl:schemas:{name}").into());
    root.insert("title".into(), format!("{command} --format json").into());
    root.insert("description".into(), description.into());
    Document { name, schema }
}

fn fix_action(schema: &mut Value, action: &str) {
    // The document's own object, or each of its alternatives (definitions the root refers to).
    let alternatives: Vec<String> = schema["anyOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|branch| branch["$ref"].as_str())
        .filter_map(|reference| reference.strip_prefix("#/$defs/"))
        .map(str::to_owned)
        .collect();
    let mut objects = vec![&mut *schema];
    if !alternatives.is_empty() {
        objects = schema["$defs"]
            .as_object_mut()
            .expect("definitions")
            .iter_mut()
            .filter(|(name, _)| alternatives.contains(name))
            .map(|(_, definition)| definition)
            .collect();
    }
    for object in objects {
        if let Some(Value::Object(property)) = object.pointer_mut("/properties/action") {
            property.insert("const".into(), action.into());
        }
    }
}
