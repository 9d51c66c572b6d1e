//! `map discover` on schemas shaped like real SaaS platforms (issue 12, cause 9): camelCase and
//! British tenant columns, rows owned through a 1:1 key, key–value attributes, JSON payloads and
//! platform-wide job tables. Each test asserts on the draft's text and that a DSAR with the draft
//! as it is finds the subject. And on the fixtures: the draft is stable, passes `map check`, plus
//! the README's edits is the fixture's map, and is the same on both databases; hostile names are
//! only ever names.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{check, discover, problems};
use crate::support::fixture::setup;
use crate::support::{Dialect, Privctl, TestDb, both_dialects};

const LEDGER_KEY: &str = "discover-tests-ledger-key-012345";
const JANE: &str = "jane@example.com";

/// A fresh database with `sql` run in it (`JSONDOC` is JSONB on PostgreSQL, JSON on SQLite),
/// privctl's tables, and the draft `map discover` writes for it.
async fn drafted(dialect: Dialect, sql: &str) -> (TestDb, Privctl, PathBuf, String) {
    let db = TestDb::new(dialect).await;
    let json = match dialect {
        Dialect::Postgres => "JSONB",
        Dialect::Sqlite => "JSON",
    };
    db.execute(&sql.replace("JSONDOC", json)).await;
    let privctl = Privctl::new(&db).env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
    privctl.clone().arg("init").run().success();
    let out = db.dir().join("draft.toml");
    privctl
        .clone()
        .args(["map", "discover", "--out"])
        .arg(&out)
        .run()
        .success();
    let draft = std::fs::read_to_string(&out).expect("the draft was written");
    // Deterministic: the same schema gives the same bytes.
    let again = privctl
        .clone()
        .args(["map", "discover"])
        .run()
        .success()
        .stdout
        .clone();
    assert_eq!(again, draft, "the same schema gives the same draft");
    (db, privctl, out, draft)
}

/// The lines of `draft`'s `[tables.<table>]` (or `[tenant]`) section, up to the next one.
fn section<'a>(draft: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = draft.lines().skip_while(|l| *l != header);
    let Some(first) = lines.next() else {
        panic!("the draft has no {header}:\n{draft}");
    };
    std::iter::once(first)
        .chain(lines.take_while(|l| !l.starts_with('[')))
        .filter(|l| !l.is_empty())
        .collect()
}

/// `line` is in the section, right under a `# guess:` comment (or carries one itself).
#[track_caller]
fn guessed(draft: &str, header: &str, line: &str) {
    let lines = section(draft, header);
    let at = lines
        .iter()
        .position(|l| *l == line || l.starts_with(&format!("{line}  # guess:")))
        .unwrap_or_else(|| panic!("{header} has no line {line:?}:\n{}", lines.join("\n")));
    assert!(
        lines[at].contains("# guess:") || lines[at - 1].starts_with("# guess:"),
        "{line:?} is not marked as a guess:\n{}",
        lines.join("\n")
    );
}

/// `map check` passes the draft.
#[track_caller]
fn passes_check(privctl: &Privctl, map: &Path) {
    let output = check(privctl, map);
    assert_eq!(output.code, 0, "{output}");
}

