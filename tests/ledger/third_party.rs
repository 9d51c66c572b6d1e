//! A third party's own verifier (tests/verifier, Python) agrees with `privctl audit-verify`.
//!
//! `tests/verifier/privctl_ledger_verify.py` is an auditor's independent implementation of the
//! README section "The ledger", in Python with the standard library only. It reads the ledger
//! as an auditor would, without privctl: the SQLite file directly, or PostgreSQL's rows as
//! `row_to_json` lines printed by `psql` (and the retention checkpoints the same way). On
//! ledgers written by real commands (a non-ASCII, quoted actor, which also lands in `details`),
//! tampered with in SQL, and purged for retention behind a signed checkpoint, it and
//! `privctl --format json audit-verify` reach the same verdict: both ok with the same count,
//! start and head, or both not ok at the same first bad entry.
//!
//! The tests need `python3` (and `psql` for PostgreSQL): without them they fail, never skip.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::{at, dsar, ledger_count, sql_head, with_ledger_window};
use crate::support::fixture::{map_copy_path, setup_with_map_copy, token_of};
use crate::support::{Dialect, Privctl, TestDb, both_dialects};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "third-party-verifier-tests-key-3a90c4";

/// The actor of every command: non-ASCII and quoted, so the canonical bytes need UTF-8 and
/// escapes. `dsar delete` records it in `details` too (`issued_by`, and a refusal's `reason`).
const ACTOR: &str = "Renée Ødegård \"ops\"";

/// Jane Doe in acme (fixture README, contact 1).
const JANE: [&str; 2] = ["--email", "jane.doe@example.com"];
/// John Roe in acme (contact 4).
const JOHN: [&str; 2] = ["--email", "john.roe@example.com"];

/// When the retention dry run runs; its tokens are redeemed at [`CONFIRM_AT`].
const NOW: &str = "2026-11-25T10:00:00Z";
const CONFIRM_AT: &str = "2026-11-25T10:05:00Z";
/// Entries written well before `NOW` minus 30 days, then one after it.
const OLD: [&str; 3] = [
    "2026-01-01T00:00:00Z",
    "2026-02-01T00:00:00Z",
    "2026-03-01T00:00:00Z",
];
const RECENT: &str = "2026-11-20T00:00:00Z";

