//! Where we listen and how we are reached, the database, and logging.

use secrecy::SecretString;
use url::Url;

use super::ConfigError;
use super::env::{Env, parse_url};
use super::network::IpRange;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// The externally reachable base URL, used in links and webhook registration.
    pub public_url: Url,
    /// Browser origins allowed by CORS; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the caller
    /// (`TRUSTED_PROXIES`); from anyone else the header is ignored.
    pub trusted_proxies: Vec<IpRange>,
    /// Where `/metrics` is served on its own (`METRICS_ADDR`, such as
    /// 0.0.0.0:9090); without it, on the main port to loopback callers.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// How long `/ready` says 503 after SIGTERM before connections close
    /// (`SHUTDOWN_DRAIN_MS`): long enough for the balancer to notice.
    pub shutdown_drain: std::time::Duration,
}

impl ServerConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
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
        let mut trusted_proxies = Vec::new();
        for r in env
            .get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            trusted_proxies.push(IpRange::parse(r).ok_or_else(|| {
                ConfigError::new(
                    "TRUSTED_PROXIES",
                    format!("expected addresses or ranges such as 10.0.0.0/8, got {r:?}"),
                )
            })?);
        }
        let metrics_addr = match env.get("METRICS_ADDR").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| {
                ConfigError::new(
                    "METRICS_ADDR",
                    format!("expected an address and port such as 0.0.0.0:9090, got {v:?}"),
                )
            })?),
        };
        let drain_ms: u64 =
            env.parse_or("SHUTDOWN_DRAIN_MS", 0, "a whole number of milliseconds")?;
        if drain_ms > 120_000 {
            return Err(ConfigError::new(
                "SHUTDOWN_DRAIN_MS",
                "must be at most 120000 (two minutes)",
            ));
        }
        let shutdown_drain = std::time::Duration::from_millis(drain_ms);
        Ok(Self {
            host,
            port,
            public_url,
            allowed_origins,
            trusted_proxies,
            metrics_addr,
            shutdown_drain,
        })
    }

    /// Where an upstream (`monday`, `calendly`) should send us its webhooks.
    pub fn webhook_url(&self, source: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}/webhooks/{source}")
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/bridgeboard.db?mode=rwc";

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// May carry a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
}

impl DatabaseConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
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
        Ok(Self {
            url: SecretString::from(url.to_owned()),
            max_connections,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

impl LogConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
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
        })
    }
}
