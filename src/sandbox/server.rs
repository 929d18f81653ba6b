//! The sandbox server: both simulators and the control API on one listener
//! (Monday at `/monday/v2`, Calendly at `/calendly`, control at `/_sandbox`),
//! each upstream behind its own fault middleware. `Sandbox::start` returns a
//! handle that owns the server; dropping it shuts the server down.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::calendly::CalendlySim;
use super::control;
use super::faults::{FaultLayer, Faults, Upstream, inject};
use super::monday::MondaySim;
use super::options::SandboxOptions;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("invalid sandbox faults: {0}")]
    Faults(String),
}

pub struct Sandbox;

impl Sandbox {
    /// Seeds both simulators, binds `host:port` and serves in the background.
    pub async fn start(options: SandboxOptions) -> Result<SandboxHandle, SandboxError> {
        options
            .monday_faults
            .validate()
            .and_then(|()| options.calendly_faults.validate())
            .map_err(SandboxError::Faults)?;
        let addr = format!("{}:{}", options.host, options.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: format!("{}:{}", options.host, options.port),
            source,
        })?;
        // Clients reach an unspecified address (0.0.0.0) through loopback.
        let shown_host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else if local.is_ipv6() {
            format!("[{}]", local.ip())
        } else {
            local.ip().to_string()
        };
        let base_url = format!("http://{shown_host}:{}", local.port());

        // Seeding is CPU work (a 100k-item board takes a moment): keep it off
        // the async workers.
        let (mo, co) = (options.monday(), options.calendly());
        let (monday, calendly) =
            tokio::task::spawn_blocking(move || (MondaySim::seeded(mo), CalendlySim::seeded(co)))
                .await
                .map_err(|e| SandboxError::Faults(format!("seeding failed: {e}")))?;
        calendly.set_base_url(&format!("{base_url}/calendly"));

        let faults = Arc::new(Faults::new(
            options.fault_seed.unwrap_or(options.seed),
            options.monday_faults.clone(),
            options.calendly_faults.clone(),
        ));
        let layer = |upstream| FaultLayer {
            faults: faults.clone(),
            upstream,
            calendly: Some(calendly.clone()),
            monday_budget: options.monday_complexity_budget,
        };
        monday.set_public_base(format!("{base_url}/monday/v2"));
        let handle_parts = control::Parts {
            monday: monday.clone(),
            calendly: calendly.clone(),
            faults: faults.clone(),
            info: control::Info {
                base_url: base_url.clone(),
                monday_url: format!("{base_url}/monday/v2"),
                calendly_url: format!("{base_url}/calendly"),
                monday_token: options.monday_token.clone(),
                calendly_token: options.calendly_token.clone(),
                tickets_board_id: monday.tickets_board_id(),
                leads_board_id: monday.leads_board_id(),
                seed: options.seed,
            },
        };
        let router = Router::new()
            .nest(
                "/monday/v2",
                monday
                    .clone()
                    .router()
                    .layer(middleware::from_fn_with_state(
                        layer(Upstream::Monday),
                        inject,
                    )),
            )
            .nest(
                "/calendly",
                calendly
                    .clone()
                    .router()
                    .layer(middleware::from_fn_with_state(
                        layer(Upstream::Calendly),
                        inject,
                    )),
            )
            .nest("/_sandbox", control::router(handle_parts.clone()));

        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(SandboxHandle {
            addr: local,
            parts: handle_parts,
            options,
            shutdown: Mutex::new(Some(tx)),
            task: Mutex::new(Some(task)),
        })
    }
}

/// A running sandbox. Shuts the server down when dropped.
pub struct SandboxHandle {
    addr: SocketAddr,
    parts: control::Parts,
    options: SandboxOptions,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> &str {
        &self.parts.info.base_url
    }

    /// What `MONDAY_API_URL` should be.
    pub fn monday_url(&self) -> &str {
        &self.parts.info.monday_url
    }

    /// What `CALENDLY_API_URL` should be.
    pub fn calendly_url(&self) -> &str {
        &self.parts.info.calendly_url
    }

    /// Root of the control API.
    pub fn control_url(&self) -> String {
        format!("{}/_sandbox", self.parts.info.base_url)
    }

    pub fn monday_token(&self) -> &str {
        &self.options.monday_token
    }

    pub fn calendly_token(&self) -> &str {
        &self.options.calendly_token
    }

    pub fn tickets_board_id(&self) -> u64 {
        self.parts.info.tickets_board_id
    }

    pub fn leads_board_id(&self) -> u64 {
        self.parts.info.leads_board_id
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.options
    }

    pub fn monday(&self) -> Arc<MondaySim> {
        self.parts.monday.clone()
    }

    pub fn calendly(&self) -> Arc<CalendlySim> {
        self.parts.calendly.clone()
    }

    pub fn faults(&self) -> Arc<Faults> {
        self.parts.faults.clone()
    }

    /// Stops accepting requests and waits (briefly) for in-flight ones.
    pub async fn shutdown(&self) {
        self.signal();
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            // A request held by a "hang" fault would keep a graceful
            // shutdown open for minutes: give in-flight work a few seconds.
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    fn signal(&self) {
        if let Some(tx) = self
            .shutdown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = tx.send(());
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.parts.info.base_url)
            .field("tickets_board_id", &self.parts.info.tickets_board_id)
            .field("leads_board_id", &self.parts.info.leads_board_id)
            .finish_non_exhaustive()
    }
}
