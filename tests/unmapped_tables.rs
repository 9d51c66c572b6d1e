//! A map that does not account for every table of the database: every command that reads or
//! erases personal data refuses (exit 5) before it reads, writes or issues anything, naming the
//! table and pointing at `privctl map check`, rather than report a tenant or a subject erased
//! while the table keeps their rows. privctl's own tables, SQLite's internal ones and ignored
//! tables never count.

use std::path::{Path, PathBuf};

use crate::support::bundle::utf8;
use crate::support::fixture::{
    map_copy_path, setup_with_map_copy, snapshot, token_of, verify_ledger,
};
use crate::support::{Dialect, RunOutput, TestDb, both_dialects, run};

/// The HMAC key of the ledger (the map reads it from `env:PRIVCTL_LEDGER_KEY`).
const LEDGER_KEY: &str = "unmapped-tests-ledger-key-51c0e2";

/// A fixed "now" for every run, so the purge's token and its confirmation agree.
const NOW: &str = "2026-11-25T12:00:00Z";

/// Jane Doe in acme (fixtures/conversational-ai/README.md); one of her attachments is in the
/// table the map leaves out.
const JANE: [&str; 2] = ["--email", "jane.doe@example.com"];

/// A copy of the map in the test's directory without the block of `[tables.<table>]` (from its
/// header to the next blank line): the map of a platform after a migration added the table.
#[track_caller]
fn map_without(db: &TestDb, table: &str) -> PathBuf {
    let text = std::fs::read_to_string(map_copy_path(db)).expect("cannot read the map copy");
    let header = format!("\n[tables.{table}]\n");
    let start = text.find(&header).expect("the table's block") + 1;
    let end = start
        + text[start..]
            .find("\n\n")
            .expect("a blank line after the block")
        + 2;
    let path = db.dir().join(format!("without-{table}.toml"));
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..]))
        .expect("cannot write the map");
    path
}

/// The refusal: exit 5, the table named, `map check` pointed at, nothing on stdout.
#[track_caller]
fn assert_refused(output: &RunOutput, table: &str) {
    output.code(5);
    assert!(
        output
            .stderr
            .contains(&format!("`{table}` is neither mapped nor ignored")),
        "the table is named: {output}"
    );
    assert!(
        output.stderr.contains("privctl map check"),
        "map check is pointed at: {output}"
    );
    assert!(
        output.stdout.is_empty(),
        "no plan, token or result: {output}"
    );
}

async fn confirmations(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM privctl_confirmations")
        .await
}

async fn ledger_entries(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM privctl_ledger").await
}

both_dialects! {
    /// Without `[tables.attachments]` (a table with the tenant column and a blob, as a
    /// migration would add it): dsar preview, export, delete (dry run and confirmed), scan,
    /// export-tenant, delete-tenant (dry run and confirmed) and purge-retention (dry run and
    /// confirmed) all exit 5, name the table, write no file, issue no token, consume none and
    /// change no row; with the whole map again, the tokens still work.
    async fn every_command_on_personal_data_refuses_a_map_that_leaves_a_table_out(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        if dialect == Dialect::Sqlite {
            // SQLite's own bookkeeping (privctl's outbox uses AUTOINCREMENT) never counts.
            assert_eq!(
                db.query_i64("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
                    .await,
                1
            );
        }
        // Tokens issued while the map still covered every table.
        let dsar_plan = run(&privctl, &[&["dsar", "delete", "--tenant", "acme"][..], &JANE].concat())
            .success()
            .json();
        let tenant_plan = run(&privctl, &["delete-tenant", "--tenant", "globex"])
            .success()
            .json();
        let purge_plan = run(&privctl, &["purge-retention"]).success().json();

        let partial = privctl.clone().map(map_without(&db, "attachments"));
        let before = snapshot(&db, |_| "1 = 1".to_owned()).await;
        let tokens = confirmations(&db).await;
        let entries = ledger_entries(&db).await;

        let (dsar_token, tenant_token, purge_token) =
            (token_of(&dsar_plan), token_of(&tenant_plan), token_of(&purge_plan));
        let out = db.dir().join("out");
        let out_text = utf8(&out);
        let refused: Vec<Vec<&str>> = vec![
            [&["dsar", "preview", "--tenant", "acme"][..], &JANE].concat(),
            [&["dsar", "export", "--tenant", "acme", "--out", out_text][..], &JANE].concat(),
            [&["dsar", "delete", "--tenant", "acme"][..], &JANE].concat(),
            [
                &["dsar", "delete", "--tenant", "acme", "--confirm", &dsar_token][..],
                &JANE,
            ]
            .concat(),
            [&["dsar", "scan", "--tenant", "acme"][..], &JANE].concat(),
            vec!["export-tenant", "--tenant", "acme", "--out", out_text],
            vec!["delete-tenant", "--tenant", "acme"],
            vec!["delete-tenant", "--tenant", "globex", "--confirm", &tenant_token],
            vec!["purge-retention"],
            vec!["purge-retention", "--tenant", "acme"],
            vec!["purge-retention", "--confirm", &purge_token],
        ];
        for args in &refused {
            let output = run(&partial, args);
            assert_refused(&output, "attachments");
            assert!(!Path::new(&out).exists(), "no file: {output}");
        }
        assert_eq!(snapshot(&db, |_| "1 = 1".to_owned()).await, before, "no row changed");
        assert_eq!(confirmations(&db).await, tokens, "no token issued");
        assert_eq!(ledger_entries(&db).await, entries, "nothing read, nothing recorded");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_jobs").await,
            0,
            "no job started"
        );

        // `map check` reports the same table; draining the outbox (work earlier runs committed
        // to) still runs; so do commands that read no personal data.
        let check = partial.clone().args(["map", "check"]).run();
        check.code(5);
        assert!(check.stderr.contains("attachments") || check.stdout.contains("attachments"), "{check}");
        run(&partial, &["purge-retention", "--blobs-only"]).success();
        run(&partial, &["audit-verify"]).success();

        // The whole map again: the refused runs left every token usable.
        run(&privctl, &["delete-tenant", "--tenant", "globex", "--confirm", &tenant_token])
            .success();
        run(
            &privctl,
            &[&["dsar", "delete", "--tenant", "acme", "--confirm", &dsar_token][..], &JANE]
                .concat(),
        )
        .success();
        let verification = verify_ledger(&db, LEDGER_KEY).await;
        assert!(verification.ok(), "{:?}", verification.problems);
        db.cleanup().await;
    }

    /// A table the map ignores (with a reason) is accounted for: the commands run.
    async fn an_ignored_table_is_accounted_for(dialect: Dialect) {
        let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
        db.execute("CREATE TABLE feature_flags (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL)")
            .await;
        let unmapped = run(&privctl, &["export-tenant", "--tenant", "acme", "--out", "bundle.json"]);
        assert_refused(&unmapped, "feature_flags");
        let map = map_copy_path(&db);
        let text = std::fs::read_to_string(&map).expect("cannot read the map copy");
        std::fs::write(
            &map,
            format!("{text}\n[tables.feature_flags]\nignore = true\nreason = \"switches, no personal data\"\n"),
        )
        .expect("cannot write the map copy");
        run(&privctl, &["export-tenant", "--tenant", "acme", "--out", "bundle.json"]).success();
        run(&privctl, &[&["dsar", "preview", "--tenant", "acme"][..], &JANE].concat()).success();
        db.cleanup().await;
    }
}
