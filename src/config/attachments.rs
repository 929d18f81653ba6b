//! Files on tickets: how big, how many per request, which kinds, and how
//! much of Monday's files we keep in memory for repeated downloads.

use super::ConfigError;
use super::env::Env;

/// The kinds a support ticket needs: screenshots, documents, logs. Nothing a
/// browser would run (HTML, SVG), since clients open what staff attach.
pub const DEFAULT_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
];
/// Types that a browser could run as a page: never allowed.
const ACTIVE: &[&str] = &[
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
];

#[derive(Debug, Clone)]
pub struct AttachmentsConfig {
    /// The largest file (`ATTACHMENT_MAX_BYTES`, default 10 MiB).
    pub max_bytes: usize,
    /// Files per request (`ATTACHMENT_MAX_FILES`, default 5).
    pub max_files: usize,
    /// Allowed content types, lowercase (`ATTACHMENT_TYPES`, comma-separated).
    pub allowed_types: Vec<String>,
    /// Memory kept for files downloaded from Monday (`ATTACHMENT_CACHE_BYTES`,
    /// default 64 MiB; 0 turns the cache off).
    pub cache_bytes: usize,
}

impl AttachmentsConfig {
    pub fn default_types() -> Vec<String> {
        DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect()
    }

    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let max_bytes: usize = env.parse_or(
            "ATTACHMENT_MAX_BYTES",
            10 * 1024 * 1024,
            "a number of bytes",
        )?;
        // Monday's file endpoint takes up to 500 MB; we hold a file in the
        // database until it is delivered, so far less is sensible.
        if !(1..=100 * 1024 * 1024).contains(&max_bytes) {
            return Err(ConfigError::new(
                "ATTACHMENT_MAX_BYTES",
                format!("between 1 and 104857600, got {max_bytes}"),
            ));
        }
        let max_files: usize = env.parse_or("ATTACHMENT_MAX_FILES", 5, "a whole number")?;
        if !(1..=20).contains(&max_files) {
            return Err(ConfigError::new(
                "ATTACHMENT_MAX_FILES",
                format!("between 1 and 20, got {max_files}"),
            ));
        }
        let allowed_types = match env.get("ATTACHMENT_TYPES") {
            None => Self::default_types(),
            Some(v) => types(v)?,
        };
        let cache_bytes: usize = env.parse_or(
            "ATTACHMENT_CACHE_BYTES",
            64 * 1024 * 1024,
            "a number of bytes",
        )?;
        Ok(Self {
            max_bytes,
            max_files,
            allowed_types,
            cache_bytes,
        })
    }
}

fn types(v: &str) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for t in v.split(',').map(|t| t.trim().to_ascii_lowercase()) {
        if t.is_empty() {
            continue;
        }
        let valid = t
            .split_once('/')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'));
        if !valid {
            return Err(ConfigError::new(
                "ATTACHMENT_TYPES",
                format!("{t:?} is not a media type like image/png"),
            ));
        }
        if ACTIVE.contains(&t.as_str()) {
            return Err(ConfigError::new(
                "ATTACHMENT_TYPES",
                format!("{t} could run in a browser and is never allowed"),
            ));
        }
        out.push(t);
    }
    if out.is_empty() {
        return Err(ConfigError::new(
            "ATTACHMENT_TYPES",
            "name at least one media type",
        ));
    }
    Ok(out)
}
