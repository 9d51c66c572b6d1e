//! One module per subcommand; [`run`] dispatches.

pub mod audit;
pub mod completions;
pub mod decrypt;
pub mod delete_tenant;
pub mod demo;
pub mod dsar;
pub mod export_tenant;
pub mod init;
pub mod map;
pub mod purge;
pub mod status;

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::clock::Timestamp;
use crate::db::{Db, Schema};
use crate::error::Failure;
use crate::ledger::Ledger;
use crate::map::DataMap;
use crate::model::Model;
use crate::ui::Ui;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Context::from_cli(&cli.global)?;
    match cli.command {
        Command::Init(args) => init::run(&ctx, args).await,
        Command::Map(command) => map::run(&ctx, command).await,
        Command::Dsar(command) => dsar::run(&ctx, command).await,
        Command::ExportTenant(args) => export_tenant::run(&ctx, args).await,
        Command::DeleteTenant(args) => delete_tenant::run(&ctx, args).await,
        Command::PurgeRetention(args) => purge::run(&ctx, args).await,
        Command::AuditVerify(args) => audit::verify(&ctx, args).await,
        Command::Audit(command) => audit::run(&ctx, command).await,
        Command::Decrypt(args) => decrypt::run(&ctx, args).await,
        Command::Status(args) => status::run(&ctx, args).await,
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args).await,
    }
}

/// What every command knows before it starts: who acts, when, where output goes.
pub struct Context {
    pub ui: Ui,
    pub actor: String,
    pub host: String,
    pub now: Timestamp,
    pub map_path: PathBuf,
    pub database_url: Option<String>,
}

impl Context {
    #[allow(clippy::disallowed_methods)] // the one place a run reads its environment
    fn from_cli(global: &GlobalArgs) -> Result<Self> {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let actor = match &global.actor {
            Some(actor) if !actor.trim().is_empty() => actor.trim().to_owned(),
            _ => format!(
                "{}@{host}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            ),
        };
        // The actor is written into the ledger for good and shown by `audit log`: it may not
        // carry a line break or a terminal escape.
        if actor.chars().any(char::is_control) {
            return Err(Failure::usage(
                "--actor (or PRIVCTL_ACTOR, or USER) holds a control character; give a plain name, e.g. ops@example.com",
            )
            .into());
        }
        // Tests fix the clock; operators never need to.
        let now = Timestamp::now(std::env::var("PRIVCTL_NOW").ok().as_deref())?;
        // Tests inject faults into debug builds (see crate::fault); a release build never looks.
        #[cfg(debug_assertions)]
        if let Ok(fault) = std::env::var("PRIVCTL_TEST_FAULT") {
            crate::fault::install(&fault)?;
        }
        Ok(Self {
            ui: Ui::new(global.format, global.quiet, global.no_progress),
            actor,
            host,
            now,
            map_path: global.map.clone(),
            database_url: global.database_url.clone(),
        })
    }

    /// Connects to `--database-url` / `DATABASE_URL`.
    pub async fn connect(&self) -> Result<Db> {
        let url = self.database_url.as_deref().ok_or_else(|| {
            Failure::usage("no database given: pass --database-url URL or set DATABASE_URL")
        })?;
        Db::connect(url, false).await
    }

    /// The ledger as this run appends to it: `keys.ledger` from the map, the actor and host.
    pub fn ledger(&self, map: &DataMap) -> Result<Ledger> {
        let key = map
            .keys
            .ledger
            .as_ref()
            .map(|k| k.load())
            .transpose()
            .context("loading keys.ledger")?;
        Ok(Ledger::new(key, self.actor.clone(), self.host.clone()))
    }

    /// Loads the map, connects, and resolves the map against the live schema. Refuses (exit 5)
    /// while a table of the database is neither mapped nor ignored: every command that reads or
    /// erases personal data starts here, and none may report a subject or a tenant exported or
    /// erased while a table it knows nothing about may hold their rows.
    pub async fn session(&self) -> Result<Session> {
        let session = self.open_session().await?;
        refuse_unmapped_tables(&session.map, &session.schema)?;
        Ok(session)
    }

    /// [`Context::session`] without the refusal of unmapped tables, for work that reads no
    /// personal data and erases only what earlier runs committed to erase (draining the blob
    /// outbox): refusing it would keep objects that are already meant to be gone.
    pub async fn outbox_session(&self) -> Result<Session> {
        self.open_session().await
    }

    async fn open_session(&self) -> Result<Session> {
        let map = DataMap::load(&self.map_path)?;
        let db = self.connect().await?;
        let schema = db.schema().await?;
        if !schema.tables.contains_key("privctl_ledger") {
            return Err(
                Failure::failed("privctl's own tables are missing from this database")
                    .with_hint("run `privctl init` once to create them")
                    .into(),
            );
        }
        let model = Model::build(&map, &schema, db.dialect())?;
        let ledger = self.ledger(&map)?;
        Ok(Session {
            map,
            db,
            schema,
            model,
            ledger,
        })
    }
}

/// Refuses (exit 5) a map that does not account for every table of the database, naming the
/// tables, as `map check` reports them.
fn refuse_unmapped_tables(map: &DataMap, schema: &Schema) -> Result<()> {
    let unmapped = crate::map::check::unmapped_tables(map, schema);
    if unmapped.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        crate::error::Kind::MapProblems,
        format!(
            "{} does not account for every table of the database: privctl reads and erases nothing while a table may hold data it would miss (nothing was done, no token was issued): {}",
            map.path.display(),
            unmapped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
    .with_hint("map each table ([tables.NAME]) or ignore it (`ignore = true` with a `reason`), then run `privctl map check` until it passes")
    .into())
}

/// A map resolved against a connected database, with the ledger ready.
pub struct Session {
    pub map: DataMap,
    pub db: Db,
    pub schema: Schema,
    pub model: Model,
    pub ledger: Ledger,
}

impl Session {
    /// Checks `--tenant` against the map: required (and existing) when the map has `[tenant]`,
    /// refused when it has none. Returns whether the tenant is under legal hold.
    /// `--all-tenants`: whether any tenant is under legal hold (then a request across tenants
    /// may not erase; per-tenant requests may). Refuses a map without `[tenant]`.
    pub async fn any_tenant_on_hold(&self) -> Result<bool> {
        let Some(t) = &self.model.tenant else {
            return Err(Failure::usage(
                "--all-tenants: the map has no [tenant] section, so this database is single-tenant (leave the flag out)",
            )
            .into());
        };
        let spec = self.map.tenant.as_ref().expect("model has a tenant");
        let Some(column) = &spec.legal_hold else {
            return Ok(false);
        };
        let mut sql = self.db.sql();
        sql.push("SELECT CAST(")
            .column("t", column)
            .push(" AS text) FROM ")
            .ident(&t.name)
            .push(" t WHERE ")
            .column("t", column)
            .push(" IS NOT NULL");
        let mut tx = self.db.begin(crate::db::TxMode::Snapshot).await?;
        let holds = tx.fetch_column(&sql).await?;
        tx.rollback().await?;
        Ok(holds
            .iter()
            .any(|h| h.as_deref().is_some_and(crate::retention::legal_hold_set)))
    }

