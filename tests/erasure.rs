//! What erasure writes and what the database does on its own (issue 12, causes 5, 6 and 7):
//! anonymised JSON columns keep their type, `scrub` removes the subject's identifiers from
//! text and JSON and keeps the rest, each action has its own erase rule, and the database's
//! ON DELETE actions are shown in the plan, bound into the token, refused when they reach
//! another tenant, and checked afterwards so no row is left belonging to no tenant.

use std::path::PathBuf;

use serde_json::Value;

use crate::cli::delete_tenant::delete_tenant;
use crate::cli::dsar::dsar;
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

/// Writes `map` next to the test's database and returns a `privctl` using it, after `init`.
fn privctl_with(db: &TestDb, map: &str) -> (Privctl, PathBuf) {
    let path = db.dir().join("privctl.toml");
    std::fs::write(&path, map).expect("cannot write the map");
    let privctl = Privctl::new(db).map(&path);
    privctl.clone().arg("init").run().success();
    (privctl, path)
}

fn token_of(output: &RunOutput) -> String {
    output.success().json()["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {output}"))
        .to_owned()
}

/// A column's value as the database prints it (JSON columns as their JSON text).
async fn text_of(db: &TestDb, table: &str, column: &str, id: i64) -> Option<String> {
    let sql = match db.dialect {
        Dialect::Postgres => format!("SELECT CAST({column} AS text) FROM {table} WHERE id = {id}"),
        Dialect::Sqlite => format!("SELECT {column} FROM {table} WHERE id = {id}"),
    };
    db.query_optional_strings(&sql)
        .await
        .into_iter()
        .next()
        .flatten()
}

const JANE: [&str; 2] = ["--email", "jane@example.com"];

both_dialects! {
    /// `null` writes SQL NULL and `redact` the JSON string "[redacted]" into json and jsonb
    /// columns (SQLite: columns declared JSON), and `hash` the hash as a JSON string: the
    /// column keeps its type and every value stays valid JSON. PostgreSQL used to fail with
    /// `column "filters" is of type jsonb but expression is of type text`.
    async fn anonymising_json_columns_keeps_them_json(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        let (doc, plain) = match dialect {
            Dialect::Postgres => ("jsonb", "json"),
            Dialect::Sqlite => ("JSON", "JSON"),
        };
        db.execute(&format!(
            "CREATE TABLE orgs (id TEXT PRIMARY KEY);
             INSERT INTO orgs VALUES ('acme');
             CREATE TABLE contacts (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id),
                 email TEXT, filters {doc}, prefs {plain}, fingerprint {doc});
             INSERT INTO contacts VALUES
                 (1, 'acme', 'jane@example.com', '{{\"city\": \"Berlin\"}}', '{{\"lang\": \"de\"}}', '{{\"ip\": \"10.0.0.1\"}}'),
                 (2, 'acme', 'bob@example.com', '{{\"city\": \"Paris\"}}', '{{\"lang\": \"fr\"}}', '{{\"ip\": \"10.0.0.2\"}}');"
        ))
        .await;
        let (privctl, _) = privctl_with(
            &db,
            "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n[identities]\nemail = { kind = \"email\" }\n\
             [tables.contacts]\ntenant = \"org_id\"\nidentities = { email = \"email\" }\nlegal_basis = \"kept as a stub\"\n\
             erase = { anonymise = { email = \"null\", filters = \"redact\", prefs = \"null\", fingerprint = \"hash\" } }\n",
        );
        let token = token_of(&dsar(&privctl, "preview", "acme", &JANE, &[]));
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        done.success();
        assert_eq!(done.json()["remaining"], 0, "{done}");

        let filters = text_of(&db, "contacts", "filters", 1).await.expect("filters kept");
        assert_eq!(serde_json::from_str::<Value>(&filters).unwrap(), Value::from("[redacted]"), "{filters}");
        assert_eq!(text_of(&db, "contacts", "prefs", 1).await, None);
        assert_eq!(text_of(&db, "contacts", "email", 1).await, None);
        let hashed = text_of(&db, "contacts", "fingerprint", 1).await.expect("hash kept");
        let hashed: Value = serde_json::from_str(&hashed).unwrap_or_else(|e| panic!("{hashed}: {e}"));
        assert!(hashed.as_str().is_some_and(|h| h.len() == 64), "{hashed}");
        // The database holds JSON of the right kind, not text that looks like it.
        let typed = match dialect {
            Dialect::Postgres => "SELECT jsonb_typeof(filters) || ',' || jsonb_typeof(fingerprint) FROM contacts WHERE id = 1",
            Dialect::Sqlite => "SELECT json_type(filters) || ',' || json_type(fingerprint) FROM contacts WHERE id = 1",
        };
        let expected = match dialect {
            Dialect::Postgres => "string,string",
            Dialect::Sqlite => "text,text",
        };
        assert_eq!(db.query_strings(typed).await, [expected]);
        // Bob's row is untouched.
        let bob = text_of(&db, "contacts", "filters", 2).await.unwrap();
        assert_eq!(serde_json::from_str::<Value>(&bob).unwrap(), serde_json::json!({"city": "Paris"}));
        db.cleanup().await;
    }
}

