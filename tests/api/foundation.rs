//! Health, readiness, GraphQL over HTTP, request ids and error codes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::spawn_app;

const HEALTH: &str = include_str!("operations/health.graphql");

#[tokio::test]
async fn health_reports_status_and_version() {
    let app = spawn_app().await;
    for path in ["/", "/health"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "healthy");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36, "a UUID");

    // A caller's own id is kept, so it can be traced across services.
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "caller-chosen-id")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "caller-chosen-id");
}

#[tokio::test]
async fn ready_turns_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    // Ready once the tickets board has been synced.
    let body = crate::helpers::eventually("/ready", || async {
        let res = app.get("/ready").await;
        (res.status() == 200).then_some(())?;
        res.json::<Value>().await.ok()
    })
    .await;
    assert_eq!(body["database"], "up");
    assert_eq!(body["tickets_board"], "synced");

    app.db.destroy().await;

    // The pool may hand out a connection that has not noticed yet; within a few
    // seconds every check must fail.
    let mut status = 200;
    for _ in 0..20 {
        status = app.get("/ready").await.status().as_u16();
        if status == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 503, "/ready with the database gone");
    let body: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(body["database"], "down");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn graphql_query_over_http() {
    let app = spawn_app().await;
    let body = app.graphql(HEALTH, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["health"]["status"], "healthy");
    assert_eq!(body["data"]["health"]["database"], true);
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    let res = app.graphiql(None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page");
    assert!(html.contains("/dashboard/assets/graphiql.js"), "{html}");
    let script = app.get("/dashboard/assets/graphiql.js").await;
    assert_eq!(script.status(), 200);
    let script = script.text().await.unwrap();
    assert!(
        script.contains("/graphql/ws"),
        "subscriptions endpoint wired"
    );
    assert!(
        script.contains("url: \"/graphql\""),
        "queries endpoint wired"
    );
}

#[tokio::test]
async fn bad_queries_get_stable_codes() {
    let app = spawn_app().await;

    let body = app.graphql("{ noSuchField }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    let body = app.graphql("{ health { ", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // Depth limit: nested introspection far past the maximum.
    let deep = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "fields { type { ofType { ".repeat(6),
        "} } } ".repeat(6)
    );
    let body = app.graphql(&deep, json!({})).await;
    let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("nested too deep"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn malformed_http_bodies_get_400_not_500() {
    // The shapes and codes in detail: graphql_http::errors.
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let res = app.get("/no/such/route").await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "NOT_FOUND");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = crate::helpers::spawn_app_with(|v| {
        v.push((
            "ALLOWED_ORIGINS".into(),
            "https://portal.example.com".into(),
        ));
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };
    let ok = preflight("https://portal.example.com").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://portal.example.com"
    );
    let other = preflight("https://evil.example.net").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
