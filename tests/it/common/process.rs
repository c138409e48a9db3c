//! `serve` processes of the real binary on a test database, for tests across processes and of
//! processes that die.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{TEST_KEY, token};

/// A `serve` process on `url`, killed when dropped.
pub struct Process {
    /// The process.
    pub child: tokio::process::Child,
    /// Its base URL.
    pub base: String,
}

impl Process {
    /// Two processes on `url`.
    pub async fn pair(url: &str) -> (Process, Process) {
        (Process::start(url).await, Process::start(url).await)
    }

    pub async fn start(url: &str) -> Process {
        Process::start_with(url, &[]).await
    }

    pub async fn start_with(url: &str, args: &[&str]) -> Process {
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

    pub async fn gql(&self, iin: &str, query: &str, variables: Value) -> Value {
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
