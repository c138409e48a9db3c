//! The read API over real HTTP on demo data: pagination, aggregation, nested loads, downloads,
//! error messages and the playground.

use crate::common;

use std::str::FromStr;

use common::{TestDb, TestServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const DIMENSIONS: [(&str, &str); 10] = [
    ("YEAR", "year"),
    ("LEVEL", "level"),
    ("REGION", "region"),
    ("TERRITORY", "territory"),
    ("ADMINISTRATOR", "administrator"),
    ("PROGRAM", "program"),
    ("SUBPROGRAM", "subprogram"),
    ("SPECIFIC", "specific"),
    ("FUNCTIONAL_GROUP", "functionalGroup"),
    ("PHASE", "phase"),
];

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimal string")).expect("decimal")
}

#[tokio::test]
async fn budget_lines_pages_cover_every_row_once_and_match_the_summary() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let filter = json!({ "administrators": ["252", "352"], "years": [2026] });
    let query = "query($f: BudgetLineFilter, $after: String) {
        budgetLines(filter: $f, first: 97, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id administrator year amount } }
        } }";
    let (mut after, mut ids, mut sum) = (Value::Null, Vec::new(), Decimal::ZERO);
    let total;
    loop {
        let d = s.data(query, json!({ "f": filter, "after": after })).await;
        let conn = &d["budgetLines"];
        let page_total = conn["totalCount"].as_i64().expect("totalCount");
        for e in conn["edges"].as_array().expect("edges") {
            let n = &e["node"];
            assert!(["252", "352"].contains(&n["administrator"].as_str().expect("admin")));
            assert_eq!(n["year"], 2026);
            ids.push(
                n["id"]
                    .as_str()
                    .expect("id")
                    .parse::<i64>()
                    .expect("numeric id"),
            );
            sum += dec(&n["amount"]);
        }
        if !conn["pageInfo"]["hasNextPage"]
            .as_bool()
            .expect("hasNextPage")
        {
            total = page_total;
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert!(total > 97, "several pages expected, got {total} rows");
    assert_eq!(ids.len() as i64, total);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids ascend without repeats"
    );
    let d = s.data("query($f: BudgetLineFilter) { budgetSummary(groupBy: [], filter: $f) { amount lineCount } }", json!({ "f": filter })).await;
    assert_eq!(dec(&d["budgetSummary"][0]["amount"]), sum);
    assert_eq!(d["budgetSummary"][0]["lineCount"].as_i64(), Some(total));
}

#[tokio::test]
async fn every_dimension_partitions_the_total() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let filter = json!({ "years": [2025], "katoPrefix": "11" });
    let d = s.data("query($f: BudgetLineFilter) { budgetSummary(groupBy: [], filter: $f) { amount lineCount } }", json!({ "f": filter })).await;
    let (total, count) = (
        dec(&d["budgetSummary"][0]["amount"]),
        d["budgetSummary"][0]["lineCount"].as_i64().expect("count"),
    );
    for (dim, field) in DIMENSIONS {
        let q = format!(
            "query($f: BudgetLineFilter) {{ budgetSummary(groupBy: [{dim}], filter: $f) {{ key {{ {field} year phase }} amount lineCount }} }}"
        );
        let d = s.data(&q, json!({ "f": filter })).await;
        let groups = d["budgetSummary"].as_array().expect("groups");
        let sum: Decimal = groups.iter().map(|g| dec(&g["amount"])).sum();
        let n: i64 = groups
            .iter()
            .map(|g| g["lineCount"].as_i64().expect("count"))
            .sum();
        assert_eq!((sum, n), (total, count), "grouping by {dim}");
        let keys: Vec<&Value> = groups.iter().map(|g| &g["key"][field]).collect();
        let mut dedup = keys.clone();
        dedup.dedup();
        assert_eq!(keys.len(), dedup.len(), "{dim}: one group per key");
        if dim != "YEAR" {
            assert!(
                groups.iter().all(|g| g["key"]["year"].is_null()),
                "{dim}: ungrouped keys are null"
            );
        }
    }
}

#[tokio::test]
async fn republican_rows_have_no_region() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let d = s
        .data("{ budgetSummary(groupBy: [REGION, LEVEL], filter: { years: [2024] }) { key { region level } } }", json!({}))
        .await;
    for g in d["budgetSummary"].as_array().expect("groups") {
        let republican = g["key"]["level"] == "REPUBLICAN";
        assert_eq!(g["key"]["region"].is_null(), republican, "{g}");
    }
}

