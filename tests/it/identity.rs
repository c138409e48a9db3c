//! Identity you can trust: applications never move people between bodies or make heads;
//! reviewers see whom they approve; every rule is judged again, locked, where the grant takes
//! effect; nothing gets stuck; blocked people are reinstated and transferred by new applications;
//! leavers are cut off on their termination date; heads are designated.

use crate::common;

use audit_hub::store::Db;
use chrono::{DateTime, Utc};
use common::workflow::*;
use common::{TestDb, TestServer, UserPick, user_of};
use sea_query::{Expr, ExprTrait, Func, Query};
use serde_json::{Value, json};

const EMPLOYEES: &str = "query($f: AccessApplicationFilter) { accessApplications(filter: $f, first: 100) { edges { node {
  id status channel incomingNumber reviewDue refusalReason
  employees { rowNo iin surname registration userId registeredAt { bin } currentGrants { system validUntil }
              conflicts { kind system } outcome refusalReasons { kind system } } } } } }";
const GRANT_PARTIAL: &str = "mutation($id: ID!) { grantAccess(applicationId: $id, partial: true) { id system status user { id iin } } }";
const REFUSE: &str = "mutation($id: ID!, $why: String!) { refuseAccessApplication(id: $id, reason: $why) { id status refusalReason } }";
const REQUEST_BLOCK: &str = "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"dismissed\") { id } }";
const DESIGNATE: &str =
    "mutation($o: ID!, $u: ID!) { designateHead(organizationId: $o, userId: $u) { id isHead } }";
const MEMBERSHIPS: &str = "query($u: ID!) { membershipHistory(userId: $u) { organization { bin } startedOn endedOn endReason applicationId } }";
const HISTORY: &str = "query($u: ID!) { grantHistory(userId: $u) { system status } }";
const ME: &str = "{ me { user { id } } }";

/// What a person's row says about who they are and where they belong.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Person {
    id: i64,
    surname: String,
    phone: Option<String>,
    organization_id: i64,
    is_head: bool,
    status: String,
}

async fn person_where(db: &Db, column: &str, value: sea_query::Value) -> Option<Person> {
    let q = Query::select()
        .columns([
            "id",
            "surname",
            "phone",
            "organization_id",
            "is_head",
            "status",
        ])
        .from("users")
        .and_where(Expr::col(column.to_owned()).eq(value))
        .to_owned();
    db.optional(&q).await.expect("user")
}

async fn person(db: &Db, id: i64) -> Person {
    person_where(db, "id", id.into()).await.expect("a user")
}

async fn person_by_iin(db: &Db, iin: &str) -> Option<Person> {
    person_where(db, "iin", iin.into()).await
}

/// Workflow steps of these kinds in the audit trail.
async fn steps(db: &Db, operations: &[&str]) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col("seq")))
        .from("audit_events")
        .and_where(Expr::col("query_hash").is_null())
        .and_where(Expr::col("operation").is_in(operations.iter().copied()))
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}

/// Grants of a person that are not revoked.
async fn live_grants(db: &Db, user_id: i64) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from("access_grants")
        .and_where(Expr::col("user_id").eq(user_id))
        .and_where(Expr::col("status").eq("ACTIVE"))
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}

