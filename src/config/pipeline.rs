//! The data hub pipeline: when it runs, how much it re-reads, the Calendly
//! window it keeps, and how leads are labelled by where they came from.

use std::time::Duration;

use croner::Cron;
use croner::parser::{CronParser, Seconds};

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Six-field cron expression (with seconds), as tokio-cron-scheduler expects.
    pub cron: String,
    /// The parsed schedule; also tells how old data may get.
    pub schedule: Cron,
    /// Run shortly after startup when the data is missing or older than the
    /// schedule's interval.
    pub run_on_startup: bool,
    /// Every Nth successful run is a full refresh even when asked for an
    /// incremental one.
    pub full_refresh_every: u32,
    /// The rolling window of scheduled Calendly events, in days.
    pub calendly_days_back: u32,
    pub calendly_days_ahead: u32,
    /// Event type name or slug → origin label, matched case-insensitively.
    pub origin_map: Vec<(String, String)>,
    /// How old a signed Calendly webhook may be.
    pub webhook_tolerance: Duration,
}

impl PipelineConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let cron = env
            .get("PIPELINE_CRON")
            .unwrap_or("0 0 */4 * * *")
            .to_owned();
        let schedule = CronParser::builder()
            .seconds(Seconds::Required)
            .build()
            .parse(&cron)
            .map_err(|e| {
                ConfigError::new(
                    "PIPELINE_CRON",
                    format!(
                        "expected a cron expression with seconds (6 fields, e.g. \"0 0 */4 * * *\"): {e}"
                    ),
                )
            })?;
        let days = |var: &'static str, default: u32, max: u32| -> Result<u32, ConfigError> {
            let v = env.parse_or(var, default, "a whole number of days")?;
            if v > max {
                return Err(ConfigError::new(var, format!("must be at most {max}")));
            }
            Ok(v)
        };
        let full_refresh_every = env.parse_or(
            "PIPELINE_FULL_REFRESH_EVERY",
            6u32,
            "a whole number of runs",
        )?;
        if full_refresh_every == 0 {
            return Err(ConfigError::new(
                "PIPELINE_FULL_REFRESH_EVERY",
                "must be at least 1 (1 makes every run a full one)",
            ));
        }
        Ok(Self {
            cron,
            schedule,
            run_on_startup: env.flag("PIPELINE_RUN_ON_STARTUP", true)?,
            full_refresh_every,
            calendly_days_back: days("PIPELINE_CALENDLY_DAYS_BACK", 365, 3650)?,
            calendly_days_ahead: days("PIPELINE_CALENDLY_DAYS_AHEAD", 90, 3650)?,
            origin_map: origin_map(env.get("PIPELINE_ORIGIN_MAP"))?,
            webhook_tolerance: Duration::from_secs(env.parse_or(
                "CALENDLY_WEBHOOK_TOLERANCE_SECS",
                180u64,
                "a whole number of seconds",
            )?),
        })
    }

    /// The origin label for an event type, by its name or slug.
    pub fn origin_of(&self, name: Option<&str>, slug: Option<&str>) -> Option<&str> {
        self.origin_map
            .iter()
            .find(|(k, _)| {
                [name, slug]
                    .into_iter()
                    .flatten()
                    .any(|v| v.trim().eq_ignore_ascii_case(k))
            })
            .map(|(_, label)| label.as_str())
    }
}

/// `name-or-slug=Label,other=Label 2`.
fn origin_map(v: Option<&str>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, label) = pair.split_once('=').ok_or_else(|| {
                ConfigError::new(
                    "PIPELINE_ORIGIN_MAP",
                    format!("expected event-type=label pairs, got {pair:?}"),
                )
            })?;
            let (k, label) = (k.trim(), label.trim());
            if k.is_empty() || label.is_empty() {
                return Err(ConfigError::new(
                    "PIPELINE_ORIGIN_MAP",
                    format!("empty name or label in {pair:?}"),
                ));
            }
            Ok((k.to_owned(), label.to_owned()))
        })
        .collect()
}
