//! Liveness and build information, public to every caller; the upstream
//! connections and the outbox, for staff.

use async_graphql::{Context, Object, Result};

use crate::auth::RoleGuard;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::page_size;
use crate::graphql::types::system::{Health, OutboxStatus, UpstreamConnection};
use crate::state::AppState;

#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// Whether the service and its database answer.
    async fn health(&self, ctx: &Context<'_>) -> Health {
        let database_up = match ctx.data_opt::<AppState>() {
            Some(state) => crate::db::ping(&state.db).await.is_ok(),
            None => false,
        };
        Health::new(database_up)
    }

    /// The server's version.
    async fn version(&self) -> &'static str {
        crate::VERSION
    }

    /// Monday and Calendly as this server sees them: budget left, the last
    /// success and the last error.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn upstreams(&self, ctx: &Context<'_>) -> Result<Vec<UpstreamConnection>> {
        let state = app_state(ctx)?;
        let sandbox = state.config.sandbox_mode();
        let mut monday =
            UpstreamConnection::new("monday", sandbox, state.monday.as_ref().map(|m| m.health()));
        if let Some(b) = state.monday.as_ref().and_then(|m| m.budget()) {
            monday.budget_remaining = Some(b.after);
            monday.budget_resets_in_seconds = Some(b.reset_in_seconds);
        }
        let mut calendly = UpstreamConnection::new(
            "calendly",
            sandbox,
            state.calendly.as_ref().map(|c| c.health()),
        );
        if let Some(r) = state.calendly.as_ref().and_then(|c| c.rate_limit()) {
            calendly.budget_remaining = Some(i64::from(r.remaining));
            calendly.budget_resets_in_seconds = Some(r.reset_in.as_secs() as i64);
        }
        Ok(vec![monday, calendly])
    }

    /// What waits for delivery to the upstreams, and what keeps failing.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Most entries per list (default 20, at most 100).")] first: Option<i32>,
    ) -> Result<OutboxStatus> {
        let state = app_state(ctx)?;
        let limit = page_size(Some(first.unwrap_or(20)))?;
        Ok(OutboxStatus(crate::outbox::status::Status::new(
            state.db.clone(),
            limit,
        )))
    }
}
