//! Load: 10 000 requests from 16 concurrent clients — reads, refusals, bad requests and
//! downloads — leave exactly 10 000 audit events, and the chain still verifies.

use crate::common;

use std::sync::Arc;

use common::{TestDb, TestServer};
use futures::StreamExt;
use serde_json::json;

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 16;

/// One request of the mix, by its number.
async fn send(s: &TestServer, anonymous: &TestServer, i: usize) -> u16 {
    let gql = |server: &TestServer, query: &str| {
        let mut req = server
            .client
            .post(server.url("/graphql"))
            .json(&json!({ "query": query }));
        if let Some(t) = &server.token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let resp = match i % 6 {
        0 => gql(s, "{ me { scope } }").await,
        1 => {
            gql(
                s,
                "{ budgetLines(first: 5) { edges { node { id amount } } } }",
            )
            .await
        }
        2 => {
            gql(
                s,
                "{ budgetSummary(groupBy: [LEVEL], filter: { years: [2025] }) { amount } }",
            )
            .await
        }
        3 => gql(anonymous, "{ budgetLines(first: 1) { totalCount } }").await,
        4 => gql(s, "{ me { nope } }").await,
        _ => {
            s.get(&format!("/documents/{}/content", i % 50 + 1))
                .send()
                .await
        }
    };
    let resp = resp.expect("request");
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_under_load_leaves_exactly_one_event() {
    let t = TestDb::with_demo(1).await;
    let national = TestServer::start_national(&t.db).await;
    let token = national.token.clone();
    drop(national);
    let s = Arc::new(
        TestServer::start_with(&t.db, common::without_rate_limit)
            .await
            .with_token(token),
    );
    let anonymous = Arc::new(TestServer::start_with(&t.db, common::without_rate_limit).await);
    let before = audit_hub::audit::verify(&t.db, 1)
        .await
        .expect("read")
        .expect("intact");
    let started = std::time::Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let (s, a) = (s.clone(), anonymous.clone());
            async move { send(&s, &a, i).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let failures = statuses.iter().filter(|s| **s >= 500).count();
    assert_eq!(failures, 0, "server errors under load");
    let after = audit_hub::audit::verify(&t.db, 1)
        .await
        .expect("read")
        .expect("intact after load");
    assert_eq!(
        after - before,
        REQUESTS as u64,
        "one event per request, no more, no less"
    );
    eprintln!(
        "{REQUESTS} requests, {CONCURRENCY} clients, {}: {:.1} s ({:.0} requests/s)",
        common::backend_name(),
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
}
