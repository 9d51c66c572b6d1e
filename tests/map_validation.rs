//! Data map validation through the binary (SPEC section 2) and command-line usage errors.
//!
//! A broken map fails before anything is read or written: exit 1, the message names the map
//! file and the key at fault, and neither the data nor privctl's own tables change (no token
//! issued, no ledger entry), even when a valid token is presented. Usage errors exit 2.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::fixture::{
    MIGRATIONS_TABLE, PRIVCTL_TABLES, TABLES, map_path, row_counts, setup, write_map_copy,
};
use crate::support::{Dialect, Privctl, RunOutput, TestDb, both_dialects};

const LEDGER_KEY: &str = "map-tests-ledger-key-0123456789";
const JANE_EMAIL: &str = "jane.doe@example.com";
const JANE: [&str; 4] = ["--tenant", "acme", "--email", JANE_EMAIL];

/// Row counts of every table of the fixture and privctl's own, plus consumed confirmations and
/// anonymised invoices: equal snapshots mean nothing changed.
async fn snapshot(db: &TestDb) -> Vec<(String, i64)> {
    let tables = TABLES
        .into_iter()
        .chain([MIGRATIONS_TABLE])
        .chain(PRIVCTL_TABLES);
    let mut counts = row_counts(db, tables).await;
    counts.push((
        "consumed confirmations".to_owned(),
        db.query_i64("SELECT count(*) FROM privctl_confirmations WHERE consumed_at IS NOT NULL")
            .await,
    ));
    counts.push((
        "invoices without customer_email".to_owned(),
        db.query_i64("SELECT count(*) FROM invoices WHERE customer_email IS NULL")
            .await,
    ));
    counts
}

/// A copy of the fixture map in the test's directory with `from` replaced by `to` (exactly one
/// occurrence).
#[track_caller]
fn broken_map(db: &TestDb, from: &str, to: &str) -> PathBuf {
    write_map_copy(db, "broken-privctl.toml", from, to)
}

#[track_caller]
fn assert_mentions(output: &RunOutput, needles: &[&str]) {
    for needle in needles {
        assert!(
            output.stderr.contains(needle),
            "stderr should mention {needle:?}: {output}"
        );
    }
}

/// Runs `dsar preview` and `dsar delete --confirm <a valid token>` with the broken map: both exit
/// 1 naming the map file and every one of `needles`, and nothing changes; the token still works
/// with the good map afterwards.
async fn assert_map_refused(db: &TestDb, privctl: &Privctl, map: &Path, needles: &[&str]) {
    let plan = privctl
        .clone()
        .args(["--format", "json", "dsar", "preview"])
        .args(JANE)
        .run()
        .success()
        .json();
    let token = plan["token"].as_str().expect("a token").to_owned();
    let before = snapshot(db).await;
    let broken = privctl.clone().map(map);
    let map_name = map.display().to_string();

    let preview = broken
        .clone()
        .args(["--format", "json", "dsar", "preview"])
        .args(JANE)
        .run();
    preview.code(1);
    assert_mentions(&preview, &[&map_name]);
    assert_mentions(&preview, needles);
    assert!(
        !preview.stdout.contains("pct_"),
        "a broken map issued a token: {preview}"
    );

    let delete = broken
        .clone()
        .args(["--format", "json", "dsar", "delete"])
        .args(JANE)
        .args(["--confirm", &token])
        .run();
    delete.code(1);
    assert_mentions(&delete, &[&map_name]);
    assert_mentions(&delete, needles);

    assert_eq!(snapshot(db).await, before, "a broken map changed something");

    // The refusal did not touch the token: with the good map it executes.
    let executed = privctl
        .clone()
        .args(["--format", "json", "dsar", "delete"])
        .args(JANE)
        .args(["--confirm", &token])
        .run();
    assert_eq!(executed.success().json()["executed"], Value::Bool(true));
}

/// A usage or lookup error: `code`, and no token, no ledger entry, no data changed.
async fn assert_nothing_done(db: &TestDb, before: &[(String, i64)], output: &RunOutput) {
    assert!(
        !output.stdout.contains("pct_"),
        "a refused run issued a token: {output}"
    );
    assert_eq!(
        snapshot(db).await,
        before,
        "a refused run changed something: {output}"
    );
}

