//! Email notifications to clients: how long changes are gathered into one
//! message, and how long the sign-in link in it works.

use std::time::Duration;

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Changes within this window of the first go out as one email
    /// (`NOTIFY_DEBOUNCE_SECONDS`; 0 sends each at once).
    pub debounce: Duration,
    /// How long the ticket link in an email signs the client in.
    pub link_ttl: chrono::Duration,
}

impl NotifyConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let secs: u64 = env.parse_or("NOTIFY_DEBOUNCE_SECONDS", 60, "a whole number of seconds")?;
        if secs > 86_400 {
            return Err(ConfigError::new(
                "NOTIFY_DEBOUNCE_SECONDS",
                format!("at most 86400 (a day), got {secs}"),
            ));
        }
        let hours: i64 = env.parse_or("NOTIFY_LINK_TTL_HOURS", 72, "a whole number of hours")?;
        if !(1..=720).contains(&hours) {
            return Err(ConfigError::new(
                "NOTIFY_LINK_TTL_HOURS",
                format!("between 1 and 720, got {hours}"),
            ));
        }
        Ok(Self {
            debounce: Duration::from_secs(secs),
            link_ttl: chrono::Duration::hours(hours),
        })
    }
}
