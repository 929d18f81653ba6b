//! Builds the running application from a `Config`: database, migrations, keys,
//! state, schema and router, bound to a listener. Tests build it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::auth::keys::JwtKeys;
use crate::auth::{AuthServices, accounts};
use crate::config::Config;
use crate::db::{self, DbError};
use crate::graphql;
use crate::graphql::response_cache::ResponseCache;
use crate::http;
use crate::mail::Mailer;
use crate::state::AppState;
use crate::tickets::{EventBus, LocalEventBus, TicketService};
use crate::upstream::monday::{MondayClient, RetryPolicy};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot load the JWT signing key: {0}")]
    Keys(sea_orm::DbErr),
    #[error("cannot set up staff accounts: {0:?}")]
    Accounts(crate::error::AppError),
    #[error("cannot set up mail: {0}")]
    Mail(anyhow::Error),
    #[error("cannot start the sandbox upstreams: {0}")]
    Sandbox(#[from] crate::sandbox::SandboxError),
    #[error("cannot set up the Monday client: {0}")]
    Monday(crate::upstream::monday::MondayError),
    #[error("the Monday tickets board cannot be used: {0}")]
    TicketBoard(crate::tickets::board::BindError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Application {
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        install_crypto_provider();
        // First: in sandbox mode every later use of the config must already
        // see the simulators' URLs, tokens and board ids.
        let sandbox = if config.sandbox_mode() {
            Some(Arc::new(start_sandbox(&mut config).await?))
        } else {
            None
        };

        let db = db::connect(&config.database).await?;
        db::migrate(&db).await?;
        let keys = JwtKeys::load(&config.jwt, &db)
            .await
            .map_err(StartupError::Keys)?;
        accounts::bootstrap(&config, &db)
            .await
            .map_err(StartupError::Accounts)?;
        let mailer = Mailer::new(&config.mail, &config.data_dir).map_err(StartupError::Mail)?;
        let auth = AuthServices::new(&config);

        let addr = format!("{}:{}", config.server.host, config.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;

        // With PORT=0 the real port is known only now; links and webhook
        // registrations must carry it.
        if config.server.public_url.port() == Some(0)
            && let Ok(addr) = listener.local_addr()
        {
            let _ = config.server.public_url.set_port(Some(addr.port()));
        }

        let monday = monday_client(&config)?;
        let events: Arc<dyn EventBus> = Arc::new(LocalEventBus::default());
        let responses = Arc::new(ResponseCache::new(
            config.cache.response_ttl,
            config.cache.max_entries,
            config.cache.max_bytes,
        ));
        let tickets = match (&monday, &config.monday.tickets_board_id) {
            (Some(m), Some(board)) => {
                let (events, responses) = (events.clone(), responses.clone());
                Some(ticket_service(&db, m.clone(), board, &config, events, responses).await?)
            }
            _ => {
                tracing::warn!("no Monday tickets board configured; the support portal is off");
                None
            }
        };

        let state = AppState {
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
            auth: Arc::new(auth),
            mailer: Arc::new(mailer),
            sandbox,
            monday,
            tickets,
            events,
            responses,
        };
        let schema = graphql::build_schema(state.clone());
        let router = http::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then lets in-flight requests finish for
    /// a bounded time. Long-lived WebSockets would otherwise hold shutdown open.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Dropped with this future: a server that is stopped (or whose task
        // is aborted) takes its background work with it.
        let _workers = AbortOnDrop(spawn_workers(&self.state));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            self.listener,
            // Peer addresses feed login throttling and the audit log.
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down");
            let _ = tx.send(());
        });
        tokio::select! {
            res = server => res,
            () = async {
                let _ = rx.await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!("shutdown grace period over; closing remaining connections");
                Ok(())
            }
        }
    }
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for w in &self.0 {
            w.abort();
        }
    }
}

fn monday_client(config: &Config) -> Result<Option<Arc<MondayClient>>, StartupError> {
    let Some(token) = &config.monday.api_token else {
        return Ok(None);
    };
    let retry = RetryPolicy {
        max_attempts: config.monday.max_attempts,
        request_timeout: config.monday.request_timeout,
        max_rate_limit_wait: config.monday.max_rate_limit_wait,
        ..RetryPolicy::default()
    };
    MondayClient::new(
        config.monday.api_url.clone(),
        token.clone(),
        config.monday.api_version.clone(),
        retry,
    )
    .map(|c| Some(Arc::new(c)))
    .map_err(StartupError::Monday)
}

