use super::*;
use crate::ledger::merkle::{inclusion_proof, leaf_hash, root};
use crate::ledger::note::{KeyType, SignerKey, cosign_note, sign_note};

const ORIGIN: &str = "privctl.example.com/prod-eu";

struct Fixture {
    log: SignerKey,
    w1: SignerKey,
    w2: SignerKey,
    leaves: Vec<Hash>,
    proof: TlogProof,
}

/// A log of 11 entries, a proof for entry 6, the checkpoint cosigned by two witnesses.
fn fixture() -> Fixture {
    let log = SignerKey::generate(ORIGIN, KeyType::Ed25519).unwrap();
    let w1 = SignerKey::generate("auditor.example/w1", KeyType::Cosignature).unwrap();
    let w2 = SignerKey::generate("dpo.example/w2", KeyType::Cosignature).unwrap();
    let leaves: Vec<Hash> = (0..11u8).map(|i| leaf_hash(&[i; 3])).collect();
    let body = Checkpoint::new(ORIGIN, 11, root(&leaves)).to_string();
    let note = sign_note(&body, &[&log]).unwrap();
    let note = cosign_note(note.as_bytes(), &w1, 1_780_000_000).unwrap();
    let note = cosign_note(note.as_bytes(), &w2, 1_780_000_060).unwrap();
    let proof = TlogProof {
        extra: Some(b"privctl receipt".to_vec()),
        index: 6,
        path: inclusion_proof(&leaves, 6).unwrap(),
        checkpoint: note,
    };
    Fixture {
        log,
        w1,
        w2,
        leaves,
        proof,
    }
}

impl Fixture {
    fn log_keys(&self) -> Vec<VerifierKey> {
        vec![self.log.verifier()]
    }

    fn witnesses(&self) -> Vec<VerifierKey> {
        vec![self.w1.verifier(), self.w2.verifier()]
    }

    fn verify_text(&self, text: &str, quorum: usize) -> Result<SignedCheckpoint, ProofError> {
        let (log_keys, witnesses) = (self.log_keys(), self.witnesses());
        TlogProof::parse(text)?.verify(
            &self.leaves[6],
            &Policy {
                origin: ORIGIN,
                log_keys: &log_keys,
                witnesses: &witnesses,
                quorum,
            },
        )
    }
}

#[test]
fn proofs_round_trip_and_verify() {
    let f = fixture();
    let text = f.proof.to_string();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra cHJpdmN0bCByZWNlaXB0\nindex 6\n"));
    assert_eq!(TlogProof::parse(&text).unwrap(), f.proof);
    let proved = f.verify_text(&text, 2).unwrap();
    assert_eq!(proved.checkpoint.size, 11);
    assert_eq!(proved.log_signatures.len(), 1);
    let times: Vec<_> = proved.cosignatures.iter().map(|v| v.timestamp).collect();
    assert_eq!(times, vec![Some(1_780_000_000), Some(1_780_000_060)]);

    // Without extra, and a one-leaf tree (empty path).
    let body = Checkpoint::new(ORIGIN, 1, f.leaves[0]).to_string();
    let single = TlogProof {
        extra: None,
        index: 0,
        path: vec![],
        checkpoint: sign_note(&body, &[&f.log]).unwrap(),
    };
    let text = single.to_string();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\n"));
    let parsed = TlogProof::parse(&text).unwrap();
    assert_eq!(parsed, single);
    let log_keys = f.log_keys();
    let policy = Policy {
        origin: ORIGIN,
        log_keys: &log_keys,
        witnesses: &[],
        quorum: 0,
    };
    assert!(parsed.verify(&f.leaves[0], &policy).is_ok());
}

#[test]
fn every_entry_of_every_small_tree_verifies() {
    let log = SignerKey::generate(ORIGIN, KeyType::Ed25519).unwrap();
    let keys = [log.verifier()];
    let policy = Policy {
        origin: ORIGIN,
        log_keys: &keys,
        witnesses: &[],
        quorum: 0,
    };
    for size in 1..=20usize {
        let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let note = sign_note(
            &Checkpoint::new(ORIGIN, size as u64, root(&leaves)).to_string(),
            &[&log],
        )
        .unwrap();
        for index in 0..size {
            let proof = TlogProof {
                extra: None,
                index: index as u64,
                path: inclusion_proof(&leaves, index).unwrap(),
                checkpoint: note.clone(),
            };
            let parsed = TlogProof::parse(&proof.to_string()).unwrap();
            assert!(parsed.verify(&leaves[index], &policy).is_ok());
            let other = leaves[(index + 1) % size];
            if size > 1 {
                assert_eq!(parsed.verify(&other, &policy), Err(ProofError::NotIncluded));
            }
        }
    }
}