/// documents (tenant column), comments on them (reaching the tenant through the document),
/// replies between comments (ON DELETE SET NULL), views of documents in an ignored table
/// (ON DELETE CASCADE) and shares (tenant column, ON DELETE CASCADE).
fn documents_schema(dialect: Dialect) -> String {
    let ip = match dialect {
        Dialect::Postgres => "TEXT",
        Dialect::Sqlite => "TEXT",
    };
    format!(
        "CREATE TABLE orgs (id TEXT PRIMARY KEY);
         INSERT INTO orgs VALUES ('acme'), ('globex');
         CREATE TABLE documents (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), owner_email TEXT, title TEXT);
         CREATE INDEX documents_org ON documents (org_id);
         CREATE TABLE comments (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents (id),
             reply_to INTEGER REFERENCES comments (id) ON DELETE SET NULL, author_email TEXT, body TEXT);
         CREATE TABLE shares (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id),
             document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE);
         CREATE TABLE document_views (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents (id) ON DELETE CASCADE, viewer_ip {ip});
         INSERT INTO documents VALUES (1, 'acme', 'jane@example.com', 'Jane''s plan'), (2, 'acme', 'bob@example.com', 'Bob''s notes'),
             (3, 'globex', 'jane@example.com', 'Elsewhere');
         INSERT INTO comments VALUES (10, 2, NULL, 'jane@example.com', 'Looks good'), (11, 2, 10, 'bob@example.com', 'Thanks Jane'),
             (12, 1, NULL, 'bob@example.com', 'On her plan');
         INSERT INTO shares VALUES (20, 'acme', 1);
         INSERT INTO document_views VALUES (30, 1, '10.0.0.1'), (31, 1, '10.0.0.2'), (32, 2, '10.0.0.3');"
    )
}

const DOCUMENTS_MAP: &str = "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n[identities]\nemail = { kind = \"email\" }\n\
    [tables.documents]\ntenant = \"org_id\"\nidentities = { email = \"owner_email\" }\n\
    [tables.comments]\nidentities = { email = \"author_email\" }\n\
    [tables.shares]\ntenant = \"org_id\"\n\
    [tables.document_views]\nignore = true\nreason = \"page-view counters, erased by the database with their document\"\n";

