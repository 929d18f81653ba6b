//! No ticket is lost and none is doubled: delivery survives Monday outages,
//! a crash in the middle of a delivery, and a worker that outlives its lease.

use std::collections::HashSet;
use std::time::Duration;

use bridgeboard::db::repo::outbox;
use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::faults::Upstream;
use bridgeboard::tickets::board::Field;
use serde_json::json;

use super::*;
use crate::helpers::{spawn_app, spawn_sandbox};

async fn ticket_id_column(app: &TestApp) -> String {
    let tickets = app.state.tickets.as_ref().expect("tickets configured");
    let board = tickets.board().await.expect("board bound");
    board.column(Field::TicketId).to_owned()
}

#[tokio::test]
async fn a_hundred_tickets_created_while_monday_is_down_arrive_exactly_once() {
    let app = portal_app().await;
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, "outage@example.com").await;
    let monday = app.sandbox().monday();
    let board = app.sandbox().tickets_board_id();
    let column = ticket_id_column(&app).await;
    let before = monday.item_count(board);

    app.sandbox().faults().set_down(Upstream::Monday, true);
    let mut ids = Vec::new();
    for i in 0..100 {
        let t = app
            .create_ticket(&token, json!({ "title": format!("Outage ticket {i}") }))
            .await;
        assert_eq!(t["syncState"], "PENDING");
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    // Kept while Monday is down: listed, and nothing reached the board.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(monday.item_count(board), before);
    let body = app
        .graphql_as(&token, TICKETS, json!({ "first": 100 }))
        .await;
    assert_eq!(
        data(body)["tickets"]["edges"].as_array().unwrap().len(),
        100
    );

    app.sandbox().faults().set_down(Upstream::Monday, false);
    eventually("all 100 tickets synced", || async {
        let body = app
            .graphql_as(&token, TICKETS, json!({ "first": 100 }))
            .await;
        let edges = body["data"]["tickets"]["edges"].as_array()?.clone();
        edges
            .iter()
            .all(|e| e["node"]["syncState"] == "SYNCED")
            .then_some(())
    })
    .await;

    assert_eq!(
        monday.item_count(board),
        before + 100,
        "exactly 100 new items"
    );
    let mut items = HashSet::new();
    for id in &ids {
        let found = monday.find_items_by_column(board, &column, id);
        assert_eq!(
            found.len(),
            1,
            "ticket {id} is on the board once: {found:?}"
        );
        items.insert(found[0]);
    }
    assert_eq!(items.len(), 100);
}

/// Points an app at a standalone sandbox, as a real deployment points at Monday.
pub(super) fn upstream_vars(sandbox: &SandboxHandle, v: &mut Vec<(String, String)>) {
    for (k, val) in [
        ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
        ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
        (
            "MONDAY_TICKETS_BOARD_ID",
            sandbox.tickets_board_id().to_string(),
        ),
        (
            "MONDAY_LEADS_BOARD_ID",
            sandbox.leads_board_id().to_string(),
        ),
        ("CALENDLY_API_URL", sandbox.calendly_url().to_owned()),
        ("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token().to_owned()),
        // Another worker may take over an entry after this long.
        ("OUTBOX_LEASE_MS", "300".to_owned()),
    ] {
        v.push((k.to_owned(), val));
    }
}

#[tokio::test]
async fn a_crash_mid_delivery_does_not_duplicate_the_item() {
    let sandbox = spawn_sandbox(|o| {
        o.tickets = 2;
        o.clients = 1;
    })
    .await;
    let first = spawn_app_with(|v| {
        portal_vars(v);
        upstream_vars(&sandbox, v);
    })
    .await;
    let admin = first.login_admin().await;
    let (_, _, token) = first.signed_in_client(&admin, "crash@example.com").await;
    let board = sandbox.tickets_board_id();
    let column = ticket_id_column(&first).await;
    let before = sandbox.monday().item_count(board);

    // Monday acts on our create_item but answers only after a while.
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.response_delay_ms = 5_000);
    let t = first
        .create_ticket(&token, json!({ "title": "Mid-flight" }))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    eventually("Monday to create the item", || async {
        (sandbox.monday().item_count(board) == before + 1).then_some(())
    })
    .await;
    // The server dies before it hears the answer, so before it commits.
    first.kill();
    sandbox.faults().reset();

    // A new server on the same database finishes the job.
    let second = spawn_app_with(|v| {
        portal_vars(v);
        upstream_vars(&sandbox, v);
        v.push(("DATABASE_URL".to_owned(), first.db.url()));
    })
    .await;
    let item = second.wait_synced(&token, &id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sandbox.monday().item_count(board),
        before + 1,
        "no second item"
    );
    assert_eq!(
        sandbox.monday().find_items_by_column(board, &column, &id),
        vec![item]
    );
}

/// A worker that waited on Monday past its lease, while another worker
/// claimed the entry, can neither put the entry back (which would free it for
/// a third worker to deliver again) nor record it delivered over the owner.
#[tokio::test]
async fn a_worker_that_lost_its_lease_leaves_the_new_owners_claim_alone() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let ticket = uuid::Uuid::new_v4().to_string();
    let kinds = &["tickets.create_item"];
    // Due only tomorrow, so the server's own delivery worker leaves it alone.
    let t0 = chrono::Utc::now() + chrono::Duration::days(1);
    let lease = chrono::Duration::minutes(5);
    let second = chrono::Duration::seconds(1);
    outbox::enqueue(db, kinds[0], &ticket, &json!({}), t0)
        .await
        .unwrap();
    let stale = outbox::claim(db, kinds, t0, t0 + lease)
        .await
        .unwrap()
        .unwrap();

    // The lease runs out; another worker takes the entry over.
    let t1 = t0 + lease + second;
    let owner = outbox::claim(db, kinds, t1, t1 + lease).await.unwrap();
    let owner = owner.expect("claimable once the lease ran out");
    assert_eq!(owner.id, stale.id);

    // The first worker's call fails at last: it cannot put the entry back.
    let put_back = outbox::retry_later(db, &stale, Some("timed out"), t1).await;
    assert!(!put_back.unwrap(), "the stale worker released the entry");
    let third = outbox::claim(db, kinds, t1 + second, t1 + lease)
        .await
        .unwrap();
    assert!(third.is_none(), "a third worker got the owner's entry");
    // Nor record it as its own success.
    assert!(!outbox::delivered(db, &stale, t1).await.unwrap());
    let waiting = outbox::pending_for_subject(db, &ticket, -1).await.unwrap();
    assert_eq!(waiting, 1, "still the owner's to deliver");

    // The owner's outcome is what counts.
    assert!(outbox::delivered(db, &owner, t1 + second).await.unwrap());
    let waiting = outbox::pending_for_subject(db, &ticket, -1).await.unwrap();
    assert_eq!(waiting, 0);
}
