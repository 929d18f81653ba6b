//! WebSocket credentials: a refused `connection_init` closes with 4403
//! (graphql-transport-ws) or answers `connection_error` (legacy graphql-ws).

use serde_json::json;

use crate::auth_support::auth_app;

#[tokio::test]
async fn a_bad_token_closes_the_socket_with_4403() {
    let app = auth_app(&[]).await;
    for payload in [
        json!({ "Authorization": "Bearer not-a-token" }),
        json!({ "X-API-Key": "bbk_nope" }),
    ] {
        let mut ws = app.ws("graphql-transport-ws").await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(ws.close_code().await, Some(4403), "{payload}");
    }

    // A good one is acknowledged as before.
    let token = app.login_admin().await;
    let mut ws = app.ws("graphql-transport-ws").await;
    let ack = ws
        .init(json!({ "Authorization": format!("Bearer {token}") }))
        .await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
}

#[tokio::test]
async fn the_legacy_protocol_reports_a_connection_error() {
    let app = auth_app(&[]).await;
    let mut ws = app.ws("graphql-ws").await;
    let msg = ws
        .init(json!({ "Authorization": "Bearer not-a-token" }))
        .await;
    assert_eq!(msg["type"], "connection_error", "{msg}");
}
