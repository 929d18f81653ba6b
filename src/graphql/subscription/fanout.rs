//! Routes ticket events to the subscriptions that may see them, by owner.
//! With thousands of open subscriptions, handing every event to every one
//! of them to filter would wake them all for each webhook; here an event
//! reaches only its client's subscriptions and those of staff and API keys,
//! which see every ticket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use uuid::Uuid;

use crate::auth::Identity;
use crate::changes::{Change, Listener, TicketEvent};

/// Events a subscriber may fall behind by before it misses some (as a
/// broadcast subscriber would).
const BUFFER: usize = 256;

#[derive(Default)]
pub struct TicketFanout {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    /// Keyed by owner: `None` holds staff and API keys, who see all.
    by_owner: HashMap<Option<Uuid>, Vec<Subscriber>>,
}

/// One subscription's id and the channel its events go into.
type Subscriber = (u64, mpsc::Sender<Arc<TicketEvent>>);

/// Unregisters its subscriber when the stream is dropped.
struct Registration {
    fanout: Weak<TicketFanout>,
    owner: Option<Uuid>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(f) = self.fanout.upgrade() {
            let mut inner = f.lock();
            if let Some(list) = inner.by_owner.get_mut(&self.owner) {
                list.retain(|(id, _)| *id != self.id);
                if list.is_empty() {
                    inner.by_owner.remove(&self.owner);
                }
            }
        }
    }
}

impl TicketFanout {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each critical section leaves the map whole.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The events of the tickets `who` may be shown: its own when a client,
    /// all for staff and API keys (the caller still applies the visibility
    /// rule, which also hides staff-only changes from clients). Empty for
    /// anonymous callers.
    pub fn subscribe(
        self: &Arc<Self>,
        who: &Identity,
    ) -> impl Stream<Item = Arc<TicketEvent>> + Send + 'static + use<> {
        let owner = match who {
            Identity::Client { client_id, .. } => Some(*client_id),
            _ => None,
        };
        let (tx, rx) = mpsc::channel(BUFFER);
        let id = {
            let mut inner = self.lock();
            inner.next += 1;
            let id = inner.next;
            if !matches!(who, Identity::Anonymous) {
                inner.by_owner.entry(owner).or_default().push((id, tx));
            }
            id
        };
        let registration = Registration {
            fanout: Arc::downgrade(self),
            owner,
            id,
        };
        futures_util::StreamExt::map(ReceiverStream::new(rx), move |e| {
            let _kept = &registration;
            e
        })
    }

    /// Open subscriptions, for `/metrics`.
    pub fn len(&self) -> usize {
        self.lock().by_owner.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Listener for TicketFanout {
    fn changed(&self, change: &Change) {
        let Change::Ticket(event) = change else {
            return;
        };
        let event = Arc::new(event.clone());
        let inner = self.lock();
        let owners = [None, event.ticket.client_id];
        let mut sent_to_staff = false;
        for owner in owners {
            // A ticket with no client is the staff list, once.
            if owner.is_none() {
                if sent_to_staff {
                    continue;
                }
                sent_to_staff = true;
            }
            for (_, tx) in inner.by_owner.get(&owner).into_iter().flatten() {
                if tx.try_send(event.clone()).is_err() {
                    tracing::warn!("a ticket subscriber fell behind; an event was skipped");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use futures_util::StreamExt;

    use super::*;
    use crate::changes::TicketEventKind;
    use crate::db::entities::ticket;

    fn event(client: Option<Uuid>) -> Change {
        Change::Ticket(TicketEvent {
            kind: TicketEventKind::Updated,
            ticket: ticket::Model {
                number: 1,
                id: Uuid::new_v4(),
                client_id: client,
                title: "t".into(),
                description: String::new(),
                status: "open".into(),
                priority: "low".into(),
                monday_item_id: None,
                sync_state: "synced".into(),
                sync_error: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                deleted_at: None,
            },
            changed_fields: vec![],
            at: Utc::now(),
            staff_only: false,
        })
    }

    fn client(id: Uuid) -> Identity {
        Identity::Client {
            client_id: id,
            portal_id: "p".into(),
            email: "e@example.com".into(),
            jti: "j".into(),
        }
    }

    #[tokio::test]
    async fn an_event_reaches_its_owner_and_staff_only_and_dropped_streams_unregister() {
        let fanout = Arc::new(TicketFanout::default());
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let staff = Identity::Staff {
            user_id: Uuid::new_v4(),
            username: "s".into(),
            role: crate::auth::Role::Admin,
            jti: "s".into(),
        };
        let mut a = Box::pin(fanout.subscribe(&client(alice)));
        let mut b = Box::pin(fanout.subscribe(&client(bob)));
        let mut s = Box::pin(fanout.subscribe(&staff));
        assert_eq!(fanout.len(), 3);
        fanout.changed(&event(Some(alice)));
        fanout.changed(&event(None));
        let got = a.next().await.expect("alice's event");
        assert_eq!(got.ticket.client_id, Some(alice));
        for _ in 0..2 {
            s.next().await.expect("staff see both");
        }
        drop(fanout.subscribe(&Identity::Anonymous));
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(50), b.next()).await;
        assert!(nothing.is_err(), "bob hears nothing");
        drop(a);
        assert_eq!(fanout.len(), 2);
    }
}
