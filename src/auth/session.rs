//! Staff sign-in and sign-out, and turning a bearer token back into an
//! identity. Tokens are checked against the revocation list and the account's
//! current state, so logout, password changes, role changes and deletions take
//! effect at once on this replica (and within `CACHE_IDENTITY_TTL_MS` on others).

use std::net::IpAddr;

use crate::auth::audit::{self, actions};
use crate::auth::jwt::{self, IssuedToken, TokenKind};
use crate::auth::{Identity, Role, password};
use crate::db::entities::user;
use crate::db::repo::{clients, sessions, users};
use crate::error::AppError;
use crate::state::AppState;

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

/// `login`: throttled per username and IP; one answer for every failure so
/// it does not reveal which usernames exist.
pub async fn login(
    state: &AppState,
    username: &str,
    password_attempt: &str,
    ip: Option<IpAddr>,
) -> Result<(IssuedToken, user::Model), AppError> {
    let username = normalize_username(username);
    let throttle = &state.auth.login_throttle;
    let attempt = throttle.begin(&username, ip)?;

    let user = users::find_by_username(&state.db, &username).await?;
    let ok = password::verify(
        user.as_ref().map(|u| u.password_hash.clone()),
        password_attempt,
    )
    .await;
    let user = match user {
        Some(u) if ok => u,
        _ => {
            audit::record_as(
                state,
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
    throttle.succeeded(&username, ip, attempt);
    let issued = jwt::issue_staff(&state.keys, user.id, state.config.jwt.expiration_hours)?;
    audit::record_as(
        state,
        format!("staff:{}", user.username),
        actions::LOGIN,
        Some(format!("user:{}", user.id)),
        ip,
    )
    .await;
    Ok((issued, user))
}

/// `logout`: revokes the caller's current token until it would have expired.
pub async fn logout(
    state: &AppState,
    identity: &Identity,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let Some(jti) = identity.jti() else {
        return Err(AppError::bad_request(
            "only session tokens can log out; revoke API keys with revokeApiKey",
        ));
    };
    // The token was valid when this request began; keep the row for its
    // longest possible remaining life.
    let until = chrono::Utc::now() + chrono::Duration::hours(state.config.jwt.expiration_hours);
    sessions::revoke(&state.db, jti, until).await?;
    state.auth.identities.forget(jti);
    audit::record(state, identity, actions::LOGOUT, None, ip).await;
    Ok(())
}

/// Resolves a bearer token to the identity it stands for, right now.
pub async fn from_token(state: &AppState, token: &str) -> Result<Identity, AppError> {
    let claims = jwt::decode(&state.keys, token)?;
    let cache = &state.auth.identities;
    if let Some(identity) = cache.get(&claims.jti) {
        return Ok(identity);
    }
    let checked = cache.epoch();
    let identity = check_account(state, claims).await?;
    cache.insert(&identity, checked);
    Ok(identity)
}

/// The database half of `from_token`: the token is not revoked and its
/// account still exists (and, for staff, predates no password change).
async fn check_account(state: &AppState, claims: jwt::Claims) -> Result<Identity, AppError> {
    let gone = || AppError::Unauthenticated("the session has ended; sign in again".to_owned());
    if sessions::is_revoked(&state.db, &claims.jti).await? {
        return Err(gone());
    }
    let id = claims.subject()?;
    match claims.kind {
        TokenKind::Staff => {
            let user = users::find_by_id(&state.db, id).await?.ok_or_else(gone)?;
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
            let client = clients::find_by_id(&state.db, id).await?.ok_or_else(gone)?;
            Ok(Identity::Client {
                client_id: client.id,
                portal_id: client.portal_id,
                email: client.email,
                jti: claims.jti,
            })
        }
    }
}
