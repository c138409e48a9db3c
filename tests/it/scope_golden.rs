//! The same queries run as every kind of body: each sees exactly its legal slice
//! (`tests/golden/principals.json`), checked against the same queries run nationally with that
//! slice as an explicit filter; refused callers are refused before any data is read.

use crate::common;

use std::collections::BTreeSet;

use common::{
    TestDb, TestServer, UserPick, grant_both_systems, grant_systems, token, without_request_id,
};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::{Value, json};

const CASES: &str = include_str!("../golden/principals.json");

const SUMMARY: &str = "query($f: BudgetLineFilter) {
  budgetSummary(groupBy: [REGION, ADMINISTRATOR], filter: $f) { key { region administrator } amount lineCount } }";
const LINES: &str = "query($f: BudgetLineFilter) {
  budgetLines(first: 50, filter: $f) { totalCount edges { cursor node { id territory administrator phase amount } } } }";
const OBJECTS: &str = "{ informatizationObjects(first: 1000) { edges { node { id owner { territory budgetLevel administrator } } } } }";
const OBJECT: &str = "query($id: ID!) { informatizationObject(id: $id) {
  id name owner { bin } documents { id sha256 } fundingLines { year administrator } } }";

async fn pick(db: &audit_hub::store::Db, who: &Value) -> UserPick {
    let head = who["head"].as_bool().unwrap_or(true);
    let mut q = Query::select()
        .columns([("u", "id"), ("u", "iin")])
        .from_as("users", "u")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("u", "organization_id")),
        )
        .and_where(Expr::col(("organizations", "kind")).eq(who["kind"].as_str().expect("kind")))
        .and_where(
            Expr::col(("organizations", "kato"))
                .like(format!("{}%", who["kato"].as_str().unwrap_or(""))),
        )
        .and_where(
            Expr::col(("organizations", "audit_excluded"))
                .eq(who["excluded"].as_bool().unwrap_or(false)),
        )
        .and_where(Expr::col(("u", "is_head")).eq(head))
        .order_by(("u", "id"), Order::Asc)
        .limit(1)
        .offset(who["nth"].as_u64().unwrap_or(0))
        .to_owned();
    if let Some(admin) = who["administrator"].as_str() {
        q.and_where(Expr::col(("organizations", "administrator")).eq(admin));
    }
    db.optional::<UserPick>(&q)
        .await
        .expect("select")
        .unwrap_or_else(|| panic!("no demo user for {who}"))
}

/// Whether an owner organization's keys fall in the slice: the test's own reading of it.
fn owner_in_slice(owner: &Value, slice: &Value) -> bool {
    let level = owner["budgetLevel"].as_str().unwrap_or("");
    let kato = owner["territory"].as_str().unwrap_or("");
    let admin = owner["administrator"].as_str();
    // Objects and documents carry no phase: a slice's phases do not narrow them.
    let levels_ok = slice["levels"]
        .as_array()
        .is_none_or(|l| l.iter().any(|v| v == level));
    let kato_ok = slice["katoPrefix"]
        .as_str()
        .is_none_or(|p| kato.starts_with(p));
    let admin_ok = slice["administrators"]
        .as_array()
        .is_none_or(|a| a.iter().any(|v| Some(v.as_str().unwrap_or("")) == admin));
    levels_ok && kato_ok && admin_ok
}

