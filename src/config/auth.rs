//! Identity: session signing, bootstrap accounts, magic links and login
//! throttling.

use secrecy::SecretString;

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// When absent, a secret is generated once and stored in the database so
    /// that every replica signs with the same key.
    pub secret: Option<SecretString>,
    pub expiration_hours: i64,
}

impl JwtConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        if let Some(s) = env.get("JWT_SECRET_KEY")
            && s.len() < 32
        {
            return Err(ConfigError::new(
                "JWT_SECRET_KEY",
                "must be at least 32 characters (or unset to generate one)",
            ));
        }
        let cfg = Self {
            secret: env.secret(&["JWT_SECRET_KEY"]),
            expiration_hours: env.parse_or(
                "JWT_EXPIRATION_HOURS",
                24i64,
                "a whole number of hours",
            )?,
        };
        if !(1..=24 * 90).contains(&cfg.expiration_hours) {
            return Err(ConfigError::new(
                "JWT_EXPIRATION_HOURS",
                "must be between 1 and 2160 (90 days)",
            ));
        }
        Ok(cfg)
    }
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

impl AdminConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            admins: [
                ("ADMIN_USER", "ADMIN_PASSWORD"),
                ("CLEVERLY_ADMIN_USER", "CLEVERLY_ADMIN_PASSWORD"),
            ]
            .into_iter()
            .filter_map(|(u, p)| staff_seed(env, u, p).transpose())
            .collect::<Result<_, _>>()?,
            users: staff_seed(env, "CLEVERLY_USER", "CLEVERLY_USER_PASSWORD")?
                .into_iter()
                .collect(),
        })
    }
}

fn staff_seed(
    env: &Env,
    user_var: &'static str,
    pass_var: &'static str,
) -> Result<Option<StaffSeed>, ConfigError> {
    match (env.get(user_var), env.get(pass_var)) {
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

impl AuthConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let in_range = |var: &'static str, default: u64, max: u64, what: &str| {
            let v = env.parse_or(var, default, what)?;
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
        Ok(Self {
            magic_link_ttl_minutes: in_range(
                "MAGIC_LINK_TTL_MINUTES",
                d.magic_link_ttl_minutes.unsigned_abs(),
                24 * 60,
                minutes,
            )? as i64,
            magic_link_max_per_hour: in_range(
                "MAGIC_LINK_MAX_PER_HOUR",
                u64::from(d.magic_link_max_per_hour),
                1000,
                count,
            )? as u32,
            login_max_failures: in_range(
                "LOGIN_MAX_FAILURES",
                u64::from(d.login_max_failures),
                1000,
                count,
            )? as u32,
            login_max_failures_per_ip: in_range(
                "LOGIN_MAX_FAILURES_PER_IP",
                u64::from(d.login_max_failures_per_ip),
                100_000,
                count,
            )? as u32,
            login_throttle_minutes: in_range(
                "LOGIN_THROTTLE_MINUTES",
                d.login_throttle_minutes,
                24 * 60,
                minutes,
            )?,
        })
    }
}
