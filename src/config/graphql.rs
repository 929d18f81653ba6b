//! Limits of GraphQL over HTTP: how large a request body may be, how many
//! operations one batch may carry, and the memory automatic persisted
//! queries may hold.

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct GraphqlConfig {
    /// A POST body over this gets 413.
    pub max_body_bytes: usize,
    /// Operations in one batch (a JSON array); each is charged to an API
    /// key's rate limit.
    pub max_batch: usize,
    /// Memory the persisted-query cache may hold, in bytes.
    pub apq_cache_bytes: usize,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_batch: 10,
            apq_cache_bytes: 16 * 1024 * 1024,
        }
    }
}

impl GraphqlConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let max_body_bytes = env.parse_or(
            "GRAPHQL_MAX_BODY_BYTES",
            d.max_body_bytes,
            "a number of bytes",
        )?;
        // Below 1 KiB not even GraphiQL's introspection query fits.
        if !(1024..=256 * 1024 * 1024).contains(&max_body_bytes) {
            return Err(ConfigError::new(
                "GRAPHQL_MAX_BODY_BYTES",
                "must be between 1024 and 268435456",
            ));
        }
        let max_batch = env.parse_or("GRAPHQL_MAX_BATCH", d.max_batch, "a number of operations")?;
        if !(1..=1000).contains(&max_batch) {
            return Err(ConfigError::new(
                "GRAPHQL_MAX_BATCH",
                "must be between 1 (no batches) and 1000",
            ));
        }
        let apq_mb = env.parse_or(
            "GRAPHQL_APQ_CACHE_MB",
            d.apq_cache_bytes / (1024 * 1024),
            "a number of megabytes",
        )?;
        if apq_mb > 4096 {
            return Err(ConfigError::new(
                "GRAPHQL_APQ_CACHE_MB",
                "must be between 0 (persisted queries off) and 4096",
            ));
        }
        Ok(Self {
            max_body_bytes,
            max_batch,
            apq_cache_bytes: apq_mb * 1024 * 1024,
        })
    }
}
