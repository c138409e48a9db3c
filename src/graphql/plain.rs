//! Plain row types resolved in one pass: a row whose fields are values it already holds is
//! written out field by field, without the executor's future, context and name lookup per field.
//!
//! A 100-row page of eight fields is 800 field resolutions; the executor gives each its own boxed
//! future, field context and match on the field name, and that was the largest share of the
//! server's own time on budget pages. [`Plain`] wraps a row type that also implements
//! [`PlainRow`]: it registers as that type (same name, same fields, same documentation, so the
//! schema does not change) and resolves a selection in one synchronous walk. Anything the walk
//! does not handle as the executor would (a field the row does not call plain, a directive left
//! after `@skip`/`@include` were applied, a fragment on another type) sends the row to the type's own resolvers instead, so the
//! answer is the same either way; `tests` compares both paths on every field of every plain type.
//!
//! No extension sees the fields resolved here. For leaf fields (scalars, enums, `__typename`)
//! that changes nothing: the one extension the schema may carry, tracing under `--trace-fields`,
//! opens no span for them either. An object a plain row holds in full (a summary group's `key`)
//! gets no span of its own under `--trace-fields`; it reads nothing, so there is nothing to
//! time. An extension that had to see every field would have to turn this off.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value,
};

/// A row type whose argument-less fields can be read straight off the row.
pub trait PlainRow: OutputType {
    /// The value of leaf field `name` exactly as the type's resolver gives it, or `None` when
    /// that field is not plain (it then goes through the resolvers with the rest of the row).
    /// `ctx` holds the request's data, for a field that depends on it (a name in the caller's
    /// language).
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, name: &str) -> Option<Value>;

    /// The value of object field `field` when the row holds that object in full (it is then
    /// written with [`object`]), or `None` when it does not.
    fn plain_object(&self, _ctx: &ContextSelectionSet<'_>, _field: &Field) -> Option<Value> {
        None
    }

    /// Writes leaf field `name` as JSON text ([`super::plain_json`]); false when it is not
    /// plain. By default the text of [`PlainRow::plain_field`]'s value; a row type may write
    /// it without building the value.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        super::plain_json::write_some(out, self.plain_field(ctx, name))
    }

    /// Writes object field `field` as JSON text; false when the row does not hold it. By
    /// default the text of [`PlainRow::plain_object`]'s value.
    fn write_object_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Field,
        out: &mut Vec<u8>,
    ) -> bool {
        super::plain_json::write_some(out, self.plain_object(ctx, field))
    }
}

/// `row` under selection `set`, written in one pass, or `None` when some part of it needs the
/// resolvers.
pub fn object<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    row: &T,
) -> Option<Value> {
    let mut out = IndexMap::with_capacity(set.items.len());
    walk(ctx, set, row, &mut out).then(|| {
        if out.is_empty() {
            Value::Null
        } else {
            Value::Object(out)
        }
    })
}

/// A GraphQL value as a scalar or enum argument would be written: the value every scalar and
/// enum resolver returns.
pub fn value<T: InputType>(v: T) -> Value {
    v.to_value()
}

/// A row resolved in one pass when it can be; registered as the row type itself.
pub struct Plain<T>(pub T);

