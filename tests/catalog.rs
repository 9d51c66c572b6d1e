//! What privctl reads of the live schema (`Db::schema`, src/db/introspect.rs) on a schema of the
//! shapes a catalog reader gets wrong: composite keys in their declared order, a dropped column,
//! expression indexes and INCLUDE columns (not keys), partial indexes (left out), quoted names,
//! triggers by event; on PostgreSQL also partitions (not tables; a foreign key into one named by
//! its columns; a partition's own foreign key left out), row-level security policies, views
//! and materialized views (not tables, their triggers and indexes not read) and another schema
//! (not read). PostgreSQL's catalog is read in one statement since issue 16, with key columns
//! named from the column list rather than joined per key.

use privctl::db::{Db, ForeignKey, IndexKey, OnDelete, Schema, TableInfo};

use crate::support::{Dialect, TestDb, both_dialects};

const POSTGRES: &str = r#"
CREATE TABLE orgs (id text PRIMARY KEY, name text);
CREATE TABLE people (
    org_id text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    num integer NOT NULL,
    email varchar(200),
    gone integer,
    note numeric(10,2),
    PRIMARY KEY (num, org_id)
);
ALTER TABLE people DROP COLUMN gone;
ALTER TABLE people ADD COLUMN at timestamptz;
CREATE UNIQUE INDEX people_email ON people (email);
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
CREATE POLICY p1 ON people USING (org_id = current_setting('app.t', true));
CREATE POLICY p2 ON people FOR INSERT WITH CHECK (org_id <> 'x');
CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, org_id text, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE events_2026 ADD CONSTRAINT own_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
CREATE TABLE "We""ird" ("Col ""x""" integer PRIMARY KEY, "ü" text);
CREATE TABLE notes (
    id serial PRIMARY KEY,
    org_id text,
    num integer,
    ev_at timestamptz,
    ev_id bigint,
    body text,
    weird integer REFERENCES "We""ird" ("Col ""x""") ON DELETE SET NULL,
    FOREIGN KEY (org_id, num) REFERENCES people (org_id, num) ON DELETE SET DEFAULT,
    FOREIGN KEY (ev_at, ev_id) REFERENCES events_2026 (at, id)
);
CREATE INDEX notes_expr ON notes (lower(trim(body)), org_id) INCLUDE (num);
CREATE INDEX notes_partial ON notes (body) WHERE body IS NOT NULL;
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER t_del AFTER DELETE ON notes FOR EACH ROW EXECUTE FUNCTION noop();
CREATE TRIGGER t_upd AFTER UPDATE OR INSERT ON notes FOR EACH ROW EXECUTE FUNCTION noop();
CREATE MATERIALIZED VIEW per_org AS SELECT org_id, count(*) AS n FROM people GROUP BY org_id;
CREATE UNIQUE INDEX per_org_org ON per_org (org_id);
CREATE VIEW everyone AS SELECT * FROM people;
CREATE TRIGGER t_view INSTEAD OF DELETE ON everyone FOR EACH ROW EXECUTE FUNCTION noop();
CREATE SCHEMA other;
CREATE TABLE other.elsewhere (id integer PRIMARY KEY, org_id text REFERENCES public.orgs (id));
"#;

const SQLITE: &str = r#"
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE people (
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    num INTEGER NOT NULL,
    email VARCHAR(200),
    gone INTEGER,
    note NUMERIC(10,2),
    PRIMARY KEY (num, org_id)
);
ALTER TABLE people DROP COLUMN gone;
ALTER TABLE people ADD COLUMN at TIMESTAMP;
CREATE UNIQUE INDEX people_email ON people (email);
CREATE TABLE "We""ird" ("Col ""x""" INTEGER PRIMARY KEY, "ü" TEXT);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    org_id TEXT,
    num INTEGER,
    ev_at TIMESTAMP,
    ev_id INTEGER,
    body TEXT,
    weird INTEGER REFERENCES "We""ird" ("Col ""x""") ON DELETE SET NULL,
    FOREIGN KEY (org_id, num) REFERENCES people (org_id, num) ON DELETE SET DEFAULT
);
CREATE INDEX notes_expr ON notes (lower(trim(body)), org_id);
CREATE INDEX notes_partial ON notes (body) WHERE body IS NOT NULL;
CREATE TRIGGER t_del AFTER DELETE ON notes BEGIN SELECT 1; END;
CREATE TRIGGER t_upd AFTER UPDATE ON notes BEGIN SELECT 1; END;
CREATE VIEW everyone AS SELECT * FROM people;
"#;

