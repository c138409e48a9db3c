//! Inputs bounded by configuration: filter lists and trees (refused naming the field, never an
//! internal error from the database's own limits), page sizes from variable defaults, persisted
//! queries (stored only once they pass, in a cache bounded in bytes), and GraphQL over HTTP's
//! request errors.

use crate::common;

use audit_hub::config::ServerLimits;
use common::{TestDb, TestServer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const LINES: &str =
    "query($f: BudgetLineFilter) { budgetLines(filter: $f, first: 1) { totalCount } }";

fn code(v: &Value) -> (&str, &str) {
    (
        v["errors"][0]["extensions"]["code"].as_str().unwrap_or(""),
        v["errors"][0]["extensions"]["field"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn oversized_filters_are_refused_naming_the_field_and_large_ones_run() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let years: Vec<i32> = (0..40_000).collect();
    let branches: Vec<Value> = (0..3_000).map(|y| json!({ "years": [y] })).collect();
    let deep_values: Vec<Value> = (0..20)
        .map(|i| json!({ "years": (0..1000).map(|y| y + i * 1000).collect::<Vec<i32>>() }))
        .collect();
    let cases = [
        (
            "40 000 years",
            json!({ "years": years }),
            ("BAD_USER_INPUT", "filter.years"),
        ),
        (
            "an or of 3 000 branches",
            json!({ "or": branches }),
            ("BAD_USER_INPUT", "filter"),
        ),
        (
            "20 000 values in all",
            json!({ "or": deep_values }),
            ("BAD_USER_INPUT", "filter"),
        ),
    ];
    for (name, filter, expected) in cases {
        let v = s.gql(LINES, json!({ "f": filter })).await;
        assert_eq!(code(&v), expected, "{name}: {v}");
    }
    // Within the limits, large filters run on every backend (no variable or depth limit hit).
    let within: Vec<Value> = (0..9)
        .map(|i| json!({ "years": (0..1000).map(|y| y + i * 1000).collect::<Vec<i32>>() }))
        .collect();
    let v = s.gql(LINES, json!({ "f": { "or": within } })).await;
    assert!(v.get("errors").is_none(), "9 000 values in 10 filters: {v}");

    // Tighter limits by configuration.
    let national = s.token.clone();
    let tight = TestServer::start_with(&t.db, |st| {
        let mut limits = ServerLimits::default();
        limits.query.filter.max_list = 3;
        limits.query.filter.max_nodes = 2;
        st.with_limits(limits)
    })
    .await
    .with_token(national);
    let v = tight
        .gql(LINES, json!({ "f": { "years": [1, 2, 3, 4] } }))
        .await;
    assert_eq!(code(&v), ("BAD_USER_INPUT", "filter.years"), "{v}");
    let v = tight
        .gql(
            LINES,
            json!({ "f": { "and": [{ "years": [1] }, { "years": [2] }] } }),
        )
        .await;
    assert_eq!(code(&v), ("BAD_USER_INPUT", "filter"), "{v}");
}

#[tokio::test]
async fn a_page_size_from_a_variable_default_is_refused_like_a_literal() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let v = s
        .gql(
            "query($n: Int = 5000) { budgetLines(first: $n) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&v), ("BAD_USER_INPUT", "first"), "{v}");
}

async fn persisted(s: &TestServer, query: Option<&str>, hash: &str) -> Value {
    let mut body = json!({
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }
    });
    if let Some(q) = query {
        body["query"] = json!(q);
    }
    s.post_body_lang(body, None).await
}

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn persisted_queries_are_kept_only_once_they_pass_and_within_their_bytes() {
    let t = TestDb::with_reference().await;
    let national = TestServer::start_national(&t.db).await;
    let budget = 64 * 1024;
    let s = TestServer::start_with(&t.db, move |st| {
        st.with_limits(ServerLimits {
            persisted_query_bytes: budget,
            ..Default::default()
        })
    })
    .await
    .with_token(national.token.clone());
    let cache = s.state.persisted.clone();

    // A text that fails validation, and one over the query-size limit: neither is kept.
    let invalid = "{ noSuchField }";
    let v = persisted(&s, Some(invalid), &sha(invalid)).await;
    assert!(v.get("errors").is_some(), "{v}");
    let v = persisted(&s, None, &sha(invalid)).await;
    assert_eq!(code(&v).0, "PERSISTED_QUERY_NOT_FOUND", "{v}");
    let huge = format!(
        "{{ me {{ user {{ fullName }} }} }} #{}",
        "x".repeat(900 * 1024)
    );
    let v = persisted(&s, Some(&huge), &sha(&huge)).await;
    assert!(v.get("errors").is_some(), "an oversized text is refused");
    assert_eq!(cache.weight(), 0, "nothing refused is kept");

    // A flood of valid texts stays within the byte budget; the oldest go first.
    let texts: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "query Q{i} {{ me {{ user {{ fullName }} }} }} #{}",
                "y".repeat(8 * 1024)
            )
        })
        .collect();
    for text in &texts {
        let v = persisted(&s, Some(text), &sha(text)).await;
        assert!(v.get("errors").is_none(), "{v}");
    }
    assert!(cache.weight() <= budget, "{} bytes kept", cache.weight());
    let newest = texts.last().expect("a text");
    let v = persisted(&s, None, &sha(newest)).await;
    assert!(v.get("errors").is_none(), "the newest is kept: {v}");
    let v = persisted(&s, None, &sha(&texts[0])).await;
    assert_eq!(
        code(&v).0,
        "PERSISTED_QUERY_NOT_FOUND",
        "the oldest was evicted"
    );
}

#[tokio::test]
async fn request_errors_carry_no_data_and_extensions_must_be_an_object() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    let send = |body: Value| {
        s.client
            .post(s.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&body)
            .send()
    };
    for (name, body) in [
        ("a parse failure", json!({ "query": "{" })),
        (
            "a validation failure",
            json!({ "query": "{ noSuchField }" }),
        ),
    ] {
        let r = send(body).await.expect("request");
        assert_eq!(r.status(), 400, "{name}");
        let v: Value = r.json().await.expect("json");
        assert!(v.get("data").is_none(), "{name}: no data entry: {v}");
        assert!(v["errors"].is_array(), "{name}: {v}");
    }
    for extensions in [json!("x"), json!(1), json!([1])] {
        let r = send(json!({ "query": "{ __typename }", "extensions": extensions }))
            .await
            .expect("request");
        assert_eq!(r.status(), 400, "extensions {extensions}");
    }
}

/// A state given other limits keeps no document parsed under the old ones: a kept text skips the
/// text limits it passed, so under new limits every text is measured again.
#[tokio::test]
async fn other_limits_start_with_no_documents_kept() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let text = "{ me { scope } } # kept, then other limits";
    let asked = |state: &audit_hub::http::AppState| {
        let mut asked = 0;
        let parsed = state
            .documents
            .parse(&mut async_graphql::Request::new(text), |_| {
                asked += 1;
                Ok(())
            })
            .is_ok();
        (parsed, asked)
    };
    let cases = [
        ("first parse", s.state.clone(), (true, 1)),
        ("the same state again", s.state.clone(), (true, 0)),
        (
            "the state given other limits",
            s.state.clone().with_limits(ServerLimits::default()),
            (true, 1),
        ),
    ];
    for (name, state, expected) in cases {
        assert_eq!(asked(&state), expected, "{name}: (parsed, checks asked)");
    }
}
