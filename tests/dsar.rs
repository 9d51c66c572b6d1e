//! `privctl dsar preview | export | delete` on the conversational-ai fixture: the selection is
//! exactly the subject's rows, exports round-trip, erasure removes what it should and nothing
//! else (not another subject's rows, not another tenant's), and the ledger records it all
//! without naming the subject. The expected ids come from fixtures/conversational-ai/README.md.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;

use serde_json::Value;

use crate::support::fixture::{
    assert_no_subject_orphans, plan_counts, setup, snapshot, tenant_condition, verify_ledger,
    write_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects, mode, sha256_hex};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "dsar-tests-ledger-key-0f3a9c";

/// Jane Doe in acme, by all three identifiers the README lists.
const JANE: [&str; 6] = [
    "--email",
    "jane.doe@example.com",
    "--phone",
    "+49301234567",
    "--identity",
    "external_id=cust-1001",
];

/// Text that names Jane: it must never reach the ledger or stderr.
const JANE_IDENTIFIERS: [&str; 3] = ["jane", "1234567", "example.com"];

type Ids = BTreeMap<String, Vec<i64>>;

/// `privctl --format json dsar <verb> --tenant <tenant> <subject…> <extra…>`.
fn dsar(
    privctl: &Privctl,
    verb: &str,
    tenant: &str,
    subject: &[&str],
    extra: &[&str],
) -> RunOutput {
    privctl
        .clone()
        .args(["--format", "json", "dsar", verb, "--tenant", tenant])
        .args(subject)
        .args(extra)
        .run()
}

/// Builds an id map from `(table, ids)` pairs.
fn ids(pairs: &[(&str, &[i64])]) -> Ids {
    pairs
        .iter()
        .map(|(table, ids)| ((*table).to_owned(), ids.to_vec()))
        .collect()
}

fn range(from: i64, to: i64) -> Vec<i64> {
    (from..=to).collect()
}

/// Jane's rows in acme with all three identifiers (README, "Jane's rows in acme").
fn jane_all() -> Ids {
    let mut expected = ids(&[
        ("contacts", &[1, 2, 3]),
        ("conversations", &[1, 2, 3]),
        ("attachments", &[1]),
        ("recordings", &[1]),
        ("transcripts", &[1]),
        ("agent_traces", &[1, 2, 3, 4]),
        ("orders", &[1, 2]),
        ("addresses", &[1, 2]),
        ("invoices", &[1, 2]),
        ("consent_records", &[1, 2, 3]),
    ]);
    expected.insert("messages".into(), range(1, 12));
    expected
}

/// Jane's rows in acme found by `--email` alone.
fn jane_email_only() -> Ids {
    let mut expected = ids(&[
        ("contacts", &[1]),
        ("conversations", &[1]),
        ("attachments", &[1]),
        ("agent_traces", &[1, 2]),
        ("orders", &[1, 2]),
        ("addresses", &[1, 2]),
        ("invoices", &[1, 2]),
        ("consent_records", &[1]),
    ]);
    expected.insert("messages".into(), range(1, 5));
    expected
}

/// Jane's rows in acme found by `--phone` alone.
fn jane_phone_only() -> Ids {
    let mut expected = ids(&[
        ("contacts", &[2, 3]),
        ("conversations", &[2, 3]),
        ("recordings", &[1]),
        ("transcripts", &[1]),
        ("agent_traces", &[3, 4]),
        ("consent_records", &[2, 3]),
    ]);
    expected.insert("messages".into(), range(6, 12));
    expected
}

/// Jane's rows in acme found by `--identity external_id=cust-1001` alone.
fn jane_external_id_only() -> Ids {
    ids(&[
        ("contacts", &[3]),
        ("conversations", &[3]),
        ("messages", &[10, 11, 12]),
        ("recordings", &[1]),
        ("transcripts", &[1]),
        ("agent_traces", &[4]),
        ("consent_records", &[3]),
    ])
}

