//! Residue scans (issue 13) on fixtures/residue: `dsar scan` finds a subject's identifiers by
//! content where the map is silent (a free-text note, a JSON column nobody declared, a ticket
//! body, a global job's error text, an ignored table with `scan = true`), in the forms people
//! write them; `dsar delete` ends with that scan and exits 6 naming the places. The expected
//! hits were written from seed.sql by hand (fixtures/residue/README.md).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::fixture::token_of;
use crate::support::{Dialect, Privctl, TestDb, both_dialects, fixture_path};

const NAME: &str = "residue";
const JANE: [&str; 4] = ["--email", " Jane@Example.COM ", "--phone", "030 1234567"];

async fn setup(dialect: Dialect) -> (TestDb, Privctl) {
    let db = TestDb::new(dialect).await;
    db.load_fixture(NAME).await;
    let privctl = Privctl::new(&db)
        .map(fixture_path(NAME).join("privctl.toml"))
        .env("PRIVCTL_LEDGER_KEY", "residue-ledger-key");
    privctl.clone().arg("init").run().success();
    (db, privctl)
}

/// `(table, column, key, selected, effect)` of each hit.
fn hits(report: &Value) -> BTreeSet<(String, String, String, bool, String)> {
    report["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits array: {report}"))
        .iter()
        .map(|h| {
            (
                h["table"].as_str().unwrap().to_owned(),
                h["column"].as_str().unwrap().to_owned(),
                h["key"].to_string(),
                h["selected"].as_bool().unwrap(),
                h["effect"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn hit(
    table: &str,
    column: &str,
    key: &str,
    selected: bool,
    effect: &str,
) -> (String, String, String, bool, String) {
    (
        table.into(),
        column.into(),
        key.into(),
        selected,
        effect.into(),
    )
}

/// No identifier and no stored value of the subject in any output.
#[track_caller]
fn assert_no_values(text: &str) {
    for value in [
        "jane@example.com",
        "Jane@Example",
        "JANE@",
        "jane%40",
        "1234567",
        "Bob forwarded",
        "login by",
    ] {
        assert!(!text.contains(value), "output shows {value:?}:\n{text}");
    }
}

both_dialects! {
    async fn finds_identifiers_where_the_map_is_silent(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let run = privctl
            .clone()
            .args(["--format", "json", "dsar", "scan", "--tenant", "acme"])
            .args(JANE)
            .run();
        let report = run.success().json();
        assert_no_values(&run.stdout);
        assert_no_values(&run.stderr);
        let expected: BTreeSet<_> = [
            hit("audit_archive", "entry", "[1]", false, "ignored"),
            hit("contacts", "data", "[2]", false, "delete"),
            hit("contacts", "email", "[1]", true, "delete"),
            hit("contacts", "note", "[2]", false, "delete"),
            hit("contacts", "phone", "[1]", true, "delete"),
            hit("invoices", "customer_email", "[1]", true, "retain"),
            hit("jobs", "last_error", "[2]", false, "delete"),
            hit("jobs", "payload", "[1]", true, "delete"),
            hit("messages", "body", "[1]", true, "anonymise"),
            hit("messages", "sender_email", "[1]", true, "anonymise"),
            hit("tickets", "body", "[2]", false, "delete"),
        ]
        .into_iter()
        .collect();
        assert_eq!(hits(&report), expected, "{report:#}");
        // Everything but the retained invoice is residue; globex's rows (contact 3, ticket 3,
        // invoice 3) are never reported; staff_notes is ignored without scan and never read.
        assert_eq!(report["residue"], 10, "{report:#}");
        assert_eq!(report["tenant"], "acme");
        let invoice = report["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["table"] == "invoices")
            .unwrap();
        assert_eq!(invoice["legal_basis"], "tax law: invoices kept 10 years");

        // The human table names places, never values.
        let table = privctl
            .clone()
            .args(["dsar", "scan", "--tenant", "acme"])
            .args(JANE)
            .run();
        table.success();
        assert_no_values(&table.stdout);
        assert!(table.stdout.contains("audit_archive"), "{}", table.stdout);
        assert!(table.stdout.contains("invoices (retain): tax law"), "{}", table.stdout);

        // Each run is in the ledger, counts only.
        let details = db
            .query_strings("SELECT details FROM privctl_ledger WHERE action = 'dsar-scan'")
            .await;
        assert_eq!(details.len(), 2, "{details:?}");
        let entry: Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(entry["scan"]["residue"], 10, "{entry}");
        assert_eq!(entry["scan"]["tables"]["contacts"]["hits"], 4, "{entry}");
        assert_no_values(&details.join("\n"));
        db.cleanup().await;
    }

    async fn each_form_of_an_identifier_is_found(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        // The phone alone, given in E.164: found as `+49 (30) 1234567`, `030 1234567` and
        // `+49-30-123-4567`.
        let report = privctl
            .clone()
            .args(["--format", "json", "dsar", "scan", "--tenant", "acme", "--phone", "+49301234567"])
            .run()
            .success()
            .json();
        let expected: BTreeSet<_> = [
            hit("contacts", "phone", "[1]", true, "delete"),
            hit("messages", "body", "[1]", false, "anonymise"),
            hit("tickets", "body", "[2]", false, "delete"),
        ]
        .into_iter()
        .collect();
        assert_eq!(hits(&report), expected, "{report:#}");
        // The email alone: any case and spacing, inside JSON, URL-encoded.
        let report = privctl
            .clone()
            .args(["--format", "json", "dsar", "scan", "--tenant", "acme", "--email", "jane@example.com"])
            .run()
            .success()
            .json();
        let places: BTreeSet<(String, String)> =
            hits(&report).into_iter().map(|h| (h.0, h.1)).collect();
        for place in [
            ("contacts", "email"),
            ("contacts", "note"),
            ("contacts", "data"),
            ("jobs", "payload"),
            ("jobs", "last_error"),
            ("messages", "body"),
        ] {
            assert!(
                places.contains(&(place.0.to_owned(), place.1.to_owned())),
                "{place:?} missing: {report:#}"
            );
        }
        db.cleanup().await;
    }

    async fn a_tenant_scoped_scan_never_reports_another_tenants_rows(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let globex = privctl
            .clone()
            .args(["--format", "json", "dsar", "scan", "--tenant", "globex"])
            .args(JANE)
            .run()
            .success()
            .json();
        let expected: BTreeSet<_> = [
            hit("contacts", "data", "[3]", true, "delete"),
            hit("contacts", "email", "[3]", true, "delete"),
            hit("contacts", "note", "[3]", true, "delete"),
            hit("invoices", "customer_email", "[3]", true, "retain"),
            hit("tickets", "body", "[3]", true, "delete"),
            // Global and scanned ignored tables are read in full from any tenant.
            hit("audit_archive", "entry", "[1]", false, "ignored"),
            hit("jobs", "last_error", "[2]", false, "delete"),
            hit("jobs", "payload", "[1]", true, "delete"),
        ]
        .into_iter()
        .collect();
        let found = hits(&globex);
        assert_eq!(found, expected, "{globex:#}");

        // Across tenants, both tenants' rows.
        let all = privctl
            .clone()
            .args(["--format", "json", "dsar", "scan", "--all-tenants"])
            .args(JANE)
            .run()
            .success()
            .json();
        let keys: BTreeSet<String> = hits(&all)
            .into_iter()
            .filter(|h| h.0 == "contacts")
            .map(|h| h.2)
            .collect();
        assert_eq!(keys, ["[1]", "[2]", "[3]"].map(String::from).into(), "{all:#}");
        db.cleanup().await;
    }

    async fn delete_exits_6_naming_the_residue_and_keeps_the_erasure(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let plan = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--tenant", "acme"])
            .args(JANE)
            .run()
            .success()
            .json();
        let run = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(JANE)
            .args(["--confirm", &token_of(&plan)])
            .run();
        run.code(6);
        assert_no_values(&run.stdout);
        assert_no_values(&run.stderr);
        for place in [
            "audit_archive.entry",
            "contacts.data",
            "contacts.note",
            "jobs.last_error",
            "tickets.body",
        ] {
            assert!(run.stderr.contains(place), "{place} not named: {run}");
        }
        // Retained with a legal basis, scrubbed or nulled: not residue.
        for place in ["invoices.", "messages.", "contacts.email", "contacts.phone"] {
            assert!(!run.stderr.contains(place), "{place} named: {run}");
        }
        let output = run.json();
        assert_eq!(output["executed"], true);
        assert_eq!(output["scan"]["residue"], 5, "{output:#}");
        let retained: Vec<&Value> = output["scan"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["effect"] == "retain")
            .collect();
        assert_eq!(retained.len(), 1, "{output:#}");
        assert_eq!(retained[0]["table"], "invoices");

        // The erasure stays committed and recorded, and the scan after it is recorded too.
        assert_eq!(db.query_i64("SELECT count(*) FROM contacts WHERE id = 1").await, 0);
        assert_eq!(db.query_i64("SELECT count(*) FROM jobs WHERE id = 1").await, 0);
        let actions = db
            .query_strings("SELECT action || ':' || outcome FROM privctl_ledger ORDER BY seq")
            .await;
        let tail: Vec<&str> = actions.iter().rev().take(2).rev().map(String::as_str).collect();
        assert_eq!(tail, ["dsar-delete:done", "dsar-scan:done"], "{actions:?}");
        let details = db
            .query_strings("SELECT details FROM privctl_ledger WHERE action = 'dsar-scan'")
            .await;
        let entry: Value = serde_json::from_str(&details[0]).unwrap();
        assert_eq!(entry["after"], "dsar-delete", "{entry}");
        assert_eq!(entry["scan"]["residue"], 5, "{entry}");
        assert_eq!(entry["scan"]["tables"]["invoices"]["residue"], 0, "{entry}");
        db.cleanup().await;
    }

    async fn delete_exits_0_when_only_retained_data_holds_the_subject(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let rita = ["--tenant", "acme", "--email", "rita@example.com"];
        let plan = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview"])
            .args(rita)
            .run()
            .success()
            .json();
        let run = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete"])
            .args(rita)
            .args(["--confirm", &token_of(&plan)])
            .run();
        let output = run.success().json();
        assert_eq!(output["scan"]["residue"], 0, "{output:#}");
        let found = hits(&output["scan"]);
        let expected: BTreeSet<_> =
            [hit("invoices", "customer_email", "[2]", true, "retain")].into_iter().collect();
        assert_eq!(found, expected, "{output:#}");
        db.cleanup().await;
    }

    async fn no_scan_skips_the_residue_scan(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let plan = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--tenant", "acme"])
            .args(JANE)
            .run()
            .success()
            .json();
        let output = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme", "--no-scan"])
            .args(JANE)
            .args(["--confirm", &token_of(&plan)])
            .run()
            .success()
            .json();
        assert_eq!(output["scan"], Value::Null, "{output:#}");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger WHERE action = 'dsar-scan'").await,
            0
        );
        db.cleanup().await;
    }
}

both_dialects! {
    /// Bytes are read as text: PostgreSQL's bytea (`encode(…, 'escape')`), SQLite's BLOB and
    /// untyped columns (`CAST(… AS text)`). An address stored as bytes is found too.
    async fn a_bytea_or_blob_column_is_scanned_as_text(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        match dialect {
            Dialect::Postgres => db.execute(
                "ALTER TABLE audit_archive ADD COLUMN raw bytea, ADD COLUMN untyped bytea; \
                 UPDATE audit_archive SET raw = convert_to('from  Jane@Example.COM ', 'UTF8') WHERE id = 2",
            ),
            Dialect::Sqlite => db.execute(
                "ALTER TABLE audit_archive ADD COLUMN raw BLOB; \
                 ALTER TABLE audit_archive ADD COLUMN untyped; \
                 UPDATE audit_archive SET raw = CAST('from  Jane@Example.COM ' AS BLOB) WHERE id = 2; \
                 UPDATE audit_archive SET untyped = 'cc: jane@example.com' WHERE id = 2",
            ),
        }
        .await;
        let report = privctl
            .clone()
            .args([
                "--format",
                "json",
                "dsar",
                "scan",
                "--tenant",
                "acme",
                "--email",
                "jane@example.com",
            ])
            .run()
            .success()
            .json();
        let found = hits(&report);
        assert!(found.contains(&hit("audit_archive", "raw", "[2]", false, "ignored")), "{report:#}");
        if dialect == Dialect::Sqlite {
            assert!(found.contains(&hit("audit_archive", "untyped", "[2]", false, "ignored")), "{report:#}");
        }
        db.cleanup().await;
    }
}

/// A tenant-scoped scan never reads another tenant's row (issue 13), proven by the database:
/// privctl connects as a role under a row-level-security policy that raises an error the moment
/// it is evaluated on a row of any tenant but acme. The policy sits on every table with a tenant
/// column (and the tenant table); PostgreSQL tests a leakproof `org_id = $1` before the policy's
/// function, so a statement scoped to the tenant never calls it on another tenant's row, while a
/// statement that reads a whole table does. The scan of acme succeeds and finds what the
/// superuser's scan finds; `--all-tenants`, which reads every row by design, trips the guard
/// (so the guard is live).
#[tokio::test]
async fn a_tenant_scoped_scan_reads_no_row_of_another_tenant_on_postgres() {
    let (db, privctl) = setup(Dialect::Postgres).await;
    let as_superuser = privctl
        .clone()
        .args(["--format", "json", "dsar", "scan", "--tenant", "acme"])
        .args(JANE)
        .run()
        .success()
        .json();
    db.execute(
        "CREATE FUNCTION acme_only(tenant text) RETURNS boolean LANGUAGE plpgsql AS $$
         BEGIN
             IF tenant IS DISTINCT FROM 'acme' THEN
                 RAISE EXCEPTION 'read a row of another tenant';
             END IF;
             RETURN true;
         END $$;",
    )
    .await;
    for (table, column) in [
        ("orgs", "id"),
        ("contacts", "org_id"),
        ("tickets", "org_id"),
        ("messages", "org_id"),
        ("invoices", "org_id"),
    ] {
        db.execute(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY acme_only ON {table} USING (acme_only({column}))"
        ))
        .await;
    }
    let tables = [
        "orgs",
        "contacts",
        "tickets",
        "messages",
        "invoices",
        "jobs",
        "audit_archive",
        "staff_notes",
    ];
    let url =
        crate::support::rls::application_role(&db, "residue_app", "residue-app-pw", &tables).await;
    let app = privctl.clone().env("DATABASE_URL", &url);
    let guarded = app
        .clone()
        .args(["--format", "json", "dsar", "scan", "--tenant", "acme"])
        .args(JANE)
        .run()
        .success()
        .json();
    assert_eq!(hits(&guarded), hits(&as_superuser), "{guarded:#}");
    assert!(!hits(&guarded).is_empty());
    let everywhere = app
        .clone()
        .args(["dsar", "scan", "--all-tenants"])
        .args(JANE)
        .run();
    everywhere.code(1);
    assert!(
        everywhere.stderr.contains("read a row of another tenant"),
        "{everywhere}"
    );
    db.cleanup().await;
}
