//! The query root: every field reads through the request's scope.

use std::sync::Arc;

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, ID, Object, OutputType, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::asked;
use super::context::{org_loader, parse_id, reader, req, to_graphql_error};
use super::inputs::{
    BudgetLineFilterInput, Dimension, DocumentFilterInput, InformatizationObjectFilterInput,
    OrganizationFilterInput,
};
use super::object_page::{ChildReads, ObjectChildren};
use super::plain::Plain;
use super::plain_connection::PlainConn;
use super::plain_list::PlainList;
use super::types::{BudgetAggregate, BudgetLine, Document, InformatizationObject, Organization};
use super::viewer::Viewer;
use crate::domain::lang::Lang;
use crate::error::{AppError, Expected};
use crate::store::budget::{self, BudgetDimension};
use crate::store::documents::{self, DocumentFilter};
use crate::store::filter::BudgetLineFilter;
use crate::store::objects::{self, InformatizationObjectFilter};
use crate::store::orgs::{self, OrganizationFilter};
use crate::store::page::{Page, PageRequest};

/// Extra fields of a connection.
#[derive(SimpleObject, Default)]
pub struct ConnectionTotals {
    /// Number of items matching the filter within the caller's scope (computed only when asked).
    pub total_count: Option<i64>,
}

/// A Relay connection with an optional total count.
pub(crate) type Conn<T> = Connection<IdCursor, T, ConnectionTotals>;

/// A row's cursor: its id, written out as opaque text only when `cursor`, `startCursor` or
/// `endCursor` is asked for (most pages ask for one cursor, if any, not one per edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        decode_cursor(s).map(IdCursor).ok_or("not a cursor")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

fn encode_cursor(id: i64) -> String {
    // One allocation per cursor (a page writes a hundred): the text is built on the stack.
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(id).as_bytes();
    let mut raw = [0u8; 3 + 20];
    raw[..3].copy_from_slice(b"c1:");
    raw[3..3 + digits.len()].copy_from_slice(digits);
    URL_SAFE_NO_PAD.encode(&raw[..3 + digits.len()])
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("c1:")?
        .parse()
        .ok()
}

/// Refuses a filter larger than the server's filter limits, naming the part that is too large.
fn bounded(
    ctx: &Context<'_>,
    r: &super::context::Reader,
    filter: Option<&BudgetLineFilter>,
) -> Result<()> {
    let limits = ctx
        .data::<crate::store::filter::FilterLimits>()
        .copied()
        .unwrap_or_default();
    match filter {
        Some(f) => f.check_size("filter", &limits).map_err(|e| r.error(e)),
        None => Ok(()),
    }
}

