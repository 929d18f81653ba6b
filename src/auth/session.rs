//! Staff sign-in and sign-out, and turning a bearer token back into an
//! identity. Tokens are checked against the revocation list and the account's
//! current state, so logout, password changes, role changes and deletions take
//! effect at once on this replica (and within `CACHE_IDENTITY_TTL_MS` on others).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::auth::audit::{Audit, actions};
use crate::auth::identity_cache::IdentityCache;
use crate::auth::jwt::{self, IssuedToken, TokenKind};
use crate::auth::keys::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{Actor, Identity, Role, password};
use crate::changes::{Change, ChangeSignal};
use crate::config::JwtConfig;
use crate::db::entities::{client, user};
use crate::db::repo::{clients, sessions, users};
use crate::error::AppError;

pub fn role_to_db(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::User => "user",
    }
}

pub fn role_from_db(s: &str) -> Role {
    if s == "admin" {
        Role::Admin
    } else {
        Role::User
    }
}

/// Usernames compare case-insensitively; they are stored lower-cased.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

pub struct SessionService {
    db: DatabaseConnection,
    keys: Arc<JwtKeys>,
    jwt: JwtConfig,
    throttle: LoginThrottle,
    identities: Arc<IdentityCache>,
    changes: Arc<ChangeSignal>,
    audit: Audit,
}

impl SessionService {
    pub fn new(
        db: DatabaseConnection,
        keys: Arc<JwtKeys>,
        jwt: JwtConfig,
        throttle: LoginThrottle,
        identities: Arc<IdentityCache>,
        changes: Arc<ChangeSignal>,
        audit: Audit,
    ) -> Self {
        Self {
            db,
            keys,
            jwt,
            throttle,
            identities,
            changes,
            audit,
        }
    }

    /// `login`: throttled per username and IP; one answer for every failure so
    /// it does not reveal which usernames exist.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        username: &str,
        password_attempt: &str,
        ip: Option<IpAddr>,
    ) -> Result<(IssuedToken, user::Model), AppError> {
        let username = normalize_username(username);
        let attempt = self.throttle.begin(&username, ip).await?;

        let user = users::find_by_username(&self.db, &username).await?;
        let ok = password::verify(
            user.as_ref().map(|u| u.password_hash.clone()),
            password_attempt,
        )
        .await;
        let user = match user {
            Some(u) if ok => u,
            _ => {
                self.audit
                    .record_as(
                        format!("staff:{username}"),
                        actions::LOGIN_FAILED,
                        Some(format!("user:{username}")),
                        ip,
                    )
                    .await;
                return Err(AppError::Unauthenticated(
                    "invalid username or password".to_owned(),
                ));
            }
        };
        self.throttle.succeeded(&username, ip, attempt).await;
        let issued = jwt::issue_staff(&self.keys, user.id, self.jwt.expiration_hours)?;
        self.audit
            .record_as(
                format!("staff:{}", user.username),
                actions::LOGIN,
                Some(format!("user:{}", user.id)),
                ip,
            )
            .await;
        Ok((issued, user))
    }

    /// A client's session, once a magic link proved who it is.
    pub fn issue_client(&self, client: &client::Model) -> Result<IssuedToken, AppError> {
        jwt::issue_client(
            &self.keys,
            client.id,
            &client.portal_id,
            self.jwt.expiration_hours,
        )
    }

    /// `logout`: revokes the caller's current token until it would have expired.
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, actor: Actor<'_>) -> Result<(), AppError> {
        let Some(jti) = actor.identity.jti() else {
            return Err(AppError::bad_request(
                "only session tokens can log out; revoke API keys with revokeApiKey",
            ));
        };
        // The token was valid when this request began; keep the row for its
        // longest possible remaining life.
        let until = Utc::now() + chrono::Duration::hours(self.jwt.expiration_hours);
        sessions::revoke(&self.db, jti, until).await?;
        self.changes.publish(Change::SessionEnded {
            jti: jti.to_owned(),
        });
        self.audit.record(actor, actions::LOGOUT, None).await;
        Ok(())
    }

    /// Resolves a bearer token to the identity it stands for, right now.
    pub async fn from_token(&self, token: &str) -> Result<Identity, AppError> {
        let claims = jwt::decode(&self.keys, token)?;
        if let Some(identity) = self.identities.get(&claims.jti) {
            metrics::counter!("cache_requests_total", "cache" => "identity", "result" => "hit")
                .increment(1);
            return Ok(identity);
        }
        metrics::counter!("cache_requests_total", "cache" => "identity", "result" => "miss")
            .increment(1);
        let checked = self.identities.epoch();
        let identity = self.check_account(claims).await?;
        self.identities.insert(&identity, checked);
        Ok(identity)
    }

    /// When a token stops working on its own (its signature checked).
    pub fn expires_at(&self, token: &str) -> Result<DateTime<Utc>, AppError> {
        Ok(jwt::decode(&self.keys, token)?.expires_at())
    }

    /// The database half of `from_token`: the token is not revoked and its
    /// account still exists (and, for staff, predates no password change).
    async fn check_account(&self, claims: jwt::Claims) -> Result<Identity, AppError> {
        let gone = || AppError::Unauthenticated("the session has ended; sign in again".to_owned());
        if sessions::is_revoked(&self.db, &claims.jti).await? {
            return Err(gone());
        }
        let id = claims.subject()?;
        match claims.kind {
            TokenKind::Staff => {
                let user = users::find_by_id(&self.db, id).await?.ok_or_else(gone)?;
                if claims.issued_at_ms() < user.password_changed_at.timestamp_millis() {
                    return Err(gone());
                }
                Ok(Identity::Staff {
                    user_id: user.id,
                    username: user.username,
                    role: role_from_db(&user.role),
                    jti: claims.jti,
                })
            }
            TokenKind::Client => {
                let client = clients::find_by_id(&self.db, id).await?.ok_or_else(gone)?;
                Ok(Identity::Client {
                    client_id: client.id,
                    portal_id: client.portal_id,
                    email: client.email,
                    jti: claims.jti,
                })
            }
        }
    }
}
