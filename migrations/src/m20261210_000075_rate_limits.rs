//! Rate-limit state shared by every replica when there is no Redis: one row
//! per limited thing (an API key, a login name or address), holding the
//! time its budget is next fully spent (GCRA's theoretical arrival time, in
//! microseconds since the epoch).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(
                        ColumnDef::new(RateLimits::Key)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RateLimits::Tat).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    Tat,
}
