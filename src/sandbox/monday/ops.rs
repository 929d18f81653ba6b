//! Operations on the simulator shared by the GraphQL resolvers and the control
//! API: paging through cursors, writes that emit changes and webhooks, the
//! staff edits that behave like edits in Monday's UI, and test read-backs.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use serde_json::{Map, Value, json};

use super::errors::SimError;
use super::query::{self, ItemsFilter};
use super::store::{BoardMeta, ItemRec, ME_ID, STAFF_ID, UpdateRec, WebhookRec, user_name};
use super::types::{ItemObj, ItemsResponse};
use super::values::{self, ColumnKind};
use super::webhooks::{self, Delivery};
use super::{ItemChange, MondaySim};

/// Monday's `items_page` accepts 1 to 500 items a page.
fn check_limit(limit: i32) -> Result<usize, SimError> {
    match usize::try_from(limit) {
        Ok(l @ 1..=500) => Ok(l),
        _ => Err(SimError::InvalidArgument(format!(
            "limit must be between 1 and 500, got {limit}"
        ))),
    }
}

impl MondaySim {
    fn objs(&self, ids: &[u64]) -> Vec<ItemObj> {
        let store = self.read();
        let mut metas: HashMap<u64, Arc<BoardMeta>> = HashMap::new();
        ids.iter()
            .filter_map(|id| {
                let item = store.items.get(id)?;
                let meta = match metas.get(&item.board_id) {
                    Some(m) => m.clone(),
                    None => {
                        let m = store.board(item.board_id).ok()?.meta.clone();
                        metas.insert(item.board_id, m.clone());
                        m
                    }
                };
                Some(ItemObj(meta, item.clone()))
            })
            .collect()
    }

    pub(super) fn item_obj(&self, id: u64) -> Option<ItemObj> {
        self.objs(&[id]).pop()
    }

    /// Root `items`: the given ids (or every item), one page of them.
    pub(super) fn items_by_ids(
        &self,
        ids: Option<Vec<u64>>,
        newest_first: bool,
        skip: usize,
        limit: usize,
    ) -> Vec<ItemObj> {
        let mut ids = ids.unwrap_or_else(|| {
            self.read()
                .boards
                .iter()
                .flat_map(|b| b.item_ids.iter().copied())
                .collect()
        });
        if newest_first {
            ids.reverse();
        }
        let ids: Vec<u64> = ids.into_iter().skip(skip).take(limit).collect();
        self.objs(&ids)
    }

    pub(super) fn first_page(&self, ids: Vec<u64>, limit: i32) -> Result<ItemsResponse, SimError> {
        let limit = check_limit(limit)?;
        let page = {
            let store = self.read();
            let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
            cursors.first(ids, limit, |id| store.items.contains_key(&id))
        };
        Ok(ItemsResponse {
            items: self.objs(&page.ids),
            cursor: page.cursor,
        })
    }

    pub(super) fn next_page(&self, cursor: &str, limit: i32) -> Result<ItemsResponse, SimError> {
        let limit = check_limit(limit)?;
        let page = {
            let store = self.read();
            let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
            cursors.next(cursor, limit, |id| store.items.contains_key(&id))?
        };
        Ok(ItemsResponse {
            items: self.objs(&page.ids),
            cursor: page.cursor,
        })
    }