/// The page a `first`/`after` pair asks for; a bad value names its argument.
pub(crate) fn page_request(
    lang: Lang,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageRequest> {
    // Also for a variable's default, which the limits extension does not see: refused, never
    // silently capped.
    if let Some(f) = first
        && (f < 0 || i64::from(f) > crate::store::page::MAX_PAGE as i64)
    {
        return Err(to_graphql_error(
            AppError::invalid(
                "first",
                Expected::IntegerIn(0, crate::store::page::MAX_PAGE as i64),
            ),
            lang,
        ));
    }
    let after =
        match after {
            Some(c) => Some(decode_cursor(&c).ok_or_else(|| {
                to_graphql_error(AppError::invalid("after", Expected::Cursor), lang)
            })?),
            None => None,
        };
    Ok(PageRequest::new(first, after))
}

/// A connection over a page of rows, with cursors from their ids.
pub(crate) fn connection<R, T: OutputType>(
    page: Page<R>,
    req: PageRequest,
    total: Option<i64>,
    id: impl Fn(&R) -> i64,
    node: impl Fn(R) -> T,
) -> Conn<T> {
    let mut c = Connection::with_additional_fields(
        req.after.is_some(),
        page.has_next,
        ConnectionTotals { total_count: total },
    );
    c.edges = page
        .items
        .into_iter()
        .map(|r| Edge::new(IdCursor(id(&r)), node(r)))
        .collect();
    c
}

fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Read-only queries over budgets, informatization objects, documents and organizations.
#[derive(Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The caller: user, organization, grants and effective scope.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        req(ctx)?.principal()?;
        Ok(Viewer)
    }

    /// Budget amount rows (one per line, phase and execution date), in id order.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn budget_lines(
        &self,
        ctx: &Context<'_>,
        filter: Option<BudgetLineFilterInput>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<PlainConn<BudgetLine>> {
        let r = reader(ctx)?;
        let page = page_request(r.lang, first, after)?;
        let filter = filter.map(BudgetLineFilter::from);
        bounded(ctx, r, filter.as_ref())?;
        let f = filter.as_ref();
        // Only the text columns some selection of the page's lines asks for.
        let reads = asked::reads(&asked::nodes(ctx), asked::BUDGET_LINE);
        let rows = budget::list_lines(r.db(), r.scope(), f, page, reads)
            .await
            .map_err(|e| r.error(e))?;
        let total = if wants_total(ctx) {
            Some(
                budget::count_lines(r.db(), r.scope(), f)
                    .await
                    .map_err(|e| r.error(e))?,
            )
        } else {
            None
        };
        r.returned(rows.items.len());
        Ok(PlainConn(connection(
            rows,
            page,
            total,
            |l| l.id,
            |r| Plain(BudgetLine(r)),
        )))
    }

    /// Exact sums of budget amounts grouped by the given dimensions, ordered by the keys.
    #[graphql(complexity = "super::limits::aggregate_cost(child_complexity)")]
    async fn budget_summary(
        &self,
        ctx: &Context<'_>,
        group_by: Vec<Dimension>,
        filter: Option<BudgetLineFilterInput>,
    ) -> Result<PlainList<BudgetAggregate>> {
        let r = reader(ctx)?;
        let filter = filter.map(BudgetLineFilter::from);
        let group_by: Vec<BudgetDimension> = group_by.into_iter().map(Into::into).collect();
        bounded(ctx, r, filter.as_ref())?;
        let rows = budget::summary(r.db(), r.scope(), &group_by, filter.as_ref())
            .await
            .map_err(|e| r.error(e))?;
        r.returned(rows.len());
        Ok(PlainList(
            rows.into_iter().map(|r| Plain(r.into())).collect(),
        ))
    }

    /// Informatization objects, in id order.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn informatization_objects(
        &self,
        ctx: &Context<'_>,
        filter: Option<InformatizationObjectFilterInput>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<PlainConn<InformatizationObject>> {
        let r = reader(ctx)?;
        let page = page_request(r.lang, first, after)?;
        let filter = filter
            .map(InformatizationObjectFilter::try_from)
            .transpose()
            .map_err(|e| r.error(e))?;
        let rows = objects::list(r.db(), r.scope(), filter.as_ref(), page)
            .await
            .map_err(|e| r.error(e))?;
        // The children the page's objects ask for, read once for the whole page. Every object
        // of the page holds them, whether reached through `edges` or `nodes`, so the columns
        // read are what any of those selections asks for.
        let nodes = asked::nodes(ctx);
        let reads = ChildReads::asked(&nodes);
        let edges = ctx
            .look_ahead()
            .field("edges")
            .field("node")
            .selection_fields();
        let children = match edges.first() {
            // Boxed: its side-by-side reads make a large future, and held inline it would
            // enlarge the future of every root field (they share one), copied at each move.
            Some(node) => Some(Arc::new(
                Box::pin(ObjectChildren::read(
                    r,
                    org_loader(ctx)?,
                    *node,
                    &rows.items,
                    reads,
                ))
                .await
                .map_err(|e| r.error(e))?,
            )),
            None => None,
        };
        r.returned(rows.items.len());
        Ok(PlainConn(connection(
            rows,
            page,
            None,
            |o| o.id,
            |o| Plain(InformatizationObject(o, children.clone())),
        )))
    }

    /// One informatization object; null when it does not exist or is outside the caller's scope.
    async fn informatization_object(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<InformatizationObject>> {
        let r = reader(ctx)?;
        let id = parse_id(r.lang, "id", &id)?;
        Ok(r.objects
            .load_one(id)
            .await?
            .map(|o| InformatizationObject(o, None)))
    }

    /// Technical documents, in id order.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn documents(
        &self,
        ctx: &Context<'_>,
        filter: Option<DocumentFilterInput>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<PlainConn<Document>> {
        let r = reader(ctx)?;
        let page = page_request(r.lang, first, after)?;
        let filter = filter
            .map(DocumentFilter::try_from)
            .transpose()
            .map_err(|e| r.error(e))?;
        let rows = documents::list(r.db(), r.scope(), filter.as_ref(), page)
            .await
            .map_err(|e| r.error(e))?;
        r.returned(rows.items.len());
        Ok(PlainConn(connection(
            rows,
            page,
            None,
            |d| d.id,
            |r| Plain(Document(r)),
        )))
    }

    /// One document; null when it does not exist or is outside the caller's scope.
    async fn document(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Document>> {
        let r = reader(ctx)?;
        let id = parse_id(r.lang, "id", &id)?;
        let rows = documents::by_ids(r.db(), r.scope(), &[id])
            .await
            .map_err(|e| r.error(e))?;
        Ok(rows.into_iter().next().map(Document))
    }

    /// Organizations, in id order.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganizationFilterInput>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<Conn<Organization>> {
        let r = req(ctx)?;
        let visible = r.allowed(r.permissions().organizations())?;
        let page = page_request(r.lang, first, after)?;
        let filter = filter.map(OrganizationFilter::from);
        let rows = orgs::list(r.db(), visible, filter.as_ref(), page)
            .await
            .map_err(|e| r.error(e))?;
        r.returned(rows.items.len());
        Ok(connection(rows, page, None, |o| o.id, Organization))
    }

    /// One organization; null when it does not exist or is outside the caller's scope.
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Organization>> {
        let id = parse_id(req(ctx)?.lang, "id", &id)?;
        Ok(org_loader(ctx)?.load_one(id).await?.map(Organization))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_base64_of_their_text_and_read_back() {
        let cases = [0, 1, 42, 1_000_000_007, -1, i64::MAX, i64::MIN];
        for id in cases {
            let cursor = encode_cursor(id);
            assert_eq!(cursor, URL_SAFE_NO_PAD.encode(format!("c1:{id}")), "{id}");
            assert_eq!(decode_cursor(&cursor), Some(id), "{id}");
        }
    }
}
