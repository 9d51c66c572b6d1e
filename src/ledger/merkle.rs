//! A Merkle tree over the ledger's entries, hashed as RFC 6962 / RFC 9162 (Certificate
//! Transparency) hash them, so anyone holding a signed tree head can check that an entry is in
//! the log (inclusion) and that a later head only appended to an earlier one (consistency),
//! without the ledger's secret key (issue 17).
//!
//! - leaf: `SHA-256(0x00 ‖ entry bytes)`; node: `SHA-256(0x01 ‖ left ‖ right)`;
//! - the root of n > 1 leaves splits them at k, the largest power of two below n;
//! - the empty tree's root is `SHA-256("")`.
//!
//! Proofs are built from the leaf hashes of the tree ([`inclusion_proof`],
//! [`consistency_proof`]) by the RFC's recursive definitions, and checked by its verification
//! algorithms ([`verify_inclusion`], [`verify_consistency`]), which need only the proof, the
//! sizes and the roots. The tests check the roots and inclusion paths against the published
//! Certificate Transparency vectors, and every proof of every tree up to 70 leaves against
//! the verifiers, and their tampered forms against rejection.

use sha2::{Digest as _, Sha256};

/// A SHA-256 hash: a leaf, a node or a root.
pub type Hash = [u8; 32];

/// The hash of one entry's bytes as a leaf.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// The hash of an interior node over its two children.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the tree over `leaves` (leaf hashes, in log order), in one pass: complete
/// subtrees are merged as they fill, like the carries of a binary counter, and what is left is
/// folded from the smallest (rightmost) up, which is the RFC's split at the largest power of two.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Sha256::digest([]).into();
    }
    // (size, root) of complete subtrees, sizes strictly decreasing.
    let mut stack: Vec<(usize, Hash)> = Vec::with_capacity(64);
    for leaf in leaves {
        let mut size = 1;
        let mut hash = *leaf;
        while let Some(&(top, left)) = stack.last() {
            if top != size {
                break;
            }
            stack.pop();
            hash = node_hash(&left, &hash);
            size *= 2;
        }
        stack.push((size, hash));
    }
    let (_, mut hash) = stack.pop().expect("at least one leaf");
    while let Some((_, left)) = stack.pop() {
        hash = node_hash(&left, &hash);
    }
    hash
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 6962 §2.1.1, `PATH(m, D[n])`),
/// from the leaf's sibling up; `None` when `index` is not a leaf of it.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    path_of(leaves, index, &mut path);
    Some(path)
}

