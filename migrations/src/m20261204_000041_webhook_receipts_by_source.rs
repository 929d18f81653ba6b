//! Webhook deliveries already applied are remembered per sender: Monday's
//! `triggerUuid` and Calendly's deliveries share one table, keyed by
//! `(source, delivery_id)`. Existing receipts are Monday's.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .rename_table(
                Table::rename()
                    .table(WebhookReceipts::Table, Old::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookReceipts::Table)
                    .col(
                        ColumnDef::new(WebhookReceipts::Source)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookReceipts::DeliveryId)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookReceipts::EventType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookReceipts::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(WebhookReceipts::Source)
                            .col(WebhookReceipts::DeliveryId),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO webhook_receipts (source, delivery_id, event_type, received_at) \
             SELECT 'monday', trigger_uuid, event_type, received_at FROM webhook_receipts_old",
        )
        .await?;
        manager
            .drop_table(Table::drop().table(Old::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .rename_table(
                Table::rename()
                    .table(WebhookReceipts::Table, New::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookReceipts::Table)
                    .col(
                        ColumnDef::new(Old::TriggerUuid)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Old::EventType).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Old::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO webhook_receipts (trigger_uuid, event_type, received_at) \
             SELECT delivery_id, event_type, received_at FROM webhook_receipts_new \
             WHERE source = 'monday' AND length(delivery_id) <= 64",
        )
        .await?;
        manager
            .drop_table(Table::drop().table(New::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookReceipts {
    Table,
    Source,
    DeliveryId,
    EventType,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Old {
    #[sea_orm(iden = "webhook_receipts_old")]
    Table,
    TriggerUuid,
    EventType,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum New {
    #[sea_orm(iden = "webhook_receipts_new")]
    Table,
}
