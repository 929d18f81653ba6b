//! Support-portal clients. `email` is stored trimmed and lower-cased.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub portal_id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    /// Whether the client gets an email when staff answer or move a ticket.
    pub notify_email: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
