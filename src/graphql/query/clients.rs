//! Admin queries over clients: the Relay connection and single lookup.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::types::clients::{Client, NotificationPreferences};
use crate::ids::parse_uuid;

#[derive(Default)]
pub struct ClientsQuery;

const LIST: &str = "clients";

#[Object]
impl ClientsQuery {
    /// The signed-in client's notification settings.
    #[graphql(guard = "RoleGuard::client()")]
    async fn my_preferences(&self, ctx: &Context<'_>) -> Result<NotificationPreferences> {
        let client = crate::graphql::guard::identity(ctx)
            .client_id()
            .ok_or_else(|| AppError::Forbidden("clients only".to_owned()))?;
        let p = notify(app_state(ctx)?)?.preferences(client).await?;
        Ok(p.into())
    }

    /// Clients ordered by email. `search` matches part of the email, name,
    /// company or portal id, ignoring case.
    #[graphql(
        guard = "RoleGuard::admin()",
        complexity = "page_cost(first, child_complexity)"
    )]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> Result<Connection<String, Client>> {
        let limit = page_size(first)?;
        let after = pagination::after::<String>(LIST, after.as_deref())?;
        let mut rows = app_state(ctx)?
            .clients
            .page(limit + 1, after.as_deref(), search.as_deref())
            .await?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(pagination::connection(
            LIST,
            rows,
            after.is_some(),
            has_next,
            |c| c.email.clone(),
            Client::from,
        ))
    }

    /// One client by id.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn client(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Client>> {
        let id = parse_uuid(&id, "id")?;
        match app_state(ctx)?.clients.get(id).await {
            Ok(c) => Ok(Some(c.into())),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The notification service, present with the tickets board.
pub fn notify(state: &crate::state::AppState) -> Result<&crate::notify::NotifyService, AppError> {
    state
        .notify
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("notifications are not configured".to_owned()))
}
