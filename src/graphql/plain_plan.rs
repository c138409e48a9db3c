//! A list's selection compiled once for all its rows: each field's JSON prefix (`{"key":` or
//! `,"key":`) and what to write after it, so that writing a row is writing its values.
//!
//! The walk of [`super::plain_json`] reads the selection again for every row: for each field it
//! checks the directives, looks for the key among those already written (a key asked twice is
//! merged by the executor, not by text) and writes the quoted key. On a page of 100 budget lines
//! that was about a fifth of the server's instructions (callgrind, `benches/instructions.sh`),
//! the same work a hundred times. A selection the plan does not take (a directive, a fragment,
//! a repeated key, an empty selection, a field the caller does not classify) is left to the walk,
//! which writes it as before, so the text is the same either way.

use async_graphql::parser::types::{Field, Selection, SelectionSet};

/// A compiled selection: per field, in selection order, its prefix and its step.
pub struct Plan<S> {
    steps: Vec<(Vec<u8>, S)>,
}

impl<S> Plan<S> {
    /// `set` compiled, each field classified by `step`; `None` when the walk must write it: a
    /// selection other than plain fields, a directive, a response key asked twice, an empty
    /// selection (written as `null`), or a field `step` does not take.
    pub fn compile<'s>(
        set: &'s SelectionSet,
        mut step: impl FnMut(&'s Field) -> Option<S>,
    ) -> Option<Plan<S>> {
        let mut steps: Vec<(Vec<u8>, S)> = Vec::with_capacity(set.items.len());
        let mut keys: Vec<&str> = Vec::with_capacity(set.items.len());
        for selection in &set.items {
            let Selection::Field(f) = &selection.node else {
                return None;
            };
            let f = &f.node;
            let key = f.response_key().node.as_str();
            if !f.directives.is_empty() || keys.contains(&key) {
                return None;
            }
            // A response key is a GraphQL name (letters, digits, `_`): nothing to escape.
            let mut prefix = Vec::with_capacity(key.len() + 4);
            prefix.push(if keys.is_empty() { b'{' } else { b',' });
            prefix.push(b'"');
            prefix.extend_from_slice(key.as_bytes());
            prefix.extend_from_slice(b"\":");
            keys.push(key);
            steps.push((prefix, step(f)?));
        }
        (!steps.is_empty()).then_some(Plan { steps })
    }

    /// Writes one row as a JSON object, each step's value by `write`; false, with `out` left as
    /// it was, when `write` is (the value is not plain).
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        mut write: impl FnMut(&S, &mut Vec<u8>) -> bool,
    ) -> bool {
        let start = out.len();
        for (prefix, step) in &self.steps {
            out.extend_from_slice(prefix);
            if !write(step, out) {
                out.truncate(start);
                return false;
            }
        }
        out.push(b'}');
        true
    }
}

/// The step of a leaf field: its name, when it has no selection of its own.
pub fn leaf(f: &Field) -> Option<&str> {
    f.selection_set
        .node
        .items
        .is_empty()
        .then_some(f.name.node.as_str())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    use super::*;

    /// The prefixes of `query`'s root selection compiled with leaf steps, or `None`.
    fn prefixes(query: &str) -> Option<Vec<String>> {
        let doc = parse_query(query).ok()?;
        let DocumentOperations::Single(op) = &doc.operations else {
            return None;
        };
        let plan = Plan::compile(&op.node.selection_set.node, leaf)?;
        Some(
            plan.steps
                .iter()
                .map(|(p, name)| format!("{} {name}", String::from_utf8_lossy(p)))
                .collect(),
        )
    }

    #[test]
    fn plain_leaf_selections_compile_and_the_rest_is_left_to_the_walk() {
        let cases: [(&str, &str, Option<&[&str]>); 8] = [
            (
                "leaf fields, in order",
                "{ id code }",
                Some(&["{\"id\": id", ",\"code\": code"]),
            ),
            (
                "aliases key the text, names pick the value",
                "{ i: id code }",
                Some(&["{\"i\": id", ",\"code\": code"]),
            ),
            (
                "the type name is a step like any",
                "{ __typename }",
                Some(&["{\"__typename\": __typename"]),
            ),
            ("a key asked twice", "{ id code id }", None),
            ("an alias that repeats a key", "{ id id: code }", None),
            ("a directive", "{ id code @include(if: true) }", None),
            ("a fragment", "{ id ...F } fragment F on Row { code }", None),
            ("an object field", "{ id node { id } }", None),
        ];
        for (name, query, expected) in cases {
            let expected = expected.map(|e| e.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(prefixes(query), expected, "{name}");
        }
    }

    #[test]
    fn a_row_is_written_whole_or_not_at_all() {
        let Ok(doc) = parse_query("{ a b c }") else {
            panic!("the query parses");
        };
        let DocumentOperations::Single(op) = &doc.operations else {
            panic!("one operation");
        };
        let Some(plan) = Plan::compile(&op.node.selection_set.node, leaf) else {
            panic!("leaf fields compile");
        };
        let mut out = b"[".to_vec();
        assert!(plan.write(&mut out, |name, out| {
            out.extend_from_slice(name.len().to_string().as_bytes());
            true
        }));
        assert_eq!(out, b"[{\"a\":1,\"b\":1,\"c\":1}");
        assert!(!plan.write(&mut out, |name, out| {
            out.push(b'0');
            *name != "b"
        }));
        assert_eq!(out, b"[{\"a\":1,\"b\":1,\"c\":1}", "left as it was");
    }
}
