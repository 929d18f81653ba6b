//! The sandbox server as a whole: both upstreams on one listener with their
//! tokens, the control API (staff edits read back), fault injection, the
//! `bridgeboard sandbox` binary, and `serve`'s sandbox mode.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bridgeboard::sandbox::SandboxHandle;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_sandbox};

const ME: &str = include_str!("operations/sandbox/monday_me.graphql");
const FIRST_ITEMS: &str = include_str!("operations/sandbox/monday_first_items.graphql");
const NEXT_ITEMS: &str = include_str!("operations/sandbox/monday_next_items.graphql");

async fn monday(
    sb: &SandboxHandle,
    token: &str,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(sb.monday_url())
        .header("authorization", token)
        .header("api-version", "2026-10")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
}

async fn calendly_me(sb: &SandboxHandle, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/users/me", sb.calendly_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn control(sb: &SandboxHandle, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, format!("{}{path}", sb.control_url()))
}

/// The first item of a board, through the Monday API as a client sees it.
async fn first_item(sb: &SandboxHandle, board: u64) -> (u64, String) {
    let res = monday(
        sb,
        sb.monday_token(),
        FIRST_ITEMS,
        json!({ "board": board.to_string(), "limit": 1 }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let item = &body["data"]["boards"][0]["items_page"]["items"][0];
    (
        item["id"].as_str().unwrap().parse().unwrap(),
        item["name"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn both_upstreams_answer_with_their_tokens() {
    let sb = spawn_sandbox(|_| {}).await;
    let res = monday(&sb, sb.monday_token(), ME, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(body["data"]["me"]["id"].is_string(), "{body}");
    let res = monday(&sb, "wrong-token", ME, json!({})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        calendly_me(&sb, sb.calendly_token()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        calendly_me(&sb, sb.monday_token()).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let info: Value = control(&sb, reqwest::Method::GET, "")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["tickets_board_id"], sb.tickets_board_id());
    assert_eq!(info["leads_board_id"], sb.leads_board_id());
    assert_eq!(info["monday_url"], sb.monday_url());
    assert_eq!(info["calendly_url"], sb.calendly_url());
    assert_ne!(sb.tickets_board_id(), sb.leads_board_id());

    let (_, name) = first_item(&sb, sb.tickets_board_id()).await;
    assert!(!name.is_empty());
    let res = control(&sb, reqwest::Method::GET, "/no/such/route")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_edits_through_the_control_api_change_the_item() {
    let sb = spawn_sandbox(|_| {}).await;
    let (item, _) = first_item(&sb, sb.tickets_board_id()).await;
    let before: Value = control(&sb, reqwest::Method::GET, &format!("/monday/items/{item}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = |v: &Value| v.to_string();
    assert!(text(&before).contains(&item.to_string()));

    let res = control(
        &sb,
        reqwest::Method::PATCH,
        &format!("/monday/items/{item}"),
    )
    .json(&json!({ "status": "Resolved", "priority": "Urgent", "name": "Renamed by staff" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = control(&sb, reqwest::Method::GET, &format!("/monday/items/{item}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after_text = text(&after);
    assert!(after_text.contains("Renamed by staff"), "{after_text}");
    assert!(after_text.contains("Resolved"), "{after_text}");
    assert!(after_text.contains("Urgent"), "{after_text}");

    let res = control(
        &sb,
        reqwest::Method::POST,
        &format!("/monday/items/{item}/updates"),
    )
    .json(&json!({ "body": "We are on it" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let res = control(
        &sb,
        reqwest::Method::PATCH,
        &format!("/monday/items/{item}"),
    )
    .json(&json!({ "status": "No Such Label" }))
    .send()
    .await
    .unwrap();
    assert!(res.status().is_client_error());
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["code"].is_string());
    let res = control(
        &sb,
        reqwest::Method::PATCH,
        &format!("/monday/items/{item}"),
    )
    .json(&json!({ "colour": "red" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = control(
        &sb,
        reqwest::Method::DELETE,
        &format!("/monday/items/{item}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = control(&sb, reqwest::Method::GET, &format!("/monday/items/{item}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = control(
        &sb,
        reqwest::Method::DELETE,
        &format!("/monday/items/{item}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn set_faults(sb: &SandboxHandle, upstream: &str, faults: Value) {
    let res = control(sb, reqwest::Method::PATCH, &format!("/faults/{upstream}"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{faults}");
}

#[tokio::test]
async fn forced_429s_in_each_upstreams_shape() {
    let sb = spawn_sandbox(|_| {}).await;
    set_faults(
        &sb,
        "monday",
        json!({ "rate_limit_next": 1, "retry_after_secs": 7 }),
    )
    .await;
    let res = monday(&sb, sb.monday_token(), ME, json!({})).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "7");
    let body: Value = res.json().await.unwrap();
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["code"], "COMPLEXITY_BUDGET_EXHAUSTED");
    assert_eq!(ext["retry_in_seconds"], 7);
    assert_eq!(ext["status_code"], 429);
    // Only the next request was forced.
    assert_eq!(
        monday(&sb, sb.monday_token(), ME, json!({})).await.status(),
        StatusCode::OK
    );

    set_faults(
        &sb,
        "calendly",
        json!({ "rate_limit_rate": 1.0, "retry_after_secs": 9 }),
    )
    .await;
    let res = calendly_me(&sb, sb.calendly_token()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(res.headers()["x-ratelimit-reset"], "9");
    assert_eq!(res.headers()["x-ratelimit-limit"], "500");
    let body: Value = res.json().await.unwrap();
    assert!(body["title"].is_string());
}

#[tokio::test]
async fn errors_outages_latency_and_drops() {
    let sb = spawn_sandbox(|_| {}).await;

    set_faults(&sb, "calendly", json!({ "error_rate": 1.0 })).await;
    for _ in 0..3 {
        let res = calendly_me(&sb, sb.calendly_token()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["title"], "Internal Server Error");
    }
    // Monday is unaffected.
    assert_eq!(
        monday(&sb, sb.monday_token(), ME, json!({})).await.status(),
        StatusCode::OK
    );

    // Upstream down: the switch on the handle and through the API.
    sb.faults()
        .set_down(bridgeboard::sandbox::Upstream::Monday, true);
    assert_eq!(
        monday(&sb, sb.monday_token(), ME, json!({})).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    set_faults(&sb, "calendly", json!({ "error_rate": 0.0, "down": true })).await;
    assert_eq!(
        calendly_me(&sb, sb.calendly_token()).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let res = control(&sb, reqwest::Method::DELETE, "/faults")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        calendly_me(&sb, sb.calendly_token()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        monday(&sb, sb.monday_token(), ME, json!({})).await.status(),
        StatusCode::OK
    );

    // Latency longer than a client's timeout: the client gives up.
    set_faults(&sb, "calendly", json!({ "latency_ms": 5000 })).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = impatient
        .get(format!("{}/users/me", sb.calendly_url()))
        .bearer_auth(sb.calendly_token())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    // Timeouts: a hang outlives the client; a drop cuts the connection.
    set_faults(
        &sb,
        "calendly",
        json!({ "latency_ms": 0, "timeout_rate": 1.0 }),
    )
    .await;
    let err = impatient
        .get(format!("{}/users/me", sb.calendly_url()))
        .bearer_auth(sb.calendly_token())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    set_faults(
        &sb,
        "monday",
        json!({ "timeout_rate": 1.0, "timeout_mode": "drop" }),
    )
    .await;
    let dropped = async {
        let res = reqwest::Client::new()
            .post(sb.monday_url())
            .header("authorization", sb.monday_token())
            .json(&json!({ "query": ME }))
            .send()
            .await?;
        res.bytes().await
    }
    .await;
    assert!(dropped.is_err(), "the connection is dropped mid-response");

    // Bad fault settings are refused.
    let res = control(&sb, reqwest::Method::PATCH, "/faults/monday")
        .json(&json!({ "error_rate": 2.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = control(&sb, reqwest::Method::PATCH, "/faults/nowhere")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn early_cursor_expiry_through_the_control_api() {
    let sb = spawn_sandbox(|_| {}).await;
    let res = monday(
        &sb,
        sb.monday_token(),
        FIRST_ITEMS,
        json!({ "board": sb.leads_board_id().to_string(), "limit": 1 }),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    let cursor = body["data"]["boards"][0]["items_page"]["cursor"]
        .as_str()
        .expect("a cursor for the next page")
        .to_owned();
    let res = control(&sb, reqwest::Method::PUT, "/monday/cursor_ttl")
        .json(&json!({ "seconds": 0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = monday(
        &sb,
        sb.monday_token(),
        NEXT_ITEMS,
        json!({ "cursor": cursor }),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );
}

#[test]
fn the_sandbox_command_prints_where_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridgeboard"))
        .args([
            "sandbox", "--port", "0", "--leads", "30", "--events", "15", "--seed", "4",
        ])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut vars = std::collections::HashMap::new();
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some((k, v)) = line.split_once('=')
            && !k.starts_with('#')
            && !k.contains(' ')
        {
            vars.insert(k.to_owned(), v.to_owned());
        }
        if line.starts_with("CALENDLY_ACCESS_TOKEN=") {
            break;
        }
    }
    let result = std::panic::catch_unwind(|| {
        assert!(printed.contains("Monday API"), "{printed}");
        assert_eq!(vars["MONDAY_API_TOKEN"], "sandbox-monday-token");
        assert_eq!(vars["CALENDLY_ACCESS_TOKEN"], "sandbox-calendly-token");
        assert!(vars["MONDAY_TICKETS_BOARD_ID"].parse::<u64>().is_ok());
        assert!(vars["MONDAY_LEADS_BOARD_ID"].parse::<u64>().is_ok());
        assert!(vars["MONDAY_API_URL"].ends_with("/monday/v2"));
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let res = reqwest::Client::new()
                .get(format!("{}/users/me", vars["CALENDLY_API_URL"]))
                .bearer_auth(&vars["CALENDLY_ACCESS_TOKEN"])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let res = reqwest::Client::new()
                .post(&vars["MONDAY_API_URL"])
                .header("authorization", &vars["MONDAY_API_TOKEN"])
                .json(&json!({ "query": ME }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        });
    });
    child.kill().ok();
    child.wait().ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[tokio::test]
async fn serve_without_tokens_runs_in_sandbox_mode() {
    let app = spawn_app().await;
    let cfg = &app.state.config;
    assert!(cfg.sandbox_mode());
    let sb = app.sandbox();
    assert_eq!(cfg.monday.api_url.as_str(), sb.monday_url());
    assert_eq!(
        cfg.calendly.api_url.as_str().trim_end_matches('/'),
        sb.calendly_url()
    );
    assert_eq!(
        cfg.monday.tickets_board_id.as_deref(),
        Some(sb.tickets_board_id().to_string().as_str())
    );
    assert_eq!(
        cfg.monday.leads_board_id.as_deref(),
        Some(sb.leads_board_id().to_string().as_str())
    );
    use secrecy::ExposeSecret;
    let token = cfg.calendly.access_token.as_ref().unwrap().expose_secret();
    assert_eq!(calendly_me(sb, token).await.status(), StatusCode::OK);
    let token = cfg.monday.api_token.as_ref().unwrap().expose_secret();
    assert_eq!(
        monday(sb, token, ME, json!({})).await.status(),
        StatusCode::OK
    );
    // The small test sizes apply.
    assert_eq!(sb.options().events, 10);
}
