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

    /// The address a trusted proxy forwarded, else the peer's.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(f) = parts.extensions.get::<super::forwarded::ForwardedFor>() {
            return Ok(ClientIp(Some(f.0)));
        }
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

/// A JSON body whose rejection (bad JSON, wrong shape, wrong content type)
/// is a 400 in our error shape, naming what was wrong.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| JsonBody(v))
            .map_err(|e| AppError::bad_request(e.body_text()))
    }
}

/// Query parameters whose rejection is a 400 in our error shape.
pub struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Params(v))
            .map_err(|e| AppError::bad_request(e.body_text()))
    }
}
