//! The one typed configuration, read once from the environment (and `.env`) and
//! validated up front, so a bad deployment fails at startup with a message that
//! names the variable instead of failing later in a request.

mod env;
mod sections;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use secrecy::SecretString;
use url::Url;

use env::{Env, is_api_version, parse_url};
pub use sections::*;
use sections::{auth_config, cache_config, sandbox_config, tickets_config};

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
    pub admin: AdminConfig,
    pub auth: AuthConfig,
    pub pipeline: PipelineConfig,
    pub log: LogConfig,
    pub tickets: TicketsConfig,
    pub cache: CacheConfig,
    /// Where local state lives: the default SQLite file, the dev mail outbox.
    pub data_dir: PathBuf,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/bridgeboard.db?mode=rwc";

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

        let host = env.get("HOST").unwrap_or("127.0.0.1").to_owned();
        let port = env.parse_or("PORT", 8080u16, "a port number (0-65535)")?;
        let public_url = match env.get("PUBLIC_URL") {
            Some(v) => parse_url("PUBLIC_URL", v)?,
            None => parse_url("PUBLIC_URL", &format!("http://{host}:{port}"))?,
        };
        let allowed_origins = env
            .get("ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for origin in &allowed_origins {
            if origin != "*" && Url::parse(origin).is_err() {
                return Err(ConfigError::new(
                    "ALLOWED_ORIGINS",
                    format!("{origin:?} is not an origin such as https://app.example.com"),
                ));
            }
        }

        let db_url = env.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        if !(db_url.starts_with("sqlite:")
            || db_url.starts_with("postgres://")
            || db_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "expected a sqlite:// or postgres:// URL",
            ));
        }
        let max_connections = env.parse_or(
            "DATABASE_MAX_CONNECTIONS",
            16u32,
            "a positive number of connections",
        )?;
        if max_connections == 0 {
            return Err(ConfigError::new(
                "DATABASE_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }

        let monday = MondayConfig {
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
        };
        let tickets = tickets_config(&env)?;

        let calendly = CalendlyConfig {
            access_token: env.secret(&["CALENDLY_ACCESS_TOKEN", "CALENDLY_API_KEY"]),
            api_url: parse_url(
                "CALENDLY_API_URL",
                env.get("CALENDLY_API_URL")
                    .unwrap_or("https://api.calendly.com"),
            )?,
            signing_key: env.secret(&["CALENDLY_SIGNING_KEY"]),
        };

        let sandbox = sandbox_config(&env)?;

        let jwt_secret = env.secret(&["JWT_SECRET_KEY"]);
        if let Some(s) = env.get("JWT_SECRET_KEY")
            && s.len() < 32
        {
            return Err(ConfigError::new(
                "JWT_SECRET_KEY",
                "must be at least 32 characters (or unset to generate one)",
            ));
        }
        let jwt = JwtConfig {
            secret: jwt_secret,
            expiration_hours: env.parse_or(
                "JWT_EXPIRATION_HOURS",
                24i64,
                "a whole number of hours",
            )?,
        };
        if !(1..=24 * 90).contains(&jwt.expiration_hours) {
            return Err(ConfigError::new(
                "JWT_EXPIRATION_HOURS",
                "must be between 1 and 2160 (90 days)",
            ));
        }

        let smtp_host = env.get("SMTP_HOST").map(str::to_owned);
        let mail = MailConfig {
            smtp_port: env.parse_or("SMTP_PORT", 587u16, "a port number")?,
            smtp_user: env.get("SMTP_USER").map(str::to_owned),
            smtp_password: env.secret(&["SMTP_PASSWORD"]),
            smtp_tls: match env.get("SMTP_TLS").unwrap_or("auto") {
                "auto" => SmtpTls::Auto,
                "starttls" => SmtpTls::Starttls,
                "opportunistic" => SmtpTls::Opportunistic,
                "tls" => SmtpTls::Tls,
                "none" => SmtpTls::None,
                other => {
                    return Err(ConfigError::new(
                        "SMTP_TLS",
                        format!(
                            "expected auto, starttls, opportunistic, tls or none, got {other:?}"
                        ),
                    ));
                }
            },
            from_email: {
                let v = env
                    .get("FROM_EMAIL")
                    .unwrap_or("bridgeboard@localhost")
                    .to_owned();
                if !v.contains('@') {
                    return Err(ConfigError::new(
                        "FROM_EMAIL",
                        format!("{v:?} is not an email address"),
                    ));
                }
                v
            },
            magic_link_url: match env.get("MAGIC_LINK_URL") {
                Some(v) => parse_url("MAGIC_LINK_URL", v)?,
                None => public_url
                    .join("/auth/magic")
                    .map_err(|e| ConfigError::new("MAGIC_LINK_URL", e.to_string()))?,
            },
            smtp_host,
        };

        let admin = AdminConfig {
            admins: [
                ("ADMIN_USER", "ADMIN_PASSWORD"),
                ("CLEVERLY_ADMIN_USER", "CLEVERLY_ADMIN_PASSWORD"),
            ]
            .into_iter()
            .filter_map(|(u, p)| env.staff_seed(u, p).transpose())
            .collect::<Result<_, _>>()?,
            users: env
                .staff_seed("CLEVERLY_USER", "CLEVERLY_USER_PASSWORD")?
                .into_iter()
                .collect(),
        };

        let auth = auth_config(&env)?;

        let cron = env
            .get("PIPELINE_CRON")
            .unwrap_or("0 0 */4 * * *")
            .to_owned();
        let fields = cron.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(ConfigError::new(
                "PIPELINE_CRON",
                format!(
                    "expected a cron expression with seconds (6 fields, e.g. \"0 0 */4 * * *\"), got {fields} fields"
                ),
            ));
        }

        let log = LogConfig {
            format: match env.get("LOG_FORMAT").unwrap_or("text") {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::new(
                        "LOG_FORMAT",
                        format!("expected text or json, got {other:?}"),
                    ));
                }
            },
            filter: env
                .get("RUST_LOG")
                .unwrap_or("info,sqlx=warn,sea_orm=warn")
                .to_owned(),
        };

        Ok(Config {
            server: ServerConfig {
                host,
                port,
                public_url,
                allowed_origins,
            },
            database: DatabaseConfig {
                url: SecretString::from(db_url.to_owned()),
                max_connections,
            },
            monday,
            calendly,
            sandbox,
            jwt,
            mail,
            admin,
            auth,
            pipeline: PipelineConfig { cron },
            log,
            tickets,
            cache: cache_config(&env)?,
            data_dir: PathBuf::from(env.get("DATA_DIR").unwrap_or("data")),
        })
    }
}

impl Config {
    /// Sandbox mode: no Monday or Calendly credentials, so `serve` runs the
    /// in-process simulators and points its clients at them.
    pub fn sandbox_mode(&self) -> bool {
        self.sandbox.running
            || (self.monday.api_token.is_none() && self.calendly.access_token.is_none())
    }
}
