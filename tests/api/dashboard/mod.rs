//! The admin dashboard in a real headless Chromium, driven over WebDriver:
//! each test starts its own chromedriver on a free loopback port (and stops
//! it), signs in through the form and reads what a person would see.

mod graphiql;
mod headers;
mod keys;
mod operations;
mod overview;
mod pipeline;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::process::{Child, Command};

use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp};

/// The window sizes the page is made for: a laptop and a phone.
pub const WIDE: (u32, u32) = (1280, 900);
pub const NARROW: (u32, u32) = (390, 844);

/// A headless Chromium behind its own chromedriver; `close` ends both.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Browser {
    pub async fn start() -> Self {
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Its own process group, which Chromium joins: `Drop` ends both.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver)");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--window-size=1280,900",
                         // Only the server under test: nothing the page needs may
                         // come from anywhere else.
                         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
            }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(client) => return Self { client, driver },
                Err(e) => last = Some(e),
            }
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    /// Quits Chromium, then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // `Drop` stops chromedriver.
    }

    /// Sets the viewport. Headless Chromium keeps windows at least 500 px
    /// wide, so the phone width is set as device metrics, as DevTools does.
    pub async fn size(&self, (w, h): (u32, u32)) {
        let params = json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600 });
        self.client
            .issue_cmd(Cdp("Emulation.setDeviceMetricsOverride", params))
            .await
            .expect("device metrics");
    }

    /// Opens the dashboard and signs in through the form.
    pub async fn sign_in(&self, app: &TestApp, user: &str, password: &str) {
        self.client
            .goto(&app.url("/dashboard"))
            .await
            .expect("open the dashboard");
        self.fill("username", user).await;
        self.fill("password", password).await;
        self.click("signin-button").await;
    }

    pub async fn sign_in_admin(&self, app: &TestApp) {
        self.sign_in(app, ADMIN_USER, ADMIN_PASSWORD).await;
        self.wait_text("whoami", |t| t.contains(ADMIN_USER)).await;
    }

    pub async fn fill(&self, id: &str, text: &str) {
        let e = self.by_id(id).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, id: &str) {
        self.by_id(id).await.click().await.expect("click");
    }

    pub async fn by_id(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
    }

    /// The visible text of `#id` now.
    pub async fn text(&self, id: &str) -> String {
        self.by_id(id).await.text().await.expect("text")
    }

    /// Waits (up to a minute) until `#id`'s text satisfies `ok`; returns it.
    pub async fn wait_text(&self, id: &str, ok: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..600 {
            if let Ok(e) = self.client.find(Locator::Id(id)).await
                && let Ok(t) = e.text().await
            {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("#{id} never got the expected text; last: {last:?}");
    }

    /// Runs a script in the page (WebDriver's, not the page's: CSP allows it).
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    /// Opens a section from the navigation.
    pub async fn section(&self, name: &str) {
        self.client
            .find(Locator::Css(&format!("#nav [data-section=\"{name}\"]")))
            .await
            .expect("nav button")
            .click()
            .await
            .expect("click nav");
    }

    /// Saves a PNG of the page as `target/dashboard/<name>-<width>.png`.
    pub async fn screenshot(&self, name: &str, (w, h): (u32, u32)) -> PathBuf {
        self.size((w, h)).await;
        // Let the layout settle at the new width.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/dashboard");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}-{w}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

impl Drop for Browser {
    /// Also when a test fails half-way: no chromedriver outlives its test.
    fn drop(&mut self) {
        // The whole group: a test that failed before `close` leaves no
        // Chromium behind either.
        // `--` matters: procps-ng's kill reads `-KILL -12345` as a signal to
        // group -1, that is to every process on the machine.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.0, "params": self.1 });
        (Method::POST, Some(body.to_string()))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn chromium() -> &'static str {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or("/usr/bin/chromium")
}
