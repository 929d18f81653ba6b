//! Everything a request handler may need, built once at startup. Cheap to clone:
//! each part is a pool or sits behind an `Arc`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::AuthServices;
use crate::auth::keys::JwtKeys;
use crate::config::Config;
use crate::graphql::response_cache::ResponseCache;
use crate::mail::Mailer;
use crate::sandbox::SandboxHandle;
use crate::tickets::{EventBus, TicketService};
use crate::upstream::monday::MondayClient;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub keys: Arc<JwtKeys>,
    /// Login throttle and per-API-key rate limiters.
    pub auth: Arc<AuthServices>,
    /// SMTP, or the `DATA_DIR/outbox/` directory in development.
    pub mailer: Arc<Mailer>,
    /// The in-process Monday/Calendly simulators in sandbox mode (no upstream
    /// tokens configured); kept here so they live as long as the app.
    pub sandbox: Option<Arc<SandboxHandle>>,
    /// Present when a Monday token is configured (or the sandbox supplies one).
    pub monday: Option<Arc<MondayClient>>,
    /// Present when a tickets board is configured.
    pub tickets: Option<Arc<TicketService>>,
    /// Ticket change events for live subscriptions.
    pub events: Arc<dyn EventBus>,
    /// Recent `tickets`/`ticket` responses, per caller.
    pub responses: Arc<ResponseCache>,
}
