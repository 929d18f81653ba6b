//! What happens "on the other side" of the integration, for tests and the
//! control API: staff edits that behave like edits in Monday's UI (each one
//! logged and firing its webhooks, as user `STAFF_ID`), and read-backs of
//! what the simulated account holds and how much of it was read.

use std::sync::PoisonError;

use serde_json::{Map, Value, json};

use super::MondaySim;
use super::errors::SimError;
use super::query;
use super::store::{STAFF_ID, WebhookRec, user_name};
use super::values::{self, ColumnKind};

impl MondaySim {
    /// A column of the board, by id or by title (titles ignore case).
    fn column_id(
        &self,
        board_id: u64,
        name: &str,
        kind: Option<ColumnKind>,
    ) -> Result<String, SimError> {
        let store = self.read();
        let meta = &store.board(board_id)?.meta;
        let wanted = |c: &&super::store::ColumnRec| kind.is_none_or(|k| c.kind == k);
        meta.columns
            .iter()
            .filter(wanted)
            .find(|c| c.id == name)
            .or_else(|| {
                meta.columns
                    .iter()
                    .filter(wanted)
                    .find(|c| c.title.eq_ignore_ascii_case(name))
            })
            .map(|c| c.id.clone())
            .ok_or_else(|| SimError::InvalidColumnId {
                column_id: name.to_owned(),
                board_id,
            })
    }

    /// A group of the board, by id or by title (titles ignore case).
    fn group_id(&self, board_id: u64, name: &str) -> Result<String, SimError> {
        let store = self.read();
        let meta = &store.board(board_id)?.meta;
        meta.groups
            .iter()
            .find(|g| g.id == name)
            .or_else(|| {
                meta.groups
                    .iter()
                    .find(|g| g.title.eq_ignore_ascii_case(name))
            })
            .map(|g| g.id.clone())
            .ok_or_else(|| {
                SimError::InvalidArgument(format!(
                    "Group {name} does not exist on board {board_id}"
                ))
            })
    }

    fn board_of(&self, item_id: u64) -> Result<u64, SimError> {
        Ok(self.read().item(item_id)?.board_id)
    }

    /// `columns` keyed by column id or title, re-keyed by id.
    fn by_column_id(
        &self,
        board_id: u64,
        columns: &Map<String, Value>,
    ) -> Result<Map<String, Value>, SimError> {
        columns
            .iter()
            .map(|(k, v)| Ok((self.column_id(board_id, k, None)?, v.clone())))
            .collect()
    }

    fn staff_set_label(&self, item_id: u64, column: &str, label: &str) -> Result<(), SimError> {
        let col = self.column_id(self.board_of(item_id)?, column, Some(ColumnKind::Status))?;
        let mut values = Map::new();
        values.insert(col, json!({"label": label}));
        self.api_set_values(item_id, None, &values, false, STAFF_ID)
    }

    /// Staff changes the Status column in Monday's UI (fires webhooks).
    pub fn staff_set_status(&self, item_id: u64, label: &str) -> Result<(), SimError> {
        self.staff_set_label(item_id, "status", label)
    }

    /// Staff changes the Priority column in Monday's UI (fires webhooks).
    pub fn staff_set_priority(&self, item_id: u64, label: &str) -> Result<(), SimError> {
        self.staff_set_label(item_id, "priority", label)
    }

    /// Staff changes any columns, keyed by column id or title; each value is
    /// Monday's column JSON or the simple string form (`"Won"`, `"2026-03-04"`).
    /// All are validated before any is written.
    pub fn staff_set_columns(
        &self,
        item_id: u64,
        columns: &Map<String, Value>,
    ) -> Result<(), SimError> {
        let values = self.by_column_id(self.board_of(item_id)?, columns)?;
        self.api_set_values(item_id, None, &values, false, STAFF_ID)
    }

    /// Staff renames the item (fires `update_name`).
    pub fn staff_rename(&self, item_id: u64, name: &str) -> Result<(), SimError> {
        self.api_rename(item_id, name, STAFF_ID)
    }

    /// Staff drags the item to another group, given by id or title (logs
    /// `move_pulse_from_group`, fires the `item_moved_to_*_group` webhooks).
    pub fn staff_move(&self, item_id: u64, group: &str) -> Result<(), SimError> {
        let group = self.group_id(self.board_of(item_id)?, group)?;
        self.api_move(item_id, &group, STAFF_ID)
    }

    /// Staff adds an item, in the top group unless `group` (id or title) is
    /// given, with `columns` as in `staff_set_columns`. Returns its id.
    pub fn staff_create_item(
        &self,
        board_id: u64,
        name: &str,
        group: Option<&str>,
        columns: &Map<String, Value>,
    ) -> Result<u64, SimError> {
        let group = group.map(|g| self.group_id(board_id, g)).transpose()?;
        let values = self.by_column_id(board_id, columns)?;
        self.api_create_item(board_id, group.as_deref(), name, &values, false, STAFF_ID)
    }

    /// Staff posts an update (comment) on the item, or a reply in the thread
    /// of `parent_id`; returns the new update's id.
    pub fn staff_comment(
        &self,
        item_id: u64,
        parent_id: Option<u64>,
        body: &str,
    ) -> Result<u64, SimError> {
        self.staff_comment_with_files(item_id, parent_id, body, Vec::new())
            .map(|(id, _)| id)
    }

