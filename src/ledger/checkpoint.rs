//! Ledger retention (`[retention] ledger = "7y"`): the oldest entries are deleted and replaced by
//! a signed checkpoint, from which the remaining entries verify.
//!
//! A checkpoint is the seq, hash and time of the last purged entry, signed under `keys.ledger`:
//! the hex HMAC-SHA-256 (`alg` = `hmac-sha256`; plain SHA-256 without a key) of the compact JSON
//! array `["privctl-ledger-checkpoint/1", seq, hash, at, created_at, purged, alg]`. Only a prefix
//! of the chain is ever purged, after it verified, in one transaction with the checkpoint.

use anyhow::{Context as _, Result};

use super::verify::{Kind, check_digest};
use super::{Ledger, push_field};
use crate::clock::Timestamp;
use crate::db::{Param, Tx};
use crate::error::Failure;

/// A row of `privctl_ledger_checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Checkpoint {
    /// The last purged entry's seq; the ledger goes on at `seq + 1`.
    pub seq: i64,
    /// Its hash: the next entry's `prev_hash`.
    pub hash: String,
    /// Its time.
    pub at: String,
    pub created_at: String,
    /// How many entries the purge that wrote this checkpoint removed.
    pub purged: i64,
    pub alg: String,
    pub signature: String,
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = b"[\"privctl-ledger-checkpoint/1\",".to_vec();
        out.extend_from_slice(self.seq.to_string().as_bytes());
        push_field(&mut out, Some(&self.hash));
        push_field(&mut out, Some(&self.at));
        push_field(&mut out, Some(&self.created_at));
        out.push(b',');
        out.extend_from_slice(self.purged.to_string().as_bytes());
        push_field(&mut out, Some(&self.alg));
        out.push(b']');
        out
    }

    /// Whether the signature holds under the ledger's key.
    pub(crate) fn check(&self, ledger: &Ledger) -> Result<(), (Kind, String)> {
        check_digest(ledger, &self.alg, &self.canonical(), &self.signature).map_err(|kind| {
            let detail = match kind {
                Kind::NeedsKey => format!(
                    "the retention checkpoint at entry {} is signed with HMAC-SHA-256: set keys.ledger to check it",
                    self.seq
                ),
                Kind::Forged => format!(
                    "the retention checkpoint at entry {} is not signed with the ledger key: it was forged or rewritten",
                    self.seq
                ),
                _ => format!(
                    "the retention checkpoint at entry {} does not match its signature: it was changed after it was written",
                    self.seq
                ),
            };
            (kind, detail)
        })
    }

    fn from_row(row: &[Option<String>]) -> Result<Self> {
        let text = |i: usize| row[i].clone().unwrap_or_default();
        let number = |i: usize| {
            text(i).parse::<i64>().with_context(|| {
                format!("privctl_ledger_checkpoints: `{}` is not a number", text(i))
            })
        };
        Ok(Self {
            seq: number(0)?,
            hash: text(1),
            at: text(2),
            created_at: text(3),
            purged: number(4)?,
            alg: text(5),
            signature: text(6),
        })
    }
}

const SELECT: &str = "SELECT CAST(seq AS text), hash, at, created_at, CAST(purged AS text), alg, signature FROM privctl_ledger_checkpoints";

/// Every checkpoint, oldest first.
pub async fn load(tx: &mut Tx) -> Result<Vec<Checkpoint>> {
    let mut sql = tx.sql();
    sql.push(SELECT)
        .push(" ORDER BY privctl_ledger_checkpoints.seq");
    tx.fetch_rows(&sql)
        .await
        .context("reading the ledger's retention checkpoints")?
        .iter()
        .map(|row| Checkpoint::from_row(row))
        .collect()
}

/// The newest checkpoint.
pub async fn latest(tx: &mut Tx) -> Result<Option<Checkpoint>> {
    Ok(load(tx).await?.pop())
}

