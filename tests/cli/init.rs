//! `privctl init` creates privctl's own tables and can run again: it keeps the ledger it holds.

use super::dsar::{JANE, LEDGER_KEY, dsar, ledger_rows};
use crate::support::fixture::{setup, verify_ledger};
use crate::support::{Dialect, both_dialects};

both_dialects! {
    /// `privctl init` can run again: it succeeds and keeps the ledger it already holds.
    async fn is_idempotent(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        dsar(&privctl, "preview", "acme", &JANE, &[]).success();
        let ledger = ledger_rows(&db).await;
        assert_eq!(ledger.len(), 1);

        privctl.clone().arg("init").run().success();
        privctl.clone().arg("init").run().success();

        assert_eq!(ledger_rows(&db).await, ledger, "init changed the ledger");
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        assert_eq!(verification.entries, 1);
        // Still usable after a second init.
        dsar(&privctl, "preview", "acme", &JANE, &[]).success();
        assert_eq!(verify_ledger(&db, LEDGER_KEY).await.entries, 2);
        db.cleanup().await;
    }
}
