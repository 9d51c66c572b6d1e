//! privctl's own tables as versioned migrations: `sql/<dialect>/NNNN_<what>.sql`, embedded in the
//! binary (it runs where the repository is not), applied by `privctl init` through sqlx's
//! [`Migrator`], and checked by every other command once per run before it touches them.

use std::borrow::Cow;

use anyhow::{Context as _, Result};
use sqlx::SqlSafeStr as _;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};

use super::{Db, Dialect, Tx, TxMode};
use crate::error::Failure;

/// sqlx's bookkeeping table: one row per applied migration. Named so it is clearly privctl's
/// (`privctl_*`, which the map never has to mention and an operator's grants already cover), and
/// so it never meets a platform's own sqlx migrations in their `_sqlx_migrations`, where
/// privctl's version 1 would collide with theirs.
pub const MIGRATIONS_TABLE: &str = "privctl_migrations";

/// One migration file, embedded.
struct Embedded {
    version: i64,
    /// The file name's part after `NNNN_`, as sqlx records it.
    description: &'static str,
    sql: &'static str,
}

const POSTGRES: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "privctl",
        sql: include_str!("../../sql/postgres/0001_privctl.sql"),
    },
    Embedded {
        version: 2,
        description: "ledger_tree",
        sql: include_str!("../../sql/postgres/0002_ledger_tree.sql"),
    },
];

const SQLITE: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "privctl",
        sql: include_str!("../../sql/sqlite/0001_privctl.sql"),
    },
    Embedded {
        version: 2,
        description: "ledger_tree",
        sql: include_str!("../../sql/sqlite/0002_ledger_tree.sql"),
    },
];

fn embedded(dialect: Dialect) -> &'static [Embedded] {
    match dialect {
        Dialect::Postgres => POSTGRES,
        Dialect::Sqlite => SQLITE,
    }
}

