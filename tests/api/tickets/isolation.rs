//! Tenant isolation and paging: a client reaches only its own tickets, by id,
//! by list and by subscription, whatever arguments it sends.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::helpers::ADMIN_USER;

#[tokio::test]
async fn a_client_cannot_reach_another_clients_ticket() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, alice) = app.signed_in_client(&admin, "alice@example.com").await;
    let (bob_id, _, bob) = app.signed_in_client(&admin, "bob@example.com").await;

    let mut alice_ws = app.subscribe_tickets(&alice, None).await;
    let bobs = app
        .create_ticket(&bob, json!({ "title": "Bob's secret" }))
        .await;
    let bob_ticket = bobs["id"].as_str().unwrap().to_owned();
    // Aimed straight at Bob's ticket: the argument must not widen the filter.
    let mut alice_aimed = app.subscribe_tickets(&alice, Some(&bob_ticket)).await;

    // By id: indistinguishable from a ticket that does not exist.
    let body = app.ticket(&alice, &bob_ticket).await;
    assert_eq!(code(&body), "NOT_FOUND");
    assert!(body["data"].is_null() || body["data"]["ticket"].is_null());
    for (op, vars) in [
        (
            UPDATE_TICKET,
            json!({ "id": bob_ticket, "input": { "title": "mine now" } }),
        ),
        (ADD_COMMENT, json!({ "ticketId": bob_ticket, "body": "hi" })),
    ] {
        assert_eq!(code(&app.graphql_as(&alice, op, vars).await), "NOT_FOUND");
    }

    // By list: Alice's list is empty, even asking for Bob's client id.
    let body = app.graphql_as(&alice, TICKETS, json!({})).await;
    assert_eq!(data(body)["tickets"]["edges"], json!([]));
    let body = app
        .graphql_as(&alice, TICKETS, json!({ "clientId": bob_id }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .graphql_as(&alice, TICKETS, json!({ "search": "secret" }))
        .await;
    assert_eq!(data(body)["tickets"]["edges"], json!([]));

    // By subscription: Bob's ticket syncs and staff change it; Alice hears
    // nothing, on either subscription.
    let item_id = app.wait_synced(&bob, &bob_ticket).await;
    app.sandbox()
        .monday()
        .staff_set_status(item_id, "Resolved")
        .unwrap();
    let mut bob_ws = app.subscribe_tickets(&bob, None).await;
    app.sandbox()
        .monday()
        .staff_set_priority(item_id, "Urgent")
        .unwrap();
    wait_event(&mut bob_ws, "Bob hears about his ticket", |e| {
        e["ticket"]["priority"] == "URGENT"
    })
    .await;
    for ws in [&mut alice_ws, &mut alice_aimed] {
        assert!(
            next_event(ws, Duration::from_millis(300)).await.is_none(),
            "Alice received an event about Bob's ticket"
        );
    }

    // Alice's own subscription does work.
    let mine = app
        .create_ticket(&alice, json!({ "title": "Alice's" }))
        .await;
    let e = wait_event(&mut alice_ws, "Alice's own ticket", |e| {
        e["kind"] == "CREATED"
    })
    .await;
    assert_eq!(e["ticket"]["id"], mine["id"]);

    // Staff see both.
    let body = app
        .graphql_as(&admin, TICKETS, json!({ "search": "'s" }))
        .await;
    let titles: HashSet<String> = data(body)["tickets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        titles.contains("Bob's secret") && titles.contains("Alice's"),
        "{titles:?}"
    );
}

#[tokio::test]
async fn paging_through_two_thousand_tickets() {
    // Two thousand tickets on the board for a single client, imported by the
    // startup sync (which itself pages the board 500 at a time).
    let app = spawn_app_with(|v| {
        portal_vars(v);
        v.push(("SANDBOX_TICKETS".into(), "2000".into()));
        v.push(("SANDBOX_CLIENTS".into(), "1".into()));
    })
    .await;
    let admin = app.login_admin().await;

    // Walks every page; returns the ids seen and the page count.
    let walk = |token: String| {
        let app = &app;
        async move {
            let mut seen = HashSet::new();
            let mut last_number = i64::MAX;
            let mut after: Option<String> = None;
            let mut pages = 0;
            loop {
                let body = app
                    .graphql_as(&token, TICKETS, json!({ "first": 100, "after": after }))
                    .await;
                let p = data(body)["tickets"].clone();
                pages += 1;
                for e in p["edges"].as_array().unwrap() {
                    let n = e["node"]["number"].as_i64().unwrap();
                    assert!(n < last_number, "newest first, no repeats");
                    last_number = n;
                    assert!(seen.insert(e["node"]["id"].as_str().unwrap().to_owned()));
                }
                if p["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = p["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            (seen, pages)
        }
    };
    let (all, pages) = eventually("the board import", || async {
        let (seen, pages) = walk(admin.clone()).await;
        (seen.len() == 2000).then_some((seen, pages))
    })
    .await;
    assert_eq!(pages, 20);

    let body = app.graphql_as(&admin, TICKETS, json!({ "first": 1 })).await;
    let email = data(body)["tickets"]["edges"][0]["node"]["client"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = app.magic_login(&email).await;
    let (mine, pages) = walk(client).await;
    assert_eq!(pages, 20);
    assert_eq!(mine, all, "the one client owns every seeded ticket");
}

#[tokio::test]
async fn a_copied_item_does_not_take_over_the_original_ticket() {
    use bridgeboard::tickets::board::Field;

    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, alice) = app.signed_in_client(&admin, "alice@example.com").await;
    let (_, _, bob) = app.signed_in_client(&admin, "bob@example.com").await;
    let t = app
        .create_ticket(&alice, json!({ "title": "Alice's original" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let item = app.wait_synced(&alice, &id).await;

    // Staff duplicate the item in Monday (the copy keeps the Ticket ID
    // column) and hand the copy to Bob.
    let tickets = app.state.tickets.as_ref().unwrap();
    let board = tickets.board().await.unwrap();
    let values = json!({
        board.column(Field::TicketId): id,
        board.column(Field::ClientEmail): { "email": "bob@example.com", "text": "bob@example.com" },
    });
    let monday = app.state.monday.as_ref().unwrap();
    monday
        .create_item(&board.board_id, "Bob's copy", values)
        .await
        .unwrap();

    let copy = eventually("Bob's ticket from the copy", || async {
        let body = app.graphql_as(&bob, TICKETS, json!({})).await;
        body["data"]["tickets"]["edges"][0]["node"]
            .as_object()
            .cloned()
    })
    .await;
    assert_eq!(copy["title"], "Bob's copy");
    assert_ne!(copy["id"], id.as_str(), "a ticket of its own");
    let original = data(app.ticket(&alice, &id).await)["ticket"].clone();
    assert_eq!(original["title"], "Alice's original");
    assert_eq!(original["mondayItemId"], item.to_string());
}

#[tokio::test]
async fn logging_out_ends_an_open_subscription() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "leaver@example.com").await;
    let mut ws = app.subscribe_tickets(&token, None).await;
    let t = app
        .create_ticket(&token, json!({ "title": "Before logout" }))
        .await;
    wait_event(&mut ws, "own ticket", |e| e["kind"] == "CREATED").await;
    let item = app.wait_synced(&token, t["id"].as_str().unwrap()).await;

    let body = app
        .graphql_as(&token, "mutation { logout }", json!({}))
        .await;
    assert_eq!(data(body)["logout"], true);
    app.sandbox()
        .monday()
        .staff_set_status(item, "Resolved")
        .unwrap();

    // The next event is not delivered: the stream completes instead.
    let id = t["id"].clone();
    assert_ends_before(&mut ws, "logout", |ticket| {
        ticket["id"] == id && ticket["status"] == "RESOLVED"
    })
    .await;
}

/// The subscription ends without delivering the event whose ticket matches
/// `forbidden`: it completes, or its socket is closed as Forbidden (4403)
/// as soon as the credentials die. Events from before may still be on
/// their way, including the startup sync's announcements of the seeded
/// board.
async fn assert_ends_before(ws: &mut WsClient, after: &str, forbidden: impl Fn(&Value) -> bool) {
    loop {
        match ws.next_or_close(Duration::from_secs(5)).await {
            Ok(msg) => {
                let ticket = &msg["payload"]["data"]["ticketUpdates"]["ticket"];
                assert!(!forbidden(ticket), "delivered after {after}: {msg}");
                if msg["type"] == "complete" {
                    return;
                }
            }
            Err(Some(4403)) => return,
            Err(code) => panic!("the subscription did not end after {after} (close: {code:?})"),
        }
    }
}

#[tokio::test]
async fn a_password_change_or_an_account_deletion_ends_open_subscriptions() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (gone_id, _, gone) = app.signed_in_client(&admin, "gone@example.com").await;
    let (_, _, other) = app.signed_in_client(&admin, "other@example.com").await;
    let old_admin = app.login_admin().await;
    let mut staff_ws = app.subscribe_tickets(&old_admin, None).await;
    let mut client_ws = app.subscribe_tickets(&gone, None).await;
    app.create_ticket(&other, json!({ "title": "Seen by staff" }))
        .await;
    // The subscription may start after the creation; its delivery follows.
    wait_event(&mut staff_ws, "a live staff subscription", |e| {
        e["ticket"]["title"] == "Seen by staff"
    })
    .await;

    // The admin's password changes (through another session), and the
    // client is deleted; the next event anywhere ends both streams.
    let body = app
        .graphql_as(
            &admin,
            include_str!("../operations/auth/set_user_password.graphql"),
            json!({ "username": ADMIN_USER, "password": "a-brand-new-password" }),
        )
        .await;
    data(body);
    let body = app
        .graphql_as(
            &app.login_token(ADMIN_USER, "a-brand-new-password").await,
            include_str!("../operations/auth/delete_client.graphql"),
            json!({ "id": gone_id }),
        )
        .await;
    data(body);
    app.create_ticket(&other, json!({ "title": "After the changes" }))
        .await;
    let late = |ticket: &Value| ticket["title"] == "After the changes";
    assert_ends_before(&mut staff_ws, "a password change", late).await;
    assert_ends_before(&mut client_ws, "the client's deletion", late).await;
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_expires() {
    use bridgeboard::auth::jwt::{Claims, TokenKind};

    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (client_id, portal, _) = app.signed_in_client(&admin, "brief@example.com").await;
    // A session token like the ones `redeemMagicLink` issues, but with two
    // seconds left instead of hours.
    let now = chrono::Utc::now();
    let claims = Claims {
        sub: client_id.clone(),
        jti: uuid::Uuid::new_v4().simple().to_string(),
        iat: now.timestamp(),
        iat_ms: now.timestamp_millis(),
        exp: now.timestamp() + 2,
        kind: TokenKind::Client,
        client_id: Some(client_id),
        portal_id: Some(portal),
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &app.state.keys.encoding,
    )
    .expect("a token");
    let mut ws = app.subscribe_tickets(&token, None).await;
    // No event is needed: the stream completes at the token's expiry.
    assert_ends_before(&mut ws, "the token expired", |ticket| !ticket.is_null()).await;
}

#[tokio::test]
async fn revoking_an_api_key_ends_its_open_subscription() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, client) = app.signed_in_client(&admin, "watched@example.com").await;
    let created = data(
        app.graphql_as(
            &admin,
            include_str!("../operations/auth/create_api_key.graphql"),
            json!({ "input": { "name": "dashboard", "permission": "READ_ONLY" } }),
        )
        .await,
    )["createApiKey"]
        .clone();
    let key = created["key"].as_str().expect("the key").to_owned();
    let mut ws = app
        .subscribe_tickets_with(json!({ "X-API-Key": key }), None)
        .await;
    app.create_ticket(&client, json!({ "title": "Seen by the key" }))
        .await;
    // The subscription may start after the creation; its delivery follows.
    wait_event(&mut ws, "a live key subscription", |e| {
        e["ticket"]["title"] == "Seen by the key"
    })
    .await;

    data(
        app.graphql_as(
            &admin,
            include_str!("../operations/auth/revoke_api_key.graphql"),
            json!({ "id": created["apiKey"]["id"] }),
        )
        .await,
    );
    app.create_ticket(&client, json!({ "title": "After the revocation" }))
        .await;
    assert_ends_before(&mut ws, "the key's revocation", |ticket| {
        ticket["title"] == "After the revocation"
    })
    .await;

    // The socket itself is closed, and a new one with the key is refused.
    let mut again = app.ws("graphql-transport-ws").await;
    again
        .send(json!({ "type": "connection_init", "payload": { "X-API-Key": key } }))
        .await;
    assert_eq!(again.close_code().await, Some(4403));
}
