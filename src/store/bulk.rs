//! Multi-row inserts in chunks that stay under both backends' bound-parameter limits.

use sea_query::{InsertStatement, OnConflict, Query, Value};

use super::Tx;
use crate::error::AppResult;

/// Bound parameters per statement: below SQLite's 32 766 and PostgreSQL's 65 535.
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` (each with one value per column) into `table`, several rows per statement.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<Value>>,
) -> AppResult<()> {
    for q in chunked_inserts(table, columns, rows, None) {
        tx.execute(&q?).await?;
    }
    Ok(())
}

/// The multi-row inserts of `rows` into `table`, each under the parameter limit, each with
/// `on_conflict` when given, built one at a time as the caller runs them (so that a million rows
/// are never all rendered at once). Within one statement a key must appear once (PostgreSQL
/// refuses to update a row twice in one statement): callers deduplicate.
pub fn chunked_inserts<I>(
    table: &'static str,
    columns: &[&'static str],
    rows: I,
    on_conflict: Option<&OnConflict>,
) -> impl Iterator<Item = AppResult<InsertStatement>> + Send + use<I>
where
    I: IntoIterator<Item = Vec<Value>>,
    I::IntoIter: Send,
{
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let columns: Vec<&'static str> = columns.to_vec();
    let on_conflict = on_conflict.cloned();
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        let mut q = Query::insert();
        q.into_table(table).columns(columns.iter().copied());
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

/// After rows were inserted with explicit ids, moves PostgreSQL's identity sequence past them
/// (SQLite needs nothing: it continues from the largest rowid).
pub async fn resync_identity(tx: &mut Tx, table: &'static str) -> AppResult<()> {
    if tx.backend() == super::Backend::Postgres {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        );
        tx.raw(&sql).await?;
    }
    Ok(())
}
