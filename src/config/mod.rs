//! The one typed configuration, read once from the environment (and `.env`) and
//! validated up front, so a bad deployment fails at startup with a message that
//! names the variable instead of failing later in a request. Each section
//! parses itself, beside its type.

mod attachments;
mod auth;
mod cache;
mod env;
mod graphql;
mod limits;
mod mail;
mod network;
mod notify;
mod pipeline;
mod sandbox;
mod server;
#[cfg(test)]
mod tests;
mod tickets;
mod upstreams;

use std::path::PathBuf;

use env::Env;

pub use attachments::AttachmentsConfig;
pub use auth::{AdminConfig, AuthConfig, JwtConfig, StaffSeed};
pub use cache::CacheConfig;
pub use graphql::GraphqlConfig;
pub use limits::LimitsConfig;
pub use mail::{MailConfig, SmtpTls};
pub use network::IpRange;
pub use notify::NotifyConfig;
pub use pipeline::PipelineConfig;
pub use sandbox::SandboxConfig;
pub use server::{DEFAULT_DATABASE_URL, DatabaseConfig, LogConfig, LogFormat, ServerConfig};
pub use tickets::{OutboxConfig, TicketsConfig, column_keys};
pub use upstreams::{CalendlyConfig, MondayConfig};

/// A configuration value that could not be used. Displayed as one line:
/// `invalid configuration: PORT: expected a port number (1-65535), got "abc"`.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(var: &'static str, reason: impl Into<String>) -> Self {
        Self {
            var,
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub monday: MondayConfig,
    pub calendly: CalendlyConfig,
    pub sandbox: SandboxConfig,
    pub jwt: JwtConfig,
    pub mail: MailConfig,
    pub notify: NotifyConfig,
    pub attachments: AttachmentsConfig,
    pub admin: AdminConfig,
    pub auth: AuthConfig,
    pub pipeline: PipelineConfig,
    pub log: LogConfig,
    pub tickets: TicketsConfig,
    pub outbox: OutboxConfig,
    pub cache: CacheConfig,
    pub graphql: GraphqlConfig,
    pub limits: LimitsConfig,
    /// Where local state lives: the default SQLite file, the dev mail outbox.
    pub data_dir: PathBuf,
}

impl Config {
    /// Loads `.env` (if present) and the process environment. The only place in
    /// the program that reads environment variables.
    pub fn load() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by name.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError::new(".env", e.to_string()));
        }
        Self::from_vars(std::env::vars())
    }

    /// Builds the configuration from explicit variables; tests use this directly.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let env = Env(vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect());
        let server = ServerConfig::from_env(&env)?;
        Ok(Config {
            database: DatabaseConfig::from_env(&env)?,
            monday: MondayConfig::from_env(&env)?,
            calendly: CalendlyConfig::from_env(&env)?,
            sandbox: SandboxConfig::from_env(&env)?,
            jwt: JwtConfig::from_env(&env)?,
            mail: MailConfig::from_env(&env, &server.public_url)?,
            notify: NotifyConfig::from_env(&env)?,
            attachments: AttachmentsConfig::from_env(&env)?,
            admin: AdminConfig::from_env(&env)?,
            auth: AuthConfig::from_env(&env)?,
            pipeline: PipelineConfig::from_env(&env)?,
            log: LogConfig::from_env(&env)?,
            tickets: TicketsConfig::from_env(&env)?,
            outbox: OutboxConfig::from_env(&env)?,
            cache: CacheConfig::from_env(&env)?,
            graphql: GraphqlConfig::from_env(&env)?,
            limits: LimitsConfig::from_env(&env)?,
            data_dir: PathBuf::from(env.get("DATA_DIR").unwrap_or("data")),
            server,
        })
    }

    /// Sandbox mode: no Monday or Calendly credentials, so `serve` runs the
    /// in-process simulators and points its clients at them. A build without
    /// the simulators (`--no-default-features`) never is in sandbox mode.
    pub fn sandbox_mode(&self) -> bool {
        cfg!(feature = "sandbox")
            && (self.sandbox.running
                || (self.monday.api_token.is_none() && self.calendly.access_token.is_none()))
    }
}
