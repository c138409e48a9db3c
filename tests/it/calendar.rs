//! The working-day calendar over GraphQL, and the integrator's corrections.

use crate::common;

use common::{TestDb, TestServer, user_of};
use serde_json::{Value, json};

const DEADLINE: &str =
    "query($from: Date!, $n: Int!) { workingDayDeadline(from: $from, days: $n) }";
const SET: &str = "mutation($d: Date!, $w: Boolean, $note: String) {
  setCalendarDay(date: $d, working: $w, note: $note) { date working kind note } }";

async fn deadline(s: &TestServer, from: &str, n: i32) -> String {
    s.data(DEADLINE, json!({ "from": from, "n": n })).await["workingDayDeadline"]
        .as_str()
        .expect("date")
        .to_owned()
}

#[tokio::test]
async fn the_calendar_knows_holidays_carry_overs_and_kurban_ait() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let d = s
        .data("{ calendar(year: 2026) { date working kind } }", json!({}))
        .await;
    let days: Vec<(String, String)> = d["calendar"]
        .as_array()
        .expect("days")
        .iter()
        .map(|x| {
            (
                x["date"].as_str().unwrap_or("").to_owned(),
                x["kind"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for (date, kind) in [
        ("2026-03-21", "HOLIDAY"),
        ("2026-03-23", "HOLIDAY"),
        ("2026-03-24", "CARRY_OVER"),
        ("2026-03-25", "CARRY_OVER"),
        ("2026-05-27", "DAY_OFF_NO_CARRY"),
        ("2026-01-07", "DAY_OFF_NO_CARRY"),
        ("2026-05-11", "CARRY_OVER"),
    ] {
        assert!(
            days.contains(&(date.to_owned(), kind.to_owned())),
            "{date} {kind} in {days:?}"
        );
    }
    assert_eq!(deadline(&s, "2026-03-20", 2).await, "2026-03-27");
    let v = s
        .gql(DEADLINE, json!({ "from": "2026-03-20", "n": -1 }))
        .await;
    assert_eq!(v["errors"][0]["extensions"]["field"], "days");
}

#[tokio::test]
async fn the_integrator_transfers_days_and_auditors_cannot() {
    let t = TestDb::with_demo(1).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&integrator.iin);
    assert_eq!(deadline(&s, "2026-01-02", 1).await, "2026-01-05");

    // A transfer makes Saturday 3 January a working day and Monday 5 January a day off.
    let d = s
        .data(
            SET,
            json!({ "d": "2026-01-03", "w": true, "note": "Decree No. 1" }),
        )
        .await;
    assert_eq!(
        d["setCalendarDay"],
        json!({ "date": "2026-01-03", "working": true, "kind": "TRANSFER", "note": "Decree No. 1" })
    );
    s.data(
        SET,
        json!({ "d": "2026-01-05", "w": false, "note": "Decree No. 1" }),
    )
    .await;
    assert_eq!(deadline(&s, "2026-01-02", 1).await, "2026-01-03");
    assert_eq!(deadline(&s, "2026-01-02", 2).await, "2026-01-06");

    // Every body but the integrator is refused, and the calendar stays as it is.
    for (kind, kato) in [
        ("PARLIAMENT", ""),
        ("SUPREME_AUDIT_CHAMBER", ""),
        ("INTERNAL_STATE_AUDIT_AUTHORITY", ""),
        ("MASLIKHAT", "11"),
        ("REVISION_COMMISSION", "11"),
        ("CENTRAL_BODY_INTERNAL_AUDIT", ""),
        ("REGIONAL_EXECUTIVE_INTERNAL_AUDIT", "11"),
        ("POLICE_INTERNAL_AUDIT", "11"),
        ("AUTHORIZED_BODY", ""),
    ] {
        let user = user_of(&t.db, kind, kato, true).await;
        let other = TestServer::start(&t.db).await.with_user(&user.iin);
        let v = other
            .gql(SET, json!({ "d": "2026-01-03", "w": false }))
            .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{kind}: {v}"
        );
    }
    let anonymous = TestServer::start(&t.db).await;
    let v = anonymous.gql(SET, json!({ "d": "2026-01-03" })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        deadline(&s, "2026-01-02", 1).await,
        "2026-01-03",
        "refusals changed nothing"
    );

    // Removing the transfers restores the rules.
    s.data(SET, json!({ "d": "2026-01-03" })).await;
    s.data(SET, json!({ "d": "2026-01-05" })).await;
    assert_eq!(deadline(&s, "2026-01-02", 1).await, "2026-01-05");
}

/// Every mutation of the schema, with arguments, as each auditor role would send it.
const MUTATIONS: &[(&str, &str)] = &[
    (
        "setCalendarDay",
        "mutation { setCalendarDay(date: \"2026-01-03\", working: false) { date } }",
    ),
    (
        "submitAccessApplication",
        "mutation { submitAccessApplication(input: { systems: [ANALYTICS_CENTER], employees: [{ surname: \"A\", name: \"B\", iin: \"000000000101\", position: \"P\", structuralUnit: \"U\", eqyzmetQrCode: \"Q\", phone: \"+77011234567\", email: \"a@b.kz\", purpose: \"audit\" }], headFullName: \"H\", executorPhone: \"+77011234567\", executorEmail: \"e@b.kz\" }) { id } }",
    ),
    (
        "reviewAccessApplication",
        "mutation { reviewAccessApplication(id: \"1\", decision: APPROVE) { id } }",
    ),
    (
        "grantAccess",
        "mutation { grantAccess(applicationId: \"1\") { id } }",
    ),
    (
        "recordTraining",
        "mutation { recordTraining(userId: \"1\", completedOn: \"2026-11-20\", language: KK) { id } }",
    ),
    (
        "registerAccessApplication",
        "mutation { registerAccessApplication(organizationId: \"1\", incomingNumber: \"1\", receivedOn: \"2026-11-20\", input: { systems: [ANALYTICS_CENTER], employees: [{ surname: \"A\", name: \"B\", iin: \"000000000101\", position: \"P\", structuralUnit: \"U\", eqyzmetQrCode: \"Q\", phone: \"+77011234567\", email: \"a@b.kz\", purpose: \"audit\" }], headFullName: \"H\", executorPhone: \"+77011234567\", executorEmail: \"e@b.kz\" }) { id } }",
    ),
    (
        "refuseAccessApplication",
        "mutation { refuseAccessApplication(id: \"1\", reason: \"conflicts\") { id } }",
    ),
    (
        "designateHead",
        "mutation { designateHead(organizationId: \"1\", userId: \"1\") { id } }",
    ),
    ("blockUser", "mutation { blockUser(userId: \"1\") { id } }"),
    (
        "requestBlock",
        "mutation { requestBlock(userId: \"1\", terminatedOn: \"2026-11-20\", reason: \"dismissed\") { id } }",
    ),
    (
        "reportTraining",
        "mutation { reportTraining(trainingId: \"1\") { id } }",
    ),
];

#[tokio::test]
async fn every_mutation_is_refused_to_every_auditor_role() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    // The table above must list every mutation the schema has.
    let d = s
        .data(
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut names: Vec<&str> = d["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    names.sort_unstable();
    let mut listed: Vec<&str> = MUTATIONS.iter().map(|(n, _)| *n).collect();
    listed.sort_unstable();
    assert_eq!(names, listed, "every mutation is covered");

    for (kind, kato) in [
        ("PARLIAMENT", ""),
        ("SUPREME_AUDIT_CHAMBER", ""),
        ("INTERNAL_STATE_AUDIT_AUTHORITY", ""),
        ("MASLIKHAT", "11"),
        ("REVISION_COMMISSION", "75"),
        ("CENTRAL_BODY_INTERNAL_AUDIT", ""),
        ("REGIONAL_EXECUTIVE_INTERNAL_AUDIT", "61"),
        ("POLICE_INTERNAL_AUDIT", "35"),
        ("POLICE_INTERNAL_AUDIT", "71"),
    ] {
        let user = user_of(&t.db, kind, kato, true).await;
        let auditor = TestServer::start(&t.db).await.with_user(&user.iin);
        for (name, doc) in MUTATIONS {
            // Heads of oversight bodies may apply for access and ask to block their own leavers:
            // workflow writes that read no data. Every other mutation is refused.
            if matches!(*name, "submitAccessApplication" | "requestBlock") {
                continue;
            }
            let v: Value = auditor.gql(doc, json!({})).await;
            assert_eq!(
                v["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{kind} {kato}: {name}: {v}"
            );
        }
    }
    // An employee of such a body who is not its head may not even apply.
    let staff = user_of(&t.db, "PARLIAMENT", "", false).await;
    let employee = TestServer::start(&t.db).await.with_user(&staff.iin);
    for (name, doc) in MUTATIONS {
        let v: Value = employee.gql(doc, json!({})).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "Parliament employee: {name}: {v}"
        );
    }
}
