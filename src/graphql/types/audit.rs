//! The audit log as GraphQL sees it.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::audit_log;

/// One security-relevant event.
#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    /// Who: `staff:<username>`, `client:<email>`, `api_key:<name> (<id>)` or `anonymous`.
    pub actor: String,
    /// What, e.g. `login`, `login.failed`, `api_key.created`, `client.updated`.
    pub action: String,
    /// To what, e.g. `client:<id>`.
    pub target: Option<String>,
    /// The caller's address, when known.
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(a: audit_log::Model) -> Self {
        Self {
            id: ID(a.id.to_string()),
            actor: a.actor,
            action: a.action,
            target: a.target,
            ip: a.ip,
            created_at: a.created_at,
        }
    }
}
