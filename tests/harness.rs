//! The harness itself: databases of both dialects, one per test.

use crate::support::{Dialect, TestDb, both_dialects};

#[tokio::test]
async fn postgres_test_db_answers() {
    let db = TestDb::new(Dialect::Postgres).await;
    assert_eq!(db.query_i64("SELECT 1").await, 1);
    db.cleanup().await;
}

#[tokio::test]
async fn two_postgres_test_dbs_are_different_databases() {
    let first = TestDb::new(Dialect::Postgres).await;
    let second = TestDb::new(Dialect::Postgres).await;
    assert_ne!(first.url, second.url);
    let first_name = first.query_strings("SELECT current_database()").await;
    let second_name = second.query_strings("SELECT current_database()").await;
    assert_ne!(first_name, second_name);

    first
        .execute("CREATE TABLE only_in_first (id integer)")
        .await;
    let tables =
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_first'";
    assert_eq!(first.query_i64(tables).await, 1);
    assert_eq!(second.query_i64(tables).await, 0);
    first.cleanup().await;
    second.cleanup().await;
}

#[tokio::test]
async fn sqlite_test_db_works() {
    let db = TestDb::new(Dialect::Sqlite).await;
    assert!(db.url.starts_with("sqlite://"));
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .await;
    db.execute(
        "INSERT INTO notes (body) VALUES ('first'); INSERT INTO notes (body) VALUES ('second')",
    )
    .await;
    assert_eq!(db.query_i64("SELECT count(*) FROM notes").await, 2);
    db.cleanup().await;
}

both_dialects! {
    /// Both dialects read back what they wrote, as text, NULL included.
    async fn round_trips_text_and_numbers(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        db.execute(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, visits INTEGER);
             INSERT INTO people (id, email, visits) VALUES (1, 'ada@example.com', 3), (2, NULL, 5);",
        )
        .await;
        assert_eq!(db.query_strings("SELECT visits FROM people ORDER BY id").await, ["3", "5"]);
        assert_eq!(
            db.query_optional_strings("SELECT email FROM people ORDER BY id").await,
            [Some("ada@example.com".to_owned()), None]
        );
        assert_eq!(db.query_i64("SELECT sum(visits) FROM people").await, 8);
        db.cleanup().await;
    }
}
