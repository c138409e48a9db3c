//! The response cache. Property: for random callers of every oversight body × random data
//! queries × imports in between, every answer of a server with the cache equals the answer a
//! server without it gives the same caller at that moment: no cached answer outlives the data it
//! shows or crosses from one scope to another. Two auditors of one body share answers; a hit is
//! still recorded in the trail, marked, and counted in `/metrics`.

use crate::common;

use std::collections::{BTreeSet, HashMap};

use common::{TestDb, TestServer, grant_both_systems, user_of};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_query::{Expr, ExprTrait, Query};
use serde_json::{Value, json};

const STEPS: usize = 300;

/// Distinct requests asked in one run: few enough that callers repeat each other between
/// imports (and so hit the cache), drawn at random from every shape.
const REQUESTS: usize = 5;

/// Every oversight body kind (its head), and a second Parliament auditor.
const PRINCIPALS: [(&str, bool); 9] = [
    ("PARLIAMENT", true),
    ("PARLIAMENT", false),
    ("SUPREME_AUDIT_CHAMBER", true),
    ("INTERNAL_STATE_AUDIT_AUTHORITY", true),
    ("MASLIKHAT", true),
    ("REVISION_COMMISSION", true),
    ("CENTRAL_BODY_INTERNAL_AUDIT", true),
    ("REGIONAL_EXECUTIVE_INTERNAL_AUDIT", true),
    ("POLICE_INTERNAL_AUDIT", true),
];

const SUMMARY: &str = "query Summary($years: [Int!]) { budgetSummary(groupBy: [LEVEL, ADMINISTRATOR], filter: { years: $years }) { key { level administrator } amount } }";
const LINES: &str = "query Lines($first: Int, $admins: [String!]) { budgetLines(first: $first, filter: { administrators: $admins }) { totalCount edges { cursor node { id level territory administrator phase amount } } } }";
const OBJECTS: &str = "query Objects($first: Int) { informatizationObjects(first: $first) { edges { node { id name owner { bin name } documents { id title } } } } }";
const DOCUMENTS: &str =
    "query Documents { documents(first: 15) { edges { node { id title object { id } } } } }";
const ORGANIZATIONS: &str =
    "query Organizations { organizations(first: 40) { edges { node { id bin name } } } }";
const ORGANIZATION: &str = "query Organization($id: ID!) { organization(id: $id) { id name } }";

const ADMINISTRATORS: [&str; 6] = ["201", "225", "252", "352", "464", "999"];

/// A random query of the six shapes, with random variables.
fn random_query(rng: &mut ChaCha8Rng) -> (&'static str, Value) {
    match rng.random_range(0..6) {
        0 => {
            let years = if rng.random_bool(0.5) {
                json!([2025])
            } else {
                json!(null)
            };
            (SUMMARY, json!({ "years": years }))
        }
        1 => {
            let admins: Vec<&str> = ADMINISTRATORS
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.4))
                .collect();
            (
                LINES,
                json!({ "first": rng.random_range(1..30), "admins": if admins.is_empty() { Value::Null } else { json!(admins) } }),
            )
        }
        2 => (OBJECTS, json!({ "first": rng.random_range(1..25) })),
        3 => (DOCUMENTS, json!({})),
        4 => (ORGANIZATIONS, json!({})),
        _ => (
            ORGANIZATION,
            json!({ "id": rng.random_range(1..40).to_string() }),
        ),
    }
}

/// A random import of 2025 amounts over a small key space: some rows new, some replacing.
async fn random_import(t: &TestDb, rng: &mut ChaCha8Rng) {
    let regions = common::budget_file::regions(&t.db).await.expect("regions");
    let mut csv = String::from(
        "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n",
    );
    for _ in 0..rng.random_range(1..25) {
        let (level, kato) = if rng.random_bool(0.3) {
            ("REPUBLICAN", "000000000".to_owned())
        } else {
            (
                "REGIONAL",
                regions[rng.random_range(0..regions.len())].clone(),
            )
        };
        let admin = ADMINISTRATORS[rng.random_range(0..ADMINISTRATORS.len())];
        csv.push_str(&format!(
            "2025,{level},{kato},{admin},{:03},,,01,APPROVED,,{}.{}\n",
            rng.random_range(1..6),
            rng.random_range(1..1_000_000),
            rng.random_range(0..10)
        ));
    }
    audit_hub::import::budget_csv::import(&t.db, csv.as_bytes())
        .await
        .expect("import");
}

