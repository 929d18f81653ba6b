//! Who is calling. Credentials are resolved once per request (HTTP headers or
//! the WebSocket `connection_init` payload) into an `Identity` that resolvers
//! read from request data.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod command;
pub mod guard;
pub mod identity_cache;
pub mod jwt;
pub mod keys;
pub mod magic_link;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

pub use guard::RoleGuard;

/// Staff roles.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    User,
}

/// What an API key may do.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
        /// Its rate limit, charged per HTTP request and per WebSocket
        /// operation.
        per_minute: u32,
    },
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Identity::Staff {
                role: Role::Admin,
                ..
            } | Identity::ApiKey {
                permission: ApiKeyPermission::Admin,
                ..
            }
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

    pub fn portal_id(&self) -> Option<&str> {
        match self {
            Identity::Client { portal_id, .. } => Some(portal_id),
            _ => None,
        }
    }

    pub fn is_authenticated(&self) -> bool {
        !matches!(self, Identity::Anonymous)
    }

    /// The session token id, for sessions (not API keys).
    pub fn jti(&self) -> Option<&str> {
        match self {
            Identity::Staff { jti, .. } | Identity::Client { jti, .. } => Some(jti),
            _ => None,
        }
    }

    /// How the audit log names this caller.
    pub fn audit_actor(&self) -> String {
        match self {
            Identity::Anonymous => "anonymous".to_owned(),
            Identity::Staff { username, .. } => format!("staff:{username}"),
            Identity::Client { email, .. } => format!("client:{email}"),
            Identity::ApiKey { key_id, name, .. } => format!("api_key:{name} ({key_id})"),
        }
    }
}

/// Per-process authentication state shared by every request: the failed-login
/// throttle, the per-API-key rate limiters and recently verified sessions.
pub struct AuthServices {
    pub login_throttle: throttle::LoginThrottle,
    pub key_limiter: api_keys::KeyLimiter,
    pub identities: identity_cache::IdentityCache,
}

impl AuthServices {
    pub fn new(config: &Config) -> Self {
        Self {
            login_throttle: throttle::LoginThrottle::new(&config.auth),
            key_limiter: api_keys::KeyLimiter::default(),
            identities: identity_cache::IdentityCache::new(
                config.cache.identity_ttl,
                config.cache.max_entries,
            ),
        }
    }
}

/// The peer address of the connection (axum `ConnectInfo`). Forwarded-for
/// headers are not trusted: any client can set them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientIp(pub Option<IpAddr>);

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

/// Extractor for REST handlers: the authenticated caller, with API keys
/// rate-limited exactly as on GraphQL (429 + `Retry-After` when over).
/// Combine with `RoleGuard::…().allows(&caller.0)` for the role check.
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
        identify_from(&app, &parts.headers, ip).await.map(Caller)
    }
}

/// Resolves the caller from `X-API-Key` or `Authorization: Bearer …`. No
/// credentials means anonymous; bad credentials are an error rather than a
/// silent downgrade, so a client notices its session ended.
pub async fn identify_from(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Identity, AppError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(key) = header("x-api-key") {
        return api_keys::authenticate(state, key, ip).await;
    }
    match header("authorization") {
        Some(value) => session::from_token(state, bearer(value)?).await,
        None => Ok(Identity::Anonymous),
    }
}

/// Marks a WebSocket connection's data: its operations are charged to an API
/// key one by one (an HTTP request is charged when its key is checked).
#[derive(Clone, Copy)]
pub struct OverWebSocket;

/// The session token a WebSocket connection was opened with. Kept in the
/// connection's data so open subscriptions can re-check it as time passes.
#[derive(Clone)]
pub struct SessionToken(pub String);

/// Resolves the caller from a WebSocket `connection_init` payload. Accepts
/// `{"Authorization": "Bearer …"}`, `{"authorization": …}`, `{"token": …}`
/// and `{"X-API-Key": …}` (or `apiKey`). Returns the session token too.
pub async fn identify_ws_from(
    state: &AppState,
    payload: &serde_json::Value,
    ip: Option<IpAddr>,
) -> Result<(Identity, Option<SessionToken>), AppError> {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| payload.get(*n).and_then(|v| v.as_str()))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(key) = field(&["X-API-Key", "x-api-key", "apiKey"]) {
        return Ok((api_keys::authenticate(state, key, ip).await?, None));
    }
    let token = match (
        field(&["Authorization", "authorization"]),
        field(&["token"]),
    ) {
        (Some(value), _) => bearer(value)?,
        (None, Some(token)) => token.strip_prefix("Bearer ").unwrap_or(token),
        (None, None) => return Ok((Identity::Anonymous, None)),
    };
    let identity = session::from_token(state, token).await?;
    Ok((identity, Some(SessionToken(token.to_owned()))))
}

fn bearer(value: &str) -> Result<&str, AppError> {
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Ok(token.trim())
    } else {
        Err(AppError::Unauthenticated(
            "expected `Authorization: Bearer <token>`".to_owned(),
        ))
    }
}
