//! The office console in a real browser (headless Chromium over WebDriver), in Russian and in
//! Kazakh: the integrator signs in through a stand-in NCALayer (a WebSocket server here that
//! speaks NCALayer's `commonUtils` protocol and signs the challenge as CMS with an
//! OpenSSL-made test certificate the server trusts), finds a person by IIN and opens their
//! page, opens an application with a conflict and refuses it with a reason, grants another,
//! and marks a Saturday as a working day; then enters an application received on paper, which
//! the API refuses to the integrator and takes from the authorized body. Each step is checked
//! against the API, each view is checked with axe-core, and screenshots are saved and printed.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`; `.ci/run`
//! installs them). Without them the test says so and passes, unless
//! `AUDIT_HUB_BROWSER_TESTS=required` (set by `.ci/run`), where it fails instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common;

use audit_hub::authz::certificate::TrustAnchors;
use audit_hub::domain::lang::Lang;
use audit_hub::graphql::labels::label;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::browser::Browser;
use common::openssl::{LeafSpec, OpenSsl, RSA};
use common::workflow::{REVIEW, SUBMIT, actors, application, as_user, employee, iin};
use common::{TestDb, TestServer, bin_of, user_of};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// A stand-in NCALayer on 127.0.0.1: greets as NCALayer does, and answers
/// `commonUtils.createCMSSignatureFromBase64` with an attached CMS over the decoded data made
/// by OpenSSL with `signer` (certificate and key files). Its address, and how many it signed.
async fn ncalayer(ssl: Arc<OpenSsl>, signer: (String, String)) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("ws://{}", listener.local_addr().expect("address"));
    let signed = Arc::new(AtomicUsize::new(0));
    let count = signed.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (ssl, signer, count) = (ssl.clone(), signer.clone(), count.clone());
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream)
                    .await
                    .expect("WebSocket handshake");
                let greeting = json!({ "result": { "version": "1.4" } }).to_string();
                ws.send(Message::text(greeting)).await.expect("greet");
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let request: Value = serde_json::from_str(text.as_str()).expect("JSON");
                    assert_eq!(
                        request["module"], "kz.gov.pki.knca.commonUtils",
                        "{request}"
                    );
                    assert_eq!(request["method"], "createCMSSignatureFromBase64");
                    let data = STANDARD
                        .decode(request["args"][2].as_str().expect("data"))
                        .expect("base64");
                    let content = String::from_utf8(data).expect("the challenge is text");
                    let (ssl, signer) = (ssl.clone(), signer.clone());
                    let cms = tokio::task::spawn_blocking(move || {
                        ssl.sign(RSA, &signer, &content, true, true)
                    })
                    .await
                    .expect("sign");
                    count.fetch_add(1, Ordering::SeqCst);
                    let answer = json!({ "code": "200", "message": "", "responseObject": cms });
                    ws.send(Message::text(answer.to_string()))
                        .await
                        .expect("answer");
                }
            });
        }
    });
    (address, signed)
}

/// What a round types, in its language.
struct Words {
    lang: Lang,
    code: &'static str,
    applications: &'static str,
    refusal: &'static str,
    basis: &'static str,
}

const ROUNDS: [Words; 2] = [
    Words {
        lang: Lang::Ru,
        code: "ru",
        applications: "Заявки",
        refusal: "Сотрудник состоит в штате другого органа",
        basis: "Постановление Правительства РК о переносе выходных дней",
    },
    Words {
        lang: Lang::Kk,
        code: "kk",
        applications: "Өтінімдер",
        refusal: "Қызметкер басқа органның штатында тұр",
        basis: "ҚР Үкіметінің демалыс күндерін ауыстыру туралы қаулысы",
    },
];

/// An application of the maslikhat naming `employees`, approved by the authorized body; its id.
async fn approved(s: &mut TestServer, head: &str, reviewer: &str, employees: Vec<Value>) -> String {
    let v = as_user(s, head, SUBMIT, application(employees)).await;
    let id = v["data"]["submitAccessApplication"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("submitted: {v}"))
        .to_owned();
    let v = as_user(s, reviewer, REVIEW, json!({ "id": id, "d": "APPROVE" })).await;
    assert_eq!(
        v["data"]["reviewAccessApplication"]["status"], "APPROVED",
        "{v}"
    );
    id
}

