//! The portal loop: a client creates a ticket, it becomes a Monday item, staff
//! change it in Monday, and the client sees the change live.

use std::time::Duration;

use serde_json::json;

use super::*;

#[tokio::test]
async fn created_ticket_lands_on_the_board_and_staff_changes_reach_the_client() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (client_id, portal, token) = app.signed_in_client(&admin, "ada@example.com").await;
    let mut ws = app.subscribe_tickets(&token, None).await;

    let t = app
        .create_ticket(
            &token,
            json!({ "title": "Printer on fire", "description": "Third floor.\nSmoke.", "priority": "HIGH" }),
        )
        .await;
    // Stored at once, before Monday has it.
    assert_eq!(t["syncState"], "PENDING");
    assert_eq!(t["status"], "OPEN");
    assert_eq!(t["client"]["id"], client_id.as_str());
    let id = t["id"].as_str().unwrap().to_owned();

    let created = wait_event(&mut ws, "CREATED", |e| e["kind"] == "CREATED").await;
    assert_eq!(created["ticket"]["id"], id.as_str());

    let item_id = app.wait_synced(&token, &id).await;
    let synced = wait_event(&mut ws, "synced", |e| e["ticket"]["syncState"] == "SYNCED").await;
    assert_eq!(synced["ticket"]["mondayItemId"], item_id.to_string());

    // The item carries what the client wrote, in the board's own columns.
    let item = app
        .sandbox()
        .monday()
        .item_json(item_id)
        .expect("item on the board");
    assert_eq!(item["name"], "Printer on fire");
    let cols = &item["by_title"];
    assert_eq!(cols["Ticket ID"], id.as_str());
    assert_eq!(cols["Description"], "Third floor.\nSmoke.");
    assert_eq!(cols["Client Email"], "ada@example.com");
    assert_eq!(cols["Client Portal ID"], portal.as_str());
    assert_eq!(cols["Status"], "Open");
    assert_eq!(cols["Priority"], "High");
    assert!(
        cols["Created Date"].as_str().is_some_and(|d| d.len() >= 10),
        "{cols}"
    );

    // Staff move it along in Monday; the webhook brings it to the client.
    app.sandbox()
        .monday()
        .staff_set_status(item_id, "In Progress")
        .unwrap();
    let e = wait_event(&mut ws, "status change", |e| {
        e["ticket"]["status"] == "IN_PROGRESS"
    })
    .await;
    assert_eq!(e["kind"], "UPDATED");
    assert!(
        e["changedFields"]
            .as_array()
            .unwrap()
            .contains(&json!("status")),
        "{e}"
    );

    app.sandbox()
        .monday()
        .staff_rename(item_id, "Printer on fire (3F)")
        .unwrap();
    let e = wait_event(&mut ws, "rename", |e| {
        e["ticket"]["title"] == "Printer on fire (3F)"
    })
    .await;
    assert!(
        e["changedFields"]
            .as_array()
            .unwrap()
            .contains(&json!("title"))
    );

    app.sandbox()
        .monday()
        .staff_comment(item_id, None, "A technician is on the way.")
        .unwrap();
    wait_event(&mut ws, "comment", |e| e["kind"] == "COMMENTED").await;
    let body = app.ticket(&token, &id).await;
    let comments = data(body)["ticket"]["comments"].clone();
    assert!(
        comments
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["body"] == "A technician is on the way." && c["authorKind"] == "STAFF"),
        "{comments}"
    );

    app.sandbox().monday().staff_delete(item_id).unwrap();
    wait_event(&mut ws, "delete", |e| e["kind"] == "DELETED").await;
    let gone = app.ticket(&token, &id).await;
    assert_eq!(code(&gone), "NOT_FOUND");
    drop(ws.next_json(Duration::from_millis(10)).await);
}

