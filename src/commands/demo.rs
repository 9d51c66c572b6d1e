//! `privctl demo`: a real DSAR on an embedded SQLite database built from the conversational-ai
//! fixture, with no server to install.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::Context;
use crate::db::Db;

/// Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the demo database, its map and its ledger key
    #[arg(long, default_value = "privctl-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Rebuild the database even if it exists
    #[arg(long)]
    pub reset: bool,
}

const SCHEMA: &str = include_str!("../../fixtures/conversational-ai/schema.sqlite.sql");
const SEED: &str = include_str!("../../fixtures/conversational-ai/seed.sql");
const MAP: &str = include_str!("../../fixtures/conversational-ai/privctl.toml");

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let db_path = args.dir.join("demo.db");
    let map_path = args.dir.join("privctl.toml");
    let key_path = args.dir.join("ledger.key");
    if args.reset {
        for path in [&db_path, &map_path] {
            if path.exists() {
                std::fs::remove_file(path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    let url = format!("sqlite://{}", db_path.display());
    if !db_path.exists() {
        let db = Db::connect(&url, true).await?;
        db.run_script(SCHEMA)
            .await
            .context("creating the demo schema")?;
        db.run_script(SEED).await.context("loading the demo data")?;
        super::init::create_tables(&db).await?;
        db.close().await;
        ctx.ui.status(&format!(
            "built {} from fixtures/conversational-ai",
            db_path.display()
        ));
    }
    if !key_path.exists() {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| anyhow::anyhow!("no randomness for the demo key: {e}"))?;
        write_private(&key_path, hex::encode(key).as_bytes())?;
    }
    if !map_path.exists() {
        // The fixture reads its ledger key from the environment; the demo keeps one in a file.
        let map = MAP.replace("env:PRIVCTL_LEDGER_KEY", "file:ledger.key");
        std::fs::write(&map_path, map)
            .with_context(|| format!("writing {}", map_path.display()))?;
    }

    let demo = Context {
        ui: ctx.ui.clone(),
        actor: ctx.actor.clone(),
        host: ctx.host.clone(),
        now: ctx.now,
        map_path: map_path.clone(),
        database_url: Some(url.clone()),
    };
    ctx.ui
        .status("dsar preview --tenant acme --email jane.doe@example.com --phone +49301234567 --on-behalf-of owner@acme.example:");
    let preview = super::dsar::SubjectArgs {
        tenant: Some("acme".into()),
        all_tenants: false,
        email: vec!["jane.doe@example.com".into()],
        phone: vec!["+49301234567".into()],
        identity: Vec::new(),
        on_behalf_of: Some("owner@acme.example".into()),
    };
    super::dsar::run(&demo, super::dsar::Command::Preview(preview)).await?;
    ctx.ui.status(&format!(
        "\nTry more on the same database:\n  export DATABASE_URL={url} PRIVCTL_MAP={}\n  privctl dsar export --tenant acme --email jane.doe@example.com --out jane.json",
        map_path.display()
    ));
    Ok(())
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}
