//! Outgoing mail: the SMTP relay, its TLS, the sender and the sign-in link.

use secrecy::SecretString;
use url::Url;

use super::ConfigError;
use super::env::{Env, parse_url};

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

impl MailConfig {
    /// `public_url` is where the default sign-in link points.
    pub(super) fn from_env(env: &Env, public_url: &Url) -> Result<Self, ConfigError> {
        Ok(Self {
            smtp_host: env.get("SMTP_HOST").map(str::to_owned),
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
        })
    }
}