/// `dsar preview` of Jane with the draft: rows per table (tables with none left out).
#[track_caller]
fn preview(privctl: &Privctl, map: &Path, tenant: &str) -> Vec<(String, i64)> {
    let plan = privctl
        .clone()
        .map(map)
        .args([
            "--format", "json", "dsar", "preview", "--tenant", tenant, "--email", JANE,
        ])
        .run()
        .success()
        .json();
    let mut rows: Vec<(String, i64)> = plan["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter(|t| t["rows"].as_i64() != Some(0))
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn rows(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = expected
        .iter()
        .map(|(t, n)| ((*t).to_owned(), *n))
        .collect();
    rows.sort();
    rows
}

/// Prisma-style names: PascalCase tables, camelCase columns. More tables hold `projectId` than
/// `organizationId`, but every project is under an organization, so the organization is the
/// tenant.
const CAMEL_CASE: &str = r#"
CREATE TABLE "Organization" (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE "Project" (
    id TEXT PRIMARY KEY,
    "organizationId" TEXT NOT NULL REFERENCES "Organization" (id),
    name TEXT NOT NULL
);
CREATE TABLE "Membership" (
    id TEXT PRIMARY KEY,
    "organizationId" TEXT NOT NULL REFERENCES "Organization" (id),
    email TEXT NOT NULL
);
CREATE TABLE "Contact" (
    id TEXT PRIMARY KEY,
    "projectId" TEXT NOT NULL REFERENCES "Project" (id),
    email TEXT
);
CREATE TABLE "Survey" (id TEXT PRIMARY KEY, "projectId" TEXT NOT NULL REFERENCES "Project" (id), title TEXT);
CREATE TABLE "Webhook" (id TEXT PRIMARY KEY, "projectId" TEXT NOT NULL REFERENCES "Project" (id), url TEXT);
CREATE TABLE "Response" (
    id TEXT PRIMARY KEY,
    "surveyId" TEXT NOT NULL REFERENCES "Survey" (id),
    "contactId" TEXT NULL REFERENCES "Contact" (id),
    "createdAt" TEXT
);
INSERT INTO "Organization" VALUES ('o1', 'Acme'), ('o2', 'Globex');
INSERT INTO "Project" VALUES ('p1', 'o1', 'web'), ('p2', 'o2', 'web');
INSERT INTO "Membership" VALUES ('m1', 'o1', 'jane@example.com'), ('m2', 'o2', 'jane@example.com');
INSERT INTO "Contact" VALUES ('c1', 'p1', 'Jane@Example.com'), ('c2', 'p1', 'joe@example.com'), ('c3', 'p2', 'jane@example.com');
INSERT INTO "Survey" VALUES ('s1', 'p1', 'NPS'), ('s2', 'p2', 'NPS');
INSERT INTO "Response" VALUES ('r1', 's1', 'c1', NULL), ('r2', 's1', 'c1', NULL), ('r3', 's1', 'c2', NULL), ('r4', 's2', 'c3', NULL);
"#;

/// British spelling, snake_case, a `team_id` under the organisation, and a 1:1 key from the
/// tenant row and from an envelope to rows nothing else references.
const OWNED: &str = r#"
CREATE TABLE claims (id INTEGER PRIMARY KEY, plan_name TEXT NOT NULL, billing_email TEXT);
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    claim_id INTEGER NOT NULL UNIQUE REFERENCES claims (id)
);
CREATE TABLE teams (id INTEGER PRIMARY KEY, organisation_id INTEGER NOT NULL REFERENCES organisations (id), name TEXT);
CREATE TABLE document_meta (id INTEGER PRIMARY KEY, subject TEXT, message TEXT, redirect_url TEXT);
CREATE TABLE envelopes (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    document_meta_id INTEGER NOT NULL UNIQUE REFERENCES document_meta (id),
    title TEXT
);
CREATE TABLE recipients (
    id INTEGER PRIMARY KEY,
    envelope_id INTEGER NOT NULL REFERENCES envelopes (id),
    email TEXT NOT NULL
);
INSERT INTO claims VALUES (1, 'teams', 'billing@acme.example'), (2, 'free', NULL);
INSERT INTO organisations VALUES (1, 'Acme', 1), (2, 'Globex', 2);
INSERT INTO teams VALUES (10, 1, 'sales'), (20, 2, 'ops');
INSERT INTO document_meta VALUES (100, 'Your contract', 'Dear Jane', NULL), (101, 'NDA', 'Dear Joe', NULL), (200, 'Offer', 'Dear Jane', NULL);
INSERT INTO envelopes VALUES (1000, 10, 100, 'contract'), (1001, 10, 101, 'nda'), (2000, 20, 200, 'offer');
INSERT INTO recipients VALUES (1, 1000, 'jane@example.com'), (2, 1001, 'joe@example.com'), (3, 2000, 'jane@example.com');
"#;

/// Key–value attributes: one table names the key itself, one through a table of keys.
const ATTRIBUTES: &str = r#"
CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE contacts (id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces (id), created_at TEXT);
CREATE TABLE contact_attribute_keys (
    id INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL
);
CREATE TABLE contact_attributes (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    attribute_key_id INTEGER NOT NULL REFERENCES contact_attribute_keys (id),
    value TEXT NOT NULL
);
CREATE TABLE leads (id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces (id));
CREATE TABLE lead_fields (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id),
    name TEXT NOT NULL,
    value TEXT
);
INSERT INTO workspaces VALUES ('w1', 'Acme'), ('w2', 'Globex');
INSERT INTO contacts VALUES (1, 'w1', NULL), (2, 'w1', NULL), (3, 'w2', NULL);
INSERT INTO contact_attribute_keys VALUES (1, 'w1', 'email'), (2, 'w1', 'firstName'), (3, 'w2', 'email');
INSERT INTO contact_attributes VALUES
    (1, 1, 1, 'jane@example.com'), (2, 1, 2, 'Jane'),
    (3, 2, 1, 'joe@example.com'), (4, 2, 2, 'Joe'),
    (5, 3, 3, 'jane@example.com');
INSERT INTO leads VALUES (1, 'w1'), (2, 'w1');
INSERT INTO lead_fields VALUES (1, 1, 'email', 'jane@example.com'), (2, 1, 'company', 'Acme'), (3, 2, 'email', 'joe@example.com');
"#;

/// JSON documents named like payloads: a JSON column, and JSON kept in a text column.
const JSON_PAYLOAD: &str = r#"
CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE form_submissions (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    payload JSONDOC NOT NULL,
    created_at TEXT
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    metadata TEXT,
    body TEXT
);
INSERT INTO accounts VALUES ('a1', 'Acme'), ('a2', 'Globex');
INSERT INTO form_submissions VALUES
    (1, 'a1', '{"contact": {"email": "Jane@Example.com"}}', NULL),
    (2, 'a1', '[{"q": "your email?", "a": "jane@example.com"}]', NULL),
    (3, 'a1', '{"email": "joe@example.com"}', NULL),
    (4, 'a2', '{"email": "jane@example.com"}', NULL);
INSERT INTO events VALUES
    (1, 'a1', '{"user": "jane@example.com"}', 'signed up'),
    (2, 'a1', '{"user": "joe@example.com"}', 'jane@example.com wrote');
"#;

/// Platform-wide tables with no tenant: a job queue and rate-limit keys.
const GLOBAL: &str = r#"
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id), email TEXT NOT NULL);
CREATE TABLE background_jobs (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, payload JSONDOC NOT NULL, created_at TEXT);
CREATE TABLE rate_limits (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, reset_at TEXT);
CREATE TABLE feature_flags (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL);
INSERT INTO tenants VALUES ('t1', 'Acme'), ('t2', 'Globex');
INSERT INTO users VALUES (1, 't1', 'jane@example.com'), (2, 't2', 'joe@example.com');
INSERT INTO background_jobs VALUES
    (1, 'mail', '{"to": "jane@example.com", "template": "welcome"}', NULL),
    (2, 'mail', '{"to": "joe@example.com", "template": "welcome"}', NULL);
