//! Blob stores on S3 (issue 18): the objects of the rows a DSAR erasure, a tenant deletion and a
//! retention purge remove leave a real S3-protocol server (moto, see support/s3.rs), and only
//! those; a store that refuses (a wrong secret, an IAM deny on one key, a server stopped
//! mid-run) leaves its keys in the outbox with the store's answer, and `purge-retention
//! --blobs-only` finishes the job once the store is back.
//!
//! The ground truth is the database itself: after each command, the objects left in the bucket
//! are exactly the storage keys of the rows left in `recordings` and `attachments`. On a real
//! schema (Langfuse's media), it is the hand-written truth of fixtures/real/langfuse.

use std::collections::BTreeSet;

use crate::cli::delete_tenant::delete_tenant;
use crate::cli::purge_retention::{NOW, confirm, dry_run, purge};
use crate::support::fixture::{map_copy_path, setup_with_map_copy, token_of};
use crate::support::s3::{self, Server};
use crate::support::{Dialect, Privctl, TestDb, both_dialects, fixture_path};

const LEDGER_KEY: &str = "s3-tests-ledger-key-51ab";
const JANE: [&str; 2] = ["--email", "jane.doe@example.com"];
const STORES: [&str; 2] = ["recordings", "attachments"];

/// The fixture with its two stores on `server`, below a prefix of this test's own, every row's
/// object put there; the runner carries the store's credentials in the environment.
async fn on_s3(dialect: Dialect, server: &Server) -> (TestDb, Privctl, String) {
    let (db, privctl) = setup_with_map_copy(dialect, LEDGER_KEY).await;
    let prefix = s3::fresh_prefix();
    let path = map_copy_path(&db);
    let mut map = std::fs::read_to_string(&path).unwrap();
    for store in STORES {
        let file = format!("[blobs.{store}]\nurl = \"file://./blobs/{store}\"\n");
        assert!(map.contains(&file), "the fixture's [blobs.{store}]");
        map = map.replacen(
            &file,
            &server.map_section(store, &format!("{prefix}/{store}")),
            1,
        );
    }
    std::fs::write(&path, map).unwrap();
    for store in STORES {
        let keys = row_keys(&db, store).await;
        s3::put_all(
            &server.store(&format!("{prefix}/{store}")),
            &keys.into_iter().collect::<Vec<_>>(),
        )
        .await;
    }
    let privctl = privctl
        .current_dir(db.dir())
        .env("PRIVCTL_S3_KEY_ID", &server.key_id)
        .env("PRIVCTL_S3_SECRET", &server.secret);
    (db, privctl, prefix)
}

/// The storage keys of the rows of `table`.
async fn row_keys(db: &TestDb, table: &str) -> BTreeSet<String> {
    db.query_strings(&format!(
        "SELECT storage_key FROM {table} WHERE storage_key IS NOT NULL"
    ))
    .await
    .into_iter()
    .collect()
}

/// The fixture's storage keys, by store: every object [`on_s3`] puts.
async fn fixture_keys(db: &TestDb) -> Vec<BTreeSet<String>> {
    let mut keys = Vec::new();
    for store in STORES {
        keys.push(row_keys(db, store).await);
    }
    keys
}

/// Of the objects put, those left in the bucket are exactly the rows' storage keys, store by
/// store; returns how many objects are left.
async fn assert_objects_match_rows(
    db: &TestDb,
    server: &Server,
    prefix: &str,
    put: &[BTreeSet<String>],
    what: &str,
) -> usize {
    let mut total = 0;
    for (store, keys) in STORES.iter().zip(put) {
        let objects = s3::present(&server.store(&format!("{prefix}/{store}")), keys).await;
        let rows: BTreeSet<String> = row_keys(db, store)
            .await
            .intersection(keys)
            .cloned()
            .collect();
        assert_eq!(objects, rows, "{what}: the objects of {store}");
        total += objects.len();
    }
    total
}

async fn pending(db: &TestDb) -> i64 {
    db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NULL")
        .await
}

