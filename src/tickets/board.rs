//! Binds our ticket fields to the columns of the Monday tickets board, found by
//! title (config may pin any of them by id), and translates between our
//! tickets and Monday column values in both directions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::{TicketPriority, TicketStatus};
use crate::config::column_keys as keys;
use crate::upstream::Transient;
use crate::upstream::monday::operations::{BoardSchema, board_schema};
use crate::upstream::monday::{MondayClient, MondayError, MondayItem};

/// Our fields, the board titles we look for, and the config override keys.
pub const FIELDS: &[(Field, &str, &str)] = &[
    (Field::TicketId, "Ticket ID", keys::TICKET_ID),
    (Field::Description, "Description", keys::DESCRIPTION),
    (Field::ClientEmail, "Client Email", keys::CLIENT_EMAIL),
    (
        Field::ClientPortalId,
        "Client Portal ID",
        keys::CLIENT_PORTAL_ID,
    ),
    (Field::Status, "Status", keys::STATUS),
    (Field::Priority, "Priority", keys::PRIORITY),
    (Field::CreatedDate, "Created Date", keys::CREATED_DATE),
    (Field::LastUpdated, "Last Updated", keys::LAST_UPDATED),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    TicketId,
    Description,
    ClientEmail,
    ClientPortalId,
    Status,
    Priority,
    CreatedDate,
    LastUpdated,
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("monday board {board_id} was not found")]
    BoardNotFound { board_id: String },
    #[error(
        "monday board {board_id} has no column titled \"{title}\" (set MONDAY_TICKET_COLUMNS={key}=<column id> to use another column)"
    )]
    MissingColumn {
        board_id: String,
        title: &'static str,
        key: &'static str,
    },
    #[error("monday board {board_id}: column \"{title}\" has no label \"{label}\"")]
    MissingLabel {
        board_id: String,
        title: &'static str,
        label: &'static str,
    },
    #[error(transparent)]
    Monday(#[from] MondayError),
}

impl Transient for BindError {
    /// A board that is simply unreachable now may bind later; a board that
    /// lacks a column never will.
    fn is_transient(&self) -> bool {
        matches!(self, BindError::Monday(e) if e.is_transient())
    }
}

/// The tickets board as we use it.
#[derive(Clone, Debug)]
pub struct TicketBoard {
    pub board_id: String,
    columns: HashMap<Field, String>,
}

impl Field {
    /// The labels a status column must offer for this field (none for the
    /// other columns), from the one table in `model`.
    pub fn labels(self) -> Vec<&'static str> {
        match self {
            Field::Status => TicketStatus::ALL.iter().map(|s| s.label()).collect(),
            Field::Priority => TicketPriority::ALL.iter().map(|p| p.label()).collect(),
            _ => Vec::new(),
        }
    }
}

impl TicketBoard {
    /// Reads the board's columns and binds every field, or names what is missing.
    pub async fn bind(
        client: &MondayClient,
        board_id: &str,
        overrides: &HashMap<String, String>,
    ) -> Result<Self, BindError> {
        let data = client
            .run::<BoardSchema>(board_schema::Variables {
                board_id: board_id.to_owned(),
            })
            .await?;
        let board = data
            .boards
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| BindError::BoardNotFound {
                board_id: board_id.to_owned(),
            })?;
        let columns: Vec<_> = board
            .columns
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();

