//! The pipeline's vocabulary: what starts a run, how much it re-reads, how it
//! ends, and the numbers it keeps per stream.

use async_graphql::{Enum, SimpleObject};
use serde::{Deserialize, Serialize};

/// What started a run.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "PipelineTrigger")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    Schedule,
    Manual,
    Startup,
}

/// How much a run re-reads.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "PipelineMode")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Every record of every stream, compared with what we hold.
    Full,
    /// Only what changed since the last successful run.
    Incremental,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "PipelineRunStatus")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

macro_rules! stored {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            /// The value stored in our database.
            pub fn code(self) -> &'static str {
                match self { $($ty::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($ty::$variant),)+ _ => None }
            }
        }
    };
}

stored!(Trigger { Schedule => "SCHEDULE", Manual => "MANUAL", Startup => "STARTUP" });
stored!(Mode { Full => "FULL", Incremental => "INCREMENTAL" });
stored!(RunStatus {
    Running => "RUNNING",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Cancelled => "CANCELLED",
});

/// The datasets a run writes, by the names stats and progress use.
pub mod streams {
    pub const LEADS: &str = "leads";
    pub const LEAD_COLUMNS: &str = "lead_columns";
    pub const LEAD_GROUPS: &str = "lead_groups";
    pub const CALENDLY_USERS: &str = "calendly_users";
    pub const CALENDLY_MEMBERSHIPS: &str = "calendly_memberships";
    pub const CALENDLY_EVENT_TYPES: &str = "calendly_event_types";
    pub const CALENDLY_EVENTS: &str = "calendly_events";
    pub const CALENDLY_INVITEES: &str = "calendly_invitees";
}

/// What a run did to one stream.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "PipelineStreamStats")]
pub struct StreamStats {
    pub stream: String,
    /// Records read from the upstream.
    pub fetched: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// How far a run is with one stream; `total` when it is known.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "PipelineProgress")]
pub struct StreamProgress {
    pub stream: String,
    pub done: u64,
    pub total: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ] {
            assert_eq!(RunStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(Mode::from_code("FULL"), Some(Mode::Full));
        assert_eq!(Trigger::from_code("manual"), None, "codes are exact");
    }
}