    /// The top of `id`'s chain of parents (nested tenants, `[tenant] parent`).
    async fn top_level_tenant(&self, id: &str) -> Result<String> {
        let t = self
            .model
            .tenant
            .as_ref()
            .expect("nested tenants need [tenant]");
        let parent = t.parent.as_ref().expect("nested tenants");
        let mut current = id.to_owned();
        let mut seen = std::collections::BTreeSet::new();
        let mut tx = self.db.begin(crate::db::TxMode::Snapshot).await?;
        while seen.insert(current.clone()) {
            let mut sql = self.db.sql();
            sql.push("SELECT CAST(")
                .column("t", parent)
                .push(" AS text) FROM ")
                .ident(&t.name)
                .push(" t WHERE ")
                .column("t", &t.id)
                .push(" = ")
                .bind_as(&current, &t.id_type);
            match tx.fetch_optional(&sql).await?.and_then(|r| r[0].clone()) {
                Some(up) => current = up,
                None => break,
            }
        }
        tx.rollback().await?;
        Ok(current)
    }

    pub async fn check_tenant(&self, tenant: Option<&str>) -> Result<bool> {
        match (&self.model.tenant, tenant) {
            (None, None) => Ok(false),
            (None, Some(_)) => Err(Failure::usage(
                "--tenant: the map has no [tenant] section, so this database is single-tenant",
            )
            .into()),
            (Some(_), None) => Err(Failure::usage(
                "--tenant ID is required (the map has a [tenant] section)",
            )
            .into()),
            (Some(t), Some(id)) => {
                let spec = self.map.tenant.as_ref().expect("model has a tenant");
                let mut sql = self.db.sql();
                sql.push("SELECT ");
                match &spec.legal_hold {
                    Some(column) => sql.push("CAST(").column("t", column).push(" AS text)"),
                    None => sql.push("NULL"),
                };
                if let Some(parent) = &t.parent {
                    sql.push(", CAST(").column("t", parent).push(" AS text)");
                }
                sql.push(", CAST(").column("t", &t.id).push(" AS text)");
                sql.push(" FROM ")
                    .ident(&t.name)
                    .push(" t WHERE ")
                    .column("t", &t.id)
                    .push(" = ")
                    .bind_as(id, &t.id_type);
                let mut tx = self.db.begin(crate::db::TxMode::Snapshot).await?;
                if let Some(setting) = &self.map.tenant_setting {
                    tx.set_tenant(setting, id).await?;
                }
                let row = tx
                    .fetch_optional(&sql)
                    .await
                    .with_context(|| format!("looking up tenant `{id}`"))?;
                // A role under row-level security sees no tenant when the setting its policies
                // read is not made: say so, rather than only "not found".
                let filtered = row.is_none() && tx.row_security_active(&t.name).await?;
                tx.rollback().await?;
                // `01` or ` 1` finds tenant 1 in an integer column, but would be recorded as
                // given, where `audit log --tenant 1` does not find it: one spelling only.
                if let Some(stored) = row.as_ref().and_then(|r| r.last().cloned().flatten())
                    && stored != id
                {
                    return Err(Failure::usage(format!(
                        "--tenant {id:?}: the tenant's id is stored as `{stored}`; give it exactly so (the ledger records it as given)"
                    ))
                    .into());
                }
                match row {
                    None => {
                        let hint = match (&self.map.tenant_setting, filtered) {
                            (None, true) => format!(
                                "row-level security filters {} for this database role, and the map sets no database.tenant_setting, so the role sees no tenant at all: set it to the setting the policies read (e.g. `tenant_setting = \"app.current_tenant\"` under [database]); nothing was done",
                                t.name
                            ),
                            (Some(setting), true) => format!(
                                "row-level security filters {} for this database role: check the tenant id, and that the policies read `{setting}` (database.tenant_setting); nothing was done",
                                t.name
                            ),
                            (_, false) => "check the tenant id; nothing was done".to_owned(),
                        };
                        Err(Failure::failed(format!(
                            "tenant `{id}` not found in {}.{}",
                            t.name, t.id
                        ))
                        .with_hint(hint)
                        .into())
                    }
                    Some(row) if t.parent.is_some() && row.get(1).is_some_and(Option::is_some) => {
                        Err(Failure::usage(format!(
                            "--tenant {id}: `{id}` is a sub-tenant (its {}.{} is set); privctl works on whole tenants",
                            t.name,
                            t.parent.as_deref().unwrap_or_default()
                        ))
                        .with_hint(format!(
                            "name its top-level tenant instead: {}",
                            self.top_level_tenant(id).await?
                        ))
                        .into())
                    }
                    Some(row) => Ok(row[0]
                        .as_deref()
                        .is_some_and(crate::retention::legal_hold_set)),
                }
            }
        }
    }
}

/// Records a long run's progress in `privctl_jobs`, inside the batch that made it.
pub(crate) async fn save_job_progress(
    tx: &mut crate::db::Tx,
    job_id: &str,
    progress: &impl serde::Serialize,
    now: crate::clock::Timestamp,
) -> Result<()> {
    use crate::db::Param;
    let mut sql = tx.sql();
    sql.push("UPDATE privctl_jobs SET progress = ")
        .bind(Param::Text(serde_json::to_string(progress)?))
        .push(", updated_at = ")
        .bind(Param::Text(now.to_canonical()))
        .push(" WHERE id = ")
        .bind(Param::Text(job_id.to_owned()));
    tx.execute(&sql)
        .await
        .context("recording the job's progress")?;
    Ok(())
}

/// Records a long run in `privctl_jobs` (state `running`), keyed by its token.
pub(crate) async fn insert_job(
    tx: &mut crate::db::Tx,
    job_id: &str,
    action: &str,
    tenant: Option<&str>,
    token_hash: &str,
    now: Timestamp,
) -> Result<()> {
    use crate::db::Param;
    let mut sql = tx.sql();
    sql.push("INSERT INTO privctl_jobs (id, action, tenant, token_hash, state, progress, started_at, updated_at) VALUES (")
        .bind(Param::Text(job_id.to_owned()))
        .push(", ")
        .bind(Param::Text(action.to_owned()))
        .push(", ")
        .bind(tenant.map_or(Param::Null, |t| Param::Text(t.to_owned())))
        .push(", ")
        .bind(Param::Text(token_hash.to_owned()))
        .push(", 'running', '{}', ")
        .bind(Param::Text(now.to_canonical()))
        .push(", ")
        .bind(Param::Text(now.to_canonical()))
        .push(")");
    tx.execute(&sql)
        .await
        .with_context(|| format!("recording the {action} job"))?;
    Ok(())
}

/// The ledger entry of a confirmed run that was refused (exit 3: `rejected`) or failed before
/// it changed anything (its transaction was rolled back).
pub(crate) fn refusal_entry(action: &str, error: &anyhow::Error) -> crate::ledger::NewEntry {
    let outcome = if crate::error::exit_code(error) == std::process::ExitCode::from(3) {
        "rejected"
    } else {
        "failed"
    };
    crate::ledger::NewEntry::new(
        action,
        outcome,
        serde_json::json!({"reason": error.to_string()}),
    )
}

impl Session {
    /// Appends `entry` to the ledger in its own transaction. Failing to record is a warning:
    /// the command is already failing, or has nothing else to record.
    pub(crate) async fn record(&self, ctx: &Context, entry: crate::ledger::NewEntry) {
        let outcome = entry.outcome.clone();
        if let Err(e) = self.append(ctx, entry).await {
            ctx.ui.warn(&format!(
                "could not record the {outcome} run in the ledger: {e:#}"
            ));
        }
    }

