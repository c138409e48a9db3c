//! The audit trail: every workflow step is recorded in its own transaction, and any edit,
//! deletion, insertion or reordering of events is caught by `audit verify`, naming the event.

use crate::common;

use audit_hub::audit::{self, ChainError};
use audit_hub::store::{Db, maintenance};
use common::{TestDb, TestServer, user_of};
use serde_json::json;
use tokio::process::Command;

const SET: &str =
    "mutation($d: Date!, $w: Boolean) { setCalendarDay(date: $d, working: $w) { date } }";

/// A trail of `n` calendar corrections by the integrator: each is a request event and a step
/// event, so `2n` events after those the reference seed's imports recorded (their number is
/// returned beside the database).
async fn trail(n: usize) -> (TestDb, u64) {
    let t = TestDb::with_reference().await;
    let seeded = verify(&t.db).await.expect("the seeded trail verifies");
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&integrator.iin);
    for i in 0..n {
        s.data(
            SET,
            json!({ "d": format!("2026-02-{:02}", i + 1), "w": i % 2 == 0 }),
        )
        .await;
    }
    (t, seeded)
}

async fn verify(db: &Db) -> Result<u64, ChainError> {
    audit::verify(db, 1).await.expect("verify runs")
}

#[tokio::test]
async fn every_step_is_recorded_and_the_chain_verifies() {
    let (t, seeded) = trail(5).await;
    assert_eq!(verify(&t.db).await, Ok(seeded + 10));
    // A refused step is recorded as a refused request, and as no step.
    let parliament = user_of(&t.db, "PARLIAMENT", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&parliament.iin);
    let v = s.gql(SET, json!({ "d": "2026-03-01", "w": true })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(verify(&t.db).await, Ok(seeded + 11));
    assert_eq!(
        audit::verify(&t.db, seeded as i64 + 3)
            .await
            .expect("verify"),
        Ok(9),
        "from the middle"
    );
}

#[tokio::test]
async fn tampering_is_caught_and_named() {
    for (name, tamper, want) in [
        (
            "edited outcome",
            vec!["UPDATE audit_events SET outcome = 'FORGED' WHERE seq = 3"],
            ChainError::Edited { seq: 3 },
        ),
        (
            "edited variables",
            vec!["UPDATE audit_events SET variables = '{}' WHERE seq = 5"],
            ChainError::Edited { seq: 5 },
        ),
        (
            "deleted event",
            vec!["DELETE FROM audit_events WHERE seq = 3"],
            ChainError::Broken {
                seq: 4,
                previous: 2,
            },
        ),
        (
            "deleted first event",
            vec!["DELETE FROM audit_events WHERE seq = 1"],
            ChainError::BadStart { seq: 2 },
        ),
        (
            "inserted event",
            vec![
                "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 3",
                "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000",
                "INSERT INTO audit_events (seq, at, outcome, prev_hash, hash) SELECT 3, at, 'OK', hash, hash FROM audit_events WHERE seq = 2",
            ],
            ChainError::Edited { seq: 3 },
        ),
        (
            "reordered events",
            vec![
                "UPDATE audit_events SET seq = 1000 WHERE seq = 2",
                "UPDATE audit_events SET seq = 2 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 1000",
            ],
            ChainError::Edited { seq: 2 },
        ),
    ] {
        let (t, seeded) = trail(3).await;
        assert_eq!(verify(&t.db).await, Ok(seeded + 6), "{name}: intact before");
        for sql in tamper {
            maintenance(&t.db, sql).await.expect(sql);
        }
        assert_eq!(verify(&t.db).await, Err(want.clone()), "{name}");

        let out = Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", &t.url)
            .output()
            .await
            .expect("audit verify");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(&want.to_string()), "{name}: {stderr}");
    }
}

