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
    subject: Option<String>,
    /// One source, or a list of them while a key is being rotated (each signs).
    signing: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `[ledger]`: the log's name.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLedger {
    origin: Option<String>,
}

impl RawLedger {
    /// `origin`, as C2SP checkpoints carry it: a schema-less URL such as
    /// `privctl.example.com/prod-eu`, printable ASCII without spaces.
    pub(super) fn origin_checked(&self, p: &mut Problems) -> Option<String> {
        let origin = self.origin.as_ref()?;
        if origin.is_empty() || origin.len() > 255 || !origin.bytes().all(|b| b.is_ascii_graphic())
        {
            p.add(
                "ledger.origin",
                "must be 1 to 255 printable ASCII characters without spaces, such as \"privctl.example.com/prod-eu\"",
            );
            return None;
        }
        Some(origin.clone())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBlobStore {
    url: String,
    /// S3: another endpoint than AWS's (an S3-compatible store), `https://` or `http://`.
    endpoint: Option<String>,
    /// S3: the bucket's region.
    region: Option<String>,
    /// S3: the access key id, `env:VAR` or `file:PATH`.
    access_key_id: Option<String>,
    /// S3: the secret access key, `env:VAR` or `file:PATH`.
    secret_access_key: Option<String>,
}

impl RawKeys {
    /// Each key's source; `file:` paths are relative to `base`, the map's folder.
    pub(super) fn keys_checked(&self, base: &Path, p: &mut Problems) -> Keys {
        let mut keys = Keys::default();
        for (field, value, slot) in [
            ("ledger", &self.ledger, &mut keys.ledger),
            ("columns", &self.columns, &mut keys.columns),
            ("subject", &self.subject, &mut keys.subject),
        ] {
            if let Some(text) = value {
                match KeySource::parse(text, base) {
                    Ok(source) => *slot = Some(source),
                    Err(message) => p.add(format!("keys.{field}"), message),
                }
            }
        }
        let signing = match &self.signing {
            None => Vec::new(),
            Some(OneOrMany::One(text)) => vec![text.clone()],
            Some(OneOrMany::Many(texts)) => texts.clone(),
        };
        for (i, text) in signing.iter().enumerate() {
            match KeySource::parse(text, base) {
                Ok(source) => keys.signing.push(source),
                Err(message) if signing.len() == 1 => p.add("keys.signing", message),
                Err(message) => p.add(format!("keys.signing[{i}]"), message),
            }
        }
        keys
    }
}

/// The stores, and every table's `blob.store` naming one of them.
pub(super) fn blobs_checked(
    raw: &BTreeMap<String, RawBlobStore>,
    tables: &BTreeMap<String, TableSpec>,
    base: &Path,
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
        let s3 = store.url.starts_with("s3://");
        let mut secret = |field: &str, value: &Option<String>| {
            let text = value.as_ref()?;
            if !s3 {
                p.add(
                    format!("blobs.{name}.{field}"),
                    "only an s3:// store takes credentials in the map",
                );
                return None;
            }
            KeySource::parse(text, base)
                .map_err(|message| p.add(format!("blobs.{name}.{field}"), message))
                .ok()
        };
        let access_key_id = secret("access_key_id", &store.access_key_id);
        let secret_access_key = secret("secret_access_key", &store.secret_access_key);
        if s3 && store.access_key_id.is_some() != store.secret_access_key.is_some() {
            p.add(
                format!("blobs.{name}"),
                "access_key_id and secret_access_key go together",
            );
        }
        for (field, value) in [("endpoint", &store.endpoint), ("region", &store.region)] {
            if value.is_some() && !s3 {
                p.add(
                    format!("blobs.{name}.{field}"),
                    "only an s3:// store takes this setting",
                );
            }
        }
        if let Some(endpoint) = &store.endpoint
            && !endpoint.starts_with("https://")
            && !endpoint.starts_with("http://")
        {
            p.add(
                format!("blobs.{name}.endpoint"),
                format!("`{endpoint}` is not an http:// or https:// URL"),
            );
        }
        blobs.insert(
            name.clone(),
            BlobStore {
                url: store.url.clone(),
                endpoint: store.endpoint.clone(),
                region: store.region.clone(),
                credentials: access_key_id.zip(secret_access_key),
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