both_dialects! {
    /// The plan shows what the database's own ON DELETE actions do outside privctl's
    /// erasure (a cascade into an ignored table, a SET NULL on another person's reply), binds it
    /// into the token (a new row there makes the token stale), and names the tables whose
    /// triggers fire. After the erasure, the reply still belongs to the tenant.
    async fn the_plan_shows_what_the_database_does_on_delete(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(&documents_schema(dialect)).await;
        match dialect {
            Dialect::Sqlite => db.execute(
                "CREATE TABLE deleted_log (title TEXT);
                 CREATE TRIGGER log_document_delete AFTER DELETE ON documents BEGIN INSERT INTO deleted_log VALUES (old.title); END;",
            ).await,
            Dialect::Postgres => db.execute(
                "CREATE TABLE deleted_log (title TEXT);
                 CREATE FUNCTION log_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO deleted_log VALUES (old.title); RETURN old; END $$;
                 CREATE TRIGGER log_document_delete AFTER DELETE ON documents FOR EACH ROW EXECUTE FUNCTION log_delete();",
            ).await,
        }
        let map = format!("{DOCUMENTS_MAP}[tables.deleted_log]\nignore = true\n");
        let (privctl, map_path) = privctl_with(&db, &map);

        let preview = dsar(&privctl, "preview", "acme", &JANE, &[]);
        let plan = preview.success().json();
        let effects = plan["database_effects"].as_array().unwrap_or_else(|| panic!("{preview}"));
        let find = |table: &str| effects.iter().find(|e| e["table"] == table).cloned();
        let views = find("document_views").unwrap_or_else(|| panic!("{preview}"));
        assert_eq!(views["action"], "cascade", "{preview}");
        assert_eq!(views["rows"], 2, "{preview}");
        assert_eq!(views["references"], "documents", "{preview}");
        assert_eq!(views["mapped"], false, "{preview}");
        let replies = find("comments").unwrap_or_else(|| panic!("{preview}"));
        assert_eq!((replies["column"].as_str(), replies["action"].as_str(), replies["rows"].as_u64()), (Some("reply_to"), Some("set_null"), Some(1)), "{preview}");
        assert_eq!(effects.len(), 2, "{preview}");
        let triggers = plan["triggers"].as_array().unwrap();
        assert_eq!(triggers.len(), 1, "{preview}");
        assert_eq!(triggers[0]["table"], "documents");
        assert_eq!(triggers[0]["events"], serde_json::json!(["delete"]));
        assert_eq!(triggers[0]["triggers"], serde_json::json!(["log_document_delete"]));

        // map check warns on the trigger.
        let check = privctl.clone().map(&map_path).args(["--format", "json", "map", "check"]).run();
        let warnings = check.json()["warnings"].as_array().cloned().unwrap_or_default();
        assert!(warnings.iter().any(|w| w["kind"] == "trigger" && w["table"] == "documents"), "{check}");

        // One more row the database would delete: the token no longer covers the plan.
        db.execute("INSERT INTO document_views VALUES (33, 1, '10.0.0.9')").await;
        let stale = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token_of(&preview)]);
        stale.code(3);
        assert!(stale.stderr.contains("document_views"), "{stale}");
        assert_eq!(db.query_i64("SELECT count(*) FROM documents WHERE id = 1").await, 1);

        let token = token_of(&dsar(&privctl, "preview", "acme", &JANE, &[]));
        let done = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        done.success();
        assert_eq!(done.json()["remaining"], 0, "{done}");
        assert_eq!(done.json()["database_effects"].as_array().map(Vec::len), Some(2), "{done}");
        assert_eq!(db.query_i64("SELECT count(*) FROM document_views WHERE document_id = 1").await, 0);
        // Bob's reply lost its parent comment, and still belongs to acme through its document.
        assert_eq!(db.query_optional_strings("SELECT reply_to FROM comments WHERE id = 11").await, [None]);
        assert_eq!(db.query_i64("SELECT count(*) FROM documents WHERE id IN (2, 3)").await, 2);
        db.cleanup().await;
    }
}

