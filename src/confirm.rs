//! Two-step confirmation tokens: a dry run issues one, the real run consumes it.
//!
//! A token is 160 random bits, shown once and stored only as its SHA-256. It is bound to the
//! action, the tenant, the subject selector and a digest of the plan; it expires; and it is
//! consumed in the same transaction as the work it authorises, so a failed run leaves it usable
//! and a finished run cannot be replayed.

use std::io::Read as _;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::db::{Param, Tx};
use crate::error::Failure;
use crate::ledger::sha256_hex;
use crate::map::Duration;

/// What a token authorises.
#[derive(Debug, Clone)]
pub struct Binding {
    pub action: String,
    pub tenant: Option<String>,
    /// A keyed hash naming the subject or selector (never the identifiers themselves).
    pub selector: String,
    pub plan_digest: String,
    /// The plan as issued (per-table counts and digests), to explain a later difference.
    pub plan: Value,
}

/// A token just issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: Timestamp,
    /// A short reference to the token for the ledger (a prefix of its hash).
    pub token_ref: String,
}

/// A stored, valid, not yet consumed token (locked for this transaction).
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub token_hash: String,
    pub token_ref: String,
    pub binding: Binding,
    pub issued_by: String,
    /// When the dry run issued it: purges recompute their cutoffs from this instant.
    pub issued_at: Timestamp,
}

/// Issues a token for `binding`, valid for `ttl`.
pub async fn issue(
    tx: &mut Tx,
    binding: &Binding,
    actor: &str,
    now: Timestamp,
    ttl: Duration,
) -> Result<Issued> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    let token = format!("pct_{}", hex::encode(bytes));
    let token_hash = sha256_hex(token.as_bytes());
    let expires_at = now.plus_seconds(ttl.seconds());
    let mut sql = tx.sql();
    sql.push(
        "INSERT INTO privctl_confirmations (token_hash, action, tenant, selector, plan_digest, plan, issued_by, issued_at, expires_at) VALUES (",
    );
    let params = [
        Param::Text(token_hash.clone()),
        Param::Text(binding.action.clone()),
        binding.tenant.clone().map_or(Param::Null, Param::Text),
        Param::Text(binding.selector.clone()),
        Param::Text(binding.plan_digest.clone()),
        Param::Text(binding.plan.to_string()),
        Param::Text(actor.to_owned()),
        Param::Text(now.to_canonical()),
        Param::Text(expires_at.to_canonical()),
    ];
    for (i, p) in params.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(p);
    }
    sql.push(")");
    tx.execute(&sql)
        .await
        .context("storing the confirmation token (has `privctl init` run?)")?;
    Ok(Issued {
        token_ref: token_hash[..16].to_owned(),
        token,
        expires_at,
    })
}

/// What the confirming run is about to do; the token must have been issued for exactly this.
pub struct Expected<'a> {
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    pub selector: &'a str,
}

