//! The ledger's Merkle tree as it is stored: `privctl_ledger_tree` holds every complete subtree
//! (node `(level, idx)` covers leaves `idx·2^level .. (idx+1)·2^level`), written in the
//! transaction of the entry that completes it, under the ledger lock, and never changed.
//!
//! Every hash a proof needs is a complete subtree or the right edge of one, which folds from at
//! most log₂ n complete subtrees, so a proof for any (index, size) or (old, new) reads
//! O(log² n) rows by key whatever the ledger's size, and retention can delete entries while the
//! proofs issued over them stay valid ([`merkle`] defines the hashing).
//!
//! Leaf `i` is the entry whose seq is `tree_start + i` (`privctl_ledger_meta`): 1, unless the
//! ledger had purged its oldest entries for retention before the tree was built.

use std::collections::HashMap;

use anyhow::{Context as _, Result};

use super::merkle::{self, Hash};
use crate::db::{Db, Param, Tx, TxMode};
use crate::error::Failure;

/// A node's place: its level (0 for a leaf) and its index among that level's nodes.
pub type NodeKey = (u32, u64);

/// The complete subtrees that make up the tree of `size` leaves, largest (leftmost) first: one
/// for each bit set in `size`.
pub fn frontier(size: u64) -> Vec<NodeKey> {
    let mut keys = Vec::new();
    let mut offset = 0;
    for level in (0..64).rev() {
        if size & (1 << level) != 0 {
            keys.push((level, offset >> level));
            offset += 1 << level;
        }
    }
    keys
}

/// The left siblings that appending leaf `index` pairs with, bottom up: one per trailing one bit
/// of `index`, each completing a node one level up.
pub fn siblings_of_append(index: u64) -> Vec<NodeKey> {
    (0..64)
        .take_while(|level| (index >> level) & 1 == 1)
        .map(|level| (level, (index >> level) - 1))
        .collect()
}

/// A tree of `size` leaves, known by its [`frontier`]: enough to append leaves and compute the
/// root. [`Range::push`] returns the nodes each leaf completes, which is what appending stores.
#[derive(Debug, Clone, Default)]
pub struct Range {
    size: u64,
    /// (level, hash) of the frontier's subtrees, levels strictly decreasing.
    stack: Vec<(u32, Hash)>,
}

