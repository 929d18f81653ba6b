//! The leads board as a table: `Item ID`, `Item Name`, the board's column
//! titles in board order, then `Group` and `origin`, exactly the columns of
//! the system we replace, with board columns typed for Parquet. CSV comes
//! from the rows the pipeline made ready; the other formats read typed
//! cells.

mod ready;
mod typed;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::table::unique_names;
use super::{Column, ExportError, ExportService, Kind, Pages, Table};
use crate::db::entities::{calendly_event_type, lead_column};
use crate::pipeline::cells::{self, CellKind};
use crate::pipeline::data::{LeadFilter, Snapshot};
use typed::Source;

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
    kinds: Vec<CellKind>,
    /// What ready rows must have been rendered for (`cells::layout`).
    layout: String,
    group_titles: HashMap<String, String>,
    event_types: HashMap<String, calendly_event_type::Model>,
}

impl ExportService {
    /// Every lead the query matches, by item id.
    pub async fn leads(&self, q: &LeadQuery) -> Result<Table, ExportError> {
        self.leads_on(self.snapshot().await?, q).await
    }

    /// Every lead of snapshot `s` the query matches, by item id.
    pub async fn leads_on(&self, s: Snapshot, q: &LeadQuery) -> Result<Table, ExportError> {
        let group = match &q.group {
            Some(g) => Some(self.group_id(&s, g).await?),
            None => None,
        };
        let shape = Arc::new(self.shape(&s).await?);
        let source = Source {
            data: self.data.clone(),
            snapshot: s.clone(),
            shape: shape.clone(),
            filter: q.filter(),
            group,
            streams: self.streams.clone(),
        };
        Ok(Table {
            name: "leads".to_owned(),
            columns: columns(&shape),
            pages: typed::pages(source.clone()),
            csv_rows: Some(ready::csv_rows(source)),
            snapshot: s,
        })
    }

    /// The leads of snapshot `s` the query matches, one table per group in
    /// board order (one group when the query names one).
    pub async fn leads_by_group(
        &self,
        s: &Snapshot,
        q: &LeadQuery,
    ) -> Result<(Vec<Column>, Vec<(String, Pages)>), ExportError> {
        let s = s.clone();
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
                let p = typed::pages(Source {
                    data: self.data.clone(),
                    snapshot: s.clone(),
                    shape: shape.clone(),
                    filter: q.filter(),
                    group: Some(id),
                    streams: self.streams.clone(),
                });
                (name, p)
            })
            .collect();
        Ok((columns(&shape), tables))
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
        let columns: Vec<lead_column::Model> = self
            .data
            .columns(s)
            .await?
            .into_iter()
            .filter(|c| c.column_id != "name")
            .collect();
        let kinds = columns
            .iter()
            .map(|c| CellKind::of(&c.column_type))
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
        let layout = cells::layout(
            columns
                .iter()
                .map(|c| (c.column_id.as_str(), c.column_type.as_str())),
        );
        Ok(Shape {
            columns,
            kinds,
            layout,
            group_titles,
            event_types,
        })
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
        .chain(shape.kinds.iter().map(|k| match k {
            CellKind::Number => Kind::Number,
            CellKind::Time => Kind::Time,
            CellKind::Text => Kind::Text,
        }))
        .chain([Kind::Text, Kind::Text]);
    names
        .into_iter()
        .zip(kinds)
        .map(|(n, k)| Column::new(n, k))
        .collect()
}