#[test]
fn every_altered_field_is_rejected() {
    let f = fixture();
    let good = f.proof.to_string();
    // Each path hash altered.
    for (i, hash) in f.proof.path.iter().enumerate() {
        let mut p = f.proof.clone();
        p.path[i] = {
            let mut h = *hash;
            h[0] ^= 1;
            h
        };
        assert_eq!(
            f.verify_text(&p.to_string(), 2).err(),
            Some(ProofError::NotIncluded)
        );
        // Dropped, and one added.
        let mut p = f.proof.clone();
        p.path.remove(i);
        assert_eq!(
            f.verify_text(&p.to_string(), 2).err(),
            Some(ProofError::NotIncluded)
        );
    }
    let mut p = f.proof.clone();
    p.path.push([0; 32]);
    assert_eq!(
        f.verify_text(&p.to_string(), 2).err(),
        Some(ProofError::NotIncluded)
    );
    // The index: another entry's, beyond the tree.
    for index in [5, 7, 11, u64::MAX] {
        let p = TlogProof {
            index,
            ..f.proof.clone()
        };
        assert_eq!(
            f.verify_text(&p.to_string(), 2).err(),
            Some(ProofError::NotIncluded)
        );
    }
    // The checkpoint's text changed: size, root, origin (the log's signature then fails).
    let root_b64 = crate::ledger::note::encode_hash(&root(&f.leaves));
    for (from, to) in [
        ("\n11\n", "\n12\n"),
        (
            root_b64.as_str(),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
        (
            "privctl.example.com/prod-eu\n11",
            "privctl.example.com/prod-us\n11",
        ),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good);
        assert!(
            matches!(
                f.verify_text(&bad, 0),
                Err(ProofError::Note(NoteError::InvalidSignature { .. }))
            ),
            "{bad}"
        );
    }
    // A cosignature altered; a witness's line removed below the quorum.
    let w2_line = good
        .lines()
        .find(|l| l.starts_with("— dpo.example/w2 "))
        .unwrap();
    let mut flipped = w2_line.to_owned().into_bytes();
    let n = flipped.len();
    flipped[n - 5] = if flipped[n - 5] == b'A' { b'B' } else { b'A' };
    let bad = good.replace(w2_line, std::str::from_utf8(&flipped).unwrap());
    assert!(f.verify_text(&bad, 0).is_err());
    let bad = good.replace(&format!("{w2_line}\n"), "");
    assert!(f.verify_text(&bad, 1).is_ok());
    assert_eq!(
        f.verify_text(&bad, 2).err(),
        Some(ProofError::TooFewWitnesses {
            required: 2,
            found: 1
        })
    );
    // The log's signature removed: the witnesses alone do not make a log checkpoint.
    let log_line = good
        .lines()
        .find(|l| l.starts_with(&format!("— {ORIGIN} ")))
        .unwrap();
    let bad = good.replace(&format!("{log_line}\n"), "");
    assert_eq!(
        f.verify_text(&bad, 0).err(),
        Some(ProofError::NotSignedByLog)
    );
    // Another log's key, another expected origin.
    let (other, witnesses) = (
        SignerKey::generate(ORIGIN, KeyType::Ed25519).unwrap(),
        f.witnesses(),
    );
    let other_keys = [other.verifier()];
    let proof = TlogProof::parse(&good).unwrap();
    let policy = Policy {
        origin: ORIGIN,
        log_keys: &other_keys,
        witnesses: &witnesses,
        quorum: 0,
    };
    assert_eq!(
        proof.verify(&f.leaves[6], &policy).err(),
        Some(ProofError::NotSignedByLog)
    );
    let log_keys = f.log_keys();
    let policy = Policy {
        origin: "privctl.example.com/staging",
        log_keys: &log_keys,
        witnesses: &witnesses,
        quorum: 0,
    };
    assert!(matches!(
        proof.verify(&f.leaves[6], &policy),
        Err(ProofError::WrongOrigin { .. })
    ));
    // The extra line is not authenticated: changing it changes nothing verified.
    let bad = good.replace("extra cHJpdmN0bCByZWNlaXB0", "extra b3RoZXI=");
    assert!(f.verify_text(&bad, 2).is_ok());
}

