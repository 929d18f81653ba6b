//! Calendly snapshot lookups the pipeline needs beyond the shared ones.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::calendly_invitee;

/// The current invitees of these events, as `(invitee uri, event uri)`.
pub async fn current_invitees_of(
    db: &impl ConnectionTrait,
    event_uris: &[String],
) -> Result<Vec<(String, String)>, DbErr> {
    let mut out = Vec::new();
    for chunk in event_uris.chunks(500) {
        let rows: Vec<(String, String)> = calendly_invitee::Entity::find()
            .select_only()
            .column(calendly_invitee::Column::Uri)
            .column(calendly_invitee::Column::EventUri)
            .filter(calendly_invitee::Column::ValidTo.is_null())
            .filter(calendly_invitee::Column::EventUri.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}