#[tokio::test]
async fn every_body_sees_exactly_its_legal_slice() {
    let t = TestDb::with_demo(1).await;
    let national = TestServer::start_national(&t.db).await;
    let cases: Value = serde_json::from_str(CASES).expect("golden file parses");
    let all_objects =
        national.data(OBJECTS, json!({})).await["informatizationObjects"]["edges"].clone();
    let missing_object = national.gql(OBJECT, json!({ "id": "99999999" })).await;
    let missing_download = national
        .get("/documents/99999999/content")
        .send()
        .await
        .expect("missing");
    assert_eq!(missing_download.status(), 404);
    let missing_download = without_request_id(missing_download.json().await.expect("json"));

    for case in cases["principals"].as_array().expect("principals") {
        let name = case["name"].as_str().expect("name");
        let who = &case["who"];
        let server = TestServer::start(&t.db).await;
        let server = if who.is_null() {
            server
        } else {
            let user = pick(&t.db, who).await;
            if let Some(systems) = who["systems"].as_array() {
                let systems: Vec<&str> = systems.iter().filter_map(Value::as_str).collect();
                grant_systems(&t.db, user.id, &systems).await;
            } else if case["refused"].is_string() && who["head"].as_bool().unwrap_or(true) {
                // Give the user a grant: the refusal must then come from the policy alone.
                grant_both_systems(&t.db, user.id).await;
            }
            server.with_user(&user.iin)
        };

        if let Some(code) = case["refused"].as_str() {
            // What resolving this caller costs, measured with a query that reads no data, once
            // the caller is cached (as it is for the queries below). The counter is shared with
            // work that is not the request's (a retried audit append, a cache re-read), so each
            // side is the least of a few tries: a data read would add statements to every try.
            server.gql("{ me { scope } }", json!({})).await;
            let identity =
                fewest_statements(&t.db, || server.gql("{ me { scope } }", json!({}))).await;
            for (q, vars) in [
                (SUMMARY, json!({})),
                (LINES, json!({})),
                (OBJECT, json!({ "id": "1" })),
            ] {
                let v = server.gql(q, vars.clone()).await;
                assert_eq!(v["errors"][0]["extensions"]["code"], code, "{name}: {v}");
                assert!(
                    v["data"].is_null()
                        || v["data"]
                            .as_object()
                            .is_none_or(|d| d.values().all(Value::is_null)),
                    "{name}: {v}"
                );
                let cost = fewest_statements(&t.db, || server.gql(q, vars.clone())).await;
                assert_eq!(cost, identity, "{name}: data was read");
            }
            let download = server
                .get("/documents/1/content")
                .send()
                .await
                .expect("download");
            let want = if code == "UNAUTHENTICATED" { 401 } else { 403 };
            assert_eq!(download.status(), want, "{name}");
            continue;
        }

        let slice = &case["slice"];
        // Aggregates by region and administrator, and a page of lines with its count and cursors.
        for q in [SUMMARY, LINES] {
            let mine = server.data(q, json!({ "f": null })).await;
            let expected = national.data(q, json!({ "f": slice })).await;
            assert_eq!(mine, expected, "{name}: {q}");
        }
        let mine = server
            .data(SUMMARY, json!({ "f": { "years": [2025] } }))
            .await;
        let expected = national
            .data(
                SUMMARY,
                json!({ "f": { "and": [slice, { "years": [2025] }] } }),
            )
            .await;
        assert_eq!(mine, expected, "{name}: filtered summary");
        assert!(
            !mine["budgetSummary"].as_array().expect("groups").is_empty(),
            "{name}: slice is not empty"
        );

        // Objects: exactly those whose owner's keys are in the slice.
        let visible: BTreeSet<String> =
            server.data(OBJECTS, json!({})).await["informatizationObjects"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
                .collect();
        let (inside, outside): (Vec<&Value>, Vec<&Value>) = all_objects
            .as_array()
            .expect("edges")
            .iter()
            .partition(|e| owner_in_slice(&e["node"]["owner"], slice));
        let want: BTreeSet<String> = inside
            .iter()
            .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(visible, want, "{name}: objects");

        // One object in the slice with its documents, one outside: the outside one looks missing.
        if let Some(obj) = inside.first() {
            let id = obj["node"]["id"].as_str().expect("id");
            let mine = server.data(OBJECT, json!({ "id": id })).await;
            let theirs = national.data(OBJECT, json!({ "id": id })).await;
            assert_eq!(
                mine["informatizationObject"]["documents"],
                theirs["informatizationObject"]["documents"],
                "{name}"
            );
            let doc = mine["informatizationObject"]["documents"][0]["id"]
                .as_str()
                .expect("a document");
            let resp = server
                .get(&format!("/documents/{doc}/content"))
                .send()
                .await
                .expect("download");
            assert_eq!(resp.status(), 200, "{name}: own document");
        }
        if let Some(obj) = outside.first() {
            let id = obj["node"]["id"].as_str().expect("id");
            let v = server.gql(OBJECT, json!({ "id": id })).await;
            assert_eq!(
                v, missing_object,
                "{name}: out-of-scope object looks missing"
            );
            let doc = national.data(OBJECT, json!({ "id": id })).await["informatizationObject"]["documents"][0]["id"]
                .as_str()
                .expect("a document")
                .to_owned();
            let resp = server
                .get(&format!("/documents/{doc}/content"))
                .send()
                .await
                .expect("download");
            assert_eq!(resp.status(), 404, "{name}");
            assert_eq!(
                without_request_id(resp.json::<Value>().await.expect("json")),
                missing_download,
                "{name}: looks missing"
            );
        }
    }
}

#[tokio::test]
async fn me_describes_the_caller_and_their_scope() {
    let t = TestDb::with_demo(1).await;
    let police = pick(
        &t.db,
        &json!({ "kind": "POLICE_INTERNAL_AUDIT", "kato": "71" }),
    )
    .await;
    let s = TestServer::start(&t.db).await.with_user(&police.iin);
    let d = s
        .data("{ me { user { iin } organization { kind territory } grants { system status validFrom validUntil } scope } }", json!({}))
        .await;
    assert_eq!(d["me"]["user"]["iin"], police.iin);
    assert_eq!(d["me"]["organization"]["kind"], "POLICE_INTERNAL_AUDIT");
    let grants = d["me"]["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 2);
    assert!(grants.iter().all(|g| g["status"] == "ACTIVE"));
    let scope = d["me"]["scope"].as_str().expect("scope");
    assert!(
        scope.contains("352") && scope.contains("710000000"),
        "{scope}"
    );
    assert!(
        scope.contains("phases: REQUESTED, APPROVED, SPECIFIED, CORRECTED, EXECUTED"),
        "both systems read every phase: {scope}"
    );

    let anonymous = TestServer::start(&t.db).await;
    let v = anonymous.gql("{ me { scope } }", json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let mut forged = TestServer::start(&t.db).await;
    forged.token = Some(format!("{}x", token(&police.iin)));
    let v = forged.gql("{ me { scope } }", json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

/// The fewest statements one of three runs of `run` cost.
async fn fewest_statements<F, Fut>(db: &audit_hub::store::Db, run: F) -> u64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = db.statement_count();
        run().await;
        fewest = std::cmp::Ord::min(fewest, db.statement_count() - before);
    }
    fewest
}
