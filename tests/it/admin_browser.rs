//! The admin console in a real browser (headless Chromium over WebDriver): the integrator signs
//! in, with the console in Russian, grants an approved application, sees it granted, records the
//! employee's training and sees the grant active, then blocks the employee and sees the grant
//! revoked; a screenshot of the console is saved and its path printed.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`; `.ci/run`
//! installs them). Without them the test says so and passes, unless
//! `AUDIT_HUB_BROWSER_TESTS=required` (set by `.ci/run`), where it fails instead.

use crate::common;

use common::browser::Browser;
use common::{TestDb, TestServer, token, user_of};
use fantoccini::Locator;
use serde_json::{Value, json};

/// The Russian label of an enum value, as the label file has it.
fn ru(type_name: &str, value: &str) -> &'static str {
    audit_hub::graphql::labels::all()
        .find(|[t, v, ..]| *t == type_name && *v == value)
        .map(|[.., ru, _]| ru)
        .unwrap_or_else(|| panic!("no label for {type_name}.{value}"))
}

/// An application of a maslikhat, approved by the authorized body; its id.
async fn approved_application(s: &mut TestServer, t: &TestDb) -> String {
    let head = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let reviewer = user_of(&t.db, "AUTHORIZED_BODY", "", true).await;
    let employee = (0u8..10)
        .find_map(|d| audit_hub::domain::ident::complete([9, 0, 0, 1, 0, 1, 3, 0, 8, 8, d]))
        .expect("an IIN");
    s.token = Some(token(&head.iin));
    let v = s
        .gql(
            "mutation($input: AccessApplicationInput!) { submitAccessApplication(input: $input) { id } }",
            json!({ "input": {
                "systems": ["ANALYTICS_CENTER"],
                "employees": [{
                    "surname": "Сейтқали", "name": "Айгерім", "patronymic": null, "iin": employee,
                    "position": "Бас маман", "structuralUnit": "Тексеру бөлімі", "eqyzmetQrCode": "EQ-2",
                    "phone": "+7 701 123 45 67", "email": "b@maslikhat.kz", "purpose": "Бюджетті бақылау"
                }],
                "headFullName": "Ахметов Асқар Серікұлы", "executorPhone": "+77011234567",
                "executorEmail": "exec@maslikhat.kz", "outgoingNumber": "01-15/124", "outgoingDate": "2025-06-02"
            }}),
        )
        .await;
    let id = v["data"]["submitAccessApplication"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("submitted: {v}"))
        .to_owned();
    s.token = Some(token(&reviewer.iin));
    let v: Value = s
        .gql(
            "mutation($id: ID!) { reviewAccessApplication(id: $id, decision: APPROVE) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        v["data"]["reviewAccessApplication"]["status"], "APPROVED",
        "{v}"
    );
    id
}

/// An attribute of the first element matching `css`.
async fn attribute(c: &fantoccini::Client, css: &str, name: &str) -> Option<String> {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr(name)
        .await
        .unwrap_or_else(|e| panic!("{css} {name}: {e}"))
}

#[tokio::test]
#[cfg_attr(
    no_browser,
    ignore = "needs chromium and chromedriver on the PATH (Debian chromium, chromium-driver)"
)]
async fn the_integrator_grants_an_application_in_the_browser_and_sees_it_active() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    let t = TestDb::with_demo(1).await;
    let mut s = TestServer::start(&t.db).await;
    let id = approved_application(&mut s, &t).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;

    // Sign in, in Russian: the console keeps the token and the language where its token field
    // and language picker put them.
    c.goto(&s.url("/admin")).await.expect("open console");
    c.execute(
        "localStorage.setItem('audit-hub-token', arguments[0]); \
         localStorage.setItem('audit-hub-lang', 'ru'); location.reload();",
        vec![json!(token(&integrator.iin))],
    )
    .await
    .expect("sign in");
    browser.wait_for_text("#who", |t| !t.is_empty()).await;
    let heading = browser.wait_for_text("section h2", |t| !t.is_empty()).await;
    assert_eq!(heading, "Заявки");

    let row = format!("#applications tr[data-id=\"{id}\"]");
    browser
        .wait_for_text(&format!("{row} .status"), |t| {
            t == ru("ApplicationStatus", "APPROVED")
        })
        .await;
    // The reviewer's view of whom the application names: the employee, not yet registered.
    let employees = browser
        .wait_for_text(
            &format!("#applications tr.employees[data-application-id=\"{id}\"]"),
            |t| t.contains("Сейтқали"),
        )
        .await;
    assert!(
        employees.contains(ru("RegistrationKind", "NONE")),
        "{employees}"
    );
    c.find(Locator::Css(&format!(
        "{row} button[data-action=\"grant\"]"
    )))
    .await
    .expect("grant button")
    .click()
    .await
    .expect("click grant");
    browser
        .wait_for_text(&format!("{row} .status"), |t| {
            t == ru("ApplicationStatus", "GRANTED")
        })
        .await;

    // The employee's new grant waits for training; recording it makes the grant active.
    let awaiting = ru("GrantStatus", "AWAITING_TRAINING");
    browser
        .wait_for_text("#granted tbody", |t| t.contains(awaiting))
        .await;
    c.find(Locator::Css("#granted button[data-action=\"trained\"]"))
        .await
        .expect("trained button")
        .click()
        .await
        .expect("click trained");
    let table = browser
        .wait_for_text("#granted tbody", |t| {
            t.contains(ru("GrantStatus", "ACTIVE")) && !t.contains(awaiting)
        })
        .await;
    assert!(table.contains("Сейтқали"), "{table}");
    let status = attribute(c, "#granted tbody .status", "data-status").await;
    assert_eq!(status.as_deref(), Some("ACTIVE"));
    browser.screenshot("admin-console").await;

    // The employee leaves: the integrator blocks them from the form, confirms, and the grant
    // shows revoked.
    let user_id = attribute(c, "#granted tbody tr", "data-user-id")
        .await
        .expect("the row names its user");
    c.find(Locator::Css("#block input[name=\"userId\"]"))
        .await
        .expect("user id field")
        .send_keys(&user_id)
        .await
        .expect("type user id");
    c.find(Locator::Css("#block button[type=\"submit\"]"))
        .await
        .expect("block button")
        .click()
        .await
        .expect("click block");
    c.accept_alert().await.expect("confirm the block");
    browser
        .wait_for_text("#granted tbody .status", |t| {
            t == ru("GrantStatus", "REVOKED")
        })
        .await;
    browser.close().await;
}
