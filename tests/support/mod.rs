//! What every integration test shares: a database per test in either dialect, fixtures, and
//! the real `privctl` binary run in a sealed environment (to completion, or in the background
//! with [`Privctl::spawn`] for tests that kill or race a run). Most tests on the
//! conversational-ai fixture start from [`fixture::setup`] instead of the steps below.
//!
//! ```ignore
//! use crate::support::{Dialect, Privctl, TestDb, both_dialects, fixture_path, run};
//!
//! both_dialects! {
//!     async fn preview_lists_the_subjects_rows(dialect: Dialect) {
//!         let db = TestDb::new(dialect).await;
//!         db.load_fixture("conversational-ai").await;
//!         let privctl = Privctl::new(&db)
//!             .map(fixture_path("conversational-ai").join("privctl.toml"))
//!             .env("PRIVCTL_LEDGER_KEY", "my-tests-ledger-key");
//!         privctl.clone().arg("init").run().success();
//!         let output = run(&privctl, &["dsar", "preview", "--tenant", "acme", "--email", "jane.doe@example.com"]);
//!         let plan = output.success().json();
//!         assert_eq!(plan["total_rows"], 17);
//!         db.cleanup().await;
//!     }
//! }
//! ```

// Shared helpers: not every test module uses every one of them.
#![allow(dead_code)]

pub mod browser;
pub mod bundle;
pub mod fixture;
pub mod postgres;
pub mod rls;
pub mod s3;

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use sqlx::postgres::PgValueRef;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{
    AssertSqlSafe, ConnectOptions as _, Connection as _, PgConnection, Row as _, TypeInfo as _,
    ValueRef as _,
};

pub use postgres::PgDatabase;

/// The two databases privctl supports; each behaviour is tested against both
/// (see [`both_dialects!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `"sqlite"` or `"postgres"`, as in fixture file names (`schema.<dialect>.sql`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The permission bits (`0o777` part) of a file or folder.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("cannot stat {}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The names in a folder, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The repository's `fixtures/<name>` folder.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A database of the test's own, and a temporary directory (home and scratch space) that lives
/// as long as it.
///
/// SQLite: a file in the temporary directory. PostgreSQL: a fresh database on the test server
/// (see [`postgres`]). Call [`TestDb::cleanup`] as the test's last step; a failing test never
/// reaches it, so its database is kept (it survives the test process only on a server named by
/// `PRIVCTL_TEST_DATABASE_URL`) and its name is printed with the failure.
#[derive(Debug)]
pub struct TestDb {
    pub dialect: Dialect,
    /// What privctl gets as `DATABASE_URL`: `sqlite://<path>` or a PostgreSQL superuser URL.
    pub url: String,
    dir: tempfile::TempDir,
    postgres: Option<PgDatabase>,
}

