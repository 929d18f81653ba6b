//! Contract tests of the Monday simulator over real HTTP: paging, cursors,
//! complexity, errors, auth and webhooks, with the documents in `monday/`
//! (validated against the official schema by `check-monday-ops`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::monday::MondaySim;
use bridgeboard::sandbox::options::SandboxOptions;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::spawn_sandbox;

macro_rules! op {
    ($name:literal) => {
        include_str!(concat!("monday/", $name, ".graphql"))
    };
}

/// A Monday client for the contract tests (shared with `sandbox_monday_*`).
pub(crate) struct Api {
    pub(crate) sandbox: SandboxHandle,
    client: reqwest::Client,
}

impl Api {
    pub(crate) async fn start(customize: impl FnOnce(&mut SandboxOptions)) -> Self {
        let sandbox = spawn_sandbox(customize).await;
        Self {
            sandbox,
            client: reqwest::Client::new(),
        }
    }

    pub(crate) fn sim(&self) -> Arc<MondaySim> {
        self.sandbox.monday()
    }

    pub(crate) fn tickets(&self) -> String {
        self.sandbox.tickets_board_id().to_string()
    }

    pub(crate) fn leads(&self) -> String {
        self.sandbox.leads_board_id().to_string()
    }

    async fn post_with(
        &self,
        token: Option<&str>,
        version: Option<&str>,
        query: &str,
        vars: Value,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = self
            .client
            .post(self.sandbox.monday_url())
            .json(&json!({"query": query, "variables": vars}));
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        if let Some(v) = version {
            req = req.header("API-Version", v);
        }
        let resp = req.send().await.expect("monday answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.json().await.expect("json body"))
    }

    pub(crate) async fn post(&self, query: &str, vars: Value) -> (StatusCode, HeaderMap, Value) {
        let token = self.sandbox.monday_token().to_owned();
        self.post_with(Some(&token), Some("2026-10"), query, vars)
            .await
    }

    /// A request that must succeed: HTTP 200 and no errors.
    pub(crate) async fn ok(&self, query: &str, vars: Value) -> Value {
        let (status, _, body) = self.post(query, vars).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// A request that must fail with an application error (HTTP 200).
    pub(crate) async fn app_error(&self, query: &str, vars: Value) -> Value {
        let (status, _, body) = self.post(query, vars).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["account_id"].is_u64(), "{body}");
        let err = body["errors"][0].clone();
        assert!(err["extensions"]["request_id"].is_string(), "{body}");
        err
    }
}

pub(crate) fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn page_all(api: &Api, board: &str) -> Vec<String> {
    let data = api
        .ok(
            op!("first_items_page"),
            json!({"board": board, "limit": 500}),
        )
        .await;
    let page = &data["boards"][0]["items_page"];
    let mut all = ids(&page["items"]);
    let mut cursor = page["cursor"].clone();
    while let Some(c) = cursor.as_str() {
        let data = api
            .ok(op!("next_items_page"), json!({"cursor": c, "limit": 500}))
            .await;
        all.extend(ids(&data["next_items_page"]["items"]));
        cursor = data["next_items_page"]["cursor"].clone();
    }
    all
}

#[tokio::test]
async fn a_10k_board_pages_to_its_end_with_limit_500() {
    let api = Api::start(|o| o.leads = 10_000).await;
    let all = page_all(&api, &api.leads()).await;
    assert_eq!(all.len(), 10_000);
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), 10_000);
    assert_eq!(api.sim().item_count(api.sandbox.leads_board_id()), 10_000);
}

