//! The GraphQL schema: query root, output types and per-request loaders.

pub mod context;
pub mod query;
pub mod types;
pub mod viewer;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};

pub use context::RequestCtx;
pub use query::QueryRoot;

/// The audit-hub schema.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Deepest query nesting accepted: the standard introspection query that GraphiQL and other
/// tools send needs 15.
pub const MAX_DEPTH: usize = 16;

/// Builds the schema. Per-request state ([`RequestCtx`]) is attached to each request, never to
/// the schema, so no scope can outlive the request it belongs to.
pub fn build_schema() -> AppSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .finish()
}

/// The schema in SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
