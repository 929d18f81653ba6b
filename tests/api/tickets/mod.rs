//! Support tickets end to end: the client portal over real HTTP and WebSocket,
//! against the sandbox Monday board, on the database under test.

mod attachments;
mod cache;
mod delivery;
mod isolation;
mod notifications;
mod portal;
mod reliability;
mod shutdown;
mod sigkill;
mod staff_view;
mod visibility;
mod webhooks;

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth_support::{REDEEM_MAGIC_LINK, REQUEST_MAGIC_LINK};
use crate::helpers::{TestApp, WsClient, spawn_app_with, with_admin};
pub use crate::helpers::{code, data, eventually};
pub const CREATE_TICKET: &str = include_str!("../operations/tickets/create_ticket.graphql");
pub const UPDATE_TICKET: &str = include_str!("../operations/tickets/update_ticket.graphql");
pub const ADD_COMMENT: &str = include_str!("../operations/tickets/add_comment.graphql");
pub const TICKET: &str = include_str!("../operations/tickets/ticket.graphql");
pub const TICKETS: &str = include_str!("../operations/tickets/tickets.graphql");
pub const TICKET_UPDATES: &str = include_str!("../operations/tickets/ticket_updates.graphql");

/// Settings for portal tests: a known admin, and an outbox that retries in
/// milliseconds rather than seconds.
pub fn portal_vars(v: &mut Vec<(String, String)>) {
    with_admin(v);
    for (k, val) in [
        ("OUTBOX_POLL_MS", "50"),
        ("OUTBOX_RETRY_BASE_MS", "50"),
        ("OUTBOX_RETRY_MAX_MS", "250"),
        ("MONDAY_MAX_ATTEMPTS", "2"),
        ("MONDAY_TIMEOUT_MS", "3000"),
    ] {
        v.push((k.to_owned(), val.to_owned()));
    }
}

pub async fn portal_app() -> TestApp {
    let app = spawn_app_with(portal_vars).await;
    wait_wired(&app).await;
    app
}

/// In sandbox mode the server registers its webhook endpoint at startup;
/// staff edits made before that would never reach it.
pub async fn wait_wired(app: &TestApp) {
    let board = app.sandbox().tickets_board_id();
    eventually("the sandbox webhooks registered", || async {
        let n = app
            .sandbox()
            .monday()
            .webhooks()
            .iter()
            .filter(|w| w.board_id == board)
            .count();
        (n >= bridgeboard::tickets::webhooks::EVENTS.len()).then_some(())
    })
    .await;
}

impl TestApp {
    /// Creates a client as admin; returns `(id, portalId)`.
    pub async fn new_client(&self, admin: &str, email: &str) -> (String, String) {
        let name = email.split('@').next().unwrap_or(email);
        let c = self.create_client(admin, email, name).await;
        (
            c["id"].as_str().expect("client id").to_owned(),
            c["portalId"].as_str().expect("portal id").to_owned(),
        )
    }

    /// Logs a client in the way a person does: asks for a magic link, takes
    /// it from the mail the server wrote, and redeems it.
    pub async fn magic_login(&self, email: &str) -> String {
        data(
            self.graphql(REQUEST_MAGIC_LINK, json!({ "email": email }))
                .await,
        );
        let outbox = self.state.config.data_dir.join("outbox");
        let token = eventually("the magic-link mail", || {
            let outbox = outbox.clone();
            async move { find_link_token(&outbox, email) }
        })
        .await;
        let body = self
            .graphql(REDEEM_MAGIC_LINK, json!({ "token": token }))
            .await;
        data(body)["redeemMagicLink"]["token"]
            .as_str()
            .expect("client session token")
            .to_owned()
    }

    /// A new client with a session: `(client id, portal id, token)`.
    pub async fn signed_in_client(&self, admin: &str, email: &str) -> (String, String, String) {
        let (id, portal) = self.new_client(admin, email).await;
        let token = self.magic_login(email).await;
        (id, portal, token)
    }

    /// A WebSocket subscribed to `ticketUpdates`, authenticated as `token`.
    pub async fn subscribe_tickets(&self, token: &str, ticket_id: Option<&str>) -> WsClient {
        self.subscribe_tickets_query(token, TICKET_UPDATES, ticket_id)
            .await
    }

    /// The same, with a subscription document of the test's own.
    pub async fn subscribe_tickets_query(
        &self,
        token: &str,
        query: &str,
        ticket_id: Option<&str>,
    ) -> WsClient {
        let credentials = json!({ "Authorization": format!("Bearer {token}") });
        self.subscribe_document(credentials, query, ticket_id).await
    }

    /// The same, with any `connection_init` payload (an API key, say).
    pub async fn subscribe_tickets_with(
        &self,
        credentials: Value,
        ticket_id: Option<&str>,
    ) -> WsClient {
        self.subscribe_document(credentials, TICKET_UPDATES, ticket_id)
            .await
    }

    async fn subscribe_document(
        &self,
        credentials: Value,
        query: &str,
        ticket_id: Option<&str>,
    ) -> WsClient {
        let mut ws = self.ws("graphql-transport-ws").await;
        let ack = ws.init(credentials).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws.send(json!({
            "id": "t",
            "type": "subscribe",
            "payload": { "query": query, "variables": { "ticketId": ticket_id } }
        }))
        .await;
        ws
    }

    pub async fn create_ticket(&self, token: &str, input: Value) -> Value {
        data(
            self.graphql_as(token, CREATE_TICKET, json!({ "input": input }))
                .await,
        )["createTicket"]
            .clone()
    }

    pub async fn ticket(&self, token: &str, id: &str) -> Value {
        self.graphql_as(token, TICKET, json!({ "id": id })).await
    }

    /// Waits until the ticket is on the board; returns its Monday item id.
    pub async fn wait_synced(&self, token: &str, id: &str) -> u64 {
        eventually("the ticket to reach Monday", || async {
            let t = self.ticket(token, id).await;
            let t = &t["data"]["ticket"];
            (t["syncState"] == "SYNCED")
                .then(|| t["mondayItemId"].as_str().and_then(|s| s.parse().ok()))
                .flatten()
        })
        .await
    }
}

/// Reads the magic-link token out of the newest mail to `email`.
fn find_link_token(outbox: &std::path::Path, email: &str) -> Option<String> {
    let mut mails: Vec<_> = std::fs::read_dir(outbox)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|m| m.to_lowercase().contains(&email.to_lowercase()))
        .collect();
    mails.sort();
    let mail = mails.pop()?;
    // Undo quoted-printable: soft line breaks and the escaped '='.
    let plain = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = plain.find("token=")? + "token=".len();
    let token: String = plain[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Next subscription payload (`next` message data), or None within `wait`.
pub async fn next_event(ws: &mut WsClient, wait: Duration) -> Option<Value> {
    let msg = ws.next_json(wait).await?;
    assert_eq!(msg["type"], "next", "subscription message: {msg}");
    Some(msg["payload"]["data"]["ticketUpdates"].clone())
}

/// Skips events until one satisfies `pred` (fails after a minute).
pub async fn wait_event(ws: &mut WsClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if let Some(e) = next_event(ws, Duration::from_secs(1)).await
            && pred(&e)
        {
            return e;
        }
    }
    panic!("no subscription event: {what}");
}
