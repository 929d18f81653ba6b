//! A support ticket: our copy of one item on the Monday tickets board.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    /// Human-facing ticket number, assigned by the database.
    #[sea_orm(primary_key)]
    pub number: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    #[sea_orm(unique)]
    pub monday_item_id: Option<String>,
    pub sync_state: String,
    pub sync_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
