//! `privctl map check` keeps a map from drifting (SPEC section 2, issue 6): it passes every
//! fixture's map and its draft, names problems (new tables, dropped columns, windows, conditions,
//! rows reaching two tenants, row-level security without its setting) and index warnings with
//! their fix, survives odd schemas, and with `--sample` warns of personal data the map does not
//! name without printing it. Both dialects unless a test says otherwise.

use serde_json::Value;

use super::{check, discover, has, problems};
use crate::support::fixture::{self, setup, write_map_copy};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

const LEDGER_KEY: &str = "map-check-tests-ledger-key-0123";

both_dialects! {
    /// The fixture's own map passes, with index warnings that name their fix; running the
    /// fix makes the warning go away.
    async fn passes_the_fixture_map_and_each_index_fix_works(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let output = check(&privctl, &fixture::map_path());
        output.success();
        let report = output.json();
        assert_eq!(report["problems"], serde_json::json!([]), "{output}");
        let warnings = report["warnings"].as_array().unwrap().clone();
        assert!(has(&warnings, "missing_index", "contacts", Some("email")), "{output}");
        assert!(has(&warnings, "missing_index", "contacts", Some("phone")), "{output}");
        for warning in &warnings {
            let fix = warning["fix"].as_str().expect("every index warning has a fix");
            assert!(fix.starts_with("CREATE INDEX"), "{fix}");
            db.execute(fix).await;
        }
        let after = check(&privctl, &fixture::map_path());
        after.success();
        assert_eq!(after.json()["warnings"], serde_json::json!([]), "{after}");
        db.cleanup().await;
    }

    /// A table added by a migration and not mapped fails the check, named; so does a column
    /// the map uses and the schema dropped.
    async fn fails_on_a_new_tenant_table_and_a_dropped_column(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        db.execute(
            "CREATE TABLE call_notes (id BIGINT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations (id), body TEXT)",
        )
        .await;
        let found = problems(&privctl, &fixture::map_path());
        assert!(has(&found, "unmapped_table", "call_notes", Some("org_id")), "{found:?}");
        assert_eq!(found.len(), 1, "{found:?}");

        // Every command refuses a map that lost a column, and check names it.
        db.execute("DROP TABLE call_notes").await;
        db.execute("DROP INDEX IF EXISTS idx_contacts_phone").await;
        db.execute("ALTER TABLE contacts DROP COLUMN phone").await;
        let found = problems(&privctl, &fixture::map_path());
        assert!(has(&found, "missing_column", "contacts", Some("phone")), "{found:?}");
        privctl
            .clone()
            .args(["dsar", "preview", "--tenant", "acme", "--email", "jane.doe@example.com"])
            .run()
            .code(1);
        db.cleanup().await;
    }

    /// A plan tier in use without a window, a misspelt category, an ignored table that holds a
    /// key into mapped data, and an invalid `when` condition are each a problem.
    async fn names_windows_ignored_keys_and_conditions(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let no_starter = write_map_copy(
            &db,
            "no-starter.toml",
            "conversation = { free = \"30d\", starter = \"30d\",",
            "conversation = { free = \"30d\",",
        );
        let found = problems(&privctl, &no_starter);
        assert!(has(&found, "plan_without_window", "organizations", Some("plan")), "{found:?}");
        assert!(found[0]["detail"].as_str().unwrap().contains("`starter`"), "{found:?}");

        let typo = write_map_copy(
            &db,
            "typo.toml",
            "category = \"trace\"",
            "category = \"traces\"",
        );
        let found = problems(&privctl, &typo);
        assert!(has(&found, "category_without_window", "agent_traces", None), "{found:?}");

        db.execute(
            "CREATE TABLE sync_log (id BIGINT PRIMARY KEY, contact_id BIGINT REFERENCES contacts (id))",
        )
        .await;
        let ignoring = write_map_copy(
            &db,
            "ignoring.toml",
            "[tables.schema_migrations]",
            "[tables.sync_log]\nignore = true\n\n[tables.schema_migrations]",
        );
        let found = problems(&privctl, &ignoring);
        assert!(has(&found, "ignored_references_mapped", "sync_log", Some("contact_id")), "{found:?}");

        db.execute("DROP TABLE sync_log").await;
        let condition = write_map_copy(
            &db,
            "condition.toml",
            "identities = { email = \"email\" }",
            "identities = { email = { column = \"email\", when = \"no_such_column = 1\" } }",
        );
        let found = problems(&privctl, &condition);
        assert!(has(&found, "invalid_condition", "members", Some("email")), "{found:?}");
        // privctl pastes a condition under its own aliases: a qualified column is refused.
        let qualified = write_map_copy(
            &db,
            "qualified.toml",
            "identities = { email = \"email\" }",
            "identities = { email = { column = \"email\", when = \"t.role = 'owner'\" } }",
        );
        let found = problems(&privctl, &qualified);
        assert!(has(&found, "invalid_condition", "members", Some("email")), "{found:?}");
        db.cleanup().await;
    }

    /// A map that does not parse is a problem too (exit 5), named with its key.
    async fn reports_an_invalid_map_as_a_problem(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let bad = write_map_copy(
            &db,
            "bad.toml",
            "[tables.members]\ntenant = \"org_id\"",
            "[tables.members]\ntenat = \"org_id\"",
        );
        let found = problems(&privctl, &bad);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["kind"], "invalid_map");
        assert!(found[0]["detail"].as_str().unwrap().contains("tenat"), "{found:?}");
        db.cleanup().await;
    }

}

