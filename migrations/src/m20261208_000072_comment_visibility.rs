//! Staff write internal notes on a ticket's Monday item beside their public
//! replies; each comment records which it is, so that clients are only ever
//! shown the public ones. Comments from before this change were all shown
//! to their clients, so they stay public.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TicketComments::Table)
                    .add_column(
                        ColumnDef::new(TicketComments::Visibility)
                            .string_len(16)
                            .not_null()
                            .default("PUBLIC"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TicketComments::Table)
                    .drop_column(TicketComments::Visibility)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum TicketComments {
    Table,
    Visibility,
}
