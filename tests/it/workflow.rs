//! The access lifecycle over GraphQL: application → review → grant → training → data, expiry and
//! blocking; and every refusal leaving the data unchanged.

use crate::common;

use audit_hub::store::Db;
use common::workflow::*;
use common::{TestDb, TestServer, user_of};
use sea_query::{Expr, ExprTrait, Func, Query};
use serde_json::{Value, json};

#[tokio::test]
async fn application_to_data_then_expiry_and_block() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let (emp_a, emp_b) = (iin(4100), iin(4200));

    // Submit.
    let v = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![
            employee(&emp_a, "Сейтқали"),
            employee(&emp_b, "Омаров"),
        ]),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
    let app = v["data"]["submitAccessApplication"].clone();
    assert_eq!(app["status"], "SUBMITTED");
    let id = app["id"].as_str().expect("id").to_owned();

    // Review and grant.
    let v = as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
    )
    .await;
    assert_eq!(
        v["data"]["reviewAccessApplication"]["status"], "APPROVED",
        "{v}"
    );
    assert!(v["data"]["reviewAccessApplication"]["grantDue"].is_string());
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
    let grants = v["data"]["grantAccess"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert_eq!(grants.len(), 4, "two employees × two systems");
    assert!(
        grants.iter().all(|g| g["status"] == "AWAITING_TRAINING"),
        "{grants:?}"
    );
    let user_id = |iin: &str| {
        grants
            .iter()
            .find(|g| g["user"]["iin"] == iin)
            .expect("grant")["user"]["id"]
            .clone()
    };
    let (uid_a, uid_b) = (user_id(&emp_a), user_id(&emp_b));

    // Data is refused until training.
    let v = as_user(&mut s, &emp_a, DATA, json!({})).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let today = common::today().to_string();
    for uid in [&uid_a, &uid_b] {
        let v = as_user(
            &mut s,
            &a.integrator,
            TRAIN,
            json!({ "u": uid, "on": today }),
        )
        .await;
        assert!(v.get("errors").is_none(), "{v}");
    }
    let v = as_user(&mut s, &emp_a, DATA, json!({})).await;
    let regions: Vec<&Value> = v["data"]["budgetSummary"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["key"]["region"])
        .collect();
    assert_eq!(
        regions,
        vec![&json!("110000000")],
        "the maslikhat's employee reads Akmola's local budgets only"
    );

    // A block takes effect on the very next request.
    let v = as_user(&mut s, &a.integrator, BLOCK, json!({ "u": uid_a })).await;
    assert_eq!(v["data"]["blockUser"]["status"], "BLOCKED", "{v}");
    let v = as_user(&mut s, &emp_a, DATA, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
    let v = as_user(&mut s, &emp_b, DATA, json!({})).await;
    assert!(
        v.get("errors").is_none(),
        "the other employee still reads: {v}"
    );
    let history = "query($u: ID!) { grantHistory(userId: $u) { system status } }";
    let v = as_user(&mut s, &a.reviewer, history, json!({ "u": uid_a })).await;
    let statuses: Vec<&Value> = v["data"]["grantHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|g| &g["status"])
        .collect();
    assert_eq!(
        statuses,
        vec![&json!("REVOKED"), &json!("REVOKED")],
        "the blocked user's history stays: {v}"
    );

    // One year later the grant has ended.
    s.clock.advance(chrono::Duration::days(366));
    let v = as_user(&mut s, &emp_b, DATA, json!({})).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let v = as_user(&mut s, &emp_b, "{ me { grants { status } } }", json!({})).await;
    assert!(
        v["data"]["me"]["grants"]
            .as_array()
            .expect("grants")
            .iter()
            .all(|g| g["status"] == "EXPIRED"),
        "{v}"
    );

    // Each step (submit, review, grant, two trainings, block) is in the audit trail, beside one
    // event per request, all chained.
    assert!(
        audit_hub::audit::verify(&t.db, 1)
            .await
            .expect("verify")
            .is_ok()
    );
    let q = Query::select()
        .expr(Func::count(Expr::col("seq")))
        .from("audit_events")
        .and_where(Expr::col("query_hash").is_null())
        .and_where(Expr::col("operation").is_in([
            "submitAccessApplication",
            "reviewAccessApplication",
            "grantAccess",
            "recordTraining",
            "blockUser",
        ]))
        .to_owned();
    assert_eq!(t.db.scalar_i64(&q).await.expect("count"), 6);
}

#[tokio::test]
async fn refusals_and_illegal_transitions_change_nothing() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let emp = iin(5100);

    // Bad forms name the field and store nothing.
    let before = counts(&t.db).await;
    for (name, vars, field) in [
        (
            "bad IIN",
            application(vec![employee(&emp, "A"), employee("123456789012", "B")]),
            "input.employees[1].iin",
        ),
        (
            "repeated IIN",
            application(vec![employee(&emp, "A"), employee(&emp, "B")]),
            "input.employees[1].iin",
        ),
        ("no employees", application(vec![]), "input.employees"),
        (
            "bad e-mail",
            {
                let mut e = employee(&emp, "A");
                e["email"] = json!("not-an-email");
                application(vec![e])
            },
            "input.employees[0].email",
        ),
        (
            "blank position",
            {
                let mut e = employee(&emp, "A");
                e["position"] = json!("  ");
                application(vec![e])
            },
            "input.employees[0].position",
        ),
    ] {
        let v = as_user(&mut s, &a.head, SUBMIT, vars).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{name}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["field"], field, "{name}");
    }
    assert_eq!(counts(&t.db).await, before, "bad forms stored nothing");

    // Bodies that may not apply.
    let excluded = common::UserPick {
        ..user_excluded(&t.db).await
    };
    for (name, who) in [
        ("integrator", a.integrator.clone()),
        ("authorized body", a.reviewer.clone()),
        ("National Bank internal audit", excluded.iin),
    ] {
        let v = as_user(&mut s, &who, SUBMIT, application(vec![employee(&emp, "A")])).await;
        assert_eq!(code(&v), "FORBIDDEN", "{name}: {v}");
    }
    // An employee who already holds a current grant to the same system.
    let holder = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let v = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&holder.iin, "A")]),
    )
    .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(
        counts(&t.db).await,
        before,
        "refused applications stored nothing"
    );

    // A rejected application cannot be granted; a reviewed one cannot be reviewed again.
    let id = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&emp, "A")]),
    )
    .await["data"]["submitAccessApplication"]["id"]
        .clone();
    let v = as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "REJECT" }),
    )
    .await;
    assert_eq!(code(&v), "REASON_REQUIRED", "{v}");
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
    assert_eq!(
        code(&v),
        "APPLICATION_NOT_APPROVED",
        "granting before review: {v}"
    );
    let v = as_user(
        &mut s,
        &a.integrator,
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
    )
    .await;
    assert_eq!(code(&v), "FORBIDDEN", "the integrator does not review: {v}");
    as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "REJECT", "c": "incomplete" }),
    )
    .await;
    let state = counts(&t.db).await;
    for (name, who, q, vars, want) in [
        (
            "granting a rejected application",
            &a.integrator,
            GRANT,
            json!({ "id": id }),
            "APPLICATION_NOT_APPROVED",
        ),
        (
            "reviewing twice",
            &a.reviewer,
            REVIEW,
            json!({ "id": id, "d": "APPROVE" }),
            "APPLICATION_ALREADY_REVIEWED",
        ),
        (
            "reviewing a missing application",
            &a.reviewer,
            REVIEW,
            json!({ "id": "999999", "d": "APPROVE" }),
            "NOT_FOUND",
        ),
    ] {
        let v = as_user(&mut s, who, q, vars).await;
        assert_eq!(code(&v), want, "{name}: {v}");
        assert_eq!(counts(&t.db).await, state, "{name} changed nothing");
    }

    // Training or blocking a blocked user.
    let victim = user_of(&t.db, "MASLIKHAT", "75", true).await;
    as_user(
        &mut s,
        &a.integrator,
        BLOCK,
        json!({ "u": victim.id.to_string() }),
    )
    .await;
    let state = counts(&t.db).await;
    for (name, q, vars) in [
        (
            "training a blocked user",
            TRAIN,
            json!({ "u": victim.id.to_string(), "on": common::today().to_string() }),
        ),
        (
            "blocking twice",
            BLOCK,
            json!({ "u": victim.id.to_string() }),
        ),
    ] {
        let v = as_user(&mut s, &a.integrator, q, vars).await;
        assert_eq!(code(&v), "USER_BLOCKED", "{name}: {v}");
        assert_eq!(counts(&t.db).await, state, "{name} changed nothing");
    }
}

