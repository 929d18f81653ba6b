//! Leads as CSV straight from the rows the pipeline made ready
//! (`pipeline::cells::ReadyRow`): each row is copied as it is and finished
//! with the lead's group and origin, so a million-row CSV costs little more
//! than the bytes it moves. A page that is not ready for this snapshot's
//! columns is typed from Monday's values instead.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::FutureExt;

use super::typed::{Source, ready, values_page};
use crate::export::format::{csv_field, csv_page};
use crate::export::{CsvRows, ExportError};
use crate::pipeline::data::LeadPage;

/// Every page of the source, as CSV rows (no header).
pub(super) fn csv_rows(source: Source) -> CsvRows {
    // A board has a handful of groups: a scan beats hashing every row.
    let mut groups = Vec::new();
    for (id, title) in &source.shape.group_titles {
        let mut field = b",".to_vec();
        csv_field(&mut field, title);
        groups.push((id.clone(), field));
    }
    let groups = Arc::new(groups);
    source.pages(move |src, after, page| {
        let groups = groups.clone();
        async move { finish_page(&src, &groups, after, page).await }.boxed()
    })
}

/// `groups`: `,<group title>` by group id, quoted where needed.
async fn finish_page(
    src: &Source,
    groups: &[(String, Vec<u8>)],
    after: Option<String>,
    page: LeadPage,
) -> Result<Vec<u8>, ExportError> {
    let Some(rows) = ready(&page, &src.shape.layout) else {
        let typed = values_page(src, after).await?;
        let mut out = Vec::new();
        csv_page(&typed, &mut out)?;
        return Ok(out);
    };
    let origins = src
        .origins(rows.iter().filter_map(|r| r.email_key.as_deref()))
        .await?;
    let mut quoted: HashMap<&str, Vec<u8>> = HashMap::new();
    let mut out = Vec::with_capacity(page.text.len() + rows.len() * 24);
    for r in &rows {
        out.extend_from_slice(r.csv.as_bytes());
        match groups.iter().find(|(id, _)| *id == r.group_id) {
            Some((_, g)) => out.extend_from_slice(g),
            None => out.push(b','),
        }
        out.push(b',');
        if let Some(origin) = r.email_key.as_deref().and_then(|k| origins.get(k)) {
            let field = quoted.entry(origin).or_insert_with(|| {
                let mut f = Vec::new();
                csv_field(&mut f, origin);
                f
            });
            out.extend_from_slice(field);
        }
        out.push(b'\n');
    }
    Ok(out)
}
