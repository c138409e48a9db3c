//! The GraphQL schema: query root, output types and per-request loaders.

pub mod asked;
pub mod audit;
pub mod cacheable;
pub mod calendar;
pub mod context;
pub mod date;
pub mod enums;
pub mod inputs;
pub mod labels;
pub mod limits;
pub mod object_page;
pub mod operator;
pub mod oversight;
pub mod parsed;
pub mod people;
pub mod plain;
pub mod plain_connection;
pub mod plain_json;
pub mod plain_list;
mod plain_plan;
mod plain_rows;
pub mod query;
pub mod schema_messages;
pub mod types;
pub mod validated;
pub mod viewer;
pub mod visibility;
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
    people::PeopleQuery,
    audit::AuditQuery,
    labels::LabelsQuery,
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

/// Builds the schema with the default [`limits::QueryLimits`]. Per-request state
/// ([`RequestCtx`]) is attached to each request, never to the schema, so no scope can outlive the
/// request it belongs to.
pub fn build_schema() -> AppSchema {
    build_schema_with(&limits::QueryLimits::default())
}

/// Builds the schema with these request limits.
pub fn build_schema_with(limits: &limits::QueryLimits) -> AppSchema {
    builder(limits).finish()
}

fn builder(
    limits: &limits::QueryLimits,
) -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    // The limits are checked with messages that name the limit only to signed-in callers;
    // async-graphql's own recursion and directive checks stay on as a backstop.
    // With `trace_fields`, the tracing extension opens a span per parse, validation, execution
    // and object field (not per scalar) inside the request's span, so a slow or failing field
    // is found in the logs under the request id. It is off by default: every field of every
    // row then passes through one more hook (the request's own span, its statements and the
    // slow-statement warnings stay either way). Leaf fields of plain rows (`plain.rs`) pass
    // through no extension; tracing opens no span for leaf fields anyway.
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    let builder = if limits.trace_fields {
        builder.extension(async_graphql::extensions::Tracing)
    } else {
        builder
    };
    // The text and document limits are checked before the schema runs (`limits::admit`);
    // the complexity limit during validation, its refusal named by `limits::name_refusals`.
    builder
        .limit_complexity(limits.max_complexity)
        .data(limits.filter)
        .limit_recursive_depth(limits.max_nesting)
        .limit_directives(limits.max_directives)
}

/// The schema anonymous callers are answered with: no field suggestions in error messages (they
/// would describe the schema to someone not allowed to introspect it).
pub fn build_anonymous_schema(limits: &limits::QueryLimits) -> AppSchema {
    builder(limits).disable_suggestions().finish()
}

/// The schema in SDL, as checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
