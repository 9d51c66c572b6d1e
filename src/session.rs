//! What a run knows before its work starts: who acts and when ([`Context`]), and the map
//! resolved against the connected database ([`Session`]), with the checks every command makes
//! of its `--tenant`: it exists, it is named as stored, and whether it is under legal hold.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::GlobalArgs;
use crate::clock::Timestamp;
use crate::db::{Db, Schema};
use crate::error::Failure;
use crate::ledger::Ledger;
use crate::map::DataMap;
use crate::model::Model;
use crate::ui::Ui;

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
    pub fn from_cli(global: &GlobalArgs) -> Result<Self> {
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
        // Tests fix the clock; a release build refuses to run with PRIVCTL_NOW set (crate::clock).
        let now = Timestamp::now(
            std::env::var_os("PRIVCTL_NOW").as_deref(),
            crate::clock::TEST_CLOCK,
        )?;
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
        let load = |source: &Option<crate::map::KeySource>, name: &str| {
            source
                .as_ref()
                .map(|k| k.load())
                .transpose()
                .with_context(|| format!("loading keys.{name}"))
        };
        let key = load(&map.keys.ledger, "ledger")?;
        let subject_key = load(&map.keys.subject, "subject")?;
        Ok(Ledger::new(key, self.actor.clone(), self.host.clone())
            .with_origin(map.ledger_origin.clone())
            .with_subject_key(subject_key))
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
        db.require_privctl_tables().await?;
        let schema = db.schema().await?;
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
            match self.tenant_value(&mut tx, &current, parent).await? {
                Some(up) => current = up,
                None => break,
            }
        }
        tx.rollback().await?;
        Ok(current)
    }

    /// `column` of tenant `id`'s row, as text (`None`: no such tenant, or NULL). Needs [tenant].
    pub async fn tenant_value(
        &self,
        tx: &mut crate::db::Tx,
        id: &str,
        column: &str,
    ) -> Result<Option<String>> {
        let t = self.model.tenant.as_ref().expect("a [tenant] section");
        let mut sql = self.db.sql();
        sql.push("SELECT CAST(")
            .column("t", column)
            .push(" AS text) FROM ")
            .ident(&t.name)
            .push(" t WHERE ")
            .column("t", &t.id)
            .push(" = ")
            .bind_as(id, &t.id_type);
        Ok(tx.fetch_optional(&sql).await?.and_then(|r| r[0].clone()))
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

impl Session {
    /// A write transaction with the tenant's setting made (`database.tenant_setting`), so the
    /// policies of row-level security see the tenant's rows.
    pub async fn begin_for(&self, tenant: Option<&str>) -> Result<crate::db::Tx> {
        let mut tx = self.db.begin(crate::db::TxMode::Write).await?;
        self.set_tenant(&mut tx, tenant).await?;
        Ok(tx)
    }

    /// Makes the tenant's setting in `tx` (when the map names one and there is a tenant).
    pub async fn set_tenant(&self, tx: &mut crate::db::Tx, tenant: Option<&str>) -> Result<()> {
        if let (Some(setting), Some(tenant)) = (&self.map.tenant_setting, tenant) {
            tx.set_tenant(setting, tenant).await?;
        }
        Ok(())
    }

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
    pub(crate) async fn append(
        &self,
        ctx: &Context,
        entry: crate::ledger::NewEntry,
    ) -> Result<crate::ledger::LedgerEntry> {
        let mut tx = self.db.begin(crate::db::TxMode::Write).await?;
        let entry = self.ledger.append(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(entry)
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
