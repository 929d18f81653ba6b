//! Password hashing with argon2id (PHC strings carry their own salt and
//! parameters). Hashing is CPU-heavy, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::TryRngCore;

use crate::error::AppError;

/// Shortest password we accept, for people and for the bootstrap variables.
pub const MIN_LENGTH: usize = 8;
const MAX_LENGTH: usize = 1024;

pub fn validate(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AppError::bad_request(format!(
            "the password must be at least {MIN_LENGTH} characters"
        )));
    }
    if password.len() > MAX_LENGTH {
        return Err(AppError::bad_request("the password is too long"));
    }
    Ok(())
}

pub async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_sync(&password))
        .await
        .map_err(AppError::internal)?
}

pub fn hash_sync(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Whether `password` matches `stored`. With `stored == None` a dummy hash is
/// checked anyway, so an unknown username costs the same time as a wrong
/// password and the timing does not reveal which accounts exist.
pub async fn verify(stored: Option<String>, password: &str) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A strong random password (24 URL-safe characters, 144 bits).
pub fn generate() -> Result<String, AppError> {
    let mut buf = [0u8; 18];
    fill(&mut buf)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

fn fill(buf: &mut [u8]) -> Result<(), AppError> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| AppError::internal(anyhow::anyhow!("OS random generator: {e}")))
}

/// argon2id hash of a random string nobody knows, same parameters as real ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0fYVYtM1bdHvYHs3QKIvvSGuIFRjcfPTl8iL6l0SyBk";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let a = hash("correct horse battery").await.expect("hash");
        let b = hash("correct horse battery").await.expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("correct horse"));
        assert!(verify(Some(a.clone()), "correct horse battery").await);
        assert!(!verify(Some(a), "correct horse batterx").await);
        assert!(!verify(None, "anything").await);
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate().expect("a");
        let b = generate().expect("b");
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(validate(&a).is_ok());
        assert!(validate("short").is_err());
    }
}