/// Looks the token up, locks it and checks every binding except the plan digest (the caller
/// recomputes the plan and calls [`Confirmation::check_plan`]).
pub async fn redeem(
    tx: &mut Tx,
    token: &str,
    expected: &Expected<'_>,
    actor: &str,
    now: Timestamp,
    require_distinct_actor: bool,
) -> Result<Confirmation> {
    let token_hash = sha256_hex(token.trim().as_bytes());
    let mut sql = tx.sql();
    sql.push("SELECT action, tenant, selector, plan_digest, plan, issued_by, expires_at, consumed_at, consumed_by, issued_at FROM privctl_confirmations WHERE token_hash = ")
        .bind(Param::Text(token_hash.clone()));
    sql.for_update();
    let Some(row) = tx
        .fetch_optional(&sql)
        .await
        .context("reading the confirmation token")?
    else {
        return Err(rejected(
            "the confirmation token is not known (mistyped, or issued against another database)",
        )
        .into());
    };
    let field = |i: usize| row[i].clone().unwrap_or_default();
    let (action, tenant, selector) = (field(0), row[1].clone(), field(2));
    if let Some(consumed_at) = &row[7] {
        return Err(rejected(format!(
            "the confirmation token was already used at {consumed_at} by {}; a token authorises one run",
            field(8)
        ))
        .into());
    }
    if action != expected.action {
        return Err(rejected(format!(
            "the confirmation token was issued for `{action}`, not `{}`",
            expected.action
        ))
        .into());
    }
    if tenant.as_deref() != expected.tenant {
        return Err(rejected(format!(
            "the confirmation token was issued for tenant `{}`, not `{}`",
            tenant.as_deref().unwrap_or("(none)"),
            expected.tenant.unwrap_or("(none)")
        ))
        .into());
    }
    if selector != expected.selector {
        return Err(rejected(format!(
            "the confirmation token was issued for another {} (the identifiers given differ from the dry run's)",
            if action.starts_with("dsar") { "subject" } else { "selection" }
        ))
        .into());
    }
    let expires_at = field(6);
    if now.to_canonical() >= expires_at {
        return Err(rejected(format!("the confirmation token expired at {expires_at}")).into());
    }
    let issued_by = field(5);
    if require_distinct_actor && issued_by == actor {
        return Err(rejected(format!(
            "confirm.require_distinct_actor is set: the token was issued by {issued_by}, so someone else must confirm it"
        ))
        .into());
    }
    let plan = serde_json::from_str(&field(4)).unwrap_or(Value::Null);
    let issued_at = Timestamp::parse(&field(9)).with_context(|| {
        format!(
            "the stored token has an unreadable issued_at {:?}",
            field(9)
        )
    })?;
    Ok(Confirmation {
        token_ref: token_hash[..16].to_owned(),
        token_hash,
        binding: Binding {
            action,
            tenant,
            selector,
            plan_digest: field(3),
            plan,
        },
        issued_by,
        issued_at,
    })
}

impl Confirmation {
    /// Refuses (exit 3) when the recomputed plan differs from the one the token was issued for;
    /// `explain` says what changed.
    pub fn check_plan(
        &self,
        digest: &str,
        explain: impl FnOnce(&Value) -> String,
    ) -> Result<(), Failure> {
        if digest == self.binding.plan_digest {
            return Ok(());
        }
        Err(rejected(format!(
            "the data changed since the dry run; nothing was changed:\n{}",
            explain(&self.binding.plan)
        )))
    }

    /// Marks the token used, inside the transaction that does the work.
    pub async fn consume(&self, tx: &mut Tx, actor: &str, now: Timestamp) -> Result<()> {
        let mut sql = tx.sql();
        sql.push("UPDATE privctl_confirmations SET consumed_at = ")
            .bind(Param::Text(now.to_canonical()))
            .push(", consumed_by = ")
            .bind(Param::Text(actor.to_owned()))
            .push(" WHERE token_hash = ")
            .bind(Param::Text(self.token_hash.clone()))
            .push(" AND consumed_at IS NULL");
        let updated = tx
            .execute(&sql)
            .await
            .context("consuming the confirmation token")?;
        anyhow::ensure!(
            updated == 1,
            rejected("the confirmation token was used by another run meanwhile")
        );
        Ok(())
    }
}

fn rejected(message: impl Into<String>) -> Failure {
    Failure::confirmation(message)
        .with_hint("run the dry run again (without --confirm) for a new token")
}

/// The token from `--confirm`: the text itself, or `-` for standard input (a bare token, or the
/// JSON plan a dry run printed with `--format json`).
pub fn read_token(arg: &str) -> Result<String> {
    if arg != "-" {
        return Ok(arg.trim().to_owned());
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the token from standard input")?;
    let input = input.trim();
    if let Ok(Value::Object(plan)) = serde_json::from_str::<Value>(input) {
        return plan
            .get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure::confirmation("--confirm -: the JSON on standard input has no \"token\"")
                    .into()
            });
    }
    if input.is_empty() {
        return Err(Failure::confirmation("--confirm -: standard input was empty").into());
    }
    Ok(input.to_owned())
}
