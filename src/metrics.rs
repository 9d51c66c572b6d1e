//! `--metrics-file PATH` (purge-retention, delete-tenant, dsar delete): what a run did, in the
//! Prometheus text format that node_exporter's textfile collector reads, written when the run
//! ends, whatever its exit code, to a temporary file beside PATH and renamed over it, so the
//! collector never reads half a file.
//!
//! The commands record what they did as they report it ([`table`], [`batches`], [`blobs`]);
//! [`write`] adds the exit code, the duration and the times. `privctl_last_success_timestamp_seconds`
//! is carried over from the previous file while runs fail or only plan, so an alert on its age
//! fires when the nightly purge stops succeeding. Labels name the command and, for one tenant,
//! the tenant; never a data subject.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::blobs::DrainReport;
use crate::clock::Timestamp;
use crate::error::Failure;
use crate::map::Effect;

/// Where a run writes its metrics, and what it is.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    pub command: &'static str,
    pub tenant: Option<String>,
    /// A confirmed run (or `--blobs-only`): only such a run counts as a success.
    pub executes: bool,
}

impl Target {
    /// Refuses a path whose folder does not exist before the run does anything.
    pub fn check(&self) -> Result<(), Failure> {
        let folder = folder_of(&self.path);
        if !folder.is_dir() {
            return Err(Failure::usage(format!(
                "--metrics-file {}: the folder {} does not exist",
                self.path.display(),
                folder.display()
            )));
        }
        Ok(())
    }
}

#[derive(Default)]
struct Observed {
    /// Rows per table, with the effect when known.
    tables: BTreeMap<String, (u64, Option<Effect>)>,
    batches: Option<u64>,
    blobs: Option<(u64, u64)>,
}

static OBSERVED: Mutex<Observed> = Mutex::new(Observed {
    tables: BTreeMap::new(),
    batches: None,
    blobs: None,
});

fn observed() -> std::sync::MutexGuard<'static, Observed> {
    OBSERVED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Rows the run deleted or anonymised in `table`.
pub fn table(table: &str, effect: Option<Effect>, rows: u64) {
    observed().tables.insert(table.to_owned(), (rows, effect));
}

/// Batches the run committed.
pub fn batches(n: u64) {
    observed().batches = Some(n);
}

/// Objects the run deleted from blob stores, and those left queued.
pub fn blobs(report: &DrainReport) {
    let mut observed = observed();
    let (deleted, failed) = observed.blobs.unwrap_or((0, 0));
    observed.blobs = Some((deleted + report.deleted, failed + report.failed));
}

/// Writes the metrics of the run that ends now with `exit_code` after `duration`.
pub fn write(target: &Target, exit_code: u8, duration: Duration, now: Timestamp) -> Result<()> {
    let text = render(
        target,
        exit_code,
        duration,
        now,
        previous_success(&target.path),
    );
    let folder = folder_of(&target.path);
    let name = target
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, &target.path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("writing --metrics-file {}", target.path.display()))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The last success the file at `path` recorded, if it holds one.
fn previous_success(path: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|line| line.starts_with("privctl_last_success_timestamp_seconds{"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

fn render(
    target: &Target,
    exit_code: u8,
    duration: Duration,
    now: Timestamp,
    previous_success: Option<i64>,
) -> String {
    let observed = observed();
    let mut labels = format!("command=\"{}\"", escape(target.command));
    if let Some(tenant) = &target.tenant {
        labels.push_str(&format!(",tenant=\"{}\"", escape(tenant)));
    }
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(String, String)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (extra, value) in samples {
            out.push_str(&format!("{name}{{{labels}{extra}}} {value}\n"));
        }
    };
    let one = |value: String| vec![(String::new(), value)];
    gauge(
        "privctl_exit_code",
        "The exit code of the last run (0: success).",
        &one(exit_code.to_string()),
    );
    gauge(
        "privctl_executed",
        "Whether the last run changed data (1: a confirmed run or --blobs-only; 0: a dry run).",
        &one(u8::from(target.executes).to_string()),
    );
    gauge(
        "privctl_duration_seconds",
        "How long the last run took.",
        &one(format!("{:.3}", duration.as_secs_f64())),
    );
    gauge(
        "privctl_last_run_timestamp_seconds",
        "When the last run ended (Unix time).",
        &one(now.unix().to_string()),
    );
    let success = (exit_code == 0 && target.executes)
        .then(|| now.unix())
        .or(previous_success);
    if let Some(success) = success {
        gauge(
            "privctl_last_success_timestamp_seconds",
            "When a confirmed run last ended with exit code 0 (Unix time).",
            &one(success.to_string()),
        );
    }
    let rows: Vec<(String, String)> = observed
        .tables
        .iter()
        .map(|(table, (rows, effect))| {
            let effect = effect.map_or(String::new(), |e| {
                format!(",effect=\"{}\"", crate::report::done_effect(e))
            });
            (
                format!(",table=\"{}\"{effect}", escape(table)),
                rows.to_string(),
            )
        })
        .collect();
    if !rows.is_empty() {
        gauge(
            "privctl_rows",
            "Rows the last run erased, per table, and what it did to them (deleted, anonymised, retained).",
            &rows,
        );
    }
    if let Some(batches) = observed.batches {
        gauge(
            "privctl_batches",
            "Batches the last run committed.",
            &one(batches.to_string()),
        );
    }
    if let Some((deleted, failed)) = observed.blobs {
        gauge(
            "privctl_blobs_deleted",
            "Objects the last run deleted from blob stores.",
            &one(deleted.to_string()),
        );
        gauge(
            "privctl_blobs_failed",
            "Objects a blob store refused in the last run; they wait in the outbox.",
            &one(failed.to_string()),
        );
    }
    out
}

/// A label value as the text format writes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
