//! One end-to-end test file per platform fixture (PLATFORMS.md; each fixture's README.md holds
//! the facts its file relies on): each walks the platform's privacy policy as an operator's
//! scripts would, with the real binary. They share [`setup`] (and `support::run`).

mod chat_widget;
mod conversational_ai;
mod crm_rls;
mod helpdesk_voice;
mod voice_receptionist;

use crate::support::{Dialect, Privctl, TestDb};

/// `fixtures/<fixture>` in a fresh database of this dialect, its map (and the key files beside
/// it) copied into the test's directory as `privctl.toml`, and a runner with that copy and
/// `envs`, working in the test's directory, after running `privctl init` with it (as the schema
/// owner: the database's superuser on PostgreSQL). The map's `file://./blobs/…` stores then
/// resolve inside the test's directory, never in the repository.
pub async fn setup(dialect: Dialect, fixture: &str, envs: &[(&str, &str)]) -> (TestDb, Privctl) {
    let db = TestDb::new(dialect).await;
    db.load_fixture(fixture).await;
    let map = db.map_copy(fixture, "privctl.toml", &[]);
    let mut privctl = Privctl::new(&db).map(&map).current_dir(db.dir());
    for (key, value) in envs {
        privctl = privctl.env(key, value);
    }
    privctl.clone().arg("init").run().success();
    (db, privctl)
}
