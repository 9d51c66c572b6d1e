//! `privctl dsar preview | export | delete | scan`: one data subject in one tenant.
//!
//! Each verb has its file; what they share is here: the subject's flags, and [`prepare`], which
//! resolves the subject and the tenant and checks the member a request is made for.

mod authz;
mod delete;
mod export;
mod preview;
mod receipt;
mod scan;

use anyhow::Result;
use serde_json::Value;

use super::{Context, Session};
use crate::error::Failure;
use crate::selection::{Subject, SubjectSelection};

pub use export::ExportArgs;

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
pub struct DeleteArgs {
    #[command(flatten)]
    pub subject: SubjectArgs,
    #[command(flatten)]
    pub confirm: crate::cli::ConfirmArg,
    /// Skip the residue scan that follows the erasure (see `privctl dsar scan`)
    #[arg(long)]
    pub no_scan: bool,

    /// With --confirm: write an erasure receipt for the data subject here (needs keys.signing
    /// and [ledger] origin); `privctl receipt verify` checks it offline
    #[arg(long, value_name = "FILE", requires = "confirm")]
    pub receipt: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub metrics: crate::cli::MetricsArg,
}

pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Preview(args) => preview::plan(ctx, &args, "dsar-preview").await,
        Command::Export(args) => export::export(ctx, &args).await,
        Command::Delete(DeleteArgs {
            subject,
            confirm: crate::cli::ConfirmArg { confirm: None },
            ..
        }) => preview::plan(ctx, &subject, "dsar-delete").await,
        Command::Delete(DeleteArgs {
            subject,
            confirm: crate::cli::ConfirmArg {
                confirm: Some(token),
            },
            no_scan,
            receipt,
            ..
        }) => delete::delete(ctx, &subject, &token, !no_scan, receipt.as_deref()).await,
        Command::Scan(args) => scan::scan(ctx, &args).await,
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
    let on_behalf_of = authz::authorize(ctx, session, args, &subject, command).await?;
    let selection = SubjectSelection::new(&session.model, args.tenant.clone(), subject)?;
    Ok(Prepared {
        selection,
        on_hold,
        on_behalf_of,
    })
}

/// Ledger details with the member the request was made for, when one was named.
fn with_member(mut details: Value, on_behalf_of: &Value) -> Value {
    if let (Value::Object(map), false) = (&mut details, on_behalf_of.is_null()) {
        map.insert("on_behalf_of".into(), on_behalf_of.clone());
    }
    details
}
