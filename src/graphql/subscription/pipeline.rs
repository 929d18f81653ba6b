//! `pipelineProgress`: one run, live. Each event is the run as the database
//! has it (so a run on another replica shows too) and the log lines since the
//! last event; the stream ends with the run.

use std::time::Duration;

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, StreamExt};

use crate::auth::RoleGuard;
use crate::changes::Change;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::query::pipeline::service;
use crate::graphql::types::pipeline::{PipelineLogLine, PipelineProgressEvent, PipelineRun};
use crate::ids::parse_uuid;
use crate::pipeline::RunStatus;

/// How long to wait for a change here before reading the run again (it may
/// be running on another replica).
const POLL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct PipelineSubscription;

#[Subscription]
impl PipelineSubscription {
    /// Progress and log lines of one run until it ends.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn pipeline_progress(
        &self,
        ctx: &Context<'_>,
        run_id: ID,
    ) -> Result<impl Stream<Item = PipelineProgressEvent> + use<>> {
        let state = app_state(ctx)?;
        let id = parse_uuid(&run_id, "runId")?;
        let service = service(state)?.clone();
        if service.run(id).await?.is_none() {
            return Err(AppError::NotFound("no such pipeline run".to_owned()).into());
        }
        let mut changes = state.changes.subscribe();
        Ok(async_stream::stream! {
            let mut after: Option<i64> = None;
            loop {
                let Ok(Some(run)) = service.run(id).await else { break };
                let mut lines = Vec::new();
                while let Ok((page, more)) = service.log(id, after, 100).await {
                    after = page.last().map(|l| l.id).or(after);
                    lines.extend(page.into_iter().map(PipelineLogLine::from));
                    if !more {
                        break;
                    }
                }
                let finished = run.status != RunStatus::Running.code();
                yield PipelineProgressEvent {
                    run: PipelineRun::from(run),
                    log: lines,
                    finished,
                };
                if finished {
                    break;
                }
                let _ = tokio::time::timeout(POLL, async {
                    while let Some(c) = changes.next().await {
                        if matches!(c.as_ref(), Change::PipelineRun { run_id } if *run_id == id) {
                            break;
                        }
                    }
                })
                .await;
            }
        })
    }
}
