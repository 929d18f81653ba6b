//! A running server's place in the database: a small slot number it holds
//! while it runs, renewed by a heartbeat, that outbox claims point at.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "liveness_slots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub slot: i32,
    /// A fresh id per process run.
    pub holder: String,
    pub host: String,
    pub pid: i64,
    pub heartbeat_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
