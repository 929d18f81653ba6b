//! Clients of the support portal: lookups, writes and the keyset-paged list.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::entities::client;

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<client::Model>, DbErr> {
    client::Entity::find_by_id(id).one(db).await
}

/// `email` must already be normalised (trimmed, lower-cased).
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<client::Model>, DbErr> {
    client::Entity::find()
        .filter(client::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn find_by_portal_id(
    db: &impl ConnectionTrait,
    portal_id: &str,
) -> Result<Option<client::Model>, DbErr> {
    client::Entity::find()
        .filter(client::Column::PortalId.eq(portal_id))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: client::ActiveModel,
) -> Result<client::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: client::ActiveModel,
) -> Result<client::Model, DbErr> {
    row.update(db).await
}

/// True when a row was deleted.
pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(client::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Up to `limit` clients ordered by email, after the email `after` (the
/// cursor), optionally filtered by a case-insensitive substring of email,
/// name, company or portal id.
pub async fn page(
    db: &impl ConnectionTrait,
    limit: u64,
    after: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<client::Model>, DbErr> {
    let mut query = client::Entity::find();
    if let Some(after) = after {
        query = query.filter(client::Column::Email.gt(after));
    }
    if let Some(term) = search.map(str::trim).filter(|s| !s.is_empty()) {
        // LIKE is case-sensitive on PostgreSQL and not on SQLite; comparing
        // lower-cased values behaves the same on both.
        let escaped = term
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let mut any = Condition::any();
        for col in [
            client::Column::Email,
            client::Column::Name,
            client::Column::Company,
            client::Column::PortalId,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(col)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        query = query.filter(any);
    }
    query
        .order_by_asc(client::Column::Email)
        .limit(limit)
        .all(db)
        .await
}
