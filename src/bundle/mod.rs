//! Bundles: what exports write. Files are created with mode 0600 beside their destination,
//! written as a stream, synced, and only then moved into place, never over an existing file
//! unless `--force`.

pub mod columns;
pub mod crypto;
mod json;
pub mod sink;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};

pub use crypto::{EncryptingWriter, KeyMaterial, decrypt};
pub use json::JsonBundle;

use columns::ColumnCipher;

use crate::error::Failure;

/// A file being written: a temporary file in the destination's directory, hashed as it goes
/// (the bytes on disk: ciphertext when encrypted), moved into place by [`OutputFile::finish`].
pub struct OutputFile {
    temp: tempfile::NamedTempFile,
    layer: Layer,
    destination: PathBuf,
    force: bool,
}

enum Layer {
    Plain(BufWriter<HashingWriter<File>>),
    Encrypted(Box<EncryptingWriter<BufWriter<HashingWriter<File>>>>),
}

impl OutputFile {
    /// Starts writing `destination`; refuses at once if it exists and `force` is not given.
    /// With a key, everything written is encrypted (see [`crypto`]).
    pub fn create(destination: &Path, force: bool, key: Option<&KeyMaterial>) -> Result<Self> {
        if destination.exists() && !force {
            return Err(
                Failure::failed(format!("{} already exists", destination.display()))
                    .with_hint("choose another --out, or pass --force to replace it")
                    .into(),
            );
        }
        let dir = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // tempfile creates the file with mode 0600.
        let temp = tempfile::Builder::new()
            .prefix(".privctl-")
            .suffix(".partial")
            .tempfile_in(dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        let file = temp.reopen().context("opening the bundle for writing")?;
        let plain = BufWriter::with_capacity(256 * 1024, HashingWriter::new(file));
        let layer = match key {
            None => Layer::Plain(plain),
            Some(key) => Layer::Encrypted(Box::new(EncryptingWriter::new(plain, key)?)),
        };
        Ok(Self {
            temp,
            layer,
            destination: destination.to_owned(),
            force,
        })
    }

    /// Flushes, syncs and moves the file into place; returns its SHA-256 (hex) and size.
    pub fn finish(self) -> Result<(String, u64)> {
        let shown = self.destination.display().to_string();
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
        let result = if self.force {
            self.temp.persist(&self.destination).map(drop)
        } else {
            self.temp.persist_noclobber(&self.destination).map(drop)
        };
        result
            .map_err(|e| e.error)
            .with_context(|| format!("moving the bundle into place at {shown}"))?;
        Ok((digest, size))
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.layer {
            Layer::Plain(w) => w.write(buf),
            Layer::Encrypted(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.layer {
            Layer::Plain(w) => w.flush(),
            Layer::Encrypted(w) => w.flush(),
        }
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
