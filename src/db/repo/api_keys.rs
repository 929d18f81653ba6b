//! API key rows. Lookups go by the SHA-256 of the presented key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::db::entities::api_key;

pub async fn insert(
    db: &impl ConnectionTrait,
    row: api_key::ActiveModel,
) -> Result<api_key::Model, DbErr> {
    row.insert(db).await
}

pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    key_hash: &str,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .one(db)
        .await
}

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find_by_id(id).one(db).await
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .order_by_desc(api_key::Column::CreatedAt)
        .all(db)
        .await
}

/// Sets `revoked_at` unless already revoked; true when this call revoked it.
pub async fn revoke(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let res = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Records `count` requests, the last at `now`. Returns true when these
/// were the key's first.
pub async fn record_use(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    count: u64,
) -> Result<bool, DbErr> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let update = || {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .col_expr(
                api_key::Column::UsageCount,
                Expr::col(api_key::Column::UsageCount).add(count),
            )
            .filter(api_key::Column::Id.eq(id))
    };
    let first = update()
        .filter(api_key::Column::LastUsedAt.is_null())
        .exec(db)
        .await?;
    if first.rows_affected > 0 {
        return Ok(true);
    }
    update().exec(db).await?;
    Ok(false)
}
