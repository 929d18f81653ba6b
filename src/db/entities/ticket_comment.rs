//! A comment on a ticket: a Monday update, written by staff in Monday or by
//! the client through us.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_comments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ticket_id: Uuid,
    #[sea_orm(unique)]
    pub monday_update_id: Option<String>,
    pub body: String,
    pub author_name: String,
    pub author_kind: String,
    pub sync_state: String,
    /// `PUBLIC` or `INTERNAL` (`tickets::Visibility`).
    pub visibility: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
