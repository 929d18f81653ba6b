//! Internal notes stay internal: staff write them on the Monday item (or
//! through our API), and a client never receives one by any path, while an
//! edit on Monday that flips a comment's kind flips what the client sees.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;

const ADD_NOTE: &str = include_str!("../operations/tickets/add_note.graphql");
const UPDATES_WITH_COMMENTS: &str =
    include_str!("../operations/tickets/ticket_updates_with_comments.graphql");

/// `(body, visibility)` of every comment `token` is shown on the ticket.
async fn comments_seen(app: &TestApp, token: &str, id: &str) -> BTreeSet<(String, String)> {
    let t = data(app.ticket(token, id).await);
    t["ticket"]["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| {
            (
                c["body"].as_str().unwrap_or_default().to_owned(),
                c["visibility"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(b, v)| ((*b).to_owned(), (*v).to_owned()))
        .collect()
}

/// Waits until `token` is shown exactly `want` on the ticket.
async fn wait_seen(app: &TestApp, token: &str, id: &str, want: &[(&str, &str)]) {
    let want = set(want);
    eventually("the comments to settle", || async {
        (comments_seen(app, token, id).await == want).then_some(())
    })
    .await;
}

/// A synced ticket of a signed-in client: `(admin, client token, id, item)`.
async fn synced_ticket(app: &TestApp, email: &str) -> (String, String, String, u64) {
    let admin = app.login_admin().await;
    let (_, _, token) = app.signed_in_client(&admin, email).await;
    let t = app
        .create_ticket(
            &token,
            json!({ "title": "Refund?", "description": "Twice billed" }),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let item = app.wait_synced(&token, &id).await;
    (admin, token, id, item)
}

#[tokio::test]
async fn a_client_never_receives_an_internal_note_by_query_or_subscription() {
    let app = portal_app().await;
    let (admin, token, id, item) = synced_ticket(&app, "ada@example.com").await;
    let mut client_ws = app
        .subscribe_tickets_query(&token, UPDATES_WITH_COMMENTS, Some(&id))
        .await;
    let mut staff_ws = app
        .subscribe_tickets_query(&admin, UPDATES_WITH_COMMENTS, Some(&id))
        .await;
    let monday = app.sandbox().monday();

    // A note, and a reply in its thread that carries no marker of its own.
    let note = monday
        .staff_comment(item, None, "[Internal] legacy plan, don't offer a refund")
        .unwrap();
    monday
        .staff_comment(item, Some(note), "Agreed, no refund.")
        .unwrap();
    let notes = [
        ("[Internal] legacy plan, don't offer a refund", "INTERNAL"),
        ("Agreed, no refund.", "INTERNAL"),
    ];
    wait_seen(&app, &admin, &id, &notes).await;
    // Staff hear of notes live.
    let e = wait_event(&mut staff_ws, "the note, for staff", |e| {
        e["kind"] == "COMMENTED" && e["ticket"]["comments"].as_array().unwrap().len() == 2
    })
    .await;
    assert_eq!(e["changedFields"], json!(["comments"]), "{e}");

    // Both notes are applied; only now does a public reply follow. The
    // client's first comment event must be that reply: it heard nothing of
    // the notes, and its payload holds no note either.
    monday
        .staff_comment(item, None, "We are looking into your bill.")
        .unwrap();
    let e = wait_event(&mut client_ws, "the public reply", |e| {
        e["kind"] == "COMMENTED"
    })
    .await;
    assert_eq!(
        e["ticket"]["comments"],
        json!([{ "body": "We are looking into your bill.", "visibility": "PUBLIC" }]),
        "{e}"
    );
    assert_eq!(
        comments_seen(&app, &token, &id).await,
        set(&[("We are looking into your bill.", "PUBLIC")])
    );
    let mut all = notes.to_vec();
    all.push(("We are looking into your bill.", "PUBLIC"));
    wait_seen(&app, &admin, &id, &all).await;

    // Nothing else reached the client: no event carries a note.
    while let Some(e) = next_event(&mut client_ws, std::time::Duration::from_millis(500)).await {
        assert!(!e.to_string().contains("refund"), "{e}");
    }
}

#[tokio::test]
async fn an_edit_on_monday_that_flips_a_comment_flips_what_the_client_sees() {
    let app = portal_app().await;
    let (admin, token, id, item) = synced_ticket(&app, "grace@example.com").await;
    let mut client_ws = app.subscribe_tickets(&token, Some(&id)).await;
    let monday = app.sandbox().monday();

    let reply = monday
        .staff_comment(item, None, "We will refund you.")
        .unwrap();
    monday
        .staff_comment(item, Some(reply), "Thanks for waiting.")
        .unwrap();
    let public = [
        ("We will refund you.", "PUBLIC"),
        ("Thanks for waiting.", "PUBLIC"),
    ];
    wait_seen(&app, &token, &id, &public).await;

    // Public to internal: the reply and its thread are withdrawn at once,
    // and the client is told that the comments changed.
    monday
        .staff_edit_update(reply, "#internal check with finance first")
        .unwrap();
    wait_seen(&app, &token, &id, &[]).await;
    wait_event(&mut client_ws, "the withdrawal", |e| {
        e["kind"] == "COMMENTED"
    })
    .await;
    wait_seen(
        &app,
        &admin,
        &id,
        &[
            ("#internal check with finance first", "INTERNAL"),
            ("Thanks for waiting.", "INTERNAL"),
        ],
    )
    .await;

    // And back: internal to public, with the new text.
    monday
        .staff_edit_update(reply, "Finance approved your refund.")
        .unwrap();
    wait_seen(
        &app,
        &token,
        &id,
        &[
            ("Finance approved your refund.", "PUBLIC"),
            ("Thanks for waiting.", "PUBLIC"),
        ],
    )
    .await;

    // Deleted on Monday: gone here too, with its thread.
    monday.staff_delete_update(reply).unwrap();
    wait_seen(&app, &admin, &id, &[]).await;
}

#[tokio::test]
async fn staff_write_internal_notes_through_our_api_and_clients_cannot() {
    let app = portal_app().await;
    let (admin, token, id, item) = synced_ticket(&app, "lin@example.com").await;

    let body = app
        .graphql_as(
            &admin,
            ADD_NOTE,
            json!({ "ticketId": id, "body": "VIP, answer within the hour", "visibility": "INTERNAL" }),
        )
        .await;
    let note = data(body)["addTicketComment"].clone();
    assert_eq!(note["visibility"], "INTERNAL");

    // On Monday it opens with the marker, so staff there see a note too.
    let on_monday = eventually("the note on the Monday item", || async {
        let item = app.sandbox().monday().item_json(item)?;
        item["updates"]
            .as_array()?
            .iter()
            .find_map(|u| u["body"].as_str().map(str::to_owned))
    })
    .await;
    assert!(
        on_monday.starts_with("[internal] ") && on_monday.ends_with("VIP, answer within the hour"),
        "{on_monday}"
    );
    // Delivered and matched when it comes back: one note, never a copy, and
    // never shown to the client.
    eventually("the note synced", || async {
        let t = data(app.ticket(&admin, &id).await);
        let c = t["ticket"]["comments"].as_array()?.clone();
        (c.len() == 1 && c[0]["syncState"] == "SYNCED").then_some(())
    })
    .await;
    app.sandbox()
        .monday()
        .staff_rename(item, "Refund? (VIP)")
        .unwrap();
    eventually("the rename", || async {
        let t = data(app.ticket(&token, &id).await);
        (t["ticket"]["title"] == "Refund? (VIP)").then_some(())
    })
    .await;
    assert_eq!(
        comments_seen(&app, &admin, &id).await,
        set(&[("VIP, answer within the hour", "INTERNAL")])
    );
    assert!(comments_seen(&app, &token, &id).await.is_empty());

    // A client may not write one, even on its own ticket.
    let refused = app
        .graphql_as(
            &token,
            ADD_NOTE,
            json!({ "ticketId": id, "body": "psst", "visibility": "INTERNAL" }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let ok = app
        .graphql_as(
            &token,
            ADD_NOTE,
            json!({ "ticketId": id, "body": "Any news?", "visibility": "PUBLIC" }),
        )
        .await;
    assert_eq!(data(ok)["addTicketComment"]["visibility"], "PUBLIC");
    assert_eq!(
        comments_seen(&app, &token, &id).await,
        set(&[("Any news?", "PUBLIC")])
    );
}
