//! API keys: lifecycle, nothing stored in plaintext, the permission matrix,
//! the per-key rate limit (429 + Retry-After) and expiry.

use bridgeboard::db::entities::api_key;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::auth_support::{CREATE_API_KEY, ME, REQUEST_MAGIC_LINK, auth_app, code, dump_database};
use crate::helpers::TestApp;

const API_KEYS: &str = include_str!("operations/auth/api_keys.graphql");
const API_KEY: &str = include_str!("operations/auth/api_key.graphql");
const REVOKE: &str = include_str!("operations/auth/revoke_api_key.graphql");
const CLIENTS: &str = include_str!("operations/auth/clients.graphql");
const CREATE_CLIENT: &str = include_str!("operations/auth/create_client.graphql");

pub(crate) async fn create_key(app: &TestApp, admin: &str, input: Value) -> (String, Value) {
    let res = app
        .graphql_as(admin, CREATE_API_KEY, json!({ "input": input }))
        .await;
    let created = &res["data"]["createApiKey"];
    let key = created["key"]
        .as_str()
        .unwrap_or_else(|| panic!("createApiKey: {res}"));
    (key.to_owned(), created["apiKey"].clone())
}

async fn as_key(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    let res = app.graphql_key(key, query, variables).await;
    assert_eq!(res.status(), 200, "HTTP status for {query}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_key_lifecycle() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let (key, meta) = create_key(
        &app,
        &admin,
        json!({ "name": "CRM sync", "permission": "STANDARD", "expiresInDays": 30, "description": "nightly" }),
    )
    .await;
    assert!(key.starts_with("bbk_"), "{key}");
    assert_eq!(meta["status"], "ACTIVE");
    assert_eq!(meta["rateLimitPerMinute"], 100, "default limit");
    assert_eq!(meta["description"], "nightly");
    assert!(meta["expiresAt"].is_string());
    assert!(meta["lastUsedAt"].is_null());
    let masked = meta["maskedKey"].as_str().unwrap();
    assert!(
        masked.starts_with(&key[..12]) && !masked.contains(&key[12..]),
        "{masked}"
    );

    // Used: it identifies itself, and lastUsedAt is set.
    let me = as_key(&app, &key, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["kind"], "API_KEY", "{me}");
    assert_eq!(me["data"]["me"]["apiKeyPermission"], "STANDARD");
    let one = app
        .graphql_as(&admin, API_KEY, json!({ "id": meta["id"] }))
        .await;
    assert!(one["data"]["apiKey"]["lastUsedAt"].is_string(), "{one}");

    // Listed (masked, never the key).
    let list = app.graphql_as(&admin, API_KEYS, json!({})).await;
    assert!(!list.to_string().contains(&key[12..]));
    assert_eq!(list["data"]["apiKeys"][0]["name"], "CRM sync", "{list}");

    // Revoked: refused at once.
    let rev = app
        .graphql_as(&admin, REVOKE, json!({ "id": meta["id"] }))
        .await;
    assert_eq!(rev["data"]["revokeApiKey"]["status"], "REVOKED", "{rev}");
    let res = app.graphql_key(&key, ME, json!({})).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn keys_are_never_stored_in_plaintext() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let mut keys = Vec::new();
    for permission in ["READ_ONLY", "STANDARD", "ADMIN"] {
        let (key, _) = create_key(
            &app,
            &admin,
            json!({ "name": permission, "permission": permission }),
        )
        .await;
        as_key(&app, &key, ME, json!({})).await;
        keys.push(key);
    }
    let values = dump_database(&app).await;
    assert!(values.len() > 20, "the dump sees the data");
    for key in &keys {
        let secret = &key[12..];
        let hits: Vec<_> = values.iter().filter(|v| v.contains(secret)).collect();
        assert!(hits.is_empty(), "key material stored: {hits:?}");
    }
    // Passwords neither.
    assert!(
        !values
            .iter()
            .any(|v| v.contains(crate::helpers::ADMIN_PASSWORD))
    );
}

