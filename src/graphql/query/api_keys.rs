//! Admin queries over API keys. Keys are never shown, only masked.

use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::types::api_keys::ApiKey;
use crate::ids::parse_uuid;

#[derive(Default)]
pub struct ApiKeysQuery;

#[Object]
impl ApiKeysQuery {
    /// Every key, newest first, whatever its status.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let rows = app_state(ctx)?.api_keys.list().await?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    #[graphql(guard = "RoleGuard::admin()")]
    async fn api_key(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ApiKey>> {
        let id = parse_uuid(&id, "id")?;
        match app_state(ctx)?.api_keys.get(id).await {
            Ok(row) => Ok(Some(row.into())),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
