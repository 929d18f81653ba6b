//! Apollo's automatic persisted queries over POST and GET.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{GQL_RESPONSE, JSON, failure, get, post_json};
use crate::helpers::{code, spawn_app};

fn sha256(q: &str) -> String {
    hex::encode(Sha256::digest(q.as_bytes()))
}

fn extensions(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn a_hash_is_unknown_until_its_query_is_sent_once() {
    let app = spawn_app().await;
    let query = "query Version { version }";
    let hash = sha256(query);
    let hash_only = json!({ "extensions": extensions(&hash) });

    // Apollo Client reads the code from a 200 (application/json) ...
    let (status, _, body) = failure(post_json(&app, &hash_only, Some(JSON)).await).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // ... and from a 4xx without data (graphql-response+json).
    let (status, _, body) = failure(post_json(&app, &hash_only, Some(GQL_RESPONSE)).await).await;
    assert_eq!(status, 404);
    assert!(body.get("data").is_none());

    let full = json!({ "query": query, "extensions": extensions(&hash) });
    let res = post_json(&app, &full, None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"), "{body}");

    let res = post_json(&app, &hash_only, Some(GQL_RESPONSE)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"), "{body}");

    // Over GET too, as Apollo sends hashed queries.
    let ext = extensions(&hash).to_string();
    let res = get(&app, &[("extensions", ext.as_str())], None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"), "{body}");
}

#[tokio::test]
async fn apq_over_get_registers_and_still_refuses_mutations() {
    let app = spawn_app().await;
    let query = "{ health { status } }";
    let ext = extensions(&sha256(query)).to_string();
    let (status, _, body) =
        failure(get(&app, &[("extensions", ext.as_str())], Some(JSON)).await).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (200, "PERSISTED_QUERY_NOT_FOUND")
    );
    let res = get(
        &app,
        &[("query", query), ("extensions", ext.as_str())],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = get(&app, &[("extensions", ext.as_str())], None).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["health"]["status"], "healthy", "{body}");

    // A mutation registered over POST is still not run over GET.
    let mutation = "mutation { logout }";
    let ext = extensions(&sha256(mutation)).to_string();
    let res = post_json(
        &app,
        &json!({ "query": mutation, "extensions": extensions(&sha256(mutation)) }),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let (status, _, _) = failure(get(&app, &[("extensions", ext.as_str())], None).await).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn a_hash_that_does_not_match_its_query_is_a_bad_request() {
    let app = spawn_app().await;
    let wrong = json!({ "query": "{ version }", "extensions": extensions(&sha256("{ health { status } }")) });
    let (status, _, body) = failure(post_json(&app, &wrong, Some(GQL_RESPONSE)).await).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "BAD_REQUEST");
    let bad_version = json!({ "query": "{ version }", "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256("{ version }") } } });
    let (_, _, body) = failure(post_json(&app, &bad_version, None).await).await;
    assert_eq!(code(&body), "BAD_REQUEST");
}
