//! GraphQL over HTTP as stock clients see it: media types and statuses by
//! the spec, one GraphQL error shape for every failure on `/graphql`, GET,
//! batches, automatic persisted queries, limits, headers, and the WebSocket
//! close codes. Raw HTTP, so each test states exactly what it sends.

mod apq;
mod errors;
mod get;
mod media;
mod ws;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use crate::helpers::TestApp;

pub const JSON: &str = "application/json";
pub const GQL_RESPONSE: &str = "application/graphql-response+json";

/// A POST with this body, content type and `Accept` (None: not sent).
pub async fn post(
    app: &TestApp,
    body: impl Into<reqwest::Body>,
    content_type: Option<&str>,
    accept: Option<&str>,
) -> reqwest::Response {
    let mut req = app.client.post(app.url("/graphql")).body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    if let Some(a) = accept {
        req = req.header(ACCEPT, a);
    }
    req.send().await.expect("POST /graphql")
}

/// A JSON POST of `body`, accepting `accept`.
pub async fn post_json(app: &TestApp, body: &Value, accept: Option<&str>) -> reqwest::Response {
    post(app, body.to_string(), Some(JSON), accept).await
}

/// A GET with these query parameters, accepting `accept`.
pub async fn get(
    app: &TestApp,
    params: &[(&str, &str)],
    accept: Option<&str>,
) -> reqwest::Response {
    let mut req = app.client.get(app.url("/graphql")).query(params);
    if let Some(a) = accept {
        req = req.header(ACCEPT, a);
    }
    req.send().await.expect("GET /graphql")
}

pub fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Status, content type and JSON body; asserts the body is a GraphQL
/// error response whose errors all carry a code and a message.
pub async fn failure(res: reqwest::Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let ct = content_type(&res);
    let text = res.text().await.expect("body");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {body}"));
    assert!(!errors.is_empty(), "{body}");
    for e in errors {
        assert!(e["message"].is_string(), "{body}");
        assert!(e["extensions"]["code"].is_string(), "{body}");
    }
    assert!(body.get("error").is_none(), "not the REST shape: {body}");
    (status, ct, body)
}
