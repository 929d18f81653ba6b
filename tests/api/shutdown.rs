//! Shutdown as a load balancer and a client see it: first not ready while
//! still serving, then every live subscription completed and the socket
//! closed as Going Away, then no new connections.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{eventually, spawn_app_with};

const HEARTBEAT: &str = include_str!("operations/heartbeat.graphql");

#[tokio::test]
async fn shutdown_drains_then_completes_subscriptions_and_closes_sockets_going_away() {
    let app = spawn_app_with(|v| v.push(("SHUTDOWN_DRAIN_MS".into(), "1500".into()))).await;
    eventually("ready", || async {
        (app.get("/ready").await.status() == 200).then_some(())
    })
    .await;
    let mut ws = app.ws("graphql-transport-ws").await;
    assert_eq!(ws.init(json!({})).await["type"], "connection_ack");
    for id in ["beat", "gone"] {
        ws.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": HEARTBEAT, "variables": { "intervalMs": 100 } }
        }))
        .await;
    }
    // The client ends one itself; the server must not complete it again.
    ws.send(json!({ "id": "gone", "type": "complete" })).await;
    // (The library answers the client's complete with one of its own.)
    loop {
        let msg = ws.next_json(Duration::from_secs(5)).await.expect("a beat");
        if msg["type"] == "next" && msg["id"] == "beat" {
            break;
        }
    }

    app.shut_down();
    let body = eventually("/ready to turn 503 while draining", || async {
        let res = app.get("/ready").await;
        (res.status() == 503).then_some(res)
    })
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(body["shutdown"], "draining", "{body}");
    assert_eq!(app.get("/health").await.status(), 200, "still serving");

    let mut beats_while_draining = 0;
    let mut completed = Vec::new();
    let code = loop {
        match ws.next_or_close(Duration::from_secs(5)).await {
            Ok(msg) if msg["type"] == "next" => {
                assert_eq!(msg["id"], "beat", "{msg}");
                assert!(completed.is_empty(), "a beat after its complete: {msg}");
                if msg["id"] == "beat" {
                    beats_while_draining += 1;
                }
            }
            Ok(msg) if msg["type"] == "complete" => completed.push(msg["id"].clone()),
            Ok(other) => panic!("unexpected {other}"),
            Err(code) => break code,
        }
    };
    assert!(
        beats_while_draining >= 3,
        "the socket served while draining"
    );
    assert_eq!(completed, [json!("beat")]);
    assert_eq!(code, Some(1001), "closed as Going Away");

    eventually("the listener to stop accepting", || async {
        reqwest::get(app.url("/health"))
            .await
            .is_err()
            .then_some(())
    })
    .await;
}
