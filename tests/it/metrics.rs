//! `/metrics`: requests by operation and outcome, latency histograms, connections, the audit
//! queue and grants by state, in the Prometheus text format; client-chosen operation names cannot
//! grow it without bound.

use crate::common;

use common::{TestDb, TestServer};
use serde_json::json;

/// The value of the sample `name{labels}` (labels exactly as printed), if present.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

pub(crate) async fn scrape(s: &TestServer) -> String {
    let resp = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(resp.status(), 200);
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    resp.text().await.expect("text")
}

#[tokio::test]
async fn requests_outcomes_connections_and_grants_are_counted() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let dashboard = "query Dashboard { budgetSummary(groupBy: [LEVEL]) { amount } }";
    for _ in 0..3 {
        s.data(dashboard, json!({})).await;
    }
    let bad = s
        .gql(
            "{ budgetLines(filter: { programs: [\"1\"] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let anonymous = s
        .client
        .post(s.url("/graphql"))
        .json(&json!({ "query": dashboard }))
        .send()
        .await
        .expect("anonymous request");
    assert_eq!(anonymous.status(), 200);
    let download = s
        .get("/documents/999999999/content")
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 404);

    // Labelled as the audit trail names the operation: by the operation's name, else by its
    // first root field; downloads under one name whatever the document. An anonymous caller's
    // names that the product's own documents do not define count as `other`.
    let text = scrape(&s).await;
    let cases = [
        (
            "audit_hub_requests_total{operation=\"Dashboard\",outcome=\"OK\"}",
            3.0,
        ),
        (
            "audit_hub_requests_total{operation=\"other\",outcome=\"UNAUTHENTICATED\"}",
            1.0,
        ),
        (
            "audit_hub_requests_total{operation=\"budgetLines\",outcome=\"BAD_USER_INPUT\"}",
            1.0,
        ),
        (
            "audit_hub_request_duration_seconds_count{operation=\"Dashboard\"}",
            3.0,
        ),
        (
            "audit_hub_requests_total{operation=\"GET /documents/content\",outcome=\"404\"}",
            1.0,
        ),
        // The national caller holds two grants (both systems) and has been trained.
        ("audit_hub_grants{state=\"ACTIVE\"}", 2.0),
        ("audit_hub_grants{state=\"REVOKED\"}", 0.0),
        ("audit_hub_audit_queue_events", 0.0),
    ];
    for (series, expected) in cases {
        assert_eq!(sample(&text, series), Some(expected), "{series} in\n{text}");
    }
    for series in [
        "audit_hub_db_connections{state=\"idle\"}",
        "audit_hub_db_connections{state=\"in_use\"}",
        "audit_hub_audit_append_seconds_count",
        "audit_hub_caller_cache_lookups{state=\"hit\"}",
    ] {
        assert!(sample(&text, series).is_some(), "{series} in\n{text}");
    }
    assert!(
        sample(&text, "audit_hub_audit_append_seconds_count").unwrap_or(0.0) >= 6.0,
        "every request waited for its event"
    );
}

#[tokio::test]
async fn operation_names_beyond_the_bound_count_as_other() {
    let t = TestDb::with_reference().await;
    let national = TestServer::start_national(&t.db).await;
    let s = TestServer::start_with(&t.db, common::without_rate_limit)
        .await
        .with_token(national.token.clone());
    for i in 0..220 {
        let resp = s
            .client
            .post(s.url("/graphql"))
            .bearer_auth(s.token.as_deref().unwrap_or_default())
            .json(&json!({ "query": format!("query Op{i} {{ __typename }}"), "operationName": format!("Op{i}") }))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
    }
    let text = scrape(&s).await;
    let named = text
        .lines()
        .filter(|l| l.starts_with("audit_hub_requests_total{operation=\"Op"))
        .count();
    assert_eq!(named, 200, "{text}");
    assert_eq!(
        sample(
            &text,
            "audit_hub_requests_total{operation=\"other\",outcome=\"OK\"}"
        ),
        Some(20.0)
    );
}
