//! `privctl export-tenant`, `decrypt` and `delete-tenant` on the conversational-ai fixture: an
//! export holds exactly the tenant's rows in every format, encrypted bundles round-trip and fail
//! on any tampering without leaving plaintext behind, encrypted columns are decrypted (or
//! redacted) only as the map says, and a tenant deletion erases the tenant and nothing else,
//! refuses a tenant under legal hold, and survives `kill -9` by resuming where it stopped.
//! The expected rows come from fixtures/conversational-ai/README.md.
//!
//! Every test works on a copy of the fixture's map in its own temporary directory: the map's
//! `file://./blobs/…` stores resolve against the map's directory, so the blob objects the tests
//! create (and delete-tenant removes) live there, never in the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use crate::support::bundle::{bundle_rows, key_text, read_json, utf8};
use crate::support::fixture::{
    TABLES, assert_no_orphans, columns, create_blobs, map_copy_path, plan_counts,
    setup_with_map_copy, snapshot, tenant_condition, token_of, verify_ledger,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects, mode, sha256_hex};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "tenant-tests-ledger-key-7d21e4";

/// acme's rows per table (README, "Row counts", plus its organizations row).
const ACME_ROWS: [(&str, i64); 13] = [
    ("organizations", 1),
    ("members", 4),
    ("addresses", 3),
    ("contacts", 7),
    ("conversations", 8),
    ("messages", 24),
    ("attachments", 2),
    ("recordings", 1),
    ("transcripts", 1),
    ("agent_traces", 7),
    ("orders", 4),
    ("invoices", 5),
    ("consent_records", 6),
];

/// Bytes before the first segment of an encrypted bundle (`privctl-enc/1`: magic 12, key
/// source 1, argon2 costs 12, salt 16, nonce prefix 7, segment size 4).
const HEADER_LEN: usize = 52;
/// One full segment on disk: 64 KiB of plaintext and its 16-byte tag.
const SEGMENT_ON_DISK: usize = 65536 + 16;

/// `privctl --format json export-tenant --tenant <tenant> --out <out> <extra…>`.
fn export(privctl: &Privctl, tenant: &str, out: &Path, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "export-tenant", "--tenant", tenant])
        .args(["--out", utf8(out)])
        .args(extra)
        .run()
}

/// `privctl --format json delete-tenant --tenant <tenant> <extra…>`.
fn delete_tenant(privctl: &Privctl, tenant: &str, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "delete-tenant", "--tenant", tenant])
        .args(extra)
        .run()
}

/// `privctl decrypt <key…> <input> <output>`.
fn decrypt(privctl: &Privctl, key: &[&str], input: &Path, output: &Path) -> RunOutput {
    privctl
        .clone()
        .arg("decrypt")
        .args(key)
        .args([utf8(input), utf8(output)])
        .run()
}

/// acme's rows per table, counted with plain SQL.
async fn acme_counts(db: &TestDb) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for table in TABLES {
        let n = db
            .query_i64(&format!(
                "SELECT count(*) FROM {table} WHERE {}",
                tenant_condition(table, "=", "acme")
            ))
            .await;
        counts.insert(table.to_owned(), n);
    }
    counts
}

/// The keys (`id`, as text) of acme's rows of one table.
async fn acme_keys(db: &TestDb, table: &str) -> BTreeSet<String> {
    db.query_strings(&format!(
        "SELECT CAST(id AS TEXT) FROM {table} WHERE {}",
        tenant_condition(table, "=", "acme")
    ))
    .await
    .into_iter()
    .collect()
}

/// Rows per table of a JSON bundle.
fn bundle_counts(bundle: &Value) -> BTreeMap<String, i64> {
    bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"))
        .iter()
        .map(|(table, rows)| {
            let rows = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array"));
            (table.clone(), rows.len() as i64)
        })
        .collect()
}

/// A `row_counts` object as a map.
fn count_map(counts: &Value) -> BTreeMap<String, i64> {
    counts
        .as_object()
        .unwrap_or_else(|| panic!("row_counts is not an object: {counts}"))
        .iter()
        .map(|(table, n)| {
            let n = n
                .as_i64()
                .unwrap_or_else(|| panic!("row count of {table} is not an integer: {n}"));
            (table.clone(), n)
        })
        .collect()
}

/// Every row of every tenant other than acme.
async fn others(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    snapshot(db, |table| tenant_condition(table, "<>", "acme")).await
}

/// Every row of every table.
async fn everything(db: &TestDb) -> BTreeMap<String, Vec<String>> {
    snapshot(db, |_| "1 = 1".to_owned()).await
}

fn assert_same_rows(
    after: &BTreeMap<String, Vec<String>>,
    before: &BTreeMap<String, Vec<String>>,
    what: &str,
) {
    for (table, rows) in before {
        assert_eq!(&after[table], rows, "{what}: {table} changed");
    }
}

/// Adds `count` acme messages (ids from `first_id`) with 100-character bodies to acme's
/// conversation 1.
async fn insert_acme_messages(db: &TestDb, first_id: i64, count: i64) {
    let body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
                incididunt ut labore.";
    assert_eq!(body.len(), 100);
    let last = first_id + count - 1;
    let sql = match db.dialect {
        Dialect::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT {first_id} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             SELECT i, 1, 'customer', '{body}', '2026-10-12T12:00:00Z' FROM n"
        ),
        Dialect::Postgres => format!(
            "INSERT INTO messages (id, conversation_id, sender, body, created_at) \
             SELECT i, 1, 'customer', '{body}', TIMESTAMPTZ '2026-10-12T12:00:00Z' \
             FROM generate_series({first_id}, {last}) AS i"
        ),
    };
    db.execute(&sql).await;
    assert_eq!(
        db.query_i64(&format!(
            "SELECT count(*) FROM messages WHERE id BETWEEN {first_id} AND {last}"
        ))
        .await,
        count
    );
}

/// The effect delete-tenant has on each of acme's tables under the fixture's map.
fn expected_effect(table: &str) -> &'static str {
    match table {
        "organizations" | "invoices" => "anonymise",
        "consent_records" => "retain",
        _ => "delete",
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("no randomness");
    key
}

