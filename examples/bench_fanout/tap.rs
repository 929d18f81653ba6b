//! A tap between the simulated Monday and the server: the board's rename
//! webhooks go to it, it notes when each one arrives and passes it on
//! unchanged. Latency can then be measured from the server's receipt of the
//! webhook (a loopback hop later), as well as from the staff edit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// When each rename's webhook (`fanout N`) reached the tap, by N.
pub type Received = Arc<Mutex<HashMap<u64, Instant>>>;

#[derive(Clone)]
struct Pass {
    received: Received,
    http: reqwest::Client,
    to: String,
}

/// Listens on a free loopback port; returns the URL to register and the
/// arrival times it will note.
pub async fn start(server: &str) -> anyhow::Result<(String, Received)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let received = Received::default();
    let state = Pass {
        received: received.clone(),
        http: reqwest::Client::new(),
        to: format!("{server}/webhooks/monday"),
    };
    let app = Router::new().route("/hook", post(pass)).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, received))
}

async fn pass(State(p): State<Pass>, headers: HeaderMap, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    // Monday's handshake when a webhook is created: echo the challenge.
    if v.get("challenge").is_some() {
        return axum::Json(v).into_response();
    }
    let seq = v["event"]["pulseName"]
        .as_str()
        .and_then(|n| n.strip_prefix("fanout "))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(seq) = seq
        && let Ok(mut r) = p.received.lock()
    {
        // A retried webhook keeps its first arrival.
        r.entry(seq).or_insert_with(Instant::now);
    }
    let mut req = p
        .http
        .post(&p.to)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        req = req.header(header::AUTHORIZATION, auth);
    }
    match req.send().await {
        Ok(r) => StatusCode::from_u16(r.status().as_u16())
            .unwrap_or(StatusCode::BAD_GATEWAY)
            .into_response(),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Points the board's rename webhooks at `tap` instead of the server, through
/// Monday's own API (as an operator would).
pub async fn divert(
    http: &reqwest::Client,
    monday: &str,
    token: &str,
    board: &str,
    tap: &str,
) -> anyhow::Result<()> {
    let call = |query: &str, variables: Value| {
        http.post(monday)
            .header(header::AUTHORIZATION, token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let listed: Value = call(
        "query($b: ID!) { webhooks(board_id: $b) { id event } }",
        json!({ "b": board }),
    )
    .await?
    .json()
    .await?;
    let hooks = listed["data"]["webhooks"]
        .as_array()
        .with_context(|| format!("webhooks: {listed}"))?;
    for h in hooks.iter().filter(|h| h["event"] == "change_name") {
        let gone: Value = call(
            "mutation($id: ID!) { delete_webhook(id: $id) { id } }",
            json!({ "id": h["id"] }),
        )
        .await?
        .json()
        .await?;
        if gone.get("errors").is_some() {
            return Err(anyhow!("delete_webhook: {gone}"));
        }
    }
    let made: Value = call(
        "mutation($b: ID!, $u: String!) { create_webhook(board_id: $b, url: $u, event: change_name) { id } }",
        json!({ "b": board, "u": tap }),
    )
    .await?
    .json()
    .await?;
    if made["data"]["create_webhook"]["id"].is_null() {
        return Err(anyhow!("create_webhook: {made}"));
    }
    Ok(())
}
