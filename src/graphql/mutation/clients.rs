//! Admin management of clients, and inviting one (sends a magic link).

use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::auth::clients::{ClientChanges, NewClient};
use crate::graphql::guard::{actor, app_state};
use crate::graphql::query::clients::notify;
use crate::graphql::types::clients::{
    Client, CreateClientInput, NotificationPreferences, PreferencesInput, UpdateClientInput,
};
use crate::ids::parse_uuid;

#[derive(Default)]
pub struct ClientMutation;

#[Object]
impl ClientMutation {
    /// The signed-in client turns ticket emails on or off.
    #[graphql(guard = "RoleGuard::client().write()")]
    async fn update_my_preferences(
        &self,
        ctx: &Context<'_>,
        input: PreferencesInput,
    ) -> Result<NotificationPreferences> {
        let client = crate::graphql::guard::identity(ctx)
            .client_id()
            .ok_or_else(|| crate::error::AppError::Forbidden("clients only".to_owned()))?;
        let p = notify(app_state(ctx)?)?
            .set_email(client, input.email_notifications)
            .await?;
        Ok(p.into())
    }

    /// Adds a client; `portalId` is generated from the company or name when left out.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_client(&self, ctx: &Context<'_>, input: CreateClientInput) -> Result<Client> {
        let input = NewClient {
            email: input.email,
            name: input.name,
            company: input.company,
            portal_id: input.portal_id,
        };
        let created = app_state(ctx)?.clients.create(actor(ctx), input).await?;
        Ok(created.into())
    }

    /// Changes the given fields of a client.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateClientInput,
    ) -> Result<Client> {
        let id = parse_uuid(&id, "id")?;
        let changes = ClientChanges {
            email: input.email,
            name: input.name,
            company: input.company,
        };
        let updated = app_state(ctx)?
            .clients
            .update(actor(ctx), id, changes)
            .await?;
        Ok(updated.into())
    }

    /// Removes a client and its pending magic links.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn delete_client(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_uuid(&id, "id")?;
        app_state(ctx)?.clients.delete(actor(ctx), id).await?;
        Ok(true)
    }

    /// Emails the client a sign-in link now (within the hourly limit).
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn invite_client(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_uuid(&id, "id")?;
        app_state(ctx)?.clients.invite(actor(ctx), id).await?;
        Ok(true)
    }
}
