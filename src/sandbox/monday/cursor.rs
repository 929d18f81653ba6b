//! Opaque `items_page` cursors. A cursor pins the result set of the first
//! request (its item ids), so paging stays stable while items are created,
//! renamed or deleted: new items are not served, deleted ones are skipped.
//! Every cursor is valid for `ttl` after that first request, like Monday's 60
//! minutes; presenting one again returns the same page (safe to retry).
//! `expire_all` ends every cursor issued so far at once, the way a walk that
//! outlived its hour finds out at its next page.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::errors::SimError;

struct Entry {
    ids: Arc<[u64]>,
    /// Position of the next page in `ids`.
    pos: usize,
    /// Unix milliseconds of the request that started the paging.
    started_ms: u128,
}

pub struct Cursors {
    entries: HashMap<String, Entry>,
    ttl: Duration,
    issued: u64,
    /// Cursors with a serial up to this one were expired by `expire_all`.
    /// A serial, not a time: a walk started in the same millisecond as the
    /// expiry must still get a working cursor.
    expired_through: u64,
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// One page: the ids to serve and the cursor for the rest (None at the end).
pub struct Page {
    pub ids: Vec<u64>,
    pub cursor: Option<String>,
}

impl Cursors {
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            ttl,
            issued: 0,
            expired_through: 0,
        }
    }

    pub fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }

    fn expired(&self, started_ms: u128) -> bool {
        now_ms().saturating_sub(started_ms) > self.ttl.as_millis()
    }

    /// The first page of a fresh result set.
    pub fn first(&mut self, ids: Vec<u64>, limit: usize, exists: impl Fn(u64) -> bool) -> Page {
        let ids: Arc<[u64]> = ids.into();
        self.page(ids, 0, now_ms(), limit, exists)
    }

    /// The page a cursor points at.
    pub fn next(
        &mut self,
        cursor: &str,
        limit: usize,
        exists: impl Fn(u64) -> bool,
    ) -> Result<Page, SimError> {
        let Some(entry) = self.entries.get(cursor) else {
            return Err(match decode(cursor) {
                Some((started, serial))
                    if self.expired(started) || serial <= self.expired_through =>
                {
                    SimError::CursorExpired
                }
                _ => SimError::InvalidCursor,
            });
        };
        if self.expired(entry.started_ms) {
            self.entries.remove(cursor);
            return Err(SimError::CursorExpired);
        }
        let (ids, pos, started) = (entry.ids.clone(), entry.pos, entry.started_ms);
        Ok(self.page(ids, pos, started, limit, exists))
    }

    fn page(
        &mut self,
        ids: Arc<[u64]>,
        mut pos: usize,
        started_ms: u128,
        limit: usize,
        exists: impl Fn(u64) -> bool,
    ) -> Page {
        let mut out = Vec::with_capacity(limit.min(ids.len()));
        while pos < ids.len() && out.len() < limit {
            if exists(ids[pos]) {
                out.push(ids[pos]);
            }
            pos += 1;
        }
        // Deleted items at the tail must not leave a cursor to an empty page.
        while pos < ids.len() && !exists(ids[pos]) {
            pos += 1;
        }
        let cursor = (pos < ids.len()).then(|| {
            self.issued += 1;
            if self.issued.is_multiple_of(256) {
                self.purge();
            }
            let token = encode(started_ms, self.issued);
            self.entries.insert(
                token.clone(),
                Entry {
                    ids,
                    pos,
                    started_ms,
                },
            );
            token
        });
        Page { ids: out, cursor }
    }

    /// Expires every cursor issued so far; returns how many were still live.
    pub fn expire_all(&mut self) -> usize {
        self.purge();
        self.expired_through = self.issued;
        let live = self.entries.len();
        self.entries.clear();
        live
    }

    fn purge(&mut self) {
        let ttl = self.ttl.as_millis();
        let now = now_ms();
        self.entries
            .retain(|_, e| now.saturating_sub(e.started_ms) <= ttl);
    }
}

/// `MSw…`-style opaque token carrying its start time and serial, so a cursor
/// purged after expiry still reports "expired" rather than "invalid".
fn encode(started_ms: u128, serial: u64) -> String {
    let salt = uuid::Uuid::new_v4().simple().to_string();
    URL_SAFE_NO_PAD.encode(format!("1,{started_ms},{serial},{salt}"))
}

/// `(started_ms, serial)` of a token we issued.
fn decode(token: &str) -> Option<(u128, u64)> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split(',');
    (parts.next()? == "1").then_some(())?;
    let started = parts.next()?.parse().ok()?;
    Some((started, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_to_the_end_and_skips_deleted_items() {
        let mut c = Cursors::new(Duration::from_secs(60));
        let first = c.first((1..=5).collect(), 2, |_| true);
        assert_eq!(first.ids, vec![1, 2]);
        let cursor = first.cursor.unwrap();
        let second = c.next(&cursor, 2, |id| id != 3).unwrap();
        assert_eq!(second.ids, vec![4, 5]);
        assert!(second.cursor.is_none());
        // The same cursor again gives the same page (safe retries).
        assert_eq!(c.next(&cursor, 2, |id| id != 3).unwrap().ids, vec![4, 5]);
    }

    #[test]
    fn expired_and_unknown_cursors_differ() {
        let mut c = Cursors::new(Duration::from_secs(60));
        let cursor = c.first((1..=5).collect(), 2, |_| true).cursor.unwrap();
        c.set_ttl(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            c.next(&cursor, 2, |_| true).err().unwrap().code(),
            "CursorExpiredError"
        );
        assert_eq!(
            c.next(&cursor, 2, |_| true).err().unwrap().code(),
            "CursorExpiredError"
        );
        assert_eq!(
            c.next("garbage", 2, |_| true).err().unwrap().code(),
            "InvalidCursorException"
        );
    }

    #[test]
    fn expire_all_ends_issued_cursors_but_not_later_ones() {
        let mut c = Cursors::new(Duration::from_secs(3600));
        let old = c.first((1..=5).collect(), 2, |_| true).cursor.unwrap();
        assert_eq!(c.expire_all(), 1);
        assert_eq!(
            c.next(&old, 2, |_| true).err().unwrap().code(),
            "CursorExpiredError"
        );
        let fresh = c.first((1..=5).collect(), 2, |_| true).cursor.unwrap();
        assert_eq!(c.next(&fresh, 2, |_| true).unwrap().ids, vec![3, 4]);
    }
}
