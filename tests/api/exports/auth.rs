//! `/api/auth/*`: the bearer session GraphQL's `login` issues, over REST.

use serde_json::json;

use super::json_of;
use crate::auth_support::{ME, auth_app};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, data};

#[tokio::test]
async fn login_verify_and_logout_over_rest() {
    let app = auth_app(&[]).await;
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "username": ADMIN_USER, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let body = json_of(res, 200).await;
    assert_eq!(body["user"], ADMIN_USER);
    assert_eq!(body["role"], "admin");
    assert!(
        chrono::DateTime::parse_from_rfc3339(body["expires"].as_str().unwrap()).is_ok(),
        "{body}"
    );
    let token = body["token"].as_str().unwrap().to_owned();

    // The same session GraphQL accepts.
    let me = app.graphql_as(&token, ME, json!({})).await;
    assert!(!data(me)["me"].is_null());
    let verified = json_of(app.get_bearer(&token, "/api/auth/verify").await, 200).await;
    assert_eq!(
        verified,
        json!({ "authenticated": true, "user": ADMIN_USER, "role": "admin" })
    );

    let out = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after = json_of(app.get_bearer(&token, "/api/auth/verify").await, 401).await;
    assert_eq!(after["error"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn bad_logins_and_bodies_get_clear_errors() {
    let app = auth_app(&[]).await;
    let wrong = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "username": ADMIN_USER, "password": "not it" }))
        .send()
        .await
        .unwrap();
    let body = json_of(wrong, 401).await;
    assert_eq!(body["error"], "UNAUTHENTICATED");
    assert!(body["message"].as_str().unwrap().contains("invalid"));

    for bad in ["{not json", r#"{"username": "admin"}"#, "[]"] {
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        let body = json_of(res, 400).await;
        assert_eq!(body["error"], "BAD_USER_INPUT", "{bad}: {body}");
        assert!(body["message"].is_string());
    }
    let anonymous = json_of(app.get("/api/auth/verify").await, 401).await;
    assert_eq!(anonymous["error"], "UNAUTHENTICATED");
}
