use super::*;

// Test vectors quoted from golang.org/x/mod, sumdb/note/note_test.go (Copyright 2019 The Go
// Authors; BSD-style licence, github.com/golang/mod LICENSE).
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// Quoted from c2sp.org/signed-note, "Verifier keys" / "Example" (github.com/C2SP/C2SP,
// signed-note.md; CC BY 4.0).
const FOO_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const FOO_NOTE: &str = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn vkey(s: &str) -> VerifierKey {
    VerifierKey::parse(s).unwrap()
}

fn peter_note() -> String {
    format!("{TEXT}\n{PETER_SIG}")
}

#[test]
fn go_keys_parse_and_print_back() {
    let peter = vkey(PETER_VKEY);
    assert_eq!(peter.name(), "PeterNeumann");
    assert_eq!(peter.id(), 0xc74f20a3);
    assert_eq!(peter.kind(), KeyType::Ed25519);
    assert_eq!(peter.to_string(), PETER_VKEY);
    let signer = SignerKey::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.verifier(), peter);
    assert_eq!(signer.expose_secret(), PETER_SKEY);
    assert_eq!(vkey(ENOCH_VKEY).to_string(), ENOCH_VKEY);
    assert_eq!(vkey(FOO_VKEY).id(), 0x530d903a);
}

#[test]
fn mangled_verifier_keys_are_rejected_as_go_rejects_them() {
    // TestNewVerifier: every proper substring, every byte incremented.
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = String::from_utf8_lossy(&b[i..j]);
                assert!(VerifierKey::parse(&s).is_err(), "{s}");
            }
        }
    }
    let mut m = b.to_vec();
    for i in 0..m.len() {
        m[i] += 1;
        let s = String::from_utf8_lossy(&m).into_owned();
        assert!(VerifierKey::parse(&s).is_err(), "{s}");
        m[i] -= 1;
    }
    // Wrong key length and unknown algorithm, each with an adjusted key hash (Go's vectors).
    assert!(matches!(
        VerifierKey::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        ),
        Err(NoteError::MalformedKey(_))
    ));
    assert!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
    // Upper-case hex ids are not the spec's encoding.
    assert!(
        VerifierKey::parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
    assert_eq!(
        VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::KeyIdMismatch)
    );
    assert!(matches!(
        VerifierKey::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::InvalidName(_))
    ));
}

#[test]
fn mangled_signer_keys_are_rejected_and_errors_never_show_the_secret() {
    // TestNewSigner: every proper substring, every byte incremented.
    let secret = PETER_SKEY.splitn(5, '+').nth(4).unwrap();
    let b = PETER_SKEY.as_bytes();
    let check = |s: &str| match SignerKey::parse(s) {
        Ok(_) => panic!("accepted {s}"),
        Err(e) => assert!(!e.to_string().contains(&secret[1..20]), "{e}"),
    };
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                check(&String::from_utf8_lossy(&b[i..j]));
            }
        }
    }
    let mut m = b.to_vec();
    for i in 0..m.len() {
        m[i] += 1;
        check(&String::from_utf8_lossy(&m));
        m[i] -= 1;
    }
}

#[test]
fn signer_keys_do_not_debug_print_their_secret() {
    let key = SignerKey::parse(PETER_SKEY).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains(PETER_VKEY), "{debug}");
    assert!(!debug.contains("AYEKFALV"), "{debug}");
    assert!(debug.contains("redacted"));
}

#[test]
fn signing_the_go_example_gives_the_go_signature_byte_for_byte() {
    let key = SignerKey::parse(PETER_SKEY).unwrap();
    assert_eq!(sign_note(TEXT, &[&key]).unwrap(), peter_note());
}

#[test]
fn published_notes_verify() {
    let note = open_note(peter_note().as_bytes(), &[vkey(PETER_VKEY)]).unwrap();
    assert_eq!(note.text, TEXT);
    assert_eq!(
        note.verified,
        vec![Verified {
            name: "PeterNeumann".into(),
            id: 0xc74f20a3,
            kind: KeyType::Ed25519,
            timestamp: None
        }]
    );
    let foo = open_note(FOO_NOTE.as_bytes(), &[vkey(FOO_VKEY)]).unwrap();
    assert_eq!(foo.text, "This is an example message.\n");
}

