//! The one typed configuration, read once from the environment (and `.env`) and
//! validated up front, so a bad deployment fails at startup with a message that
//! names the variable instead of failing later in a request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// A configuration value that could not be used. Displayed as one line:
/// `invalid configuration: PORT: expected a port number (1-65535), got "abc"`.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(var: &'static str, reason: impl Into<String>) -> Self {
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
    /// Where local state lives: the default SQLite file, the dev mail outbox.
    pub data_dir: PathBuf,
}

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
            data_dir: PathBuf::from(env.get("DATA_DIR").unwrap_or("data")),
        })
    }
}

fn tickets_config(env: &Env) -> Result<TicketsConfig, ConfigError> {
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

fn auth_config(env: &Env) -> Result<AuthConfig, ConfigError> {
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
fn sandbox_config(env: &Env) -> Result<SandboxConfig, ConfigError> {
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

/// The raw variables; empty values count as unset, as shells and `.env` files
/// commonly write `FOO=` to mean "not configured".
struct Env(HashMap<String, String>);

impl Env {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn first(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.get(k))
    }

    fn secret(&self, keys: &[&str]) -> Option<SecretString> {
        self.first(keys).map(|v| SecretString::from(v.to_owned()))
    }

    fn parse_or<T: std::str::FromStr>(
        &self,
        var: &'static str,
        default: T,
        what: &str,
    ) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::new(var, format!("expected {what}, got {v:?}"))),
        }
    }

    /// A positive duration in milliseconds.
    fn millis(&self, var: &'static str, default_ms: u64) -> Result<Duration, ConfigError> {
        let ms = self.parse_or(var, default_ms, "a whole number of milliseconds")?;
        if ms == 0 {
            return Err(ConfigError::new(var, "must be greater than 0"));
        }
        Ok(Duration::from_millis(ms))
    }

    fn board_id(&self, keys: &[&'static str]) -> Result<Option<String>, ConfigError> {
        let Some((var, v)) = keys.iter().find_map(|k| self.get(k).map(|v| (*k, v))) else {
            return Ok(None);
        };
        if v.chars().all(|c| c.is_ascii_digit()) {
            Ok(Some(v.to_owned()))
        } else {
            Err(ConfigError::new(
                var,
                format!("expected a numeric board id, got {v:?}"),
            ))
        }
    }

    fn staff_seed(
        &self,
        user_var: &'static str,
        pass_var: &'static str,
    ) -> Result<Option<StaffSeed>, ConfigError> {
        match (self.get(user_var), self.get(pass_var)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError::new(
                pass_var,
                format!("must be set when {user_var} is set"),
            )),
            (None, Some(_)) => Err(ConfigError::new(
                user_var,
                format!("must be set when {pass_var} is set"),
            )),
            (Some(u), Some(p)) => {
                if p.len() < 8 {
                    return Err(ConfigError::new(pass_var, "must be at least 8 characters"));
                }
                Ok(Some(StaffSeed {
                    username: u.to_owned(),
                    password: SecretString::from(p.to_owned()),
                }))
            }
        }
    }
}

fn parse_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(v).map_err(|e| ConfigError::new(var, format!("{v:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(var, "expected an http:// or https:// URL"));
    }
    Ok(url)
}

fn is_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
}

impl Config {
    /// Sandbox mode: no Monday or Calendly credentials, so `serve` runs the
    /// in-process simulators and points its clients at them.
    pub fn sandbox_mode(&self) -> bool {
        self.sandbox.running
            || (self.monday.api_token.is_none() && self.calendly.access_token.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(vars.iter().map(|(k, v)| (*k, *v)))
    }

    #[test]
    fn defaults_are_usable() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.server.port, 8080);
        assert_eq!(c.database.url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(c.monday.api_version, "2026-10");
        assert_eq!(c.jwt.expiration_hours, 24);
        assert!(c.sandbox_mode());
        assert_eq!(
            c.mail.magic_link_url.as_str(),
            "http://127.0.0.1:8080/auth/magic"
        );
    }

