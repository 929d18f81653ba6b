//! Changes waiting to be told to clients by email, and the opt-out.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::db::entities::{client, ticket_notification as entity};

/// A change to tell: what it is, and for a reply its comment.
pub struct NewNotification<'a> {
    pub client_id: Uuid,
    pub ticket_id: Uuid,
    pub kind: &'a str,
    pub detail: &'a str,
    pub comment_id: Option<Uuid>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    n: NewNotification<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    entity::Entity::insert(entity::ActiveModel {
        client_id: Set(n.client_id),
        ticket_id: Set(n.ticket_id),
        kind: Set(n.kind.to_owned()),
        detail: Set(n.detail.to_owned()),
        comment_id: Set(n.comment_id),
        created_at: Set(now),
        sent_at: Set(None),
        claimed_by: Set(None),
        claimed_until: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Takes the client's unsent changes for the mail of outbox entry `entry`,
/// until `until`, and returns them oldest first. Changes another entry holds
/// are left to it; a claim that ran out (its worker died) is taken over.
pub async fn claim(
    db: &impl ConnectionTrait,
    client_id: Uuid,
    entry: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::update_many()
        .col_expr(entity::Column::ClaimedBy, Expr::value(entry))
        .col_expr(entity::Column::ClaimedUntil, Expr::value(until))
        .filter(entity::Column::ClientId.eq(client_id))
        .filter(entity::Column::SentAt.is_null())
        .filter(
            Condition::any()
                .add(entity::Column::ClaimedUntil.is_null())
                .add(entity::Column::ClaimedUntil.lt(now))
                .add(entity::Column::ClaimedBy.eq(entry)),
        )
        .exec(db)
        .await?;
    entity::Entity::find()
        .filter(entity::Column::ClaimedBy.eq(entry))
        .filter(entity::Column::SentAt.is_null())
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await
}

/// Marks what entry `entry` claimed as told (or dropped, for a client who
/// opted out).
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    entry: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    entity::Entity::update_many()
        .col_expr(entity::Column::SentAt, Expr::value(now))
        .filter(entity::Column::ClaimedBy.eq(entry))
        .filter(entity::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Gives back what entry `entry` claimed, after a failed send.
pub async fn release(db: &impl ConnectionTrait, entry: i64) -> Result<(), DbErr> {
    entity::Entity::update_many()
        .col_expr(
            entity::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(entity::Column::ClaimedBy.eq(entry))
        .filter(entity::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Sets a client's email opt-in; `None` when there is no such client.
pub async fn set_opt_in(
    db: &impl ConnectionTrait,
    client_id: Uuid,
    on: bool,
    now: DateTime<Utc>,
) -> Result<Option<client::Model>, DbErr> {
    client::Entity::update_many()
        .col_expr(client::Column::NotifyEmail, Expr::value(on))
        .col_expr(client::Column::UpdatedAt, Expr::value(now))
        .filter(client::Column::Id.eq(client_id))
        .exec(db)
        .await?;
    client::Entity::find_by_id(client_id).one(db).await
}

/// Drops changes mailed before `before`: the mail has their text now.
pub async fn prune_sent(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::SentAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
