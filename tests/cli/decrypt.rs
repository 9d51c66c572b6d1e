//! `privctl decrypt` of bundles written with `export-tenant --encrypt` (a key file or a
//! passphrase): they round-trip in every format, and any tampering (a flipped byte, a cut-off
//! or reordered segment, a truncated file) or a wrong key fails without leaving plaintext behind.
//! The subject's encrypted bundle (`dsar export --encrypt`) is in cli/dsar/export.rs.

use std::path::Path;

use super::export_tenant::{assert_bundle_counts, export};
use crate::support::bundle::{count_map, random_key, read_json, utf8, write_key_file};
use crate::support::fixture::{
    TABLES, acme_counts, columns, insert_acme_messages, setup_with_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, both_dialects, entries, mode, sha256_hex};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "tenant-tests-ledger-key-7d21e4";

/// Bytes before the first segment of an encrypted bundle (`privctl-enc/1`: magic 12, key
/// source 1, argon2 costs 12, salt 16, nonce prefix 7, segment size 4).
const HEADER_LEN: usize = 52;

/// One full segment on disk: 64 KiB of plaintext and its 16-byte tag.
const SEGMENT_ON_DISK: usize = 65536 + 16;

/// `privctl decrypt <key…> <input> <output>`.
fn decrypt(privctl: &Privctl, key: &[&str], input: &Path, output: &Path) -> RunOutput {
    privctl
        .clone()
        .arg("decrypt")
        .args(key)
        .args([utf8(input), utf8(output)])
        .run()
}

