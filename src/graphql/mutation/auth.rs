//! Signing in and out: password login for staff, magic links for clients.

use async_graphql::{Context, Object, Result};

use crate::auth::RoleGuard;
use crate::graphql::guard::{actor, app_state, client_ip};
use crate::graphql::types::auth::{AuthPayload, Viewer};

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Staff sign-in. Failed attempts are throttled per username and per IP
    /// (`RATE_LIMITED`, with `extensions.retryAfter` in seconds).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AuthPayload> {
        let state = app_state(ctx)?;
        let (issued, user) = state
            .sessions
            .login(&username, &password, client_ip(ctx))
            .await?;
        Ok(AuthPayload {
            token: issued.token,
            expires_at: issued.expires_at,
            viewer: Viewer::for_staff(&user),
        })
    }

    /// Ends the current session: its token stops working, also after a restart.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        app_state(ctx)?.sessions.logout(actor(ctx)).await?;
        Ok(true)
    }

    /// Emails a sign-in link to a known client. Always answers `true`, whether
    /// or not the email belongs to a client.
    async fn request_magic_link(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        let state = app_state(ctx)?;
        if email.len() <= 320 && email.contains('@') {
            state.magic_links.request(&email, client_ip(ctx));
        }
        Ok(true)
    }

    /// Exchanges a magic-link token (single use) for a client session.
    async fn redeem_magic_link(&self, ctx: &Context<'_>, token: String) -> Result<AuthPayload> {
        let state = app_state(ctx)?;
        let (issued, client) = state.magic_links.redeem(&token, client_ip(ctx)).await?;
        Ok(AuthPayload {
            token: issued.token,
            expires_at: issued.expires_at,
            viewer: Viewer::for_client(client),
        })
    }
}
