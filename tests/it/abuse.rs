//! Hostile requests: each is answered with the right 4xx within a bounded time, nothing panics,
//! the server answers the next request, and no error body carries SQL, a table name, a file
//! path or a stack frame.

use crate::common;

use std::time::Duration;

use audit_hub::config::ServerLimits;
use audit_hub::graphql::limits::QueryLimits;
use common::{TestDb, TestServer};
use serde_json::{Value, json};

/// Longest any hostile request may take to be answered: a liveness bound (a hang or a
/// runaway computation), not a performance measurement.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// A hostile request: how it is sent, and the answer it must get.
struct Case {
    name: &'static str,
    content_type: &'static str,
    body: Body,
    status: u16,
    code: &'static str,
    /// For `LIMIT_EXCEEDED`: the limit a signed-in caller is told.
    limit: Option<&'static str>,
}

enum Body {
    Bytes(Vec<u8>),
    /// Streamed in 1 KiB chunks with no Content-Length.
    Stream(usize),
}

fn query(q: impl Into<String>) -> Body {
    Body::Bytes(serde_json::to_vec(&json!({ "query": q.into() })).unwrap_or_default())
}

fn case(
    name: &'static str,
    body: Body,
    status: u16,
    code: &'static str,
    limit: Option<&'static str>,
) -> Case {
    Case {
        name,
        content_type: "application/json",
        body,
        status,
        code,
        limit,
    }
}

fn aliases(n: usize) -> String {
    let fields: String = (0..n).map(|i| format!("a{i}: scope ")).collect();
    format!("{{ me {{ {fields} }} }}")
}

fn directives(n: usize) -> String {
    format!("{{ me {{ scope {} }} }}", "@include(if: true) ".repeat(n))
}

fn nested(levels: usize) -> String {
    format!("{}{}", "{ me ".repeat(levels), "}".repeat(levels))
}

/// Ten fragments each spreading the next ten times: 10^10 fields once expanded.
fn fragment_bomb() -> String {
    let mut q = String::from("{ ...F0 }\n");
    for i in 0..10 {
        q.push_str(&format!(
            "fragment F{i} on Query {{ {} }}\n",
            format!("...F{} ", i + 1).repeat(10)
        ));
    }
    q.push_str("fragment F10 on Query { me { scope } }\n");
    q
}

/// The cases every server must refuse, whatever its limits.
fn hostile_cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "deep nesting (100 000 levels)",
            query(nested(100_000)),
            400,
            "LIMIT_EXCEEDED",
            None,
        ),
        case(
            "deep nesting (40 levels)",
            query(nested(40)),
            400,
            "LIMIT_EXCEEDED",
            Some("depth"),
        ),
        case(
            "10 000 aliases",
            query(aliases(10_000)),
            400,
            "LIMIT_EXCEEDED",
            None,
        ),
        case(
            "10 000 directives",
            query(directives(10_000)),
            400,
            "LIMIT_EXCEEDED",
            None,
        ),
        case(
            "fragment bomb",
            query(fragment_bomb()),
            400,
            "LIMIT_EXCEEDED",
            Some("fields"),
        ),
        case(
            "complexity: 1 000 objects with their documents and funding",
            query(
                "{ informatizationObjects(first: 1000) { edges { node { id name \
                 documents { id title format sizeBytes } fundingLines { id year program } \
                 stageHistory { stage } } } } }",
            ),
            400,
            "LIMIT_EXCEEDED",
            Some("complexity"),
        ),
        case(
            "huge first",
            query("{ budgetLines(first: 2147483647) { edges { node { id } } } }"),
            400,
            "BAD_USER_INPUT",
            None,
        ),
        case(
            "first beyond Int",
            query("{ budgetLines(first: 99999999999) { edges { node { id } } } }"),
            400,
            "BAD_USER_INPUT",
            None,
        ),
        case(
            "oversized body without Content-Length",
            Body::Stream(2048),
            413,
            "PAYLOAD_TOO_LARGE",
            None,
        ),
        case(
            "batch of 1 000 operations",
            Body::Bytes(
                serde_json::to_vec(&vec![json!({ "query": "{ me { scope } }" }); 1000])
                    .unwrap_or_default(),
            ),
            400,
            "BATCH_NOT_SUPPORTED",
            None,
        ),
        case(
            "malformed JSON",
            Body::Bytes(b"{\"query\": ".to_vec()),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "invalid UTF-8",
            Body::Bytes(vec![b'{', 0xff, 0xfe, b'}']),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "query of the wrong type",
            Body::Bytes(br#"{"query": 42}"#.to_vec()),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "variables of the wrong type",
            Body::Bytes(br#"{"query": "{ me { scope } }", "variables": [1]}"#.to_vec()),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "operationName of the wrong type",
            Body::Bytes(br#"{"query": "{ me { scope } }", "operationName": 7}"#.to_vec()),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "variables nested 10 000 deep",
            Body::Bytes(
                format!(
                    r#"{{"query": "{{ me {{ scope }} }}", "variables": {{"v": {}{}}}}}"#,
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                )
                .into_bytes(),
            ),
            400,
            "BAD_REQUEST",
            None,
        ),
        case(
            "unknown field",
            query("{ me { nope } }"),
            400,
            "GRAPHQL_VALIDATION_FAILED",
            None,
        ),
        case(
            "unterminated string",
            query("{ me(x: \""),
            400,
            "GRAPHQL_PARSE_FAILED",
            None,
        ),
    ];
    cases.push(Case {
        content_type: "text/plain",
        ..case(
            "text/plain body",
            query("{ me { scope } }"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            None,
        )
    });
    cases
}

/// Sends a case; returns the status and the body text.
async fn send(s: &TestServer, c: &Case) -> (u16, String) {
    let body = match &c.body {
        Body::Bytes(b) => reqwest::Body::from(b.clone()),
        Body::Stream(kib) => reqwest::Body::wrap_stream(futures::stream::iter(
            (0..*kib).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])),
        )),
    };
    let mut req = s
        .client
        .post(s.url("/graphql"))
        .header("Content-Type", c.content_type)
        .header("Accept", "application/graphql-response+json")
        .body(body);
    if let Some(t) = &s.token {
        req = req.bearer_auth(t);
    }
    let answer = async {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    };
    tokio::time::timeout(ANSWER_WITHIN, answer)
        .await
        .unwrap_or_else(|_| panic!("{}: no answer within {ANSWER_WITHIN:?}", c.name))
}

