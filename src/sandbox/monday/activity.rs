//! Board activity logs (`boards { activity_logs }`, API 2026-10): what an
//! incremental sync reads to learn which items changed. Every item change
//! leaves one entry on its board, written under the same store lock as the
//! change, so an entry always describes the item exactly as that change left it.
//!
//! Choices, where Monday's behaviour is not documented:
//! - Entries are served **newest first**, like the board's Activity Log panel;
//!   consumers observed against live boards re-sort them oldest first.
//! - `created_at` is a 17-digit string of 100 ns ticks since the epoch (what
//!   Airbyte divides by 10^7, and what live captures show). Each entry gets a
//!   distinct tick, so the order never depends on ties.
//! - `data` is JSON text with `board_id`, `pulse_id`, `pulse_name`, `group_id`
//!   and, per event, the fields live captures show: `column_id`,
//!   `column_title`, `column_type` (the legacy webhook names: `color`,
//!   `numeric`…), `value` / `previous_value` (webhook value shapes) for
//!   `update_column_value` and `update_name`; `group_name` for `create_pulse`;
//!   `pulse`, `source_group` and `dest_group` (`{id, title, color}`) for moves.
//! - A move is logged as `move_pulse_from_group`, with `group_id` the group
//!   the item left: that is the name and shape third-party code parses from
//!   live logs (`move_pulse_into_group` is the *webhook* event type of
//!   `item_moved_to_any_group`). An archive is `archive_pulse`.
//! - Comments (updates) are not logged: they are not item changes, and their
//!   log entry (if any) is unconfirmed.
//! - History is bounded: each board keeps its newest `log_capacity` entries
//!   (default 10,000), as real boards only keep a limited history.
//! - `limit` is 1 to 1,000 (the maximum Monday documents for page-based
//!   board logs), `page` starts at 1; anything else is an InvalidArgument.

use std::collections::VecDeque;

use async_graphql::Object;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::errors::SimError;
use super::store::{ACCOUNT_ID, GroupRec, Store};
use super::values;
use super::{ChangeKind, ItemChange};

pub const DEFAULT_CAPACITY: usize = 10_000;
pub const MAX_LIMIT: usize = 1_000;
const TICKS_PER_SECOND: i64 = 10_000_000;

/// One entry of a board's activity log.
#[derive(Clone, Debug)]
pub struct LogRec {
    pub id: String,
    /// 100 ns ticks since the epoch.
    pub at: i64,
    pub event: &'static str,
    pub user_id: u64,
    pub item_id: u64,
    /// The groups the entry concerns (both ends of a move), for `group_ids`.
    pub groups: Vec<String>,
    pub column_id: Option<String>,
    /// JSON text, rendered when the change happened.
    pub data: String,
}

/// The arguments of `activity_logs`, parsed.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub item_ids: Option<Vec<u64>>,
    pub group_ids: Option<Vec<String>>,
    pub column_ids: Option<Vec<String>>,
    pub user_ids: Option<Vec<u64>>,
}

impl LogFilter {
    fn keeps(&self, l: &LogRec) -> bool {
        self.from.is_none_or(|f| l.at >= f)
            && self.to.is_none_or(|t| l.at <= t)
            && self
                .item_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&l.item_id))
            && self
                .user_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&l.user_id))
            && self
                .group_ids
                .as_ref()
                .is_none_or(|ids| l.groups.iter().any(|g| ids.contains(g)))
            && self
                .column_ids
                .as_ref()
                .is_none_or(|ids| l.column_id.as_ref().is_some_and(|c| ids.contains(c)))
    }
}

pub fn check_limit(limit: i32) -> Result<usize, SimError> {
    match usize::try_from(limit) {
        Ok(l @ 1..=MAX_LIMIT) => Ok(l),
        _ => Err(SimError::InvalidArgument(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        ))),
    }
}

pub fn check_page(page: i32) -> Result<usize, SimError> {
    match usize::try_from(page) {
        Ok(p @ 1..) => Ok(p),
        _ => Err(SimError::InvalidArgument(format!(
            "page must be 1 or more, got {page}"
        ))),
    }
}

