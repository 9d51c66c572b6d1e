//! `privctl dsar preview | export | delete | scan`: one data subject in one tenant.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};

use super::{Context, Session};
use crate::bundle::columns::ColumnCipher;
use crate::bundle::{JsonBundle, OutputFile, RowShaping};
use crate::confirm::{self, Binding};
use crate::db::TxMode;
use crate::erase::erase_subject;
use crate::error::Failure;
use crate::ledger::NewEntry;
use crate::map::Effect;
use crate::plan::{Plan, plan_subject};
use crate::selection::{Subject, SubjectSelection};
use crate::twostep::{ConfirmedRun, Holds, Start};

/// One data subject's rows in one tenant: preview, export, delete, or scan for what remains
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every row of one data subject in one tenant; issues the token for `dsar delete`
    Preview(SubjectArgs),
    /// Write the subject's data as a portable JSON bundle
    Export(ExportArgs),
    /// Erase the subject's data (delete or anonymise per the map); needs a token
    Delete(DeleteArgs),
    /// Look for the subject's identifiers by content in every table privctl may read
    /// (read-only): where the map is silent, they are residue an erasure would leave
    Scan(SubjectArgs),
}

/// Who the subject is.
#[derive(Debug, Clone, clap::Args)]
pub struct SubjectArgs {
    /// The tenant (required when the map has a [tenant] section, unless --all-tenants)
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,
    /// Every tenant where the subject's identifiers match, plus rows of no tenant and global
    /// tables: for the platform as controller of that data
    #[arg(long, conflicts_with = "tenant")]
    pub all_tenants: bool,
    /// The subject's email (trimmed and lower-cased); short for --identity email=…
    #[arg(long, value_name = "E")]
    pub email: Vec<String>,
    /// The subject's phone number (normalised to E.164); short for --identity phone=…
    #[arg(long, value_name = "P")]
    pub phone: Vec<String>,
    /// Any identity the map declares in [identities]; several identities name one subject
    // Parsed after clap: clap's own error would repeat the value, which may be an identifier.
    #[arg(long, value_name = "NAME=VALUE")]
    pub identity: Vec<String>,
    /// The tenant's member the request is made for (their email or id): their role must allow
    /// the command ([authz] in the map); a refusal is recorded in the ledger
    #[arg(long, value_name = "MEMBER")]
    pub on_behalf_of: Option<String>,
}

/// `NAME=VALUE` of `--identity`; an error never repeats the value (it may be the subject's
/// identifier).
fn parse_identity(text: &str) -> Result<(String, String), Failure> {
    let (name, value) = text.split_once('=').ok_or_else(|| {
        Failure::usage("--identity: expected NAME=VALUE, e.g. external_id=cust-1001 (the value given is not repeated here)")
    })?;
    if name.trim().is_empty() {
        return Err(Failure::usage(
            "--identity: the identity name before `=` is empty",
        ));
    }
    Ok((name.trim().to_owned(), value.to_owned()))
}

impl SubjectArgs {
    fn identifiers(&self) -> Result<Vec<(String, String)>, Failure> {
        let mut out: Vec<(String, String)> = self
            .email
            .iter()
            .map(|e| ("email".to_owned(), e.clone()))
            .collect();
        out.extend(self.phone.iter().map(|p| ("phone".to_owned(), p.clone())));
        for text in &self.identity {
            out.push(parse_identity(text)?);
        }
        Ok(out)
    }
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Where to write the bundle (created with mode 0600)
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace an existing file
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub encryption: super::export_tenant::EncryptionArgs,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// The token from the dry run, or `-` to read it (or the dry run's JSON) from stdin
    #[arg(long, value_name = "TOKEN|-")]
    pub confirm: Option<String>,
    /// Skip the residue scan that follows the erasure (see `privctl dsar scan`)
    #[arg(long)]
    pub no_scan: bool,
}

pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Preview(args) => plan(ctx, &args, "dsar-preview").await,
        Command::Export(args) => export(ctx, &args).await,
        Command::Delete(DeleteArgs {
            subject,
            confirm: None,
            ..
        }) => plan(ctx, &subject, "dsar-delete").await,
        Command::Delete(DeleteArgs {
            subject,
            confirm: Some(token),
            no_scan,
        }) => delete(ctx, &subject, &token, !no_scan).await,
        Command::Scan(args) => scan(ctx, &args).await,
    }
}

/// What the subject's request may do: resolved, authorised, and whether the tenant is on hold.
struct Prepared<'s> {
    selection: SubjectSelection<'s>,
    on_hold: bool,
    /// `--on-behalf-of` and the member's role, for the ledger (`null` without it).
    on_behalf_of: Value,
}

/// Resolves the subject and tenant and checks the member's role; refuses before touching
/// anything when any is wrong. `command` is `preview`, `export` or `delete`.
async fn prepare<'s>(
    ctx: &Context,
    session: &'s Session,
    args: &SubjectArgs,
    command: &str,
) -> Result<Prepared<'s>> {
    let subject = Subject::parse(&session.map, &args.identifiers()?)?;
    let on_hold = if args.all_tenants {
        if args.on_behalf_of.is_some() {
            return Err(Failure::usage(
                "--on-behalf-of names a member of one tenant; it cannot go with --all-tenants",
            )
            .into());
        }
        session.any_tenant_on_hold().await?
    } else {
        session.check_tenant(args.tenant.as_deref()).await?
    };
    let on_behalf_of = authorize(ctx, session, args, &subject, command).await?;
    let selection = SubjectSelection::new(&session.model, args.tenant.clone(), subject)?;
    Ok(Prepared {
        selection,
        on_hold,
        on_behalf_of,
    })
}

/// `--on-behalf-of MEMBER`: the member's role in the tenant must be one `[authz]` allows for
/// `command`. A refusal exits 1 and is recorded in the ledger. The member is a person too: the
/// ledger and the messages name them by their row's key, never by the value given.
async fn authorize(
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
    let tenant_type = members
        .and_then(|t| t.column(&policy.tenant))
        .map_or("text", |c| c.sql_type.as_str());
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
        .bind_as(tenant, tenant_type)
        .push(" AND lower(CAST(")
        .column("m", &policy.member)
        .push(" AS text)) = lower(")
        .bind(crate::db::Param::Text(member.trim().to_owned()))
        .push(")");
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    set_tenant(session, &mut tx, Some(tenant)).await?;
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

/// `dsar preview` and the dry run of `dsar delete`: the plan and a token.
async fn plan(ctx: &Context, args: &SubjectArgs, action: &str) -> Result<()> {
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
    set_tenant(&session, &mut tx, tenant).await?;
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
        "tables": table_counts(&plan),
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
        print_plan(ctx, &plan, tenant, None)?;
        return Err(Failure::failed(format!(
            "tenant `{}` is under legal hold: its data may not be erased, so no token was issued",
            tenant.unwrap_or_default()
        ))
        .into());
    }
    print_plan(ctx, &plan, tenant, issued.as_ref())
}

/// `dsar delete --confirm`: erase exactly what the dry run planned, or nothing.
///
/// The run holds a lock named after its token from the first read to the last object deleted:
/// a second run with the same token while the first still works exits 75 at once, rather than
/// taking the first run's queued objects for a killed run's and deleting them beside it.
async fn delete(ctx: &Context, args: &SubjectArgs, token: &str, residue_scan: bool) -> Result<()> {
    let token = confirm::read_token(token)?;
    let session = ctx.session().await?;
    let run = ConfirmedRun::new(ctx, &session, "dsar-delete", args.tenant.as_deref(), &token);
    let lock = format!("dsar-delete/{}", run.job.id);
    run.locked(
        &lock,
        "another run with this token is working",
        async |_| delete_locked(&run, args, residue_scan).await,
    )
    .await
}