/// The ids per table of a bundle, tables without rows left out, ids sorted.
fn bundle_ids(bundle: &Value) -> Ids {
    let tables = bundle["tables"]
        .as_object()
        .unwrap_or_else(|| panic!("the bundle has no `tables` object: {bundle}"));
    tables
        .iter()
        .filter_map(|(table, rows)| {
            let rows = rows
                .as_array()
                .unwrap_or_else(|| panic!("bundle table {table} is not an array: {rows}"));
            let mut ids: Vec<i64> = rows
                .iter()
                .map(|row| {
                    row["id"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("a {table} row has no integer id: {row}"))
                })
                .collect();
            ids.sort_unstable();
            (!ids.is_empty()).then(|| (table.clone(), ids))
        })
        .collect()
}

fn counts_of(ids: &Ids) -> BTreeMap<String, u64> {
    ids.iter()
        .map(|(table, ids)| (table.clone(), ids.len() as u64))
        .collect()
}

/// Exports the subject to a new file in the test's directory; returns stdout's JSON and the
/// bundle.
fn export(db: &TestDb, privctl: &Privctl, name: &str, subject: &[&str]) -> (Value, Value) {
    let out = db.dir().join(name);
    let output = dsar(
        privctl,
        "export",
        "acme",
        subject,
        &["--out", out.to_str().expect("a UTF-8 path")],
    );
    let summary = output.success().json();
    let bytes = std::fs::read(&out)
        .unwrap_or_else(|error| panic!("cannot read the bundle {}: {error}", out.display()));
    let bundle: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("the bundle {} is not JSON: {error}", out.display()));
    (summary, bundle)
}

/// The ids of acme's rows (acme's block is 1–99 in every table) of one table.
async fn acme_ids(db: &TestDb, table: &str) -> Vec<i64> {
    db.query_strings(&format!(
        "SELECT id FROM {table} WHERE id < 100 ORDER BY id"
    ))
    .await
    .iter()
    .map(|id| id.parse().expect("an integer id"))
    .collect()
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many of these rows of `table` exist.
async fn count_ids(db: &TestDb, table: &str, ids: &[i64]) -> i64 {
    db.query_i64(&format!(
        "SELECT count(*) FROM {table} WHERE id IN ({})",
        id_list(ids)
    ))
    .await
}

/// Every row of the ledger, all columns as text.
async fn ledger_rows(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT CAST(seq AS TEXT) || '|' || at || '|' || actor || '|' || host || '|' || action \
         || '|' || COALESCE(tenant, '') || '|' || COALESCE(subject_ref, '') || '|' \
         || COALESCE(resource, '') || '|' || outcome || '|' || details || '|' || alg || '|' \
         || prev_hash || '|' || hash FROM privctl_ledger ORDER BY seq",
    )
    .await
}

/// `action:outcome` of every ledger entry, in order.
async fn ledger_actions(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT action || ':' || outcome FROM privctl_ledger ORDER BY seq")
        .await
}

/// Fails when any of the outputs' stderr names Jane.
fn assert_stderr_names_nobody(outputs: &[&RunOutput]) {
    for output in outputs {
        let stderr = output.stderr.to_lowercase();
        for identifier in JANE_IDENTIFIERS {
            assert!(
                !stderr.contains(identifier),
                "stderr contains {identifier:?}: {output}"
            );
        }
    }
}

/// Runs preview and delete with the preview's token; returns both outputs.
fn preview_and_delete(privctl: &Privctl, subject: &[&str]) -> (RunOutput, RunOutput) {
    let preview = dsar(privctl, "preview", "acme", subject, &[]);
    let token = preview.success().json()["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in the preview: {preview}"))
        .to_owned();
    let delete = dsar(privctl, "delete", "acme", subject, &["--confirm", &token]);
    (preview, delete)
}