both_dialects! {
    async fn an_unknown_key_is_refused_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(
            &db,
            "[tables.contacts]\ntenant = \"org_id\"",
            "[tables.contacts]\ntenat = \"org_id\"",
        );
        assert_map_refused(&db, &privctl, &map, &["tenat"]).await;
        db.cleanup().await;
    }

    async fn a_link_to_an_unknown_table_is_refused_naming_the_key_path(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(
            &db,
            "[tables.messages]\n",
            "[tables.messages]\nlinks = [{ column = \"conversation_id\", references = \"conversatons\" }]\n",
        );
        assert_map_refused(
            &db,
            &privctl,
            &map,
            &["conversatons", "tables.messages.links[0].references"],
        )
        .await;
        db.cleanup().await;
    }

    async fn a_bad_duration_is_refused_naming_confirm_ttl(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(&db, "ttl = \"15m\"", "ttl = \"15x\"");
        assert_map_refused(&db, &privctl, &map, &["confirm.ttl", "15x"]).await;
        db.cleanup().await;
    }

    /// A blob store's secret written into the map, settings an S3 store alone takes on a
    /// file:// store, and half a pair of credentials are refused, each naming its key; the
    /// secret itself is never repeated.
    async fn blob_store_credentials_must_be_named_not_written(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let store = "[blobs.recordings]\nurl = \"file://./blobs/recordings\"\n";
        let s3 = "[blobs.recordings]\nurl = \"s3://bucket/recordings\"\n";
        let check = |to: String, needles: &[&str]| {
            let map = broken_map(&db, store, &to);
            let checked = privctl.clone().map(&map).args(["dsar", "preview"]).args(JANE).run();
            checked.code(1);
            assert_mentions(&checked, needles);
            assert!(!checked.stderr.contains("wJalrXUtnFEMI-literal"), "the secret was repeated: {checked}");
            map
        };
        check(format!("{store}endpoint = \"http://127.0.0.1:9000\"\n"), &["blobs.recordings.endpoint", "only an s3:// store"]);
        check(format!("{s3}access_key_id = \"env:KEY_ID\"\n"), &["blobs.recordings", "go together"]);
        check(format!("{s3}endpoint = \"127.0.0.1:9000\"\n"), &["blobs.recordings.endpoint", "not an http:// or https:// URL"]);
        // The literal secret last (each map is written to the same file), refused by every
        // command with nothing done.
        let literal = check(
            format!("{s3}access_key_id = \"env:KEY_ID\"\nsecret_access_key = \"wJalrXUtnFEMI-literal\"\n"),
            &["blobs.recordings.secret_access_key", "env:VAR"],
        );
        assert_map_refused(&db, &privctl, &literal, &["blobs.recordings.secret_access_key"]).await;
        db.cleanup().await;
    }

    async fn an_empty_column_name_is_refused_naming_the_key(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(
            &db,
            "identities = { email = \"email\" }",
            "identities = { email = \"\" }",
        );
        assert_map_refused(&db, &privctl, &map, &["tables.members.identities.email"]).await;
        db.cleanup().await;
    }

    async fn a_column_name_with_a_control_character_is_refused_and_shown_escaped(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        // A TOML escape: the column name holds a raw U+0001.
        let map = broken_map(
            &db,
            "identities = { email = \"email\" }",
            "identities = { email = \"em\\u0001ail\" }",
        );
        assert_map_refused(&db, &privctl, &map, &["tables.members.identities.email"]).await;
        let output = privctl
            .clone()
            .map(&map)
            .args(["dsar", "preview"])
            .args(JANE)
            .run();
        assert!(
            !output.stderr.contains('\u{1}'),
            "stderr prints the raw control character: {output}"
        );
        db.cleanup().await;
    }

    async fn a_mapped_table_missing_from_the_database_is_refused_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(
            &db,
            "[tables.schema_migrations]\n",
            "[tables.loyalty_points]\ntenant = \"org_id\"\ncategory = \"contact\"\nerase = \"delete\"\n\n\
             [tables.schema_migrations]\n",
        );
        assert_map_refused(&db, &privctl, &map, &["loyalty_points"]).await;
        db.cleanup().await;
    }

    async fn a_mapped_column_missing_from_the_database_is_refused_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(&db, "timestamp = \"issued_at\"", "timestamp = \"issued_on\"");
        assert_map_refused(&db, &privctl, &map, &["invoices", "issued_on"]).await;
        db.cleanup().await;
    }

    async fn a_tenant_name_column_missing_from_the_database_is_refused_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let map = broken_map(&db, "name = \"name\" ", "name = \"display_name\" ");
        assert_map_refused(&db, &privctl, &map, &["organizations", "display_name"]).await;
        db.cleanup().await;
    }

    async fn a_missing_tenant_is_a_usage_error(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db).await;

        let output = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--email", JANE_EMAIL])
            .run();

        output.code(2);
        assert_mentions(&output, &["--tenant"]);
        assert_nothing_done(&db, &before, &output).await;
        db.cleanup().await;
    }

    async fn an_unknown_tenant_fails_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db).await;

        let output = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--tenant", "acmee", "--email", JANE_EMAIL])
            .run();

        output.code(1);
        assert_mentions(&output, &["acmee"]);
        assert_nothing_done(&db, &before, &output).await;
        db.cleanup().await;
    }

    async fn an_invalid_phone_is_a_usage_error_that_does_not_repeat_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db).await;

        let output = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--tenant", "acme", "--phone", "12"])
            .run();

        output.code(2);
        assert_mentions(&output, &["phone"]);
        assert!(
            !output.stderr.contains("12") && !output.stdout.contains("12"),
            "the invalid phone number is printed: {output}"
        );
        assert_nothing_done(&db, &before, &output).await;
        db.cleanup().await;
    }

    async fn an_identity_the_map_lacks_is_a_usage_error_naming_it(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let before = snapshot(&db).await;

        let output = privctl
            .clone()
            .args(["--format", "json", "dsar", "preview", "--tenant", "acme", "--identity", "fax=1"])
            .run();

        output.code(2);
        assert_mentions(&output, &["fax"]);
        assert_nothing_done(&db, &before, &output).await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn no_database_url_is_a_usage_error() {
    let db = TestDb::new(Dialect::Sqlite).await;

    let output = Privctl::new(&db)
        .map(map_path())
        .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY)
        .env_remove("DATABASE_URL")
        .args(["--format", "json", "dsar", "preview"])
        .args(JANE)
        .run();

    output.code(2);
    assert!(
        output.stderr.contains("DATABASE_URL") || output.stderr.contains("--database-url"),
        "stderr should say how to name the database: {output}"
    );
    db.cleanup().await;
}
