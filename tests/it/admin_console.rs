//! The admin console: `/admin` serves the page with its operations, and those operations, sent
//! exactly as the page sends them, take an application from review to an active grant for the
//! authorized body and the integrator, show expiring grants and block requests, and are refused
//! to an auditor. (The browser run of the same page is left to a headless-browser test.)

use crate::common;

use audit_hub::http::admin::OPERATIONS;
use common::{TestDb, TestServer, token, user_of};
use serde_json::{Value, json};

fn ops() -> Value {
    serde_json::from_str(OPERATIONS).expect("operations are JSON")
}

async fn call(s: &mut TestServer, iin: &str, op: &str, vars: Value) -> Value {
    s.token = Some(token(iin));
    s.gql(ops()[op].as_str().expect("operation"), vars).await
}

#[tokio::test]
async fn the_page_carries_its_operations() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    let resp = s.get("/admin").send().await.expect("admin");
    assert_eq!(resp.status(), 200);
    let csp = resp
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = resp.text().await.expect("html");
    for (name, op) in ops().as_object().expect("object") {
        let text = serde_json::to_string(op).expect("json");
        assert!(html.contains(&text), "{name} inlined");
    }
    assert!(
        csp.contains("connect-src 'self' wss://127.0.0.1:13579;"),
        "the page may reach NCALayer's own address and nothing else: {csp}"
    );
    assert!(html.contains("const NCALAYER = \"wss://127.0.0.1:13579\";"));
    for id in [
        "applications",
        "people",
        "person-grants",
        "application-employees",
        "pending-block-requests",
        "unreported-trainings",
        "expiring-grants",
        "months",
        "register-form",
        "sign-in",
        "token",
        "lang",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
    }
}

#[tokio::test]
async fn review_then_grant_makes_the_grant_active_and_auditors_are_refused() {
    let t = TestDb::with_demo(1).await;
    let head = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let reviewer = user_of(&t.db, "AUTHORIZED_BODY", "", true).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let mut s = TestServer::start(&t.db).await;
    s.token = Some(token(&head.iin));
    // A valid IIN (check digit computed) for the employee the application names.
    let employee = (0u8..10)
        .find_map(|d| audit_hub::domain::ident::complete([9, 0, 0, 1, 0, 1, 3, 0, 7, 7, d]))
        .expect("an IIN");
    let v = s
        .gql(
            "mutation($input: AccessApplicationInput!) { submitAccessApplication(input: $input) { id } }",
            json!({ "input": {
                "systems": ["ANALYTICS_CENTER"],
                "employees": [{
                    "surname": "Сейтқали", "name": "Айгерім", "patronymic": null, "iin": employee,
                    "position": "Бас маман", "structuralUnit": "Тексеру бөлімі", "eqyzmetQrCode": "EQ-1",
                    "phone": "+7 701 123 45 67", "email": "a@maslikhat.kz", "purpose": "Бюджетті бақылау"
                }],
                "headFullName": "Ахметов Асқар Серікұлы", "executorPhone": "+77011234567",
                "executorEmail": "exec@maslikhat.kz", "outgoingNumber": "01-15/123", "outgoingDate": "2025-06-02"
            }}),
        )
        .await;
    let id = v["data"]["submitAccessApplication"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("submitted: {v}"))
        .to_owned();
    let status_of = |v: &Value| -> Option<String> {
        v["data"]["accessApplications"]["nodes"]
            .as_array()?
            .iter()
            .find(|a| a["id"] == json!(id))
            .and_then(|a| a["status"].as_str().map(str::to_owned))
    };

    let steps: [(&str, &str, &str, Value, &str); 4] = [
        (
            "the authorized body sees it",
            &reviewer.iin,
            "applications",
            json!({}),
            "SUBMITTED",
        ),
        (
            "and approves it",
            &reviewer.iin,
            "review",
            json!({ "id": id, "decision": "APPROVE" }),
            "",
        ),
        (
            "the integrator sees it approved",
            &integrator.iin,
            "applications",
            json!({}),
            "APPROVED",
        ),
        (
            "and grants it",
            &integrator.iin,
            "grant",
            json!({ "id": id, "partial": false }),
            "",
        ),
    ];
    for (name, iin, op, vars, expected_status) in steps {
        let v = call(&mut s, iin, op, vars).await;
        assert!(v.get("errors").is_none(), "{name}: {v}");
        if !expected_status.is_empty() {
            assert_eq!(
                status_of(&v).as_deref(),
                Some(expected_status),
                "{name}: {v}"
            );
        }
    }
    let v = call(&mut s, &integrator.iin, "applications", json!({})).await;
    assert_eq!(status_of(&v).as_deref(), Some("GRANTED"));
    // The employee's grant waits for training, then is active.
    let granted = call(&mut s, &integrator.iin, "expiring", json!({ "days": 366 })).await;
    let user_id = granted["data"]["expiringGrants"]
        .as_array()
        .and_then(|g| {
            g.iter()
                .find(|g| g["status"] == "AWAITING_TRAINING")
                .map(|g| g["user"]["id"].clone())
        })
        .unwrap_or_else(|| panic!("the new grant awaits training: {granted}"));
    let today = common::today().to_string();
    let v = call(
        &mut s,
        &integrator.iin,
        "train",
        json!({ "userId": user_id, "on": today, "language": "KK" }),
    )
    .await;
    assert!(v.get("errors").is_none(), "{v}");
    let after = call(&mut s, &integrator.iin, "expiring", json!({ "days": 366 })).await;
    let statuses: Vec<&Value> = after["data"]["expiringGrants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter(|g| g["user"]["id"] == user_id)
        .map(|g| &g["status"])
        .collect();
    assert_eq!(statuses, vec![&json!("ACTIVE")], "{after}");
    let v = call(&mut s, &integrator.iin, "blockRequests", json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");

    // An auditor's head lists only its own body's applications, and may not grant or block.
    let auditor = user_of(&t.db, "PARLIAMENT", "", true).await;
    let v = call(&mut s, &auditor.iin, "applications", json!({})).await;
    assert_eq!(
        status_of(&v),
        None,
        "another body's application is not listed: {v}"
    );
    for (op, vars) in [
        ("grant", json!({ "id": id, "partial": false })),
        ("block", json!({ "userId": user_id })),
    ] {
        let v = call(&mut s, &auditor.iin, op, vars).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{op}: {v}"
        );
    }
}

#[tokio::test]
async fn the_console_labels_come_in_each_language_without_signing_in() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    let query = ops()["labels"]
        .as_str()
        .expect("labels operation")
        .to_owned();
    // Every value of every type the console shows, as the label file has it.
    let types = [
        "ApplicationStatus",
        "BodyKind",
        "CalendarDayKind",
        "ConflictKind",
        "EmployeeOutcome",
        "GrantStatus",
        "InformationSystem",
        "Language",
        "RegistrationKind",
    ];
    let wanted: Vec<[&str; 5]> = audit_hub::graphql::labels::all()
        .filter(|[ty, ..]| types.contains(ty))
        .collect();
    for (i, lang) in ["kk", "ru", "en"].into_iter().enumerate() {
        let v = s.gql_lang(&query, json!({}), Some(lang)).await;
        let got: Vec<(String, String, String)> = v["data"]["enumLabels"]
            .as_array()
            .unwrap_or_else(|| panic!("{lang}: {v}"))
            .iter()
            .map(|l| {
                let text = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
                (text("type"), text("value"), text("label"))
            })
            .collect();
        let expected: Vec<(String, String, String)> = wanted
            .iter()
            .map(|row| (row[0].to_owned(), row[1].to_owned(), row[2 + i].to_owned()))
            .collect();
        assert_eq!(got, expected, "{lang}");
    }
}

