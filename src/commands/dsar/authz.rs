//! `--on-behalf-of`: the tenant's member a DSAR is made for, and whether their role allows it.

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use super::SubjectArgs;
use crate::db::TxMode;
use crate::error::Failure;
use crate::ledger::NewEntry;
use crate::selection::Subject;
use crate::session::{Context, Session};

/// `--on-behalf-of MEMBER`: the member's role in the tenant must be one `[authz]` allows for
/// `command`. A refusal exits 1 and is recorded in the ledger. The member is a person too: the
/// ledger and the messages name them by their row's key, never by the value given.
pub(super) async fn authorize(
    ctx: &Context,
    session: &Session,
    args: &SubjectArgs,
    subject: &Subject,
    command: &str,
) -> Result<Value> {
    let Some(policy) = &session.map.authz else {
        if args.on_behalf_of.is_some() {
            return Err(Failure::usage(
                "--on-behalf-of: the map has no [authz] section naming the members table and the roles that may act",
            )
            .into());
        }
        return Ok(Value::Null);
    };
    let Some(member) = &args.on_behalf_of else {
        if policy.required {
            return Err(Failure::usage(format!(
                "--on-behalf-of MEMBER is required: the map's [authz] says every DSAR names the {} member it is made for",
                policy.table
            ))
            .into());
        }
        return Ok(Value::Null);
    };
    let tenant = args.tenant.as_deref().unwrap_or_default();
    let members = session.schema.tables.get(&policy.table);
    let tenant_type = members.map_or(crate::db::SqlType::TEXT, |t| t.cast_type(&policy.tenant));
    let key: Vec<String> = members.map(|t| t.primary_key.clone()).unwrap_or_default();
    let mut sql = session.db.sql();
    sql.push("SELECT CAST(")
        .column("m", &policy.role)
        .push(" AS text)");
    for column in &key {
        sql.push(", CAST(").column("m", column).push(" AS text)");
    }
    sql.push(" FROM ")
        .ident(&policy.table)
        .push(" m WHERE ")
        .column("m", &policy.tenant)
        .push(" = ")
        .bind_as(tenant, &tenant_type)
        .push(" AND lower(CAST(")
        .column("m", &policy.member)
        .push(" AS text)) = lower(")
        .bind(crate::db::Param::Text(member.trim().to_owned()))
        .push(")");
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    session.set_tenant(&mut tx, Some(tenant)).await?;
    let rows = tx
        .fetch_rows(&sql)
        .await
        .with_context(|| format!("looking up the member in {}", policy.table));
    tx.rollback().await?;
    let allowed = policy.roles(command);
    let (reason, found) = match rows?.as_slice() {
        [] => (
            format!("no member of tenant `{tenant}` matches --on-behalf-of"),
            json!(null),
        ),
        [row] => {
            let role = row[0].clone();
            let key: Vec<String> = row[1..]
                .iter()
                .map(|v| v.clone().unwrap_or_default())
                .collect();
            let found = json!({"member": key.join(","), "role": role});
            if role.as_ref().is_some_and(|r| allowed.contains(r)) {
                return Ok(found);
            }
            let allowed = if allowed.is_empty() {
                "no role".to_owned()
            } else {
                allowed.join(" or ")
            };
            (
                format!(
                    "the member --on-behalf-of names ({} {}) is {} in tenant `{tenant}`; dsar {command} is for {allowed}",
                    policy.table,
                    key.join(","),
                    role.as_deref().unwrap_or("without a role"),
                ),
                found,
            )
        }
        _ => (
            format!(
                "--on-behalf-of matches several members of tenant `{tenant}`; name one by a unique column"
            ),
            json!(null),
        ),
    };
    let subject_ref = session.ledger.subject_ref(Some(tenant), subject);
    session
        .record(
            ctx,
            NewEntry::new(
                &format!("dsar-{command}"),
                "refused",
                json!({"reason": reason, "on_behalf_of": found}),
            )
            .tenant(Some(tenant))
            .subject(&subject_ref),
        )
        .await;
    Err(Failure::failed(format!("refused: {reason}"))
        .with_hint("nothing was read or changed; the refusal is recorded in the ledger")
        .into())
}
