//! Starting and cancelling pipeline runs: admins, and STANDARD or ADMIN keys.

use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::query::pipeline::service;
use crate::graphql::types::pipeline::PipelineRun;
use crate::ids::parse_uuid;
use crate::pipeline::{Mode, Trigger};

#[derive(Default)]
pub struct PipelineMutation;

#[Object]
impl PipelineMutation {
    /// Starts a run, or returns the one already running. An incremental run
    /// becomes a full one when there is nothing to build on, and every Nth
    /// run is full (`PIPELINE_FULL_REFRESH_EVERY`).
    #[graphql(guard = "RoleGuard::operator()")]
    async fn start_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Mode::Incremental")] mode: Mode,
    ) -> Result<PipelineRun> {
        let started = service(app_state(ctx)?)?
            .start(Trigger::Manual, mode, None)
            .await?;
        Ok(started.run.into())
    }

    /// Stops a run at its next page boundary; its data is discarded and the
    /// previous snapshot stays.
    #[graphql(guard = "RoleGuard::operator()")]
    async fn cancel_pipeline(&self, ctx: &Context<'_>, id: ID) -> Result<PipelineRun> {
        let id = parse_uuid(&id, "id")?;
        let run = service(app_state(ctx)?)?
            .cancel(id)
            .await?
            .ok_or_else(|| AppError::NotFound("no such pipeline run".to_owned()))?;
        Ok(run.into())
    }
}
