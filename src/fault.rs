//! Faults the test suite injects into a debug build to prove what a failure or a kill leaves
//! behind. Set from `PRIVCTL_TEST_FAULT` by the CLI layer; a release build never reads the
//! variable and every check here is a no-op.
//!
//! | value | effect |
//! |---|---|
//! | `fail-after-bytes:N` | writing an output fails (as a full disk would) once N bytes were written |
//! | `pause-after-bytes:N` | once N bytes were written (and flushed), the writer sleeps, so a test can signal or kill the process mid-write |
//! | `pause-before-rename` | after the export's ledger entry committed and before the output moves into place, the process sleeps |
//! | `kill-after-batches:N` | the process aborts (as `kill -9` would: no cleanup, no output) once N batches of delete-tenant or purge-retention committed |
//! | `kill-after-objects:N` | the process aborts once N blob objects were deleted from their stores, before their batch is recorded (marked done, with its `blob-delete` entry) |
//! | `pause-after-objects:N[:SECS]` | once N blob objects were deleted from their stores (before their batch is recorded), the process sleeps (SECS, or 120 s), so a test can race a second run against it, or stop the store |
//! | `kill-before-commit` | a confirmed run aborts with its first transaction's work done but not committed (`dsar delete`: the whole erasure) |

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Failure;

/// An injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    FailAfterBytes(u64),
    PauseAfterBytes(u64),
    PauseBeforeRename,
    KillAfterBatches(u64),
    KillAfterObjects(u64),
    /// After this many objects, sleep this long.
    PauseAfterObjects(u64, Duration),
    KillBeforeCommit,
}

static FAULT: OnceLock<Fault> = OnceLock::new();
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// How long a paused process sleeps: long enough for any test to act, short enough that a
/// forgotten one ends.
const PAUSE: Duration = Duration::from_secs(120);

/// Parses and arms a fault (`PRIVCTL_TEST_FAULT`).
pub fn install(value: &str) -> Result<(), Failure> {
    let bad = || Failure::usage(format!("PRIVCTL_TEST_FAULT: unknown fault `{value}`"));
    let fault = match value.split_once(':') {
        Some(("fail-after-bytes", n)) => Fault::FailAfterBytes(n.parse().map_err(|_| bad())?),
        Some(("pause-after-bytes", n)) => Fault::PauseAfterBytes(n.parse().map_err(|_| bad())?),
        None if value == "pause-before-rename" => Fault::PauseBeforeRename,
        Some(("kill-after-batches", n)) => Fault::KillAfterBatches(n.parse().map_err(|_| bad())?),
        Some(("kill-after-objects", n)) => Fault::KillAfterObjects(n.parse().map_err(|_| bad())?),
        Some(("pause-after-objects", rest)) => {
            let (n, secs) = rest.split_once(':').unwrap_or((rest, ""));
            let pause = match secs {
                "" => PAUSE,
                secs => Duration::from_secs(secs.parse().map_err(|_| bad())?),
            };
            Fault::PauseAfterObjects(n.parse().map_err(|_| bad())?, pause)
        }
        None if value == "kill-before-commit" => Fault::KillBeforeCommit,
        _ => return Err(bad()),
    };
    let _ = FAULT.set(fault);
    Ok(())
}

/// Counts `n` bytes written to an output; fails or pauses when a fault says so. `flush` makes
/// what was written so far reach the file before a pause.
pub fn wrote(n: usize, flush: impl FnOnce() -> std::io::Result<()>) -> std::io::Result<()> {
    let Some(fault) = FAULT.get() else {
        return Ok(());
    };
    let before = WRITTEN.fetch_add(n as u64, Ordering::Relaxed);
    let after = before + n as u64;
    match *fault {
        Fault::FailAfterBytes(limit) if after >= limit => Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "injected fault: no space left",
        )),
        Fault::PauseAfterBytes(limit) if before < limit && after >= limit => {
            flush()?;
            std::thread::sleep(PAUSE);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Between an export's ledger entry and its move into place.
pub fn before_rename() {
    if FAULT.get() == Some(&Fault::PauseBeforeRename) {
        std::thread::sleep(PAUSE);
    }
}

static BATCHES: AtomicU64 = AtomicU64::new(0);

/// After a batch of delete-tenant or purge-retention committed.
pub fn batch_committed() {
    let done = BATCHES.fetch_add(1, Ordering::Relaxed) + 1;
    if matches!(FAULT.get(), Some(Fault::KillAfterBatches(n)) if done >= *n) {
        std::process::abort();
    }
}

/// After `deleted` blob objects were deleted from their stores, in one drain, before their
/// batch is recorded.
pub fn objects_deleted(deleted: u64) {
    match FAULT.get() {
        Some(Fault::KillAfterObjects(n)) if deleted >= *n => std::process::abort(),
        Some(Fault::PauseAfterObjects(n, pause)) if deleted == *n => std::thread::sleep(*pause),
        _ => {}
    }
}

/// A confirmed run's first transaction (`dsar delete`: the whole erasure), its work done and
/// recorded, before it commits.
pub fn before_commit() {
    if FAULT.get() == Some(&Fault::KillBeforeCommit) {
        std::process::abort();
    }
}