#[tokio::test]
async fn deleting_the_newest_events_is_caught_against_an_anchor() {
    let (t, seeded) = trail(3).await;
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(args)
            .env("DATABASE_URL", &t.url)
            .output()
    };
    let head = cli(&["audit", "head"]).await.expect("audit head");
    let anchor = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    assert!(anchor.starts_with(&format!("{}:", seeded + 6)), "{anchor}");
    let intact = cli(&["audit", "verify", "--anchor", &anchor])
        .await
        .expect("verify");
    assert_eq!(intact.status.code(), Some(0));
    let newest_two = format!("DELETE FROM audit_events WHERE seq >= {}", seeded + 5);
    maintenance(&t.db, &newest_two)
        .await
        .expect("delete newest");
    // The shorter chain is valid in itself ...
    assert_eq!(verify(&t.db).await, Ok(seeded + 4));
    // ... but not against the anchor.
    let out = cli(&["audit", "verify", "--anchor", &anchor])
        .await
        .expect("verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            &ChainError::Truncated {
                seq: seeded as i64 + 6
            }
            .to_string()
        ),
        "{stderr}"
    );
    let bad = cli(&["audit", "verify", "--anchor", "6:zz"])
        .await
        .expect("verify");
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a malformed anchor is a usage error"
    );
}

#[tokio::test]
async fn one_event_per_request_refused_ones_included() {
    let t = TestDb::with_demo(1).await;
    let national = TestServer::start_national(&t.db).await;
    let anonymous = TestServer::start(&t.db).await;
    let before = verify(&t.db).await.expect("intact");
    let mut requests = 0u64;
    for i in 0..20 {
        national
            .data("{ budgetSummary(groupBy: [LEVEL]) { amount } }", json!({}))
            .await;
        let v = anonymous
            .gql("{ budgetLines(first: 1) { totalCount } }", json!({}))
            .await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let status = national
            .get(&format!("/documents/{}/content", i + 1))
            .send()
            .await
            .expect("download")
            .status();
        assert_eq!(status, 200);
        requests += 3;
    }
    assert_eq!(verify(&t.db).await, Ok(before + requests));

    #[derive(sqlx::FromRow)]
    struct Row {
        operation: Option<String>,
        outcome: String,
        rows_returned: Option<i64>,
        scope: Option<String>,
        variables: Option<String>,
    }
    let q = sea_query::Query::select()
        .columns([
            "operation",
            "outcome",
            "rows_returned",
            "scope",
            "variables",
        ])
        .from("audit_events")
        .order_by("seq", sea_query::Order::Desc)
        .limit(3)
        .to_owned();
    let last: Vec<Row> = t.db.all(&q).await.expect("events");
    assert_eq!(
        last[0].operation.as_deref(),
        Some("GET /documents/20/content")
    );
    assert_eq!(
        (last[0].outcome.as_str(), last[0].rows_returned),
        ("OK", Some(1))
    );
    assert_eq!(
        (last[1].operation.as_deref(), last[1].outcome.as_str()),
        (Some("budgetLines"), "UNAUTHENTICATED")
    );
    assert_eq!(last[2].operation.as_deref(), Some("budgetSummary"));
    assert_eq!(last[2].rows_returned, Some(4), "four budget levels");
    assert!(
        last[2]
            .scope
            .as_deref()
            .is_some_and(|s| s.contains("every local budget")),
        "{:?}",
        last[2].scope
    );
    assert_eq!(last[2].variables.as_deref(), Some("{}"));
}

#[tokio::test]
async fn a_request_whose_event_cannot_be_written_is_refused() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    s.data("{ me { scope } }", json!({})).await;
    maintenance(
        &t.db,
        "ALTER TABLE audit_events RENAME TO audit_events_elsewhere",
    )
    .await
    .expect("rename");
    let resp = s
        .post_query("{ budgetSummary(groupBy: [LEVEL]) { amount } }")
        .await;
    assert_eq!(resp.status(), 500);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
    assert!(
        body.get("data").is_none(),
        "no data leaves unrecorded: {body}"
    );
    let download = s
        .get("/documents/1/content")
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 500);
}