#[tokio::test]
async fn client_edits_and_comments_reach_monday() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "grace@example.com").await;
    let t = app
        .create_ticket(
            &token,
            json!({ "title": "VPN drops", "description": "Every hour" }),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["priority"], "MEDIUM", "default priority");

    let body = app
        .graphql_as(
            &token,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "title": "VPN drops hourly", "description": "Since Monday" } }),
        )
        .await;
    assert_eq!(data(body)["updateTicket"]["syncState"], "PENDING");
    let body = app
        .graphql_as(
            &token,
            ADD_COMMENT,
            json!({ "ticketId": id, "body": "Still happening." }),
        )
        .await;
    let c = data(body)["addTicketComment"].clone();
    assert_eq!(c["authorKind"], "CLIENT");
    assert_eq!(c["authorName"], "grace");

    // Clients may close but not re-prioritise or reopen.
    let body = app
        .graphql_as(
            &token,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "priority": "URGENT" } }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .graphql_as(
            &token,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "status": "RESOLVED" } }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .graphql_as(
            &token,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "status": "CLOSED" } }),
        )
        .await;
    assert_eq!(data(body)["updateTicket"]["status"], "CLOSED");

    let item_id = app.wait_synced(&token, &id).await;
    let item = eventually("every change on the item", || async {
        let item = app.sandbox().monday().item_json(item_id)?;
        (item["by_title"]["Status"] == "Closed" && !item["updates"].as_array()?.is_empty())
            .then_some(item)
    })
    .await;
    assert_eq!(item["name"], "VPN drops hourly");
    assert_eq!(item["by_title"]["Description"], "Since Monday");
    let update = item["updates"][0]["body"].as_str().unwrap();
    assert!(update.contains("Still happening."), "{update}");

    // Our own comment comes back through the webhook; it is not doubled.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let comments = data(app.ticket(&token, &id).await)["ticket"]["comments"].clone();
    assert_eq!(comments.as_array().unwrap().len(), 1, "{comments}");

    // Staff may change anything.
    let body = app
        .graphql_as(
            &admin,
            UPDATE_TICKET,
            json!({ "id": id, "input": { "priority": "URGENT", "status": "OPEN" } }),
        )
        .await;
    assert_eq!(data(body)["updateTicket"]["priority"], "URGENT");
    eventually("priority on the board", || async {
        let item = app.sandbox().monday().item_json(item_id)?;
        (item["by_title"]["Priority"] == "Urgent").then_some(())
    })
    .await;
}

#[tokio::test]
async fn bad_ticket_input_gets_clear_errors() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "linus@example.com").await;

    let long = "x".repeat(256);
    for (op, vars, expected) in [
        (
            CREATE_TICKET,
            json!({ "input": { "title": "   " } }),
            "BAD_USER_INPUT",
        ),
        (
            CREATE_TICKET,
            json!({ "input": { "title": long } }),
            "BAD_USER_INPUT",
        ),
        (
            CREATE_TICKET,
            json!({ "input": { "title": "t", "priority": "SOMEDAY" } }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (TICKET, json!({ "id": "not-a-uuid" }), "NOT_FOUND"),
        (TICKETS, json!({ "first": 1000 }), "BAD_USER_INPUT"),
        (TICKETS, json!({ "after": "garbage" }), "BAD_USER_INPUT"),
    ] {
        let body = app.graphql_as(&token, op, vars.clone()).await;
        assert_eq!(code(&body), expected, "{vars}");
    }
    // Anonymous callers are turned away.
    let body = app.graphql(TICKETS, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    // Staff must say whose ticket it is.
    let body = app
        .graphql_as(&admin, CREATE_TICKET, json!({ "input": { "title": "t" } }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn tickets_created_by_staff_in_monday_find_their_client() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    // Seeded board tickets belong to seeded client emails; the startup sync
    // imported them and created those clients.
    let seeded = app.state.config.sandbox.tickets;
    let edges = eventually("the seeded tickets imported", || async {
        let body = app
            .graphql_as(&admin, TICKETS, json!({ "first": 100 }))
            .await;
        let edges = body["data"]["tickets"]["edges"].as_array()?.clone();
        (edges.len() == seeded).then_some(edges)
    })
    .await;
    let email = edges[0]["node"]["client"]["email"]
        .as_str()
        .expect("client found")
        .to_owned();

    // That client can log in and sees exactly its tickets.
    let token = app.magic_login(&email).await;
    let body = app
        .graphql_as(&token, TICKETS, json!({ "first": 100 }))
        .await;
    let mine = data(body)["tickets"]["edges"].as_array().unwrap().clone();
    let expected = edges
        .iter()
        .filter(|e| e["node"]["client"]["email"] == email.as_str())
        .count();
    assert_eq!(mine.len(), expected);
    assert!(
        mine.iter()
            .all(|e| e["node"]["client"]["email"] == email.as_str())
    );
}
