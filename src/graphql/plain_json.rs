//! Plain rows written straight to JSON text, for answers the HTTP handler writes.
//!
//! Written in one pass ([`super::plain`]), a page of 100 budget lines was still a tree of
//! values: a map per row and per edge, a string per field, then serialized and freed. Building,
//! serializing and freeing that tree was most of the server's remaining instructions on a page
//! (BENCHMARKS.md). A plain connection asked by an HTTP request ([`JsonLane`] in the request's
//! data) is written as JSON text instead, held in the answer as a [`Value::Binary`], and the
//! answer is written by [`response_body`], which copies such text as it is. No type of the
//! schema returns binary values, so a binary value in an answer is always such text.
//!
//! The text is exactly what serializing the value tree gives: every scalar is written by
//! `serde_json` from the same value the tree would hold, keys in selection order, no spaces.
//! What the text cannot express falls back to the tree: a response key repeated at one level
//! (the executor merges those), anything the plain walk itself leaves to the resolvers, and a
//! connection whose key the operation asks for more than once at its root (the executor would
//! merge two answers under one key, and text does not merge).

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{ContextSelectionSet, Value};

use super::plain::PlainRow;

/// Request data: plain connections of this request may answer as JSON text, because its
/// answer is written by [`response_body`] (the HTTP handler's requests).
pub struct JsonLane;

/// Whether the connection being resolved in `ctx` may answer as text: the request is in the
/// lane, and the connection is a root field whose response key the operation asks for once.
pub fn allowed(ctx: &ContextSelectionSet<'_>) -> bool {
    if ctx.data_opt::<JsonLane>().is_none() {
        return false;
    }
    let Some(node) = &ctx.path_node else {
        return false;
    };
    if node.parent.is_some() {
        return false;
    }
    let async_graphql::QueryPathSegment::Name(key) = node.segment else {
        return false;
    };
    let mut seen = 0;
    count_key(
        ctx,
        &ctx.query_env.operation.node.selection_set.node,
        key,
        &mut seen,
        0,
    );
    seen == 1
}

/// Counts the fields under response key `key` in `set`, fragments included (whatever their
/// type condition or directives: counting one too many only keeps the tree).
fn count_key(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    key: &str,
    seen: &mut usize,
    depth: usize,
) {
    // Fragment cycles are refused by validation; the bound keeps this walk finite regardless.
    if depth > 32 {
        *seen += 2;
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => {
                if f.node.response_key().node.as_str() == key {
                    *seen += 1;
                }
            }
            Selection::FragmentSpread(spread) => {
                match ctx.query_env.fragments.get(&spread.node.fragment_name.node) {
                    Some(fragment) => {
                        count_key(ctx, &fragment.node.selection_set.node, key, seen, depth + 1)
                    }
                    None => *seen += 2,
                }
            }
            Selection::InlineFragment(inline) => {
                count_key(ctx, &inline.node.selection_set.node, key, seen, depth + 1)
            }
        }
    }
}

/// Writes `row` under selection `set` as a JSON object (`null` when nothing is selected, as
/// the tree has it); false, with `out` left as it was, when some part needs the tree.
pub fn write_object<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    row: &T,
    out: &mut Vec<u8>,
) -> bool {
    let start = out.len();
    out.push(b'{');
    let mut keys = Vec::new();
    if !write_fields(ctx, set, row, out, &mut keys) {
        out.truncate(start);
        return false;
    }
    if keys.is_empty() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    } else {
        out.push(b'}');
    }
    true
}

/// Writes every item of `items` with `write` as a JSON list; false when one of them is false.
pub fn write_list<I>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = I>,
    mut write: impl FnMut(I, &mut Vec<u8>) -> bool,
) -> bool {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if !write(item, out) {
            return false;
        }
    }
    out.push(b']');
    true
}

fn write_fields<'s, T: PlainRow>(
    ctx: &'s ContextSelectionSet<'_>,
    set: &'s SelectionSet,
    row: &T,
    out: &mut Vec<u8>,
    keys: &mut Vec<&'s str>,
) -> bool {
    for selection in &set.items {
        let ok = match &selection.node {
            Selection::Field(f) => write_field(ctx, &f.node, row, out, keys),
            Selection::FragmentSpread(spread) => {
                if !spread.node.directives.is_empty() {
                    return false;
                }
                match ctx.query_env.fragments.get(&spread.node.fragment_name.node) {
                    Some(fragment)
                        if fragment.node.directives.is_empty()
                            && *fragment.node.type_condition.node.on.node == *T::type_name() =>
                    {
                        write_fields(ctx, &fragment.node.selection_set.node, row, out, keys)
                    }
                    _ => false,
                }
            }
            Selection::InlineFragment(inline) => {
                let applies = inline
                    .node
                    .type_condition
                    .as_ref()
                    .is_none_or(|c| *c.node.on.node == *T::type_name());
                applies
                    && inline.node.directives.is_empty()
                    && write_fields(ctx, &inline.node.selection_set.node, row, out, keys)
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

fn write_field<'s, T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    f: &'s Field,
    row: &T,
    out: &mut Vec<u8>,
    keys: &mut Vec<&'s str>,
) -> bool {
    if !f.directives.is_empty() {
        return false;
    }
    let key = f.response_key().node.as_str();
    // A key asked twice at one level is merged by the tree, not by text.
    if keys.contains(&key) {
        return false;
    }
    if !keys.is_empty() {
        out.push(b',');
    }
    keys.push(key);
    write_str(out, key);
    out.push(b':');
    let name = f.name.node.as_str();
    if name == "__typename" {
        write_str(out, &row.introspection_type_name());
        true
    } else if f.selection_set.node.items.is_empty() {
        row.write_field(ctx, name, out)
    } else {
        row.write_object_field(ctx, f, out)
    }
}

/// Writes `s` as a JSON string, as `serde_json` does.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a vector does not fail, nor does serializing a string.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes `v` as `serde_json` serializes it, except that a binary value is JSON text written
/// by this module and is copied as it is.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Binary(text) => out.extend_from_slice(text),
        Value::List(items) => {
            write_list(out, items, |item, out| {
                write_value(out, item);
                true
            });
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v);
            }
            out.push(b'}');
        }
        // Scalars, enums and null: serializing them does not fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The JSON text of an answer, as `serde_json` writes `async_graphql::Response` (`data`, then
/// `extensions` and `errors` when there are any), with [`write_value`] writing the data.
pub fn response_body(response: &async_graphql::Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"data\":");
    write_value(&mut out, &response.data);
    if !response.extensions.is_empty() {
        out.extend_from_slice(b",\"extensions\":");
        let _ = serde_json::to_writer(&mut out, &response.extensions);
    }
    if !response.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        let _ = serde_json::to_writer(&mut out, &response.errors);
    }
    out.push(b'}');
    out
}