#[tokio::test]
async fn secrets_in_variables_are_redacted() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    s.gql(
        "query($token: String, $f: BudgetLineFilter) { budgetLines(filter: $f) { totalCount } }",
        json!({ "token": "s3cr3t", "f": { "years": [2025] } }),
    )
    .await;
    #[derive(sqlx::FromRow)]
    struct Vars {
        variables: Option<String>,
    }
    let q = sea_query::Query::select()
        .column("variables")
        .from("audit_events")
        .order_by("seq", sea_query::Order::Desc)
        .limit(1)
        .to_owned();
    let v: Vars = t.db.optional(&q).await.expect("event").expect("an event");
    let vars = v.variables.expect("variables");
    assert!(
        !vars.contains("s3cr3t") && vars.contains("***") && vars.contains("2025"),
        "{vars}"
    );
}

#[tokio::test]
async fn audit_events_for_administrators_and_for_heads_of_their_own_staff() {
    let t = TestDb::with_demo(1).await;
    let head = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let parliament = user_of(&t.db, "PARLIAMENT", "", true).await;
    for who in [&head, &parliament] {
        let s = TestServer::start(&t.db).await.with_user(&who.iin);
        s.data("{ budgetSummary(groupBy: [LEVEL]) { amount } }", json!({}))
            .await;
    }
    let anonymous = TestServer::start(&t.db).await;
    anonymous.gql("{ me { scope } }", json!({})).await;

    let q = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) { nodes { userId operation outcome } } }";
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let admin = TestServer::start(&t.db).await.with_user(&integrator.iin);
    let all = admin.data(q, json!({})).await["auditEvents"]["nodes"]
        .as_array()
        .expect("items")
        .clone();
    let users: std::collections::BTreeSet<String> = all
        .iter()
        .filter_map(|e| e["userId"].as_str().map(str::to_owned))
        .collect();
    assert!(
        users.contains(&head.id.to_string()) && users.contains(&parliament.id.to_string()),
        "{all:?}"
    );
    let refused = admin
        .data(q, json!({ "f": { "outcomes": ["UNAUTHENTICATED"] } }))
        .await;
    assert_eq!(
        refused["auditEvents"]["nodes"].as_array().map(Vec::len),
        Some(1),
        "{refused}"
    );

    let own = TestServer::start(&t.db).await.with_user(&head.iin);
    let mine = own.data(q, json!({})).await["auditEvents"]["nodes"]
        .as_array()
        .expect("items")
        .clone();
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|e| e["userId"] == json!(head.id.to_string())),
        "a head sees only their own staff: {mine:?}"
    );
    let staff = user_of(&t.db, "PARLIAMENT", "", false).await;
    let v = TestServer::start(&t.db)
        .await
        .with_user(&staff.iin)
        .gql(q, json!({}))
        .await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

/// A server's writer appends each batch in one statement after the head it last wrote, and
/// falls back to reading the head under the lock when anything else appended since (here
/// another server); the chain verifies throughout and holds every event. SQLite appends every
/// batch in a transaction of its own.
#[tokio::test]
async fn batches_follow_the_head_their_writer_knows_and_fall_back_when_it_moved() {
    use crate::metrics::{sample, scrape};
    let t = TestDb::with_reference().await;
    let seeded = verify(&t.db).await.expect("the seeded trail verifies");
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let one = TestServer::start(&t.db).await.with_user(&integrator.iin);
    let other = TestServer::start(&t.db).await.with_user(&integrator.iin);
    let batches = |text: &str| {
        let n = |how: &str| {
            sample(text, &format!("audit_hub_audit_batches{{state=\"{how}\"}}")).unwrap_or(-1.0)
        };
        (n("after_head"), n("locked"))
    };
    const ME: &str = "{ me { scope } }";
    for _ in 0..4 {
        one.data(ME, json!({})).await;
    }
    let (after_head, locked) = batches(&scrape(&one).await);
    // Another server's event moves the head: the first server's next batch reads it again.
    other.data(ME, json!({})).await;
    one.data(ME, json!({})).await;
    let (after_head_2, locked_2) = batches(&scrape(&one).await);
    if t.backend() == audit_hub::store::Backend::Postgres {
        assert_eq!(
            locked, 1.0,
            "only the first batch read the head under the lock"
        );
        assert!(
            after_head >= 3.0,
            "{after_head} batches after the known head"
        );
        assert_eq!(
            locked_2, 2.0,
            "the batch after another server's read the head again"
        );
        assert!(after_head_2 >= after_head, "{after_head_2}");
    } else {
        assert_eq!((after_head, after_head_2), (0.0, 0.0));
        assert!(locked >= 4.0 && locked_2 > locked, "{locked}, {locked_2}");
    }
    // Six requests, one event each (the metrics scrapes are not data requests).
    assert_eq!(verify(&t.db).await, Ok(seeded + 6));
}