/// Writes a key file (mode 0600) and returns its path.
fn write_key_file(dir: &Path, name: &str, key: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, key).expect("cannot write the key file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

/// The names in a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Checks a decrypted (or plain) JSON bundle: format, kind, tenant, and rows per table.
fn assert_bundle_counts(bundle: &Value, expected: &BTreeMap<String, i64>, what: &str) {
    assert_eq!(bundle["format"], "privctl-bundle/1", "{what}");
    assert_eq!(bundle["kind"], "tenant", "{what}");
    assert_eq!(bundle["tenant"], "acme", "{what}");
    assert_eq!(&bundle_counts(bundle), expected, "{what}: rows per table");
    assert_eq!(
        &count_map(&bundle["manifest"]["row_counts"]),
        expected,
        "{what}: manifest row_counts"
    );
}

both_dialects! {
    /// The JSON bundle holds every acme row of every table (messages through acme's
    /// conversations) and no row of another tenant; its manifest, stdout and the database
    /// agree on the counts; the file is private, its digest is on stdout and in the ledger.
    async fn export_tenant_json_holds_exactly_the_tenants_rows(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let expected = acme_counts(&db).await;
        let readme: BTreeMap<String, i64> = ACME_ROWS
            .iter()
            .map(|(table, n)| ((*table).to_owned(), *n))
            .collect();
        assert_eq!(expected, readme, "the fixture's acme rows per table");

        let out = db.dir().join("acme.json");
        let run = export(&privctl, "acme", &out, &[]);
        let summary = run.success().json();
        let bytes = std::fs::read(&out).expect("the bundle was written");
        let bundle: Value = serde_json::from_slice(&bytes).expect("the bundle is JSON");

        assert_eq!(summary["action"], "export-tenant", "{summary}");
        assert_eq!(summary["tenant"], "acme", "{summary}");
        assert_eq!(
            summary["sha256"],
            sha256_hex(&bytes),
            "stdout's sha256 is not the file's"
        );
        assert_eq!(summary["bytes"], bytes.len() as u64, "{summary}");
        assert_eq!(mode(&out), 0o600, "bundle file mode");
        assert!(bundle["generated_at"].is_string(), "no generated_at");

        assert_bundle_counts(&bundle, &expected, "the JSON bundle");
        assert_eq!(
            count_map(&summary["row_counts"]),
            expected,
            "stdout row_counts"
        );
        assert_eq!(
            summary["total_rows"], 73,
            "72 rows and the tenant row: {summary}"
        );
        let tables: BTreeSet<&str> = bundle["tables"]
            .as_object()
            .expect("tables")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tables,
            TABLES.into_iter().collect::<BTreeSet<_>>(),
            "the bundle's tables (no ignored or privctl table)"
        );

        // Exactly acme's rows, key for key; nothing of another tenant.
        for table in TABLES {
            let rows = bundle_rows(&bundle, table);
            let keys: BTreeSet<String> = rows.iter().map(key_text).collect();
            assert_eq!(keys.len(), rows.len(), "{table}: a row exported twice");
            assert_eq!(
                keys,
                acme_keys(&db, table).await,
                "{table}: the exported rows"
            );
            for row in rows {
                if let Some(org) = row.get("org_id") {
                    assert_eq!(org, "acme", "a {table} row of another tenant: {row}");
                }
            }
        }
        assert_eq!(bundle_rows(&bundle, "organizations")[0]["id"], "acme");
        let message_ids: BTreeSet<String> = bundle_rows(&bundle, "messages")
            .iter()
            .map(key_text)
            .collect();
        let globex_messages = db
            .query_strings(
                "SELECT CAST(id AS TEXT) FROM messages WHERE conversation_id IN \
                 (SELECT id FROM conversations WHERE org_id <> 'acme')",
            )
            .await;
        assert!(
            globex_messages.iter().all(|id| !message_ids.contains(id)),
            "messages of another tenant exported"
        );

        // Values keep their stored form and type.
        let contact_1 = bundle_rows(&bundle, "contacts")
            .iter()
            .find(|row| row["id"] == 1)
            .expect("contact 1");
        assert_eq!(contact_1["email"], " Jane.Doe@Example.COM ", "{contact_1}");
        assert!(
            bundle_rows(&bundle, "invoices")
                .iter()
                .all(|row| row["amount_cents"].is_i64()),
            "invoice amounts are integers"
        );

        // The ledger records the export with the file's digest.
        let details = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'export-tenant' \
                 AND tenant = 'acme' ORDER BY seq",
            )
            .await;
        assert_eq!(details.len(), 1, "one export-tenant entry: {details:?}");
        let sha = summary["sha256"].as_str().expect("sha256");
        assert!(
            details[0].contains(sha),
            "the entry has the digest: {}",
            details[0]
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);

        // An existing file is refused and left as it was.
        std::fs::write(&out, b"precious").expect("cannot write");
        export(&privctl, "acme", &out, &[]).code(1);
        assert_eq!(std::fs::read(&out).expect("read"), b"precious");
        db.cleanup().await;
    }

    /// NDJSON and CSV carry the same rows as the JSON bundle; the CSV directory is private, its
    /// manifest counts the rows and its per-file digests are the files'.
    async fn ndjson_and_csv_carry_the_same_rows(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let expected = acme_counts(&db).await;

        let json_out = db.dir().join("acme.json");
        export(&privctl, "acme", &json_out, &[]).success();
        let bundle = read_json(&json_out);
        let by_key = |table: &str| -> BTreeMap<String, Value> {
            bundle_rows(&bundle, table)
                .iter()
                .map(|row| (key_text(row), row.clone()))
                .collect()
        };

        // NDJSON: one {"table", "row"} per line, then {"manifest"}.
        let ndjson_out = db.dir().join("acme.ndjson");
        let run = export(
            &privctl,
            "acme",
            &ndjson_out,
            &["--output-format", "ndjson"],
        );
        let summary = run.success().json();
        let bytes = std::fs::read(&ndjson_out).expect("the ndjson bundle was written");
        assert_eq!(summary["sha256"], sha256_hex(&bytes), "ndjson sha256");
        assert_eq!(mode(&ndjson_out), 0o600, "ndjson file mode");
        let text = String::from_utf8(bytes).expect("UTF-8");
        let lines: Vec<Value> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"))
            })
            .collect();
        let (last, row_lines) = lines.split_last().expect("ndjson lines");
        assert_eq!(
            count_map(&last["manifest"]["row_counts"]),
            expected,
            "the ndjson manifest line: {last}"
        );
        let mut ndjson_rows: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        for line in row_lines {
            let table = line["table"]
                .as_str()
                .unwrap_or_else(|| panic!("a line without a table: {line}"));
            let row = &line["row"];
            assert!(row.is_object(), "a line without a row: {line}");
            let previous = ndjson_rows
                .entry(table.to_owned())
                .or_default()
                .insert(key_text(row), row.clone());
            assert!(previous.is_none(), "{table} row exported twice: {row}");
        }
        let ndjson_counts: BTreeMap<String, i64> = ndjson_rows
            .iter()
            .map(|(table, rows)| (table.clone(), rows.len() as i64))
            .collect();
        assert_eq!(ndjson_counts, expected, "ndjson rows per table");
        for table in TABLES {
            assert_eq!(ndjson_rows[table], by_key(table), "ndjson {table} rows");
        }

        // CSV: a private directory of <table>.csv and manifest.json.
        let csv_out = db.dir().join("acme-csv");
        export(&privctl, "acme", &csv_out, &["--output-format", "csv"]).success();
        assert!(csv_out.is_dir(), "csv writes a directory");
        assert_eq!(mode(&csv_out), 0o700, "csv directory mode");
        let manifest = read_json(&csv_out.join("manifest.json"));
        assert_eq!(
            count_map(&manifest["row_counts"]),
            expected,
            "csv manifest row_counts"
        );
        let files = manifest["files"]
            .as_object()
            .unwrap_or_else(|| panic!("no `files` in the csv manifest: {manifest}"));
        let mut listed: Vec<String> = files.keys().cloned().collect();
        listed.push("manifest.json".into());
        listed.sort();
        assert_eq!(
            entries(&csv_out),
            listed,
            "the csv directory holds exactly its files"
        );
        for (name, file) in files {
            let path = csv_out.join(name);
            let bytes = std::fs::read(&path).expect("a listed csv file");
            assert_eq!(
                file["sha256"],
                sha256_hex(&bytes),
                "manifest sha256 of {name}"
            );
            assert_eq!(
                file["bytes"],
                bytes.len() as u64,
                "manifest bytes of {name}"
            );
            assert_eq!(mode(&path), 0o600, "{name} mode");
        }
        assert_eq!(
            mode(&csv_out.join("manifest.json")),
            0o600,
            "manifest.json mode"
        );

        for table in TABLES {
            let name = format!("{table}.csv");
            assert!(files.contains_key(&name), "no {name} in the manifest");
            let mut reader = csv::Reader::from_path(csv_out.join(&name))
                .unwrap_or_else(|error| panic!("cannot read {name}: {error}"));
            let header: Vec<String> = reader
                .headers()
                .expect("a header row")
                .iter()
                .map(str::to_owned)
                .collect();
            // The map leaves members' password hashes out of every bundle.
            let omitted = |column: &String| table == "members" && column == "password_hash";
            let expected: Vec<String> = columns(&db, table)
                .await
                .into_iter()
                .filter(|c| !omitted(c))
                .collect();
            assert_eq!(header, expected, "{name} header");
            let json_rows = by_key(table);
            assert!(
                json_rows.values().all(|row| row.get("password_hash").is_none()),
                "{table}: a password hash reached the json bundle"
            );
            let mut seen = BTreeSet::new();
            for record in reader.records() {
                let record = record.unwrap_or_else(|error| panic!("{name}: {error}"));
                let cells: BTreeMap<&str, &str> = header
                    .iter()
                    .map(String::as_str)
                    .zip(record.iter())
                    .collect();
                let key = cells["id"].to_owned();
                let json_row = json_rows
                    .get(&key)
                    .unwrap_or_else(|| panic!("{name} row {key} is not in the json bundle"));
                for (column, cell) in &cells {
                    match &json_row[*column] {
                        Value::String(text) => {
                            assert_eq!(cell, text, "{name} row {key} column {column}");
                        }
                        Value::Number(number) if number.is_i64() => {
                            assert_eq!(
                                *cell,
                                number.to_string(),
                                "{name} row {key} column {column}"
                            );
                        }
                        _ => {}
                    }
                }
                assert!(seen.insert(key.clone()), "{name} row {key} twice");
            }
            assert_eq!(
                seen,
                json_rows.keys().cloned().collect::<BTreeSet<_>>(),
                "{name} rows"
            );
        }
        db.cleanup().await;
    }

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

    /// A table's `encrypted` columns are exported decrypted with `keys.columns`, redacted to
    /// their last four characters with `export = "redact"`, and as stored (and said so in the
    /// manifest) without the key.
    async fn encrypted_columns_follow_the_map(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let id_type = match dialect {
            Dialect::Sqlite => "INTEGER",
            Dialect::Postgres => "BIGINT",
        };
        db.execute(&format!(
            "CREATE TABLE integration_secrets (id {id_type} PRIMARY KEY, \
             org_id TEXT NOT NULL REFERENCES organizations (id), provider TEXT, api_key TEXT)"
        ))
        .await;
        let key = random_key();
        let cipher =
            privctl::bundle::columns::ColumnCipher::new(&key).expect("a 32-byte column key");
        let secret = "sk_live_abcd1234";
        let stored = [
            cipher.encrypt(secret, [1; 12]),
            cipher.encrypt(secret, [2; 12]),
            cipher.encrypt("sk_live_globex9876", [3; 12]),
        ];
        db.execute(&format!(
            "INSERT INTO integration_secrets (id, org_id, provider, api_key) VALUES \
             (1, 'acme', 'stripe', '{}'), (2, 'acme', 'twilio', '{}'), \
             (101, 'globex', 'stripe', '{}')",
            stored[0], stored[1], stored[2]
        ))
        .await;

        let fixture_map = std::fs::read_to_string(map_copy_path(&db)).expect("the map copy");
        assert!(
            fixture_map.contains("\n[keys]\n"),
            "the fixture's map has a [keys] table"
        );
        let section = "\n[tables.integration_secrets]\ntenant = \"org_id\"\n\
                       category = \"secret\"\nencrypted = [\"api_key\"]\n";
        let with_key = fixture_map.replace(
            "\n[keys]\n",
            "\n[keys]\ncolumns = \"env:PLATFORM_COLUMN_KEY\"\n",
        );
        let maps = [
            ("decrypted", format!("{with_key}{section}")),
            (
                "redacted",
                format!("{with_key}{section}export = \"redact\"\n"),
            ),
            ("keyless", format!("{fixture_map}{section}")),
        ];
        let column_key = base64::engine::general_purpose::STANDARD.encode(key);
        let mut bundles = BTreeMap::new();
        for (name, map) in &maps {
            let path = db.dir().join(format!("{name}.toml"));
            std::fs::write(&path, map).expect("cannot write the map");
            let out = db.dir().join(format!("{name}.json"));
            let run = export(
                &privctl
                    .clone()
                    .map(&path)
                    .env("PLATFORM_COLUMN_KEY", &column_key),
                "acme",
                &out,
                &[],
            );
            run.success();
            let text = std::fs::read_to_string(&out).expect("the bundle");
            assert!(
                !text.contains("sk_live_globex9876") && !text.contains(&stored[2]),
                "{name}: globex's secret exported"
            );
            bundles.insert(*name, (text, read_json(&out)));
        }

        let api_keys = |bundle: &Value| -> Vec<(String, Value)> {
            let mut rows: Vec<(String, Value)> = bundle_rows(bundle, "integration_secrets")
                .iter()
                .map(|row| (key_text(row), row["api_key"].clone()))
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        };

        let (_, decrypted) = &bundles["decrypted"];
        assert_eq!(
            api_keys(decrypted),
            [
                ("1".to_owned(), Value::from(secret)),
                ("2".to_owned(), Value::from(secret))
            ],
            "decrypted with keys.columns"
        );
        assert_eq!(
            decrypted["manifest"]["row_counts"]["integration_secrets"],
            2
        );
        assert_eq!(
            decrypted["manifest"]["encrypted_columns"]["integration_secrets"]["decrypted"], true,
            "{}",
            decrypted["manifest"]
        );

        let (text, redacted) = &bundles["redacted"];
        assert_eq!(
            api_keys(redacted),
            [
                ("1".to_owned(), Value::from("****1234")),
                ("2".to_owned(), Value::from("****1234"))
            ],
            "redacted"
        );
        assert!(
            !text.contains(secret),
            "the redacted bundle holds the secret"
        );
        assert!(
            stored.iter().all(|value| !text.contains(value)),
            "the redacted bundle holds the ciphertext"
        );
        assert!(
            redacted["manifest"]["redacted_columns"]["integration_secrets"]
                .to_string()
                .contains("api_key"),
            "the manifest names the redacted column: {}",
            redacted["manifest"]
        );

        let (text, keyless) = &bundles["keyless"];
        assert_eq!(
            api_keys(keyless),
            [
                ("1".to_owned(), Value::from(stored[0].clone())),
                ("2".to_owned(), Value::from(stored[1].clone()))
            ],
            "without keys.columns the stored ciphertext"
        );
        assert!(!text.contains(secret), "decrypted without a key?");
        assert_eq!(
            keyless["manifest"]["encrypted_columns"]["integration_secrets"]["decrypted"], false,
            "{}",
            keyless["manifest"]
        );
        db.cleanup().await;
    }

    /// Dry run, then confirm: every acme row is gone except the anonymised tenant stub, the
    /// anonymised invoices and the retained consent records (which lose their references);
    /// acme's blobs are deleted; other tenants are byte-for-byte unchanged; no reference
    /// dangles; the ledger records planned, started and done and verifies; the token cannot be
    /// replayed.
    async fn delete_tenant_erases_the_tenant_and_nothing_else(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let counts = acme_counts(&db).await;
        let acme_messages = acme_keys(&db, "messages").await;
        assert_eq!(acme_messages.len(), 24);
        let others_before = others(&db).await;
        let acme_before = snapshot(&db, |table| tenant_condition(table, "=", "acme")).await;
        let amounts_before = db
            .query_strings("SELECT amount_cents FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;

        // Dry run: the plan, a token, and no change.
        let dry = delete_tenant(&privctl, "acme", &[]);
        let plan = dry.success().json();
        assert_eq!(plan["action"], "delete-tenant", "{plan}");
        assert_eq!(plan["tenant"], "acme", "{plan}");
        assert!(plan["expires_at"].is_string(), "{plan}");
        assert!(plan.get("cleared_references").is_some(), "{plan}");
        let token = token_of(&plan);
        let expected: BTreeMap<String, (u64, String)> = counts
            .iter()
            .map(|(table, n)| {
                (
                    table.clone(),
                    (*n as u64, expected_effect(table).to_owned()),
                )
            })
            .collect();
        assert_eq!(plan_counts(&plan), expected, "the plan: {plan}");
        assert_eq!(plan["total_rows"], 73, "{plan}");
        let blob_counts: BTreeMap<String, u64> = plan["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .filter(|entry| entry["blobs"].as_u64().unwrap_or(0) > 0)
            .map(|entry| {
                (
                    entry["table"].as_str().expect("table").to_owned(),
                    entry["blobs"].as_u64().expect("blobs"),
                )
            })
            .collect();
        assert_eq!(
            blob_counts,
            BTreeMap::from([("attachments".to_owned(), 2), ("recordings".to_owned(), 1)]),
            "{plan}"
        );
        assert_eq!(
            snapshot(&db, |table| tenant_condition(table, "=", "acme")).await,
            acme_before,
            "the dry run changed acme"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations")
                .await,
            1
        );

        // Confirm.
        let run = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        let result = run.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["resumed"], false, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            plan_counts(&result),
            expected,
            "rows affected per table: {result}"
        );
        assert_eq!(result["total_rows"], 73, "{result}");
        assert!(
            result["batches"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
        assert!(result["longest_batch_ms"].is_u64(), "{result}");
        assert_eq!(result["blobs"]["deleted"], 3, "{result}");
        assert_eq!(result["blobs"]["failed"], 0, "{result}");
        assert_eq!(
            result["blobs"]["errors"].as_array().map(Vec::len),
            Some(0),
            "{result}"
        );

        // The tenant's row stays as an anonymised stub.
        assert_eq!(
            db.query_strings("SELECT name FROM organizations WHERE id = 'acme'")
                .await,
            ["[redacted]"]
        );
        // Invoices stay, anonymised, without their contact; consent records stay without theirs.
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' AND customer_email IS NULL \
                 AND customer_name = '[redacted]' AND contact_id IS NULL"
            )
            .await,
            5,
            "all 5 acme invoices anonymised"
        );
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE org_id = 'acme' ORDER BY id")
                .await,
            amounts_before,
            "invoice amounts kept"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM consent_records WHERE org_id = 'acme' AND contact_id IS NULL"
            )
            .await,
            6,
            "all 6 consent records kept, without contact"
        );
        // Every other acme table is empty.
        for table in TABLES {
            if ["organizations", "invoices", "consent_records", "messages"].contains(&table) {
                continue;
            }
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE org_id = 'acme'"
                ))
                .await,
                0,
                "acme {table} rows left"
            );
        }
        let ids: Vec<&str> = acme_messages.iter().map(String::as_str).collect();
        assert_eq!(
            db.query_i64(&format!(
                "SELECT count(*) FROM messages WHERE id IN ({})",
                ids.join(", ")
            ))
            .await,
            0,
            "acme messages left"
        );

        // acme's objects are gone from the stores, the others' are not; the outbox is done.
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                blob.tenant != "acme",
                "{} ({})",
                blob.path.display(),
                blob.tenant
            );
        }
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox WHERE tenant = 'acme' \
                 AND done_at IS NOT NULL"
            )
            .await,
            3
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL OR tenant <> 'acme'"
            )
            .await,
            0
        );

        assert_same_rows(&others(&db).await, &others_before, "other tenants");
        assert_no_orphans(&db).await;

        assert_eq!(
            db.query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq"
            )
            .await,
            ["planned", "started", "done", "objects-deleted"]
        );
        let done = db
            .query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await;
        let done: Value = serde_json::from_str(&done[0]).expect("details are JSON");
        assert_eq!(done["remaining"], 0, "the done entry: {done}");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["done"]
        );

        // The token is spent.
        let after = everything(&db).await;
        delete_tenant(&privctl, "acme", &["--confirm", &token]).code(3);
        assert_same_rows(&everything(&db).await, &after, "a replayed token");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A tenant under legal hold gets no token and loses nothing; a hold placed after the dry
    /// run stops the confirmed run too.
    async fn delete_tenant_refuses_a_tenant_under_legal_hold(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let before = everything(&db).await;

        let run = delete_tenant(&privctl, "umbrella", &[]);
        run.code(1);
        assert!(
            run.stderr.to_lowercase().contains("legal hold"),
            "the message says why: {run}"
        );
        assert!(!run.stdout.contains("pct_"), "a token was printed: {run}");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_confirmations")
                .await,
            0,
            "a token was issued"
        );
        assert_same_rows(&everything(&db).await, &before, "umbrella on hold");

        // acme is put on hold between the dry run and the confirmation.
        let token = token_of(&delete_tenant(&privctl, "acme", &[]).success().json());
        db.execute("UPDATE organizations SET legal_hold = TRUE WHERE id = 'acme'")
            .await;
        let held = everything(&db).await;
        let run = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        assert!(
            run.code == 1 || run.code == 3,
            "a confirmed deletion of a tenant on hold must fail: {run}"
        );
        assert_same_rows(&everything(&db).await, &held, "acme on hold");
        assert!(
            blobs.iter().all(|blob| blob.path.exists()),
            "a blob was deleted"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_jobs WHERE state = 'done'")
                .await,
            0
        );
        db.cleanup().await;
    }

    /// `kill -9` in the middle of a batched deletion leaves a consistent database (no orphan,
    /// no broken foreign key); meanwhile the token authorises nothing else; the same command
    /// resumes and finishes, and the totals include what was deleted before the kill.
    async fn delete_tenant_resumes_after_sigkill(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        insert_acme_messages(&db, 10001, 2000).await;
        let counts = acme_counts(&db).await;
        assert_eq!(counts["messages"], 2024);
        let others_before = others(&db).await;

        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let planned = plan_counts(&plan);
        assert_eq!(planned["messages"], (2024, "delete".to_owned()), "{plan}");

        let args = [
            "--format",
            "json",
            "delete-tenant",
            "--tenant",
            "acme",
            "--batch-size",
            "50",
            "--batch-pause",
            "20ms",
            "--confirm",
            token.as_str(),
        ];
        let mut child = spawn_privctl(&db, &args);

        // Wait until some messages are gone while the job still runs, then kill -9.
        let remaining_messages = "SELECT count(*) FROM messages WHERE conversation_id IN \
                                  (SELECT id FROM conversations WHERE org_id = 'acme')";
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.process.try_wait().expect("cannot poll privctl") {
                panic!(
                    "privctl exited ({status}) before it could be killed mid-way: {}",
                    child.outputs()
                );
            }
            let running = db
                .query_strings(
                    "SELECT state FROM privctl_jobs WHERE action = 'delete-tenant' \
                     AND tenant = 'acme'",
                )
                .await
                == ["running"];
            if running && db.query_i64(remaining_messages).await < 2024 {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.process.kill();
                let _ = child.process.wait();
                panic!("no messages deleted within 120 s: {}", child.outputs());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.process.kill().expect("cannot kill privctl");
        let status = child.process.wait().expect("cannot wait for privctl");
        assert!(
            !status.success(),
            "privctl finished before the kill: {}",
            child.outputs()
        );

        // Killed mid-way: some messages gone, some left, the job still running.
        let left = db.query_i64(remaining_messages).await;
        assert!(
            left > 0 && left < 2024,
            "the kill did not land mid-way ({left} messages left): {}",
            child.outputs()
        );
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["running"]
        );
        assert_no_orphans(&db).await;
        assert_same_rows(
            &others(&db).await,
            &others_before,
            "other tenants after the kill",
        );

        // Meanwhile the token authorises nothing else.
        let misuse = delete_tenant(&privctl, "globex", &["--confirm", &token]);
        misuse.code(3);
        assert_same_rows(
            &others(&db).await,
            &others_before,
            "the token used for globex",
        );
        assert_eq!(db.query_i64(remaining_messages).await, left);

        // The same command resumes and finishes.
        let run = privctl.clone().args(args).run();
        let result = run.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            plan_counts(&result),
            planned,
            "rows per table, counting those deleted before the kill: {result}"
        );
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        assert_eq!(result["blobs"]["deleted"], 3, "{result}");

        assert_eq!(db.query_i64(remaining_messages).await, 0);
        for table in TABLES {
            if ["organizations", "invoices", "consent_records", "messages"].contains(&table) {
                continue;
            }
            assert_eq!(
                db.query_i64(&format!(
                    "SELECT count(*) FROM {table} WHERE org_id = 'acme'"
                ))
                .await,
                0,
                "acme {table} rows left"
            );
        }
        assert_eq!(
            db.query_strings("SELECT name FROM organizations WHERE id = 'acme'")
                .await,
            ["[redacted]"]
        );
        for blob in &blobs {
            assert_eq!(
                blob.path.exists(),
                blob.tenant != "acme",
                "{}",
                blob.path.display()
            );
        }
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'")
                .await,
            ["done"]
        );
        assert_no_orphans(&db).await;
        assert_same_rows(&others(&db).await, &others_before, "other tenants");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        delete_tenant(&privctl, "acme", &["--confirm", &token]).code(3);
        db.cleanup().await;
    }

    /// An invoice written while delete-tenant runs, after the invoices' pass (here: while it
    /// deletes messages in paused batches), is anonymised by the closing pass, reported as a
    /// late row in the output and the ledger, and counted with its table: never left holding
    /// the customer's email under `done, remaining: 0`.
    async fn an_invoice_written_during_the_run_is_anonymised_and_reported(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 2000).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let args = [
            "--format",
            "json",
            "delete-tenant",
            "--tenant",
            "acme",
            "--batch-size",
            "50",
            "--batch-pause",
            "20ms",
            "--confirm",
            token.as_str(),
        ];
        let mut child = spawn_privctl(&db, &args);

        // Once acme's invoices are anonymised and messages are still being deleted, the
        // application writes one more invoice with a customer's email.
        let remaining_messages = "SELECT count(*) FROM messages WHERE conversation_id IN \
                                  (SELECT id FROM conversations WHERE org_id = 'acme')";
        let unanonymised = "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                            AND (customer_email IS NOT NULL OR customer_name <> '[redacted]')";
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.process.try_wait().expect("cannot poll privctl") {
                panic!("privctl exited ({status}) too early: {}", child.outputs());
            }
            if db.query_i64(unanonymised).await == 0 {
                let left = db.query_i64(remaining_messages).await;
                assert!(
                    left > 500,
                    "the invoices' pass should come before the messages' ({left} left): {}",
                    child.outputs()
                );
                break;
            }
            if Instant::now() > deadline {
                let _ = child.process.kill();
                let _ = child.process.wait();
                panic!("no invoice anonymised within 120 s: {}", child.outputs());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        db.execute(&format!(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, \
             amount_cents, currency, issued_at) VALUES (9001, 'acme', NULL, \
             'late.buyer@example.com', 'Late Buyer', 1000, 'EUR', {})",
            timestamp(dialect, "2026-11-25T11:00:00Z")
        ))
        .await;
        assert!(
            db.query_i64(remaining_messages).await > 0,
            "the insert landed before the run ended: {}",
            child.outputs()
        );
        let status = child.process.wait().expect("cannot wait for privctl");
        assert!(status.success(), "{}", child.outputs());
        let result: Value =
            serde_json::from_str(&child.stdout()).expect("the result is one JSON document");

        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["late_rows"], serde_json::json!({"invoices": 1}), "{result}");
        assert_eq!(plan_counts(&result)["invoices"], (6, "anonymise".to_owned()), "{result}");
        assert_eq!(db.query_i64(unanonymised).await, 0, "every acme invoice anonymised");
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE id = 9001").await,
            ["1000"],
            "the row is kept, like every invoice"
        );
        let done: Value = serde_json::from_str(
            &db.query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await
            .remove(0),
        )
        .expect("ledger details are JSON");
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(done["late_rows"], serde_json::json!({"invoices": 1}), "{done}");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A run stopped after the invoices' pass (a trigger makes the next table's delete fail)
    /// and resumed after an invoice was written meanwhile: the resumed run anonymises that
    /// invoice and reports it, and never hashes an already hashed value again (here the map
    /// hashes `customer_email`).
    async fn a_resumed_run_anonymises_rows_written_since_and_hashes_none_twice(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let map = map_copy_path(&db);
        let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
        let line = "erase = { anonymise = { customer_email = \"null\", customer_name = \"redact\" } }";
        assert_eq!(text.matches(line).count(), 1);
        std::fs::write(
            &map,
            text.replace(
                line,
                "erase = { anonymise = { customer_email = \"hash\", customer_name = \"redact\" } }",
            ),
        )
        .expect("cannot write the map copy");
        let emails_before = db
            .query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);

        // The run stops at the first delete after the invoices' pass.
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER stop_at_orders BEFORE DELETE ON orders \
                 BEGIN SELECT RAISE(ABORT, 'stopped by the test'); END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION stop_by_the_test() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'stopped by the test'; END $$; \
                 CREATE TRIGGER stop_at_orders BEFORE DELETE ON orders \
                 FOR EACH ROW EXECUTE FUNCTION stop_by_the_test()"
            }
        })
        .await;
        let stopped = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        assert_ne!(stopped.code, 0, "{stopped}");
        assert!(stopped.stderr.contains("stopped by the test"), "{stopped}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        let hashed = db
            .query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
            .await;
        let expected: Vec<String> = emails_before
            .iter()
            .map(|email| anonymise_hash(email))
            .collect();
        assert_eq!(hashed, expected, "the invoices' pass ran before the stop");

        // Meanwhile the application writes an invoice; then the run is resumed.
        db.execute(&format!(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, \
             amount_cents, currency, issued_at) VALUES (9001, 'acme', NULL, \
             'late.buyer@example.com', 'Late Buyer', 1000, 'EUR', {})",
            timestamp(dialect, "2026-11-25T11:00:00Z")
        ))
        .await;
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER stop_at_orders",
            Dialect::Postgres => "DROP TRIGGER stop_at_orders ON orders",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token])
            .success()
            .json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["late_rows"], serde_json::json!({"invoices": 1}), "{result}");
        assert_eq!(plan_counts(&result)["invoices"], (6, "anonymise".to_owned()), "{result}");

        let mut expected = hashed.clone();
        expected.push(anonymise_hash("late.buyer@example.com"));
        assert_eq!(
            db.query_strings("SELECT customer_email FROM invoices WHERE org_id = 'acme' ORDER BY id")
                .await,
            expected,
            "hashed once each: the earlier hashes kept, the new email hashed"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND customer_name = '[redacted]'"
            )
            .await,
            6
        );
        let done: Value = serde_json::from_str(
            &db.query_strings(
                "SELECT details FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'",
            )
            .await
            .remove(0),
        )
        .expect("ledger details are JSON");
        assert_eq!(done["late_rows"], serde_json::json!({"invoices": 1}), "{done}");
        assert_no_orphans(&db).await;
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// When something privctl cannot see (here a trigger) keeps an anonymised invoice's email,
    /// the closing pass anonymises again, counts what is still left, and fails (exit 1) naming
    /// the table and the count: no `done`, the job stays open; once the trigger is gone, the
    /// same command finishes.
    async fn delete_tenant_fails_while_an_anonymised_value_keeps_coming_back(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER keep_email AFTER UPDATE OF customer_email ON invoices \
                 BEGIN UPDATE invoices SET customer_email = OLD.customer_email \
                 WHERE id = NEW.id; END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION keep_email() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN NEW.customer_email := OLD.customer_email; RETURN NEW; END $$; \
                 CREATE TRIGGER keep_email BEFORE UPDATE ON invoices \
                 FOR EACH ROW EXECUTE FUNCTION keep_email()"
            }
        })
        .await;
        let failed = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        failed.code(1);
        assert!(failed.stderr.contains("invoices (5 rows)"), "{failed}");
        assert!(failed.stderr.contains("the job stays open"), "{failed}");
        // How to go on, and the failure in the ledger (issue 14, item 12).
        assert!(
            failed.stderr.contains("hint: the job") && failed.stderr.contains("same token again"),
            "{failed}"
        );
        assert_eq!(
            db.query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq"
            )
            .await,
            ["planned", "started", "failed"]
        );
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_ledger WHERE action = 'delete-tenant' \
                 AND outcome = 'done'"
            )
            .await,
            0
        );

        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER keep_email",
            Dialect::Postgres => "DROP TRIGGER keep_email ON invoices",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token])
            .success()
            .json();
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND (customer_email IS NOT NULL OR customer_name <> '[redacted]')"
            )
            .await,
            0
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

