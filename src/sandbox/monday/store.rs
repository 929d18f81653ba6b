//! The simulated account's data and every write to it. Writes validate fully
//! before changing anything (like Monday, a bad value leaves the item as it
//! was) and return the `ItemChange`s that drive webhooks.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::errors::SimError;
use super::values::{self, Cell, ColumnKind, Label, Val};
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
    /// Item ids in creation order (ids only grow, so this is sorted).
    pub item_ids: Vec<u64>,
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
    pub body: String,
    pub creator_id: u64,
    pub created_at: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct WebhookRec {
    pub id: u64,
    pub board_id: u64,
    pub url: String,
    pub event: String,
    pub config: Option<Value>,
}

/// Validated writes: `(column index, new value or clear)`, and a new item name.
type ParsedValues = (Vec<(usize, Option<Val>)>, Option<String>);

#[derive(Default)]
pub struct Store {
    next_id: u64,
    pub boards: Vec<BoardRec>,
    pub items: HashMap<u64, Arc<ItemRec>>,
    pub updates: Vec<UpdateRec>,
    pub webhooks: Vec<WebhookRec>,
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn change(item: &ItemRec, kind: ChangeKind) -> ItemChange {
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

    fn board_mut(&mut self, id: u64) -> Result<&mut BoardRec, SimError> {
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
        self.boards.push(BoardRec {
            meta: Arc::new(meta),
            item_ids: Vec::new(),
        });
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

    /// Validates `values` against the board and returns the cells to write,
    /// plus a new item name when the `name` key is present.
    fn parse_values(
        &mut self,
        board_id: u64,
        values: &Map<String, Value>,
        create_labels: bool,
    ) -> Result<ParsedValues, SimError> {
        let board = self.board_mut(board_id)?;
        let mut meta = (*board.meta).clone();
        let mut out = Vec::with_capacity(values.len());
        let mut name = None;
        for (col_id, raw) in values {
            let (idx, col) = meta.column(col_id)?;
            if col.kind == ColumnKind::Name {
                match raw.as_str() {
                    Some(n) if !n.trim().is_empty() => name = Some(n.to_owned()),
                    _ => {
                        return Err(SimError::ColumnValue {
                            message: "The item name can't be empty".into(),
                            column_type: ColumnKind::Name.class_name(),
                            value: raw.to_string(),
                        });
                    }
                }
                continue;
            }
            let kind = col.kind;
            let val = values::parse(kind, raw, &mut meta.columns[idx].labels, create_labels)?;
            out.push((idx, val));
        }
        if meta
            .columns
            .iter()
            .zip(&board.meta.columns)
            .any(|(a, b)| a.labels.len() != b.labels.len())
        {
            board.meta = Arc::new(meta);
        }
        Ok((out, name))
    }

    pub fn create_item(
        &mut self,
        board_id: u64,
        group_id: Option<&str>,
        name: &str,
        values: &Map<String, Value>,
        create_labels: bool,
        creator_id: u64,
    ) -> Result<(u64, ItemChange), SimError> {
        let meta = self.board(board_id)?.meta.clone();
        let group = match group_id {
            Some(g) => meta.groups.iter().position(|x| x.id == g).ok_or_else(|| {
                SimError::InvalidArgument(format!("Group {g} does not exist on board {board_id}"))
            })?,
            None => 0,
        };
        if name.trim().is_empty() {
            return Err(SimError::InvalidArgument("item_name can't be empty".into()));
        }
        let (cells, _) = self.parse_values(board_id, values, create_labels)?;
        let id = self.next_id();
        let ts = now();
        let mut item = ItemRec {
            id,
            board_id,
            group,
            name: name.into(),
            cells: vec![None; meta.columns.len()],
            created_at: ts,
            updated_at: ts,
            creator_id,
        };
        for (idx, val) in cells {
            write_cell(
                &mut item,
                idx,
                val.map(|val| Cell {
                    val,
                    changed_at: ts,
                }),
            );
        }
        let change = change(&item, ChangeKind::Created);
        self.insert_item(item);
        Ok((id, change))
    }

    /// Seeding and API creation share this; ids must be increasing.
    pub fn insert_item(&mut self, item: ItemRec) {
        if let Ok(board) = self.board_mut(item.board_id) {
            board.item_ids.push(item.id);
        }
        self.items.insert(item.id, Arc::new(item));
    }

    fn owned_item(&self, item_id: u64, board_id: Option<u64>) -> Result<Arc<ItemRec>, SimError> {
        let item = self.item(item_id)?;
        if board_id.is_some_and(|b| b != item.board_id) {
            self.board(board_id.unwrap_or_default())?;
            return Err(SimError::ItemNotFound(item_id));
        }
        Ok(item.clone())
    }

    pub fn set_values(
        &mut self,
        item_id: u64,
        board_id: Option<u64>,
        values: &Map<String, Value>,
        create_labels: bool,
    ) -> Result<Vec<ItemChange>, SimError> {
        let item = self.owned_item(item_id, board_id)?;
        let (cells, name) = self.parse_values(item.board_id, values, create_labels)?;
        let meta = self.board(item.board_id)?.meta.clone();
        let mut changes = Vec::new();
        if let Some(name) = name {
            changes.extend(self.rename(item_id, &name)?);
        }
        let ts = now();
        let mut next = (*item).clone();
        for (idx, val) in cells {
            let previous = next.cell(idx).cloned();
            if previous.as_ref().map(|c| &c.val) == val.as_ref() {
                continue;
            }
            let col = &meta.columns[idx];
            changes.push(change(
                &next,
                ChangeKind::ColumnValue {
                    column_id: col.id.clone(),
                    previous: previous
                        .map(|c| values::webhook_value(&c.val, &col.labels, c.changed_at)),
                },
            ));
            write_cell(
                &mut next,
                idx,
                val.map(|val| Cell {
                    val,
                    changed_at: ts,
                }),
            );
        }
        next.updated_at = ts;
        if let Some(latest) = self.items.get(&item_id) {
            next.name = latest.name.clone();
        }
        self.items.insert(item_id, Arc::new(next));
        Ok(changes)
    }

    pub fn rename(&mut self, item_id: u64, name: &str) -> Result<Vec<ItemChange>, SimError> {
        if name.trim().is_empty() {
            return Err(SimError::InvalidArgument("item name can't be empty".into()));
        }
        let slot = self
            .items
            .get_mut(&item_id)
            .ok_or(SimError::ItemNotFound(item_id))?;
        if &*slot.name == name {
            return Ok(vec![]);
        }
        let item = Arc::make_mut(slot);
        let previous = std::mem::replace(&mut item.name, name.into()).to_string();
        item.updated_at = now();
        Ok(vec![change(item, ChangeKind::Name { previous })])
    }

    pub fn add_update(
        &mut self,
        item_id: u64,
        body: &str,
        creator_id: u64,
    ) -> Result<(UpdateRec, ItemChange), SimError> {
        if body.trim().is_empty() {
            return Err(SimError::InvalidArgument(
                "update body can't be empty".into(),
            ));
        }
        let item = self.item(item_id)?.clone();
        let update = UpdateRec {
            id: self.next_id(),
            item_id,
            body: body.to_owned(),
            creator_id,
            created_at: now(),
        };
        self.updates.push(update.clone());
        let ch = change(
            &item,
            ChangeKind::Update {
                update_id: update.id,
                body: update.body.clone(),
            },
        );
        Ok((update, ch))
    }

    pub fn delete_item(&mut self, item_id: u64) -> Result<(Arc<ItemRec>, ItemChange), SimError> {
        let item = self
            .items
            .remove(&item_id)
            .ok_or(SimError::ItemNotFound(item_id))?;
        if let Ok(board) = self.board_mut(item.board_id)
            && let Ok(pos) = board.item_ids.binary_search(&item_id)
        {
            board.item_ids.remove(pos);
        }
        let ch = change(
            &item,
            ChangeKind::Deleted {
                name: item.name.to_string(),
            },
        );
        Ok((item, ch))
    }
}

fn write_cell(item: &mut ItemRec, idx: usize, cell: Option<Cell>) {
    if item.cells.len() <= idx {
        item.cells.resize(idx + 1, None);
    }
    item.cells[idx] = cell;
}
