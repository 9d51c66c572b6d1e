//! `privctl dsar preview`: the selection is exactly the subject's rows (not another subject's,
//! not another tenant's), each identifier alone finds only its part of her, and every spelling of
//! an identifier finds the same rows; `dsar export` bundles exactly what the preview counts.

use std::collections::BTreeMap;

use super::{Ids, JANE, LEDGER_KEY, bundle_ids, dsar, export, ids, jane_all, range};
use crate::support::fixture::{plan_counts, setup};
use crate::support::{Dialect, both_dialects};

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

fn counts_of(ids: &Ids) -> BTreeMap<String, u64> {
    ids.iter()
        .map(|(table, ids)| (table.clone(), ids.len() as u64))
        .collect()
}

both_dialects! {
    /// All three identifiers select exactly Jane's acme rows: not John's, not the namesake
    /// contact 6 (a near miss on every identifier), not Jane's own rows in globex.
    async fn finds_every_row_of_the_subject_and_nothing_else(dialect: Dialect) {
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

    /// Issue 16: messages have no tenant column and are selected only through their selected
    /// conversation (by its key), which carries the tenant condition; so their statement does
    /// not scope them again with a subquery over every conversation of the tenant (148 ms a
    /// preview on SQLite with 100,000 of them). Contacts keep their own tenant condition, and
    /// every statement still carries the tenant.
    async fn rows_reached_through_a_scoped_parent_are_not_scoped_again(dialect: Dialect) {
        use privctl::selection::{Subject, SubjectSelection};
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = privctl::map::DataMap::load(&crate::support::fixture::map_path())
            .expect("the fixture's map");
        let connection = privctl::db::Db::connect(&db.url, false).await.expect("a connection");
        let schema = connection.schema().await.expect("the schema");
        let model = privctl::model::Model::build(&map, &schema, connection.dialect())
            .expect("the model");
        let subject = Subject::parse(&map, &[("email".into(), "jane.doe@example.com".into())]).expect("a subject");
        let selection = SubjectSelection::new(&model, Some("acme".into()), subject)
            .expect("a selection");
        let scoped_again = |table: &str| {
            let sql = selection.select_rows(table);
            assert!(
                sql.params()
                    .iter()
                    .any(|p| *p == privctl::db::Param::Text("acme".into())),
                "{table}: the tenant is bound: {}",
                sql.text()
            );
            // The tenant condition's own subqueries are on aliases s1, s2…
            sql.text().contains("FROM \"conversations\" \"s")
        };
        assert!(!scoped_again("messages"), "messages scoped again");
        let contacts = selection.select_rows("contacts");
        assert!(
            contacts.text().contains("\"org_id\""),
            "contacts keep their tenant column: {}",
            contacts.text()
        );
        connection.close().await;
        // The rows are the same as ever.
        let (_, bundle) = export(&db, &privctl, "jane.json", &["--email", "jane.doe@example.com"]);
        assert_eq!(bundle_ids(&bundle), jane_email_only());
        db.cleanup().await;
    }
}

/// Child tables of the many-table schema below: more than one statement's worth of tables on
/// PostgreSQL (50 a statement), whose plan reads several tables' keys per statement.
const MANY: usize = 120;

/// `orgs`, `contacts` and [`MANY`] tables of contacts' rows, each table with its own shape of
/// key: ids whose text order is not their order (2, 10, 100), a text key, a composite key, and
/// every seventh table without any of the subject's rows.
fn many_tables_schema() -> String {
    let mut sql = String::from(
        "CREATE TABLE orgs (id TEXT PRIMARY KEY);
         INSERT INTO orgs VALUES ('acme'), ('globex');
         CREATE TABLE contacts (id BIGINT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), email TEXT);
         INSERT INTO contacts VALUES (1, 'acme', 'jane@example.com'), (2, 'acme', 'bob@example.com'),
             (3, 'globex', 'jane@example.com'), (4, 'acme', ' JANE@example.com');\n",
    );
    for k in 0..MANY {
        let t = format!("rows_{k:03}");
        let jane = if k % 7 == 3 { 2 } else { 1 };
        match k % 3 {
            0 => sql.push_str(&format!(
                "CREATE TABLE {t} (id BIGINT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), contact_id BIGINT REFERENCES contacts (id));
                 INSERT INTO {t} VALUES (100, 'acme', {jane}), (10, 'acme', 4), (2, 'acme', {jane}), (5, 'acme', 2), (7, 'globex', 3);\n"
            )),
            1 => sql.push_str(&format!(
                "CREATE TABLE {t} (code TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), contact_id BIGINT REFERENCES contacts (id));
                 INSERT INTO {t} VALUES ('b-{k}', 'acme', {jane}), ('a-{k}', 'acme', 4), ('c-{k}', 'acme', 2), ('d-{k}', 'globex', 3);\n"
            )),
            _ => sql.push_str(&format!(
                "CREATE TABLE {t} (a BIGINT NOT NULL, b TEXT NOT NULL, org_id TEXT NOT NULL REFERENCES orgs (id), contact_id BIGINT REFERENCES contacts (id), PRIMARY KEY (a, b));
                 INSERT INTO {t} VALUES (10, 'x', 'acme', {jane}), (9, 'z', 'acme', 4), (10, 'w', 'acme', 4), (1, 'y', 'acme', 2), (3, 'y', 'globex', 3);\n"
            )),
        }
    }
    sql
}

