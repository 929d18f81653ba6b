//! One version of one Calendly user of the organization.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendly_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uri: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub hash: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub slug: Option<String>,
    pub timezone: Option<String>,
    pub scheduling_url: Option<String>,
    pub organization: Option<String>,
    /// The user our token belongs to (`/users/me`).
    pub is_current: bool,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// Calendly's JSON of the user.
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
