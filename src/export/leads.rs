//! The leads board as a table: `Item ID`, `Item Name`, the board's column
//! titles in board order, then `Group` and `origin`, exactly the columns of
//! the system we replace, with board columns typed for Parquet.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures_util::StreamExt;
use serde_json::Value;

use super::table::unique_names;
use super::{Cell, Column, ExportError, ExportService, Kind, PAGE_ROWS, Pages, Row, Table};
use crate::db::entities::{calendly_event_type, lead_column};
use crate::pipeline::data::{Datasets, LeadFilter, LeadPage, Snapshot};

/// The filters every leads route takes.
#[derive(Clone, Debug, Default)]
pub struct LeadQuery {
    /// A group title or id, ignoring case.
    pub group: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Text in the name, email or company, ignoring case.
    pub search: Option<String>,
}

impl LeadQuery {
    fn filter(&self) -> LeadFilter {
        LeadFilter {
            group: None,
            search: self.search.clone(),
            updated_since: self.updated_since,
            has_meetings: None,
        }
    }
}

/// What every page of a leads table needs: the board's columns, its groups
/// and the event types that decide each lead's origin.
struct Shape {
    columns: Vec<lead_column::Model>,
    group_titles: HashMap<String, String>,
    event_types: HashMap<String, calendly_event_type::Model>,
}

impl ExportService {
    /// Every lead the query matches, by item id.
    pub async fn leads(&self, q: &LeadQuery) -> Result<Table, ExportError> {
        let s = self.snapshot().await?;
        let group = match &q.group {
            Some(g) => Some(self.group_id(&s, g).await?),
            None => None,
        };
        let shape = Arc::new(self.shape(&s).await?);
        Ok(Table {
            name: "leads".to_owned(),
            columns: columns(&shape),
            pages: pages(self.data.clone(), s.clone(), shape, q.filter(), group),
            snapshot: s,
        })
    }

    /// The leads the query matches, one table per group in board order (one
    /// group when the query names one), all on one snapshot.
    pub async fn leads_by_group(
        &self,
        q: &LeadQuery,
    ) -> Result<(Snapshot, Vec<Column>, Vec<(String, Pages)>), ExportError> {
        let s = self.snapshot().await?;
        let only = match &q.group {
            Some(g) => Some(self.group_id(&s, g).await?),
            None => None,
        };
        let shape = Arc::new(self.shape(&s).await?);
        let groups = self
            .data
            .groups(&s)
            .await?
            .into_iter()
            .filter(|g| only.as_ref().is_none_or(|o| *o == g.group_id));
        let titles: Vec<(String, String)> = groups.map(|g| (g.group_id, g.title)).collect();
        let names = unique_names(titles.iter().map(|(_, t)| t.clone()));
        let tables = titles
            .into_iter()
            .zip(names)
            .map(|((id, _), name)| {
                let p = pages(
                    self.data.clone(),
                    s.clone(),
                    shape.clone(),
                    q.filter(),
                    Some(id),
                );
                (name, p)
            })
            .collect();
        Ok((s.clone(), columns(&shape), tables))
    }

    /// The titles of the board's groups, in board order.
    pub async fn group_titles(&self, s: &Snapshot) -> Result<Vec<String>, ExportError> {
        Ok(self
            .data
            .groups(s)
            .await?
            .into_iter()
            .map(|g| g.title)
            .collect())
    }

    async fn group_id(&self, s: &Snapshot, group: &str) -> Result<String, ExportError> {
        match self.data.resolve_group(s, group).await? {
            Some(id) => Ok(id),
            None => Err(ExportError::UnknownGroup {
                group: group.to_owned(),
                available: self.group_titles(s).await?,
            }),
        }
    }

    async fn shape(&self, s: &Snapshot) -> Result<Shape, ExportError> {
        let columns = self
            .data
            .columns(s)
            .await?
            .into_iter()
            .filter(|c| c.column_id != "name")
            .collect();
        let group_titles = self
            .data
            .groups(s)
            .await?
            .into_iter()
            .map(|g| (g.group_id, g.title))
            .collect();
        let event_types = self
            .data
            .event_types(s)
            .await?
            .into_iter()
            .map(|t| (t.uri.clone(), t))
            .collect();
        Ok(Shape {
            columns,
            group_titles,
            event_types,
        })
    }
}

fn kind_of(column_type: &str) -> Kind {
    match column_type {
        "numbers" => Kind::Number,
        "date" | "creation_log" | "last_updated" => Kind::Time,
        _ => Kind::Text,
    }
}

