//! Board activity logs of the Monday simulator over real HTTP, as an
//! incremental sync reads them: one entry per item change with Monday's event
//! names and `data`, newest first, windowed by `from`/`to`, paged, bounded;
//! plus the moves and archives behind some of those entries, and their cost.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::sandbox_monday::{Api, ids, receiver};

pub(crate) const LOGS: &str = "query Logs($board: ID!, $from: ISO8601DateTime, \
    $to: ISO8601DateTime, $limit: Int, $page: Int, $items: [ID!], $groups: [String], \
    $columns: [String], $users: [ID!]) { boards(ids: [$board]) { activity_logs(from: $from, \
    to: $to, limit: $limit, page: $page, item_ids: $items, group_ids: $groups, \
    column_ids: $columns, user_ids: $users) { id event entity data created_at user_id \
    account_id } } }";
pub(crate) const MOVE: &str = "mutation Move($item: ID!, $group: String!) { \
    move_item_to_group(item_id: $item, group_id: $group) { id group { id } } }";
const ARCHIVE: &str = "mutation Archive($item: ID!) { archive_item(item_id: $item) { id state } }";
const CREATE: &str = include_str!("monday/create_item.graphql");
const CHANGE: &str = include_str!("monday/change_column_values.graphql");
const ITEMS: &str = "query Items($ids: [ID!], $active: Boolean) { \
    items(ids: $ids, exclude_nonactive: $active) { id state group { id } } }";
const PAGE: &str = "query Page($board: ID!) { boards(ids: [$board]) { items_count \
    items_page(limit: 500) { cursor items { id group { id } } } } }";

const ME: &str = "10000001";
const STAFF: &str = "10000002";

fn now_ticks() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (d.as_nanos() / 100) as i64
}

