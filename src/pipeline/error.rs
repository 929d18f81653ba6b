//! What can end a pipeline run early, and what it means to a caller.

use crate::error::AppError;
use crate::upstream::Transient;
use crate::upstream::calendly::CalendlyError;
use crate::upstream::monday::MondayError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Monday(#[from] MondayError),
    #[error(transparent)]
    Calendly(#[from] CalendlyError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// The upstream answered, but not with what a run can use (a board that
    /// is gone, a page that cannot be read).
    #[error("{0}")]
    Upstream(String),
    /// Someone asked the run to stop; it stopped at a page boundary.
    #[error("cancelled")]
    Cancelled,
    /// Another replica found this run's process gone and ended it; this
    /// process must not write to its snapshot any more.
    #[error("the run was ended elsewhere")]
    Fenced,
    /// This process is shutting down: the run stopped at a page boundary
    /// and is handed over to another replica, which resumes it.
    #[error("handed over at shutdown")]
    Interrupted,
}

impl PipelineError {
    /// What a run's record says of this failure: safe to show staff and API
    /// keys; the detail stays in the logs.
    pub fn public(&self) -> String {
        match self {
            PipelineError::Monday(e) if e.is_transient() => {
                "Monday is unavailable; the run stopped".to_owned()
            }
            PipelineError::Monday(_) => "Monday refused a request of the run".to_owned(),
            PipelineError::Calendly(e) if e.is_transient() => {
                "Calendly is unavailable; the run stopped".to_owned()
            }
            PipelineError::Calendly(_) => "Calendly refused a request of the run".to_owned(),
            PipelineError::Db(_) => "the database failed during the run".to_owned(),
            // Our own words, naming no internals.
            PipelineError::Upstream(m) => m.clone(),
            PipelineError::Cancelled => "cancelled".to_owned(),
            PipelineError::Fenced => "the process running it stopped".to_owned(),
            PipelineError::Interrupted => {
                "the server running it stopped; another one resumes it".to_owned()
            }
        }
    }
}

impl Transient for PipelineError {
    fn is_transient(&self) -> bool {
        match self {
            PipelineError::Monday(e) => e.is_transient(),
            PipelineError::Calendly(e) => e.is_transient(),
            PipelineError::Db(_) => true,
            PipelineError::Upstream(_)
            | PipelineError::Cancelled
            | PipelineError::Fenced
            | PipelineError::Interrupted => false,
        }
    }
}

impl From<PipelineError> for AppError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Monday(m) => m.into(),
            PipelineError::Calendly(c) => c.into(),
            PipelineError::Db(db) => db.into(),
            PipelineError::Cancelled => AppError::Conflict("the run was cancelled".to_owned()),
            PipelineError::Fenced => AppError::Conflict("the run was ended elsewhere".to_owned()),
            PipelineError::Interrupted => {
                AppError::Unavailable("the server is shutting down".to_owned())
            }
            PipelineError::Upstream(m) => {
                tracing::error!(error = %m, "pipeline upstream error");
                AppError::Upstream(
                    "an upstream answered in a way the pipeline cannot use".to_owned(),
                )
            }
        }
    }
}
