//! One version of one invitee of a scheduled Calendly event: every invitee,
//! not only the first.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendly_invitees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uri: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub hash: String,
    pub event_uri: String,
    pub email: Option<String>,
    /// Trimmed and lower-cased, for matching leads.
    pub email_key: Option<String>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `active` or `canceled`.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub canceled_by: Option<String>,
    pub rescheduled: bool,
    /// JSON: `[{question, answer, position}]`.
    pub questions_and_answers: Option<String>,
    /// JSON: `{utm_campaign, utm_source, …}`.
    pub tracking: Option<String>,
    pub timezone: Option<String>,
    /// When a webhook last wrote this version between runs.
    pub touched_at: Option<DateTimeUtc>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