/// An `ISO8601DateTime` argument as ticks. A time without a zone is UTC, a
/// date alone is its midnight (as Monday's Ruby parser reads them).
pub fn parse_time(arg: &str, raw: &str) -> Result<i64, SimError> {
    let t = raw.trim();
    let utc = DateTime::parse_from_rfc3339(t)
        .map(|d| d.to_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").map(|d| d.and_utc()))
        .or_else(|_| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            SimError::InvalidArgument(format!("{arg} is not an ISO8601 date and time: {raw:?}"))
        })?;
    Ok(utc.timestamp() * TICKS_PER_SECOND + i64::from(utc.timestamp_subsec_nanos() / 100))
}

/// One page of a board's log, newest first.
pub fn page(logs: &VecDeque<LogRec>, filter: &LogFilter, limit: usize, page: usize) -> Vec<LogRec> {
    logs.iter()
        .rev()
        .filter(|l| filter.keeps(l))
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .cloned()
        .collect()
}

fn group_json(g: Option<&GroupRec>) -> Value {
    g.map_or(
        Value::Null,
        |g| json!({"id": g.id, "title": g.title, "color": g.color}),
    )
}

impl Store {
    /// Appends the entry for `change` to its board's log (none for comments).
    pub(super) fn log_change(&mut self, change: &ItemChange, user_id: u64) {
        let Some(entry) = self.entry_for(change, user_id) else {
            return;
        };
        let cap = self.log_capacity;
        if let Ok(board) = self.board_mut(change.board_id) {
            board.logs.push_back(entry);
            while board.logs.len() > cap {
                board.logs.pop_front();
            }
        }
    }

    fn next_tick(&mut self) -> i64 {
        let now = chrono::Utc::now();
        let ticks =
            now.timestamp() * TICKS_PER_SECOND + i64::from(now.timestamp_subsec_nanos() / 100);
        self.last_tick = ticks.max(self.last_tick + 1);
        self.last_tick
    }

    fn entry_for(&mut self, change: &ItemChange, user_id: u64) -> Option<LogRec> {
        let meta = self.board(change.board_id).ok()?.meta.clone();
        let item = self.items.get(&change.item_id).cloned();
        let group_of = |id: &str| meta.groups.iter().find(|g| g.id == id);
        let current = item.as_ref().and_then(|i| meta.groups.get(i.group));
        let name = item.as_ref().map(|i| i.name.to_string());
        let mut data = Map::new();
        data.insert("board_id".into(), json!(change.board_id));
        data.insert("pulse_id".into(), json!(change.item_id));
        data.insert("pulse_name".into(), json!(name));
        data.insert("group_id".into(), json!(current.map(|g| g.id.as_str())));
        let mut groups: Vec<String> = current.map(|g| g.id.clone()).into_iter().collect();
        let mut column_id = None;
        let event = match &change.kind {
            ChangeKind::Created => {
                data.insert(
                    "group_name".into(),
                    json!(current.map(|g| g.title.as_str())),
                );
                "create_pulse"
            }
            ChangeKind::ColumnValue {
                column_id: col_id,
                previous,
            } => {
                let (idx, col) = meta.column(col_id).ok()?;
                let cell = item.as_ref().and_then(|i| i.cell(idx));
                let value = cell.map(|c| values::webhook_value(&c.val, &col.labels, c.changed_at));
                data.insert("column_id".into(), json!(col.id));
                data.insert("column_title".into(), json!(col.title));
                data.insert("column_type".into(), json!(col.kind.webhook_name()));
                data.insert("value".into(), json!(value));
                data.insert("previous_value".into(), json!(previous));
                column_id = Some(col.id.clone());
                "update_column_value"
            }
            ChangeKind::Name { previous } => {
                let title = meta
                    .column("name")
                    .map_or("Name", |(_, c)| c.title.as_str());
                data.insert("column_id".into(), json!("name"));
                data.insert("column_title".into(), json!(title));
                data.insert("column_type".into(), json!("name"));
                data.insert("value".into(), json!({"name": name}));
                data.insert("previous_value".into(), json!({"name": previous}));
                column_id = Some("name".to_owned());
                "update_name"
            }
            ChangeKind::Moved { from_group } => {
                data.insert("group_id".into(), json!(from_group));
                data.insert("pulse".into(), json!({"id": change.item_id, "name": name}));
                data.insert("source_group".into(), group_json(group_of(from_group)));
                data.insert("dest_group".into(), group_json(current));
                groups.push(from_group.clone());
                "move_pulse_from_group"
            }
            ChangeKind::Archived => "archive_pulse",
            ChangeKind::Deleted { name, group } => {
                data.insert("pulse_name".into(), json!(name));
                data.insert("group_id".into(), json!(group));
                groups = vec![group.clone()];
                "delete_pulse"
            }
            ChangeKind::Update { .. }
            | ChangeKind::UpdateEdited { .. }
            | ChangeKind::UpdateDeleted { .. } => return None,
        };
        Some(LogRec {
            id: uuid::Uuid::new_v4().to_string(),
            at: self.next_tick(),
            event,
            user_id,
            item_id: change.item_id,
            groups,
            column_id,
            data: Value::Object(data).to_string(),
        })
    }
}

