//! Connections of plain rows written in one pass: a page's edges with their cursors and nodes,
//! its `nodes`, `pageInfo` and `totalCount`, without the executor's futures for every edge.
//!
//! After rows were written in one pass ([`super::plain`]), the executor's work per edge (an
//! object with a boxed future per field, merged into its own map) was the largest share of the
//! server's instructions on a page of 100 budget lines left to cut (BENCHMARKS.md). [`PlainConn`]
//! registers as the connection type itself (same name, same fields, same documentation: the
//! schema does not change) and writes the whole connection through the same walk as a row.
//! Whatever that walk does not handle as the executor would (a directive, a fragment on another
//! type, a node field that is not plain) leaves the whole connection to the executor, so the
//! answer is the same either way; the tests compare both on every field of the connection.

use std::borrow::Cow;

use async_graphql::connection::{CursorType, Edge, EmptyFields, PageInfo};
use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

use super::plain::{Plain, PlainRow, object, value};
use super::plain_json;
use super::plain_plan::{self, Plan};
use super::query::{Conn, IdCursor};

/// A connection of plain rows, resolved in one pass when its selection allows.
pub struct PlainConn<T: PlainRow>(pub Conn<Plain<T>>);

impl<T: PlainRow> OutputType for PlainConn<T> {
    fn type_name() -> Cow<'static, str> {
        Conn::<Plain<T>>::type_name()
    }

    fn qualified_type_name() -> String {
        Conn::<Plain<T>>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Conn::<Plain<T>>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if plain_json::allowed(ctx) {
            let mut out = Vec::with_capacity(64 + 256 * self.0.edges.len());
            if plain_json::write_object(ctx, &ctx.item.node, self, &mut out) {
                return Ok(Value::Binary(out.into()));
            }
        }
        match object(ctx, &ctx.item.node, self) {
            Some(v) => Ok(v),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

impl<T: PlainRow> PlainConn<T> {
    /// The connection's `pageInfo`.
    fn page_info(&self) -> PlainPageInfo {
        let edges = &self.0.edges;
        PlainPageInfo(PageInfo {
            has_previous_page: self.0.has_previous_page,
            has_next_page: self.0.has_next_page,
            start_cursor: edges.first().map(|e| e.cursor.encode_cursor()),
            end_cursor: edges.last().map(|e| e.cursor.encode_cursor()),
        })
    }
}

impl<T: PlainRow> PlainRow for PlainConn<T> {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        match name {
            "totalCount" => Some(value(self.0.additional_fields.total_count)),
            _ => None,
        }
    }

    fn plain_object(&self, ctx: &ContextSelectionSet<'_>, field: &Field) -> Option<Value> {
        let set = &field.selection_set.node;
        let edges = &self.0.edges;
        match field.name.node.as_str() {
            "edges" => edges
                .iter()
                .map(|e| object(ctx, set, &PlainEdge(e)))
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            "nodes" => edges
                .iter()
                .map(|e| object(ctx, set, &e.node.0))
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            "pageInfo" => object(ctx, set, &self.page_info()),
            _ => None,
        }
    }

    fn write_object_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Field,
        out: &mut Vec<u8>,
    ) -> bool {
        let set = &field.selection_set.node;
        let edges = &self.0.edges;
        match field.name.node.as_str() {
            "edges" => match Plan::compile(set, edge_step) {
                Some(plan) => plain_json::write_list(out, edges, |e, out| {
                    plan.write(out, |step, out| match step {
                        EdgeStep::Leaf(name) => {
                            plain_json::write_leaf(ctx, &PlainEdge(e), name, out)
                        }
                        EdgeStep::Node(node) => write_node(ctx, node, &e.node.0, out),
                    })
                }),
                None => plain_json::write_list(out, edges, |e, out| {
                    plain_json::write_object(ctx, set, &PlainEdge(e), out)
                }),
            },
            "nodes" => match Plan::compile(set, plain_plan::leaf) {
                Some(plan) => plain_json::write_list(out, edges, |e, out| {
                    write_node(ctx, &plan, &e.node.0, out)
                }),
                None => plain_json::write_list(out, edges, |e, out| {
                    plain_json::write_object(ctx, set, &e.node.0, out)
                }),
            },
            "pageInfo" => plain_json::write_object(ctx, set, &self.page_info(), out),
            _ => false,
        }
    }
}