both_dialects! {
    /// All three identifiers select exactly Jane's acme rows: not John's, not the namesake
    /// contact 6 (a near miss on every identifier), not Jane's own rows in globex.
    async fn preview_finds_every_row_of_the_subject_and_nothing_else(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let plan = preview.success().json();
        assert_eq!(plan["action"], "dsar-delete", "{plan}");
        assert_eq!(plan["tenant"], "acme", "{plan}");
        assert!(
            plan["token"]
                .as_str()
                .is_some_and(|token| token.starts_with("pct_")),
            "no token in {plan}"
        );
        assert_eq!(plan["total_rows"], 34, "{plan}");
        let counts: BTreeMap<String, u64> = plan_counts(&plan)
            .into_iter()
            .map(|(table, (rows, _))| (table, rows))
            .collect();
        assert_eq!(counts, counts_of(&jane_all()), "preview row counts: {plan}");
        let addresses = plan["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|entry| entry["table"] == "addresses")
            .unwrap_or_else(|| panic!("no addresses in {plan}"));
        assert_eq!(
            addresses["shared"], 1,
            "address 2 is shared with John: {plan}"
        );

        let (_, bundle) = export(&db, &privctl, "subject.json", &JANE);
        let found = bundle_ids(&bundle);
        assert_eq!(found, jane_all(), "Jane's rows in acme");
        // Spelled out, for the failure message: the near misses stay out.
        assert!(!found["contacts"].contains(&4), "John selected");
        assert!(
            !found["contacts"].contains(&6),
            "the namesake contact 6 selected"
        );
        assert!(
            found.values().flatten().all(|id| *id < 100),
            "rows of another tenant selected: {found:?}"
        );
        for (table, rows) in bundle["tables"].as_object().expect("tables") {
            for row in rows.as_array().expect("rows") {
                if let Some(org) = row.get("org_id") {
                    assert_eq!(org, "acme", "a {table} row of another tenant: {row}");
                }
            }
        }

        // Email and phone only: external_id adds nothing the phone has not found.
        let (_, bundle) = export(
            &db,
            &privctl,
            "subject-email-phone.json",
            &["--email", "jane.doe@example.com", "--phone", "+49301234567"],
        );
        assert_eq!(bundle_ids(&bundle), jane_all(), "--email and --phone");

        db.cleanup().await;
    }

    /// Each identifier alone finds only the contacts it names and what hangs off them.
    async fn each_identifier_alone_finds_only_its_part_of_the_subject(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let cases: [(&str, [&str; 2], Ids); 3] = [
            (
                "email",
                ["--email", "jane.doe@example.com"],
                jane_email_only(),
            ),
            ("phone", ["--phone", "+49301234567"], jane_phone_only()),
            (
                "external_id",
                ["--identity", "external_id=cust-1001"],
                jane_external_id_only(),
            ),
        ];
        for (name, subject, expected) in cases {
            let plan = dsar(&privctl, "preview", "acme", &subject, &[])
                .success()
                .json();
            let counts: BTreeMap<String, u64> = plan_counts(&plan)
                .into_iter()
                .map(|(table, (rows, _))| (table, rows))
                .collect();
            assert_eq!(
                counts,
                counts_of(&expected),
                "preview by {name} only: {plan}"
            );
            let (_, bundle) = export(&db, &privctl, &format!("{name}.json"), &subject);
            assert_eq!(bundle_ids(&bundle), expected, "rows found by {name} only");
        }
        db.cleanup().await;
    }

    /// Emails are trimmed and lower-cased, phones normalised to E.164 (national numbers read
    /// as German): every spelling finds the same rows.
    async fn identifiers_are_normalised_before_matching(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;

        let (_, bundle) = export(
            &db,
            &privctl,
            "email-messy.json",
            &["--email", "  JANE.DOE@EXAMPLE.COM "],
        );
        assert_eq!(
            bundle_ids(&bundle),
            jane_email_only(),
            "--email '  JANE.DOE@EXAMPLE.COM '"
        );

        for (i, phone) in ["+49301234567", "+49 30 1234567", "030 1234567"]
            .into_iter()
            .enumerate()
        {
            let (_, bundle) = export(
                &db,
                &privctl,
                &format!("phone-{i}.json"),
                &["--phone", phone],
            );
            let found = bundle_ids(&bundle);
            assert_eq!(
                found.get("contacts"),
                Some(&vec![2, 3]),
                "--phone {phone:?} contacts"
            );
            assert_eq!(found, jane_phone_only(), "--phone {phone:?}");
        }
        db.cleanup().await;
    }

    /// The bundle holds exactly the selected rows, its manifest counts them, the digest on
    /// stdout is the file's, and the file is private and never silently overwritten.
    async fn export_round_trips_the_subjects_rows_into_a_private_file(dialect: Dialect) {
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

    /// After the delete, Jane's deleted rows are gone, retained and anonymised rows stay
    /// without her, the shared address and all of John's rows stay, blobs are queued, and no
    /// reference dangles.
    async fn delete_erases_the_subject_and_keeps_everything_else(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let amounts_before = db
            .query_strings("SELECT amount_cents FROM invoices WHERE id IN (1, 2) ORDER BY id")
            .await;

        let (_, delete) = preview_and_delete(&privctl, &JANE);
        let result = delete.success().json();
        assert_eq!(result["action"], "dsar-delete", "{result}");
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], 33, "{result}");
        assert_eq!(result["blobs_queued"], 2, "{result}");
        let expected_effects: BTreeMap<String, (u64, String)> = [
            ("contacts", 3, "delete"),
            ("conversations", 3, "delete"),
            ("messages", 12, "delete"),
            ("attachments", 1, "delete"),
            ("recordings", 1, "delete"),
            ("transcripts", 1, "delete"),
            ("agent_traces", 4, "delete"),
            ("orders", 2, "delete"),
            ("addresses", 1, "delete"),
            ("invoices", 2, "anonymise"),
            ("consent_records", 3, "retain"),
        ]
        .into_iter()
        .map(|(table, rows, effect)| (table.to_owned(), (rows, effect.to_owned())))
        .collect();
        assert_eq!(plan_counts(&result), expected_effects, "{result}");

        // Jane's deleted rows are gone.
        let mut deleted = jane_all();
        deleted.remove("invoices");
        deleted.remove("consent_records");
        deleted.insert("addresses".into(), vec![1]);
        for (table, ids) in &deleted {
            assert_eq!(
                count_ids(&db, table, ids).await,
                0,
                "{table} {ids:?} still exist"
            );
        }

        // Retained and anonymised rows stay, without Jane.
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM consent_records WHERE id IN (1, 2, 3) AND contact_id IS NULL"
            )
            .await,
            3,
            "consent records 1-3 kept with contact_id NULL"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE id IN (1, 2) AND customer_email IS NULL \
                 AND customer_name = '[redacted]' AND contact_id IS NULL"
            )
            .await,
            2,
            "invoices 1-2 anonymised"
        );
        assert_eq!(
            db.query_strings("SELECT amount_cents FROM invoices WHERE id IN (1, 2) ORDER BY id")
                .await,
            amounts_before,
            "invoice amounts kept"
        );

        // Exactly what the README says acme holds after a full erasure.
        let after: [(&str, Vec<i64>); 12] = [
            ("members", range(1, 4)),
            ("addresses", vec![2, 3]),
            ("contacts", range(4, 7)),
            ("conversations", range(4, 8)),
            ("messages", range(13, 24)),
            ("attachments", vec![2]),
            ("recordings", vec![]),
            ("transcripts", vec![]),
            ("agent_traces", range(5, 7)),
            ("orders", vec![3, 4]),
            ("invoices", range(1, 5)),
            ("consent_records", range(1, 6)),
        ];
        for (table, expected) in &after {
            assert_eq!(
                &acme_ids(&db, table).await,
                expected,
                "acme {table} after the erasure"
            );
        }
        assert_eq!(
            db.query_i64("SELECT count(*) FROM organizations WHERE id = 'acme'")
                .await,
            1
        );

        // John's rows are untouched.
        assert_eq!(
            db.query_strings("SELECT COALESCE(email, '') FROM contacts WHERE id = 4")
                .await,
            ["john.roe@example.com"]
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE id = 3 AND contact_id = 4 \
                 AND customer_email IS NOT NULL AND customer_name <> '[redacted]'"
            )
            .await,
            1,
            "John's invoice 3 untouched"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM consent_records WHERE id = 4 AND contact_id = 4")
                .await,
            1,
            "John's consent 4 untouched"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM contacts WHERE id = 4 AND address_id = 2")
                .await,
            1,
            "John keeps address 2"
        );

        // The two blobs are queued for deletion, nothing else.
        assert_eq!(
            db.query_strings(
                "SELECT store || ':' || object_key FROM privctl_blob_outbox \
                 ORDER BY store, object_key"
            )
            .await,
            [
                "attachments:acme/2026/10/att-1-parcel-damage.jpg",
                "recordings:acme/2026/06/rec-1.wav"
            ]
        );

        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }

    /// Jane also lives in globex (and the other tenants hold their own data): an acme DSAR
    /// leaves every row outside acme exactly as it was.
    async fn delete_in_one_tenant_leaves_every_other_tenant_untouched(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let globex_before = snapshot(&db, |table| tenant_condition(table, "=", "globex")).await;
        let globex_rows: usize = globex_before
            .iter()
            .filter(|(table, _)| table.as_str() != "schema_migrations")
            .map(|(_, rows)| rows.len())
            .sum();
        assert_eq!(
            globex_rows, 35,
            "globex's 34 rows and its tenant row: {globex_before:?}"
        );
        assert!(
            globex_before["contacts"]
                .iter()
                .any(|row| row.contains("jane.doe@example.com")),
            "globex holds Jane too"
        );
        let others_before = snapshot(&db, |table| tenant_condition(table, "<>", "acme")).await;

        let (preview, delete) = preview_and_delete(&privctl, &JANE);
        assert_eq!(delete.success().json()["remaining"], 0, "{delete}");

        let globex_after = snapshot(&db, |table| tenant_condition(table, "=", "globex")).await;
        for table in globex_before.keys() {
            assert_eq!(
                globex_after[table], globex_before[table],
                "globex {table} changed"
            );
        }
        let others_after = snapshot(&db, |table| tenant_condition(table, "<>", "acme")).await;
        for table in others_before.keys() {
            assert_eq!(
                others_after[table], others_before[table],
                "{table} outside acme changed"
            );
        }
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_blob_outbox \
                 WHERE tenant <> 'acme' OR object_key NOT LIKE 'acme/%'"
            )
            .await,
            0,
            "blobs of another tenant queued"
        );
        assert_stderr_names_nobody(&[&preview, &delete]);
        db.cleanup().await;
    }

    /// Preview, export and delete each append a ledger entry; the chain verifies, the entries
    /// name the subject only by one keyed hash, and no output on stderr names her.
    async fn ledger_records_each_step_without_naming_the_subject(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let out = db.dir().join("subject.json");

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let exported = dsar(
            &privctl,
            "export",
            "acme",
            &JANE,
            &["--out", out.to_str().expect("UTF-8")],
        );
        let sha256 = exported.success().json()["sha256"]
            .as_str()
            .expect("sha256")
            .to_owned();
        let delete = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        delete.success();

        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(
            verification.ok(),
            "the chain does not verify: {:?}",
            verification.problems
        );
        assert_eq!(verification.entries, 4);
        assert_eq!(
            ledger_actions(&db).await,
            [
                "dsar-preview:planned",
                "dsar-export:done",
                "dsar-delete:done",
                "dsar-scan:done" // the residue scan after the erasure
            ]
        );
        assert_eq!(
            db.query_strings("SELECT COALESCE(tenant, '') FROM privctl_ledger ORDER BY seq")
                .await,
            ["acme", "acme", "acme", "acme"]
        );
        let subject_refs = db
            .query_optional_strings("SELECT subject_ref FROM privctl_ledger ORDER BY seq")
            .await;
        let first = subject_refs[0]
            .clone()
            .expect("the preview has a subject_ref");
        assert!(
            first.len() == 64
                && first
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "subject_ref is not 64 lower-case hex: {first}"
        );
        assert!(
            subject_refs
                .iter()
                .all(|r| r.as_deref() == Some(first.as_str())),
            "{subject_refs:?}"
        );
        let details = db
            .query_strings("SELECT details FROM privctl_ledger ORDER BY seq")
            .await;
        assert!(
            details[1].contains(&sha256),
            "the export's entry has the file digest: {}",
            details[1]
        );
        let deletion: Value = serde_json::from_str(&details[2]).expect("details are JSON");
        assert_eq!(deletion["remaining"], 0, "the deletion's entry: {deletion}");

        for row in ledger_rows(&db).await {
            let lower = row.to_lowercase();
            for identifier in JANE_IDENTIFIERS {
                assert!(
                    !lower.contains(identifier),
                    "the ledger names the subject ({identifier}): {row}"
                );
            }
        }
        assert_stderr_names_nobody(&[&preview, &exported, &delete]);
        db.cleanup().await;
    }

    /// A deletion's `done` entry is written only with a committed deletion: a bad token, a
    /// deletion that fails half-way, and a replayed token change nothing and log no `done`;
    /// the failed run leaves the token usable, the finished one consumes it.
    async fn only_a_committed_delete_is_ledgered_as_done(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let acme = |table: &str| tenant_condition(table, "=", "acme");
        let before = snapshot(&db, acme).await;

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let done_entries =
            "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'";

        // An unknown token: rejected, nothing deleted.
        let bogus = dsar(
            &privctl,
            "delete",
            "acme",
            &JANE,
            &["--confirm", "pct_00000000000000000000000000000000"],
        );
        bogus.code(3);
        assert_eq!(
            snapshot(&db, acme).await,
            before,
            "a rejected token deleted something"
        );
        assert_eq!(db.query_i64(done_entries).await, 0);

        // A deletion that fails half-way (the database refuses to delete contacts, which go
        // after their children): rolled back whole, no `done` entry, no blob queued.
        match dialect {
            Dialect::Sqlite => {
                db.execute(
                    "CREATE TRIGGER refuse_contact_delete BEFORE DELETE ON contacts \
                 BEGIN SELECT RAISE(ABORT, 'contacts may not be deleted right now'); END;",
                )
                .await
            }
            Dialect::Postgres => {
                db.execute(
                    "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'contacts may not be deleted right now'; END $$; \
                 CREATE TRIGGER refuse_contact_delete BEFORE DELETE ON contacts \
                 FOR EACH ROW EXECUTE FUNCTION refuse_delete();",
                )
                .await
            }
        }
        let failed = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        failed.code(1);
        assert_eq!(
            snapshot(&db, acme).await,
            before,
            "a failed deletion left changes behind"
        );
        assert_eq!(
            db.query_i64(done_entries).await,
            0,
            "{:?}",
            ledger_actions(&db).await
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox")
                .await,
            0
        );
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER refuse_contact_delete",
            Dialect::Postgres => "DROP TRIGGER refuse_contact_delete ON contacts",
        })
        .await;

        // The same token still works: the failed run did not consume it.
        let deleted = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        assert_eq!(deleted.success().json()["remaining"], 0, "{deleted}");
        assert_eq!(db.query_i64(done_entries).await, 1);
        let after_delete = snapshot(&db, acme).await;
        assert_ne!(after_delete, before);

        // Replaying it is rejected, changes nothing and is ledgered as rejected.
        let entries = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        let replay = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        replay.code(3);
        assert_eq!(
            snapshot(&db, acme).await,
            after_delete,
            "a replayed token changed data"
        );
        assert_eq!(db.query_i64(done_entries).await, 1);
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger").await,
            entries + 1
        );
        assert_eq!(
            ledger_actions(&db).await.last().map(String::as_str),
            Some("dsar-delete:rejected")
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_blob_outbox")
                .await,
            2
        );

        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(
            verification.ok(),
            "the chain does not verify: {:?}",
            verification.problems
        );
        for row in ledger_rows(&db).await {
            let lower = row.to_lowercase();
            for identifier in JANE_IDENTIFIERS {
                assert!(
                    !lower.contains(identifier),
                    "the ledger names the subject ({identifier}): {row}"
                );
            }
        }
        assert_stderr_names_nobody(&[&preview, &bogus, &failed, &deleted, &replay]);
        db.cleanup().await;
    }

    /// `privctl init` can run again: it succeeds and keeps the ledger it already holds.
    async fn init_is_idempotent(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        dsar(&privctl, "preview", "acme", &JANE, &[]).success();
        let ledger = ledger_rows(&db).await;
        assert_eq!(ledger.len(), 1);

        privctl.clone().arg("init").run().success();
        privctl.clone().arg("init").run().success();

        assert_eq!(ledger_rows(&db).await, ledger, "init changed the ledger");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        assert_eq!(verification.entries, 1);
        // Still usable after a second init.
        dsar(&privctl, "preview", "acme", &JANE, &[]).success();
        assert_eq!(verify_ledger(&db, LEDGER_KEY).await.entries, 2);
        db.cleanup().await;
    }

    /// An operator is a subject too: their member row only, and the conversations assigned to
    /// them (a `follow = false` link) stay, unassigned.
    async fn member_subject_is_deleted_and_their_conversations_are_unassigned(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let member = ["--email", "agent@acme.example"];

        let preview = dsar(&privctl, "preview", "acme", &member, &[]);
        let plan = preview.success().json();
        assert_eq!(plan["total_rows"], 1, "{plan}");
        assert_eq!(
            plan_counts(&plan),
            BTreeMap::from([("members".to_owned(), (1, "delete".to_owned()))]),
            "{plan}"
        );
        let (_, bundle) = export(&db, &privctl, "agent.json", &member);
        assert_eq!(bundle_ids(&bundle), ids(&[("members", &[3])]));

        // Confirm with the whole preview JSON on stdin.
        let delete = privctl
            .clone()
            .stdin(preview.stdout.clone())
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(member)
            .args(["--confirm", "-"])
            .run();
        let result = delete.success().json();
        assert_eq!(result["executed"], true, "{result}");
        assert_eq!(result["remaining"], 0, "{result}");
        assert_eq!(result["total_rows"], 1, "{result}");

        assert_eq!(acme_ids(&db, "members").await, [1, 2, 4]);
        assert_eq!(acme_ids(&db, "conversations").await, range(1, 8));
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM conversations \
                 WHERE id IN (1, 3, 4, 7) AND assigned_member_id IS NULL"
            )
            .await,
            4,
            "conversations 1, 3, 4, 7 unassigned"
        );
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM conversations WHERE id = 5 AND assigned_member_id = 2"
            )
            .await,
            1,
            "conversation 5 stays with member 2"
        );
        assert_eq!(
            db.query_i64("SELECT count(*) FROM members WHERE email = 'agent@globex.example'")
                .await,
            1,
            "globex's agent untouched"
        );
        assert_eq!(acme_ids(&db, "messages").await, range(1, 24));
        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }
}

