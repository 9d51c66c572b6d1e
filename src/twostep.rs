//! The confirmed run of every destructive command, written once.
//!
//! A dry run issues a token bound to the action, the tenant, a selector and the plan's digest
//! ([`crate::confirm`]). The confirmed run, here, in one transaction: redeems the token (locked
//! on PostgreSQL), re-reads the tenant's legal hold under a share lock, recomputes the plan and
//! refuses it when it differs from the dry run's, then does the command's first work (which
//! consumes the token and records the job or the erasure) and commits. Any refusal or failure
//! on the way rolls the transaction back and records the refusal in the ledger. Around that,
//! [`ConfirmedRun::locked`] keeps a second run of the same work out, and
//! [`ConfirmedRun::finish_queued_objects`] lets a run whose rows are done (its token spent)
//! finish deleting the objects it queued.

use std::future::Future;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::confirm::{self, Confirmation, Expected};
use crate::db::{LockCheck, Param, Tx, TxMode};
use crate::error::Failure;
use crate::jobs::Job;
use crate::ledger::{NewEntry, sha256_hex};
use crate::session::{Context, Session};

/// A plan the confirmed run recomputed, to compare with the one the token was issued for.
pub trait Replanned {
    /// The digest the dry run bound the token to.
    fn digest(&self) -> String;
    /// What changed since the dry run's plan (`issued`), for the refusal's message.
    fn explain_difference(&self, issued: &Value) -> String;
}

impl Replanned for crate::plan::Plan {
    fn digest(&self) -> String {
        crate::plan::Plan::digest(self)
    }

    fn explain_difference(&self, issued: &Value) -> String {
        crate::plan::Plan::explain_difference(self, issued)
    }
}

impl Replanned for crate::retention::Windows {
    fn digest(&self) -> String {
        crate::retention::Windows::digest(self)
    }

    fn explain_difference(&self, issued: &Value) -> String {
        crate::retention::Windows::explain_difference(self, issued)
    }
}

/// A plan with what the run carries from its re-planning to its work (e.g. the selection it
/// materialised in the transaction).
impl<P: Replanned, X> Replanned for (P, X) {
    fn digest(&self) -> String {
        self.0.digest()
    }

    fn explain_difference(&self, issued: &Value) -> String {
        self.0.explain_difference(issued)
    }
}

/// What a tenant's legal hold does to a confirmed run at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The run erases the tenant's data: a hold refuses it, token unused.
    Refuse,
    /// The run leaves held tenants alone tenant by tenant (a purge): nothing to refuse here.
    Skip,
}

/// What the confirmed run's start checks the token against, and how it records a refusal.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    /// The keyed hash the dry run bound the token to (a subject's, a tenant's or a purge's).
    pub selector: &'a str,
    /// The subject's keyed reference, recorded with a refusal (never an identifier).
    pub subject: Option<&'a str>,
    pub holds: Holds,
}

/// One confirmed run of `action` with a token.
pub struct ConfirmedRun<'s> {
    pub ctx: &'s Context,
    pub session: &'s Session,
    pub action: &'static str,
    pub tenant: Option<&'s str>,
    token: String,
    /// The run's job, keyed by the token: also what names its lock.
    pub job: Job,
}

impl<'s> ConfirmedRun<'s> {
    pub fn new(
        ctx: &'s Context,
        session: &'s Session,
        action: &'static str,
        tenant: Option<&'s str>,
        token: &str,
    ) -> Self {
        let token = token.trim().to_owned();
        ConfirmedRun {
            ctx,
            session,
            action,
            tenant,
            job: Job::of_token(action, &token),
            token,
        }
    }

    /// A transaction for the run's work, with the tenant's setting made for row-level security.
    pub async fn begin(&self) -> Result<Tx> {
        self.session.begin_for(self.tenant).await
    }

    /// Runs `work` holding the lock `name` (see [`locked`]).
    pub async fn locked<T, F: Future<Output = Result<T>>>(
        &self,
        name: &str,
        busy: &str,
        work: impl FnOnce(LockCheck) -> F,
    ) -> Result<T> {
        locked(self.ctx, self.session, name, busy, work).await
    }

    /// The start of the confirmed run, in one transaction: redeems the token (checked against
    /// `start`), refuses a tenant under legal hold (`start.holds`), recomputes the plan with `replan` and refuses it when it
    /// differs from the dry run's, then runs `apply` (which consumes the token, or records the
    /// job that will) and commits. A refusal or failure rolls everything back and is recorded
    /// in the ledger (`rejected` for a token refusal, exit 3; `failed` otherwise).
    pub async fn start<P: Replanned, R>(
        &self,
        start: Start<'_>,
        replan: impl AsyncFnOnce(&mut Tx, &Confirmation) -> Result<P>,
        apply: impl AsyncFnOnce(&mut Tx, Confirmation, P) -> Result<R>,
    ) -> Result<R> {
        let mut tx = self.begin().await?;
        let attempt = async {
            let expected = Expected {
                action: self.action,
                tenant: self.tenant,
                selector: start.selector,
            };
            let confirmation = confirm::redeem(
                &mut tx,
                &self.token,
                &expected,
                &self.ctx.actor,
                self.ctx.now,
                self.session.map.confirm.require_distinct_actor,
            )
            .await?;
            if start.holds == Holds::Refuse {
                self.refuse_if_held(&mut tx).await?;
            }
            let plan = replan(&mut tx, &confirmation).await?;
            confirmation.check_plan(&plan.digest(), |issued| plan.explain_difference(issued))?;
            apply(&mut tx, confirmation, plan).await
        }
        .await;
        match attempt {
            Ok(applied) => {
                crate::fault::before_commit();
                tx.commit()
                    .await
                    .with_context(|| format!("committing the start of {}", self.action))?;
                Ok(applied)
            }
            Err(error) => {
                tx.rollback().await.ok();
                let mut entry = refusal_entry(self.action, &error).tenant(self.tenant);
                if let Some(subject) = start.subject {
                    entry = entry.subject(subject);
                }
                self.session.record(self.ctx, entry).await;
                Err(error)
            }
        }
    }

