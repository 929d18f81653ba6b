//! Monday's raw cells of one lead version, `{column id: {text, value}}`:
//! kept beside the lead rather than in it, so that scans of leads (exports)
//! stay narrow. Written with its lead version and deleted with it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    /// JSON object: column id → `{text, value}` (value as Monday types it).
    pub column_values: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
