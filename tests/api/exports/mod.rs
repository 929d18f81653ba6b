//! The data hub's REST API as the scripts of the system we replace call it:
//! auth and keys, the Monday leads exports and the Calendly routes, read
//! over real HTTP after a real pipeline run against the sandbox.

mod auth;
mod calendly;
mod consistency;
mod keys;
mod leads;
mod upgrade;

use serde_json::{Value, json};

use crate::auth_support::CREATE_API_KEY;
use crate::helpers::{TestApp, data};
use crate::pipeline::{assert_succeeded, pipeline_app, pipeline_sandbox};
use bridgeboard::sandbox::SandboxHandle;

/// A sandbox with `leads` leads and `events` Calendly events, an app on
/// it after one full run, and the admin's session.
pub async fn hub(leads: usize, events: usize) -> (SandboxHandle, TestApp, String) {
    let sandbox = pipeline_sandbox(leads, events, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    (sandbox, app, admin)
}

/// A new key of `permission` (`READ_ONLY`, `STANDARD`, `ADMIN`), made over GraphQL.
pub async fn key(app: &TestApp, admin: &str, permission: &str, per_minute: i32) -> String {
    let body = app
        .graphql_as(
            admin,
            CREATE_API_KEY,
            json!({ "input": { "name": format!("{permission} key"), "permission": permission, "rateLimitPerMinute": per_minute } }),
        )
        .await;
    data(body)["createApiKey"]["key"]
        .as_str()
        .expect("a key")
        .to_owned()
}

impl TestApp {
    pub async fn get_key(&self, key: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("x-api-key", key)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_bearer(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// The JSON of a response, asserting its status.
pub async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A CSV body as a header and records.
pub fn parse_csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(body);
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}
