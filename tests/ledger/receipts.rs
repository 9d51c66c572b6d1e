//! Erasure receipts (issue 17): `dsar delete --receipt FILE` and `privctl receipt verify`, run
//! with an empty environment and nothing but the receipt and the public keys. Valid receipts
//! verify, with the subject's email or without; a corpus of altered ones (each part of the
//! receipt changed), a wrong key, a wrong email and a missing witness are refused (exit 4). The
//! Python verifier in tests/verifier (written from the README, with `cryptography`, and with
//! `openssl pkeyutl` for the signatures) reaches the same verdicts, on fresh receipts and on the
//! corpus kept in tests/verifier/corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{JANE_BY_EMAIL, dsar};
use crate::support::fixture::{map_copy_path, setup_with_map_copy, token_of};
use crate::support::{Dialect, Privctl, TestDb, both_dialects};

const LEDGER_KEY: &str = "receipt-tests-ledger-key-20c1";
const ORIGIN: &str = "privctl.test/prod-eu";
const JANE: &str = "jane.doe@example.com";

/// `privctl receipt verify …` with no environment at all.
fn verify_bare(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_privctl"))
        .env_clear()
        .current_dir(dir)
        .args(["receipt", "verify"])
        .args(args)
        .output()
        .expect("cannot run privctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Python verifier's exit code on a receipt (`openssl`: signatures through openssl).
fn python_verdict(
    dir: &Path,
    receipt: &Path,
    vkey: &str,
    email: Option<&str>,
    openssl: bool,
) -> i32 {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/verifier/privctl_receipt_verify.py");
    let mut command = Command::new("python3");
    command.current_dir(dir).arg(script).args(["--vkey", vkey]);
    if let Some(email) = email {
        command.args(["--email", email]);
    }
    if openssl {
        command.arg("--openssl");
    }
    let out = command
        .arg(receipt)
        .output()
        .expect("python3 is needed (it never skips)");
    out.status.code().unwrap_or(-1)
}

/// A log whose map signs with `log.key` and names the log: (db, runner, the log's vkey).
async fn signed_log(dialect: Dialect) -> (TestDb, Privctl, String) {
    let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
    let privctl = privctl.current_dir(db.dir());
    let out = privctl
        .clone()
        .args(["audit", "keygen", "--name", ORIGIN, "--out", "log.key"])
        .run();
    let vkey = out.success().stdout.trim().to_owned();
    let path = map_copy_path(&db);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "ledger = \"env:PRIVCTL_LEDGER_KEY\"",
        "ledger = \"env:PRIVCTL_LEDGER_KEY\"\nsigning = \"file:log.key\"",
        1,
    );
    std::fs::write(&path, format!("{text}\n[ledger]\norigin = \"{ORIGIN}\"\n")).unwrap();
    (db, privctl, vkey)
}

/// A signed log, Jane erased with a receipt: (db, runner, the log's vkey, the receipt's path).
async fn erased_with_receipt(dialect: Dialect) -> (TestDb, Privctl, String, PathBuf) {
    let (db, privctl, vkey) = signed_log(dialect).await;
    dsar(
        &privctl,
        "preview",
        &["--email", "john.roe@example.com"],
        &[],
    )
    .success();
    let plan = dsar(&privctl, "delete", &JANE_BY_EMAIL, &[])
        .success()
        .json();
    let receipt = db.dir().join("receipt.json");
    dsar(
        &privctl,
        "delete",
        &JANE_BY_EMAIL,
        &[
            "--confirm",
            &token_of(&plan),
            "--receipt",
            receipt.to_str().unwrap(),
        ],
    )
    .success();
    (db, privctl, vkey, receipt)
}

both_dialects! {
    /// `dsar export --receipt`: the receipt proves, offline, that the log records this export of
    /// Jane and that the bundle she holds is the one it wrote; another subject, an altered
    /// bundle or another file are refused (exit 4), and the Python verifier agrees it holds.
    /// Asked for under a map that cannot sign, nothing is read, written or recorded (exit 2).
    async fn an_export_receipt_proves_the_export_and_its_bundle(dialect: Dialect) {
        let (db, privctl, vkey) = signed_log(dialect).await;
        let dir = db.dir();
        dsar(&privctl, "export", &JANE_BY_EMAIL, &["--out", "jane.json", "--receipt", "export-receipt.json"])
            .success();
        let receipt = dir.join("export-receipt.json");
        let text = std::fs::read_to_string(&receipt).unwrap();
        assert!(!text.contains(JANE), "the receipt names the subject: {text}");
        let (code, stdout, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", JANE, "--bundle", "jane.json", "export-receipt.json"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("records dsar-export done in tenant acme"), "{stdout}");
        assert!(stdout.contains("this export was of that subject"), "{stdout}");
        assert!(stdout.contains("bundle: jane.json is the bundle this export wrote"), "{stdout}");
        assert_eq!(python_verdict(dir, &receipt, &vkey, Some(JANE), false), 0);
        let (code, _, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", "john.roe@example.com", "export-receipt.json"]);
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("export was not of the subject named"), "{stderr}");
        let mut bundle = std::fs::read(dir.join("jane.json")).unwrap();
        let last = bundle.len() - 2;
        bundle[last] ^= 1;
        std::fs::write(dir.join("altered.json"), &bundle).unwrap();
        let (code, _, stderr) = verify_bare(dir, &["--vkey", &vkey, "--bundle", "altered.json", "export-receipt.json"]);
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("not the bundle handed over"), "{stderr}");
        db.cleanup().await;

        // No keys.signing: refused before the export, which is neither written nor recorded.
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.current_dir(db.dir());
        let before = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        let refused = dsar(&privctl, "export", &JANE_BY_EMAIL, &["--out", "jane.json", "--receipt", "r.json"]);
        refused.code(2);
        assert!(refused.stderr.contains("keys.signing is not set"), "{refused}");
        assert!(!db.dir().join("jane.json").exists() && !db.dir().join("r.json").exists());
        assert_eq!(db.query_i64("SELECT count(*) FROM privctl_ledger").await, before);
        db.cleanup().await;
    }

    /// The receipt verifies offline, says what it proved, and opens with Jane's email (any
    /// spelling privctl normalises the same way) but not with John's.
    async fn a_receipt_proves_the_erasure_of_its_subject_offline(dialect: Dialect) {
        use std::os::unix::fs::PermissionsExt as _;
        let (db, _, vkey, receipt) = erased_with_receipt(dialect).await;
        assert_eq!(std::fs::metadata(&receipt).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&receipt).unwrap();
        assert!(!text.contains(JANE), "the receipt names the subject: {text}");
        let file = receipt.to_str().unwrap();

        let (code, stdout, stderr) = verify_bare(db.dir(), &["--vkey", &vkey, "--email", " Jane.Doe@Example.COM ", file]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains(&format!("of the log {ORIGIN} records dsar-delete done in tenant acme")), "{stdout}");
        assert!(stdout.contains("this erasure was of that subject"), "{stdout}");
        // Jane's one attachment: the blob-delete entry that deleted its object is proved too.
        assert!(stdout.contains("objects: 1 of the 1 objects it queued proved deleted, by entry "), "{stdout}");
        let (code, stdout, _) = verify_bare(db.dir(), &["--format", "json", "--vkey", &vkey, file]);
        assert_eq!(code, 0);
        let proved: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(proved["action"], "dsar-delete");
        assert_eq!(proved["subject_matches"], Value::Null);
        assert_eq!((proved["objects"]["queued"].as_u64(), proved["objects"]["deleted"].as_u64()), (Some(1), Some(1)), "{proved}");
        let blob_delete = proved["objects"]["entries"][0].as_i64().unwrap();
        assert!(blob_delete > proved["seq"].as_i64().unwrap(), "{proved}");

        let (code, _, stderr) = verify_bare(db.dir(), &["--vkey", &vkey, "--email", "john.roe@example.com", file]);
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("not of the subject named"), "{stderr}");
        // A witness the receipt's checkpoint does not carry.
        let witness = Command::new(env!("CARGO_BIN_EXE_privctl"))
            .env_clear()
            .current_dir(db.dir())
            .args(["audit", "keygen", "--witness", "--name", "auditor.test", "--out", "w.key"])
            .output()
            .unwrap();
        let witness = String::from_utf8(witness.stdout).unwrap();
        let (code, _, stderr) = verify_bare(db.dir(), &["--vkey", &vkey, "--witness", witness.trim(), file]);
        assert_eq!(code, 4, "{stderr}");
        db.cleanup().await;
    }

    /// Every altered part of a receipt, another key, another email: privctl refuses (exit 4),
    /// and the Python verifier, with `cryptography` and with openssl, agrees on every case; a
    /// receipt without its objects proves the rows only (exit 1 from each).
    async fn altered_receipts_are_refused_by_privctl_and_the_python_verifier(dialect: Dialect) {
        let (db, privctl, vkey, receipt) = erased_with_receipt(dialect).await;
        let dir = db.dir();
        let original: Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
        let other = privctl
            .clone()
            .args(["audit", "keygen", "--name", ORIGIN, "--out", "other.key"])
            .run();
        let other = other.success().stdout.trim().to_owned();
        for case in cases(&original) {
            let file = dir.join("case.json");
            std::fs::write(&file, serde_json::to_string_pretty(&case.receipt).unwrap()).unwrap();
            let key = if case.other_key { &other } else { &vkey };
            assert_verdicts(dir, &file, key, case.email, case.expect, case.what);
        }
        db.cleanup().await;
    }
}

