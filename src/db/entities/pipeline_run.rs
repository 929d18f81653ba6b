//! One pipeline run: its trigger, mode, outcome and per-stream numbers. Its
//! `number` is also the snapshot its rows are written under.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pipeline_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: i64,
    /// `SCHEDULE`, `MANUAL` or `STARTUP`.
    pub trigger: String,
    /// `FULL` or `INCREMENTAL`.
    pub mode: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// For scheduled runs: the slot they ran for, so a slot runs once.
    pub schedule_slot: Option<DateTimeUtc>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub error: Option<String>,
    /// JSON: `[{stream, fetched, inserted, updated, deleted}]`.
    pub stats: String,
    /// JSON: `[{stream, done, total}]`.
    pub progress: String,
    pub cancel_requested: bool,
    /// JSON, while a run stopped at shutdown waits for another replica to
    /// resume it: what it had finished (`run::Resume`).
    pub handoff: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