#[test]
fn two_key_notes_verify_with_either_key() {
    // Go's TestOpen: Peter and Enoch both signed the text (key rotation: old and new).
    let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let (peter, enoch) = (vkey(PETER_VKEY), vkey(ENOCH_VKEY));
    let n = open_note(msg.as_bytes(), std::slice::from_ref(&peter)).unwrap();
    assert!(n.verified_by(&peter).is_some() && n.verified_by(&enoch).is_none());
    assert_eq!(n.unverified.len(), 1);
    assert_eq!(n.unverified[0].name, "EnochRoot");
    assert_eq!(n.unverified[0].id, 0xaf0cfe78);
    let n = open_note(msg.as_bytes(), std::slice::from_ref(&enoch)).unwrap();
    assert!(n.verified_by(&enoch).is_some() && n.verified_by(&peter).is_none());
    let n = open_note(msg.as_bytes(), &[peter.clone(), enoch.clone()]).unwrap();
    assert_eq!(n.verified.len(), 2);
    assert!(n.unverified.is_empty());
    assert_eq!(
        open_note(msg.as_bytes(), &[]),
        Err(NoteError::NoKnownSignature)
    );

    // Our own rotation: one text signed by an old and a new key at once.
    let old = SignerKey::generate("privctl.example.com/prod", KeyType::Ed25519).unwrap();
    let new = SignerKey::generate("privctl.example.com/prod", KeyType::Ed25519).unwrap();
    let note = sign_note("hello\n", &[&old, &new]).unwrap();
    for k in [old.verifier(), new.verifier()] {
        let n = open_note(note.as_bytes(), std::slice::from_ref(&k)).unwrap();
        assert_eq!(n.verified.len(), 1);
        assert_eq!(n.verified[0].id, k.id());
    }
}

#[test]
fn ambiguous_and_duplicate_keys() {
    let (peter, enoch) = (vkey(PETER_VKEY), vkey(ENOCH_VKEY));
    // The same key twice is fine; duplicate identical signatures count once.
    let msg = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}");
    let n = open_note(msg.as_bytes(), &[peter.clone(), enoch, peter.clone()]).unwrap();
    assert_eq!(n.verified.len(), 1);
    // Two different keys under one name and id.
    let other = SignerKey::generate("PeterNeumann", KeyType::Ed25519).unwrap();
    let impostor = VerifierKey {
        id: peter.id(),
        ..other.verifier()
    };
    assert!(matches!(
        open_note(peter_note().as_bytes(), &[peter, impostor]),
        Err(NoteError::AmbiguousKey { .. })
    ));
}

