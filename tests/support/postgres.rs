//! One PostgreSQL server per test process, and a fresh database per test.
//!
//! The server is either the one `PRIVCTL_TEST_DATABASE_URL` names (a superuser URL), or a throwaway
//! cluster this process creates with `initdb` and starts with `pg_ctl` on first use. The throwaway
//! cluster lives in a temporary directory and is stopped and deleted by a watchdog shell when the
//! test process exits, however it exits: statics are never dropped, so nothing in this process
//! could do it.
//!
//! Every test gets its own database, `privctl_test_<counter>_<pid>`. [`PgDatabase::cleanup`]
//! drops it at the end of a passing test; a failing test never gets there, so its database is
//! kept. Only an external server outlives the test process, so set `PRIVCTL_TEST_DATABASE_URL` to
//! inspect what a failing test left behind.
//!
//! A test that cannot reach PostgreSQL panics with what is missing and how to fix it; it never
//! skips.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

/// Names a running server to use instead of a throwaway cluster: a superuser URL.
pub const EXTERNAL_URL_VAR: &str = "PRIVCTL_TEST_DATABASE_URL";

const HOW_TO_FIX: &str = "Fix: install the PostgreSQL server binaries (`apt-get install -y postgresql`; \
     initdb, pg_ctl and postgres must be on PATH or in /usr/lib/postgresql/<version>/bin), \
     or set PRIVCTL_TEST_DATABASE_URL to a superuser URL of a running server, \
     e.g. postgres://postgres@127.0.0.1:5432/postgres";

enum Server {
    /// A cluster this process started.
    Throwaway(Cluster),
    /// The server `PRIVCTL_TEST_DATABASE_URL` names.
    External { superuser_url: String },
}

struct Cluster {
    superuser_url: String,
    /// The watchdog waits for end-of-file on this pipe, which comes when this process exits.
    _watchdog_pipe: ChildStdin,
}

/// The server, or why it could not be had (kept so every test fails with the same message
/// instead of each trying to start its own cluster).
static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

static DATABASE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn server() -> &'static Server {
    match SERVER.get_or_init(start_server) {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// The superuser URL of the test server (its maintenance database), starting the throwaway
/// cluster if this is the first use.
pub fn superuser_url() -> &'static str {
    match server() {
        Server::Throwaway(cluster) => &cluster.superuser_url,
        Server::External { superuser_url } => superuser_url,
    }
}

/// A database of its own for one test. Not dropped on `Drop`: call [`PgDatabase::cleanup`] at
/// the end of a passing test.
#[derive(Debug)]
pub struct PgDatabase {
    /// The database's name, `privctl_test_<counter>_<pid>`.
    pub name: String,
    /// A superuser URL for this database.
    pub url: String,
}

/// Creates a new, empty database on the test server and returns its superuser URL.
pub async fn fresh_database() -> PgDatabase {
    let admin_url = superuser_url();
    let mut admin = connect(admin_url).await;
    let pid = std::process::id();
    loop {
        let name = format!(
            "privctl_test_{}_{pid}",
            DATABASE_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let create = format!("CREATE DATABASE {}", quote_ident(&name));
        match sqlx::raw_sql(AssertSqlSafe(create))
            .execute(&mut admin)
            .await
        {
            Ok(_) => {
                let _ = admin.close().await;
                let url = PgUrl::parse(admin_url).with_database(&name).to_string();
                return PgDatabase { name, url };
            }
            // Left over by an earlier run on an external server that had the same pid.
            Err(error) if sqlstate(&error).as_deref() == Some("42P04") => {}
            Err(error) => panic!("cannot create a test database on {admin_url}: {error}"),
        }
    }
}

impl PgDatabase {
    /// Drops the database. Call it as the last step of a passing test; a failing test never
    /// reaches it, which keeps its database for inspection on an external server.
    pub async fn cleanup(self) {
        let mut admin = connect(superuser_url()).await;
        // FORCE: connections the code under test leaked must not keep the database alive.
        let drop = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        );
        if let Err(error) = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut admin).await {
            panic!("cannot drop test database {}: {error}", self.name);
        }
        let _ = admin.close().await;
    }

    /// Creates (or updates) a login role without superuser or BYPASSRLS, lets it use this
    /// database's `public` schema (its current tables and sequences and those the superuser
    /// creates later), and returns a URL connecting as that role to this database.
    ///
    /// Roles belong to the whole server, not to the database: tests that use the same name
    /// share the role, and it outlives the test (on an external server too).
    pub async fn create_role(&self, name: &str, password: &str) -> String {
        let admin_url = superuser_url();
        let role = quote_ident(name);
        let secret = quote_literal(password);
        // Serialised by an advisory lock: concurrent CREATE/ALTER ROLE on one name fail.
        let upsert = format!(
            "DO $privctl$ BEGIN
               PERFORM pg_advisory_xact_lock(7271766365);
               IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {name_literal}) THEN
                 ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {secret};
               ELSE
                 CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {secret};
               END IF;
             END $privctl$",
            name_literal = quote_literal(name),
        );
        run_script(admin_url, upsert).await;
        let grants = format!(
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role};
             GRANT USAGE, CREATE ON SCHEMA public TO {role};
             GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {role};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO {role};",
            db = quote_ident(&self.name),
        );
        run_script(&self.url, grants).await;
        PgUrl::parse(&self.url)
            .with_user(name, password)
            .to_string()
    }
}