/// Row-level security without `database.tenant_setting` is a problem (PostgreSQL only: SQLite
/// has none).
#[tokio::test]
async fn needs_the_tenant_setting_for_row_level_security() {
    let (db, privctl) = setup(Dialect::Postgres, LEDGER_KEY).await;
    db.execute("ALTER TABLE contacts ENABLE ROW LEVEL SECURITY")
        .await;
    let found = problems(&privctl, &fixture::map_path());
    assert!(
        has(&found, "row_security_without_setting", "contacts", None),
        "{found:?}"
    );
    let draft = discover(&privctl, &db.dir().join("draft.toml"));
    assert!(
        draft.contains("tenant_setting = \"app.current_tenant\""),
        "{draft}"
    );
    // With a policy, the draft names the setting the policy reads.
    db.execute(
        "CREATE POLICY by_org ON contacts USING (org_id = current_setting('platform.org', true))",
    )
    .await;
    let draft = discover(&privctl, &db.dir().join("policy.toml"));
    assert!(
        draft.contains("tenant_setting = \"platform.org\""),
        "{draft}"
    );
    db.cleanup().await;
}

/// Every platform fixture's map, and the draft `map discover` makes of its schema, pass
/// `map check` on every database it has a schema for.
#[tokio::test]
async fn every_fixture_passes_map_check() {
    let root = crate::support::fixture_path("");
    let mut fixtures: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/")
        .map(|e| e.expect("fixtures/").path())
        .filter(|p| p.join("privctl.toml").is_file())
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 2, "{fixtures:?}");
    let mut checked = Vec::new();
    for folder in fixtures {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            if !folder
                .join(format!("schema.{}.sql", dialect.name()))
                .is_file()
            {
                continue;
            }
            let db = TestDb::new(dialect).await;
            db.load_fixture(&name).await;
            let privctl = Privctl::new(&db);
            let output = check(&privctl, &folder.join("privctl.toml"));
            assert_eq!(output.code, 0, "{name} on {}: {output}", dialect.name());
            // The draft of the same schema passes as well: what the README's edits add is policy.
            let draft = db.dir().join("draft.toml");
            discover(&privctl, &draft);
            let output = check(&privctl, &draft);
            assert_eq!(
                output.code,
                0,
                "{name}'s draft on {}: {output}",
                dialect.name()
            );
            checked.push(format!("{name}/{}", dialect.name()));
            db.cleanup().await;
        }
    }
    assert!(
        checked.contains(&"crm-rls/postgres".to_owned()),
        "{checked:?}"
    );
}

