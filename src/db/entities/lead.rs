//! One version of one item of the Monday leads board (see `db::snapshot`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub hash: String,
    pub name: String,
    pub group_id: String,
    pub email: Option<String>,
    /// Trimmed and lower-cased, for matching Calendly invitees.
    pub email_key: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub owner: Option<String>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// The lead's export row, typed once when the lead is written and ready
    /// to copy (`pipeline::cells::ReadyRow`); `None` on rows written before
    /// there were any. Monday's raw values live beside it, in `lead_value`.
    pub export_row: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