impl Range {
    /// The tree of `size` leaves whose frontier nodes are `hashes` (in [`frontier`] order).
    pub fn from_frontier(size: u64, hashes: Vec<Hash>) -> Self {
        let levels = frontier(size).into_iter().map(|(level, _)| level);
        Self {
            size,
            stack: levels.zip(hashes).collect(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf, merging the subtrees it completes.
    pub fn push_leaf(&mut self, leaf: Hash) {
        self.merge(leaf, |_, _| {});
    }

    /// Appends a leaf; returns the nodes it completes: the leaf itself, then each parent it
    /// completes, bottom up.
    pub fn push(&mut self, leaf: Hash) -> Vec<(NodeKey, Hash)> {
        let mut completed = Vec::with_capacity(4);
        self.merge(leaf, |key, hash| completed.push((key, hash)));
        completed
    }

    /// Appends a leaf and merges equal-sized subtrees, telling `completed` each node made.
    fn merge(&mut self, leaf: Hash, mut completed: impl FnMut(NodeKey, Hash)) {
        let index = self.size;
        completed((0, index), leaf);
        let (mut level, mut hash) = (0, leaf);
        while let Some(&(top, left)) = self.stack.last() {
            if top != level {
                break;
            }
            self.stack.pop();
            hash = merkle::node_hash(&left, &hash);
            level += 1;
            completed((level, index >> level), hash);
        }
        self.stack.push((level, hash));
        self.size += 1;
    }

    /// The root (RFC 6962's MTH of the leaves so far).
    pub fn root(&self) -> Hash {
        let mut hashes = self.stack.iter().rev().map(|(_, hash)| *hash);
        let Some(mut root) = hashes.next() else {
            return merkle::root(&[]);
        };
        for left in hashes {
            root = merkle::node_hash(&left, &root);
        }
        root
    }
}

/// The hash of leaves `lo..hi`, a subtree of an RFC 6962 tree (so `lo` is a multiple of the
/// largest power of two below `hi - lo`), from complete subtrees: greedily the largest aligned
/// one at `lo`, which are of decreasing size, folded from the right.
fn range_hash(lo: u64, hi: u64, node: &mut dyn FnMut(NodeKey) -> Hash) -> Hash {
    let mut parts = Vec::new();
    let mut at = lo;
    while at < hi {
        let mut level = if at == 0 { 63 } else { at.trailing_zeros() };
        while level > 0 && (1u64 << level) > hi - at {
            level -= 1;
        }
        parts.push(node((level, at >> level)));
        at += 1 << level;
    }
    let mut root = parts.pop().unwrap_or_else(|| merkle::root(&[]));
    while let Some(left) = parts.pop() {
        root = merkle::node_hash(&left, &root);
    }
    root
}

fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 §2.1.1), from nodes.
pub fn inclusion_path(index: u64, size: u64, node: &mut dyn FnMut(NodeKey) -> Hash) -> Vec<Hash> {
    fn path(m: u64, lo: u64, hi: u64, node: &mut dyn FnMut(NodeKey) -> Hash, out: &mut Vec<Hash>) {
        if hi - lo <= 1 {
            return;
        }
        let k = split(hi - lo);
        if m < k {
            path(m, lo, lo + k, node, out);
            out.push(range_hash(lo + k, hi, node));
        } else {
            path(m - k, lo + k, hi, node, out);
            out.push(range_hash(lo, lo + k, node));
        }
    }
    let mut out = Vec::new();
    if index < size {
        path(index, 0, size, node, &mut out);
    }
    out
}

/// The proof that the tree of `old` leaves is a prefix of the tree of `new` (RFC 6962 §2.1.2),
/// from nodes; empty when `old` is 0 or `old == new`.
pub fn consistency_path(old: u64, new: u64, node: &mut dyn FnMut(NodeKey) -> Hash) -> Vec<Hash> {
    fn sub(
        m: u64,
        lo: u64,
        hi: u64,
        whole: bool,
        node: &mut dyn FnMut(NodeKey) -> Hash,
        out: &mut Vec<Hash>,
    ) {
        if m == hi - lo {
            if !whole {
                out.push(range_hash(lo, hi, node));
            }
            return;
        }
        let k = split(hi - lo);
        if m <= k {
            sub(m, lo, lo + k, whole, node, out);
            out.push(range_hash(lo + k, hi, node));
        } else {
            sub(m - k, lo + k, hi, false, node, out);
            out.push(range_hash(lo, lo + k, node));
        }
    }
    let mut out = Vec::new();
    if 0 < old && old < new {
        sub(old, 0, new, true, node, &mut out);
    }
    out
}

/// The nodes a computation over `node` reads (it reads the same keys whatever the hashes are).
pub fn keys_read(compute: impl FnOnce(&mut dyn FnMut(NodeKey) -> Hash)) -> Vec<NodeKey> {
    let mut keys = Vec::new();
    compute(&mut |key| {
        keys.push(key);
        [0; 32]
    });
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// `privctl_ledger_meta`'s row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The log's origin, once an entry named one.
    pub origin: Option<String>,
    /// The seq of leaf 0.
    pub tree_start: i64,
}

/// The ledger is older than its tree: `privctl init` builds it.
pub(crate) fn needs_init() -> anyhow::Error {
    Failure::failed("the ledger has no Merkle tree yet (privctl_ledger_meta is empty)")
        .with_hint(
            "run `privctl init`: it builds the tree over the existing entries and keeps them",
        )
        .into()
}

pub async fn meta(tx: &mut Tx) -> Result<Meta> {
    let mut sql = tx.sql();
    sql.push("SELECT origin, CAST(tree_start AS text) FROM privctl_ledger_meta WHERE id = 1");
    let row = tx
        .fetch_optional(&sql)
        .await
        .context("reading privctl_ledger_meta")?
        .ok_or_else(needs_init)?;
    let start = row[1].as_deref().unwrap_or_default();
    Ok(Meta {
        origin: row[0].clone(),
        tree_start: start
            .parse()
            .with_context(|| format!("privctl_ledger_meta: tree_start `{start}`"))?,
    })
}

/// How many leaves the stored tree has.
pub async fn size(tx: &mut Tx) -> Result<u64> {
    let mut sql = tx.sql();
    sql.push("SELECT CAST(max(idx) AS text) FROM privctl_ledger_tree WHERE level = 0");
    let row = tx
        .fetch_optional(&sql)
        .await
        .context("reading the ledger's tree")?;
    match row.and_then(|row| row.into_iter().next().flatten()) {
        None => Ok(0),
        Some(max) => Ok(max
            .parse::<u64>()
            .with_context(|| format!("privctl_ledger_tree: idx `{max}`"))?
            + 1),
    }
}

/// Reads the nodes `keys` from the stored tree; a missing one is an error naming it (the tree
/// was cut).
pub async fn read_nodes(tx: &mut Tx, keys: &[NodeKey]) -> Result<HashMap<NodeKey, Hash>> {
    let mut nodes = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(200) {
        let mut sql = tx.sql();
        sql.push(
            "SELECT CAST(level AS text), CAST(idx AS text), hash FROM privctl_ledger_tree WHERE ",
        );
        for (i, (level, idx)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(level = ")
                .bind(Param::Int(i64::from(*level)))
                .push(" AND idx = ")
                .bind(Param::Int(*idx as i64))
                .push(")");
        }
        for row in tx
            .fetch_rows(&sql)
            .await
            .context("reading the ledger's tree")?
        {
            let number = |i: usize| row[i].as_deref().unwrap_or_default().parse::<u64>().ok();
            let (Some(level), Some(idx)) = (number(0), number(1)) else {
                continue;
            };
            let mut hash = [0; 32];
            let text = row[2].as_deref().unwrap_or_default();
            if hex::decode_to_slice(text, &mut hash).is_err() {
                return Err(Failure::ledger_altered(format!(
                    "privctl_ledger_tree: node ({level}, {idx}) holds `{}`, not a hex SHA-256",
                    text.chars().take(80).collect::<String>()
                ))
                .into());
            }
            nodes.insert((level as u32, idx), hash);
        }
    }
    if let Some((level, idx)) = keys.iter().find(|key| !nodes.contains_key(key)) {
        return Err(Failure::ledger_altered(format!(
            "privctl_ledger_tree lacks node ({level}, {idx}): the ledger's Merkle tree was cut or rewritten"
        ))
        .with_hint("keep this database as evidence and run `privctl audit-verify`")
        .into());
    }
    Ok(nodes)
}

/// Runs a computation over stored nodes: once to learn which it reads, then on them.
pub async fn over_nodes<T>(
    tx: &mut Tx,
    mut compute: impl FnMut(&mut dyn FnMut(NodeKey) -> Hash) -> T,
) -> Result<T> {
    let keys = keys_read(|node| {
        compute(node);
    });
    let nodes = read_nodes(tx, &keys).await?;
    Ok(compute(&mut |key| nodes[&key]))
}

/// The stored tree of `size` leaves, as a [`Range`].
pub async fn stored_range(tx: &mut Tx, size: u64) -> Result<Range> {
    let keys = frontier(size);
    let nodes = read_nodes(tx, &keys).await?;
    Ok(Range::from_frontier(
        size,
        keys.iter().map(|key| nodes[key]).collect(),
    ))
}

/// Stores nodes (new ones: a key already there is an error, so two writers cannot fork the tree).
pub async fn insert_nodes(tx: &mut Tx, nodes: &[(NodeKey, Hash)]) -> Result<()> {
    for chunk in nodes.chunks(500) {
        let mut sql = tx.sql();
        sql.push("INSERT INTO privctl_ledger_tree (level, idx, hash) VALUES ");
        for (i, ((level, idx), hash)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(Param::Int(i64::from(*level)))
                .push(", ")
                .bind(Param::Int(*idx as i64))
                .push(", ")
                .bind(Param::Text(hex::encode(hash)))
                .push(")");
        }
        tx.execute(&sql)
            .await
            .context("writing the ledger's Merkle tree")?;
    }
    Ok(())
}

/// Builds the tree over the entries already in the ledger, once (`privctl init` after an
/// upgrade from a ledger without one; on a new database it only writes `privctl_ledger_meta`).
/// In one transaction under the ledger lock, so an interrupted build leaves nothing behind.
/// Returns how many leaves it built, or `None` when the tree was there.
pub async fn build(db: &Db) -> Result<Option<u64>> {
    let mut tx = db.begin(TxMode::Write).await?;
    super::lock_appends(&mut tx).await?;
    let mut sql = tx.sql();
    sql.push("SELECT 1 FROM privctl_ledger_meta WHERE id = 1");
    if tx.fetch_optional(&sql).await?.is_some() {
        tx.rollback().await?;
        return Ok(None);
    }
    let mut first = tx.sql();
    first.push("SELECT CAST(min(seq) AS text) FROM privctl_ledger");
    let first = tx
        .fetch_optional(&first)
        .await?
        .and_then(|row| row.into_iter().next().flatten());
    let tree_start = match first {
        Some(seq) => seq.parse::<i64>().context("privctl_ledger: seq")?,
        None => super::checkpoint::latest(&mut tx)
            .await?
            .map_or(1, |c| c.seq + 1),
    };
    let mut clear = tx.sql();
    clear.push("DELETE FROM privctl_ledger_tree");
    tx.execute(&clear).await?;
    let mut range = Range::default();
    let mut canonical = Vec::with_capacity(1024);
    loop {
        let mut sql = tx.sql();
        sql.push("SELECT CAST(seq AS text), ")
            .push(&super::COLUMNS["seq, ".len()..])
            .push(" FROM privctl_ledger WHERE seq >= ")
            .bind(Param::Int(tree_start + range.size() as i64))
            .push(" ORDER BY privctl_ledger.seq LIMIT 5000");
        let mut nodes = Vec::new();
        let mut problem = None;
        tx.for_each_text_row(&sql, |fields| {
            let entry = super::EntryRef::from_fields(fields)?;
            let expected = tree_start + range.size() as i64;
            if entry.seq != expected {
                problem.get_or_insert((expected, entry.seq));
                return Ok(());
            }
            canonical.clear();
            entry.write_canonical(&mut canonical);
            nodes.extend(range.push(merkle::leaf_hash(&canonical)));
            Ok(())
        })
        .await
        .context("reading the ledger to build its tree")?;
        if let Some((expected, found)) = problem {
            return Err(Failure::ledger_altered(format!(
                "the ledger goes from entry {} to entry {found}: entries are missing, so its Merkle tree cannot be built; nothing was changed",
                expected - 1
            ))
            .with_hint("run `privctl audit-verify` and keep this database as evidence")
            .into());
        }
        if nodes.is_empty() {
            break;
        }
        insert_nodes(&mut tx, &nodes).await?;
    }
    let mut meta = tx.sql();
    meta.push("INSERT INTO privctl_ledger_meta (id, origin, tree_start) VALUES (1, NULL, ")
        .bind(Param::Int(tree_start))
        .push(")");
    tx.execute(&meta).await?;
    tx.commit().await?;
    Ok(Some(range.size()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
            .collect()
    }

    /// Every complete subtree of `leaves`, as appending them one by one stores them.
    fn stored(leaves: &[Hash]) -> HashMap<NodeKey, Hash> {
        let mut range = Range::default();
        leaves.iter().flat_map(|leaf| range.push(*leaf)).collect()
    }

    #[test]
    fn appending_stores_every_complete_subtree_and_nothing_else() {
        let all = leaves(37);
        let nodes = stored(&all);
        // A complete subtree of level l at idx covers leaves idx·2^l..(idx+1)·2^l ≤ 37.
        let expected: usize = (0..6).map(|l| 37 >> l).sum();
        assert_eq!(nodes.len(), expected);
        for (&(level, idx), hash) in &nodes {
            let lo = (idx << level) as usize;
            assert_eq!(*hash, merkle::root(&all[lo..lo + (1 << level)]));
        }
    }

    #[test]
    fn the_range_root_and_frontier_are_the_trees() {
        let all = leaves(130);
        let nodes = stored(&all);
        let mut range = Range::default();
        for n in 0..=all.len() {
            assert_eq!(range.root(), merkle::root(&all[..n]), "size {n}");
            let from_frontier = Range::from_frontier(
                n as u64,
                frontier(n as u64).iter().map(|k| nodes[k]).collect(),
            );
            assert_eq!(from_frontier.root(), merkle::root(&all[..n]), "size {n}");
            if n < all.len() {
                range.push(all[n]);
            }
        }
    }

    #[test]
    fn appends_read_exactly_the_siblings_they_pair_with() {
        let all = leaves(70);
        let mut range = Range::default();
        for (index, leaf) in all.iter().enumerate() {
            let completed = range.push(*leaf);
            let parents: Vec<NodeKey> = completed[1..].iter().map(|(k, _)| *k).collect();
            let siblings = siblings_of_append(index as u64);
            assert_eq!(parents.len(), siblings.len(), "index {index}");
            for ((level, idx), (parent_level, parent_idx)) in siblings.iter().zip(&parents) {
                assert_eq!((level + 1, idx / 2), (*parent_level, *parent_idx));
            }
        }
    }

    #[test]
    fn proofs_from_stored_nodes_are_the_rfc_proofs_for_every_index_and_size() {
        let all = leaves(300);
        let nodes = stored(&all);
        let mut node = |key: NodeKey| nodes[&key];
        for n in 1..=all.len() {
            let step = if n > 80 { 7 } else { 1 };
            for i in (0..n).step_by(step) {
                let path = inclusion_path(i as u64, n as u64, &mut node);
                assert_eq!(
                    Some(path),
                    merkle::inclusion_proof(&all[..n], i),
                    "({i}, {n})"
                );
            }
            for m in (1..=n).step_by(step) {
                let proof = consistency_path(m as u64, n as u64, &mut node);
                let expected = merkle::consistency_proof(&all[..n], m).unwrap();
                assert_eq!(proof, expected, "({m}, {n})");
                assert!(merkle::verify_consistency(
                    m as u64,
                    n as u64,
                    &merkle::root(&all[..m]),
                    &merkle::root(&all[..n]),
                    &proof
                ));
            }
        }
    }

    #[test]
    fn a_proof_reads_a_few_nodes_whatever_the_size() {
        let keys = keys_read(|node| {
            inclusion_path(123_456_789, 1_000_000_007, node);
        });
        assert!(keys.len() < 64 * 2, "{} nodes", keys.len());
        let keys = keys_read(|node| {
            consistency_path(999_999_937, 1_000_000_007, node);
        });
        assert!(keys.len() < 64 * 3, "{} nodes", keys.len());
    }
}