        let mut bound = HashMap::new();
        for (field, title, key) in FIELDS {
            let found = match overrides.get(*key) {
                Some(id) => columns.iter().find(|c| &c.id == id),
                None => columns
                    .iter()
                    .find(|c| c.title.trim().eq_ignore_ascii_case(title)),
            };
            let column = found.ok_or_else(|| BindError::MissingColumn {
                board_id: board_id.to_owned(),
                title,
                key,
            })?;
            let labels = field.labels();
            let known = status_labels(&column.settings_str);
            for label in labels {
                // Only checked when the settings list labels at all.
                if !known.is_empty() && !known.iter().any(|k| k.eq_ignore_ascii_case(label)) {
                    return Err(BindError::MissingLabel {
                        board_id: board_id.to_owned(),
                        title,
                        label,
                    });
                }
            }
            bound.insert(*field, column.id.clone());
        }
        Ok(Self {
            board_id: board_id.to_owned(),
            columns: bound,
        })
    }

    pub fn column(&self, field: Field) -> &str {
        self.columns
            .get(&field)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Column values for a new item, keyed by column id, in Monday's formats.
    pub fn values_for_new(&self, t: &NewItem<'_>) -> Value {
        let mut values = serde_json::Map::new();
        let mut put = |field: Field, v: Value| {
            values.insert(self.column(field).to_owned(), v);
        };
        put(Field::TicketId, json!(t.ticket_id));
        put(Field::Description, json!({ "text": t.description }));
        if let Some(email) = t.client_email {
            put(Field::ClientEmail, json!({ "email": email, "text": email }));
        }
        if let Some(portal) = t.client_portal_id {
            put(Field::ClientPortalId, json!(portal));
        }
        put(Field::Status, json!({ "label": t.status.label() }));
        put(Field::Priority, json!({ "label": t.priority.label() }));
        put(Field::CreatedDate, date_value(t.created_at));
        put(Field::LastUpdated, date_value(t.created_at));
        Value::Object(values)
    }

    /// Column values for changed fields of an existing item.
    pub fn values_for_change(&self, change: &Change, at: DateTime<Utc>) -> Value {
        let mut values = serde_json::Map::new();
        if let Some(d) = &change.description {
            values.insert(
                self.column(Field::Description).to_owned(),
                json!({ "text": d }),
            );
        }
        if let Some(s) = change.status {
            values.insert(
                self.column(Field::Status).to_owned(),
                json!({ "label": s.label() }),
            );
        }
        if let Some(p) = change.priority {
            values.insert(
                self.column(Field::Priority).to_owned(),
                json!({ "label": p.label() }),
            );
        }
        values.insert(self.column(Field::LastUpdated).to_owned(), date_value(at));
        Value::Object(values)
    }

    /// Reads a Monday item into our terms.
    pub fn read(&self, item: &MondayItem) -> ItemFields {
        let text = |f: Field| item.text(self.column(f)).map(str::to_owned);
        let email = item
            .columns
            .get(self.column(Field::ClientEmail))
            .and_then(|c| {
                c.value
                    .as_ref()
                    .and_then(|v| v.get("email"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| c.text.clone())
            })
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'));
        ItemFields {
            ticket_id: text(Field::TicketId),
            title: item.name.clone(),
            description: text(Field::Description).unwrap_or_default(),
            client_email: email,
            client_portal_id: text(Field::ClientPortalId),
            status: text(Field::Status).and_then(|l| TicketStatus::from_label(&l)),
            priority: text(Field::Priority).and_then(|l| TicketPriority::from_label(&l)),
        }
    }
}

pub struct NewItem<'a> {
    pub ticket_id: &'a str,
    pub description: &'a str,
    pub client_email: Option<&'a str>,
    pub client_portal_id: Option<&'a str>,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub created_at: DateTime<Utc>,
}

/// Fields an update sends to Monday (`None` = unchanged). The title is the
/// item name, written with the same call.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
}

impl Change {
    /// The `Ticket` fields this change sets, by their GraphQL names.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("status", self.status.is_some()),
            ("priority", self.priority.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// What a Monday item says about a ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemFields {
    pub ticket_id: Option<String>,
    pub title: String,
    pub description: String,
    pub client_email: Option<String>,
    pub client_portal_id: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
}

fn date_value(at: DateTime<Utc>) -> Value {
    json!({ "date": at.format("%Y-%m-%d").to_string(), "time": at.format("%H:%M:%S").to_string() })
}

/// Label names from a status column's `settings_str` (`{"labels":{"0":"Open",…}}`).
fn status_labels(settings: &str) -> Vec<String> {
    serde_json::from_str::<Value>(settings)
        .ok()
        .and_then(|v| v.get("labels").cloned())
        .map(|labels| match labels {
            Value::Object(m) => m
                .values()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|l| l.get("name").or(Some(l)).and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_labels_from_settings() {
        let s = r#"{"labels":{"0":"Open","1":"In Progress","2":"Resolved","3":"Closed"}}"#;
        assert_eq!(
            status_labels(s),
            vec!["Open", "In Progress", "Resolved", "Closed"]
        );
        assert!(status_labels("{}").is_empty());
        assert!(status_labels("not json").is_empty());
    }

    #[test]
    fn every_field_has_a_config_key() {
        let ours: Vec<&str> = FIELDS.iter().map(|(_, _, k)| *k).collect();
        assert_eq!(ours, keys::ALL);
        assert_eq!(
            Field::Status.labels(),
            ["Open", "In Progress", "Resolved", "Closed"]
        );
    }

    #[test]
    fn serde_renames_are_stable() {
        let c = Change {
            status: Some(TicketStatus::Closed),
            ..Default::default()
        };
        let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back.status, Some(TicketStatus::Closed));
    }
}
