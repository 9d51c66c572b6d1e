//! `--receipt FILE` of `dsar delete` and `dsar export`: the subject's proof that the log
//! records this erasure or export of them (see [`crate::ledger::receipt`]).
//!
//! A receipt is asked for before anything is done ([`Receipt::prepare`] refuses a map that
//! cannot sign one), commits to the subject in the entry ([`Receipt::commit_to`], whose opening
//! goes only into the receipt), and is written once the entry is committed ([`Receipt::write`]).

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::db::{Db, TxMode};
use crate::ledger::note::SignerKey;
use crate::ledger::{LedgerEntry, receipt};
use crate::map::{DataMap, IdentityKind};
use crate::selection::Subject;

pub(super) struct Receipt<'a> {
    path: &'a Path,
    signers: Vec<SignerKey>,
    opening: Option<Opening>,
}

/// The commitment's opening `r`, and the identity names and kinds it covers, in order.
#[derive(Clone)]
struct Opening {
    r: [u8; 32],
    kinds: Vec<(String, String)>,
}

impl<'a> Receipt<'a> {
    /// `None` without `--receipt`; an error when the map has no signing key.
    pub fn prepare(map: &DataMap, path: Option<&'a Path>) -> Result<Option<Self>> {
        let Some(path) = path else {
            return Ok(None);
        };
        Ok(Some(Self {
            path,
            signers: crate::commands::audit_sign::signing_keys(map)?,
            opening: None,
        }))
    }

    /// The entry's `subject_commitment` to `subject` in `tenant`, under a fresh opening.
    pub fn commit_to(
        &mut self,
        map: &DataMap,
        tenant: Option<&str>,
        subject: &Subject,
    ) -> Result<String> {
        let r = receipt::opening()?;
        let identifiers: Vec<(String, String)> = subject
            .identifiers
            .iter()
            .map(|id| (id.name.clone(), id.value.clone()))
            .collect();
        let commitment = receipt::commitment(&r, tenant, &identifiers);
        let kinds = identifiers
            .into_iter()
            .map(|(name, _)| {
                let kind = identity_kind(map, &name);
                (name, kind)
            })
            .collect();
        self.opening = Some(Opening { r, kinds });
        Ok(commitment)
    }

    /// Proves `entry` (committed), and the `blob-delete` entries that deleted the objects it
    /// queued so far, and writes the receipt, readable by its owner only. `done` says what is
    /// already committed, for the error when the receipt cannot be made.
    pub async fn write(&self, db: &Db, entry: &LedgerEntry, done: &str) -> Result<()> {
        let Opening { r, kinds } = self
            .opening
            .clone()
            .context("the receipt's commitment was not made")?;
        let mut tx = db.begin(TxMode::Snapshot).await?;
        let canonical = String::from_utf8(entry.canonical()).expect("canonical bytes are text");
        let built = async {
            let objects = receipt::deletions(&mut tx, &canonical, &[], None).await?;
            receipt::build(&mut tx, entry, &objects, &r, kinds, &self.signers).await
        }
        .await
        .with_context(|| format!("{done}, but its receipt could not be built"))?;
        tx.rollback().await?;
        let text = serde_json::to_string_pretty(&built).expect("a receipt serialises") + "\n";
        crate::commands::audit_sign::write_private(self.path, &text)
            .with_context(|| format!("{done}, but its receipt could not be written"))
    }
}

/// The kind of identity `name` (`email`, `phone`, `exact`), for the receipt.
fn identity_kind(map: &DataMap, name: &str) -> String {
    match map.identities.get(name) {
        Some(IdentityKind::Email) => "email",
        Some(IdentityKind::Phone { .. }) => "phone",
        _ => "exact",
    }
    .to_owned()
}
