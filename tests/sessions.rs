//! What every session privctl opens to the database is set to, whatever the server's defaults:
//! on PostgreSQL UTC, a 5 s lock timeout, no JIT compilation and an application name that names
//! the process; on SQLite foreign keys enforced. Commands rely on each (timestamps compared as
//! UTC, a lock never waited on for long, statements that stay short, a lock holder named).

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
