//! Webhook deliveries already applied, per sender, so a retried delivery is
//! recognised on any replica.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::db::entities::webhook_receipt;

/// True when `source` delivered `delivery_id` before and it was applied.
pub async fn exists(
    db: &impl ConnectionTrait,
    source: &str,
    delivery_id: &str,
) -> Result<bool, DbErr> {
    Ok(
        webhook_receipt::Entity::find_by_id((source.to_owned(), delivery_id.to_owned()))
            .one(db)
            .await?
            .is_some(),
    )
}

pub async fn record(
    db: &impl ConnectionTrait,
    source: &str,
    delivery_id: &str,
    event_type: &str,
) -> Result<(), DbErr> {
    webhook_receipt::Entity::insert(webhook_receipt::ActiveModel {
        source: Set(source.to_owned()),
        delivery_id: Set(delivery_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        received_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([
        webhook_receipt::Column::Source,
        webhook_receipt::Column::DeliveryId,
    ])
    .exec(db)
    .await?;
    Ok(())
}
