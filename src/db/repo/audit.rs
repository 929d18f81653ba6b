//! The audit trail: append, and read newest first in pages.

use chrono::{DateTime, Utc};
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

/// Which entries a reader wants; every part is optional and matched
/// literally (no wildcards).
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// Contained in the actor or the target.
    pub mentions: Option<&'a str>,
    /// The action starts with it (`api_key.` for every key event).
    pub action_prefix: Option<&'a str>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

impl Filter<'_> {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(m) = self.mentions {
            let pattern = format!("%{}%", escape_like(m));
            c = c.add(
                Condition::any()
                    .add(
                        Expr::col(audit_log::Column::Actor)
                            .like(LikeExpr::new(pattern.clone()).escape('\\')),
                    )
                    .add(
                        Expr::col(audit_log::Column::Target)
                            .like(LikeExpr::new(pattern).escape('\\')),
                    ),
            );
        }
        if let Some(p) = self.action_prefix {
            let pattern = format!("{}%", escape_like(p));
            c = c.add(
                Expr::col(audit_log::Column::Action).like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        if let Some(t) = self.since {
            c = c.add(audit_log::Column::CreatedAt.gte(t));
        }
        if let Some(t) = self.until {
            c = c.add(audit_log::Column::CreatedAt.lt(t));
        }
        c
    }
}

/// Up to `limit` entries `filter` picks, older than the entry `before`,
/// newest first.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &Filter<'_>,
    limit: u64,
    before: Option<i32>,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find().filter(filter.condition());
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
