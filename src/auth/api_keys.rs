//! API keys: format, hashing, masking, the rules for creating and revoking
//! them, lookup, and the per-key rate limit.
//!
//! A key looks like `bbk_<43 URL-safe characters>` (32 bytes from the OS
//! CSPRNG), so it is recognisable in logs and secret scanners. Only its
//! SHA-256 and the first characters (the display prefix) are stored: a fast
//! hash is enough because the key itself has 256 bits of entropy.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use rand::TryRngCore;
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::audit::{Audit, actions};
use crate::auth::identity_cache::IdentityCache;
use crate::auth::key_usage::{KeyLimiter, UsageCounter};
use crate::auth::{Actor, ApiKeyPermission, Identity};
use crate::changes::{Change, ChangeSignal};
use crate::db::entities::api_key;
use crate::db::repo::api_keys as repo;
use crate::error::AppError;

pub const KEY_PREFIX: &str = "bbk_";
/// How often a busy key's use (`last_used`, `usage_count`) is written.
const USAGE_WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
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

/// What an admin asks for when creating a key.
pub struct NewApiKey {
    pub name: String,
    pub permission: ApiKeyPermission,
    /// Days until the key stops working; never when `None`.
    pub expires_in_days: Option<i32>,
    pub rate_limit_per_minute: i32,
    pub description: Option<String>,
}

/// Keys: who may hold one, what it allows, and its per-minute budget.
pub struct ApiKeyService {
    db: DatabaseConnection,
    limiter: KeyLimiter,
    usage: UsageCounter,
    identities: Arc<IdentityCache>,
    changes: Arc<ChangeSignal>,
    audit: Audit,
}

impl ApiKeyService {
    pub fn new(
        db: DatabaseConnection,
        identities: Arc<IdentityCache>,
        changes: Arc<ChangeSignal>,
        audit: Audit,
        limits: Arc<crate::limits::Limits>,
    ) -> Self {
        Self {
            db,
            limiter: KeyLimiter::new(limits),
            usage: UsageCounter::new(USAGE_WRITE_EVERY),
            identities,
            changes,
            audit,
        }
    }

