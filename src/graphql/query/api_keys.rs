//! Admin queries over API keys. Keys are never shown, only masked.

use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::auth::guard::app_state;
use crate::db::repo::api_keys;
use crate::error::AppError;
use crate::graphql::query::auth::parse_id;
use crate::graphql::types::api_keys::ApiKey;

#[derive(Default)]
pub struct ApiKeysQuery;

#[Object]
impl ApiKeysQuery {
    /// Every key, newest first, whatever its status.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let state = app_state(ctx)?;
        let rows = api_keys::list(&state.db).await.map_err(AppError::from)?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    #[graphql(guard = "RoleGuard::admin()")]
    async fn api_key(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ApiKey>> {
        let state = app_state(ctx)?;
        let id = parse_id(&id)?;
        Ok(api_keys::find_by_id(&state.db, id)
            .await
            .map_err(AppError::from)?
            .map(ApiKey::from))
    }
}
