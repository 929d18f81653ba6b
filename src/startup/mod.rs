//! Builds the running application from a `Config`: database, migrations, keys,
//! the change signal and caches, every service, the domain modules, schema and
//! router, bound to a listener. Tests build it on port 0.

mod modules;
#[cfg(feature = "sandbox")]
mod sandbox;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::auth::identity_cache::IdentityCache;
use crate::auth::keys::JwtKeys;
use crate::auth::{AuthDeps, AuthServices, accounts};
use crate::changes::ChangeSignal;
use crate::changes::relay::Relay;
use crate::config::Config;
use crate::db::{self, DbError};
use crate::export::ExportService;
use crate::graphql;
use crate::graphql::persisted_queries::PersistedQueries;
use crate::graphql::response_cache::ResponseCache;
use crate::graphql::subscription::fanout::TicketFanout;
use crate::http;
use crate::lifecycle::Lifecycle;
use crate::limits::Limits;
use crate::mail::Mailer;
use crate::notify::{Notifier, NotifyService};
use crate::outbox::{self, Outbox};
use crate::pipeline::PipelineService;
use crate::state::AppState;
use crate::tickets::TicketService;
use crate::tickets::service::TicketDeps;
pub use crate::tls::install_crypto_provider;
use crate::upstream::Transient;
use crate::upstream::calendly::{self, CalendlyClient};
use crate::upstream::monday::{MondayClient, RetryPolicy};
use modules::{Module, Work};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot load the JWT signing key: {0}")]
    Keys(sea_orm::DbErr),
    #[error("cannot set up staff accounts: {0:?}")]
    Accounts(crate::error::AppError),
    #[error(transparent)]
    Limits(crate::limits::LimitsError),
    #[error("cannot set up mail: {0}")]
    Mail(anyhow::Error),
    #[cfg(feature = "sandbox")]
    #[error("cannot start the sandbox upstreams: {0}")]
    Sandbox(#[from] crate::sandbox::SandboxError),
    #[error("cannot set up the Monday client: {0}")]
    Monday(crate::upstream::monday::MondayError),
    #[error("cannot set up the Calendly client: {0}")]
    Calendly(crate::upstream::calendly::CalendlyError),
    #[error("the Monday tickets board cannot be used: {0}")]
    TicketBoard(crate::tickets::board::BindError),
    #[error(
        "no leads board (MONDAY_LEADS_BOARD_ID) and no Calendly token configured: the pipeline has nothing to pull"
    )]
    NothingToPull,
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
    modules: Vec<Arc<dyn Module>>,
    outbox: Outbox,
    /// Carries changes to and from the other replicas (PostgreSQL).
    relay: Option<Relay>,
    /// `/metrics` on a port of its own (`METRICS_ADDR`).
    metrics: Option<TcpListener>,
}

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long background work in flight (a pipeline page, an outbox delivery)
/// may take to finish after a shutdown signal before it is cut and handed
/// over; the rest of the grace is for recording the hand-over.
const WORK_GRACE: Duration = Duration::from_secs(6);

impl Application {
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        install_crypto_provider();
        // First: in sandbox mode every later use of the config must already
        // see the simulators' URLs, tokens and board ids.
        #[cfg(feature = "sandbox")]
        // A config whose sandbox already runs (another replica's) shares it.
        let sandbox = if config.sandbox_mode() && !config.sandbox.running {
            Some(Arc::new(sandbox::start(&mut config).await?))
        } else {
            None
        };

        // Before anything is counted.
        http::prometheus::handle();
        let (db, db_stats) = db::connect_counted(&config.database).await?;
        db::migrate(&db).await?;
        let keys = Arc::new(
            JwtKeys::load(&config.jwt, &db)
                .await
                .map_err(StartupError::Keys)?,
        );
        accounts::bootstrap(&config, &db)
            .await
            .map_err(StartupError::Accounts)?;
        let mailer =
            Arc::new(Mailer::new(&config.mail, &config.data_dir).map_err(StartupError::Mail)?);