#[test]
fn malformed_proofs_are_rejected() {
    let f = fixture();
    let good = f.proof.to_string();
    let hash0 = crate::ledger::note::encode_hash(&f.proof.path[0]);
    for (from, to) in [
        ("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        ("c2sp.org/tlog-proof@v1\n", ""),
        ("index 6", "index 06"),
        ("index 6", "index +6"),
        ("index 6", "index -6"),
        ("index 6", "index 6 "),
        ("index 6", "index"),
        ("index 6", "index 18446744073709551616"),
        ("index 6\n", ""),
        ("extra cHJpdmN0bCByZWNlaXB0", "extra cHJpdmN0bCByZWNlaXB0="),
        ("extra cHJpdmN0bCByZWNlaXB0", "extra "),
        (
            "extra cHJpdmN0bCByZWNlaXB0\nindex 6",
            "index 6\nextra cHJpdmN0bCByZWNlaXB0",
        ),
        (hash0.as_str(), &hash0[..43]),
        (hash0.as_str(), "not base64 at all"),
        (&format!("{hash0}\n"), &format!("{hash0}\n\n")),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        assert!(
            f.verify_text(&bad, 0).is_err(),
            "accepted with {from:?} -> {to:?}"
        );
    }
    // Truncations: no blank line, no checkpoint, a checkpoint without signatures.
    assert!(matches!(
        TlogProof::parse("c2sp.org/tlog-proof@v1\nindex 0\n"),
        Err(ProofError::Malformed(_))
    ));
    assert!(matches!(
        TlogProof::parse("c2sp.org/tlog-proof@v1\nindex 0\n\n"),
        Err(ProofError::Malformed(_))
    ));
    let cut = &good[..good.find("\n— ").unwrap() + 1];
    assert!(matches!(
        f.verify_text(cut, 0),
        Err(ProofError::Note(NoteError::Malformed(_)))
    ));
    // More than 64 path lines.
    let long = format!(
        "c2sp.org/tlog-proof@v1\nindex 0\n{}\n{}",
        vec![hash0.as_str(); 65].join("\n"),
        f.proof.checkpoint
    );
    assert!(matches!(
        TlogProof::parse(&long),
        Err(ProofError::Malformed(_))
    ));
}

#[test]
fn open_checkpoint_applies_the_policy_and_accepts_either_rotated_key() {
    let f = fixture();
    let (old, new) = (
        SignerKey::generate(ORIGIN, KeyType::Ed25519).unwrap(),
        SignerKey::generate(ORIGIN, KeyType::Ed25519).unwrap(),
    );
    let body = Checkpoint::new(ORIGIN, 11, root(&f.leaves)).to_string();
    let note = sign_note(&body, &[&old, &new]).unwrap();
    let note = cosign_note(note.as_bytes(), &f.w1, 1_780_000_000).unwrap();
    let witnesses = f.witnesses();
    for key in [old.verifier(), new.verifier()] {
        let keys = [key.clone()];
        let policy = Policy {
            origin: ORIGIN,
            log_keys: &keys,
            witnesses: &witnesses,
            quorum: 1,
        };
        let signed = open_checkpoint(note.as_bytes(), &policy).unwrap();
        assert_eq!(signed.checkpoint.to_string(), body);
        assert_eq!(signed.log_signatures.len(), 1);
        assert_eq!(signed.log_signatures[0].id, key.id());
        assert_eq!(signed.cosignatures[0].name, "auditor.example/w1");
        assert_eq!(
            open_checkpoint(
                note.as_bytes(),
                &Policy {
                    quorum: 2,
                    ..policy
                }
            )
            .err(),
            Some(ProofError::TooFewWitnesses {
                required: 2,
                found: 1
            })
        );
    }
    // A note that is not a checkpoint.
    let keys = [old.verifier()];
    let policy = Policy {
        origin: ORIGIN,
        log_keys: &keys,
        witnesses: &[],
        quorum: 0,
    };
    let plain = sign_note("hello\n", &[&old]).unwrap();
    assert!(matches!(
        open_checkpoint(plain.as_bytes(), &policy),
        Err(ProofError::Note(NoteError::MalformedCheckpoint(_)))
    ));
}
