//! Several `serve` processes on one database: a block made through one is refused by the other
//! within a second, also when the change notification never arrives.

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
        Process::start_with(url, &[]).await
    }

    async fn start_with(url: &str, args: &[&str]) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
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
    let took = refused_within_a_second(&b, &reader.iin).await;
    eprintln!("the other process refused the blocked user after {took:?}");
    drop((a.child, b.child));
}

/// Polls `p` as `iin` until it refuses the caller; panics if that takes a second or more.
async fn refused_within_a_second(p: &Process, iin: &str) -> Duration {
    let start = Instant::now();
    loop {
        let v = p.gql(iin, "{ me { user { id } } }", json!({})).await;
        if v["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still served a second after the block: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A change that bypasses the triggers (PostgreSQL: replication role; the epoch is bumped by
/// hand, so nothing is notified) still reaches a serving process by its periodic re-read.
#[tokio::test]
async fn a_change_nobody_notified_is_picked_up_by_the_recheck() {
    let t = TestDb::with_demo(1).await;
    let reader = user_of(&t.db, "PARLIAMENT", "", true).await;
    let p = Process::start_with(&t.url, &["--caller-recheck", "300ms"]).await;
    let me = "{ me { user { id } } }";
    for _ in 0..3 {
        let v = p.gql(&reader.iin, me, json!({})).await;
        assert!(v.get("errors").is_none(), "served before the change: {v}");
    }
    let mut tx = t.db.begin().await.expect("begin");
    if t.backend() == audit_hub::store::Backend::Postgres {
        tx.raw("SET LOCAL session_replication_role = replica")
            .await
            .expect("bypass triggers");
    }
    tx.raw(&format!(
        "UPDATE users SET status = 'BLOCKED' WHERE id = {}",
        reader.id
    ))
    .await
    .expect("block");
    tx.raw("UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers'")
        .await
        .expect("bump");
    tx.commit().await.expect("commit");
    let took = refused_within_a_second(&p, &reader.iin).await;
    eprintln!("refused {took:?} after an unnotified change");
    drop(p.child);
}
