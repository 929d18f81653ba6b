//! The pipeline's runs and status. The status is public-safe; runs and
//! their logs are for staff and API keys.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::types::pipeline::{PipelineRun, PipelineStatus};
use crate::ids::parse_uuid;
use crate::pipeline::PipelineService;
use crate::state::AppState;

pub fn service(state: &AppState) -> Result<&std::sync::Arc<PipelineService>, AppError> {
    state
        .pipeline
        .as_ref()
        .ok_or_else(|| AppError::Unavailable("the data hub is not configured".to_owned()))
}

#[derive(Default)]
pub struct PipelineQuery;

const LIST: &str = "pipeline_runs";

#[Object]
impl PipelineQuery {
    /// The last successful run, the one going on, row counts per dataset
    /// and lead group, and how fresh the data is.
    async fn pipeline_status(&self, ctx: &Context<'_>) -> Result<PipelineStatus> {
        let summary = service(app_state(ctx)?)?.summary().await?;
        Ok(summary.into())
    }

    /// Runs, newest first.
    #[graphql(
        guard = "RoleGuard::staff()",
        complexity = "page_cost(first, child_complexity)"
    )]
    async fn pipeline_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PipelineRun>> {
        let limit = page_size(first)?;
        let before = pagination::after::<i64>(LIST, after.as_deref())?;
        let (rows, more) = service(app_state(ctx)?)?.runs(limit, before).await?;
        Ok(pagination::connection(
            LIST,
            rows,
            before.is_some(),
            more,
            |r| r.number,
            PipelineRun::from,
        ))
    }

    #[graphql(guard = "RoleGuard::staff()")]
    async fn pipeline_run(&self, ctx: &Context<'_>, id: ID) -> Result<PipelineRun> {
        let id = parse_uuid(&id, "id")?;
        service(app_state(ctx)?)?
            .run(id)
            .await?
            .map(PipelineRun::from)
            .ok_or_else(|| AppError::NotFound("no such pipeline run".to_owned()).into())
    }
}
