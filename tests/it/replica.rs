//! A read replica: scoped data reads go to it, while the caller, grants and the audit trail stay
//! on the primary. The first "replica" here is a second database holding different budgets, so
//! every answer shows which database it came from; the second is a real streaming hot standby
//! of a private primary cluster, made by the test, whose replay is paused to make it lag.

use crate::common;

use audit_hub::import::budget_csv;
use std::time::{Duration, Instant};

use audit_hub::store::{ConnectOptions, Db, maintenance};
use common::cluster::Cluster;
use common::{TestDb, TestServer, grant_both_systems, user_of};
use sea_query::{Expr, Func, Query};
use serde_json::{Value, json};

const HEADER: &str = "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n";

async fn import(t: &TestDb, body: &str) {
    budget_csv::import(&t.db, format!("{HEADER}{body}").as_bytes())
        .await
        .expect("import");
}

async fn audit_events(t: &TestDb) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col("seq")))
        .from("audit_events")
        .to_owned();
    t.db.scalar_i64(&q).await.expect("count events")
}

#[tokio::test]
async fn data_reads_go_to_the_replica_and_everything_about_the_caller_to_the_primary() {
    let primary = TestDb::with_reference().await;
    import(
        &primary,
        "2025,REPUBLICAN,000000000,225,001,,,04,APPROVED,,100.0\n",
    )
    .await;
    // The replica's reference users hold no grants: a caller resolved there would be refused.
    let replica = TestDb::with_reference().await;
    import(
        &replica,
        "2025,REPUBLICAN,000000000,225,001,,,04,APPROVED,,7.0\n\
         2025,REGIONAL,110000000,252,001,,,03,APPROVED,,3.5\n",
    )
    .await;
    let server = TestServer::start_national(&primary.db).await;
    let replica_db = replica.db.clone();
    let server = TestServer::start_with(&primary.db, move |s| s.with_read_replica(replica_db))
        .await
        .with_token(server.token.clone());

    let events_before = (audit_events(&primary).await, audit_events(&replica).await);
    let d = server
        .data(
            "{ budgetSummary(groupBy: [LEVEL]) { key { level } amount } budgetLines { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["budgetSummary"],
        json!([
            { "key": { "level": "REGIONAL" }, "amount": "3.5" },
            { "key": { "level": "REPUBLICAN" }, "amount": "7.0" },
        ]),
        "sums come from the replica"
    );
    assert_eq!(d["budgetLines"]["totalCount"], 2);
    let me: Value = server.data("{ me { user { id } } }", json!({})).await;
    assert!(me["me"]["user"]["id"].is_string(), "{me}");
    assert_eq!(
        (audit_events(&primary).await, audit_events(&replica).await),
        (events_before.0 + 2, events_before.1),
        "the trail grows on the primary only"
    );

    let (_, ready) = server.get_json("/readyz").await;
    assert_eq!(
        ready,
        json!({ "ready": true, "database": "ok", "readReplica": "ok", "policy": "startup",
                "replicaLagSeconds": 0.0, "replicaMaxLagSeconds": 10.0 })
    );
}

