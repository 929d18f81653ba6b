//! The composition root handlers see: the services and shared infrastructure
//! built once at startup. Cheap to clone: each part is a pool or sits behind
//! an `Arc`. Only `http/` and `graphql/` use it; domains get their own
//! dependencies, explicitly.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Authenticator;
use crate::auth::accounts::AccountService;
use crate::auth::api_keys::ApiKeyService;
use crate::auth::audit::Audit;
use crate::auth::clients::ClientService;
use crate::auth::keys::JwtKeys;
use crate::auth::magic_link::MagicLinkService;
use crate::auth::session::SessionService;
use crate::changes::ChangeSignal;
use crate::config::Config;
use crate::export::ExportService;
use crate::graphql::persisted_queries::PersistedQueries;
use crate::graphql::response_cache::ResponseCache;
use crate::graphql::subscription::fanout::TicketFanout;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::notify::NotifyService;
use crate::pipeline::PipelineService;
#[cfg(feature = "sandbox")]
use crate::sandbox::SandboxHandle;
use crate::tickets::TicketService;
use crate::upstream::calendly::CalendlyClient;
use crate::upstream::monday::MondayClient;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    /// Statements sent, per data-hub table.
    pub db_stats: Arc<crate::db::QueryStats>,
    pub keys: Arc<JwtKeys>,
    /// Turns request credentials into an identity.
    pub authenticator: Arc<Authenticator>,
    pub sessions: Arc<SessionService>,
    pub magic_links: Arc<MagicLinkService>,
    pub api_keys: Arc<ApiKeyService>,
    pub accounts: Arc<AccountService>,
    pub clients: Arc<ClientService>,
    pub audit: Audit,
    /// Committed changes; subscriptions listen here.
    pub changes: Arc<ChangeSignal>,
    /// Rate limits every replica shares.
    pub limits: Arc<Limits>,
    /// Draining and closing at shutdown.
    pub lifecycle: Lifecycle,
    /// Ticket events, routed to the subscriptions that may see them.
    pub ticket_fanout: Arc<TicketFanout>,
    /// Recent `tickets`/`ticket` responses, per caller.
    pub responses: Arc<ResponseCache>,
    /// Automatic persisted queries: hash to query text, bounded.
    pub persisted_queries: Arc<PersistedQueries>,
    /// Present when a Monday token is configured (or the sandbox supplies one).
    pub monday: Option<Arc<MondayClient>>,
    /// Present when a tickets board is configured.
    pub tickets: Option<Arc<TicketService>>,
    /// Client email notifications; with the tickets board.
    pub notify: Option<Arc<NotifyService>>,
    /// Present when a Calendly token is configured (or the sandbox supplies one).
    pub calendly: Option<Arc<CalendlyClient>>,
    /// Present when a leads board or Calendly is configured.
    pub pipeline: Option<Arc<PipelineService>>,
    /// The data hub's exports, over the pipeline's snapshot; with it.
    pub exports: Option<Arc<ExportService>>,
    /// The in-process Monday/Calendly simulators in sandbox mode (no upstream
    /// tokens configured); kept here so they live as long as the app.
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<Arc<SandboxHandle>>,
}