        let addr = format!("{}:{}", config.server.host, config.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let metrics = match config.server.metrics_addr {
            Some(addr) => {
                Some(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|source| StartupError::Bind {
                            addr: addr.to_string(),
                            source,
                        })?,
                )
            }
            None => None,
        };
        // With PORT=0 the real port is known only now; links and webhook
        // registrations must carry it.
        if config.server.public_url.port() == Some(0)
            && let Ok(addr) = listener.local_addr()
        {
            let _ = config.server.public_url.set_port(Some(addr.port()));
            if config.mail.magic_link_url.port() == Some(0) {
                let _ = config.mail.magic_link_url.set_port(Some(addr.port()));
            }
        }

        // Everything that must hear of committed changes listens here.
        let responses = Arc::new(ResponseCache::new(
            config.cache.response_ttl,
            config.cache.max_entries,
            config.cache.max_bytes,
        ));
        let identities = Arc::new(IdentityCache::new(
            config.cache.identity_ttl,
            config.cache.max_entries,
        ));
        let limits = Arc::new(Limits::new(&config.limits, &db).map_err(StartupError::Limits)?);
        tracing::info!(store = limits.store_name(), "rate limits");
        let ticket_fanout = Arc::new(TicketFanout::default());
        let mut signal = ChangeSignal::new(vec![
            responses.clone(),
            identities.clone(),
            ticket_fanout.clone(),
        ]);
        let mut relay = Relay::attach(&db, &mut signal);
        if let Some(r) = &mut relay {
            r.listen(&signal).await;
        }
        let changes = Arc::new(signal);
        let auth = AuthServices::new(AuthDeps {
            db: db.clone(),
            keys: keys.clone(),
            jwt: config.jwt.clone(),
            auth: config.auth.clone(),
            magic_link_url: config.mail.magic_link_url.clone(),
            mailer: mailer.clone(),
            identities,
            changes: changes.clone(),
            limits: limits.clone(),
        });
        let outbox = Outbox::default();

        let monday = monday_client(&config)?;
        let mut modules: Vec<Arc<dyn Module>> = Vec::new();
        let notifier = Notifier::new(outbox.clone(), &config.notify);
        let tickets = match (&monday, &config.monday.tickets_board_id) {
            (Some(m), Some(board)) => {
                let service = Arc::new(TicketService::new(TicketDeps {
                    db: db.clone(),
                    monday: m.clone(),
                    board_id: board.clone(),
                    cfg: config.tickets.clone(),
                    clients: auth.clients.clone(),
                    changes: changes.clone(),
                    outbox: outbox.clone(),
                    notifier: notifier.clone(),
                    attachments: config.attachments.clone(),
                    keys: keys.clone(),
                    public_url: config.server.public_url.clone(),
                }));
                bind_ticket_board(&service).await?;
                #[cfg(feature = "sandbox")]
                let wire_webhooks = sandbox
                    .is_some()
                    .then(|| (m.clone(), db.clone(), config.server.webhook_url("monday")));
                #[cfg(not(feature = "sandbox"))]
                let wire_webhooks = None;
                modules.push(Arc::new(modules::Tickets {
                    service: service.clone(),
                    wire_webhooks,
                }));
                Some(service)
            }
            _ => {
                tracing::warn!("no Monday tickets board configured; the support portal is off");
                None
            }
        };
        // Only tickets have news for clients.
        let notify = tickets.as_ref().map(|_| {
            let service = Arc::new(NotifyService::new(
                db.clone(),
                mailer.clone(),
                auth.magic_links.clone(),
                keys.clone(),
                &config.server.public_url,
                config.notify.clone(),
            ));
            modules.push(Arc::new(modules::Notifications {
                service: service.clone(),
            }));
            service
        });

        let calendly = calendly_client(&config)?;
        let pipeline = pipeline_service(&config, &db, &monday, &calendly, &changes);
        let exports = pipeline
            .as_ref()
            .map(|p| Arc::new(ExportService::new(p.data(), export_streams(&config))));
        if let Some(p) = &pipeline {
            #[cfg(feature = "sandbox")]
            let wire_webhook = sandbox
                .is_some()
                .then(|| config.server.webhook_url("calendly"));
            #[cfg(not(feature = "sandbox"))]
            let wire_webhook = None;
            modules.push(Arc::new(modules::Pipeline {
                service: p.clone(),
                wire_webhook,
            }));
            modules.push(Arc::new(modules::Exports));
        } else {
            tracing::warn!("no leads board and no Calendly token configured; the data hub is off");
        }

