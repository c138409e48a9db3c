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
    for q in chunked_inserts(table, columns, rows, None)? {
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The multi-row inserts of `rows` into `table`, each under the parameter limit, each with
/// `on_conflict` when given. Within one statement a key must appear once (PostgreSQL refuses to
/// update a row twice in one statement): callers deduplicate.
pub fn chunked_inserts(
    table: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<Value>>,
    on_conflict: Option<&OnConflict>,
) -> AppResult<Vec<InsertStatement>> {
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut statements = Vec::with_capacity(rows.len() / per_statement + 1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut q = Query::insert();
        q.into_table(table).columns(columns.iter().copied());
        for row in rows.by_ref().take(per_statement) {
            q.values(row.into_iter().map(Into::into))
                .map_err(|e| anyhow::anyhow!("bulk insert into {table}: {e}"))?;
        }
        if let Some(c) = on_conflict {
            q.on_conflict(c.clone());
        }
        statements.push(q);
    }
    Ok(statements)
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
