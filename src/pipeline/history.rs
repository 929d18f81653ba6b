//! Reading runs and their logs: the run history staff browse and the live
//! view of one run.

use std::time::Duration;

use uuid::Uuid;

use super::PipelineService;
use super::error::PipelineError;
use super::model::RunStatus;
use crate::db::entities::{pipeline_log, pipeline_run};
use crate::db::repo::pipeline as repo;

impl PipelineService {
    /// Up to `limit` runs numbered below `before`, newest first, and
    /// whether more follow.
    pub async fn runs(
        &self,
        limit: u64,
        before: Option<i64>,
    ) -> Result<(Vec<pipeline_run::Model>, bool), PipelineError> {
        let mut rows = repo::page(&self.db, limit + 1, before).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    pub async fn run(&self, id: Uuid) -> Result<Option<pipeline_run::Model>, PipelineError> {
        Ok(repo::find(&self.db, id).await?)
    }

    /// Waits up to `limit` for the run to end; the run as it then is. Polls
    /// the row, so it sees a run that another replica executes.
    pub async fn wait(
        &self,
        id: Uuid,
        limit: Duration,
    ) -> Result<Option<pipeline_run::Model>, PipelineError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let run = repo::find(&self.db, id).await?;
            let running = run
                .as_ref()
                .is_some_and(|r| RunStatus::from_code(&r.status) == Some(RunStatus::Running));
            if !running || tokio::time::Instant::now() >= deadline {
                return Ok(run);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Up to `limit` log lines of a run after the line `after`, oldest first.
    pub async fn log(
        &self,
        run: Uuid,
        after: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<pipeline_log::Model>, bool), PipelineError> {
        let mut rows = repo::log_page(&self.db, run, after, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}
