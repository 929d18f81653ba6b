//! Admin management of staff accounts (the same rules as `bridgeboard user`).

use async_graphql::{Context, Object, Result};

use crate::auth::audit::{self, actions};
use crate::auth::guard::{app_state, client_ip, identity};
use crate::auth::{Identity, RoleGuard, accounts};
use crate::error::AppError;
use crate::graphql::types::auth::{CreateUserInput, User};

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let state = app_state(ctx)?;
        let user =
            accounts::create(&state.db, &input.username, &input.password, input.role).await?;
        let target = Some(format!("user:{}", user.username));
        audit::record(
            state,
            identity(ctx),
            actions::USER_CREATED,
            target,
            client_ip(ctx),
        )
        .await;
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
        let state = app_state(ctx)?;
        let user = accounts::set_password(&state.db, &username, &password).await?;
        state.auth.identities.clear();
        let target = Some(format!("user:{}", user.username));
        audit::record(
            state,
            identity(ctx),
            actions::USER_PASSWORD_CHANGED,
            target,
            client_ip(ctx),
        )
        .await;
        Ok(user.into())
    }

    /// Removes a staff account (not your own, and not the last admin).
    #[graphql(guard = "RoleGuard::admin().write()")]
    async fn delete_user(&self, ctx: &Context<'_>, username: String) -> Result<bool> {
        let state = app_state(ctx)?;
        let who = identity(ctx);
        if let Identity::Staff { username: me, .. } = who
            && me.eq_ignore_ascii_case(username.trim())
        {
            return Err(AppError::Conflict("you cannot delete your own account".to_owned()).into());
        }
        let user = accounts::remove(&state.db, &username).await?;
        state.auth.identities.clear();
        let target = Some(format!("user:{}", user.username));
        audit::record(state, who, actions::USER_DELETED, target, client_ip(ctx)).await;
        Ok(true)
    }
}
