//! Changes, logouts and revocations cross replicas through LISTEN/NOTIFY.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use super::{pair, ready, titles};
use crate::auth_support::CREATE_API_KEY;
use crate::helpers::TestApp;
use crate::tickets::{UPDATE_TICKET, data, eventually, next_event, wait_event};

const HEARTBEAT: &str = include_str!("../operations/heartbeat.graphql");
const LOGOUT: &str = include_str!("../operations/auth/logout.graphql");
const ME: &str = include_str!("../operations/auth/me.graphql");
const REVOKE_API_KEY: &str = include_str!("../operations/auth/revoke_api_key.graphql");

/// Closing frame our server sends a socket whose credentials were revoked.
const FORBIDDEN: u16 = 4403;

/// The HTTP status of `me` with `token` at `app` (401 once it is refused).
async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("POST /graphql")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_webhook_received_by_one_replica_reaches_subscribers_on_the_other() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    assert!(
        a.sandbox()
            .monday()
            .webhooks()
            .iter()
            .all(|w| w.url.contains(&format!(":{}/", a.port))),
        "Monday's webhooks go to A only"
    );
    let admin = a.login_admin().await;
    let (_, _, alice) = a.signed_in_client(&admin, "alice@example.com").await;
    let (_, _, bob) = a.signed_in_client(&admin, "bob@example.com").await;
    let ticket = a
        .create_ticket(&alice, json!({ "title": "Printer on fire" }))
        .await;
    let id = ticket["id"].as_str().expect("ticket id").to_owned();
    let item = a.wait_synced(&alice, &id).await;

    let mut alice_on_b = b.subscribe_tickets(&alice, None).await;
    let mut bob_on_b = b.subscribe_tickets(&bob, None).await;
    let heard = b.state.changes.status().heard();
    a.sandbox()
        .monday()
        .staff_set_priority(item, "Urgent")
        .expect("staff edit");
    let event = wait_event(&mut alice_on_b, "Alice hears on B of A's webhook", |e| {
        e["ticket"]["priority"] == "URGENT"
    })
    .await;
    assert_eq!(event["ticket"]["id"], id.as_str());
    assert_eq!(event["kind"], "UPDATED");
    assert!(
        b.state.changes.status().heard() > heard,
        "it came through B's relay"
    );
    assert!(
        next_event(&mut bob_on_b, Duration::from_millis(500))
            .await
            .is_none(),
        "Bob heard of Alice's ticket"
    );
}

#[tokio::test]
async fn a_change_through_one_replica_shows_through_the_other_despite_an_hour_of_cache() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    let admin = a.login_admin().await;
    let (_, _, alice) = a.signed_in_client(&admin, "carol@example.com").await;
    let ticket = a.create_ticket(&alice, json!({ "title": "Before" })).await;
    let id = ticket["id"].as_str().expect("ticket id").to_owned();
    a.wait_synced(&alice, &id).await;
    // Twice on B: the second answer comes from B's cache.
    for _ in 0..2 {
        assert!(titles(&b, &alice).await.contains(&"Before".to_owned()));
    }

    data(
        a.graphql_as(
            &alice,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "title": "After" } }),
        )
        .await,
    );
    // The notification takes a moment to cross; an hour-long cache entry
    // going stale within seconds can only be its doing.
    let started = std::time::Instant::now();
    eventually("B to show A's change", || async {
        titles(&b, &alice)
            .await
            .contains(&"After".to_owned())
            .then_some(())
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!titles(&b, &alice).await.contains(&"Before".to_owned()));
}

#[tokio::test]
async fn a_logout_on_one_replica_is_refused_on_the_other_at_once() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    let admin = a.login_admin().await;
    assert_eq!(me_status(&b, &admin).await, 200);
    assert_eq!(me_status(&b, &admin).await, 200, "now from B's cache");
    let mut socket = b
        .subscribe_tickets_with(json!({ "Authorization": format!("Bearer {admin}") }), None)
        .await;

    data(a.graphql_as(&admin, LOGOUT, json!({})).await);
    let started = std::time::Instant::now();
    assert_eq!(
        socket.close_code().await,
        Some(FORBIDDEN),
        "B closes the socket"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // B heard it (the socket says so), and its identity cache forgot it first.
    assert_eq!(me_status(&b, &admin).await, 401);
}