/// A log's `created_at` as the ISO8601 instant a client would send back.
pub(crate) fn iso(created_at: &str) -> String {
    let ticks: i64 = created_at.parse().unwrap();
    let t = Utc
        .timestamp_opt(ticks / 10_000_000, (ticks % 10_000_000) as u32 * 100)
        .unwrap();
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

pub(crate) async fn logs(api: &Api, vars: Value) -> Vec<Value> {
    let mut vars = vars;
    vars["board"] = json!(api.leads());
    let data = api.ok(LOGS, vars).await;
    data["boards"][0]["activity_logs"]
        .as_array()
        .unwrap()
        .clone()
}

fn data(log: &Value) -> Value {
    serde_json::from_str(log["data"].as_str().unwrap()).unwrap()
}

fn events(logs: &[Value]) -> Vec<&str> {
    logs.iter().map(|l| l["event"].as_str().unwrap()).collect()
}

/// A lead the API creates in `group`; returns its id.
async fn lead(api: &Api, name: &str, group: &str) -> String {
    let vars = json!({"board": api.leads(), "name": name, "group": group});
    let created = api.ok(CREATE, vars).await;
    created["create_item"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_item_change_leaves_one_log_entry_newest_first() {
    let api = Api::start(|_| {}).await;
    let sim = api.sim();
    let board = api.sandbox.leads_board_id();
    assert_eq!(sim.activity_log_count(board), 0, "seeded items have no log");
    let before = now_ticks();
    let id = lead(&api, "Ada Lovelace", "scheduled").await;
    let item: u64 = id.parse().unwrap();
    let values = json!({"deal_value": "5000"}).to_string();
    let vars = json!({"board": api.leads(), "item": id, "values": values});
    api.ok(CHANGE, vars).await;
    sim.staff_rename(item, "Ada King").unwrap();
    let moved = api.ok(MOVE, json!({"item": id, "group": "won"})).await;
    assert_eq!(moved["move_item_to_group"]["group"]["id"], "won");
    let archived = api.ok(ARCHIVE, json!({"item": id})).await;
    assert_eq!(archived["archive_item"]["state"], "archived");
    sim.staff_delete(item).unwrap();
    let after = now_ticks();

    let all = logs(&api, json!({})).await;
    assert_eq!(
        events(&all),
        [
            "delete_pulse",
            "archive_pulse",
            "move_pulse_from_group",
            "update_name",
            "update_column_value",
            "create_pulse"
        ]
    );
    assert_eq!(sim.activity_log_count(board), 6);
    let mut last = i64::MAX;
    for log in &all {
        let at = log["created_at"].as_str().unwrap();
        assert_eq!(at.len(), 17, "{at}");
        let at: i64 = at.parse().unwrap();
        assert!(before <= at && at <= after && at < last, "{log}");
        last = at;
        assert_eq!(log["entity"], "pulse");
        assert_eq!(log["account_id"], "9000001");
        let d = data(log);
        assert_eq!(d["pulse_id"].as_u64(), Some(item));
        assert_eq!(d["board_id"].as_u64(), Some(board));
    }
    let users: Vec<&str> = all.iter().map(|l| l["user_id"].as_str().unwrap()).collect();
    assert_eq!(users, [STAFF, ME, ME, STAFF, ME, ME]);

    let created = data(&all[5]);
    assert_eq!(
        (
            &created["pulse_name"],
            &created["group_id"],
            &created["group_name"]
        ),
        (
            &json!("Ada Lovelace"),
            &json!("scheduled"),
            &json!("Scheduled")
        )
    );
    let change = data(&all[4]);
    assert_eq!(change["column_id"], "deal_value");
    assert_eq!(change["column_title"], "Deal Value");
    assert_eq!(change["column_type"], "numeric");
    assert_eq!(change["value"], json!({"value": 5000.0, "unit": null}));
    assert_eq!(change["previous_value"], Value::Null);
    let rename = data(&all[3]);
    assert_eq!(rename["value"], json!({"name": "Ada King"}));
    assert_eq!(rename["previous_value"], json!({"name": "Ada Lovelace"}));
    let mv = data(&all[2]);
    assert_eq!(mv["group_id"], "scheduled");
    assert_eq!(mv["source_group"]["id"], "scheduled");
    assert_eq!(
        mv["dest_group"],
        json!({"id": "won", "title": "Won", "color": "#00c875"})
    );
    assert_eq!(mv["pulse"], json!({"id": item, "name": "Ada King"}));
    assert_eq!(data(&all[1])["group_id"], "won");
    assert_eq!(data(&all[0])["pulse_name"], "Ada King");
}

#[tokio::test]
async fn from_and_to_are_inclusive_and_filters_narrow_the_log() {
    let api = Api::start(|_| {}).await;
    let a = lead(&api, "First", "scheduled").await;
    let b = lead(&api, "Second", "proposal").await;
    api.ok(MOVE, json!({"item": a, "group": "lost"})).await;
    let vars =
        json!({"board": api.leads(), "item": b, "values": json!({"company": "Acme"}).to_string()});
    api.ok(CHANGE, vars).await;
    api.sim()
        .staff_set_columns(
            a.parse().unwrap(),
            &serde_json::from_value(json!({"Deal Value": 10})).unwrap(),
        )
        .unwrap();
    let all = logs(&api, json!({})).await;
    assert_eq!(all.len(), 5);
    let at = |i: usize| all[i]["created_at"].as_str().unwrap().to_owned();

    let window = logs(&api, json!({"from": iso(&at(3)), "to": iso(&at(1))})).await;
    let want: Vec<&Value> = all[1..=3].iter().collect();
    assert_eq!(
        window.iter().collect::<Vec<_>>(),
        want,
        "both ends included"
    );
    let since = logs(&api, json!({"from": iso(&at(0))})).await;
    assert_eq!(since, vec![all[0].clone()]);
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(
        logs(&api, json!({"from": later.to_rfc3339()}))
            .await
            .is_empty()
    );

    let of_a = logs(&api, json!({"items": [a]})).await;
    assert_eq!(
        events(&of_a),
        [
            "update_column_value",
            "move_pulse_from_group",
            "create_pulse"
        ]
    );
    let lost = logs(&api, json!({"groups": ["lost"]})).await;
    assert_eq!(
        events(&lost),
        ["update_column_value", "move_pulse_from_group"]
    );
    let company = logs(&api, json!({"columns": ["company"]})).await;
    assert_eq!(company.len(), 1);
    assert_eq!(data(&company[0])["pulse_id"].to_string(), b);
    let staff = logs(&api, json!({"users": [STAFF]})).await;
    assert_eq!(staff, vec![all[0].clone()]);
}

#[tokio::test]
async fn pages_number_from_one_and_limit_is_bounded() {
    let api = Api::start(|_| {}).await;
    let item = lead(&api, "Paged", "scheduled").await;
    let id: u64 = item.parse().unwrap();
    for n in 0..6 {
        api.sim().staff_rename(id, &format!("Paged {n}")).unwrap();
    }
    let all = logs(&api, json!({})).await;
    assert_eq!(all.len(), 7);
    let mut walked = Vec::new();
    for page in 1..=4 {
        let got = logs(&api, json!({"limit": 3, "page": page})).await;
        assert_eq!(got.len(), [3, 3, 1, 0][page - 1], "page {page}");
        walked.extend(got);
    }
    assert_eq!(walked, all);
    assert_eq!(logs(&api, json!({"limit": 1000})).await, all);

    for vars in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"page": 0}),
    ] {
        let mut vars = vars;
        vars["board"] = json!(api.leads());
        let err = api.app_error(LOGS, vars).await;
        assert_eq!(
            err["extensions"]["code"], "InvalidArgumentException",
            "{err}"
        );
        assert_eq!(err["path"], json!(["boards", 0, "activity_logs"]));
    }
    let vars = json!({"board": api.leads(), "from": "last tuesday"});
    let err = api.app_error(LOGS, vars).await;
    assert_eq!(err["extensions"]["code"], "InvalidArgumentException");
}

