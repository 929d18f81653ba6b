//! The outbox serves every domain, not just tickets: an entry names its
//! `kind` (`tickets.create_item`, …) and its `subject` (the id of what it is
//! about) instead of a ticket id. Existing entries are kept and renamed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(
                        ColumnDef::new(Outbox::Subject)
                            .string_len(64)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        // UUIDs are text on SQLite (as sea-orm writes them); should one be a
        // 16-byte blob, spell it out as PostgreSQL does.
        let subject = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                "CASE typeof(ticket_id) WHEN 'blob' THEN lower(substr(hex(ticket_id), 1, 8) || '-' || \
                 substr(hex(ticket_id), 9, 4) || '-' || substr(hex(ticket_id), 13, 4) || '-' || \
                 substr(hex(ticket_id), 17, 4) || '-' || substr(hex(ticket_id), 21, 12)) \
                 ELSE ticket_id END"
            }
            _ => "ticket_id::text",
        };
        db.execute_unprepared(&format!(
            "UPDATE outbox SET subject = {subject}, kind = 'tickets.' || kind"
        ))
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::TicketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_subject")
                    .table(Outbox::Table)
                    .col(Outbox::Subject)
                    .col(Outbox::DeliveredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_subject")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        // Entries of other domains have no ticket to point at.
        db.execute_unprepared("DELETE FROM outbox WHERE kind NOT LIKE 'tickets.%'")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(ColumnDef::new(Outbox::TicketId).uuid().null())
                    .to_owned(),
            )
            .await?;
        let ticket_id = match db.get_database_backend() {
            DatabaseBackend::Sqlite => "subject",
            _ => "subject::uuid",
        };
        db.execute_unprepared(&format!(
            "UPDATE outbox SET ticket_id = {ticket_id}, kind = substr(kind, 9)"
        ))
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::Subject)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    TicketId,
    Subject,
    DeliveredAt,
}