async fn connect(url: &str) -> PgConnection {
    match PgConnection::connect(url).await {
        Ok(connection) => connection,
        Err(error) => {
            let hint = match server() {
                Server::External { .. } => format!("check {EXTERNAL_URL_VAR}"),
                Server::Throwaway(_) => "the throwaway cluster stopped answering".to_owned(),
            };
            panic!("cannot connect to PostgreSQL at {url}: {error} ({hint})")
        }
    }
}

async fn run_script(url: &str, sql: String) {
    let mut connection = connect(url).await;
    if let Err(error) = sqlx::raw_sql(AssertSqlSafe(sql.clone()))
        .execute(&mut connection)
        .await
    {
        panic!("SQL failed on {url}: {error}\n{sql}");
    }
    let _ = connection.close().await;
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    let code = error.as_database_error()?.code()?;
    Some(code.into_owned())
}

/// `name` as a double-quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `value` as a single-quoted SQL string literal.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

// ---------------------------------------------------------------------------------------------
// Starting the server

fn start_server() -> Result<Server, String> {
    match std::env::var(EXTERNAL_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => {
            return Ok(Server::External {
                superuser_url: url.trim().to_owned(),
            });
        }
        _ => {}
    }
    start_throwaway_cluster()
        .map(Server::Throwaway)
        .map_err(|error| {
            format!(
                "cannot start a throwaway PostgreSQL cluster for the tests: {error}\n{HOW_TO_FIX}"
            )
        })
}

/// How to run the server's programs: directly, or as the `postgres` user when we are root
/// (`PostgreSQL` refuses to run as root).
struct Runner {
    /// `runuser`, when running as root.
    runuser: Option<PathBuf>,
}