both_dialects! {
    /// An identity inside a JSON column is matched on an expression too: without an index on
    /// it, check warns with the statement that adds one, and that statement clears the warning.
    async fn a_json_path_identity_without_its_index_is_warned_with_the_fix(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.load_fixture("chat-widget").await;
        let privctl = Privctl::new(&db);
        let map = crate::support::fixture_path("chat-widget").join("privctl.toml");
        assert_eq!(check(&privctl, &map).success().json()["warnings"], serde_json::json!([]));

        db.execute("DROP INDEX idx_visitors_captured_email").await;
        let output = check(&privctl, &map);
        let warnings = output.success().json()["warnings"].as_array().unwrap().clone();
        assert_eq!(warnings.len(), 1, "{output}");
        assert!(has(&warnings, "missing_index", "visitors", Some("captured_fields")), "{output}");
        let fix = warnings[0]["fix"].as_str().unwrap();
        assert!(fix.contains("email"), "{fix}");
        db.execute(fix).await;
        assert_eq!(check(&privctl, &map).success().json()["warnings"], serde_json::json!([]));
        db.cleanup().await;
    }
}

/// Odd schemas the tools must survive: a foreign key SQLite cannot resolve (the parent has no
/// primary key) does not crash discover; a phone identity kept as a number is a problem that
/// names it (PostgreSQL), not a crash of the check or of every DSAR.
#[tokio::test]
async fn odd_schemas_give_problems_not_crashes() {
    let db = TestDb::new(Dialect::Sqlite).await;
    db.execute(
        "CREATE TABLE orgs (name TEXT);
         CREATE TABLE users (id INTEGER PRIMARY KEY, org_id INTEGER REFERENCES orgs, email TEXT);",
    )
    .await;
    let privctl = Privctl::new(&db);
    discover(&privctl, &db.dir().join("draft.toml"));
    db.cleanup().await;

    let (db, privctl) = setup(Dialect::Postgres, LEDGER_KEY).await;
    db.execute("ALTER TABLE contacts ALTER COLUMN phone TYPE BIGINT USING NULL")
        .await;
    let found = problems(&privctl, &fixture::map_path());
    assert!(
        has(&found, "identity_type", "contacts", Some("phone")),
        "{found:?}"
    );
    db.cleanup().await;
}

both_dialects! {
    /// A row whose routes reach two tenants (an order of acme naming globex's contact) is a
    /// fault of the platform's data: `map check` names the table, the routes and the count.
    async fn a_row_that_reaches_two_tenants_is_reported(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        assert!(problems(&privctl, &fixture::map_path()).is_empty());
        db.execute(
            "UPDATE orders SET contact_id = (SELECT min(c.id) FROM contacts c WHERE c.org_id <> orders.org_id) \
             WHERE id = (SELECT min(id) FROM orders)",
        )
        .await;
        let found = problems(&privctl, &fixture::map_path());
        let cross: Vec<&Value> = found.iter().filter(|p| p["kind"] == "cross_tenant_row").collect();
        assert_eq!(cross.len(), 1, "{found:?}");
        assert_eq!(cross[0]["table"], "orders");
        let detail = cross[0]["detail"].as_str().unwrap();
        assert!(detail.starts_with("1 row(s)") && detail.contains("contact_id"), "{detail}");
        // delete-tenant will not guess whose the row is: neither tenant can be deleted.
        for tenant in db
            .query_strings("SELECT DISTINCT c.org_id FROM orders o JOIN contacts c ON c.id = o.contact_id WHERE c.org_id <> o.org_id UNION SELECT org_id FROM orders WHERE id = (SELECT min(id) FROM orders)")
            .await
        {
            let refused = privctl.clone().args(["delete-tenant", "--tenant", &tenant]).run();
            refused.code(1);
            assert!(
                refused.stderr.contains("also reach another tenant") && refused.stderr.contains("orders (1 rows"),
                "{tenant}: {}",
                refused.stderr
            );
        }
        db.cleanup().await;
    }
}

