//! The simulated account's data: boards (shape shared by `Arc`, plus each
//! board's activity log), items in an id map with per-board creation order,
//! updates and webhooks; plus the board-level writes (boards, columns, groups).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use super::activity::{self, LogRec};
use super::errors::SimError;
use super::values::{Cell, ColumnKind, Label};
use super::{ChangeKind, ItemChange};

pub const ACCOUNT_ID: u64 = 9_000_001;
pub const ME_ID: u64 = 10_000_001;
pub const STAFF_ID: u64 = 10_000_002;

/// The account's users: `(id, name, email)`. Owners of seeded leads are drawn from it.
pub const USERS: &[(u64, &str, &str)] = &[
    (ME_ID, "Sandbox Admin", "admin@bridgeboard.sandbox"),
    (STAFF_ID, "Sam Support", "sam.support@bridgeboard.sandbox"),
    (
        10_000_003,
        "Olivia Owner",
        "olivia.owner@bridgeboard.sandbox",
    ),
    (10_000_004, "Noah Sales", "noah.sales@bridgeboard.sandbox"),
    (10_000_005, "Mia Closer", "mia.closer@bridgeboard.sandbox"),
];

pub fn user_name(id: u64) -> String {
    USERS
        .iter()
        .find(|u| u.0 == id)
        .map(|u| u.1.to_owned())
        .unwrap_or_default()
}

#[derive(Clone, Debug)]
pub struct ColumnRec {
    pub id: String,
    pub title: String,
    pub kind: ColumnKind,
    pub labels: Vec<Label>,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct GroupRec {
    pub id: String,
    pub title: String,
    pub color: String,
}

/// A board's shape; shared (`Arc`) with in-flight responses so reads never
/// hold the store lock while GraphQL resolves fields.
#[derive(Clone, Debug)]
pub struct BoardMeta {
    pub id: u64,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub columns: Vec<ColumnRec>,
    pub groups: Vec<GroupRec>,
    pub created_at: i64,
}

impl BoardMeta {
    pub fn column(&self, id: &str) -> Result<(usize, &ColumnRec), SimError> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.id == id)
            .ok_or_else(|| SimError::InvalidColumnId {
                column_id: id.to_owned(),
                board_id: self.id,
            })
    }
}

pub struct BoardRec {
    pub meta: Arc<BoardMeta>,
    /// Active item ids in creation order (ids only grow, so this is sorted);
    /// archived items leave it but stay in `Store::items`.
    pub item_ids: Vec<u64>,
    /// Oldest first, at most `Store::log_capacity` long.
    pub logs: VecDeque<LogRec>,
}

