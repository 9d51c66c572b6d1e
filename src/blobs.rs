//! Deleting objects from blob stores through the outbox: rows name their objects in
//! `privctl_blob_outbox` in the same transaction that deletes them; [`drain`] deletes the objects
//! and marks the entries done. A failure stays in the outbox (with its error and attempt count)
//! and is retried by the next run: never lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _};

use crate::clock::Timestamp;
use crate::db::{Db, Param, Tx, TxMode};
use crate::map::{BlobStore, DataMap};

/// What one drain did.
#[derive(Debug, Default, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct DrainReport {
    pub deleted: u64,
    pub failed: u64,
    /// `store: key: error` for failures (object keys are storage paths, not identifiers).
    pub errors: Vec<String>,
}

/// Opens a store from its `[blobs.NAME]` section; relative `file://` paths are relative to the
/// map's folder.
pub fn open_store(store: &BlobStore, map_dir: &Path) -> Result<Arc<dyn ObjectStore>> {
    let url = store.url.as_str();
    if let Some(path) = url.strip_prefix("file://") {
        let path = PathBuf::from(path);
        let path = if path.is_absolute() {
            path
        } else {
            map_dir.join(path)
        };
        if !path.is_dir() {
            // No directory, no objects: nothing to delete (and nothing is created here).
            return Ok(Arc::new(object_store::memory::InMemory::new()));
        }
        let store = object_store::local::LocalFileSystem::new_with_prefix(&path)
            .with_context(|| format!("opening blob store {url}"))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("s3://") {
        return open_s3(store);
    }
    #[cfg(feature = "cloud")]
    {
        let parsed = url::Url::parse(url).with_context(|| format!("blob store {url}"))?;
        // Credentials come from the environment, as each cloud SDK documents (GOOGLE_*, AZURE_*).
        #[allow(clippy::disallowed_methods)]
        let options: Vec<(String, String)> = std::env::vars().collect();
        let (opened, prefix) = object_store::parse_url_opts(&parsed, options)
            .with_context(|| format!("opening blob store {url}"))?;
        return Ok(with_prefix(Arc::from(opened), prefix.as_ref()));
    }
    #[allow(unreachable_code)]
    Err(anyhow::anyhow!(
        "blob store {url}: this privctl was built without gs:// and az:// stores; rebuild with `cargo build --features cloud`"
    ))
}

/// An S3 bucket (`s3://BUCKET/PREFIX`): the environment's `AWS_*` settings, then the map's
/// `endpoint`, `region` and credentials (`env:`/`file:`). Requests give up after 2 retries
/// within 15 s (a connection within 5 s), so a store that is down fails the run's objects
/// (they stay queued) instead of holding the run for minutes.
#[cfg(feature = "s3")]
fn open_s3(store: &BlobStore) -> Result<Arc<dyn ObjectStore>> {
    use object_store::aws::AmazonS3Builder;
    use object_store::{BackoffConfig, ClientOptions, RetryConfig};
    // reqwest is built without a crypto provider of its own: ring, as for sqlx.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = store.url.as_str();
    let rest = &url["s3://".len()..];
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        // One `DELETE /key` per object: every S3-compatible store has it (not all have the
        // bulk `POST /?delete`), and the store's answer is about that key alone.
        .with_disable_bulk_delete(true)
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(15),
        })
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(std::time::Duration::from_secs(5))
                .with_timeout(std::time::Duration::from_secs(30)),
        );
    if let Some(endpoint) = &store.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &store.region {
        builder = builder.with_region(region);
    }
    if let Some((id, secret)) = &store.credentials {
        let text = |source: &crate::map::KeySource| -> Result<String> {
            String::from_utf8(source.load()?)
                .map_err(|_| anyhow::anyhow!("the credential {source} is not UTF-8 text"))
        };
        builder = builder
            .with_access_key_id(text(id)?)
            .with_secret_access_key(text(secret)?);
    }
    let opened = builder
        .build()
        .with_context(|| format!("opening blob store {url}"))?;
    let prefix = ObjectPath::parse(prefix.trim_end_matches('/'))
        .map_err(|e| anyhow::anyhow!("blob store {url}: the prefix: {e}"))?;
    Ok(with_prefix(Arc::new(opened), &prefix))
}

#[cfg(not(feature = "s3"))]
fn open_s3(store: &BlobStore) -> Result<Arc<dyn ObjectStore>> {
    Err(anyhow::anyhow!(
        "blob store {}: this privctl was built without s3:// stores; rebuild with the default features",
        store.url
    ))
}

