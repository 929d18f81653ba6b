//! The audit trail: append, and read newest first in pages.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::escape_like;
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

/// Entries whose actor or target contains `mentions` and whose action
/// starts with `action_prefix`, newest first. Both are matched literally.
pub async fn search(
    db: &impl ConnectionTrait,
    mentions: Option<&str>,
    action_prefix: Option<&str>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find();
    if let Some(m) = mentions {
        let pattern = format!("%{}%", escape_like(m));
        query = query.filter(
            Condition::any()
                .add(
                    Expr::col(audit_log::Column::Actor)
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::col(audit_log::Column::Target).like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(p) = action_prefix {
        let pattern = format!("{}%", escape_like(p));
        query = query
            .filter(Expr::col(audit_log::Column::Action).like(LikeExpr::new(pattern).escape('\\')));
    }
    query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
