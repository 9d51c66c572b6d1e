//! Where exported rows go: one JSON document, NDJSON lines, or a directory of CSV files, each
//! file optionally encrypted. Everything is written to a partial output (see [`super::partial`])
//! until [`Sink::finish`] seals it.

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::html::{About, HtmlReport};
use super::{FileWriter, JsonBundle, KeyMaterial, OutputFile, Partial, Sealed, partial};
use crate::error::Failure;

/// `--output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON document (privctl-bundle/1)
    Json,
    /// One `{"table": …, "row": {…}}` per line, then `{"manifest": {…}}`
    Ndjson,
    /// A directory: one CSV file per table and manifest.json
    Csv,
}

/// What a finished export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// SHA-256 of the bundle file (json, ndjson) or of manifest.json (csv).
    pub sha256: String,
    pub bytes: u64,
    /// csv: each file's SHA-256.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub files: Map<String, Value>,
}

/// A bundle being written.
pub enum Sink {
    Json(JsonBundle<OutputFile>),
    Ndjson {
        file: OutputFile,
        table: String,
    },
    Csv(Box<CsvDirectory>),
    /// `dsar export --output-format html`: held until [`Sink::finish`] (see [`super::html`]).
    Html(Box<HtmlReport>),
}

impl Sink {
    /// Starts writing `out`; refuses at once if it exists and `force` is not given. First removes
    /// what killed runs left for the same `out` ([`Sink::leftovers_removed`]).
    pub fn create(
        format: OutputFormat,
        out: &Path,
        force: bool,
        key: Option<&KeyMaterial>,
        kind: &str,
        tenant: Option<&str>,
        generated_at: &str,
    ) -> Result<Self> {
        Ok(match format {
            OutputFormat::Json => Sink::Json(JsonBundle::begin(
                OutputFile::create(out, force, key)?,
                kind,
                tenant,
                generated_at,
            )?),
            OutputFormat::Ndjson => Sink::Ndjson {
                file: OutputFile::create(out, force, key)?,
                table: String::new(),
            },
            OutputFormat::Csv => Sink::Csv(Box::new(CsvDirectory::create(out, force, key)?)),
        })
    }

    /// The subject's report as one HTML page; `about` says who holds the data, why and for how
    /// long (see [`super::html::describe`]).
    pub fn html(out: &Path, force: bool, key: Option<&KeyMaterial>, about: About) -> Result<Self> {
        let file = OutputFile::create(out, force, key)?;
        Ok(Sink::Html(Box::new(HtmlReport::new(file, about))))
    }

    /// Partial outputs of killed runs for this destination that were removed.
    pub fn leftovers_removed(&self) -> &[PathBuf] {
        match self {
            Sink::Json(bundle) => bundle.get_ref().leftovers_removed(),
            Sink::Ndjson { file, .. } => file.leftovers_removed(),
            Sink::Csv(dir) => &dir.leftovers,
            Sink::Html(report) => report.file().leftovers_removed(),
        }
    }

    /// Starts a table; `columns` are the columns its rows may have, in order.
    pub fn begin_table(&mut self, name: &str, columns: &[String]) -> Result<()> {
        match self {
            Sink::Json(bundle) => bundle.begin_table(name),
            Sink::Ndjson { table, .. } => {
                *table = name.to_owned();
                Ok(())
            }
            Sink::Csv(dir) => dir.begin_table(name, columns),
            Sink::Html(report) => {
                report.begin_table(name, columns);
                Ok(())
            }
        }
    }

    pub fn row(&mut self, row: &Map<String, Value>) -> Result<()> {
        match self {
            Sink::Json(bundle) => bundle.row(row),
            Sink::Ndjson { file, table } => {
                use std::io::Write as _;
                serde_json::to_writer(&mut *file, &json!({"table": table, "row": row}))?;
                file.write_all(b"\n")?;
                Ok(())
            }
            Sink::Csv(dir) => dir.row(row),
            Sink::Html(report) => {
                report.row(row);
                Ok(())
            }
        }
    }

    /// Whether [`Sink::row_text`] can take rows as JSON text (CSV and HTML need the values).
    pub fn takes_text(&self) -> bool {
        !matches!(self, Sink::Csv(_) | Sink::Html(_))
    }

    /// A row already rendered as a JSON object (see [`Sink::takes_text`]).
    pub fn row_text(&mut self, row: &str) -> Result<()> {
        match self {
            Sink::Json(bundle) => bundle.row_text(row),
            Sink::Ndjson { file, table } => {
                use std::io::Write as _;
                writeln!(file, "{{\"table\":{},\"row\":{row}}}", json!(table))?;
                Ok(())
            }
            Sink::Csv(_) | Sink::Html(_) => unreachable!("needs values; check takes_text"),
        }
    }

