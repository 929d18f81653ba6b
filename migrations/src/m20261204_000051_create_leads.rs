//! The Monday leads board as the pipeline last published it: items, the
//! board's columns (titles in board order) and its groups, each a snapshot
//! table (see `versioned`).

use sea_orm_migration::prelude::*;

use crate::versioned;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: Leads| {
            ColumnDef::new(c)
                .timestamp_with_time_zone()
                .null()
                .to_owned()
        };
        manager
            .create_table(
                versioned::table(Leads::Table, Leads::ItemId)
                    .col(ColumnDef::new(Leads::Name).text().not_null())
                    .col(ColumnDef::new(Leads::GroupId).string_len(128).not_null())
                    .col(ColumnDef::new(Leads::Email).string_len(320).null())
                    .col(ColumnDef::new(Leads::EmailKey).string_len(320).null())
                    .col(ColumnDef::new(Leads::Phone).string_len(64).null())
                    .col(ColumnDef::new(Leads::Company).text().null())
                    .col(ColumnDef::new(Leads::Owner).text().null())
                    .col(ts(Leads::CreatedAt))
                    .col(ts(Leads::UpdatedAt))
                    .col(ColumnDef::new(Leads::ColumnValues).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "leads", Leads::Table, Leads::ItemId).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_leads_email_key")
                    .table(Leads::Table)
                    .col(Leads::EmailKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                versioned::table(Columns::Table, Columns::ColumnId)
                    .col(ColumnDef::new(Columns::Title).text().not_null())
                    .col(
                        ColumnDef::new(Columns::ColumnType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Columns::Position).integer().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "lead_columns", Columns::Table, Columns::ColumnId).await?;

        manager
            .create_table(
                versioned::table(Groups::Table, Groups::GroupId)
                    .col(ColumnDef::new(Groups::Title).text().not_null())
                    .col(ColumnDef::new(Groups::Position).integer().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "lead_groups", Groups::Table, Groups::GroupId).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Groups::Table.into_iden(),
            Columns::Table.into_iden(),
            Leads::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Leads {
    Table,
    ItemId,
    Name,
    GroupId,
    Email,
    EmailKey,
    Phone,
    Company,
    Owner,
    CreatedAt,
    UpdatedAt,
    ColumnValues,
}

#[derive(DeriveIden, Clone, Copy)]
enum Columns {
    #[sea_orm(iden = "lead_columns")]
    Table,
    ColumnId,
    Title,
    ColumnType,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum Groups {
    #[sea_orm(iden = "lead_groups")]
    Table,
    GroupId,
    Title,
    Position,
}
