//! `me` for every signed-in caller; the staff account list for admins.

use async_graphql::{Context, Object, Result};

use crate::auth::{Identity, RoleGuard};
use crate::error::AppError;
use crate::graphql::guard::{app_state, identity};
use crate::graphql::types::auth::{User, Viewer};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in caller: staff, client or API key.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        let who = identity(ctx);
        if let Identity::Client { client_id, .. } = who {
            return match app_state(ctx)?.clients.get(*client_id).await {
                Ok(c) => Ok(Some(Viewer::for_client(c))),
                Err(AppError::NotFound(_)) => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
        Ok(Viewer::from_identity(who))
    }

    /// Staff accounts, by username.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let rows = app_state(ctx)?.accounts.list().await?;
        Ok(rows.into_iter().map(User::from).collect())
    }
}
