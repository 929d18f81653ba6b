//! A table as every format sees it: named, typed columns and a stream of
//! pages of rows. Formats write cells; sources decide what a cell holds.

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

use super::ExportError;
use crate::pipeline::data::Snapshot;

/// What a column holds, so typed formats (Parquet) type it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Integer,
    Bool,
    Time,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: Kind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// One value. `text` formats (CSV, JSON) write `Typed` cells' text as the
/// board shows it; Parquet writes the typed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    /// A number with the text the board shows for it.
    Number(f64, String),
    Integer(i64),
    Bool(bool),
    /// A time with the text the board shows for it.
    Time(DateTime<Utc>, String),
}

impl Cell {
    pub fn text(v: Option<String>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }

    pub fn time(v: Option<DateTime<Utc>>) -> Self {
        v.map_or(Cell::Null, |t| Cell::Time(t, t.to_rfc3339()))
    }

    /// The cell as text formats write it; `None` is an empty field.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Cell::Null => None,
            Cell::Text(s) | Cell::Number(_, s) | Cell::Time(_, s) => Some(Cow::Borrowed(s)),
            Cell::Integer(i) => Some(Cow::Owned(i.to_string())),
            Cell::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        }
    }

    /// The cell as JSON formats write it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) | Cell::Number(_, s) | Cell::Time(_, s) => Value::String(s.clone()),
            Cell::Integer(i) => Value::from(*i),
            Cell::Bool(b) => Value::Bool(*b),
        }
    }
}

pub type Row = Vec<Cell>;

/// Pages of rows, read lazily: nothing is read before the first poll.
pub type Pages = BoxStream<'static, Result<Vec<Row>, ExportError>>;

/// A table ready to stream: what it is, which snapshot it reads, its
/// columns, and its rows.
pub struct Table {
    /// For file names: `leads`, `calendly-events`, …
    pub name: String,
    pub snapshot: Snapshot,
    pub columns: Vec<Column>,
    pub pages: Pages,
}

/// Makes column names unique, as Parquet, JSON objects and pandas need:
/// a repeated title gets ` (2)`, ` (3)`, …
pub fn unique_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|n| {
            let mut candidate = n.clone();
            let mut i = 2;
            while !seen.insert(candidate.to_lowercase()) {
                candidate = format!("{n} ({i})");
                i += 1;
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_titles_become_unique() {
        let names = unique_names(["Email", "Group", "email", "Email"].map(String::from));
        assert_eq!(names, ["Email", "Group", "email (2)", "Email (3)"]);
    }
}
