//! One change a client is to hear of by email (a public reply, a new status),
//! kept until the mail that gathers it has been sent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: Uuid,
    pub ticket_id: Uuid,
    /// `REPLY` or `STATUS`.
    pub kind: String,
    /// What to tell: the reply's text, or the new status's label.
    pub detail: String,
    /// For a reply: its comment, read again when the mail is sent.
    pub comment_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The outbox entry mailing it, while `claimed_until` is ahead.
    pub claimed_by: Option<i64>,
    pub claimed_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
