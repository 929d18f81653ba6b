//! Parquet, typed: numbers are DOUBLE, whole numbers INT64, times UTC
//! millisecond timestamps, text (and ids) UTF-8 strings. Pages gather into
//! row groups of `GROUP_ROWS`; each group is sent as soon as it is encoded,
//! and the footer last.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt;
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::format::Chunks;
use super::{Cell, Column, ExportError, Kind, Page, Pages};

/// Rows per row group: large enough for good compression and fast scans,
/// small enough that the rows a group gathers stay a few megabytes.
const GROUP_ROWS: usize = 8_192;

/// The file's bytes so far; the stream takes them after every row group.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn take(&self) -> Bytes {
        let mut buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Bytes::from(std::mem::take(&mut *buf))
    }
}

impl Write for Shared {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn schema(columns: &[Column]) -> Result<Type, ExportError> {
    let fields = columns
        .iter()
        .map(|c| {
            let (physical, logical) = match c.kind {
                Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                Kind::Number => (Physical::DOUBLE, None),
                Kind::Integer => (Physical::INT64, None),
                Kind::Bool => (Physical::BOOLEAN, None),
                Kind::Time => (
                    Physical::INT64,
                    Some(LogicalType::Timestamp {
                        is_adjusted_to_u_t_c: true,
                        unit: TimeUnit::MILLIS,
                    }),
                ),
            };
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Type::group_type_builder("schema")
        .with_fields(fields)
        .build()?)
}

pub fn write(columns: Vec<Column>, mut pages: Pages) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let out = Shared::default();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by("bridgeboard".to_owned())
            .build();
        let mut file = SerializedFileWriter::new(out.clone(), Arc::new(schema(&columns)?), Arc::new(props))?;
        let mut group: Vec<Page> = Vec::new();
        let mut rows = 0;
        while let Some(page) = pages.next().await {
            let page = page?;
            rows += page.len();
            group.push(page);
            if rows >= GROUP_ROWS {
                row_group(&mut file, &columns, &group)?;
                group.clear();
                rows = 0;
                yield out.take();
            }
        }
        if rows > 0 {
            row_group(&mut file, &columns, &group)?;
        }
        file.close()?;
        yield out.take();
    })
}

fn row_group(
    file: &mut SerializedFileWriter<Shared>,
    columns: &[Column],
    pages: &[Page],
) -> Result<(), ExportError> {
    let rows: usize = pages.iter().map(Page::len).sum();
    let texts: Vec<bytes::Bytes> = pages.iter().map(Page::text_bytes).collect();
    let mut group = file.next_row_group()?;
    let mut i = 0;
    while let Some(mut col) = group.next_column()? {
        let kind = columns[i].kind;
        let cells = || pages.iter().flat_map(move |p| p.column(i));
        let mut defs = Vec::with_capacity(rows);
        match kind {
            Kind::Text => {
                // Values are slices of each page's text: no copy per value.
                let mut values = Vec::with_capacity(rows);
                for (page, text) in pages.iter().zip(&texts) {
                    for r in page.text_ranges(i) {
                        match r {
                            Some(r) => {
                                values.push(ByteArray::from(text.slice(r)));
                                defs.push(1);
                            }
                            None => defs.push(0),
                        }
                    }
                }
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            Kind::Number => {
                let values = levels(cells(), &mut defs, |c| match c {
                    Cell::Number(n, _) => Some(n),
                    Cell::Integer(n) => Some(n as f64),
                    _ => None,
                });
                col.typed::<DoubleType>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            Kind::Integer => {
                let values = levels(cells(), &mut defs, |c| match c {
                    Cell::Integer(n) => Some(n),
                    _ => None,
                });
                col.typed::<Int64Type>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            Kind::Bool => {
                let values = levels(cells(), &mut defs, |c| match c {
                    Cell::Bool(b) => Some(b),
                    _ => None,
                });
                col.typed::<BoolType>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            Kind::Time => {
                let values = levels(cells(), &mut defs, |c| match c {
                    Cell::Time(ms, _) => Some(ms),
                    _ => None,
                });
                col.typed::<Int64Type>()
                    .write_batch(&values, Some(&defs), None)?;
            }
        }
        col.close()?;
        i += 1;
    }
    group.close()?;
    Ok(())
}

/// The present values, and a definition level per row (0 for a null: a
/// cell of another type counts as missing rather than as a wrong value).
fn levels<'a, T>(
    cells: impl Iterator<Item = Cell<'a>>,
    defs: &mut Vec<i16>,
    get: impl Fn(Cell<'a>) -> Option<T>,
) -> Vec<T> {
    let mut values = Vec::new();
    for c in cells {
        match get(c) {
            Some(v) => {
                values.push(v);
                defs.push(1);
            }
            None => defs.push(0),
        }
    }
    values
}