    pub(super) fn page(
        &self,
        board_id: u64,
        filter: Option<ItemsFilter>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<ItemsResponse, SimError> {
        if let Some(cursor) = cursor {
            return self.next_page(cursor, limit);
        }
        check_limit(limit)?;
        let ids = query::matching_ids(&self.read(), board_id, &filter.unwrap_or_default())?;
        self.first_page(ids, limit)
    }

    pub(super) fn updates_of(&self, item_id: u64) -> Vec<UpdateRec> {
        self.read()
            .updates
            .iter()
            .filter(|u| u.item_id == item_id)
            .cloned()
            .collect()
    }

    pub(super) fn http_client(&self) -> Option<reqwest::Client> {
        self.http.clone()
    }

    /// Publishes changes and sends their webhooks (never waiting for them).
    fn emit(&self, changes: Vec<ItemChange>, user_id: u64) {
        for change in changes {
            let deliveries = webhooks::payloads(&self.read(), &change, user_id);
            if let Some(client) = &self.http {
                let d = Delivery {
                    client: client.clone(),
                    retry_delay: self.options.webhook_retry_delay,
                    max_retries: self.options.webhook_max_retries,
                    signing_secret: self.options.signing_secret.clone(),
                };
                for (url, body) in deliveries {
                    webhooks::spawn(&d, url, body, user_id);
                }
            }
            let _ = self.changes.send(change);
        }
    }

    pub(super) fn api_create_item(
        &self,
        board_id: u64,
        group_id: Option<&str>,
        name: &str,
        values: &Map<String, Value>,
        create_labels: bool,
    ) -> Result<u64, SimError> {
        let (id, change) =
            self.write()
                .create_item(board_id, group_id, name, values, create_labels, ME_ID)?;
        self.emit(vec![change], ME_ID);
        Ok(id)
    }

    pub(super) fn api_set_values(
        &self,
        item_id: u64,
        board_id: Option<u64>,
        values: &Map<String, Value>,
        create_labels: bool,
        user_id: u64,
    ) -> Result<(), SimError> {
        let changes = self
            .write()
            .set_values(item_id, board_id, values, create_labels)?;
        self.emit(changes, user_id);
        Ok(())
    }

    pub(super) fn add_update(
        &self,
        item_id: u64,
        body: &str,
        user_id: u64,
    ) -> Result<UpdateRec, SimError> {
        let (update, change) = self.write().add_update(item_id, body, user_id)?;
        self.emit(vec![change], user_id);
        Ok(update)
    }

    pub(super) fn remove_item(
        &self,
        item_id: u64,
        user_id: u64,
    ) -> Result<(Arc<BoardMeta>, Arc<ItemRec>), SimError> {
        let (meta, item, change) = {
            let mut store = self.write();
            let (item, change) = store.delete_item(item_id)?;
            let meta = store.board(item.board_id)?.meta.clone();
            (meta, item, change)
        };
        self.emit(vec![change], user_id);
        Ok((meta, item))
    }

    pub(super) fn add_webhook(
        &self,
        board_id: u64,
        url: String,
        event: &str,
        config: Option<Value>,
    ) -> WebhookRec {
        let mut store = self.write();
        let hook = WebhookRec {
            id: store.next_id(),
            board_id,
            url,
            event: event.to_owned(),
            config,
        };
        store.webhooks.push(hook.clone());
        hook
    }

    pub(super) fn remove_webhook(&self, id: u64) -> Result<WebhookRec, SimError> {
        let mut store = self.write();
        let pos = store
            .webhooks
            .iter()
            .position(|w| w.id == id)
            .ok_or(SimError::WebhookNotFound(id))?;
        Ok(store.webhooks.remove(pos))
    }

    /// A status column of the item's board, by id or by title.
    fn status_column(&self, item_id: u64, name: &str) -> Result<String, SimError> {
        let store = self.read();
        let item = store.item(item_id)?;
        let meta = &store.board(item.board_id)?.meta;
        meta.columns
            .iter()
            .find(|c| {
                c.kind == ColumnKind::Status && (c.id == name || c.title.eq_ignore_ascii_case(name))
            })
            .map(|c| c.id.clone())
            .ok_or_else(|| SimError::InvalidColumnId {
                column_id: name.to_owned(),
                board_id: item.board_id,
            })
    }

    fn staff_set_label(&self, item_id: u64, column: &str, label: &str) -> Result<(), SimError> {
        let col = self.status_column(item_id, column)?;
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

    /// Staff renames the item (fires `update_name`).
    pub fn staff_rename(&self, item_id: u64, name: &str) -> Result<(), SimError> {
        let changes = self.write().rename(item_id, name)?;
        self.emit(changes, STAFF_ID);
        Ok(())
    }

    /// Staff posts an update (comment) on the item; returns the update id.
    pub fn staff_comment(&self, item_id: u64, body: &str) -> Result<u64, SimError> {
        self.add_update(item_id, body, STAFF_ID).map(|u| u.id)
    }

    /// Staff deletes the item (fires `delete_pulse`).
    pub fn staff_delete(&self, item_id: u64) -> Result<(), SimError> {
        self.remove_item(item_id, STAFF_ID).map(|_| ())
    }

    /// What an item looks like now: name, group, column values by id and by
    /// title (`{text, value, type}`), and its updates. None when it doesn't exist.
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
            .map(|u| json!({"id": u.id.to_string(), "body": u.body, "creator_id": u.creator_id.to_string()}))
            .collect();
        Some(json!({
            "id": item.id.to_string(),
            "board_id": item.board_id.to_string(),
            "name": item.name.as_ref(),
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

    pub fn item_count(&self, board_id: u64) -> usize {
        self.read()
            .board(board_id)
            .map(|b| b.item_ids.len())
            .unwrap_or(0)
    }
}
