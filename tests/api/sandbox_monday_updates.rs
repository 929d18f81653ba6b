//! Updates as Monday keeps them: threads of replies one level deep, edits and
//! deletions through the API and by staff, each firing its own webhook.

use serde_json::{Value, json};

use crate::sandbox_monday::{Api, receiver, subscribe};

const CREATE: &str = include_str!("monday/create_update.graphql");
const REPLY: &str = include_str!("monday/reply_update.graphql");
const EDIT: &str = include_str!("monday/edit_update.graphql");
const DELETE: &str = include_str!("monday/delete_update.graphql");
const UPDATES: &str = include_str!("monday/item_updates.graphql");

async fn updates_of(api: &Api, item: u64) -> Value {
    api.ok(UPDATES, json!({ "ids": [item.to_string()] })).await["items"][0]["updates"].clone()
}

#[tokio::test]
async fn replies_edits_and_deletions_read_back_and_fire_their_webhooks() {
    let api = Api::start(|_| {}).await;
    let mut rx = receiver(true, 0).await;
    for event in ["create_update", "edit_update", "delete_update"] {
        subscribe(&api, &rx.url, event).await;
    }
    let sim = api.sim();
    let item = sim.find_items_by_column(sim.tickets_board_id(), "ticket_id", "TCK-00002")[0];
    let update = api
        .ok(
            CREATE,
            json!({ "item": item.to_string(), "body": "<p>First</p>" }),
        )
        .await["create_update"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rx.next().await;

    // A reply joins the thread: it names its update, not a new one.
    let reply = api
        .ok(REPLY, json!({ "parent": update, "body": "Second" }))
        .await["create_update"]
        .clone();
    assert_eq!(reply["item_id"], item.to_string());
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "create_update");
    assert_eq!(body["event"]["updateId"].to_string(), update);
    assert_eq!(
        body["event"]["replyId"].to_string(),
        reply["id"].as_str().unwrap()
    );
    let updates = updates_of(&api, item).await;
    let ours = updates
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == update.as_str())
        .expect("the update")
        .clone();
    assert_eq!(ours["text_body"], "First");
    assert_eq!(ours["replies"][0]["text_body"], "Second");
    assert!(
        updates
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != reply["id"]),
        "a reply is not an update of the item: {updates}"
    );
    // Threads are one level deep.
    let err = api
        .app_error(REPLY, json!({ "parent": reply["id"], "body": "Third" }))
        .await;
    assert_eq!(
        err["extensions"]["code"], "InvalidArgumentException",
        "{err}"
    );

    let edited = api
        .ok(
            EDIT,
            json!({ "id": update, "body": "<b>First, edited</b>" }),
        )
        .await["edit_update"]
        .clone();
    assert_eq!(edited["text_body"], "First, edited");
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "edit_update");
    assert_eq!(body["event"]["textBody"], "First, edited");
    assert_eq!(body["event"]["pulseId"].as_u64(), Some(item));

    // Staff edit a reply in Monday's UI.
    sim.staff_edit_update(
        reply["id"].as_str().unwrap().parse().unwrap(),
        "Second, edited",
    )
    .unwrap();
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "edit_update");
    assert_eq!(
        body["event"]["replyId"].to_string(),
        reply["id"].as_str().unwrap()
    );

    // Deleting the update takes its thread with it.
    api.ok(DELETE, json!({ "id": update })).await;
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "delete_update");
    assert_eq!(body["event"]["updateId"].to_string(), update);
    let left = updates_of(&api, item).await;
    assert!(
        left.as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != update.as_str()),
        "{left}"
    );
    let item_json = sim.item_json(item).unwrap();
    assert!(
        item_json["updates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != reply["id"]),
        "{item_json}"
    );
    let err = api
        .app_error(EDIT, json!({ "id": update, "body": "again" }))
        .await;
    assert_eq!(
        err["extensions"]["code"], "InvalidArgumentException",
        "{err}"
    );
}