/// `/readyz` until `check` holds for it (within 30 seconds); its last answer.
async fn ready_until(s: &TestServer, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, ready) = s.get_json("/readyz").await;
        if check(&ready) {
            return ready;
        }
        assert!(Instant::now() < deadline, "{what}: still {ready}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The value of a metric in the `/metrics` text.
async fn metric(s: &TestServer, name: &str) -> f64 {
    let text = s.metrics().await;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

async fn connect(url: String) -> Db {
    Db::connect(&ConnectOptions {
        url,
        max_connections: 4,
        statement_timeout: None,
    })
    .await
    .expect("connect")
}

const SUMMARY: &str = "{ budgetSummary(groupBy: [LEVEL]) { key { level } amount } }";

#[tokio::test]
async fn a_streaming_standby_serves_reads_until_it_lags_past_the_bound() {
    if common::backend_name() != "postgres" {
        eprintln!("replication test: runs in the PostgreSQL pass (SQLite has no replicas)");
        return;
    }
    let required = std::env::var("AUDIT_HUB_FAULT_TESTS").as_deref() == Ok("required");
    let primary = match Cluster::start() {
        Ok(c) => c,
        Err(why) => {
            assert!(
                !required,
                "a private PostgreSQL cluster is required here: {why}"
            );
            eprintln!("replication test SKIPPED: {why}");
            return;
        }
    };
    let admin = connect(primary.url("postgres")).await;
    maintenance(&admin, "CREATE DATABASE hub")
        .await
        .expect("create");
    admin.close().await;
    let db = connect(primary.url("hub")).await;
    db.migrate().await.expect("migrate");
    audit_hub::seed::run(&db, None, false)
        .await
        .expect("reference");
    budget_csv::import(
        &db,
        format!("{HEADER}2025,REPUBLICAN,000000000,225,001,,,04,APPROVED,,100.0\n").as_bytes(),
    )
    .await
    .expect("import");
    let standby = Cluster::standby_of(&primary).expect("a hot standby");
    let replica = connect(standby.url("hub")).await;

    let reader = user_of(&db, "MASLIKHAT", "110000000", true).await;
    grant_both_systems(&db, reader.id).await;
    let integrator = user_of(&db, "INTEGRATOR", "", true).await;
    let national = TestServer::start_national(&db).await;
    let replica_for_server = replica.clone();
    let mut s = TestServer::start_with(&db, move |c| {
        c.with_read_replica(replica_for_server)
            .with_replica_max_lag(Duration::from_secs(2))
    })
    .await
    .with_token(national.token.clone());

    // Caught up: the standby serves the reads.
    let ready = ready_until(&s, "the standby caught up", |r| r["readReplica"] == "ok").await;
    assert_eq!(ready["replicaLagSeconds"], 0.0, "{ready}");
    let before = replica.statement_count();
    let d = s.data(SUMMARY, json!({})).await;
    assert_eq!(
        d["budgetSummary"],
        json!([{ "key": { "level": "REPUBLICAN" }, "amount": "100.0" }])
    );
    assert!(replica.statement_count() > before, "read from the standby");
    assert_eq!(metric(&s, "audit_hub_replica_serving").await, 1.0);

    // Replay paused: the standby stops applying what the primary writes.
    maintenance(&replica, "SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    // The integrator blocks the maslikhat's head on the primary; the standby still holds them
    // active, but the very next request of theirs is refused.
    let v = s
        .clone_as(&integrator.iin)
        .gql(
            "mutation($u: ID!) { blockUser(userId: $u) { status } }",
            json!({ "u": reader.id.to_string() }),
        )
        .await;
    assert_eq!(v["data"]["blockUser"]["status"], "BLOCKED", "{v}");
    let blocked = s.clone_as(&reader.iin).gql(SUMMARY, json!({})).await;
    assert!(
        blocked["data"].is_null() && !blocked["errors"].is_null(),
        "a blocked user is refused at once: {blocked}"
    );
    // New data on the primary, which the paused standby does not have.
    budget_csv::import(
        &db,
        format!("{HEADER}2025,REGIONAL,110000000,252,001,,,03,APPROVED,,3.5\n").as_bytes(),
    )
    .await
    .expect("import");

    // Past the bound, reads move to the primary: the answers hold the new data.
    let lagging = ready_until(&s, "the standby lags past 2 s", |r| {
        r["readReplica"] == "lagging"
    })
    .await;
    let lag = lagging["replicaLagSeconds"].as_f64().expect("a lag");
    assert!(lag > 2.0, "{lagging}");
    assert_eq!(
        lagging["ready"], true,
        "a lagging standby leaves the server ready"
    );
    assert!(metric(&s, "audit_hub_replica_lag_seconds").await > 2.0);
    assert_eq!(metric(&s, "audit_hub_replica_serving").await, 0.0);
    let before = replica.statement_count();
    s.token = national.token.clone();
    let d = s.data(SUMMARY, json!({})).await;
    assert_eq!(
        d["budgetSummary"],
        json!([
            { "key": { "level": "REGIONAL" }, "amount": "3.5" },
            { "key": { "level": "REPUBLICAN" }, "amount": "100.0" },
        ]),
        "served by the primary"
    );
    assert_eq!(
        replica.statement_count(),
        before,
        "nothing read from the standby"
    );

    // Replay resumed: the standby catches up and serves again.
    maintenance(&replica, "SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    ready_until(&s, "the standby caught up again", |r| {
        r["readReplica"] == "ok"
    })
    .await;
    let before = replica.statement_count();
    let again = s.data(SUMMARY, json!({})).await;
    assert_eq!(again, d, "the standby has the new data");
    assert!(
        replica.statement_count() > before,
        "read from the standby again"
    );
    common::report(format!(
        "replica: a hot standby (pg_basebackup, streaming) served reads; with replay paused its lag \
         was measured at {lag:.1} s (bound 2 s), reads moved to the primary, and back once it \
         caught up"
    ));
    drop(s);
    replica.close().await;
    db.close().await;
    drop(standby);
}