INSERT INTO rate_limits VALUES ('login:jane@example.com', 3, NULL), ('login:joe@example.com', 1, NULL);
INSERT INTO feature_flags VALUES ('beta', 1);
"#;

both_dialects! {
    /// `organizationId` on a PascalCase "Organization" table is the tenant, though more tables
    /// hold `projectId`; a DSAR with the draft as it is finds Jane in one organization only.
    async fn camel_case_tenant_columns_are_found_and_the_topmost_table_is_the_tenant(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, CAMEL_CASE).await;
        guessed(&draft, "[tenant]", "table = \"Organization\"");
        let tenant = section(&draft, "[tenant]").join("\n");
        assert!(tenant.contains("more tables reach it than `Project`"), "{tenant}");
        assert!(section(&draft, "[tables.Membership]").contains(&"tenant = \"organizationId\""), "{draft}");
        assert!(section(&draft, "[tables.Project]").contains(&"tenant = \"organizationId\""), "{draft}");
        assert!(!draft.contains("tenant = \"projectId\""), "{draft}");
        assert!(section(&draft, "[tables.Contact]").iter().any(|l| l.starts_with("# no tenant column") && l.contains("projectId → Project")), "{draft}");

        passes_check(&privctl, &map);
        assert_eq!(
            preview(&privctl, &map, "o1"),
            rows(&[("Contact", 1), ("Membership", 1), ("Response", 2)])
        );
        assert_eq!(
            preview(&privctl, &map, "o2"),
            rows(&[("Contact", 1), ("Membership", 1), ("Response", 1)])
        );
        db.cleanup().await;
    }

    /// A 1:1 key to rows nothing else references is an owned link, under `[tenant]` when the
    /// tenant row owns them; `organisation_id` (British) is the tenant column, over `team_id`.
    async fn one_to_one_keys_to_unshared_rows_are_owned(dialect: Dialect) {
        let (db, _privctl, _map, draft) = drafted(dialect, OWNED).await;
        guessed(&draft, "[tenant]", "table = \"organisations\"");
        guessed(
            &draft,
            "[tenant]",
            "links = [{ column = \"claim_id\", references = \"claims\", owned = true }]",
        );
        guessed(
            &draft,
            "[tables.envelopes]",
            "links = [{ column = \"document_meta_id\", references = \"document_meta\", owned = true }]",
        );
        assert!(section(&draft, "[tables.teams]").contains(&"tenant = \"organisation_id\""), "{draft}");
        // The owned tables are mapped: they go with their owner's tenant, never ignored.
        for owned in ["[tables.claims]", "[tables.document_meta]"] {
            let lines = section(&draft, owned);
            assert!(lines.contains(&"erase = \"delete\""), "{}", lines.join("\n"));
            assert!(lines.iter().any(|l| l.contains("owned through")), "{}", lines.join("\n"));
        }
        // recipients.envelope_id is not unique, and envelopes are referenced by recipients:
        // no other link is proposed as owned.
        assert_eq!(draft.matches("owned = true }").count(), 2, "{draft}");
        let _: toml::Table = toml::from_str(&draft).expect("the draft is TOML");
        db.cleanup().await;
    }

    /// Key–value attribute rows identify their contact (or lead): `identifies` names the link,
    /// the key is matched in the row itself or through the table of keys.
    async fn attribute_tables_get_identifies(dialect: Dialect) {
        let (db, _privctl, _map, draft) = drafted(dialect, ATTRIBUTES).await;
        let attributes = section(&draft, "[tables.contact_attributes]");
        let identities = attributes
            .iter()
            .find(|l| l.starts_with("identities = "))
            .unwrap_or_else(|| panic!("{}", attributes.join("\n")));
        assert!(
            identities.starts_with(
                "identities = { email = { column = \"value\", when = \"attribute_key_id IN (SELECT id FROM contact_attribute_keys WHERE key = 'email')\", identifies = \"contact_id\" }"
            ),
            "{identities}"
        );
        assert!(identities.contains("# guess:"), "{identities}");
        assert!(
            attributes.iter().any(|l| l.starts_with("# guess:") && l.contains("key table `contact_attribute_keys`")),
            "{}",
            attributes.join("\n")
        );
        let fields = section(&draft, "[tables.lead_fields]").join("\n");
        assert!(
            fields.contains(
                "email = { column = \"value\", when = \"name = 'email'\", identifies = \"lead_id\" }"
            ),
            "{fields}"
        );
        // Neither the key table nor the entity is taken for an attribute table.
        assert!(!section(&draft, "[tables.contact_attribute_keys]").join("\n").contains("identifies"), "{draft}");
        let _: toml::Table = toml::from_str(&draft).expect("the draft is TOML");
        db.cleanup().await;
    }

    /// A JSON column named like a payload, and JSON in a text column named `metadata`, are
    /// email identities (`json = "any"`); a text `body` is prose and is not. A DSAR with the
    /// draft as it is finds Jane's documents in her tenant.
    async fn json_payload_columns_are_identities(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, JSON_PAYLOAD).await;
        guessed(
            &draft,
            "[tables.form_submissions]",
            "identities = { email = { column = \"payload\", json = \"any\" } }",
        );
        guessed(
            &draft,
            "[tables.events]",
            "identities = { email = { column = \"metadata\", json = \"any\" } }",
        );
        assert!(!draft.contains("column = \"body\""), "{draft}");

        passes_check(&privctl, &map);
        assert_eq!(
            preview(&privctl, &map, "a1"),
            rows(&[("events", 1), ("form_submissions", 2)])
        );
        assert_eq!(preview(&privctl, &map, "a2"), rows(&[("form_submissions", 1)]));
        db.cleanup().await;
    }

    /// A job queue and rate-limit keys with no tenant but identifiers are `scope = "global"`;
    /// a table with neither stays ignored.
    async fn tenantless_tables_with_identifiers_are_global(dialect: Dialect) {
        let (db, _privctl, _map, draft) = drafted(dialect, GLOBAL).await;
        guessed(&draft, "[tables.background_jobs]", "scope = \"global\"");
        guessed(
            &draft,
            "[tables.background_jobs]",
            "identities = { email = { column = \"payload\", json = \"any\" } }",
        );
        guessed(&draft, "[tables.rate_limits]", "scope = \"global\"");
        guessed(
            &draft,
            "[tables.rate_limits]",
            "identities = { email = { column = \"key\", match = \"within\" } }",
        );
        let flags = section(&draft, "[tables.feature_flags]");
        assert!(flags.contains(&"ignore = true"), "{}", flags.join("\n"));
        assert!(section(&draft, "[tables.users]").contains(&"tenant = \"tenant_id\""), "{draft}");
        let _: toml::Table = toml::from_str(&draft).expect("the draft is TOML");
        db.cleanup().await;
    }
}

