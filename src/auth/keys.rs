//! The HS256 key that signs every session token. Taken from `JWT_SECRET_KEY`,
//! or generated once and kept in the database so that all replicas agree.

use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::TryRngCore;
use sea_orm::{ConnectionTrait, DbErr};
use secrecy::ExposeSecret;

use crate::config::JwtConfig;
use crate::db::repo::settings;

const SETTING_KEY: &str = "jwt_secret";

pub struct JwtKeys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub async fn load(cfg: &JwtConfig, db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        if let Some(secret) = &cfg.secret {
            return Ok(Self::from_secret(secret.expose_secret().as_bytes()));
        }
        let stored = settings::get_or_insert(db, SETTING_KEY, || random_hex(32)).await?;
        Ok(Self::from_secret(stored.as_bytes()))
    }
}

/// A token for one purpose (its audience), signed with the session key.
/// The audience keeps it from passing for a session, or for another
/// purpose's token.
pub fn sign_for<C: serde::Serialize>(keys: &JwtKeys, claims: &C) -> Option<String> {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(&header, claims, &keys.encoding).ok()
}

/// The claims of a valid, unexpired token for `audience`.
pub fn verify_for<C: serde::de::DeserializeOwned>(
    keys: &JwtKeys,
    token: &str,
    audience: &str,
) -> Option<C> {
    if token.is_empty() || token.len() > 2048 {
        return None;
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "sub", "aud"]);
    jsonwebtoken::decode::<C>(token, &keys.decoding, &validation)
        .ok()
        .map(|t| t.claims)
}

/// `n` bytes from the operating system's CSPRNG, hex encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS generator only fails when the platform has no entropy source at
    // all, in which case nothing secure can run; stopping is the right outcome.
    #[allow(clippy::expect_used)]
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .expect("operating system random number generator is unavailable");
    hex::encode(buf)
}
