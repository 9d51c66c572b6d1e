//! What an export leaves on disk (issue 14 items 3 and 9): the ledger entry is committed before
//! the file is moved into place, so an export the ledger cannot record leaves no file; and a
//! partial output (`<target>.privctl-partial-<pid>`, never a dot-file) is removed on every exit
//! path: an error, a full disk, SIGINT/SIGTERM, and, after a SIGKILL, by the next run for the
//! same target, which leaves a live run's partial output and other targets' alone.
//!
//! Failures and pauses are injected with `PRIVCTL_TEST_FAULT` (honoured by debug builds only;
//! see src/fault.rs). Every test writes into a folder of its own (`out/`) and checks that
//! folder's exact contents.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::bundle::utf8;
use crate::support::fixture::setup_with_map_copy;
use crate::support::{Dialect, Privctl, RunOutput, Spawned, TestDb, both_dialects, entries, mode};

const LEDGER_KEY: &str = "export-files-ledger-key-5c9a01";

/// How a paused or signalled run is given time to end.
const FINISH: Duration = Duration::from_secs(60);

/// One way to write an output: its name in messages, the file or folder it writes in `out/`,
/// and the arguments (after `--format json`).
struct Export {
    what: &'static str,
    target: &'static str,
    args: Vec<String>,
}

impl Export {
    fn run(&self, privctl: &Privctl, out: &Path) -> RunOutput {
        self.command(privctl, out).run()
    }

    fn command(&self, privctl: &Privctl, out: &Path) -> Privctl {
        privctl
            .clone()
            .args(["--format", "json"])
            .args(self.args.iter().map(|a| a.replace("{out}", utf8(out))))
    }

    fn is_dir(&self) -> bool {
        !self.target.contains('.')
    }
}

fn export_tenant(what: &'static str, target: &'static str, extra: &[&str]) -> Export {
    let mut args: Vec<String> = ["export-tenant", "--tenant", "acme", "--out"]
        .map(String::from)
        .into();
    args.push(format!("{{out}}/{target}"));
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    Export { what, target, args }
}

fn dsar_export() -> Export {
    Export {
        what: "dsar export",
        target: "jane.json",
        args: [
            "dsar",
            "export",
            "--tenant",
            "globex",
            "--email",
            "jane.doe@example.com",
            "--out",
            "{out}/jane.json",
        ]
        .map(String::from)
        .into(),
    }
}

/// Every kind of export: export-tenant in each format, encrypted, and dsar export.
fn every_export(key_file: &Path) -> Vec<Export> {
    vec![
        export_tenant("json", "acme.json", &[]),
        export_tenant("ndjson", "acme.ndjson", &["--output-format", "ndjson"]),
        export_tenant("csv", "acme-csv", &["--output-format", "csv"]),
        export_tenant(
            "encrypted json",
            "acme.json.enc",
            &["--encrypt", "--key-file", utf8(key_file)],
        ),
        export_tenant(
            "encrypted csv",
            "acme-csv-enc",
            &[
                "--output-format",
                "csv",
                "--encrypt",
                "--key-file",
                utf8(key_file),
            ],
        ),
        dsar_export(),
    ]
}

/// The fixture, a key file, and an empty `out/` folder.
async fn setup(dialect: Dialect) -> (TestDb, Privctl, PathBuf, PathBuf) {
    let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
    let key_file = db.dir().join("bundle.key");
    std::fs::write(&key_file, [7u8; 32]).expect("cannot write the key file");
    let out = db.dir().join("out");
    std::fs::create_dir(&out).expect("cannot create out/");
    (db, privctl, key_file, out)
}

async fn export_entries(db: &TestDb) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM privctl_ledger WHERE action IN ('export-tenant', 'dsar-export')",
    )
    .await
}