/// The application with `id` as `who` sees it.
async fn application_as(s: &mut TestServer, who: &str, id: &str) -> Value {
    let v = as_user(s, who, EMPLOYEES, json!({})).await;
    v["data"]["accessApplications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("application {id} not visible: {v}"))
}

async fn submit(s: &mut TestServer, head: &str, employees: Vec<Value>) -> String {
    let v = as_user(s, head, SUBMIT, application(employees)).await;
    v["data"]["submitAccessApplication"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("submitted: {v}"))
        .to_owned()
}

async fn approve(s: &mut TestServer, reviewer: &str, id: &str) {
    let v = as_user(s, reviewer, REVIEW, json!({ "id": id, "d": "APPROVE" })).await;
    assert_eq!(
        v["data"]["reviewAccessApplication"]["status"], "APPROVED",
        "{v}"
    );
}

/// A new person applied for by `head`, approved and granted: the application's and the
/// person's ids.
async fn granted_newcomer(
    s: &mut TestServer,
    a: &Actors,
    emp: &str,
    surname: &str,
) -> (String, String) {
    let id = submit(s, &a.head, vec![employee(emp, surname)]).await;
    approve(s, &a.reviewer, &id).await;
    let v = as_user(s, &a.integrator, GRANT, json!({ "id": id })).await;
    let uid = v["data"]["grantAccess"][0]["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("granted: {v}"))
        .to_owned();
    (id, uid)
}

fn set_clock(s: &TestServer, at: DateTime<Utc>) {
    s.clock.advance(at - s.clock.now());
}

/// The red-team scenario: a maslikhat's head lists a Mazhilis employee, a member of the
/// integrator's staff and a ministry's head. Nobody moves, nobody's name or head flag changes,
/// the reviewer sees the conflicts, the grant refuses, and the integrator closes the application.
#[tokio::test]
async fn other_bodies_people_are_conflicts_the_grant_refuses_and_nobody_moves() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let abai_head = user_of(&t.db, "MASLIKHAT", "100000000", true).await;
    let strangers: Vec<(&str, UserPick)> = vec![
        (
            "Mazhilis employee",
            user_of(&t.db, "PARLIAMENT", "", false).await,
        ),
        (
            "integrator's staff member",
            user_of(&t.db, "INTEGRATOR", "", false).await,
        ),
        (
            "a ministry's head",
            user_of(&t.db, "CENTRAL_STATE_BODY", "", true).await,
        ),
    ];
    let mut before = Vec::new();
    for (_, u) in &strangers {
        before.push(person(&t.db, u.id).await);
    }
    let id = submit(
        &mut s,
        &abai_head.iin,
        strangers
            .iter()
            .map(|(_, u)| employee(&u.iin, "Подменов"))
            .collect(),
    )
    .await;

    // The reviewer sees each person's body and the conflict; the applying head sees that they
    // belong elsewhere, but not where, nor their grants.
    let seen = application_as(&mut s, &a.reviewer, &id).await;
    for (name, u) in &strangers {
        let e = seen["employees"]
            .as_array()
            .expect("employees")
            .iter()
            .find(|e| e["iin"] == u.iin.as_str())
            .expect("employee listed");
        assert_eq!(e["registration"], "OTHER_BODY", "{name}: {e}");
        assert_eq!(e["userId"], u.id.to_string(), "{name}");
        assert_eq!(
            e["registeredAt"]["bin"],
            common::bin_of(&t.db, u.id).await,
            "{name}"
        );
        assert_eq!(
            e["conflicts"],
            json!([{ "kind": "REGISTERED_ELSEWHERE", "system": null }]),
            "{name}"
        );
    }
    let own = application_as(&mut s, &abai_head.iin, &id).await;
    for e in own["employees"].as_array().expect("employees") {
        assert_eq!(e["registration"], "OTHER_BODY", "{e}");
        assert!(
            e["registeredAt"].is_null(),
            "another body is not named: {e}"
        );
        assert_eq!(e["currentGrants"], json!([]), "{e}");
    }

    // Approved, the grant refuses as a whole; granting "the others" leaves nobody to grant.
    approve(&mut s, &a.reviewer, &id).await;
    let state = counts(&t.db).await;
    for (name, q, want) in [
        ("grant", GRANT, "GRANT_CONFLICTS"),
        ("partial grant", GRANT_PARTIAL, "NO_EMPLOYEE_GRANTABLE"),
    ] {
        let v = as_user(&mut s, &a.integrator, q, json!({ "id": id })).await;
        assert_eq!(code(&v), want, "{name}: {v}");
        assert_eq!(counts(&t.db).await, state, "{name} changed nothing");
    }
    for ((name, u), p) in strangers.iter().zip(&before) {
        assert_eq!(&person(&t.db, u.id).await, p, "{name} is untouched");
    }

    // The integrator refuses it: a final state, each employee refused with the reason, and the
    // application leaves the overdue list for good.
    let v = as_user(
        &mut s,
        &a.integrator,
        REFUSE,
        json!({ "id": id, "why": "employees of other bodies" }),
    )
    .await;
    assert_eq!(
        v["data"]["refuseAccessApplication"]["status"], "REFUSED",
        "{v}"
    );
    let seen = application_as(&mut s, &a.reviewer, &id).await;
    for e in seen["employees"].as_array().expect("employees") {
        assert_eq!(e["outcome"], "REFUSED", "{e}");
        assert_eq!(
            e["refusalReasons"],
            json!([{ "kind": "REGISTERED_ELSEWHERE", "system": null }])
        );
        assert_eq!(e["conflicts"], json!([]), "a decided application: {e}");
    }
    s.clock.advance(chrono::Duration::days(30));
    let v = as_user(
        &mut s,
        &a.reviewer,
        EMPLOYEES,
        json!({ "f": { "overdue": true } }),
    )
    .await;
    let overdue: Vec<&Value> = v["data"]["accessApplications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["id"] == id.as_str())
        .collect();
    assert!(overdue.is_empty(), "a refused application is not overdue");
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
    assert_eq!(
        code(&v),
        "APPLICATION_NOT_APPROVED",
        "refused is final: {v}"
    );

    // The integrator's staff member still works as the integrator; the ministry's head reads
    // no maslikhat's trail and can file no block request there.
    let staff = &strangers[1].1;
    let v = as_user(
        &mut s,
        &staff.iin,
        "{ pendingBlockRequests { id } }",
        json!({}),
    )
    .await;
    assert!(v.get("errors").is_none(), "integrator role kept: {v}");
    let minister = &strangers[2].1;
    let v = as_user(
        &mut s,
        &minister.iin,
        "{ auditEvents(first: 5) { edges { node { seq } } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let v = as_user(
        &mut s,
        &minister.iin,
        REQUEST_BLOCK,
        json!({ "u": abai_head.id.to_string(), "on": common::today().to_string() }),
    )
    .await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    assert!(person(&t.db, abai_head.id).await.is_head);
}

/// A partial grant: the new person is registered and granted, the other body's employee is
/// refused and listed with the reason.
#[tokio::test]
async fn a_partial_grant_grants_those_without_conflicts_and_lists_the_others() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let newcomer = iin(7100);
    let stranger = user_of(&t.db, "PARLIAMENT", "", false).await;
    let id = submit(
        &mut s,
        &a.head,
        vec![
            employee(&newcomer, "Жаңа"),
            employee(&stranger.iin, "Бөтен"),
        ],
    )
    .await;
    approve(&mut s, &a.reviewer, &id).await;
    let v = as_user(&mut s, &a.integrator, GRANT_PARTIAL, json!({ "id": id })).await;
    let grants = v["data"]["grantAccess"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(grants.len(), 2, "two systems for the newcomer: {v}");
    assert!(grants.iter().all(|g| g["user"]["iin"] == newcomer.as_str()));
    let seen = application_as(&mut s, &a.reviewer, &id).await;
    assert_eq!(seen["status"], "GRANTED");
    let outcomes: Vec<(Value, Value, Value)> = seen["employees"]
        .as_array()
        .expect("employees")
        .iter()
        .map(|e| {
            (
                e["iin"].clone(),
                e["outcome"].clone(),
                e["refusalReasons"].clone(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (json!(newcomer), json!("GRANTED"), json!([])),
            (
                json!(stranger.iin),
                json!("REFUSED"),
                json!([{ "kind": "REGISTERED_ELSEWHERE", "system": null }])
            ),
        ]
    );
    let maslikhat = person(
        &t.db,
        user_of(&t.db, "MASLIKHAT", "110000000", true).await.id,
    )
    .await;
    let registered = person_by_iin(&t.db, &newcomer).await.expect("registered");
    assert_eq!(registered.organization_id, maslikhat.organization_id);
    assert!(!registered.is_head, "an application makes nobody a head");
}

/// Three applications for one new IIN, granted at the same moment over parallel HTTP requests:
/// exactly one grant; two grants of one application at once: one.
#[tokio::test]
async fn simultaneous_grants_for_one_person_give_exactly_one() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let newcomer = iin(7200);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = submit(&mut s, &a.head, vec![employee(&newcomer, "Үшеу")]).await;
        approve(&mut s, &a.reviewer, &id).await;
        ids.push(id);
    }
    let integrator = TestServer::start(&t.db).await.with_user(&a.integrator);
    let answers = futures::future::join_all(
        ids.iter()
            .map(|id| integrator.gql(GRANT, json!({ "id": id }))),
    )
    .await;
    let granted: Vec<&Value> = answers
        .iter()
        .filter(|v| v.get("errors").is_none())
        .collect();
    assert_eq!(granted.len(), 1, "{answers:?}");
    let codes: Vec<String> = answers
        .iter()
        .filter(|v| v.get("errors").is_some())
        .map(code)
        .collect();
    assert_eq!(codes, vec!["GRANT_CONFLICTS"; 2], "{answers:?}");
    let user = person_by_iin(&t.db, &newcomer).await.expect("registered");
    assert_eq!(live_grants(&t.db, user.id).await, 2, "one grant per system");

    // The losers are refused and show the person's grant as the reason.
    for id in &ids {
        let seen = application_as(&mut s, &a.reviewer, id).await;
        if seen["status"] == "APPROVED" {
            assert_eq!(
                seen["employees"][0]["conflicts"],
                json!([
                    { "kind": "ACTIVE_GRANT", "system": "ANALYTICS_CENTER" },
                    { "kind": "ACTIVE_GRANT", "system": "STATE_PLANNING" }
                ]),
                "{seen}"
            );
            let v = as_user(
                &mut s,
                &a.integrator,
                REFUSE,
                json!({ "id": id, "why": "duplicate" }),
            )
            .await;
            assert_eq!(
                v["data"]["refuseAccessApplication"]["status"], "REFUSED",
                "{v}"
            );
        }
    }

    // Overlapping applications of new people, granted at once: they queue rather than
    // deadlock, and the one person they share is granted once.
    let (x, y, z) = (iin(7210), iin(7220), iin(7230));
    let mut overlapping = Vec::new();
    for people in [vec![&x, &y], vec![&y], vec![&y, &z]] {
        let id = submit(
            &mut s,
            &a.head,
            people.iter().map(|p| employee(p, "Қиылыс")).collect(),
        )
        .await;
        approve(&mut s, &a.reviewer, &id).await;
        overlapping.push(id);
    }
    let answers = futures::future::join_all(
        overlapping
            .iter()
            .map(|id| integrator.gql(GRANT, json!({ "id": id }))),
    )
    .await;
    let mut codes: Vec<String> = answers.iter().map(code).collect();
    codes.sort();
    assert_eq!(
        codes,
        vec!["", "GRANT_CONFLICTS", "GRANT_CONFLICTS"],
        "{answers:?}"
    );
    let shared = person_by_iin(&t.db, &y).await.expect("registered");
    assert_eq!(live_grants(&t.db, shared.id).await, 2);

    // One application granted twice at once.
    let other = iin(7300);
    let id = submit(&mut s, &a.head, vec![employee(&other, "Екеу")]).await;
    approve(&mut s, &a.reviewer, &id).await;
    let (x, y) = tokio::join!(
        integrator.gql(GRANT, json!({ "id": id })),
        integrator.gql(GRANT, json!({ "id": id }))
    );
    let mut outcomes = vec![code(&x), code(&y)];
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec!["".to_owned(), "APPLICATION_NOT_APPROVED".to_owned()]
    );
    let user = person_by_iin(&t.db, &other).await.expect("registered");
    assert_eq!(live_grants(&t.db, user.id).await, 2);
}

/// A blocked person returns to the same body through a new application; their first life stays
/// in the history.
#[tokio::test]
async fn a_blocked_person_is_reinstated_by_a_new_application() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let emp = iin(7400);
    let (id, uid) = granted_newcomer(&mut s, &a, &emp, "Қайтқан").await;
    let v = as_user(&mut s, &a.integrator, BLOCK, json!({ "u": uid })).await;
    assert_eq!(v["data"]["blockUser"]["status"], "BLOCKED", "{v}");

    let again = submit(&mut s, &a.head, vec![employee(&emp, "Қайтқан")]).await;
    let seen = application_as(&mut s, &a.reviewer, &again).await;
    assert_eq!(seen["employees"][0]["registration"], "BLOCKED");
    assert_eq!(seen["employees"][0]["conflicts"], json!([]));
    approve(&mut s, &a.reviewer, &again).await;
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": again })).await;
    assert_eq!(
        v["data"]["grantAccess"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    assert_eq!(
        person(&t.db, uid.parse().expect("id")).await.status,
        "ACTIVE"
    );

    let v = as_user(&mut s, &a.reviewer, HISTORY, json!({ "u": uid })).await;
    let mut statuses: Vec<String> = v["data"]["grantHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|g| g["status"].as_str().unwrap_or("").to_owned())
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "AWAITING_TRAINING",
            "AWAITING_TRAINING",
            "REVOKED",
            "REVOKED"
        ],
        "both lives: {v}"
    );
    let v = as_user(&mut s, &a.reviewer, MEMBERSHIPS, json!({ "u": uid })).await;
    let lives = v["data"]["membershipHistory"]
        .as_array()
        .expect("memberships");
    assert_eq!(lives.len(), 2, "{v}");
    assert!(
        lives[0]["endedOn"].is_null(),
        "the new life is current: {v}"
    );
    assert_eq!(lives[0]["applicationId"], again.as_str());
    assert_eq!(lives[1]["endReason"], "BLOCKED");
    assert_eq!(lives[1]["applicationId"], id.as_str());

    // The trail holds the block and both grants of this person.
    assert_eq!(steps(&t.db, &["grantAccess", "blockUser"]).await, 3);
}

/// An application received before its employee left the body does not bring them back: the
/// body's own termination stands, and their return takes a new application.
#[tokio::test]
async fn an_application_from_before_a_leaver_left_does_not_bring_them_back() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let emp = iin(7900);
    let (_, uid) = granted_newcomer(&mut s, &a, &emp, "Кеткен").await;

    // Near the grant's end a renewal is filed and approved; then the employee resigns.
    s.clock.advance(chrono::Duration::days(340));
    let renewal = submit(&mut s, &a.head, vec![employee(&emp, "Кеткен")]).await;
    approve(&mut s, &a.reviewer, &renewal).await;
    s.clock.advance(chrono::Duration::hours(1));
    let on = audit_hub::authz::principal::local_day(s.clock.now()).to_string();
    let v = as_user(
        &mut s,
        &a.head,
        REQUEST_BLOCK,
        json!({ "u": uid, "on": on }),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
    for (case, block) in [("termination recorded", false), ("blocked", true)] {
        if block {
            as_user(&mut s, &a.integrator, BLOCK, json!({ "u": uid })).await;
        }
        let seen = application_as(&mut s, &a.reviewer, &renewal).await;
        assert_eq!(
            seen["employees"][0]["conflicts"],
            json!([{ "kind": "LEFT_AFTER_APPLYING", "system": null }]),
            "{case}: {seen}"
        );
        let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": renewal })).await;
        assert_eq!(code(&v), "GRANT_CONFLICTS", "{case}: {v}");
    }
    let v = as_user(&mut s, &emp, ME, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "still out: {v}");

    // A new application, received after the block, brings them back.
    let again = submit(&mut s, &a.head, vec![employee(&emp, "Кеткен")]).await;
    approve(&mut s, &a.reviewer, &again).await;
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": again })).await;
    assert_eq!(
        v["data"]["grantAccess"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
    let v = as_user(
        &mut s,
        &a.integrator,
        REFUSE,
        json!({ "id": renewal, "why": "left" }),
    )
    .await;
    assert_eq!(
        v["data"]["refuseAccessApplication"]["status"], "REFUSED",
        "{v}"
    );
}

/// A member's new position on a later application starts a new membership; the old one stays.
#[tokio::test]
async fn a_new_position_keeps_the_old_one_in_the_history() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let head = user_of(&t.db, "PARLIAMENT", "", true).await;
    let member = user_of(&t.db, "PARLIAMENT", "", false).await;
    s.clock.advance(chrono::Duration::days(10));
    let mut row = employee(&member.iin, "Ауыстырылған");
    row["position"] = json!("Бөлім басшысы");
    let id = submit(&mut s, &head.iin, vec![row]).await;
    approve(&mut s, &a.reviewer, &id).await;
    let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
    assert!(v.get("errors").is_none(), "{v}");
    const POSITIONS: &str =
        "query($u: ID!) { membershipHistory(userId: $u) { position endedOn endReason } }";
    let v = as_user(
        &mut s,
        &a.reviewer,
        POSITIONS,
        json!({ "u": member.id.to_string() }),
    )
    .await;
    let lives = v["data"]["membershipHistory"]
        .as_array()
        .expect("memberships");
    assert_eq!(lives.len(), 2, "{v}");
    assert_eq!(lives[0]["position"], "Бөлім басшысы");
    assert!(lives[0]["endedOn"].is_null());
    assert_eq!(lives[1]["endReason"], "REASSIGNED");
}

/// A transfer: body A asks to block its employee, the integrator blocks, body B applies, the
/// grant registers the person at B; and the same without waiting for the block, once the
/// termination date has come.
#[tokio::test]
async fn a_transfer_moves_a_person_only_after_their_old_body_lets_go() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let abai_head = user_of(&t.db, "MASLIKHAT", "100000000", true).await;
    let abai = person(&t.db, abai_head.id).await.organization_id;
    let akmola_head = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let akmola = person(&t.db, akmola_head.id).await.organization_id;

    for (case, serial, block_executed) in [
        ("block executed", 7500, true),
        ("termination reached", 7600, false),
    ] {
        // At Akmola first, granted and trained.
        let emp = iin(serial);
        let (_, uid) = granted_newcomer(&mut s, &a, &emp, "Ауысқан").await;
        as_user(
            &mut s,
            &a.integrator,
            TRAIN,
            json!({ "u": uid, "on": common::today().to_string() }),
        )
        .await;
        let v = as_user(&mut s, &emp, DATA, json!({})).await;
        assert!(v.get("errors").is_none(), "{case}: reads at Akmola: {v}");

        // Abai cannot take them while they belong to Akmola.
        let early = submit(&mut s, &abai_head.iin, vec![employee(&emp, "Ауысқан")]).await;
        approve(&mut s, &a.reviewer, &early).await;
        let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": early })).await;
        assert_eq!(code(&v), "GRANT_CONFLICTS", "{case}: {v}");
        assert_eq!(
            person(&t.db, uid.parse().expect("id"))
                .await
                .organization_id,
            akmola
        );

        // Akmola lets go: a block request with today's date (and, in one case, the block).
        let v = as_user(
            &mut s,
            &a.head,
            REQUEST_BLOCK,
            json!({ "u": uid, "on": common::today().to_string() }),
        )
        .await;
        assert!(v.get("errors").is_none(), "{case}: {v}");
        if block_executed {
            as_user(&mut s, &a.integrator, BLOCK, json!({ "u": uid })).await;
        }
        let seen = application_as(&mut s, &a.reviewer, &early).await;
        let want = if block_executed {
            "BLOCKED"
        } else {
            "TERMINATED"
        };
        assert_eq!(seen["employees"][0]["registration"], want, "{case}");
        assert_eq!(seen["employees"][0]["conflicts"], json!([]), "{case}");
        let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": early })).await;
        assert_eq!(
            v["data"]["grantAccess"].as_array().map(Vec::len),
            Some(2),
            "{case}: {v}"
        );

        let moved = person(&t.db, uid.parse().expect("id")).await;
        assert_eq!(moved.organization_id, abai, "{case}");
        assert_eq!(moved.status, "ACTIVE", "{case}");
        assert_eq!(moved.surname, "Ауысқан");
        let v = as_user(&mut s, &a.reviewer, MEMBERSHIPS, json!({ "u": uid })).await;
        let lives = v["data"]["membershipHistory"]
            .as_array()
            .expect("memberships")
            .clone();
        let bins: Vec<&Value> = lives.iter().map(|m| &m["organization"]["bin"]).collect();
        assert_eq!(
            bins,
            vec![
                &json!(common::bin_of(&t.db, abai_head.id).await),
                &json!(common::bin_of(&t.db, akmola_head.id).await)
            ],
            "{case}: {v}"
        );
        let reason = if block_executed {
            "BLOCKED"
        } else {
            "TRANSFERRED"
        };
        assert_eq!(lives[1]["endReason"], reason, "{case}");
        assert_eq!(lives[1]["endedOn"], common::today().to_string(), "{case}");
        let v = as_user(
            &mut s,
            &a.reviewer,
            "{ pendingBlockRequests { userId } }",
            json!({}),
        )
        .await;
        assert!(
            !v["data"]["pendingBlockRequests"]
                .as_array()
                .expect("requests")
                .iter()
                .any(|r| r["userId"] == uid.as_str()),
            "{case}: the old body's request is closed: {v}"
        );
        // Akmola's grants ended with the move; once trained again, Abai's region is read.
        as_user(
            &mut s,
            &a.integrator,
            TRAIN,
            json!({ "u": uid, "on": common::today().to_string() }),
        )
        .await;
        let v = as_user(&mut s, &emp, DATA, json!({})).await;
        let regions: Vec<&Value> = v["data"]["budgetSummary"]
            .as_array()
            .unwrap_or_else(|| panic!("{case}: {v}"))
            .iter()
            .map(|r| &r["key"]["region"])
            .collect();
        assert_eq!(regions, vec![&json!("100000000")], "{case}");
    }
}

/// A block request whose termination date has come refuses the person's next request, before
/// (and without) the integrator's block; one for a later date does not, until that day.
#[tokio::test]
async fn a_leaver_is_cut_off_on_the_termination_date() {
    let t = TestDb::with_demo(1).await;
    let mut s = TestServer::start(&t.db).await;
    let head = user_of(&t.db, "PARLIAMENT", "", true).await;
    let emp = user_of(&t.db, "PARLIAMENT", "", false).await;
    common::grant_both_systems(&t.db, emp.id).await;
    let v = as_user(&mut s, &emp.iin, DATA, json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");

    let tomorrow = (Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Almaty)
        .date_naive()
        .to_string();
    let v = as_user(
        &mut s,
        &head.iin,
        REQUEST_BLOCK,
        json!({ "u": emp.id.to_string(), "on": tomorrow }),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
    let v = as_user(&mut s, &emp.iin, ME, json!({})).await;
    assert!(v.get("errors").is_none(), "still works today: {v}");
    s.clock.advance(chrono::Duration::days(1));
    let v = as_user(&mut s, &emp.iin, ME, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "cut off on the date: {v}");
    assert_eq!(
        person(&t.db, emp.id).await.status,
        "ACTIVE",
        "not blocked yet"
    );
}

/// The authorized body designates heads; the previous head's head rights end at once; only a
/// current member can be designated; a blocked head heads nothing.
#[tokio::test]
async fn heads_are_designated_not_claimed() {
    let t = TestDb::with_demo(1).await;
    // The reference seed's register import designated every body's head, each audited.
    let seeded = steps(&t.db, &["designateHead"]).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let old_head = user_of(&t.db, "PARLIAMENT", "", true).await;
    let member = user_of(&t.db, "PARLIAMENT", "", false).await;
    let org = person(&t.db, member.id).await.organization_id;
    let outsider = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    assert_eq!(
        person(&t.db, old_head.id).await.organization_id,
        org,
        "same chamber"
    );
    let vars = |u: &UserPick| json!({ "o": org.to_string(), "u": u.id.to_string() });

    for (name, who, target, want) in [
        (
            "the integrator may not",
            &a.integrator,
            &member,
            "FORBIDDEN",
        ),
        ("a head may not", &old_head.iin, &member, "FORBIDDEN"),
        (
            "not a member",
            &a.reviewer,
            &outsider,
            "NOT_A_CURRENT_MEMBER",
        ),
    ] {
        let v = as_user(&mut s, who, DESIGNATE, vars(target)).await;
        assert_eq!(code(&v), want, "{name}: {v}");
    }
    assert!(person(&t.db, old_head.id).await.is_head);
    assert!(
        person(&t.db, outsider.id).await.is_head,
        "the outsider keeps their own body"
    );

    let v = as_user(&mut s, &a.reviewer, DESIGNATE, vars(&member)).await;
    assert_eq!(v["data"]["designateHead"]["isHead"], true, "{v}");
    assert!(
        !person(&t.db, old_head.id).await.is_head,
        "one head per body"
    );
    let v = as_user(
        &mut s,
        &old_head.iin,
        SUBMIT,
        application(vec![employee(&iin(7700), "А")]),
    )
    .await;
    assert_eq!(
        code(&v),
        "FORBIDDEN",
        "the former head no longer applies: {v}"
    );
    let v = as_user(
        &mut s,
        &member.iin,
        SUBMIT,
        application(vec![employee(&iin(7700), "А")]),
    )
    .await;
    assert!(v.get("errors").is_none(), "the new head applies: {v}");

    // A blocked head heads nothing.
    as_user(
        &mut s,
        &a.integrator,
        BLOCK,
        json!({ "u": member.id.to_string() }),
    )
    .await;
    assert!(!person(&t.db, member.id).await.is_head);
    assert_eq!(
        steps(&t.db, &["designateHead"]).await,
        seeded + 1,
        "designation audited"
    );
}

/// An application received through the document system: its review is due 2 working days after
/// the day of receipt (Nauryz 2026 in between), not after the moment of entry.
#[tokio::test]
async fn applications_received_by_the_document_system_count_from_receipt() {
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let abai_head = user_of(&t.db, "MASLIKHAT", "100000000", true).await;
    let abai = person(&t.db, abai_head.id).await.organization_id;
    let excluded = {
        #[derive(sqlx::FromRow)]
        struct Id {
            id: i64,
        }
        let q = Query::select()
            .column("id")
            .from("organizations")
            .and_where(Expr::col("audit_excluded").eq(true))
            .limit(1)
            .to_owned();
        t.db.optional::<Id>(&q)
            .await
            .expect("org")
            .expect("excluded")
            .id
    };
    // Entered on Monday 30 March 2026, received on Friday 20 March.
    set_clock(&s, "2026-03-30T06:00:00Z".parse().expect("instant"));
    const REGISTER: &str = "mutation($o: ID!, $n: String!, $on: Date!, $input: AccessApplicationInput!) {
      registerAccessApplication(organizationId: $o, incomingNumber: $n, receivedOn: $on, input: $input) { id channel incomingNumber reviewDue } }";
    let form = application(vec![employee(&iin(7800), "Қағаз")])["input"].clone();
    let before = counts(&t.db).await;
    for (name, vars, field) in [
        (
            "excluded body",
            json!({ "o": excluded.to_string(), "n": "12-3/45", "on": "2026-03-20" }),
            "organizationId",
        ),
        (
            "received tomorrow",
            json!({ "o": abai.to_string(), "n": "12-3/45", "on": "2026-03-31" }),
            "receivedOn",
        ),
        (
            "no number",
            json!({ "o": abai.to_string(), "n": " ", "on": "2026-03-20" }),
            "incomingNumber",
        ),
    ] {
        let mut vars = vars;
        vars["input"] = form.clone();
        let v = as_user(&mut s, &a.reviewer, REGISTER, vars).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{name}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["field"], field, "{name}");
    }
    assert_eq!(counts(&t.db).await, before, "refusals stored nothing");
    let v = as_user(
        &mut s,
        &abai_head.iin,
        REGISTER,
        json!({ "o": abai.to_string(), "n": "1", "on": "2026-03-20", "input": form }),
    )
    .await;
    assert_eq!(
        code(&v),
        "FORBIDDEN",
        "heads submit, they do not register: {v}"
    );

    let v = as_user(
        &mut s,
        &a.reviewer,
        REGISTER,
        json!({ "o": abai.to_string(), "n": "12-3/45", "on": "2026-03-20", "input": form }),
    )
    .await;
    let app = &v["data"]["registerAccessApplication"];
    assert_eq!(app["channel"], "DOCUMENT_SYSTEM", "{v}");
    assert_eq!(app["incomingNumber"], "12-3/45");
    assert_eq!(app["reviewDue"], "2026-03-27T18:59:59.999+00:00", "{v}");
    let id = app["id"].as_str().expect("id").to_owned();
    let seen = application_as(&mut s, &abai_head.iin, &id).await;
    assert_eq!(
        seen["channel"], "DOCUMENT_SYSTEM",
        "the body sees its registered application"
    );
    let seen = application_as(&mut s, &a.reviewer, &id).await;
    assert_eq!(seen["reviewDue"], "2026-03-27T18:59:59.999+00:00");
    let v = as_user(
        &mut s,
        &a.reviewer,
        EMPLOYEES,
        json!({ "f": { "overdue": true } }),
    )
    .await;
    assert!(
        v["data"]["accessApplications"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["id"] == id.as_str()),
        "overdue from the day of receipt: {v}"
    );
}

#[tokio::test]
async fn the_2025_transfer_moves_a_deadline_from_2_january() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    let reviewer = user_of(&t.db, "AUTHORIZED_BODY", "", true).await;
    let s = s.with_user(&reviewer.iin);
    // Thursday 2 January 2025 (a holiday); Friday 3 January off by the Minister of Labour's
    // order of 21 November 2024, Sunday 5 January worked instead; 7 January Christmas.
    for (days, want) in [(1, "2025-01-05"), (2, "2025-01-06"), (3, "2025-01-08")] {
        let d = s
            .data(
                "query($n: Int!) { workingDayDeadline(from: \"2025-01-02\", days: $n) }",
                json!({ "n": days }),
            )
            .await;
        assert_eq!(d["workingDayDeadline"], want, "{days} working days");
    }
    let d = s
        .data(
            "{ calendar(year: 2025) { date working kind note } }",
            json!({}),
        )
        .await;
    let transfers: Vec<(&Value, &Value)> = d["calendar"]
        .as_array()
        .expect("days")
        .iter()
        .filter(|day| day["kind"] == "TRANSFER")
        .map(|day| (&day["date"], &day["working"]))
        .collect();
    assert_eq!(
        transfers,
        vec![
            (&json!("2025-01-03"), &json!(false)),
            (&json!("2025-01-05"), &json!(true))
        ]
    );
}