both_dialects! {
    /// The owned draft as it is: the tenant's export reaches its claim (owned by the tenant row)
    /// and every envelope's document_meta (owned by the envelope), which have no tenant path of
    /// their own. Jane, a recipient, gets her recipient row: the envelope is the sender's.
    async fn a_dsar_with_the_owned_draft_reaches_the_owned_rows(dialect: Dialect) {
        let (db, privctl, map, _draft) = drafted(dialect, OWNED).await;
        passes_check(&privctl, &map);
        assert_eq!(preview(&privctl, &map, "1"), rows(&[("recipients", 1)]));
        let out = db.dir().join("tenant.json");
        privctl
            .clone()
            .map(&map)
            .args(["export-tenant", "--tenant", "1", "--out"])
            .arg(&out)
            .run()
            .success();
        let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(bundle["manifest"]["row_counts"]["claims"], 1, "{bundle}");
        assert_eq!(bundle["manifest"]["row_counts"]["document_meta"], 2, "{bundle}");
        db.cleanup().await;
    }

    /// The attribute draft as it is: Jane's email attribute selects her contact and all its
    /// attributes, in her tenant only.
    async fn a_dsar_with_the_attribute_draft_selects_the_entity(dialect: Dialect) {
        let (db, privctl, map, _draft) = drafted(dialect, ATTRIBUTES).await;
        passes_check(&privctl, &map);
        assert_eq!(
            preview(&privctl, &map, "w1"),
            rows(&[("contact_attributes", 2), ("contacts", 1), ("lead_fields", 2), ("leads", 1)])
        );
        assert_eq!(
            preview(&privctl, &map, "w2"),
            rows(&[("contact_attributes", 1), ("contacts", 1)])
        );
        db.cleanup().await;
    }

    /// The global draft as it is: a DSAR in any tenant also finds Jane's job and rate-limit key.
    async fn a_dsar_with_the_global_draft_finds_global_rows(dialect: Dialect) {
        let (db, privctl, map, _draft) = drafted(dialect, GLOBAL).await;
        passes_check(&privctl, &map);
        assert_eq!(
            preview(&privctl, &map, "t1"),
            rows(&[("background_jobs", 1), ("rate_limits", 1), ("users", 1)])
        );
        assert_eq!(
            preview(&privctl, &map, "t2"),
            rows(&[("background_jobs", 1), ("rate_limits", 1)])
        );
        db.cleanup().await;
    }
}

/// A table without a primary key, with a unique index on NOT NULL columns (and one on a
/// nullable column, which cannot identify a row).
const NO_PRIMARY_KEY: &str = r#"
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE invited (
    org_id TEXT NOT NULL REFERENCES orgs (id),
    email TEXT NOT NULL,
    nickname TEXT,
    invited_at TEXT
);
CREATE UNIQUE INDEX invited_nickname ON invited (nickname);
CREATE UNIQUE INDEX invited_org_email ON invited (org_id, email);
INSERT INTO orgs VALUES ('o1', 'Acme'), ('o2', 'Globex');
INSERT INTO invited VALUES ('o1', 'jane@example.com', NULL, NULL), ('o1', 'joe@example.com', NULL, NULL), ('o2', 'jane@example.com', NULL, NULL);
"#;

