//! `[keys]`, where secrets come from, and `[blobs]`, the object stores rows name objects in.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Problems, quote_key};
use crate::map::{BlobStore, KeySource, Keys, TableSpec};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKeys {
    ledger: Option<String>,
    columns: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBlobStore {
    url: String,
}

impl RawKeys {
    /// Each key's source; `file:` paths are relative to `base`, the map's folder.
    pub(super) fn keys_checked(&self, base: &Path, p: &mut Problems) -> Keys {
        let mut keys = Keys::default();
        for (field, value, slot) in [
            ("ledger", &self.ledger, &mut keys.ledger),
            ("columns", &self.columns, &mut keys.columns),
        ] {
            if let Some(text) = value {
                match KeySource::parse(text, base) {
                    Ok(source) => *slot = Some(source),
                    Err(message) => p.add(format!("keys.{field}"), message),
                }
            }
        }
        keys
    }
}

/// The stores, and every table's `blob.store` naming one of them.
pub(super) fn blobs_checked(
    raw: &BTreeMap<String, RawBlobStore>,
    tables: &BTreeMap<String, TableSpec>,
    p: &mut Problems,
) -> BTreeMap<String, BlobStore> {
    let mut blobs = BTreeMap::new();
    for (name, store) in raw {
        let scheme_ok = ["file://", "s3://", "gs://", "az://", "memory://"]
            .iter()
            .any(|s| store.url.starts_with(s));
        if !scheme_ok {
            p.add(
                format!("blobs.{name}.url"),
                format!(
                    "`{}` is not a file://, s3://, gs:// or az:// URL",
                    store.url
                ),
            );
        }
        blobs.insert(
            name.clone(),
            BlobStore {
                url: store.url.clone(),
            },
        );
    }
    for (name, table) in tables {
        if let Some(blob) = &table.blob
            && !blobs.contains_key(&blob.store)
        {
            p.add(
                format!("tables.{}.blob.store", quote_key(name)),
                format!("no [blobs.{}] section defines this store", blob.store),
            );
        }
    }
    blobs
}
