//! Pipeline runs and their log. A run is a record: what started it, what it
//! did per stream, and how it ended. At most one row is RUNNING at a time,
//! across every replica: a partial unique index makes the insert the lock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: Runs| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Runs::Table)
                    .col(ColumnDef::new(Runs::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Runs::Number)
                            .big_integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Runs::Trigger).string_len(16).not_null())
                    .col(ColumnDef::new(Runs::Mode).string_len(16).not_null())
                    .col(ColumnDef::new(Runs::Status).string_len(16).not_null())
                    .col(ts(Runs::ScheduleSlot).null().unique_key().to_owned())
                    .col(ts(Runs::StartedAt).not_null().to_owned())
                    .col(ts(Runs::FinishedAt).null().to_owned())
                    .col(ColumnDef::new(Runs::Error).text().null())
                    .col(ColumnDef::new(Runs::Stats).text().not_null())
                    .col(ColumnDef::new(Runs::Progress).text().not_null())
                    .col(
                        ColumnDef::new(Runs::CancelRequested)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_pipeline_runs_running ON pipeline_runs (status) \
                 WHERE status = 'RUNNING'",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pipeline_runs_status_number")
                    .table(Runs::Table)
                    .col(Runs::Status)
                    .col(Runs::Number)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Log::Table)
                    .col(
                        ColumnDef::new(Log::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Log::RunId).uuid().not_null())
                    .col(
                        ColumnDef::new(Log::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Log::Level).string_len(8).not_null())
                    .col(ColumnDef::new(Log::Stream).string_len(32).null())
                    .col(ColumnDef::new(Log::Message).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Log::Table, Log::RunId)
                            .to(Runs::Table, Runs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pipeline_log_run")
                    .table(Log::Table)
                    .col(Log::RunId)
                    .col(Log::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Log::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Runs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Runs {
    #[sea_orm(iden = "pipeline_runs")]
    Table,
    Id,
    Number,
    Trigger,
    Mode,
    Status,
    ScheduleSlot,
    StartedAt,
    FinishedAt,
    Error,
    Stats,
    Progress,
    CancelRequested,
}

#[derive(DeriveIden)]
enum Log {
    #[sea_orm(iden = "pipeline_log")]
    Table,
    Id,
    RunId,
    At,
    Level,
    Stream,
    Message,
}
