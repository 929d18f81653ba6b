//! A file on a ticket's comment: sent by a client or staff through us (held
//! in `content` until Monday has it), or attached by staff in Monday.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub comment_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub content: Option<Vec<u8>>,
    #[sea_orm(unique)]
    pub monday_asset_id: Option<String>,
    /// `PORTAL` (sent through us) or `MONDAY` (attached there).
    pub origin: String,
    pub sync_state: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
