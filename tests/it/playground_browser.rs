//! The playground's first view in a real browser (headless Chromium): without a token it says
//! how to start instead of introspecting (which the server refuses), in the page's language; in
//! demo mode it offers the demo users, a stale token is dropped with a note, and picking a user
//! opens GraphiQL with no error. Screenshots are saved and their paths printed.

use crate::common;

use common::TestDb;
use common::browser::Browser;
use fantoccini::Locator;
use serde_json::json;

/// What a first view must show.
struct FirstView {
    name: &'static str,
    demo: bool,
    lang: &'static str,
    /// A token saved by an earlier visit.
    saved_token: Option<&'static str>,
    /// Words the start panel must say.
    says: &'static str,
    /// The note above it, if any.
    note: Option<&'static str>,
}

#[tokio::test]
#[cfg_attr(
    no_browser,
    ignore = "needs chromium and chromedriver on the PATH (Debian chromium, chromium-driver)"
)]
async fn the_playground_opens_with_how_to_start_and_never_an_introspection_error() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    let t = TestDb::with_demo(1).await;
    let demo = common::TestServer::start_with(&t.db, |mut config| {
        config.demo = true;
        config
    })
    .await;
    let plain = common::TestServer::start(&t.db).await;
    let cases = [
        FirstView {
            name: "demo mode in Russian",
            demo: true,
            lang: "ru",
            saved_token: None,
            says: "Выберите демо-пользователя",
            note: None,
        },
        FirstView {
            name: "demo mode in Kazakh with a stale token",
            demo: true,
            lang: "kk",
            saved_token: Some("not-a-token"),
            says: "демо-пайдаланушыны таңдаңыз",
            note: Some("қабылданбады"),
        },
        FirstView {
            name: "a production server in English",
            demo: false,
            lang: "en",
            saved_token: None,
            says: "Paste a bearer token",
            note: None,
        },
    ];
    for case in cases {
        let server = if case.demo { &demo } else { &plain };
        c.goto(&server.url("/playground")).await.expect("open");
        c.execute(
            "localStorage.clear(); if (arguments[0]) localStorage.setItem('audit-hub-token', arguments[0]);",
            vec![json!(case.saved_token)],
        )
        .await
        .expect("storage");
        c.goto(&server.url(&format!("/playground?lang={}", case.lang)))
            .await
            .expect("open again");
        let said = browser
            .wait_for_text("#start-text", |t| !t.is_empty())
            .await;
        assert!(said.contains(case.says), "{}: {said}", case.name);
        let note = browser
            .client
            .find(Locator::Css("#start-note"))
            .await
            .expect("note")
            .text()
            .await
            .unwrap_or_default();
        match case.note {
            Some(words) => assert!(note.contains(words), "{}: note {note:?}", case.name),
            None => assert!(note.is_empty(), "{}: note {note:?}", case.name),
        }
        let page = c
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("text");
        assert!(!page.contains("introspection"), "{}: {page}", case.name);
        let picker_shown = c
            .find(Locator::Css("#demo-users"))
            .await
            .expect("picker")
            .is_displayed()
            .await
            .expect("displayed");
        assert_eq!(picker_shown, case.demo, "{}: demo picker", case.name);
        let lang = c
            .find(Locator::Css("html"))
            .await
            .expect("html")
            .attr("lang")
            .await
            .expect("lang");
        assert_eq!(lang.as_deref(), Some(case.lang), "{}", case.name);
        browser
            .screenshot(&format!("playground-{}", case.name.replace(' ', "-")))
            .await;
        browser
            .accessibility(&format!("playground, {}", case.name))
            .await;
    }

    // Picking a demo user opens GraphiQL on that user's token, with the schema and no error.
    c.goto(&demo.url("/playground?lang=en"))
        .await
        .expect("open");
    let first_user = "#demo-users option:nth-child(2)";
    browser.wait_for_text(first_user, |t| !t.is_empty()).await;
    let option = c.find(Locator::Css(first_user)).await.expect("a demo user");
    option.click().await.expect("pick");
    browser
        .wait_for_text(".graphiql-container", |t| !t.is_empty())
        .await;
    let start_shown = c
        .find(Locator::Css("#start"))
        .await
        .expect("start")
        .is_displayed()
        .await
        .expect("displayed");
    assert!(!start_shown, "the start panel gives way to GraphiQL");
    let page = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(!page.contains("introspection"), "{page}");
    browser.screenshot("playground-demo-user-picked").await;
    browser.close().await;
}
