//! `privctl init`: create privctl's own tables.

use anyhow::{Context as _, Result};

use super::Context;
use crate::db::{Dialect, redact_url};

/// Create privctl's own tables (ledger, confirmations, jobs, blob outbox); safe to run again
#[derive(Debug, clap::Args)]
pub struct Args {}

const POSTGRES: &str = include_str!("../../sql/postgres/privctl.sql");
const SQLITE: &str = include_str!("../../sql/sqlite/privctl.sql");

pub async fn run(ctx: &Context, _args: Args) -> Result<()> {
    let db = ctx.connect().await?;
    create_tables(&db).await?;
    let url = redact_url(ctx.database_url.as_deref().unwrap_or_default());
    if ctx.ui.is_json() {
        ctx.ui
            .json(&serde_json::json!({"initialized": true, "dialect": db.dialect().name()}))?;
    } else {
        ctx.ui.line(&format!("privctl tables are ready in {url}"))?;
    }
    db.close().await;
    Ok(())
}

/// Applies `sql/<dialect>/privctl.sql`.
pub async fn create_tables(db: &crate::db::Db) -> Result<()> {
    let script = match db.dialect() {
        Dialect::Postgres => POSTGRES,
        Dialect::Sqlite => SQLITE,
    };
    db.run_script(script)
        .await
        .context("creating privctl's tables")
}