both_dialects! {
    /// A subject's own data that the platform encrypts at rest (`encrypted = […]`) reaches them
    /// decrypted with `keys.columns`, as export-tenant decrypts it; the database keeps the
    /// ciphertext. Without the key the export refuses rather than hand out ciphertext silently.
    async fn dsar_export_decrypts_the_subjects_encrypted_columns(dialect: Dialect) {
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

        let refused = export(privctl);
        refused.code(1);
        assert!(refused.stderr.contains("CLINIC_COLUMN_KEY"), "{refused}");
        db.cleanup().await;
    }
}

both_dialects! {
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

    /// An anonymised table's rows are checked by content after `dsar delete` erases: rows of
    /// the subject written while the erasure runs (here by a trigger, on the erasure's own
    /// deletes of her orders, into invoices, which this map lets a subject be found in by
    /// `customer_email`) still hold her email, so the erasure fails (exit 1) naming the table
    /// and the count, nothing is committed, the token stays usable, and no `done` is recorded.
    async fn rows_written_into_an_anonymised_table_during_the_erasure_fail_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = write_map_copy(
            &db,
            "invoices-by-email.toml",
            "[tables.invoices]\ntenant = \"org_id\"\n",
            "[tables.invoices]\ntenant = \"org_id\"\nidentities = { email = \"customer_email\" }\n",
        );
        let privctl = privctl.map(map);
        let acme = |table: &str| tenant_condition(table, "=", "acme");
        let token = dsar(&privctl, "delete", "acme", &JANE, &[]).success().json()["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let before = snapshot(&db, acme).await;
        let insert = "INSERT INTO invoices (id, org_id, contact_id, customer_email, \
                      customer_name, amount_cents, currency, issued_at) \
                      SELECT max(id) + 1, 'acme', NULL, 'Jane.Doe@example.com', 'Jane Doe', \
                      100, 'EUR', ";
        db.execute(&match dialect {
            Dialect::Sqlite => format!(
                "CREATE TRIGGER write_during_erasure AFTER DELETE ON orders BEGIN \
                 {insert} '2026-11-25T11:00:00Z' FROM invoices; END"
            ),
            Dialect::Postgres => format!(
                "CREATE FUNCTION write_invoice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 {insert} TIMESTAMPTZ '2026-11-25T11:00:00Z' FROM invoices; RETURN OLD; END $$; \
                 CREATE TRIGGER write_during_erasure AFTER DELETE ON orders \
                 FOR EACH ROW EXECUTE FUNCTION write_invoice()"
            ),
        })
        .await;

        let failed = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        failed.code(1);
        assert!(
            failed.stderr.contains("anonymised tables") && failed.stderr.contains("invoices (2 rows)"),
            "the table and the count are named: {failed}"
        );
        assert!(failed.stderr.contains("nothing was committed"), "{failed}");
        assert_eq!(snapshot(&db, acme).await, before, "nothing committed");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' \
                 AND outcome = 'done'"
            )
            .await,
            0
        );

        // Without the writes, the same token erases as planned.
        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER write_during_erasure",
            Dialect::Postgres => "DROP TRIGGER write_during_erasure ON orders",
        })
        .await;
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token])
            .success()
            .json();
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(
            db.query_i64(
                "SELECT count(*) FROM invoices WHERE org_id = 'acme' \
                 AND lower(customer_email) = 'jane.doe@example.com'"
            )
            .await,
            0
        );
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }
}

