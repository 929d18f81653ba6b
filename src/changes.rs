//! The one change signal: every committed change that something else must hear
//! of (cached answers going stale, a session or key ending, a ticket event)
//! goes through here. It sits below the domains, so they publish without
//! knowing who listens; the response cache, the identity cache and live
//! subscriptions listen.
//!
//! Listeners are called inline by `publish`, before the publishing request
//! answers, so a change is visible on the very next request. Subscriptions
//! read the same changes from a broadcast stream.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use crate::db::entities::ticket;

/// What changed, after its transaction committed.
#[derive(Clone, Debug)]
pub enum Change {
    /// A ticket was created, changed, commented on or deleted.
    Ticket(TicketEvent),
    /// Rows behind a scope changed with no event to tell subscribers.
    Data(Scope),
    /// One session token stopped working (logout).
    SessionEnded { jti: String },
    /// An API key was revoked.
    ApiKeyRevoked { key_id: Uuid },
    /// Accounts changed in a way whose reach is not worth working out (a
    /// password, a deleted user, a client's details): every remembered
    /// identity is stale.
    AccountsChanged,
    /// A pipeline run moved on: progress, a log line, or its end.
    PipelineRun { run_id: Uuid },
}

/// Named invalidation scopes: which cached answers a change can affect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Tickets, their comments and their clients. `client` is the owner of
    /// what changed (staff see every ticket; a ticket without a client is
    /// theirs only).
    Tickets { client: Option<Uuid> },
    /// Anything at all.
    Everything,
}

impl Change {
    /// The data scope this change touches, if any.
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Change::Ticket(e) => Some(Scope::Tickets {
                client: e.ticket.client_id,
            }),
            Change::Data(s) => Some(*s),
            // Client details appear inside ticket answers.
            Change::AccountsChanged => Some(Scope::Everything),
            Change::SessionEnded { .. }
            | Change::ApiKeyRevoked { .. }
            | Change::PipelineRun { .. } => None,
        }
    }
}

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
    /// Only internal notes changed: the client must not even hear that
    /// something happened.
    pub staff_only: bool,
}

/// Hears every change, inline. Must be quick and must not block.
pub trait Listener: Send + Sync {
    fn changed(&self, change: &Change);
}

pub struct ChangeSignal {
    listeners: Vec<Arc<dyn Listener>>,
    stream: broadcast::Sender<Arc<Change>>,
}

impl ChangeSignal {
    pub fn new(listeners: Vec<Arc<dyn Listener>>) -> Self {
        let (stream, _) = broadcast::channel(1024);
        Self { listeners, stream }
    }

    /// Announces a committed change. Call only after the commit.
    pub fn publish(&self, change: Change) {
        for l in &self.listeners {
            l.changed(&change);
        }
        // No receivers is normal: nobody is subscribed right now.
        let _ = self.stream.send(Arc::new(change));
    }

    /// Every change published from now on. A subscriber too slow to keep up
    /// skips what it missed rather than holding up the others.
    pub fn subscribe(&self) -> BoxStream<'static, Arc<Change>> {
        BroadcastStream::new(self.stream.subscribe())
            .filter_map(|r| async move {
                match r {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "change subscriber lagged; changes skipped");
                        None
                    }
                }
            })
            .boxed()
    }
}

impl Default for ChangeSignal {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl Listener for Seen {
        fn changed(&self, change: &Change) {
            if let Ok(mut s) = self.0.lock() {
                s.push(format!("{:?}", change.scope()));
            }
        }
    }

    #[tokio::test]
    async fn listeners_hear_a_change_before_publish_returns_and_streams_after() {
        let seen = Arc::new(Seen::default());
        let signal = ChangeSignal::new(vec![seen.clone()]);
        let mut stream = signal.subscribe();
        let client = Uuid::new_v4();
        signal.publish(Change::Data(Scope::Tickets {
            client: Some(client),
        }));
        assert_eq!(seen.0.lock().unwrap().len(), 1, "heard inline");
        let got = stream.next().await.expect("streamed");
        assert_eq!(
            got.scope(),
            Some(Scope::Tickets {
                client: Some(client)
            })
        );
        signal.publish(Change::SessionEnded { jti: "j".into() });
        assert_eq!(seen.0.lock().unwrap()[1], "None", "no data scope");
    }
}
