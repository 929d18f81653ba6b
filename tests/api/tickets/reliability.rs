//! Recovering as an operator would want: a bad webhook id is refused before
//! it reaches Monday, a permanent Monday refusal fails the entry (visibly to
//! staff) instead of retrying it for ever, and Monday being down at startup
//! only delays the first board sync.

use std::time::{Duration, Instant};

use bridgeboard::db::entities::ticket;
use bridgeboard::sandbox::faults::Upstream;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::delivery::upstream_vars;
use super::*;
use crate::helpers::spawn_sandbox;

/// Waits until `/ready` says the tickets board is synced.
pub async fn wait_ready(app: &TestApp) {
    eventually("/ready", || async {
        (app.get("/ready").await.status() == 200).then_some(())
    })
    .await;
}

async fn post_raw(app: &TestApp, body: String) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/webhooks/monday"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_webhook_ids_get_400_and_monday_never_hears_of_them() {
    let app = portal_app().await;
    wait_ready(&app).await;
    let board = app.sandbox().tickets_board_id();
    let monday = app.sandbox().monday();
    let huge = "7".repeat(400);
    let cases = [
        ("pulseId", "\"abc\"".to_owned()),
        ("pulseId", "-1".to_owned()),
        ("pulseId", "1.5".to_owned()),
        ("pulseId", "18446744073709551616".to_owned()),
        ("pulseId", huge.clone()),
        ("pulseId", format!("\"{huge}\"")),
        ("boardId", "\"abc\"".to_owned()),
        ("boardId", "1e3".to_owned()),
    ];
    let before = monday.requests();
    for (field, raw) in &cases {
        let (board_raw, pulse_raw) = if *field == "boardId" {
            (raw.clone(), "5000000001".to_owned())
        } else {
            (board.to_string(), raw.clone())
        };
        let body = format!(
            r#"{{"event":{{"type":"update_name","boardId":{board_raw},"pulseId":{pulse_raw},"triggerUuid":"t-{}"}}}}"#,
            uuid::Uuid::new_v4()
        );
        let (status, answer) = post_raw(&app, body).await;
        assert_eq!(status, 400, "{field}={raw}: {answer}");
        assert_eq!(answer["error"], "BAD_USER_INPUT", "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("event.{field} must be a positive integer id")),
            "{field}={raw}: {message}"
        );
        assert!(message.len() < 200, "the message stays short: {message}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(monday.requests(), before, "no call reached Monday");

    // A well-formed id does reach Monday (the count is live).
    let body = format!(
        r#"{{"event":{{"type":"update_name","boardId":{board},"pulseId":"5000000001","triggerUuid":"t-ok"}}}}"#
    );
    let (status, answer) = post_raw(&app, body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(monday.requests() > before);
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_entry_with_its_reason_shown_to_staff() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "refused@example.com").await;
    let t = app
        .create_ticket(&token, json!({ "title": "Will be refused" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    app.wait_synced(&token, &id).await;

    // The item id we hold is one Monday refuses ("Invalid ID: abc").
    let db = app.db.connect().await;
    let row = ticket::Entity::find()
        .filter(ticket::Column::Id.eq(uuid::Uuid::parse_str(&id).unwrap()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut row: ticket::ActiveModel = row.into();
    row.monday_item_id = Set(Some("abc".to_owned()));
    row.update(&db).await.unwrap();

    let body = app
        .graphql_as(
            &token,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "title": "Refused for good" } }),
        )
        .await;
    assert_eq!(data(body)["updateTicket"]["syncState"], "PENDING");
    let query = "query($id: ID!) { ticket(id: $id) { syncState syncError } }";
    let failed = eventually("the ticket to fail", || async {
        let t = app.graphql_as(&admin, query, json!({ "id": id })).await;
        let t = t["data"]["ticket"].clone();
        (t["syncState"] == "FAILED").then_some(t)
    })
    .await;
    let reason = failed["syncError"].as_str().unwrap_or_default();
    assert!(reason.contains("Invalid ID: abc"), "{failed}");
    // Staff find it among the outbox's refused entries, with the reason.
    let outbox = app
        .graphql_as(
            &admin,
            "{ outbox { backlog refused { kind subject lastError refusedAt nextAttemptAt } } }",
            json!({}),
        )
        .await;
    let refused = data(outbox)["outbox"]["refused"].clone();
    let entry = refused
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"] == id.as_str())
        .unwrap_or_else(|| panic!("{refused}"))
        .clone();
    assert!(
        entry["lastError"]
            .as_str()
            .unwrap()
            .contains("Invalid ID: abc"),
        "{entry}"
    );
    assert!(entry["refusedAt"].is_string() && entry["nextAttemptAt"].is_null());

    // Not retried: Monday hears nothing more about it.
    let monday = app.sandbox().monday();
    let after = monday.requests();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(monday.requests(), after, "the refused entry was retried");
    // The client sees the state, not Monday's words.
    let theirs = app.graphql_as(&token, query, json!({ "id": id })).await;
    assert_eq!(theirs["data"]["ticket"]["syncState"], "FAILED", "{theirs}");
    assert!(theirs["data"]["ticket"]["syncError"].is_null(), "{theirs}");
}

#[tokio::test]
async fn monday_down_at_startup_is_retried_with_backoff_and_ready_says_so() {
    let sandbox = spawn_sandbox(|o| {
        o.tickets = 3;
        o.clients = 1;
    })
    .await;
    sandbox.faults().set_down(Upstream::Monday, true);
    let app = spawn_app_with(|v| {
        portal_vars(v);
        upstream_vars(&sandbox, v);
    })
    .await;
    // Not ready, and the attempts are counted while Monday stays down.
    let body = eventually("a second sync attempt", || async {
        let res = app.get("/ready").await;
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.ok()?;
        (body["tickets_board_sync_attempts"].as_u64()? >= 2).then_some(body)
    })
    .await;
    assert_eq!(body["tickets_board"], "syncing", "{body}");
    assert_eq!(body["database"], "up", "{body}");

    sandbox.faults().set_down(Upstream::Monday, false);
    let back = Instant::now();
    wait_ready(&app).await;
    // The next attempt comes within the backoff (at most 60 s; by now a few).
    assert!(
        back.elapsed() < Duration::from_secs(20),
        "{:?}",
        back.elapsed()
    );
    let body: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(body["tickets_board"], "synced");
    let admin = app.login_admin().await;
    let listed = app
        .graphql_as(&admin, TICKETS, json!({ "first": 10 }))
        .await;
    assert_eq!(
        data(listed)["tickets"]["edges"].as_array().map(Vec::len),
        Some(3),
        "the board's tickets were imported"
    );
}
