//! Types for liveness and the heartbeat subscription.

use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::error::AppError;

#[derive(SimpleObject)]
pub struct Health {
    /// `healthy` when the database answers, otherwise `degraded`.
    pub status: String,
    pub version: String,
    pub database: bool,
}

impl Health {
    pub fn new(database_up: bool) -> Self {
        Self {
            status: if database_up { "healthy" } else { "degraded" }.to_owned(),
            version: crate::VERSION.to_owned(),
            database: database_up,
        }
    }
}

#[derive(SimpleObject)]
pub struct Heartbeat {
    /// 1 for the first beat, counting up.
    pub seq: i32,
    pub at: DateTime<Utc>,
}

/// One upstream connection as this server sees it.
#[derive(SimpleObject)]
pub struct UpstreamConnection {
    /// `monday` or `calendly`.
    pub name: String,
    /// Whether a token is configured (or the sandbox supplies one).
    pub configured: bool,
    /// Talking to the in-process sandbox rather than the real service.
    pub sandbox: bool,
    /// Whether the last exchange failed.
    pub failing: bool,
    /// Budget left at the last reading: Monday's complexity points, or
    /// Calendly's requests in the window. Null before any reading.
    pub budget_remaining: Option<i64>,
    /// Seconds until that budget resets, as of the reading.
    pub budget_resets_in_seconds: Option<i64>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed exchanges since this server started.
    pub failures: u64,
}

impl UpstreamConnection {
    pub fn new(
        name: &str,
        sandbox: bool,
        reading: Option<crate::upstream::health::Reading>,
    ) -> Self {
        let configured = reading.is_some();
        let r = reading.unwrap_or_default();
        Self {
            name: name.to_owned(),
            configured,
            sandbox: sandbox && configured,
            failing: r.failing(),
            budget_remaining: None,
            budget_resets_in_seconds: None,
            last_success_at: r.last_success_at,
            last_error: r.last_error,
            last_error_at: r.last_error_at,
            failures: r.failures,
        }
    }
}

pub struct OutboxStatus(pub crate::outbox::status::Status);

/// The outbox: what waits for delivery to the upstreams.
#[Object]
impl OutboxStatus {
    /// Entries waiting for delivery.
    async fn backlog(&self) -> Result<u64, AppError> {
        Ok(self.0.backlog().await?)
    }

    /// Waiting entries that failed at least once, the longest waiting first.
    async fn retrying(&self) -> Result<Vec<OutboxEntry>, AppError> {
        let rows = self.0.retrying().await?;
        Ok(rows.into_iter().map(OutboxEntry::from).collect())
    }

    /// Entries the upstream refused for good (not retried), newest first.
    async fn refused(&self) -> Result<Vec<OutboxEntry>, AppError> {
        let rows = self.0.refused().await?;
        Ok(rows.into_iter().map(OutboxEntry::from).collect())
    }
}

#[derive(SimpleObject)]
pub struct OutboxEntry {
    pub id: ID,
    /// What it does: `tickets.create_item`, …
    pub kind: String,
    /// What it is about (a ticket id).
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it is tried next; null once refused.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub refused_at: Option<DateTime<Utc>>,
}

impl From<crate::outbox::status::Entry> for OutboxEntry {
    fn from(e: crate::outbox::status::Entry) -> Self {
        Self {
            id: ID(e.id.to_string()),
            kind: e.kind,
            subject: e.subject,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: e.created_at,
            next_attempt_at: e.next_attempt_at,
            refused_at: e.failed_at,
        }
    }
}