/// Two servers under concurrent load on one database: the other server's appends keep moving the
/// head under each writer, so batches chained to the head a writer knew are refused and written
/// again under the lock, while others arrive behind them. Every request leaves exactly one event
/// (one per request id), and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_under_load_leave_one_event_per_request() {
    use crate::metrics::{sample, scrape};
    use futures::StreamExt;
    use sea_query::ExprTrait;
    const PER_SERVER: usize = 300;
    const CLIENTS: usize = 12;
    let t = TestDb::with_reference().await;
    let seeded = verify(&t.db).await.expect("the seeded trail verifies");
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let servers = [
        TestServer::start_with(&t.db, common::without_rate_limit)
            .await
            .with_user(&integrator.iin),
        TestServer::start_with(&t.db, common::without_rate_limit)
            .await
            .with_user(&integrator.iin),
    ];
    let answered: Vec<bool> = futures::stream::iter(0..2 * PER_SERVER)
        .map(|i| {
            let s = &servers[i % 2];
            async move {
                let v = s.gql("{ me { scope } }", json!({})).await;
                v["errors"].is_null()
            }
        })
        .buffer_unordered(2 * CLIENTS)
        .collect()
        .await;
    assert!(answered.iter().all(|ok| *ok), "every request answered");
    assert_eq!(
        verify(&t.db).await,
        Ok(seeded + 2 * PER_SERVER as u64),
        "one event per request, and the chain intact"
    );
    #[derive(sqlx::FromRow)]
    struct Distinct {
        n: i64,
    }
    let q = sea_query::Query::select()
        .expr_as(
            sea_query::Expr::cust("COUNT(DISTINCT request_id)"),
            sea_query::Alias::new("n"),
        )
        .from("audit_events")
        .and_where(sea_query::Expr::col("request_id").is_not_null())
        .to_owned();
    let distinct: Distinct = t.db.optional(&q).await.expect("count").expect("a row");
    assert_eq!(
        distinct.n,
        2 * PER_SERVER as i64,
        "each request id once in the trail"
    );
    let mut locked = 0.0;
    for s in &servers {
        let text = scrape(s).await;
        locked += sample(&text, "audit_hub_audit_batches{state=\"locked\"}").unwrap_or(-1.0);
    }
    if t.backend() == audit_hub::store::Backend::Postgres {
        assert!(
            locked > 2.0,
            "batches written again after the other server's: {locked}"
        );
    }
}

#[tokio::test]
async fn a_stopped_server_has_closed_its_audit_writer() {
    use audit_hub::app::{Application, Config, Database};
    let t = TestDb::new().await;
    let policy = std::sync::Arc::new(
        audit_hub::authz::policy::Policy::load(None)
            .await
            .expect("policy"),
    );
    let config = Config::new(
        Database::Open(t.db.clone()),
        policy,
        common::keys(),
        audit_hub::clock::Clock::default(),
    );
    let app = Application::build(config).await.expect("application");
    let base = format!("http://{}", app.addr());
    let writer = app.state().audit.stopped();
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(app.run_until(async move {
        let _ = stopping.await;
    }));
    // A request, answered once its event is written: the writer is running.
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert!(resp.status().as_u16() < 500, "{}", resp.status());
    drop(resp);
    drop(client);
    assert!(
        !writer.is_stopped(),
        "the writer runs while the server does"
    );

    // The contract `run_until` keeps: it returns after the writer stopped. (Its thread often
    // wins that race on its own; the wait makes it the rule.)
    let _ = stop.send(());
    run.await.expect("join").expect("served");
    assert!(
        writer.is_stopped(),
        "the server returns only once its audit writer has closed its connections"
    );
}