#[test]
fn every_flipped_byte_class_is_rejected() {
    let peter = vkey(PETER_VKEY);
    let good = peter_note();
    let open = |msg: &str| open_note(msg.as_bytes(), std::slice::from_ref(&peter));
    assert!(open(&good).is_ok());
    // Every byte of the text changed (ASCII letters only, to stay UTF-8).
    for i in 0..TEXT.len() {
        let mut b = good.clone().into_bytes();
        if !b[i].is_ascii_alphabetic() {
            continue;
        }
        b[i] ^= 0x20;
        let msg = String::from_utf8(b).unwrap();
        assert!(
            matches!(open(&msg), Err(NoteError::InvalidSignature { .. })),
            "{msg}"
        );
    }
    // Every base64 character of the signature after the key id (the first 6 characters hold
    // the id).
    let sig_start = good.find("x08go").unwrap();
    for i in sig_start + 6..good.len() - 2 {
        let mut b = good.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let msg = String::from_utf8(b).unwrap();
        assert!(open(&msg).is_err(), "{msg}");
    }
    // The key id: an unknown key, so no known signature.
    let msg = good.replace("x08go", "xxxgo");
    assert_eq!(open(&msg), Err(NoteError::NoKnownSignature));
    // The name: another key's.
    let msg = good.replace("— PeterNeumann", "— PeterNeuman");
    assert_eq!(open(&msg), Err(NoteError::NoKnownSignature));
    // Go's TestOpen invalid signature: "ABCD" inserted.
    let msg = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(
        open(&msg),
        Err(NoteError::InvalidSignature { .. })
    ));
    // Go's malformed messages, and ours: missing final newline, extra blank line, no blank
    // line, a control character, invalid UTF-8, a bad name, an unexpected line.
    let bad: Vec<Vec<u8>> = vec![
        TEXT.into(),
        format!("{TEXT}\n").into(),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]).into(),
        format!("\x01{TEXT}\n{PETER_SIG}").into(),
        [b"\xff".as_slice(), good.as_bytes()].concat(),
        format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").into(),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(),
        format!("{TEXT}\n{PETER_SIG}\n").into(),
        format!("{TEXT}{PETER_SIG}").into(),
        format!("{TEXT}\n{}\r\n", &PETER_SIG[..PETER_SIG.len() - 1]).into(),
        format!("{TEXT}\n—  PeterNeumann x08go\n").into(),
        format!("{TEXT}\n— PeterNeumann x08go/Z=\n").into(),
        format!("{TEXT}\n— PeterNeumann AAAAAA==\n").into(),
    ];
    for msg in bad {
        assert!(
            matches!(
                open_note(&msg, std::slice::from_ref(&peter)),
                Err(NoteError::Malformed(_))
            ),
            "{}",
            String::from_utf8_lossy(&msg)
        );
    }
    // An extra blank line between text and signatures makes the blank line part of the text:
    // a different text, so the signature fails.
    let msg = format!("{TEXT}\n\n{PETER_SIG}");
    assert!(matches!(
        open(&msg),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn at_most_100_signatures() {
    let peter = vkey(PETER_VKEY);
    let ok = format!("{TEXT}\n{}", PETER_SIG.repeat(100));
    assert!(open_note(ok.as_bytes(), std::slice::from_ref(&peter)).is_ok());
    let msg = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        open_note(msg.as_bytes(), std::slice::from_ref(&peter)),
        Err(NoteError::Malformed(_))
    ));
    assert!(matches!(
        open_note(msg.as_bytes(), &[]),
        Err(NoteError::Malformed(_))
    ));
}

#[test]
fn sign_note_refuses_bad_text_and_witness_keys() {
    let key = SignerKey::parse(PETER_SKEY).unwrap();
    assert!(sign_note("abc", &[&key]).is_err());
    assert!(sign_note("a\x01b\n", &[&key]).is_err());
    assert!(sign_note("abc\n", &[]).is_err());
    let witness = SignerKey::generate("w.example", KeyType::Cosignature).unwrap();
    assert!(matches!(
        sign_note("abc\n", &[&witness]),
        Err(NoteError::WrongKeyType { .. })
    ));
    assert!(SignerKey::generate("bad name", KeyType::Ed25519).is_err());
    assert!(SignerKey::generate("a+b", KeyType::Ed25519).is_err());
    assert!(SignerKey::generate("", KeyType::Ed25519).is_err());
}

#[test]
fn generated_keys_round_trip_through_their_text() {
    for kind in [KeyType::Ed25519, KeyType::Cosignature] {
        let key = SignerKey::generate("privctl.example.com/prod-eu", kind).unwrap();
        let again = SignerKey::parse(&key.expose_secret()).unwrap();
        assert_eq!(again.verifier(), key.verifier());
        let v = VerifierKey::parse(&key.verifier().to_string()).unwrap();
        assert_eq!(v, key.verifier());
        assert_eq!(v.kind(), kind);
        assert_eq!(v.id(), key_id(v.name(), kind, v.public_key().as_bytes()));
    }
    // One Ed25519 key as a note key and as a cosigner key: different ids (the type byte).
    let seed = [7u8; 32];
    let a =
        SignerKey::from_signing_key("n", KeyType::Ed25519, SigningKey::from_bytes(&seed)).unwrap();
    let b = SignerKey::from_signing_key("n", KeyType::Cosignature, SigningKey::from_bytes(&seed))
        .unwrap();
    assert_ne!(a.id(), b.id());
    let material = b.verifier().to_string();
    let material = B64.decode(material.splitn(3, '+').nth(2).unwrap()).unwrap();
    assert_eq!(material[0], 0x04);
    assert_eq!(&material[1..], b.verifier().public_key().as_bytes());
}

