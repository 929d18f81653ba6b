//! Item writes on the store: create, change values, rename, move, comment,
//! archive, delete.
//! Each validates fully before changing anything (a bad value leaves the item
//! as it was) and returns the `ItemChange`s that drive webhooks.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::errors::SimError;
use super::store::{ItemRec, Store, UpdateRec, change, now, write_cell};
use super::values::{self, Cell, ColumnKind, Val};
use super::{ChangeKind, ItemChange};

/// Validated writes: `(column index, new value or clear)`, and a new item name.
type ParsedValues = (Vec<(usize, Option<Val>)>, Option<String>);

impl Store {
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
            archived: false,
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

    /// Moves the item to another group of its board (no change if already there).
    pub fn move_item(&mut self, item_id: u64, group_id: &str) -> Result<Vec<ItemChange>, SimError> {
        let board_id = self.item(item_id)?.board_id;
        let meta = self.board(board_id)?.meta.clone();
        let to = meta
            .groups
            .iter()
            .position(|g| g.id == group_id)
            .ok_or_else(|| {
                SimError::InvalidArgument(format!(
                    "Group {group_id} does not exist on board {board_id}"
                ))
            })?;
        let slot = self
            .items
            .get_mut(&item_id)
            .ok_or(SimError::ItemNotFound(item_id))?;
        if slot.group == to {
            return Ok(vec![]);
        }
        let item = Arc::make_mut(slot);
        let from_group = meta
            .groups
            .get(item.group)
            .map(|g| g.id.clone())
            .unwrap_or_default();
        item.group = to;
        item.updated_at = now();
        Ok(vec![change(item, ChangeKind::Moved { from_group })])
    }

    /// Archives the item: it leaves the board's pages but can still be read
    /// by id (with `state: archived`). Archiving it again changes nothing.
    pub fn archive_item(&mut self, item_id: u64) -> Result<Vec<ItemChange>, SimError> {
        let slot = self
            .items
            .get_mut(&item_id)
            .ok_or(SimError::ItemNotFound(item_id))?;
        if slot.archived {
            return Ok(vec![]);
        }
        let item = Arc::make_mut(slot);
        item.archived = true;
        item.updated_at = now();
        let ch = change(item, ChangeKind::Archived);
        if let Ok(board) = self.board_mut(ch.board_id)
            && let Ok(pos) = board.item_ids.binary_search(&item_id)
        {
            board.item_ids.remove(pos);
        }
        Ok(vec![ch])
    }

    /// Posts an update on an item, or a reply in the thread of `parent_id`
    /// (whose item it then belongs to). Threads are one level deep.
    pub fn add_update(
        &mut self,
        item_id: Option<u64>,
        parent_id: Option<u64>,
        body: &str,
        creator_id: u64,
    ) -> Result<(UpdateRec, ItemChange), SimError> {
        if body.trim().is_empty() {
            return Err(SimError::InvalidArgument(
                "update body can't be empty".into(),
            ));
        }
        let item_id = match parent_id {
            Some(p) => {
                let parent = self.update(p)?;
                if parent.parent_id.is_some() {
                    return Err(SimError::InvalidArgument(
                        "replies can't be replied to".into(),
                    ));
                }
                parent.item_id
            }
            None => item_id.ok_or_else(|| {
                SimError::InvalidArgument("item_id or parent_id is required".into())
            })?,
        };
        let item = self.item(item_id)?.clone();
        let at = now();
        let update = UpdateRec {
            id: self.next_id(),
            item_id,
            parent_id,
            body: body.to_owned(),
            creator_id,
            created_at: at,
            edited_at: at,
        };
        self.updates.push(update.clone());
        let ch = change(
            &item,
            ChangeKind::Update {
                update_id: update.id,
                body: update.body.clone(),
                parent_id,
            },
        );
        Ok((update, ch))
    }

    fn update(&self, id: u64) -> Result<&UpdateRec, SimError> {
        self.updates
            .iter()
            .find(|u| u.id == id)
            .ok_or_else(|| SimError::InvalidArgument(format!("Update not found: {id}")))
    }

    /// Rewrites an update's body (fires `edit_update`).
    pub fn edit_update(
        &mut self,
        id: u64,
        body: &str,
    ) -> Result<(UpdateRec, ItemChange), SimError> {
        if body.trim().is_empty() {
            return Err(SimError::InvalidArgument(
                "update body can't be empty".into(),
            ));
        }
        let item_id = self.update(id)?.item_id;
        let item = self.item(item_id)?.clone();
        let u = self
            .updates
            .iter_mut()
            .find(|u| u.id == id)
            .expect("found above");
        u.body = body.to_owned();
        u.edited_at = now();
        let u = u.clone();
        let ch = change(
            &item,
            ChangeKind::UpdateEdited {
                update_id: id,
                body: u.body.clone(),
                parent_id: u.parent_id,
            },
        );
        Ok((u, ch))
    }

    /// Deletes an update and the replies in its thread (fires `delete_update`).
    pub fn delete_update(&mut self, id: u64) -> Result<(UpdateRec, ItemChange), SimError> {
        let gone = self.update(id)?.clone();
        let item = self.item(gone.item_id)?.clone();
        self.updates
            .retain(|u| u.id != id && u.parent_id != Some(id));
        let updates = &self.updates;
        self.assets
            .retain(|a| updates.iter().any(|u| u.id == a.update_id));
        let ch = change(
            &item,
            ChangeKind::UpdateDeleted {
                update_id: id,
                parent_id: gone.parent_id,
            },
        );
        Ok((gone, ch))
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
        let group = self
            .board(item.board_id)
            .ok()
            .and_then(|b| b.meta.groups.get(item.group))
            .map(|g| g.id.clone())
            .unwrap_or_default();
        let ch = change(
            &item,
            ChangeKind::Deleted {
                name: item.name.to_string(),
                group,
            },
        );
        Ok((item, ch))
    }
}