impl TestDb {
    pub async fn new(dialect: Dialect) -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("privctl-test-")
            .tempdir()
            .expect("cannot create a temporary directory");
        std::fs::create_dir(dir.path().join("home")).expect("cannot create the test's home");
        match dialect {
            Dialect::Sqlite => {
                let path = dir.path().join("privctl-test.sqlite3");
                // An empty file is an empty SQLite database; creating it keeps the URL plain.
                std::fs::File::create(&path).expect("cannot create the SQLite database file");
                let url = format!("sqlite://{}", path.display());
                TestDb {
                    dialect,
                    url,
                    dir,
                    postgres: None,
                }
            }
            Dialect::Postgres => {
                let database = postgres::fresh_database().await;
                TestDb {
                    dialect,
                    url: database.url.clone(),
                    dir,
                    postgres: Some(database),
                }
            }
        }
    }

    /// The test's temporary directory: scratch space for maps, bundles and outputs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `HOME` for the privctl runs of this test (an empty folder in [`TestDb::dir`]).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Runs `fixtures/<name>/schema.<dialect>.sql`, then `fixtures/<name>/seed.sql`, on one
    /// connection (SQLite with foreign keys on).
    pub async fn load_fixture(&self, name: &str) {
        let folder = fixture_path(name);
        let mut connection = self.connect().await;
        for file in [
            folder.join(format!("schema.{}.sql", self.dialect.name())),
            folder.join("seed.sql"),
        ] {
            let sql = std::fs::read_to_string(&file).unwrap_or_else(|error| {
                panic!("cannot read fixture file {}: {error}", file.display())
            });
            if let Err(error) = connection.execute(sql).await {
                panic!(
                    "fixture file {} failed on {}: {error}",
                    file.display(),
                    self.dialect.name()
                );
            }
        }
        connection.close().await;
    }

    /// A copy of `fixtures/<fixture>/privctl.toml` in the test's directory, named `name`, with
    /// each `from` (found exactly once) replaced by its `to`. The key files the fixture keeps
    /// beside its map (`*.key`) are copied beside it too, so the map's `file:` keys and relative
    /// `file://./blobs/…` stores resolve inside the test's directory, never in the repository.
    #[track_caller]
    pub fn map_copy(&self, fixture: &str, name: &str, replacements: &[(&str, &str)]) -> PathBuf {
        let folder = fixture_path(fixture);
        let mut text = std::fs::read_to_string(folder.join("privctl.toml"))
            .unwrap_or_else(|error| panic!("cannot read the {fixture} map: {error}"));
        for (from, to) in replacements {
            assert_eq!(
                text.matches(from).count(),
                1,
                "the {fixture} map should contain {from:?} exactly once"
            );
            text = text.replacen(from, to, 1);
        }
        let path = self.dir().join(name);
        std::fs::write(&path, text).expect("cannot write the map copy");
        for key_file in entries(&folder)
            .into_iter()
            .filter(|file| file.ends_with(".key"))
        {
            std::fs::copy(folder.join(&key_file), self.dir().join(&key_file))
                .unwrap_or_else(|error| panic!("cannot copy {key_file}: {error}"));
        }
        path
    }

    /// Runs one or more SQL statements.
    pub async fn execute(&self, sql: &str) {
        let mut connection = self.connect().await;
        if let Err(error) = connection.execute(sql.to_owned()).await {
            panic!("SQL failed on {}: {error}\n{sql}", self.dialect.name());
        }
        connection.close().await;
    }

    /// The one integer a query returns (one row; its first column, not NULL).
    pub async fn query_i64(&self, sql: &str) -> i64 {
        let values = self.query_optional_strings(sql).await;
        let [value] = values.as_slice() else {
            panic!("expected one row, got {}: {sql}", values.len());
        };
        let Some(text) = value else {
            panic!("expected an integer, got NULL: {sql}");
        };
        text.parse()
            .unwrap_or_else(|_| panic!("expected an integer, got {text:?}: {sql}"))
    }

    /// The first column of every row, as text; panics on NULL (use
    /// [`TestDb::query_optional_strings`] or COALESCE). Booleans read `t`/`f` on PostgreSQL and
    /// `1`/`0` on SQLite: compare them in SQL when a test runs on both.
    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        self.query_optional_strings(sql)
            .await
            .into_iter()
            .map(|value| value.unwrap_or_else(|| panic!("unexpected NULL: {sql}")))
            .collect()
    }

    /// The first column of every row, as text, NULL as `None`.
    pub async fn query_optional_strings(&self, sql: &str) -> Vec<Option<String>> {
        let mut connection = self.connect().await;
        let values = connection
            .first_column(sql.to_owned())
            .await
            .unwrap_or_else(|error| {
                panic!("SQL failed on {}: {error}\n{sql}", self.dialect.name())
            });
        connection.close().await;
        values
    }

    /// A login role without superuser or BYPASSRLS that may use this database's tables, and a
    /// URL connecting as it (for row-level-security tests). PostgreSQL only; see
    /// [`PgDatabase::create_role`].
    pub async fn create_role(&self, name: &str, password: &str) -> String {
        match &self.postgres {
            Some(database) => database.create_role(name, password).await,
            None => panic!(
                "create_role needs PostgreSQL; this TestDb is {:?}",
                self.dialect
            ),
        }
    }

    /// Ends a passing test: drops the PostgreSQL database (SQLite's file goes with the
    /// temporary directory).
    pub async fn cleanup(mut self) {
        if let Some(database) = self.postgres.take() {
            database.cleanup().await;
        }
    }

    async fn connect(&self) -> AnyConnection {
        match self.dialect {
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(&self.url)
                    .unwrap_or_else(|error| panic!("bad SQLite URL {}: {error}", self.url))
                    .foreign_keys(true);
                match options.connect().await {
                    Ok(connection) => AnyConnection::Sqlite(connection),
                    Err(error) => panic!("cannot open {}: {error}", self.url),
                }
            }
            Dialect::Postgres => match PgConnection::connect(&self.url).await {
                Ok(connection) => AnyConnection::Postgres(connection),
                Err(error) => panic!("cannot connect to {}: {error}", self.url),
            },
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(database) = &self.postgres
        {
            // Shown with the failing test's output.
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "kept test database {} ({}); it outlives this run only on a server named by {}",
                    database.name,
                    database.url,
                    postgres::EXTERNAL_URL_VAR
                );
            }
        }
    }
}

