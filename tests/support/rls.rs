//! The platform's application role of a row-level-security fixture (crm-rls, helpdesk-voice),
//! set up the way their READMEs tell an operator to: a login role without superuser or
//! BYPASSRLS, with `SELECT, INSERT, UPDATE, DELETE` on the platform's tables and on privctl's
//! own tables, `SELECT` on privctl's migrations (after `privctl init` ran as the schema owner),
//! and nothing else.
//!
//! ```ignore
//! let app_url = rls::application_role(&db, "crm_app", "secret", &TABLES).await;
//! let app = superuser.env("DATABASE_URL", &app_url);
//! ```

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use super::TestDb;
use super::fixture::{PRIVCTL_MIGRATIONS_TABLE, PRIVCTL_TABLES};

/// Creates the role (see [`TestDb::create_role`]), takes back what the test harness grants it
/// beyond the README's grants (every table, sequences, `CREATE` on the schema: so ignored tables
/// such as `schema_migrations` get nothing), grants it `tables`, privctl's tables and `SELECT` on
/// privctl's migrations, checks that it neither is a superuser nor bypasses row-level security,
/// and returns a URL connecting as it.
/// Run it after `privctl init`, so privctl's tables exist.
pub async fn application_role(db: &TestDb, role: &str, password: &str, tables: &[&str]) -> String {
    let url = db.create_role(role, password).await;
    db.execute(&format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};
         REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};
         REVOKE CREATE ON SCHEMA public FROM {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {role};
         GRANT SELECT ON {PRIVCTL_MIGRATIONS_TABLE} TO {role};",
        tables.join(", "),
        PRIVCTL_TABLES.join(", "),
    ))
    .await;
    let flags = db
        .query_strings(&format!(
            "SELECT CAST(rolsuper AS text) || ',' || CAST(rolbypassrls AS text) FROM pg_roles WHERE rolname = '{role}'"
        ))
        .await;
    assert_eq!(
        flags,
        ["false,false"],
        "the role {role} must not bypass row-level security"
    );
    url
}

/// Counts of each of `tables` as the connection's role sees them, in one transaction that first
/// sets `app.current_tenant` to `tenant` (when given) the way privctl does.
pub async fn counts_as_role(
    connection: &mut PgConnection,
    tenant: Option<&str>,
    tables: &[&str],
) -> BTreeMap<String, i64> {
    let mut tx = connection.begin().await.expect("cannot begin");
    if let Some(tenant) = tenant {
        sqlx::query("SELECT set_config('app.current_tenant', $1, true)")
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .expect("set_config failed");
    }
    let mut counts = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|error| panic!("counting {table} as the role: {error}"));
        counts.insert((*table).to_owned(), n);
    }
    tx.commit().await.expect("cannot commit");
    counts
}
