//! What an API key has spent: its per-minute budget (shared by every
//! replica, with the remaining budget an admin can read) and its request count, which is
//! gathered in memory and written in batches so a busy key does not write
//! the database on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::AppError;
use crate::limits::{Limits, LimitsError, OnOutage, Verdict};

/// Each key's budget is `per_minute` requests per minute, kept where every
/// replica sees it (`limits`); this remembers what the last request left,
/// for the admin's view.
pub struct KeyLimiter {
    limits: Arc<Limits>,
    last: Mutex<HashMap<Uuid, Last>>,
}

struct Last {
    per_minute: u32,
    left: u32,
    at: Instant,
}

const MINUTE: Duration = Duration::from_secs(60);

impl KeyLimiter {
    pub fn new(limits: Arc<Limits>) -> Self {
        Self {
            limits,
            last: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Last>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one request from the key's budget, or says how long to wait.
    pub async fn check(&self, key_id: Uuid, per_minute: u32) -> Result<(), AppError> {
        let key = format!("key:{key_id}");
        let verdict = self
            .limits
            .take(&key, per_minute, MINUTE, OnOutage::Configured)
            .await
            .map_err(|e| match e {
                LimitsError::Unreachable | LimitsError::Redis(_) => AppError::Unavailable(
                    "rate limits cannot be checked right now; retry shortly".to_owned(),
                ),
            })?;
        let (left, result) = match verdict {
            Verdict::Allowed { remaining } => (remaining, Ok(())),
            Verdict::Refused { retry_after } => (
                0,
                Err(AppError::RateLimited {
                    retry_after_secs: retry_after.as_secs_f64().ceil().max(1.0) as u64,
                }),
            ),
        };
        self.lock().insert(
            key_id,
            Last {
                per_minute,
                left,
                at: Instant::now(),
            },
        );
        result
    }

    /// Requests the key may make right now: what its last request here
    /// left, plus what the quota has replenished since (one per
    /// `60 / limit` s).
    pub fn remaining(&self, key_id: Uuid, per_minute: u32) -> u32 {
        let map = self.lock();
        let Some(last) = map.get(&key_id).filter(|b| b.per_minute == per_minute) else {
            return per_minute;
        };
        let per_request = 60.0 / f64::from(per_minute.max(1));
        let refilled = (last.at.elapsed().as_secs_f64() / per_request).floor() as u64;
        (u64::from(last.left) + refilled).min(u64::from(per_minute)) as u32
    }

    pub fn forget(&self, key_id: Uuid) {
        self.lock().remove(&key_id);
    }
}

/// Requests counted since the key's count was last written.
struct Pending {
    count: u64,
    since: Instant,
}

/// Counts requests per key between writes. `record` says when a write is
/// due; the count shown adds what is not written yet, so this replica's
/// readers always see every request it served.
pub struct UsageCounter {
    every: Duration,
    pending: Mutex<HashMap<Uuid, Pending>>,
}

impl UsageCounter {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request. Returns the requests to write now, when the key
    /// has not been written for `every`; the caller writes them.
    pub fn record(&self, key_id: Uuid) -> Option<u64> {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = map.entry(key_id).or_insert_with(|| Pending {
            count: 0,
            since: Instant::now() - self.every,
        });
        p.count += 1;
        if p.since.elapsed() < self.every {
            return None;
        }
        let due = p.count;
        p.count = 0;
        p.since = Instant::now();
        Some(due)
    }

    /// Every count not written yet, taken for writing (a periodic flush, and
    /// once more at shutdown).
    pub fn drain(&self) -> Vec<(Uuid, u64)> {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        map.iter_mut()
            .filter(|(_, p)| p.count > 0)
            .map(|(id, p)| {
                let due = std::mem::take(&mut p.count);
                p.since = Instant::now();
                (*id, due)
            })
            .collect()
    }

    /// Gives back a batch whose write failed, so it is written next time.
    pub fn restore(&self, key_id: Uuid, count: u64) {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = map.get_mut(&key_id) {
            p.count += count;
        }
    }

    /// Requests counted here and not yet written.
    pub fn unwritten(&self, key_id: Uuid) -> u64 {
        let map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&key_id).map_or(0, |p| p.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limiter_refuses_past_the_quota_with_a_wait() {
        let l = KeyLimiter::new(Arc::new(Limits::in_memory()));
        let id = Uuid::new_v4();
        assert_eq!(l.remaining(id, 2), 2, "an unused key has its whole budget");
        assert!(l.check(id, 2).await.is_ok());
        assert_eq!(l.remaining(id, 2), 1);
        assert!(l.check(id, 2).await.is_ok());
        assert_eq!(l.remaining(id, 2), 0);
        match l.check(id, 2).await {
            Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(
            l.check(Uuid::new_v4(), 2).await.is_ok(),
            "keys are independent"
        );
    }

    #[test]
    fn usage_is_written_in_batches_and_never_lost() {
        let c = UsageCounter::new(Duration::from_secs(3600));
        let id = Uuid::new_v4();
        assert_eq!(c.record(id), Some(1), "the first request is written");
        assert_eq!(c.record(id), None);
        assert_eq!(c.record(id), None);
        assert_eq!(c.unwritten(id), 2);
        c.restore(id, 5);
        assert_eq!(c.unwritten(id), 7, "a failed write is kept");
        assert_eq!(c.drain(), vec![(id, 7)], "a flush takes what is left");
        assert_eq!(c.unwritten(id), 0);
        assert!(c.drain().is_empty());
        let now = UsageCounter::new(Duration::ZERO);
        assert_eq!(now.record(id), Some(1));
        assert_eq!(now.record(id), Some(1));
    }
}
