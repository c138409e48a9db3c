//! `auditEvents`: who saw what, when, under which scope — for the authorized body and the
//! integrator; heads of bodies see their own staff's events.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::req;
use super::query::{Conn, connection, page_request};
use crate::audit::{EventQuery, StoredEvent};
use crate::error::{AppError, Expected};
use crate::store::page::Page;

/// Filter on audit events.
#[derive(InputObject, Debug, Clone, Default)]
pub struct AuditEventFilter {
    /// Only this user's events.
    pub user_id: Option<ID>,
    /// Only events of this organization's users.
    pub organization_id: Option<ID>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Only these outcomes (`OK`, `FORBIDDEN`, `UNAUTHENTICATED`, ...).
    pub outcomes: Option<Vec<String>>,
    /// Only the event of this request (the `requestId` of a response or error).
    pub request_id: Option<String>,
}

/// One recorded request or workflow step.
#[derive(SimpleObject)]
pub struct AuditEvent {
    /// Position in the chain.
    pub seq: ID,
    /// When.
    pub at: DateTime<Utc>,
    /// Acting user.
    pub user_id: Option<ID>,
    /// Acting user's organization.
    pub organization_id: Option<ID>,
    /// Operation.
    pub operation: Option<String>,
    /// SHA-256 of the query text.
    pub query_hash: Option<String>,
    /// Variables (secrets redacted).
    pub variables: Option<String>,
    /// Scope applied, in words.
    pub scope: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Rows returned.
    pub rows_returned: Option<i64>,
    /// Duration in milliseconds.
    pub duration_ms: Option<i64>,
    /// Client address.
    pub client_addr: Option<String>,
    /// The request id, as in the response's `X-Request-Id` header and error extensions.
    pub request_id: Option<String>,
    /// Whether the answer was served from the response cache: the same data, read earlier by a
    /// request with the same permissions at the same data epoch.
    pub served_from_cache: bool,
    /// This event's hash.
    pub hash: String,
}

impl From<StoredEvent> for AuditEvent {
    fn from(e: StoredEvent) -> Self {
        let id = |v: Option<i64>| v.map(|v| ID(v.to_string()));
        let (seq, hash, e) = (e.seq, e.hash, e.event);
        AuditEvent {
            seq: ID(seq.to_string()),
            at: e.at,
            user_id: id(e.user_id),
            organization_id: id(e.organization_id),
            operation: e.operation,
            query_hash: e.query_hash,
            variables: e.variables,
            scope: e.scope,
            outcome: e.outcome,
            rows_returned: e.rows_returned,
            duration_ms: e.duration_ms,
            client_addr: e.client_addr,
            request_id: e.request_id,
            served_from_cache: e.served_from_cache,
            hash,
        }
    }
}

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Recorded events, newest first.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<Conn<AuditEvent>> {
        let r = req(ctx)?;
        let visible = r.allowed(r.permissions().audit_events())?;
        let f = filter.unwrap_or_default();
        let parse = |field: &str, v: &Option<ID>| -> Result<Option<i64>> {
            v.as_ref()
                .map(|id| {
                    id.parse::<i64>().map_err(|_| {
                        r.error(AppError::invalid(field, Expected::IntegerIn(1, i64::MAX)))
                    })
                })
                .transpose()
        };
        let q = EventQuery {
            user_id: parse("filter.userId", &f.user_id)?,
            organization_id: parse("filter.organizationId", &f.organization_id)?,
            from: f.from,
            until: f.until,
            outcomes: f.outcomes,
            request_id: f.request_id,
        };
        // Newest first: the cursor is the last sequence number seen, the next page lies below it.
        let page = page_request(r.lang, first, after)?;
        let (rows, more) = crate::store::audit::list(r.db(), visible, &q, page.first, page.after)
            .await
            .map_err(|e| r.error(e))?;
        let rows = Page {
            items: rows,
            has_next: more,
        };
        Ok(connection(rows, page, None, |e| e.seq, AuditEvent::from))
    }
}
