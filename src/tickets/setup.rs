//! One-off board setup for a new deployment: `bridgeboard setup-board` creates
//! a tickets board with the columns and labels we bind to.

use serde_json::json;

use super::board::{FIELDS, Field};
use crate::upstream::monday::operations::{CreateBoard, CreateColumn, create_board, create_column};
use crate::upstream::monday::{MondayClient, MondayError};

use create_column::ColumnType;

/// Title, column type and (for status columns) labels, in board order: the
/// columns `TicketBoard::bind` looks for.
fn columns() -> Vec<(&'static str, ColumnType, Vec<&'static str>)> {
    FIELDS
        .iter()
        .map(|(field, title, _)| {
            let kind = match field {
                Field::TicketId | Field::ClientPortalId => ColumnType::text,
                Field::Description => ColumnType::long_text,
                Field::ClientEmail => ColumnType::email,
                Field::Status | Field::Priority => ColumnType::status,
                Field::CreatedDate | Field::LastUpdated => ColumnType::date,
            };
            (*title, kind, field.labels())
        })
        .collect()
}

/// Creates the board and its columns; returns the new board id.
pub async fn create_ticket_board(client: &MondayClient, name: &str) -> Result<String, MondayError> {
    let board = client
        .run::<CreateBoard>(create_board::Variables {
            name: name.to_owned(),
        })
        .await?
        .create_board
        .ok_or_else(|| MondayError::Protocol("create_board returned no board".to_owned()))?;
    for (title, kind, labels) in columns() {
        let defaults = (!labels.is_empty()).then(|| {
            let labels: serde_json::Map<String, serde_json::Value> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| (i.to_string(), json!(l)))
                .collect();
            // Monday takes column defaults as a JSON-encoded string.
            json!(json!({ "labels": labels }).to_string())
        });
        client
            .run::<CreateColumn>(create_column::Variables {
                board_id: board.id.clone(),
                title: title.to_owned(),
                type_: kind,
                defaults,
            })
            .await?;
    }
    Ok(board.id)
}
