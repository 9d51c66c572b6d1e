//! `privctl export-tenant` on the conversational-ai fixture: an export holds exactly the
//! tenant's rows in every format (JSON, NDJSON, CSV), and encrypted columns are decrypted (or
//! redacted) only as the map says. The expected rows come from
//! fixtures/conversational-ai/README.md. Encrypted bundles (`--encrypt`) are tested with
//! `decrypt` (decrypt.rs); what an export leaves on disk when it fails, in export_files.rs.
//!
//! Every test works on a copy of the fixture's map in its own temporary directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::support::bundle::{
    bundle_counts, bundle_rows, count_map, key_text, random_key, read_json, utf8,
};
use crate::support::fixture::{
    ACME_ROWS, TABLES, acme_counts, acme_keys, columns, map_copy_path, setup_with_map_copy,
    verify_ledger,
};
use crate::support::{Dialect, Privctl, RunOutput, both_dialects, entries, mode, sha256_hex};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "tenant-tests-ledger-key-7d21e4";

/// `privctl --format json export-tenant --tenant <tenant> --out <out> <extra…>`.
pub(crate) fn export(privctl: &Privctl, tenant: &str, out: &Path, extra: &[&str]) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "export-tenant", "--tenant", tenant])
        .args(["--out", utf8(out)])
        .args(extra)
        .run()
}