    /// Creates a key and returns it with its row. The key is shown only this
    /// once; only its hash is stored.
    #[tracing::instrument(skip_all, fields(name = %input.name))]
    pub async fn create(
        &self,
        actor: Actor<'_>,
        input: NewApiKey,
    ) -> Result<(String, api_key::Model), AppError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::bad_request("name must be 1 to 100 characters"));
        }
        if !(1..=100_000).contains(&input.rate_limit_per_minute) {
            return Err(AppError::bad_request(
                "rateLimitPerMinute must be between 1 and 100000",
            ));
        }
        let expires_at = match input.expires_in_days {
            None => None,
            Some(d @ 1..=3650) => Some(Utc::now() + chrono::Duration::days(d.into())),
            Some(_) => {
                return Err(AppError::bad_request(
                    "expiresInDays must be between 1 and 3650",
                ));
            }
        };
        let description = input
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(1000).collect::<String>());
        let key = generate()?;
        let row = api_key::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set(name.to_owned()),
            description: Set(description),
            permission: Set(permission_to_db(input.permission).to_owned()),
            key_hash: Set(sha256_hex(&key)),
            key_prefix: Set(display_prefix(&key)),
            rate_limit_per_minute: Set(input.rate_limit_per_minute),
            created_by: Set(Some(actor.identity.audit_actor())),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
            usage_count: Set(0),
        };
        let created = repo::insert(&self.db, row).await?;
        let target = Some(format!("api_key:{} ({})", created.name, created.id));
        self.audit
            .record(actor, actions::API_KEY_CREATED, target)
            .await;
        Ok((key, created))
    }

    /// Revokes a key at once; it cannot be restored. Revoking a revoked key
    /// changes nothing and is not an error.
    #[tracing::instrument(skip_all, fields(key = %id))]
    pub async fn revoke(&self, actor: Actor<'_>, id: Uuid) -> Result<api_key::Model, AppError> {
        let revoked = repo::revoke(&self.db, id).await?;
        let row = self.get(id).await?;
        if revoked {
            self.limiter.forget(id);
            self.changes.publish(Change::ApiKeyRevoked { key_id: id });
            let target = Some(format!("api_key:{} ({})", row.name, row.id));
            self.audit
                .record(actor, actions::API_KEY_REVOKED, target)
                .await;
        }
        Ok(row)
    }

    /// Every key, newest first, whatever its status.
    pub async fn list(&self) -> Result<Vec<api_key::Model>, AppError> {
        Ok(repo::list(&self.db).await?)
    }

    pub async fn get(&self, id: Uuid) -> Result<api_key::Model, AppError> {
        repo::find_by_id(&self.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound("no such API key".to_owned()))
    }

    /// Writes every request counted and not yet written. A key used in a
    /// burst and then left alone would otherwise keep its last counts in
    /// memory only.
    pub async fn flush_usage(&self) {
        for (id, count) in self.usage.drain() {
            if let Err(e) = repo::record_use(&self.db, id, Utc::now(), count).await {
                self.usage.restore(id, count);
                tracing::warn!(error = %e, "cannot record an API key's use");
            }
        }
    }

    /// Flushes the usage counts every few seconds, for as long as it runs.
    pub async fn run_usage_flush(self: Arc<Self>) {
        loop {
            tokio::time::sleep(USAGE_WRITE_EVERY).await;
            self.flush_usage().await;
        }
    }

    /// Requests made with the key, including those this replica has not
    /// written yet.
    pub fn usage_count(&self, row: &api_key::Model) -> i64 {
        row.usage_count
            .saturating_add(i64::try_from(self.usage.unwritten(row.id)).unwrap_or(i64::MAX))
    }

    /// What is left of the key's per-minute budget right now.
    pub fn rate_limit_remaining(&self, row: &api_key::Model) -> u32 {
        let per_minute = u32::try_from(row.rate_limit_per_minute).unwrap_or(1);
        self.limiter.remaining(row.id, per_minute)
    }

    /// Takes one request from the key's per-minute budget (WebSocket
    /// operations pay here; HTTP requests when their key is checked).
    pub async fn charge(&self, key_id: Uuid, per_minute: u32) -> Result<(), AppError> {
        self.limiter.check(key_id, per_minute).await
    }

    /// Whether a key that authenticated a long-lived connection may still act:
    /// not revoked, not expired, still there. A database error counts as no.
    /// Subscriptions ask at every event, so a yes is remembered briefly; a
    /// revocation on this replica forgets it at once.
    pub async fn still_active(&self, key_id: Uuid) -> bool {
        let cache = &self.identities;
        if cache.key_active(key_id) {
            return true;
        }
        let checked = cache.epoch();
        let Ok(Some(row)) = repo::find_by_id(&self.db, key_id).await else {
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
    pub async fn authenticate(&self, key: &str, ip: Option<IpAddr>) -> Result<Identity, AppError> {
        let invalid = || AppError::Unauthenticated("the API key is invalid".to_owned());
        if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
            return Err(invalid());
        }
        let hash = sha256_hex(key);
        if let Some(identity) = self.identities.verified_key(&hash) {
            if let Identity::ApiKey {
                key_id, per_minute, ..
            } = &identity
            {
                self.limiter.check(*key_id, *per_minute).await?;
                self.note_use(&identity, *key_id, ip).await;
            }
            return Ok(identity);
        }
        let checked = self.identities.epoch();
        let row = repo::find_by_hash(&self.db, &hash)
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
        self.limiter.check(row.id, per_minute).await?;

        let identity = Identity::ApiKey {
            key_id: row.id,
            name: row.name.clone(),
            permission: permission_from_db(&row.permission),
            per_minute,
        };
        let expires_in = row
            .expires_at
            .map(|e| (e - Utc::now()).to_std().unwrap_or_default());
        self.identities
            .insert_verified_key(&hash, &identity, expires_in, checked);
        self.note_use(&identity, row.id, ip).await;
        Ok(identity)
    }

    /// Counts one use of a key; writes the count when one is due, and
    /// audits the key's first use.
    async fn note_use(&self, identity: &Identity, key_id: Uuid, ip: Option<IpAddr>) {
        let Some(count) = self.usage.record(key_id) else {
            return;
        };
        match repo::record_use(&self.db, key_id, Utc::now(), count).await {
            Ok(true) => {
                let name = match identity {
                    Identity::ApiKey { name, .. } => name.as_str(),
                    _ => "",
                };
                self.audit
                    .record(
                        Actor::new(identity, ip),
                        actions::API_KEY_FIRST_USED,
                        Some(format!("api_key:{name} ({key_id})")),
                    )
                    .await;
            }
            Ok(false) => {}
            Err(e) => {
                self.usage.restore(key_id, count);
                tracing::warn!(error = %e, "cannot record an API key's use");
            }
        }
    }
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

    fn new_key(name: &str, permission: ApiKeyPermission) -> NewApiKey {
        NewApiKey {
            name: name.to_owned(),
            permission,
            expires_in_days: None,
            rate_limit_per_minute: 2,
            description: Some("  ".to_owned()),
        }
    }

    #[tokio::test]
    async fn a_key_works_until_revoked_and_pays_its_limit() {
        let s = crate::auth::testing::services().await;
        let admin = Identity::Anonymous;
        let actor = Actor::new(&admin, None);
        let (key, row) = s
            .api_keys
            .create(actor, new_key(" reports ", ApiKeyPermission::ReadOnly))
            .await
            .expect("created");
        assert_eq!(row.name, "reports");
        assert_eq!(row.description, None, "a blank description is none");
        assert_ne!(row.key_hash, key, "only the hash is stored");
        match s.api_keys.authenticate(&key, None).await {
            Ok(Identity::ApiKey { permission, .. }) => {
                assert_eq!(permission, ApiKeyPermission::ReadOnly)
            }
            other => panic!("{other:?}"),
        }
        assert!(s.api_keys.authenticate(&key, None).await.is_ok());
        assert!(matches!(
            s.api_keys.authenticate(&key, None).await,
            Err(AppError::RateLimited { .. })
        ));
        assert!(s.api_keys.still_active(row.id).await);
        s.api_keys.revoke(actor, row.id).await.expect("revoked");
        assert!(!s.api_keys.still_active(row.id).await, "forgotten at once");
        assert!(matches!(
            s.api_keys.authenticate(&key, None).await,
            Err(AppError::Unauthenticated(_))
        ));
        assert!(matches!(
            s.api_keys.authenticate("bbk_not-a-key", None).await,
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[tokio::test]
    async fn key_requests_are_checked() {
        let s = crate::auth::testing::services().await;
        let admin = Identity::Anonymous;
        let actor = Actor::new(&admin, None);
        for bad in [
            new_key("", ApiKeyPermission::Admin),
            NewApiKey {
                rate_limit_per_minute: 0,
                ..new_key("k", ApiKeyPermission::Admin)
            },
            NewApiKey {
                expires_in_days: Some(0),
                ..new_key("k", ApiKeyPermission::Admin)
            },
        ] {
            let refused = s.api_keys.create(actor, bad).await;
            assert!(
                matches!(refused, Err(AppError::BadRequest(_))),
                "{refused:?}"
            );
        }
        assert!(matches!(
            s.api_keys.revoke(actor, Uuid::new_v4()).await,
            Err(AppError::NotFound(_))
        ));
    }
}