/// `ActivityLogType`: every field is a non-null string.
pub struct ActivityLogObj(pub LogRec);

#[Object(name = "ActivityLogType", rename_fields = "snake_case")]
impl ActivityLogObj {
    async fn account_id(&self) -> String {
        ACCOUNT_ID.to_string()
    }
    async fn created_at(&self) -> String {
        self.0.at.to_string()
    }
    async fn data(&self) -> &str {
        &self.0.data
    }
    async fn entity(&self) -> &str {
        "pulse"
    }
    async fn event(&self) -> &str {
        self.0.event
    }
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn user_id(&self) -> String {
        self.0.user_id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: i64, item_id: u64, groups: &[&str]) -> LogRec {
        LogRec {
            id: at.to_string(),
            at,
            event: "update_column_value",
            user_id: 1,
            item_id,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            column_id: Some("status".into()),
            data: "{}".into(),
        }
    }

    #[test]
    fn times_parse_to_ticks() {
        assert_eq!(
            parse_time("from", "2026-08-07T19:24:11.9147374Z").unwrap(),
            17_861_306_519_147_374
        );
        assert_eq!(
            parse_time("from", "2026-01-05").unwrap(),
            1_767_571_200 * TICKS_PER_SECOND
        );
        assert_eq!(
            parse_time("to", "2026-01-05T02:00:00+02:00").unwrap(),
            1_767_571_200 * TICKS_PER_SECOND
        );
        assert!(parse_time("to", "yesterday").is_err());
    }

    #[test]
    fn pages_are_newest_first_and_filtered() {
        let logs: VecDeque<LogRec> = (1..=5)
            .map(|i| entry(i, 100 + (i as u64 % 2), &["a"]))
            .collect();
        let at = |v: Vec<LogRec>| v.iter().map(|l| l.at).collect::<Vec<_>>();
        let all = LogFilter::default();
        assert_eq!(at(page(&logs, &all, 2, 1)), vec![5, 4]);
        assert_eq!(at(page(&logs, &all, 2, 3)), vec![1]);
        assert!(page(&logs, &all, 2, 4).is_empty());
        let window = LogFilter {
            from: Some(2),
            to: Some(4),
            item_ids: Some(vec![100]),
            ..LogFilter::default()
        };
        assert_eq!(at(page(&logs, &window, 25, 1)), vec![4, 2]);
        let other_group = LogFilter {
            group_ids: Some(vec!["b".into()]),
            ..LogFilter::default()
        };
        assert!(page(&logs, &other_group, 25, 1).is_empty());
        assert_eq!(
            check_limit(0).unwrap_err().code(),
            "InvalidArgumentException"
        );
        assert_eq!(
            check_limit(1001).unwrap_err().code(),
            "InvalidArgumentException"
        );
        assert_eq!(
            check_page(0).unwrap_err().code(),
            "InvalidArgumentException"
        );
    }
}
