//! Liveness and build information, public to every caller.

use async_graphql::{Context, Object};

use crate::graphql::types::system::Health;
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
}