/// A global account table (email, referenced by several foreign keys, no tenant) that tenant
/// tables reference with ON DELETE CASCADE; a global job table that an identifier-less table
/// references; columns holding a user id with and without a foreign key.
const ACCOUNTS: &str = r#"
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    owner_user_id INTEGER REFERENCES users (id),
    created_by INTEGER,
    "updatedBy" INTEGER,
    reviewed_by TEXT,
    title TEXT
);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), expires TEXT);
CREATE TABLE jobs (id INTEGER PRIMARY KEY, payload JSONDOC NOT NULL);
CREATE TABLE job_attempts (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs (id), attempt INTEGER NOT NULL);
INSERT INTO orgs VALUES ('o1', 'Acme'), ('o2', 'Globex');
INSERT INTO users VALUES (1, 'jane@example.com', 'Jane'), (2, 'joe@example.com', 'Joe');
INSERT INTO memberships VALUES (1, 'o1', 1, 'admin'), (2, 'o2', 1, 'member'), (3, 'o1', 2, 'member');
INSERT INTO documents VALUES
    (1, 'o1', 1, 2, 2, NULL, 'hers'),
    (2, 'o1', 2, 2, 1, NULL, 'edited by her'),
    (3, 'o1', 2, 1, 2, NULL, 'created by her'),
    (4, 'o1', 2, 2, 2, NULL, 'his'),
    (5, 'o2', 2, 2, 2, NULL, 'other tenant');
INSERT INTO sessions VALUES (1, 1, NULL), (2, 2, NULL);
INSERT INTO jobs VALUES (1, '{"to": "jane@example.com"}');
INSERT INTO job_attempts VALUES (1, 1, 1);
"#;

/// camelCase identity, timestamp and secret columns, and several columns per identity.
const CAMEL_IDENTITIES: &str = r#"
CREATE TABLE "Org" (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE "Invite" (
    id TEXT PRIMARY KEY,
    "orgId" TEXT NOT NULL REFERENCES "Org" (id),
    "inviteeEmail" TEXT NOT NULL,
    "inviterEmail" TEXT,
    "createdAt" TEXT
);
CREATE TABLE "Contact" (id TEXT PRIMARY KEY, "orgId" TEXT NOT NULL REFERENCES "Org" (id), "emailAddress" TEXT, "createdOn" TEXT);
CREATE TABLE "Integration" (
    id TEXT PRIMARY KEY,
    "orgId" TEXT NOT NULL REFERENCES "Org" (id),
    "refreshToken" TEXT,
    "providerAccessToken" TEXT,
    public_key TEXT,
    "publicKey" TEXT
);
CREATE TABLE "Run" (
    id TEXT PRIMARY KEY,
    "orgId" TEXT NOT NULL REFERENCES "Org" (id),
    input JSONDOC,
    output TEXT,
    expected_output JSONDOC,
    result TEXT
);
INSERT INTO "Org" VALUES ('o1', 'Acme'), ('o2', 'Globex');
INSERT INTO "Invite" VALUES ('i1', 'o1', 'jane@example.com', 'boss@example.com', NULL), ('i2', 'o1', 'joe@example.com', 'jane@example.com', NULL), ('i3', 'o1', 'joe@example.com', 'boss@example.com', NULL);
INSERT INTO "Contact" VALUES ('c1', 'o1', 'Jane@Example.com', NULL), ('c2', 'o2', 'jane@example.com', NULL);
INSERT INTO "Run" VALUES
    ('r1', 'o1', '{"q": "hi"}', '{"to": "jane@example.com"}', NULL, NULL),
    ('r2', 'o1', NULL, NULL, '{"to": "jane@example.com"}', NULL),
    ('r3', 'o1', NULL, NULL, NULL, '["jane@example.com"]'),
    ('r4', 'o1', '{"email": "joe@example.com"}', NULL, NULL, '["joe@example.com"]');
"#;

/// `map check`'s JSON report on the draft.
#[track_caller]
fn check_output(privctl: &Privctl, map: &Path) -> Value {
    let output = check(privctl, map);
    serde_json::from_str(&output.stdout).unwrap_or_else(|_| panic!("{output}"))
}

both_dialects! {
    /// A table without a primary key gets `key = […]` from its unique index on NOT NULL
    /// columns (not the one on a nullable column), so the draft passes its own check.
    async fn a_unique_index_on_not_null_columns_is_the_drafted_key(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, NO_PRIMARY_KEY).await;
        guessed(&draft, "[tables.invited]", "key = [\"org_id\", \"email\"]");
        assert!(!draft.contains("# key = "), "{draft}");
        passes_check(&privctl, &map);
        assert_eq!(preview(&privctl, &map, "o1"), rows(&[("invited", 1)]));
        db.cleanup().await;
    }

    /// The global account table that tenant tables reference with ON DELETE CASCADE is
    /// retained (a DSAR in one tenant would cascade into the other); a global table that an
    /// identifier-less table references is retained too, and the draft passes its own check.
    async fn global_tables_a_delete_would_cascade_from_or_orphan_are_retained(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, ACCOUNTS).await;
        let users = section(&draft, "[tables.users]");
        guessed(&draft, "[tables.users]", "erase = \"retain\"");
        assert!(users.contains(&"legal_basis = \"TODO: why this table outlives a DSAR\""), "{}", users.join("\n"));
        assert!(users.iter().any(|l| l.contains("ON DELETE CASCADE (`memberships`)")), "{}", users.join("\n"));
        guessed(&draft, "[tables.jobs]", "erase = \"retain\"");
        assert!(section(&draft, "[tables.jobs]").iter().any(|l| l.contains("`job_attempts`")), "{draft}");
        assert!(section(&draft, "[tables.job_attempts]").contains(&"ignore = true"), "{draft}");
        let report = check_output(&privctl, &map);
        assert_eq!(report["problems"], Value::Array(vec![]), "{report}");
        db.cleanup().await;
    }

    /// The account table's key is the `user_id` identity: on the table, on every column that
    /// references it, and on columns named like a user id of its type (a list when there are
    /// several); a table holding only a user id (sessions) is global instead of ignored; no
    /// "consider follow = false" hint on them. A DSAR by user id finds her rows.
    async fn the_account_tables_key_is_a_user_id_identity(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, ACCOUNTS).await;
        assert!(draft.contains("\n[identities]\nemail = { kind = \"email\" }  # trimmed, lower-cased\nuser_id = { kind = \"exact\" }  # guess:"), "{draft}");
        guessed(&draft, "[tables.users]", "identities = { email = \"email\", user_id = \"id\" }");
        guessed(&draft, "[tables.memberships]", "identities = { user_id = \"user_id\" }");
        guessed(
            &draft,
            "[tables.documents]",
            "identities = { user_id = [\"owner_user_id\", \"created_by\", \"updatedBy\"] }",
        );
        guessed(&draft, "[tables.sessions]", "scope = \"global\"");
        guessed(&draft, "[tables.sessions]", "identities = { user_id = \"user_id\" }");
        assert!(!draft.contains("consider links"), "{draft}");
        assert!(!draft.contains("reviewed_by"), "a text column is not the integer key: {draft}");
        passes_check(&privctl, &map);

        let plan = privctl
            .clone()
            .map(&map)
            .args(["--format", "json", "dsar", "preview", "--tenant", "o1", "--identity", "user_id=1"])
            .run()
            .success()
            .json();
        let mut found: Vec<(String, i64)> = plan["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["rows"].as_i64() != Some(0))
            .map(|t| (t["table"].as_str().unwrap().to_owned(), t["rows"].as_i64().unwrap()))
            .collect();
        found.sort();
        assert_eq!(found, rows(&[("documents", 3), ("memberships", 1), ("sessions", 1), ("users", 1)]), "{plan}");
        db.cleanup().await;
    }

    /// camelCase identity columns (`inviteeEmail`, `emailAddress`), timestamps (`createdAt`,
    /// `createdOn`) and secrets (`refreshToken`, `providerAccessToken`; not `public_key`).
    async fn camel_case_identities_timestamps_and_secrets_are_found(dialect: Dialect) {
        let (db, privctl, map, draft) = drafted(dialect, CAMEL_IDENTITIES).await;
        guessed(&draft, "[tables.Invite]", "identities = { email = [\"inviteeEmail\", \"inviterEmail\"] }");
        guessed(&draft, "[tables.Contact]", "identities = { email = \"emailAddress\" }");
        guessed(&draft, "[tables.Invite]", "timestamp = \"createdAt\"");
        guessed(&draft, "[tables.Contact]", "timestamp = \"createdOn\"");
        let integration = section(&draft, "[tables.Integration]").join("\n");
        assert!(
            integration.contains("export = { refreshToken = \"redact\", providerAccessToken = \"redact\" }  # guess:"),
            "{integration}"
        );
        assert!(!integration.contains("public_key =") && !integration.contains("publicKey ="), "{integration}");
        passes_check(&privctl, &map);
        assert_eq!(
            preview(&privctl, &map, "o1"),
            rows(&[("Contact", 1), ("Invite", 2), ("Run", 3)])
        );
        db.cleanup().await;
    }

    /// Several JSON (and JSON-named text) columns of a table are one list, `output`,
    /// `result` and `expected_output` among the names; no "one column per identity" note.
    async fn several_json_columns_make_one_list(dialect: Dialect) {
        let (db, _privctl, _map, draft) = drafted(dialect, CAMEL_IDENTITIES).await;
        guessed(
            &draft,
            "[tables.Run]",
            "identities = { email = [{ column = \"input\", json = \"any\" }, { column = \"output\", json = \"any\" }, { column = \"expected_output\", json = \"any\" }, { column = \"result\", json = \"any\" }] }",
        );
        assert!(!draft.contains("one column per identity"), "{draft}");
        db.cleanup().await;
    }
}

