//! What can go wrong preparing or streaming an export.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The filter names a group the board does not have.
    #[error("no group {group:?} on the leads board")]
    UnknownGroup {
        group: String,
        available: Vec<String>,
    },
    /// The snapshot an export was reading was pruned under it.
    #[error("snapshot {0} was replaced twice during the export")]
    SnapshotGone(i64),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("encoding: {0}")]
    Encode(String),
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::UnknownGroup { .. } => AppError::NotFound(e.to_string()),
            other => AppError::internal(other),
        }
    }
}