/// What an edge's field writes, when an edge's selection is compiled ([`Plan`]).
enum EdgeStep<'s> {
    /// A leaf of the edge (its cursor, its type name), written as the walk writes it.
    Leaf(&'s str),
    /// The node, its own selection compiled.
    Node(Plan<&'s str>),
}

/// The step of an edge's field: a leaf, or the node when the node's selection compiles too.
fn edge_step(f: &Field) -> Option<EdgeStep<'_>> {
    match plain_plan::leaf(f) {
        Some(name) => Some(EdgeStep::Leaf(name)),
        None if f.name.node.as_str() == "node" => {
            Plan::compile(&f.selection_set.node, plain_plan::leaf).map(EdgeStep::Node)
        }
        None => None,
    }
}

/// Writes `row` by the compiled selection of its leaf fields, as the walk writes them.
fn write_node<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    plan: &Plan<&str>,
    row: &T,
    out: &mut Vec<u8>,
) -> bool {
    plan.write(out, |name, out| plain_json::write_leaf(ctx, row, name, out))
}

/// One edge of a [`PlainConn`]; registered as the connection's edge type.
struct PlainEdge<'a, T: PlainRow>(&'a Edge<IdCursor, Plain<T>, EmptyFields>);

impl<T: PlainRow> OutputType for PlainEdge<'_, T> {
    fn type_name() -> Cow<'static, str> {
        Edge::<IdCursor, Plain<T>, EmptyFields>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Edge::<IdCursor, Plain<T>, EmptyFields>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0.resolve(ctx, field).await
    }
}

impl<T: PlainRow> PlainRow for PlainEdge<'_, T> {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        match name {
            "cursor" => Some(value(self.0.cursor.encode_cursor())),
            _ => None,
        }
    }

    fn plain_object(&self, ctx: &ContextSelectionSet<'_>, field: &Field) -> Option<Value> {
        match field.name.node.as_str() {
            "node" => object(ctx, &field.selection_set.node, &self.0.node.0),
            _ => None,
        }
    }
    fn write_object_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Field,
        out: &mut Vec<u8>,
    ) -> bool {
        match field.name.node.as_str() {
            "node" => plain_json::write_object(ctx, &field.selection_set.node, &self.0.node.0, out),
            _ => false,
        }
    }
}

/// A connection's `pageInfo`, registered as `PageInfo`.
struct PlainPageInfo(PageInfo);

impl OutputType for PlainPageInfo {
    fn type_name() -> Cow<'static, str> {
        PageInfo::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        PageInfo::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0.resolve(ctx, field).await
    }
}

