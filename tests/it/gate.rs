//! The one gate: the router's table holds every route with its guard, only the named probes and
//! the metrics scrape are outside the gate, and every other route — unknown paths included — is
//! rate limited and leaves one audit event per request, over real HTTP.

use crate::common;

use std::collections::BTreeSet;

use audit_hub::config::ServerLimits;
use audit_hub::http::{Guard, route_table};
use common::{TestDb, TestServer, token};

/// A concrete path for a route pattern (`:id` parameters and the `/*rest` catch-all filled in).
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|part| match part {
            p if p.starts_with(':') => "1",
            "*rest" => "no-such-page",
            p => p,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_is_gated_or_a_named_exception() {
    let table = route_table();
    let exempt: BTreeSet<&str> = table
        .iter()
        .filter(|(_, g)| matches!(g, Guard::Exempt(_)))
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(
        exempt,
        BTreeSet::from(["/healthz", "/metrics", "/readyz"]),
        "only the probes and the scrape are outside the gate"
    );
    let gated: Vec<&str> = table
        .iter()
        .filter(|(_, g)| matches!(g, Guard::Gated(_)))
        .map(|(p, _)| *p)
        .collect();
    for door in [
        "/graphql",
        "/auth/login",
        "/auth/challenge",
        "/auth/logout",
        "/*rest",
    ] {
        assert!(gated.contains(&door), "{door} is gated");
    }

    let t = TestDb::with_reference().await;
    let s = TestServer::start_with(&t.db, |st| {
        st.with_limits(ServerLimits {
            rate_per_second: 1,
            rate_burst: 1,
            ..Default::default()
        })
    })
    .await;
    for (i, pattern) in gated.iter().enumerate() {
        let path = concrete(pattern);
        // Each route counts against its own caller (a token's subject keys the limit), so one
        // route's requests do not use up another's allowance.
        let bearer = format!(
            "Bearer {}",
            token(&format!("{:012}", 900_000_000_000u64 + i as u64))
        );
        let mut ids = Vec::new();
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let resp = s
                .client
                .get(s.url(&path))
                .header("authorization", &bearer)
                .send()
                .await
                .expect("request");
            statuses.push(resp.status().as_u16());
            ids.push(
                resp.headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .unwrap_or_else(|| panic!("{path}: a request id")),
            );
        }
        assert_ne!(
            statuses[0], 429,
            "{path}: the first request passes the limit"
        );
        assert_eq!(statuses[1], 429, "{path}: the second is over it");
        for (n, id) in ids.iter().enumerate() {
            let q = sea_query::Query::select()
                .expr(sea_query::Func::count(sea_query::Expr::col("seq")))
                .from("audit_events")
                .and_where(sea_query::ExprTrait::eq(
                    sea_query::Expr::col("request_id"),
                    id.as_str(),
                ))
                .to_owned();
            assert_eq!(
                t.db.scalar_i64(&q).await.expect("count"),
                1,
                "{path}: request {n} ({id}) has its audit event"
            );
        }
    }
}