#[tokio::test]
async fn a_known_caller_is_not_loaded_again() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let cold = statements_for(&s, "{ me { user { id } } }").await;
    let warm = statements_for(&s, "{ me { user { id } } }").await;
    // User, organization, grants and training are read once; what stays is the audit append and,
    // without a live notification subscription, one read of the caller epoch.
    assert!(cold >= warm + 4, "cold {cold}, warm {warm} statements");
}

/// Statements a request runs, including those that resolve the caller.
async fn statements_for(s: &TestServer, query: &str) -> u64 {
    let before = s.db.statement_count();
    s.data(query, json!({})).await;
    s.db.statement_count() - before
}

// Resolving the caller (the caller epoch, and on a cache miss user, organization, grants,
// training) is counted once per request and subtracted: what is bounded here is what the query
// itself costs. The first request warms the caller cache, the second measures a warm request.
#[tokio::test]
async fn hundred_objects_with_documents_and_funding_take_at_most_four_statements() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national_uncached(&t.db).await;
    let q = "{ informatizationObjects(first: 100) { edges { node {
        id name owner { bin name }
        documents { id type sha256 }
        fundingLines { year administrator program }
        stageHistory { stage startedOn } } } } }";
    statements_for(&s, "{ me { user { id } } }").await;
    let caller_statements = statements_for(&s, "{ me { user { id } } }").await;
    let before = t.db.statement_count();
    let d = s.data(q, json!({})).await;
    let statements = t.db.statement_count() - before - caller_statements;
    let edges = d["informatizationObjects"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 100);
    let docs: usize = edges
        .iter()
        .map(|e| e["node"]["documents"].as_array().map_or(0, Vec::len))
        .sum();
    let funding: usize = edges
        .iter()
        .map(|e| e["node"]["fundingLines"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        docs >= 200 && funding >= 100,
        "nested data present: {docs} documents, {funding} funding lines"
    );
    assert!(edges.iter().all(|e| e["node"]["owner"]["bin"].is_string()));
    // objects, owners, documents, funding lines, stage history: one statement each.
    assert!(statements <= 5, "{statements} statements");

    let statements = statements_for(&s, "{ informatizationObjects(first: 100) { edges { node { id documents { id } fundingLines { program } } } } }")
        .await
        - caller_statements;
    assert!(
        statements <= 4,
        "{statements} statements for objects with documents and funding lines"
    );
}

#[tokio::test]
async fn document_download_streams_the_file_with_its_hash_as_etag() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let d = s
        .data(
            "{ documents(first: 3) { edges { node { id sha256 sizeBytes downloadUrl format } } } }",
            json!({}),
        )
        .await;
    for e in d["documents"]["edges"].as_array().expect("edges") {
        let n = &e["node"];
        let resp = s
            .get(n["downloadUrl"].as_str().expect("url"))
            .send()
            .await
            .expect("download");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
        let body = resp.bytes().await.expect("body");
        let sha = hex::encode(Sha256::digest(&body));
        assert_eq!(sha, n["sha256"].as_str().expect("sha256"));
        assert_eq!(etag, format!("\"{sha}\""));
        assert_eq!(body.len() as i64, n["sizeBytes"].as_i64().expect("size"));
        assert!(body.starts_with(b"%PDF-"));
        let again = s
            .get(n["downloadUrl"].as_str().expect("url"))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("conditional");
        assert_eq!(again.status(), 304);
    }
    let missing = s
        .get("/documents/99999999/content")
        .send()
        .await
        .expect("missing");
    assert_eq!(missing.status(), 404);
    let mut missing_body: Value = missing.json().await.expect("json");
    assert_eq!(missing_body["code"], "NOT_FOUND");
    missing_body = common::without_request_id(missing_body);
    let garbage = s
        .get("/documents/abc/content")
        .send()
        .await
        .expect("garbage");
    assert_eq!(garbage.status(), 404);
    assert_eq!(
        common::without_request_id(garbage.json::<Value>().await.expect("json")),
        missing_body
    );
}

