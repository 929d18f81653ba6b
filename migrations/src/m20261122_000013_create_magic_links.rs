//! One-time sign-in links for clients. Only the SHA-256 of the token is kept;
//! `used_at` is set by a single conditional UPDATE so a link is redeemed once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MagicLinks::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(MagicLinks::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MagicLinks::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(MagicLinks::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(MagicLinks::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MagicLinks::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MagicLinks::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_magic_links_client")
                            .from(MagicLinks::Table, MagicLinks::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Counting a client's recent requests (the per-hour limit) uses this.
        manager
            .create_index(
                Index::create()
                    .name("idx_magic_links_client_created")
                    .table(MagicLinks::Table)
                    .col(MagicLinks::ClientId)
                    .col(MagicLinks::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MagicLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MagicLinks {
    Table,
    Id,
    ClientId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}
