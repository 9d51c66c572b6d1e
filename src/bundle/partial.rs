//! Where an output is written before it is complete and recorded.
//!
//! An export is written to `<target>.privctl-partial-<pid>` beside its target: a file (mode
//! 0600), or for csv a directory (mode 0700) holding the table files. The name is visible (not a
//! dot-file) and tells what it is, which target it belongs to and which process wrote it. The
//! writer holds an exclusive lock (`flock`) on it for as long as it lives, so a later run can
//! tell a leftover of a killed run (unlocked) from a run still writing (locked).
//!
//! A partial output is removed
//! - when its writer is dropped unfinished (any error, a full disk included);
//! - when the process is interrupted (SIGINT, SIGTERM, SIGHUP): a watcher thread removes every
//!   partial output of the process, then exits 128 + the signal's number;
//! - by the next run for the same target, when a kill (SIGKILL, a power cut) left it: only names
//!   of this exact form for that target, and only unlocked ones.
//!
//! It becomes the target only through [`Partial::move_into_place`], which callers reach after the
//! ledger entry for the output has committed (see [`super::Sealed::publish`]).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use anyhow::{Context as _, Result};

use crate::error::Failure;

/// What follows the target's name in a partial output's name, before the writer's pid.
pub const MARKER: &str = ".privctl-partial-";

/// The partial outputs of this process that exist now: what the signal watcher removes.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A partial output: removed when dropped unless moved into place.
pub struct Partial {
    path: PathBuf,
    /// Holds the lock that marks this output as being written.
    lock: File,
    is_dir: bool,
    placed: bool,
}

impl Partial {
    /// The partial file for `target`, created empty (mode 0600) and locked; returns it and the
    /// file to write to.
    pub fn file(target: &Path) -> Result<(Self, File)> {
        let path = partial_path(target)?;
        watch_signals();
        let mut registry = live();
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        registry.push(path.clone());
        drop(registry);
        // From here on, dropping `partial` removes the file.
        let partial = Self {
            path,
            lock: file,
            is_dir: false,
            placed: false,
        };
        let writer = partial
            .lock
            .try_clone()
            .context("opening the partial file")?;
        partial.lock.lock().context("locking the partial file")?;
        Ok((partial, writer))
    }

    /// The partial directory for `target` (csv), created empty (mode 0700) and locked.
    pub fn directory(target: &Path) -> Result<Self> {
        let path = partial_path(target)?;
        watch_signals();
        let mut registry = live();
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        let handle = match File::open(&path) {
            Ok(handle) => handle,
            Err(e) => {
                remove(&path, true);
                return Err(e).with_context(|| format!("opening {}", path.display()));
            }
        };
        registry.push(path.clone());
        drop(registry);
        let partial = Self {
            path,
            lock: handle,
            is_dir: true,
            placed: false,
        };
        partial
            .lock
            .lock()
            .context("locking the partial directory")?;
        Ok(partial)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the output to `target`: a file replaces `target` only with `force`; a directory
    /// becomes `target`, or with `force` its files move into an existing `target` directory
    /// (manifest.json last, so a reader never sees files without their manifest).
    pub fn move_into_place(mut self, target: &Path, force: bool) -> Result<()> {
        let shown = target.display();
        // Held while moving, so the signal watcher never removes half of a move.
        let mut registry = live();
        let exists = target.symlink_metadata().is_ok();
        if exists && !force {
            return Err(Failure::failed(format!("{shown} already exists"))
                .with_hint("it appeared while the export ran; choose another --out, or pass --force to replace it")
                .into());
        }
        let moved = if self.is_dir && exists {
            merge_into(&self.path, target)
        } else if self.is_dir || force {
            std::fs::rename(&self.path, target)
        } else {
            no_clobber_rename(&self.path, target)
        };
        moved.with_context(|| format!("moving {} into place at {shown}", self.path.display()))?;
        registry.retain(|p| p != &self.path);
        self.placed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.placed {
            return;
        }
        let mut registry = live();
        remove(&self.path, self.is_dir);
        registry.retain(|p| p != &self.path);
    }
}

/// Renames a file to `to` unless `to` exists: a hard link never replaces a file that appeared
/// meanwhile; a file system without hard links gets a plain rename (its check above stands).
fn no_clobber_rename(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => std::fs::rename(from, to),
    }
}