/// What an error body must never contain: SQL, table names (read from the migrations), file
/// paths and stack frames.
fn leaks(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let words: Vec<&str> = body
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for sql in [
        "SELECT", "INSERT", "UPDATE", "DELETE", "WHERE", "JOIN", "sqlx",
    ] {
        if words.contains(&sql) {
            found.push(format!("SQL word {sql}"));
        }
    }
    for table in table_names() {
        if words.contains(&table.as_str()) {
            found.push(format!("table {table}"));
        }
    }
    for marker in [
        ".rs:",
        "src/",
        "/home/",
        "/root/",
        "/work/",
        "/usr/",
        "/tmp/",
        "panicked",
        "backtrace",
        "{{closure}}",
        "async_graphql::",
        "audit_hub::",
        "tokio::",
    ] {
        if body.contains(marker) {
            found.push(format!("marker {marker}"));
        }
    }
    found
}

fn table_names() -> Vec<String> {
    let mut names = Vec::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    for entry in std::fs::read_dir(dir).expect("migrations") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for part in text.split("CREATE TABLE ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
    }
    assert!(
        names.len() > 10,
        "tables read from the migrations: {names:?}"
    );
    names
}

async fn still_answers(s: &TestServer, after: &str) {
    let v = s.gql("{ me { scope } }", json!({})).await;
    assert!(
        v["data"]["me"]["scope"].is_string()
            || v["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED",
        "after {after}: {v}"
    );
}

/// Runs every case against `s`; returns the error bodies.
async fn run_cases(s: &TestServer, signed_in: bool) -> Vec<(String, String)> {
    let mut bodies = Vec::new();
    for c in hostile_cases() {
        let (status, body) = send(s, &c).await;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let err = &v["errors"][0];
        let who = if signed_in { "signed in" } else { "anonymous" };
        assert_eq!(
            (status, err["extensions"]["code"].as_str()),
            (c.status, Some(c.code)),
            "{} ({who}): {body}",
            c.name
        );
        if c.code == "LIMIT_EXCEEDED" {
            let limit = err["extensions"]["limit"].as_str();
            if signed_in {
                if let Some(want) = c.limit {
                    assert_eq!(limit, Some(want), "{}: {body}", c.name);
                }
            } else {
                // Anonymous callers learn neither which limit nor its number.
                assert_eq!(limit, None, "{} (anonymous): {body}", c.name);
                let message = err["message"].as_str().unwrap_or("");
                assert!(
                    !message.chars().any(|ch| ch.is_ascii_digit()),
                    "{} (anonymous): {message}",
                    c.name
                );
            }
        }
        assert!(
            err["extensions"]["requestId"].is_string(),
            "{}: every error carries its request id: {body}",
            c.name
        );
        still_answers(s, c.name).await;
        bodies.push((c.name.to_owned(), body));
    }
    bodies
}

#[tokio::test]
async fn hostile_requests_get_a_4xx_in_bounded_time_and_leak_nothing() {
    let t = TestDb::with_demo(1).await;
    let national = TestServer::start_national(&t.db).await;
    let anonymous = TestServer::start(&t.db).await;
    let mut bodies = run_cases(&national, true).await;
    bodies.extend(run_cases(&anonymous, false).await);
    // With the text limits lifted, the document limits behind them still hold: each layer
    // stands on its own.
    let lifted = TestServer::start_with(&t.db, |s| {
        s.with_limits(ServerLimits {
            query: QueryLimits {
                max_query_bytes: 1 << 20,
                max_tokens: 1 << 20,
                ..QueryLimits::default()
            },
            ..ServerLimits::default()
        })
    })
    .await
    .with_token(national.token.clone());
    for (name, q, limit) in [
        ("10 000 aliases", aliases(10_000), "aliases"),
        ("10 000 directives", directives(10_000), "directives"),
        ("100 000 levels", nested(100_000), "nesting"),
        (
            "40 root fields",
            format!("{{ {} }}", "me { scope } ".repeat(40)),
            "root-fields",
        ),
    ] {
        let c = case("lifted", query(q), 400, "LIMIT_EXCEEDED", Some(limit));
        let (status, body) = send(&lifted, &c).await;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(
            (status, v["errors"][0]["extensions"]["limit"].as_str()),
            (400, Some(limit)),
            "{name}: {body}"
        );
        bodies.push((name.to_owned(), body));
    }
    for (name, body) in &bodies {
        assert_eq!(leaks(body), Vec::<String>::new(), "{name}: {body}");
    }
}

/// The request id a response carries.
fn request_id(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id")
}

/// Log lines of this test binary, captured so a test can find a request's logged cause.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    });
}

