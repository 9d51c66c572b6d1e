//! `dsar preview` and the dry run of `dsar delete`: the subject's plan, and a token.

use anyhow::Result;
use serde_json::json;

use super::{Prepared, SubjectArgs, prepare, with_member};
use crate::confirm::{self, Binding};
use crate::db::TxMode;
use crate::error::Failure;
use crate::ledger::NewEntry;
use crate::plan::plan_subject;
use crate::report;
use crate::session::Context;

/// `dsar preview` and the dry run of `dsar delete`: the plan and a token.
pub(super) async fn plan(ctx: &Context, args: &SubjectArgs, action: &str) -> Result<()> {
    let session = ctx.session().await?;
    let command = if action == "dsar-preview" {
        "preview"
    } else {
        "delete"
    };
    let Prepared {
        selection,
        on_hold,
        on_behalf_of,
    } = prepare(ctx, &session, args, command).await?;
    let tenant = args.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let mut tx = session.db.begin(TxMode::Write).await?;
    session.set_tenant(&mut tx, tenant).await?;
    let plan = plan_subject(&mut tx, &selection, &session.schema).await?;
    let binding = Binding {
        action: "dsar-delete".into(),
        tenant: tenant.map(str::to_owned),
        selector: subject_ref.clone(),
        plan_digest: plan.digest(),
        plan: plan.summary(),
    };
    // A tenant under legal hold keeps everything: the plan is shown, but no token is issued.
    // Nor is one for a subject of whom nothing was found: there is nothing to confirm.
    let issued = if on_hold || plan.total_rows() == 0 {
        None
    } else {
        Some(
            confirm::issue(
                &mut tx,
                &binding,
                &ctx.actor,
                ctx.now,
                session.map.confirm.ttl,
            )
            .await?,
        )
    };
    let details = json!({
        "tables": report::table_counts(&plan),
        "total_rows": plan.total_rows(),
        "plan_digest": binding.plan_digest,
        "token_ref": issued.as_ref().map(|i| i.token_ref.clone()),
        "legal_hold": on_hold,
    });
    let details = with_member(details, &on_behalf_of);
    let entry = NewEntry::new(action, if on_hold { "refused" } else { "planned" }, details)
        .tenant(tenant)
        .subject(&subject_ref);
    session.ledger.append(&mut tx, ctx.now, entry).await?;
    tx.commit().await?;

    if on_hold {
        report::print_subject_plan(ctx, &plan, tenant, None)?;
        return Err(Failure::failed(format!(
            "tenant `{}` is under legal hold: its data may not be erased, so no token was issued",
            tenant.unwrap_or_default()
        ))
        .into());
    }
    report::print_subject_plan(ctx, &plan, tenant, issued.as_ref())
}