#[tokio::test]
async fn the_permission_matrix() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let mut keys = std::collections::HashMap::new();
    for permission in ["READ_ONLY", "STANDARD", "ADMIN"] {
        let (key, _) = create_key(
            &app,
            &admin,
            json!({ "name": permission, "permission": permission }),
        )
        .await;
        keys.insert(permission, key);
    }
    let query = |k: &'static str| {
        let key = keys[k].clone();
        let app = &app;
        async move { code(&as_key(app, &key, ME, json!({})).await) }
    };
    let mutation = |k: &'static str| {
        let key = keys[k].clone();
        let app = &app;
        async move {
            code(
                &as_key(
                    app,
                    &key,
                    REQUEST_MAGIC_LINK,
                    json!({ "email": "x@example.com" }),
                )
                .await,
            )
        }
    };
    let admin_query = |k: &'static str| {
        let key = keys[k].clone();
        let app = &app;
        async move { code(&as_key(app, &key, CLIENTS, json!({})).await) }
    };
    let admin_mutation = |k: &'static str, n: u32| {
        let key = keys[k].clone();
        let app = &app;
        async move {
            let input = json!({ "email": format!("m{n}@example.com"), "name": "M" });
            code(&as_key(app, &key, CREATE_CLIENT, json!({ "input": input })).await)
        }
    };

    //                       query   mutation     admin query  admin mutation
    assert_eq!(query("READ_ONLY").await, "");
    assert_eq!(mutation("READ_ONLY").await, "FORBIDDEN");
    assert_eq!(admin_query("READ_ONLY").await, "FORBIDDEN");
    assert_eq!(admin_mutation("READ_ONLY", 1).await, "FORBIDDEN");

    assert_eq!(query("STANDARD").await, "");
    assert_eq!(mutation("STANDARD").await, "");
    assert_eq!(admin_query("STANDARD").await, "FORBIDDEN");
    assert_eq!(admin_mutation("STANDARD", 2).await, "FORBIDDEN");

    assert_eq!(query("ADMIN").await, "");
    assert_eq!(mutation("ADMIN").await, "");
    assert_eq!(admin_query("ADMIN").await, "");
    assert_eq!(admin_mutation("ADMIN", 3).await, "");

    // ADMIN keys manage keys too.
    let made = as_key(
        &app,
        &keys["ADMIN"],
        CREATE_API_KEY,
        json!({ "input": { "name": "child", "permission": "READ_ONLY" } }),
    )
    .await;
    assert!(made["data"]["createApiKey"]["key"].is_string(), "{made}");
}

#[tokio::test]
async fn past_its_rate_limit_a_key_gets_429_with_retry_after() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let (key, _) = create_key(
        &app,
        &admin,
        json!({ "name": "tight", "permission": "READ_ONLY", "rateLimitPerMinute": 2 }),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(app.graphql_key(&key, ME, json!({})).await.status(), 200);
    }
    let res = app.graphql_key(&key, ME, json!({})).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"], retry,
        "{body}"
    );
    assert_eq!(code(&body), "RATE_LIMITED");

    // Other keys and sessions are unaffected.
    let (other, _) = create_key(
        &app,
        &admin,
        json!({ "name": "other", "permission": "READ_ONLY" }),
    )
    .await;
    assert_eq!(app.graphql_key(&other, ME, json!({})).await.status(), 200);
}

#[tokio::test]
async fn over_a_websocket_a_key_pays_for_every_operation() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let (key, _) = create_key(
        &app,
        &admin,
        json!({ "name": "socket", "permission": "READ_ONLY", "rateLimitPerMinute": 3 }),
    )
    .await;
    let mut ws = app.ws("graphql-transport-ws").await;
    // Opening the connection checks the key: the first of its three.
    let ack = ws.init(json!({ "X-API-Key": key })).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let mut codes = Vec::new();
    for id in ["1", "2", "3"] {
        ws.send(json!({ "id": id, "type": "subscribe", "payload": { "query": ME } }))
            .await;
        let msg = ws
            .next_json(std::time::Duration::from_secs(5))
            .await
            .expect("an answer");
        codes.push(crate::helpers::ws_error_code(&msg));
        // Drain the `complete` that follows a result.
        if msg["type"] == "next" {
            ws.next_json(std::time::Duration::from_secs(5)).await;
        }
    }
    assert_eq!(
        codes,
        vec![None, None, Some("RATE_LIMITED".to_owned())],
        "the third operation is one too many"
    );
}

#[tokio::test]
async fn an_expired_key_is_refused_and_shown_as_expired() {
    // The test moves an expiry in the database, behind the server's back;
    // a verified key is otherwise remembered for up to this TTL.
    let app = auth_app(&[("CACHE_IDENTITY_TTL_MS", "0")]).await;
    let admin = app.login_admin().await;
    let (key, meta) = create_key(
        &app,
        &admin,
        json!({ "name": "short", "permission": "READ_ONLY", "expiresInDays": 1 }),
    )
    .await;
    assert_eq!(app.graphql_key(&key, ME, json!({})).await.status(), 200);

    // Move the expiry into the past instead of waiting a day.
    let db = app.db.connect().await;
    let id = uuid::Uuid::parse_str(meta["id"].as_str().unwrap()).unwrap();
    api_key::Entity::update_many()
        .col_expr(
            api_key::Column::ExpiresAt,
            Expr::value(Some(chrono::Utc::now() - chrono::Duration::minutes(1))),
        )
        .filter(api_key::Column::Id.eq(id))
        .exec(&db)
        .await
        .unwrap();

    let res = app.graphql_key(&key, ME, json!({})).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    let one = app
        .graphql_as(&admin, API_KEY, json!({ "id": meta["id"] }))
        .await;
    assert_eq!(one["data"]["apiKey"]["status"], "EXPIRED", "{one}");
}

#[tokio::test]
async fn bad_key_input_is_refused() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    for input in [
        json!({ "name": "", "permission": "ADMIN" }),
        json!({ "name": "x", "permission": "ADMIN", "rateLimitPerMinute": 0 }),
        json!({ "name": "x", "permission": "ADMIN", "expiresInDays": 0 }),
    ] {
        let res = app
            .graphql_as(&admin, CREATE_API_KEY, json!({ "input": input }))
            .await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
    }
    let res = app.graphql_key("bbk_not-a-real-key", ME, json!({})).await;
    assert_eq!(res.status(), 401);
}