/// Checks a decrypted (or plain) JSON bundle: format, kind, tenant, and rows per table.
pub(crate) fn assert_bundle_counts(bundle: &Value, expected: &BTreeMap<String, i64>, what: &str) {
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
    async fn json_holds_exactly_the_tenants_rows(dialect: Dialect) {
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

    /// Issue 16: on SQLite a table's rows come back a chunk at a time (2,000 rows rendered as
    /// JSON text by SQLite in one value), in the order of the statement that selects them, and
    /// each row's text is the one privctl writes row by row (serde_json's rendering of the
    /// values). A tenant with more rows than a chunk, in a table with its own tenant column and
    /// in one reached through its parent: every row once, in order, every value as stored
    /// (keys in byte order, "Zeta" before "alpha"; every control character, quotes,
    /// backslashes, non-ASCII). Then the chunk fallbacks: a chunk holding a floating-point
    /// number or bytes (one valid as SQLite's binary JSON, which `json_object` would read as a
    /// document; one not, which it refuses) is read row by row, and so is a table with a JSON
    /// column. PostgreSQL's rows are the server's own text, as before.
    async fn rows_come_back_alike_chunk_by_chunk(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let (id_type, real_type, bytes_type) = match dialect {
            Dialect::Sqlite => ("INTEGER", "REAL", "BLOB"),
            Dialect::Postgres => ("BIGINT", "DOUBLE PRECISION", "BYTEA"),
        };
        db.execute(&format!(
            "CREATE TABLE value_kinds (id {id_type} PRIMARY KEY, \
             org_id TEXT NOT NULL REFERENCES organizations (id), \"Zeta\" TEXT, alpha {id_type}, \
             amount {real_type}, payload {bytes_type})"
        ))
        .await;
        db.execute(&format!(
            "CREATE TABLE value_notes (id {id_type} PRIMARY KEY, \
             kind_id {id_type} NOT NULL REFERENCES value_kinds (id), note TEXT)"
        ))
        .await;
        db.execute(&format!(
            "CREATE TABLE value_docs (id {id_type} PRIMARY KEY, \
             org_id TEXT NOT NULL REFERENCES organizations (id), doc JSON)"
        ))
        .await;
        let controls: String = (1u8..0x20).chain([0x7f]).map(char::from).collect();
        let label = |i: i64| {
            format!("row {i} \"quoted\" back\\slash {controls} é ✓ 😀 \u{2028} it's")
        };
        let mut values = Vec::new();
        for i in 1..=2_300i64 {
            let org = if i % 10 == 0 { "globex" } else { "acme" };
            values.push(format!(
                "({i}, '{org}', '{}', {}, NULL, NULL)",
                label(i).replace('\'', "''"),
                i * 1_000_000_007
            ));
        }
        db.execute(&format!(
            "INSERT INTO value_kinds (id, org_id, \"Zeta\", alpha, amount, payload) VALUES {}",
            values.join(", ")
        ))
        .await;
        db.execute(
            "INSERT INTO value_notes (id, kind_id, note) \
             SELECT id + 100000, id, 'note ' || id FROM value_kinds ORDER BY id",
        )
        .await;
        db.execute(
            "INSERT INTO value_docs (id, org_id, doc) VALUES \
             (1, 'acme', '{\"z\": 1, \"a\": [1.5, \"x\"]}')",
        )
        .await;
        let fixture_map = std::fs::read_to_string(map_copy_path(&db)).expect("the map copy");
        let path = db.dir().join("kinds.toml");
        std::fs::write(
            &path,
            format!(
                "{fixture_map}\n[tables.value_kinds]\ntenant = \"org_id\"\ncategory = \"secret\"\n\
                 \n[tables.value_notes]\ncategory = \"secret\"\n\
                 \n[tables.value_docs]\ntenant = \"org_id\"\ncategory = \"secret\"\n"
            ),
        )
        .expect("cannot write the map");
        let privctl = privctl.map(&path);
        let (jsonb_null, not_jsonb) = match dialect {
            Dialect::Sqlite => ("x'00'", "x'ff00ff'"),
            Dialect::Postgres => ("'\\x00'::bytea", "'\\xff00ff'::bytea"),
        };
        for odd in [false, true] {
            if odd {
                db.execute(&format!(
                    "UPDATE value_kinds SET amount = 0.1, payload = {jsonb_null} WHERE id = 2001"
                ))
                .await;
                db.execute(&format!(
                    "UPDATE value_kinds SET payload = {not_jsonb} WHERE id = 5"
                ))
                .await;
            }
            let out = db.dir().join(format!("kinds-{odd}.json"));
            export(&privctl, "acme", &out, &[]).success();
            let text = std::fs::read_to_string(&out).expect("the bundle");
            let bundle = read_json(&out);
            let rows = bundle_rows(&bundle, "value_kinds");
            let mut ids: Vec<i64> =
                rows.iter().map(|r| r["id"].as_i64().expect("an id")).collect();
            if odd {
                // PostgreSQL keeps an updated row's new version at the end of the table.
                ids.sort_unstable();
            }
            let expected: Vec<i64> = (1..=2_300).filter(|i| i % 10 != 0).collect();
            assert_eq!(ids, expected, "odd {odd}: acme's kinds, each once, in order");
            for row in rows {
                let line = serde_json::to_string(row).expect("a row");
                assert!(
                    matches!(dialect, Dialect::Postgres) || text.contains(&line),
                    "odd {odd}: not serde_json's text: {line}"
                );
                let id = row["id"].as_i64().expect("an integer id");
                assert_eq!(row["org_id"], "acme");
                assert_eq!(row["Zeta"], label(id).as_str(), "odd {odd}: row {id}");
                assert_eq!(row["alpha"], id * 1_000_000_007, "odd {odd}: row {id}");
                let (amount, payload) = match (odd, id) {
                    (true, 2001) => (serde_json::json!(0.1), serde_json::json!("AA==")),
                    (true, 5) => (Value::Null, serde_json::json!("/wD/")),
                    _ => (Value::Null, Value::Null),
                };
                assert_eq!(row["amount"], amount, "odd {odd}: row {id}");
                assert_eq!(row["payload"], payload, "odd {odd}: row {id}");
            }
            let keys: Vec<&String> = rows[0].as_object().expect("an object").keys().collect();
            assert_eq!(keys, ["Zeta", "alpha", "amount", "id", "org_id", "payload"]);
            assert!(
                matches!(dialect, Dialect::Postgres) || text.contains("{\"Zeta\":"),
                "odd {odd}: keys in byte order in the file"
            );
            let notes = bundle_rows(&bundle, "value_notes");
            let note_ids: Vec<i64> =
                notes.iter().map(|r| r["id"].as_i64().expect("an id")).collect();
            let expected_notes: Vec<i64> = expected.iter().map(|i| i + 100_000).collect();
            assert_eq!(note_ids, expected_notes, "odd {odd}: notes through their kinds");
            for note in notes {
                let line = serde_json::to_string(note).expect("a row");
                assert!(
                    matches!(dialect, Dialect::Postgres) || text.contains(&line),
                    "odd {odd}: not serde_json's text: {line}"
                );
                let kind = note["kind_id"].as_i64().expect("a kind");
                assert_eq!(note["note"], format!("note {kind}"));
            }
            let docs = bundle_rows(&bundle, "value_docs");
            assert_eq!(docs.len(), 1, "odd {odd}: docs");
            assert_eq!(docs[0]["doc"], serde_json::json!({"z": 1, "a": [1.5, "x"]}));
        }
        db.cleanup().await;
    }
}