    #[test]
    fn legacy_names_are_accepted() {
        let c = cfg(&[
            ("MONDAY_API_KEY", "tok"),
            ("MONDAY_BOARD_ID", "123"),
            ("CALENDLY_API_KEY", "cal"),
            ("CLEVERLY_ADMIN_USER", "boss"),
            ("CLEVERLY_ADMIN_PASSWORD", "long-enough-pw"),
        ])
        .expect("config");
        assert_eq!(c.monday.tickets_board_id.as_deref(), Some("123"));
        assert!(c.monday.api_token.is_some());
        assert!(!c.sandbox_mode());
        assert_eq!(c.admin.admins[0].username, "boss");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = cfg(&[("PORT", "eighty")]).unwrap_err();
        assert_eq!(e.var, "PORT");
        assert!(e.to_string().contains("\"eighty\""), "{e}");
        assert_eq!(cfg(&[("LOG_FORMAT", "xml")]).unwrap_err().var, "LOG_FORMAT");
        assert_eq!(
            cfg(&[("MONDAY_BOARD_ID", "abc")]).unwrap_err().var,
            "MONDAY_BOARD_ID"
        );
        assert_eq!(
            cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
        assert_eq!(
            cfg(&[("ADMIN_USER", "root")]).unwrap_err().var,
            "ADMIN_PASSWORD"
        );
        assert_eq!(
            cfg(&[("JWT_SECRET_KEY", "short")]).unwrap_err().var,
            "JWT_SECRET_KEY"
        );
        assert_eq!(
            cfg(&[("PIPELINE_CRON", "* *")]).unwrap_err().var,
            "PIPELINE_CRON"
        );
        assert_eq!(
            cfg(&[("SANDBOX_LEADS", "many")]).unwrap_err().var,
            "SANDBOX_LEADS"
        );
        assert_eq!(
            cfg(&[("SANDBOX_CLIENTS", "0")]).unwrap_err().var,
            "SANDBOX_CLIENTS"
        );
    }

    #[test]
    fn auth_limits_have_defaults_and_are_validated() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.auth.magic_link_ttl_minutes, 15);
        assert_eq!(c.auth.login_max_failures, 5);
        let c = cfg(&[
            ("MAGIC_LINK_TTL_MINUTES", "60"),
            ("LOGIN_MAX_FAILURES", "3"),
        ])
        .expect("custom");
        assert_eq!(c.auth.magic_link_ttl_minutes, 60);
        assert_eq!(c.auth.login_max_failures, 3);
        for (var, value) in [
            ("MAGIC_LINK_TTL_MINUTES", "0"),
            ("MAGIC_LINK_TTL_MINUTES", "soon"),
            ("MAGIC_LINK_MAX_PER_HOUR", "0"),
            ("LOGIN_MAX_FAILURES", "-1"),
            ("LOGIN_THROTTLE_MINUTES", "999999"),
        ] {
            assert_eq!(cfg(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
    }

    #[test]
    fn smtp_tls_modes() {
        assert_eq!(cfg(&[]).expect("default").mail.smtp_tls, SmtpTls::Auto);
        let c = cfg(&[("SMTP_TLS", "starttls")]).expect("starttls");
        assert_eq!(c.mail.smtp_tls, SmtpTls::Starttls);
        assert_eq!(cfg(&[("SMTP_TLS", "maybe")]).unwrap_err().var, "SMTP_TLS");
    }

    #[test]
    fn ticket_column_overrides() {
        let c = cfg(&[(
            "MONDAY_TICKET_COLUMNS",
            "status=status_1, Priority = color_2",
        )])
        .expect("config");
        assert_eq!(
            c.tickets.column_overrides.get("status").map(String::as_str),
            Some("status_1")
        );
        assert_eq!(
            c.tickets
                .column_overrides
                .get("priority")
                .map(String::as_str),
            Some("color_2")
        );
        let e = cfg(&[("MONDAY_TICKET_COLUMNS", "colour=c1")]).unwrap_err();
        assert_eq!(e.var, "MONDAY_TICKET_COLUMNS");
        assert_eq!(
            cfg(&[("MONDAY_TICKET_COLUMNS", "status")]).unwrap_err().var,
            "MONDAY_TICKET_COLUMNS"
        );
        assert_eq!(
            cfg(&[("OUTBOX_POLL_MS", "0")]).unwrap_err().var,
            "OUTBOX_POLL_MS"
        );
        assert_eq!(
            cfg(&[
                ("OUTBOX_RETRY_BASE_MS", "9000"),
                ("OUTBOX_RETRY_MAX_MS", "10")
            ])
            .unwrap_err()
            .var,
            "OUTBOX_RETRY_BASE_MS"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = cfg(&[
            ("MONDAY_API_TOKEN", "monday-token-value"),
            ("JWT_SECRET_KEY", "jwt-secret-value-that-is-long-enough"),
            ("SMTP_PASSWORD", "smtp-password-value"),
            ("ADMIN_USER", "admin"),
            ("ADMIN_PASSWORD", "admin-password-value"),
            ("DATABASE_URL", "postgres://u:db-password-value@h/db"),
        ])
        .expect("config");
        let debug = format!("{c:?}");
        for secret in [
            "monday-token-value",
            "jwt-secret-value",
            "smtp-password-value",
            "admin-password-value",
            "db-password-value",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug output");
        }
    }
}