fn columns(shape: &Shape) -> Vec<Column> {
    let names = unique_names(
        ["Item ID".to_owned(), "Item Name".to_owned()]
            .into_iter()
            .chain(shape.columns.iter().map(|c| c.title.clone()))
            .chain(["Group".to_owned(), "origin".to_owned()]),
    );
    let kinds = [Kind::Text, Kind::Text]
        .into_iter()
        .chain(shape.columns.iter().map(|c| kind_of(&c.column_type)))
        .chain([Kind::Text, Kind::Text]);
    names
        .into_iter()
        .zip(kinds)
        .map(|(n, k)| Column::new(n, k))
        .collect()
}

/// Pages of rows, read ahead: one task reads pages from the database and
/// another turns them into rows while the caller writes the previous one,
/// so the two cores share the work. Each hand-off holds one page, so memory
/// stays bounded; a caller that goes away stops both.
fn pages(
    data: Datasets,
    s: Snapshot,
    shape: Arc<Shape>,
    filter: LeadFilter,
    group: Option<String>,
) -> Pages {
    // Nothing starts before the first poll: a 304, or a group that
    // `/api/json` has not reached yet, reads nothing.
    let start = async move {
        let (raw_tx, mut raw_rx) = tokio::sync::mpsc::channel(1);
        let (rows_tx, rows_rx) = tokio::sync::mpsc::channel::<Result<Vec<Row>, ExportError>>(1);
        let reader = data.clone();
        let snapshot = s.clone();
        tokio::spawn(async move {
            let mut after: Option<String> = None;
            loop {
                let page = read_page(
                    &reader,
                    &snapshot,
                    &filter,
                    group.as_deref(),
                    after.as_deref(),
                )
                .await;
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = raw_tx.send(Err(e)).await;
                        return;
                    }
                };
                let last = page.count < PAGE_ROWS;
                after = page.last.clone();
                if raw_tx.send(Ok(page)).await.is_err() || last || after.is_none() {
                    return;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(page) = raw_rx.recv().await {
                let rows = match page {
                    Ok(page) => to_rows(&data, &s, &shape, &page).await,
                    Err(e) => Err(e),
                };
                let failed = rows.is_err();
                if rows_tx.send(rows).await.is_err() || failed {
                    return;
                }
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(rows_rx)
    };
    Box::pin(futures_util::stream::once(start).flatten())
}

/// One page, and proof that the snapshot it was read from is still whole:
/// a snapshot two publishes old is pruned, and a page read while that
/// happened may miss rows, so the export stops rather than go on with
/// holes.
async fn read_page(
    data: &Datasets,
    s: &Snapshot,
    filter: &LeadFilter,
    group: Option<&str>,
    after: Option<&str>,
) -> Result<LeadPage, ExportError> {
    let page = data
        .lead_export_page(s, filter, group, after, PAGE_ROWS)
        .await?;
    if data.snapshot_at(s.number).await?.is_none() {
        return Err(ExportError::SnapshotGone(s.number));
    }
    Ok(page)
}

/// One lead of a page: item id, name, group id, email key, column values,
/// borrowed from the page's JSON where it needs no unescaping.
#[derive(serde::Deserialize)]
struct PageLead<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cells<'a>,
);

/// One cell of `column_values` as stored.
#[derive(serde::Deserialize)]
struct RawCell<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    value: Option<&'a serde_json::value::RawValue>,
}

/// A lead's cells by column id, in stored order: a board has a few dozen
/// columns at most, so a scan beats hashing.
struct Cells<'a>(Vec<(Cow<'a, str>, RawCell<'a>)>);

impl<'a> Cells<'a> {
    fn get(&self, id: &str) -> Option<&RawCell<'a>> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Cells<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Cells<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of column cells")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Cells<'a>, M::Error> {
                let mut cells = Vec::with_capacity(m.size_hint().unwrap_or(16));
                while let Some(entry) = m.next_entry::<Cow<'a, str>, RawCell<'a>>()? {
                    cells.push(entry);
                }
                Ok(Cells(cells))
            }
            fn visit_unit<E>(self) -> Result<Cells<'a>, E> {
                Ok(Cells(Vec::new()))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

async fn to_rows(
    data: &Datasets,
    s: &Snapshot,
    shape: &Shape,
    page: &LeadPage,
) -> Result<Vec<Row>, ExportError> {
    let mut leads: Vec<PageLead<'_>> = if page.json.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(&page.json).map_err(|e| ExportError::Encode(e.to_string()))?
    };
    // Aggregates promise no order; the rows come sorted almost always.
    if !leads.is_sorted_by(|a, b| a.0 <= b.0) {
        leads.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let keys: Vec<String> = leads
        .iter()
        .filter_map(|l| l.3.as_deref().map(str::to_owned))
        .collect();
    let origins = data.origins(s, &keys, &shape.event_types).await?;
    Ok(leads
        .into_iter()
        .map(|l| {
            let origin = l.3.as_deref().and_then(|k| origins.get(k).cloned());
            row(shape, l, origin)
        })
        .collect())
}

fn row(shape: &Shape, lead: PageLead<'_>, origin: Option<String>) -> Row {
    let PageLead(item_id, name, group_id, _, cells) = lead;
    let mut row = Vec::with_capacity(shape.columns.len() + 4);
    row.push(Cell::Text(item_id.into_owned()));
    row.push(Cell::Text(name.into_owned()));
    for c in &shape.columns {
        row.push(board_cell(c, cells.get(c.column_id.as_str())));
    }
    row.push(Cell::text(
        shape.group_titles.get(group_id.as_ref()).cloned(),
    ));
    row.push(Cell::text(origin));
    row
}

/// A board cell: its text, typed where its column is a number or a date.
fn board_cell(column: &lead_column::Model, cell: Option<&RawCell<'_>>) -> Cell {
    let Some(text) = cell
        .and_then(|c| c.text.as_deref())
        .filter(|t| !t.is_empty())
    else {
        return Cell::Null;
    };
    let text = text.to_owned();
    match kind_of(&column.column_type) {
        Kind::Number => match text.trim().replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Cell::Number(n, text),
            _ => Cell::Text(text),
        },
        Kind::Time => {
            let value = cell
                .and_then(|c| c.value)
                .and_then(|v| serde_json::from_str::<Value>(v.get()).ok());
            match parse_time(value.as_ref(), &text) {
                Some(t) => Cell::Time(t, text),
                None => Cell::Text(text),
            }
        }
        _ => Cell::Text(text),
    }
}

/// A date column's moment: Monday's value `{"date","time"}` (UTC), else
/// its text (`2026-01-02` or `2026-01-02 10:00`).
fn parse_time(value: Option<&Value>, text: &str) -> Option<DateTime<Utc>> {
    let value = match value {
        Some(Value::String(s)) => serde_json::from_str(s).ok(),
        Some(v) => Some(v.clone()),
        None => None,
    };
    let from_value = value.as_ref().and_then(|v| {
        let date: NaiveDate = v.get("date")?.as_str()?.parse().ok()?;
        let time = v
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<NaiveTime>().ok())
            .unwrap_or_default();
        Some(date.and_time(time).and_utc())
    });
    from_value.or_else(|| {
        let t = text.trim();
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M")
                    .ok()
                    .map(|d| d.and_utc())
            })
            .or_else(|| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .map(|d| d.and_time(NaiveTime::MIN).and_utc())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(kind: &str) -> lead_column::Model {
        lead_column::Model {
            column_id: "c".into(),
            valid_from: 1,
            valid_to: None,
            hash: String::new(),
            title: "C".into(),
            column_type: kind.into(),
            position: 0,
        }
    }

    fn cell(json: serde_json::Value, kind: &str) -> Cell {
        let text = json.to_string();
        let raw: RawCell<'_> = serde_json::from_str(&text).expect("a cell");
        board_cell(&column(kind), Some(&raw))
    }

    #[test]
    fn board_cells_are_typed_by_their_column() {
        let n = cell(json!({"text": "1,500.5"}), "numbers");
        assert_eq!(n, Cell::Number(1500.5, "1,500.5".into()));
        let not = cell(json!({"text": "lots"}), "numbers");
        assert_eq!(not, Cell::Text("lots".into()), "unparseable text is kept");
        let d = cell(
            json!({"text": "2026-01-02", "value": "{\"date\":\"2026-01-02\",\"time\":\"10:30:00\"}"}),
            "date",
        );
        let Cell::Time(t, text) = d else {
            panic!("{d:?}")
        };
        assert_eq!(t.to_rfc3339(), "2026-01-02T10:30:00+00:00");
        assert_eq!(text, "2026-01-02");
        assert_eq!(cell(json!({"text": ""}), "text"), Cell::Null);
        assert_eq!(
            cell(json!({"text": "a \"quoted\" word"}), "text"),
            Cell::Text("a \"quoted\" word".into())
        );
        assert_eq!(board_cell(&column("text"), None), Cell::Null);
    }
}
