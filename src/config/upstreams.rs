//! How we reach Monday and Calendly: tokens, URLs and call discipline.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::ConfigError;
use super::env::{Env, is_api_version, parse_url};

#[derive(Debug, Clone)]
pub struct MondayConfig {
    pub api_token: Option<SecretString>,
    pub api_url: Url,
    pub api_version: String,
    pub tickets_board_id: Option<String>,
    pub leads_board_id: Option<String>,
    pub signing_secret: Option<SecretString>,
    /// Attempts per call for 5xx, timeouts and rate limits.
    pub max_attempts: u32,
    pub request_timeout: Duration,
    /// The longest wait for the complexity budget a single call accepts.
    pub max_rate_limit_wait: Duration,
}

impl MondayConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            api_token: env.secret(&["MONDAY_API_TOKEN", "MONDAY_API_KEY"]),
            api_url: parse_url(
                "MONDAY_API_URL",
                env.get("MONDAY_API_URL")
                    .unwrap_or("https://api.monday.com/v2"),
            )?,
            api_version: {
                let v = env.get("MONDAY_API_VERSION").unwrap_or("2026-10");
                if !is_api_version(v) {
                    return Err(ConfigError::new(
                        "MONDAY_API_VERSION",
                        format!("expected YYYY-MM, got {v:?}"),
                    ));
                }
                v.to_owned()
            },
            tickets_board_id: env.board_id(&["MONDAY_TICKETS_BOARD_ID", "MONDAY_BOARD_ID"])?,
            leads_board_id: env.board_id(&["MONDAY_LEADS_BOARD_ID"])?,
            signing_secret: env.secret(&["MONDAY_SIGNING_SECRET"]),
            max_attempts: env
                .parse_or("MONDAY_MAX_ATTEMPTS", 5u32, "a number of attempts")?
                .max(1),
            request_timeout: env.millis("MONDAY_TIMEOUT_MS", 30_000)?,
            max_rate_limit_wait: env.millis("MONDAY_MAX_RATE_LIMIT_WAIT_MS", 60_000)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct CalendlyConfig {
    pub access_token: Option<SecretString>,
    pub api_url: Url,
    pub signing_key: Option<SecretString>,
}

impl CalendlyConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            access_token: env.secret(&["CALENDLY_ACCESS_TOKEN", "CALENDLY_API_KEY"]),
            api_url: parse_url(
                "CALENDLY_API_URL",
                env.get("CALENDLY_API_URL")
                    .unwrap_or("https://api.calendly.com"),
            )?,
            signing_key: env.secret(&["CALENDLY_SIGNING_KEY"]),
        })
    }
}
