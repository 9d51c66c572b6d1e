//! The links a tenant's deletion must mind: references from kept rows into deleted ones
//! (cleared first), references left out of the erasure order to break a cycle, and rows the
//! deleted rows own through an owned link (erased with their owner).

use anyhow::{Context as _, Result};

use super::Progress;
use crate::batch::Sizing;
use crate::db::{Param, Tx};
use crate::effects::{TenantErasure, count_homeless};
use crate::erase::anonymise_rows;
use crate::error::Failure;
use crate::map::Erase;
use crate::model::Link;
use crate::plan::{count, push_references};
use crate::selection::TenantSelection;
use crate::session::Session;

/// Sets to NULL, in batches, the references from kept rows (retained, anonymised) into the
/// tenant's rows of `parent`, before those rows are deleted.
pub(super) async fn clear_references_into(
    session: &Session,
    selection: &TenantSelection<'_>,
    parent: &str,
    sizing: Sizing,
) -> Result<()> {
    let model = selection.model();
    let erasure = TenantErasure::new(selection, &session.schema);
    if model.node(parent).spec.erase.tenant != Erase::Delete {
        return Ok(());
    }
    for (child, link) in model.links_into(parent) {
        if child.name == parent || child.spec.erase.tenant == Erase::Delete || !link.nullable {
            continue;
        }
        let mut sizer = sizing.sizer();
        loop {
            let began = std::time::Instant::now();
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(&child.name).push(" SET ");
            for (i, column) in link.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(column).push(" = NULL");
            }
            sql.push(" WHERE ")
                .tuple(&session.db.dialect().quote(&child.name), &child.key)
                .push(" IN (SELECT ");
            sql.columns("t", &child.key)
                .push(" FROM ")
                .ident(&child.name)
                .push(" t WHERE ");
            push_references(&mut sql, selection, &child.name, link);
            sql.push(" LIMIT ")
                .bind(Param::Int(sizer.limit()))
                .push(") RETURNING ");
            crate::selection::push_key_json(
                &mut sql,
                &session.db.dialect().quote(&child.name),
                &child.key,
            );
            let changed = tx
                .fetch_column(&sql)
                .await
                .with_context(|| format!("clearing {}.{}", child.name, link.columns.join(",")))?;
            if changed.is_empty() {
                tx.rollback().await?;
                break;
            }
            // A kept row whose only route to the tenant was this reference would belong to no
            // tenant: refuse rather than leave it holding data nobody can reach.
            let homeless = count_homeless(&mut tx, &erasure, &child.name, &changed).await?;
            if homeless > 0 {
                tx.rollback().await?;
                return Err(Failure::failed(format!(
                    "clearing `{}`.`{}` → `{parent}` would leave {homeless} kept row(s) of `{}` holding data but belonging to no tenant; this batch was not committed",
                    child.name,
                    link.columns.join("`, `"),
                    child.name
                ))
                .with_hint(format!(
                    "delete `{}` with the tenant (erase = {{ tenant = \"delete\" }}), or give it a tenant column",
                    child.name
                ))
                .into());
            }
            tx.commit().await?;
            sizer.record(changed.len() as u64, began.elapsed());
        }
    }
    Ok(())
}

/// Erases, in the transaction that deleted their owner, the rows an owner referenced through
/// an owned link (`keys`: the referenced values), unless anything still references them; then
/// what those rows own in turn. Once their owner is gone such rows cannot be found again, so
/// they are never left for a later batch.
pub(super) fn erase_owned<'a>(
    tx: &'a mut Tx,
    session: &'a Session,
    selection: &'a TenantSelection<'a>,
    link: &'a Link,
    keys: Vec<String>,
    progress: &'a mut Progress,
    now: crate::clock::Timestamp,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>> {
    Box::pin(async move {
        if keys.is_empty() {
            return Ok(());
        }
        let model = selection.model();
        let table = link.parent.as_str();
        let node = model.node(table);
        let column = &link.parent_columns[0];
        let sql_type = node.info.cast_type(column);
        for chunk in keys.chunks(500) {
            let push_where = |sql: &mut crate::db::Sql| {
                sql.column("t", column).push(" IN (");
                for (i, key) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_as(key, &sql_type);
                }
                sql.push(")");
                let mut n = 0;
                for (child, l) in model.links_into(table) {
                    n += 1;
                    push_not_referenced(sql, &child.name, l, &format!("r{n}"), "t");
                }
                if let Some(t) = &model.tenant {
                    for l in t.links.iter().filter(|l| l.parent == table) {
                        n += 1;
                        push_not_referenced(sql, &t.name, l, &format!("r{n}"), "t");
                    }
                }
            };
            match &node.spec.erase.tenant {
                Erase::Delete => {
                    let owned = owned_links(model, node);
                    let mut sql = tx.sql();
                    sql.push("DELETE FROM ").ident(table).push(" AS t WHERE ");
                    push_where(&mut sql);
                    sql.push(" RETURNING ");
                    match &node.spec.blob {
                        Some(blob) => sql.push("CAST(").ident(&blob.column).push(" AS text)"),
                        None => sql.push("NULL"),
                    };
                    for l in &owned {
                        sql.push(", CAST(").ident(&l.columns[0]).push(" AS text)");
                    }
                    let deleted = tx
                        .fetch_rows(&sql)
                        .await
                        .with_context(|| format!("deleting owned rows of {table}"))?;
                    let mut blobs = 0;
                    if let Some(blob) = &node.spec.blob {
                        let objects: Vec<String> =
                            deleted.iter().filter_map(|r| r[0].clone()).collect();
                        blobs = objects.len() as u64;
                        crate::blobs::enqueue(
                            tx,
                            &blob.store,
                            table,
                            Some(selection.tenant()),
                            &objects,
                            now,
                        )
                        .await?;
                    }
                    progress.add(table, deleted.len() as u64, blobs);
                    for (i, l) in owned.iter().enumerate() {
                        let next: Vec<String> =
                            deleted.iter().filter_map(|r| r[i + 1].clone()).collect();
                        erase_owned(tx, session, selection, l, next, progress, now).await?;
                    }
                }
                Erase::Anonymise(columns) => {
                    let rows =
                        anonymise_rows(tx, node.into(), columns, &session.ledger, None, push_where)
                            .await?;
                    progress.add(table, rows, 0);
                }
                Erase::Retain => {}
            }
        }
        Ok(())
    })
}

