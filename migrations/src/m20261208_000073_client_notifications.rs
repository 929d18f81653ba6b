//! Clients hear by email when staff answer or move their tickets. Each change
//! worth telling is kept in `ticket_notifications` until the mail that
//! gathers it has gone out, so a crash or an SMTP outage delays a message but
//! never loses it; `clients.notify_email` records a client's opt-out.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(
                        ColumnDef::new(Clients::NotifyEmail)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketNotifications::Table)
                    .col(
                        ColumnDef::new(TicketNotifications::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::ClientId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::TicketId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::Detail)
                            .text()
                            .not_null(),
                    )
                    // A reply's comment: read again at send time, so a reply
                    // made internal or deleted meanwhile is never mailed.
                    .col(ColumnDef::new(TicketNotifications::CommentId).uuid().null())
                    .col(
                        ColumnDef::new(TicketNotifications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    // The outbox entry gathering it into a mail, and until
                    // when: two workers never mail the same change.
                    .col(
                        ColumnDef::new(TicketNotifications::ClaimedBy)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TicketNotifications::ClaimedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ticket_notifications_client_unsent")
                    .table(TicketNotifications::Table)
                    .col(TicketNotifications::ClientId)
                    .col(TicketNotifications::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ticket_notifications_claim")
                    .table(TicketNotifications::Table)
                    .col(TicketNotifications::ClaimedBy)
                    .col(TicketNotifications::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TicketNotifications::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::NotifyEmail)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    NotifyEmail,
}

#[derive(DeriveIden)]
enum TicketNotifications {
    Table,
    Id,
    ClientId,
    TicketId,
    Kind,
    Detail,
    CommentId,
    CreatedAt,
    SentAt,
    ClaimedBy,
    ClaimedUntil,
}
