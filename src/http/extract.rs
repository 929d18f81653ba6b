//! Request extractors for REST handlers: the peer address and the
//! authenticated caller.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::auth::Identity;
use crate::error::AppError;
use crate::graphql::guard::ClientIp;
use crate::state::AppState;

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The authenticated caller, with API keys rate-limited exactly as on
/// GraphQL (429 + `Retry-After` when over). Combine with
/// `RoleGuard::…().allows(&caller.0)` for the role check.
pub struct Caller(pub Identity);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        app.authenticator
            .identify(&parts.headers, ip)
            .await
            .map(Caller)
    }
}
