//! A page of budget lines reads only the text columns its selections ask for, and answers every
//! field it is asked exactly as a page that asks for every field: whatever the selection's
//! shape (fragments, aliases, `edges` and `nodes` asking for different fields).

use std::collections::HashMap;

use crate::common::{TestDb, TestServer, grant_both_systems, user_of};

use serde_json::{Value, json};

/// Every field of a budget line.
const EVERY_FIELD: &str = "__typename id year level territory region administrator program \
                           subprogram specific functionalGroup phase system asOf amount";

/// Local lines, planned and executed: each text column that may be left out occurs among them.
const PAGE_FILTER: &str = "{ levels: [REGIONAL, DISTRICT], phases: [EXECUTED, APPROVED] }";

/// The lines of `answer`'s `budgetLines` page: its edges' nodes and its `nodes`.
fn lines(answer: &Value) -> Vec<&Value> {
    let page = &answer["budgetLines"];
    page["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .chain(page["nodes"].as_array().into_iter().flatten())
        .collect()
}

#[tokio::test]
async fn a_budget_lines_page_answers_every_field_its_selection_asks_for() {
    let t = TestDb::with_demo(1).await;
    let server = TestServer::start_national_uncached(&t.db).await;
    for (body, kind, kato) in [
        ("Parliament", "PARLIAMENT", ""),
        (
            "a police internal audit service",
            "POLICE_INTERNAL_AUDIT",
            "",
        ),
    ] {
        let user = user_of(&t.db, kind, kato, true).await;
        grant_both_systems(&t.db, user.id).await;
        let caller = server.clone_as(&user.iin);
        let whole = caller
            .data(
                &format!("{{ budgetLines(first: 300, filter: {PAGE_FILTER}) {{ nodes {{ {EVERY_FIELD} }} }} }}"),
                json!({}),
            )
            .await;
        let whole: HashMap<&str, &Value> = lines(&whole)
            .into_iter()
            .map(|l| (l["id"].as_str().unwrap_or_default(), l))
            .collect();
        assert!(whole.len() > 50, "{body}: {} lines", whole.len());
        // Some line of the page has each text column that may be left out.
        for field in [
            "region",
            "subprogram",
            "specific",
            "functionalGroup",
            "asOf",
        ] {
            assert!(
                whole.values().any(|l| l[field].is_string()),
                "{body}: no line has {field}"
            );
        }
        let cases = [
            (
                "the police page's fields",
                "edges { node { id year level territory administrator program phase amount } }",
                "",
            ),
            (
                "no text that may be left out",
                "nodes { id amount system }",
                "",
            ),
            (
                "through a named fragment and an inline fragment",
                "edges { node { id ...Codes } }",
                "fragment Codes on BudgetLine { region ... on BudgetLine { asOf specific } }",
            ),
            (
                "edges and nodes asking for different columns",
                "edges { node { id subprogram } } nodes { id functionalGroup region }",
                "",
            ),
            (
                "the same field under two aliases",
                "nodes { id a: asOf b: specific c: asOf }",
                "",
            ),
        ];
        for (name, page, fragments) in cases {
            let q = format!(
                "{{ budgetLines(first: 300, filter: {PAGE_FILTER}) {{ {page} }} }} {fragments}"
            );
            let answer = caller.data(&q, json!({})).await;
            let mut compared = 0;
            for line in lines(&answer) {
                let id = line["id"].as_str().unwrap_or_default();
                let Some(full) = whole.get(id) else {
                    panic!("{body}, {name}: line {id} not on the whole page");
                };
                for (key, v) in line.as_object().into_iter().flatten() {
                    // An alias answers the field it names.
                    let field = match key.as_str() {
                        "a" | "c" => "asOf",
                        "b" => "specific",
                        other => other,
                    };
                    assert_eq!(v, &full[field], "{body}, {name}: line {id}, {key}");
                    compared += 1;
                }
            }
            assert!(compared > 100, "{body}, {name}: {compared} fields compared");
        }
    }
}
