//! The audit log, newest first, for admins.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};

use crate::auth::RoleGuard;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::types::audit::AuditEntry;

#[derive(Default)]
pub struct AuditQuery;

const LIST: &str = "audit";

#[Object]
impl AuditQuery {
    /// Logins, failed logins, logouts, magic links, API keys and client
    /// changes, newest first.
    #[graphql(
        guard = "RoleGuard::admin()",
        complexity = "page_cost(first, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEntry>> {
        let limit = page_size(first)?;
        let after = pagination::after::<i32>(LIST, after.as_deref())?;
        let mut rows = app_state(ctx)?.audit.page(limit + 1, after).await?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(pagination::connection(
            LIST,
            rows,
            after.is_some(),
            has_next,
            |a| a.id,
            AuditEntry::from,
        ))
    }
}
