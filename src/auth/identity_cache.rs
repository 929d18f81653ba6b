//! Remembers for a few seconds that a session token passed its database checks
//! (not revoked, account still there), so a busy portal pays one signature
//! check per request instead of two queries. Logout and account changes on
//! this replica take effect at once; `CACHE_IDENTITY_TTL_MS` bounds how long
//! one made through another replica (or the CLI) can go unseen.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::Identity;

pub struct IdentityCache {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Keyed by the token's `jti`.
    entries: HashMap<String, (Identity, Instant)>,
    /// Bumped by every invalidation, so a check that raced one is not stored.
    epoch: u64,
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
        if inner.epoch != checked.0 {
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
    fn stays_within_its_bound() {
        let cache = IdentityCache::new(Duration::from_secs(60), 3);
        for jti in ["a", "b", "c", "d"] {
            cache.insert(&staff(jti), cache.epoch());
        }
        assert!(cache.lock().entries.len() <= 3);
        assert!(cache.get("d").is_some());
    }
}