#[tokio::test]
async fn a_key_revoked_through_one_replica_closes_its_socket_on_the_other() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    let admin = a.login_admin().await;
    let made = a
        .graphql_as(
            &admin,
            CREATE_API_KEY,
            json!({ "input": { "name": "watcher", "permission": "READ_ONLY" } }),
        )
        .await;
    let made = &data(made)["createApiKey"];
    let key = made["key"].as_str().expect("key").to_owned();
    let key_id = made["apiKey"]["id"].as_str().expect("key id").to_owned();
    let mut socket = b
        .subscribe_tickets_with(json!({ "X-API-Key": key }), None)
        .await;
    // B has verified the key (and remembers it).
    for _ in 0..2 {
        assert_eq!(b.get_key(&key, "/api/auth/verify").await.status(), 200);
    }
    // Another key's socket stays open.
    let other = a
        .graphql_as(
            &admin,
            CREATE_API_KEY,
            json!({ "input": { "name": "other", "permission": "READ_ONLY" } }),
        )
        .await;
    let other = data(other)["createApiKey"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let mut bystander = b
        .subscribe_tickets_with(json!({ "X-API-Key": other }), None)
        .await;

    data(
        a.graphql_as(&admin, REVOKE_API_KEY, json!({ "id": key_id }))
            .await,
    );
    let started = std::time::Instant::now();
    assert_eq!(socket.close_code().await, Some(FORBIDDEN));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // And B no longer takes it over HTTP.
    assert_eq!(b.get_key(&key, "/api/auth/verify").await.status(), 401);
    // The other key's socket is still open and serving.
    bystander
        .send(json!({
            "id": "h",
            "type": "subscribe",
            "payload": { "query": HEARTBEAT, "variables": { "intervalMs": 20 } }
        }))
        .await;
    let beat = bystander
        .next_json(Duration::from_secs(5))
        .await
        .expect("another key's socket stays open");
    assert_eq!(beat["id"], "h", "{beat}");
    assert_eq!(beat["type"], "next", "{beat}");
}

#[tokio::test]
async fn a_replica_that_loses_its_listener_serves_nothing_stale_and_says_so_until_back() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    let admin = a.login_admin().await;
    let (_, _, alice) = a.signed_in_client(&admin, "dave@example.com").await;
    let ticket = a.create_ticket(&alice, json!({ "title": "Steady" })).await;
    let id = ticket["id"].as_str().expect("ticket id").to_owned();
    a.wait_synced(&alice, &id).await;
    assert!(titles(&b, &alice).await.contains(&"Steady".to_owned()));
    // Ready once its startup sync of the board is done.
    let body = eventually("B to be ready", || async {
        let (status, body) = ready(&b).await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(body["events"]["stream"], "listening");
    assert_eq!(body["events"]["gaps"], 0);

    // Keep killing B's listening connection (and only B's) for a while.
    let name = bridgeboard::changes::relay::listener_name(b.state.changes.status().origin());
    let url = b.db.url();
    let killer = tokio::spawn(async move {
        let db = Database::connect(url).await.expect("connect");
        loop {
            let _ = db
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = '{name}'"
                ))
                .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let body = eventually("B to report the stream down", || async {
        let (status, body) = ready(&b).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["events"]["stream"], "reconnecting", "{body}");
    assert_eq!(body["database"], "up");
    assert_eq!(
        a.state.changes.status().gaps(),
        0,
        "A's own stream is untouched"
    );

    // While B cannot hear A, B answers from the database, not its cache.
    data(
        a.graphql_as(
            &alice,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "title": "Moved" } }),
        )
        .await,
    );
    let seen = titles(&b, &alice).await;
    assert!(seen.contains(&"Moved".to_owned()), "{seen:?}");

    killer.abort();
    let body = eventually("B to listen again", || async {
        let (status, body) = ready(&b).await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(body["events"]["stream"], "listening", "{body}");
    assert!(body["events"]["gaps"].as_u64() >= Some(1), "{body}");
    // And changes cross again: B's cache holds "Moved" until it hears.
    assert!(titles(&b, &alice).await.contains(&"Moved".to_owned()));
    assert!(titles(&b, &alice).await.contains(&"Moved".to_owned()));
    let heard = b.state.changes.status().heard();
    data(
        a.graphql_as(
            &alice,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "title": "Back" } }),
        )
        .await,
    );
    eventually("B to hear A again", || async {
        titles(&b, &alice)
            .await
            .contains(&"Back".to_owned())
            .then_some(())
    })
    .await;
    assert!(b.state.changes.status().heard() > heard);
}

#[tokio::test]
async fn a_webhook_retried_to_the_other_replica_is_recognised_as_a_duplicate() {
    let Some((a, b)) = pair(&[]).await else {
        return;
    };
    let admin = a.login_admin().await;
    let (_, _, alice) = a.signed_in_client(&admin, "erin@example.com").await;
    let ticket = a.create_ticket(&alice, json!({ "title": "Twice" })).await;
    let item = a
        .wait_synced(&alice, ticket["id"].as_str().expect("ticket id"))
        .await;
    let delivery = json!({ "event": {
        "type": "create_update", "boardId": a.sandbox().tickets_board_id(), "pulseId": item,
        "triggerUuid": "retried-elsewhere", "body": "<p>hi</p>", "textBody": "hi", "updateId": 1
    }});
    let mut answers = Vec::new();
    for app in [&a, &b] {
        let res = app
            .client
            .post(app.url("/webhooks/monday"))
            .json(&delivery)
            .send()
            .await
            .expect("POST /webhooks/monday");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.expect("JSON");
        answers.push(body["status"].clone());
    }
    assert_eq!(answers, [json!("applied"), json!("duplicate")]);
}
