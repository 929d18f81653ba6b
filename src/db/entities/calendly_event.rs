//! One version of one scheduled Calendly event, active or canceled.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendly_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uri: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub hash: String,
    pub name: Option<String>,
    /// `active` or `canceled`.
    pub status: String,
    pub start_time: Option<DateTimeUtc>,
    pub end_time: Option<DateTimeUtc>,
    pub event_type_uri: Option<String>,
    pub location: Option<String>,
    pub invitees_total: i32,
    pub invitees_active: i32,
    pub cancel_reason: Option<String>,
    /// When a webhook last wrote this version between runs.
    pub touched_at: Option<DateTimeUtc>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
