//! A headless Chromium driven over WebDriver for the page tests, started only where the machine
//! has `chromium` and `chromedriver` (`.ci/run` installs them and sets
//! `AUDIT_HUB_BROWSER_TESTS=required`, which turns their absence into a failure).

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// A browser session and the driver process behind it (stopped when dropped).
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    _driver: tokio::process::Child,
}

fn tool(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

impl Browser {
    /// A fresh headless Chromium (empty profile), or `None` (said on stderr) where the tools are
    /// missing and not required.
    pub async fn start() -> Option<Browser> {
        let required = std::env::var("AUDIT_HUB_BROWSER_TESTS").as_deref() == Ok("required");
        let (Some(driver), Some(browser)) = (tool("chromedriver"), tool("chromium")) else {
            assert!(
                !required,
                "chromium and chromedriver are required here but not installed"
            );
            eprintln!("SKIPPED: install chromium and chromium-driver to run the browser tests");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let driver = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": browser,
                // No background traffic: this machine's network is closed, and Chromium's own
                // lookups would only add failures and delays.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic"
                ]
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(Instant::now() < deadline, "WebDriver session: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Some(Browser {
            client,
            _driver: driver,
        })
    }

    /// Ends the session (the browser exits) and stops the driver.
    pub async fn close(self) {
        self.client.close().await.expect("close browser");
    }

    /// Saves a screenshot of the page as `target/tmp/NAME.png` and prints its path.
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
        std::fs::write(&path, png).expect("save screenshot");
        println!("screenshot: {}", path.display());
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// The visible text of the first element matching `css` once `check` holds for it (within
    /// 20 seconds).
    pub async fn wait_for_text(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = match self.client.find(fantoccini::Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if check(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css}: still {text:?} after 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The value of the JavaScript expression `expression` once it is truthy (within 20
    /// seconds); `what` names the wait in the failure.
    pub async fn wait_until(&self, what: &str, expression: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        let script = format!("try {{ return ({expression}); }} catch (e) {{ return null; }}");
        loop {
            let v = self
                .client
                .execute(&script, vec![])
                .await
                .unwrap_or_default();
            let truthy = match &v {
                serde_json::Value::Null => false,
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if Instant::now() >= deadline {
                // What the page showed, so that a failure far from this machine can be read:
                // its address, message line, the visible view's fields and text, and a
                // screenshot.
                let page = self
                    .client
                    .execute(
                        "const m = document.getElementById('message'); \
                         const v = document.querySelector('main > section:not([hidden])'); \
                         const fields = v ? [...v.querySelectorAll('input, select')].map((f) => (f.id || f.name) + '=' + JSON.stringify(f.value)).join(' ') : ''; \
                         return location.href + ' | ' + (m ? m.textContent : '') + ' | ' + fields + ' | ' + (v ? v.innerText.slice(0, 2000) : '');",
                        vec![],
                    )
                    .await
                    .unwrap_or_default();
                let shot = self.screenshot("wait-failed").await;
                panic!(
                    "{what}: not so after 20 s (page address, message, fields and view: {page}; {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the field matching `css`, replacing what it held.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Checks the page as it stands with axe-core (WCAG 2.1 A and AA rules: labels, names,
    /// contrast, landmarks, focusable controls) and fails on any serious or critical
    /// violation, naming the rule and the elements. `what` names the page in the failure.
    /// axe-core comes from npm (`tests/graphql-http`, installed by `.ci/run`).
    pub async fn accessibility(&self, what: &str) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/graphql-http/node_modules/axe-core/axe.min.js"
        );
        let Ok(axe) = std::fs::read_to_string(path) else {
            assert!(
                std::env::var("AUDIT_HUB_BROWSER_TESTS").as_deref() != Ok("required"),
                "axe-core is required here: run `npm ci` in tests/graphql-http"
            );
            eprintln!("accessibility check SKIPPED: run `npm ci` in tests/graphql-http");
            return;
        };
        self.client
            .execute(&axe, vec![])
            .await
            .expect("load axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))))
                   .catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let serious: Vec<String> = found
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} at {}",
                    v["id"], v["impact"], v["help"], v["nodes"]
                )
            })
            .collect();
        assert!(
            serious.is_empty(),
            "{what}: accessibility violations:\n{}",
            serious.join("\n")
        );
        println!("{what}: no serious accessibility violation");
    }
}
