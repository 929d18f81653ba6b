//! API keys: format, hashing, masking, lookup and the per-key rate limit.
//!
//! A key looks like `bbk_<43 URL-safe characters>` (32 bytes from the OS
//! CSPRNG), so it is recognisable in logs and secret scanners. Only its
//! SHA-256 and the first characters (the display prefix) are stored: a fast
//! hash is enough because the key itself has 256 bits of entropy.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::Utc;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::{ApiKeyPermission, Identity};
use crate::db::entities::api_key;
use crate::db::repo::api_keys as repo;
use crate::error::AppError;
use crate::state::AppState;

pub const KEY_PREFIX: &str = "bbk_";
/// Characters of the key kept for display: the `bbk_` marker plus 8.
pub const DISPLAY_PREFIX_LEN: usize = 12;

pub fn generate() -> Result<String, AppError> {
    let mut buf = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| AppError::internal(anyhow::anyhow!("OS random generator: {e}")))?;
    Ok(format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
    ))
}

/// Hex SHA-256; also used for magic-link tokens.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn display_prefix(key: &str) -> String {
    key.chars().take(DISPLAY_PREFIX_LEN).collect()
}

/// What the API shows instead of the key: `bbk_AbCdEfGh…••••`.
pub fn masked(prefix: &str) -> String {
    format!("{prefix}…••••")
}

pub fn permission_to_db(p: ApiKeyPermission) -> &'static str {
    match p {
        ApiKeyPermission::ReadOnly => "read_only",
        ApiKeyPermission::Standard => "standard",
        ApiKeyPermission::Admin => "admin",
    }
}

pub fn permission_from_db(s: &str) -> ApiKeyPermission {
    match s {
        "admin" => ApiKeyPermission::Admin,
        "standard" => ApiKeyPermission::Standard,
        // Unknown values get the least power.
        _ => ApiKeyPermission::ReadOnly,
    }
}

/// One governor limiter per key id, each with that key's own quota. Keys are
/// few (admin-created), so a map of direct limiters stays small.
#[derive(Default)]
pub struct KeyLimiter {
    limiters: Mutex<HashMap<Uuid, (u32, Arc<DefaultDirectRateLimiter>)>>,
}

impl KeyLimiter {
    /// Takes one request from the key's budget, or says how long to wait.
    pub fn check(&self, key_id: Uuid, per_minute: u32) -> Result<(), AppError> {
        let limiter = {
            let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            let entry = map.entry(key_id).or_insert_with(|| (0, limiter(1)));
            if entry.0 != per_minute {
                *entry = (per_minute, limiter(per_minute));
            }
            entry.1.clone()
        };
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    pub fn forget(&self, key_id: Uuid) {
        self.limiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key_id);
    }
}

fn limiter(per_minute: u32) -> Arc<DefaultDirectRateLimiter> {
    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(Quota::per_minute(n)))
}

pub fn status_of(row: &api_key::Model) -> KeyStatus {
    if row.revoked_at.is_some() {
        KeyStatus::Revoked
    } else if row.expires_at.is_some_and(|e| e <= Utc::now()) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ApiKeyStatus")]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

/// Whether a key that authenticated a long-lived connection may still act:
/// not revoked, not expired, still there. A database error counts as no.
/// Subscriptions ask at every event, so a yes is remembered briefly; a
/// revocation on this replica forgets it at once.
pub async fn still_active(state: &AppState, key_id: Uuid) -> bool {
    let cache = &state.auth.identities;
    if cache.key_active(key_id) {
        return true;
    }
    let checked = cache.epoch();
    let Ok(Some(row)) = repo::find_by_id(&state.db, key_id).await else {
        return false;
    };
    if status_of(&row) != KeyStatus::Active {
        return false;
    }
    let expires_in = row
        .expires_at
        .map(|e| (e - Utc::now()).to_std().unwrap_or_default());
    cache.insert_active_key(key_id, expires_in, checked);
    true
}

/// Resolves an `X-API-Key` value: known, active, within its rate limit.
/// The first use of a key is audited.
pub async fn authenticate(
    state: &AppState,
    key: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Identity, AppError> {
    let invalid = || AppError::Unauthenticated("the API key is invalid".to_owned());
    if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
        return Err(invalid());
    }
    let row = repo::find_by_hash(&state.db, &sha256_hex(key))
        .await?
        .ok_or_else(invalid)?;
    match status_of(&row) {
        KeyStatus::Active => {}
        KeyStatus::Revoked => {
            return Err(AppError::Unauthenticated(
                "the API key was revoked".to_owned(),
            ));
        }
        KeyStatus::Expired => {
            return Err(AppError::Unauthenticated(
                "the API key has expired".to_owned(),
            ));
        }
    }
    let per_minute = u32::try_from(row.rate_limit_per_minute).unwrap_or(1);
    state.auth.key_limiter.check(row.id, per_minute)?;

    let identity = Identity::ApiKey {
        key_id: row.id,
        name: row.name.clone(),
        permission: permission_from_db(&row.permission),
        per_minute,
    };
    let first_use =
        repo::touch(&state.db, row.id, Utc::now(), chrono::Duration::seconds(60)).await?;
    if first_use {
        crate::auth::audit::record(
            state,
            &identity,
            "api_key.first_used",
            Some(row.id.to_string()),
            ip,
        )
        .await;
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_prefix_and_enough_entropy() {
        let a = generate().expect("a");
        let b = generate().expect("b");
        assert!(a.starts_with("bbk_"));
        assert_eq!(a.len(), 4 + 43);
        assert_ne!(a, b);
    }

    #[test]
    fn hash_and_mask_do_not_reveal_the_key() {
        let key = generate().expect("key");
        let h = sha256_hex(&key);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&key[4..]));
        let m = masked(&display_prefix(&key));
        assert!(m.starts_with(&key[..12]));
        assert!(!m.contains(&key[12..]));
    }

    #[test]
    fn limiter_refuses_past_the_quota_with_a_wait() {
        let l = KeyLimiter::default();
        let id = Uuid::new_v4();
        assert!(l.check(id, 2).is_ok());
        assert!(l.check(id, 2).is_ok());
        match l.check(id, 2) {
            Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(l.check(Uuid::new_v4(), 2).is_ok(), "keys are independent");
    }
}
