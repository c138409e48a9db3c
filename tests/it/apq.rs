//! Automatic persisted queries: a dashboard sends a hash, registers the text once when the server
//! does not know it, and then runs by hash over POST and GET, audited like a full request.

use crate::common;

use common::{TestDb, TestServer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const DASHBOARD: &str = "query Dashboard($f: BudgetLineFilter) { budgetSummary(groupBy: [LEVEL], filter: $f) { key { level } amount } }";

fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn post(s: &TestServer, body: Value) -> (u16, Value) {
    let resp = s
        .client
        .post(s.url("/graphql"))
        .bearer_auth(s.token.as_deref().unwrap_or_default())
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

#[tokio::test]
async fn a_dashboard_registers_its_query_once_then_sends_the_hash() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let vars = json!({ "f": { "years": [2025] } });
    let persisted = |h: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": h } });
    let full = s.data(DASHBOARD, vars.clone()).await;

    let (status, unknown) = post(
        &s,
        json!({ "variables": vars, "extensions": persisted(&hash(DASHBOARD)) }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        unknown["errors"][0]["message"], "PersistedQueryNotFound",
        "{unknown}"
    );
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    let (status, registered) = post(
        &s,
        json!({ "query": DASHBOARD, "variables": vars, "extensions": persisted(&hash(DASHBOARD)) }),
    )
    .await;
    assert_eq!((status, &registered["data"]), (200, &full));

    let (status, by_hash) = post(
        &s,
        json!({ "variables": vars, "extensions": persisted(&hash(DASHBOARD)) }),
    )
    .await;
    assert_eq!((status, &by_hash["data"]), (200, &full));

    let query = serde_urlencoded::to_string([
        ("variables", vars.to_string()),
        ("extensions", persisted(&hash(DASHBOARD)).to_string()),
    ])
    .expect("query string");
    let by_get: Value = s
        .get(&format!("/graphql?{query}"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(by_get["data"], full, "GET by hash");

    // The trail records hash-only requests like full ones: same operation, same query hash.
    let events = s
        .data(
            "{ auditEvents(first: 5) { edges { node { operation queryHash outcome } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<&Value> = events["auditEvents"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| &e["node"])
        .collect();
    // Newest first (the audit query's own event is written after it answers): GET, POST by
    // hash, POST with the text, the miss.
    for n in &nodes[0..3] {
        assert_eq!(n["operation"], "Dashboard", "{n}");
        assert_eq!(n["queryHash"], hash(DASHBOARD), "{n}");
        assert_eq!(n["outcome"], "OK", "{n}");
    }
    assert_eq!(nodes[3]["outcome"], "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn wrong_hashes_and_versions_are_refused() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let cases = [
        (
            "hash of another text",
            json!({ "query": "{ me { user { id } } }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash("{ __typename }") } } }),
            "PERSISTED_QUERY_HASH_MISMATCH",
        ),
        (
            "unknown version",
            json!({ "query": "{ __typename }", "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash("{ __typename }") } } }),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
        (
            "extension without a hash",
            json!({ "query": "{ __typename }", "extensions": { "persistedQuery": { "version": 1 } } }),
            "BAD_REQUEST",
        ),
        (
            "neither query nor extension",
            json!({ "variables": {} }),
            "BAD_REQUEST",
        ),
    ];
    for (name, body, code) in cases {
        let (status, v) = post(&s, body).await;
        assert_eq!(status, 400, "{name}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["code"], code, "{name}: {v}");
    }
}