#[tokio::test]
async fn each_board_keeps_only_its_newest_entries() {
    let api = Api::start(|o| o.monday_activity_log_capacity = 4).await;
    let item: u64 = lead(&api, "Busy", "scheduled").await.parse().unwrap();
    for n in 1..=5 {
        api.sim().staff_rename(item, &format!("Busy {n}")).unwrap();
    }
    assert_eq!(
        api.sim().activity_log_count(api.sandbox.leads_board_id()),
        4
    );
    let names: Vec<String> = logs(&api, json!({}))
        .await
        .iter()
        .map(|l| data(l)["pulse_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Busy 5", "Busy 4", "Busy 3", "Busy 2"]);
}

#[tokio::test]
async fn a_move_shows_in_pages_and_an_archived_item_leaves_them() {
    let api = Api::start(|_| {}).await;
    let data = api.ok(PAGE, json!({"board": api.leads()})).await;
    let board = &data["boards"][0];
    assert_eq!(board["items_count"], 20);
    let first = board["items_page"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = board["items_page"]["items"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.ok(MOVE, json!({"item": first, "group": "noshow"}))
        .await;
    api.ok(ARCHIVE, json!({"item": second})).await;

    let data = api.ok(PAGE, json!({"board": api.leads()})).await;
    let board = &data["boards"][0];
    assert_eq!(board["items_count"], 19);
    let items = board["items_page"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    assert_eq!(items[0]["id"], first.as_str());
    assert_eq!(items[0]["group"]["id"], "noshow");
    assert!(!ids(&board["items_page"]["items"]).contains(&second));

    let by_id = api.ok(ITEMS, json!({"ids": [first, second]})).await;
    assert_eq!(ids(&by_id["items"]), [first.clone(), second.clone()]);
    assert_eq!(by_id["items"][0]["state"], "active");
    assert_eq!(
        by_id["items"][1]["state"], "archived",
        "still readable by id"
    );
    let active = api
        .ok(ITEMS, json!({"ids": [first, second], "active": true}))
        .await;
    assert_eq!(ids(&active["items"]), [first.as_str()]);

    let err = api
        .app_error(MOVE, json!({"item": first, "group": "nowhere"}))
        .await;
    assert_eq!(err["extensions"]["code"], "InvalidArgumentException");
    let err = api.app_error(ARCHIVE, json!({"item": "123"})).await;
    assert_eq!(err["extensions"]["code"], "ResourceNotFoundException");
}

#[tokio::test]
async fn moves_and_archives_post_their_webhooks() {
    let api = Api::start(|_| {}).await;
    let mut rx = receiver(true, 0).await;
    let hooks = [
        ("item_moved_to_any_group", None),
        (
            "item_moved_to_specific_group",
            Some(json!({"groupId": "won"}).to_string()),
        ),
        ("item_archived", None),
    ];
    for (event, config) in hooks {
        let vars = json!({"board": api.leads(), "url": rx.url, "event": event, "config": config});
        api.ok(include_str!("monday/create_webhook.graphql"), vars)
            .await;
    }
    let item = lead(&api, "Hooked", "scheduled").await;
    api.ok(MOVE, json!({"item": item, "group": "proposal"}))
        .await;
    let (_, body) = rx.next().await;
    let e = &body["event"];
    assert_eq!(e["type"], "move_pulse_into_group");
    assert_eq!(e["pulseId"].to_string(), item);
    assert_eq!(
        (e["sourceGroupId"].as_str(), e["destGroupId"].as_str()),
        (Some("scheduled"), Some("proposal"))
    );
    assert_eq!(e["destGroup"]["title"], "Proposal");

    api.sim().staff_move(item.parse().unwrap(), "Won").unwrap();
    let (_, one) = rx.next().await;
    let (_, two) = rx.next().await;
    let mut subs = [
        one["event"]["subscriptionId"].as_u64(),
        two["event"]["subscriptionId"].as_u64(),
    ];
    subs.sort();
    assert_ne!(
        subs[0], subs[1],
        "the any-group and the won-group hooks both fire"
    );
    assert_eq!(one["event"]["destGroupId"], "won");
    assert_eq!(one["event"]["userId"].as_u64(), Some(10_000_002));

    api.sim().staff_archive(item.parse().unwrap()).unwrap();
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "archive_pulse");
    assert_eq!(body["event"]["itemId"].to_string(), item);
    assert_eq!(body["event"]["itemName"], "Hooked");
}

#[tokio::test]
async fn the_cost_of_activity_logs_scales_with_limit() {
    let api = Api::start(|_| {}).await;
    let cost = |limit: Option<u32>| {
        let args = limit.map_or(String::new(), |l| format!("(limit: {l})"));
        format!(
            "{{ complexity {{ query }} boards(ids: [{}]) {{ activity_logs{args} {{ id }} }} }}",
            api.leads()
        )
    };
    let mut seen = Vec::new();
    for limit in [Some(1), None, Some(1000)] {
        let data = api.ok(&cost(limit), json!({})).await;
        seen.push(data["complexity"]["query"].as_u64().unwrap());
    }
    assert_eq!(seen, [2 + 2 + 1, 2 + 2 + 25, 2 + 2 + 1000]);
}