both_dialects! {
    /// A DSAR erasure, a tenant deletion and a retention purge each delete the objects of the
    /// rows they remove from S3, and no other object.
    async fn erasures_tenant_deletions_and_purges_delete_their_objects_from_s3(dialect: Dialect) {
        let server = s3::shared();
        let (db, privctl, prefix) = on_s3(dialect, server).await;
        let put = fixture_keys(&db).await;
        let before = assert_objects_match_rows(&db, server, &prefix, &put, "before").await;
        assert_eq!(before, 12, "6 recordings and 6 attachments");

        let plan = privctl.clone().args(["--format", "json", "dsar", "delete", "--tenant", "acme"]).args(JANE).run();
        let token = token_of(&plan.success().json());
        let erased = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(JANE)
            .args(["--confirm", &token])
            .run();
        let erased = erased.success().json();
        let deleted = erased["blobs"]["deleted"].as_u64().unwrap();
        assert!(deleted >= 1, "{erased}");
        let after_dsar = assert_objects_match_rows(&db, server, &prefix, &put, "after the DSAR").await;
        assert_eq!(after_dsar as u64, before as u64 - deleted);

        let plan = delete_tenant(&privctl, "globex", &[]).success().json();
        let gone = delete_tenant(&privctl, "globex", &["--confirm", &token_of(&plan)]);
        gone.success();
        let after_tenant = assert_objects_match_rows(&db, server, &prefix, &put, "after delete-tenant globex").await;
        assert!(after_tenant < after_dsar, "globex had objects");

        let clocked = privctl.clone().env("PRIVCTL_NOW", NOW);
        // Past max_fraction once globex is gone: the purge is meant.
        let plan = dry_run(&clocked, &["--allow-large"]);
        let purged = confirm(&clocked, &plan, &[]);
        assert!(purged["blobs"]["deleted"].as_u64().unwrap() >= 1, "{purged}");
        let after_purge = assert_objects_match_rows(&db, server, &prefix, &put, "after the purge").await;
        assert!(after_purge < after_tenant);
        assert_eq!(pending(&db).await, 0);
        db.cleanup().await;
    }

    /// A wrong secret: the erasure commits, its object stays in the bucket and in the outbox
    /// with the store's answer (exit 1); with the right secret, `--blobs-only` deletes it. An
    /// IAM deny on one key: that object alone stays queued, with the store's answer, run after
    /// run, while every other object goes.
    async fn a_store_that_refuses_keeps_its_keys_queued_until_it_accepts(dialect: Dialect) {
        let server = s3::shared();
        let (db, privctl, prefix) = on_s3(dialect, server).await;
        let put = fixture_keys(&db).await;
        let wrong = privctl.clone().env("PRIVCTL_S3_SECRET", "not-the-secret");
        let plan = wrong.clone().args(["--format", "json", "dsar", "delete", "--tenant", "acme"]).args(JANE).run();
        let token = token_of(&plan.success().json());
        let refused = wrong.clone().args(["dsar", "delete", "--tenant", "acme"]).args(JANE).args(["--confirm", &token]).run();
        refused.code(1);
        assert!(refused.stderr.contains("could not be deleted and stay in the outbox"), "{refused}");
        assert!(refused.stderr.contains("attachments: "), "{refused}");
        assert!(refused.stderr.contains("the store refused: 403 Forbidden, SignatureDoesNotMatch"), "{refused}");
        assert!(refused.stderr.contains("purge-retention --blobs-only"), "the hint: {refused}");
        assert!(!refused.stderr.contains("not-the-secret"), "the secret was printed: {refused}");
        let queued = pending(&db).await;
        assert!(queued >= 1);
        let errors = db.query_strings("SELECT last_error FROM privctl_blob_outbox WHERE done_at IS NULL").await;
        assert!(errors.iter().all(|e| e.contains("403") || e.contains("SignatureDoesNotMatch")), "{errors:?}");
        // The rows are gone, their objects not yet.
        let attachments = s3::present(&server.store(&format!("{prefix}/attachments")), &put[1]).await;
        assert_eq!(attachments.len(), row_keys(&db, "attachments").await.len() + queued as usize);

        let finished = purge(&privctl, &["--blobs-only"]).success().json();
        assert_eq!(finished["blobs"]["deleted"].as_i64(), Some(queued), "{finished}");
        assert_eq!(pending(&db).await, 0);
        assert_objects_match_rows(&db, server, &prefix, &put, "after --blobs-only").await;

        // A recording the purge removes gets a key naming `locked`, which the store's policy
        // refuses to delete.
        let locked = "hooli/2026/05/rec-401.wav".to_owned();
        assert!(row_keys(&db, "recordings").await.contains(&locked));
        let renamed = format!("locked/{locked}");
        db.execute(&format!("UPDATE recordings SET storage_key = '{renamed}' WHERE storage_key = '{locked}'")).await;
        let recordings = server.store(&format!("{prefix}/recordings"));
        s3::put_all(&recordings, std::slice::from_ref(&renamed)).await;
        let clocked = privctl.clone().env("PRIVCTL_NOW", NOW);
        let plan = dry_run(&clocked, &[]);
        let run = purge(&clocked, &["--confirm", &token_of(&plan)]);
        run.code(1);
        assert!(run.stderr.contains(&format!("recordings: {renamed}: ")), "{run}");
        assert!(run.stderr.contains("the store refused: 403 Forbidden, AccessDenied: Access Denied"), "{run}");
        assert_eq!(db.query_strings("SELECT object_key FROM privctl_blob_outbox WHERE done_at IS NULL").await, std::slice::from_ref(&renamed));
        let left = s3::present(&recordings, &BTreeSet::from([renamed.clone()])).await;
        assert!(left.contains(&renamed), "the denied object is still there");
        let again = purge(&privctl, &["--blobs-only"]);
        again.code(1);
        assert_eq!(db.query_i64("SELECT attempts FROM privctl_blob_outbox WHERE done_at IS NULL").await, 2);
        db.cleanup().await;
    }

    /// The store stops while a purge deletes its objects: the objects deleted before stay
    /// recorded, the others stay queued with the connection error (exit 1, well within a
    /// minute); once the store is back, `--blobs-only` deletes them and empties the outbox.
    async fn a_store_stopped_mid_run_leaves_the_rest_queued_for_blobs_only(dialect: Dialect) {
        let mut private = s3::Private::start();
        let (db, privctl, prefix) = on_s3(dialect, private.server()).await;
        let put = fixture_keys(&db).await;
        let clocked = privctl.clone().env("PRIVCTL_NOW", NOW);
        let plan = dry_run(&clocked, &[]);
        let to_delete: u64 = plan["tables"].as_array().unwrap().iter().map(|t| t["blobs"].as_u64().unwrap_or(0)).sum();
        assert!(to_delete >= 3, "{plan}");
        let started = std::time::Instant::now();
        let mut run = clocked
            .clone()
            .env("PRIVCTL_TEST_FAULT", "pause-after-objects:1:5")
            .args(["--format", "json", "purge-retention", "--confirm", &token_of(&plan)])
            .spawn();
        // The first object is gone from the store; the process sleeps before the next.
        let stores: Vec<_> = STORES.iter().map(|s| private.server().store(&format!("{prefix}/{s}"))).collect();
        loop {
            let mut objects = 0;
            for (store, keys) in stores.iter().zip(&put) {
                objects += s3::present(store, keys).await.len();
            }
            if objects < 12 {
                break;
            }
            assert!(!run.has_exited(), "the purge ended before deleting an object");
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "no object was deleted within 60 s");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        private.stop();
        let out = run.finish(std::time::Duration::from_secs(120));
        out.code(1);
        assert!(started.elapsed() < std::time::Duration::from_secs(90), "the run hung on the stopped store");
        assert!(out.stderr.contains("stay in the outbox"), "{out}");
        let queued = pending(&db).await;
        assert_eq!(queued as u64, to_delete - 1, "every object after the first stays queued");
        let recorded: i64 = db.query_i64("SELECT count(*) FROM privctl_blob_outbox WHERE done_at IS NOT NULL").await;
        assert_eq!(recorded, 1, "the object deleted before the stop is recorded");

        private.restart();
        let privctl = privctl.env("PRIVCTL_S3_KEY_ID", "test").env("PRIVCTL_S3_SECRET", "test");
        let finished = purge(&privctl, &["--blobs-only"]).success().json();
        assert_eq!(finished["blobs"]["deleted"].as_i64(), Some(queued), "{finished}");
        assert_eq!(pending(&db).await, 0);
        db.cleanup().await;
    }
}

