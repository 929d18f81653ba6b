//! Revoked session tokens. Rows live until the token would have expired, so
//! the table stays small; expired rows are pruned whenever one is added.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::db::entities::revoked_token;

pub async fn revoke(
    db: &impl ConnectionTrait,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    revoked_token::Entity::delete_many()
        .filter(revoked_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let row = revoked_token::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(expires_at),
        revoked_at: Set(now),
    };
    // Logging out twice with the same token is not an error.
    revoked_token::Entity::insert(row)
        .on_conflict_do_nothing_on([revoked_token::Column::Jti])
        .exec(db)
        .await?;
    Ok(())
}

pub async fn is_revoked(db: &impl ConnectionTrait, jti: &str) -> Result<bool, DbErr> {
    Ok(revoked_token::Entity::find_by_id(jti.to_owned())
        .count(db)
        .await?
        > 0)
}
