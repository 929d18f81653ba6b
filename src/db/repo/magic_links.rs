//! Magic-link rows: issue, count recent requests, and consume exactly once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::db::entities::{client, magic_link};

pub struct NewLink {
    pub client_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores a link unless `max` were issued to its client since `since`
/// (`None`). Requests for one client take turns: the transaction first
/// writes the client's row, which holds its row lock on PostgreSQL and the
/// write lock on SQLite until commit, so a burst cannot all count the same
/// few earlier links and all pass.
pub async fn insert_within_limit(
    db: &DatabaseConnection,
    link: NewLink,
    since: DateTime<Utc>,
    max: u64,
) -> Result<Option<magic_link::Model>, DbErr> {
    let txn = db.begin().await?;
    client::Entity::update_many()
        .col_expr(
            client::Column::UpdatedAt,
            Expr::col(client::Column::UpdatedAt),
        )
        .filter(client::Column::Id.eq(link.client_id))
        .exec(&txn)
        .await?;
    if count_since(&txn, link.client_id, since).await? >= max {
        return Ok(None);
    }
    let row = magic_link::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(link.client_id),
        token_hash: Set(link.token_hash),
        expires_at: Set(link.expires_at),
        used_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(row))
}

/// Deletes links that expired before `before`; they can never be redeemed
/// and are older than the hourly request window.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(magic_link::Entity::delete_many()
        .filter(magic_link::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Links issued to `client_id` since `since` (the per-hour request limit).
pub async fn count_since(
    db: &impl ConnectionTrait,
    client_id: Uuid,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    magic_link::Entity::find()
        .filter(magic_link::Column::ClientId.eq(client_id))
        .filter(magic_link::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

/// Marks the unused, unexpired link with this hash as used and returns its
/// client. One conditional UPDATE does the check and the write, so of many
/// concurrent redemptions exactly one sees a changed row, on any database.
pub async fn consume(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    let updated = magic_link::Entity::update_many()
        .col_expr(magic_link::Column::UsedAt, Expr::value(now))
        .filter(magic_link::Column::TokenHash.eq(token_hash))
        .filter(magic_link::Column::UsedAt.is_null())
        .filter(magic_link::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    Ok(magic_link::Entity::find()
        .filter(magic_link::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .map(|m| m.client_id))
}
