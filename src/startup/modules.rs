//! Domains plug in here. A module is what one domain adds to the running
//! server: handlers for its outbox entries, background workers tied to the
//! server's lifetime, and its REST routes. Its GraphQL part is merged into
//! the schema's roots (`graphql/{query,mutation,subscription}`). Startup
//! asks each configured module for all three; nothing else in startup knows
//! about any one domain.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::http::{
    HttpState, api, attachments as attachment_routes, notifications as notification_routes,
    pipeline as pipeline_routes, webhooks,
};
use crate::notify::{KIND_NOTIFY, NotifyService};
use crate::outbox;
use crate::pipeline::PipelineService;
use crate::tickets::TicketService;
use crate::tickets::attachments::KIND_ADD_FILE;
use crate::tickets::service::{KIND_CREATE_ITEM, KIND_CREATE_UPDATE, KIND_UPDATE_ITEM};
use crate::upstream::monday::MondayClient;

pub trait Module: Send + Sync {
    fn name(&self) -> &'static str;

    /// Registers the handlers of this domain's outbox kinds.
    fn outbox(&self, _worker: &mut outbox::Worker) {}

    /// Background work, spawned when the server starts serving.
    fn workers(&self) -> Vec<BoxFuture<'static, ()>> {
        Vec::new()
    }

    /// At shutdown: asks the workers to leave their work in a state another
    /// replica can take up, within `within`; completes when they have.
    fn stop(&self, _within: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    /// REST routes, merged into the router.
    fn routes(&self) -> Router<HttpState> {
        Router::new()
    }
}

/// The background work that must stop cleanly at shutdown.
pub(super) struct Work {
    pub(super) modules: Vec<Arc<dyn Module>>,
    pub(super) outbox: Option<Arc<outbox::Worker>>,
}

impl Work {
    /// Asks every part at once (each bounds itself by `within`); completes
    /// when all have stopped.
    pub(super) fn stop(self, within: Duration) -> impl Future<Output = ()> + Send + 'static {
        let mut stops: Vec<BoxFuture<'static, ()>> =
            self.modules.iter().map(|m| m.stop(within)).collect();
        if let Some(outbox) = &self.outbox {
            stops.push(Box::pin(outbox.stop(within)));
        }
        async move {
            futures_util::future::join_all(stops).await;
        }
    }
}

/// The support portal: delivery to Monday, the board reconcile, and the
/// Monday webhook endpoint.
pub struct Tickets {
    pub service: Arc<TicketService>,
    /// In sandbox mode, where the simulated board should send its webhooks
    /// (ours); registered before the first sync.
    pub wire_webhooks: Option<(Arc<MondayClient>, DatabaseConnection, String)>,
}

impl Module for Tickets {
    fn name(&self) -> &'static str {
        "tickets"
    }

    fn outbox(&self, worker: &mut outbox::Worker) {
        for kind in [
            KIND_CREATE_ITEM,
            KIND_UPDATE_ITEM,
            KIND_CREATE_UPDATE,
            KIND_ADD_FILE,
        ] {
            worker.register(kind, self.service.clone());
        }
    }

    fn workers(&self) -> Vec<BoxFuture<'static, ()>> {
        let tickets = self.service.clone();
        let wiring = self.wire_webhooks.clone();
        vec![Box::pin(async move {
            // Webhooks first: once the startup sync has run, every later
            // change on the board reaches us.
            if let Some((monday, db, url)) = wiring {
                let board = tickets.board_id();
                match crate::tickets::webhooks::ensure(&monday, &db, board, &url).await {
                    Ok(r) => tracing::info!(
                        url,
                        webhooks = r.len(),
                        "sandbox webhooks point at this server"
                    ),
                    Err(e) => tracing::error!(error = %e, "could not register sandbox webhooks"),
                }
            }
            tickets.run_reconcile().await;
        })]
    }

    fn routes(&self) -> Router<HttpState> {
        Router::new()
            .route("/webhooks/monday", post(webhooks::monday))
            .merge(attachment_routes::routes())
    }
}

/// Client email notifications: their outbox deliveries and the
/// unsubscribe link.
pub struct Notifications {
    pub service: Arc<NotifyService>,
}

impl Module for Notifications {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn outbox(&self, worker: &mut outbox::Worker) {
        worker.register(KIND_NOTIFY, self.service.clone());
    }

    fn routes(&self) -> Router<HttpState> {
        notification_routes::routes()
    }
}

/// The data hub: the runner that executes runs, the schedule, the startup
/// check, and the REST routes existing integrations call.
pub struct Pipeline {
    pub service: Arc<PipelineService>,
    /// In sandbox mode, where the simulated Calendly should send its
    /// invitee events (ours); registered at startup.
    pub wire_webhook: Option<String>,
}

impl Module for Pipeline {
    fn name(&self) -> &'static str {
        "pipeline"
    }

    fn workers(&self) -> Vec<BoxFuture<'static, ()>> {
        let mut workers: Vec<BoxFuture<'static, ()>> = vec![
            Box::pin(self.service.clone().run_jobs()),
            Box::pin(self.service.clone().run_schedule()),
            Box::pin(self.service.clone().run_startup()),
        ];
        if let Some(url) = self.wire_webhook.clone() {
            let service = self.service.clone();
            workers.push(Box::pin(async move {
                match service.ensure_calendly_webhook(&url).await {
                    Ok(s) => tracing::info!(url, ?s, "sandbox Calendly webhooks point at this server"),
                    Err(e) => tracing::warn!(error = ?e, "could not register the sandbox Calendly webhook"),
                }
            }));
        }
        workers
    }

    fn stop(&self, within: Duration) -> BoxFuture<'static, ()> {
        Box::pin(self.service.hand_off(within))
    }

    fn routes(&self) -> Router<HttpState> {
        pipeline_routes::routes()
    }
}

/// The data hub's exports: the Monday and Calendly REST routes, compressed
/// when the caller accepts gzip or zstd.
pub struct Exports;

impl Module for Exports {
    fn name(&self) -> &'static str {
        "exports"
    }

    fn routes(&self) -> Router<HttpState> {
        Router::new()
            .merge(api::leads::routes())
            .merge(api::calendly::routes())
            .layer(tower_http::compression::CompressionLayer::new())
    }
}