both_dialects! {
    /// Killed while deleting the erased rows' objects (issue 14, item 5): the erasure is
    /// committed and the token spent, one object remains queued. The same command deletes it and
    /// exits 0 (`already_done`), recorded as `objects-deleted`; with nothing left, the spent token
    /// is refused (exit 3).
    async fn killed_while_deleting_objects_the_same_delete_finishes_them(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let killed = dsar(
            &privctl.clone().env("PRIVCTL_TEST_FAULT", "kill-after-objects:1"),
            "delete",
            "acme",
            &JANE,
            &["--confirm", &token],
        );
        assert_ne!(killed.code, 0, "{killed}");
        const QUEUED: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL";
        assert_eq!(db.query_i64(QUEUED).await, 1, "one of two objects went before the kill");

        let again = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        again.success();
        let again = again.json();
        assert_eq!(again["already_done"], true, "{again}");
        assert_eq!(again["blobs"]["deleted"], 1, "{again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        let outcomes = db
            .query_strings("SELECT outcome FROM privctl_ledger WHERE action = 'dsar-delete' ORDER BY seq")
            .await;
        assert_eq!(outcomes.last().map(String::as_str), Some("objects-deleted"), "{outcomes:?}");
        dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]).code(3);
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A second run with the same token while the first still deletes its objects is not a
    /// resume of a killed run: it exits 75 and touches nothing; once the first is gone (killed
    /// here), the same command finishes what it left queued. Without the run's lock the second
    /// run took the first one's queued objects for a killed run's and both exited 0.
    async fn a_second_run_while_the_first_deletes_its_objects_is_locked_out(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let mut first = privctl
            .clone()
            .env("PRIVCTL_TEST_FAULT", "pause-after-objects:1")
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(JANE)
            .args(["--confirm", &token])
            .spawn();
        const QUEUED: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL";
        const DONE: &str = "SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NOT NULL";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while db.query_i64(DONE).await < 1 {
            assert!(!first.has_exited(), "the first run ended before pausing");
            assert!(std::time::Instant::now() < deadline, "no object deleted within 60 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        let second = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        second.code(75);
        assert!(second.stderr.contains("another run with this token"), "{second}");
        assert_eq!(db.query_i64(QUEUED).await, 1, "the second run deleted an object");
        assert!(!first.has_exited(), "the first run still works");

        first.signal("KILL");
        first.finish(std::time::Duration::from_secs(10));
        let again = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        again.success();
        assert_eq!(again.json()["already_done"], true, "{again}");
        assert_eq!(db.query_i64(QUEUED).await, 0);
        db.cleanup().await;
    }
}

both_dialects! {
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

both_dialects! {
    /// Killed with its erasure done but not committed (issue 14's kill tests, rows phase): nothing
    /// is erased, no ledger entry says done, the token is still good; the same command then
    /// erases exactly the plan.
    async fn killed_before_its_commit_a_delete_erases_nothing_and_runs_again(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db, |_| "1 = 1".to_owned()).await;
        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let token = preview.success().json()["token"].as_str().unwrap().to_owned();
        let killed = dsar(
            &privctl.clone().env("PRIVCTL_TEST_FAULT", "kill-before-commit"),
            "delete",
            "acme",
            &JANE,
            &["--confirm", &token],
        );
        assert_ne!(killed.code, 0, "{killed}");
        assert_eq!(snapshot(&db, |_| "1 = 1".to_owned()).await, before, "the killed run changed rows");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'").await,
            0
        );
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]).success().json();
        assert_eq!(done["remaining"], 0, "{done}");
        assert_eq!(done["total_rows"], 33, "{done}");
        assert_no_subject_orphans(&db).await;
        db.cleanup().await;
    }
}
