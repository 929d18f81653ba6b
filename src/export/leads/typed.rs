//! Leads as typed cells, for every format: each page is read as one text
//! of the rows the pipeline made ready, split, and laid out as a `Page`. A
//! page holding a lead that is not ready for this snapshot's columns
//! (written before there were ready rows, or for another layout) is read
//! again from Monday's values and typed as it goes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::Semaphore;

use super::Shape;
use crate::export::read_ahead::{convert_ahead, read_ahead};
use crate::export::{ExportError, PAGE_ROWS, Page, Pages};
use crate::pipeline::cells::{CellKind, RawCells, ReadyRow};
use crate::pipeline::data::{CopyError, Datasets, LeadFilter, LeadPage, Snapshot};

/// What a run of pages reads and how it finishes them.
#[derive(Clone)]
pub(super) struct Source {
    pub data: Datasets,
    pub snapshot: Snapshot,
    pub shape: Arc<Shape>,
    pub filter: LeadFilter,
    pub group: Option<String>,
    /// Downloads that may hold a connection of their own (`pages`).
    pub streams: Arc<Semaphore>,
}

impl Source {
    /// The page of ready rows after `after` (`ready`), or of Monday's
    /// values, and proof that its snapshot is still whole: a snapshot two
    /// publishes old is pruned, and a page read while that happened may
    /// miss rows, so the export stops rather than go on with holes.
    pub async fn read(&self, after: Option<&str>, ready: bool) -> Result<LeadPage, ExportError> {
        let (s, f, g) = (&self.snapshot, &self.filter, self.group.as_deref());
        let page = if ready {
            self.data.lead_ready_page(s, f, g, after, PAGE_ROWS).await?
        } else {
            self.data
                .lead_values_page(s, f, g, after, PAGE_ROWS)
                .await?
        };
        if !self.data.still_readable(s).await? {
            return Err(ExportError::SnapshotGone(s.number));
        }
        Ok(page)
    }

    /// Reads ready pages from the start, each with the key it was read
    /// after, and turns each into a `T`. One `COPY` streams them where the
    /// database can and one of the export streams is free (it holds a
    /// connection for the whole download); pages are read one query at a
    /// time otherwise.
    pub fn pages<T: Send + 'static>(
        self,
        convert: impl Fn(
            Source,
            Option<String>,
            LeadPage,
        ) -> futures_util::future::BoxFuture<'static, Result<T, ExportError>>
        + Send
        + 'static,
    ) -> futures_util::stream::BoxStream<'static, Result<T, ExportError>> {
        let start = async move {
            let (s, f, g) = (&self.snapshot, &self.filter, self.group.as_deref());
            if let Ok(permit) = self.streams.clone().try_acquire_owned()
                && let Some(copy) = self.data.lead_ready_copy(s, f, g, PAGE_ROWS, permit)
            {
                let number = s.number;
                let mut after: Option<String> = None;
                let pages = copy.map(move |page| {
                    let page = page.map_err(|e| match e {
                        CopyError::Pruned => ExportError::SnapshotGone(number),
                        CopyError::Db(e) => ExportError::Db(e),
                    })?;
                    let read_after = std::mem::replace(&mut after, page.last.clone());
                    Ok((read_after, page))
                });
                let src = self.clone();
                return convert_ahead(pages.boxed(), move |(after, page)| {
                    convert(src.clone(), after, page)
                });
            }
            let reader = self.clone();
            read_ahead(
                move |after| {
                    let src = reader.clone();
                    async move {
                        let page = src.read(after.as_deref(), true).await?;
                        let next = if page.count < PAGE_ROWS {
                            None
                        } else {
                            page.last.clone()
                        };
                        Ok(((after, page), next))
                    }
                    .boxed()
                },
                move |(after, page)| convert(self.clone(), after, page),
            )
        };
        Box::pin(futures_util::stream::once(start).flatten())
    }

    /// The origin of each email key that has one. Origins come from the
    /// Calendly rows of the snapshot, read after the page itself: a prune
    /// in between would leave them short, so the snapshot must still be
    /// whole once they have been read.
    pub async fn origins<'k>(
        &self,
        keys: impl Iterator<Item = &'k str>,
    ) -> Result<HashMap<String, String>, ExportError> {
        let keys: Vec<String> = keys.map(str::to_owned).collect();
        let origins = self
            .data
            .origins(&self.snapshot, &keys, &self.shape.event_types)
            .await?;
        if !keys.is_empty()
            && !self.data.config().origin_map.is_empty()
            && !self.data.still_readable(&self.snapshot).await?
        {
            return Err(ExportError::SnapshotGone(self.snapshot.number));
        }
        Ok(origins)
    }
}

