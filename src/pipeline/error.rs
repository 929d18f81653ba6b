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
}

impl Transient for PipelineError {
    fn is_transient(&self) -> bool {
        match self {
            PipelineError::Monday(e) => e.is_transient(),
            PipelineError::Calendly(e) => e.is_transient(),
            PipelineError::Db(_) => true,
            PipelineError::Upstream(_) | PipelineError::Cancelled => false,
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
            PipelineError::Upstream(m) => {
                tracing::error!(error = %m, "pipeline upstream error");
                AppError::Upstream(
                    "an upstream answered in a way the pipeline cannot use".to_owned(),
                )
            }
        }
    }
}
