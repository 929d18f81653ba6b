//! The one-click unsubscribe token in every notification (RFC 8058): a
//! signed statement "client X asked to stop these emails", checked without
//! a session. Its audience keeps it from ever passing for a session token,
//! and a session token from passing for it.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::keys::{JwtKeys, sign_for, verify_for};
use crate::error::AppError;

const AUDIENCE: &str = "bridgeboard:unsubscribe";
/// Long enough for a mail read months later; the worst a stolen token can
/// do is stop emails, which the client can turn back on.
const LIFETIME_DAYS: i64 = 365;

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    iat: i64,
    exp: i64,
}

pub fn token(keys: &JwtKeys, client_id: Uuid) -> Result<String, AppError> {
    let now = Utc::now();
    let claims = Claims {
        sub: client_id.to_string(),
        aud: AUDIENCE.to_owned(),
        iat: now.timestamp(),
        exp: (now + Duration::days(LIFETIME_DAYS)).timestamp(),
    };
    sign_for(keys, &claims).ok_or_else(|| AppError::internal(anyhow::anyhow!("signing failed")))
}

/// The client a token speaks for.
pub fn verify(keys: &JwtKeys, token: &str) -> Result<Uuid, AppError> {
    let invalid = || AppError::bad_request("this unsubscribe link is not valid");
    let claims: Claims = verify_for(keys, token, AUDIENCE).ok_or_else(invalid)?;
    claims.sub.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_client_and_nothing_else_passes() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let id = Uuid::new_v4();
        let t = token(&keys, id).expect("token");
        assert_eq!(verify(&keys, &t).expect("valid"), id);

        let other = JwtKeys::from_secret(b"fedcba9876543210fedcba9876543210");
        assert!(verify(&other, &t).is_err(), "another server's key");
        let mut tampered = t.clone();
        tampered.pop();
        assert!(verify(&keys, &tampered).is_err());
        assert!(verify(&keys, "").is_err());
        // A session token is signed with the same key, but is not for this.
        let session = crate::auth::jwt::issue_client(&keys, id, "P-1", 1).expect("session");
        assert!(verify(&keys, &session.token).is_err());
        // And this token is no session.
        assert!(crate::auth::jwt::decode(&keys, &t).is_err());
    }
}
