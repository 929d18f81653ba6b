//! The audit trail: append, and read newest first in pages.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::audit_log;

pub async fn insert(
    db: &impl ConnectionTrait,
    actor: String,
    action: &str,
    target: Option<String>,
    ip: Option<String>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: NotSet,
        actor: Set(actor),
        action: Set(action.to_owned()),
        target: Set(target),
        ip: Set(ip),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Up to `limit` entries older than the entry `before` (newest first).
pub async fn page(
    db: &impl ConnectionTrait,
    limit: u64,
    before: Option<i32>,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find();
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