async fn user_excluded(db: &Db) -> common::UserPick {
    let q = Query::select()
        .columns([("users", "id"), ("users", "iin")])
        .from("users")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("users", "organization_id")),
        )
        .and_where(Expr::col(("organizations", "audit_excluded")).eq(true))
        .limit(1)
        .to_owned();
    db.optional(&q)
        .await
        .expect("select")
        .expect("an excluded body's user")
}

#[tokio::test]
async fn overdue_reviews_are_listed_for_the_authorized_body() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&iin(6100), "A")]),
    )
    .await;
    let list = "{ accessApplications(filter: { overdue: true }) { nodes { id status overdue } } }";
    let v = as_user(&mut s, &a.reviewer, list, json!({})).await;
    assert_eq!(
        v["data"]["accessApplications"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "{v}"
    );
    s.clock.advance(chrono::Duration::days(10));
    let v = as_user(&mut s, &a.reviewer, list, json!({})).await;
    let items = v["data"]["accessApplications"]["nodes"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["overdue"], true);
    let v = as_user(
        &mut s,
        &a.head,
        "{ accessApplications { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        v["data"]["accessApplications"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the head sees their own: {v}"
    );
    let parliament = user_of(&t.db, "PARLIAMENT", "", true).await;
    let v = as_user(
        &mut s,
        &parliament.iin,
        "{ accessApplications { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        v["data"]["accessApplications"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "other bodies see none of it: {v}"
    );
}

