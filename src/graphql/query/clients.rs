//! Admin queries over clients: the Relay connection and single lookup.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::auth::guard::app_state;
use crate::db::repo::clients;
use crate::error::AppError;
use crate::graphql::query::auth::{page_size, parse_id};
use crate::graphql::types::clients::Client;

#[derive(Default)]
pub struct ClientsQuery;

#[Object]
impl ClientsQuery {
    /// Clients ordered by email. `search` matches part of the email, name,
    /// company or portal id, ignoring case.
    #[graphql(
        guard = "RoleGuard::admin()",
        complexity = "first.unwrap_or(20).max(1) as usize * child_complexity"
    )]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> Result<Connection<OpaqueCursor<String>, Client>> {
        let state = app_state(ctx)?;
        let limit = page_size(first)?;
        let after = after
            .map(|c| {
                OpaqueCursor::<String>::decode_cursor(&c)
                    .map(|c| c.0)
                    .map_err(|_| AppError::bad_request("after is not a cursor from this list"))
            })
            .transpose()?;
        let mut rows = clients::page(&state.db, limit + 1, after.as_deref(), search.as_deref())
            .await
            .map_err(AppError::from)?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let mut conn = Connection::new(after.is_some(), has_next);
        conn.edges.extend(
            rows.into_iter()
                .map(|c| Edge::new(OpaqueCursor(c.email.clone()), Client::from(c))),
        );
        Ok(conn)
    }

    /// One client by id.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn client(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Client>> {
        let state = app_state(ctx)?;
        let id = parse_id(&id)?;
        Ok(clients::find_by_id(&state.db, id)
            .await
            .map_err(AppError::from)?
            .map(Client::from))
    }
}