#[tokio::test]
async fn internal_errors_are_masked_and_their_request_id_finds_the_event() {
    capture_logs();
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    // A failure the server cannot foresee: the tables a summary reads gone from under it (both
    // rollups, whichever the summary picks).
    for table in ["budget_region_rollup", "budget_rollup"] {
        audit_hub::store::maintenance(&t.db, &format!("DROP TABLE {table}"))
            .await
            .expect("drop");
    }
    let resp = s
        .post_query("{ budgetSummary(groupBy: [LEVEL]) { amount } }")
        .await;
    let header_id = request_id(&resp);
    let body = resp.text().await.expect("body");
    let v: Value = serde_json::from_str(&body).expect("json");
    let ext = &v["errors"][0]["extensions"];
    assert_eq!(ext["code"], "INTERNAL", "{body}");
    assert_eq!(ext["requestId"].as_str(), Some(header_id.as_str()));
    assert_eq!(leaks(&body), Vec::<String>::new(), "{body}");
    let events = s
        .data(
            "query($id: String) { auditEvents(filter: { requestId: $id }) { edges { node { outcome operation requestId } } } }",
            json!({ "id": header_id }),
        )
        .await;
    let found = &events["auditEvents"]["edges"];
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{events}");
    assert_eq!(found[0]["node"]["outcome"], "INTERNAL");
    assert_eq!(found[0]["node"]["operation"], "budgetSummary");
    // The log has the cause under the same id.
    let logs = String::from_utf8_lossy(&LOGS.lock().expect("logs")).into_owned();
    let cause = logs
        .lines()
        .find(|l| l.contains(&header_id) && l.contains("request failed"))
        .unwrap_or_else(|| panic!("no logged cause for {header_id} in:\n{logs}"));
    assert!(
        ["budget_region_rollup", "budget_rollup"]
            .iter()
            .any(|t| cause.contains(t)),
        "{cause}"
    );
}

/// A failure inside a DataLoader batch (which runs on a task of its own) is logged under the
/// request id of the request that asked for it.
#[tokio::test]
async fn a_loader_failure_is_logged_under_its_request_id() {
    capture_logs();
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    audit_hub::store::maintenance(&t.db, "DROP TABLE documents")
        .await
        .expect("drop");
    let resp = s
        .post_query("{ informatizationObjects(first: 5) { nodes { id documents { id } } } }")
        .await;
    let id = request_id(&resp);
    let body = resp.text().await.expect("body");
    assert!(body.contains("INTERNAL"), "{body}");
    let logs = String::from_utf8_lossy(&LOGS.lock().expect("logs")).into_owned();
    let line = logs
        .lines()
        .find(|l| l.contains(&id) && l.contains("request failed"))
        .unwrap_or_else(|| panic!("no logged cause for {id} in:\n{logs}"));
    assert!(line.contains("documents"), "{line}");
}
