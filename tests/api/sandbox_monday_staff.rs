//! Staff changing the Monday leads board through the control API (moves,
//! any column, new items, archives, cursors that expire), and an incremental
//! sync over it that reads back only what changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sandbox_monday::{Api, ids};
use crate::sandbox_monday_activity::{iso, logs};

const FIRST: &str = include_str!("monday/first_items_page.graphql");
const NEXT: &str = include_str!("monday/next_items_page.graphql");
const ITEMS: &str = "query Items($ids: [ID!]) { items(ids: $ids) { id name state \
    group { id } column_values(ids: [\"deal_value\"]) { id text } } }";

/// A control request; answers `(status, body)` (`null` for an empty body).
async fn control(
    api: &Api,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = format!("{}/monday{path}", api.sandbox.control_url());
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn first_ids(api: &Api, limit: u32) -> (Vec<String>, Option<String>) {
    let data = api
        .ok(FIRST, json!({"board": api.leads(), "limit": limit}))
        .await;
    let page = &data["boards"][0]["items_page"];
    (
        ids(&page["items"]),
        page["cursor"].as_str().map(str::to_owned),
    )
}

async fn stats(api: &Api) -> Value {
    let (status, body) = control(
        api,
        Method::GET,
        &format!("/boards/{}/stats", api.leads()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn staff_move_items_and_change_any_column() {
    let api = Api::start(|_| {}).await;
    let (items, _) = first_ids(&api, 1).await;
    let item = &items[0];
    let edit = json!({"group": "Won", "columns": {
        "Deal Value": 12500, "company": "Initech", "Meeting Date": "2026-03-04",
        "Source": {"label": "Referral"}, "owner": {"personsAndTeams": [{"id": 10000004, "kind": "person"}]},
    }});
    let (status, body) = control(&api, Method::PATCH, &format!("/items/{item}"), Some(edit)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["group"], json!({"id": "won", "title": "Won"}));
    let shown = &body["by_title"];
    assert_eq!(
        [
            &shown["Deal Value"],
            &shown["Company"],
            &shown["Meeting Date"],
            &shown["Source"],
            &shown["Owner"]
        ],
        [
            &json!("12500"),
            &json!("Initech"),
            &json!("2026-03-04"),
            &json!("Referral"),
            &json!("Noah Sales")
        ]
    );
    let read = api.ok(ITEMS, json!({"ids": [item]})).await;
    assert_eq!(read["items"][0]["group"]["id"], "won");
    assert_eq!(read["items"][0]["column_values"][0]["text"], "12500");

    let entries = logs(&api, json!({"items": [item]})).await;
    let events: Vec<&str> = entries
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            ["update_column_value"; 5].as_slice(),
            &["move_pulse_from_group"]
        ]
        .concat()
    );
    assert!(entries.iter().all(|l| l["user_id"] == "10000002"));

    for (edit, code) in [
        (json!({"group": "Nowhere"}), "InvalidArgumentException"),
        (
            json!({"columns": {"No such column": "x"}}),
            "InvalidColumnIdException",
        ),
        (
            json!({"columns": {"Deal Value": "lots", "Company": "Changed"}}),
            "ColumnValueException",
        ),
    ] {
        let (status, body) =
            control(&api, Method::PATCH, &format!("/items/{item}"), Some(edit)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], code);
    }
    let (_, after) = control(&api, Method::GET, &format!("/items/{item}"), None).await;
    assert_eq!(
        after["by_title"]["Company"], "Initech",
        "a refused edit writes nothing"
    );
    assert_eq!(logs(&api, json!({"items": [item]})).await.len(), 6);
}

#[tokio::test]
async fn staff_create_and_archive_items() {
    let api = Api::start(|_| {}).await;
    let board = api.leads();
    let new = json!({"name": "Walk-in", "group": "Proposal", "columns": {"Email": "walkin@example.com", "Source": "Event"}});
    let (status, body) = control(
        &api,
        Method::POST,
        &format!("/boards/{board}/items"),
        Some(new),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (body["name"].as_str(), body["state"].as_str()),
        (Some("Walk-in"), Some("active"))
    );
    assert_eq!(body["group"]["id"], "proposal");
    assert_eq!(body["by_title"]["Email"], "walkin@example.com");
    assert_eq!(body["by_title"]["Source"], "Event");
    let (_, plain) = control(
        &api,
        Method::POST,
        &format!("/boards/{board}/items"),
        Some(json!({"name": "Plain"})),
    )
    .await;
    assert_eq!(plain["group"]["id"], "scheduled", "the top group");
    let (status, _) = control(
        &api,
        Method::POST,
        "/boards/1/items",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = control(
        &api,
        Method::POST,
        &format!("/boards/{board}/items"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for _ in 0..2 {
        let (status, body) =
            control(&api, Method::POST, &format!("/items/{id}/archive"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "archived");
    }
    let s = stats(&api).await;
    assert_eq!(
        (s["items"].as_u64(), s["archived_items"].as_u64()),
        (Some(21), Some(1))
    );
    let archives = logs(&api, json!({"items": [id]})).await;
    let events: Vec<&str> = archives
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["archive_pulse", "create_pulse"],
        "archiving twice logs once"
    );
    assert_eq!(s["activity_logs"], 3);
    let (status, _) = control(&api, Method::POST, "/items/123/archive", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn expire_cursors_ends_walks_already_started_only() {
    let api = Api::start(|_| {}).await;
    // Today's expiry, by lifetime, for comparison.
    let (_, old) = first_ids(&api, 5).await;
    api.sim().set_cursor_ttl(std::time::Duration::ZERO);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let by_ttl = api
        .app_error(NEXT, json!({"cursor": old, "limit": 5}))
        .await;
    api.sim()
        .set_cursor_ttl(std::time::Duration::from_secs(3600));

    let (_, started) = first_ids(&api, 5).await;
    let (status, body) = control(&api, Method::POST, "/expire_cursors", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"expired": 1})));
    let err = api
        .app_error(NEXT, json!({"cursor": started, "limit": 5}))
        .await;
    assert_eq!(err["extensions"]["code"], "CursorExpiredError");
    assert_eq!(err["message"], by_ttl["message"]);
    assert_eq!(
        err["extensions"]["status_code"],
        by_ttl["extensions"]["status_code"]
    );

    let (mut walked, mut cursor) = first_ids(&api, 5).await;
    while let Some(c) = cursor {
        let data = api.ok(NEXT, json!({"cursor": c, "limit": 5})).await;
        walked.extend(ids(&data["next_items_page"]["items"]));
        cursor = data["next_items_page"]["cursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(
        walked.len(),
        20,
        "a walk started after the expiry works to its end"
    );
}

#[tokio::test]
async fn an_incremental_sync_reads_only_what_changed() {
    let api = Api::start(|_| {}).await;
    let board = api.leads();
    let (all, _) = first_ids(&api, 500).await;
    assert_eq!(all.len(), 20);
    assert_eq!(stats(&api).await["items_served"], 20);
    let since = iso(&(chrono::Utc::now().timestamp_nanos_opt().unwrap() / 100).to_string());
    let (status, reset) = control(
        &api,
        Method::DELETE,
        &format!("/boards/{board}/items_served"),
        None,
    )
    .await;
    assert_eq!(
        (status, &reset["items_served"]),
        (StatusCode::OK, &json!(0))
    );

    let (changed, moved, archived, deleted) = (&all[2], &all[5], &all[7], &all[11]);
    let edit = json!({"columns": {"Deal Value": "777"}});
    control(
        &api,
        Method::PATCH,
        &format!("/items/{changed}"),
        Some(edit),
    )
    .await;
    let edit = json!({"group": "lost"});
    control(&api, Method::PATCH, &format!("/items/{moved}"), Some(edit)).await;
    control(
        &api,
        Method::POST,
        &format!("/items/{archived}/archive"),
        None,
    )
    .await;
    control(&api, Method::DELETE, &format!("/items/{deleted}"), None).await;
    let (_, created) = control(
        &api,
        Method::POST,
        &format!("/boards/{board}/items"),
        Some(json!({"name": "New lead"})),
    )
    .await;
    let created = created["id"].as_str().unwrap().to_owned();

    // The pipeline: what changed since its last run, then those items only.
    let entries = logs(&api, json!({"from": since, "limit": 100})).await;
    let mut touched: Vec<String> = Vec::new();
    let mut gone = Vec::new();
    for e in &entries {
        let d: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
        let id = d["pulse_id"].to_string();
        if e["event"] == "delete_pulse" {
            gone.push(id.clone());
        }
        if !touched.contains(&id) {
            touched.push(id);
        }
    }
    assert_eq!(
        touched,
        [&created, deleted, archived, moved, changed].map(String::clone)
    );
    assert_eq!(gone, [deleted.as_str()]);
    let fresh = api.ok(ITEMS, json!({"ids": touched})).await;
    let items = fresh["items"].as_array().unwrap();
    let find = |id: &String| items.iter().find(|i| i["id"] == id.as_str()).cloned();
    assert_eq!(items.len(), 4, "the deleted item is not served");
    assert_eq!(find(changed).unwrap()["column_values"][0]["text"], "777");
    assert_eq!(find(moved).unwrap()["group"]["id"], "lost");
    assert_eq!(find(archived).unwrap()["state"], "archived");
    assert_eq!(find(&created).unwrap()["name"], "New lead");
    assert!(find(deleted).is_none());
    assert_eq!(api.sim().items_served(api.sandbox.leads_board_id()), 4);
    assert_eq!(stats(&api).await["items_served"], 4);
}