/// The cached server's count of lookups in `state` (`hit` or `miss`).
async fn lookups(s: &TestServer, state: &str) -> f64 {
    let text = s.metrics().await;
    let series = format!("audit_hub_response_cache_lookups{{state=\"{state}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(series.as_str())?.parse().ok())
        .unwrap_or(0.0)
}

async fn answer(s: &TestServer, iin: &str, q: &str, vars: &Value, lang: &str) -> Value {
    let v = s.clone_as(iin).gql_lang(q, vars.clone(), Some(lang)).await;
    assert!(v.get("errors").is_none(), "{q} {vars}: {v}");
    v["data"].clone()
}

/// The principals' IINs, each with a current, trained grant to both systems.
async fn principals(t: &TestDb) -> Vec<String> {
    let mut iins = Vec::new();
    for (kind, head) in PRINCIPALS {
        let u = user_of(&t.db, kind, "", head).await;
        grant_both_systems(&t.db, u.id).await;
        iins.push(u.iin);
    }
    iins
}

async fn cached_events(t: &TestDb) -> i64 {
    let q = Query::select()
        .expr(sea_query::Func::count(Expr::col("seq")))
        .from("audit_events")
        .and_where(Expr::col("served_from_cache").eq(true))
        .to_owned();
    t.db.scalar_i64(&q).await.expect("count cached events")
}

#[tokio::test]
async fn cached_answers_equal_fresh_ones_for_random_callers_queries_and_imports() {
    let t = TestDb::with_demo(1).await;
    let iins = principals(&t).await;
    let cached = TestServer::start(&t.db).await;
    let fresh = TestServer::start_with(&t.db, |c| audit_hub::app::Config {
        response_cache_bytes: 0,
        ..c
    })
    .await;
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    // What each (query, variables, language) answered, per caller and over time.
    let mut by_scope: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut last: HashMap<String, String> = HashMap::new();
    let (mut imports, mut changed_by_import) = (0, 0);
    let requests: Vec<(&str, Value, &str)> = (0..REQUESTS)
        .map(|_| {
            let (q, vars) = random_query(&mut rng);
            (q, vars, ["kk", "ru", "en"][rng.random_range(0..3)])
        })
        .collect();
    for step in 0..STEPS {
        if rng.random_range(0..12) == 0 {
            random_import(&t, &mut rng).await;
            imports += 1;
            continue;
        }
        let iin = &iins[rng.random_range(0..iins.len())];
        let (q, vars, lang) = &requests[rng.random_range(0..requests.len())];
        let (q, lang) = (*q, *lang);
        // The cached server first: if it served an answer older than the data, the fresh one
        // read right after differs.
        let got = answer(&cached, iin, q, vars, lang).await;
        let want = answer(&fresh, iin, q, vars, lang).await;
        assert_eq!(got, want, "step {step}: {iin} {q} {vars} {lang}");
        let (request, got) = (format!("{q} {vars} {lang}"), got.to_string());
        by_scope
            .entry(request.clone())
            .or_default()
            .insert(got.clone());
        if let Some(before) = last.insert(format!("{iin} {request}"), got.clone())
            && before != got
        {
            changed_by_import += 1;
        }
    }
    // The property was put to the test: answers came from the cache, imports changed answers a
    // caller had seen, and one request answered differently for different scopes.
    let hits = lookups(&cached, "hit").await;
    assert!(hits >= 20.0, "{hits} hits");
    assert!(imports >= 10, "{imports} imports");
    assert!(
        changed_by_import >= 3,
        "{changed_by_import} answers changed"
    );
    assert!(
        by_scope.values().any(|answers| answers.len() >= 2),
        "some request answered differently for different callers"
    );
    assert_eq!(cached_events(&t).await, hits as i64);
    let verified = audit_hub::audit::verify(&t.db, 1)
        .await
        .expect("verify")
        .expect("the chain holds with marked events");
    assert!(verified > 0);
}

#[tokio::test]
async fn two_auditors_of_one_body_share_answers_and_other_bodies_do_not() {
    let t = TestDb::with_demo(1).await;
    let iins = principals(&t).await;
    let (head, auditor, maslikhat) = (&iins[0], &iins[1], &iins[4]);
    let s = TestServer::start(&t.db).await;
    let vars = json!({ "years": [2025] });
    let cases: [(&str, &str, f64, f64); 4] = [
        (
            "the head's first request reads the database",
            head,
            0.0,
            1.0,
        ),
        (
            "the same request of another auditor of the body is a hit",
            auditor,
            1.0,
            0.0,
        ),
        ("a maslikhat's request is not", maslikhat, 0.0, 1.0),
        ("nor is it the Parliament's answer", maslikhat, 1.0, 0.0),
    ];
    let mut answers = Vec::new();
    for (name, iin, hits, misses) in cases {
        let (h0, m0) = (lookups(&s, "hit").await, lookups(&s, "miss").await);
        answers.push(answer(&s, iin, SUMMARY, &vars, "en").await);
        let (h1, m1) = (lookups(&s, "hit").await, lookups(&s, "miss").await);
        assert_eq!((h1 - h0, m1 - m0), (hits, misses), "{name}");
    }
    assert_eq!(answers[0], answers[1]);
    assert_ne!(answers[0], answers[2], "bodies see different slices");
    assert_eq!(answers[2], answers[3]);

    // The hit is in the trail, marked, and the miss before it is not; the head reads the
    // events of the body's own staff (the maslikhat's are another body's).
    let events: Value = s
        .clone_as(head)
        .data(
            "{ auditEvents(first: 20) { edges { node { operation servedFromCache } } } }",
            json!({}),
        )
        .await;
    let marks: Vec<bool> = events["auditEvents"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["node"]["operation"] == "Summary")
        .map(|e| e["node"]["servedFromCache"].as_bool().expect("mark"))
        .collect();
    assert_eq!(marks, [true, false], "newest first");
}
