//! Several `serve` processes on one database: a block made through one is refused by the other
//! on the user's next request.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{TEST_KEY, TestDb, TestServer, token, user_of};
use serde_json::{Value, json};

/// A `serve` process on `url`, killed when dropped.
struct Process {
    child: tokio::process::Child,
    base: String,
}

impl Process {
    async fn start(url: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .env(
                "AUDIT_HUB_TOKEN_KEY",
                std::str::from_utf8(TEST_KEY).expect("key"),
            )
            .env("AUDIT_HUB_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn serve");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "serve did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Process { child, base }
    }

    async fn gql(&self, iin: &str, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token(iin))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }
}

#[tokio::test]
async fn a_block_through_one_process_is_refused_by_the_other_within_a_second() {
    let t = TestDb::with_demo(1).await;
    // A national reader with grants, and the integrator who blocks.
    let national = TestServer::start_national(&t.db).await;
    drop(national);
    let reader = user_of(&t.db, "PARLIAMENT", "", true).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let a = Process::start(&t.url).await;
    let b = Process::start(&t.url).await;
    let read = "{ budgetSummary(groupBy: [LEVEL]) { amount } }";
    let v = b.gql(&reader.iin, read, json!({})).await;
    assert!(v.get("errors").is_none(), "reads before the block: {v}");

    let v = a
        .gql(
            &integrator.iin,
            "mutation($u: ID!) { blockUser(userId: $u) { status } }",
            json!({ "u": reader.id.to_string() }),
        )
        .await;
    assert_eq!(v["data"]["blockUser"]["status"], "BLOCKED", "{v}");
    let blocked_at = Instant::now();
    let v = b.gql(&reader.iin, read, json!({})).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "the other process refuses the next request: {v}"
    );
    assert!(
        blocked_at.elapsed() < Duration::from_secs(1),
        "refused within a second"
    );
    drop((a.child, b.child));
}
