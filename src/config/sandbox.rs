//! The in-process sandbox `serve` starts when no upstream token is set (and
//! the defaults of `bridgeboard sandbox`).

use std::time::Duration;

use super::ConfigError;
use super::env::Env;

/// Seed and data sizes of the simulated upstreams.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub seed: u64,
    /// 0 picks any free port.
    pub port: u16,
    pub clients: usize,
    pub tickets: usize,
    pub leads: usize,
    pub events: usize,
    pub users: usize,
    /// Delay between webhook delivery retries (real Monday: one minute).
    pub webhook_retry: Duration,
    /// Set by startup once the in-process sandbox serves; the upstream
    /// tokens are then the sandbox's, and `sandbox_mode()` stays true.
    pub running: bool,
}

impl SandboxConfig {
    /// Modest defaults: a newcomer's `serve` shows real-looking data at once
    /// and still starts in a blink.
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let size = |var: &'static str, default: usize, min: usize| -> Result<usize, ConfigError> {
            let n = env.parse_or(var, default, "a whole number")?;
            if n < min || n > 1_000_000 {
                return Err(ConfigError::new(
                    var,
                    format!("must be between {min} and 1000000, got {n}"),
                ));
            }
            Ok(n)
        };
        Ok(Self {
            seed: env.parse_or("SANDBOX_SEED", 1u64, "a whole number")?,
            port: env.parse_or("SANDBOX_PORT", 0u16, "a port number (0-65535)")?,
            clients: size("SANDBOX_CLIENTS", 5, 1)?,
            tickets: size("SANDBOX_TICKETS", 25, 0)?,
            leads: size("SANDBOX_LEADS", 200, 0)?,
            events: size("SANDBOX_EVENTS", 100, 0)?,
            users: size("SANDBOX_USERS", 4, 1)?,
            webhook_retry: env.millis("SANDBOX_WEBHOOK_RETRY_MS", 60_000)?,
            running: false,
        })
    }
}