enum AnyConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl AnyConnection {
    async fn execute(&mut self, sql: String) -> Result<(), sqlx::Error> {
        let script = sqlx::raw_sql(AssertSqlSafe(sql));
        match self {
            AnyConnection::Sqlite(connection) => script.execute(connection).await.map(drop),
            AnyConnection::Postgres(connection) => script.execute(connection).await.map(drop),
        }
    }

    async fn first_column(&mut self, sql: String) -> Result<Vec<Option<String>>, sqlx::Error> {
        // raw_sql uses PostgreSQL's simple protocol, whose results are all text: any column
        // type reads as the text PostgreSQL prints for it.
        let query = sqlx::raw_sql(AssertSqlSafe(sql));
        match self {
            AnyConnection::Postgres(connection) => query
                .fetch_all(connection)
                .await?
                .iter()
                .map(|row| {
                    let value: PgValueRef<'_> = row.try_get_raw(0)?;
                    if value.is_null() {
                        return Ok(None);
                    }
                    let text = value.as_str().map_err(sqlx::Error::Decode)?;
                    Ok(Some(text.to_owned()))
                })
                .collect(),
            AnyConnection::Sqlite(connection) => query
                .fetch_all(connection)
                .await?
                .iter()
                .map(|row| {
                    let value = row.try_get_raw(0)?;
                    if value.is_null() {
                        return Ok(None);
                    }
                    // SQLite values carry their own storage class, whatever the column says.
                    let storage_class = value.type_info().name().to_owned();
                    Ok(match storage_class.as_str() {
                        "INTEGER" => Some(row.try_get_unchecked::<i64, _>(0)?.to_string()),
                        "REAL" => Some(row.try_get_unchecked::<f64, _>(0)?.to_string()),
                        "BLOB" => Some(hex(&row.try_get_unchecked::<Vec<u8>, _>(0)?)),
                        _ => Some(row.try_get_unchecked::<String, _>(0)?),
                    })
                })
                .collect(),
        }
    }

