//! Builds the running application from a `Config`: database, migrations, keys,
//! state, schema and router, bound to a listener. Tests build it on port 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::auth::keys::JwtKeys;
use crate::config::Config;
use crate::db::{self, DbError};
use crate::graphql;
use crate::http;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot load the JWT signing key: {0}")]
    Keys(sea_orm::DbErr),
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
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        install_crypto_provider();

        let db = db::connect(&config.database).await?;
        db::migrate(&db).await?;
        let keys = JwtKeys::load(&config.jwt, &db)
            .await
            .map_err(StartupError::Keys)?;

        let addr = format!("{}:{}", config.server.host, config.server.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;

        let state = AppState {
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
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
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
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