/// One random step's actors: the three maslikhats whose heads apply, and the people they list.
struct World {
    orgs: Vec<i64>,
    pool: Vec<String>,
    reviewer: String,
    integrator: String,
}

#[derive(Debug, sqlx::FromRow)]
struct UserState {
    id: i64,
    iin: String,
    organization_id: i64,
    is_head: bool,
    status: String,
}

#[derive(Debug, sqlx::FromRow)]
struct MembershipState {
    user_id: i64,
    organization_id: i64,
    ended_on: Option<chrono::NaiveDate>,
}

#[derive(Debug, sqlx::FromRow)]
struct GrantState {
    user_id: i64,
    system: String,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    status: String,
}

#[derive(Debug, sqlx::FromRow)]
struct AppId {
    id: i64,
}

async fn users_state(db: &Db) -> Vec<UserState> {
    let q = Query::select()
        .columns(["id", "iin", "organization_id", "is_head", "status"])
        .from("users")
        .order_by("id", sea_query::Order::Asc)
        .to_owned();
    db.all(&q).await.expect("users")
}

async fn apps_with(db: &Db, status: &str) -> Vec<i64> {
    let q = Query::select()
        .column("id")
        .from("access_applications")
        .and_where(Expr::col("status").eq(status))
        .order_by("id", sea_query::Order::Asc)
        .to_owned();
    db.all::<AppId>(&q)
        .await
        .expect("applications")
        .into_iter()
        .map(|a| a.id)
        .collect()
}