/// One receipt of the corpus and the verdict every verifier must reach on it.
struct Case {
    what: &'static str,
    receipt: Value,
    /// Checked with another key of the same name.
    other_key: bool,
    email: Option<&'static str>,
    expect: i32,
}

/// The corpus made from a valid receipt of Jane's erasure (with one object): the receipt
/// itself, with and without her email; another key; another email; the receipt without its
/// objects (exit 1); and each part of it altered, one byte class at a time (exit 4).
fn cases(original: &Value) -> Vec<Case> {
    let flip = |text: &str, at: usize| -> String {
        let mut bytes = text.as_bytes().to_vec();
        let i = at.min(bytes.len() - 1);
        bytes[i] = if bytes[i] == b'a' {
            b'b'
        } else if bytes[i].is_ascii_digit() {
            b'0' + (bytes[i] - b'0' + 1) % 10
        } else {
            b'a'
        };
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let proof = original["proof"].as_str().unwrap().to_owned();
    let lines: Vec<String> = proof.lines().map(str::to_owned).collect();
    let index_line = lines.iter().position(|l| l.starts_with("index ")).unwrap();
    let origin_line = lines.iter().position(|l| l == ORIGIN).unwrap();
    let proof_with = |at: usize, line: String| -> Value {
        let changed: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| if i == at { line.clone() } else { l.clone() })
            .collect();
        Value::from(changed.join("\n") + "\n")
    };
    let valid = |what, other_key, email, expect| Case {
        what,
        receipt: original.clone(),
        other_key,
        email,
        expect,
    };
    let mut cases = vec![
        valid("valid, with the subject's email", false, Some(JANE), 0),
        valid("valid, no email", false, None, 0),
        valid("another key of the same name", true, None, 4),
        valid(
            "another subject's email",
            false,
            Some("john.roe@example.com"),
            4,
        ),
    ];
    let mut rows_only = original.clone();
    rows_only.as_object_mut().unwrap().remove("objects");
    cases.push(Case {
        what: "without its objects: the rows only",
        receipt: rows_only,
        other_key: false,
        email: None,
        expect: 1,
    });
    let mut with = |what: &'static str, change: &dyn Fn(&mut Value)| {
        let mut receipt = original.clone();
        change(&mut receipt);
        cases.push(Case {
            what,
            receipt,
            other_key: false,
            email: Some(JANE),
            expect: 4,
        });
    };
    with("format", &|v| {
        v["format"] = Value::from("privctl-receipt/2")
    });
    with("entry: the tenant", &|v| {
        v["entry"] = Value::from(
            v["entry"]
                .as_str()
                .unwrap()
                .replacen("\"acme\"", "\"globex\"", 1),
        )
    });
    with("entry: the origin", &|v| {
        v["entry"] = Value::from(v["entry"].as_str().unwrap().replacen(
            ORIGIN,
            "privctl.test/staging",
            1,
        ))
    });
    with("entry: a digit of the seq", &|v| {
        let e = v["entry"].as_str().unwrap().to_owned();
        v["entry"] = Value::from(flip(&e, "[\"privctl-ledger/2\",".len()));
    });
    with("entry: a byte of the nonce", &|v| {
        let e = v["entry"].as_str().unwrap().to_owned();
        v["entry"] = Value::from(flip(&e, e.len() - 5));
    });
    with("subject: the opening", &|v| {
        v["subject"]["opening"] = Value::from(flip(v["subject"]["opening"].as_str().unwrap(), 3))
    });
    with("subject: the identity's name", &|v| {
        v["subject"]["identifiers"][0] = Value::from("email2")
    });
    with("proof: the header", &|v| {
        v["proof"] = proof_with(0, "c2sp.org/tlog-proof@v2".into())
    });
    with("proof: the index", &|v| {
        v["proof"] = proof_with(
            index_line,
            format!(
                "index {}",
                lines[index_line][6..].parse::<u64>().unwrap() + 1
            ),
        )
    });
    with("proof: a path hash", &|v| {
        v["proof"] = proof_with(index_line + 1, flip(&lines[index_line + 1], 2))
    });
    with("proof: the checkpoint's origin", &|v| {
        v["proof"] = proof_with(origin_line, "privctl.test/staging".into())
    });
    with("proof: the checkpoint's size", &|v| {
        v["proof"] = proof_with(origin_line + 1, flip(&lines[origin_line + 1], 0))
    });
    with("proof: the checkpoint's root", &|v| {
        v["proof"] = proof_with(origin_line + 2, flip(&lines[origin_line + 2], 4))
    });
    with("proof: the signer's name", &|v| {
        let at = lines
            .iter()
            .position(|l| l.starts_with("\u{2014} "))
            .unwrap();
        v["proof"] = proof_with(at, lines[at].replacen(ORIGIN, "privctl.test/staging", 1));
    });
    with("proof: the signature", &|v| {
        let p = proof.trim_end();
        v["proof"] = Value::from(flip(p, p.len() - 3) + "\n");
    });
    with("objects: the ids the blob-delete entry deleted", &|v| {
        let e = v["objects"][0]["entry"].as_str().unwrap().to_owned();
        let at = e.find("outbox_deleted").unwrap() + 21;
        v["objects"][0]["entry"] = Value::from(flip(&e, at));
    });
    with("objects: the blob-delete entry's action", &|v| {
        let e = v["objects"][0]["entry"].as_str().unwrap().replacen(
            "\"blob-delete\"",
            "\"blob-delete2\"",
            1,
        );
        v["objects"][0]["entry"] = Value::from(e);
    });
    with("objects: the erasure's entry as its own object", &|v| {
        v["objects"][0] = serde_json::json!({"entry": v["entry"], "proof": v["proof"]});
    });
    with("objects: a path hash", &|v| {
        let p = v["objects"][0]["proof"].as_str().unwrap().to_owned();
        let lines: Vec<String> = p
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 2 { flip(l, 2) } else { l.to_owned() })
            .collect();
        v["objects"][0]["proof"] = Value::from(lines.join("\n") + "\n");
    });
    cases
}