/// The oldest entries written before `cutoff`: up to (not including) the first entry at or after
/// it, so the chain left behind is whole. Returns the last such seq and how many there are.
pub async fn expired(tx: &mut Tx, cutoff: Timestamp) -> Result<Option<(i64, u64)>> {
    let mut sql = tx.sql();
    sql.push("SELECT CAST(max(seq) AS text), CAST(count(*) AS text) FROM privctl_ledger WHERE seq < COALESCE((SELECT min(seq) FROM privctl_ledger WHERE at >= ")
        .bind(Param::Text(cutoff.to_canonical()))
        .push("), (SELECT max(seq) + 1 FROM privctl_ledger))");
    let row = tx
        .fetch_optional(&sql)
        .await
        .context("counting expired ledger entries")?
        .unwrap_or_default();
    let (Some(Some(through)), Some(Some(count))) = (row.first(), row.get(1)) else {
        return Ok(None);
    };
    Ok(Some((
        through.parse().context("ledger seq")?,
        count.parse().context("ledger count")?,
    )))
}

impl Ledger {
    /// Deletes the entries written before `cutoff` inside `tx`, after checking that they verify,
    /// and leaves a signed checkpoint in their place. Appends are locked out until `tx` ends;
    /// the caller appends its own entry (the first after the checkpoint) in the same `tx`.
    pub async fn purge_before(
        &self,
        tx: &mut Tx,
        now: Timestamp,
        cutoff: Timestamp,
    ) -> Result<Option<Checkpoint>> {
        super::lock_appends(tx).await?;
        let Some((through, purged)) = expired(tx, cutoff).await? else {
            return Ok(None);
        };
        let report = self.verify_until(tx, None, Some(through), None).await?;
        if let Some(problem) = report.problems.first() {
            return Err(Failure::ledger_altered(format!(
                "the ledger entries due for purging do not verify (entry {}: {}: {}); nothing was purged",
                problem.seq, problem.kind, problem.detail
            ))
            .with_hint("run `privctl audit-verify` and keep the evidence; the purge will not destroy it")
            .into());
        }
        let (seq, hash) = report.head.context("the expired ledger entries vanished")?;
        let mut at = tx.sql();
        at.push("SELECT at FROM privctl_ledger WHERE seq = ")
            .bind(Param::Int(seq));
        let at = tx
            .fetch_optional(&at)
            .await?
            .and_then(|row| row.into_iter().next().flatten())
            .unwrap_or_default();
        let mut checkpoint = Checkpoint {
            seq,
            hash,
            at,
            created_at: now.to_canonical(),
            purged: i64::try_from(purged).unwrap_or(i64::MAX),
            alg: self.alg().to_owned(),
            signature: String::new(),
        };
        checkpoint.signature = self.digest(&checkpoint.canonical());
        let mut insert = tx.sql();
        insert.push("INSERT INTO privctl_ledger_checkpoints (seq, hash, at, created_at, purged, alg, signature) VALUES (");
        insert
            .bind(Param::Int(checkpoint.seq))
            .push(", ")
            .bind(Param::Text(checkpoint.hash.clone()))
            .push(", ")
            .bind(Param::Text(checkpoint.at.clone()))
            .push(", ")
            .bind(Param::Text(checkpoint.created_at.clone()))
            .push(", ")
            .bind(Param::Int(checkpoint.purged))
            .push(", ")
            .bind(Param::Text(checkpoint.alg.clone()))
            .push(", ")
            .bind(Param::Text(checkpoint.signature.clone()))
            .push(")");
        tx.execute(&insert)
            .await
            .context("writing the ledger checkpoint")?;
        let mut delete = tx.sql();
        delete
            .push("DELETE FROM privctl_ledger WHERE seq <= ")
            .bind(Param::Int(seq));
        tx.execute(&delete)
            .await
            .context("purging old ledger entries")?;
        Ok(Some(checkpoint))
    }
}