both_dialects! {
    /// A ledger written by real commands verifies in both: the same number of entries, the
    /// same start and the same head (the last row's seq and hash), also with the head as the
    /// anchor.
    async fn an_intact_ledger_verifies_in_both(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_ACTOR", ACTOR);
        write_entries(&db, &privctl);
        let rows = ledger_count(&db).await;
        assert!(rows >= 6, "the commands wrote {rows} ledger entries");
        assert_ledger_is_awkward(&db).await;
        let (head_seq, head_hash) = sql_head(&db).await;

        let reports = verify_both(&db, &privctl, None);
        assert_both_ok(&reports);
        assert_eq!(reports.privctl["entries"], rows, "{reports}");
        assert_eq!(
            reports.script["head"],
            json!({"seq": head_seq, "hash": head_hash}),
            "{reports}"
        );
        assert_eq!(reports.script["start"], 1, "{reports}");

        let anchor = format!("{head_seq}:{head_hash}");
        let anchored = verify_both(&db, &privctl, Some(&anchor));
        assert_both_ok(&anchored);
        assert_eq!(anchored.script["head"], reports.script["head"], "{anchored}");
        db.cleanup().await;
    }

    /// Each tampering done in SQL fails both, at the same first bad entry: a middle entry's
    /// `details` or `at` changed, a middle or the first entry deleted, the last two entries
    /// deleted (seen with the old head as the anchor), two entries' seqs swapped; so does an
    /// anchor whose hash is another entry's.
    async fn tampering_fails_both_at_the_same_entry(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_ACTOR", ACTOR);
        write_entries(&db, &privctl);
        let rows = ledger_count(&db).await;
        assert!(rows >= 6, "the tampering cases need six entries, got {rows}");
        let (head_seq, head_hash) = sql_head(&db).await;
        let old_head = format!("{head_seq}:{head_hash}");
        db.execute("CREATE TABLE ledger_backup AS SELECT * FROM privctl_ledger").await;

        let truncate = format!("DELETE FROM privctl_ledger WHERE seq > {}", head_seq - 2);
        let cases: [(&str, &str, Option<&str>, i64); 6] = [
            (
                "details of entry 3 changed",
                "UPDATE privctl_ledger SET details = '{\"rows\":0}' WHERE seq = 3",
                None,
                3,
            ),
            (
                "at of entry 4 changed",
                "UPDATE privctl_ledger SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 4",
                None,
                4,
            ),
            ("entry 3 deleted", "DELETE FROM privctl_ledger WHERE seq = 3", None, 3),
            ("entry 1 deleted", "DELETE FROM privctl_ledger WHERE seq = 1", None, 1),
            (
                "the last two entries deleted, the old head as the anchor",
                truncate.as_str(),
                Some(old_head.as_str()),
                head_seq - 1,
            ),
            (
                "the seqs of entries 2 and 3 swapped",
                "UPDATE privctl_ledger SET seq = 1002 WHERE seq = 2; \
                 UPDATE privctl_ledger SET seq = 2 WHERE seq = 3; \
                 UPDATE privctl_ledger SET seq = 3 WHERE seq = 1002",
                None,
                2,
            ),
        ];
        for (name, tamper, anchor, seq) in cases {
            db.execute(tamper).await;
            let reports = verify_both(&db, &privctl, anchor);
            assert_both_fail_at(&reports, seq, name);

            db.execute(
                "DELETE FROM privctl_ledger; \
                 INSERT INTO privctl_ledger SELECT * FROM ledger_backup",
            )
            .await;
            assert_both_ok(&verify_both(&db, &privctl, Some(&old_head)));
        }

        let hash_2 = db
            .query_strings("SELECT hash FROM privctl_ledger WHERE seq = 2")
            .await
            .remove(0);
        let reports = verify_both(&db, &privctl, Some(&format!("3:{hash_2}")));
        assert_both_fail_at(&reports, 3, "an anchor giving entry 3 the hash of entry 2");
        db.cleanup().await;
    }

    /// After a retention purge both verify from the signed checkpoint, to the same head; a
    /// changed `purged` count in the checkpoint fails both at the checkpoint's entry, and a
    /// removed checkpoint fails both at entry 1.
    async fn a_ledger_purged_behind_a_checkpoint_verifies_in_both(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_ACTOR", ACTOR);
        let map = map_copy_path(&db);
        let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
        std::fs::write(&map, with_ledger_window(&text, r#""30d""#))
            .expect("cannot write the map copy");

        for time in OLD.into_iter().chain([RECENT]) {
            at(&privctl, time)
                .args(["--format", "json", "dsar", "preview", "--tenant", "acme"])
                .args(JANE)
                .run()
                .success();
        }
        let plan = at(&privctl, NOW)
            .args(["--format", "json", "purge-retention"])
            .run()
            .success()
            .json();
        assert_eq!(plan["ledger"]["entries"], 3, "{plan}");
        let result = at(&privctl, CONFIRM_AT)
            .args(["--format", "json", "purge-retention", "--confirm"])
            .arg(token_of(&plan))
            .run()
            .success()
            .json();
        assert_eq!(result["ledger"]["purged"], 3, "{result}");
        assert_eq!(
            db.query_strings("SELECT CAST(seq AS TEXT) FROM privctl_ledger_checkpoints").await,
            ["3"],
            "one checkpoint, at entry 3"
        );
        assert_eq!(
            db.query_i64("SELECT min(seq) FROM privctl_ledger").await,
            4,
            "entries 1 to 3 are purged"
        );

        let (head_seq, head_hash) = sql_head(&db).await;
        let reports = verify_both(&db, &privctl, None);
        assert_both_ok(&reports);
        assert_eq!(reports.script["start"], 4, "{reports}");
        assert_eq!(
            reports.script["head"],
            json!({"seq": head_seq, "hash": head_hash}),
            "{reports}"
        );
        let anchor = format!("{head_seq}:{head_hash}");
        assert_both_ok(&verify_both(&db, &privctl, Some(&anchor)));

        db.execute("CREATE TABLE checkpoints_backup AS SELECT * FROM privctl_ledger_checkpoints")
            .await;
        db.execute("UPDATE privctl_ledger_checkpoints SET purged = purged + 1").await;
        let reports = verify_both(&db, &privctl, None);
        assert_both_fail_at(&reports, 3, "the checkpoint's purged count changed");

        db.execute("DELETE FROM privctl_ledger_checkpoints").await;
        let reports = verify_both(&db, &privctl, None);
        assert_both_fail_at(&reports, 1, "the checkpoint removed");

        db.execute("INSERT INTO privctl_ledger_checkpoints SELECT * FROM checkpoints_backup")
            .await;
        assert_both_ok(&verify_both(&db, &privctl, Some(&anchor)));

        // Entries missing after the checkpoint: the oldest one left, then all of them.
        db.execute("CREATE TABLE ledger_backup AS SELECT * FROM privctl_ledger")
            .await;
        db.execute("DELETE FROM privctl_ledger WHERE seq = 4").await;
        let reports = verify_both(&db, &privctl, None);
        assert_both_fail_at(&reports, 4, "the first entry after the checkpoint removed");
        db.execute("DELETE FROM privctl_ledger").await;
        let reports = verify_both(&db, &privctl, None);
        assert_both_fail_at(&reports, 4, "every entry after the checkpoint removed");
        db.execute("INSERT INTO privctl_ledger SELECT * FROM ledger_backup")
            .await;
        assert_both_ok(&verify_both(&db, &privctl, Some(&anchor)));
        db.cleanup().await;
    }
}

/// Six or more entries from real commands: a preview, an export and a delete of Jane (tenant
/// and subject_ref set; the delete's details name the actor), the same delete again (refused:
/// its reason names the actor), an export of globex, and a preview of John.
fn write_entries(db: &TestDb, privctl: &Privctl) {
    let plan = dsar(privctl, "preview", &JANE, &[]).success().json();
    let bundle = db.dir().join("subject.json");
    let bundle = bundle.to_str().expect("a UTF-8 path");
    dsar(privctl, "export", &JANE, &["--out", bundle]).success();
    let token = token_of(&plan);
    dsar(privctl, "delete", &JANE, &["--confirm", &token]).success();
    dsar(privctl, "delete", &JANE, &["--confirm", &token]).code(3);
    privctl
        .clone()
        .args([
            "--format",
            "json",
            "export-tenant",
            "--tenant",
            "globex",
            "--out",
        ])
        .arg(db.dir().join("globex.json"))
        .run()
        .success();
    dsar(privctl, "preview", &JOHN, &[]).success();
}

/// Fails unless the ledger has what makes its canonical bytes awkward: every actor is
/// [`ACTOR`], some entry has both tenant and subject_ref, and some details hold the actor
/// (non-ASCII, and quotes escaped inside the JSON text).
async fn assert_ledger_is_awkward(db: &TestDb) {
    let actors = db
        .query_strings("SELECT DISTINCT actor FROM privctl_ledger")
        .await;
    assert_eq!(actors, [ACTOR], "the ledger's actors");
    let with_subject = db
        .query_i64(
            "SELECT count(*) FROM privctl_ledger \
             WHERE tenant IS NOT NULL AND subject_ref IS NOT NULL",
        )
        .await;
    assert!(with_subject > 0, "no entry with a tenant and a subject_ref");
    let details = db
        .query_strings("SELECT details FROM privctl_ledger ORDER BY seq")
        .await;
    let escaped_actor = r#"Renée Ødegård \"ops\""#;
    assert!(
        details.iter().any(|text| text.contains(escaped_actor)),
        "no details hold the actor: {details:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The two verifiers

/// Both verifiers' JSON reports on the ledger as it is now.
struct Reports {
    /// `privctl --format json audit-verify`: `{"ok", "entries", "head", "start", "problems"}`.
    privctl: Value,
    /// The Python script: `{"ok", "entries", "head", "start", "first_problem"}`.
    script: Value,
    /// Both runs' outputs, for failure messages.
    shown: String,
}

impl std::fmt::Display for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Runs both verifiers (with `--anchor` when given); each must exit 0 when its report is ok
/// and 4 when it is not.
#[track_caller]
fn verify_both(db: &TestDb, privctl: &Privctl, anchor: Option<&str>) -> Reports {
    let mut args = vec!["--format", "json", "audit-verify"];
    args.extend(
        anchor
            .map(|anchor| ["--anchor", anchor])
            .into_iter()
            .flatten(),
    );
    let ours = privctl.clone().args(args).run();
    let theirs = run_script(db, anchor);
    let shown = format!("{ours}\n{theirs}");
    let privctl = ours.json();
    let script = theirs.report();
    for (name, report, code) in [
        ("privctl", &privctl, ours.code),
        ("the script", &script, theirs.code),
    ] {
        let expected = if report["ok"] == true { 0 } else { 4 };
        assert_eq!(
            code, expected,
            "{name} exits 0 when ok, 4 when not:\n{shown}"
        );
    }
    Reports {
        privctl,
        script,
        shown,
    }
}

/// Both ok, with the same entry count, start and head.
#[track_caller]
fn assert_both_ok(reports: &Reports) {
    let (ours, theirs) = (&reports.privctl, &reports.script);
    assert_eq!(ours["ok"], true, "privctl: {reports}");
    assert_eq!(theirs["ok"], true, "the script: {reports}");
    assert_eq!(theirs["first_problem"], Value::Null, "{reports}");
    assert_eq!(
        ours["entries"], theirs["entries"],
        "entry counts: {reports}"
    );
    assert_eq!(ours["start"]["seq"], theirs["start"], "starts: {reports}");
    assert_eq!(ours["head"], theirs["head"], "heads: {reports}");
    assert!(theirs["head"]["hash"].is_string(), "no head: {reports}");
}

/// Both not ok, the first problem at `seq` in both.
#[track_caller]
fn assert_both_fail_at(reports: &Reports, seq: i64, case: &str) {
    let (ours, theirs) = (&reports.privctl, &reports.script);
    assert_eq!(ours["ok"], false, "{case}: privctl: {reports}");
    assert_eq!(theirs["ok"], false, "{case}: the script: {reports}");
    assert_eq!(
        theirs["first_problem"]["seq"], ours["problems"][0]["seq"],
        "{case}: the first bad entry differs: {reports}"
    );
    assert_eq!(ours["problems"][0]["seq"], seq, "{case}: {reports}");
}

/// A run of the Python script.
struct ScriptRun {
    code: i32,
    stdout: String,
    stderr: String,
    command: String,
}

impl ScriptRun {
    /// The one JSON line it printed.
    #[track_caller]
    fn report(&self) -> Value {
        assert!(
            self.code == 0 || self.code == 4,
            "the script could not verify (exit 0 or 4 expected): {self}"
        );
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|error| panic!("the script printed no JSON ({error}): {self}"))
    }
}

impl std::fmt::Display for ScriptRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- end ---",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// Runs tests/verifier/privctl_ledger_verify.py on the test's ledger with the key in
/// `PRIVCTL_LEDGER_KEY`: `--sqlite <file>`, or on PostgreSQL the rows of `psql` on standard
/// input (`--ndjson`) and the checkpoints' rows in a file (`--checkpoints`).
#[track_caller]
fn run_script(db: &TestDb, anchor: Option<&str>) -> ScriptRun {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verifier/privctl_ledger_verify.py");
    let mut command = Command::new(python3());
    command
        .arg(&script)
        .args(["--key-env", "PRIVCTL_LEDGER_KEY"])
        .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY)
        .current_dir(db.dir());
    let mut input = Vec::new();
    match db.dialect {
        Dialect::Sqlite => {
            let path = db
                .url
                .strip_prefix("sqlite://")
                .unwrap_or_else(|| panic!("not a sqlite:// URL: {}", db.url));
            command.arg("--sqlite").arg(path);
        }
        Dialect::Postgres => {
            input = psql_rows(db, "privctl_ledger");
            let checkpoints = db.dir().join("checkpoints.ndjson");
            std::fs::write(&checkpoints, psql_rows(db, "privctl_ledger_checkpoints"))
                .expect("cannot write the checkpoints file");
            command
                .arg("--ndjson")
                .arg("--checkpoints")
                .arg(checkpoints);
        }
    }
    if let Some(anchor) = anchor {
        command.args(["--anchor", anchor]);
    }
    let description = format!(
        "python3 {}",
        command
            .get_args()
            .map(|arg| arg.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start `{description}`: {error}"));
    // The script may exit without reading its input: a broken pipe shows in its exit code.
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|error| panic!("cannot wait for `{description}`: {error}"));
    let _ = writer.join();
    ScriptRun {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        command: description,
    }
}

/// `SELECT row_to_json(t) FROM <table> t ORDER BY t.seq` printed by `psql -At`: one JSON
/// object a line, as an auditor would pipe it into the script.
#[track_caller]
fn psql_rows(db: &TestDb, table: &str) -> Vec<u8> {
    let sql = format!("SELECT row_to_json(t) FROM {table} t ORDER BY t.seq");
    let psql = psql();
    let output = Command::new(&psql)
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(&db.url)
        .args(["-c", &sql])
        .env("PGCLIENTENCODING", "UTF8")
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", psql.display()));
    assert!(
        output.status.success(),
        "`{} -At -d {} -c \"{sql}\"` failed ({}):\n{}",
        psql.display(),
        db.url,
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `python3` on `PATH`; the test fails when there is none.
fn python3() -> PathBuf {
    on_path("python3").unwrap_or_else(|| {
        panic!(
            "python3 is not on PATH ({}): these tests run the third-party verifier \
             tests/verifier/privctl_ledger_verify.py (Python 3, standard library only); install python3",
            std::env::var("PATH").unwrap_or_default()
        )
    })
}

/// `psql` on `PATH`, else beside the PostgreSQL server binaries the harness uses (`pg_ctl` on
/// `PATH`, symlinks followed, then the newest `/usr/lib/postgresql/<version>/bin`); the test
/// fails when there is none.
fn psql() -> PathBuf {
    if let Some(psql) = on_path("psql") {
        return psql;
    }
    let beside_pg_ctl = on_path("pg_ctl")
        .and_then(|pg_ctl| std::fs::canonicalize(pg_ctl).ok())
        .and_then(|pg_ctl| Some(pg_ctl.parent()?.join("psql")));
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            Some((version, entry.path().join("bin").join("psql")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    beside_pg_ctl
        .into_iter()
        .chain(versions.into_iter().map(|(_, psql)| psql))
        .find(|path| is_executable(path))
        .unwrap_or_else(|| {
            panic!(
                "psql is neither on PATH nor beside the PostgreSQL server binaries \
                 (/usr/lib/postgresql/<version>/bin): the PostgreSQL tests feed the \
                 third-party verifier the ledger's rows through psql; install the PostgreSQL client"
            )
        })
}

/// The first executable `name` in a folder of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
