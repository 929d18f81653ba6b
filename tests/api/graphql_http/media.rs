//! The media type follows `Accept`; request errors are 4xx only for
//! clients that accept `application/graphql-response+json`.

use serde_json::json;

use super::{GQL_RESPONSE, JSON, content_type, failure, post, post_json};
use crate::helpers::{code, spawn_app};

#[tokio::test]
async fn the_answer_has_the_media_type_the_client_accepts() {
    let app = spawn_app().await;
    let q = json!({ "query": "{ version }" });
    for (accept, expected) in [
        (Some(JSON), JSON),
        (Some(GQL_RESPONSE), GQL_RESPONSE),
        (Some("*/*"), JSON),
        (None, JSON),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GQL_RESPONSE,
        ),
        (Some("text/plain"), JSON),
    ] {
        let res = post_json(&app, &q, accept).await;
        assert_eq!(res.status(), 200, "{accept:?}");
        let ct = content_type(&res);
        assert!(ct.starts_with(expected), "{accept:?}: {ct}");
        assert!(ct.contains("charset=utf-8"), "{ct}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[tokio::test]
async fn request_errors_are_400_without_data_for_graphql_response_json() {
    let app = spawn_app().await;
    for query in [
        "{",
        "{ noSuchField }",
        "query Q($id: ID!) { ticket(id: $id) { id } }",
    ] {
        let body = json!({ "query": query, "variables": { "id": null } });
        let res = post_json(&app, &body, Some(GQL_RESPONSE)).await;
        let (status, ct, body) = failure(res).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(ct.starts_with(GQL_RESPONSE));
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}");
    }
}

#[tokio::test]
async fn request_errors_are_200_for_application_json() {
    let app = spawn_app().await;
    for query in ["{", "{ noSuchField }"] {
        let res = post_json(&app, &json!({ "query": query }), Some(JSON)).await;
        let (status, ct, body) = failure(res).await;
        assert_eq!(status, 200, "{query}");
        assert!(ct.starts_with(JSON));
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn field_errors_keep_200_and_data_for_either_media_type() {
    let app = spawn_app().await;
    // An anonymous caller reading a guarded field: a field error.
    for accept in [JSON, GQL_RESPONSE] {
        let res = post_json(
            &app,
            &json!({ "query": "{ version me { id } }" }),
            Some(accept),
        )
        .await;
        assert_eq!(res.status(), 200, "{accept}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body.get("data").is_some(), "{body}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
}

#[tokio::test]
async fn only_json_bodies_are_accepted() {
    let app = spawn_app().await;
    let q = r#"{"query":"{ version }"}"#;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let (status, _, body) = failure(post(&app, q, ct, Some(GQL_RESPONSE)).await).await;
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(code(&body), "BAD_REQUEST");
    }
    let res = post(&app, q, Some("application/json; charset=utf-8"), None).await;
    assert_eq!(res.status(), 200);
}
