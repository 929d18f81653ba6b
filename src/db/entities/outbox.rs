//! A write to an upstream that must happen, stored in the same transaction as
//! the change that caused it, so nothing is lost while the upstream is down.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What it does, namespaced by domain: `tickets.create_item`, …
    pub kind: String,
    /// The id of what it is about (a ticket); entries of one subject are
    /// delivered in order.
    pub subject: String,
    /// JSON.
    pub payload: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    /// The liveness slot and holder of the process that claimed it last
    /// (see `db::liveness`); a restart on that slot releases the claim.
    pub claimed_slot: Option<i32>,
    pub claimed_by: Option<String>,
    /// Refused for good by the upstream: no longer delivered.
    pub failed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