/// Fills the registration form for the body `organization` with one employee, `employee`,
/// and submits it.
async fn fill_registration(browser: &Browser, organization: &Value, employee: &str) {
    browser
        .wait_until(
            "the registration form ready",
            "document.querySelectorAll('#reg-organization option').length > 1 && document.getElementById('reg-e1-iin')",
        )
        .await;
    browser
        .client
        .execute(
            "document.getElementById('reg-organization').value = arguments[0];",
            vec![organization.clone()],
        )
        .await
        .expect("choose the body");
    for (css, text) in [
        ("#reg-incoming", "ВХ-2026/118"),
        ("#reg-head", "Ахметов Асқар Серікұлы"),
        ("#reg-phone", "+7 701 555 44 33"),
        ("#reg-email", "kense@maslikhat.kz"),
        ("#reg-e1-surname", "Жақыпова"),
        ("#reg-e1-name", "Әлия"),
        ("#reg-e1-iin", employee),
        ("#reg-e1-position", "Бас маман"),
        ("#reg-e1-structuralUnit", "Тексеру бөлімі"),
        ("#reg-e1-eqyzmetQrCode", "EQ-7401"),
        ("#reg-e1-phone", "+7 701 555 44 34"),
        ("#reg-e1-email", "aliya@maslikhat.kz"),
        ("#reg-e1-purpose", "Бюджетті бақылау"),
    ] {
        browser.type_into(css, text).await;
    }
    browser
        .click("#reg-systems input[value=\"ANALYTICS_CENTER\"]")
        .await;
    browser
        .click("#register-form button[type=\"submit\"]")
        .await;
}

/// Moves the console to `hash` and waits for the view's heading.
async fn open(browser: &Browser, hash: &str, view: &str) {
    browser
        .client
        .execute("location.hash = arguments[0];", vec![json!(hash)])
        .await
        .expect("navigate");
    browser
        .wait_until(
            &format!("{hash} shown"),
            &format!("!document.getElementById('view-{view}').hidden"),
        )
        .await;
}