async fn delete_locked(
    run: &ConfirmedRun<'_>,
    args: &SubjectArgs,
    residue_scan: bool,
) -> Result<()> {
    let (ctx, session, tenant) = (run.ctx, run.session, run.tenant);
    // A run killed while deleting its objects: the same command finishes those, nothing else.
    if run.finish_queued_objects().await? {
        return Ok(());
    }
    let Prepared {
        mut selection,
        on_hold,
        on_behalf_of,
    } = prepare(ctx, session, args, "delete").await?;
    if on_hold {
        return Err(Failure::failed(format!(
            "tenant `{}` is under legal hold: nothing was erased",
            tenant.unwrap_or_default()
        ))
        .into());
    }
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let start = Start {
        selector: &subject_ref,
        subject: Some(&subject_ref),
        holds: Holds::Refuse,
    };
    let materialised = &mut selection;
    let (plan, outcome) = run
        .start(
            start,
            async move |tx, _| {
                materialised.materialize(tx).await?;
                let plan = plan_subject(tx, materialised, &session.schema).await?;
                Ok((plan, materialised))
            },
            async |tx, confirmation, (plan, selection)| {
                let outcome = erase_subject(tx, selection, &plan, &session.schema, tenant, &session.ledger, ctx.now).await?;
                confirmation.consume(tx, &ctx.actor, ctx.now).await?;
                let details = json!({
                    "tables": outcome.tables.iter().map(|t| (t.table.clone(), json!({"effect": t.effect, "rows": t.rows, "blobs": t.blobs}))).collect::<serde_json::Map<_, _>>(),
                    "cleared_references": plan.cleared_references,
                    "database_effects": plan.database_effects,
                    "remaining": outcome.remaining,
                    "plan_digest": plan.digest(),
                    "token_ref": confirmation.token_ref,
                    "issued_by": confirmation.issued_by,
                });
                let details = with_member(details, &on_behalf_of);
                let entry = NewEntry::new("dsar-delete", "done", details).tenant(tenant).subject(&subject_ref);
                session.ledger.append(tx, ctx.now, entry).await?;
                selection.release(tx).await?;
                anyhow::Ok((plan, outcome))
            },
        )
        .await?;

    let blobs: u64 = outcome.tables.iter().map(|t| t.blobs).sum();
    // The rows are gone; now their objects leave the blob stores. A failure stays in the outbox.
    let drained = crate::blobs::drain(&session.db, &session.map, tenant, ctx.now).await?;
    // Trust, but verify by content: the committed state, read in a fresh snapshot with a fresh
    // (inline) selection, since the materialised one went with the erasure's transaction.
    let report = if residue_scan {
        let fresh = SubjectSelection::new(
            &session.model,
            args.tenant.clone(),
            selection.subject().clone(),
        )?;
        let report = residue_scan_of(ctx, session, &fresh, tenant)
            .await
            .context(
                "the erasure is committed and recorded, but the residue scan after it failed",
            )?;
        let details = json!({"after": "dsar-delete", "scan": report.counts()});
        let entry = NewEntry::new("dsar-scan", "done", details)
            .tenant(tenant)
            .subject(&subject_ref);
        let mut tx = session.db.begin(TxMode::Write).await?;
        session.ledger.append(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Some(report)
    } else {
        None
    };
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": "dsar-delete",
            "tenant": tenant,
            "executed": true,
            "tables": outcome.tables,
            "total_rows": outcome.tables.iter().map(|t| t.rows).sum::<u64>(),
            "cleared_references": plan.cleared_references,
            "database_effects": plan.database_effects,
            "remaining": outcome.remaining,
            "blobs_queued": blobs,
            "blobs": drained,
            "scan": report.as_ref().map(|r| json!({
                "tables_scanned": r.tables.len(),
                "hits": r.hits,
                "residue": r.residue(),
            })),
        }))?;
    } else {
        let rows = outcome
            .tables
            .iter()
            .map(|t| {
                vec![
                    t.table.clone(),
                    t.rows.to_string(),
                    done_effect(t.effect).into(),
                    t.blobs.to_string(),
                ]
            })
            .collect();
        ctx.ui.table(&["table", "rows", "effect", "blobs"], rows)?;
        for t in &outcome.tables {
            if let Some(basis) = &t.legal_basis {
                ctx.ui
                    .line(&format!("{} ({}): {basis}", t.table, done_effect(t.effect)))?;
            }
        }
        ctx.ui.status(&format!(
            "erased; a fresh selection finds {} rows left to erase; {} of {blobs} blob(s) deleted",
            outcome.remaining, drained.deleted
        ));
        if let Some(report) = &report {
            print_scan_table(ctx, report)?;
        }
    }
    if drained.failed > 0 {
        return Err(Failure::failed(format!(
            "the erasure is committed, but {} blob(s) could not be deleted and stay in the outbox: {}",
            drained.failed,
            drained.errors.join("; ")
        ))
        .into());
    }
    if let Some(report) = report.filter(|r| r.residue() > 0) {
        let places: Vec<String> = report
            .residue_places()
            .iter()
            .map(|(table, column)| format!("{table}.{column}"))
            .collect();
        return Err(Failure::residue(format!(
            "erased as planned (committed and recorded), but a residue scan still finds the subject's identifiers outside retained data in {} place(s): {}",
            places.len(),
            places.join(", ")
        ))
        .with_hint("the map is silent about these columns: name them as identities (or anonymise them with `scrub`), or retain the table with a legal_basis; `privctl dsar scan` lists the rows")
        .into());
    }
    Ok(())
}

