//! Every failure on `/graphql` is a GraphQL error response with a stable
//! code: bad JSON, wrong shapes, limits, credentials, rate limits. No
//! internal text, the right statuses and headers.

use serde_json::{Value, json};

use super::{GQL_RESPONSE, JSON, failure, header, post, post_json};
use crate::auth_api_keys::create_key;
use crate::auth_support::{ME, auth_app};
use crate::helpers::{code, spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_bodies_get_400_bad_request_without_internal_text() {
    let app = spawn_app().await;
    for body in [
        r#"{ "not a JSON"#,
        "",
        "42",
        r#"{"qeury":"{ version }"}"#,
        r#"{"query":0}"#,
        r#"{"query":"{ version }","variables":"x"}"#,
        r#"{"query":"{ version }","operationName":false}"#,
        r#"{"query":"{ version }","extensions":["a"]}"#,
    ] {
        for accept in [JSON, GQL_RESPONSE] {
            let (status, _, err) = failure(post(&app, body, Some(JSON), Some(accept)).await).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(code(&err), "BAD_REQUEST", "{body}");
            let message = err["errors"][0]["message"].as_str().unwrap();
            for leak in ["InvalidRequest", "Error(", "serde", "expected value"] {
                assert!(!message.contains(leak), "{body}: {message}");
            }
        }
    }
    let (_, _, err) = failure(post(&app, r#"{"query":0}"#, Some(JSON), None).await).await;
    assert_eq!(err["errors"][0]["message"], "`query` must be a string");
}

#[tokio::test]
async fn null_parameters_are_accepted() {
    let app = spawn_app().await;
    for name in ["variables", "operationName", "extensions"] {
        let res = post_json(
            &app,
            &json!({ "query": "{ version }", name: null }),
            Some(JSON),
        )
        .await;
        assert_eq!(res.status(), 200, "{name}");
        let body: Value = res.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{name}: {body}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let app = spawn_app_with(|v| v.push(("GRAPHQL_MAX_BODY_BYTES".into(), "4096".into()))).await;
    let big = json!({ "query": "query Q($s: String) { version }", "variables": { "s": "x".repeat(5000) } });
    let (status, _, body) = failure(post_json(&app, &big, Some(GQL_RESPONSE)).await).await;
    assert_eq!(status, 413);
    assert_eq!(code(&body), "BAD_REQUEST");
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("4096"), "{msg}");

    // Streamed without a length: refused once it runs over.
    assert_eq!(chunked_post_status(&app, 8000).await, 413);
    assert_eq!(chunked_post_status(&app, 100).await, 200);
}

#[tokio::test]
async fn the_default_body_limit_is_one_mebibyte() {
    let app = spawn_app().await;
    let variable = |n: usize| json!({ "query": "query Q($s: String) { version }", "variables": { "s": "x".repeat(n) } });
    let res = post_json(&app, &variable(900 * 1024), None).await;
    assert_eq!(res.status(), 200);
    let (status, _, _) = failure(post_json(&app, &variable(5 * 1024 * 1024), None).await).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn batches_run_in_order_up_to_the_limit() {
    let app = spawn_app_with(|v| v.push(("GRAPHQL_MAX_BATCH".into(), "3".into()))).await;
    let batch = json!([
        { "query": "{ version }" },
        { "query": "{ noSuchField }" },
        { "query": "query Q { health { status } }", "operationName": "Q" },
    ]);
    let res = post_json(&app, &batch, Some(GQL_RESPONSE)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let answers = body.as_array().expect("an array of answers");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(code(&answers[1]), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(answers[2]["data"]["health"]["status"], "healthy");

    let four = json!([{ "query": "{ version }" }, { "query": "{ version }" }, { "query": "{ version }" }, { "query": "{ version }" }]);
    let (status, _, body) = failure(post_json(&app, &four, None).await).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "BAD_REQUEST");
    let (status, _, _) = failure(post(&app, "[]", Some(JSON), None).await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_batch_charges_every_operation_to_the_key() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let (key, _) = create_key(
        &app,
        &admin,
        json!({ "name": "batcher", "permission": "READ_ONLY", "rateLimitPerMinute": 4 }),
    )
    .await;
    let batch = |n: usize| Value::Array(vec![json!({ "query": ME }); n]);
    let send = |body: Value| {
        app.client
            .post(app.url("/graphql"))
            .header("x-api-key", &key)
            .json(&body)
            .send()
    };
    let res = send(batch(3)).await.unwrap();
    assert_eq!(res.status(), 200);
    let answers: Value = res.json().await.unwrap();
    let answers = answers.as_array().expect("three answers");
    assert_eq!(answers.len(), 3);
    assert!(
        answers.iter().all(|a| a.get("errors").is_none()),
        "{answers:?}"
    );
    // One left of four: a batch of two is one too many.
    let (status, _, body) = failure(send(batch(2)).await.unwrap()).await;
    assert_eq!(status, 429);
    assert_eq!(code(&body), "RATE_LIMITED");
}

#[tokio::test]
async fn bad_credentials_get_401_with_www_authenticate_in_graphql_shape() {
    let app = auth_app(&[]).await;
    let q = json!({ "query": ME });
    for (name, value) in [
        ("authorization", "Bearer not-a-token"),
        ("authorization", "Basic YWRtaW46YWRtaW4="),
        ("x-api-key", "bb_live_nope"),
    ] {
        for accept in [JSON, GQL_RESPONSE] {
            let res = app
                .client
                .post(app.url("/graphql"))
                .header(name, value)
                .header("accept", accept)
                .json(&q)
                .send()
                .await
                .unwrap();
            assert_eq!(header(&res, "www-authenticate"), "Bearer", "{value}");
            assert_eq!(header(&res, "cache-control"), "no-store");
            let (status, ct, body) = failure(res).await;
            assert_eq!(status, 401, "{value}");
            assert!(ct.starts_with(accept), "{ct}");
            assert_eq!(code(&body), "UNAUTHENTICATED", "{value}");
        }
    }
}

#[tokio::test]
async fn rate_limited_keys_get_429_with_retry_after_in_both_places() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let (key, _) = create_key(
        &app,
        &admin,
        json!({ "name": "tight", "permission": "READ_ONLY", "rateLimitPerMinute": 1 }),
    )
    .await;
    assert_eq!(app.graphql_key(&key, ME, json!({})).await.status(), 200);
    let res = app.graphql_key(&key, ME, json!({})).await;
    let retry: u64 = header(&res, "retry-after").parse().expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    let (status, _, body) = failure(res).await;
    assert_eq!(status, 429);
    assert_eq!(code(&body), "RATE_LIMITED");
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"], retry,
        "{body}"
    );
}

#[tokio::test]
async fn authenticated_answers_are_not_stored_and_vary_by_credentials() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .json(&json!({ "query": "{ version }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-store");
    let vary = header(&res, "vary").to_ascii_lowercase();
    for name in ["accept", "authorization", "x-api-key"] {
        assert!(vary.contains(name), "{vary}");
    }

    let anon = post_json(&app, &json!({ "query": "{ version }" }), None).await;
    assert!(anon.headers().get("cache-control").is_none());
    assert!(
        header(&anon, "vary")
            .to_ascii_lowercase()
            .contains("accept")
    );
}

#[tokio::test]
async fn the_rest_routes_keep_their_own_error_shape() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/keys"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "UNAUTHENTICATED", "{body}");
}

/// POSTs a body with `Transfer-Encoding: chunked` (no length declared) whose
/// variable holds `n` bytes; the response's status.
async fn chunked_post_status(app: &crate::helpers::TestApp, n: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = "POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    conn.write_all(head.as_bytes()).await.unwrap();
    let parts = [
        r#"{"query":"query Q($s: String) { version }","variables":{"s":""#.to_owned(),
        "y".repeat(n),
        r#""}}"#.to_owned(),
    ];
    for part in parts {
        let chunk = format!("{:x}\r\n{part}\r\n", part.len());
        // The server may answer and close before the whole body is sent.
        if conn.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
}