both_dialects! {
    /// `map discover --sample` (issue 13): on every fixture, the draft proposes an identity for
    /// each column whose values hold identifiers and whose name gave no guess, with the share of
    /// sampled rows (`# guess: `body`: 5% of 20 sampled rows hold email addresses`); `map check
    /// --sample` then has nothing left to warn of, where the draft without --sample had; and no
    /// seeded value is in the draft.
    async fn sample_proposes_identities_by_content_on_every_fixture(dialect: Dialect) {
        for (fixture, _) in super::check::PLANTED {
            let folder = crate::support::fixture_path(fixture);
            if !folder.join(format!("schema.{}.sql", dialect.name())).exists() {
                continue;
            }
            let db = TestDb::new(dialect).await;
            db.load_fixture(fixture).await;
            let privctl = Privctl::new(&db).env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
            privctl.clone().arg("init").run().success();
            let check = |map: &Path| {
                let output = privctl
                    .clone()
                    .map(map)
                    .args(["--format", "json", "map", "check", "--sample"])
                    .run();
                output.success();
                super::check::unmapped(&output.json())
            };
            let plain = db.dir().join("plain.toml");
            let sampled = db.dir().join("sampled.toml");
            privctl.clone().args(["map", "discover", "--out"]).arg(&plain).run().success();
            let run = privctl
                .clone()
                .args(["map", "discover", "--sample", "--out"])
                .arg(&sampled)
                .run();
            run.success();
            let draft = std::fs::read_to_string(&sampled).unwrap();
            let text = format!("{draft}\n{}\n{}", run.stdout, run.stderr).to_lowercase();
            for value in super::check::seeded_values(fixture) {
                assert!(!text.contains(&value), "{fixture}: a sampled value ({value}) is in the draft:\n{draft}");
            }
            let before = check(&plain);
            for (table, column, _, _) in &before {
                let lines = section(&draft, &format!("[tables.{table}]"));
                assert!(
                    lines.iter().any(|l| l.starts_with(&format!("# guess: `{column}`: "))
                        && l.contains("sampled rows hold")),
                    "{fixture}: no content guess for {table}.{column}:\n{}",
                    lines.join("\n")
                );
            }
            assert_eq!(check(&sampled), vec![], "{fixture}: the --sample draft leaves warnings:\n{draft}");
            db.cleanup().await;
        }
    }
}

