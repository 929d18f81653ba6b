//! The support-ticket integration, and the outbox that carries writes to the
//! upstreams.

use std::collections::HashMap;
use std::time::Duration;

use super::ConfigError;
use super::env::Env;

/// The keys of `MONDAY_TICKET_COLUMNS`, one per ticket field the board binds.
pub mod column_keys {
    pub const TICKET_ID: &str = "ticket_id";
    pub const DESCRIPTION: &str = "description";
    pub const CLIENT_EMAIL: &str = "client_email";
    pub const CLIENT_PORTAL_ID: &str = "client_portal_id";
    pub const STATUS: &str = "status";
    pub const PRIORITY: &str = "priority";
    pub const CREATED_DATE: &str = "created_date";
    pub const LAST_UPDATED: &str = "last_updated";
    pub const ALL: &[&str] = &[
        TICKET_ID,
        DESCRIPTION,
        CLIENT_EMAIL,
        CLIENT_PORTAL_ID,
        STATUS,
        PRIORITY,
        CREATED_DATE,
        LAST_UPDATED,
    ];
}

/// The support-ticket integration: board binding and reconcile.
#[derive(Debug, Clone)]
pub struct TicketsConfig {
    /// Column ids pinned by config (`status=status_1,…`), overriding the
    /// lookup by title.
    pub column_overrides: HashMap<String, String>,
    /// How often the full board sync runs (after the one at startup).
    pub reconcile_interval: Duration,
    /// Prefixes that make a Monday update an internal note, kept lowercase;
    /// the first is the one we write (`TICKET_INTERNAL_MARKERS`).
    pub internal_markers: Vec<String>,
}

/// The markers when `TICKET_INTERNAL_MARKERS` is unset.
pub const DEFAULT_INTERNAL_MARKERS: &[&str] = &["[internal]", "#internal", "🔒"];
const MAX_MARKER: usize = 32;

impl TicketsConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
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
                if !column_keys::ALL.contains(&k.as_str()) {
                    return Err(ConfigError::new(
                        "MONDAY_TICKET_COLUMNS",
                        format!("unknown field {k:?}"),
                    ));
                }
                column_overrides.insert(k, id.trim().to_owned());
            }
        }
        Ok(Self {
            column_overrides,
            reconcile_interval: env.millis("TICKETS_RECONCILE_MS", 15 * 60 * 1000)?,
            internal_markers: internal_markers(env.get("TICKET_INTERNAL_MARKERS"))?,
        })
    }
}

/// A comma-separated list; without any marker, staff could not write a note
/// that stays internal, so an empty list is refused.
fn internal_markers(v: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let Some(v) = v else {
        return Ok(DEFAULT_INTERNAL_MARKERS
            .iter()
            .map(|m| (*m).to_owned())
            .collect());
    };
    let markers: Vec<String> = v
        .split(',')
        .map(|m| m.trim().to_lowercase())
        .filter(|m| !m.is_empty())
        .collect();
    if markers.is_empty() {
        return Err(ConfigError::new(
            "TICKET_INTERNAL_MARKERS",
            "expected at least one marker, such as [internal]",
        ));
    }
    if let Some(m) = markers.iter().find(|m| m.chars().count() > MAX_MARKER) {
        return Err(ConfigError::new(
            "TICKET_INTERNAL_MARKERS",
            format!("a marker is at most {MAX_MARKER} characters, got {m:?}"),
        ));
    }
    Ok(markers)
}

/// Delivery of queued writes (every domain's outbox entries).
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// How often the outbox is polled when nothing wakes it.
    pub poll: Duration,
    /// First and longest wait between delivery attempts of one entry.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a worker owns an entry it is delivering unless it renews the
    /// claim (it does, every third of this, while its call runs); a dead
    /// worker's entries free up after this long.
    pub lease: Duration,
}

impl OutboxConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let cfg = Self {
            poll: env.millis("OUTBOX_POLL_MS", 1_000)?,
            retry_base: env.millis("OUTBOX_RETRY_BASE_MS", 1_000)?,
            retry_max: env.millis("OUTBOX_RETRY_MAX_MS", 5 * 60 * 1000)?,
            lease: env.millis("OUTBOX_LEASE_MS", 30_000)?,
        };
        if cfg.retry_base > cfg.retry_max {
            return Err(ConfigError::new(
                "OUTBOX_RETRY_BASE_MS",
                "must not exceed OUTBOX_RETRY_MAX_MS",
            ));
        }
        Ok(cfg)
    }
}
