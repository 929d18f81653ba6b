//! In-process caches that spare the database on hot read paths.

use std::time::Duration;

use super::ConfigError;
use super::env::Env;

/// Each cache is exact on this replica (writes here invalidate at once);
/// the TTL bounds how long a change made through another replica can go
/// unseen. 0 disables.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// How long a verified session (not revoked, account still there) is
    /// trusted without asking the database again.
    pub identity_ttl: Duration,
    /// How long a `tickets`/`ticket` query response is served from memory.
    pub response_ttl: Duration,
    /// Entries per cache before the stale ones are dropped.
    pub max_entries: usize,
    /// Memory the response cache may hold, in bytes.
    pub max_bytes: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            identity_ttl: Duration::from_secs(5),
            response_ttl: Duration::from_secs(5),
            max_entries: 10_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl CacheConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let ms = "a whole number of milliseconds (0 disables)";
        let ttl = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            let v = env.parse_or(var, default.as_millis() as u64, ms)?;
            if v > 60 * 60 * 1000 {
                return Err(ConfigError::new(var, "must be at most 3600000 (one hour)"));
            }
            Ok(Duration::from_millis(v))
        };
        let max_entries =
            env.parse_or("CACHE_MAX_ENTRIES", d.max_entries, "a number of entries")?;
        if max_entries == 0 {
            return Err(ConfigError::new("CACHE_MAX_ENTRIES", "must be at least 1"));
        }
        let max_mb = env.parse_or(
            "CACHE_MAX_MB",
            d.max_bytes / (1024 * 1024),
            "a number of megabytes",
        )?;
        if !(1..=64 * 1024).contains(&max_mb) {
            return Err(ConfigError::new(
                "CACHE_MAX_MB",
                "must be between 1 and 65536",
            ));
        }
        Ok(Self {
            identity_ttl: ttl("CACHE_IDENTITY_TTL_MS", d.identity_ttl)?,
            response_ttl: ttl("CACHE_RESPONSE_TTL_MS", d.response_ttl)?,
            max_entries,
            max_bytes: max_mb * 1024 * 1024,
        })
    }
}