both_dialects! {
    /// A cascade that would delete a row of another tenant refuses the plan and names the
    /// foreign key: nothing is deleted and no token is issued.
    async fn a_cascade_into_another_tenant_is_refused(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(&documents_schema(dialect)).await;
        // globex shares acme's document: a data-integrity fault the database would "fix" by
        // deleting globex's row.
        db.execute("INSERT INTO shares VALUES (21, 'globex', 1)").await;
        let (privctl, _) = privctl_with(&db, DOCUMENTS_MAP);
        let refused = dsar(&privctl, "preview", "acme", &JANE, &[]);
        refused.code(1);
        assert!(refused.stderr.contains("`shares`.`document_id` → `documents` (ON DELETE CASCADE)"), "{refused}");
        assert!(refused.stderr.contains("outside this tenant"), "{refused}");
        assert_eq!(db.query_i64("SELECT count(*) FROM shares").await, 2);
        db.cleanup().await;
    }
}

/// An audit log that reaches its tenant only through the document it is about, retained.
const AUDIT_SCHEMA: &str = "CREATE TABLE orgs (id TEXT PRIMARY KEY);
    INSERT INTO orgs VALUES ('acme'), ('globex');
    CREATE TABLE documents (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), owner_email TEXT);
    CREATE TABLE audit_log (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents (id) ON DELETE SET NULL,
        actor_email TEXT, ip TEXT);
    INSERT INTO documents VALUES (1, 'acme', 'jane@example.com'), (2, 'acme', 'bob@example.com'), (3, 'globex', 'carl@example.com');
    INSERT INTO audit_log VALUES (100, 1, 'bob@example.com', '10.1.1.1'), (101, 2, 'bob@example.com', '10.1.1.2'),
        (102, 3, 'carl@example.com', '10.1.1.3');";

const AUDIT_MAP: &str = "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n[identities]\nemail = { kind = \"email\" }\n\
    [tables.documents]\ntenant = \"org_id\"\nidentities = { email = \"owner_email\" }\n\
    [tables.audit_log]\nerase = \"retain\"\nlegal_basis = \"security audit, 1 year\"\n";

both_dialects! {
    /// Deleting her document clears `audit_log.document_id` (privctl would, and the database's
    /// ON DELETE SET NULL too): the audit row, another person's email and IP, would belong to
    /// no tenant. The DSAR refuses after the fact, names the table and the foreign key, and
    /// rolls back, never reporting `remaining: 0`; delete-tenant refuses the batch the same way.
    async fn a_row_left_belonging_to_no_tenant_fails_the_erasure(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(AUDIT_SCHEMA).await;
        let (privctl, _) = privctl_with(&db, AUDIT_MAP);
        let token = token_of(&dsar(&privctl, "preview", "acme", &JANE, &[]));
        let failed = dsar(&privctl, "delete", "acme", &JANE, &["--confirm", &token]);
        failed.code(1);
        assert!(failed.stderr.contains("belong to no tenant"), "{failed}");
        assert!(failed.stderr.contains("`audit_log`.`document_id` → `documents`"), "{failed}");
        assert!(!failed.stdout.contains("\"remaining\""), "{failed}");
        // Rolled back: her document and the audit row's reference are as they were.
        assert_eq!(db.query_i64("SELECT count(*) FROM documents WHERE id = 1").await, 1);
        assert_eq!(db.query_i64("SELECT count(*) FROM audit_log WHERE document_id = 1").await, 1);

        let token = token_of(&delete_tenant(&privctl, "acme", &[]));
        let failed = delete_tenant(&privctl, "acme", &["--confirm", &token]);
        failed.code(1);
        assert!(failed.stderr.contains("belonging to no tenant"), "{failed}");
        assert!(failed.stderr.contains("`audit_log`.`document_id` → `documents`"), "{failed}");
        assert_eq!(db.query_i64("SELECT count(*) FROM audit_log WHERE document_id IS NULL").await, 0);
        assert_eq!(db.query_i64("SELECT count(*) FROM documents").await, 3);
        db.cleanup().await;
    }
}