/// A timestamp literal for the fixture's time columns (TIMESTAMPTZ on PostgreSQL, text on
/// SQLite).
fn timestamp(dialect: Dialect, at: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("'{at}'"),
        Dialect::Postgres => format!("TIMESTAMPTZ '{at}'"),
    }
}

/// What `anonymise = "hash"` writes for `value`: the lower-case hex HMAC-SHA-256, under the
/// ledger key, of `privctl-anonymise/1`, a NUL byte and the value.
fn anonymise_hash(value: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(LEDGER_KEY.as_bytes())
        .expect("HMAC takes any key");
    mac.update(format!("privctl-anonymise/1\0{value}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A privctl run in the background (the sealed environment of [`Privctl`], the map copy and
/// the ledger key), its output in files of the test's directory.
struct Background {
    process: std::process::Child,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl Background {
    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout_path).unwrap_or_default()
    }

    fn outputs(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
        )
    }
}

/// Starts the confirmed delete-tenant of acme with `token` slowly (batches of 10, 100 ms apart)
/// and returns once its first batch committed, the run still going.
async fn slow_run_after_its_first_batch(db: &TestDb, token: &str) -> Background {
    let args = [
        "--format",
        "json",
        "delete-tenant",
        "--tenant",
        "acme",
        "--batch-size",
        "10",
        "--batch-pause",
        "100ms",
        "--confirm",
        token,
    ];
    let mut run = spawn_privctl(db, &args);
    let deadline = Instant::now() + Duration::from_secs(60);
    while db
        .query_strings("SELECT progress FROM privctl_jobs WHERE tenant = 'acme'")
        .await
        .iter()
        .all(|p| !p.contains("\"batches\":1") && !p.contains("\"batches\":2"))
    {
        assert!(
            run.process.try_wait().unwrap().is_none(),
            "the run ended early: {}",
            run.outputs()
        );
        assert!(
            Instant::now() < deadline,
            "no batch within 60 s: {}",
            run.outputs()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    run
}

fn spawn_privctl(db: &TestDb, args: &[&str]) -> Background {
    let stdout_path = db.dir().join("background.stdout");
    let stderr_path = db.dir().join("background.stderr");
    let process = Command::new(env!("CARGO_BIN_EXE_privctl"))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", db.home())
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env("DATABASE_URL", &db.url)
        .env("PRIVCTL_MAP", map_copy_path(db))
        .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY)
        .env("PRIVCTL_ACTOR", "tester@test")
        .current_dir(db.home())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("cannot start privctl");
    Background {
        process,
        stdout_path,
        stderr_path,
    }
}

both_dialects! {
    /// Killed in its blob phase (issue 14, item 5): the rows are done and the token consumed,
    /// objects remain queued. The same command again deletes them and exits 0 (it used to exit
    /// 3, "already deleted", and leave them); the ledger records `objects-deleted` once none is
    /// left, and `privctl status` shows the queue before and none after. Once nothing is left,
    /// the token is refused as spent (exit 3).
    async fn killed_while_deleting_objects_the_same_command_finishes_them(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let blobs = create_blobs(&db).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-objects:1")
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        const QUEUED: &str =
            "SELECT count(*) FROM privctl_blob_outbox WHERE tenant = 'acme' AND done_at IS NULL";
        assert_eq!(db.query_i64(QUEUED).await, 2, "one of acme's three objects went before the kill");
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        let pending: u64 = status["pending_objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["tenant"] == "acme")
            .map(|p| p["objects"].as_u64().unwrap())
            .sum();
        assert_eq!(pending, 2, "{status:#}");

        let again = privctl
            .clone()
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run();
        again.success();
        let again = again.json();
        assert_eq!(again["already_done"], true, "{again}");
        assert_eq!(again["blobs"]["deleted"], 2, "{again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        for blob in blobs.iter().filter(|b| b.tenant == "acme") {
            assert!(!blob.path.exists(), "{} is still in its store", blob.path.display());
        }
        assert!(blobs.iter().filter(|b| b.tenant != "acme").all(|b| b.path.exists()));
        let outcomes = db
            .query_strings(
                "SELECT outcome FROM privctl_ledger WHERE action = 'delete-tenant' ORDER BY seq",
            )
            .await;
        assert_eq!(outcomes, ["planned", "started", "done", "objects-deleted"]);
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        assert_eq!(status["pending_objects"], serde_json::json!([]), "{status:#}");
        privctl
            .clone()
            .args(["delete-tenant", "--tenant", "acme", "--confirm", &token])
            .run()
            .code(3);
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Two runs of one job (issue 14, item 8): the same command started while the first run still
    /// works exits 75 at once, naming the job, and changes nothing; it used to run alongside and
    /// one of the two failed on a foreign key. `privctl status` names the job's lock. The first
    /// run finishes alone.
    async fn a_second_run_of_the_same_job_exits_75_while_the_first_works(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 200).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let mut first = slow_run_after_its_first_batch(&db, &token).await;
        let status = privctl
            .clone()
            .args(["--format", "json", "status"])
            .run()
            .success()
            .json();
        let second = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        assert!(first.process.try_wait().unwrap().is_none(), "{}", first.outputs());
        second.code(75);
        assert!(second.stderr.contains("another run of this deletion"), "{second}");
        if dialect == Dialect::Postgres {
            let name = status["locks"][0]["name"].as_str().unwrap_or_default();
            assert!(name.starts_with("delete-tenant/"), "{status:#}");
        }
        let status = first.process.wait().unwrap();
        assert!(status.success(), "{}", first.outputs());
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["done"]
        );
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }
}

/// One reading of the legal hold for every command (issue 15's fix): on SQLite a hold stored as
/// `'TRUE'` (or `'yes'`) used to stop a purge but not `delete-tenant` or `dsar delete`. Now each
/// refuses, and the purge skips the tenant.
#[tokio::test]
async fn a_hold_written_as_text_holds_for_every_command() {
    let (db, privctl) = setup_with_map_copy(Dialect::Sqlite, LEDGER_KEY).await;
    for value in ["TRUE", "yes"] {
        // (The fixture's CHECK allows 0 and 1 only; another platform's schema need not.)
        db.execute(&format!(
            "PRAGMA ignore_check_constraints = ON; \
             UPDATE organizations SET legal_hold = '{value}' WHERE id = 'acme'"
        ))
        .await;
        let refused = delete_tenant(&privctl, "acme", &[]);
        refused.code(1);
        assert!(refused.stderr.contains("legal hold"), "{value}: {refused}");
        let preview = privctl
            .clone()
            .args([
                "--format",
                "json",
                "dsar",
                "preview",
                "--tenant",
                "acme",
                "--email",
                "jane.doe@example.com",
            ])
            .run();
        preview.code(1);
        assert!(preview.stderr.contains("legal hold"), "{value}: {preview}");
        let preview = preview.json();
        assert_eq!(preview["token"], Value::Null, "{value}: {preview}");
        let purge = privctl
            .clone()
            .env("PRIVCTL_NOW", "2026-11-25T10:00:00Z")
            .args(["--format", "json", "purge-retention"])
            .run()
            .success()
            .json();
        assert!(
            purge["skipped"].to_string().contains("acme"),
            "{value}: {purge}"
        );
    }
    db.cleanup().await;
}

both_dialects! {
    /// A legal hold placed while delete-tenant runs (issue 15's fix: the hold re-read in the
    /// erasing transaction): the run stops before its next batch commits (exit 1), the job stays
    /// open, what was erased stays erased; once the hold is lifted the same command finishes.
    async fn a_hold_placed_during_delete_tenant_stops_it_before_the_next_batch(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 200).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let mut run = slow_run_after_its_first_batch(&db, &token).await;
        db.execute("UPDATE organizations SET legal_hold = TRUE WHERE id = 'acme'").await;
        let status = run.process.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{}", run.outputs());
        assert!(run.outputs().contains("put under legal hold during the deletion"), "{}", run.outputs());
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert!(db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'").await > 0);
        assert_no_orphans(&db).await;

        db.execute("UPDATE organizations SET legal_hold = FALSE WHERE id = 'acme'").await;
        let result = delete_tenant(&privctl, "acme", &["--confirm", &token]).success().json();
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(db.query_i64("SELECT count(*) FROM contacts WHERE org_id = 'acme'").await, 0);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed after its third batch committed (issue 14's kill tests, rows phase, at a chosen
    /// point): no orphan, the job open; the same command resumes and ends like one run.
    async fn killed_after_three_batches_delete_tenant_resumes_to_the_same_end(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        insert_acme_messages(&db, 10001, 100).await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        let token = token_of(&plan);
        let killed = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "kill-after-batches:3")
            .args(["--format", "json", "delete-tenant", "--tenant", "acme", "--batch-size", "10", "--confirm", &token])
            .run();
        assert_ne!(killed.code, 0, "{killed}");
        assert_eq!(
            db.query_strings("SELECT state FROM privctl_jobs WHERE tenant = 'acme'").await,
            ["running"]
        );
        assert_no_orphans(&db).await;
        let result = delete_tenant(&privctl, "acme", &["--batch-size", "10", "--confirm", &token])
            .success()
            .json();
        assert_eq!(result["resumed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], plan["total_rows"], "{result}");
        assert_no_orphans(&db).await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// Anonymisation in bounded batches (issue 15's named fix): an anonymised table is walked
    /// in pages of --batch-size, each page its own transaction recording its last key. Made to
    /// fail on the fourth page, the run leaves the first three pages anonymised and committed (it
    /// used to anonymise the whole table in one transaction, and leave nothing); the same
    /// command then goes on after the last recorded key and counts each row once.
    async fn an_anonymised_table_goes_in_pages_and_a_resume_goes_on_after_the_last(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        db.execute(
            "INSERT INTO invoices (id, org_id, contact_id, customer_email, customer_name, amount_cents, currency, issued_at) \
             SELECT 1000 + n, 'acme', NULL, 'buyer' || n || '@example.com', 'Buyer ' || n, 100, 'EUR', '2026-10-01T00:00:00Z' \
             FROM (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6 UNION SELECT 7) AS t",
        )
        .await;
        let plan = delete_tenant(&privctl, "acme", &[]).success().json();
        assert_eq!(plan_counts(&plan)["invoices"].0, 12, "{plan}");
        let token = token_of(&plan);
        // Invoice 1005 is on the fourth page of four (keys 1, 2, 3 | 4, 5, 1001 | 1002, 1003, 1004 |
        // 1005, 1006, 1007).
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER stop_at_1005 BEFORE UPDATE ON invoices WHEN OLD.id = 1005 \
                 BEGIN SELECT RAISE(ABORT, 'stop here'); END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION stop_at_1005() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN IF OLD.id = 1005 THEN RAISE EXCEPTION 'stop here'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER stop_at_1005 BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION stop_at_1005()"
            }
        })
        .await;
        let failed = delete_tenant(&privctl, "acme", &["--batch-size", "3", "--confirm", &token]);
        failed.code(1);
        const DONE: &str =
            "SELECT count(*) FROM invoices WHERE org_id = 'acme' AND customer_email IS NULL";
        assert_eq!(db.query_i64(DONE).await, 9, "three pages of three committed: {failed}");

        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER stop_at_1005",
            Dialect::Postgres => "DROP TRIGGER stop_at_1005 ON invoices",
        })
        .await;
        let result = delete_tenant(&privctl, "acme", &["--batch-size", "3", "--confirm", &token])
            .success()
            .json();
        assert_eq!(plan_counts(&result)["invoices"].0, 12, "each row counted once: {result}");
        assert_eq!(result["late_rows"], serde_json::json!({}), "{result}");
        assert_eq!(db.query_i64(DONE).await, 12);
        db.cleanup().await;
    }
}
