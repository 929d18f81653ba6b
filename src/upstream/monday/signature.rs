//! Checking the JWT Monday signs webhook deliveries with (in
//! `Authorization`, HS256 under the app's signing secret, audience our
//! endpoint URL, with an expiry).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the webhook signature is missing")]
    Missing,
    #[error("the webhook signature is invalid: {0}")]
    Invalid(String),
}

/// Verifies an `Authorization` header value (with or without `Bearer `).
pub fn verify(
    authorization: Option<&str>,
    secret: &[u8],
    audience: &str,
) -> Result<(), SignatureError> {
    let token = authorization
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty())
        .ok_or(SignatureError::Missing)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret), &validation)
        .map(drop)
        .map_err(|e| SignatureError::Invalid(e.to_string()))
}