/// Keys below `prefix` of `store` (the path part of the store's URL).
#[allow(dead_code)] // without s3 and cloud
fn with_prefix(store: Arc<dyn ObjectStore>, prefix: &ObjectPath) -> Arc<dyn ObjectStore> {
    if prefix.as_ref().is_empty() {
        store
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(
            store,
            prefix.clone(),
        ))
    }
}

/// Queues objects for deletion, in the transaction that deletes the rows naming them.
pub async fn enqueue(
    tx: &mut Tx,
    store: &str,
    table: &str,
    tenant: Option<&str>,
    objects: &[String],
    now: Timestamp,
) -> Result<()> {
    for chunk in objects.chunks(200) {
        let mut sql = tx.sql();
        sql.push("INSERT INTO privctl_blob_outbox (store, object_key, source_table, tenant, enqueued_at) VALUES ");
        for (i, key) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(Param::Text(store.to_owned()))
                .push(", ")
                .bind(Param::Text(key.clone()));
            sql.push(", ")
                .bind(Param::Text(table.to_owned()))
                .push(", ")
                .bind(tenant.map_or(Param::Null, |t| Param::Text(t.to_owned())));
            sql.push(", ")
                .bind(Param::Text(now.to_canonical()))
                .push(")");
        }
        tx.execute(&sql).await.context("queueing blob deletions")?;
    }
    Ok(())
}

/// Deletes the outbox's pending objects (of one tenant, or all) and marks them done.
/// How many objects are queued and not yet deleted (of `tenant`, or of all).
pub async fn pending(db: &Db, tenant: Option<&str>) -> Result<u64> {
    let mut sql = db.sql();
    sql.push("SELECT CAST(count(*) AS text) FROM privctl_blob_outbox WHERE done_at IS NULL");
    if let Some(tenant) = tenant {
        sql.push(" AND tenant = ")
            .bind(Param::Text(tenant.to_owned()));
    }
    let mut tx = db.begin(TxMode::Snapshot).await?;
    let count = tx
        .fetch_column(&sql)
        .await
        .context("counting the blob outbox")?
        .into_iter()
        .flatten()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    tx.rollback().await?;
    Ok(count)
}

/// Deletes the queued objects (of `tenant`, or all), 500 at a time. Each batch is recorded in
/// one transaction: its outbox rows marked done (or given their error) together with a
/// `blob-delete` ledger entry of its own (how many objects went, per store, and how many
/// failed), so no object is ever marked gone without an entry that counts it. A kill between
/// an object's deletion and its batch's commit leaves the batch queued; the next drain deletes
/// those objects again, which a store answers as done (a missing object counts as deleted).
pub async fn drain(
    db: &Db,
    map: &DataMap,
    ledger: &crate::ledger::Ledger,
    tenant: Option<&str>,
    now: Timestamp,
) -> Result<DrainReport> {
    let mut stores = Stores::new(map);
    let mut report = DrainReport::default();
    let mut after = 0i64;
    loop {
        let mut sql = db.sql();
        sql.push("SELECT CAST(id AS text), store, object_key FROM privctl_blob_outbox WHERE done_at IS NULL AND id > ")
            .bind(Param::Int(after));
        if let Some(tenant) = tenant {
            sql.push(" AND tenant = ")
                .bind(Param::Text(tenant.to_owned()));
        }
        sql.push(" ORDER BY privctl_blob_outbox.id LIMIT 500");
        let mut tx = db.begin(TxMode::Write).await?;
        let rows = tx
            .fetch_rows(&sql)
            .await
            .context("reading the blob outbox")?;
        tx.commit().await?;
        if rows.is_empty() {
            return Ok(report);
        }
        let first = rows.first().and_then(|r| r[0].clone()).unwrap_or_default();
        let mut batch = Batch::default();
        let mut deleted_ids = Vec::new();
        let mut updates = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row[0].as_deref().unwrap_or("0").parse()?;
            after = id;
            let (store_name, key) = (
                row[1].clone().unwrap_or_default(),
                row[2].clone().unwrap_or_default(),
            );
            let outcome = stores.delete(&store_name, &key).await;
            let mut update = db.sql();
            match &outcome {
                Ok(()) => {
                    update
                        .push("UPDATE privctl_blob_outbox SET done_at = ")
                        .bind(Param::Text(now.to_canonical()));
                    update.push(", attempts = attempts + 1, last_error = NULL");
                    batch.deleted += 1;
                    deleted_ids.push(id);
                    *batch.stores.entry(store_name).or_default() += 1;
                    crate::fault::objects_deleted(report.deleted + batch.deleted);
                }
                Err(e) => {
                    let message = describe(e);
                    update
                        .push(
                            "UPDATE privctl_blob_outbox SET attempts = attempts + 1, last_error = ",
                        )
                        .bind(Param::Text(message.clone()));
                    batch.failed += 1;
                    report
                        .errors
                        .push(format!("{store_name}: {key}: {message}"));
                }
            }
            update.push(" WHERE id = ").bind(Param::Int(id));
            updates.push(update);
        }
        let details = serde_json::json!({
            "deleted": batch.deleted,
            "failed": batch.failed,
            "stores": batch.stores,
            "outbox": {"from": first, "to": after.to_string()},
            "outbox_deleted": crate::ledger::ids::IdSet::from_ids(deleted_ids).to_string(),
        });
        let outcome = if batch.failed == 0 { "done" } else { "partial" };
        let entry = crate::ledger::NewEntry::new("blob-delete", outcome, details).tenant(tenant);
        let mut tx = db.begin(TxMode::Write).await?;
        for update in &updates {
            tx.execute(update)
                .await
                .context("updating the blob outbox")?;
        }
        ledger
            .append(&mut tx, now, entry)
            .await
            .context("recording the deleted objects in the ledger")?;
        tx.commit().await.context("recording the deleted objects")?;
        report.deleted += batch.deleted;
        report.failed += batch.failed;
    }
}