both_dialects! {
    /// Encrypted bundles (key file or passphrase) decrypt to the same bundle; any flipped,
    /// removed, reordered or cut byte, and a wrong key, fail with exit 1 and leave no
    /// plaintext (not even a partial file).
    async fn encrypted_bundle_round_trips_and_tampering_fails(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        // A bundle of several segments.
        insert_acme_messages(&db, 10001, 3000).await;
        let expected = acme_counts(&db).await;
        assert_eq!(expected["messages"], 3024);
        let key_file = write_key_file(db.dir(), "bundle.key", &random_key());
        let key_args = ["--key-file", utf8(&key_file)];

        let encrypted = db.dir().join("acme.json.enc");
        let mut args = vec!["--encrypt"];
        args.extend(key_args);
        let summary = export(&privctl, "acme", &encrypted, &args).success().json();
        let ciphertext = std::fs::read(&encrypted).expect("the encrypted bundle");
        assert_eq!(
            summary["sha256"],
            sha256_hex(&ciphertext),
            "stdout's sha256"
        );
        assert_eq!(mode(&encrypted), 0o600, "encrypted bundle mode");
        assert!(
            ciphertext.len() > HEADER_LEN + 2 * SEGMENT_ON_DISK,
            "the bundle must span more than two segments: {} bytes",
            ciphertext.len()
        );
        for plain in ["privctl-bundle/1", "Jane.Doe", "acme"] {
            assert!(
                !ciphertext
                    .windows(plain.len())
                    .any(|window| window == plain.as_bytes()),
                "the encrypted bundle contains {plain:?}"
            );
        }

        let decrypted = db.dir().join("acme.json");
        decrypt(&privctl, &key_args, &encrypted, &decrypted).success();
        assert_eq!(mode(&decrypted), 0o600, "decrypted file mode");
        assert_bundle_counts(&read_json(&decrypted), &expected, "the decrypted bundle");

        // An existing output is never overwritten without --force.
        std::fs::write(&decrypted, b"precious").expect("cannot write");
        decrypt(&privctl, &key_args, &encrypted, &decrypted).code(1);
        assert_eq!(std::fs::read(&decrypted).expect("read"), b"precious");
        let mut forced = key_args.to_vec();
        forced.push("--force");
        decrypt(&privctl, &forced, &encrypted, &decrypted).success();
        assert_bundle_counts(&read_json(&decrypted), &expected, "decrypted with --force");
        assert_eq!(
            mode(&decrypted),
            0o600,
            "a file replaced with --force stays private"
        );

        // A passphrase instead of a key file.
        let passphrase = privctl
            .clone()
            .env("BUNDLE_PASSPHRASE", "correct horse battery staple");
        let by_passphrase = db.dir().join("acme-passphrase.json.enc");
        export(
            &passphrase,
            "acme",
            &by_passphrase,
            &["--encrypt", "--passphrase-env", "BUNDLE_PASSPHRASE"],
        )
        .success();
        let decrypted_passphrase = db.dir().join("acme-passphrase.json");
        decrypt(
            &passphrase,
            &["--passphrase-env", "BUNDLE_PASSPHRASE"],
            &by_passphrase,
            &decrypted_passphrase,
        )
        .success();
        assert_bundle_counts(
            &read_json(&decrypted_passphrase),
            &expected,
            "the bundle decrypted with the passphrase",
        );
        let wrong_passphrase = privctl
            .clone()
            .env("BUNDLE_PASSPHRASE", "incorrect horse battery staple");
        let refused = db.dir().join("refused");
        std::fs::create_dir(&refused).expect("mkdir");
        let run = decrypt(
            &wrong_passphrase,
            &["--passphrase-env", "BUNDLE_PASSPHRASE"],
            &by_passphrase,
            &refused.join("wrong-passphrase.json"),
        );
        run.code(1);
        assert!(entries(&refused).is_empty(), "{:?}", entries(&refused));

        // Tampered copies.
        let flip = |at: usize| {
            let mut bytes = ciphertext.clone();
            bytes[at] ^= 0x01;
            bytes
        };
        let len = ciphertext.len();
        let mut removed = ciphertext.clone();
        removed.remove(len / 2);
        let mut swapped = ciphertext.clone();
        let first = HEADER_LEN..HEADER_LEN + SEGMENT_ON_DISK;
        let second = HEADER_LEN + SEGMENT_ON_DISK..HEADER_LEN + 2 * SEGMENT_ON_DISK;
        swapped[first.clone()].copy_from_slice(&ciphertext[second.clone()]);
        swapped[second].copy_from_slice(&ciphertext[first]);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            // In the STREAM nonce prefix: the header is every segment's associated data.
            ("a flipped header byte", flip(HEADER_LEN - 8)),
            ("a flipped byte in the middle", flip(len / 2)),
            ("a flipped last byte", flip(len - 1)),
            ("a byte removed in the middle", removed),
            ("truncated by one byte", ciphertext[..len - 1].to_vec()),
            (
                "truncated to the header and one segment",
                ciphertext[..HEADER_LEN + SEGMENT_ON_DISK].to_vec(),
            ),
            ("truncated to the header", ciphertext[..HEADER_LEN].to_vec()),
            ("two segments swapped", swapped),
        ];
        let outputs = db.dir().join("tampered-out");
        std::fs::create_dir(&outputs).expect("mkdir");
        for (i, (case, bytes)) in cases.iter().enumerate() {
            assert_ne!(bytes, &ciphertext, "{case}: the copy is not altered");
            let input = db.dir().join(format!("tampered-{i}.enc"));
            std::fs::write(&input, bytes).expect("cannot write the tampered copy");
            let output = outputs.join(format!("tampered-{i}.json"));
            let run = decrypt(&privctl, &key_args, &input, &output);
            assert_eq!(run.code, 1, "{case}: {run}");
            let message = run.stderr.to_lowercase();
            assert!(
                message.contains("corrupt") || message.contains("altered"),
                "{case}: the message does not say the bundle is corrupt or altered: {run}"
            );
            assert!(
                !output.exists(),
                "{case}: plaintext written to {}",
                output.display()
            );
            assert!(
                entries(&outputs).is_empty(),
                "{case}: files left beside the output: {:?}",
                entries(&outputs)
            );
        }

        // The right file with the wrong key.
        let wrong_key = write_key_file(db.dir(), "wrong.key", &random_key());
        let output = outputs.join("wrong-key.json");
        let run = decrypt(
            &privctl,
            &["--key-file", utf8(&wrong_key)],
            &encrypted,
            &output,
        );
        run.code(1);
        assert!(!output.exists(), "plaintext written with a wrong key");
        assert!(entries(&outputs).is_empty(), "{:?}", entries(&outputs));

        // --encrypt needs a key source: a usage error, and no file.
        let keyless = db.dir().join("keyless.json");
        export(&privctl, "acme", &keyless, &["--encrypt"]).code(2);
        assert!(!keyless.exists(), "--encrypt without a key wrote a file");

        // CSV: each table encrypted on its own as <table>.csv.enc, the manifest in the clear.
        let csv_out = db.dir().join("acme-csv");
        let mut args = vec!["--output-format", "csv", "--encrypt"];
        args.extend(key_args);
        export(&privctl, "acme", &csv_out, &args).success();
        let mut expected_files: Vec<String> = TABLES
            .iter()
            .map(|table| format!("{table}.csv.enc"))
            .collect();
        expected_files.push("manifest.json".into());
        expected_files.sort();
        assert_eq!(
            entries(&csv_out),
            expected_files,
            "the encrypted csv directory"
        );
        let manifest = read_json(&csv_out.join("manifest.json"));
        assert_eq!(count_map(&manifest["row_counts"]), expected);
        for (name, file) in manifest["files"].as_object().expect("files") {
            let bytes = std::fs::read(csv_out.join(name))
                .unwrap_or_else(|error| panic!("manifest file {name}: {error}"));
            assert_eq!(file["sha256"], sha256_hex(&bytes), "sha256 of {name}");
        }
        let messages_csv = db.dir().join("messages.csv");
        decrypt(
            &privctl,
            &key_args,
            &csv_out.join("messages.csv.enc"),
            &messages_csv,
        )
        .success();
        let mut reader = csv::Reader::from_path(&messages_csv).expect("a decrypted csv");
        assert_eq!(
            reader.headers().expect("header").iter().collect::<Vec<_>>(),
            columns(&db, "messages").await
        );
        assert_eq!(
            reader.records().count(),
            3024,
            "decrypted messages.csv rows"
        );
        db.cleanup().await;
    }
}
