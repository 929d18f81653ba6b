//! The Calendly organization as the pipeline last published it: users,
//! memberships, event types, scheduled events and every invitee, each a
//! snapshot table (see `versioned`). `raw` keeps Calendly's own JSON of the
//! resource, so the data routes can answer in Calendly's shapes.

use sea_orm_migration::prelude::*;

use crate::versioned;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).text().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                versioned::table(Users::Table, Users::Uri)
                    .col(text(Users::Name))
                    .col(text(Users::Email))
                    .col(text(Users::Slug))
                    .col(text(Users::Timezone))
                    .col(text(Users::SchedulingUrl))
                    .col(text(Users::Organization))
                    .col(
                        ColumnDef::new(Users::IsCurrent)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ts(Users::CreatedAt))
                    .col(ts(Users::UpdatedAt))
                    .col(ColumnDef::new(Users::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "calendly_users", Users::Table, Users::Uri).await?;

        manager
            .create_table(
                versioned::table(Members::Table, Members::Uri)
                    .col(text(Members::UserUri))
                    .col(text(Members::UserName))
                    .col(text(Members::UserEmail))
                    .col(text(Members::Role))
                    .col(text(Members::Organization))
                    .col(ts(Members::CreatedAt))
                    .col(ts(Members::UpdatedAt))
                    .col(ColumnDef::new(Members::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(
            manager,
            "calendly_memberships",
            Members::Table,
            Members::Uri,
        )
        .await?;

        manager
            .create_table(
                versioned::table(Types::Table, Types::Uri)
                    .col(text(Types::Name))
                    .col(text(Types::Slug))
                    .col(
                        ColumnDef::new(Types::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(text(Types::Kind))
                    .col(ColumnDef::new(Types::Duration).integer().null())
                    .col(text(Types::SchedulingUrl))
                    .col(text(Types::OwnerUri))
                    .col(ts(Types::CreatedAt))
                    .col(ts(Types::UpdatedAt))
                    .col(ColumnDef::new(Types::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "calendly_event_types", Types::Table, Types::Uri).await?;

        manager
            .create_table(
                versioned::table(Events::Table, Events::Uri)
                    .col(text(Events::Name))
                    .col(ColumnDef::new(Events::Status).string_len(16).not_null())
                    .col(ts(Events::StartTime))
                    .col(ts(Events::EndTime))
                    .col(text(Events::EventTypeUri))
                    .col(text(Events::Location))
                    .col(
                        ColumnDef::new(Events::InviteesTotal)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Events::InviteesActive)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(text(Events::CancelReason))
                    .col(ts(Events::TouchedAt))
                    .col(ts(Events::CreatedAt))
                    .col(ts(Events::UpdatedAt))
                    .col(ColumnDef::new(Events::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "calendly_events", Events::Table, Events::Uri).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calendly_events_start")
                    .table(Events::Table)
                    .col(Events::StartTime)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                versioned::table(Invitees::Table, Invitees::Uri)
                    .col(
                        ColumnDef::new(Invitees::EventUri)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(text(Invitees::Email))
                    .col(ColumnDef::new(Invitees::EmailKey).string_len(320).null())
                    .col(text(Invitees::Name))
                    .col(text(Invitees::FirstName))
                    .col(text(Invitees::LastName))
                    .col(ColumnDef::new(Invitees::Status).string_len(16).not_null())
                    .col(text(Invitees::CancelReason))
                    .col(text(Invitees::CanceledBy))
                    .col(
                        ColumnDef::new(Invitees::Rescheduled)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(text(Invitees::QuestionsAndAnswers))
                    .col(text(Invitees::Tracking))
                    .col(text(Invitees::Timezone))
                    .col(ts(Invitees::TouchedAt))
                    .col(ts(Invitees::CreatedAt))
                    .col(ts(Invitees::UpdatedAt))
                    .col(ColumnDef::new(Invitees::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        versioned::indexes(manager, "calendly_invitees", Invitees::Table, Invitees::Uri).await?;
        for (name, col) in [
            ("idx_calendly_invitees_email", Invitees::EmailKey),
            ("idx_calendly_invitees_event", Invitees::EventUri),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Invitees::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invitees::Table.into_iden(),
            Events::Table.into_iden(),
            Types::Table.into_iden(),
            Members::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    #[sea_orm(iden = "calendly_users")]
    Table,
    Uri,
    Name,
    Email,
    Slug,
    Timezone,
    SchedulingUrl,
    Organization,
    IsCurrent,
    CreatedAt,
    UpdatedAt,
    Raw,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    #[sea_orm(iden = "calendly_memberships")]
    Table,
    Uri,
    UserUri,
    UserName,
    UserEmail,
    Role,
    Organization,
    CreatedAt,
    UpdatedAt,
    Raw,
}

#[derive(DeriveIden, Clone, Copy)]
enum Types {
    #[sea_orm(iden = "calendly_event_types")]
    Table,
    Uri,
    Name,
    Slug,
    Active,
    Kind,
    Duration,
    SchedulingUrl,
    OwnerUri,
    CreatedAt,
    UpdatedAt,
    Raw,
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    #[sea_orm(iden = "calendly_events")]
    Table,
    Uri,
    Name,
    Status,
    StartTime,
    EndTime,
    EventTypeUri,
    Location,
    InviteesTotal,
    InviteesActive,
    CancelReason,
    /// When a webhook last wrote this version between runs: a run that read
    /// before then must not close it.
    TouchedAt,
    CreatedAt,
    UpdatedAt,
    Raw,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitees {
    #[sea_orm(iden = "calendly_invitees")]
    Table,
    Uri,
    EventUri,
    Email,
    EmailKey,
    Name,
    FirstName,
    LastName,
    Status,
    CancelReason,
    CanceledBy,
    Rescheduled,
    QuestionsAndAnswers,
    Tracking,
    Timezone,
    TouchedAt,
    CreatedAt,
    UpdatedAt,
    Raw,
}
