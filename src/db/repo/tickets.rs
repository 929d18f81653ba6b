//! Tickets and their comments: the keyset-paged list every caller reads, and
//! the writes that go with an outbox entry in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::entities::{ticket, ticket_comment};

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Only this client's tickets (always set for a client caller).
    pub client_id: Option<Uuid>,
    pub status: Option<&'static str>,
    pub priority: Option<&'static str>,
    /// Case-insensitive substring of the title or description.
    pub search: Option<String>,
}

/// Up to `limit` tickets, newest first, with numbers below `before` (the
/// cursor). Fetches one extra row to tell whether another page exists.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &TicketFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<ticket::Model>, bool), DbErr> {
    let mut cond = Condition::all().add(ticket::Column::DeletedAt.is_null());
    if let Some(c) = filter.client_id {
        cond = cond.add(ticket::Column::ClientId.eq(c));
    }
    if let Some(s) = filter.status {
        cond = cond.add(ticket::Column::Status.eq(s));
    }
    if let Some(p) = filter.priority {
        cond = cond.add(ticket::Column::Priority.eq(p));
    }
    if let Some(q) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        let like = |col: ticket::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        cond = cond.add(
            Condition::any()
                .add(like(ticket::Column::Title))
                .add(like(ticket::Column::Description)),
        );
    }
    if let Some(b) = before {
        cond = cond.add(ticket::Column::Number.lt(b));
    }
    let mut rows = ticket::Entity::find()
        .filter(cond)
        .order_by_desc(ticket::Column::Number)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ticket::Model>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::Column::Id.eq(id))
        .filter(ticket::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Including deleted tickets (delivery still settles their entries).
pub async fn find_any(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ticket::Model>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn find_by_item(
    db: &impl ConnectionTrait,
    item_id: &str,
) -> Result<Option<ticket::Model>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::Column::MondayItemId.eq(item_id))
        .one(db)
        .await
}

pub async fn count_for_client(db: &impl ConnectionTrait, client_id: Uuid) -> Result<u64, DbErr> {
    ticket::Entity::find()
        .filter(ticket::Column::ClientId.eq(client_id))
        .filter(ticket::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// Every ticket row, deleted or not (operations and benchmarks).
pub async fn count_all(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    ticket::Entity::find().count(db).await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: ticket::ActiveModel,
) -> Result<ticket::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: ticket::ActiveModel,
) -> Result<ticket::Model, DbErr> {
    row.update(db).await
}

/// Item ids of the live tickets linked to a Monday item.
pub async fn linked_item_ids(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashSet<String>, DbErr> {
    let rows: Vec<Option<String>> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::MondayItemId)
        .filter(ticket::Column::MondayItemId.is_not_null())
        .filter(ticket::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Marks the tickets of these (vanished) items deleted; returns them.
pub async fn mark_items_deleted(
    db: &impl ConnectionTrait,
    item_ids: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Vec<ticket::Model>, DbErr> {
    let mut out = Vec::with_capacity(item_ids.len());
    for id in item_ids {
        if let Some(t) = find_by_item(db, &id).await?
            && t.deleted_at.is_none()
        {
            let mut row: ticket::ActiveModel = t.into();
            row.deleted_at = Set(Some(now));
            out.push(row.update(db).await?);
        }
    }
    Ok(out)
}

pub async fn comments(
    db: &impl ConnectionTrait,
    ticket_id: Uuid,
) -> Result<Vec<ticket_comment::Model>, DbErr> {
    ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_comment::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn comments_for(
    db: &impl ConnectionTrait,
    ticket_ids: Vec<Uuid>,
) -> Result<Vec<ticket_comment::Model>, DbErr> {
    ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TicketId.is_in(ticket_ids))
        .order_by_asc(ticket_comment::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn insert_comment(
    db: &impl ConnectionTrait,
    row: ticket_comment::ActiveModel,
) -> Result<ticket_comment::Model, DbErr> {
    row.insert(db).await
}

pub async fn find_comment(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<ticket_comment::Model>, DbErr> {
    ticket_comment::Entity::find_by_id(id).one(db).await
}

pub async fn update_comment(
    db: &impl ConnectionTrait,
    row: ticket_comment::ActiveModel,
) -> Result<ticket_comment::Model, DbErr> {
    row.update(db).await
}

/// Removes a comment whose Monday update was deleted, with its files (call
/// inside a transaction).
pub async fn delete_comment(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    super::attachments::delete_for_comment(db, id).await?;
    ticket_comment::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
