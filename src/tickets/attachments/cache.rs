//! Files recently downloaded from Monday, kept in memory up to a byte
//! budget so a screenshot opened by a client and two staff is fetched once.
//! Least recently used goes first; a file over a quarter of the budget is
//! never kept, so one large download cannot empty the cache.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

pub struct AssetCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (Bytes, u64)>,
    used: usize,
    tick: u64,
}

impl AssetCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::default(),
        }
    }

    /// Whether a file of `size` bytes would be kept.
    pub fn admits(&self, size: u64) -> bool {
        size <= (self.capacity / 4) as u64
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let (bytes, used) = inner.entries.get_mut(key)?;
        *used = tick;
        Some(bytes.clone())
    }

    pub fn put(&self, key: &str, bytes: Bytes) {
        if !self.admits(bytes.len() as u64) {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((old, _)) = inner.entries.remove(key) {
            inner.used -= old.len();
        }
        while inner.used + bytes.len() > self.capacity {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((b, _)) = inner.entries.remove(&oldest) {
                inner.used -= b.len();
            }
        }
        inner.used += bytes.len();
        inner.entries.insert(key.to_owned(), (bytes, tick));
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.lock().used
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_its_budget_dropping_the_least_recently_used() {
        let c = AssetCache::new(100);
        c.put("a", Bytes::from(vec![1; 25]));
        c.put("b", Bytes::from(vec![2; 25]));
        c.put("c", Bytes::from(vec![3; 25]));
        c.put("d", Bytes::from(vec![4; 25]));
        assert_eq!(c.used(), 100);
        // "a" was read last, so "b" is the one to go.
        assert!(c.get("a").is_some());
        c.put("e", Bytes::from(vec![5; 25]));
        assert_eq!(c.used(), 100);
        assert!(c.get("b").is_none());
        assert_eq!(c.get("a").as_deref(), Some(&[1u8; 25][..]));
        // Over a quarter of the budget: never kept.
        c.put("big", Bytes::from(vec![0; 26]));
        assert!(c.get("big").is_none());
        assert_eq!(c.used(), 100);
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let c = AssetCache::new(0);
        c.put("a", Bytes::from_static(b"x"));
        assert!(c.get("a").is_none());
        assert_eq!(c.used(), 0);
    }
}
