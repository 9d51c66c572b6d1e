//! `privctl dsar export`: the subject's bundle holds exactly her rows, as stored, in a private
//! file that is never silently overwritten; her encrypted columns reach her decrypted, columns
//! the map leaves out stay out, and `--encrypt` writes a bundle `privctl decrypt` opens.

use std::os::unix::fs::PermissionsExt as _;

use serde_json::Value;

use super::{JANE, LEDGER_KEY, assert_stderr_names_nobody, bundle_ids, count_ids, dsar, jane_all};
use crate::support::fixture::{setup, write_map_copy};
use crate::support::{Dialect, Privctl, TestDb, both_dialects, mode, sha256_hex};

both_dialects! {
    /// The bundle holds exactly the selected rows, its manifest counts them, the digest on
    /// stdout is the file's, and the file is private and never silently overwritten.
    async fn round_trips_the_subjects_rows_into_a_private_file(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let out = db.dir().join("subject.json");
        let out_arg = out.to_str().expect("a UTF-8 path").to_owned();

        let run = dsar(&privctl, "export", "acme", &JANE, &["--out", &out_arg]);
        let summary = run.success().json();
        let bytes = std::fs::read(&out).expect("the bundle was written");
        let bundle: Value = serde_json::from_slice(&bytes).expect("the bundle is JSON");

        assert_eq!(bundle["format"], "privctl-bundle/1");
        assert_eq!(bundle["kind"], "subject");
        assert_eq!(bundle["tenant"], "acme");
        assert!(
            bundle["generated_at"].is_string(),
            "no generated_at: {bundle}"
        );
        assert_eq!(
            summary["sha256"],
            sha256_hex(&bytes),
            "stdout's sha256 is not the file's"
        );
        assert_eq!(mode(&out), 0o600, "bundle file mode");

        let expected = jane_all();
        assert_eq!(bundle_ids(&bundle), expected);
        let manifest_counts = &bundle["manifest"]["row_counts"];
        for (table, ids) in &expected {
            let in_bundle = bundle["tables"][table].as_array().map_or(0, Vec::len) as u64;
            let in_database = count_ids(&db, table, ids).await;
            assert_eq!(
                in_database,
                ids.len() as i64,
                "{table}: rows in the database"
            );
            assert_eq!(in_bundle, ids.len() as u64, "{table}: rows in the bundle");
            assert_eq!(
                manifest_counts[table], in_bundle,
                "{table}: manifest row_counts"
            );
            assert_eq!(
                summary["row_counts"][table], in_bundle,
                "{table}: stdout row_counts"
            );
        }
        // No table the selection does not reach has rows or a nonzero count.
        for (table, count) in manifest_counts.as_object().expect("row_counts") {
            if !expected.contains_key(table) {
                assert_eq!(
                    count, 0,
                    "{table} counted in the manifest: {manifest_counts}"
                );
            }
        }
        assert_eq!(summary["total_rows"], 34, "{summary}");

        // Values keep their stored form and type.
        let contact_1 = bundle["tables"]["contacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .find(|row| row["id"] == 1)
            .expect("contact 1");
        assert_eq!(contact_1["email"], " Jane.Doe@Example.COM ", "{contact_1}");
        assert_eq!(contact_1["org_id"], "acme", "{contact_1}");
        let invoice_amounts: Vec<i64> = bundle["tables"]["invoices"]
            .as_array()
            .expect("invoices")
            .iter()
            .map(|row| row["amount_cents"].as_i64().expect("an integer amount"))
            .collect();
        let mut stored: Vec<i64> = db
            .query_strings("SELECT amount_cents FROM invoices WHERE id IN (1, 2) ORDER BY id")
            .await
            .iter()
            .map(|amount| amount.parse().expect("an integer"))
            .collect();
        let mut exported = invoice_amounts.clone();
        exported.sort_unstable();
        stored.sort_unstable();
        assert_eq!(exported, stored, "invoice amounts");

        // An existing file is refused and left as it was, unless --force.
        std::fs::write(&out, b"precious").expect("cannot write");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = dsar(&privctl, "export", "acme", &JANE, &["--out", &out_arg]);
        refused.code(1);
        assert_eq!(
            std::fs::read(&out).expect("read"),
            b"precious",
            "the refused export changed the file"
        );

        let forced = dsar(
            &privctl,
            "export",
            "acme",
            &JANE,
            &["--out", &out_arg, "--force"],
        );
        let summary = forced.success().json();
        let bytes = std::fs::read(&out).expect("read");
        assert_eq!(
            summary["sha256"],
            sha256_hex(&bytes),
            "stdout's sha256 after --force"
        );
        let bundle: Value = serde_json::from_slice(&bytes).expect("the forced bundle is JSON");
        assert_eq!(bundle_ids(&bundle), expected, "the forced bundle");
        assert_eq!(
            mode(&out),
            0o600,
            "a bundle written over a 0644 file with --force must be private"
        );

        assert_stderr_names_nobody(&[&run, &refused, &forced]);
        db.cleanup().await;
    }

    /// A subject's own data that the platform encrypts at rest (`encrypted = […]`) reaches them
    /// decrypted with `keys.columns`, as export-tenant decrypts it; the database keeps the
    /// ciphertext. Without the key the export refuses rather than hand out ciphertext silently.
    async fn decrypts_the_subjects_encrypted_columns(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        let key = [7u8; 32];
        let cipher = privctl::bundle::columns::ColumnCipher::new(&key).unwrap();
        let note = cipher.encrypt("allergic to penicillin", [1; 12]);
        let other = cipher.encrypt("someone else's note", [2; 12]);
        db.execute(&format!(
            "CREATE TABLE clinics (id TEXT PRIMARY KEY);
             INSERT INTO clinics VALUES ('c1');
             CREATE TABLE patients (id INTEGER PRIMARY KEY, clinic_id TEXT NOT NULL REFERENCES clinics (id), email TEXT, note TEXT);
             INSERT INTO patients VALUES (1, 'c1', 'pat@example.com', '{note}'), (2, 'c1', 'other@example.com', '{other}');"
        ))
        .await;
        let map = db.dir().join("privctl.toml");
        std::fs::write(
            &map,
            "version = 1\n[tenant]\ntable = \"clinics\"\nid = \"id\"\n[identities]\nemail = { kind = \"email\" }\n\
             [tables.patients]\ntenant = \"clinic_id\"\nidentities = { email = \"email\" }\nencrypted = [\"note\"]\n\
             [keys]\ncolumns = \"env:CLINIC_COLUMN_KEY\"\n",
        )
        .unwrap();
        let privctl = Privctl::new(&db).map(&map);
        privctl.clone().arg("init").run().success();
        let out = db.dir().join("pat.json");
        let export = |privctl: Privctl| {
            privctl
                .args(["dsar", "export", "--tenant", "c1", "--email", "pat@example.com", "--force", "--out"])
                .arg(&out)
                .run()
        };
        export(privctl.clone().env("CLINIC_COLUMN_KEY", hex::encode(key))).success();
        let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let rows = bundle["tables"]["patients"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{bundle}");
        assert_eq!(rows[0]["note"], "allergic to penicillin", "{bundle}");
        assert_eq!(db.query_strings("SELECT note FROM patients WHERE id = 1").await, [note]);
        // The manifest says which columns were stored encrypted and that they were decrypted,
        // as a tenant export's does (one export loop writes both).
        let manifest = &bundle["manifest"];
        assert_eq!(manifest["encrypted_columns"]["patients"]["columns"], serde_json::json!(["note"]), "{manifest}");
        assert_eq!(manifest["encrypted_columns"]["patients"]["decrypted"], true, "{manifest}");
        assert_eq!(manifest["encrypted_bundle"], false, "{manifest}");

        let refused = export(privctl);
        refused.code(1);
        assert!(refused.stderr.contains("CLINIC_COLUMN_KEY"), "{refused}");
        db.cleanup().await;
    }

    /// `export = { password_hash = "omit" }`: a member's bundle holds their name and email but
    /// not their password hash, and the manifest says what was left out.
    async fn a_per_column_export_mode_leaves_out_only_that_column(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let out = db.dir().join("agent.json");
        privctl
            .clone()
            .args(["dsar", "export", "--tenant", "acme", "--email", "agent@acme.example", "--out"])
            .arg(&out)
            .run()
            .success();
        let bundle: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let member = &bundle["tables"]["members"][0];
        assert_eq!(member["email"], "agent@acme.example", "{bundle}");
        assert!(member["name"].is_string(), "{bundle}");
        assert!(member.get("password_hash").is_none(), "{bundle}");
        assert_eq!(
            bundle["manifest"]["redacted_columns"]["members"],
            serde_json::json!({"omit": ["password_hash"]})
        );
        let stored = db.query_strings("SELECT password_hash FROM members WHERE id = 3").await;
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains(&stored[0]), "the hash is in the bundle");

        // A per-column mode names a real column and a known mode.
        let typo = write_map_copy(&db, "typo.toml", "export = { password_hash = \"omit\" }", "export = { password_hash = \"hide\" }");
        let refused = privctl.clone().map(&typo).args(["dsar", "preview", "--tenant", "acme", "--email", "agent@acme.example"]).run();
        refused.code(1);
        assert!(refused.stderr.contains("tables.members.export.password_hash"), "{refused}");
        let missing = write_map_copy(&db, "missing.toml", "export = { password_hash = \"omit\" }", "export = { password = \"omit\" }");
        let refused = privctl.clone().map(&missing).args(["dsar", "preview", "--tenant", "acme", "--email", "agent@acme.example"]).run();
        refused.code(1);
        assert!(refused.stderr.contains("`members`.`password`"), "{refused}");
        db.cleanup().await;
    }

    /// `dsar export --encrypt` (SPEC section 1; issue 15 named it missing): the subject's bundle
    /// is written encrypted (no plaintext identifier in the file, mode 0600), the ledger says so,
    /// and `privctl decrypt` gives back the same bundle as the plain export.
    async fn an_encrypted_subject_export_decrypts_to_the_plain_one(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let key = db.dir().join("bundle.key");
        std::fs::write(&key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").unwrap();
        let plain = db.dir().join("jane.json");
        let sealed = db.dir().join("jane.json.enc");
        dsar(&privctl, "export", "acme", &JANE, &["--out", plain.to_str().unwrap()]).success();
        let summary = dsar(
            &privctl,
            "export",
            "acme",
            &JANE,
            &["--out", sealed.to_str().unwrap(), "--encrypt", "--key-file", key.to_str().unwrap()],
        );
        assert_eq!(summary.success().json()["encrypted"], true, "{summary}");
        let bytes = std::fs::read(&sealed).unwrap();
        for text in ["privctl-bundle/1", "jane.doe@example.com", "acme"] {
            assert!(!bytes.windows(text.len()).any(|w| w == text.as_bytes()), "{text} in the file");
        }
        assert_eq!(mode(&sealed), 0o600);
        let opened = db.dir().join("jane.decrypted.json");
        privctl
            .clone()
            .args(["decrypt", "--key-file", key.to_str().unwrap()])
            .arg(&sealed)
            .arg(&opened)
            .run()
            .success();
        let rows = |path: &std::path::Path| {
            let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            bundle["tables"].clone()
        };
        assert_eq!(rows(&opened), rows(&plain));
        let encrypted_entries = db
            .query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-export' AND details LIKE '%\"encrypted\":true%'")
            .await;
        assert_eq!(encrypted_entries, 1);
        db.cleanup().await;
    }
}
