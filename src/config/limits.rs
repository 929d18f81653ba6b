//! Where rate limits are kept: Redis when `REDIS_URL` is set, otherwise the
//! database (shared by replicas on PostgreSQL, one process on SQLite).

use secrecy::SecretString;

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone, Default)]
pub struct LimitsConfig {
    /// `redis://` (plain TCP: Redis sits beside the replicas); may carry a
    /// password, hence secret.
    pub redis_url: Option<SecretString>,
    /// While the shared store cannot be reached, API-key requests are
    /// limited per replica (open) rather than refused (closed). Logins are
    /// always refused then: a guessing budget must not multiply.
    pub fail_open: bool,
}

impl LimitsConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let redis_url = match env.get("REDIS_URL").filter(|v| !v.is_empty()) {
            Some(url) if url.starts_with("redis://") => Some(SecretString::from(url.to_owned())),
            Some(_) => {
                return Err(ConfigError::new(
                    "REDIS_URL",
                    "expected a redis:// URL (TLS to Redis is not supported)",
                ));
            }
            None => None,
        };
        Ok(Self {
            redis_url,
            fail_open: env.flag("RATE_LIMIT_FAIL_OPEN", false)?,
        })
    }
}
