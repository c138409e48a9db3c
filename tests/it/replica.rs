//! A read replica: scoped data reads go to it, while the caller, grants and the audit trail stay
//! on the primary. The "replica" here is a second database holding different budgets, so every
//! answer shows which database it came from.

use crate::common;

use audit_hub::import::budget_csv;
use common::{TestDb, TestServer};
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
        json!({ "ready": true, "database": "ok", "readReplica": "ok", "policy": "startup" })
    );
}