        let persisted_queries = Arc::new(PersistedQueries::new(config.graphql.apq_cache_bytes));
        let state = AppState {
            config: Arc::new(config),
            db,
            db_stats,
            keys,
            authenticator: auth.authenticator,
            sessions: auth.sessions,
            magic_links: auth.magic_links,
            api_keys: auth.api_keys,
            accounts: auth.accounts,
            clients: auth.clients,
            audit: auth.audit,
            changes,
            limits,
            lifecycle: Lifecycle::default(),
            ticket_fanout,
            responses,
            persisted_queries,
            monday,
            tickets,
            notify,
            calendly,
            exports,
            pipeline,
            #[cfg(feature = "sandbox")]
            sandbox,
        };
        let schema = graphql::build_schema(state.clone());
        let routes = modules.iter().map(|m| m.routes()).collect();
        let router = http::router(state.clone(), schema, routes);
        Ok(Self {
            listener,
            router,
            state,
            modules,
            outbox,
            relay,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The port `/metrics` has to itself, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then lets in-flight requests finish for
    /// a bounded time. Long-lived WebSockets would otherwise hold shutdown open.
    pub async fn run_until(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Dropped with this future: a server that is stopped (or whose task
        // is aborted) takes its background work with it.
        let (workers, work) = self.spawn_workers();
        let _workers = AbortOnDrop(workers);
        let (finishing_tx, mut finishing) = tokio::sync::oneshot::channel();
        let api_keys = self.state.api_keys.clone();
        let lifecycle = self.state.lifecycle.clone();
        let drain_for = self.state.config.server.shutdown_drain;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // Small writes (a WebSocket frame, a short answer) go out at once:
        // with Nagle's algorithm a frame that follows another waits for the
        // client's delayed ACK, up to 40 ms.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let server = axum::serve(
            listener,
            // Peer addresses feed login throttling and the audit log.
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!(
                drain_ms = drain_for.as_millis() as u64,
                "shutting down: draining"
            );
            lifecycle.drain();
            // Background work hands over while requests drain.
            let _ = finishing_tx.send(tokio::spawn(work.stop(WORK_GRACE)));
            tokio::time::sleep(drain_for).await;
            tracing::info!("shutting down: closing connections");
            lifecycle.close();
            let _ = tx.send(());
        });
        let closed_at = Arc::new(std::sync::OnceLock::new());
        let grace = {
            let closed_at = closed_at.clone();
            async move {
                let _ = rx.await;
                let _ = closed_at.set(tokio::time::Instant::now());
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            }
        };
        let served = tokio::select! {
            res = server => res,
            () = grace => {
                tracing::warn!("shutdown grace period over; closing remaining connections");
                Ok(())
            }
        };
        // Sockets are not connections the server waits for: their last
        // frames (each `complete`, then Going Away) go out within the grace.
        if let Some(at) = closed_at.get() {
            let left = SHUTDOWN_GRACE.saturating_sub(at.elapsed());
            let sockets = self.state.lifecycle.sockets_closed();
            if tokio::time::timeout(left, sockets).await.is_err() {
                tracing::warn!("shutdown grace period over; sockets still open");
            }
        }
        if let Ok(finishing) = finishing.try_recv() {
            // Work in flight was cut `WORK_GRACE` after the signal; what is
            // left is recording the hand-overs, which may wait on a slow
            // database, but not for ever.
            if tokio::time::timeout(SHUTDOWN_GRACE, finishing)
                .await
                .is_err()
            {
                tracing::warn!("background work did not stop in time");
            }
        }
        api_keys.flush_usage().await;
        served
    }

    /// Every module's workers, and one outbox worker for all their kinds;
    /// and what stops them cleanly.
    fn spawn_workers(&mut self) -> (Vec<tokio::task::JoinHandle<()>>, Work) {
        let state = &self.state;
        let mut outbox = outbox::Worker::new(
            state.db.clone(),
            state.config.outbox.clone(),
            self.outbox.clone(),
        )
        .with_liveness(Arc::new(crate::db::liveness::Liveness::new()));
        let mut workers = Vec::new();
        for m in &self.modules {
            m.outbox(&mut outbox);
            workers.extend(m.workers().into_iter().map(tokio::spawn));
            tracing::debug!(module = m.name(), "module started");
        }
        let outbox = (!outbox.is_empty()).then(|| Arc::new(outbox));
        if let Some(outbox) = &outbox {
            workers.push(tokio::spawn(outbox.clone().run()));
        }
        workers.push(tokio::spawn(state.api_keys.clone().run_usage_flush()));
        if let Some(relay) = self.relay.take() {
            workers.push(tokio::spawn(relay.run(state.changes.clone())));
        }
        if let Some(listener) = self.metrics.take() {
            let router = http::prometheus::own_router(state.clone());
            workers.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }));
        }
        let work = Work {
            modules: self.modules.clone(),
            outbox,
        };
        (workers, work)
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

