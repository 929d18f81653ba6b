//! Exports: the published snapshot as CSV, JSON, JSON Lines and Parquet,
//! for the scripts that load our data into pandas. Every export reads one
//! snapshot page by page, so memory stays flat whatever the table's size
//! and a run that publishes mid-download never mixes two snapshots.

pub mod calendly;
mod error;
pub mod format;
pub mod leads;
mod parquet;
mod read_ahead;
mod table;

pub use error::ExportError;
pub use table::{Cell, Column, CsvRows, Kind, Page, Pages, Table};

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::pipeline::data::{Counts, Datasets, Snapshot};

/// Rows read from the database per query.
pub const PAGE_ROWS: u64 = 2_000;

/// The export service: the snapshot reader, and nothing else.
#[derive(Clone)]
pub struct ExportService {
    data: Datasets,
    /// How many downloads may stream from a connection each holds until
    /// it ends (PostgreSQL's `COPY`); the rest read page by page, so slow
    /// clients can never take the whole pool.
    streams: Arc<Semaphore>,
}

impl ExportService {
    /// `streams`: downloads that may hold a database connection each.
    pub fn new(data: Datasets, streams: usize) -> Self {
        Self {
            data,
            streams: Arc::new(Semaphore::new(streams)),
        }
    }

    /// The snapshot an export about to start reads.
    pub async fn snapshot(&self) -> Result<Snapshot, ExportError> {
        Ok(self.data.snapshot().await?)
    }

    /// How many rows each dataset of the snapshot holds.
    pub async fn counts(&self, s: &Snapshot) -> Result<Counts, ExportError> {
        Ok(self.data.counts(s).await?)
    }
}
