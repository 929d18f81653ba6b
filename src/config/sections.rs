//! The configuration's sections, one per concern, and the parsers of the
//! larger ones.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// The externally reachable base URL, used in links and webhook registration.
    pub public_url: Url,
    /// Browser origins allowed by CORS; `*` allows any.
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// May carry a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
}

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

/// The support-ticket integration: board binding, outbox delivery, reconcile.
#[derive(Debug, Clone)]
pub struct TicketsConfig {
    /// Column ids pinned by config (`status=status_1,…`), overriding the
    /// lookup by title.
    pub column_overrides: HashMap<String, String>,
    /// How often the full board sync runs (after the one at startup).
    pub reconcile_interval: Duration,
    /// How often the outbox is polled when nothing wakes it.
    pub outbox_poll: Duration,
    /// First and longest wait between delivery attempts of one entry.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a worker owns an entry it is delivering; after that another
    /// worker (or this one after a crash) may take it.
    pub lease: Duration,
}

#[derive(Debug, Clone)]
pub struct CalendlyConfig {
    pub access_token: Option<SecretString>,
    pub api_url: Url,
    pub signing_key: Option<SecretString>,
}

/// The in-process sandbox `serve` starts when no upstream token is set (and
/// the defaults of `bridgeboard sandbox`): seed and data sizes.
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

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// When absent, a secret is generated once and stored in the database so
    /// that every replica signs with the same key.
    pub secret: Option<SecretString>,
    pub expiration_hours: i64,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<SecretString>,
    pub smtp_tls: SmtpTls,
    pub from_email: String,
    pub magic_link_url: Url,
}

/// How SMTP connections are secured (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Implicit TLS on port 465; STARTTLS required elsewhere, except that a
    /// loopback relay may answer in plain text when it offers no STARTTLS.
    Auto,
    /// STARTTLS, refusing servers that do not offer it.
    Starttls,
    /// STARTTLS when offered, plain text otherwise.
    Opportunistic,
    /// Implicit TLS from the first byte.
    Tls,
    /// Plain text only.
    None,
}

#[derive(Debug, Clone)]
pub struct StaffSeed {
    pub username: String,
    pub password: SecretString,
}

#[derive(Debug, Clone, Default)]
pub struct AdminConfig {
    /// Admin accounts created (or re-passworded) at startup.
    pub admins: Vec<StaffSeed>,
    /// Read-only staff accounts created at startup.
    pub users: Vec<StaffSeed>,
}

/// Sessions, magic links and failed-login throttling.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How long a magic link works.
    pub magic_link_ttl_minutes: i64,
    /// Links one client may request per hour; more are silently dropped.
    pub magic_link_max_per_hour: u32,
    /// Failed logins per username, then per IP, within the throttle window.
    pub login_max_failures: u32,
    pub login_max_failures_per_ip: u32,
    pub login_throttle_minutes: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            magic_link_ttl_minutes: 15,
            magic_link_max_per_hour: 5,
            login_max_failures: 5,
            login_max_failures_per_ip: 50,
            login_throttle_minutes: 15,
        }
    }
}

/// In-process caches that spare the database on hot read paths. Each is
/// exact on this replica (writes here invalidate at once); the TTL bounds how
/// long a change made through another replica can go unseen. 0 disables.
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

pub(super) fn cache_config(env: &Env) -> Result<CacheConfig, ConfigError> {
    let d = CacheConfig::default();
    let ms = "a whole number of milliseconds (0 disables)";
    let ttl = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        let v = env.parse_or(var, default.as_millis() as u64, ms)?;
        if v > 60 * 60 * 1000 {
            return Err(ConfigError::new(var, "must be at most 3600000 (one hour)"));
        }
        Ok(Duration::from_millis(v))
    };
    let max_entries = env.parse_or("CACHE_MAX_ENTRIES", d.max_entries, "a number of entries")?;
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
    Ok(CacheConfig {
        identity_ttl: ttl("CACHE_IDENTITY_TTL_MS", d.identity_ttl)?,
        response_ttl: ttl("CACHE_RESPONSE_TTL_MS", d.response_ttl)?,
        max_entries,
        max_bytes: max_mb * 1024 * 1024,
    })
}

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Six-field cron expression (with seconds), as tokio-cron-scheduler expects.
    pub cron: String,
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