const SOFA: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

#[test]
fn checkpoints_format_and_parse_strictly() {
    // The body from c2sp.org/tlog-checkpoint's example.
    let c = Checkpoint::parse(SOFA).unwrap();
    assert_eq!(c.origin, "example.com/behind-the-sofa");
    assert_eq!(c.size, 20852163);
    assert_eq!(c.to_string(), SOFA);
    assert!(c.extensions.is_empty());
    let with_ext = format!("{SOFA}ext one\nz\n");
    let c = Checkpoint::parse(&with_ext).unwrap();
    assert_eq!(c.extensions, vec!["ext one".to_owned(), "z".to_owned()]);
    assert_eq!(c.to_string(), with_ext);
    let empty = Checkpoint::new("o", 0, crate::ledger::merkle::root(&[]));
    assert_eq!(Checkpoint::parse(&empty.to_string()).unwrap(), empty);
    assert_eq!(Checkpoint::parse("o\nu64max\n").ok(), None);
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    let max = format!("o\n18446744073709551615\n{root}\n");
    assert_eq!(Checkpoint::parse(&max).unwrap().size, u64::MAX);
    for bad in [
        SOFA.trim_end_matches('\n').to_owned(),
        format!("\n1\n{root}\n"),
        format!("o\n01\n{root}\n"),
        format!("o\n+1\n{root}\n"),
        format!("o\n-1\n{root}\n"),
        format!("o\n 1\n{root}\n"),
        format!("o\n\n{root}\n"),
        format!("o\n18446744073709551616\n{root}\n"),
        format!("o\n1\n{}\n", &root[..43]),
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n".to_owned(),
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_owned(),
        "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n".to_owned(),
        format!("o\n1\n{root}\n\n"),
        format!("o\n1\n{root}\n\next\n"),
        format!("o\n1\n{root}\nx\ty\n"),
        "o\n1\n".to_owned(),
        format!("o\r\n1\n{root}\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn cosignatures_round_trip_and_follow_the_spec_message() {
    let log = SignerKey::generate("example.com/behind-the-sofa", KeyType::Ed25519).unwrap();
    let w1 = SignerKey::generate("witness.example.com/w1", KeyType::Cosignature).unwrap();
    let w2 = SignerKey::generate("witness.example.com/w2", KeyType::Cosignature).unwrap();
    let note = sign_note(SOFA, &[&log]).unwrap();
    let cosigned = cosign_note(note.as_bytes(), &w1, 1679315147).unwrap();
    let cosigned = cosign_note(cosigned.as_bytes(), &w2, 1679315148).unwrap();
    assert!(cosigned.starts_with(&note));
    let n = open_note(
        cosigned.as_bytes(),
        &[log.verifier(), w1.verifier(), w2.verifier()],
    )
    .unwrap();
    assert_eq!(n.text, SOFA);
    assert_eq!(
        n.verified_by(&w1.verifier()).unwrap().timestamp,
        Some(1679315147)
    );
    assert_eq!(
        n.verified_by(&w2.verifier()).unwrap().timestamp,
        Some(1679315148)
    );
    assert_eq!(n.verified_by(&log.verifier()).unwrap().timestamp, None);
    // A witness alone is a known key: the note opens with only its key.
    assert!(open_note(cosigned.as_bytes(), &[w1.verifier()]).is_ok());
    // The logged bytes: id || u64 BE time || Ed25519 over the spec's message, checked here
    // with ed25519-dalek directly.
    let line = cosigned
        .lines()
        .find(|l| l.starts_with("— witness.example.com/w1 "))
        .unwrap();
    let raw = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(&raw[..4], &w1.id().to_be_bytes());
    assert_eq!(&raw[4..12], &1679315147u64.to_be_bytes());
    let msg = format!("cosignature/v1\ntime 1679315147\n{SOFA}");
    let sig = ed25519_dalek::Signature::from_slice(&raw[12..]).unwrap();
    w1.verifier()
        .public_key()
        .verify_strict(msg.as_bytes(), &sig)
        .unwrap();
    // Re-cosigning replaces the witness's earlier line.
    let again = cosign_note(cosigned.as_bytes(), &w1, 1679315200).unwrap();
    assert_eq!(again.matches("— witness.example.com/w1 ").count(), 1);
    let n = open_note(again.as_bytes(), &[w1.verifier()]).unwrap();
    assert_eq!(n.verified[0].timestamp, Some(1679315200));
}

#[test]
fn tampered_cosignatures_are_rejected() {
    let log = SignerKey::generate("log.example", KeyType::Ed25519).unwrap();
    let w = SignerKey::generate("w.example", KeyType::Cosignature).unwrap();
    let note = sign_note(SOFA, &[&log]).unwrap();
    let cosigned = cosign_note(note.as_bytes(), &w, 1_700_000_000).unwrap();
    let keys = [log.verifier(), w.verifier()];
    let line = cosigned.lines().last().unwrap().to_owned();
    let mut raw = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    // Each part of the signature: the timestamp, the signature.
    for i in [11, 12, 40, 75] {
        raw[i] ^= 1;
        let bad = cosigned.replace(&line, &format!("— w.example {}", B64.encode(&raw)));
        assert!(matches!(
            open_note(bad.as_bytes(), &keys),
            Err(NoteError::InvalidSignature { .. })
        ));
        raw[i] ^= 1;
    }
    // A timestamp above 2^63 - 1, and a truncated signature.
    raw[4] = 0x80;
    let bad = cosigned.replace(&line, &format!("— w.example {}", B64.encode(&raw)));
    assert!(open_note(bad.as_bytes(), &keys).is_err());
    let bad = cosigned.replace(&line, &format!("— w.example {}", B64.encode(&raw[..70])));
    assert!(open_note(bad.as_bytes(), &keys).is_err());
    // The checkpoint text changed after cosigning.
    let bad = cosigned.replace("20852163", "20852164");
    assert!(open_note(bad.as_bytes(), &[w.verifier()]).is_err());
    // Cosigning refuses note keys, a non-checkpoint, an out-of-range time.
    assert!(matches!(
        cosign_note(note.as_bytes(), &log, 1),
        Err(NoteError::WrongKeyType { .. })
    ));
    let plain = sign_note("not a checkpoint\n", &[&log]).unwrap();
    assert!(matches!(
        cosign_note(plain.as_bytes(), &w, 1),
        Err(NoteError::MalformedCheckpoint(_))
    ));
    assert_eq!(
        cosign_note(note.as_bytes(), &w, 1 << 63),
        Err(NoteError::TimestampOutOfRange)
    );
    // A note key cannot pass for the witness: same seed, type 0x01, is another id.
    let as_note_key =
        VerifierKey::from_public("w.example", KeyType::Ed25519, *w.verifier().public_key())
            .unwrap();
    assert_eq!(
        open_note(cosigned.as_bytes(), &[as_note_key]),
        Err(NoteError::NoKnownSignature)
    );
}

#[test]
fn the_spec_example_cosignature_has_our_layout() {
    // The witness line of c2sp.org/tlog-cosignature's example (github.com/C2SP/C2SP,
    // tlog-cosignature.md; CC BY 4.0). Its key is not published, so only the layout is
    // checked: 4-byte id, the u64 BE time of the spec's message example, 64 signature bytes.
    let raw = B64
        .decode("jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")
        .unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(
        u64::from_be_bytes(raw[4..12].try_into().unwrap()),
        1679315147
    );
    assert_eq!(
        cosignature_message(SOFA, 1679315147),
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
}