/// `dsar scan`: where the subject's identifiers occur by content, read-only, from one snapshot.
async fn scan(ctx: &Context, args: &SubjectArgs) -> Result<()> {
    let session = ctx.session().await?;
    let Prepared {
        selection,
        on_behalf_of,
        ..
    } = prepare(ctx, &session, args, "scan").await?;
    let tenant = args.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let report = residue_scan_of(ctx, &session, &selection, tenant).await?;

    let details = with_member(json!({"scan": report.counts()}), &on_behalf_of);
    let entry = NewEntry::new("dsar-scan", "done", details)
        .tenant(tenant)
        .subject(&subject_ref);
    let mut tx = session.db.begin(TxMode::Write).await?;
    session.ledger.append(&mut tx, ctx.now, entry).await?;
    tx.commit().await?;

    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": "dsar-scan",
            "tenant": tenant,
            "tables_scanned": report.tables.len(),
            "hits": report.hits,
            "residue": report.residue(),
        }))?;
        return Ok(());
    }
    print_scan_table(ctx, &report)
}

/// The scan of [`crate::scan::scan`] in one read-only snapshot, with the tenant setting set;
/// a progress bar on a terminal (tables scanned so far).
async fn residue_scan_of(
    ctx: &Context,
    session: &Session,
    selection: &SubjectSelection<'_>,
    tenant: Option<&str>,
) -> Result<crate::scan::ScanReport> {
    let bar = ctx.ui.progress().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} tables — scanning {msg}")
                .expect("a valid template"),
        );
        bar
    });
    let mut on_table = |done: usize, total: usize, table: &str| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(table.to_owned());
        }
    };
    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    set_tenant(session, &mut tx, tenant).await?;
    let report = crate::scan::scan(
        &mut tx,
        &session.map,
        &session.schema,
        selection,
        tenant,
        &mut on_table,
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    tx.rollback().await?;
    report
}

/// A scan's hits as a table (table, column, row key, selected, effect), never a value.
fn print_scan_table(ctx: &Context, report: &crate::scan::ScanReport) -> Result<()> {
    if report.hits.is_empty() {
        ctx.ui.line(&format!(
            "residue scan: no identifier of the subject in {} tables",
            report.tables.len()
        ))?;
        return Ok(());
    }
    let rows = report
        .hits
        .iter()
        .map(|h| {
            vec![
                h.table.clone(),
                h.column.clone(),
                h.key.to_string(),
                if h.selected { "yes" } else { "no" }.to_owned(),
                h.effect.to_owned(),
            ]
        })
        .collect();
    ctx.ui
        .table(&["table", "column", "row key", "selected", "effect"], rows)?;
    let mut bases: Vec<(&str, &str)> = report
        .hits
        .iter()
        .filter(|h| !h.is_residue())
        .filter_map(|h| h.legal_basis.as_deref().map(|b| (h.table.as_str(), b)))
        .collect();
    bases.dedup();
    for (table, basis) in bases {
        ctx.ui.line(&format!("{table} (retain): {basis}"))?;
    }
    ctx.ui.line(&format!(
        "residue scan: {} hit(s) in {} tables scanned; {} outside retained data",
        report.hits.len(),
        report.tables.len(),
        report.residue()
    ))?;
    Ok(())
}

