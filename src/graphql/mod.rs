//! The GraphQL schema: query root, output types and per-request loaders.

pub mod audit;
pub mod calendar;
pub mod context;
pub mod operator;
pub mod oversight;
pub mod query;
pub mod types;
pub mod viewer;
pub mod workflow;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use context::RequestCtx;
pub use query::QueryRoot;

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    QueryRoot,
    calendar::CalendarQuery,
    workflow::WorkflowQuery,
    oversight::OversightQuery,
    audit::AuditQuery,
);

/// Every mutation. Each starts with the caller's permission check (`RequestCtx::require`):
/// auditor roles hold `read` only, so every mutation refuses them.
#[derive(MergedObject, Default)]
pub struct Mutation(
    workflow::WorkflowMutation,
    oversight::OversightMutation,
    calendar::CalendarMutation,
);

/// The audit-hub schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query nesting accepted: the standard introspection query that GraphiQL and other
/// tools send needs 15.
pub const MAX_DEPTH: usize = 16;

/// Builds the schema. Per-request state ([`RequestCtx`]) is attached to each request, never to
/// the schema, so no scope can outlive the request it belongs to.
pub fn build_schema() -> AppSchema {
    builder().finish()
}

/// Deepest recursion of fragments and selections the validator follows.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 16;

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
}

/// The schema anonymous callers are answered with: no field suggestions in error messages (they
/// would describe the schema to someone not allowed to introspect it).
pub fn build_anonymous_schema() -> AppSchema {
    builder().disable_suggestions().finish()
}

/// The schema in SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
