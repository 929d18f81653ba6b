//! One board item as our code sees it, whichever operation fetched it.

use std::collections::HashMap;

use super::operations::{
    items_by_ids, items_first_page, items_next_page, leads_by_ids, leads_first_page,
    leads_next_page,
};

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnCell {
    pub text: Option<String>,
    /// Monday's JSON-encoded value, decoded.
    pub value: Option<serde_json::Value>,
}

/// An update on an item, or a reply in an update's thread (`parent_id`).
/// An item's list holds each update followed by its replies.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemUpdate {
    pub id: String,
    pub parent_id: Option<String>,
    pub text: String,
    pub created_at: Option<String>,
    pub author: Option<String>,
    /// Files attached to it.
    pub assets: Vec<ItemAsset>,
}

/// A file on an update.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemAsset {
    pub id: String,
    pub name: String,
    pub size: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MondayItem {
    pub id: String,
    pub name: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub group_id: Option<String>,
    /// Keyed by column id.
    pub columns: HashMap<String, ColumnCell>,
    pub updates: Vec<ItemUpdate>,
}

impl MondayItem {
    pub fn text(&self, column_id: &str) -> Option<&str> {
        self.columns
            .get(column_id)
            .and_then(|c| c.text.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// `value` arrives as a JSON-encoded string; decode it once here.
fn decode(value: Option<serde_json::Value>) -> Option<serde_json::Value> {
    match value? {
        serde_json::Value::String(s) => serde_json::from_str(&s).ok(),
        serde_json::Value::Null => None,
        other => Some(other),
    }
}

// Each operation gets its own copy of the BoardItem fragment type; one macro
// maps them all onto `MondayItem`.
macro_rules! from_board_item {
    ($module:ident) => {
        impl From<$module::BoardItem> for MondayItem {
            fn from(i: $module::BoardItem) -> Self {
                let files = |assets: Option<Vec<Option<$module::UpdateAsset>>>| {
                    assets
                        .unwrap_or_default()
                        .into_iter()
                        .flatten()
                        .map(|a| ItemAsset {
                            id: a.id,
                            name: a.name,
                            size: a.file_size,
                        })
                        .collect()
                };
                MondayItem {
                    id: i.id,
                    name: i.name,
                    created_at: i.created_at,
                    updated_at: i.updated_at,
                    group_id: i.group.map(|g| g.id),
                    columns: i
                        .column_values
                        .into_iter()
                        .map(|c| {
                            (
                                c.id,
                                ColumnCell {
                                    text: c.text,
                                    value: decode(c.value),
                                },
                            )
                        })
                        .collect(),
                    updates: i
                        .updates
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(|u| {
                            let replies: Vec<ItemUpdate> = u
                                .replies
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| ItemUpdate {
                                    id: r.id,
                                    parent_id: Some(u.id.clone()),
                                    text: r.text_body.unwrap_or_default(),
                                    created_at: r.created_at,
                                    author: r.creator.map(|c| c.name),
                                    assets: files(r.assets),
                                })
                                .collect();
                            std::iter::once(ItemUpdate {
                                id: u.id,
                                parent_id: None,
                                text: u.text_body.unwrap_or_default(),
                                created_at: u.created_at,
                                author: u.creator.map(|c| c.name),
                                assets: files(u.assets),
                            })
                            .chain(replies)
                        })
                        .collect(),
                }
            }
        }
    };
}

from_board_item!(items_first_page);
from_board_item!(items_next_page);
from_board_item!(items_by_ids);

// The leads' fragment: the same fields, without updates.
macro_rules! from_lead_item {
    ($module:ident, $ty:ident) => {
        impl From<$module::$ty> for MondayItem {
            fn from(i: $module::$ty) -> Self {
                MondayItem {
                    id: i.id,
                    name: i.name,
                    created_at: i.created_at,
                    updated_at: i.updated_at,
                    group_id: i.group.map(|g| g.id),
                    columns: i
                        .column_values
                        .into_iter()
                        .map(|c| {
                            (
                                c.id,
                                ColumnCell {
                                    text: c.text,
                                    value: decode(c.value),
                                },
                            )
                        })
                        .collect(),
                    updates: Vec::new(),
                }
            }
        }
    };
}

from_lead_item!(leads_first_page, LeadItem);
from_lead_item!(leads_next_page, LeadItem);
from_lead_item!(leads_by_ids, LeadItem);