    /// Appends `entry` to the ledger in its own transaction and commits it.
    pub(crate) async fn append(&self, ctx: &Context, entry: crate::ledger::NewEntry) -> Result<()> {
        let mut tx = self.db.begin(crate::db::TxMode::Write).await?;
        self.ledger.append(&mut tx, ctx.now, entry).await?;
        tx.commit().await
    }
}

/// Tells the operator which partial outputs of killed runs were removed before writing.
pub(crate) fn report_leftovers(ctx: &Context, removed: &[PathBuf]) {
    for path in removed {
        ctx.ui.status(&format!(
            "removed {}, left by an interrupted run",
            path.display()
        ));
    }
}

/// A confirmed run whose token a finished run already consumed, while objects that run queued
/// are still pending (it was killed, or a store failed, while deleting them): deletes them,
/// records `objects-deleted` in the ledger, reports it (`"already_done": true`) and returns
/// `true`; an object that still fails is exit 1. `false` when the token is not spent or nothing
/// of the tenant is pending: then the token check refuses the replay as usual (exit 3).
pub(crate) async fn finish_queued_objects(
    ctx: &Context,
    session: &Session,
    action: &str,
    tenant: Option<&str>,
    token: &str,
) -> Result<bool> {
    let Some(report) = drain_spent_token(ctx, session, action, tenant, token).await? else {
        return Ok(false);
    };
    if ctx.ui.is_json() {
        ctx.ui.json(&serde_json::json!({
            "action": action,
            "tenant": tenant,
            "executed": false,
            "already_done": true,
            "blobs": report,
        }))?;
    }
    if report.failed > 0 {
        return Err(Failure::failed(format!(
            "{} blob(s) could not be deleted and stay in the outbox: {}",
            report.failed,
            report.errors.join("; ")
        ))
        .with_hint("run the same command again to retry them")
        .into());
    }
    Ok(true)
}

async fn drain_spent_token(
    ctx: &Context,
    session: &Session,
    action: &str,
    tenant: Option<&str>,
    token: &str,
) -> Result<Option<crate::blobs::DrainReport>> {
    use crate::db::Param;
    let mut sql = session.db.sql();
    sql.push("SELECT token_hash FROM privctl_confirmations WHERE consumed_at IS NOT NULL AND token_hash = ")
        .bind(Param::Text(crate::ledger::sha256_hex(token.trim().as_bytes())))
        .push(" AND action = ")
        .bind(Param::Text(action.to_owned()));
    match tenant {
        Some(tenant) => sql
            .push(" AND tenant = ")
            .bind(Param::Text(tenant.to_owned())),
        None => sql.push(" AND tenant IS NULL"),
    };
    let mut tx = session.db.begin(crate::db::TxMode::Snapshot).await?;
    let spent = tx.fetch_optional(&sql).await?.is_some();
    tx.rollback().await?;
    if !spent || crate::blobs::pending(&session.db, tenant).await? == 0 {
        return Ok(None);
    }
    let report = crate::blobs::drain(&session.db, &session.map, tenant, ctx.now).await?;
    let details = serde_json::json!({
        "objects_deleted_now": report.deleted,
        "failed": report.failed,
        "token_ref": crate::ledger::sha256_hex(token.trim().as_bytes())[..16].to_owned(),
    });
    let outcome = if report.failed == 0 {
        "objects-deleted"
    } else {
        "objects-failed"
    };
    let mut tx = session.db.begin(crate::db::TxMode::Write).await?;
    session
        .ledger
        .append(
            &mut tx,
            ctx.now,
            crate::ledger::NewEntry::new(action, outcome, details).tenant(tenant),
        )
        .await?;
    tx.commit().await?;
    ctx.ui.status(&format!(
        "this token's run already finished its rows; {} object(s) it left queued deleted now, {} failed",
        report.deleted, report.failed
    ));
    Ok(Some(report))
}
