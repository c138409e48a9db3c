//! What a hostile client sends stays bounded and inert: operation names that try to break out of
//! a metrics label or forge a trail line, oversized variables, control characters and bidi
//! overrides in names — none reaches `/metrics`, the trail or a terminal raw, and none fails
//! another request's audit append.

use crate::common;

use audit_hub::domain::text::is_unsafe;
use common::{TestDb, TestServer, user_of};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_audit-hub");

/// The samples of the exposition, read by a Prometheus text-format parser.
fn samples(text: &str) -> Vec<prometheus_parse::Sample> {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines)
        .expect("the exposition parses")
        .samples
}

#[derive(sqlx::FromRow)]
struct Stored {
    operation: Option<String>,
    variables: Option<String>,
    outcome: String,
}

async fn events(t: &TestDb) -> Vec<Stored> {
    let q = sea_query::Query::select()
        .columns(["operation", "variables", "outcome"])
        .from("audit_events")
        .order_by("seq", sea_query::Order::Asc)
        .to_owned();
    t.db.all(&q).await.expect("events")
}

async fn anonymous(s: &TestServer, body: Value) -> reqwest::Response {
    s.client
        .post(s.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn injected_operation_names_and_oversized_variables_stay_inert() {
    let t = TestDb::with_reference().await;
    let national = TestServer::start_national(&t.db).await;
    let national_token = national.token.clone().expect("token");
    drop(national);
    let s = TestServer::start(&t.db).await;
    let attacks = [
        (
            "a forged metrics line",
            "x\"} 1\naudit_hub_policy_revision 424242\n#",
        ),
        ("a forged trail line", "grantAccess\0\r\nFORGED"),
        ("a bidi override", "grant\u{202e}Access"),
        ("an overlong name", &"a".repeat(5000)),
    ];
    for (case, name) in attacks {
        let resp = anonymous(
            &s,
            json!({ "query": "{ __typename }", "operationName": name }),
        )
        .await;
        assert!(resp.status().as_u16() < 500, "{case}: {}", resp.status());
    }
    // A megabyte of unused variables.
    let padding = "x".repeat(900 * 1024);
    let resp = anonymous(
        &s,
        json!({ "query": "{ __typename }", "variables": { "padding": padding } }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // Anonymous callers inventing names do not use up the label slots.
    for i in 0..250 {
        anonymous(
            &s,
            json!({ "query": format!("query Invented{i} {{ __typename }}") }),
        )
        .await;
    }
    let named = s
        .client
        .post(s.url("/graphql"))
        .bearer_auth(&national_token)
        .json(&json!({ "query": "query RealDashboard { me { user { fullName } } }" }))
        .send()
        .await
        .expect("a signed-in request");
    assert_eq!(named.status(), 200);

    let text = s.metrics().await;
    let samples = samples(&text);
    let revisions: Vec<f64> = samples
        .iter()
        .filter(|x| x.metric == "audit_hub_policy_revision")
        .filter_map(|x| match x.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(
        revisions,
        vec![0.0],
        "one policy revision, the real one:\n{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("audit_hub_policy_revision 424242")),
        "no forged line"
    );
    let operations: std::collections::BTreeSet<String> = samples
        .iter()
        .filter_map(|x| x.labels.get("operation").map(str::to_owned))
        .collect();
    assert!(
        !operations.iter().any(|o| o.starts_with("Invented")),
        "anonymous names are counted as other: {operations:?}"
    );
    assert!(operations.contains("RealDashboard"), "{operations:?}");
    assert!(operations.contains("invalid"), "{operations:?}");

    // The trail: nothing raw, nothing unbounded.
    let stored = events(&t).await;
    for e in &stored {
        for text in [
            e.operation.as_deref(),
            e.variables.as_deref(),
            Some(&e.outcome),
        ]
        .into_iter()
        .flatten()
        {
            assert!(!text.chars().any(is_unsafe), "stored raw: {text:?}");
            assert!(
                text.len() <= 16 * 1024,
                "stored whole: {} bytes",
                text.len()
            );
        }
    }
    assert!(
        stored
            .iter()
            .any(|e| e.operation.as_deref() == Some("(invalid operationName)")),
        "an invalid name is recorded as such"
    );
    let big = stored
        .iter()
        .filter_map(|e| e.variables.as_deref())
        .filter_map(|v| serde_json::from_str::<Value>(v).ok())
        .find(|v| v.get("sha256").is_some() && v.get("bytes").is_some())
        .expect("the oversized variables are recorded by size and hash");
    assert!(
        big["bytes"].as_u64().is_some_and(|b| b > 900 * 1024),
        "{big}"
    );
}

/// A surname with CR/LF and an ANSI escape (stored before names were checked) prints as one
/// escaped row in `audit-hub users list`.
#[tokio::test]
async fn the_cli_never_prints_client_text_raw() {
    let t = TestDb::with_demo(1).await;
    let victim = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let forged = "Evil\r\n999999999999  FORGED ROW\u{1b}[31m";
    let q = sea_query::Query::update()
        .table("users")
        .value("surname", forged)
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("id"),
            victim.id,
        ))
        .to_owned();
    t.db.execute(&q).await.expect("store a hostile surname");
    let out = tokio::process::Command::new(BIN)
        .args(["users", "list"])
        .env("DATABASE_URL", &t.url)
        .output()
        .await
        .expect("users list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r'),
        "no raw control characters"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("FORGED ROW")).collect();
    assert_eq!(rows.len(), 1, "one row for the user: {rows:?}");
    assert!(rows[0].starts_with(&victim.iin), "{}", rows[0]);
}

/// Hostile form values: each is refused as `BAD_USER_INPUT` naming its field, and nothing is
/// stored.
#[tokio::test]
async fn hostile_form_values_are_refused_naming_the_field() {
    use common::workflow::*;
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let huge = "Ә".repeat(60_000);
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "a 60 000-character surname",
            "employees",
            json!(huge),
            "input.employees[0].surname",
        ),
        (
            "a surname with NUL",
            "employees",
            json!("Ахмет\u{0}ов"),
            "input.employees[0].surname",
        ),
        (
            "a surname with CR/LF and ANSI",
            "employees",
            json!("Evil\r\n999\u{1b}[31m"),
            "input.employees[0].surname",
        ),
        (
            "a right-to-left override in a position",
            "position",
            json!("маман\u{202e}"),
            "input.employees[0].position",
        ),
        (
            "an e-mail with NUL",
            "email",
            json!("a\u{0}@b.kz"),
            "input.employees[0].email",
        ),
        (
            "a 60 000-character outgoing number",
            "outgoingNumber",
            json!(huge),
            "input.outgoingNumber",
        ),
        (
            "outgoing date in year one",
            "outgoingDate",
            json!("0001-01-01"),
            "input.outgoingDate",
        ),
        (
            "outgoing date in the future",
            "outgoingDate",
            json!("2999-01-01"),
            "input.outgoingDate",
        ),
    ];
    let before = counts(&t.db).await;
    for (name, target, value, field) in cases {
        let mut vars = application(vec![employee(&iin(8100), "Оспанов")]);
        match target {
            "employees" => vars["input"]["employees"][0]["surname"] = value,
            "position" | "email" => vars["input"]["employees"][0][target] = value,
            other => vars["input"][other] = value,
        }
        let v = as_user(&mut s, &a.head, SUBMIT, vars).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{name}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["field"], field, "{name}: {v}");
    }
    assert_eq!(counts(&t.db).await, before, "nothing stored");

    // The refusal speaks the caller's language.
    let mut vars = application(vec![employee(&iin(8100), "Оспанов")]);
    vars["input"]["outgoingDate"] = json!("0001-01-01");
    s = s.with_user(&a.head);
    for (lang, word) in [
        ("kk", "аралығындағы"),
        ("ru", "дата с"),
        ("en", "a date from"),
    ] {
        let v = s.gql_lang(SUBMIT, vars.clone(), Some(lang)).await;
        let message = v["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(word), "{lang}: {message}");
    }

    // A termination before the person's membership began, asked by their own body's head.
    #[derive(sqlx::FromRow)]
    struct Pair {
        id: i64,
        head: String,
    }
    let q = sea_query::Query::select()
        .column(("u", "id"))
        .expr_as(sea_query::Expr::col(("h", "iin")), "head")
        .from_as("users", "u")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "users",
            "h",
            sea_query::ExprTrait::equals(
                sea_query::Expr::col(("h", "organization_id")),
                ("u", "organization_id"),
            ),
        )
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col(("u", "is_head")),
            false,
        ))
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col(("u", "status")),
            "ACTIVE",
        ))
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col(("h", "is_head")),
            true,
        ))
        .limit(1)
        .to_owned();
    let pair: Pair =
        t.db.optional(&q)
            .await
            .expect("query")
            .expect("an employee and their head");
    let (member_id, head_iin) = (pair.id, pair.head);
    let v = as_user(
        &mut s,
        &head_iin,
        "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"dismissed\") { id } }",
        json!({ "u": member_id.to_string(), "on": "1900-01-01" }),
    )
    .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["field"], "terminatedOn", "{v}");
}
