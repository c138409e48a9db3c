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
    // The keys written so far at this level, held inline: a page writes two objects per row.
    let mut keys = Keys::new();
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

/// The response keys written at one level of an object.
type Keys<'s> = smallvec::SmallVec<[&'s str; 16]>;

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
    keys: &mut Keys<'s>,
) -> bool {
    for selection in &set.items {
        let ok = match &selection.node {
            Selection::Field(f) => write_field(ctx, &f.node, row, out, keys),
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => {
                super::plain::fragment_set::<T>(ctx, &selection.node)
                    .is_some_and(|set| write_fields(ctx, set, row, out, keys))
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
    keys: &mut Keys<'s>,
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
    // A response key is a GraphQL name (letters, digits, `_`): nothing to escape.
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    if f.selection_set.node.items.is_empty() {
        write_leaf(ctx, row, f.name.node.as_str(), out)
    } else {
        row.write_object_field(ctx, f, out)
    }
}

/// Writes leaf field `name` of `row` (its type name for `__typename`); false when it is not
/// plain. Shared by the walk and the compiled selections of [`super::plain_plan`].
pub fn write_leaf<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    row: &T,
    name: &str,
    out: &mut Vec<u8>,
) -> bool {
    if name == "__typename" {
        write_str(out, &row.introspection_type_name());
        true
    } else {
        row.write_field(ctx, name, out)
    }
}

/// Writes `s` as a JSON string, as `serde_json` does.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // `serde_json` escapes `"`, `\` and control characters and nothing else: text without
    // them (nearly every code and name) is copied between quotes.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a vector does not fail, nor does serializing a string.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Writes `s` as a JSON string, or `null`.
pub fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes an integer as a JSON number.
pub fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Writes an `ID` made of an integer (a JSON string of its digits).
pub fn write_id(out: &mut Vec<u8>, id: i64) {
    out.push(b'"');
    write_int(out, id);
    out.push(b'"');
}

/// Writes an amount in tenths as the `Decimal` scalar writes it (`"1234.5"`, `"-0.5"`,
/// `"0.0"`): a decimal of scale one.
pub fn write_tenths(out: &mut Vec<u8>, tenths: i64) {
    out.push(b'"');
    if tenths < 0 {
        out.push(b'-');
    }
    let magnitude = tenths.unsigned_abs();
    write_int(out, magnitude / 10);
    out.push(b'.');
    out.push(b'0' + (magnitude % 10) as u8);
    out.push(b'"');
}

/// Writes a field's value as a tree would hold it; false when there is none (the field is not
/// plain).
pub fn write_some(out: &mut Vec<u8>, v: Option<Value>) -> bool {
    match v {
        Some(v) => {
            write_value(out, &v);
            true
        }
        None => false,
    }
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
    // Sized for the text already written (a page's), so that the body is not copied as it grows.
    let mut out = Vec::with_capacity(1024 + text_len(&response.data));
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

/// The bytes of JSON text that `v` carries (its plain connections written as text).
fn text_len(v: &Value) -> usize {
    match v {
        Value::Binary(text) => text.len(),
        Value::Object(fields) => fields.values().map(text_len).sum(),
        Value::List(items) => items.iter().map(text_len).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let cases = [
            ("empty", ""),
            ("a code", "0110"),
            ("Kazakh and Russian", "Техникалық құжат «1» — ёж"),
            ("quote and backslash", r#"a "b" \ c"#),
            ("control characters", "tab\tnew\nline\u{1}\u{1f}"),
            (
                "delete and non-characters are not escaped",
                "\u{7f}\u{fffe}",
            ),
            ("a slash is not escaped", "a/b"),
        ];
        for (name, s) in cases {
            let expected = serde_json::to_string(s).unwrap_or_default();
            assert_eq!(text(|o| write_str(o, s)), expected, "{name}");
        }
    }

    #[test]
    fn amounts_in_tenths_are_written_as_the_decimal_scalar_writes_them() {
        let cases = [
            0,
            1,
            9,
            10,
            -1,
            -10,
            -5,
            123_456_789,
            -987_654_321,
            i64::MAX,
            i64::MIN,
        ];
        for tenths in cases {
            let scalar = rust_decimal::Decimal::new(tenths, 1).to_string();
            assert_eq!(
                text(|o| write_tenths(o, tenths)),
                format!("\"{scalar}\""),
                "{tenths}"
            );
        }
    }

    #[test]
    fn numbers_and_ids_are_written_as_serde_json_writes_their_values() {
        let cases = [0_i64, 7, -7, i64::MAX, i64::MIN];
        for n in cases {
            assert_eq!(text(|o| write_int(o, n)), n.to_string(), "{n}");
            let id = Value::String(n.to_string());
            assert_eq!(
                text(|o| write_id(o, n)),
                serde_json::to_string(&id).unwrap_or_default(),
                "{n}"
            );
        }
    }
}
