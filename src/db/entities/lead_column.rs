//! One version of one column of the leads board: its title and type, so a
//! renamed column follows on the next run without rewriting the items.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_columns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub column_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub hash: String,
    pub title: String,
    pub column_type: String,
    /// Board order.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
