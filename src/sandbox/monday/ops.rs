//! Operations on the simulator shared by the GraphQL resolvers and the control
//! API: paging through cursors (counting the items each board serves), and
//! writes that log their changes on the board, then emit changes and webhooks.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use serde_json::{Map, Value};

use super::activity::{self, LogFilter, LogRec};
use super::errors::SimError;
use super::query::{self, ItemsFilter};
use super::store::{BoardMeta, ItemRec, Store, UpdateRec, WebhookRec};
use super::types::{ItemObj, ItemsResponse};
use super::webhooks::{self, Delivery};
use super::{ItemChange, MondaySim};

/// Pages serve active items only: one archived mid-walk is skipped like a
/// deleted one.
fn active(store: &Store, id: u64) -> bool {
    store.items.get(&id).is_some_and(|i| !i.archived)
}

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

    /// Item reads served to clients, counted per board so a test can tell a
    /// full walk from an incremental read.
    fn served(&self, items: Vec<ItemObj>) -> Vec<ItemObj> {
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        for item in &items {
            *served.entry(item.1.board_id).or_default() += 1;
        }
        items
    }

    /// Root `items`: the given ids (or every active item), one page of them.
    /// Archived items are served by id (`state: archived`), as Monday does,
    /// unless `exclude_nonactive` is set.
    pub(super) fn items_by_ids(
        &self,
        ids: Option<Vec<u64>>,
        newest_first: bool,
        exclude_nonactive: bool,
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
        if exclude_nonactive {
            let store = self.read();
            ids.retain(|id| store.items.get(id).is_some_and(|i| !i.archived));
        }
        if newest_first {
            ids.reverse();
        }
        let ids: Vec<u64> = ids.into_iter().skip(skip).take(limit).collect();
        self.served(self.objs(&ids))
    }

    pub(super) fn first_page(&self, ids: Vec<u64>, limit: i32) -> Result<ItemsResponse, SimError> {
        let limit = check_limit(limit)?;
        let page = {
            let store = self.read();
            let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
            cursors.first(ids, limit, |id| active(&store, id))
        };
        Ok(ItemsResponse {
            items: self.served(self.objs(&page.ids)),
            cursor: page.cursor,
        })
    }

    pub(super) fn next_page(&self, cursor: &str, limit: i32) -> Result<ItemsResponse, SimError> {
        let limit = check_limit(limit)?;
        let page = {
            let store = self.read();
            let mut cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
            cursors.next(cursor, limit, |id| active(&store, id))?
        };
        Ok(ItemsResponse {
            items: self.served(self.objs(&page.ids)),
            cursor: page.cursor,
        })
    }

    /// `Board.activity_logs`: one page of the board's log, newest first.
    pub(super) fn activity_logs(
        &self,
        board_id: u64,
        filter: &LogFilter,
        limit: i32,
        page: i32,
    ) -> Result<Vec<LogRec>, SimError> {
        let limit = activity::check_limit(limit)?;
        let page = activity::check_page(page)?;
        let store = self.read();
        Ok(activity::page(
            &store.board(board_id)?.logs,
            filter,
            limit,
            page,
        ))
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
            .filter(|u| u.item_id == item_id && u.parent_id.is_none())
            .cloned()
            .collect()
    }

    pub(super) fn http_client(&self) -> Option<reqwest::Client> {
        self.http.clone()
    }

    /// Runs a write on the store and logs its changes on their boards under
    /// the same lock (so each entry sees the item as its change left it),
    /// then publishes them.
    pub(super) fn commit<T>(
        &self,
        user_id: u64,
        write: impl FnOnce(&mut Store) -> Result<(T, Vec<ItemChange>), SimError>,
    ) -> Result<T, SimError> {
        let (out, changes) = {
            let mut store = self.write();
            let (out, changes) = write(&mut store)?;
            for change in &changes {
                store.log_change(change, user_id);
            }
            (out, changes)
        };
        self.emit(changes, user_id);
        Ok(out)
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
        user_id: u64,
    ) -> Result<u64, SimError> {
        self.commit(user_id, |s| {
            let (id, change) =
                s.create_item(board_id, group_id, name, values, create_labels, user_id)?;
            Ok((id, vec![change]))
        })
    }

    pub(super) fn api_set_values(
        &self,
        item_id: u64,
        board_id: Option<u64>,
        values: &Map<String, Value>,
        create_labels: bool,
        user_id: u64,
    ) -> Result<(), SimError> {
        self.commit(user_id, |s| {
            Ok(((), s.set_values(item_id, board_id, values, create_labels)?))
        })
    }

    pub(super) fn api_rename(
        &self,
        item_id: u64,
        name: &str,
        user_id: u64,
    ) -> Result<(), SimError> {
        self.commit(user_id, |s| Ok(((), s.rename(item_id, name)?)))
    }

    pub(super) fn api_move(
        &self,
        item_id: u64,
        group_id: &str,
        user_id: u64,
    ) -> Result<(), SimError> {
        self.commit(user_id, |s| Ok(((), s.move_item(item_id, group_id)?)))
    }

    pub(super) fn api_archive(&self, item_id: u64, user_id: u64) -> Result<(), SimError> {
        self.commit(user_id, |s| Ok(((), s.archive_item(item_id)?)))
    }

    pub(super) fn add_update(
        &self,
        item_id: Option<u64>,
        parent_id: Option<u64>,
        body: &str,
        user_id: u64,
    ) -> Result<UpdateRec, SimError> {
        self.commit(user_id, |s| {
            let (update, change) = s.add_update(item_id, parent_id, body, user_id)?;
            Ok((update, vec![change]))
        })
    }

    pub(super) fn edit_update(
        &self,
        id: u64,
        body: &str,
        user_id: u64,
    ) -> Result<UpdateRec, SimError> {
        self.commit(user_id, |s| {
            let (update, change) = s.edit_update(id, body)?;
            Ok((update, vec![change]))
        })
    }

    pub(super) fn delete_update(&self, id: u64, user_id: u64) -> Result<UpdateRec, SimError> {
        self.commit(user_id, |s| {
            let (update, change) = s.delete_update(id)?;
            Ok((update, vec![change]))
        })
    }

    /// An item's updates; replies are read through their thread's update.
    pub(super) fn replies_of(&self, update_id: u64) -> Vec<UpdateRec> {
        self.read()
            .updates
            .iter()
            .filter(|u| u.parent_id == Some(update_id))
            .cloned()
            .collect()
    }

    pub(super) fn remove_item(
        &self,
        item_id: u64,
        user_id: u64,
    ) -> Result<(Arc<BoardMeta>, Arc<ItemRec>), SimError> {
        self.commit(user_id, |s| {
            let (item, change) = s.delete_item(item_id)?;
            let meta = s.board(item.board_id)?.meta.clone();
            Ok(((meta, item), vec![change]))
        })
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
}
