//! Session tokens: HS256 JWTs signed with `state.keys`. Every token carries a
//! random `jti` so `logout` can revoke exactly that token.

use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::keys::{JwtKeys, random_hex};
use crate::error::AppError;

/// Whose session a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Staff,
    Client,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id (staff) or client id (clients).
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub kind: TokenKind,
    /// Issue time in milliseconds: `iat` has whole seconds only, too coarse
    /// to tell a token from just before a password change from one after.
    #[serde(default)]
    pub iat_ms: i64,
    /// Clients only: the client and its portal, so portal code need not look
    /// them up to scope a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_id: Option<String>,
}

impl Claims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.exp, 0)
            .single()
            .unwrap_or_else(Utc::now)
    }

    pub fn issued_at_ms(&self) -> i64 {
        if self.iat_ms > 0 {
            self.iat_ms
        } else {
            self.iat.saturating_mul(1000)
        }
    }

    pub fn subject(&self) -> Result<Uuid, AppError> {
        Uuid::parse_str(&self.sub).map_err(|_| invalid())
    }
}

/// A signed token and when it stops working.
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub jti: String,
}

pub fn issue_staff(keys: &JwtKeys, user_id: Uuid, hours: i64) -> Result<IssuedToken, AppError> {
    issue(keys, user_id, TokenKind::Staff, None, hours)
}

pub fn issue_client(
    keys: &JwtKeys,
    client_id: Uuid,
    portal_id: &str,
    hours: i64,
) -> Result<IssuedToken, AppError> {
    issue(keys, client_id, TokenKind::Client, Some(portal_id), hours)
}

fn issue(
    keys: &JwtKeys,
    subject: Uuid,
    kind: TokenKind,
    portal_id: Option<&str>,
    hours: i64,
) -> Result<IssuedToken, AppError> {
    let now = Utc::now();
    let expires_at = now + Duration::hours(hours);
    let claims = Claims {
        sub: subject.to_string(),
        jti: random_hex(16),
        iat: now.timestamp(),
        iat_ms: now.timestamp_millis(),
        exp: expires_at.timestamp(),
        kind,
        client_id: portal_id.map(|_| subject.to_string()),
        portal_id: portal_id.map(str::to_owned),
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
        .map_err(AppError::internal)?;
    Ok(IssuedToken {
        token,
        expires_at: claims.expires_at(),
        jti: claims.jti,
    })
}

/// Checks signature, algorithm and expiry. Revocation and account state are
/// checked by the caller, which has the database.
pub fn decode(keys: &JwtKeys, token: &str) -> Result<Claims, AppError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "sub"]);
    jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map(|d| d.claims)
        .map_err(|_| invalid())
}

fn invalid() -> AppError {
    AppError::Unauthenticated("the session token is invalid or has expired".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let id = Uuid::new_v4();
        let t = issue_client(&keys, id, "acme-1", 1).expect("issue");
        let c = decode(&keys, &t.token).expect("decode");
        assert_eq!(c.kind, TokenKind::Client);
        assert_eq!(c.client_id.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(c.portal_id.as_deref(), Some("acme-1"));
        assert_eq!(c.jti, t.jti);
        assert_eq!(c.jti.len(), 32);

        let other = JwtKeys::from_secret(b"another-secret-another-secret-xx");
        assert!(decode(&other, &t.token).is_err(), "foreign signature");
        let mut forged = t.token.clone();
        forged.push('x');
        assert!(decode(&keys, &forged).is_err(), "tampered token");
    }

    #[test]
    fn two_tokens_never_share_a_jti() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let a = issue_staff(&keys, Uuid::new_v4(), 1).expect("a");
        let b = issue_staff(&keys, Uuid::new_v4(), 1).expect("b");
        assert_ne!(a.jti, b.jti);
    }
}
