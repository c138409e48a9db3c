//! The audit trail's rows: reading the chain's head under the append lock, inserting chained
//! events, and the reads that verify and list them. The chain itself is computed in
//! [`crate::audit`].

use sea_query::{Expr, ExprTrait, Order, Query};

use super::schema::AuditEvents;
use super::{Backend, Db, Tx};
use crate::audit::{EventQuery, StoredEvent};
use crate::authz::permissions::BodyRows;
use crate::error::AppResult;

/// The columns [`StoredEvent`] decodes, in the order [`insert`] writes them.
const COLUMNS: [AuditEvents; 16] = [
    AuditEvents::Seq,
    AuditEvents::At,
    AuditEvents::UserId,
    AuditEvents::OrganizationId,
    AuditEvents::Operation,
    AuditEvents::QueryHash,
    AuditEvents::Variables,
    AuditEvents::Scope,
    AuditEvents::Outcome,
    AuditEvents::RowsReturned,
    AuditEvents::DurationMs,
    AuditEvents::ClientAddr,
    AuditEvents::RequestId,
    AuditEvents::ServedFromCache,
    AuditEvents::PrevHash,
    AuditEvents::Hash,
];

/// The newest event's number and hash.
#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

fn head_query() -> sea_query::SelectStatement {
    Query::select()
        .columns([AuditEvents::Seq, AuditEvents::Hash])
        .from(AuditEvents::Table)
        .order_by(AuditEvents::Seq, Order::Desc)
        .limit(1)
        .to_owned()
}

/// Serializes appends until `tx` ends and reads the chain's head (the newest event's number
/// and hash) under that lock. PostgreSQL takes a transaction-level advisory lock and reads the
/// head in one call (`audit_hub_chain_head`, migration 0017: its second statement takes a fresh
/// snapshot, after the lock is held); SQLite allows one writer at a time, and appenders begin
/// IMMEDIATE, so the lock is already held and the head is read plainly.
pub async fn lock_and_head(tx: &mut Tx) -> AppResult<Option<(i64, String)>> {
    let q = match tx.backend() {
        Backend::Postgres => Query::select()
            .columns([AuditEvents::Seq, AuditEvents::Hash])
            .from_function(
                sea_query::Func::cust(sea_query::Alias::new("audit_hub_chain_head")),
                sea_query::Alias::new("head"),
            )
            .to_owned(),
        Backend::Sqlite => head_query(),
    };
    let h: Option<Head> = tx.optional(&q).await?;
    Ok(h.map(|h| (h.seq, h.hash)))
}

/// The newest event's number and hash.
pub async fn head(db: &Db) -> AppResult<Option<(i64, String)>> {
    let h: Option<Head> = db.optional(&head_query()).await?;
    Ok(h.map(|h| (h.seq, h.hash)))
}

/// Inserts chained events in order, with multi-row inserts.
pub async fn insert(tx: &mut Tx, events: Vec<StoredEvent>) -> AppResult<()> {
    let rows = events
        .into_iter()
        .map(|c| {
            let e = c.event;
            vec![
                c.seq.into(),
                e.at.into(),
                e.user_id.into(),
                e.organization_id.into(),
                e.operation.into(),
                e.query_hash.into(),
                e.variables.into(),
                e.scope.into(),
                e.outcome.into(),
                e.rows_returned.into(),
                e.duration_ms.into(),
                e.client_addr.into(),
                e.request_id.into(),
                e.served_from_cache.into(),
                c.prev_hash.into(),
                c.hash.into(),
            ]
        })
        .collect();
    super::bulk::insert_rows(tx, AuditEvents::Table, &COLUMNS, rows).await?;
    Ok(())
}

