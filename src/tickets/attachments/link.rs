//! Download links a browser can open without our bearer token: a short-lived
//! signed statement "this viewer may fetch this file". The viewer's right to
//! the file is checked again when the link is used, so a note made internal
//! since, or a ticket that changed hands, is not served.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Viewer;
use crate::auth::keys::{JwtKeys, sign_for, verify_for};
use crate::error::AppError;

const AUDIENCE: &str = "bridgeboard:attachment";
/// Long enough to click a link in a page just loaded.
const LIFETIME_MINUTES: i64 = 10;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// The attachment.
    sub: String,
    /// `staff`, or the client's id.
    viewer: String,
    aud: String,
    exp: i64,
}

pub fn token(keys: &JwtKeys, attachment: Uuid, viewer: Viewer) -> Result<String, AppError> {
    let claims = Claims {
        sub: attachment.to_string(),
        viewer: match viewer {
            Viewer::Staff => "staff".to_owned(),
            Viewer::Client(id) => id.to_string(),
        },
        aud: AUDIENCE.to_owned(),
        exp: (Utc::now() + Duration::minutes(LIFETIME_MINUTES)).timestamp(),
    };
    sign_for(keys, &claims).ok_or_else(|| AppError::internal(anyhow::anyhow!("signing failed")))
}

/// Who a link speaks for, when it is valid for `attachment`.
pub fn verify(keys: &JwtKeys, token: &str, attachment: Uuid) -> Result<Viewer, AppError> {
    let invalid =
        || AppError::Unauthenticated("this download link has expired or is not valid".to_owned());
    let claims: Claims = verify_for(keys, token, AUDIENCE).ok_or_else(invalid)?;
    if claims.sub != attachment.to_string() {
        return Err(invalid());
    }
    match claims.viewer.as_str() {
        "staff" => Ok(Viewer::Staff),
        id => id.parse().map(Viewer::Client).map_err(|_| invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_one_file_for_one_viewer() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let file = Uuid::new_v4();
        let client = Uuid::new_v4();
        let t = token(&keys, file, Viewer::Client(client)).expect("token");
        assert_eq!(
            verify(&keys, &t, file).expect("valid"),
            Viewer::Client(client)
        );
        assert!(verify(&keys, &t, Uuid::new_v4()).is_err(), "another file");
        let other = JwtKeys::from_secret(b"fedcba9876543210fedcba9876543210");
        assert!(verify(&other, &t, file).is_err(), "another server's key");
        // A session token is signed with the same key, but opens nothing.
        let session = crate::auth::jwt::issue_client(&keys, client, "P-1", 1).expect("session");
        assert!(verify(&keys, &session.token, file).is_err());
        assert!(
            crate::auth::jwt::decode(&keys, &t).is_err(),
            "and is no session"
        );
    }
}
