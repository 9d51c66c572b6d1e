//! Reading the live schema: tables, columns, primary keys, foreign keys, row-level security.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};

use super::{Dialect, Param, Tx};

/// The tables of the database (PostgreSQL: the current schema).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, TableInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub row_security: bool,
    pub partitioned: bool,
}

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    /// The type as the catalog names it (`bigint`, `timestamp with time zone`, `TEXT`).
    pub sql_type: String,
    pub nullable: bool,
}

/// `columns` of this table reference `referenced_columns` of `references`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
}

impl TableInfo {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

pub(super) async fn read(tx: &mut Tx) -> Result<Schema> {
    match tx.dialect() {
        Dialect::Postgres => read_postgres(tx).await,
        Dialect::Sqlite => read_sqlite(tx).await,
    }
    .context("reading the database schema")
}

const PG_TABLES: &str = "
SELECT c.relname::text, CASE WHEN c.relrowsecurity THEN 't' ELSE 'f' END,
       CASE WHEN c.relkind = 'p' THEN 't' ELSE 'f' END
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1";

const PG_COLUMNS: &str = "
SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attnotnull THEN 'f' ELSE 't' END
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum";

const PG_PRIMARY_KEYS: &str = "
SELECT c.relname::text, a.attname::text
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace
  AND NOT c.relispartition
ORDER BY c.relname, k.ord";

const PG_FOREIGN_KEYS: &str = "
SELECT con.oid::text, c.relname::text, rc.relname::text, a.attname::text, ra.attname::text
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_class rc ON rc.oid = con.confrelid
JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS u(k, rk, ord) ON true
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.k
JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = u.rk
WHERE con.contype = 'f' AND con.conparentid = 0
  AND c.relnamespace = current_schema()::regnamespace
  AND rc.relnamespace = current_schema()::regnamespace
ORDER BY c.relname, con.conname, u.ord";

async fn read_postgres(tx: &mut Tx) -> Result<Schema> {
    let mut schema = Schema::default();
    for row in rows(tx, PG_TABLES).await? {
        let name = row[0].clone();
        schema.tables.insert(
            name.clone(),
            TableInfo {
                name,
                row_security: row[1] == "t",
                partitioned: row[2] == "t",
                ..Default::default()
            },
        );
    }
    for row in rows(tx, PG_COLUMNS).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            table.columns.push(ColumnInfo {
                name: row[1].clone(),
                sql_type: row[2].clone(),
                nullable: row[3] == "t",
            });
        }
    }
    for row in rows(tx, PG_PRIMARY_KEYS).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            table.primary_key.push(row[1].clone());
        }
    }
    let mut foreign: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    let mut order = Vec::new();
    for row in rows(tx, PG_FOREIGN_KEYS).await? {
        let key = (row[1].clone(), row[0].clone());
        let fk = foreign.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            ForeignKey {
                columns: vec![],
                references: row[2].clone(),
                referenced_columns: vec![],
            }
        });
        fk.columns.push(row[3].clone());
        fk.referenced_columns.push(row[4].clone());
    }
    for key in order {
        let fk = foreign.remove(&key).expect("collected above");
        if let Some(table) = schema.tables.get_mut(&key.0) {
            table.foreign_keys.push(fk);
        }
    }
    Ok(schema)
}

const SQLITE_TABLES: &str = "
SELECT name FROM sqlite_schema
WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY name";

const SQLITE_COLUMNS: &str = "
SELECT m.name, p.name, p.type, p.\"notnull\", p.pk
FROM sqlite_schema m, pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, p.cid";

const SQLITE_FOREIGN_KEYS: &str = "
SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\"
FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, f.id, f.seq";

async fn read_sqlite(tx: &mut Tx) -> Result<Schema> {
    let mut schema = Schema::default();
    for row in rows(tx, SQLITE_TABLES).await? {
        let name = row[0].clone();
        schema.tables.insert(
            name.clone(),
            TableInfo {
                name,
                ..Default::default()
            },
        );
    }
    let mut pk_positions: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in rows(tx, SQLITE_COLUMNS).await? {
        if let Some(table) = schema.tables.get_mut(&row[0]) {
            let pk: i64 = row[4].parse().unwrap_or(0);
            table.columns.push(ColumnInfo {
                name: row[1].clone(),
                sql_type: row[2].clone(),
                // A primary key column of a rowid table is never NULL in practice.
                nullable: row[3] == "0" && pk == 0,
            });
            if pk > 0 {
                pk_positions
                    .entry(row[0].clone())
                    .or_default()
                    .push((pk, row[1].clone()));
            }
        }
    }
    for (name, mut columns) in pk_positions {
        columns.sort();
        if let Some(table) = schema.tables.get_mut(&name) {
            table.primary_key = columns.into_iter().map(|(_, c)| c).collect();
        }
    }
    let mut current: Option<(String, String, ForeignKey)> = None;
    let mut collected = Vec::new();
    for row in rows(tx, SQLITE_FOREIGN_KEYS).await? {
        let same = current
            .as_ref()
            .is_some_and(|(t, id, _)| *t == row[0] && *id == row[1]);
        if !same {
            collected.extend(current.take());
            current = Some((
                row[0].clone(),
                row[1].clone(),
                ForeignKey {
                    columns: vec![],
                    references: row[2].clone(),
                    referenced_columns: vec![],
                },
            ));
        }
        let (_, _, fk) = current.as_mut().expect("set above");
        fk.columns.push(row[3].clone());
        // An empty `to` means the referenced table's primary key.
        fk.referenced_columns.push(row[4].clone());
    }
    collected.extend(current);
    for (table, _, mut fk) in collected {
        if fk.referenced_columns.iter().any(String::is_empty)
            && let Some(parent) = schema.tables.get(&fk.references)
        {
            fk.referenced_columns = parent.primary_key.clone();
        }
        if let Some(t) = schema.tables.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }
    Ok(schema)
}

async fn rows(tx: &mut Tx, query: &'static str) -> Result<Vec<Vec<String>>> {
    let mut sql = tx.sql();
    sql.push(query);
    let _: Option<Param> = None;
    Ok(tx
        .fetch_rows(&sql)
        .await?
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect())
}