/// Binds the tickets board now when Monday answers: a board that lacks a
/// column stops startup with an error naming it. When Monday is unreachable
/// we start anyway (tickets are kept and delivered later) and bind on first use.
async fn ticket_service(
    db: &sea_orm::DatabaseConnection,
    monday: Arc<MondayClient>,
    board: &str,
    config: &Config,
    events: Arc<dyn EventBus>,
    responses: Arc<ResponseCache>,
) -> Result<Arc<TicketService>, StartupError> {
    let service = TicketService::new(
        db.clone(),
        monday,
        board.to_owned(),
        config.tickets.clone(),
        events,
        responses,
    );
    match service.board().await {
        Ok(_) => {}
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "Monday is unreachable; binding the tickets board later");
        }
        Err(e) => return Err(StartupError::TicketBoard(e)),
    }
    Ok(Arc::new(service))
}

/// Background work tied to the server's lifetime: outbox delivery, the board
/// reconcile, and in sandbox mode the webhook wiring to our own endpoint.
fn spawn_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut workers = Vec::new();
    let Some(tickets) = state.tickets.clone() else {
        return workers;
    };
    workers.push(tokio::spawn(tickets.clone().run_delivery()));
    let sandbox_wiring = match (&state.sandbox, &state.monday) {
        (Some(_), Some(monday)) => {
            Some((monday.clone(), state.db.clone(), webhook_url(&state.config)))
        }
        _ => None,
    };
    workers.push(tokio::spawn(async move {
        // Webhooks first: once the startup sync has run, every later change
        // on the board reaches us.
        if let Some((monday, db, url)) = sandbox_wiring {
            match crate::tickets::webhooks::ensure(&monday, &db, tickets.board_id(), &url).await {
                Ok(r) => tracing::info!(
                    url,
                    webhooks = r.len(),
                    "sandbox webhooks point at this server"
                ),
                Err(e) => tracing::error!(error = %e, "could not register sandbox webhooks"),
            }
        }
        tickets.run_reconcile().await;
    }));
    workers
}

/// Where Monday should send ticket events for this server.
pub fn webhook_url(config: &Config) -> String {
    let base = config.server.public_url.as_str().trim_end_matches('/');
    format!("{base}/webhooks/monday")
}

/// Starts the Monday and Calendly simulators on loopback and points the
/// configuration at them, as a real deployment's settings would.
async fn start_sandbox(config: &mut Config) -> Result<crate::sandbox::SandboxHandle, StartupError> {
    use secrecy::{ExposeSecret, SecretString};

    let s = &config.sandbox;
    let options = crate::sandbox::SandboxOptions {
        host: "127.0.0.1".to_owned(),
        port: s.port,
        seed: s.seed,
        clients: s.clients,
        tickets: s.tickets,
        leads: s.leads,
        events: s.events,
        users: s.users,
        webhook_retry_delay: s.webhook_retry,
        signing_secret: config
            .monday
            .signing_secret
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        calendly_signing_key: config
            .calendly
            .signing_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        ..Default::default()
    };
    let handle = crate::sandbox::Sandbox::start(options).await?;
    // Both URLs come from a formatted socket address, so they parse.
    if let Ok(u) = url::Url::parse(handle.monday_url()) {
        config.monday.api_url = u;
    }
    if let Ok(u) = url::Url::parse(handle.calendly_url()) {
        config.calendly.api_url = u;
    }
    config.monday.api_token = Some(SecretString::from(handle.monday_token().to_owned()));
    config.calendly.access_token = Some(SecretString::from(handle.calendly_token().to_owned()));
    config.monday.tickets_board_id = Some(handle.tickets_board_id().to_string());
    config.monday.leads_board_id = Some(handle.leads_board_id().to_string());
    config.sandbox.running = true;
    tracing::warn!(
        monday = %handle.monday_url(),
        calendly = %handle.calendly_url(),
        control = %handle.control_url(),
        tickets_board_id = handle.tickets_board_id(),
        leads_board_id = handle.leads_board_id(),
        "SANDBOX MODE: no Monday or Calendly token configured; serving simulated upstreams with seeded data"
    );
    Ok(handle)
}

/// rustls needs one process-wide crypto provider; ring keeps the build light.
pub fn install_crypto_provider() {
    // Err means one is installed already (a second app in the same process).
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
