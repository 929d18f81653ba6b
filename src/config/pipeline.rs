//! The data hub pipeline's schedule.

use super::ConfigError;
use super::env::Env;

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Six-field cron expression (with seconds), as tokio-cron-scheduler expects.
    pub cron: String,
}

impl PipelineConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
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
        Ok(Self { cron })
    }
}
