//! Who is calling, and what they may do. Credentials are resolved once per
//! request (HTTP headers or the WebSocket `connection_init` payload) into an
//! `Identity`; the services here own the rules for sessions, magic links,
//! API keys, staff accounts and clients.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod command;
pub mod guard;
pub mod identity_cache;
pub mod jwt;
pub mod key_usage;
pub mod keys;
pub mod magic_link;
pub mod password;
pub mod session;
#[cfg(test)]
pub(crate) mod testing;
pub mod throttle;

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use sea_orm::DatabaseConnection;
use url::Url;
use uuid::Uuid;

use crate::changes::ChangeSignal;
use crate::config::{AuthConfig, JwtConfig};
use crate::error::AppError;
use crate::mail::Mailer;

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

/// What the auth services are built from: the database, the signing key,
/// their config sections, the mailer, and the caches and change signal they
/// share with the rest of the server.
pub struct AuthDeps {
    pub db: DatabaseConnection,
    pub keys: Arc<keys::JwtKeys>,
    pub jwt: JwtConfig,
    pub auth: AuthConfig,
    /// Where magic links point (`MAGIC_LINK_URL`).
    pub magic_link_url: Url,
    pub mailer: Arc<Mailer>,
    pub identities: Arc<identity_cache::IdentityCache>,
    pub changes: Arc<ChangeSignal>,
    /// Rate limits shared by every replica (keys, login attempts).
    pub limits: Arc<crate::limits::Limits>,
}

/// The identity services, wired to one another.
pub struct AuthServices {
    pub authenticator: Arc<Authenticator>,
    pub sessions: Arc<session::SessionService>,
    pub magic_links: Arc<magic_link::MagicLinkService>,
    pub api_keys: Arc<api_keys::ApiKeyService>,
    pub accounts: Arc<accounts::AccountService>,
    pub clients: Arc<clients::ClientService>,
    pub audit: audit::Audit,
}

impl AuthServices {
    pub fn new(d: AuthDeps) -> Self {
        let audit = audit::Audit::new(d.db.clone());
        let sessions = Arc::new(session::SessionService::new(
            d.db.clone(),
            d.keys,
            d.jwt,
            throttle::LoginThrottle::new(&d.auth).shared(d.limits.clone()),
            d.identities.clone(),
            d.changes.clone(),
            audit.clone(),
        ));
        let api_keys = Arc::new(api_keys::ApiKeyService::new(
            d.db.clone(),
            d.identities,
            d.changes.clone(),
            audit.clone(),
            d.limits,
        ));
        let magic_links = Arc::new(magic_link::MagicLinkService::new(
            d.db.clone(),
            sessions.clone(),
            d.auth,
            d.magic_link_url,
            d.mailer,
            audit.clone(),
        ));
        let clients = Arc::new(clients::ClientService::new(
            d.db.clone(),
            magic_links.clone(),
            d.changes.clone(),
            audit.clone(),
        ));
        let accounts = Arc::new(accounts::AccountService::new(
            d.db,
            d.changes,
            audit.clone(),
        ));
        Self {
            authenticator: Arc::new(Authenticator::new(sessions.clone(), api_keys.clone())),
            sessions,
            magic_links,
            api_keys,
            accounts,
            clients,
            audit,
        }
    }
}

/// Who does something, and from where: what the audit trail records.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub identity: &'a Identity,
    pub ip: Option<IpAddr>,
}

impl<'a> Actor<'a> {
    pub fn new(identity: &'a Identity, ip: Option<IpAddr>) -> Self {
        Self { identity, ip }
    }
}

/// The session token a WebSocket connection was opened with. Kept in the
/// connection's data so open subscriptions can re-check it as time passes.
#[derive(Clone)]
pub struct SessionToken(pub String);

/// Turns presented credentials into an identity: session tokens and API
/// keys, whichever the caller sent.
pub struct Authenticator {
    sessions: Arc<session::SessionService>,
    api_keys: Arc<api_keys::ApiKeyService>,
}

impl Authenticator {
    pub fn new(
        sessions: Arc<session::SessionService>,
        api_keys: Arc<api_keys::ApiKeyService>,
    ) -> Self {
        Self { sessions, api_keys }
    }

    /// Resolves the caller from `X-API-Key` or `Authorization: Bearer …`. No
    /// credentials means anonymous; bad credentials are an error rather than
    /// a silent downgrade, so a client notices its session ended. An API key
    /// pays its rate limit here.
    pub async fn identify(
        &self,
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
            return self.api_keys.authenticate(key, ip).await;
        }
        match header("authorization") {
            Some(value) => self.sessions.from_token(bearer(value)?).await,
            None => Ok(Identity::Anonymous),
        }
    }

    /// Resolves the caller from a WebSocket `connection_init` payload. Accepts
    /// `{"Authorization": "Bearer …"}`, `{"authorization": …}`, `{"token": …}`
    /// and `{"X-API-Key": …}` (or `apiKey`). Returns the session token too.
    pub async fn identify_ws(
        &self,
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
            return Ok((self.api_keys.authenticate(key, ip).await?, None));
        }
        let token = match (
            field(&["Authorization", "authorization"]),
            field(&["token"]),
        ) {
            (Some(value), _) => bearer(value)?,
            (None, Some(token)) => token.strip_prefix("Bearer ").unwrap_or(token),
            (None, None) => return Ok((Identity::Anonymous, None)),
        };
        let identity = self.sessions.from_token(token).await?;
        Ok((identity, Some(SessionToken(token.to_owned()))))
    }
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
