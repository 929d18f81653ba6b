//! The ticket vocabulary shared by the database, GraphQL and the Monday board:
//! statuses, priorities and sync states, with their stored and label forms.

use async_graphql::Enum;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TicketStatus {
    Open,
    InProgress,
    Resolved,
    Closed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TicketPriority {
    Low,
    Medium,
    High,
    Urgent,
}

/// Whether our copy has reached Monday.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncState {
    /// Stored here; the outbox is delivering it.
    Pending,
    Synced,
    /// Delivery keeps failing; it is still retried, and the error is kept.
    Failed,
}

/// Lets one table drive the three spellings of each value: the stored code,
/// the Monday label, and parsing both back.
macro_rules! labelled {
    ($ty:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value stored in our database.
            pub fn code(self) -> &'static str {
                match self { $($ty::$variant => $code),+ }
            }

            /// The label on the Monday board.
            pub fn label(self) -> &'static str {
                match self { $($ty::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($ty::$variant),)+ _ => None }
            }

            /// Matches a Monday label, ignoring case and surrounding space.
            pub fn from_label(label: &str) -> Option<Self> {
                let l = label.trim();
                Self::ALL.iter().copied().find(|v| v.label().eq_ignore_ascii_case(l))
            }
        }
    };
}

labelled!(TicketStatus {
    Open => "OPEN", "Open";
    InProgress => "IN_PROGRESS", "In Progress";
    Resolved => "RESOLVED", "Resolved";
    Closed => "CLOSED", "Closed";
});

labelled!(TicketPriority {
    Low => "LOW", "Low";
    Medium => "MEDIUM", "Medium";
    High => "HIGH", "High";
    Urgent => "URGENT", "Urgent";
});

impl SyncState {
    pub fn code(self) -> &'static str {
        match self {
            SyncState::Pending => "PENDING",
            SyncState::Synced => "SYNCED",
            SyncState::Failed => "FAILED",
        }
    }

    pub fn from_code(code: &str) -> Self {
        match code {
            "SYNCED" => SyncState::Synced,
            "FAILED" => SyncState::Failed,
            _ => SyncState::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::from_label(s.label()), Some(*s));
            assert_eq!(TicketStatus::from_code(s.code()), Some(*s));
        }
        assert_eq!(
            TicketStatus::from_label(" in progress "),
            Some(TicketStatus::InProgress)
        );
        assert_eq!(
            TicketPriority::from_label("URGENT"),
            Some(TicketPriority::Urgent)
        );
        assert_eq!(TicketPriority::from_label("Whenever"), None);
    }
}
