//! Remembers for a few seconds that a session token passed its database checks
//! (not revoked, account still there), so a busy portal pays one signature
//! check per request instead of two queries. Logout and account changes on
//! this replica take effect at once; `CACHE_IDENTITY_TTL_MS` bounds how long
//! one made through another replica (or the CLI) can go unseen.
//!
//! With several replicas on PostgreSQL, their logouts and revocations
//! arrive through the change relay; while it is down nothing is remembered.
//!
//! The same goes for API keys: a key that passed its checks is remembered by
//! its hash, so a script calling in a loop pays no lookup per request, and
//! the subscriptions of a key re-check it at every event. A revocation here
//! (or relayed from another replica) forgets the key at once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Identity;
use crate::changes::{Change, Listener};

pub struct IdentityCache {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Keyed by the token's `jti`.
    entries: HashMap<String, (Identity, Instant)>,
    /// API keys found active, each until its recheck is due.
    keys: HashMap<Uuid, Instant>,
    /// Verified API keys by the SHA-256 of their secret, each until its
    /// recheck is due.
    key_hashes: HashMap<String, (Identity, Instant)>,
    /// Bumped by every invalidation, so a check that raced one is not stored.
    epoch: u64,
    /// Changes made through other replicas are not reaching us: nothing is
    /// served or kept until they do.
    distrusted: bool,
}

/// Taken before the database checks; `insert` keeps the result only if no
/// invalidation happened in between.
#[derive(Clone, Copy, Debug)]
pub struct Epoch(u64);

impl IdentityCache {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the map consistent, so a panic
        // elsewhere while holding the lock does not make it unusable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, jti: &str) -> Option<Identity> {
        if self.ttl.is_zero() {
            return None;
        }
        let inner = self.lock();
        if inner.distrusted {
            return None;
        }
        let (identity, at) = inner.entries.get(jti)?;
        (at.elapsed() < self.ttl).then(|| identity.clone())
    }

    pub fn epoch(&self) -> Epoch {
        Epoch(self.lock().epoch)
    }

    pub fn insert(&self, identity: &Identity, checked: Epoch) {
        let Some(jti) = identity.jti().filter(|_| !self.ttl.is_zero()) else {
            return;
        };
        let mut inner = self.lock();
        if inner.epoch != checked.0 || inner.distrusted {
            return;
        }
        if inner.entries.len() >= self.max_entries {
            let ttl = self.ttl;
            inner.entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if inner.entries.len() >= self.max_entries {
                inner.entries.clear();
            }
        }
        inner
            .entries
            .insert(jti.to_owned(), (identity.clone(), Instant::now()));
    }

    /// Whether `key` was found active within the last TTL (and its expiry).
    pub fn key_active(&self, key: Uuid) -> bool {
        let inner = self.lock();
        !inner.distrusted
            && inner
                .keys
                .get(&key)
                .is_some_and(|until| Instant::now() < *until)
    }

    /// Remembers that `key` was active, for the TTL or until `expires_in`.
    pub fn insert_active_key(&self, key: Uuid, expires_in: Option<Duration>, checked: Epoch) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != checked.0 || inner.distrusted {
            return;
        }
        if inner.keys.len() >= self.max_entries {
            let now = Instant::now();
            inner.keys.retain(|_, until| now < *until);
            if inner.keys.len() >= self.max_entries {
                inner.keys.clear();
            }
        }
        let until = Instant::now() + expires_in.map_or(self.ttl, |e| e.min(self.ttl));
        inner.keys.insert(key, until);
    }

    /// The identity of the API key whose secret hashes to `hash`, when it
    /// was verified within the TTL (and before its expiry).
    pub fn verified_key(&self, hash: &str) -> Option<Identity> {
        let inner = self.lock();
        if inner.distrusted {
            return None;
        }
        let (identity, until) = inner.key_hashes.get(hash)?;
        (Instant::now() < *until).then(|| identity.clone())
    }

    /// Remembers a verified API key, for the TTL or until `expires_in`.
    pub fn insert_verified_key(
        &self,
        hash: &str,
        identity: &Identity,
        expires_in: Option<Duration>,
        checked: Epoch,
    ) {
        if self.ttl.is_zero() || !matches!(identity, Identity::ApiKey { .. }) {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != checked.0 || inner.distrusted {
            return;
        }
        if inner.key_hashes.len() >= self.max_entries {
            let now = Instant::now();
            inner.key_hashes.retain(|_, (_, until)| now < *until);
            if inner.key_hashes.len() >= self.max_entries {
                inner.key_hashes.clear();
            }
        }
        let until = Instant::now() + expires_in.map_or(self.ttl, |e| e.min(self.ttl));
        inner
            .key_hashes
            .insert(hash.to_owned(), (identity.clone(), until));
    }

    /// A key was revoked.
    pub fn forget_key(&self, key: Uuid) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.keys.remove(&key);
        inner
            .key_hashes
            .retain(|_, (identity, _)| !matches!(identity, Identity::ApiKey { key_id, .. } if *key_id == key));
    }

    /// One session ended (logout).
    pub fn forget(&self, jti: &str) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.remove(jti);
    }

    /// An account changed (password, deletion, a client's details): which
    /// tokens that affects is not worth working out for so rare an event.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.clear();
        inner.keys.clear();
        inner.key_hashes.clear();
    }
}

