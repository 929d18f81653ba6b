//! Ticket change notifications for live subscriptions. The bus sits behind a
//! small trait so a later deployment can fan out across replicas (Redis,
//! NATS…) without touching the publishers or the subscription resolver.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::db::entities::ticket;

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketEventKind {
    Created,
    Updated,
    Commented,
    Deleted,
}

#[derive(Clone, Debug)]
pub struct TicketEvent {
    pub kind: TicketEventKind,
    pub ticket: ticket::Model,
    /// GraphQL field names of `Ticket` that changed.
    pub changed_fields: Vec<String>,
    pub at: DateTime<Utc>,
}

pub trait EventBus: Send + Sync + 'static {
    fn publish(&self, event: TicketEvent);
    /// Every event published from now on. A subscriber too slow to keep up
    /// skips what it missed rather than holding up the others.
    fn subscribe(&self) -> BoxStream<'static, TicketEvent>;
}

/// In-process bus for a single replica.
pub struct LocalEventBus {
    tx: broadcast::Sender<TicketEvent>,
}

impl LocalEventBus {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self { tx }
    }
}

impl Default for LocalEventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus for LocalEventBus {
    fn publish(&self, event: TicketEvent) {
        // No receivers is normal: nobody is subscribed right now.
        let _ = self.tx.send(event);
    }

    fn subscribe(&self) -> BoxStream<'static, TicketEvent> {
        BroadcastStream::new(self.tx.subscribe())
            .filter_map(|r| async move {
                match r {
                    Ok(e) => Some(e),
                    Err(e) => {
                        tracing::warn!(error = %e, "ticket subscriber lagged; events skipped");
                        None
                    }
                }
            })
            .boxed()
    }
}