const REQUEST_BLOCK: &str = "mutation($u: ID!, $on: Date!, $why: String!) {
  requestBlock(userId: $u, terminatedOn: $on, reason: $why) { id late due executedAt } }";

#[tokio::test]
async fn block_requests_training_reports_expiry_and_renewal() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let emp = iin(7100);

    // Grant, train, and check the training report is owed.
    let id = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&emp, "A")]),
    )
    .await["data"]["submitAccessApplication"]["id"]
        .clone();
    as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
    )
    .await;
    let grants =
        as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await["data"]["grantAccess"]
            .clone();
    let uid = grants[0]["user"]["id"].clone();
    let first_until = grants[0]["validUntil"].as_str().expect("until").to_owned();
    let today = common::today().to_string();
    as_user(
        &mut s,
        &a.integrator,
        TRAIN,
        json!({ "u": uid, "on": today }),
    )
    .await;
    let reports = "{ trainingReports { id userId overdue reportedAt } }";
    let v = as_user(&mut s, &a.reviewer, reports, json!({})).await;
    let mine: Vec<Value> = v["data"]["trainingReports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter(|r| r["userId"] == uid)
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "{v}");
    assert_eq!(mine[0]["overdue"], false);
    s.clock.advance(chrono::Duration::days(10));
    let v = as_user(&mut s, &a.reviewer, reports, json!({})).await;
    let report = v["data"]["trainingReports"]
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["userId"] == uid)
        .cloned()
        .expect("report");
    assert_eq!(
        report["overdue"], true,
        "10 days later the report is overdue"
    );
    let report_q = "mutation($id: ID!) { reportTraining(trainingId: $id) { reportedAt overdue } }";
    let v = as_user(
        &mut s,
        &a.integrator,
        report_q,
        json!({ "id": report["id"] }),
    )
    .await;
    assert_eq!(v["data"]["reportTraining"]["overdue"], false, "{v}");
    let v = as_user(
        &mut s,
        &a.integrator,
        report_q,
        json!({ "id": report["id"] }),
    )
    .await;
    assert_eq!(code(&v), "TRAINING_ALREADY_REPORTED", "{v}");

    // Near the end of the year the grant is listed as expiring, and a renewal continues it
    // from the next day.
    s.clock.advance(chrono::Duration::days(340));
    let v = as_user(
        &mut s,
        &a.integrator,
        "{ expiringGrants(withinDays: 30) { user { iin } validUntil } }",
        json!({}),
    )
    .await;
    let expiring = v["data"]["expiringGrants"].as_array().expect("grants");
    assert!(
        expiring
            .iter()
            .any(|g| g["user"]["iin"] == emp && g["validUntil"] == first_until),
        "{v}"
    );
    let id = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&emp, "A")]),
    )
    .await["data"]["submitAccessApplication"]["id"]
        .clone();
    assert!(id.is_string(), "a renewal in the last 30 days is accepted");
    as_user(
        &mut s,
        &a.reviewer,
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
    )
    .await;
    let renewed =
        as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await["data"]["grantAccess"]
            .clone();
    let next_day = (first_until.parse::<chrono::NaiveDate>().expect("date") + chrono::Days::new(1))
        .to_string();
    assert!(
        renewed
            .as_array()
            .expect("grants")
            .iter()
            .all(|g| g["validFrom"] == next_day),
        "{renewed}"
    );
    s.clock.advance(chrono::Duration::days(20));
    let v = as_user(&mut s, &emp, DATA, json!({})).await;
    assert!(
        v.get("errors").is_none(),
        "after the first year ends the renewal carries on: {v}"
    );

    // The body asks to block its leaver; late requests are accepted and flagged. Powers end
    // after the membership began (with the first grant), long before today.
    let long_ago = (first_until.parse::<chrono::NaiveDate>().expect("date")
        - chrono::Days::new(330))
    .to_string();
    let v = as_user(
        &mut s,
        &a.head,
        REQUEST_BLOCK,
        json!({ "u": uid, "on": long_ago, "why": "dismissed" }),
    )
    .await;
    assert_eq!(v["data"]["requestBlock"]["late"], true, "{v}");
    let other_head = user_of(&t.db, "MASLIKHAT", "75", true).await;
    let v = as_user(
        &mut s,
        &other_head.iin,
        REQUEST_BLOCK,
        json!({ "u": uid, "on": long_ago, "why": "x" }),
    )
    .await;
    assert_eq!(
        code(&v),
        "NOT_FOUND",
        "another body's user looks missing: {v}"
    );
    let pending = "{ pendingBlockRequests { userId late } }";
    let v = as_user(&mut s, &a.integrator, pending, json!({})).await;
    assert!(
        v["data"]["pendingBlockRequests"]
            .as_array()
            .expect("list")
            .iter()
            .any(|b| b["userId"] == uid),
        "{v}"
    );
    as_user(&mut s, &a.integrator, BLOCK, json!({ "u": uid })).await;
    let v = as_user(&mut s, &a.integrator, pending, json!({})).await;
    assert!(
        !v["data"]["pendingBlockRequests"]
            .as_array()
            .expect("list")
            .iter()
            .any(|b| b["userId"] == uid),
        "executed: {v}"
    );
}
