//! Bundles: what exports write. An output is written to a partial file (or directory) beside its
//! destination (see [`partial`]), synced, recorded in the ledger, and only then moved into place,
//! never over an existing file unless `--force`.

pub mod columns;
pub mod crypto;
pub mod export;
pub mod html;
mod json;
pub mod partial;
pub mod sink;

use std::fs::File;
use std::future::Future;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};

pub use crypto::{EncryptingWriter, KeyMaterial, decrypt};
pub use json::JsonBundle;
pub use partial::Partial;
pub use sink::Written;

use columns::ColumnCipher;

use crate::error::Failure;

/// Writes one file of an output: encrypts when given a key, hashes the bytes on disk
/// (ciphertext when encrypted), and names the file in every error (a full disk says where).
pub struct FileWriter {
    layer: Layer,
    shown: String,
}

enum Layer {
    Plain(BufWriter<HashingWriter<File>>),
    Encrypted(Box<EncryptingWriter<BufWriter<HashingWriter<File>>>>),
}

impl FileWriter {
    /// `shown` is the path the operator knows (the destination, not the partial file).
    pub fn new(file: File, key: Option<&KeyMaterial>, shown: String) -> Result<Self> {
        let plain = BufWriter::with_capacity(256 * 1024, HashingWriter::new(file));
        let layer = match key {
            None => Layer::Plain(plain),
            Some(key) => Layer::Encrypted(Box::new(EncryptingWriter::new(plain, key)?)),
        };
        Ok(Self { layer, shown })
    }

    /// Flushes and syncs; returns the file's SHA-256 (hex) and size.
    pub fn finish(self) -> Result<(String, u64)> {
        let shown = self.shown;
        let buffered = match self.layer {
            Layer::Plain(w) => w,
            Layer::Encrypted(w) => (*w).finish().with_context(|| format!("writing {shown}"))?,
        };
        let hashing = buffered
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {shown}"))?;
        let (file, digest, size) = hashing.finish();
        file.sync_all()
            .with_context(|| format!("writing {shown}"))?;
        Ok((digest, size))
    }

    fn flush_layers(&mut self) -> std::io::Result<()> {
        match &mut self.layer {
            Layer::Plain(w) => w.flush(),
            Layer::Encrypted(w) => w.flush(),
        }
    }

    fn named(&self, error: std::io::Error) -> std::io::Error {
        std::io::Error::new(error.kind(), format!("writing {}: {error}", self.shown))
    }
}

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match &mut self.layer {
            Layer::Plain(w) => w.write(buf),
            Layer::Encrypted(w) => w.write(buf),
        }
        .map_err(|e| self.named(e))?;
        crate::fault::wrote(n, || self.flush_layers()).map_err(|e| self.named(e))?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_layers().map_err(|e| self.named(e))
    }
}

/// A file being written to its partial path (see [`partial`]); [`OutputFile::seal`] finishes
/// it, and dropping it unfinished removes it.
pub struct OutputFile {
    writer: FileWriter,
    partial: Partial,
    destination: PathBuf,
    force: bool,
    leftovers: Vec<PathBuf>,
}

impl OutputFile {
    /// Starts writing `destination`; refuses at once if it exists and `force` is not given.
    /// With a key, everything written is encrypted (see [`crypto`]). First removes what killed
    /// runs left for the same destination ([`OutputFile::leftovers_removed`]).
    pub fn create(destination: &Path, force: bool, key: Option<&KeyMaterial>) -> Result<Self> {
        let leftovers = partial::remove_leftovers(destination)?;
        if destination.exists() && !force {
            return Err(
                Failure::failed(format!("{} already exists", destination.display()))
                    .with_hint("choose another --out, or pass --force to replace it")
                    .into(),
            );
        }
        let (partial, file) = Partial::file(destination)?;
        let writer = FileWriter::new(file, key, destination.display().to_string())?;
        Ok(Self {
            writer,
            partial,
            destination: destination.to_owned(),
            force,
            leftovers,
        })
    }

    /// Partial outputs of killed runs for this destination that were removed.
    pub fn leftovers_removed(&self) -> &[PathBuf] {
        &self.leftovers
    }