/// `dsar export`: every row of the subject from one snapshot, streamed into a bundle.
async fn export(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let key = args.encryption.key()?;
    let session = ctx.session().await?;
    let Prepared {
        selection,
        on_behalf_of,
        ..
    } = prepare(ctx, &session, &args.subject, "export").await?;
    let tenant = args.subject.tenant.as_deref();
    let subject_ref = session.ledger.subject_ref(tenant, selection.subject());
    let mut file = OutputFile::create(&args.out, args.force, key.as_ref())?;
    crate::session::report_leftovers(ctx, file.leftovers_removed());

    let cipher = ColumnCipher::from_map(&session.map)?;

    let mut tx = session.db.begin(TxMode::Snapshot).await?;
    set_tenant(&session, &mut tx, tenant).await?;
    let mut bundle = JsonBundle::begin(&mut file, "subject", tenant, &ctx.now.to_rfc3339())?;
    let mut counts = serde_json::Map::new();
    let mut redacted = serde_json::Map::new();
    let mut retained = serde_json::Map::new();
    for name in selection.tables() {
        let node = session.model.node(name);
        let shaping = RowShaping::new(node, cipher.as_ref());
        bundle.begin_table(name)?;
        let sql = selection.select_rows(name);
        let mut rows = tx.stream_json(&sql);
        let mut n = 0u64;
        while let Some(mut row) = rows
            .try_next()
            .await
            .with_context(|| format!("reading {name}"))?
        {
            shaping.apply(name, &mut row, cipher.as_ref())?;
            bundle.row(&row)?;
            n += 1;
        }
        drop(rows);
        bundle.end_table()?;
        counts.insert(name.clone(), json!(n));
        if !shaping.policy.columns.is_empty() {
            redacted.insert(name.clone(), shaping.policy.manifest());
        }
        if node.spec.erase.subject.effect() != Effect::Delete && n > 0 {
            retained.insert(
                name.clone(),
                json!({"effect": node.spec.erase.subject.effect(), "legal_basis": node.spec.legal_basis}),
            );
        }
    }
    tx.rollback().await?;
    let total: u64 = counts.values().filter_map(Value::as_u64).sum();
    bundle.finish(
        &json!({"row_counts": counts, "retained": retained, "redacted_columns": redacted}),
    )?;
    let sealed = file.seal()?;
    let (sha256, bytes) = (sealed.written.sha256.clone(), sealed.written.bytes);
    let details = with_member(
        json!({"row_counts": counts, "total_rows": total, "sha256": sha256, "bytes": bytes, "encrypted": key.is_some()}),
        &on_behalf_of,
    );
    let entry = NewEntry::new("dsar-export", "done", details)
        .tenant(tenant)
        .subject(&subject_ref)
        .resource(&format!("bundle:sha256:{sha256}"));
    sealed.publish(session.append(ctx, entry)).await?;

    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": "dsar-export",
            "tenant": tenant,
            "out": args.out,
            "sha256": sha256,
            "bytes": bytes,
            "row_counts": counts,
            "total_rows": total,
            "encrypted": key.is_some(),
        }))?;
    } else {
        ctx.ui.line(&format!(
            "wrote {total} rows from {} tables to {} (sha256 {sha256})",
            counts.len(),
            args.out.display()
        ))?;
    }
    Ok(())
}

async fn set_tenant(session: &Session, tx: &mut crate::db::Tx, tenant: Option<&str>) -> Result<()> {
    if let (Some(setting), Some(tenant)) = (&session.map.tenant_setting, tenant) {
        tx.set_tenant(setting, tenant).await?;
    }
    Ok(())
}