/// Segments whose JSON rule (and free-text notes) name people, kept for a DSAR with the
/// subject's identifiers scrubbed out, deleted with their tenant.
fn segments_schema(dialect: Dialect) -> String {
    let json = match dialect {
        Dialect::Postgres => "jsonb",
        Dialect::Sqlite => "JSON",
    };
    format!(
        "CREATE TABLE orgs (id TEXT PRIMARY KEY);
         INSERT INTO orgs VALUES ('acme'), ('globex');
         CREATE TABLE contacts (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), email TEXT, phone TEXT);
         CREATE TABLE segments (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs (id), name TEXT,
             rule {json}, notes TEXT, size INTEGER);
         INSERT INTO contacts VALUES (1, 'acme', 'jane@example.com', '+49 30 1234567'), (2, 'acme', 'bob@example.com', NULL),
             (3, 'globex', 'jane@example.com', NULL);
         INSERT INTO segments VALUES
             (1, 'acme', 'VIP', '{{\"any\": [{{\"field\": \"email\", \"value\": \"Jane@Example.com\"}}, {{\"field\": \"phone\", \"value\": \"+49 (30) 1234567\"}}, {{\"field\": \"city\", \"value\": \"Berlin\"}}]}}',
                 'Built for JANE@EXAMPLE.COM, call 030-1234567 or bob@example.com', 3),
             (2, 'acme', 'Bob', '{{\"any\": [{{\"field\": \"email\", \"value\": \"bob@example.com\"}}]}}', 'Bob only', 1),
             (3, 'globex', 'VIP', '{{\"any\": [{{\"field\": \"email\", \"value\": \"jane@example.com\"}}]}}', 'jane@example.com', 1);"
    )
}

const SEGMENTS_MAP: &str = "version = 1\n[tenant]\ntable = \"orgs\"\nid = \"id\"\n\
    [identities]\nemail = { kind = \"email\" }\nphone = { kind = \"phone\", default_region = \"DE\" }\n\
    [tables.contacts]\ntenant = \"org_id\"\nidentities = { email = \"email\", phone = \"phone\" }\n\
    [tables.segments]\ntenant = \"org_id\"\nidentities = { email = { column = \"rule\", json = \"any\" } }\n\
    erase = { subject = { anonymise = { rule = \"scrub\", notes = \"scrub\" } }, tenant = \"delete\" }\n";

