//! Reading raw variables: the typed getters every section parser uses, with
//! the error messages that name the variable.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::ConfigError;

/// The raw variables; empty values count as unset, as shells and `.env` files
/// commonly write `FOO=` to mean "not configured".
pub(super) struct Env(pub(super) HashMap<String, String>);

impl Env {
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub(super) fn first(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.get(k))
    }

    pub(super) fn secret(&self, keys: &[&str]) -> Option<SecretString> {
        self.first(keys).map(|v| SecretString::from(v.to_owned()))
    }

    pub(super) fn parse_or<T: std::str::FromStr>(
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

    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    pub(super) fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError::new(
                var,
                format!("expected true or false, got {v:?}"),
            )),
        }
    }

    /// A positive duration in milliseconds.
    pub(super) fn millis(
        &self,
        var: &'static str,
        default_ms: u64,
    ) -> Result<Duration, ConfigError> {
        let ms = self.parse_or(var, default_ms, "a whole number of milliseconds")?;
        if ms == 0 {
            return Err(ConfigError::new(var, "must be greater than 0"));
        }
        Ok(Duration::from_millis(ms))
    }

    pub(super) fn board_id(&self, keys: &[&'static str]) -> Result<Option<String>, ConfigError> {
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
}

pub(super) fn parse_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(v).map_err(|e| ConfigError::new(var, format!("{v:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(var, "expected an http:// or https:// URL"));
    }
    Ok(url)
}

pub(super) fn is_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
}
