//! Narrow lead rows for fast exports. Monday's raw `{text, value}` per
//! column moves to `lead_values`, one row per lead version (deleted with
//! it), and leads gain `export_row`, the row exports read, typed and ready
//! to copy, worked out when the pipeline writes the lead (see
//! `pipeline::cells`). A million-lead export then scans a fraction of the
//! bytes it did. Rows written before keep it null; readers fall back to
//! their values.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeadValues::Table)
                    .col(
                        ColumnDef::new(LeadValues::ItemId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LeadValues::ValidFrom)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LeadValues::ColumnValues).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(LeadValues::ItemId)
                            .col(LeadValues::ValidFrom),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                LeadValues::Table,
                                (LeadValues::ItemId, LeadValues::ValidFrom),
                            )
                            .to(Leads::Table, (Leads::ItemId, Leads::ValidFrom))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO lead_values (item_id, valid_from, column_values) \
                 SELECT item_id, valid_from, column_values FROM leads",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .drop_column(Leads::ColumnValues)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .add_column(ColumnDef::new(Leads::ExportRow).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .drop_column(Leads::ExportRow)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .add_column(
                        ColumnDef::new(Leads::ColumnValues)
                            .text()
                            .not_null()
                            .default("{}"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE leads SET column_values = COALESCE((SELECT v.column_values \
                 FROM lead_values v WHERE v.item_id = leads.item_id \
                 AND v.valid_from = leads.valid_from), '{}')",
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LeadValues::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Leads {
    Table,
    ItemId,
    ValidFrom,
    ColumnValues,
    ExportRow,
}

#[derive(DeriveIden, Clone, Copy)]
enum LeadValues {
    Table,
    ItemId,
    ValidFrom,
    ColumnValues,
}
