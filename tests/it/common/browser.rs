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
}
