//! Outbox claims name the process that holds them, so a restarted server can
//! release its dead predecessor's claims at once instead of waiting for their
//! leases; and an entry Monday refuses for good is marked failed, not retried
//! for ever. Each running server holds a row in `liveness_slots` (a slot
//! number, its holder and a heartbeat).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LivenessSlots::Table)
                    .col(
                        ColumnDef::new(LivenessSlots::Slot)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LivenessSlots::Holder)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LivenessSlots::Host)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(LivenessSlots::Pid).big_integer().not_null())
                    .col(
                        ColumnDef::new(LivenessSlots::HeartbeatAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite adds columns one at a time.
        for col in [
            ColumnDef::new(Outbox::ClaimedSlot)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Outbox::ClaimedBy)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Outbox::FailedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Outbox::FailedAt, Outbox::ClaimedBy, Outbox::ClaimedSlot] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LivenessSlots::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LivenessSlots {
    Table,
    Slot,
    Holder,
    Host,
    Pid,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    ClaimedSlot,
    ClaimedBy,
    FailedAt,
}
