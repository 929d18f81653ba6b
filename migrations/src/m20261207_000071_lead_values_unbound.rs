//! Lead values lose their foreign key to leads. On PostgreSQL the key's
//! check on every inserted value made a million-lead run crawl (the check
//! dominated the profile), and its cascade is done by the snapshot code
//! now, which deletes a version's values with the version. SQLite cannot
//! drop a constraint, so there the table is rebuilt.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let names = db
                    .query_all_raw(Statement::from_string(
                        DatabaseBackend::Postgres,
                        "SELECT conname::text AS name FROM pg_constraint \
                         WHERE conrelid = 'lead_values'::regclass AND contype = 'f'",
                    ))
                    .await?;
                for row in names {
                    let name: String = row.try_get("", "name")?;
                    db.execute_unprepared(&format!(
                        "ALTER TABLE lead_values DROP CONSTRAINT \"{}\"",
                        name.replace('"', "\"\"")
                    ))
                    .await?;
                }
                Ok(())
            }
            _ => rebuild(manager, false).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Values whose version is gone would break the key.
        db.execute_unprepared(
            "DELETE FROM lead_values WHERE NOT EXISTS (SELECT 1 FROM leads l \
             WHERE l.item_id = lead_values.item_id AND l.valid_from = lead_values.valid_from)",
        )
        .await?;
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                manager
                    .create_foreign_key(
                        ForeignKey::create()
                            .from(
                                LeadValues::Table,
                                (LeadValues::ItemId, LeadValues::ValidFrom),
                            )
                            .to(Leads::Table, (Leads::ItemId, Leads::ValidFrom))
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .await
            }
            _ => rebuild(manager, true).await,
        }
    }
}

/// Creates `lead_values` again, with or without its key, and moves the rows.
async fn rebuild(manager: &SchemaManager<'_>, bound: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .rename_table(
            Table::rename()
                .table(LeadValues::Table, LeadValues::Old)
                .to_owned(),
        )
        .await?;
    let mut table = Table::create();
    table
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
        );
    if bound {
        table.foreign_key(
            ForeignKey::create()
                .from(
                    LeadValues::Table,
                    (LeadValues::ItemId, LeadValues::ValidFrom),
                )
                .to(Leads::Table, (Leads::ItemId, Leads::ValidFrom))
                .on_delete(ForeignKeyAction::Cascade),
        );
    }
    manager.create_table(table.to_owned()).await?;
    db.execute_unprepared(
        "INSERT INTO lead_values (item_id, valid_from, column_values) \
         SELECT item_id, valid_from, column_values FROM lead_values_old",
    )
    .await?;
    manager
        .drop_table(Table::drop().table(LeadValues::Old).to_owned())
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Leads {
    Table,
    ItemId,
    ValidFrom,
}

#[derive(DeriveIden, Clone, Copy)]
enum LeadValues {
    Table,
    #[sea_orm(iden = "lead_values_old")]
    Old,
    ItemId,
    ValidFrom,
    ColumnValues,
}
