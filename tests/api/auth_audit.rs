//! The audit log records who did what, to what, from where, and when.

use std::collections::HashSet;

use serde_json::json;

use crate::auth_support::{
    AUDIT_LOG, CREATE_API_KEY, LOGOUT, ME, auth_app_with_smtp, code, redeem, request_link,
};
use crate::helpers::ADMIN_USER;

const REVOKE: &str = include_str!("operations/auth/revoke_api_key.graphql");
const UPDATE: &str = include_str!("operations/auth/update_client.graphql");
const DELETE: &str = include_str!("operations/auth/delete_client.graphql");

#[tokio::test]
async fn security_events_are_audited_with_actor_target_ip_and_time() {
    let (app, sink) = auth_app_with_smtp(&[]).await;
    app.login(ADMIN_USER, "wrong-password").await;
    let admin = app.login_admin().await;

    let client = app.create_client(&admin, "ada@example.com", "Ada").await;
    let upd = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "id": client["id"], "input": { "name": "Ada L." } }),
        )
        .await;
    assert!(upd.get("errors").is_none(), "{upd}");
    let token = request_link(&app, &sink, "ada@example.com")
        .await
        .magic_token();
    let session = redeem(&app, &token).await;
    let client_jwt = session["data"]["redeemMagicLink"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.graphql_as(&client_jwt, LOGOUT, json!({})).await;

    let res = app
        .graphql_as(
            &admin,
            CREATE_API_KEY,
            json!({ "input": { "name": "k", "permission": "READ_ONLY" } }),
        )
        .await;
    let key = res["data"]["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let key_id = res["data"]["createApiKey"]["apiKey"]["id"].clone();
    app.graphql_key(&key, ME, json!({})).await;
    app.graphql_key(&key, ME, json!({})).await;
    app.graphql_as(&admin, REVOKE, json!({ "id": key_id }))
        .await;
    app.graphql_as(&admin, DELETE, json!({ "id": client["id"] }))
        .await;

    let log = app
        .graphql_as(&admin, AUDIT_LOG, json!({ "first": 100 }))
        .await;
    let entries: Vec<_> = log["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let actions: HashSet<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "login",
        "login.failed",
        "logout",
        "magic_link.issued",
        "magic_link.redeemed",
        "api_key.created",
        "api_key.first_used",
        "api_key.revoked",
        "client.created",
        "client.updated",
        "client.deleted",
    ] {
        assert!(
            actions.contains(expected),
            "{expected} missing from {actions:?}"
        );
    }
    let first_use = entries
        .iter()
        .filter(|e| e["action"] == "api_key.first_used")
        .count();
    assert_eq!(first_use, 1, "only the first use is recorded");

    let created = entries
        .iter()
        .find(|e| e["action"] == "client.created")
        .unwrap();
    assert_eq!(created["actor"], "staff:admin");
    assert_eq!(
        created["target"],
        format!("client:{}", client["id"].as_str().unwrap())
    );
    assert_eq!(created["ip"], "127.0.0.1");
    assert!(created["createdAt"].is_string());
    let failed = entries
        .iter()
        .find(|e| e["action"] == "login.failed")
        .unwrap();
    assert_eq!(failed["ip"], "127.0.0.1");
    // Newest first.
    assert_eq!(entries[0]["action"], "client.deleted", "{entries:?}");

    // Paging walks the same entries without overlap.
    let page1 = app
        .graphql_as(&admin, AUDIT_LOG, json!({ "first": 3 }))
        .await;
    let after = page1["data"]["auditLog"]["pageInfo"]["endCursor"].clone();
    assert_eq!(page1["data"]["auditLog"]["pageInfo"]["hasNextPage"], true);
    let page2 = app
        .graphql_as(&admin, AUDIT_LOG, json!({ "first": 3, "after": after }))
        .await;
    let ids = |p: &serde_json::Value| -> Vec<String> {
        p["data"]["auditLog"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all_ids: Vec<String> = entries
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!([ids(&page1), ids(&page2)].concat(), all_ids[..6].to_vec());

    // Only admins read it.
    let denied = app.graphql(AUDIT_LOG, json!({})).await;
    assert_eq!(code(&denied), "UNAUTHENTICATED", "{denied}");
}

const FILTERED: &str = include_str!("operations/auth/audit_log_filtered.graphql");

/// The filters run on the server, so paging a filtered log walks only the
/// entries that match, however far back they are.
#[tokio::test]
async fn the_audit_log_filters_by_text_action_and_time_on_the_server() {
    let (app, _sink) = auth_app_with_smtp(&[]).await;
    for _ in 0..3 {
        app.login("mallory", "guess").await;
    }
    let admin = app.login_admin().await;
    let middle = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for name in ["Ada", "Grace"] {
        app.create_client(
            &admin,
            &format!("{}@example.com", name.to_lowercase()),
            name,
        )
        .await;
    }
    let query = |vars: serde_json::Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let body = app.graphql_as(&admin, FILTERED, vars).await;
            assert!(body.get("errors").is_none(), "{body}");
            body["data"]["auditLog"].clone()
        }
    };
    let nodes = |page: &serde_json::Value| -> Vec<serde_json::Value> {
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    };

    let failed = nodes(&query(json!({ "search": "mallory" })).await);
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed.iter().all(|e| e["action"] == "login.failed"));

    let created = nodes(&query(json!({ "action": "client." })).await);
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(created.iter().all(|e| e["action"] == "client.created"));

    // A page of one, then the next: only matching entries, no overlap.
    let first = query(json!({ "search": "mallory", "first": 2 })).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let rest =
        query(json!({ "search": "mallory", "first": 2, "after": first["pageInfo"]["endCursor"] }))
            .await;
    let walked: Vec<_> = [nodes(&first), nodes(&rest)].concat();
    assert_eq!(walked, failed);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    let since = middle.to_rfc3339();
    let after_middle = nodes(&query(json!({ "since": since })).await);
    assert_eq!(
        after_middle.len(),
        2,
        "only the two client changes: {after_middle:?}"
    );
    let before_middle = nodes(&query(json!({ "until": since, "action": "login" })).await);
    assert_eq!(
        before_middle.len(),
        4,
        "three failed logins and the admin's: {before_middle:?}"
    );
    // Matched literally: a wildcard is just a character.
    assert!(nodes(&query(json!({ "search": "%" })).await).is_empty());

    let long = app
        .graphql_as(&admin, FILTERED, json!({ "search": "x".repeat(201) }))
        .await;
    assert_eq!(code(&long), "BAD_USER_INPUT", "{long}");
}