/// Waits until the ledger holds `n` export entries.
async fn wait_for_entries(db: &TestDb, n: i64) {
    let deadline = Instant::now() + FINISH;
    while export_entries(db).await < n {
        assert!(Instant::now() < deadline, "the export was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An encrypted bundle of acme (outside `out/`), to decrypt.
fn encrypted_bundle(db: &TestDb, privctl: &Privctl, key_file: &Path) -> PathBuf {
    let encrypted = db.dir().join("acme.json.enc");
    privctl
        .clone()
        .args([
            "export-tenant",
            "--tenant",
            "acme",
            "--out",
            utf8(&encrypted),
        ])
        .args(["--encrypt", "--key-file", utf8(key_file)])
        .run()
        .success();
    encrypted
}

/// `<target>.privctl-partial-<pid>` of a spawned run.
fn partial_of(out: &Path, target: &str, run: &Spawned) -> PathBuf {
    out.join(format!("{target}.privctl-partial-{}", run.id()))
}

/// Waits until `run`'s partial output holds data (the run is paused mid-write); panics with
/// its output if it exits first.
fn wait_for_data(mut run: Spawned, partial: &Path) -> Spawned {
    let holds_data = |path: &Path| -> bool {
        if path.is_dir() {
            std::fs::read_dir(path).is_ok_and(|mut files| {
                files.any(|f| f.is_ok_and(|f| f.metadata().is_ok_and(|m| m.len() > 0)))
            })
        } else {
            path.metadata().is_ok_and(|m| m.len() > 0)
        }
    };
    let deadline = Instant::now() + FINISH;
    while !holds_data(partial) {
        if run.has_exited() {
            panic!(
                "the run ended before {} held data: {}",
                partial.display(),
                run.finish(FINISH)
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} never held data",
            partial.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    run
}

both_dialects! {
    /// A role that may read every table but not append to privctl_ledger (PostgreSQL), or a
    /// ledger that refuses inserts (SQLite: a trigger): every export fails with exit 1 and a
    /// message saying it could not be recorded, and leaves neither its file nor a partial one.
    /// With the ledger writable again, the same exports succeed and are recorded.
    async fn an_export_the_ledger_cannot_record_leaves_no_file(dialect: Dialect) {
        let (db, privctl, key_file, out) = setup(dialect).await;
        let restricted = match dialect {
            Dialect::Postgres => {
                let url = db.create_role("privctl_export_reader", "reader-secret").await;
                db.execute(
                    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM privctl_export_reader;
                     REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM privctl_export_reader;
                     REVOKE CREATE ON SCHEMA public FROM privctl_export_reader;
                     GRANT SELECT ON ALL TABLES IN SCHEMA public TO privctl_export_reader;",
                )
                .await;
                privctl.clone().env("DATABASE_URL", url)
            }
            Dialect::Sqlite => {
                db.execute(
                    "CREATE TRIGGER privctl_ledger_refuses BEFORE INSERT ON privctl_ledger
                     BEGIN SELECT RAISE(ABORT, 'privctl_ledger refuses inserts'); END;",
                )
                .await;
                privctl.clone()
            }
        };
        let cause = match dialect {
            Dialect::Postgres => "permission denied for table privctl_ledger",
            Dialect::Sqlite => "privctl_ledger refuses inserts",
        };

        for export in every_export(&key_file) {
            let output = export.run(&restricted, &out);
            output.code(1);
            let target = out.join(export.target);
            let message = format!(
                "error: the export could not be recorded in the ledger, so nothing was written to {}",
                target.display()
            );
            assert!(output.stderr.starts_with(&message), "{}: {output}", export.what);
            assert!(output.stderr.contains(cause), "{}: {output}", export.what);
            assert!(
                output.stderr.contains("hint: privctl records every export before it hands the file over"),
                "{}: {output}",
                export.what
            );
            assert!(output.stdout.is_empty(), "{}: {output}", export.what);
            assert_eq!(entries(&out), Vec::<String>::new(), "{} left a file", export.what);
        }
        assert_eq!(export_entries(&db).await, 0);

        // The ledger writable again: the same exports are written and recorded.
        if dialect == Dialect::Sqlite {
            db.execute("DROP TRIGGER privctl_ledger_refuses").await;
        }
        let mut written: Vec<String> = Vec::new();
        for export in every_export(&key_file) {
            let summary = export.run(&privctl, &out).success().json();
            let sha256 = summary["sha256"].as_str().expect("sha256").to_owned();
            let recorded = db
                .query_i64(&format!(
                    "SELECT count(*) FROM privctl_ledger WHERE resource = 'bundle:sha256:{sha256}'"
                ))
                .await;
            assert_eq!(recorded, 1, "{}: the ledger records the bundle", export.what);
            written.push(export.target.to_owned());
        }
        written.sort();
        assert_eq!(entries(&out), written);
        assert_eq!(export_entries(&db).await, 6);
        db.cleanup().await;
    }

    /// A write that fails mid-way (as a full disk would) fails the export with exit 1, naming
    /// the file, records nothing, and leaves no partial file or directory; decrypt likewise.
    async fn a_failed_write_leaves_no_partial_file(dialect: Dialect) {
        let (db, privctl, key_file, out) = setup(dialect).await;
        let failing = privctl.clone().env("PRIVCTL_TEST_FAULT", "fail-after-bytes:1500");
        for export in every_export(&key_file) {
            let output = export.run(&failing, &out);
            output.code(1);
            let shown = if export.is_dir() {
                format!("error: writing {}/", out.join(export.target).display())
            } else {
                format!("error: writing {}: ", out.join(export.target).display())
            };
            assert!(output.stderr.starts_with(&shown), "{}: {output}", export.what);
            assert!(output.stderr.contains("injected fault"), "{}: {output}", export.what);
            assert_eq!(entries(&out), Vec::<String>::new(), "{} left a file", export.what);
        }
        assert_eq!(export_entries(&db).await, 0, "a failed export is not recorded");

        // decrypt: the plaintext never survives a failed write either.
        let encrypted = encrypted_bundle(&db, &privctl, &key_file);
        let plain = out.join("acme.json");
        let output = failing
            .clone()
            .args(["decrypt", "--key-file", utf8(&key_file), utf8(&encrypted), utf8(&plain)])
            .run();
        output.code(1);
        assert!(
            output.stderr.contains(&format!("writing {}: ", plain.display())),
            "{output}"
        );
        assert_eq!(entries(&out), Vec::<String>::new(), "decrypt left a file");
        db.cleanup().await;
    }

    /// A SIGKILL mid-write leaves `<target>.privctl-partial-<pid>` (visible, mode 0600 or 0700);
    /// the next run for the same target removes it, says so, and writes the target; leftovers
    /// of other targets, and names privctl does not write, stay.
    async fn the_next_run_removes_what_a_kill_left(dialect: Dialect) {
        let (db, privctl, key_file, out) = setup(dialect).await;
        // Not leftovers of these targets: another target's, and a name privctl never writes.
        let others = ["other.json.privctl-partial-4242", "acme.json.privctl-partial-x"];
        for name in others {
            std::fs::write(out.join(name), b"not ours").expect("cannot write");
        }
        let paused = privctl.clone().env("PRIVCTL_TEST_FAULT", "pause-after-bytes:1500");
        for export in every_export(&key_file) {
            let run = export.command(&paused, &out).spawn();
            let partial = partial_of(&out, export.target, &run);
            let run = wait_for_data(run, &partial);
            run.signal("KILL");
            assert_eq!(run.finish(FINISH).code, 137, "{}", export.what);

            let name = partial.file_name().expect("a name").to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "{name} is hidden");
            let expected_mode = if export.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode(&partial), expected_mode, "{name}");
            assert!(!out.join(export.target).exists(), "{}: the target exists", export.what);

            let output = export.run(&privctl, &out);
            output.success();
            assert!(
                output
                    .stderr
                    .contains(&format!("removed {}, left by an interrupted run", partial.display())),
                "{}: {output}",
                export.what
            );
            assert!(!partial.exists(), "{name} survived the next run");
        }
        let mut expected: Vec<String> = every_export(&key_file)
            .iter()
            .map(|e| e.target.to_owned())
            .chain(others.map(String::from))
            .collect();
        expected.sort();
        assert_eq!(entries(&out), expected);
        // Each killed run recorded nothing; each re-run recorded its export.
        assert_eq!(export_entries(&db).await, 6);
        db.cleanup().await;
    }

    /// A run still alive keeps its partial output while another run for the same target
    /// completes (a lock tells a live run from a leftover); once it is killed, the next run
    /// removes what it left. (The live run is paused after its ledger entry: paused mid-write
    /// it would hold its read transaction, which on SQLite blocks the other run's ledger entry.)
    async fn a_live_runs_partial_output_is_left_alone(dialect: Dialect) {
        let (db, privctl, _key_file, out) = setup(dialect).await;
        let export = export_tenant("json", "acme.json", &[]);
        let paused = privctl.clone().env("PRIVCTL_TEST_FAULT", "pause-before-rename");
        let mut run = export.command(&paused, &out).spawn();
        let partial = partial_of(&out, export.target, &run);
        wait_for_entries(&db, 1).await;

        let output = export.run(&privctl, &out);
        output.success();
        assert!(!output.stderr.contains("removed"), "{output}");
        assert!(partial.exists(), "a live run's partial file was removed");
        assert!(!run.has_exited(), "the paused run ended");

        run.signal("KILL");
        run.finish(FINISH).code(137);
        let output = export.command(&privctl, &out).arg("--force").run();
        output.success();
        assert!(
            output
                .stderr
                .contains(&format!("removed {}, left by an interrupted run", partial.display())),
            "{output}"
        );
        assert_eq!(entries(&out), ["acme.json"]);
        db.cleanup().await;
    }

    /// SIGTERM or SIGINT mid-write: the run removes its partial output, says so, and exits
    /// 128 + the signal's number; nothing is recorded. decrypt likewise.
    async fn a_signal_removes_the_partial_output(dialect: Dialect) {
        let (db, privctl, key_file, out) = setup(dialect).await;
        let paused = privctl.clone().env("PRIVCTL_TEST_FAULT", "pause-after-bytes:1500");
        let cases = [
            (export_tenant("json", "acme.json", &[]), "TERM", 143),
            (export_tenant("csv", "acme-csv", &["--output-format", "csv"]), "INT", 130),
            (dsar_export(), "TERM", 143),
        ];
        for (export, signal, code) in cases {
            let run = export.command(&paused, &out).spawn();
            let partial = partial_of(&out, export.target, &run);
            let run = wait_for_data(run, &partial);
            run.signal(signal);
            let output = run.finish(FINISH);
            output.code(code);
            assert!(
                output.stderr.contains(&format!(
                    "error: interrupted by SIG{signal}; removed the unfinished {}",
                    partial.display()
                )),
                "{}: {output}",
                export.what
            );
            assert_eq!(entries(&out), Vec::<String>::new(), "{} left a file", export.what);
        }
        assert_eq!(export_entries(&db).await, 0);

        let encrypted = encrypted_bundle(&db, &privctl, &key_file);
        let plain = out.join("acme.json");
        let run = paused
            .clone()
            .args(["decrypt", "--key-file", utf8(&key_file), utf8(&encrypted), utf8(&plain)])
            .spawn();
        let partial = partial_of(&out, "acme.json", &run);
        let run = wait_for_data(run, &partial);
        run.signal("INT");
        run.finish(FINISH).code(130);
        assert_eq!(entries(&out), Vec::<String>::new(), "decrypt left a file");
        db.cleanup().await;
    }

    /// Killed after the ledger entry committed and before the move into place: the target does
    /// not exist (the ledger may record an export that was never handed over, never the reverse)
    /// and the next run removes the partial file.
    async fn a_kill_between_the_ledger_entry_and_the_rename(dialect: Dialect) {
        let (db, privctl, _key_file, out) = setup(dialect).await;
        let export = export_tenant("json", "acme.json", &[]);
        let run = export
            .command(&privctl.clone().env("PRIVCTL_TEST_FAULT", "pause-before-rename"), &out)
            .spawn();
        let partial = partial_of(&out, export.target, &run);
        wait_for_entries(&db, 1).await;
        run.signal("KILL");
        run.finish(FINISH).code(137);
        assert_eq!(
            entries(&out),
            [partial.file_name().expect("a name").to_string_lossy()]
        );

        let output = export.run(&privctl, &out);
        output.success();
        assert!(
            output
                .stderr
                .contains(&format!("removed {}, left by an interrupted run", partial.display())),
            "{output}"
        );
        assert_eq!(entries(&out), ["acme.json"]);
        assert_eq!(export_entries(&db).await, 2);
        db.cleanup().await;
    }

    /// A full disk (a 8 KiB tmpfs; skipped where it cannot be mounted): every export and
    /// decrypt fails with exit 1, the error names the file and says the disk is full, and
    /// nothing is left on it: no partial file, no folder of CSV files without a manifest.
    async fn a_full_disk_names_the_path_and_leaves_nothing(dialect: Dialect) {
        let (db, privctl, key_file, _out) = setup(dialect).await;
        let Some(disk) = Tmpfs::mount(&db.dir().join("small"), "8k") else {
            db.cleanup().await;
            return;
        };
        let small = disk.path().to_owned();
        let encrypted = encrypted_bundle(&db, &privctl, &key_file);

        let mut cases: Vec<(String, Privctl, String)> = every_export(&key_file)
            .into_iter()
            .filter(|e| e.what != "dsar export")
            .map(|e| (e.what.to_owned(), e.command(&privctl, &small), e.target.to_owned()))
            .collect();
        cases.push((
            "decrypt".to_owned(),
            privctl.clone().args([
                "decrypt",
                "--key-file",
                utf8(&key_file),
                utf8(&encrypted),
                utf8(&small.join("acme.json")),
            ]),
            "acme.json".to_owned(),
        ));
        for (what, command, target) in &cases {
            let output = command.run();
            output.code(1);
            let path = small.join(target);
            assert!(
                output.stderr.starts_with(&format!("error: writing {}", path.display())),
                "{what}: {output}"
            );
            assert!(
                output.stderr.contains("No space left on device"),
                "{what}: {output}"
            );
            assert_eq!(entries(&small), Vec::<String>::new(), "{what} left a file");
        }

        // A disk with no room at all: a subject's small bundle fails too.
        let _ = std::fs::write(small.join("filler"), vec![0u8; 8192]);
        let output = dsar_export().run(&privctl, &small);
        output.code(1);
        assert!(
            output.stderr.starts_with(&format!(
                "error: writing {}",
                small.join("jane.json").display()
            )),
            "{output}"
        );
        assert_eq!(entries(&small), ["filler"], "dsar export left a file");
        assert_eq!(export_entries(&db).await, 1, "only the setup's export is recorded");
        drop(disk);
        db.cleanup().await;
    }
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `path`; `None` (and a note) where that is not allowed.
    fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir(path).expect("cannot create the mount point");
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            }
            return None;
        }
        Some(Tmpfs(path.to_owned()))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
