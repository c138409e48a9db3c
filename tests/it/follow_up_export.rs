//! The office console's deadline downloads (`/export/follow-up.csv` and `.xlsx`): for three
//! bodies, each list holds exactly the rows of the GraphQL field the console shows it with,
//! for the same caller, the workbook holds the CSV's cells, headers come in the request's
//! language, a caller the field refuses is refused the download, and bad parameters are named.

use crate::common;

use chrono::{Days, Utc};
use common::workflow::{GRANT, REVIEW, SUBMIT, TRAIN, actors, application, as_user, employee, iin};
use common::{TestDb, TestServer, token};
use sea_query::{Expr, ExprTrait, Query};
use serde_json::{Value, json};

/// Each list with the GraphQL field the console draws it from and the path to its rows.
const LISTS: [(&str, &str, &str); 4] = [
    (
        "overdue-applications",
        "{ accessApplications(filter: { overdue: true }, first: 1000) { nodes { id } } }",
        "/accessApplications/nodes",
    ),
    (
        "pending-block-requests",
        "{ pendingBlockRequests { id } }",
        "/pendingBlockRequests",
    ),
    (
        "unreported-trainings",
        "{ trainingReports(pendingOnly: true) { id } }",
        "/trainingReports",
    ),
    (
        "expiring-grants",
        "{ expiringGrants(withinDays: 30) { id } }",
        "/expiringGrants",
    ),
];

async fn csv(s: &TestServer, list: &str, lang: &str) -> (u16, Vec<Vec<String>>, Value) {
    let resp = s
        .get(&format!("/export/follow-up.csv?list={list}"))
        .header("Accept-Language", lang)
        .send()
        .await
        .expect("export");
    let status = resp.status().as_u16();
    let body = resp.bytes().await.expect("body");
    if status != 200 {
        return (
            status,
            Vec::new(),
            serde_json::from_slice(&body).unwrap_or_default(),
        );
    }
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[..])
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect();
    (status, rows, Value::Null)
}