both_dialects! {
    /// Issue 16: PostgreSQL reads several tables' selected keys per statement (a preview at
    /// 500 tables sent 500). Each table still gets exactly its own keys in key order: the plan's
    /// row counts and key digests are those of reading each table by itself, for tables of
    /// numeric, text and composite keys, tables without the subject's rows, and more tables
    /// than one statement reads.
    async fn each_table_gets_its_own_keys_however_many_tables_a_statement_reads(dialect: Dialect) {
        use privctl::selection::{Subject, SubjectSelection};
        let db = crate::support::TestDb::new(dialect).await;
        db.execute(&many_tables_schema()).await;
        let mut map = String::from(
            "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n[identities]\nemail = { kind = \"email\" }\n\
             [tables.contacts]\ntenant = \"org_id\"\nidentities = { email = \"email\" }\n",
        );
        for k in 0..MANY {
            map.push_str(&format!("[tables.rows_{k:03}]\ntenant = \"org_id\"\n"));
        }
        let map_path = db.dir().join("many.toml");
        std::fs::write(&map_path, map).expect("cannot write the map");
        let map = privctl::map::DataMap::load(&map_path).expect("the map");
        let connection = privctl::db::Db::connect(&db.url, false).await.expect("a connection");
        let schema = connection.schema().await.expect("the schema");
        let model = privctl::model::Model::build(&map, &schema, connection.dialect()).expect("the model");
        let subject = Subject::parse(&map, &[("email".into(), "jane@example.com".into())]).expect("a subject");
        let selection = SubjectSelection::new(&model, Some("acme".into()), subject).expect("a selection");
        assert_eq!(selection.tables().len(), MANY + 1);
        let mut tx = connection.begin(privctl::db::TxMode::Snapshot).await.expect("a transaction");
        let plan = privctl::plan::plan_subject(&mut tx, &selection, &schema).await.expect("the plan");
        for name in selection.tables() {
            let keys = tx.fetch_column(&selection.select_keys(name)).await.expect("the table's keys");
            let mut lines = String::new();
            for key in &keys {
                lines.push_str(key.as_deref().unwrap_or("null"));
                lines.push('\n');
            }
            let table = plan.table(name).expect("the table in the plan");
            assert_eq!(table.rows, keys.len() as u64, "{name}");
            assert_eq!(table.keys_digest, privctl::ledger::sha256_hex(lines.as_bytes()), "{name}: {keys:?}");
        }
        // Jane's contacts (1, and 4 as stored with spaces and capitals), and in each table the
        // rows of those contacts: two, or one where her contact 1 is replaced by Bob's.
        assert_eq!(plan.table("contacts").expect("contacts").rows, 2);
        for k in 0..MANY {
            let rows = plan.table(&format!("rows_{k:03}")).expect("the table").rows;
            let expected = match (k % 3, k % 7 == 3) {
                (0, false) => 3,
                (0, true) => 1,
                (1, false) => 2,
                (1, true) => 1,
                (_, false) => 3,
                (_, true) => 2,
            };
            assert_eq!(rows, expected, "rows_{k:03}");
        }
        tx.rollback().await.expect("rollback");
        connection.close().await;
        db.cleanup().await;
    }
}