/// Clears, before anything is deleted, the nullable references privctl left out of the
/// erasure order to break a cycle of foreign keys, on the tenant's rows that will be deleted.
/// Refuses when rows reach the tenant only through such a reference: clearing it would
/// hide them from the deletion.
pub(super) async fn clear_broken_links(
    session: &Session,
    selection: &TenantSelection<'_>,
    sizing: Sizing,
) -> Result<()> {
    let model = selection.model();
    for (table, link) in &model.broken_links {
        let child = model.node(table);
        if child.global || child.spec.erase.tenant != Erase::Delete {
            continue;
        }
        let is_route = child.routes.iter().any(|r| {
            matches!(r, crate::model::Route::Parent(l) | crate::model::Route::Tenant(l) if l == link)
        });
        if is_route {
            // Clearing it is safe only if every row keeps another route to the tenant.
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("SELECT count(*) FROM ")
                .ident(table)
                .push(" t WHERE ");
            selection.push_scope(&mut sql, table, "t");
            // A NULL reference makes its route unknown, not false: COALESCE counts it out.
            sql.push(" AND NOT COALESCE((");
            crate::selection::push_tenant_scope_without(
                model,
                Some(selection.tenant()),
                &mut sql,
                table,
                "t",
                link,
            );
            sql.push("), 1 = 0)");
            let stranded = count(&mut tx, &sql).await?;
            tx.rollback().await?;
            if stranded > 0 {
                return Err(Failure::failed(format!(
                    "the foreign keys around `{table}` form a cycle that can only be broken at `{table}`.`{}`, and {stranded} row(s) of `{table}` reach the tenant only through it: clearing it would hide them from the deletion; nothing was deleted",
                    link.columns.join("`, `")
                ))
                .with_hint(format!("give `{table}` a tenant column (tenant = \"…\") or another route to the tenant"))
                .into());
            }
        }
        let mut sizer = sizing.sizer();
        loop {
            let began = std::time::Instant::now();
            let mut tx = session.begin_for(Some(selection.tenant())).await?;
            let mut sql = tx.sql();
            sql.push("UPDATE ").ident(table).push(" SET ");
            for (i, column) in link.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.ident(column).push(" = NULL");
            }
            sql.push(" WHERE ")
                .tuple(&session.db.dialect().quote(table), &child.key)
                .push(" IN (SELECT ")
                .columns("t", &child.key)
                .push(" FROM ")
                .ident(table)
                .push(" t WHERE ");
            selection.push_scope(&mut sql, table, "t");
            for column in &link.columns {
                sql.push(" AND ").column("t", column).push(" IS NOT NULL");
            }
            sql.push(" LIMIT ")
                .bind(Param::Int(sizer.limit()))
                .push(")");
            let changed = tx.execute(&sql).await.with_context(|| {
                format!(
                    "clearing {table}.{} to break a cycle",
                    link.columns.join(",")
                )
            })?;
            tx.commit().await?;
            if changed == 0 {
                break;
            }
            sizer.record(changed, began.elapsed());
        }
    }
    Ok(())
}

/// Leaves out the rows of `table` that the tenant row references through `[tenant] links`:
/// they are erased after it.
pub(super) fn push_not_owned_by_tenant(
    sql: &mut crate::db::Sql,
    model: &crate::model::Model,
    table: &str,
    alias: &str,
) {
    let Some(t) = &model.tenant else {
        return;
    };
    for (i, link) in t.links.iter().filter(|l| l.parent == table).enumerate() {
        push_not_referenced(sql, &t.name, link, &format!("own{i}"), alias);
    }
}

/// ` AND NOT EXISTS (a row of `from` referencing the row under `alias` through `link`)`.
pub(super) fn push_not_referenced(
    sql: &mut crate::db::Sql,
    from: &str,
    link: &Link,
    inner: &str,
    alias: &str,
) {
    sql.push(" AND NOT EXISTS (SELECT 1 FROM ")
        .ident(from)
        .push(" ")
        .push(inner)
        .push(" WHERE ")
        .tuple(inner, &link.columns)
        .push(" = ")
        .tuple(alias, &link.parent_columns)
        .push(")");
}

/// The owned links of `node` into mapped tables: the rows they reference go with the row.
pub(super) fn owned_links<'m>(
    model: &'m crate::model::Model,
    node: &'m crate::model::Node,
) -> Vec<&'m Link> {
    node.links
        .iter()
        .filter(|l| l.owned && l.parent != node.name && model.nodes.contains_key(&l.parent))
        .collect()
}