/// The console's own operations show the reviewer whom an application names, grant the
/// employees without conflicts, and refuse an application nobody on it can be granted.
#[tokio::test]
async fn the_console_shows_conflicts_grants_the_others_and_refuses() {
    use common::workflow::{REVIEW, application, employee, iin};
    let t = TestDb::with_demo(1).await;
    let head = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let reviewer = user_of(&t.db, "AUTHORIZED_BODY", "", true).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let stranger = user_of(&t.db, "PARLIAMENT", "", false).await;
    let mut s = TestServer::start(&t.db).await;
    let mut ids = Vec::new();
    for employees in [
        vec![
            employee(&iin(6100), "Жаңа"),
            employee(&stranger.iin, "Бөтен"),
        ],
        vec![employee(&stranger.iin, "Бөтен")],
    ] {
        s.token = Some(token(&head.iin));
        let v = s
            .gql(
                "mutation($input: AccessApplicationInput!) { submitAccessApplication(input: $input) { id } }",
                application(employees),
            )
            .await;
        let id = v["data"]["submitAccessApplication"]["id"].clone();
        s.token = Some(token(&reviewer.iin));
        s.gql(REVIEW, json!({ "id": id, "d": "APPROVE" })).await;
        ids.push(id);
    }
    // The list shows how many on each application are in conflict; the detail says who and why.
    let v = call(&mut s, &integrator.iin, "applications", json!({})).await;
    let listed = |id: &Value| {
        v["data"]["accessApplications"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|a| a["id"] == *id)
            .cloned()
            .expect("listed")
    };
    let in_conflict: Vec<usize> = ids
        .iter()
        .map(|id| {
            listed(id)["employees"]
                .as_array()
                .expect("employees")
                .iter()
                .filter(|e| e["conflicts"].as_array().is_some_and(|c| !c.is_empty()))
                .count()
        })
        .collect();
    assert_eq!(in_conflict, vec![1, 1]);
    let detail = call(
        &mut s,
        &integrator.iin,
        "application",
        json!({ "id": ids[0] }),
    )
    .await;
    let listed = |_: &Value| detail["data"]["accessApplication"].clone();
    let first = listed(&ids[0]);
    let regs: Vec<(&Value, &Value)> = first["employees"]
        .as_array()
        .expect("employees")
        .iter()
        .map(|e| (&e["registration"], &e["conflicts"]))
        .collect();
    assert_eq!(
        regs,
        vec![
            (&json!("NONE"), &json!([])),
            (
                &json!("OTHER_BODY"),
                &json!([{ "kind": "REGISTERED_ELSEWHERE", "system": null }])
            ),
        ]
    );
    assert!(first["employees"][1]["registeredAt"]["name"].is_string());

    let v = call(
        &mut s,
        &integrator.iin,
        "grant",
        json!({ "id": ids[0], "partial": true }),
    )
    .await;
    let grants = v["data"]["grantAccess"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(grants.len(), 2, "the new employee, both systems: {v}");
    assert!(
        grants
            .iter()
            .all(|g| g["user"]["fullName"] == "Жаңа Айгерім")
    );
    let v = call(
        &mut s,
        &integrator.iin,
        "refuse",
        json!({ "id": ids[1], "reason": "сотрудник другого органа" }),
    )
    .await;
    assert_eq!(
        v["data"]["refuseAccessApplication"]["status"], "REFUSED",
        "{v}"
    );
}