    async fn close(self) {
        let _ = match self {
            AnyConnection::Sqlite(connection) => connection.close().await,
            AnyConnection::Postgres(connection) => connection.close().await,
        };
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Writes a behaviour's test once and runs it on both dialects:
///
/// ```ignore
/// both_dialects! {
///     async fn purge_respects_the_window(dialect: Dialect) { ... }
/// }
/// ```
///
/// keeps the function and adds a module of the same name with the `#[tokio::test]`s
/// `purge_respects_the_window::sqlite` and `purge_respects_the_window::postgres`. Attributes
/// written above the function (`#[ignore]`, doc comments) go on both tests.
macro_rules! both_dialects {
    ($(
        $(#[$attribute:meta])*
        async fn $name:ident($dialect:ident : $dialect_type:ty) $body:block
    )*) => {$(
        async fn $name($dialect: $dialect_type) $body

        mod $name {
            $(#[$attribute])*
            #[::tokio::test]
            async fn sqlite() {
                super::$name($crate::support::Dialect::Sqlite).await
            }

            $(#[$attribute])*
            #[::tokio::test]
            async fn postgres() {
                super::$name($crate::support::Dialect::Postgres).await
            }
        }
    )*};
}
pub(crate) use both_dialects;

/// The real `privctl` binary, run in a sealed environment: no inherited variables, only
/// `PATH=/usr/bin:/bin`, `HOME` (the test's own), `DATABASE_URL` (the test's database),
/// `PRIVCTL_MAP` (when given), `PRIVCTL_ACTOR=tester@test`, `LANG=C` and `TZ=UTC`, in the
/// test's home folder unless told otherwise.
///
/// Clone a configured `Privctl` to run several commands against the same database.
#[derive(Debug, Clone)]
pub struct Privctl {
    args: Vec<OsString>,
    /// Set (`Some`) or removed (`None`), in order, after the sealed defaults.
    envs: Vec<(OsString, Option<OsString>)>,
    current_dir: PathBuf,
    stdin: Vec<u8>,
    timeout: Duration,
}

impl Privctl {
    pub fn new(db: &TestDb) -> Privctl {
        let home = db.home();
        Privctl {
            args: Vec::new(),
            envs: vec![
                ("PATH".into(), Some("/usr/bin:/bin".into())),
                ("HOME".into(), Some(home.clone().into())),
                ("DATABASE_URL".into(), Some(db.url.clone().into())),
                ("PRIVCTL_ACTOR".into(), Some("tester@test".into())),
                ("LANG".into(), Some("C".into())),
                ("TZ".into(), Some("UTC".into())),
            ],
            current_dir: home,
            stdin: Vec::new(),
            timeout: Duration::from_secs(120),
        }
    }

    /// `PRIVCTL_MAP`: the data map to use.
    pub fn map(self, path: impl AsRef<Path>) -> Privctl {
        self.env("PRIVCTL_MAP", path.as_ref())
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Privctl {
        self.envs.push((key.into(), Some(value.into())));
        self
    }

    /// Unsets a variable, including one of the sealed defaults (e.g. `DATABASE_URL`).
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Privctl {
        self.envs.push((key.into(), None));
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Privctl {
        self.current_dir = dir.into();
        self
    }

    /// What the command reads on standard input (nothing, by default).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Privctl {
        self.stdin = bytes.into();
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Privctl {
        self.args.push(arg.into());
        self
    }

    pub fn args<I>(mut self, args: I) -> Privctl
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// How long the command may run before it is killed and the test fails (120 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Privctl {
        self.timeout = timeout;
        self
    }

    /// Runs the command to completion. It blocks the test's thread: a command waiting for
    /// something the same test would do next (e.g. release a lock) never finishes.
    #[track_caller]
    pub fn run(&self) -> RunOutput {
        let description = self.description();
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {description}: {error}"));

        // Feed and drain the pipes on their own threads, so a full pipe cannot stall either side.
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let input = self.stdin.clone();
        let writer = std::thread::spawn(move || {
            // The command may exit without reading its input: a broken pipe is fine.
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().expect("stdout was piped");
        let stdout_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        });
        let mut stderr = child.stderr.take().expect("stderr was piped");
        let stderr_reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes);
            bytes
        });

        let deadline = Instant::now() + self.timeout;
        let mut pause = Duration::from_millis(1);
        let (status, timed_out) = loop {
            match child.try_wait() {
                Ok(Some(status)) => break (status, false),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    break (child.wait().expect("cannot wait for privctl"), true);
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(error) => panic!("cannot wait for {description}: {error}"),
            }
        };
        let _ = writer.join();
        let stdout_bytes = stdout_reader.join().unwrap_or_default();
        let stderr_bytes = stderr_reader.join().unwrap_or_default();
        let output = RunOutput {
            code: status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stderr: String::from_utf8_lossy(&stderr_bytes).into_owned(),
            stdout_bytes,
            description,
        };
        assert!(!timed_out, "killed after {:?}: {output}", self.timeout);
        output
    }

    /// Starts the command and returns at once (no standard input; its output piped), for a test
    /// that signals or kills it mid-run; [`Spawned::finish`] waits for it.
    #[track_caller]
    pub fn spawn(&self) -> Spawned {
        let description = self.description();
        let child = self
            .command()
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {description}: {error}"));
        Spawned { child, description }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_privctl"));
        command
            .args(&self.args)
            .env_clear()
            .current_dir(&self.current_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    fn description(&self) -> String {
        let mut text = String::from("`privctl");
        for arg in &self.args {
            text.push(' ');
            text.push_str(&arg.to_string_lossy());
        }
        text.push('`');
        text
    }
}

/// `privctl --format json <args…>` with this runner.
pub fn run(privctl: &Privctl, args: &[&str]) -> RunOutput {
    privctl.clone().args(["--format", "json"]).args(args).run()
}

/// A privctl run started by [`Privctl::spawn`].
#[derive(Debug)]
pub struct Spawned {
    child: std::process::Child,
    description: String,
}

impl Spawned {
    /// The process id, to signal it.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited already.
    pub fn has_exited(&mut self) -> bool {
        self.child
            .try_wait()
            .unwrap_or_else(|error| panic!("cannot poll {}: {error}", self.description))
            .is_some()
    }

    /// Sends `signal` (a name `kill` knows: `TERM`, `INT`, `KILL`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("/bin/kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("cannot run /bin/kill");
        assert!(
            status.success(),
            "kill -{signal} {} failed",
            self.child.id()
        );
    }

    /// Panics, showing what it printed, unless it is still running.
    #[track_caller]
    pub fn assert_running(&mut self, what: &str) {
        if self.has_exited() {
            let output = self.collect();
            panic!("{what}: {output}");
        }
    }

    /// Waits, polling every 5 ms, until `done` holds while the run goes on (e.g. until its job
    /// has committed a batch). Panics, showing what the run printed, when it exits first, or,
    /// killing it, when `done` still fails after `timeout`.
    pub async fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl AsyncFnMut() -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.has_exited() {
                let output = self.collect();
                panic!("the run ended before {what}: {output}");
            }
            if done().await {
                return;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let output = self.collect();
                panic!("no {what} within {timeout:?}: {output}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for it to exit (killing it after `timeout`) and returns what it printed.
    #[track_caller]
    pub fn finish(mut self, timeout: Duration) -> RunOutput {
        let deadline = Instant::now() + timeout;
        while !self.has_exited() {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let output = self.collect();
                panic!("killed after {timeout:?}: {output}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.collect()
    }

    /// Reaps the process and reads what it printed (it must have exited, or been killed).
    fn collect(&mut self) -> RunOutput {
        let status = self
            .child
            .wait()
            .unwrap_or_else(|error| panic!("cannot wait for {}: {error}", self.description));
        let mut stdout_bytes = Vec::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            let _ = stdout.read_to_end(&mut stdout_bytes);
        }
        let mut stderr_bytes = Vec::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_end(&mut stderr_bytes);
        }
        RunOutput {
            code: status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stderr: String::from_utf8_lossy(&stderr_bytes).into_owned(),
            stdout_bytes,
            description: self.description.clone(),
        }
    }
}

/// What a privctl run printed and how it exited.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The exit code; 128 + the signal's number when a signal ended it.
    pub code: i32,
    /// Standard output, as text (invalid UTF-8 replaced; see `stdout_bytes`).
    pub stdout: String,
    pub stderr: String,
    /// Standard output exactly as written.
    pub stdout_bytes: Vec<u8>,
    description: String,
}

impl RunOutput {
    /// Panics, showing both streams, unless the command exited 0.
    #[track_caller]
    pub fn success(&self) -> &RunOutput {
        self.code(0)
    }

    /// Panics, showing both streams, unless the command exited with `expected`.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &RunOutput {
        assert!(
            self.code == expected,
            "expected exit code {expected}: {self}"
        );
        self
    }

    /// Standard output parsed as JSON; panics, showing both streams, if it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("standard output is not JSON ({error}): {self}"))
    }
}

impl std::fmt::Display for RunOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- end ---",
            self.description, self.code, self.stdout, self.stderr
        )
    }
}