/// Moves each file of `from` into the existing directory `to` (manifest.json last), then
/// removes `from`.
fn merge_into(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut names: Vec<OsString> = std::fs::read_dir(from)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort_by_key(|name| name == "manifest.json");
    for name in names {
        std::fs::rename(from.join(&name), to.join(&name))?;
    }
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    std::fs::remove_dir(from)
}

fn remove(path: &Path, is_dir: bool) {
    // Best effort: this runs on error paths; a leftover is removed by the next run.
    let _ = if is_dir {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// `<target>.privctl-partial-<pid>`, beside `target`.
fn partial_path(target: &Path) -> Result<PathBuf> {
    let Some(name) = target.file_name() else {
        return Err(Failure::usage(format!(
            "{} does not name a file or directory to write",
            target.display()
        ))
        .into());
    };
    let mut partial = name.to_owned();
    partial.push(format!("{MARKER}{}", std::process::id()));
    Ok(target.with_file_name(partial))
}

/// Removes what killed runs left for `target`: entries beside it named
/// `<target>.privctl-partial-<digits>` that no live process holds locked. Returns their paths.
pub fn remove_leftovers(target: &Path) -> Result<Vec<PathBuf>> {
    let Some(name) = target.file_name() else {
        return Ok(Vec::new());
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = name.to_owned();
    prefix.push(MARKER);
    let prefix = prefix.as_bytes();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // Creating the output will say what is wrong with the directory.
        Err(_) => return Ok(Vec::new()),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let file_name = entry.file_name();
        let Some(pid) = file_name.as_bytes().strip_prefix(prefix) else {
            continue;
        };
        if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let path = target.with_file_name(&file_name);
        // Never follow a link: only files and directories privctl creates are its leftovers.
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        if !(meta.is_file() || meta.is_dir()) {
            continue;
        }
        let Ok(handle) = File::open(&path) else {
            continue;
        };
        if handle.try_lock().is_err() {
            // A run still writing it (or a lock we cannot take): not a leftover.
            continue;
        }
        let result = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "removing {}, left by an interrupted run (it may hold personal data)",
                        path.display()
                    )
                });
            }
        }
    }
    Ok(removed)
}

/// Starts, once, a thread that on SIGINT, SIGTERM or SIGHUP removes this process's partial
/// outputs and exits 128 + the signal's number. The signals are registered before this returns,
/// so a partial output never exists without its watcher.
fn watch_signals() {
    static WATCHING: Once = Once::new();
    WATCHING.call_once(|| {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            // Without a watcher a signal leaves the partial output to the next run.
            return;
        };
        let signals = {
            let _entered = runtime.enter();
            (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            )
        };
        let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = signals else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("privctl-signals".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let (name, code) = tokio::select! {
                        _ = interrupt.recv() => ("SIGINT", 130),
                        _ = terminate.recv() => ("SIGTERM", 143),
                        _ = hangup.recv() => ("SIGHUP", 129),
                    };
                    // Held until the process exits: no output moves into place after this.
                    let registry = live();
                    let mut message = format!("interrupted by {name}");
                    for path in registry.iter() {
                        remove(path, path.is_dir());
                        message.push_str(&format!("; removed the unfinished {}", path.display()));
                    }
                    crate::ui::print_error(&anyhow::anyhow!(message));
                    std::process::exit(code);
                });
            });
        // Without a watcher a signal leaves the partial output to the next run.
        drop(spawned);
    });
}
