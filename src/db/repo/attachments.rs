//! Ticket attachments. Lists read everything but the content, which only a
//! download or a delivery to Monday needs.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::entities::ticket_attachment::{self, ActiveModel, Column, Entity};

/// `origin` of a file sent through us, and of one attached in Monday.
pub const FROM_PORTAL: &str = "PORTAL";
pub const FROM_MONDAY: &str = "MONDAY";

/// An attachment without its content.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct Meta {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub comment_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub monday_asset_id: Option<String>,
    pub sync_state: String,
    pub created_at: DateTime<Utc>,
}

fn meta() -> sea_orm::Select<Entity> {
    Entity::find().select_only().columns([
        Column::Id,
        Column::TicketId,
        Column::CommentId,
        Column::Filename,
        Column::ContentType,
        Column::Size,
        Column::MondayAssetId,
        Column::SyncState,
        Column::CreatedAt,
    ])
}

pub async fn insert(db: &impl ConnectionTrait, row: ActiveModel) -> Result<(), DbErr> {
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Meta>, DbErr> {
    meta()
        .filter(Column::Id.eq(id))
        .into_model::<Meta>()
        .one(db)
        .await
}

/// The attachments of these comments, oldest first.
pub async fn for_comments(
    db: &impl ConnectionTrait,
    comment_ids: Vec<Uuid>,
) -> Result<Vec<Meta>, DbErr> {
    meta()
        .filter(Column::CommentId.is_in(comment_ids))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Filename)
        .into_model::<Meta>()
        .all(db)
        .await
}

/// The held copy, until Monday has the file.
pub async fn content(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Vec<u8>>, DbErr> {
    Ok(Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|a| a.content))
}

/// Monday has the file: remember its asset and drop our copy.
pub async fn delivered(
    db: &impl ConnectionTrait,
    id: Uuid,
    asset_id: &str,
    synced: &str,
) -> Result<(), DbErr> {
    // A board read that ran between Monday's answer and now may have
    // recorded the asset as a file of its own; ours is the same file. A file
    // of ours is never removed here, whatever it claims.
    Entity::delete_many()
        .filter(Column::MondayAssetId.eq(asset_id))
        .filter(Column::Origin.eq(FROM_MONDAY))
        .filter(Column::Id.ne(id))
        .exec(db)
        .await?;
    Entity::update_many()
        .col_expr(Column::MondayAssetId, Expr::value(asset_id))
        .col_expr(Column::Content, Expr::value(Option::<Vec<u8>>::None))
        .col_expr(Column::SyncState, Expr::value(synced))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_state(db: &impl ConnectionTrait, id: Uuid, state: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::SyncState, Expr::value(state))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_for_comment(db: &impl ConnectionTrait, comment_id: Uuid) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::CommentId.eq(comment_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A row for a file first seen on Monday.
pub fn from_monday(
    ticket_id: Uuid,
    comment_id: Uuid,
    asset_id: &str,
    filename: &str,
    size: i64,
    content_type: &str,
    synced: &str,
) -> ActiveModel {
    ticket_attachment::ActiveModel {
        id: Set(Uuid::new_v4()),
        ticket_id: Set(ticket_id),
        comment_id: Set(comment_id),
        filename: Set(filename.to_owned()),
        content_type: Set(content_type.to_owned()),
        size: Set(size),
        content: Set(None),
        monday_asset_id: Set(Some(asset_id.to_owned())),
        origin: Set(FROM_MONDAY.to_owned()),
        sync_state: Set(synced.to_owned()),
        created_at: Set(Utc::now()),
    }
}
