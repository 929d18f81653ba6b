//! The leads board as a table: `Item ID`, `Item Name`, the board's column
//! titles in board order, then `Group` and `origin`, exactly the columns of
//! the system we replace, with board columns typed for Parquet.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::Value;

use super::table::unique_names;
use super::{Cell, Column, ExportError, ExportService, Kind, PAGE_ROWS, Pages, Row, Table};
use crate::db::entities::{calendly_event_type, lead, lead_column};
use crate::pipeline::data::{Datasets, LeadFilter, Snapshot};

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

fn pages(
    data: Datasets,
    s: Snapshot,
    shape: Arc<Shape>,
    filter: LeadFilter,
    group: Option<String>,
) -> Pages {
    Box::pin(async_stream::try_stream! {
        let mut after: Option<String> = None;
        loop {
            let (leads, more) = data
                .leads(&s, &filter, group.as_deref(), after.as_deref(), PAGE_ROWS)
                .await?;
            let Some(last) = leads.last() else { break };
            after = Some(last.item_id.clone());
            let keys: Vec<String> = leads.iter().filter_map(|l| l.email_key.clone()).collect();
            let meetings = data.meetings(&s, &keys).await?;
            let rows: Vec<Row> = leads
                .into_iter()
                .map(|l| {
                    let origin = l
                        .email_key
                        .as_ref()
                        .and_then(|k| meetings.get(k))
                        .and_then(|m| data.origin(m, &shape.event_types));
                    row(&shape, l, origin)
                })
                .collect();
            yield rows;
            if !more {
                break;
            }
        }
    })
}

fn row(shape: &Shape, lead: lead::Model, origin: Option<String>) -> Row {
    let values: serde_json::Map<String, Value> =
        serde_json::from_str(&lead.column_values).unwrap_or_default();
    let mut row = Vec::with_capacity(shape.columns.len() + 4);
    row.push(Cell::Text(lead.item_id));
    row.push(Cell::Text(lead.name));
    for c in &shape.columns {
        row.push(board_cell(c, values.get(&c.column_id)));
    }
    row.push(Cell::text(shape.group_titles.get(&lead.group_id).cloned()));
    row.push(Cell::text(origin));
    row
}

/// A board cell: its text, typed where its column is a number or a date.
fn board_cell(column: &lead_column::Model, cell: Option<&Value>) -> Cell {
    let text = cell
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|t| !t.is_empty());
    let Some(text) = text else {
        return Cell::Null;
    };
    match kind_of(&column.column_type) {
        Kind::Number => match text.trim().replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Cell::Number(n, text),
            _ => Cell::Text(text),
        },
        Kind::Time => {
            let value = cell.and_then(|c| c.get("value"));
            match parse_time(value, &text) {
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
        let date = NaiveDate::parse_from_str(v.get("date")?.as_str()?, "%Y-%m-%d").ok()?;
        let time = v
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M:%S").ok())
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

    #[test]
    fn board_cells_are_typed_by_their_column() {
        let n = board_cell(&column("numbers"), Some(&json!({"text": "1,500.5"})));
        assert_eq!(n, Cell::Number(1500.5, "1,500.5".into()));
        let not = board_cell(&column("numbers"), Some(&json!({"text": "lots"})));
        assert_eq!(not, Cell::Text("lots".into()), "unparseable text is kept");
        let d = board_cell(
            &column("date"),
            Some(
                &json!({"text": "2026-01-02", "value": "{\"date\":\"2026-01-02\",\"time\":\"10:30:00\"}"}),
            ),
        );
        let Cell::Time(t, text) = d else {
            panic!("{d:?}")
        };
        assert_eq!(t.to_rfc3339(), "2026-01-02T10:30:00+00:00");
        assert_eq!(text, "2026-01-02");
        assert_eq!(
            board_cell(&column("text"), Some(&json!({"text": ""}))),
            Cell::Null
        );
        assert_eq!(board_cell(&column("text"), None), Cell::Null);
    }
}