/// The version of privctl's tables this privctl needs: its newest migration.
pub fn required_version(dialect: Dialect) -> i64 {
    embedded(dialect)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

fn migrator(dialect: Dialect) -> Migrator {
    let migrations = embedded(dialect)
        .iter()
        .map(|m| {
            Migration::new(
                m.version,
                Cow::Borrowed(m.description),
                MigrationType::Simple,
                m.sql.into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    // Safe here, despite the name: no database had privctl's migrations recorded anywhere else.
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    migrator
}

impl Db {
    /// Applies the migrations this database lacks, each in its own transaction (`privctl init`).
    /// Safe to run again: applied migrations are only compared with this privctl's (a changed or
    /// unknown one is refused).
    pub async fn migrate(&self) -> Result<()> {
        let dialect = self.dialect();
        let migrator = migrator(dialect);
        let applied = match self {
            Db::Postgres(pool) => migrator.run(pool).await,
            Db::Sqlite(pool) => migrator.run(pool).await,
        };
        let failure = match applied {
            Ok(()) => return Ok(()),
            Err(MigrateError::VersionMissing(version)) => {
                newer_than_this_privctl(version, required_version(dialect))
            }
            Err(MigrateError::VersionMismatch(version)) => Failure::failed(format!(
                "{MIGRATIONS_TABLE} records migration {version} with another checksum than this privctl's sql/{}/{version:04}_*.sql: the migration was changed after it was applied",
                dialect.name()
            ))
            .with_hint("a released migration never changes: run the privctl that applied it, and change the schema in a new migration"),
            Err(error) => return Err(error).context("applying privctl's migrations"),
        };
        Err(failure.into())
    }

    /// The version privctl's tables are at: the newest migration recorded as applied; `Some(0)`
    /// for tables an earlier privctl created without migrations; `None` when there are none.
    /// One query on a database `privctl init` has run on; more only to explain a refusal.
    pub async fn privctl_version(&self) -> Result<Option<i64>> {
        const SQL: &str = "SELECT max(version) FROM privctl_migrations WHERE success";
        // In a transaction, whose end hands the connection back before the run's next one
        // (see pooltx): asked of the pool directly, the run would open a second connection.
        let mut tx = self.begin(TxMode::Snapshot).await?;
        let read: Result<Option<i64>, sqlx::Error> = match &mut tx {
            Tx::Postgres(conn) => sqlx::query_scalar(SQL).fetch_one(&mut **conn).await,
            Tx::Sqlite(conn) => sqlx::query_scalar(SQL).fetch_one(&mut **conn).await,
        };
        tx.rollback().await?;
        match read {
            Ok(Some(version)) => return Ok(Some(version)),
            // The bookkeeping exists without a row: an init stopped before its first migration.
            Ok(None) => {}
            // Only a missing table means "never migrated"; anything else (a role without SELECT
            // on it, a lost connection) is reported as it is.
            Err(error) => {
                if self.table_exists(MIGRATIONS_TABLE).await? {
                    return Err(error).context(format!(
                        "reading the version of privctl's tables from {MIGRATIONS_TABLE} (privctl's role needs SELECT on it)"
                    ));
                }
            }
        }
        Ok(self.table_exists("privctl_ledger").await?.then_some(0))
    }

    /// Refuses, saying what to run, unless privctl's tables are at the version this privctl
    /// needs. Every command that reads or writes them calls it once, before anything else.
    pub async fn require_privctl_tables(&self) -> Result<()> {
        let needed = required_version(self.dialect());
        let failure = match self.privctl_version().await? {
            Some(version) if version == needed => return Ok(()),
            None => Failure::failed("privctl's own tables are missing from this database")
                .with_hint("run `privctl init` once to create them"),
            Some(version) if version < needed => {
                let origin = if version == 0 {
                    " (created before privctl versioned them)"
                } else {
                    ""
                };
                Failure::failed(format!(
                    "privctl's tables are at version {version}{origin}, this privctl needs {needed}"
                ))
                .with_hint("run `privctl init`: it upgrades them in place and keeps every row")
            }
            Some(version) => newer_than_this_privctl(version, needed),
        };
        Err(failure.into())
    }

    async fn table_exists(&self, name: &str) -> Result<bool> {
        let mut tx = self.begin(TxMode::Snapshot).await?;
        let exists = tx.table_exists(name).await?;
        tx.rollback().await?;
        Ok(exists)
    }
}

fn newer_than_this_privctl(version: i64, needed: i64) -> Failure {
    Failure::failed(format!(
        "privctl's tables are at version {version}, newer than this privctl knows (it needs {needed})"
    ))
    .with_hint("run a privctl at least as new as the one that last ran `privctl init` on this database")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-384 of every released migration, as `privctl_migrations` records it. A database
    /// that has one applied refuses `privctl init` once its file changes by a byte: add a new
    /// migration instead, and a line here when it is released.
    const RELEASED: [(Dialect, i64, &str); 2] = [
        (
            Dialect::Postgres,
            1,
            "e03733b03cd0061f11543be263c4de1e3637cf92fe6cfdaa95f4ee364c29670bf816a94153bb48f66a6b02ec827e9707",
        ),
        (
            Dialect::Sqlite,
            1,
            "ce27b5d406be30c9e143ba91641119773c7b3d51bdcfee745369b9b141a095233e68d13fd8d47403686785564585104a",
        ),
    ];

    #[test]
    fn released_migrations_never_change() {
        for (dialect, version, checksum) in RELEASED {
            let migration = migrator(dialect)
                .iter()
                .find(|m| m.version == version)
                .cloned()
                .unwrap_or_else(|| panic!("{} migration {version} is gone", dialect.name()));
            assert_eq!(
                hex::encode(&*migration.checksum),
                checksum,
                "sql/{}/{version:04}_{}.sql changed after its release: put the change in a new migration",
                dialect.name(),
                migration.description,
            );
        }
    }

    /// Every file in sql/<dialect>/ is embedded under its own version and description, and the
    /// dialects have the same versions (one `required_version` for both).
    #[test]
    fn every_migration_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let folder = root.join(dialect.name());
            let mut files: Vec<(String, String)> = std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()))
                .map(|entry| {
                    let path = entry.expect("cannot list sql/").path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    let text = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                    (name, text)
                })
                .collect();
            files.sort();
            let embedded: Vec<(String, String)> = embedded(dialect)
                .iter()
                .map(|m| {
                    (
                        format!("{:04}_{}.sql", m.version, m.description),
                        m.sql.to_owned(),
                    )
                })
                .collect();
            assert_eq!(
                files,
                embedded,
                "sql/{}/ and the migrations embedded in src/db/migrate.rs differ",
                dialect.name()
            );
        }
        let versions =
            |dialect| -> Vec<i64> { embedded(dialect).iter().map(|m| m.version).collect() };
        let numbered: Vec<i64> = (1..=required_version(Dialect::Postgres)).collect();
        assert_eq!(
            versions(Dialect::Postgres),
            numbered,
            "versions are 1, 2, 3, …"
        );
        assert_eq!(
            versions(Dialect::Sqlite),
            numbered,
            "versions are 1, 2, 3, …"
        );
    }
}