impl Listener for IdentityCache {
    fn changed(&self, change: &Change) {
        match change {
            Change::SessionEnded { jti } => self.forget(jti),
            Change::ApiKeyRevoked { key_id } => self.forget_key(*key_id),
            Change::AccountsChanged => self.clear(),
            Change::Ticket(_) | Change::Data(_) | Change::PipelineRun { .. } => {}
        }
    }

    fn trust(&self, trusted: bool) {
        self.clear();
        self.lock().distrusted = !trusted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn staff(jti: &str) -> Identity {
        Identity::Staff {
            user_id: uuid::Uuid::nil(),
            username: "ada".to_owned(),
            role: Role::Admin,
            jti: jti.to_owned(),
        }
    }

    #[test]
    fn remembers_until_forgotten() {
        let cache = IdentityCache::new(Duration::from_secs(60), 10);
        cache.insert(&staff("a"), cache.epoch());
        assert!(cache.get("a").is_some());
        assert!(cache.get("b").is_none());
        cache.forget("a");
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_check_that_raced_an_invalidation_is_not_kept() {
        let cache = IdentityCache::new(Duration::from_secs(60), 10);
        let before = cache.epoch();
        cache.forget("a");
        cache.insert(&staff("a"), before);
        assert!(cache.get("a").is_none());
    }

    fn key(key_id: Uuid) -> Identity {
        Identity::ApiKey {
            key_id,
            name: "nightly".to_owned(),
            permission: crate::auth::ApiKeyPermission::ReadOnly,
            per_minute: 60,
        }
    }

    #[test]
    fn a_verified_key_is_remembered_by_hash_until_revoked_expired_or_distrusted() {
        let cache = IdentityCache::new(Duration::from_secs(60), 10);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert_verified_key("ha", &key(a), None, cache.epoch());
        cache.insert_verified_key("hb", &key(b), Some(Duration::ZERO), cache.epoch());
        assert!(cache.verified_key("ha").is_some());
        assert!(cache.verified_key("hb").is_none(), "kept past its expiry");
        cache.insert_verified_key("hs", &staff("s"), None, cache.epoch());
        assert!(cache.verified_key("hs").is_none(), "only API keys");
        let before = cache.epoch();
        cache.forget_key(a);
        assert!(cache.verified_key("ha").is_none());
        cache.insert_verified_key("ha", &key(a), None, before);
        assert!(cache.verified_key("ha").is_none(), "raced the revocation");
        cache.insert_verified_key("ha", &key(a), None, cache.epoch());
        cache.trust(false);
        assert!(cache.verified_key("ha").is_none());
        cache.insert_verified_key("ha", &key(a), None, cache.epoch());
        assert!(
            cache.verified_key("ha").is_none(),
            "nothing kept while distrusted"
        );
    }

    #[test]
    fn an_active_key_is_remembered_until_revoked_or_expired() {
        let cache = IdentityCache::new(Duration::from_secs(60), 10);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert_active_key(a, None, cache.epoch());
        cache.insert_active_key(b, Some(Duration::ZERO), cache.epoch());
        assert!(cache.key_active(a));
        assert!(!cache.key_active(b), "kept past the key's own expiry");
        let before = cache.epoch();
        cache.forget_key(a);
        assert!(!cache.key_active(a));
        cache.insert_active_key(a, None, before);
        assert!(!cache.key_active(a), "a check that raced the revocation");
    }

    #[test]
    fn entries_expire_and_zero_disables() {
        let cache = IdentityCache::new(Duration::from_millis(1), 10);
        cache.insert(&staff("a"), cache.epoch());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("a").is_none());
        let off = IdentityCache::new(Duration::ZERO, 10);
        off.insert(&staff("a"), off.epoch());
        assert!(off.get("a").is_none());
    }

    #[test]
    fn remembers_nothing_while_distrusted_and_starts_afresh() {
        let cache = IdentityCache::new(Duration::from_secs(60), 10);
        let key = Uuid::new_v4();
        cache.insert(&staff("a"), cache.epoch());
        cache.insert_active_key(key, None, cache.epoch());
        cache.trust(false);
        assert!(cache.get("a").is_none());
        assert!(!cache.key_active(key));
        cache.insert(&staff("b"), cache.epoch());
        cache.insert_active_key(key, None, cache.epoch());
        assert!(cache.get("b").is_none(), "nothing kept while distrusted");
        let before = cache.epoch();
        cache.trust(true);
        assert!(cache.get("a").is_none() && !cache.key_active(key));
        cache.insert(&staff("c"), before);
        assert!(cache.get("c").is_none(), "a check from the gap is not kept");
        cache.insert(&staff("c"), cache.epoch());
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn stays_within_its_bound() {
        let cache = IdentityCache::new(Duration::from_secs(60), 3);
        for jti in ["a", "b", "c", "d"] {
            cache.insert(&staff(jti), cache.epoch());
        }
        assert!(cache.lock().entries.len() <= 3);
        assert!(cache.get("d").is_some());
    }
}