/// Ledger details with the member the request was made for, when one was named.
fn with_member(mut details: Value, on_behalf_of: &Value) -> Value {
    if let (Value::Object(map), false) = (&mut details, on_behalf_of.is_null()) {
        map.insert("on_behalf_of".into(), on_behalf_of.clone());
    }
    details
}

fn table_counts(plan: &Plan) -> Value {
    plan.tables
        .iter()
        .map(|t| (t.table.clone(), json!({"rows": t.rows, "effect": t.effect})))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn done_effect(effect: Effect) -> &'static str {
    match effect {
        Effect::Delete => "deleted",
        Effect::Anonymise => "anonymised",
        Effect::Retain => "retained",
    }
}

fn print_plan(
    ctx: &Context,
    plan: &Plan,
    tenant: Option<&str>,
    issued: Option<&confirm::Issued>,
) -> Result<()> {
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "action": "dsar-delete",
            "tenant": tenant,
            "token": issued.map(|i| i.token.clone()),
            "expires_at": issued.map(|i| i.expires_at.to_rfc3339()),
            "tables": plan.tables,
            "total_rows": plan.total_rows(),
            "cleared_references": plan.cleared_references,
            "database_effects": plan.database_effects,
            "triggers": plan.triggers,
        }))?;
        return Ok(());
    }
    if plan.total_rows() == 0 {
        ctx.ui.line(&format!(
            "No row matches this subject{} ({} tables searched): nothing to erase, so no token was issued.",
            tenant.map(|t| format!(" in tenant {t}")).unwrap_or_default(),
            plan.tables.len()
        ))?;
        return Ok(());
    }
    let rows = plan
        .tables
        .iter()
        .filter(|t| t.rows > 0)
        .map(|t| {
            let mut effect = t.effect.as_str().to_owned();
            if t.shared > 0 {
                effect.push_str(&format!(" ({} shared, kept)", t.shared));
            }
            vec![
                t.table.clone(),
                t.rows.to_string(),
                effect,
                t.blobs.to_string(),
            ]
        })
        .collect();
    ctx.ui.table(&["table", "rows", "effect", "blobs"], rows)?;
    for t in plan.tables.iter().filter(|t| t.rows > 0) {
        if let Some(basis) = &t.legal_basis {
            ctx.ui
                .line(&format!("{} ({}): {basis}", t.table, t.effect.as_str()))?;
        }
    }
    for cleared in &plan.cleared_references {
        ctx.ui.line(&format!(
            "{} row(s) of {} keep their row but lose the reference in `{}`",
            cleared.rows, cleared.table, cleared.column
        ))?;
    }
    print_database_effects(ctx, plan)?;
    ctx.ui.line(&format!(
        "{} rows in {} tables",
        plan.total_rows(),
        plan.tables.iter().filter(|t| t.rows > 0).count()
    ))?;
    if let Some(issued) = issued {
        ctx.ui.line(&format!(
            "To erase: privctl dsar delete (same --tenant and identities) --confirm {}\nThe token expires at {}.",
            issued.token,
            issued.expires_at.to_rfc3339()
        ))?;
    }
    Ok(())
}

/// The database's own effects and the tables whose triggers fire, as lines under a plan.
pub(crate) fn print_database_effects(ctx: &Context, plan: &Plan) -> Result<()> {
    for effect in &plan.database_effects {
        let what = match effect.action {
            crate::db::OnDelete::Cascade => "deletes",
            crate::db::OnDelete::SetNull => "sets to NULL the reference of",
            _ => "sets to its default the reference of",
        };
        ctx.ui.line(&format!(
            "the database {what} {} row(s) of {}: {}",
            effect.rows,
            effect.table,
            effect.describe()
        ))?;
    }
    for t in &plan.triggers {
        ctx.ui.line(&format!(
            "{} has triggers on {} ({}): their effects are not in this plan",
            t.table,
            t.events.join(" and "),
            t.triggers.join(", ")
        ))?;
    }
    Ok(())
}
