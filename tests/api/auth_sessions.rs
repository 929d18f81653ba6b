//! Staff sessions: login, wrong passwords, throttling, logout (surviving a
//! restart), `me`, WebSocket `connection_init` credentials, guards and
//! introspection.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth_support::{LOGOUT, ME, auth_app, code, restart_on_same_db};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER};

const INTROSPECT: &str = include_str!("operations/auth/introspection.graphql");
const CLIENTS: &str = include_str!("operations/auth/clients.graphql");

#[tokio::test]
async fn login_returns_a_working_token_and_me_knows_the_admin() {
    let app = auth_app(&[]).await;
    let body = app.login("  Admin ", ADMIN_PASSWORD).await;
    let login = &body["data"]["login"];
    assert_eq!(login["viewer"]["displayName"], ADMIN_USER, "{body}");
    assert_eq!(login["viewer"]["role"], "ADMIN");
    assert!(login["expiresAt"].as_str().is_some());
    let token = login["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    let me = app.graphql_as(token, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["kind"], "STAFF", "{me}");
    assert_eq!(me["data"]["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = auth_app(&[]).await;
    let wrong = app.login(ADMIN_USER, "not-the-password").await;
    let unknown = app.login("nobody", "not-the-password").await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED", "{wrong}");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(code(&unknown), "UNAUTHENTICATED");
    assert!(wrong["data"].is_null() || wrong["data"]["login"].is_null());
}

#[tokio::test]
async fn repeated_failures_throttle_the_username_even_with_the_right_password() {
    let app = auth_app(&[("LOGIN_MAX_FAILURES", "3")]).await;
    for _ in 0..3 {
        let body = app.login(ADMIN_USER, "wrong-password").await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let retry = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!(retry >= 1, "says when to retry: {body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("retry"),
        "{body}"
    );
}

#[tokio::test]
async fn repeated_failures_throttle_the_ip_across_usernames() {
    let app = auth_app(&[("LOGIN_MAX_FAILURES_PER_IP", "4")]).await;
    for user in ["a", "b", "c", "d"] {
        let body = app.login(user, "wrong-password").await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
}

#[tokio::test]
async fn logout_revokes_the_token_also_after_a_restart() {
    let app = auth_app(&[]).await;
    let token = app.login_admin().await;
    let other = app.login_admin().await;

    let body = app.graphql_as(&token, LOGOUT, json!({})).await;
    assert_eq!(body["data"]["logout"], true, "{body}");

    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let err: Value = res.json().await.unwrap();
    assert_eq!(code(&err), "UNAUTHENTICATED", "{err}");

    // Only that session ended.
    let me = app.graphql_as(&other, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["displayName"], ADMIN_USER, "{me}");

    // A restarted server (same database) still refuses the revoked token.
    let second = restart_on_same_db(&app).await;
    let res = app
        .client
        .post(format!("{second}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "revocation survives the restart");
    let res = app
        .client
        .post(format!("{second}/graphql"))
        .bearer_auth(&other)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn guards_answer_unauthenticated_or_forbidden() {
    let app = auth_app(&[
        ("CLEVERLY_USER", "reader"),
        ("CLEVERLY_USER_PASSWORD", "reader-password"),
    ])
    .await;
    let anon = app.graphql(CLIENTS, json!({})).await;
    assert_eq!(code(&anon), "UNAUTHENTICATED", "{anon}");
    let me = app.graphql(ME, json!({})).await;
    assert_eq!(code(&me), "UNAUTHENTICATED", "{me}");

    let body = app.login("reader", "reader-password").await;
    let reader = body["data"]["login"]["token"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["login"]["viewer"]["role"], "USER");
    let denied = app.graphql_as(&reader, CLIENTS, json!({})).await;
    assert_eq!(code(&denied), "FORBIDDEN", "{denied}");

    let admin = app.login_admin().await;
    let ok = app.graphql_as(&admin, CLIENTS, json!({})).await;
    assert!(ok.get("errors").is_none(), "{ok}");

    // Public fields need nothing.
    let public = app
        .graphql("{ health { status } version }", json!({}))
        .await;
    assert!(public.get("errors").is_none(), "{public}");
}

#[tokio::test]
async fn introspection_and_graphiql_are_closed_to_anonymous_callers_in_production() {
    let app = auth_app(&[
        ("MONDAY_API_TOKEN", "prod-token"),
        ("CALENDLY_ACCESS_TOKEN", "prod-token"),
    ])
    .await;
    let anon = app.graphql(INTROSPECT, json!({})).await;
    assert_eq!(code(&anon), "UNAUTHENTICATED", "{anon}");
    assert!(anon["data"].is_null(), "{anon}");
    assert_eq!(app.graphiql(None).await.status(), 401);

    let admin = app.login_admin().await;
    let ok = app.graphql_as(&admin, INTROSPECT, json!({})).await;
    assert_eq!(ok["data"]["__schema"]["queryType"]["name"], "Query", "{ok}");
    let page = app
        .graphiql(Some(("authorization", &format!("Bearer {admin}"))))
        .await;
    assert_eq!(page.status(), 200);

    // API keys: ADMIN may, STANDARD may not.
    for (permission, status) in [("ADMIN", 200), ("STANDARD", 403)] {
        let res = app
            .graphql_as(
                &admin,
                crate::auth_support::CREATE_API_KEY,
                json!({ "input": { "name": permission, "permission": permission } }),
            )
            .await;
        let key = res["data"]["createApiKey"]["key"].as_str().unwrap();
        let page = app.graphiql(Some(("x-api-key", key))).await;
        assert_eq!(page.status(), status, "{permission}");
    }
}

#[tokio::test]
async fn introspection_is_open_in_sandbox_mode() {
    let app = auth_app(&[]).await;
    let anon = app.graphql(INTROSPECT, json!({})).await;
    assert_eq!(
        anon["data"]["__schema"]["queryType"]["name"], "Query",
        "{anon}"
    );
    assert_eq!(app.graphiql(None).await.status(), 200);
}

#[tokio::test]
async fn websocket_connection_init_carries_the_token() {
    let app = auth_app(&[]).await;
    let token = app.login_admin().await;
    for payload in [
        json!({ "Authorization": format!("Bearer {token}") }),
        json!({ "authorization": format!("Bearer {token}") }),
        json!({ "token": token }),
    ] {
        let mut ws = app.ws("graphql-transport-ws").await;
        let ack = ws.init(payload.clone()).await;
        assert_eq!(ack["type"], "connection_ack", "{payload}");
        ws.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": ME } }))
            .await;
        let msg = ws.next_json(Duration::from_secs(5)).await.expect("result");
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(
            msg["payload"]["data"]["me"]["displayName"], ADMIN_USER,
            "{msg}"
        );
    }

    // No credentials: connected, but anonymous.
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.init(json!({})).await;
    ws.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": ME } }))
        .await;
    let msg = ws.next_json(Duration::from_secs(5)).await.expect("result");
    assert_eq!(
        crate::helpers::ws_error_code(&msg).as_deref(),
        Some("UNAUTHENTICATED"),
        "{msg}"
    );

    // A bad token: the connection is refused.
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": "not.a.jwt" } }))
        .await;
    let answer = ws.next_json(Duration::from_secs(5)).await;
    assert!(
        answer.is_none()
            || answer
                .as_ref()
                .is_some_and(|m| m["type"] != "connection_ack"),
        "{answer:?}"
    );
}

/// Logs in as `user` through a proxy that says the caller is `forwarded`.
async fn login_via(app: &crate::helpers::TestApp, forwarded: &str, user: &str, pw: &str) -> Value {
    let forwarded = forwarded.to_owned();
    app.graphql_with(
        include_str!("operations/auth/login.graphql"),
        json!({ "username": user, "password": pw }),
        move |r| r.header("x-forwarded-for", forwarded),
    )
    .await
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_ip_throttle_counts_each_forwarded_caller() {
    let app = auth_app(&[
        ("LOGIN_MAX_FAILURES_PER_IP", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for user in ["a", "b", "c"] {
        let body = login_via(&app, "203.0.113.1", user, "wrong-password").await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = login_via(&app, "203.0.113.1", ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    // Another caller behind the same proxy is not held back.
    let body = login_via(&app, "203.0.113.2", ADMIN_USER, ADMIN_PASSWORD).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
    // Writing one's own header in front changes nothing: the proxy appends.
    let body = login_via(&app, "203.0.113.2, 203.0.113.1", ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
}

#[tokio::test]
async fn from_an_untrusted_peer_x_forwarded_for_is_ignored() {
    let app = auth_app(&[("LOGIN_MAX_FAILURES_PER_IP", "3")]).await;
    for (user, ip) in [
        ("a", "198.51.100.1"),
        ("b", "198.51.100.2"),
        ("c", "198.51.100.3"),
    ] {
        let body = login_via(&app, ip, user, "wrong-password").await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = login_via(&app, "198.51.100.4", ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
}
