//! A table as every format sees it: named, typed columns and a stream of
//! pages of rows. Formats read cells; sources decide what a cell holds. A
//! page keeps every cell's text in one buffer, so a page of thousands of
//! rows costs a few allocations rather than one per cell: a million-row
//! export spends its time writing bytes, not allocating them.

use std::ops::Range;

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

/// One value, borrowed from its page. Text formats (CSV, JSON) write a
/// typed cell's text as the board shows it; Parquet writes the typed value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(&'a str),
    /// A number, with the text the board shows for it.
    Number(f64, &'a str),
    Integer(i64),
    Bool(bool),
    /// A time in milliseconds since the epoch (UTC), with its text.
    Time(i64, &'a str),
}

impl Cell<'_> {
    /// The cell as text formats write it; `None` is an empty field.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match *self {
            Cell::Null => None,
            Cell::Text(s) | Cell::Number(_, s) | Cell::Time(_, s) => Some(Cow::Borrowed(s)),
            Cell::Integer(i) => Some(Cow::Owned(i.to_string())),
            Cell::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
        }
    }

    /// The cell as JSON formats write it: text as strings, so a number
    /// keeps the board's formatting (`1,500.50`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match *self {
            Cell::Null => Value::Null,
            Cell::Text(s) | Cell::Number(_, s) | Cell::Time(_, s) => Value::String(s.to_owned()),
            Cell::Integer(i) => Value::from(i),
            Cell::Bool(b) => Value::Bool(b),
        }
    }
}

/// A cell as a page stores it: text as a range of the page's buffer.
#[derive(Clone, Debug)]
enum Slot {
    Null,
    Text(Range<usize>),
    Number(f64, Range<usize>),
    Integer(i64),
    Bool(bool),
    Time(i64, Range<usize>),
}

/// Rows of one width, their text in one buffer.
#[derive(Clone, Debug, Default)]
pub struct Page {
    width: usize,
    text: String,
    slots: Vec<Slot>,
}

impl Page {
    /// An empty page of rows `width` cells wide, with room for `rows`.
    pub fn new(width: usize, rows: usize) -> Self {
        Self {
            width,
            text: String::with_capacity(rows * width * 12),
            slots: Vec::with_capacity(rows * width),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn width(&self) -> usize {
        self.width
    }

    fn keep(&mut self, s: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(s);
        start..self.text.len()
    }

    pub fn null(&mut self) {
        self.slots.push(Slot::Null);
    }

    pub fn text(&mut self, s: &str) {
        let r = self.keep(s);
        self.slots.push(Slot::Text(r));
    }

    /// Text, or a null cell for `None`.
    pub fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn number(&mut self, n: f64, text: &str) {
        let r = self.keep(text);
        self.slots.push(Slot::Number(n, r));
    }

    pub fn integer(&mut self, i: Option<i64>) {
        self.slots.push(i.map_or(Slot::Null, Slot::Integer));
    }

    pub fn boolean(&mut self, b: bool) {
        self.slots.push(Slot::Bool(b));
    }

    /// A time in milliseconds, shown as `text`.
    pub fn time_ms(&mut self, ms: i64, text: &str) {
        let r = self.keep(text);
        self.slots.push(Slot::Time(ms, r));
    }

    /// A time, shown as RFC 3339; a null cell for `None`.
    pub fn time(&mut self, t: Option<DateTime<Utc>>) {
        use std::fmt::Write;
        let Some(t) = t else {
            return self.null();
        };
        let start = self.text.len();
        let _ = write!(self.text, "{}", t.to_rfc3339());
        let r = start..self.text.len();
        self.slots.push(Slot::Time(t.timestamp_millis(), r));
    }

    fn cell(&self, slot: &Slot) -> Cell<'_> {
        match slot {
            Slot::Null => Cell::Null,
            Slot::Text(r) => Cell::Text(&self.text[r.clone()]),
            Slot::Number(n, r) => Cell::Number(*n, &self.text[r.clone()]),
            Slot::Integer(i) => Cell::Integer(*i),
            Slot::Bool(b) => Cell::Bool(*b),
            Slot::Time(t, r) => Cell::Time(*t, &self.text[r.clone()]),
        }
    }

    /// The rows, each an iterator over its cells.
    pub fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = Cell<'_>>> {
        self.slots
            .chunks(self.width.max(1))
            .map(move |row| row.iter().map(move |s| self.cell(s)))
    }

    /// Column `i` down the page.
    pub fn column(&self, i: usize) -> impl Iterator<Item = Cell<'_>> {
        self.slots
            .iter()
            .skip(i)
            .step_by(self.width.max(1))
            .map(move |s| self.cell(s))
    }

    /// Cell `col` of row `row`.
    pub fn get(&self, row: usize, col: usize) -> Cell<'_> {
        self.slots
            .get(row * self.width + col)
            .map_or(Cell::Null, |s| self.cell(s))
    }

    /// The range of each text cell of column `i` in `text_bytes`.
    pub fn text_ranges(&self, i: usize) -> impl Iterator<Item = Option<Range<usize>>> + '_ {
        self.slots
            .iter()
            .skip(i)
            .step_by(self.width.max(1))
            .map(|s| match s {
                Slot::Text(r) | Slot::Number(_, r) | Slot::Time(_, r) => Some(r.clone()),
                Slot::Null | Slot::Integer(_) | Slot::Bool(_) => None,
            })
    }

    /// The page's text as one shared buffer, for formats that slice it
    /// rather than copy each value (Parquet).
    pub fn text_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self.text.as_bytes())
    }
}

/// Pages of rows, read lazily: nothing is read before the first poll.
pub type Pages = BoxStream<'static, Result<Page, ExportError>>;

/// A table's rows already written as CSV (no header), page by page, for
/// tables that can give them faster than typed pages (leads).
pub type CsvRows = BoxStream<'static, Result<Vec<u8>, ExportError>>;

/// A table ready to stream: what it is, which snapshot it reads, its
/// columns, and its rows. Both row streams are lazy: the format that
/// writes the table polls one of them.
pub struct Table {
    /// For file names: `leads`, `calendly-events`, …
    pub name: String,
    pub snapshot: Snapshot,
    pub columns: Vec<Column>,
    pub pages: Pages,
    pub csv_rows: Option<CsvRows>,
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

    #[test]
    fn a_page_gives_back_its_cells_by_row_and_by_column() {
        let mut p = Page::new(3, 2);
        p.text("a");
        p.number(1.5, "1.50");
        p.null();
        p.opt(None);
        p.integer(Some(7));
        p.boolean(true);
        assert_eq!(p.len(), 2);
        let rows: Vec<Vec<Cell<'_>>> = p.rows().map(Iterator::collect).collect();
        assert_eq!(
            rows,
            [
                vec![Cell::Text("a"), Cell::Number(1.5, "1.50"), Cell::Null],
                vec![Cell::Null, Cell::Integer(7), Cell::Bool(true)],
            ]
        );
        let second: Vec<_> = p.column(1).collect();
        assert_eq!(second, [Cell::Number(1.5, "1.50"), Cell::Integer(7)]);
        assert_eq!(p.get(1, 2), Cell::Bool(true));
        let ranges: Vec<_> = p.text_ranges(1).collect();
        assert_eq!(ranges, [Some(1..5), None]);
    }
}