/// The invariants of identity, read from the database at `today`.
async fn check_invariants(db: &Db, today: chrono::NaiveDate) -> Result<(), String> {
    let users = users_state(db).await;
    let q = Query::select()
        .columns(["user_id", "organization_id", "ended_on"])
        .from("memberships")
        .to_owned();
    let memberships: Vec<MembershipState> = db.all(&q).await.expect("memberships");
    let q = Query::select()
        .columns(["user_id", "system", "valid_from", "valid_until", "status"])
        .from("access_grants")
        .to_owned();
    let grants: Vec<GrantState> = db.all(&q).await.expect("grants");
    let mut heads = std::collections::HashMap::<i64, i64>::new();
    for u in &users {
        let current: Vec<&MembershipState> = memberships
            .iter()
            .filter(|m| m.user_id == u.id && m.ended_on.is_none())
            .collect();
        match (u.status.as_str(), current.as_slice()) {
            ("ACTIVE", [m]) if m.organization_id == u.organization_id => {}
            ("BLOCKED", []) => {}
            _ => {
                return Err(format!(
                    "user {} ({}) has memberships {current:?}",
                    u.id, u.status
                ));
            }
        }
        if u.is_head {
            if u.status != "ACTIVE" {
                return Err(format!("blocked user {} is a head", u.id));
            }
            *heads.entry(u.organization_id).or_default() += 1;
        }
        let live: Vec<&GrantState> = grants
            .iter()
            .filter(|g| g.user_id == u.id && g.status == "ACTIVE")
            .collect();
        if u.status == "BLOCKED" && !live.is_empty() {
            return Err(format!("blocked user {} keeps grants", u.id));
        }
        for system in ["ANALYTICS_CENTER", "STATE_PLANNING"] {
            let mut mine: Vec<&&GrantState> = live.iter().filter(|g| g.system == system).collect();
            mine.sort_by_key(|g| g.valid_from);
            if mine.iter().filter(|g| g.valid_until >= today).count() > 2 {
                return Err(format!(
                    "user {} holds more than a grant and a renewal",
                    u.id
                ));
            }
            if mine.windows(2).any(|w| w[1].valid_from <= w[0].valid_until) {
                return Err(format!("user {} holds overlapping grants: {mine:?}", u.id));
            }
        }
    }
    if let Some((org, n)) = heads.iter().find(|(_, n)| **n > 1) {
        return Err(format!("organization {org} has {n} heads"));
    }
    Ok(())
}