impl PlainRow for PlainPageInfo {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        let p = &self.0;
        Some(match name {
            "hasPreviousPage" => value(p.has_previous_page),
            "hasNextPage" => value(p.has_next_page),
            "startCursor" => value(p.start_cursor.clone()),
            "endCursor" => value(p.end_cursor.clone()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_graphql::connection::Connection;
    use async_graphql::extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
    };
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;
    use crate::graphql::query::ConnectionTotals;

    /// A row with plain fields and one that is not plain.
    #[derive(Clone)]
    struct Row {
        id: i64,
        code: Option<String>,
    }

    #[Object]
    impl Row {
        async fn id(&self) -> async_graphql::ID {
            async_graphql::ID(self.id.to_string())
        }
        async fn code(&self) -> Option<&str> {
            self.code.as_deref()
        }
        /// Not plain: has an argument.
        async fn plus(&self, n: i64) -> i64 {
            self.id + n
        }
    }

    impl PlainRow for Row {
        fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
            Some(match name {
                "id" => value(async_graphql::ID(self.id.to_string())),
                "code" => value(self.code.clone()),
                _ => return None,
            })
        }
    }

    fn page<T: OutputType>(empty: bool, node: impl Fn(Row) -> T) -> Conn<T> {
        let rows = if empty {
            Vec::new()
        } else {
            vec![
                Row {
                    id: 1,
                    code: Some("01".into()),
                },
                Row { id: 2, code: None },
                Row {
                    id: 3,
                    code: Some("a \"quoted\"\n\u{1}\\ code «ок»".into()),
                },
            ]
        };
        let mut c = Connection::with_additional_fields(
            !empty,
            true,
            ConnectionTotals {
                total_count: (!empty).then_some(7),
            },
        );
        c.edges = rows
            .into_iter()
            .map(|r| Edge::new(IdCursor(r.id), node(r)))
            .collect();
        c
    }

    struct Root;

    #[Object]
    impl Root {
        async fn plain(&self, #[graphql(default)] empty: bool) -> PlainConn<Row> {
            PlainConn(page(empty, Plain))
        }
        /// The same connection through the executor (its rows still plain, as
        /// `super::plain`'s tests compare those with the resolvers).
        async fn generic(&self, #[graphql(default)] empty: bool) -> Conn<Plain<Row>> {
            page(empty, Plain)
        }
    }

    /// Counts the fields the executor resolves inside a connection (`edges`, `cursor`,
    /// `pageInfo`, ...): none when the connection was written in one pass.
    struct Resolved(Arc<AtomicUsize>);

    impl ExtensionFactory for Resolved {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(Resolved(self.0.clone()))
        }
    }

    #[async_graphql::async_trait::async_trait]
    impl Extension for Resolved {
        async fn resolve(
            &self,
            ctx: &ExtensionContext<'_>,
            info: ResolveInfo<'_>,
            next: NextResolve<'_>,
        ) -> ServerResult<Option<Value>> {
            if info.parent_type.ends_with("Connection") || info.parent_type.ends_with("Edge") {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            next.run(ctx, info).await
        }
    }

    /// One run of a query's text, `FIELD` replaced by `field`.
    struct Run {
        /// The answer's body as the HTTP handler writes it.
        body: String,
        /// Whether the executor resolved a field inside a connection.
        executed: bool,
        /// Whether some root field answered as JSON text.
        text: bool,
    }

    async fn run(query: &str, field: &str, lane: bool) -> Run {
        let resolved = Arc::new(AtomicUsize::new(0));
        let schema = Schema::build(Root, EmptyMutation, EmptySubscription)
            .extension(Resolved(resolved.clone()))
            .finish();
        let query = query.replace("FIELD", field);
        let mut request = async_graphql::Request::new(query.as_str());
        if lane {
            request = request.data(plain_json::JsonLane);
        }
        let response = schema.execute(request).await;
        assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
        let text = matches!(&response.data, Value::Object(root)
            if root.values().any(|v| matches!(v, Value::Binary(_))));
        let body = String::from_utf8(plain_json::response_body(&response)).unwrap_or_default();
        if !text {
            // Without text in it, the body is what serde writes.
            assert_eq!(
                body,
                serde_json::to_string(&response).unwrap_or_default(),
                "{query}"
            );
        }
        Run {
            body,
            executed: resolved.load(Ordering::Relaxed) > 0,
            text,
        }
    }

    /// Runs `selection` under the key `page` on the plain connection (as a tree and as text)
    /// and on the executor's; checks the three bodies are the same and returns whether the
    /// plain one was written in one pass.
    async fn compare(name: &str, query: &str) -> bool {
        let generic = run(query, "generic", false).await;
        let tree = run(query, "plain", false).await;
        let text = run(query, "plain", true).await;
        assert!(
            generic.body.starts_with("{\"data\":{"),
            "{name}: {}",
            generic.body
        );
        assert_eq!(tree.body, generic.body, "{name}: as a tree");
        assert_eq!(text.body, generic.body, "{name}: as text");
        assert!(!tree.text, "{name}: text without the lane");
        assert!(
            !text.text || !text.executed,
            "{name}: text only when in one pass"
        );
        assert_eq!(tree.executed, text.executed, "{name}");
        !tree.executed
    }

