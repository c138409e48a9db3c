//! Lists of plain rows written as JSON text in one pass: a summary's groups, answered to an HTTP
//! request, without a value tree per group.
//!
//! A summary's groups were written in one pass ([`super::plain`]) but still as a tree of values
//! (a map per group and per key, a string per field), then serialized and freed; on a region
//! dashboard of about 150 groups that tree, with the executor's work per list item, was most of
//! the server's instructions left after the statement (BENCHMARKS.md). [`PlainList`] registers
//! as the list type itself (the schema does not change) and, in the JSON lane
//! ([`plain_json::allowed`]), writes the whole list as text; anywhere else, or when some part
//! of the selection needs the resolvers, the executor resolves it as before.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

use super::plain::{Plain, PlainRow};
use super::plain_json;

/// A list of plain rows, written as text in the JSON lane.
pub struct PlainList<T: PlainRow>(pub Vec<Plain<T>>);

impl<T: PlainRow> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<Plain<T>>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<Plain<T>>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<Plain<T>>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if plain_json::allowed(ctx) {
            let set = &ctx.item.node;
            let mut out = Vec::with_capacity(2 + 128 * self.0.len());
            if plain_json::write_list(&mut out, &self.0, |row, out| {
                plain_json::write_object(ctx, set, &row.0, out)
            }) {
                return Ok(Value::Binary(out.into()));
            }
        }
        self.0.resolve(ctx, field).await
    }
}