    /// Flushes and syncs the file, still at its partial path.
    pub fn seal(self) -> Result<Sealed> {
        let (sha256, bytes) = self.writer.finish()?;
        Ok(Sealed {
            partial: self.partial,
            destination: self.destination,
            force: self.force,
            written: Written {
                sha256,
                bytes,
                files: serde_json::Map::new(),
            },
        })
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// A complete output at its partial path: [`Sealed::publish`] records it and moves it into
/// place; dropped, it is removed.
pub struct Sealed {
    partial: Partial,
    destination: PathBuf,
    force: bool,
    pub written: Written,
}

impl Sealed {
    /// Awaits `record` (which commits the output's ledger entry) and only then moves the output
    /// into place. When the entry cannot be committed the output is removed and the command
    /// fails: no export exists that the ledger does not show. Returns what `record` returned.
    pub async fn publish<T>(self, record: impl Future<Output = Result<T>>) -> Result<(Written, T)> {
        let recorded = match record.await {
            Ok(recorded) => recorded,
            Err(error) => {
                let shown = self.destination.display().to_string();
                drop(self);
                return Err(error.context(
                Failure::failed(format!(
                    "the export could not be recorded in the ledger, so nothing was written to {shown}"
                ))
                .with_hint(
                    "privctl records every export before it hands the file over: run it again once this connection may append to privctl_ledger (PostgreSQL: GRANT INSERT ON privctl_ledger TO the role)",
                ),
            ));
            }
        };
        crate::fault::before_rename();
        Ok((self.move_into_place()?, recorded))
    }

    /// Moves the output into place without a ledger entry (`decrypt`, which reads no database).
    pub fn move_into_place(self) -> Result<Written> {
        self.partial
            .move_into_place(&self.destination, self.force)?;
        Ok(self.written)
    }
}

/// Passes writes through and hashes them.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.size)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Which exported columns are redacted (last four characters) or omitted: the listed columns of
/// `export = { column = mode }`, or with `export = "redact" | "omit"` the table's `encrypted`
/// columns when it lists any, otherwise every column that is not a key, the tenant column, a
/// link or the timestamp.
#[derive(Debug, Clone, Default)]
pub struct ColumnPolicy {
    /// (column, mode), never `include`.
    pub columns: Vec<(String, crate::map::ExportMode)>,
}

impl ColumnPolicy {
    /// The mode of one column.
    pub fn mode(&self, column: &str) -> crate::map::ExportMode {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map_or(crate::map::ExportMode::Include, |(_, mode)| *mode)
    }

    /// The manifest's entry: `{"redact": [columns], "omit": [columns]}`.
    pub fn manifest(&self) -> serde_json::Value {
        use crate::map::ExportMode;
        let mut out = serde_json::Map::new();
        for (name, mode) in [("redact", ExportMode::Redact), ("omit", ExportMode::Omit)] {
            let columns: Vec<&str> = self
                .columns
                .iter()
                .filter(|(_, m)| *m == mode)
                .map(|(c, _)| c.as_str())
                .collect();
            if !columns.is_empty() {
                out.insert(name.into(), serde_json::json!(columns));
            }
        }
        out.into()
    }
}

pub fn export_columns(node: &crate::model::Node) -> ColumnPolicy {
    use crate::map::{ExportMode, ExportSpec};
    let mode = match &node.spec.export {
        ExportSpec::Columns(columns) => {
            return ColumnPolicy {
                columns: columns
                    .iter()
                    .filter(|(_, mode)| **mode != ExportMode::Include)
                    .map(|(c, mode)| (c.clone(), *mode))
                    .collect(),
            };
        }
        ExportSpec::Table(ExportMode::Include) => return ColumnPolicy::default(),
        ExportSpec::Table(mode) => *mode,
    };
    let columns = if !node.spec.encrypted.is_empty() {
        node.spec.encrypted.clone()
    } else {
        let structural = |c: &str| {
            node.key.iter().any(|k| k == c)
                || node.tenant.as_ref().is_some_and(|(t, _)| t == c)
                || node.links.iter().any(|l| l.columns.iter().any(|l| l == c))
                || node.spec.timestamp.as_deref() == Some(c)
        };
        node.info
            .columns
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| !structural(c))
            .collect()
    };
    ColumnPolicy {
        columns: columns.into_iter().map(|c| (c, mode)).collect(),
    }
}

/// Applies a [`ColumnPolicy`] to one exported row.
pub fn redact_row(policy: &ColumnPolicy, row: &mut serde_json::Map<String, serde_json::Value>) {
    use crate::map::ExportMode;
    for (column, mode) in &policy.columns {
        match mode {
            ExportMode::Include => {}
            ExportMode::Omit => {
                row.remove(column);
            }
            ExportMode::Redact => {
                if let Some(value) = row.get_mut(column).filter(|v| !v.is_null()) {
                    *value = serde_json::Value::String(last_four(value));
                }
            }
        }
    }
}

/// `…1234`: only the last four characters of a value.
fn last_four(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 4 {
        return "****".into();
    }
    format!(
        "****{}",
        chars[chars.len() - 4..].iter().collect::<String>()
    )
}

/// How one table's rows are turned into exported rows.
pub struct RowShaping {
    pub policy: ColumnPolicy,
    /// Encrypted columns decrypted with `keys.columns` (none when the key is not configured).
    decrypt: Vec<String>,
    /// The exported columns, in table order (omitted ones left out).
    pub columns: Vec<String>,
}

impl RowShaping {
    pub fn new(node: &crate::model::Node, cipher: Option<&ColumnCipher>) -> Self {
        let policy = export_columns(node);
        let omitted = |c: &String| policy.mode(c) == crate::map::ExportMode::Omit;
        Self {
            decrypt: if cipher.is_some() {
                node.spec.encrypted.clone()
            } else {
                Vec::new()
            },
            columns: node
                .info
                .columns
                .iter()
                .map(|c| c.name.clone())
                .filter(|c| !omitted(c))
                .collect(),
            policy,
        }
    }

    /// Whether rows go out exactly as the database has them.
    pub fn is_identity(&self) -> bool {
        self.decrypt.is_empty() && self.policy.columns.is_empty()
    }

    pub fn apply(
        &self,
        table: &str,
        row: &mut serde_json::Map<String, serde_json::Value>,
        cipher: Option<&ColumnCipher>,
    ) -> Result<()> {
        if let Some(cipher) = cipher {
            for column in &self.decrypt {
                if let Some(serde_json::Value::String(stored)) = row.get(column) {
                    let plain = cipher.decrypt(stored).with_context(|| {
                        format!("decrypting {table}.{column} with keys.columns")
                    })?;
                    row.insert(column.clone(), serde_json::Value::String(plain));
                }
            }
        }
        redact_row(&self.policy, row);
        Ok(())
    }
}
