//! The WebSocket transport, end to end, with a real client.

use std::time::Duration;

use serde_json::json;

use crate::helpers::spawn_app;

const HEARTBEAT: &str = include_str!("operations/heartbeat.graphql");

#[tokio::test]
async fn heartbeat_over_graphql_transport_ws() {
    let app = spawn_app().await;
    let mut ws = app.ws("graphql-transport-ws").await;
    let ack = ws.init(json!({})).await;
    assert_eq!(ack["type"], "connection_ack");

    ws.send(json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": HEARTBEAT, "variables": { "intervalMs": 20 } }
    }))
    .await;
    for expected in 1..=3 {
        let msg = ws.next_json(Duration::from_secs(5)).await.expect("a beat");
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(msg["id"], "1");
        assert_eq!(msg["payload"]["data"]["heartbeat"]["seq"], expected);
    }

    // Stopping the subscription stops the beats.
    ws.send(json!({ "id": "1", "type": "complete" })).await;
    let mut after = Vec::new();
    while let Some(m) = ws.next_json(Duration::from_millis(200)).await {
        after.push(m);
    }
    assert!(
        after.len() <= 1,
        "beats continued after complete: {after:?}"
    );
}

#[tokio::test]
async fn heartbeat_over_legacy_graphql_ws() {
    let app = spawn_app().await;
    let mut ws = app.ws("graphql-ws").await;
    let ack = ws.init(json!({})).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(json!({
        "id": "a",
        "type": "start",
        "payload": { "query": HEARTBEAT, "variables": { "intervalMs": 20 } }
    }))
    .await;
    let msg = ws.next_json(Duration::from_secs(5)).await.expect("a beat");
    assert_eq!(msg["type"], "data", "{msg}");
    assert_eq!(msg["payload"]["data"]["heartbeat"]["seq"], 1);
}

#[tokio::test]
async fn heartbeat_rejects_a_bad_interval() {
    let app = spawn_app().await;
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.init(json!({})).await;
    ws.send(json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": HEARTBEAT, "variables": { "intervalMs": 0 } }
    }))
    .await;
    assert_eq!(
        ws.next_error_code().await.as_deref(),
        Some("BAD_USER_INPUT")
    );
}