/// Downloads that may each hold a database connection while they stream:
/// a quarter of the pool, so exports never starve requests. Below four
/// connections there is none to spare (a streaming export also reads on a
/// second one), and every export reads page by page.
fn export_streams(config: &Config) -> usize {
    config.database.max_connections as usize / 4
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

fn calendly_client(config: &Config) -> Result<Option<Arc<CalendlyClient>>, StartupError> {
    let Some(token) = &config.calendly.access_token else {
        return Ok(None);
    };
    CalendlyClient::new(
        config.calendly.api_url.clone(),
        token.clone(),
        calendly::RetryPolicy::default(),
    )
    .map(|c| Some(Arc::new(c)))
    .map_err(StartupError::Calendly)
}

/// The data hub, when it has something to pull.
fn pipeline_service(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
    monday: &Option<Arc<MondayClient>>,
    calendly: &Option<Arc<CalendlyClient>>,
    changes: &Arc<ChangeSignal>,
) -> Option<Arc<PipelineService>> {
    use crate::pipeline::{calendly::Calendly, leads::Leads};
    let leads = match (monday, &config.monday.leads_board_id) {
        (Some(m), Some(board)) => Some(Leads {
            monday: m.clone(),
            board_id: board.clone(),
        }),
        _ => None,
    };
    let calendly = calendly.as_ref().map(|c| Calendly {
        client: c.clone(),
        days_back: config.pipeline.calendly_days_back,
        days_ahead: config.pipeline.calendly_days_ahead,
    });
    if leads.is_none() && calendly.is_none() {
        return None;
    }
    let webhook_key = crate::pipeline::webhooks::WebhookKey {
        key: config.calendly.signing_key.clone(),
        tolerance_secs: config.pipeline.webhook_tolerance.as_secs() as i64,
        allow_unsigned: config.sandbox_mode(),
    };
    Some(Arc::new(PipelineService::new(
        db.clone(),
        config.pipeline.clone(),
        leads,
        calendly,
        webhook_key,
        changes.clone(),
    )))
}

/// The pipeline alone, for `bridgeboard pipeline …`: the database, the
/// upstream clients (the in-process simulators in sandbox mode, kept alive by
/// the returned guard) and the service, without serving anything.
pub async fn pipeline_command(
    #[cfg_attr(not(feature = "sandbox"), allow(unused_mut))] mut config: Config,
) -> Result<(Arc<PipelineService>, Box<dyn std::any::Any>), StartupError> {
    install_crypto_provider();
    #[cfg(feature = "sandbox")]
    let guard: Box<dyn std::any::Any> = if config.sandbox_mode() {
        Box::new(sandbox::start(&mut config).await?)
    } else {
        Box::new(())
    };
    #[cfg(not(feature = "sandbox"))]
    let guard: Box<dyn std::any::Any> = Box::new(());
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    let monday = monday_client(&config)?;
    let calendly = calendly_client(&config)?;
    let changes = Arc::new(ChangeSignal::default());
    let service = pipeline_service(&config, &db, &monday, &calendly, &changes)
        .ok_or(StartupError::NothingToPull)?;
    Ok((service, guard))
}

/// Binds the tickets board now when Monday answers: a board that lacks a
/// column stops startup with an error naming it. When Monday is unreachable
/// we start anyway (tickets are kept and delivered later) and bind on first use.
async fn bind_ticket_board(service: &TicketService) -> Result<(), StartupError> {
    match service.board().await {
        Ok(_) => Ok(()),
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "Monday is unreachable; binding the tickets board later");
            Ok(())
        }
        Err(e) => Err(StartupError::TicketBoard(e)),
    }
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
