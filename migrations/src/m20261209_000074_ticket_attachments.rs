//! Files on tickets. Monday keeps them (as update assets); a row here names
//! the file, the comment it belongs to and its Monday asset. A file a client
//! sends is held in `content` only until it reaches Monday, in the database
//! so that every replica can deliver and serve it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TicketAttachments::Table)
                    .col(
                        ColumnDef::new(TicketAttachments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::TicketId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::CommentId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::Filename)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::ContentType)
                            .string_len(127)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::Size)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TicketAttachments::Content).blob().null())
                    .col(
                        ColumnDef::new(TicketAttachments::MondayAssetId)
                            .string_len(32)
                            .null()
                            .unique_key(),
                    )
                    // PORTAL (sent through us) or MONDAY (attached there).
                    .col(
                        ColumnDef::new(TicketAttachments::Origin)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::SyncState)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TicketAttachments::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ticket_attachments_ticket")
                    .table(TicketAttachments::Table)
                    .col(TicketAttachments::TicketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ticket_attachments_comment")
                    .table(TicketAttachments::Table)
                    .col(TicketAttachments::CommentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TicketAttachments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TicketAttachments {
    Table,
    Id,
    TicketId,
    CommentId,
    Filename,
    ContentType,
    Size,
    Content,
    MondayAssetId,
    Origin,
    SyncState,
    CreatedAt,
}