fn table<'s>(schema: &'s Schema, name: &str) -> &'s TableInfo {
    schema
        .tables
        .get(name)
        .unwrap_or_else(|| panic!("no table {name} in {:?}", schema.tables.keys()))
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn fk(columns: &[&str], references: &str, referenced: &[&str], on_delete: OnDelete) -> ForeignKey {
    ForeignKey {
        columns: names(columns),
        references: references.to_owned(),
        referenced_columns: names(referenced),
        on_delete,
    }
}

both_dialects! {
    async fn the_schema_is_read_as_the_catalog_declares_it(dialect: Dialect) {
        let test_db = TestDb::new(dialect).await;
        let postgres = dialect == Dialect::Postgres;
        test_db.execute(if postgres { POSTGRES } else { SQLITE }).await;
        let db = Db::connect(&test_db.url, false).await.expect("cannot connect");
        let schema = db.schema().await.expect("cannot read the schema");
        db.close().await;

        let mut tables: Vec<&str> = schema.tables.keys().map(String::as_str).collect();
        tables.sort_unstable();
        let mut expected = vec!["We\"ird", "notes", "orgs", "people"];
        if postgres {
            expected.push("events"); // its partition, the views and other.elsewhere are not tables
        }
        expected.sort_unstable();
        assert_eq!(tables, expected);

        // Columns in their order, the dropped one gone, the added one last; the primary key in
        // its declared order, not the columns'.
        let people = table(&schema, "people");
        let columns: Vec<&str> = people.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["org_id", "num", "email", "note", "at"]);
        assert_eq!(people.primary_key, names(&["num", "org_id"]));
        assert!(!people.column("org_id").expect("org_id").nullable);
        assert!(people.column("email").expect("email").nullable);
        assert_eq!(
            people.foreign_keys,
            [fk(&["org_id"], "orgs", &["id"], OnDelete::Cascade)]
        );
        assert!(people.is_unique("email"));
        let weird = table(&schema, "We\"ird");
        assert_eq!(weird.primary_key, names(&["Col \"x\""]));
        assert_eq!(weird.columns[1].name, "ü");

        // Composite foreign keys column by column, in declared order, by constraint name.
        let notes = table(&schema, "notes");
        let mut expected_fks = vec![
            fk(&["org_id", "num"], "people", &["org_id", "num"], OnDelete::SetDefault),
            fk(&["weird"], "We\"ird", &["Col \"x\""], OnDelete::SetNull),
        ];
        if postgres {
            // A foreign key into a partition names the partition's columns.
            expected_fks.insert(
                0,
                fk(&["ev_at", "ev_id"], "events_2026", &["at", "id"], OnDelete::NoAction),
            );
        }
        let mut found = notes.foreign_keys.clone();
        found.sort_by(|a, b| a.columns.cmp(&b.columns));
        expected_fks.sort_by(|a, b| a.columns.cmp(&b.columns));
        assert_eq!(found, expected_fks);

        // The expression index with its column after it (not the INCLUDE column); the partial
        // index left out.
        let expression = notes
            .indexes
            .iter()
            .find(|i| i.name == "notes_expr")
            .expect("notes_expr");
        assert_eq!(expression.keys.len(), 2, "{expression:?}");
        assert!(
            expression.keys[0].matches(&IndexKey::Expression("lower(trim(body))".into())),
            "{expression:?}"
        );
        assert_eq!(expression.keys[1], IndexKey::Column("org_id".into()));
        assert!(!expression.unique);
        assert!(notes.indexes.iter().all(|i| i.name != "notes_partial"));

        let triggers: Vec<(&str, bool, bool)> = notes
            .triggers
            .iter()
            .map(|t| (t.name.as_str(), t.on_delete, t.on_update))
            .collect();
        assert_eq!(triggers, [("t_del", true, false), ("t_upd", false, true)]);

        if postgres {
            assert_eq!(people.policies.len(), 2, "{:?}", people.policies);
            assert!(people.row_security);
            let events = table(&schema, "events");
            assert!(events.partitioned);
            assert_eq!(events.primary_key, names(&["id", "at"]));
            assert!(events.foreign_keys.is_empty());
        }
        test_db.cleanup().await;
    }
}