/// Appends chained events in one statement, outside any transaction, if the chain's head is
/// still `head` (number and hash): `audit_hub_append_after` (PostgreSQL migration 0019) takes
/// the append lock, checks the head and inserts, and its statement commits before it answers.
/// False, with nothing written, when the head has moved or the backend is SQLite (its appends
/// are local transactions, with no round trips to save).
pub async fn append_after(db: &Db, head: (i64, &str), events: &[StoredEvent]) -> AppResult<bool> {
    if db.backend() != Backend::Postgres {
        return Ok(false);
    }
    /// One event as the function's `jsonb_to_recordset` reads it (its column names).
    #[derive(serde::Serialize)]
    struct Row<'a> {
        seq: i64,
        at: String,
        user_id: Option<i64>,
        organization_id: Option<i64>,
        operation: Option<&'a str>,
        query_hash: Option<&'a str>,
        variables: Option<&'a str>,
        scope: Option<&'a str>,
        outcome: &'a str,
        rows_returned: Option<i64>,
        duration_ms: Option<i64>,
        client_addr: Option<&'a str>,
        request_id: Option<&'a str>,
        served_from_cache: bool,
        prev_hash: &'a str,
        hash: &'a str,
    }
    let rows: Vec<Row<'_>> = events
        .iter()
        .map(|c| {
            let e = &c.event;
            Row {
                seq: c.seq,
                at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                user_id: e.user_id,
                organization_id: e.organization_id,
                operation: e.operation.as_deref(),
                query_hash: e.query_hash.as_deref(),
                variables: e.variables.as_deref(),
                scope: e.scope.as_deref(),
                outcome: &e.outcome,
                rows_returned: e.rows_returned,
                duration_ms: e.duration_ms,
                client_addr: e.client_addr.as_deref(),
                request_id: e.request_id.as_deref(),
                served_from_cache: e.served_from_cache,
                prev_hash: &c.prev_hash,
                hash: &c.hash,
            }
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
    let q = Query::select()
        .expr_as(
            sea_query::Func::cust(sea_query::Alias::new("audit_hub_append_after")).args([
                Expr::val(head.0),
                Expr::val(head.1),
                Expr::val(rows).cast_as(sea_query::Alias::new("jsonb")),
            ]),
            sea_query::Alias::new("appended"),
        )
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Appended {
        appended: bool,
    }
    Ok(db
        .optional::<Appended>(&q)
        .await?
        .is_some_and(|a| a.appended))
}

/// The stored hash of event `seq`, if it exists.
pub async fn hash_of(db: &Db, seq: i64) -> AppResult<Option<String>> {
    let q = Query::select()
        .column(AuditEvents::Hash)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::Seq).eq(seq))
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Stored {
        hash: String,
    }
    Ok(db.optional::<Stored>(&q).await?.map(|s| s.hash))
}

/// The event just before `seq`.
pub async fn before(db: &Db, seq: i64) -> AppResult<Option<StoredEvent>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::Seq).lt(seq))
        .order_by(AuditEvents::Seq, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(db.optional(&q).await?)
}

/// Up to `limit` events after `seq`, in chain order.
pub async fn page_after(db: &Db, seq: i64, limit: u64) -> AppResult<Vec<StoredEvent>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AuditEvents::Table)
        .and_where(Expr::col(AuditEvents::Seq).gt(seq))
        .order_by(AuditEvents::Seq, Order::Asc)
        .limit(limit)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// A page of the events within `rows` matching `f`, newest first, below `before`; whether more
/// follow.
pub async fn list(
    db: &Db,
    rows: BodyRows,
    f: &EventQuery,
    first: u64,
    before: Option<i64>,
) -> AppResult<(Vec<StoredEvent>, bool)> {
    let mut q = Query::select()
        .columns(COLUMNS)
        .from(AuditEvents::Table)
        .cond_where(rows.condition(Expr::col(AuditEvents::OrganizationId)))
        .to_owned();
    if let Some(u) = f.user_id {
        q.and_where(Expr::col(AuditEvents::UserId).eq(u));
    }
    if let Some(o) = f.organization_id {
        q.and_where(Expr::col(AuditEvents::OrganizationId).eq(o));
    }
    if let Some(t) = f.from {
        q.and_where(Expr::col(AuditEvents::At).gte(t));
    }
    if let Some(t) = f.until {
        q.and_where(Expr::col(AuditEvents::At).lt(t));
    }
    if let Some(o) = &f.outcomes {
        q.and_where(Expr::col(AuditEvents::Outcome).is_in(o.iter().map(String::as_str)));
    }
    if let Some(id) = &f.request_id {
        q.and_where(Expr::col(AuditEvents::RequestId).eq(id.as_str()));
    }
    if let Some(b) = before {
        q.and_where(Expr::col(AuditEvents::Seq).lt(b));
    }
    q.order_by(AuditEvents::Seq, Order::Desc).limit(first + 1);
    let mut rows: Vec<StoredEvent> = db.all(&q).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok((rows, more))
}