    #[tokio::test]
    async fn every_connection_selection_answers_as_the_executor_does() {
        // (name, selection, fragments, arguments, written in one pass)
        let cases = [
            (
                "edges with nodes and cursors",
                "{ edges { node { id code } cursor } }",
                "",
                "",
                true,
            ),
            (
                "page info, every field",
                "{ pageInfo { hasPreviousPage hasNextPage startCursor endCursor } }",
                "",
                "",
                true,
            ),
            (
                "page info of an empty page",
                "{ pageInfo { startCursor endCursor hasNextPage } edges { cursor } totalCount }",
                "",
                "(empty: true)",
                true,
            ),
            (
                "total and nodes",
                "{ totalCount nodes { code id } }",
                "",
                "",
                true,
            ),
            (
                "typename at every level",
                "{ __typename edges { __typename node { __typename id } } pageInfo { __typename } }",
                "",
                "",
                true,
            ),
            (
                "edges asked twice merge item by item",
                "{ edges { node { id } } edges { cursor node { code } } }",
                "",
                "",
                true,
            ),
            (
                "aliases",
                "{ e: edges { c: cursor n: node { i: id } } p: pageInfo { n: hasNextPage } t: totalCount }",
                "",
                "",
                true,
            ),
            (
                "fragments on the connection and on the edge",
                "{ ...C }",
                "fragment C on RowConnection { edges { ...E } } fragment E on RowEdge { cursor node { id } }",
                "",
                true,
            ),
            (
                "skip and include (applied before execution)",
                "{ edges @include(if: true) { cursor } pageInfo @skip(if: false) { hasNextPage } totalCount @skip(if: true) }",
                "",
                "",
                true,
            ),
            (
                "a node key asked twice",
                "{ edges { node { id code id } } }",
                "",
                "",
                true,
            ),
            (
                "type names and aliases among the nodes",
                "{ nodes { __typename i: id c: code } }",
                "",
                "",
                true,
            ),
            (
                "the cursor after the node, the edge's type name",
                "{ edges { node { code } __typename cursor } }",
                "",
                "",
                true,
            ),
            (
                "a fragment inside the node",
                "{ edges { cursor node { ...N } } }",
                "fragment N on Row { code id }",
                "",
                true,
            ),
            (
                "a field of the nodes that is not plain",
                "{ nodes { id plus(n: 2) } }",
                "",
                "",
                false,
            ),
            (
                "a node field that is not plain",
                "{ edges { cursor node { id plus(n: 1) } } }",
                "",
                "",
                false,
            ),
        ];
        for (name, selection, fragments, arguments, one_pass) in cases {
            let query = format!("{{ page: FIELD{arguments} {selection} }} {fragments}");
            assert_eq!(compare(name, &query).await, one_pass, "{name}: one pass");
        }
    }

    #[tokio::test]
    async fn text_is_written_only_where_nothing_is_merged() {
        let cases = [
            (
                "one key twice: merged, so not text",
                "{ page: FIELD { edges { cursor } } page: FIELD { edges { node { id } } pageInfo { hasNextPage } } }",
                false,
            ),
            (
                "one key twice through a fragment",
                "{ page: FIELD { totalCount } ...R } fragment R on Root { page: FIELD { edges { cursor } } }",
                false,
            ),
            (
                "a key repeated inside the connection: merged by the tree",
                "{ page: FIELD { edges { node { id } } edges { cursor } } }",
                false,
            ),
            (
                "the same connection selection, every plain field: text",
                "{ page: FIELD { totalCount edges { cursor node { id code } } } }",
                true,
            ),
            (
                "two keys: each its own text",
                "{ page: FIELD { edges { cursor } } other: FIELD(empty: true) { totalCount pageInfo { hasNextPage } } }",
                true,
            ),
        ];
        for (name, query, as_text) in cases {
            let generic = run(query, "generic", false).await;
            let text = run(query, "plain", true).await;
            assert_eq!(text.body, generic.body, "{name}");
            assert_eq!(text.text, as_text, "{name}: as text");
        }
    }
}
