//! The role rule as an async-graphql guard, and the request data resolvers
//! read: the caller, its address, and the application state.
//!
//! ```ignore
//! #[graphql(guard = "RoleGuard::admin()")]        // admins, ADMIN API keys
//! #[graphql(guard = "RoleGuard::staff()")]        // staff of either role, any API key
//! #[graphql(guard = "RoleGuard::client()")]       // signed-in clients only
//! #[graphql(guard = "RoleGuard::authenticated()")]// anyone signed in
//! #[graphql(guard = "RoleGuard::staff().write()")]// and not a READ_ONLY API key
//! ```
//! Mutations are refused to READ_ONLY keys for every mutation regardless (see
//! `graphql::policy`); `.write()` states it at the field too.

use std::net::IpAddr;
use std::sync::LazyLock;

use async_graphql::{Context, Guard, Result};

use crate::auth::{Actor, Identity, RoleGuard};
use crate::error::AppError;
use crate::state::AppState;

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        self.allows(identity(ctx)).map_err(Into::into)
    }
}

/// The peer address of the connection. Forwarded-for headers are not
/// trusted: any client can set them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientIp(pub Option<IpAddr>);

/// Marks a WebSocket connection's data: its operations are charged to an API
/// key one by one (an HTTP request is charged when its key is checked).
#[derive(Clone, Copy)]
pub struct OverWebSocket;

static ANONYMOUS: LazyLock<Identity> = LazyLock::new(|| Identity::Anonymous);

/// The caller, from request data (HTTP) or connection data (WebSocket).
pub fn identity<'a>(ctx: &Context<'a>) -> &'a Identity {
    ctx.data_opt::<Identity>().unwrap_or(&ANONYMOUS)
}

/// The caller's address, when the transport knows it.
pub fn client_ip(ctx: &Context<'_>) -> Option<IpAddr> {
    ctx.data_opt::<ClientIp>().and_then(|c| c.0)
}

/// The caller and its address, as services record them.
pub fn actor<'a>(ctx: &Context<'a>) -> Actor<'a> {
    Actor::new(identity(ctx), client_ip(ctx))
}

pub fn app_state<'a>(ctx: &Context<'a>) -> Result<&'a AppState, AppError> {
    ctx.data_opt::<AppState>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing from schema data")))
}
