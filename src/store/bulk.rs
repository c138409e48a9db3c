//! Multi-row inserts in chunks that stay under both backends' bound-parameter limits.

use sea_query::{DynIden, Iden, InsertStatement, IntoIden, OnConflict, Query, Value};

use super::Tx;
use crate::error::AppResult;

/// Bound parameters per statement: below SQLite's 32 766 and PostgreSQL's 65 535.
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` (each with one value per column) into `table` (a table enum of
/// [`super::schema`], its `Table` variant), several rows per statement.
pub async fn insert_rows<T>(
    tx: &mut Tx,
    table: T,
    columns: &[T],
    rows: Vec<Vec<Value>>,
) -> AppResult<()>
where
    T: Iden + Copy + 'static,
{
    for q in chunked_inserts(table, columns, rows, None) {
        tx.execute(&q?).await?;
    }
    Ok(())
}

/// The multi-row inserts of `rows` into `table` (a table enum's `Table` variant, `columns` its
/// column variants), each under the parameter limit, each with `on_conflict` when given, built
/// one at a time as the caller runs them (so that a million rows are never all rendered at
/// once). Within one statement a key must appear once (PostgreSQL refuses to update a row twice
/// in one statement): callers deduplicate.
pub fn chunked_inserts<T, I>(
    table: T,
    columns: &[T],
    rows: I,
    on_conflict: Option<&OnConflict>,
) -> impl Iterator<Item = AppResult<InsertStatement>> + Send + use<T, I>
where
    T: Iden + Copy + 'static,
    I: IntoIterator<Item = Vec<Value>>,
    I::IntoIter: Send,
{
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let table: DynIden = table.into_iden();
    let columns: Vec<DynIden> = columns.iter().copied().map(IntoIden::into_iden).collect();
    let on_conflict = on_conflict.cloned();
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        let mut q = Query::insert();
        q.into_table(table.clone()).columns(columns.iter().cloned());
        for row in rows.by_ref().take(per_statement) {
            if let Err(e) = q.values(row.into_iter().map(Into::into)) {
                return Some(Err(anyhow::anyhow!("bulk insert into {table}: {e}").into()));
            }
        }
        if let Some(c) = &on_conflict {
            q.on_conflict(c.clone());
        }
        Some(Ok(q))
    })
}

/// After rows were inserted with explicit ids into `table` (a table enum's `Table` variant, of
/// a table whose identity column is `id`), moves PostgreSQL's identity sequence past them
/// (SQLite needs nothing: it continues from the largest rowid).
pub async fn resync_identity<T: Iden>(tx: &mut Tx, table: T) -> AppResult<()> {
    if tx.backend() == super::Backend::Postgres {
        // `setval` and `pg_get_serial_sequence` have no sea-query form: the statement is text,
        // its table name the enum's.
        let table = table.to_string();
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        );
        tx.raw(&sql).await?;
    }
    Ok(())
}

/// Serializes the imports that replace `table` (a table enum's `Table` variant): on PostgreSQL a
/// lock that lets readers on but queues other writers until the transaction ends; SQLite's one
/// writer at a time does it there.
pub async fn lock_for_import<T: Iden>(tx: &mut Tx, table: T) -> AppResult<()> {
    if tx.backend() == super::Backend::Postgres {
        let table = table.to_string();
        tx.raw(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
            .await?;
    }
    Ok(())
}