fn path_of(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        path_of(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        path_of(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// The proof that the tree over the first `old` leaves is a prefix of the tree over `leaves`
/// (RFC 6962 §2.1.2, `PROOF(m, D[n])`); `None` unless `0 < old ≤ leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old: usize) -> Option<Vec<Hash>> {
    if old == 0 || old > leaves.len() {
        return None;
    }
    let mut proof = Vec::new();
    subproof(leaves, old, true, &mut proof);
    Some(proof)
}

fn subproof(leaves: &[Hash], m: usize, whole: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(&leaves[..k], m, whole, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof(&leaves[k..], m - k, false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// Whether `proof` shows the leaf `leaf` at `index` in the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Whether `proof` shows that the tree of `old` leaves with root `old_root` is a prefix of the
/// tree of `new` leaves with root `new_root` (RFC 9162 §2.1.4.2). Equal sizes prove consistency
/// with an empty proof when the roots are equal; an empty old tree is a prefix of any tree.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == 0 {
        return proof.is_empty();
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex_text: &str) -> Hash {
        hex::decode(hex_text).unwrap().try_into().unwrap()
    }

    /// The Certificate Transparency test tree: eight entries.
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|e| leaf_hash(&hex::decode(e).unwrap()))
        .collect()
    }

    /// RFC 6962's definition, word for word: the reference the one-pass root is checked against.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = split(n);
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn many(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn roots_are_the_published_certificate_transparency_roots() {
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (size, want) in roots.iter().enumerate() {
            assert_eq!(root(&leaves[..size]), h(want), "size {size}");
        }
    }

    #[test]
    fn inclusion_paths_are_the_published_ones() {
        let leaves = ct_leaves();
        let cases: [(usize, &[&str]); 2] = [
            (
                0,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, want) in cases {
            let want: Vec<Hash> = want.iter().map(|x| h(x)).collect();
            assert_eq!(
                inclusion_proof(&leaves, index).unwrap(),
                want,
                "leaf {index}"
            );
        }
    }

    #[test]
    fn the_one_pass_root_is_the_recursive_definition() {
        let leaves = many(300);
        for n in 0..=leaves.len() {
            assert_eq!(root(&leaves[..n]), naive_root(&leaves[..n]), "size {n}");
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_no_altered_one_does() {
        let leaves = many(70);
        for size in 1..=leaves.len() {
            let tree = &leaves[..size];
            let top = root(tree);
            for index in 0..size {
                let proof = inclusion_proof(tree, index).unwrap();
                let (i, n) = (index as u64, size as u64);
                assert!(
                    verify_inclusion(&leaves[index], i, n, &proof, &top),
                    "{index} of {size}"
                );
                // Another leaf, another index, another size, a short or altered path: refused.
                let other = (index + 1) % size;
                if other != index {
                    assert!(!verify_inclusion(&leaves[other], i, n, &proof, &top));
                    assert!(!verify_inclusion(
                        &leaves[index],
                        other as u64,
                        n,
                        &proof,
                        &top
                    ));
                }
                // A path for this tree does not prove the leaf in the next tree's head. (The
                // same path with only the size changed can verify: a head binds its size to
                // its root, which is why checkpoints sign both.)
                if size < leaves.len() {
                    let next = root(&leaves[..=size]);
                    assert!(!verify_inclusion(&leaves[index], i, n + 1, &proof, &next));
                }
                assert!(!verify_inclusion(&leaves[index], n, n, &proof, &top));
                for k in 0..proof.len() {
                    let mut altered = proof.clone();
                    altered[k][k % 32] ^= 1;
                    assert!(!verify_inclusion(&leaves[index], i, n, &altered, &top));
                    assert!(!verify_inclusion(&leaves[index], i, n, &proof[..k], &top));
                }
            }
        }
        assert_eq!(inclusion_proof(&leaves[..3], 3), None);
    }

    #[test]
    fn every_consistency_proof_verifies_and_no_altered_one_does() {
        let leaves = many(64);
        for new in 1..=leaves.len() {
            let new_root = root(&leaves[..new]);
            for old in 1..=new {
                let old_root = root(&leaves[..old]);
                let proof = consistency_proof(&leaves[..new], old).unwrap();
                let (m, n) = (old as u64, new as u64);
                assert!(
                    verify_consistency(m, n, &old_root, &new_root, &proof),
                    "{old} -> {new}"
                );
                if old == new {
                    assert!(proof.is_empty());
                    continue;
                }
                // A rewritten old tree (one leaf changed) is not consistent with the new one.
                let mut forged = leaves[..old].to_vec();
                forged[old - 1][0] ^= 1;
                assert!(!verify_consistency(m, n, &root(&forged), &new_root, &proof));
                assert!(!verify_consistency(m, n, &old_root, &old_root, &proof));
                assert!(!verify_consistency(n, m, &new_root, &old_root, &proof));
                for k in 0..proof.len() {
                    let mut altered = proof.clone();
                    altered[k][31 - k % 32] ^= 0x80;
                    assert!(!verify_consistency(m, n, &old_root, &new_root, &altered));
                    assert!(!verify_consistency(m, n, &old_root, &new_root, &proof[..k]));
                }
            }
        }
        assert!(verify_consistency(0, 5, &[0; 32], &root(&leaves[..5]), &[]));
        assert_eq!(consistency_proof(&leaves[..3], 0), None);
        assert_eq!(consistency_proof(&leaves[..3], 4), None);
    }
}