both_dialects! {
    /// Discover on the fixture: the tenant, the link without a foreign key, identities and the
    /// ignored table are found, every guess is commented, the draft is stable, it passes check,
    /// and an existing file is never overwritten without --force.
    async fn drafts_a_map_that_passes_check(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let out = db.dir().join("draft.toml");
        let draft = discover(&privctl, &out);
        let map: toml::Table = toml::from_str(&draft).expect("the draft is TOML");
        assert_eq!(map["tenant"]["table"].as_str(), Some("organizations"));
        assert_eq!(map["tenant"]["plan"].as_str(), Some("plan"));
        assert_eq!(map["tables"]["contacts"]["tenant"].as_str(), Some("org_id"));
        assert_eq!(map["tables"]["contacts"]["identities"]["phone"].as_str(), Some("phone"));
        assert!(map["tables"]["messages"].get("tenant").is_none(), "messages reach their tenant through conversations");
        assert_eq!(map["tables"]["attachments"]["links"][0]["references"].as_str(), Some("messages"));
        assert_eq!(map["tables"]["schema_migrations"]["ignore"].as_bool(), Some(true));
        assert!(map["tables"].get("privctl_ledger").is_none(), "privctl's own tables are not drafted");
        let link_line = draft.lines().position(|l| l.starts_with("links = [{ column = \"message_id\"")).unwrap();
        assert!(draft.lines().nth(link_line - 1).unwrap().starts_with("# guess:"), "{draft}");

        assert_eq!(discover(&privctl, &db.dir().join("again.toml")), draft, "the same schema gives the same draft");
        assert_eq!(problems(&privctl, &out), Vec::<Value>::new());

        let refused = privctl.clone().args(["map", "discover", "--out"]).arg(&out).run();
        refused.code(1);
        assert!(refused.stderr.contains("--force"), "{refused}");
        privctl.clone().args(["map", "discover", "--force", "--out"]).arg(&out).run().success();
        db.cleanup().await;
    }

    /// The draft plus the edits the fixture README documents selects exactly what the fixture's
    /// hand-written map selects for Jane.
    async fn the_draft_plus_the_documented_edits_gives_the_fixture_map(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let draft = discover(&privctl, &db.dir().join("draft.toml"));
        let edited = db.dir().join("edited.toml");
        std::fs::write(&edited, documented_edits(&draft)).unwrap();
        assert_eq!(problems(&privctl, &edited), Vec::<Value>::new());
        let jane = [
            "--format", "json", "dsar", "preview", "--tenant", "acme",
            "--email", "jane.doe@example.com", "--phone", "+49301234567",
            "--identity", "external_id=cust-1001",
        ];
        let by_fixture = privctl.clone().args(jane).run().success().json();
        let by_draft = privctl.clone().map(&edited).args(jane).run().success().json();
        assert_eq!(tables_of(&by_draft), tables_of(&by_fixture));
        assert_eq!(by_draft["total_rows"], 34);
        db.cleanup().await;
    }

    /// Names that need quoting (spaces, quotes, mixed case, reserved words, SQL in a name) are
    /// only ever names: discover drafts valid TOML, check passes, and a DSAR erases exactly
    /// the subject's row.
    async fn hostile_names_are_only_ever_names(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        let hostile = "Notes\"; DROP TABLE canary; --";
        let quoted = format!("\"{}\"", hostile.replace('"', "\"\""));
        db.execute(&format!(
            "CREATE TABLE canary (id INTEGER PRIMARY KEY);
             INSERT INTO canary (id) VALUES (1);
             CREATE TABLE \"Tenant Orgs\" (\"Id\" TEXT PRIMARY KEY, \"select\" TEXT);
             INSERT INTO \"Tenant Orgs\" VALUES ('t1', 'a'), ('t2', 'b');
             CREATE TABLE {quoted} (
                 \"order\" INTEGER PRIMARY KEY,
                 \"Org ID\" TEXT NOT NULL REFERENCES \"Tenant Orgs\" (\"Id\"),
                 email TEXT,
                 \"where\" TEXT
             );
             INSERT INTO {quoted} VALUES (1, 't1', 'x@example.com', 'a'), (2, 't2', 'x@example.com', 'b'), (3, 't1', 'y@example.com', 'c');"
        ))
        .await;
        let privctl = Privctl::new(&db).env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
        privctl.clone().arg("init").run().success();
        let out = db.dir().join("draft.toml");
        let draft = privctl
            .clone()
            .args(["map", "discover", "--tenant-column", "Org ID", "--out"])
            .arg(&out)
            .run();
        draft.success();
        let map: toml::Table = toml::from_str(&std::fs::read_to_string(&out).unwrap()).expect("valid TOML");
        assert_eq!(map["tenant"]["table"].as_str(), Some("Tenant Orgs"));
        assert_eq!(map["tables"][hostile]["tenant"].as_str(), Some("Org ID"));
        assert_eq!(problems(&privctl, &out), Vec::<Value>::new());

        let privctl = privctl.map(&out);
        let subject = ["--tenant", "t1", "--email", "x@example.com"];
        let plan = privctl.clone().args(["--format", "json", "dsar", "preview"]).args(subject).run().success().json();
        assert_eq!(plan["total_rows"], 1, "{plan}");
        let token = plan["token"].as_str().unwrap().to_owned();
        privctl.clone().args(["dsar", "delete"]).args(subject).args(["--confirm", &token]).run().success();
        let left = db.query_strings(&format!("SELECT CAST(\"order\" AS TEXT) FROM {quoted} ORDER BY 1")).await;
        assert_eq!(left, ["2", "3"]);
        assert_eq!(db.query_i64("SELECT count(*) FROM canary").await, 1);
        db.cleanup().await;
    }
}

