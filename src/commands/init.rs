//! `privctl init`: create privctl's own tables, or bring them to this privctl's version, by
//! applying the migrations of `sql/<dialect>/` the database lacks (see `db::migrate`).

use anyhow::{Context as _, Result};

use super::Context;
use crate::db::redact_url;
use crate::report::status::Initialized;

/// Create privctl's own tables (ledger, confirmations, jobs, blob outbox); safe to run again
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(ctx: &Context, _args: Args) -> Result<()> {
    let db = ctx.connect().await?;
    create_tables(&db).await?;
    let url = redact_url(ctx.database_url.as_deref().unwrap_or_default());
    if ctx.ui.is_json() {
        ctx.ui.json(&Initialized {
            initialized: true,
            dialect: db.dialect().name(),
        })?;
    } else {
        ctx.ui.line(&format!("privctl tables are ready in {url}"))?;
    }
    db.close().await;
    Ok(())
}

/// Applies the migrations of `sql/<dialect>/` this database lacks,
/// and builds the ledger's Merkle tree over existing entries the first time.
pub async fn create_tables(db: &crate::db::Db) -> Result<()> {
    db.migrate().await.context("creating privctl's tables")?;
    crate::ledger::tree::build(db)
        .await
        .context("building the ledger's Merkle tree")?;
    Ok(())
}
