//! Rate limits that hold across replicas. With `REDIS_URL` the budgets live
//! in Redis (one Lua script, one round trip per request); otherwise on
//! PostgreSQL in a table (one statement); on SQLite, a single process, in
//! memory. All three apply the same rule (`gcra.rs`). A shared store that
//! cannot be reached is logged, and the caller says whether to refuse or to
//! fall back to this replica's own budget meanwhile; it recovers by itself.

pub mod gcra;
mod store;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::config::LimitsConfig;
pub use gcra::Verdict;
use store::Store;

#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    #[error("REDIS_URL cannot be used: {0}")]
    Redis(String),
    #[error("the rate-limit store cannot be reached")]
    Unreachable,
}

/// What to do while the shared store cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOutage {
    /// As `RATE_LIMIT_FAIL_OPEN` says.
    Configured,
    /// Refuse, whatever the setting (login attempts).
    Refuse,
}

pub struct Limits {
    store: Store,
    fail_open: bool,
    /// This process's own budgets: the store on SQLite, and the fallback of
    /// a replica whose shared store is down when failing open.
    local: Mutex<HashMap<String, i64>>,
    /// Refusals, and decisions made while the shared store was down.
    refused: AtomicU64,
    outages: AtomicU64,
    last_outage_log: Mutex<Option<Instant>>,
    /// After a failure the store is left alone for `BREAK_FOR`, so requests
    /// do not each wait out a timeout while it is down.
    broken_until: Mutex<Option<Instant>>,
}

/// Past this many local budgets, spent-out ones are swept.
const LOCAL_SWEEP_AT: usize = 10_000;
/// How often an outage is logged while it lasts.
const OUTAGE_LOG_EVERY: Duration = Duration::from_secs(10);
const BREAK_FOR: Duration = Duration::from_secs(1);

impl Limits {
    /// Redis when configured, else the database when it is shared
    /// (PostgreSQL), else memory.
    pub fn new(cfg: &LimitsConfig, db: &DatabaseConnection) -> Result<Self, LimitsError> {
        let store = match &cfg.redis_url {
            Some(url) => Store::redis(url)?,
            None if db.get_database_backend() == DatabaseBackend::Postgres => {
                Store::Postgres(db.clone())
            }
            None => Store::Memory,
        };
        Ok(Self::with_store(store, cfg.fail_open))
    }

    /// Budgets kept in this process only.
    pub fn in_memory() -> Self {
        Self::with_store(Store::Memory, false)
    }

    fn with_store(store: Store, fail_open: bool) -> Self {
        Self {
            store,
            fail_open,
            local: Mutex::default(),
            refused: AtomicU64::new(0),
            outages: AtomicU64::new(0),
            last_outage_log: Mutex::new(None),
            broken_until: Mutex::new(None),
        }
    }

    /// "redis", "postgres" or "memory".
    pub fn store_name(&self) -> &'static str {
        self.store.name()
    }

    /// Requests refused for want of budget, on this replica.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Decisions the shared store could not make.
    pub fn outages(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }

    /// Takes one from `key`'s budget of `limit` per `window`.
    pub async fn take(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        on_outage: OnOutage,
    ) -> Result<Verdict, LimitsError> {
        let decided = if self.broken() {
            Some(Err(None))
        } else {
            match self.store.take(key, limit, window).await {
                Some(Ok(v)) => Some(Ok(v)),
                None => None,
                Some(Err(e)) => Some(Err(Some(e))),
            }
        };
        let verdict = match decided {
            Some(Ok(v)) => v,
            None => self.take_local(key, limit, window),
            Some(Err(e)) => {
                if let Some(e) = e {
                    self.outage(&e);
                } else {
                    self.outages.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("rate_limit_store_outages_total").increment(1);
                }
                if on_outage == OnOutage::Refuse || !self.fail_open {
                    return Err(LimitsError::Unreachable);
                }
                self.take_local(key, limit, window)
            }
        };
        if let Verdict::Refused { .. } = verdict {
            self.refused.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("rate_limit_rejections_total").increment(1);
        }
        Ok(verdict)
    }

    /// Returns one to `key`'s budget (the attempt it paid for was good).
    pub async fn give_back(&self, key: &str, limit: u32, window: Duration) {
        match self.store.give_back(key, limit, window).await {
            Some(Ok(())) => {}
            None => {
                let now = now_us();
                if let Some(tat) = self.lock_local().get_mut(key) {
                    *tat = gcra::give_back(*tat, now, limit, window);
                }
            }
            Some(Err(e)) => self.outage(&e),
        }
    }

    /// Refills `key`'s budget entirely.
    pub async fn reset(&self, key: &str) {
        match self.store.reset(key).await {
            Some(Ok(())) => {}
            None => {
                self.lock_local().remove(key);
            }
            Some(Err(e)) => self.outage(&e),
        }
    }

    fn take_local(&self, key: &str, limit: u32, window: Duration) -> Verdict {
        let now = now_us();
        let mut local = self.lock_local();
        if local.len() >= LOCAL_SWEEP_AT {
            local.retain(|_, tat| *tat > now);
        }
        let (verdict, tat) = gcra::take(local.get(key).copied(), now, limit, window);
        local.insert(key.to_owned(), tat);
        verdict
    }

    fn lock_local(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // Plain numbers: a panic elsewhere leaves nothing half-written.
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn broken(&self) -> bool {
        let until = *self.broken_until.lock().unwrap_or_else(|p| p.into_inner());
        until.is_some_and(|u| Instant::now() < u)
    }

    fn outage(&self, e: &store::StoreError) {
        if self.store.is_remote_service() {
            *self.broken_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + BREAK_FOR);
        }
        self.outages.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("rate_limit_store_outages_total").increment(1);
        let mut last = self
            .last_outage_log
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|at| at.elapsed() >= OUTAGE_LOG_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                store = self.store.name(),
                error = %e,
                fail_open = self.fail_open,
                outages = self.outages(),
                "the rate-limit store cannot be reached"
            );
        }
    }
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