impl Runner {
    fn command(&self, program: &Path) -> Command {
        match &self.runuser {
            Some(runuser) => {
                let mut command = Command::new(runuser);
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

fn start_throwaway_cluster() -> Result<Cluster, String> {
    let bin = find_server_binaries()?;
    let runner = Runner {
        runuser: if running_as_root() {
            Some(prepare_postgres_user()?)
        } else {
            None
        },
    };

    let root = tempfile::Builder::new()
        .prefix("privctl-pg-")
        .tempdir()
        .map_err(|error| format!("cannot create a temporary directory: {error}"))?
        .keep();
    let root_text = root.to_str().unwrap_or_default();
    if root_text.is_empty() || root_text.contains(['\'', '"', ' ', '\\', '$']) {
        return Err(format!(
            "the temporary directory {} has characters pg_ctl cannot pass through its shell; set TMPDIR to a plain path",
            root.display()
        ));
    }
    let data = root.join("data");
    let log = root.join("server.log");

    // First thing after the directory exists, so it is removed whatever fails next.
    let watchdog_pipe = spawn_watchdog(&bin, &runner, &root, &data)?;

    if runner.runuser.is_some() {
        let status = Command::new("chown")
            .arg("postgres")
            .arg(&root)
            .status()
            .map_err(|error| format!("cannot run chown: {error}"))?;
        if !status.success() {
            return Err(format!("`chown postgres {}` failed", root.display()));
        }
    }

    let initdb = runner
        .command(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .current_dir(&root)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", bin.join("initdb").display()))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed ({}):\n{}{}",
            initdb.status,
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }

    // A port that was free a moment ago can be taken before the server binds it: try again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='{root_text}' \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        );
        let start = runner
            .command(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .current_dir(&root)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", bin.join("pg_ctl").display()))?;
        if start.status.success() {
            return Ok(Cluster {
                superuser_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                _watchdog_pipe: watchdog_pipe,
            });
        }
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        if attempts < 3 && server_log.contains("Address already in use") {
            continue;
        }
        return Err(format!(
            "pg_ctl start failed ({}):\n{}{}\nserver log:\n{server_log}",
            start.status,
            String::from_utf8_lossy(&start.stdout),
            String::from_utf8_lossy(&start.stderr)
        ));
    }
}

/// A shell, in its own process group so Ctrl-C in the terminal does not reach it, that waits
/// until this process has exited (its standard input, a pipe whose only writer is this
/// process, reaches end-of-file; std opens pipes close-on-exec, so no other child holds it),
/// then stops the cluster and deletes its directory.
fn spawn_watchdog(
    bin: &Path,
    runner: &Runner,
    root: &Path,
    data: &Path,
) -> Result<ChildStdin, String> {
    const SCRIPT: &str = r#"
        trap '' INT HUP
        read -r _ignored
        if [ -n "$RUNUSER" ]; then
            "$RUNUSER" -u postgres -- "$PG_CTL" -D "$DATA" -m immediate stop
        else
            "$PG_CTL" -D "$DATA" -m immediate stop
        fi
        rm -rf "$ROOT"
    "#;
    let mut child = Command::new("/bin/sh")
        .args(["-c", SCRIPT])
        .env("PG_CTL", bin.join("pg_ctl"))
        .env("DATA", data)
        .env("ROOT", root)
        .env(
            "RUNUSER",
            runner.runuser.as_deref().unwrap_or(Path::new("")),
        )
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|error| format!("cannot start the cleanup watchdog (/bin/sh): {error}"))?;
    Ok(child.stdin.take().expect("stdin was piped"))
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: from `PATH` first (following
/// symlinks, so `/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl` finds its
/// siblings), then the newest `/usr/lib/postgresql/<version>/bin`.
fn find_server_binaries() -> Result<PathBuf, String> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|program| is_executable(&dir.join(program)))
    };
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let pg_ctl = dir.join("pg_ctl");
        if !is_executable(&pg_ctl) {
            continue;
        }
        if let Some(real_dir) = std::fs::canonicalize(&pg_ctl)
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
            && has_all(&real_dir)
        {
            return Ok(real_dir);
        }
    }
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
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions
        .into_iter()
        .map(|(_, dir)| dir)
        .find(|dir| has_all(dir))
        .ok_or_else(|| {
            "the PostgreSQL server binaries (initdb, pg_ctl, postgres) are neither on PATH nor in /usr/lib/postgresql/<version>/bin".to_owned()
        })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// Whether the effective user is root, from /proc/self/status (`id -u` where there is no /proc).
fn running_as_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(uids) = status.lines().find_map(|line| line.strip_prefix("Uid:"))
    {
        return uids.split_whitespace().nth(1) == Some("0");
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Checks that we can run programs as `postgres` and returns the path of `runuser`.
fn prepare_postgres_user() -> Result<PathBuf, String> {
    let has_user = Command::new("id")
        .args(["-u", "postgres"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !has_user {
        return Err(
            "running as root, which PostgreSQL refuses, and there is no `postgres` user to run it as \
             (installing the postgresql package creates one; or `useradd --system postgres`)"
                .to_owned(),
        );
    }
    let mut candidates: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join("runuser"))
            .collect();
    candidates.extend(["/usr/sbin/runuser", "/sbin/runuser"].map(PathBuf::from));
    candidates
        .into_iter()
        .find(|path| is_executable(path))
        .ok_or_else(|| {
            "running as root, which PostgreSQL refuses, and `runuser` (util-linux) is missing to run it as `postgres`".to_owned()
        })
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("cannot find a free TCP port on 127.0.0.1: {error}"))
}

// ---------------------------------------------------------------------------------------------
// URLs

/// A `postgres://user:password@host:port/database?params` URL taken apart just enough to swap
/// the user or the database.
struct PgUrl {
    scheme: String,
    userinfo: Option<String>,
    host: String,
    database: String,
    /// Everything from `?` on, or empty.
    query: String,
}

impl PgUrl {
    fn parse(url: &str) -> PgUrl {
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("not a PostgreSQL URL: {url}"));
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo.to_owned()), host.to_owned()),
            None => (None, authority.to_owned()),
        };
        let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
        PgUrl {
            scheme: scheme.to_owned(),
            userinfo,
            host,
            database: path.trim_start_matches('/').to_owned(),
            query: query.to_owned(),
        }
    }

    fn with_database(mut self, database: &str) -> PgUrl {
        self.database = percent_encode(database);
        self
    }

    fn with_user(mut self, user: &str, password: &str) -> PgUrl {
        self.userinfo = Some(format!(
            "{}:{}",
            percent_encode(user),
            percent_encode(password)
        ));
        self
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(userinfo) = &self.userinfo {
            write!(f, "{userinfo}@")?;
        }
        write!(f, "{}/{}{}", self.host, self.database, self.query)
    }
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod url_tests {
    use super::PgUrl;

    #[test]
    fn swaps_database_and_user_keeping_the_rest() {
        let url = PgUrl::parse("postgres://postgres:s3cret@db.local:5433/postgres?sslmode=disable")
            .with_database("privctl_test_1_2")
            .with_user("app user", "p@ss")
            .to_string();
        assert_eq!(
            url,
            "postgres://app%20user:p%40ss@db.local:5433/privctl_test_1_2?sslmode=disable"
        );
        assert_eq!(
            PgUrl::parse("postgresql://localhost")
                .with_database("x")
                .to_string(),
            "postgresql://localhost/x"
        );
    }
}