#[tokio::test]
async fn lookups_by_id_return_null_for_missing_rows() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let d = s
        .data(
            "{ a: informatizationObject(id: \"1\") { id } b: informatizationObject(id: \"99999999\") { id }
               c: document(id: \"99999999\") { id } d: organization(id: \"99999999\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(d["a"]["id"], "1");
    assert!(d["b"].is_null() && d["c"].is_null() && d["d"].is_null());
}

#[tokio::test]
async fn bad_input_names_the_field_in_the_callers_language() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let cases = [
        (
            "short administrator code",
            "{ budgetLines(filter: { administrators: [\"252\", \"25\"] }) { totalCount } }",
            "filter.administrators[1]",
        ),
        (
            "nested program code",
            "{ budgetLines(filter: { or: [{ programs: [\"1\"] }] }) { totalCount } }",
            "filter.or[0].programs[0]",
        ),
        (
            "letters in KATO prefix",
            "{ budgetSummary(groupBy: [YEAR], filter: { katoPrefix: \"1a\" }) { amount } }",
            "filter.katoPrefix",
        ),
        (
            "forged cursor",
            "{ budgetLines(after: \"not-a-cursor\") { totalCount } }",
            "after",
        ),
        (
            "negative page size",
            "{ organizations(first: -1) { edges { cursor } } }",
            "first",
        ),
    ];
    for (name, query, field) in cases {
        let mut messages = Vec::new();
        for lang in ["kk", "ru", "en"] {
            let v = s.gql_lang(query, json!({}), Some(lang)).await;
            let err = &v["errors"][0];
            assert_eq!(
                err["extensions"]["code"], "BAD_USER_INPUT",
                "{name} ({lang}): {v}"
            );
            assert_eq!(err["extensions"]["field"], field, "{name} ({lang})");
            let msg = err["message"].as_str().expect("message").to_owned();
            assert!(msg.contains(field), "{name} ({lang}): {msg}");
            messages.push(msg);
        }
        assert!(
            messages[0] != messages[1] && messages[1] != messages[2],
            "{name}: {messages:?}"
        );
    }
}

/// Letters of Kazakh that Russian does not have.
const KAZAKH_LETTERS: &str = "әғқңөұүһіӘҒҚҢӨҰҮҺІ";

