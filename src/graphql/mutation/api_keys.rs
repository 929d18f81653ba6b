//! Creating and revoking API keys (admins and ADMIN keys only).

use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::auth::api_keys::NewApiKey;
use crate::graphql::guard::{actor, app_state};
use crate::graphql::types::api_keys::{ApiKey, CreateApiKeyInput, CreatedApiKey};
use crate::ids::parse_uuid;

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Creates a key. The returned `key` is shown only this once; only its
    /// hash is stored.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let state = app_state(ctx)?;
        let (key, row) = state
            .api_keys
            .create(
                actor(ctx),
                NewApiKey {
                    name: input.name,
                    permission: input.permission,
                    expires_in_days: input.expires_in_days,
                    rate_limit_per_minute: input.rate_limit_per_minute,
                    description: input.description,
                },
            )
            .await?;
        Ok(CreatedApiKey {
            key,
            api_key: row.into(),
        })
    }

    /// Revokes a key at once; it cannot be restored.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let state = app_state(ctx)?;
        let id = parse_uuid(&id, "id")?;
        Ok(state.api_keys.revoke(actor(ctx), id).await?.into())
    }
}
