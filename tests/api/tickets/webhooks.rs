//! `POST /webhooks/monday`: challenge, signatures, bad input, other boards and
//! retried deliveries.

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;

const SECRET: &str = "monday-signing-secret-for-tests";

fn sign(secret: &str, aud: &str, exp_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    encode(
        &Header::default(),
        &json!({ "aud": aud, "exp": now + exp_offset, "iat": now, "accountId": 1, "userId": 2 }),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn post(app: &TestApp, body: Value, auth: Option<String>) -> (u16, Value) {
    let mut req = app.client.post(app.url("/webhooks/monday")).json(&body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn signed_webhooks_are_verified() {
    let app = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("MONDAY_SIGNING_SECRET".into(), SECRET.into()));
    })
    .await;
    wait_wired(&app).await;
    let aud = app.url("/webhooks/monday");
    let admin = app.login_admin().await;
    let ticket = eventually("a seeded ticket imported", || async {
        let body = app.graphql_as(&admin, TICKETS, json!({ "first": 1 })).await;
        let node = body["data"]["tickets"]["edges"][0]["node"].clone();
        node.is_object().then_some(node)
    })
    .await;
    let item: u64 = eventually("a synced seeded ticket", || async {
        let t = data(app.ticket(&admin, ticket["id"].as_str()?).await);
        t["ticket"]["mondayItemId"].as_str()?.parse().ok()
    })
    .await;
    let event = |trigger: &str| {
        json!({ "event": {
            "app": "monday", "type": "update_name", "boardId": app.sandbox().tickets_board_id(),
            "pulseId": item, "triggerUuid": trigger, "triggerTime": "2026-11-22T10:00:00Z",
            "value": { "name": "x" }, "previousValue": { "name": "y" }
        }})
    };

    for (auth, why) in [
        (None, "no signature"),
        (Some(sign("some-other-secret", &aud, 300)), "wrong key"),
        (
            Some(sign(
                SECRET,
                "https://elsewhere.example/webhooks/monday",
                300,
            )),
            "wrong audience",
        ),
        (Some(sign(SECRET, &aud, -300)), "expired"),
        (Some("not-a-jwt".to_owned()), "garbage"),
    ] {
        let (status, body) = post(&app, event("t-bad"), auth).await;
        assert_eq!(status, 401, "{why}");
        assert_eq!(body["error"], "UNAUTHENTICATED", "{why}");
    }
    let (status, body) = post(&app, event("t-good"), Some(sign(SECRET, &aud, 300))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("applied")));

    // The sandbox signs its own deliveries with the same secret: a staff edit
    // still reaches the ticket through the verified path.
    app.sandbox()
        .monday()
        .staff_rename(item, "Renamed by staff")
        .unwrap();
    eventually("the signed delivery applied", || async {
        let t = data(app.ticket(&admin, ticket["id"].as_str()?).await);
        (t["ticket"]["title"] == "Renamed by staff").then_some(())
    })
    .await;
}

#[tokio::test]
async fn bad_and_repeated_deliveries() {
    let app = portal_app().await;
    let board = app.sandbox().tickets_board_id();

    let (status, body) = post(&app, json!({ "challenge": "abc123" }), None).await;
    assert_eq!((status, body), (200, json!({ "challenge": "abc123" })));

    let res = app
        .client
        .post(app.url("/webhooks/monday"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    for bad in [
        json!({ "event": "x" }),
        json!({ "nothing": true }),
        json!({ "event": { "boardId": board } }),
    ] {
        let (status, _) = post(&app, bad.clone(), None).await;
        assert_eq!(status, 400, "{bad}");
    }

    let (status, body) = post(
        &app,
        json!({ "event": { "type": "update_name", "boardId": 999, "pulseId": 1, "triggerUuid": "other-board" } }),
        None,
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ignored")));

    // A retried delivery (same triggerUuid) is applied once.
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "retry@example.com").await;
    let t = app
        .create_ticket(&token, json!({ "title": "Retry me" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let item = app.wait_synced(&token, &id).await;
    let mut ws = app.subscribe_tickets(&token, Some(&id)).await;
    app.sandbox()
        .monday()
        .staff_set_priority(item, "Urgent")
        .unwrap();
    wait_event(&mut ws, "priority", |e| e["ticket"]["priority"] == "URGENT").await;
    let delivery = json!({ "event": {
        "type": "create_update", "boardId": board, "pulseId": item, "triggerUuid": "same-trigger",
        "body": "<p>hi</p>", "textBody": "hi", "updateId": 1
    }});
    // A forged delete for an item that still exists hides nothing.
    let forged = json!({ "event": {
        "type": "delete_pulse", "boardId": board, "itemId": item, "triggerUuid": "forged-delete"
    }});
    let (status, _) = post(&app, forged, None).await;
    assert_eq!(status, 200);
    let still = app.ticket(&token, &id).await;
    assert_eq!(
        data(still)["ticket"]["id"],
        id.as_str(),
        "the ticket is still there"
    );

    let (s1, b1) = post(&app, delivery.clone(), None).await;
    let (s2, b2) = post(&app, delivery, None).await;
    assert_eq!((s1, b1["status"].as_str()), (200, Some("applied")));
    assert_eq!((s2, b2["status"].as_str()), (200, Some("duplicate")));
}