    pub fn end_table(&mut self) -> Result<()> {
        match self {
            Sink::Json(bundle) => bundle.end_table(),
            Sink::Ndjson { .. } => Ok(()),
            Sink::Csv(dir) => dir.end_table(),
            Sink::Html(report) => {
                report.end_table();
                Ok(())
            }
        }
    }

    /// Writes the manifest and seals the output, still at its partial path.
    pub fn finish(self, manifest: Value) -> Result<Sealed> {
        match self {
            Sink::Json(bundle) => bundle.finish(&manifest)?.seal(),
            Sink::Ndjson { mut file, .. } => {
                use std::io::Write as _;
                serde_json::to_writer(&mut file, &json!({ "manifest": manifest }))?;
                file.write_all(b"\n")?;
                file.seal()
            }
            Sink::Csv(dir) => (*dir).finish(manifest),
            Sink::Html(report) => (*report).finish(&manifest),
        }
    }
}

/// A directory of CSV files, one per table, plus manifest.json with each file's SHA-256,
/// written inside a partial directory that becomes the destination only when complete: a
/// failure never leaves CSV files without their manifest.
pub struct CsvDirectory {
    partial: Partial,
    destination: PathBuf,
    force: bool,
    key: Option<KeyMaterial>,
    current: Option<(String, Vec<String>, csv::Writer<FileWriter>)>,
    files: Map<String, Value>,
    leftovers: Vec<PathBuf>,
}

impl CsvDirectory {
    fn create(dir: &Path, force: bool, key: Option<&KeyMaterial>) -> Result<Self> {
        let leftovers = partial::remove_leftovers(dir)?;
        if dir.exists() && !force {
            return Err(Failure::failed(format!("{} already exists", dir.display()))
                .with_hint("choose another --out, or pass --force to write into it")
                .into());
        }
        if dir.exists() && !dir.is_dir() {
            return Err(Failure::failed(format!(
                "{} exists and is not a directory (csv writes a directory)",
                dir.display()
            ))
            .into());
        }
        Ok(Self {
            partial: Partial::directory(dir)?,
            destination: dir.to_owned(),
            force,
            key: key.cloned(),
            current: None,
            files: Map::new(),
            leftovers,
        })
    }

    fn file_name(&self, base: &str) -> String {
        if self.key.is_some() {
            format!("{base}.enc")
        } else {
            base.to_owned()
        }
    }

    /// A new file in the partial directory (mode 0600), its errors naming it at the destination.
    fn create_file(&self, file_name: &str, key: Option<&KeyMaterial>) -> Result<FileWriter> {
        let shown = self.destination.join(file_name).display().to_string();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.partial.path().join(file_name))
            .with_context(|| format!("creating {shown}"))?;
        FileWriter::new(file, key, shown)
    }

    fn begin_table(&mut self, name: &str, columns: &[String]) -> Result<()> {
        let file_name = self.file_name(&format!("{name}.csv"));
        let file = self.create_file(&file_name, self.key.as_ref())?;
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(columns)?;
        self.current = Some((file_name, columns.to_vec(), writer));
        Ok(())
    }

    fn row(&mut self, row: &Map<String, Value>) -> Result<()> {
        let (_, columns, writer) = self.current.as_mut().expect("begin_table first");
        let record = columns.iter().map(|c| match row.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
        writer.write_record(record)?;
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        let (file_name, _, writer) = self.current.take().expect("begin_table first");
        // The error names the file already (see FileWriter).
        let file = writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
        let (sha256, bytes) = file.finish()?;
        self.files
            .insert(file_name, json!({"sha256": sha256, "bytes": bytes}));
        Ok(())
    }

    fn finish(self, mut manifest: Value) -> Result<Sealed> {
        manifest["files"] = Value::Object(self.files.clone());
        // The manifest stays readable (counts and digests, no personal data) so a recipient
        // can check every file before decrypting it.
        let mut file = self.create_file("manifest.json", None)?;
        serde_json::to_writer_pretty(&mut file, &manifest)?;
        let (sha256, bytes) = file.finish()?;
        Ok(Sealed {
            partial: self.partial,
            destination: self.destination,
            force: self.force,
            written: Written {
                sha256,
                bytes,
                files: self.files,
            },
        })
    }
}