/// Langfuse's media object of Acme (the one row of `media` that the hand-written
/// fixtures/real/langfuse/truth/tenant.sql lists for Acme).
const ACME_MEDIA: &str = "media/clx0proj0000acme000000011/clx0medi0000acme000000001.png";
/// A media object of Globex's project, added beside it by the test.
const GLOBEX_MEDIA: &str = "media/clx0proj0000globex0000021/clx0medi0000globex0000001.png";

/// On a real schema (Langfuse, re-created from its migrations: fixtures/real/langfuse), with
/// `media.bucket_path` naming objects on S3: `delete-tenant` of Acme deletes exactly Acme's
/// media object, reached from the organisation through its project and named only by a row with
/// no primary key, and leaves Globex's; nothing stays queued.
#[tokio::test]
async fn on_a_real_schema_delete_tenant_deletes_exactly_the_tenants_objects() {
    let server = s3::shared();
    let db = TestDb::new(Dialect::Postgres).await;
    let app = fixture_path("real").join("langfuse");
    let read = |file: &str| std::fs::read_to_string(app.join(file)).unwrap();
    db.execute(&read("schema.sql")).await;
    db.execute(&read("seed.sql")).await;
    db.execute(&format!(
        "INSERT INTO media (id, sha_256_hash, project_id, uploaded_at, upload_http_status, bucket_path, bucket_name, content_type, content_length) VALUES \
         ('clx0medi0000globex0000001', 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgh=', 'clx0proj0000globex0000021', '2026-03-02 10:00:00.000', 200, '{GLOBEX_MEDIA}', 'langfuse-media', 'image/png', 1024)"
    ))
    .await;
    let in_bucket: BTreeSet<String> = db
        .query_strings("SELECT bucket_path FROM media")
        .await
        .into_iter()
        .collect();
    assert_eq!(
        in_bucket,
        BTreeSet::from([ACME_MEDIA.to_owned(), GLOBEX_MEDIA.to_owned()]),
        "the seed's media rows"
    );

    let prefix = s3::fresh_prefix();
    let map = read("privctl.toml");
    let table = "[tables.media]\nkey = [\"project_id\", \"id\"]";
    assert_eq!(map.matches(table).count(), 1, "the map's [tables.media]");
    let map = map.replacen(
        table,
        &format!("{table}\nblob = {{ column = \"bucket_path\", store = \"media\" }}"),
        1,
    ) + "\n"
        + &server.map_section("media", &prefix);
    let map_path = db.dir().join("privctl.toml");
    std::fs::write(&map_path, map).unwrap();
    let store = server.store(&prefix);
    s3::put_all(&store, &in_bucket.iter().cloned().collect::<Vec<_>>()).await;

    let privctl = Privctl::new(&db)
        .map(&map_path)
        .current_dir(db.dir())
        .env("PRIVCTL_LEDGER_KEY", LEDGER_KEY)
        .env("PRIVCTL_S3_KEY_ID", &server.key_id)
        .env("PRIVCTL_S3_SECRET", &server.secret);
    privctl.clone().arg("init").run().success();
    let acme = ["--tenant", "clx0orga0000acme000000001"];
    let plan = privctl
        .clone()
        .args(["--format", "json", "delete-tenant"])
        .args(acme)
        .run()
        .success()
        .json();
    let token = token_of(&plan);
    let run = privctl
        .clone()
        .args(["--format", "json", "delete-tenant"])
        .args(acme)
        .args(["--confirm", &token])
        .run();
    let done = run.success().json();

    assert_eq!(
        s3::present(&store, &in_bucket).await,
        BTreeSet::from([GLOBEX_MEDIA.to_owned()]),
        "the objects left: Globex's only\n{run}"
    );
    assert_eq!(pending(&db).await, 0, "objects still queued: {done}");
    assert_eq!(
        db.query_strings("SELECT bucket_path FROM media").await,
        vec![GLOBEX_MEDIA.to_owned()],
        "the media rows left"
    );
    db.cleanup().await;
}
