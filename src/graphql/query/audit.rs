//! The audit log, newest first, for admins.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Object, Result};

use crate::auth::RoleGuard;
use crate::auth::guard::app_state;
use crate::db::repo::audit;
use crate::error::AppError;
use crate::graphql::query::auth::page_size;
use crate::graphql::types::audit::AuditEntry;

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Logins, failed logins, logouts, magic links, API keys and client
    /// changes, newest first.
    #[graphql(
        guard = "RoleGuard::admin()",
        complexity = "first.unwrap_or(20).max(1) as usize * child_complexity"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i32>, AuditEntry>> {
        let state = app_state(ctx)?;
        let limit = page_size(first)?;
        let after = after
            .map(|c| {
                OpaqueCursor::<i32>::decode_cursor(&c)
                    .map(|c| c.0)
                    .map_err(|_| AppError::bad_request("after is not a cursor from this list"))
            })
            .transpose()?;
        let mut rows = audit::page(&state.db, limit + 1, after)
            .await
            .map_err(AppError::from)?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let mut conn = Connection::new(after.is_some(), has_next);
        conn.edges.extend(
            rows.into_iter()
                .map(|a| Edge::new(OpaqueCursor(a.id), AuditEntry::from(a))),
        );
        Ok(conn)
    }
}