impl<T: PlainRow> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match object(ctx, &ctx.item.node, &self.0) {
            Some(v) => Ok(v),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// Writes the fields of `set` for `row` into `out`; false when some part needs the resolvers.
fn walk<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    row: &T,
    out: &mut IndexMap<Name, Value>,
) -> bool {
    for selection in &set.items {
        let ok = match &selection.node {
            Selection::Field(f) => {
                let f = &f.node;
                if !f.directives.is_empty() {
                    return false;
                }
                let name = f.name.node.as_str();
                let v = if name == "__typename" {
                    Some(Value::String(row.introspection_type_name().into_owned()))
                } else if f.selection_set.node.items.is_empty() {
                    row.plain_field(ctx, name)
                } else {
                    row.plain_object(ctx, f)
                };
                let Some(v) = v else { return false };
                insert_value(out, f.response_key().node.clone(), v);
                true
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => {
                fragment_set::<T>(ctx, &selection.node).is_some_and(|set| walk(ctx, set, row, out))
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The selection set of fragment `selection` (a spread or an inline fragment) when it applies
/// to `T` with nothing left for the executor to decide (no directive, no other type); `None`
/// otherwise (the row then goes to the resolvers). Shared by the value walk and the text writer
/// (`super::plain_json`), so both take the same fragments.
pub fn fragment_set<'s, T: OutputType>(
    ctx: &'s ContextSelectionSet<'_>,
    selection: &'s Selection,
) -> Option<&'s SelectionSet> {
    match selection {
        Selection::FragmentSpread(spread) => {
            if !spread.node.directives.is_empty() {
                return None;
            }
            let fragment = ctx
                .query_env
                .fragments
                .get(&spread.node.fragment_name.node)?;
            (fragment.node.directives.is_empty()
                && *fragment.node.type_condition.node.on.node == *T::type_name())
            .then_some(&fragment.node.selection_set.node)
        }
        Selection::InlineFragment(inline) => {
            let applies = inline
                .node
                .type_condition
                .as_ref()
                .is_none_or(|c| *c.node.on.node == *T::type_name());
            (applies && inline.node.directives.is_empty())
                .then_some(&inline.node.selection_set.node)
        }
        Selection::Field(_) => None,
    }
}

/// Adds a field's value under its response key as the executor does
/// (`async_graphql::resolver_utils::container`): a key already present keeps its place and its
/// value, except that objects under one key are merged field by field (`key { year } key {
/// level }` answers both) and lists of objects item by item.
///
/// One lookup per field (the entry), not a lookup and then an insert: hashing the key is a
/// measurable share of writing a page.
fn insert_value(target: &mut IndexMap<Name, Value>, name: Name, value: Value) {
    let prev = match target.entry(name) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            return;
        }
        Entry::Occupied(slot) => slot.into_mut(),
    };
    match prev {
        Value::Object(prev) => {
            if let Value::Object(obj) = value {
                for (k, v) in obj {
                    insert_value(prev, k, v);
                }
            }
        }
        Value::List(prev) => {
            if let Value::List(list) = value {
                for (i, v) in list.into_iter().enumerate() {
                    if let (Some(Value::Object(t)), Value::Object(o)) = (prev.get_mut(i), v) {
                        for (k, v) in o {
                            insert_value(t, k, v);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use serde_json::Value as Json;

    use super::*;

    /// A row with every kind of field a plain row has, and one that is not plain.
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
        async fn double(&self) -> i64 {
            self.id * 2
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
                "double" => value(self.id * 2),
                _ => return None,
            })
        }
    }

    struct Root;

    #[Object]
    impl Root {
        async fn plain(&self) -> Vec<Plain<Row>> {
            rows().into_iter().map(Plain).collect()
        }
        async fn generic(&self) -> Vec<Row> {
            rows()
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: 1,
                code: Some("01".into()),
            },
            Row { id: 2, code: None },
        ]
    }

    /// Runs `selection` on both fields and returns the two answers as JSON text (order kept).
    async fn both(selection: &str, fragments: &str, variables: Json) -> (String, String) {
        let schema = Schema::new(Root, EmptyMutation, EmptySubscription);
        // Only the variables the case uses are declared (an unused one is refused).
        let text = format!("{selection} {fragments}");
        let declared: Vec<&str> = [
            ("$yes", "$yes: Boolean! = true"),
            ("$no", "$no: Boolean! = false"),
        ]
        .into_iter()
        .filter(|(name, _)| text.contains(name))
        .map(|(_, declaration)| declaration)
        .collect();
        let header = if declared.is_empty() {
            String::new()
        } else {
            format!("({})", declared.join(", "))
        };
        let query =
            format!("query{header} {{ plain {selection} generic {selection} }} {fragments}");
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = schema.execute(request).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().unwrap_or_default();
        (
            serde_json::to_string(&data["plain"]).unwrap_or_default(),
            serde_json::to_string(&data["generic"]).unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn every_selection_shape_answers_as_the_resolvers_do() {
        let cases = [
            ("plain fields in order", "{ id code double }", ""),
            ("reversed order", "{ double code id }", ""),
            ("aliases", "{ a: id b: code c: id }", ""),
            (
                "a repeated field keeps its first place",
                "{ id code id }",
                "",
            ),
            (
                "one key for two fields under different type conditions keeps the first",
                "{ a: id ... on Row { a: code } }",
                "",
            ),
            ("typename", "{ __typename id t: __typename }", ""),
            (
                "named fragment",
                "{ ...F double }",
                "fragment F on Row { id code }",
            ),
            (
                "inline fragment with and without a type",
                "{ ... on Row { id } ... { code } }",
                "",
            ),
            (
                "skip and include by variable",
                "{ id @skip(if: $yes) code @include(if: $yes) double @include(if: $no) }",
                "",
            ),
            ("everything skipped", "{ id @skip(if: $yes) }", ""),
            (
                "a directive inside a fragment",
                "{ ...F }",
                "fragment F on Row { id @skip(if: $yes) code }",
            ),
            (
                "a field with an argument falls back",
                "{ id plus(n: 3) }",
                "",
            ),
            (
                "fallback inside a fragment",
                "{ code ...F }",
                "fragment F on Row { plus(n: 1) }",
            ),
        ];
        for (name, selection, fragments) in cases {
            let (plain, generic) = both(selection, fragments, serde_json::json!({})).await;
            assert_eq!(plain, generic, "{name}");
            assert!(generic.starts_with('['), "{name}: {generic}");
        }
    }
}
