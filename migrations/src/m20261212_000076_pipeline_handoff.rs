//! A run stopped at shutdown stays RUNNING (it still holds the one-run lock)
//! and records here what it finished, so the next replica to take it over
//! resumes it instead of failing it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PipelineRuns::Table)
                    .add_column(ColumnDef::new(PipelineRuns::Handoff).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PipelineRuns::Table)
                    .drop_column(PipelineRuns::Handoff)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PipelineRuns {
    Table,
    Handoff,
}
