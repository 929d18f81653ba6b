//! Simulator of the Monday.com GraphQL API (v2, API-Version 2026-10): boards,
//! items, cursors, complexity budget, application errors, activity logs and
//! webhooks, shaped exactly like the official schema.

mod activity;
mod assets;
mod column_values;
mod complexity;
mod cursor;
mod errors;
mod formats;
mod http;
mod inputs;
mod items;
mod misc_types;
mod mutation;
mod ops;
mod query;
mod schema;
mod seed;
mod staff;
mod store;
mod types;
mod values;
mod webhooks;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_graphql::{Context, EmptySubscription, Schema};
use axum::Router;
use axum::routing::post;
use tokio::sync::broadcast;

pub use assets::UploadedFile;
pub use errors::SimError;
pub use seed::client as seeded_client;
pub use store::WebhookRec as Webhook;

use complexity::{Budget, Charge, Exhausted};
use cursor::Cursors;
use schema::{MutationRoot, QueryRoot};
use store::Store;

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
    /// How long a budget window lasts (real: 60 s).
    pub complexity_window: Duration,
    /// Cursor lifetime (real: 60 minutes).
    pub cursor_ttl: Duration,
    /// Delay between webhook delivery retries (real: one minute).
    pub webhook_retry_delay: Duration,
    /// How many times a failed webhook delivery is retried.
    pub webhook_max_retries: u32,
    /// When set, webhook deliveries carry a JWT signed with it.
    pub signing_secret: Option<String>,
    /// Activity log entries kept per board; older ones are dropped first.
    pub activity_log_capacity: usize,
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
            complexity_window: Duration::from_secs(60),
            cursor_ttl: Duration::from_secs(60 * 60),
            webhook_retry_delay: Duration::from_secs(60),
            webhook_max_retries: 30,
            signing_secret: None,
            activity_log_capacity: activity::DEFAULT_CAPACITY,
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
    /// An update posted; a reply names its thread's update.
    Update {
        update_id: u64,
        body: String,
        parent_id: Option<u64>,
    },
    UpdateEdited {
        update_id: u64,
        body: String,
        parent_id: Option<u64>,
    },
    /// An update deleted, with the replies in its thread.
    UpdateDeleted {
        update_id: u64,
        parent_id: Option<u64>,
    },
    /// `from_group` is the id of the group the item left.
    Moved {
        from_group: String,
    },
    Archived,
    /// Carries what the item was, since it is gone when the change is seen.
    Deleted {
        name: String,
        group: String,
    },
}

/// The simulated account. Shared by the HTTP router and the control API.
pub struct MondaySim {
    options: MondayOptions,
    changes: broadcast::Sender<ItemChange>,
    store: RwLock<Store>,
    cursors: Mutex<Cursors>,
    budget: Mutex<Budget>,
    refusals: AtomicU64,
    /// API requests received (tests check what reached "Monday").
    requests: AtomicU64,
    /// Items served by item reads, per board (see `items_served`).
    served: Mutex<HashMap<u64, u64>>,
    tickets_board: u64,
    leads_board: u64,
    /// For challenges and deliveries; None only if TLS setup failed.
    http: Option<reqwest::Client>,
    /// Where the simulator is reached (`…/monday/v2`), for asset links.
    public_base: RwLock<String>,
    /// Signs assets' `public_url`s.
    asset_secret: [u8; 32],
    /// Files served through `public_url`s.
    downloads: AtomicU64,
}

/// The simulator behind a resolver (put in the schema's data by `router`).
fn sim<'a>(ctx: &Context<'a>) -> &'a MondaySim {
    ctx.data_unchecked::<Arc<MondaySim>>()
}

impl MondaySim {
    pub fn seeded(options: MondayOptions) -> Arc<Self> {
        let (changes, _) = broadcast::channel(1024);
        // Ids look like Monday's (ten digits) and are the same on every run.
        let mut store = Store::new(5_000_000_000);
        store.log_capacity = options.activity_log_capacity.max(1);
        let (tickets_board, leads_board) = seed::seed(&mut store, &options);
        // reqwest is built without a default TLS provider; an Err means one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .ok();
        Arc::new(Self {
            cursors: Mutex::new(Cursors::new(options.cursor_ttl)),
            budget: Mutex::new(Budget::with_window(
                options.complexity_budget_per_minute,
                options.complexity_window,
            )),
            refusals: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            served: Mutex::new(HashMap::new()),
            store: RwLock::new(store),
            options,
            changes,
            tickets_board,
            leads_board,
            http,
            public_base: RwLock::new(String::new()),
            asset_secret: rand::random(),
            downloads: AtomicU64::new(0),
        })
    }

    /// The GraphQL endpoint (`POST /`), to be nested at `/monday/v2`.
    pub fn router(self: Arc<Self>) -> Router {
        let schema = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
            .data(self.clone())
            .finish();
        Router::new()
            .route("/", post(http::graphql))
            .route(
                "/file",
                post(assets::upload).layer(axum::extract::DefaultBodyLimit::max(
                    assets::MAX_UPLOAD_BYTES,
                )),
            )
            .route(
                "/public_assets/{id}/{name}",
                axum::routing::get(assets::public_download),
            )
            .with_state(http::HttpState { sim: self, schema })
    }

    /// The SDL this simulator serves (for comparing with the official one).
    pub fn sdl() -> String {
        Schema::build(QueryRoot, MutationRoot, EmptySubscription)
            .finish()
            .sdl()
    }

    fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn charge(&self, cost: u64) -> Result<Charge, Exhausted> {
        let charged = self
            .budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .charge(cost);
        if charged.is_err() {
            self.refusals.fetch_add(1, Ordering::Relaxed);
        }
        charged
    }

    /// Files served through `public_url`s (tests check our cache with it).
    pub fn asset_downloads(&self) -> u64 {
        self.downloads.load(Ordering::Relaxed)
    }

    pub(crate) fn count_download(&self) {
        self.downloads.fetch_add(1, Ordering::Relaxed);
    }

    /// How many API requests arrived since start (any outcome).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How many requests were refused for the complexity budget (429
    /// `COMPLEXITY_BUDGET_EXHAUSTED`) since start.
    pub fn budget_refusals(&self) -> u64 {
        self.refusals.load(Ordering::Relaxed)
    }

    pub fn tickets_board_id(&self) -> u64 {
        self.tickets_board
    }

    pub fn leads_board_id(&self) -> u64 {
        self.leads_board
    }

    /// Shortens (or lengthens) the lifetime of cursors, issued ones included.
    pub fn set_cursor_ttl(&self, ttl: Duration) {
        self.cursors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_ttl(ttl);
    }

    /// Every cursor issued so far expires now, as if its 60 minutes were over
    /// (walks must start again); cursors issued later get the normal lifetime.
    /// Returns how many live cursors were expired.
    pub fn expire_cursors(&self) -> usize {
        self.cursors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expire_all()
    }

    /// Sets the per-minute complexity budget; the current window keeps its spending.
    pub fn set_complexity_budget(&self, per_minute: u64) {
        self.budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .limit = per_minute;
    }

    /// Starts a fresh budget window now, as if the account had been idle
    /// for a minute (benchmarks start each run this way).
    pub fn reset_complexity_window(&self) {
        self.budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reset();
    }

    pub fn options(&self) -> &MondayOptions {
        &self.options
    }

    /// Every item change, whether through the API or the control API.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<ItemChange> {
        self.changes.subscribe()
    }
}