    /// Staff rewrite an update (fires `edit_update`).
    pub fn staff_edit_update(&self, id: u64, body: &str) -> Result<(), SimError> {
        self.edit_update(id, body, STAFF_ID).map(|_| ())
    }

    /// Staff delete an update with its replies (fires `delete_update`).
    pub fn staff_delete_update(&self, id: u64) -> Result<(), SimError> {
        self.delete_update(id, STAFF_ID).map(|_| ())
    }

    /// Staff archives the item (fires `archive_pulse`).
    pub fn staff_archive(&self, item_id: u64) -> Result<(), SimError> {
        self.api_archive(item_id, STAFF_ID)
    }

    /// Staff deletes the item (fires `delete_pulse`).
    pub fn staff_delete(&self, item_id: u64) -> Result<(), SimError> {
        self.remove_item(item_id, STAFF_ID).map(|_| ())
    }

    /// What an item looks like now: name, state, group, column values by id
    /// and by title (`{text, value, type}`), and its updates. None when it
    /// doesn't exist.
    pub fn item_json(&self, item_id: u64) -> Option<Value> {
        let store = self.read();
        let item = store.items.get(&item_id)?;
        let meta = &store.board(item.board_id).ok()?.meta;
        let mut by_id = Map::new();
        let mut by_title = Map::new();
        for (i, col) in meta
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind != ColumnKind::Name)
        {
            let cell = item.cell(i);
            let text = cell.map(|c| values::text(&c.val, &col.labels, &user_name));
            let v = json!({
                "title": col.title,
                "type": col.kind.api_name(),
                "text": text,
                "value": cell.map(values::api_value),
            });
            by_title.insert(col.title.clone(), json!(text));
            by_id.insert(col.id.clone(), v);
        }
        let group = meta.groups.get(item.group);
        let updates: Vec<Value> = store
            .updates
            .iter()
            .filter(|u| u.item_id == item_id)
            .map(|u| {
                let assets: Vec<Value> = store
                    .assets
                    .iter()
                    .filter(|a| a.update_id == u.id)
                    .map(|a| json!({"id": a.id.to_string(), "name": a.name, "size": a.bytes.len(), "content_type": a.content_type}))
                    .collect();
                json!({"id": u.id.to_string(), "body": u.body, "creator_id": u.creator_id.to_string(), "parent_id": u.parent_id.map(|p| p.to_string()), "assets": assets})
            })
            .collect();
        Some(json!({
            "id": item.id.to_string(),
            "board_id": item.board_id.to_string(),
            "name": item.name.as_ref(),
            "state": if item.archived { "archived" } else { "active" },
            "group": group.map(|g| json!({"id": g.id, "title": g.title})),
            "column_values": by_id,
            "by_title": by_title,
            "updates": updates,
        }))
    }

    /// Items whose column shows `value` (text, or a status label or index).
    pub fn find_items_by_column(&self, board_id: u64, column_id: &str, value: &str) -> Vec<u64> {
        query::by_column_values(
            &self.read(),
            board_id,
            &[(column_id.to_owned(), vec![value.to_owned()])],
        )
        .unwrap_or_default()
    }

    /// The registered webhooks, all boards.
    pub fn webhooks(&self) -> Vec<WebhookRec> {
        self.read().webhooks.clone()
    }

    /// The ids of the board's active items, in board order.
    pub fn board_item_ids(&self, board_id: u64) -> Vec<u64> {
        self.read()
            .board(board_id)
            .map(|b| b.item_ids.clone())
            .unwrap_or_default()
    }

    /// Active items on the board (archived ones are not counted, like
    /// `items_count`).
    pub fn item_count(&self, board_id: u64) -> usize {
        self.read()
            .board(board_id)
            .map(|b| b.item_ids.len())
            .unwrap_or(0)
    }

    /// Entries in the board's activity log (at most the log's capacity).
    pub fn activity_log_count(&self, board_id: u64) -> usize {
        self.read()
            .board(board_id)
            .map(|b| b.logs.len())
            .unwrap_or(0)
    }

    /// How many items of the board `items_page`, `next_items_page`,
    /// `items_page_by_column_values` and `items` have returned since start
    /// (or the last reset): an item served twice counts twice.
    pub fn items_served(&self, board_id: u64) -> u64 {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&board_id)
            .copied()
            .unwrap_or(0)
    }

    /// Starts the board's `items_served` count again from zero.
    pub fn reset_items_served(&self, board_id: u64) {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&board_id);
    }

    /// The board's counters, as the control API reports them.
    pub fn board_stats(&self, board_id: u64) -> Result<Value, SimError> {
        let (items, archived, logs) = {
            let store = self.read();
            let board = store.board(board_id)?;
            let archived = store
                .items
                .values()
                .filter(|i| i.board_id == board_id && i.archived)
                .count();
            (board.item_ids.len(), archived, board.logs.len())
        };
        Ok(json!({
            "board_id": board_id.to_string(),
            "items": items,
            "archived_items": archived,
            "activity_logs": logs,
            "items_served": self.items_served(board_id),
        }))
    }
}
