//! What staff see of the outbox: how much waits, which entries keep
//! failing and why, and which the upstream refused for good. Payloads stay
//! out (they hold clients' text); the subject says what an entry is about.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::entities::outbox as entity;
use crate::db::repo::outbox as repo;

pub struct Status {
    /// Entries waiting for delivery.
    pub backlog: u64,
    /// Waiting entries that failed at least once, the longest waiting first.
    pub retrying: Vec<Entry>,
    /// Entries refused for good, newest first.
    pub refused: Vec<Entry>,
}

pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl From<entity::Model> for Entry {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            subject: m.subject,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            next_attempt_at: m.failed_at.is_none().then_some(m.next_attempt_at),
            failed_at: m.failed_at,
        }
    }
}

/// The backlog, and up to `limit` entries of each list.
pub async fn status(db: &impl ConnectionTrait, limit: u64) -> Result<Status, DbErr> {
    Ok(Status {
        backlog: repo::backlog(db).await?,
        retrying: repo::retrying(db, limit)
            .await?
            .into_iter()
            .map(Entry::from)
            .collect(),
        refused: repo::refused(db, limit)
            .await?
            .into_iter()
            .map(Entry::from)
            .collect(),
    })
}
