//! Pipeline runs and their log lines. A run row is inserted RUNNING only if
//! no other row is (a partial unique index), which makes the insert the
//! fleet-wide "one run at a time" lock; ending a run is a conditional update
//! from RUNNING, so two replicas cannot both end it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::entities::{pipeline_log, pipeline_run};

const RUNNING: &str = "RUNNING";
const SUCCEEDED: &str = "SUCCEEDED";

pub async fn insert(
    db: &impl ConnectionTrait,
    row: pipeline_run::ActiveModel,
) -> Result<pipeline_run::Model, DbErr> {
    row.insert(db).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<pipeline_run::Model>, DbErr> {
    pipeline_run::Entity::find_by_id(id).one(db).await
}

pub async fn running(db: &impl ConnectionTrait) -> Result<Option<pipeline_run::Model>, DbErr> {
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .one(db)
        .await
}

/// The newest successful run: its number is the published snapshot.
pub async fn last_succeeded(
    db: &impl ConnectionTrait,
) -> Result<Option<pipeline_run::Model>, DbErr> {
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::Status.eq(SUCCEEDED))
        .order_by_desc(pipeline_run::Column::Number)
        .one(db)
        .await
}

/// The successful run published before `number`, if any.
pub async fn succeeded_before(
    db: &impl ConnectionTrait,
    number: i64,
) -> Result<Option<pipeline_run::Model>, DbErr> {
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::Status.eq(SUCCEEDED))
        .filter(pipeline_run::Column::Number.lt(number))
        .order_by_desc(pipeline_run::Column::Number)
        .one(db)
        .await
}

/// How many runs have published since run `number`.
pub async fn succeeded_after(db: &impl ConnectionTrait, number: i64) -> Result<u64, DbErr> {
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::Status.eq(SUCCEEDED))
        .filter(pipeline_run::Column::Number.gt(number))
        .count(db)
        .await
}

/// Successful runs after the newest successful FULL one (all of them when
/// there is none).
pub async fn succeeded_since_full(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let last_full: Option<i64> = pipeline_run::Entity::find()
        .select_only()
        .column(pipeline_run::Column::Number)
        .filter(pipeline_run::Column::Status.eq(SUCCEEDED))
        .filter(pipeline_run::Column::Mode.eq("FULL"))
        .order_by_desc(pipeline_run::Column::Number)
        .into_tuple()
        .one(db)
        .await?;
    let Some(full) = last_full else {
        return Ok(u64::MAX);
    };
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::Status.eq(SUCCEEDED))
        .filter(pipeline_run::Column::Number.gt(full))
        .count(db)
        .await
}

pub async fn next_number(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let max: Option<i64> = pipeline_run::Entity::find()
        .select_only()
        .column_as(pipeline_run::Column::Number.max(), "n")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

/// Ends a RUNNING run; false when it had ended already.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    error: Option<String>,
    stats: String,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::Status, Expr::value(status))
        .col_expr(pipeline_run::Column::Error, Expr::value(error))
        .col_expr(pipeline_run::Column::Stats, Expr::value(stats))
        .col_expr(pipeline_run::Column::FinishedAt, Expr::value(Some(at)))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Fails a RUNNING run whose process is gone, unless it was handed over
/// meanwhile (its server stopped cleanly); false when it was not failed.
pub async fn fail_abandoned(
    db: &impl ConnectionTrait,
    id: Uuid,
    error: String,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::Status, Expr::value("FAILED"))
        .col_expr(pipeline_run::Column::Error, Expr::value(Some(error)))
        .col_expr(pipeline_run::Column::FinishedAt, Expr::value(Some(at)))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .filter(pipeline_run::Column::Handoff.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn save_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    progress: String,
    stats: String,
) -> Result<(), DbErr> {
    pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::Progress, Expr::value(progress))
        .col_expr(pipeline_run::Column::Stats, Expr::value(stats))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks a running run to stop at its next page boundary.
pub async fn request_cancel(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::CancelRequested, Expr::value(true))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn cancel_requested(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(find(db, id).await?.is_some_and(|r| r.cancel_requested))
}

/// Up to `limit` runs with numbers below `before`, newest first.
pub async fn page(
    db: &impl ConnectionTrait,
    limit: u64,
    before: Option<i64>,
) -> Result<Vec<pipeline_run::Model>, DbErr> {
    let mut q = pipeline_run::Entity::find();
    if let Some(b) = before {
        q = q.filter(pipeline_run::Column::Number.lt(b));
    }
    q.order_by_desc(pipeline_run::Column::Number)
        .limit(limit)
        .all(db)
        .await
}

pub async fn log(
    db: &impl ConnectionTrait,
    run_id: Uuid,
    level: &str,
    stream: Option<&str>,
    message: &str,
) -> Result<(), DbErr> {
    pipeline_log::ActiveModel {
        id: NotSet,
        run_id: Set(run_id),
        at: Set(Utc::now()),
        level: Set(level.to_owned()),
        stream: Set(stream.map(str::to_owned)),
        message: Set(message.to_owned()),
    }
    .insert(db)
    .await
    .map(drop)
}

/// Up to `limit` lines of a run after the line `after`, oldest first.
pub async fn log_page(
    db: &impl ConnectionTrait,
    run_id: Uuid,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<pipeline_log::Model>, DbErr> {
    let mut q = pipeline_log::Entity::find().filter(pipeline_log::Column::RunId.eq(run_id));
    if let Some(a) = after {
        q = q.filter(pipeline_log::Column::Id.gt(a));
    }
    q.order_by_asc(pipeline_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The scheduled run for `slot`, if one ran or runs.
pub async fn find_by_slot(
    db: &impl ConnectionTrait,
    slot: DateTime<Utc>,
) -> Result<Option<pipeline_run::Model>, DbErr> {
    pipeline_run::Entity::find()
        .filter(pipeline_run::Column::ScheduleSlot.eq(slot))
        .one(db)
        .await
}

/// Inside a writer's transaction: holds the run's row until commit and says
/// whether the run may still write. A run another replica declared dead
/// (its process seemed gone) gets `false` and must stop; on PostgreSQL the
/// row lock also makes that declaration wait for this transaction.
pub async fn fence(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(
            pipeline_run::Column::CancelRequested,
            Expr::col(pipeline_run::Column::CancelRequested),
        )
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Whether the run is still RUNNING.
pub async fn is_running(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(find(db, id).await?.is_some_and(|r| r.status == RUNNING))
}

/// Records that a RUNNING run stopped at shutdown, with what it finished
/// (and its numbers so far), for another replica to resume; false when the
/// run had ended meanwhile.
pub async fn hand_off(
    db: &impl ConnectionTrait,
    id: Uuid,
    handoff: String,
    progress: String,
    stats: String,
) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::Handoff, Expr::value(Some(handoff)))
        .col_expr(pipeline_run::Column::Progress, Expr::value(progress))
        .col_expr(pipeline_run::Column::Stats, Expr::value(stats))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Takes over a handed-off run: clears the hand-off it was read with.
/// Only one taker gets `true`.
pub async fn take_handoff(db: &impl ConnectionTrait, id: Uuid, seen: &str) -> Result<bool, DbErr> {
    let res = pipeline_run::Entity::update_many()
        .col_expr(pipeline_run::Column::Handoff, Expr::value(None::<String>))
        .filter(pipeline_run::Column::Id.eq(id))
        .filter(pipeline_run::Column::Status.eq(RUNNING))
        .filter(pipeline_run::Column::Handoff.eq(seen))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
