//! The one change signal: every committed change that something else must hear
//! of (cached answers going stale, a session or key ending, a ticket event)
//! goes through here. It sits below the domains, so they publish without
//! knowing who listens; the response cache, the identity cache and live
//! subscriptions listen.
//!
//! Listeners are called inline by `publish`, before the publishing request
//! answers, so a change is visible on the very next request. Subscriptions
//! read the same changes from a broadcast stream. On PostgreSQL the relay
//! (`relay.rs`) carries each change to the other replicas, which deliver it
//! to their own listeners and subscribers.

pub mod relay;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::{broadcast, mpsc};
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

#[derive(
    async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
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

    /// Whether changes from other replicas are reaching this one. While they
    /// are not, nothing remembered may be served: it could be stale with no
    /// way to hear of it. Untrusted, then trusted again once caught up.
    fn trust(&self, _trusted: bool) {}
}

pub struct ChangeSignal {
    listeners: Vec<Arc<dyn Listener>>,
    stream: broadcast::Sender<Arc<Change>>,
    /// The changes that end or may end credentials, apart: every open
    /// socket watches them, and must not be woken by every ticket event.
    credentials: broadcast::Sender<Arc<Change>>,
    /// To the other replicas, when there are any to tell (PostgreSQL).
    relay: Option<mpsc::UnboundedSender<Arc<Change>>>,
    status: StreamStatus,
}

/// How the stream between replicas is doing, for `/ready` and the logs.
#[derive(Default)]
pub struct StreamStatus {
    /// Whether changes cross replicas at all (PostgreSQL).
    relayed: bool,
    /// This replica, as its changes are signed.
    origin: Uuid,
    up: AtomicBool,
    /// Times changes from other replicas may have been missed.
    gaps: AtomicU64,
    /// Changes heard from other replicas, and the lag of the last one.
    heard: AtomicU64,
    last_lag_ms: AtomicU64,
    /// The listening connection's backend process id (0 when down).
    listener_pid: AtomicI32,
}

impl StreamStatus {
    pub fn relayed(&self) -> bool {
        self.relayed
    }

    pub fn origin(&self) -> Uuid {
        self.origin
    }

    /// Listening, and caught up: every later change of another replica
    /// reaches this one.
    pub fn up(&self) -> bool {
        !self.relayed || self.up.load(Ordering::Acquire)
    }

    pub fn gaps(&self) -> u64 {
        self.gaps.load(Ordering::Relaxed)
    }

    pub fn heard(&self) -> u64 {
        self.heard.load(Ordering::Relaxed)
    }

    /// Milliseconds from another replica's publish to delivery here, for
    /// the last change heard.
    pub fn last_lag_ms(&self) -> u64 {
        self.last_lag_ms.load(Ordering::Relaxed)
    }

    pub fn listener_pid(&self) -> Option<i32> {
        Some(self.listener_pid.load(Ordering::Relaxed)).filter(|p| *p != 0)
    }
}

impl ChangeSignal {
    pub fn new(listeners: Vec<Arc<dyn Listener>>) -> Self {
        let (stream, _) = broadcast::channel(1024);
        let (credentials, _) = broadcast::channel(256);
        Self {
            listeners,
            stream,
            credentials,
            relay: None,
            status: StreamStatus::default(),
        }
    }

    /// Announces a committed change, here and to the other replicas. Call
    /// only after the commit.
    pub fn publish(&self, change: Change) {
        let change = Arc::new(change);
        self.deliver(change.clone());
        if let Some(relay) = &self.relay {
            // Closed only when the server stops.
            let _ = relay.send(change);
        }
    }

    /// Hands a change to this replica's listeners and subscribers only.
    fn deliver(&self, change: Arc<Change>) {
        for l in &self.listeners {
            l.changed(&change);
        }
        if matches!(
            change.as_ref(),
            Change::SessionEnded { .. } | Change::ApiKeyRevoked { .. } | Change::AccountsChanged
        ) {
            let _ = self.credentials.send(change.clone());
        }
        // No receivers is normal: nobody is subscribed right now.
        let _ = self.stream.send(change);
    }

    pub fn status(&self) -> &StreamStatus {
        &self.status
    }

    /// Changes from other replicas stopped reaching us: distrust everything
    /// remembered until they do again.
    fn stream_lost(&self) {
        if self.status.up.swap(false, Ordering::AcqRel) {
            self.status.gaps.fetch_add(1, Ordering::Relaxed);
        }
        self.status.listener_pid.store(0, Ordering::Relaxed);
        for l in &self.listeners {
            l.trust(false);
        }
    }

    /// Listening again: whatever happened meanwhile is unknown, so every
    /// remembered answer and identity is dropped, open sockets recheck their
    /// credentials, and from now on changes arrive as they happen.
    fn stream_restored(&self, pid: i32) {
        self.status.listener_pid.store(pid, Ordering::Relaxed);
        self.deliver(Arc::new(Change::AccountsChanged));
        for l in &self.listeners {
            l.trust(true);
        }
        self.status.up.store(true, Ordering::Release);
    }

    /// Some changes of another replica were missed while listening (its
    /// NOTIFY failed): forget everything, as after a reconnect.
    fn missed(&self) {
        self.status.gaps.fetch_add(1, Ordering::Relaxed);
        self.deliver(Arc::new(Change::AccountsChanged));
    }

    /// The changes that may end credentials (logouts, revocations, account
    /// changes), for a subscriber that must not miss one (a socket watching
    /// its own): whatever it was too slow to receive comes as
    /// `AccountsChanged`, a change of unknown reach.
    pub fn credential_changes(&self) -> BoxStream<'static, Arc<Change>> {
        BroadcastStream::new(self.credentials.subscribe())
            .map(|r| r.unwrap_or_else(|_| Arc::new(Change::AccountsChanged)))
            .boxed()
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