/// privctl (with an empty environment) and the Python verifier (with `cryptography` and with
/// openssl) all reach `expect` on the receipt `file`.
#[track_caller]
fn assert_verdicts(
    dir: &Path,
    file: &Path,
    vkey: &str,
    email: Option<&str>,
    expect: i32,
    what: &str,
) {
    let mut args = vec!["--vkey", vkey];
    if let Some(email) = email {
        args.extend(["--email", email]);
    }
    args.push(file.to_str().unwrap());
    let (code, stdout, stderr) = verify_bare(dir, &args);
    assert_eq!(code, expect, "{what}: privctl: {stdout}{stderr}");
    assert_eq!(
        python_verdict(dir, file, vkey, email, false),
        expect,
        "{what}: python"
    );
    assert_eq!(
        python_verdict(dir, file, vkey, email, true),
        expect,
        "{what}: openssl"
    );
}

/// The corpus kept in the repository (tests/verifier/corpus): each receipt and the verdict
/// `cases.json` gives it, which privctl and the Python verifier must both reach, long after
/// the receipts were written (nothing in a receipt expires). `PRIVCTL_BLESS=1` writes the corpus
/// anew from a fresh erasure on SQLite.
#[tokio::test]
async fn the_receipt_corpus_in_the_repository_gets_its_verdicts() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/verifier/corpus");
    if std::env::var_os("PRIVCTL_BLESS").is_some() {
        let (db, privctl, vkey, receipt) = erased_with_receipt(Dialect::Sqlite).await;
        let other = privctl
            .clone()
            .args(["audit", "keygen", "--name", ORIGIN, "--out", "other.key"])
            .run();
        let other = other.success().stdout.trim().to_owned();
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&corpus);
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::write(corpus.join("log.vkey"), format!("{vkey}\n")).unwrap();
        std::fs::write(corpus.join("other.vkey"), format!("{other}\n")).unwrap();
        let mut manifest = Vec::new();
        for (i, case) in cases(&original).into_iter().enumerate() {
            let file = format!("{:02}.json", i + 1);
            std::fs::write(
                corpus.join(&file),
                serde_json::to_string_pretty(&case.receipt).unwrap() + "\n",
            )
            .unwrap();
            manifest.push(serde_json::json!({
                "file": file,
                "what": case.what,
                "vkey": if case.other_key { "other.vkey" } else { "log.vkey" },
                "email": case.email,
                "expect": case.expect,
            }));
        }
        std::fs::write(
            corpus.join("cases.json"),
            serde_json::to_string_pretty(&manifest).unwrap() + "\n",
        )
        .unwrap();
        db.cleanup().await;
    }
    let manifest: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("cases.json"))
            .expect("tests/verifier/corpus/cases.json (PRIVCTL_BLESS=1 writes it)"),
    )
    .unwrap();
    assert!(
        manifest.len() >= 20,
        "the corpus lost cases: {}",
        manifest.len()
    );
    for expect in [0, 1, 4] {
        assert!(
            manifest.iter().any(|c| c["expect"] == expect),
            "no case expects exit {expect}"
        );
    }
    for case in &manifest {
        let vkey = std::fs::read_to_string(corpus.join(case["vkey"].as_str().unwrap())).unwrap();
        assert_verdicts(
            &corpus,
            &corpus.join(case["file"].as_str().unwrap()),
            vkey.trim(),
            case["email"].as_str(),
            case["expect"].as_i64().unwrap() as i32,
            case["what"].as_str().unwrap(),
        );
    }
}

