//! Time, rate and origin limits: request and statement timeouts, the per-caller rate limit with
//! 429 and Retry-After, and the CORS allow-list.

use crate::common;

use std::time::Duration;

use audit_hub::config::ServerLimits;
use audit_hub::error::{AppError, ErrorCode};
use audit_hub::store::{Backend, ConnectOptions, Db};
use common::{TestDb, TestServer};
use serde_json::{Value, json};

fn limits(f: impl FnOnce(&mut ServerLimits)) -> ServerLimits {
    let mut l = ServerLimits::default();
    f(&mut l);
    l
}

async fn outcomes(db: &Db) -> Vec<String> {
    let q = sea_query::Query::select()
        .column("outcome")
        .from("audit_events")
        .order_by("seq", sea_query::Order::Asc)
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Row {
        outcome: String,
    }
    let rows: Vec<Row> = db.all(&q).await.expect("events");
    rows.into_iter().map(|r| r.outcome).collect()
}

#[tokio::test]
async fn a_caller_over_the_rate_gets_429_with_retry_after_and_others_do_not() {
    let t = TestDb::with_reference().await;
    let national = TestServer::start_national(&t.db).await;
    let token = national.token.clone();
    drop(national);
    let s = TestServer::start_with(&t.db, |st| {
        st.with_limits(limits(|l| {
            l.rate_per_second = 1;
            l.rate_burst = 3;
        }))
    })
    .await
    .with_token(token);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let resp = s.post_query("{ me { scope } }").await;
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let v: Value = resp.json().await.expect("json");
            assert_eq!(v["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        }
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 429],
        "burst of 3, then refused"
    );
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    // Another caller (anonymous, keyed by address) has its own allowance; so do downloads of
    // the limited caller, which count against the same allowance.
    let anonymous = TestServer::start_with(&t.db, |st| st).await;
    let v = anonymous.gql("{ me { scope } }", json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let download = s
        .get("/documents/1/content")
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 429);
    // Refusals are recorded like any request.
    let recorded = outcomes(&t.db).await;
    assert_eq!(
        recorded.iter().filter(|o| *o == "RATE_LIMITED").count(),
        3,
        "{recorded:?}"
    );
}

#[tokio::test]
async fn a_request_over_its_time_is_answered_503_and_recorded() {
    let t = TestDb::with_demo(1).await;
    let national = TestServer::start_national(&t.db).await;
    let token = national.token.clone();
    drop(national);
    let s = TestServer::start_with(&t.db, |st| {
        st.with_limits(limits(|l| l.request_timeout = Duration::from_millis(1)))
    })
    .await
    .with_token(token);
    // Eight full-table aggregates over the demo data: many milliseconds on any machine, far
    // beyond the 1 ms allowed.
    let dims = [
        "YEAR",
        "LEVEL",
        "REGION",
        "TERRITORY",
        "ADMINISTRATOR",
        "PROGRAM",
        "SPECIFIC",
        "PHASE",
    ];
    let query = dims
        .iter()
        .enumerate()
        .map(|(i, d)| format!("s{i}: budgetSummary(groupBy: [{d}, FUNCTIONAL_GROUP]) {{ amount }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let resp = s.post_query(&format!("{{ {query} }}")).await;
    assert_eq!(resp.status(), 503);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["errors"][0]["extensions"]["code"], "REQUEST_TIMEOUT");
    assert!(v.get("data").is_none(), "{v}");
    assert_eq!(
        outcomes(&t.db).await.last().map(String::as_str),
        Some("REQUEST_TIMEOUT")
    );
}

#[tokio::test]
async fn a_statement_over_the_statement_timeout_is_stopped() {
    let t = TestDb::new().await;
    let db = Db::connect(&ConnectOptions {
        url: t.url.clone(),
        max_connections: 2,
        statement_timeout: Some(Duration::from_millis(200)),
    })
    .await
    .expect("connect");
    let slow = match db.backend() {
        Backend::Postgres => "SELECT pg_sleep(30)",
        Backend::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) \
             SELECT count(*) FROM c"
        }
    };
    let started = std::time::Instant::now();
    let e = audit_hub::store::maintenance(&db, slow)
        .await
        .expect_err("stopped");
    let e = AppError::from(e);
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped, not run to the end: {:?}",
        started.elapsed()
    );
    // The connection is usable afterwards.
    audit_hub::store::maintenance(&db, "SELECT 1")
        .await
        .expect("next statement");
    db.close().await;
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let t = TestDb::with_reference().await;
    let origin = "https://dashboards.example.kz";
    let with = TestServer::start_with(&t.db, |st| {
        st.with_limits(limits(|l| l.cors_origins = vec![origin.to_owned()]))
    })
    .await;
    let without = TestServer::start(&t.db).await;
    let preflight = |s: &TestServer, from: &str| {
        s.client
            .request(reqwest::Method::OPTIONS, s.url("/graphql"))
            .header("Origin", from)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight(&with, origin).await.expect("preflight");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(origin)
    );
    let other = preflight(&with, "https://elsewhere.example.com")
        .await
        .expect("preflight");
    assert_eq!(other.status(), 403);
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // With no origins configured there are no CORS headers at all: browsers keep to the same
    // origin.
    let resp = without
        .client
        .post(without.url("/graphql"))
        .header("Origin", origin)
        .json(&json!({ "query": "{ me { scope } }" }))
        .send()
        .await
        .expect("request");
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // An allowed origin's actual request sees the request id header.
    let resp = with
        .client
        .post(with.url("/graphql"))
        .header("Origin", origin)
        .json(&json!({ "query": "{ me { scope } }" }))
        .send()
        .await
        .expect("request");
    let exposed = resp
        .headers()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

#[test]
fn serve_defaults_are_the_documented_safe_defaults() {
    use clap::Parser;
    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        limits: audit_hub::config::LimitOptions,
    }
    let parsed = Serve::try_parse_from(["serve"]).expect("defaults parse");
    assert_eq!(
        parsed.limits.server_limits().expect("valid"),
        ServerLimits::default()
    );
    for (args, flag) in [
        (vec!["serve", "--max-depth", "0"], "--max-depth"),
        (
            vec!["serve", "--request-timeout", "0s"],
            "--request-timeout",
        ),
        (
            vec!["serve", "--cors-origins", "https://a.kz/path"],
            "--cors-origins",
        ),
        (
            vec!["serve", "--rate-limit", "5", "--rate-burst", "0"],
            "--rate-burst",
        ),
    ] {
        let parsed = Serve::try_parse_from(&args).expect("parses");
        let e = parsed.limits.server_limits().expect_err("refused");
        assert!(e.to_string().contains(flag), "{args:?}: {e}");
    }
}
