//! `/api/keys`: keys made, listed, used, limited, expired and revoked over
//! REST, with the permissions each level carries.

use serde_json::{Value, json};

use super::{json_of, key};
use crate::auth_support::auth_app;
use crate::helpers::TestApp;

async fn create(app: &TestApp, auth: (&str, &str), body: Value) -> reqwest::Response {
    let req = app.client.post(app.url("/api/keys")).json(&body);
    let req = match auth {
        ("key", k) => req.header("x-api-key", k),
        (_, t) => req.bearer_auth(t),
    };
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_admin_creates_lists_uses_and_revokes_a_key() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let res = create(
        &app,
        ("bearer", &admin),
        json!({ "name": "nightly pandas", "permission": "read_only", "expires_in_days": 30, "rate_limit": 5, "description": "reports" }),
    )
    .await;
    let created = json_of(res, 201).await;
    let secret = created["key"].as_str().unwrap().to_owned();
    let id = created["key_id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("bbk_"));
    assert_eq!(created["permission"], "read_only");
    assert_eq!(created["rate_limit"], 5);
    assert!(created["expires_at"].is_string());
    assert!(created["message"].is_string());

    // Use it three times.
    for _ in 0..3 {
        json_of(app.get_key(&secret, "/api/auth/verify").await, 200).await;
    }
    let listed = json_of(app.get_bearer(&admin, "/api/keys").await, 200).await;
    assert_eq!(listed["total"], 1);
    let k = &listed["keys"][0];
    assert_eq!(k["key_id"], id.as_str());
    assert_eq!(k["name"], "nightly pandas");
    assert_eq!(k["status"], "active");
    assert_eq!(k["is_active"], true);
    assert_eq!(k["usage_count"], 3, "{k}");
    assert!(k["last_used"].is_string(), "{k}");
    assert_eq!(k["created_by"], "staff:admin");
    assert_eq!(k["description"], "reports");
    assert!(
        !listed.to_string().contains(&secret[4..]),
        "the key is shown only once"
    );

    let one = json_of(
        app.get_bearer(&admin, &format!("/api/keys/{id}")).await,
        200,
    )
    .await;
    // Five a minute, three spent; one comes back every 12 s.
    assert_eq!(one["rate_limit_remaining"], 2, "{one}");

    let revoked = app
        .client
        .delete(app.url(&format!("/api/keys/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(revoked, 200).await["key"]["status"], "revoked");
    let refused = json_of(app.get_key(&secret, "/api/auth/verify").await, 401).await;
    assert_eq!(refused["error"], "UNAUTHENTICATED");
    assert!(refused["message"].as_str().unwrap().contains("revoked"));
    let active = json_of(app.get_bearer(&admin, "/api/keys").await, 200).await;
    assert_eq!(active["total"], 0, "revoked keys are hidden by default");
    let all = json_of(
        app.get_bearer(&admin, "/api/keys?include_revoked=true")
            .await,
        200,
    )
    .await;
    assert_eq!(all["keys"][0]["status"], "revoked");

    let audit = json_of(
        app.get_bearer(&admin, &format!("/api/keys/{id}/audit"))
            .await,
        200,
    )
    .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["api_key.revoked", "api_key.first_used", "api_key.created"]
    );
    let every = json_of(app.get_bearer(&admin, "/api/keys/audit").await, 200).await;
    assert_eq!(every["total"], 3, "{every}");

    let missing = json_of(app.get_bearer(&admin, "/api/keys/not-a-key-id").await, 404).await;
    assert_eq!(missing["error"], "NOT_FOUND");
}

#[tokio::test]
async fn only_admins_manage_keys_and_every_level_reads() {
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let read_only = key(&app, &admin, "READ_ONLY", 100).await;
    let standard = key(&app, &admin, "STANDARD", 100).await;
    let admin_key = key(&app, &admin, "ADMIN", 100).await;
    let body = json!({ "name": "made by a key", "permission": "standard" });

    for k in [&read_only, &standard] {
        let res = json_of(create(&app, ("key", k), body.clone()).await, 403).await;
        assert_eq!(res["error"], "FORBIDDEN");
        json_of(app.get_key(k, "/api/keys").await, 403).await;
        // Every level may read the snippets.
        let snippets = json_of(app.get_key(k, "/api/keys/code-examples").await, 200).await;
        assert!(
            snippets["curl"]["combined_csv"]
                .as_str()
                .unwrap()
                .contains(&format!("{}/api/combined_csv", app.address))
        );
        assert!(snippets["pandas"].as_str().unwrap().contains("read_csv"));
        assert!(
            snippets["curl"]["parquet"]
                .as_str()
                .unwrap()
                .contains(r#"-H "X-API-Key: $BRIDGEBOARD_KEY""#),
            "the shell expands the key: {snippets}"
        );
    }
    let made = json_of(create(&app, ("key", &admin_key), body).await, 201).await;
    assert_eq!(made["permission"], "standard");
    json_of(app.get_key(&admin_key, "/api/keys").await, 200).await;
    json_of(app.get("/api/keys").await, 401).await;

    for (bad, why) in [
        (json!({ "name": "x", "permission": "root" }), "permission"),
        (json!({ "name": "", "permission": "read_only" }), "name"),
        (json!({ "name": "x", "rate_limit": 0 }), "rate"),
        (json!({ "name": "x", "expires_in_days": 99999 }), "expires"),
        (json!({ "permission": "read_only" }), "name"),
    ] {
        let res = json_of(create(&app, ("bearer", &admin), bad).await, 400).await;
        assert_eq!(res["error"], "BAD_USER_INPUT");
        assert!(
            res["message"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(why),
            "{why}: {res}"
        );
    }
}

#[tokio::test]
async fn a_key_over_its_limit_waits_and_an_expired_key_is_refused() {
    // The test moves an expiry in the database, behind the server's back;
    // a verified key is otherwise remembered for up to this TTL.
    let app = auth_app(&[("CACHE_IDENTITY_TTL_MS", "0")]).await;
    let admin = app.login_admin().await;
    let limited = key(&app, &admin, "READ_ONLY", 2).await;
    json_of(app.get_key(&limited, "/api/auth/verify").await, 200).await;
    json_of(app.get_key(&limited, "/api/auth/verify").await, 200).await;
    let over = app.get_key(&limited, "/api/auth/verify").await;
    assert_eq!(over.status(), 429);
    let wait: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["error"], "RATE_LIMITED");
    assert_eq!(body["retry_after"], wait);

    let soon = create(
        &app,
        ("bearer", &admin),
        json!({ "name": "short-lived", "expires_in_days": 1 }),
    )
    .await;
    let soon = json_of(soon, 201).await;
    let secret = soon["key"].as_str().unwrap();
    json_of(app.get_key(secret, "/api/auth/verify").await, 200).await;
    expire(&app, soon["key_id"].as_str().unwrap()).await;
    let refused = json_of(app.get_key(secret, "/api/auth/verify").await, 401).await;
    assert!(refused["message"].as_str().unwrap().contains("expired"));
    let shown = json_of(
        app.get_bearer(
            &admin,
            &format!("/api/keys/{}", soon["key_id"].as_str().unwrap()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shown["status"], "expired");
    assert_eq!(shown["is_active"], false);
}

/// Moves a key's expiry into the past, as time would.
async fn expire(app: &TestApp, id: &str) {
    use bridgeboard::db::entities::api_key;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let db = app.db.connect().await;
    let row = api_key::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut row: api_key::ActiveModel = row.into();
    row.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    row.update(&db).await.unwrap();
}

#[tokio::test]
async fn a_burst_of_use_reaches_the_database_without_more_requests() {
    use bridgeboard::db::entities::api_key;
    use sea_orm::EntityTrait;
    let app = auth_app(&[]).await;
    let admin = app.login_admin().await;
    let k = key(&app, &admin, "READ_ONLY", 100).await;
    for _ in 0..4 {
        json_of(app.get_key(&k, "/api/auth/verify").await, 200).await;
    }
    // Then nothing: the periodic flush writes what the first write left.
    let db = app.db.connect().await;
    crate::helpers::eventually("the count to be written", || async {
        let rows = api_key::Entity::find().all(&db).await.unwrap();
        (rows.len() == 1 && rows[0].usage_count == 4).then_some(())
    })
    .await;
}