/// `(table, column, path, detail)` of each `unmapped_personal_data` warning of a `map check
/// --format json` report.
pub(crate) fn unmapped(report: &Value) -> Vec<(String, String, Option<String>, String)> {
    let mut found: Vec<_> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "unmapped_personal_data")
        .map(|w| {
            (
                w["table"].as_str().unwrap().to_owned(),
                w["column"].as_str().unwrap().to_owned(),
                w["path"].as_str().map(str::to_owned),
                w["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// No sampled value (the residue fixture's emails and phone numbers, in any case) in either
/// stream.
#[track_caller]
fn prints_no_sampled_value(output: &RunOutput) {
    let text = format!("{}\n{}", output.stdout, output.stderr).to_lowercase();
    for value in ["example.com", "acme.example", "1234567", "123-4567", "%40"] {
        assert!(!text.contains(value), "{value} printed: {output}");
    }
}

both_dialects! {
    /// Content discovery (issue 13, item 3) on fixtures/residue: `--sample` warns of exactly the
    /// columns and JSON paths whose values hold identifiers the map does not name (an email in a
    /// free-text note, one nested in an undeclared JSON column, a phone number in a ticket
    /// body, …), never of declared identities, never of ignored tables, and never prints a
    /// sampled value; declaring them (identities, or export = "omit") silences the warnings.
    async fn sample_warns_of_personal_data_the_map_does_not_name(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.load_fixture("residue").await;
        // A phone number as the whole value of a column the map does not declare.
        db.execute("INSERT INTO tickets (id, org_id, contact_id, body) VALUES (4, 'acme', 1, '+49 30 1234567')")
            .await;
        let map = crate::support::fixture_path("residue").join("privctl.toml");
        let privctl = Privctl::new(&db);

        // Without --sample, no content is read.
        let plain = check(&privctl, &map);
        plain.success();
        assert!(unmapped(&plain.json()).is_empty(), "{plain}");

        let output = privctl
            .clone()
            .map(&map)
            .args(["--format", "json", "map", "check", "--sample"])
            .run();
        output.success();
        prints_no_sampled_value(&output);
        let found = unmapped(&output.json());
        let places: Vec<(&str, &str, Option<&str>)> = found
            .iter()
            .map(|(t, c, p, _)| (t.as_str(), c.as_str(), p.as_deref()))
            .collect();
        assert_eq!(
            places,
            vec![
                ("contacts", "data", Some("$.cc[*]")),
                ("contacts", "data", Some("$.cc[*].to")),
                ("contacts", "note", None),
                ("jobs", "last_error", None),
                ("messages", "body", None),
                ("tickets", "body", None),
            ],
            "{output}"
        );
        let detail = |table: &str, column: &str| {
            found
                .iter()
                .find(|(t, c, _, _)| t == table && c == column)
                .map(|(_, _, _, d)| d.clone())
                .unwrap()
        };
        // contacts: rows 2 and 3 of 4 hold an email in the note.
        assert!(
            detail("contacts", "note").starts_with("50% of 4 sampled rows hold email addresses"),
            "{found:?}"
        );
        assert!(
            detail("contacts", "data").contains("email addresses (at $.cc[*]"),
            "{found:?}"
        );
        assert!(
            detail("tickets", "body").starts_with("25% of 4 sampled rows hold phone numbers"),
            "{found:?}"
        );

        // The same in the table form, at most 2 rows a table.
        let human = privctl
            .clone()
            .map(&map)
            .args(["map", "check", "--sample", "2"])
            .run();
        human.success();
        prints_no_sampled_value(&human);
        assert!(human.stdout.contains("unmapped_personal_data"), "{human}");
        assert!(human.stdout.contains("of 2 sampled rows"), "{human}");

        // Declared: the note and the JSON document as identities, the ticket body, the message
        // body and the job error omitted from exports. No warning remains.
        let text = std::fs::read_to_string(&map).unwrap();
        let declared = text
            .replacen(
                "identities = { email = \"email\", phone = \"phone\" }",
                "identities = { email = [\"email\", \"note\", { column = \"data\", json = \"any\" }], phone = \"phone\" }",
                1,
            )
            .replacen(
                "[tables.tickets]\n",
                "[tables.tickets]\nexport = { body = \"omit\" }\n",
                1,
            )
            .replacen(
                "[tables.messages]\n",
                "[tables.messages]\nexport = { body = \"omit\" }\n",
                1,
            )
            .replacen(
                "[tables.jobs]\n",
                "[tables.jobs]\nexport = { last_error = \"omit\" }\n",
                1,
            );
        assert_ne!(declared, text);
        let declared_map = db.dir().join("declared.toml");
        std::fs::write(&declared_map, declared).unwrap();
        let after = privctl
            .clone()
            .map(&declared_map)
            .args(["--format", "json", "map", "check", "--sample", "1000"])
            .run();
        after.success();
        prints_no_sampled_value(&after);
        assert_eq!(unmapped(&after.json()), vec![], "{after}");

        // PostgreSQL samples a table of at least 10 × N estimated rows with TABLESAMPLE
        // BERNOULLI: the statement runs, and reads at most N rows.
        if dialect == Dialect::Postgres {
            db.execute(
                "INSERT INTO tickets (id, org_id, contact_id, body) SELECT 100 + g, 'acme', 1, 'cannot log in' FROM generate_series(1, 40) g",
            )
            .await;
            db.execute("ANALYZE tickets").await;
            let sampled = privctl
                .clone()
                .map(&map)
                .args(["--format", "json", "map", "check", "--sample", "2"])
                .run();
            sampled.success();
            prints_no_sampled_value(&sampled);
            for (_, _, _, detail) in unmapped(&sampled.json()) {
                let rows: u64 = detail.split(" of ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
                assert!(rows <= 2, "{detail}");
            }
        }
        db.cleanup().await;
    }
}

/// Where each fixture holds personal data its map does not name, read from the seeds by hand
/// (table, column, JSON path): free-text bodies that quote an email, IP addresses of sign-ins and
/// consents (text, and PostgreSQL `inet`), an invoice's billing email, an actor column of emails,
/// and residue's planted note, JSON list and job error.
/// A place in a table: (table, column, JSON path).
type Place = (&'static str, &'static str, Option<&'static str>);

pub(crate) const PLANTED: &[(&str, &[Place])] = &[
    (
        "chat-widget",
        &[
            ("chat_messages", "body", None),
            ("technical_logs", "ip_address", None),
        ],
    ),
    (
        "conversational-ai",
        &[
            ("consent_records", "ip_address", None),
            ("invoices", "customer_email", None),
            ("messages", "body", None),
        ],
    ),
    (
        "crm-rls",
        &[
            ("audit_events", "ip_address", None),
            ("operators", "last_sign_in_ip", None),
        ],
    ),
    ("helpdesk-voice", &[]),
    (
        "residue",
        &[
            ("contacts", "data", Some("$.cc[*]")),
            ("contacts", "data", Some("$.cc[*].to")),
            ("contacts", "note", None),
            ("jobs", "last_error", None),
            ("messages", "body", None),
        ],
    ),
    ("shapes", &[("claims", "holder_email", None)]),
    (
        "voice-receptionist",
        &[
            ("audit_logs", "actor", None),
            ("audit_logs", "ip_address", None),
        ],
    ),
];

/// Every email, dotted quad and `+`-prefixed number the fixture's seed holds, lower-cased: values
/// no output may contain.
pub(crate) fn seeded_values(fixture: &str) -> Vec<String> {
    let seed = std::fs::read_to_string(crate::support::fixture_path(fixture).join("seed.sql"))
        .expect("the fixture's seed");
    let mut values: Vec<String> = seed
        .split(|c: char| !(c.is_ascii_alphanumeric() || "@.+_-%".contains(c)))
        .map(|t| t.trim_matches('.').to_lowercase())
        .filter(|t| {
            let email = t.contains('@') && t.rsplit('@').next().is_some_and(|d| d.contains('.'));
            let quad = t.split('.').count() == 4
                && t.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            let phone =
                t.starts_with('+') && t.len() >= 9 && t[1..].chars().all(|c| c.is_ascii_digit());
            email || quad || phone
        })
        .collect();
    values.sort();
    values.dedup();
    values
}

/// Adds each warning's proposed entry (`propose`) to the map's table identities, and its
/// declaration to `[identities]`, as an operator following the warnings would.
fn apply_proposals(map: &str, warnings: &[Value]) -> String {
    let mut map: toml::Table = toml::from_str(map).expect("the fixture's map is TOML");
    for warning in warnings
        .iter()
        .filter(|w| w["kind"] == "unmapped_personal_data")
    {
        let propose = &warning["propose"];
        let identity = propose["identity"].as_str().expect("a proposed identity");
        let entry: toml::Table =
            toml::from_str(&format!("v = {}", propose["entry"].as_str().unwrap())).unwrap();
        let entry = entry["v"].clone();
        if let Some(declare) = propose["declare"].as_str() {
            let declared: toml::Table = toml::from_str(declare).unwrap();
            let identities = map
                .entry("identities")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .unwrap();
            for (name, kind) in declared {
                identities.entry(name).or_insert(kind);
            }
        }
        let spec = map
            .get_mut("tables")
            .and_then(|t| t.get_mut(warning["table"].as_str().unwrap()))
            .and_then(toml::Value::as_table_mut)
            .unwrap();
        let identities = spec
            .entry("identities")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap();
        match identities.remove(identity) {
            None => {
                identities.insert(identity.to_owned(), entry);
            }
            Some(toml::Value::Array(mut list)) => {
                if !list.contains(&entry) {
                    list.push(entry);
                }
                identities.insert(identity.to_owned(), toml::Value::Array(list));
            }
            Some(one) if one == entry => {
                identities.insert(identity.to_owned(), one);
            }
            Some(one) => {
                identities.insert(identity.to_owned(), toml::Value::Array(vec![one, entry]));
            }
        }
    }
    toml::to_string(&map).expect("the map serialises")
}

both_dialects! {
    /// Content discovery on every fixture (issue 13): `map check --sample` warns of exactly the
    /// places written down in PLANTED, never prints a seeded value, and the entries its warnings
    /// propose, added to the map, pass map check and silence every warning.
    async fn sample_on_every_fixture_finds_the_planted_places(dialect: Dialect) {
        for (fixture, planted) in PLANTED {
            let folder = crate::support::fixture_path(fixture);
            if !folder.join(format!("schema.{}.sql", dialect.name())).exists() {
                continue;
            }
            let db = TestDb::new(dialect).await;
            db.load_fixture(fixture).await;
            let map = folder.join("privctl.toml");
            let privctl = Privctl::new(&db);
            let output = privctl
                .clone()
                .map(&map)
                .args(["--format", "json", "map", "check", "--sample"])
                .run();
            output.success();
            let text = format!("{}\n{}", output.stdout, output.stderr).to_lowercase();
            for value in seeded_values(fixture) {
                assert!(!text.contains(&value), "{fixture}: a sampled value was printed: {output}");
            }
            let report = output.json();
            let found: Vec<(String, String, Option<String>)> = unmapped(&report)
                .into_iter()
                .map(|(t, c, p, _)| (t, c, p))
                .collect();
            let expected: Vec<(String, String, Option<String>)> = planted
                .iter()
                .map(|(t, c, p)| ((*t).to_owned(), (*c).to_owned(), p.map(str::to_owned)))
                .collect();
            assert_eq!(found, expected, "{fixture} on {}: {output}", dialect.name());

            let applied = apply_proposals(
                &std::fs::read_to_string(&map).unwrap(),
                report["warnings"].as_array().unwrap(),
            );
            let applied_map = db.dir().join("applied.toml");
            std::fs::write(&applied_map, applied).unwrap();
            let after = privctl
                .clone()
                .map(&applied_map)
                .args(["--format", "json", "map", "check", "--sample"])
                .run();
            after.success();
            assert_eq!(unmapped(&after.json()), vec![], "{fixture}: {after}");
            db.cleanup().await;
        }
    }
}