/// Every page of the source, as typed rows.
pub(super) fn pages(source: Source) -> Pages {
    source.pages(|src, after, page| async move { to_page(&src, after, page).await }.boxed())
}

/// The page's ready rows in item order, when every lead has one rendered
/// for `layout`.
pub(super) fn ready<'a>(page: &'a LeadPage, layout: &str) -> Option<Vec<ReadyRow<'a>>> {
    if page.missing > 0 {
        return None;
    }
    let mut rows: Vec<ReadyRow<'_>> = ReadyRow::split(&page.text)
        .collect::<Result<_, _>>()
        .inspect_err(|e| tracing::warn!(error = %e, "unreadable ready rows; reading values"))
        .ok()?;
    if rows.iter().any(|r| r.layout != layout) || rows.len() as u64 != page.count {
        return None;
    }
    // Aggregates promise no order; the rows come sorted almost always.
    if !rows.is_sorted_by(|a, b| item_id(a) <= item_id(b)) {
        rows.sort_by(|a, b| item_id(a).cmp(item_id(b)));
    }
    Some(rows)
}

/// A row's first field, its item id (digits, never quoted).
fn item_id<'r>(r: &'r ReadyRow<'_>) -> &'r str {
    r.csv.split(',').next().unwrap_or_default()
}

/// A page of typed leads from a page of ready rows, or from Monday's values
/// when it is not ready.
async fn to_page(src: &Source, after: Option<String>, page: LeadPage) -> Result<Page, ExportError> {
    let shape = &src.shape;
    let Some(rows) = ready(&page, &shape.layout) else {
        return values_page(src, after).await;
    };
    let origins = src
        .origins(rows.iter().filter_map(|r| r.email_key.as_deref()))
        .await?;
    let mut out = Page::new(shape.columns.len() + 4, rows.len());
    let bad = |e: String| ExportError::Encode(e);
    for r in &rows {
        let fields = r.fields().map_err(bad)?;
        let mut typed = r.typed().map_err(bad)?.into_iter();
        let mut fields = fields.iter().map(Cow::as_ref);
        out.text(fields.next().unwrap_or_default());
        out.text(fields.next().unwrap_or_default());
        for kind in &shape.kinds {
            let text = fields.next().unwrap_or_default();
            let value = match kind {
                CellKind::Text => None,
                _ => typed.next().flatten(),
            };
            cell(&mut out, *kind, text, value);
        }
        finish(
            &mut out,
            shape,
            &r.group_id,
            r.email_key.as_deref(),
            &origins,
        );
    }
    Ok(out)
}

/// One board cell: empty is null; a typed value keeps its text.
fn cell(out: &mut Page, kind: CellKind, text: &str, value: Option<f64>) {
    match (kind, value) {
        _ if text.is_empty() => out.null(),
        (CellKind::Number, Some(n)) => out.number(n, text),
        (CellKind::Time, Some(ms)) => out.time_ms(ms as i64, text),
        _ => out.text(text),
    }
}

/// The `Group` and `origin` cells.
fn finish(
    out: &mut Page,
    shape: &Shape,
    group_id: &str,
    email_key: Option<&str>,
    origins: &HashMap<String, String>,
) {
    out.opt(shape.group_titles.get(group_id).map(String::as_str));
    out.opt(email_key.and_then(|k| origins.get(k)).map(String::as_str));
}

/// One lead as `Datasets::lead_values_page` gives it: item id, name, group
/// id, email key, Monday's values, borrowed from the page's JSON where
/// they need no unescaping.
#[derive(serde::Deserialize)]
struct ValuesLead<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] RawCells<'a>,
);

/// The page after `after`, typed from Monday's values.
pub(super) async fn values_page(src: &Source, after: Option<String>) -> Result<Page, ExportError> {
    let page = src.read(after.as_deref(), false).await?;
    let shape = &src.shape;
    let mut leads: Vec<ValuesLead<'_>> = if page.text.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(&page.text).map_err(|e| ExportError::Encode(e.to_string()))?
    };
    if !leads.is_sorted_by(|a, b| a.0 <= b.0) {
        leads.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let origins = src
        .origins(leads.iter().filter_map(|l| l.3.as_deref()))
        .await?;
    let mut out = Page::new(shape.columns.len() + 4, leads.len());
    for ValuesLead(item_id, name, group_id, email_key, cells) in &leads {
        out.text(item_id);
        out.text(name);
        for (c, kind) in shape.columns.iter().zip(&shape.kinds) {
            let raw = cells.get(&c.column_id);
            let text = raw.and_then(|r| r.text.as_deref()).unwrap_or_default();
            cell(&mut out, *kind, text, raw.and_then(|r| r.typed(*kind)));
        }
        finish(&mut out, shape, group_id, email_key.as_deref(), &origins);
    }
    Ok(out)
}