pub(super) fn tickets_config(env: &Env) -> Result<TicketsConfig, ConfigError> {
    let mut column_overrides = HashMap::new();
    if let Some(v) = env.get("MONDAY_TICKET_COLUMNS") {
        for pair in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, id) = pair.split_once('=').ok_or_else(|| {
                ConfigError::new(
                    "MONDAY_TICKET_COLUMNS",
                    format!("expected field=column_id pairs, got {pair:?}"),
                )
            })?;
            let k = k.trim().to_ascii_lowercase();
            if !crate::tickets::board::FIELDS
                .iter()
                .any(|(_, _, key)| *key == k)
            {
                return Err(ConfigError::new(
                    "MONDAY_TICKET_COLUMNS",
                    format!("unknown field {k:?}"),
                ));
            }
            column_overrides.insert(k, id.trim().to_owned());
        }
    }
    let cfg = TicketsConfig {
        column_overrides,
        reconcile_interval: env.millis("TICKETS_RECONCILE_MS", 15 * 60 * 1000)?,
        outbox_poll: env.millis("OUTBOX_POLL_MS", 1_000)?,
        retry_base: env.millis("OUTBOX_RETRY_BASE_MS", 1_000)?,
        retry_max: env.millis("OUTBOX_RETRY_MAX_MS", 5 * 60 * 1000)?,
        lease: env.millis("OUTBOX_LEASE_MS", 300_000)?,
    };
    if cfg.retry_base > cfg.retry_max {
        return Err(ConfigError::new(
            "OUTBOX_RETRY_BASE_MS",
            "must not exceed OUTBOX_RETRY_MAX_MS",
        ));
    }
    Ok(cfg)
}

pub(super) fn auth_config(env: &Env) -> Result<AuthConfig, ConfigError> {
    let d = AuthConfig::default();
    let in_range = |var: &'static str, v: u64, max: u64| {
        if (1..=max).contains(&v) {
            Ok(v)
        } else {
            Err(ConfigError::new(
                var,
                format!("must be between 1 and {max}"),
            ))
        }
    };
    let minutes = "a whole number of minutes";
    let count = "a whole number";
    Ok(AuthConfig {
        magic_link_ttl_minutes: in_range(
            "MAGIC_LINK_TTL_MINUTES",
            env.parse_or("MAGIC_LINK_TTL_MINUTES", 15u64, minutes)?,
            24 * 60,
        )? as i64,
        magic_link_max_per_hour: in_range(
            "MAGIC_LINK_MAX_PER_HOUR",
            env.parse_or(
                "MAGIC_LINK_MAX_PER_HOUR",
                u64::from(d.magic_link_max_per_hour),
                count,
            )?,
            1000,
        )? as u32,
        login_max_failures: in_range(
            "LOGIN_MAX_FAILURES",
            env.parse_or("LOGIN_MAX_FAILURES", u64::from(d.login_max_failures), count)?,
            1000,
        )? as u32,
        login_max_failures_per_ip: in_range(
            "LOGIN_MAX_FAILURES_PER_IP",
            env.parse_or(
                "LOGIN_MAX_FAILURES_PER_IP",
                u64::from(d.login_max_failures_per_ip),
                count,
            )?,
            100_000,
        )? as u32,
        login_throttle_minutes: in_range(
            "LOGIN_THROTTLE_MINUTES",
            env.parse_or("LOGIN_THROTTLE_MINUTES", d.login_throttle_minutes, minutes)?,
            24 * 60,
        )?,
    })
}

/// Modest defaults: a newcomer's `serve` shows real-looking data at once and
/// still starts in a blink.
pub(super) fn sandbox_config(env: &Env) -> Result<SandboxConfig, ConfigError> {
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
    Ok(SandboxConfig {
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