fn refused_or_done(v: &Value, step: &str) {
    assert_ne!(code(v), "INTERNAL", "{step}: {v}");
}

/// Random interleavings of submit, review, grant, refuse, block request, block, head designation
/// and clock moves; after every step the invariants hold, and at the end every open application
/// can still be brought to a final state.
#[tokio::test]
async fn random_interleavings_keep_identity_invariants() {
    use rand::{RngExt, SeedableRng};
    let seed = std::env::var("AUDIT_HUB_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(13);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let t = TestDb::with_demo(1).await;
    let a = actors(&t.db).await;
    let mut s = TestServer::start(&t.db).await;
    let mut orgs = Vec::new();
    for kato in ["110000000", "100000000", "150000000"] {
        orgs.push(
            person(&t.db, user_of(&t.db, "MASLIKHAT", kato, true).await.id)
                .await
                .organization_id,
        );
    }
    let mut pool: Vec<String> = (0..6).map(|i| iin(8000 + i * 100)).collect();
    pool.push(user_of(&t.db, "PARLIAMENT", "", false).await.iin);
    let w = World {
        orgs,
        pool,
        reviewer: a.reviewer.clone(),
        integrator: a.integrator.clone(),
    };
    let mut log = Vec::new();
    for step in 0..150 {
        let today = audit_hub::authz::principal::local_day(s.clock.now());
        let users = users_state(&t.db).await;
        let head_of = |org: i64| {
            users
                .iter()
                .find(|u| u.organization_id == org && u.is_head)
                .map(|u| u.iin.clone())
        };
        let registered: Vec<&UserState> =
            users.iter().filter(|u| w.pool.contains(&u.iin)).collect();
        let pick = |v: &[i64], r: &mut rand_chacha::ChaCha8Rng| {
            (!v.is_empty()).then(|| v[r.random_range(0..v.len())])
        };
        let what = match rng.random_range(0..9) {
            0 | 1 => {
                let org = w.orgs[rng.random_range(0..w.orgs.len())];
                let Some(head) = head_of(org) else { continue };
                let n = rng.random_range(1..=3);
                let mut listed: Vec<String> = Vec::new();
                while listed.len() < n {
                    let p = w.pool[rng.random_range(0..w.pool.len())].clone();
                    if !listed.contains(&p) {
                        listed.push(p);
                    }
                }
                let mut form =
                    application(listed.iter().map(|p| employee(p, "Кездейсоқ")).collect());
                form["input"]["systems"] = match rng.random_range(0..3) {
                    0 => json!(["ANALYTICS_CENTER"]),
                    1 => json!(["STATE_PLANNING"]),
                    _ => json!(["ANALYTICS_CENTER", "STATE_PLANNING"]),
                };
                let v = as_user(&mut s, &head, SUBMIT, form).await;
                refused_or_done(&v, "submit");
                format!("org {org} submits {listed:?}: {}", code(&v))
            }
            2 => {
                let Some(id) = pick(&apps_with(&t.db, "SUBMITTED").await, &mut rng) else {
                    continue;
                };
                let vars = if rng.random_bool(0.8) {
                    json!({ "id": id.to_string(), "d": "APPROVE" })
                } else {
                    json!({ "id": id.to_string(), "d": "REJECT", "c": "incomplete" })
                };
                let v = as_user(&mut s, &w.reviewer, REVIEW, vars).await;
                refused_or_done(&v, "review");
                format!("review {id}: {}", code(&v))
            }
            3 => {
                let Some(id) = pick(&apps_with(&t.db, "APPROVED").await, &mut rng) else {
                    continue;
                };
                let q = if rng.random_bool(0.5) {
                    GRANT
                } else {
                    GRANT_PARTIAL
                };
                let v = as_user(&mut s, &w.integrator, q, json!({ "id": id.to_string() })).await;
                refused_or_done(&v, "grant");
                format!("grant {id} (partial: {}): {}", q == GRANT_PARTIAL, code(&v))
            }
            4 => {
                let Some(id) = pick(&apps_with(&t.db, "APPROVED").await, &mut rng) else {
                    continue;
                };
                let v = as_user(
                    &mut s,
                    &w.integrator,
                    REFUSE,
                    json!({ "id": id.to_string(), "why": "random" }),
                )
                .await;
                refused_or_done(&v, "refuse");
                format!("refuse {id}: {}", code(&v))
            }
            5 => {
                let active: Vec<&&UserState> =
                    registered.iter().filter(|u| u.status == "ACTIVE").collect();
                if active.is_empty() {
                    continue;
                }
                let u = active[rng.random_range(0..active.len())];
                let Some(head) = head_of(u.organization_id) else {
                    continue;
                };
                let on = today + chrono::Duration::days(rng.random_range(-3..=3));
                let v = as_user(
                    &mut s,
                    &head,
                    REQUEST_BLOCK,
                    json!({ "u": u.id.to_string(), "on": on.to_string() }),
                )
                .await;
                refused_or_done(&v, "request block");
                format!("request block of {} from {on}: {}", u.id, code(&v))
            }
            6 => {
                if registered.is_empty() {
                    continue;
                }
                let u = registered[rng.random_range(0..registered.len())];
                let v = as_user(
                    &mut s,
                    &w.integrator,
                    BLOCK,
                    json!({ "u": u.id.to_string() }),
                )
                .await;
                refused_or_done(&v, "block");
                format!("block {}: {}", u.id, code(&v))
            }
            7 => {
                if registered.is_empty() {
                    continue;
                }
                let u = registered[rng.random_range(0..registered.len())];
                let org = if rng.random_bool(0.7) {
                    u.organization_id
                } else {
                    w.orgs[rng.random_range(0..w.orgs.len())]
                };
                let v = as_user(
                    &mut s,
                    &w.reviewer,
                    DESIGNATE,
                    json!({ "o": org.to_string(), "u": u.id.to_string() }),
                )
                .await;
                refused_or_done(&v, "designate");
                format!("designate {} head of {org}: {}", u.id, code(&v))
            }
            _ => {
                let days = rng.random_range(1..=40);
                s.clock.advance(chrono::Duration::days(days));
                format!("clock +{days} days")
            }
        };
        log.push(format!("{step}: {what}"));
        let today = audit_hub::authz::principal::local_day(s.clock.now());
        if let Err(e) = check_invariants(&t.db, today).await {
            panic!("seed {seed}: {e}\nsteps:\n{}", log.join("\n"));
        }
    }

    // Nothing is stuck: every open application reaches a final state by the actions offered.
    for id in apps_with(&t.db, "SUBMITTED").await {
        let v = as_user(
            &mut s,
            &w.reviewer,
            REVIEW,
            json!({ "id": id.to_string(), "d": "APPROVE" }),
        )
        .await;
        assert!(v.get("errors").is_none(), "review {id}: {v}");
    }
    for id in apps_with(&t.db, "APPROVED").await {
        let v = as_user(
            &mut s,
            &w.integrator,
            GRANT_PARTIAL,
            json!({ "id": id.to_string() }),
        )
        .await;
        if code(&v) == "NO_EMPLOYEE_GRANTABLE" {
            let v = as_user(
                &mut s,
                &w.integrator,
                REFUSE,
                json!({ "id": id.to_string(), "why": "nobody grantable" }),
            )
            .await;
            assert_eq!(
                v["data"]["refuseAccessApplication"]["status"], "REFUSED",
                "{v}"
            );
        } else {
            assert!(v.get("errors").is_none(), "grant {id}: {v}");
        }
    }
    for status in ["SUBMITTED", "APPROVED"] {
        assert!(
            apps_with(&t.db, status).await.is_empty(),
            "no application left {status}"
        );
    }
    let today = audit_hub::authz::principal::local_day(s.clock.now());
    check_invariants(&t.db, today)
        .await
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let decided = ["GRANTED", "REFUSED", "REJECTED"];
    let mut n = 0;
    for status in decided {
        n += apps_with(&t.db, status).await.len();
    }
    assert!(
        n >= 5,
        "the walk decided applications ({n}):\n{}",
        log.join("\n")
    );
    eprintln!("seed {seed}: {} steps, {n} applications decided", log.len());
}

/// Data written before identity became history (migrations up to 0009) comes through migration
/// 0010 whole: a membership per person (a blocked one's ended), one head per body, applications
/// and their employees kept (granted ones with their outcome), calendar overrides as transfers.
#[tokio::test]
async fn migration_0010_carries_earlier_data_over() {
    let t = TestDb::unmigrated().await;
    let postgres = t.backend() == audit_hub::store::Backend::Postgres;
    let statements = [
        "INSERT INTO territories (kato, kind, name_kk, name_ru) VALUES ('110000000', 'OBLAST', 'Ақмола', 'Акмолинская')",
        "INSERT INTO organizations (id, bin, kind, name_kk, name_ru, kato, budget_level) VALUES (1, '000000000001', 'MASLIKHAT', 'М', 'М', '110000000', 'REGIONAL'), (2, '000000000002', 'INTEGRATOR', 'И', 'И', '110000000', 'REPUBLICAN')",
        "INSERT INTO users (id, iin, surname, name, position, structural_unit, organization_id, is_head, status, created_at, blocked_at) VALUES
           (1, '000000000011', 'Head', 'A', 'p', 'u', 1, TRUE, 'ACTIVE', '2026-01-10T05:00:00+00:00', NULL),
           (2, '000000000012', 'Claimed', 'B', 'p', 'u', 1, TRUE, 'ACTIVE', '2026-02-10T05:00:00+00:00', NULL),
           (3, '000000000013', 'Left', 'C', 'p', 'u', 1, TRUE, 'BLOCKED', '2026-01-10T05:00:00+00:00', '2026-03-01T20:00:00+00:00'),
           (4, '000000000014', 'Staff', 'D', 'p', 'u', 2, FALSE, 'ACTIVE', '2026-01-10T05:00:00+00:00', NULL)",
        "INSERT INTO access_applications (id, organization_id, submitted_by, systems, head_full_name, executor_phone, executor_email, status, received_at, review_due, granted_by, granted_at)
           VALUES (1, 1, 1, 'ANALYTICS_CENTER', 'Head A', '+77011234567', 'e@m.kz', 'GRANTED', '2026-02-01T05:00:00+00:00', '2026-02-03T18:59:59+00:00', 4, '2026-02-04T05:00:00+00:00'),
                  (2, 1, 1, 'STATE_PLANNING', 'Head A', '+77011234567', 'e@m.kz', 'SUBMITTED', '2026-02-05T05:00:00+00:00', '2026-02-09T18:59:59+00:00', NULL, NULL)",
        "INSERT INTO application_employees (application_id, row_no, surname, name, iin, position, structural_unit, eqyzmet_qr, phone, email, purpose)
           VALUES (1, 1, 'Claimed', 'B', '000000000012', 'p', 'u', 'q', '+77011234567', 'b@m.kz', 'audit'),
                  (2, 1, 'New', 'E', '000000000015', 'p', 'u', 'q', '+77011234567', 'e@m.kz', 'audit')",
        "INSERT INTO access_grants (user_id, application_id, system, valid_from, valid_until, status, granted_by, granted_at)
           VALUES (2, 1, 'ANALYTICS_CENTER', '2026-02-04', '2027-02-03', 'ACTIVE', 4, '2026-02-04T05:00:00+00:00')",
        "INSERT INTO calendar_days (day, is_working, kind, note) VALUES ('2026-06-13', TRUE, 'OVERRIDE', 'Decree No. 1')",
    ];
    let url = t.url.clone();
    if postgres {
        let pool = sqlx::PgPool::connect(&url).await.expect("connect");
        let m = sqlx::migrate!("migrations/postgres");
        m.run_to(9, &pool).await.expect("migrate to 0009");
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&pool)
                .await
                .expect(sql);
        }
        m.run(&pool).await.expect("migrate to the newest");
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
        let m = sqlx::migrate!("migrations/sqlite");
        m.run_to(9, &pool).await.expect("migrate to 0009");
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&pool)
                .await
                .expect(sql);
        }
        m.run(&pool).await.expect("migrate to the newest");
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&pool)
                .await
                .expect("foreign key check");
        assert!(
            broken.is_empty(),
            "foreign keys hold after the rebuild: {broken:?}"
        );
        pool.close().await;
    }
    let db = &t.db;

    let users = users_state(db).await;
    let heads: Vec<i64> = users.iter().filter(|u| u.is_head).map(|u| u.id).collect();
    assert_eq!(heads, vec![1], "one head per body, none blocked");
    let q = Query::select()
        .columns(["user_id", "organization_id", "ended_on"])
        .from("memberships")
        .order_by("user_id", sea_query::Order::Asc)
        .to_owned();
    let memberships: Vec<MembershipState> = db.all(&q).await.expect("memberships");
    let got: Vec<(i64, i64, Option<String>)> = memberships
        .iter()
        .map(|m| {
            (
                m.user_id,
                m.organization_id,
                m.ended_on.map(|d| d.to_string()),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, None),
            (2, 1, None),
            (3, 1, Some("2026-03-02".to_owned())),
            (4, 2, None)
        ],
        "a membership each; the blocked person's ended on the (Almaty) day of the block"
    );
    check_invariants(
        db,
        chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
    )
    .await
    .expect("invariants hold on migrated data");

    #[derive(Debug, PartialEq, sqlx::FromRow)]
    struct Employee {
        application_id: i64,
        outcome: Option<String>,
        user_id: Option<i64>,
    }
    let q = Query::select()
        .columns(["application_id", "outcome", "user_id"])
        .from("application_employees")
        .order_by("application_id", sea_query::Order::Asc)
        .to_owned();
    let employees: Vec<Employee> = db.all(&q).await.expect("employees");
    assert_eq!(
        employees,
        vec![
            Employee {
                application_id: 1,
                outcome: Some("GRANTED".into()),
                user_id: Some(2)
            },
            Employee {
                application_id: 2,
                outcome: None,
                user_id: None
            },
        ]
    );
    assert_eq!(apps_with(db, "GRANTED").await, vec![1]);
    assert_eq!(apps_with(db, "SUBMITTED").await, vec![2]);

    // The migrated database keeps working: a new application and a refusal state are accepted.
    let mut tx = db.begin().await.expect("begin");
    tx.raw(
        "UPDATE access_applications SET status = 'REFUSED', refusal_reason = 'test' WHERE id = 2",
    )
    .await
    .expect("the new state is allowed");
    tx.commit().await.expect("commit");

    let kinds: Vec<(String, String)> = {
        #[derive(sqlx::FromRow)]
        struct Day {
            day: chrono::NaiveDate,
            kind: String,
        }
        let q = Query::select()
            .columns(["day", "kind"])
            .from("calendar_days")
            .order_by("day", sea_query::Order::Asc)
            .to_owned();
        db.all::<Day>(&q)
            .await
            .expect("calendar")
            .into_iter()
            .map(|d| (d.day.to_string(), d.kind))
            .collect()
    };
    assert_eq!(
        kinds,
        vec![
            ("2025-01-03".to_owned(), "TRANSFER".to_owned()),
            ("2025-01-05".to_owned(), "TRANSFER".to_owned()),
            ("2026-06-13".to_owned(), "TRANSFER".to_owned()),
        ]
    );
}