/// Both databases give the same draft for the same fixture (the header names the dialect).
#[tokio::test]
async fn gives_the_same_draft_on_both_databases() {
    let (sqlite, sqlite_privctl) = setup(Dialect::Sqlite, LEDGER_KEY).await;
    let (postgres, postgres_privctl) = setup(Dialect::Postgres, LEDGER_KEY).await;
    let a = discover(&sqlite_privctl, &sqlite.dir().join("draft.toml"));
    let b = discover(&postgres_privctl, &postgres.dir().join("draft.toml"));
    // SQLite has no JSON type, so only PostgreSQL's draft points at JSON columns.
    let without_json_hints = |draft: &str| -> String {
        draft
            .lines()
            .filter(|l| !(l.starts_with("# guess: `") && l.contains("` is JSON;")))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert!(b.contains("`tools_called` is JSON"), "{b}");
    assert_eq!(
        without_json_hints(&a).replace("sqlite schema", "postgres schema"),
        without_json_hints(&b)
    );
    sqlite.cleanup().await;
    postgres.cleanup().await;
}

/// The edits that turn the fixture's draft into its hand-written map, as its README lists them.
fn documented_edits(draft: &str) -> String {
    let mut map: toml::Table = toml::from_str(draft).unwrap();
    map["tenant"].as_table_mut().unwrap().insert(
        "erase".into(),
        toml::from_str::<toml::Table>("anonymise = { name = \"redact\" }")
            .unwrap()
            .into(),
    );
    let tables = map["tables"].as_table_mut().unwrap();
    let mut set = |table: &str, key: &str, value: &str| {
        let value: toml::Value =
            toml::from_str::<toml::Table>(&format!("v = {value}")).unwrap()["v"].clone();
        tables[table]
            .as_table_mut()
            .unwrap()
            .insert(key.to_owned(), value);
    };
    set(
        "conversations",
        "links",
        r#"[{ column = "assigned_member_id", references = "members", follow = false }]"#,
    );
    set(
        "contacts",
        "links",
        r#"[{ column = "address_id", references = "addresses", owned = true }]"#,
    );
    set(
        "orders",
        "links",
        r#"[{ column = "shipping_address_id", references = "addresses", owned = true }]"#,
    );
    set(
        "invoices",
        "erase",
        r#"{ anonymise = { customer_email = "null", customer_name = "redact" } }"#,
    );
    set("invoices", "legal_basis", r#""tax law""#);
    set("invoices", "identities", "{}");
    set("consent_records", "erase", r#""retain""#);
    set("consent_records", "legal_basis", r#""proof of consent""#);
    map["identities"].as_table_mut().unwrap().insert(
        "phone".into(),
        toml::from_str("kind = \"phone\"\ndefault_region = \"DE\"").unwrap(),
    );
    map.insert(
        "keys".into(),
        toml::from_str("ledger = \"env:PRIVCTL_LEDGER_KEY\"").unwrap(),
    );
    toml::to_string(&map).unwrap()
}

/// (table, rows, effect) of a plan, in table order.
fn tables_of(plan: &Value) -> Vec<(String, i64, String)> {
    let mut tables: Vec<(String, i64, String)> = plan["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["rows"].as_i64().unwrap(),
                t["effect"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    tables.sort();
    tables
}

/// A PostgreSQL schema whose name needs quoting (capitals, a space) is read like any other.
#[tokio::test]
async fn a_schema_name_that_needs_quoting_is_read() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.execute(
        "CREATE SCHEMA \"Tenant Data\";
         DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = %L', current_database(), 'Tenant Data'); END $$;",
    )
    .await;
    db.execute(
        "CREATE TABLE orgs (id TEXT PRIMARY KEY);
         CREATE TABLE people (id BIGINT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), email TEXT);
         INSERT INTO orgs VALUES ('o1');
         INSERT INTO people VALUES (1, 'o1', 'p@example.com');",
    )
    .await;
    assert_eq!(
        db.query_strings(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'people'"
        )
        .await,
        ["Tenant Data"]
    );
    let privctl = Privctl::new(&db).env("PRIVCTL_LEDGER_KEY", LEDGER_KEY);
    privctl.clone().arg("init").run().success();
    let draft = db.dir().join("draft.toml");
    discover(&privctl, &draft);
    assert_eq!(problems(&privctl, &draft), Vec::<Value>::new());
    let plan = privctl
        .clone()
        .map(&draft)
        .args([
            "--format",
            "json",
            "dsar",
            "preview",
            "--tenant",
            "o1",
            "--email",
            "p@example.com",
        ])
        .run();
    assert_eq!(plan.success().json()["total_rows"], 1, "{plan}");
    db.cleanup().await;
}
