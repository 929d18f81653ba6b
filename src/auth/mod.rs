//! Who is calling. Credentials are resolved once per request (HTTP headers or
//! the WebSocket `connection_init` payload) into an `Identity` that resolvers
//! read from request data.

pub mod keys;

use axum::http::HeaderMap;
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

/// Staff roles.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    User,
}

/// What an API key may do.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiKeyPermission {
    /// Queries only.
    ReadOnly,
    /// Queries and non-admin mutations.
    Standard,
    /// Everything, key management included.
    Admin,
}

/// The caller of one request or one WebSocket connection.
#[derive(Clone, Debug, Default)]
pub enum Identity {
    #[default]
    Anonymous,
    /// A staff member signed in with a password.
    Staff {
        user_id: Uuid,
        username: String,
        role: Role,
        /// The session token's id, so `logout` can revoke it.
        jti: String,
    },
    /// A client signed in through a magic link; sees only its own tickets.
    Client {
        client_id: Uuid,
        portal_id: String,
        email: String,
        jti: String,
    },
    /// An integration using an API key.
    ApiKey {
        key_id: Uuid,
        name: String,
        permission: ApiKeyPermission,
    },
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Identity::Staff { role: Role::Admin, .. }
                | Identity::ApiKey { permission: ApiKeyPermission::Admin, .. }
        )
    }

    /// Staff (either role) and API keys see every client's data.
    pub fn is_staff(&self) -> bool {
        matches!(self, Identity::Staff { .. } | Identity::ApiKey { .. })
    }

    pub fn client_id(&self) -> Option<Uuid> {
        match self {
            Identity::Client { client_id, .. } => Some(*client_id),
            _ => None,
        }
    }
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