async fn round(browser: &Browser, w: &Words) {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    let a = actors(db).await;
    let integrator = user_of(db, "INTEGRATOR", "", true).await;
    let bin = bin_of(db, integrator.id).await;
    let ssl = Arc::new(OpenSsl::new());
    let ca = ssl.ca(RSA, "Test NCA");
    let signer = ssl.leaf(
        RSA,
        &ca,
        "integrator",
        &LeafSpec::new(&integrator.iin, &bin),
    );
    let anchors = Arc::new(TrustAnchors::from_pem(&std::fs::read(&ca).expect("CA")).expect("CA"));
    let (address, signed) = ncalayer(ssl.clone(), signer).await;
    let mut s = TestServer::start_with(db, |c| {
        c.with_trust_anchors(anchors).with_ncalayer(&address)
    })
    .await;

    // The data: an application naming a member of another body (a conflict), and a clean one.
    let other = user_of(db, "PARLIAMENT", "", true).await;
    let conflicted = approved(
        &mut s,
        &a.head,
        &a.reviewer,
        vec![employee(&other.iin, "Омаров")],
    )
    .await;
    let clean = approved(
        &mut s,
        &a.head,
        &a.reviewer,
        vec![employee(&iin(7201), "Сейтқали")],
    )
    .await;

    // Sign in through NCALayer: the page asks it to sign the challenge, posts the CMS, and
    // keeps the token it gets.
    let c = &browser.client;
    c.goto(&s.url(&format!("/admin?lang={}", w.code)))
        .await
        .expect("open console");
    browser.click("#sign-in").await;
    let who = browser.wait_for_text("#who", |t| !t.is_empty()).await;
    assert_eq!(signed.load(Ordering::SeqCst), 1, "NCALayer signed once");
    let nav = browser
        .wait_for_text("nav.views a[data-view=\"applications\"]", |t| !t.is_empty())
        .await;
    assert_eq!(nav, w.applications, "{}", w.code);
    let token = browser
        .wait_until("token kept", "localStorage.getItem('audit-hub-token')")
        .await;
    s.token = token.as_str().map(str::to_owned);
    let me = s.data("{ me { user { iin fullName } } }", json!({})).await;
    assert_eq!(me["me"]["user"]["iin"], integrator.iin.as_str());
    assert!(
        who.contains(me["me"]["user"]["fullName"].as_str().expect("name")),
        "{who}"
    );
    browser
        .wait_until(
            "applications listed",
            &format!("document.querySelector('#applications tr[data-id=\"{conflicted}\"]')"),
        )
        .await;
    browser
        .accessibility(&format!("console applications ({})", w.code))
        .await;

    // Find a person by IIN and open their page.
    open(browser, "#people", "people").await;
    browser.type_into("#people-query", &a.head).await;
    browser
        .wait_until(
            "the IIN typed",
            &format!(
                "document.getElementById('people-query').value === '{}'",
                a.head
            ),
        )
        .await;
    browser
        .click("#people-search button[type=\"submit\"]")
        .await;
    let row = format!("#people tr[data-iin=\"{}\"] a", a.head);
    // The view first lists everyone it may; the search's answer replaces that list with the
    // one person who has this IIN.
    browser
        .wait_until(
            "the person found, alone",
            &format!(
                "document.querySelectorAll('#people tbody tr').length === 1 && document.querySelector('{row}')"
            ),
        )
        .await;
    browser.click(&row).await;
    let title = browser
        .wait_for_text("#person-title", |t| !t.is_empty())
        .await;
    browser
        .wait_until(
            "memberships shown",
            "document.querySelectorAll('#person-memberships tbody tr').length > 0",
        )
        .await;
    let facts = browser
        .wait_for_text("#person-facts", |t| !t.is_empty())
        .await;
    assert!(facts.contains(&a.head), "{facts}");
    assert!(!title.is_empty());
    browser
        .screenshot(&format!("console-{}-person", w.code))
        .await;
    browser
        .accessibility(&format!("console person ({})", w.code))
        .await;

    // The application with a conflict: the employee shows it; refused with a reason.
    open(
        browser,
        &format!("#application/{conflicted}"),
        "application",
    )
    .await;
    let conflict = label("ConflictKind", "REGISTERED_ELSEWHERE", w.lang);
    let employees = browser
        .wait_for_text("#application-employees tr.conflict", |t| {
            t.contains(conflict)
        })
        .await;
    assert!(employees.contains(&other.iin), "{employees}");
    browser.type_into("#decline-reason", w.refusal).await;
    browser.click("#decline-submit").await;
    browser
        .wait_until(
            "refused",
            "document.getElementById('view-application').dataset.status === 'REFUSED'",
        )
        .await;
    let shown = browser
        .wait_for_text("#application-facts", |t| t.contains(w.refusal))
        .await;
    assert!(
        shown.contains(label("ApplicationStatus", "REFUSED", w.lang)),
        "{shown}"
    );
    let v = s
        .data(
            "query($id: ID!) { accessApplication(id: $id) { status refusalReason } }",
            json!({ "id": conflicted }),
        )
        .await;
    assert_eq!(v["accessApplication"]["status"], "REFUSED");
    assert_eq!(v["accessApplication"]["refusalReason"], w.refusal);
    browser
        .screenshot(&format!("console-{}-refused", w.code))
        .await;
    browser
        .accessibility(&format!("console application ({})", w.code))
        .await;

    // The clean application: granted.
    open(browser, &format!("#application/{clean}"), "application").await;
    browser
        .wait_until(
            "the clean application shown",
            &format!(
                "document.getElementById('view-application').dataset.id === '{clean}' && !document.getElementById('grant').hidden"
            ),
        )
        .await;
    browser.click("#grant").await;
    browser
        .wait_until(
            "granted",
            "document.getElementById('view-application').dataset.status === 'GRANTED'",
        )
        .await;
    let v = s
        .data(
            "query($id: ID!) { accessApplication(id: $id) { status employees { userId outcome } } }",
            json!({ "id": clean }),
        )
        .await;
    assert_eq!(v["accessApplication"]["status"], "GRANTED", "{v}");
    let user = v["accessApplication"]["employees"][0]["userId"].clone();
    let grants = s
        .data(
            "query($u: ID!) { grantHistory(userId: $u) { system } }",
            json!({ "u": user }),
        )
        .await;
    assert_eq!(
        grants["grantHistory"].as_array().map(Vec::len),
        Some(2),
        "both systems granted: {grants}"
    );

    // The calendar: an ordinary Saturday becomes a working day by a transfer with its basis.
    open(browser, "#calendar", "calendar").await;
    let saturday = browser
        .wait_until(
            "an ordinary Saturday",
            "[...document.querySelectorAll('#months button[data-kind=\"WEEKEND\"]')]\
               .map((b) => b.dataset.date)\
               .find((d) => new Date(d + 'T00:00:00Z').getUTCDay() === 6 && d.slice(5, 7) === '06')",
        )
        .await;
    let saturday = saturday.as_str().expect("date").to_owned();
    browser
        .click(&format!("#months button[data-date=\"{saturday}\"]"))
        .await;
    browser.type_into("#day-note", w.basis).await;
    browser.click("#day-editor button[type=\"submit\"]").await;
    browser
        .wait_until(
            "the Saturday is a working day",
            &format!(
                "(() => {{ const b = document.querySelector('#months button[data-date=\"{saturday}\"]'); \
                 return b && b.dataset.kind === 'TRANSFER' && b.dataset.working === 'true'; }})()"
            ),
        )
        .await;
    let year: i32 = saturday[..4].parse().expect("year");
    let v = s
        .data(
            "query($y: Int!) { calendar(year: $y) { date working kind note } }",
            json!({ "y": year }),
        )
        .await;
    let day = v["calendar"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == saturday.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{saturday} in {v}"));
    assert_eq!(
        day,
        json!({ "date": saturday, "working": true, "kind": "TRANSFER", "note": w.basis })
    );
    browser
        .screenshot(&format!("console-{}-calendar", w.code))
        .await;
    browser
        .accessibility(&format!("console calendar ({})", w.code))
        .await;

    // The deadlines view and the registration form pass the same checks.
    open(browser, "#follow-up", "follow-up").await;
    browser
        .wait_until(
            "downloads offered",
            "document.querySelectorAll('p.downloads button').length === 8",
        )
        .await;
    browser
        .screenshot(&format!("console-{}-deadlines", w.code))
        .await;
    browser
        .accessibility(&format!("console deadlines ({})", w.code))
        .await;
    open(browser, "#register", "register").await;
    browser
        .wait_until(
            "the form ready",
            "document.querySelectorAll('#reg-organization option').length > 1",
        )
        .await;
    browser
        .accessibility(&format!("console registration ({})", w.code))
        .await;

    // An application received through the document system, entered by the form (the
    // integrator may not register one: the API refuses, in the page's language).
    let body = s
        .clone_as(&a.head)
        .data("{ me { organization { id } } }", json!({}))
        .await;
    let organization = body["me"]["organization"]["id"].clone();
    let employee_iin = iin(7401);
    fill_registration(browser, &organization, &employee_iin).await;
    let refused = browser
        .wait_for_text("#message.error", |t| !t.is_empty())
        .await;
    let forbidden = audit_hub::error::AppError::Forbidden.message(w.lang);
    assert!(refused.contains(&forbidden), "{refused}");
    // The authorized body registers it through the same form.
    c.execute(
        "localStorage.setItem('audit-hub-token', arguments[0]); location.reload();",
        vec![json!(common::token(&a.reviewer))],
    )
    .await
    .expect("sign in as the authorized body");
    browser.wait_for_text("#who", |t| !t.is_empty()).await;
    fill_registration(browser, &organization, &employee_iin).await;
    let registered = browser
        .wait_until(
            "registered and opened",
            "document.getElementById('view-application').dataset.status === 'SUBMITTED' && document.getElementById('view-application').dataset.id",
        )
        .await;
    let v = s
        .data(
            "query($id: ID!) { accessApplication(id: $id) { incomingNumber systems employees { iin } } }",
            json!({ "id": registered }),
        )
        .await;
    assert_eq!(
        v["accessApplication"],
        json!({ "incomingNumber": "ВХ-2026/118", "systems": ["ANALYTICS_CENTER"],
                "employees": [{ "iin": employee_iin }] })
    );
}

#[tokio::test]
#[cfg_attr(
    no_browser,
    ignore = "needs chromium and chromedriver on the PATH (Debian chromium, chromium-driver)"
)]
async fn the_integrator_signs_in_through_ncalayer_and_works_the_console_in_russian_and_kazakh() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    for words in &ROUNDS {
        round(&browser, words).await;
    }
    browser.close().await;
}