both_dialects! {
    /// A receipt proved again against a later checkpoint that a witness cosigned verifies with
    /// the witness required; the receipt as first written does not carry that cosignature.
    async fn a_receipt_updated_to_a_cosigned_checkpoint_needs_the_witness(dialect: Dialect) {
        let (db, privctl, vkey, receipt) = erased_with_receipt(dialect).await;
        dsar(&privctl, "preview", &["--email", "john.roe@example.com"], &[]).success();
        let dir = db.dir();
        let witness = privctl
            .clone()
            .args(["audit", "keygen", "--witness", "--name", "auditor.test", "--out", "w.key"])
            .run();
        let witness = witness.success().stdout.trim().to_owned();
        privctl
            .clone()
            .args(["audit", "checkpoint", "--state", "signer.state", "--out", "later.checkpoint"])
            .run()
            .success();
        let request = privctl
            .clone()
            .args(["audit", "consistency", "--old", "0", "--checkpoint", "later.checkpoint"])
            .run();
        let cosigned = privctl
            .clone()
            .args(["audit", "witness", "--state", "witness", "--log-vkey", &vkey, "--key", "file:w.key", "-"])
            .stdin(request.success().stdout.clone().into_bytes())
            .run();
        std::fs::write(dir.join("cosigned.checkpoint"), &cosigned.success().stdout).unwrap();
        privctl
            .clone()
            .args(["receipt", "update", "--checkpoint", "cosigned.checkpoint", "--out", "updated.json"])
            .arg(&receipt)
            .run()
            .success();
        let updated = dir.join("updated.json");
        let with_witness = ["--vkey", vkey.as_str(), "--witness", witness.as_str(), "--email", JANE];
        let (code, stdout, stderr) = verify_bare(dir, &[&with_witness[..], &[updated.to_str().unwrap()]].concat());
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("cosigned by auditor.test"), "{stdout}");
        assert_eq!(python_verdict(dir, &updated, &vkey, Some(JANE), true), 0);
        let (code, _, _) = verify_bare(dir, &[&with_witness[..], &[receipt.to_str().unwrap()]].concat());
        assert_eq!(code, 4, "the first receipt carries no cosignature");
        db.cleanup().await;
    }
}