impl DrainReport {
    /// The run's failure when objects could not be deleted: `done` says what is committed.
    pub fn failure(&self, done: &str) -> crate::error::Failure {
        crate::error::Failure::failed(format!(
            "{done}{} blob(s) could not be deleted and stay in the outbox: {}",
            self.failed,
            self.errors.join("; ")
        ))
        .with_hint("once the store accepts again (its credentials, permissions, endpoint), `privctl purge-retention --blobs-only` deletes what waits in the outbox; nothing is lost meanwhile")
    }
}

/// An object store's error for the operator: an S3 answer is an XML document, of which its
/// status, code and message say it all.
fn describe(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    let between = |open: &str, close: &str| {
        let start = text.find(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(text[start..end].to_owned())
    };
    match (
        between("<Code>", "</Code>"),
        between("<Message>", "</Message>"),
    ) {
        (Some(code), Some(message)) => {
            let status = between("status code: ", ":")
                .map(|s| format!("{s}, "))
                .unwrap_or_default();
            format!("the store refused: {status}{code}: {message}")
        }
        _ => text,
    }
}

/// What one batch of [`drain`] did, for its ledger entry.
#[derive(Default)]
struct Batch {
    deleted: u64,
    failed: u64,
    stores: std::collections::BTreeMap<String, u64>,
}

/// The stores one drain opened, by name: each is opened once, and one that cannot be opened
/// (credentials missing, say) fails each of its objects with the same message.
struct Stores<'a> {
    map: &'a DataMap,
    map_dir: PathBuf,
    opened: std::collections::HashMap<String, Result<Arc<dyn ObjectStore>, String>>,
}

impl<'a> Stores<'a> {
    fn new(map: &'a DataMap) -> Self {
        Self {
            map,
            map_dir: map.path.parent().unwrap_or(Path::new(".")).to_owned(),
            opened: std::collections::HashMap::new(),
        }
    }

    async fn delete(&mut self, store_name: &str, key: &str) -> Result<()> {
        let store = match self.opened.get(store_name) {
            Some(store) => store.clone(),
            None => {
                let opened = match self.map.blobs.get(store_name) {
                    Some(store) => {
                        open_store(store, &self.map_dir).map_err(|error| format!("{error:#}"))
                    }
                    None => Err(format!("no [blobs.{store_name}] in the map")),
                };
                self.opened.insert(store_name.to_owned(), opened.clone());
                opened
            }
        }
        .map_err(|error| anyhow::anyhow!(error))?;
        // `parse` refuses `..` and empty segments, so a hostile key cannot leave the store's prefix.
        let path =
            ObjectPath::parse(key).map_err(|e| anyhow::anyhow!("invalid object key: {e}"))?;
        match store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
