//! Who is calling. Credentials are resolved once per request (HTTP headers or
//! the WebSocket `connection_init` payload) into an `Identity` that resolvers
//! read from request data.

pub mod keys;

use axum::http::HeaderMap;

use crate::error::AppError;
use crate::state::AppState;

/// The caller of one request or one WebSocket connection.
#[derive(Clone, Debug, Default)]
pub enum Identity {
    #[default]
    Anonymous,
}

/// Resolves the caller from HTTP headers.
pub async fn identify(_state: &AppState, _headers: &HeaderMap) -> Result<Identity, AppError> {
    Ok(Identity::Anonymous)
}

/// Resolves the caller from a WebSocket `connection_init` payload.
pub async fn identify_ws(
    _state: &AppState,
    _payload: &serde_json::Value,
) -> Result<Identity, AppError> {
    Ok(Identity::Anonymous)
}
