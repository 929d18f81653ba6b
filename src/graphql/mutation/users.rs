//! Admin management of staff accounts (the same rules as `bridgeboard user`).

use async_graphql::{Context, Object, Result};

use crate::auth::RoleGuard;
use crate::graphql::guard::{actor, app_state};
use crate::graphql::types::auth::{CreateUserInput, User};

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let user = app_state(ctx)?
            .accounts
            .create(actor(ctx), &input.username, &input.password, input.role)
            .await?;
        Ok(user.into())
    }

    /// Sets a new password; the user's existing sessions end.
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn set_user_password(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<User> {
        let user = app_state(ctx)?
            .accounts
            .set_password(actor(ctx), &username, &password)
            .await?;
        Ok(user.into())
    }

    /// Removes a staff account (not your own, and not the last admin).
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn delete_user(&self, ctx: &Context<'_>, username: String) -> Result<bool> {
        app_state(ctx)?
            .accounts
            .remove(actor(ctx), &username)
            .await?;
        Ok(true)
    }
}