#[tokio::test]
async fn paging_is_stable_while_items_change() {
    let api = Api::start(|o| o.leads = 1_200).await;
    let board = api.leads();
    let data = api
        .ok(
            op!("first_items_page"),
            json!({"board": board, "limit": 500}),
        )
        .await;
    let page = &data["boards"][0]["items_page"];
    let mut seen = ids(&page["items"]);
    // Items change between pages: one not yet served is deleted, one is added.
    let later = api
        .sim()
        .find_items_by_column(api.sandbox.leads_board_id(), "company", "Acme");
    let victim = later
        .iter()
        .rev()
        .find(|id| !seen.contains(&id.to_string()))
        .copied()
        .unwrap();
    api.sim().staff_delete(victim).unwrap();
    api.ok(
        op!("create_item"),
        json!({"board": board, "name": "Late lead"}),
    )
    .await;
    let mut cursor = page["cursor"].as_str().unwrap().to_owned();
    loop {
        let data = api
            .ok(
                op!("next_items_page"),
                json!({"cursor": cursor, "limit": 500}),
            )
            .await;
        seen.extend(ids(&data["next_items_page"]["items"]));
        match data["next_items_page"]["cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        1_199,
        "the deleted item is skipped, the new one not served"
    );
    assert!(!seen.contains(&victim.to_string()));
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test]
async fn an_expired_cursor_gives_cursor_expired_error() {
    let api = Api::start(|o| o.leads = 30).await;
    let data = api
        .ok(
            op!("first_items_page"),
            json!({"board": api.leads(), "limit": 10}),
        )
        .await;
    let cursor = data["boards"][0]["items_page"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    api.sim().set_cursor_ttl(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let err = api
        .app_error(
            op!("next_items_page"),
            json!({"cursor": cursor, "limit": 10}),
        )
        .await;
    assert_eq!(err["extensions"]["code"], "CursorExpiredError");
    let err = api
        .app_error(
            op!("next_items_page"),
            json!({"cursor": "not-a-cursor", "limit": 10}),
        )
        .await;
    assert_eq!(err["extensions"]["code"], "InvalidCursorException");
}

#[tokio::test]
async fn complexity_is_reported_then_exhausted_with_429() {
    let api = Api::start(|o| o.monday_complexity_budget = 5_000).await;
    let data = api.ok(op!("complexity"), json!({})).await;
    let c = &data["complexity"];
    assert_eq!(c["before"], 5_000);
    assert_eq!(
        c["after"].as_i64().unwrap(),
        5_000 - c["query"].as_i64().unwrap()
    );
    assert!(c["reset_in_x_seconds"].as_i64().unwrap() > 0);
    assert_eq!(data["version"]["value"], "2026-10");

    // A mutation costs more than what is left: refused, and nothing changes.
    let before = api.sim().item_count(api.sandbox.tickets_board_id());
    let (status, headers, body) = api
        .post(
            op!("create_item"),
            json!({"board": api.tickets(), "name": "Too expensive"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["code"], "COMPLEXITY_BUDGET_EXHAUSTED");
    assert_eq!(ext["status_code"], 429);
    assert_eq!(ext["complexity_budget_limit"], 5_000);
    assert!(ext["complexity"].as_u64().unwrap() > ext["complexity_budget_left"].as_u64().unwrap());
    assert!(ext["retry_in_seconds"].as_u64().unwrap() >= 1);
    assert!(headers.get("retry-after").is_some());
    assert_eq!(api.sim().item_count(api.sandbox.tickets_board_id()), before);
}

#[tokio::test]
async fn wrong_or_missing_token_is_401_and_bearer_is_tolerated() {
    let api = Api::start(|_| {}).await;
    let (status, _, _) = api
        .post_with(Some("wrong"), None, op!("complexity"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = api
        .post_with(None, None, op!("complexity"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {}", api.sandbox.monday_token());
    let (status, _, body) = api
        .post_with(Some(&bearer), None, op!("complexity"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = api.sandbox.monday_token().to_owned();
    let (_, _, body) = api
        .post_with(Some(&token), Some("1999-01"), op!("complexity"), json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "InvalidVersionException"
    );
}

#[tokio::test]
async fn application_errors_are_http_200_with_monday_codes() {
    let api = Api::start(|_| {}).await;
    let item =
        api.sim()
            .find_items_by_column(api.sandbox.tickets_board_id(), "ticket_id", "TCK-00001")[0];
    let vars = json!({"board": api.tickets(), "item": item.to_string(), "values": "{\"no_such_column\":\"x\"}"});
    let err = api.app_error(op!("change_column_values"), vars).await;
    assert_eq!(err["extensions"]["code"], "InvalidColumnIdException");
    assert_eq!(err["path"], json!(["change_multiple_column_values"]));

    let vars = json!({"board": api.tickets(), "item": "123", "values": "{\"status\":{\"label\":\"Open\"}}"});
    let err = api.app_error(op!("change_column_values"), vars).await;
    assert_eq!(err["extensions"]["code"], "ResourceNotFoundException");

    let vars = json!({"board": api.tickets(), "item": item.to_string(), "values": "{\"status\":{\"label\":\"Nope\"}}"});
    let err = api.app_error(op!("change_column_values"), vars).await;
    assert_eq!(err["extensions"]["code"], "ColumnValueException");
    assert_eq!(
        err["extensions"]["error_data"]["column_type"],
        "StatusColumn"
    );

    let err = api
        .app_error(op!("create_item"), json!({"board": "1", "name": "x"}))
        .await;
    assert_eq!(err["extensions"]["code"], "InvalidBoardIdException");
}

#[tokio::test]
async fn seeded_tickets_read_back_in_monday_formats() {
    let api = Api::start(|_| {}).await;
    let data = api
        .ok(op!("board_shape"), json!({"board": api.tickets()}))
        .await;
    let board = &data["boards"][0];
    assert_eq!(board["name"], "Client Support Tickets");
    let titles: Vec<&str> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    for t in [
        "Title",
        "Ticket ID",
        "Description",
        "Client Email",
        "Client Portal ID",
        "Status",
        "Priority",
        "Created Date",
        "Last Updated",
    ] {
        assert!(titles.contains(&t), "{t} in {titles:?}");
    }

    let vars = json!({"board": api.tickets(), "name": "Printer on fire", "labels": false,
        "values": json!({"status": {"label": "In Progress"}, "priority": "Urgent", "client_email": {"email": "a@b.example", "text": "a@b.example"},
            "created_date": {"date": "2026-03-04"}, "description": {"text": "It burns"}}).to_string()});
    let created = api.ok(op!("create_item"), vars).await;
    let id = created["create_item"]["id"].as_str().unwrap().to_owned();
    let data = api.ok(op!("items_with_values"), json!({"ids": [id]})).await;
    let values = data["items"][0]["column_values"].as_array().unwrap();
    let col = |id: &str| values.iter().find(|v| v["id"] == id).unwrap().clone();
    let status = col("status");
    assert_eq!(
        (
            status["type"].as_str(),
            status["label"].as_str(),
            status["index"].as_i64()
        ),
        (Some("status"), Some("In Progress"), Some(1))
    );
    let value: Value = serde_json::from_str(status["value"].as_str().unwrap()).unwrap();
    assert_eq!(value["index"], 1);
    assert_eq!(col("priority")["text"], "Urgent");
    assert_eq!(col("client_email")["email"], "a@b.example");
    assert_eq!(col("created_date")["date"], "2026-03-04");
    assert_eq!(col("description")["text"], "It burns");
    assert!(col("ticket_id")["value"].is_null());

    let by_email = api.sim().item_json(id.parse().unwrap()).unwrap();
    assert_eq!(by_email["by_title"]["Status"], "In Progress");
}

#[tokio::test]
async fn query_params_and_column_value_lookups_filter_items() {
    let api = Api::start(|o| o.leads = 300).await;
    let vars =
        json!({"board": api.leads(), "column": "source", "index": [2], "order": "deal_value"});
    let data = api.ok(op!("filtered_items_page"), vars).await;
    let items = data["boards"][0]["items_page"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let text = |item: &Value, col: &str| {
        item["column_values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == col)
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(items.iter().all(|i| text(i, "source") == "Calendly"));
    let deals: Vec<f64> = items
        .iter()
        .map(|i| text(i, "deal_value").parse().unwrap())
        .collect();
    assert!(
        deals.windows(2).all(|w| w[0] >= w[1]),
        "sorted by deal value, descending"
    );

    let email = bridgeboard::sandbox::seed::person(1, 7).email;
    let data = api
        .ok(
            op!("items_by_column_values"),
            json!({"board": api.leads(), "column": "email", "value": email}),
        )
        .await;
    let found = &data["items_page_by_column_values"]["items"];
    assert_eq!(found.as_array().unwrap().len(), 1);
    let p = bridgeboard::sandbox::seed::person(1, 7);
    assert_eq!(
        found[0]["name"],
        format!("{} {}", p.first_name, p.last_name)
    );
}

#[tokio::test]
async fn boards_columns_and_groups_can_be_created() {
    let api = Api::start(|_| {}).await;
    let data = api
        .ok(op!("create_board"), json!({"name": "Scratch"}))
        .await;
    let board = data["create_board"]["id"].as_str().unwrap().to_owned();
    let defaults = json!({"labels": {"0": "Todo", "1": "Done"}}).to_string();
    let col = api
        .ok(
            op!("create_column"),
            json!({"board": board, "title": "State", "defaults": defaults}),
        )
        .await;
    let col_id = col["create_column"]["id"].as_str().unwrap().to_owned();
    assert_eq!(col["create_column"]["type"], "status");
    let group = api
        .ok(
            op!("create_group"),
            json!({"board": board, "name": "Later"}),
        )
        .await;
    let group_id = group["create_group"]["id"].as_str().unwrap().to_owned();
    let values = json!({col_id.clone(): {"label": "Blocked"}}).to_string();
    let vars = json!({"board": board, "group": group_id, "name": "Thing", "values": values, "labels": true});
    let item = api.ok(op!("create_item"), vars).await;
    assert_eq!(item["create_item"]["group"]["id"], group_id.as_str());
    let text = item["create_item"]["column_values"][0]["text"].clone();
    assert_eq!(text, "Blocked", "create_labels_if_missing added the label");
    let id = item["create_item"]["id"].as_str().unwrap().to_owned();
    let vars = json!({"board": board, "item": id, "column": col_id, "value": "Done"});
    api.ok(op!("change_simple_column_value"), vars).await;
    let json = api.sim().item_json(id.parse().unwrap()).unwrap();
    assert_eq!(json["by_title"]["State"], "Done");
}

// ---- webhooks ----

pub(crate) struct Receiver {
    pub(crate) url: String,
    events: mpsc::UnboundedReceiver<(HeaderMap, Value)>,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<(HeaderMap, Value)>,
    echo: bool,
    fail_next: Arc<AtomicU32>,
}

async fn receive(
    State(s): State<ReceiverState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if let Some(challenge) = body.get("challenge") {
        let answer = if s.echo {
            json!({"challenge": challenge})
        } else {
            json!({"ok": true})
        };
        return (StatusCode::OK, Json(answer));
    }
    let _ = s.tx.send((headers, body));
    let failing = s
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    (status, Json(json!({})))
}

/// A webhook endpoint on a free port; it fails the first `fail` deliveries.
pub(crate) async fn receiver(echo: bool, fail: u32) -> Receiver {
    let (tx, events) = mpsc::unbounded_channel();
    let state = ReceiverState {
        tx,
        echo,
        fail_next: Arc::new(AtomicU32::new(fail)),
    };
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, events }
}

impl Receiver {
    pub(crate) async fn next(&mut self) -> (HeaderMap, Value) {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("a delivery")
            .expect("open")
    }
}

pub(crate) async fn subscribe(api: &Api, url: &str, event: &str) -> Value {
    let vars = json!({"board": api.tickets(), "url": url, "event": event});
    api.ok(op!("create_webhook"), vars).await["create_webhook"].clone()
}

#[tokio::test]
async fn create_webhook_requires_the_challenge_echo() {
    let api = Api::start(|_| {}).await;
    let silent = receiver(false, 0).await;
    let vars = json!({"board": api.tickets(), "url": silent.url, "event": "create_item"});
    let err = api.app_error(op!("create_webhook"), vars).await;
    assert_eq!(err["extensions"]["code"], "InvalidArgumentException");
    assert!(api.sim().webhooks().is_empty());

    let good = receiver(true, 0).await;
    let hook = subscribe(&api, &good.url, "change_status_column_value").await;
    assert_eq!(hook["event"], "change_status_column_value");
    assert_eq!(hook["board_id"], api.tickets().as_str());
    let listed = api
        .ok(op!("webhooks"), json!({"board": api.tickets()}))
        .await;
    assert_eq!(listed["webhooks"].as_array().unwrap().len(), 1);
    assert_eq!(api.sim().webhooks()[0].url, good.url);
    api.ok(op!("delete_webhook"), json!({"id": hook["id"]}))
        .await;
    assert!(api.sim().webhooks().is_empty());
}

#[tokio::test]
async fn every_item_change_posts_the_real_payload_shapes() {
    let api = Api::start(|_| {}).await;
    let mut rx = receiver(true, 0).await;
    for event in [
        "create_item",
        "change_column_value",
        "change_name",
        "create_update",
        "item_deleted",
    ] {
        subscribe(&api, &rx.url, event).await;
    }
    let sim = api.sim();
    let board = sim.tickets_board_id();

    let vars = json!({"board": api.tickets(), "name": "Webhook ticket", "values": "{\"status\":{\"label\":\"Open\"}}"});
    let id: u64 = api.ok(op!("create_item"), vars).await["create_item"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (_, body) = rx.next().await;
    let e = &body["event"];
    assert_eq!(e["type"], "create_pulse");
    assert_eq!(
        (
            e["app"].as_str(),
            e["boardId"].as_u64(),
            e["pulseId"].as_u64()
        ),
        (Some("monday"), Some(board), Some(id))
    );
    assert_eq!(e["pulseName"], "Webhook ticket");
    assert_eq!(e["groupId"], "topics");
    assert_eq!(e["columnValues"]["status"]["label"]["text"], "Open");
    for field in [
        "triggerTime",
        "subscriptionId",
        "userId",
        "triggerUuid",
        "groupName",
        "isTopGroup",
    ] {
        assert!(!e[field].is_null(), "{field} in {e}");
    }
    assert!(e.get("originalTriggerUuid").is_some());

    sim.staff_set_status(id, "Resolved").unwrap();
    let (_, body) = rx.next().await;
    let e = &body["event"];
    assert_eq!(e["type"], "update_column_value");
    assert_eq!(
        (
            e["columnId"].as_str(),
            e["columnType"].as_str(),
            e["columnTitle"].as_str()
        ),
        (Some("status"), Some("color"), Some("Status"))
    );
    assert_eq!(e["value"]["label"]["text"], "Resolved");
    assert_eq!(e["value"]["label"]["is_done"], true);
    assert_eq!(e["previousValue"]["label"]["text"], "Open");
    assert!(e["changedAt"].is_f64());

    sim.staff_rename(id, "Renamed ticket").unwrap();
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "update_name");
    assert_eq!(body["event"]["value"]["name"], "Renamed ticket");
    assert_eq!(body["event"]["previousValue"]["name"], "Webhook ticket");

    sim.staff_comment(id, None, "<p>We are on it</p>").unwrap();
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "create_update");
    assert_eq!(body["event"]["body"], "<p>We are on it</p>");
    assert_eq!(body["event"]["textBody"], "We are on it");
    assert!(body["event"]["updateId"].is_u64());

    sim.staff_delete(id).unwrap();
    let (_, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "delete_pulse");
    assert_eq!(body["event"]["itemId"].as_u64(), Some(id));
    assert_eq!(body["event"]["itemName"], "Renamed ticket");
    assert!(sim.item_json(id).is_none());
    assert_eq!(
        sim.staff_delete(id).unwrap_err().code(),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn signed_deliveries_carry_a_jwt_for_the_url() {
    let secret = "known-signing-secret";
    let api = Api::start(|o| o.signing_secret = Some(secret.into())).await;
    let mut rx = receiver(true, 0).await;
    subscribe(&api, &rx.url, "create_update").await;
    let item =
        api.sim()
            .find_items_by_column(api.sandbox.tickets_board_id(), "ticket_id", "TCK-00002")[0];
    api.ok(
        op!("create_update"),
        json!({"item": item.to_string(), "body": "Hello"}),
    )
    .await;
    let (headers, body) = rx.next().await;
    assert_eq!(body["event"]["type"], "create_update");
    let token = headers
        .get("authorization")
        .expect("signed")
        .to_str()
        .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[rx.url.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("valid JWT")
        .claims;
    assert!(
        claims["accountId"].is_u64()
            && claims["userId"].is_u64()
            && claims["shortLivedToken"].is_string()
    );
    let wrong = jsonwebtoken::DecodingKey::from_secret(b"another-secret");
    assert!(jsonwebtoken::decode::<Value>(token, &wrong, &validation).is_err());
}

#[tokio::test]
async fn a_failed_delivery_is_retried() {
    let api = Api::start(|o| {
        o.webhook_retry_delay = Duration::from_millis(50);
        o.webhook_max_retries = 3;
    })
    .await;
    let mut rx = receiver(true, 1).await;
    subscribe(&api, &rx.url, "change_name").await;
    let item =
        api.sim()
            .find_items_by_column(api.sandbox.tickets_board_id(), "ticket_id", "TCK-00003")[0];
    let vars = json!({"board": api.tickets(), "item": item.to_string(), "values": "{\"name\":\"Retried\"}"});
    api.ok(op!("change_column_values"), vars).await;
    let (_, first) = rx.next().await;
    let (_, second) = rx.next().await;
    assert_eq!(first["event"]["type"], "update_name");
    assert_eq!(first, second, "the same event is sent again after the 500");
}

// ---- the served schema against the official one ----

/// `Type.field` / `Type.field(arg)` / `Input.field` → type, `Enum.value` → "",
/// `Type implements` → interface names, for one SDL document.
fn shape(sdl: &str) -> std::collections::BTreeMap<String, String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let doc = async_graphql::parser::parse_schema(sdl).expect("SDL parses");
    let mut out = std::collections::BTreeMap::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let name = t.node.name.node.to_string();
        let (fields, implements) = match t.node.kind {
            TypeKind::Object(o) => (o.fields, o.implements),
            TypeKind::Interface(i) => (i.fields, i.implements),
            TypeKind::Enum(e) => {
                for v in e.values {
                    out.insert(format!("{name}.{}", v.node.value.node), String::new());
                }
                continue;
            }
            TypeKind::InputObject(i) => {
                for f in i.fields {
                    out.insert(
                        format!("{name}.{}", f.node.name.node),
                        f.node.ty.node.to_string(),
                    );
                }
                continue;
            }
            _ => {
                out.insert(name, "scalar".into());
                continue;
            }
        };
        let mut ifaces: Vec<String> = implements.iter().map(|i| i.node.to_string()).collect();
        ifaces.sort();
        out.insert(format!("{name} implements"), ifaces.join(","));
        for f in fields {
            let field = format!("{name}.{}", f.node.name.node);
            for a in &f.node.arguments {
                out.insert(
                    format!("{field}({})", a.node.name.node),
                    a.node.ty.node.to_string(),
                );
            }
            out.insert(field, f.node.ty.node.to_string());
        }
    }
    out
}

#[test]
fn every_served_type_field_and_argument_matches_the_official_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/upstream/monday/schema.graphql");
    let Ok(official) = std::fs::read_to_string(&path) else {
        eprintln!(
            "skipped: the official Monday SDL is not at {}",
            path.display()
        );
        return;
    };
    let official = shape(&official);
    let ours = shape(&MondaySim::sdl());
    assert!(ours.contains_key("Query.items_page_by_column_values(columns)"));
    assert!(ours.contains_key("StatusValue implements"));
    let mut wrong = Vec::new();
    for (key, ty) in &ours {
        if key.ends_with(" implements") {
            // We serve fewer interfaces than exist; each one we declare must be official.
            let theirs = official.get(key).cloned().unwrap_or_default();
            if !ty
                .split(',')
                .filter(|i| !i.is_empty())
                .all(|i| theirs.split(',').any(|t| t == i))
            {
                wrong.push(format!("{key}: ours {ty}, official {theirs}"));
            }
        } else if official.get(key) != Some(ty) {
            wrong.push(format!(
                "{key}: ours {ty:?}, official {:?}",
                official.get(key)
            ));
        }
    }
    // Enums must be complete, so every valid value parses.
    for key in official.keys() {
        if let Some((ty, _)) = key.split_once('.')
            && ours
                .keys()
                .any(|k| k.starts_with(&format!("{ty}.")) && ours[k].is_empty())
            && official[key].is_empty()
            && !ours.contains_key(key)
        {
            wrong.push(format!("{key}: enum value missing"));
        }
    }
    assert!(
        wrong.is_empty(),
        "differences from the official schema:\n{}",
        wrong.join("\n")
    );
}