#[tokio::test]
async fn deadline_downloads_hold_the_consoles_lists_for_three_bodies() {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    let a = actors(db).await;
    let mut s = TestServer::start(db).await;
    let today = common::today();

    // Rows on every list: a paper application received ten days ago (its review overdue), a
    // granted one whose employee is trained (the report owed) and whose other grant ends in
    // ten days, and a leaver whose block request is past due.
    let mut input = application(vec![employee(&iin(7301), "Кенжебаев")]);
    let organization = {
        let v = as_user(&mut s, &a.head, "{ me { organization { id } } }", json!({})).await;
        v["data"]["me"]["organization"]["id"].clone()
    };
    input["organizationId"] = organization;
    input["incomingNumber"] = json!("ВХ-77");
    input["receivedOn"] = json!((today - Days::new(10)).to_string());
    let v = as_user(
        &mut s,
        &a.reviewer,
        "mutation($organizationId: ID!, $input: AccessApplicationInput!, $incomingNumber: String!, $receivedOn: Date!) {
           registerAccessApplication(organizationId: $organizationId, input: $input, incomingNumber: $incomingNumber, receivedOn: $receivedOn) { id overdue } }",
        input,
    )
    .await;
    assert_eq!(
        v["data"]["registerAccessApplication"]["overdue"], true,
        "{v}"
    );
    let v = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![
            employee(&iin(7302), "Сейтқали"),
            employee(&iin(7303), "Омаров"),
        ]),
    )
    .await;
    let id = v["data"]["submitAccessApplication"]["id"].clone();
    as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
    )
    .await;
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
    let grants = v["data"]["grantAccess"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(grants.len(), 4, "{v}");
    let trained = grants[0]["user"]["id"].clone();
    let leaving = grants[2]["user"]["id"].clone();
    let v = as_user(
        &mut s,
        &a.integrator,
        TRAIN,
        json!({ "u": trained, "on": today.to_string() }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    let ending = Query::update()
        .table("access_grants")
        .value("valid_until", today + Days::new(10))
        .and_where(
            Expr::col("id").eq(grants[0]["id"]
                .as_str()
                .expect("id")
                .parse::<i64>()
                .expect("id")),
        )
        .to_owned();
    db.execute(&ending).await.expect("a grant ending soon");
    let v = as_user(
        &mut s,
        &a.head,
        "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"уволен\") { id late } }",
        json!({ "u": leaving, "on": today.to_string() }),
    )
    .await;
    let block: i64 = v["data"]["requestBlock"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .parse()
        .expect("id");
    // Its three working days have passed (the hub refuses a termination date in the past).
    let past_due = Query::update()
        .table("block_requests")
        .value("due", Utc::now() - chrono::Duration::days(2))
        .and_where(Expr::col("id").eq(block))
        .to_owned();
    db.execute(&past_due)
        .await
        .expect("a block request past due");

    let other_head = common::user_of(db, "REVISION_COMMISSION", "", true).await;
    for (body, caller) in [
        ("integrator", &a.integrator),
        ("authorized body", &a.reviewer),
        ("maslikhat head", &a.head),
        ("another body's head", &other_head.iin),
    ] {
        s.token = Some(token(caller));
        for (list, field, path) in LISTS {
            let name = format!("{body}, {list}");
            let v = s.gql(field, json!({})).await;
            let (status, rows, problem) = csv(&s, list, "ru").await;
            if !v["errors"].is_null() {
                let code = v["errors"][0]["extensions"]["code"].clone();
                assert_eq!(code, "FORBIDDEN", "{name}: {v}");
                assert_eq!(status, 403, "{name}: refused as the field is: {problem}");
                assert_eq!(problem["code"], code, "{name}");
                continue;
            }
            assert_eq!(status, 200, "{name}: {problem}");
            let want: Vec<String> = v["data"]
                .pointer(path)
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{name}: {v}"))
                .iter()
                .map(|r| r["id"].as_str().expect("id").to_owned())
                .collect();
            let got: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
            assert_eq!(got, want, "{name}: the download holds the console's rows");
            assert_eq!(rows[0][0], "Id", "{name}");
            let params = [("list", list.to_owned())];
            let (status, _, sheet) =
                crate::export::get_xlsx(&s, "/export/follow-up.xlsx", &params, "ru").await;
            assert_eq!(status, 200, "{name}");
            assert_eq!(sheet, rows, "{name}: the workbook holds the CSV's cells");
        }
    }

    // What the lists hold for the integrator, in Kazakh: the overdue application, the trained
    // employee's report, the leaver's late block request and the grant ending in ten days.
    s.token = Some(token(&a.integrator));
    let (_, rows, _) = csv(&s, "pending-block-requests", "kk").await;
    assert_eq!(
        rows[0][1..],
        [
            "Қызметкер",
            "ЖСН",
            "Жұмыстан босатылған күні",
            "Себебі",
            "Мерзімі",
            "Мерзімі өтті"
        ]
    );
    assert!(
        rows[1..].iter().any(|r| r[4] == "уволен" && r[6] == "иә"),
        "{rows:?}"
    );
    let (_, rows, _) = csv(&s, "expiring-grants", "en").await;
    let ending = (today + Days::new(10)).to_string();
    assert!(rows[1..].iter().any(|r| r[4] == ending), "{rows:?}");
    let (_, rows, _) = csv(&s, "unreported-trainings", "en").await;
    assert!(
        rows[1..]
            .iter()
            .any(|r| r[3] == today.to_string() && r[5].is_empty()),
        "today's training, not yet due: {rows:?}"
    );
    let (_, rows, _) = csv(&s, "overdue-applications", "en").await;
    assert!(rows.len() >= 2, "{rows:?}");

    // Parameters are checked and named.
    for (query, field) in [
        ("list=everything", "list"),
        ("", "list"),
        ("list=expiring-grants&withinDays=400", "withinDays"),
        ("list=expiring-grants&days=5", "days"),
    ] {
        let resp = s
            .get(&format!("/export/follow-up.csv?{query}"))
            .send()
            .await
            .expect("export");
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.expect("problem");
        assert_eq!(body["code"], "BAD_USER_INPUT", "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("`{field}`")),
            "{query}: names {field}: {body}"
        );
    }
}
