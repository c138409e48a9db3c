//! Which requests the response cache may answer: queries that read budget, object, document and
//! organization data only, so that the answer depends on nothing but the caller's
//! [`crate::authz::permissions::Permissions::data_fingerprint`], the language, the request and
//! the data and caller epochs.

use std::collections::HashSet;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};

/// Root fields whose answers are decided by the budget scope and the organization rows alone
/// (see [`crate::graphql::query::QueryRoot`]). `me`, people, workflow, oversight and the audit
/// trail are left out: they read the caller personally, or data no epoch of the cache follows.
const CACHEABLE_ROOTS: [&str; 9] = [
    "budgetLines",
    "budgetSummary",
    "informatizationObjects",
    "informatizationObject",
    "documents",
    "document",
    "organizations",
    "organization",
    "__typename",
];

/// Whether the operation `operation_name` picks from `doc` is a query whose root fields are all
/// cacheable (through fragments too). Anything unusual (no such operation, a fragment that does
/// not exist or refers to itself) is simply not cacheable: validation refuses it later.
pub fn is_cacheable(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return false,
        },
        // One named operation, run without naming it.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    operation.node.ty == OperationType::Query
        && roots_cacheable(doc, &operation.node.selection_set.node, &mut HashSet::new())
}

fn roots_cacheable<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> bool {
    set.items.iter().all(|item| match &item.node {
        Selection::Field(f) => CACHEABLE_ROOTS.contains(&f.node.name.node.as_str()),
        Selection::InlineFragment(f) => roots_cacheable(doc, &f.node.selection_set.node, seen),
        Selection::FragmentSpread(s) => {
            let name = s.node.fragment_name.node.as_str();
            seen.insert(name)
                && doc
                    .fragments
                    .get(name)
                    .is_some_and(|f| roots_cacheable(doc, &f.node.selection_set.node, seen))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cacheable(query: &str, operation: Option<&str>) -> bool {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        is_cacheable(&doc, operation)
    }

    #[test]
    fn data_queries_are_cacheable_and_everything_personal_is_not() {
        let cases: [(&str, &str, Option<&str>, bool); 10] = [
            (
                "a budget page",
                "{ budgetLines(first: 5) { totalCount } }",
                None,
                true,
            ),
            (
                "a summary and an object",
                "query D { budgetSummary(groupBy: [YEAR]) { amount } informatizationObject(id: \"1\") { id } }",
                None,
                true,
            ),
            (
                "through a fragment",
                "query { ...F } fragment F on Query { documents { totalCount } }",
                None,
                true,
            ),
            (
                "me beside data",
                "{ me { iin } budgetLines { totalCount } }",
                None,
                false,
            ),
            ("people", "{ people { totalCount } }", None, false),
            ("a mutation", "mutation { logout }", None, false),
            (
                "introspection",
                "{ __schema { types { name } } }",
                None,
                false,
            ),
            (
                "the named one of two",
                "query A { me { iin } } query B { organizations { totalCount } }",
                Some("B"),
                true,
            ),
            (
                "two operations, none named",
                "query A { documents { totalCount } } query B { organizations { totalCount } }",
                None,
                false,
            ),
            (
                "a fragment spread in itself",
                "query { ...F } fragment F on Query { ...F }",
                None,
                false,
            ),
        ];
        for (name, query, operation, expected) in cases {
            assert_eq!(cacheable(query, operation), expected, "{name}");
        }
    }
}