both_dialects! {
    /// A checkpoint signed by the log whose retention line says the receipt's entry was purged
    /// although the entry is younger than its cutoff contradicts itself: the receipt, proved
    /// against it, is refused (exit 4), by privctl and by the Python verifier.
    async fn a_checkpoint_claiming_a_young_entry_purged_is_refused(dialect: Dialect) {
        use privctl::ledger::note::{self, SignerKey};
        let (db, _, vkey, receipt) = erased_with_receipt(dialect).await;
        let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
        let proof = parsed["proof"].as_str().unwrap().to_owned();
        let (head, note_text) = proof.split_once("\n\n").unwrap();
        let (body, _) = note_text.split_once("\n\n").unwrap();
        let size: u64 = body.lines().nth(1).unwrap().parse().unwrap();
        let key = SignerKey::parse(std::fs::read_to_string(db.dir().join("log.key")).unwrap().trim()).unwrap();
        let resign = |line: &str| {
            let text = format!("{body}\n{line}\n");
            let signed = note::sign_note(&text, &[&key]).unwrap();
            let mut forged = parsed.clone();
            forged["proof"] = Value::String(format!("{head}\n\n{signed}"));
            // The objects' proofs are in the same checkpoint.
            for object in forged["objects"].as_array_mut().unwrap() {
                let proof = object["proof"].as_str().unwrap().replace(note_text, &signed);
                object["proof"] = Value::String(proof);
            }
            let file = db.dir().join("forged.json");
            std::fs::write(&file, forged.to_string()).unwrap();
            let python = python_verdict(db.dir(), &file, &vkey, None, false);
            let (code, stdout, stderr) = verify_bare(db.dir(), &["--vkey", &vkey, file.to_str().unwrap()]);
            assert_eq!(python, code, "the Python verifier disagrees: {stdout}{stderr}");
            (code, stdout, stderr)
        };
        // Purged, but written after the cutoff: refused.
        let (code, _, stderr) = resign(&format!("privctl-retention {size} 1d 2000-01-01T00:00:00.000000Z"));
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("contradicts itself"), "{stderr}");
        // The same line with a cutoff after the entry: the proof holds.
        let (code, stdout, stderr) = resign(&format!("privctl-retention {size} 1d 2999-01-01T00:00:00.000000Z"));
        assert_eq!(code, 0, "{stdout}{stderr}");
        db.cleanup().await;
    }
}

