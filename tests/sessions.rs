//! The sessions privctl opens to the database. Whatever the server's defaults, each is set up
//! the same way: on PostgreSQL UTC, a 5 s lock timeout, no JIT compilation and an application
//! name that names the process; on SQLite foreign keys enforced. Commands rely on each
//! (timestamps compared as UTC, a lock never waited on for long, statements that stay short, a
//! lock holder named). A run's transactions, one after another, share one connection.

use privctl::db::{Db, TxMode};

use crate::support::{Dialect, TestDb, both_dialects};

/// One setting as the session sees it.
async fn setting(db: &Db, query: &str) -> String {
    let mut tx = db.begin(TxMode::Snapshot).await.expect("cannot begin");
    let mut sql = tx.sql();
    sql.push(query);
    let rows = tx.fetch_rows(&sql).await.expect("cannot read the setting");
    tx.rollback().await.expect("cannot roll back");
    rows[0][0].clone().unwrap_or_default()
}

both_dialects! {
    /// JIT off (issue 16): PostgreSQL compiled 77 functions in 386 ms of a 470 ms DSAR statement
    /// that takes 60 ms without it; privctl's statements are short and never gain from it. The
    /// server here has JIT on by default, so the session must turn it off itself.
    async fn every_session_has_its_own_settings(dialect: Dialect) {
        let test_db = TestDb::new(dialect).await;
        let db = Db::connect(&test_db.url, false).await.expect("cannot connect");
        match dialect {
            Dialect::Postgres => {
                assert_eq!(setting(&db, "SELECT current_setting('jit')").await, "off");
                assert_eq!(setting(&db, "SELECT current_setting('TimeZone')").await, "UTC");
                assert_eq!(setting(&db, "SELECT current_setting('lock_timeout')").await, "5s");
                let name = setting(&db, "SELECT current_setting('application_name')").await;
                assert_eq!(name, format!("privctl pid {}", std::process::id()));
            }
            Dialect::Sqlite => {
                assert_eq!(setting(&db, "PRAGMA foreign_keys").await, "1");
            }
        }
        test_db.cleanup().await;
    }
}

/// Whether the temporary table `privctl_same_session` exists: temporary tables belong to one
/// connection, so it tells whether a transaction runs on the connection that created it.
async fn on_the_creating_connection(db: &Db) -> bool {
    let mut tx = db.begin(TxMode::Write).await.expect("cannot begin");
    let mut sql = tx.sql();
    sql.push("SELECT count(*) FROM privctl_same_session");
    let seen = tx.fetch_rows(&sql).await.is_ok();
    tx.rollback().await.expect("cannot roll back");
    seen
}

both_dialects! {
    /// Transactions one after another run on one connection (issue 16): the pool got each
    /// connection back from a task spawned when it was dropped, so the next transaction, asking
    /// first, made the pool open a second connection (a backend and a handshake, 5-10 ms per run).
    /// A transaction dropped while open closes its connection instead: nothing of it is reused.
    async fn a_runs_transactions_share_one_connection(dialect: Dialect) {
        let test_db = TestDb::new(dialect).await;
        let db = Db::connect(&test_db.url, false).await.expect("cannot connect");
        let mut tx = db.begin(TxMode::Write).await.expect("cannot begin");
        let mut sql = tx.sql();
        sql.push("CREATE TEMPORARY TABLE privctl_same_session (x INTEGER)");
        tx.execute(&sql).await.expect("cannot create the temporary table");
        tx.commit().await.expect("cannot commit");
        for round in 0..5 {
            assert!(on_the_creating_connection(&db).await, "round {round}: another connection");
            let snapshot = db.begin(TxMode::Snapshot).await.expect("cannot begin");
            snapshot.rollback().await.expect("cannot roll back");
        }

        // Dropped while open (an error on the way): its connection is closed, not reused.
        let tx = db.begin(TxMode::Write).await.expect("cannot begin");
        drop(tx);
        assert!(!on_the_creating_connection(&db).await, "a dropped transaction's connection was reused");
        test_db.cleanup().await;
    }
}