impl BoardRec {
    pub fn new(meta: BoardMeta) -> Self {
        Self {
            meta: Arc::new(meta),
            item_ids: Vec::new(),
            logs: VecDeque::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ItemRec {
    pub id: u64,
    pub board_id: u64,
    pub group: usize,
    pub name: Box<str>,
    /// Indexed like `BoardMeta::columns`; shorter when columns were added later.
    pub cells: Vec<Option<Cell>>,
    pub created_at: i64,
    pub updated_at: i64,
    pub creator_id: u64,
    /// Archived items keep their data but leave pages (`state: archived`).
    pub archived: bool,
}

impl ItemRec {
    pub fn cell(&self, col: usize) -> Option<&Cell> {
        self.cells.get(col).and_then(Option::as_ref)
    }
}

#[derive(Clone, Debug)]
pub struct UpdateRec {
    pub id: u64,
    pub item_id: u64,
    /// A reply names the update whose thread it is in (one level deep).
    pub parent_id: Option<u64>,
    pub body: String,
    pub creator_id: u64,
    pub created_at: i64,
    pub edited_at: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct WebhookRec {
    pub id: u64,
    pub board_id: u64,
    pub url: String,
    pub event: String,
    pub config: Option<Value>,
}

#[derive(Default)]
pub struct Store {
    next_id: u64,
    pub boards: Vec<BoardRec>,
    pub items: HashMap<u64, Arc<ItemRec>>,
    pub updates: Vec<UpdateRec>,
    /// Files on updates and replies.
    pub assets: Vec<super::assets::AssetRec>,
    pub webhooks: Vec<WebhookRec>,
    /// Activity log entries kept per board.
    pub log_capacity: usize,
    /// `created_at` of the newest log entry (100 ns ticks), so each entry's
    /// time is distinct and later entries never sort before earlier ones.
    pub last_tick: i64,
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn change(item: &ItemRec, kind: ChangeKind) -> ItemChange {
    ItemChange {
        board_id: item.board_id,
        item_id: item.id,
        kind,
    }
}

impl Store {
    pub fn new(first_id: u64) -> Self {
        Self {
            next_id: first_id,
            log_capacity: activity::DEFAULT_CAPACITY,
            ..Self::default()
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn board(&self, id: u64) -> Result<&BoardRec, SimError> {
        self.boards
            .iter()
            .find(|b| b.meta.id == id)
            .ok_or(SimError::BoardNotFound(id))
    }

    pub(super) fn board_mut(&mut self, id: u64) -> Result<&mut BoardRec, SimError> {
        self.boards
            .iter_mut()
            .find(|b| b.meta.id == id)
            .ok_or(SimError::BoardNotFound(id))
    }

    pub fn item(&self, id: u64) -> Result<&Arc<ItemRec>, SimError> {
        self.items.get(&id).ok_or(SimError::ItemNotFound(id))
    }

    pub fn create_board(&mut self, name: &str, kind: &str, description: Option<String>) -> u64 {
        let id = self.next_id();
        let meta = BoardMeta {
            id,
            name: name.to_owned(),
            kind: kind.to_owned(),
            description,
            columns: vec![ColumnRec {
                id: "name".into(),
                title: "Name".into(),
                kind: ColumnKind::Name,
                labels: vec![],
                description: None,
            }],
            groups: vec![GroupRec {
                id: "topics".into(),
                title: "Group Title".into(),
                color: "#579bfc".into(),
            }],
            created_at: now(),
        };
        self.boards.push(BoardRec::new(meta));
        id
    }

    pub fn create_column(
        &mut self,
        board_id: u64,
        id: Option<&str>,
        title: &str,
        kind: ColumnKind,
        labels: Vec<Label>,
    ) -> Result<ColumnRec, SimError> {
        let serial = self.next_id();
        let meta = Arc::make_mut(&mut self.board_mut(board_id)?.meta);
        let id = match id {
            Some(id) if meta.columns.iter().any(|c| c.id == id) => {
                return Err(SimError::InvalidArgument(format!(
                    "Column id {id} already exists"
                )));
            }
            Some(id) => id.to_owned(),
            None => format!("{}_mk{:x}", kind.api_name(), serial % 0xff_ffff),
        };
        let col = ColumnRec {
            id,
            title: title.to_owned(),
            kind,
            labels,
            description: None,
        };
        meta.columns.push(col.clone());
        Ok(col)
    }

    pub fn create_group(
        &mut self,
        board_id: u64,
        title: &str,
        color: Option<&str>,
    ) -> Result<GroupRec, SimError> {
        let serial = self.next_id();
        let meta = Arc::make_mut(&mut self.board_mut(board_id)?.meta);
        let group = GroupRec {
            id: format!("group_mk{:x}", serial % 0xff_ffff),
            title: title.to_owned(),
            color: color.unwrap_or("#a25ddc").to_owned(),
        };
        meta.groups.push(group.clone());
        Ok(group)
    }
}

pub(super) fn write_cell(item: &mut ItemRec, idx: usize, cell: Option<Cell>) {
    if item.cells.len() <= idx {
        item.cells.resize(idx + 1, None);
    }
    item.cells[idx] = cell;
}