both_dialects! {
    /// An object the store would not delete stays in the outbox, and the receipt says so: it
    /// proves the rows' erasure but not that object (exit 1, from privctl and the Python
    /// verifier). Once the outbox is drained, a receipt updated to a later checkpoint proves
    /// the blob-delete entry that deleted it (exit 0).
    async fn a_receipt_proves_objects_once_the_outbox_is_drained(dialect: Dialect) {
        let (db, privctl, vkey) = signed_log(dialect).await;
        let dir = db.dir();
        // A directory where an attachment's file would be: the file store cannot delete it.
        let keys = db.query_strings("SELECT storage_key FROM attachments WHERE storage_key IS NOT NULL").await;
        let blocked: Vec<PathBuf> = keys.iter().map(|key| dir.join("blobs/attachments").join(key)).collect();
        for path in &blocked {
            std::fs::create_dir_all(path).unwrap();
        }
        let plan = dsar(&privctl, "delete", &JANE_BY_EMAIL, &[]).success().json();
        let receipt = dir.join("receipt.json");
        let erased = dsar(&privctl, "delete", &JANE_BY_EMAIL, &["--confirm", &token_of(&plan), "--receipt", receipt.to_str().unwrap()]);
        erased.code(1);
        assert!(erased.stderr.contains("could not be deleted and stay in the outbox"), "{erased}");
        let (code, stdout, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", JANE, receipt.to_str().unwrap()]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stdout.contains("objects: 0 of the 1 objects it queued proved deleted\n"), "{stdout}");
        assert!(stderr.contains("receipt update"), "{stderr}");
        assert_eq!(python_verdict(dir, &receipt, &vkey, Some(JANE), false), 1);

        for path in &blocked {
            std::fs::remove_dir(path).unwrap();
        }
        privctl.clone().args(["purge-retention", "--blobs-only", "--tenant", "acme"]).run().success();
        privctl
            .clone()
            .args(["audit", "checkpoint", "--state", "signer.state", "--out", "later.checkpoint"])
            .run()
            .success();
        privctl
            .clone()
            .args(["receipt", "update", "--checkpoint", "later.checkpoint", "--out", "updated.json"])
            .arg(&receipt)
            .run()
            .success();
        let updated = dir.join("updated.json");
        let (code, stdout, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", JANE, updated.to_str().unwrap()]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("objects: 1 of the 1 objects it queued proved deleted, by entry "), "{stdout}");
        assert_eq!(python_verdict(dir, &updated, &vkey, Some(JANE), true), 0);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Retention purges entry bodies and keeps the tree: after the purge the receipt still
    /// verifies, and proved again against a checkpoint signed after it (whose retention floor
    /// is past the erasure and its blob-delete entry, both bodies gone from the database), it
    /// still proves the erasure, its subject and its object, by privctl and by the Python verifier.
    async fn a_receipt_outlives_a_ledger_retention_purge(dialect: Dialect) {
        let (db, privctl, vkey, receipt) = erased_with_receipt(dialect).await;
        let dir = db.dir();
        let path = map_copy_path(&db);
        let map = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, super::with_ledger_window(&map, "\"1d\"")).unwrap();
        let sign = |privctl: &Privctl, out: &str| {
            privctl.clone().args(["audit", "checkpoint", "--state", "signer.state", "--out", out]).run().success();
        };
        sign(&privctl, "announced.checkpoint");
        let later = "2027-06-01T00:00:00Z";
        let plan = super::at(&privctl, later)
            .args(["--format", "json", "purge-retention", "--allow-large"])
            .run();
        let token = token_of(&plan.success().json());
        super::at(&privctl, later).args(["purge-retention", "--confirm", token.as_str()]).run().success();
        let original: Value = serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
        let erasure_seq: Value = serde_json::from_str(original["entry"].as_str().unwrap()).unwrap();
        let left = db.query_i64("SELECT min(seq) FROM privctl_ledger").await;
        assert!(left > erasure_seq[1].as_i64().unwrap() + 1, "the erasure and its blob-delete entry were purged");

        let (code, stdout, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", JANE, receipt.to_str().unwrap()]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        sign(&super::at(&privctl, later), "after.checkpoint");
        let after = std::fs::read_to_string(dir.join("after.checkpoint")).unwrap();
        assert!(after.contains("\nprivctl-retention ") && !after.contains("\nprivctl-retention 0 "), "{after}");
        privctl
            .clone()
            .args(["receipt", "update", "--checkpoint", "after.checkpoint", "--out", "updated.json"])
            .arg(&receipt)
            .run()
            .success();
        let updated = dir.join("updated.json");
        let (code, stdout, stderr) = verify_bare(dir, &["--vkey", &vkey, "--email", JANE, updated.to_str().unwrap()]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("objects: 1 of the 1 objects it queued proved deleted"), "{stdout}");
        assert_eq!(python_verdict(dir, &updated, &vkey, Some(JANE), false), 0);
        db.cleanup().await;
    }
}
