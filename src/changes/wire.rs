//! What one replica tells the others of a change, as a NOTIFY payload. It
//! carries ids, never rows: NOTIFY takes at most 8,000 bytes, and the
//! receiver reads the committed row itself. Each message is numbered per
//! sender, so a receiver notices one it never got.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Change, Scope, TicketEventKind};

/// NOTIFY refuses payloads of 8,000 bytes and more.
pub const MAX_PAYLOAD: usize = 7_900;

#[derive(Debug, Serialize, Deserialize)]
pub struct Message {
    /// The sending replica, so it can skip its own.
    pub origin: Uuid,
    /// Numbers this sender's messages 1, 2, 3…
    pub seq: u64,
    /// When it was published, in Unix milliseconds: the receiver's lag.
    pub sent_ms: i64,
    pub change: WireChange,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum WireChange {
    /// The receiver reads the ticket row; `client` tells it whose answers
    /// went stale should the row be gone.
    Ticket {
        id: Uuid,
        client: Option<Uuid>,
        event: TicketEventKind,
        changed_fields: Vec<String>,
        at: DateTime<Utc>,
        staff_only: bool,
    },
    Tickets {
        client: Option<Uuid>,
    },
    Everything,
    SessionEnded {
        jti: String,
    },
    ApiKeyRevoked {
        key_id: Uuid,
    },
    AccountsChanged,
    PipelineRun {
        run_id: Uuid,
    },
    /// No change: the sender is alive, and `seq` is the last it numbered,
    /// so a receiver learns of a lost change without waiting for the next.
    /// The sender hearing its own tells it that its listener still works.
    Heartbeat,
}

impl From<&Change> for WireChange {
    fn from(change: &Change) -> Self {
        match change {
            Change::Ticket(e) => WireChange::Ticket {
                id: e.ticket.id,
                client: e.ticket.client_id,
                event: e.kind,
                changed_fields: e.changed_fields.clone(),
                at: e.at,
                staff_only: e.staff_only,
            },
            Change::Data(Scope::Tickets { client }) => WireChange::Tickets { client: *client },
            Change::Data(Scope::Everything) => WireChange::Everything,
            Change::SessionEnded { jti } => WireChange::SessionEnded { jti: jti.clone() },
            Change::ApiKeyRevoked { key_id } => WireChange::ApiKeyRevoked { key_id: *key_id },
            Change::AccountsChanged => WireChange::AccountsChanged,
            Change::PipelineRun { run_id } => WireChange::PipelineRun { run_id: *run_id },
        }
    }
}

impl Message {
    /// The payload; a message too large for NOTIFY (absurdly many changed
    /// fields) is sent as the stale scope alone.
    pub fn encode(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        if text.len() <= MAX_PAYLOAD && !text.is_empty() {
            return text;
        }
        let scope = match &self.change {
            WireChange::Ticket { client, .. } => WireChange::Tickets { client: *client },
            _ => WireChange::Everything,
        };
        let smaller = Message {
            change: scope,
            ..*self
        };
        serde_json::to_string(&smaller).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::TicketEvent;
    use crate::db::entities::ticket;

    fn message(change: WireChange) -> Message {
        Message {
            origin: Uuid::new_v4(),
            seq: 7,
            sent_ms: 1_700_000_000_000,
            change,
        }
    }

    #[test]
    fn every_change_round_trips_without_its_row() {
        let client = Some(Uuid::new_v4());
        let event = Change::Ticket(TicketEvent {
            kind: TicketEventKind::Updated,
            ticket: ticket::Model {
                number: 1,
                id: Uuid::new_v4(),
                client_id: client,
                title: "t".into(),
                description: "x".repeat(20_000),
                status: "open".into(),
                priority: "low".into(),
                monday_item_id: None,
                sync_state: "synced".into(),
                sync_error: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                deleted_at: None,
            },
            changed_fields: vec!["status".into()],
            at: Utc::now(),
            staff_only: false,
        });
        for change in [
            event,
            Change::Data(Scope::Tickets { client }),
            Change::Data(Scope::Everything),
            Change::SessionEnded { jti: "j1".into() },
            Change::ApiKeyRevoked {
                key_id: Uuid::new_v4(),
            },
            Change::AccountsChanged,
            Change::PipelineRun {
                run_id: Uuid::new_v4(),
            },
        ] {
            let sent = message(WireChange::from(&change));
            let text = sent.encode();
            assert!(text.len() < 1_000, "ids only: {text}");
            let got: Message = serde_json::from_str(&text).expect("parses");
            assert_eq!(got.change, sent.change);
            assert_eq!((got.origin, got.seq), (sent.origin, sent.seq));
        }
    }

    #[test]
    fn a_payload_over_the_notify_limit_becomes_its_scope() {
        let client = Some(Uuid::new_v4());
        let sent = message(WireChange::Ticket {
            id: Uuid::new_v4(),
            client,
            event: TicketEventKind::Updated,
            changed_fields: vec!["f".repeat(100); 200],
            at: Utc::now(),
            staff_only: false,
        });
        let text = sent.encode();
        assert!(text.len() <= MAX_PAYLOAD);
        let got: Message = serde_json::from_str(&text).expect("parses");
        assert_eq!(got.change, WireChange::Tickets { client });
    }
}
