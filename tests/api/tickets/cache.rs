//! Ticket reads and sessions are cached in memory; these check that a portal
//! user never notices: every change made through this server shows on the
//! very next request, sessions end at once, and callers never share answers.
//! Answers are kept for an hour here, so a missed invalidation shows as a
//! stale answer; reads right after a change are single requests, not polls.

use serde_json::json;

use super::*;
use crate::auth_support::app_on_db;

const UPDATE_CLIENT: &str = include_str!("../operations/auth/update_client.graphql");
const DELETE_CLIENT: &str = include_str!("../operations/auth/delete_client.graphql");
const LOGOUT: &str = include_str!("../operations/auth/logout.graphql");
const ME: &str = include_str!("../operations/auth/me.graphql");

/// A request whose token the server rejects before any GraphQL runs.
async fn rejected(base: &str, token: &str, query: &str) -> bool {
    let res = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": { "first": 50 } }))
        .send()
        .await
        .expect("POST /graphql");
    let status = res.status();
    let body: Value = res.json().await.expect("JSON body");
    match status.as_u16() {
        401 => {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{body}"
            );
            true
        }
        200 => false,
        other => panic!("unexpected status {other}: {body}"),
    }
}

async fn cached_portal_app() -> TestApp {
    let app = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("CACHE_RESPONSE_TTL_MS".to_owned(), "3600000".to_owned()));
    })
    .await;
    wait_wired(&app).await;
    app
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app.graphql_as(token, TICKETS, json!({ "first": 50 })).await;
    data(body)["tickets"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn repeated_reads_show_every_change_on_the_next_request() {
    let app = cached_portal_app().await;
    let admin = app.login_admin().await;
    let (client_id, _, token) = app.signed_in_client(&admin, "lin@example.com").await;
    let mut ws = app.subscribe_tickets(&token, None).await;
    assert!(list(&app, &token).await.is_empty());
    assert!(list(&app, &token).await.is_empty());

    // The client's own write.
    let t = app
        .create_ticket(
            &token,
            json!({ "title": "Badge reader", "description": "Dead" }),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let listed = list(&app, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["title"], "Badge reader");

    // The delivery worker's write.
    wait_event(&mut ws, "synced", |e| e["ticket"]["syncState"] == "SYNCED").await;
    assert_eq!(list(&app, &token).await[0]["syncState"], "SYNCED");
    let item = app.wait_synced(&token, &id).await;

    // A staff change arriving by webhook.
    app.sandbox()
        .monday()
        .staff_set_status(item, "In Progress")
        .unwrap();
    wait_event(&mut ws, "status", |e| {
        e["ticket"]["status"] == "IN_PROGRESS"
    })
    .await;
    assert_eq!(list(&app, &token).await[0]["status"], "IN_PROGRESS");

    // A comment: the ticket read shows it, then its delivery.
    let before = data(app.ticket(&token, &id).await);
    assert_eq!(before["ticket"]["comments"], json!([]));
    app.graphql_as(
        &token,
        ADD_COMMENT,
        json!({ "ticketId": id, "body": "Still dead." }),
    )
    .await;
    let after = data(app.ticket(&token, &id).await);
    assert_eq!(after["ticket"]["comments"][0]["body"], "Still dead.");
    eventually("the comment delivered to Monday", || async {
        let t = data(app.ticket(&token, &id).await);
        (t["ticket"]["comments"][0]["syncState"] == "SYNCED").then_some(())
    })
    .await;

    // An admin's change to the client shows on its tickets.
    data(
        app.graphql_as(
            &admin,
            UPDATE_CLIENT,
            json!({ "id": client_id, "input": { "email": "lin@corp.example.com" } }),
        )
        .await,
    );
    let t = data(app.ticket(&token, &id).await);
    assert_eq!(t["ticket"]["client"]["email"], "lin@corp.example.com");
}

#[tokio::test]
async fn callers_sending_the_same_query_get_their_own_answers() {
    let app = cached_portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, ada) = app.signed_in_client(&admin, "ada@example.com").await;
    let (_, _, bob) = app.signed_in_client(&admin, "bob@example.com").await;
    app.create_ticket(&ada, json!({ "title": "Ada's", "description": "a" }))
        .await;
    for _ in 0..2 {
        let titles: Vec<Value> = list(&app, &ada)
            .await
            .iter()
            .map(|t| t["title"].clone())
            .collect();
        assert_eq!(titles, vec![json!("Ada's")]);
    }
    assert!(
        list(&app, &bob).await.is_empty(),
        "bob must not get ada's page"
    );
    // Staff see the seeded board's tickets too.
    let staff = list(&app, &admin).await;
    assert!(staff.iter().any(|t| t["title"] == "Ada's"));

    // Bob's ticket shows to staff at once, and does not disturb Ada's.
    app.create_ticket(&bob, json!({ "title": "Bob's", "description": "b" }))
        .await;
    let staff = list(&app, &admin).await;
    assert!(staff.iter().any(|t| t["title"] == "Bob's"), "newest first");
    assert_eq!(list(&app, &ada).await.len(), 1);
}

#[tokio::test]
async fn a_session_ends_at_once_despite_the_caches() {
    let app = cached_portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, ada) = app.signed_in_client(&admin, "ada@example.com").await;
    let (bob_id, _, bob) = app.signed_in_client(&admin, "bob@example.com").await;
    for token in [&ada, &bob] {
        list(&app, token).await;
        list(&app, token).await;
    }

    let base = app.url("");
    data(app.graphql_as(&ada, LOGOUT, json!({})).await);
    assert!(rejected(&base, &ada, TICKETS).await, "logged out");

    assert!(!rejected(&base, &bob, TICKETS).await);
    app.create_ticket(&bob, json!({ "title": "Bob's", "description": "b" }))
        .await;
    let owner = |tickets: Vec<Value>| {
        tickets
            .into_iter()
            .find(|t| t["title"] == "Bob's")
            .map(|t| t["client"].clone())
    };
    assert_eq!(
        owner(list(&app, &admin).await),
        Some(json!({ "email": "bob@example.com" }))
    );
    data(
        app.graphql_as(&admin, DELETE_CLIENT, json!({ "id": bob_id }))
            .await,
    );
    assert!(rejected(&base, &bob, TICKETS).await, "deleted");
    assert_eq!(
        owner(list(&app, &admin).await),
        Some(Value::Null),
        "staff see the ticket without its deleted owner"
    );
}

#[tokio::test]
async fn a_logout_reaches_another_replica_within_its_cache_ttl() {
    let app = cached_portal_app().await;
    let admin = app.login_admin().await;
    let other = app_on_db(
        &app.db.url(),
        &[
            ("MONDAY_API_TOKEN", "test-token"),
            ("CACHE_IDENTITY_TTL_MS", "300"),
        ],
    )
    .await;
    assert!(!rejected(&other, &admin, ME).await);
    assert!(!rejected(&other, &admin, ME).await, "now from its cache");

    data(app.graphql_as(&admin, LOGOUT, json!({})).await);
    eventually("the other replica to see the logout", || async {
        rejected(&other, &admin, ME).await.then_some(())
    })
    .await;
}