both_dialects! {
    /// `erase = { subject = { anonymise = { rule = "scrub" } }, tenant = "delete" }`: her DSAR
    /// keeps the segment with her email and phone (in any case and punctuation) replaced by
    /// `[redacted]` in its JSON rule and its notes, the rest kept and the JSON valid; the
    /// tenant's deletion deletes the segment. Neither refuses (one erase rule for both made
    /// delete-tenant refuse with `not_null_reference`), and `map check` passes.
    async fn scrub_for_her_dsar_and_delete_with_the_tenant(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(&segments_schema(dialect)).await;
        let (privctl, map) = privctl_with(&db, SEGMENTS_MAP);
        let check = privctl.clone().map(&map).args(["--format", "json", "map", "check"]).run();
        assert_eq!(check.json()["problems"], serde_json::json!([]), "{check}");
        check.success();

        let jane = ["--email", "jane@example.com", "--phone", "+49 30 1234567"];
        let preview = dsar(&privctl, "preview", "acme", &jane, &[]);
        let segments = preview.success().json()["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "segments")
            .cloned()
            .unwrap_or_else(|| panic!("{preview}"));
        assert_eq!((segments["rows"].as_u64(), segments["effect"].as_str()), (Some(1), Some("anonymise")), "{preview}");
        let done = dsar(&privctl, "delete", "acme", &jane, &["--confirm", &token_of(&preview)]);
        done.success();
        assert_eq!(done.json()["remaining"], 0, "{done}");

        let rule = text_of(&db, "segments", "rule", 1).await.unwrap();
        let rule: Value = serde_json::from_str(&rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(
            rule,
            serde_json::json!({"any": [
                {"field": "email", "value": "[redacted]"},
                {"field": "phone", "value": "[redacted]"},
                {"field": "city", "value": "Berlin"}
            ]})
        );
        assert_eq!(
            text_of(&db, "segments", "notes", 1).await.as_deref(),
            Some("Built for [redacted], call [redacted] or bob@example.com")
        );
        assert_eq!(db.query_strings("SELECT name FROM segments WHERE id = 1").await, ["VIP"]);
        // Bob's segment and globex's are untouched.
        assert_eq!(text_of(&db, "segments", "notes", 2).await.as_deref(), Some("Bob only"));
        assert_eq!(text_of(&db, "segments", "notes", 3).await.as_deref(), Some("jane@example.com"));

        let plan = delete_tenant(&privctl, "acme", &[]);
        let segments = plan.success().json()["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "segments")
            .cloned()
            .unwrap_or_else(|| panic!("{plan}"));
        assert_eq!((segments["rows"].as_u64(), segments["effect"].as_str()), (Some(2), Some("delete")), "{plan}");
        delete_tenant(&privctl, "acme", &["--confirm", &token_of(&plan)]).success();
        assert_eq!(db.query_i64("SELECT count(*) FROM segments").await, 1);
        assert_eq!(db.query_i64("SELECT count(*) FROM orgs WHERE id = 'acme'").await, 0);
        db.cleanup().await;
    }
}

both_dialects! {
    /// The check after a DSAR's erasure reads `scrub`bed columns by content: when something
    /// the plan cannot see (here a trigger that puts the notes back) leaves her email in a
    /// scrubbed column, the erasure fails (exit 1) naming the table and the count, and nothing
    /// is committed; without it, the same token erases.
    async fn a_scrub_undone_behind_privctls_back_fails_the_erasure(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(&segments_schema(dialect)).await;
        let (privctl, _) = privctl_with(&db, SEGMENTS_MAP);
        let jane = ["--email", "jane@example.com", "--phone", "+49 30 1234567"];
        let preview = dsar(&privctl, "preview", "acme", &jane, &[]);
        let token = token_of(preview.success());
        db.execute(match dialect {
            Dialect::Sqlite => {
                "CREATE TRIGGER undo_scrub AFTER UPDATE OF notes ON segments \
                 BEGIN UPDATE segments SET notes = OLD.notes WHERE id = NEW.id; END"
            }
            Dialect::Postgres => {
                "CREATE FUNCTION undo_scrub() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN NEW.notes := OLD.notes; RETURN NEW; END $$; \
                 CREATE TRIGGER undo_scrub BEFORE UPDATE ON segments \
                 FOR EACH ROW EXECUTE FUNCTION undo_scrub()"
            }
        })
        .await;
        let failed = dsar(&privctl, "delete", "acme", &jane, &["--confirm", &token]);
        failed.code(1);
        assert!(failed.stderr.contains("segments (1 rows)"), "{failed}");
        assert!(failed.stderr.contains("nothing was committed"), "{failed}");
        assert_eq!(db.query_i64("SELECT count(*) FROM contacts WHERE id = 1").await, 1);
        assert!(
            text_of(&db, "segments", "rule", 1).await.is_some_and(|r| r.contains("Jane@Example.com")),
            "the scrub of the rule was rolled back too"
        );

        db.execute(match dialect {
            Dialect::Sqlite => "DROP TRIGGER undo_scrub",
            Dialect::Postgres => "DROP TRIGGER undo_scrub ON segments",
        })
        .await;
        dsar(&privctl, "delete", "acme", &jane, &["--confirm", &token]).success();
        assert_eq!(
            text_of(&db, "segments", "notes", 1).await.as_deref(),
            Some("Built for [redacted], call [redacted] or bob@example.com")
        );
        db.cleanup().await;
    }
}

both_dialects! {
    /// The closing checks read anonymisation's own output by content, per mode, on text and
    /// JSON columns: `null` leaves NULL; `redact` NULL or `[redacted]` (the JSON string in a
    /// JSON column); `hash` NULL or 64 lower-case hex digits (a JSON string of them). Anything
    /// else, an identifier, an upper-case or over-long hash, is still to anonymise.
    async fn what_counts_as_anonymised_is_read_by_content(dialect: Dialect) {
        use privctl::map::AnonymiseMode;
        let db = TestDb::new(dialect).await;
        let json = match dialect {
            Dialect::Postgres => "jsonb",
            Dialect::Sqlite => "JSON",
        };
        let hash = "0123456789abcdef".repeat(4);
        let upper = hash.to_uppercase();
        db.execute(&format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, j {json});
             INSERT INTO t VALUES
                 (1, NULL, NULL),
                 (2, '[redacted]', '\"[redacted]\"'),
                 (3, '{hash}', '\"{hash}\"'),
                 (4, 'jane@example.com', '\"jane@example.com\"'),
                 (5, '{upper}', '\"{upper}\"'),
                 (6, '{hash}0', '\"{hash}0\"'),
                 (7, 'redacted', '{{\"a\": \"[redacted]\"}}');"
        ))
        .await;
        let connection = privctl::db::Db::connect(&db.url, false).await.unwrap();
        let schema = connection.schema().await.unwrap();
        let info = &schema.tables["t"];
        let mut still = Vec::new();
        for column in ["v", "j"] {
            for mode in [AnonymiseMode::Null, AnonymiseMode::Redact, AnonymiseMode::Hash] {
                let mut sql = connection.sql();
                sql.push("SELECT CAST(id AS text) FROM t WHERE ");
                privctl::erase::push_not_anonymised(&mut sql, info, "t", &[(column.to_owned(), mode)]);
                sql.push(" ORDER BY id");
                let mut tx = connection.begin(privctl::db::TxMode::Snapshot).await.unwrap();
                let ids: Vec<String> = tx.fetch_column(&sql).await.unwrap().into_iter().flatten().collect();
                tx.rollback().await.unwrap();
                still.push((column, mode, ids.join(",")));
            }
        }
        assert_eq!(
            still,
            [
                ("v", AnonymiseMode::Null, "2,3,4,5,6,7".to_owned()),
                ("v", AnonymiseMode::Redact, "3,4,5,6,7".to_owned()),
                ("v", AnonymiseMode::Hash, "2,4,5,6,7".to_owned()),
                ("j", AnonymiseMode::Null, "2,3,4,5,6,7".to_owned()),
                ("j", AnonymiseMode::Redact, "3,4,5,6,7".to_owned()),
                ("j", AnonymiseMode::Hash, "2,4,5,6,7".to_owned()),
            ]
        );
        db.cleanup().await;
    }
}

both_dialects! {
    /// `scrub` rewrites text: on an integer column the map is refused, naming the file, the
    /// table, the column and the key, by `map check` and by every command.
    async fn scrub_on_a_column_of_neither_text_nor_json_is_refused(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(&segments_schema(dialect)).await;
        let map = SEGMENTS_MAP.replace("notes = \"scrub\"", "size = \"scrub\"");
        let (privctl, path) = privctl_with(&db, &map);
        let check = privctl.clone().map(&path).args(["--format", "json", "map", "check"]).run();
        check.code(5);
        let problems = check.json()["problems"].as_array().cloned().unwrap();
        assert!(
            problems.iter().any(|p| p["kind"] == "anonymise_type"
                && p["table"] == "segments"
                && p["column"] == "size"
                && p["detail"].as_str().is_some_and(|d| d.contains("tables.segments.erase.subject.anonymise.size"))),
            "{check}"
        );
        let refused = dsar(&privctl, "preview", "acme", &JANE, &[]);
        assert_ne!(refused.code, 0, "{refused}");
        assert!(refused.stderr.contains(path.to_str().unwrap()), "{refused}");
        assert!(refused.stderr.contains("`segments`.`size`"), "{refused}");
        db.cleanup().await;
    }
}
