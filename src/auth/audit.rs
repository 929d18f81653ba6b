//! Writes and reads the audit trail. Recording must never break the action it
//! records: a failed insert is logged loudly and the request carries on.

use std::net::IpAddr;

use sea_orm::DatabaseConnection;

use crate::auth::Actor;
use crate::db::entities::audit_log;
use crate::db::repo::audit as repo;
pub use crate::db::repo::audit::Filter;
use crate::error::AppError;

/// Stable action names; the audit log is searched by these.
pub mod actions {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGOUT: &str = "logout";
    pub const MAGIC_LINK_ISSUED: &str = "magic_link.issued";
    pub const MAGIC_LINK_REDEEMED: &str = "magic_link.redeemed";
    pub const API_KEY_CREATED: &str = "api_key.created";
    pub const API_KEY_FIRST_USED: &str = "api_key.first_used";
    pub const API_KEY_REVOKED: &str = "api_key.revoked";
    pub const CLIENT_CREATED: &str = "client.created";
    pub const CLIENT_UPDATED: &str = "client.updated";
    pub const CLIENT_DELETED: &str = "client.deleted";
    pub const CLIENT_INVITED: &str = "client.invited";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_PASSWORD_CHANGED: &str = "user.password_changed";
    pub const USER_DELETED: &str = "user.deleted";
}

#[derive(Clone)]
pub struct Audit {
    db: DatabaseConnection,
}

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn record(&self, actor: Actor<'_>, action: &str, target: Option<String>) {
        self.record_as(actor.identity.audit_actor(), action, target, actor.ip)
            .await;
    }

    /// For events without an identity yet (a failed login names the username).
    pub async fn record_as(
        &self,
        actor: String,
        action: &str,
        target: Option<String>,
        ip: Option<IpAddr>,
    ) {
        let result = repo::insert(
            &self.db,
            truncate(actor, 200),
            action,
            target.map(|t| truncate(t, 400)),
            ip.map(|i| i.to_string()),
        )
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, action, "cannot write the audit log");
        }
    }

    /// Up to `limit` entries `filter` picks, older than the entry
    /// `before`, newest first.
    pub async fn page(
        &self,
        filter: &Filter<'_>,
        limit: u64,
        before: Option<i32>,
    ) -> Result<Vec<audit_log::Model>, AppError> {
        Ok(repo::page(&self.db, filter, limit, before).await?)
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("ééé".to_owned(), 3), "é");
        assert_eq!(truncate("abc".to_owned(), 10), "abc");
    }
}
