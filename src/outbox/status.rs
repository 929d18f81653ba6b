//! What staff see of the outbox: how much waits, which entries keep
//! failing and why, and which the upstream refused for good. Payloads stay
//! out (they hold clients' text); the subject says what an entry is about.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::db::entities::outbox as entity;
use crate::db::repo::outbox as repo;

/// The outbox as staff look at it; each part is read only when asked for
/// (the overview wants the backlog alone).
pub struct Status {
    db: DatabaseConnection,
    /// Most entries per list.
    limit: u64,
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

impl Status {
    pub fn new(db: DatabaseConnection, limit: u64) -> Self {
        Self { db, limit }
    }

    /// Entries waiting for delivery.
    pub async fn backlog(&self) -> Result<u64, DbErr> {
        repo::backlog(&self.db).await
    }

    /// Waiting entries that failed at least once, the longest waiting first.
    pub async fn retrying(&self) -> Result<Vec<Entry>, DbErr> {
        let rows = repo::retrying(&self.db, self.limit).await?;
        Ok(rows.into_iter().map(Entry::from).collect())
    }

    /// Entries refused for good, newest first.
    pub async fn refused(&self) -> Result<Vec<Entry>, DbErr> {
        let rows = repo::refused(&self.db, self.limit).await?;
        Ok(rows.into_iter().map(Entry::from).collect())
    }
}