    /// A hold placed after the dry run (or after the command first read it) stops the run:
    /// read in the transaction that erases, under a share lock on PostgreSQL, so a hold cannot
    /// be set between this check and the commit.
    pub async fn refuse_if_held(&self, tx: &mut Tx) -> Result<()> {
        let Some(tenant) = self.tenant else {
            return Ok(());
        };
        let held = crate::retention::held_now(
            tx,
            &self.session.map,
            &self.session.model,
            &[tenant.to_owned()],
        )
        .await?;
        if held.is_empty() {
            return Ok(());
        }
        Err(Failure::failed(format!(
            "tenant `{tenant}` is under legal hold: its data may not be erased; nothing was erased and the token was not used"
        ))
        .into())
    }

    /// A confirmed run whose token a finished run already spent, while objects that run queued
    /// are still pending (it was killed, or a store failed, while deleting them): deletes them,
    /// records `objects-deleted` in the ledger, reports it (`"already_done": true`) and returns
    /// `true`; an object that still fails is exit 1. `false` when the token is not spent or
    /// nothing of the tenant is pending: then the token check refuses the replay (exit 3).
    /// Call it holding the run's lock, so a live run's queue is never taken for a dead one's.
    pub async fn finish_queued_objects(&self) -> Result<bool> {
        let Some(report) = self.drain_spent_token().await? else {
            return Ok(false);
        };
        crate::metrics::blobs(&report);
        if self.ctx.ui.is_json() {
            self.ctx.ui.json(&crate::report::execution::AlreadyDone {
                action: self.action,
                tenant: self.tenant,
                executed: false,
                already_done: true,
                blobs: &report,
            })?;
        }
        if report.failed > 0 {
            return Err(report.failure("").into());
        }
        Ok(true)
    }

    async fn drain_spent_token(&self) -> Result<Option<crate::blobs::DrainReport>> {
        let session = self.session;
        let token_hash = sha256_hex(self.token.as_bytes());
        let mut sql = session.db.sql();
        sql.push("SELECT token_hash FROM privctl_confirmations WHERE consumed_at IS NOT NULL AND token_hash = ")
            .bind(Param::Text(token_hash.clone()))
            .push(" AND action = ")
            .bind(Param::Text(self.action.to_owned()));
        match self.tenant {
            Some(tenant) => sql
                .push(" AND tenant = ")
                .bind(Param::Text(tenant.to_owned())),
            None => sql.push(" AND tenant IS NULL"),
        };
        let mut tx = session.db.begin(TxMode::Snapshot).await?;
        let spent = tx.fetch_optional(&sql).await?.is_some();
        tx.rollback().await?;
        if !spent || crate::blobs::pending(&session.db, self.tenant).await? == 0 {
            return Ok(None);
        }
        let report = crate::blobs::drain(
            &session.db,
            &session.map,
            &session.ledger,
            self.tenant,
            self.ctx.now,
        )
        .await?;
        let details = json!({
            "objects_deleted_now": report.deleted,
            "failed": report.failed,
            "token_ref": token_hash[..16].to_owned(),
        });
        let outcome = if report.failed == 0 {
            "objects-deleted"
        } else {
            "objects-failed"
        };
        session
            .append(
                self.ctx,
                NewEntry::new(self.action, outcome, details).tenant(self.tenant),
            )
            .await?;
        self.ctx.ui.status(&format!(
            "this token's run already finished its rows; {} object(s) it left queued deleted now, {} failed",
            report.deleted, report.failed
        ));
        Ok(Some(report))
    }
}

/// Runs `work` holding the lock `name` (from the first read to the last object deleted): a
/// second run that wants it meanwhile exits 75 at once with `busy` and the holder, having done
/// nothing. A killed run holds nothing: PostgreSQL ends its session's lock, and on SQLite a lock
/// row whose process is gone is taken over.
pub async fn locked<T, F: Future<Output = Result<T>>>(
    ctx: &Context,
    session: &Session,
    name: &str,
    busy: &str,
    work: impl FnOnce(LockCheck) -> F,
) -> Result<T> {
    let lock = match session.db.try_lock(name, ctx.now).await? {
        Ok(lock) => lock,
        Err(holder) => {
            return Err(Failure::locked(format!("{busy}: {}", holder.0))
                .with_hint("try again once it has finished (`privctl status` shows privctl's runs); nothing was done")
                .into());
        }
    };
    let result = work(lock.check()).await;
    if let Err(e) = lock.release().await {
        ctx.ui
            .warn(&format!("could not release the lock {name}: {e:#}"));
    }
    result
}

/// The ledger entry of a confirmed run that was refused (exit 3: `rejected`) or failed before
/// it changed anything (its transaction was rolled back).
pub fn refusal_entry(action: &str, error: &anyhow::Error) -> NewEntry {
    let outcome = if crate::error::exit_code(error) == std::process::ExitCode::from(3) {
        "rejected"
    } else {
        "failed"
    };
    NewEntry::new(action, outcome, json!({"reason": error.to_string()}))
}
