//! A real S3-protocol server for the blob store tests: `moto_server` (PyPI's `moto[server]`),
//! started once per test process on a free loopback port and stopped by a watchdog shell when
//! the process exits, as the PostgreSQL cluster is. It checks signatures: the tests' access key
//! may do anything on S3 but delete an object whose key contains `locked` (an IAM deny), and a
//! wrong secret is refused. Each test gets a prefix of its own in the one bucket.
//!
//! A test can also start a [`Private`] server of its own (no signatures checked) to stop and
//! start again. A test that cannot start the server panics with what is missing; it never skips.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};

pub const BUCKET: &str = "privctl-tests";
const HOW_TO_FIX: &str = "Fix: install the S3 test server, `python3 -m pip install 'moto[server]'` \
     (moto_server must be on PATH; .ci/run installs it)";

/// A running S3 server: its endpoint and the tests' credentials.
pub struct Server {
    pub endpoint: String,
    pub key_id: String,
    pub secret: String,
    port: u16,
    _watchdog: ChildStdin,
}

static SHARED: OnceLock<Result<Server, String>> = OnceLock::new();
static PREFIXES: AtomicU64 = AtomicU64::new(0);

/// The shared server, started on first use.
pub fn shared() -> &'static Server {
    match SHARED.get_or_init(|| Server::start(true)) {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// A prefix no other test uses: `t<counter>-<pid>`.
pub fn fresh_prefix() -> String {
    format!(
        "t{}-{}",
        PREFIXES.fetch_add(1, Ordering::Relaxed),
        std::process::id()
    )
}

impl Server {
    fn start(auth: bool) -> Result<Server, String> {
        let port = free_port()?;
        Self::start_on(port, auth)
    }

    fn start_on(port: u16, auth: bool) -> Result<Server, String> {
        let moto = find_on_path("moto_server").ok_or_else(|| {
            format!("the S3 test server `moto_server` is not on PATH. {HOW_TO_FIX}")
        })?;
        // The watchdog starts the server and kills it when this process's end closes its stdin.
        const SCRIPT: &str = r#"
            trap '' INT HUP
            "$MOTO" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
            server=$!
            read -r _ignored
            kill "$server" 2>/dev/null
        "#;
        let mut watchdog = Command::new("/bin/sh")
            .args(["-c", SCRIPT])
            .env("MOTO", &moto)
            .env("PORT", port.to_string())
            .env(
                "INITIAL_NO_AUTH_ACTION_COUNT",
                if auth { "3" } else { "inf" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start the S3 server's watchdog: {error}"))?;
        let stdin = watchdog.stdin.take().expect("stdin was piped");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "moto_server did not listen on {endpoint} within 30 s. {HOW_TO_FIX}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let setup = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/s3_setup.py");
        let mut command = Command::new("python3");
        command.arg(setup).arg(&endpoint).arg(BUCKET);
        if !auth {
            command.arg("--no-auth");
        }
        let out = command
            .output()
            .map_err(|error| format!("cannot run python3 for the S3 setup: {error}"))?;
        if !out.status.success() {
            return Err(format!(
                "setting up the S3 test server failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let keys: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|error| format!("the S3 setup printed no JSON: {error}"))?;
        Ok(Server {
            endpoint,
            key_id: keys["key_id"].as_str().unwrap_or_default().to_owned(),
            secret: keys["secret"].as_str().unwrap_or_default().to_owned(),
            port,
            _watchdog: stdin,
        })
    }

    /// The objects below `prefix` of the bucket, as this server's client sees them.
    pub fn store(&self, prefix: &str) -> Arc<dyn ObjectStore> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id(&self.key_id)
            .with_secret_access_key(&self.secret)
            .build()
            .expect("an S3 client for the test server");
        Arc::new(object_store::prefix::PrefixStore::new(
            store,
            ObjectPath::from(prefix),
        ))
    }

    /// The map section of a store at `s3://BUCKET/PREFIX` on this server; its credentials come
    /// from the environment variables `PRIVCTL_S3_KEY_ID` and `PRIVCTL_S3_SECRET`.
    pub fn map_section(&self, name: &str, prefix: &str) -> String {
        format!(
            "[blobs.{name}]\nurl = \"s3://{BUCKET}/{prefix}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"env:PRIVCTL_S3_KEY_ID\"\nsecret_access_key = \"env:PRIVCTL_S3_SECRET\"\n",
            self.endpoint
        )
    }
}

/// Puts each key (with a few bytes) below the store.
pub async fn put_all(store: &Arc<dyn ObjectStore>, keys: &[String]) {
    for key in keys {
        store
            .put(
                &ObjectPath::parse(key).unwrap(),
                PutPayload::from_static(b"object"),
            )
            .await
            .unwrap_or_else(|error| panic!("cannot put {key} on the S3 test server: {error}"));
    }
}

/// Which of `keys` are objects of the store (each asked for with HEAD: moto refuses the
/// signature of a listing whose prefix holds an encoded `/`).
pub async fn present(store: &Arc<dyn ObjectStore>, keys: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for key in keys {
        match store.head(&ObjectPath::parse(key).unwrap()).await {
            Ok(_) => {
                found.insert(key.clone());
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => panic!("cannot ask the S3 test server for {key}: {error}"),
        }
    }
    found
}

/// A server of one test's own, which checks no signatures, to stop and start again.
pub struct Private {
    pub server: Option<Server>,
    port: u16,
}

impl Private {
    pub fn start() -> Private {
        let server = Server::start(false).unwrap_or_else(|message| panic!("{message}"));
        Private {
            port: server.port,
            server: Some(server),
        }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("the private S3 server runs")
    }

    /// Stops the server (its watchdog kills it) and waits until the port is closed.
    pub fn stop(&mut self) {
        drop(self.server.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the S3 server did not stop within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts it again on the same port: empty, with the bucket.
    pub fn restart(&mut self) {
        self.server =
            Some(Server::start_on(self.port, false).unwrap_or_else(|message| panic!("{message}")));
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|error| format!("no free port: {error}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|error| format!("no free port: {error}"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| Path::new(candidate).is_file())
    })
}