#[tokio::test]
async fn requests_the_schema_refuses_are_explained_in_the_callers_language() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    // (case, request body, code, names every message must carry)
    let cases: [(&str, Value, &str, &[&str]); 10] = [
        (
            "misspelt field, with a hint",
            json!({ "query": "{ me { user { fulName } } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["fulName", "fullName"],
        ),
        (
            "unknown argument",
            json!({ "query": "{ budgetLines(frist: 1) { totalCount } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["frist", "budgetLines"],
        ),
        (
            "required argument left out",
            json!({ "query": "{ budgetSummary { amount } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["budgetSummary", "groupBy"],
        ),
        (
            "object without a selection",
            json!({ "query": "{ budgetLines }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["budgetLines"],
        ),
        (
            "selection under a number",
            json!({ "query": "{ budgetLines { totalCount { value } } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["totalCount"],
        ),
        (
            "value outside an enum",
            json!({ "query": "{ budgetSummary(groupBy: [NATION]) { amount } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["groupBy", "NATION", "BudgetDimension"],
        ),
        (
            "text where a number is expected",
            json!({ "query": "{ budgetLines(first: \"ten\") { totalCount } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["first", "Int"],
        ),
        (
            "variable never declared",
            json!({ "query": "query Page { budgetLines(first: $n) { totalCount } }" }),
            "GRAPHQL_VALIDATION_FAILED",
            &["$n", "Page"],
        ),
        (
            "operation name not in the document",
            json!({
                "query": "query A { me { user { id } } } query B { me { user { id } } }",
                "operationName": "Missing"
            }),
            "GRAPHQL_VALIDATION_FAILED",
            &["Missing"],
        ),
        (
            "unclosed argument list",
            json!({ "query": "{ budgetLines(first: 1 { totalCount } }" }),
            "GRAPHQL_PARSE_FAILED",
            &[],
        ),
    ];
    for (name, body, code, names) in cases {
        let mut messages = Vec::new();
        for lang in ["kk", "ru", "en"] {
            let v = s.post_body_lang(body.clone(), Some(lang)).await;
            let err = &v["errors"][0];
            assert_eq!(err["extensions"]["code"], code, "{name} ({lang}): {v}");
            let msg = err["message"].as_str().expect("message").to_owned();
            for n in names {
                assert!(msg.contains(n), "{name} ({lang}) names {n}: {msg}");
            }
            if code == "GRAPHQL_PARSE_FAILED" && lang != "en" {
                // Where the text stops being GraphQL: its line and column.
                let at = &err["locations"][0];
                for n in [&at["line"], &at["column"]] {
                    assert!(
                        msg.contains(&n.to_string()),
                        "{name} ({lang}): {msg} at {at}"
                    );
                }
            }
            messages.push((msg, err["extensions"]["detail"].clone()));
        }
        let [(kk, kk_detail), (ru, ru_detail), (en, en_detail)] =
            <[_; 3]>::try_from(messages).expect("three answers");
        assert!(
            kk.chars().any(|c| KAZAKH_LETTERS.contains(c)),
            "{name}: {kk}"
        );
        assert!(
            ru.chars().any(|c| ('а'..='я').contains(&c))
                && !ru.chars().any(|c| KAZAKH_LETTERS.contains(c)),
            "{name}: {ru}"
        );
        assert!(
            !en.chars().any(|c| ('а'..='я').contains(&c)),
            "{name}: {en}"
        );
        // The engine's own English stays beside the translation.
        assert_eq!(kk_detail, json!(en), "{name}");
        assert_eq!(ru_detail, json!(en), "{name}");
        assert!(en_detail.is_null(), "{name}");
    }
}

#[tokio::test]
async fn playground_and_health_answer() {
    let t = TestDb::new().await;
    let s = TestServer::start(&t.db).await;
    let page = s.get("/playground").send().await.expect("playground");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("GraphiQL")
            && html.contains("BudgetSummaryByRegion")
            && html.contains("ObjectsWithDocuments")
    );
    let health = s.get("/healthz").send().await.expect("healthz");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn the_standard_introspection_query_is_answered_to_authenticated_callers_only() {
    let t = TestDb::with_reference().await;
    let anonymous = TestServer::start(&t.db).await;
    let v = anonymous
        .gql(include_str!("../fixtures/introspection.graphql"), json!({}))
        .await;
    assert!(v["data"]["__schema"].is_null(), "{v}");
    // No field suggestions for anonymous callers either.
    let typo = "{ budgetLinez { totalCount } }";
    let v = anonymous.gql(typo, json!({})).await;
    let message = v["errors"][0]["message"].as_str().expect("message");
    assert!(!message.contains("Did you mean"), "{message}");
    let s = TestServer::start_national(&t.db).await;
    let v = s.gql(typo, json!({})).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("budgetLines"),
        "{v}"
    );
    let query = include_str!("../fixtures/introspection.graphql");
    let d = s.data(query, json!({})).await;
    let types = d["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "BudgetLineFilter"));
}

#[tokio::test]
async fn demo_user_picker_only_in_demo_mode() {
    let t = TestDb::with_demo(1).await;
    let plain = TestServer::start(&t.db).await;
    assert_eq!(
        plain
            .get("/playground/demo-users")
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
    let demo = TestServer::start_with(&t.db, |mut s| {
        s.demo = true;
        s
    })
    .await;
    let users: Value = demo
        .get("/playground/demo-users")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let users = users.as_array().expect("list");
    let kinds: Vec<&str> = users.iter().filter_map(|u| u["kind"].as_str()).collect();
    for kind in [
        "PARLIAMENT",
        "MASLIKHAT",
        "POLICE_INTERNAL_AUDIT",
        "INTEGRATOR",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let maslikhat = users
        .iter()
        .find(|u| u["kind"] == "MASLIKHAT")
        .expect("maslikhat");
    // Demo tokens are operator-issued: a demo server serves them, any other refuses them.
    let mut outside_demo = TestServer::start(&t.db).await;
    outside_demo.token = maslikhat["token"].as_str().map(str::to_owned);
    let v = outside_demo.gql("{ me { user { iin } } }", json!({})).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{v}"
    );
    let mut as_maslikhat = TestServer::start_with(&t.db, |mut s| {
        s.demo = true;
        s
    })
    .await;
    as_maslikhat.token = maslikhat["token"].as_str().map(str::to_owned);
    let d = as_maslikhat
        .data("{ me { organization { kind } } }", json!({}))
        .await;
    assert_eq!(d["me"]["organization"]["kind"], "MASLIKHAT");
}
