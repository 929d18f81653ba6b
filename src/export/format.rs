//! The formats: CSV, JSON Lines, JSON arrays and objects, Parquet. Each
//! turns a table's pages into chunks of bytes as they arrive, one chunk per
//! page (a row group for Parquet), so nothing holds a whole table.

use std::io::Write;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::value::RawValue;

use super::{Cell, Column, CsvRows, ExportError, Page, Pages, Table, parquet};

pub type Chunks = BoxStream<'static, Result<Bytes, ExportError>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// `{"<key>": [objects…], …}` or `[objects…]`.
    Json,
    Parquet,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson",
            Format::Json => "application/json",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Parquet => "parquet",
        }
    }
}

/// The table in `format`; `Json` is an array of objects.
pub fn write(table: Table, format: Format) -> Chunks {
    match format {
        Format::Csv => csv(table.columns, table.pages, table.csv_rows),
        Format::Jsonl => jsonl(table.columns, table.pages),
        Format::Json => json_array(table.columns, table.pages),
        Format::Parquet => parquet::write(table.columns, table.pages),
    }
}

/// CSV: the header, then each page's rows; the table's ready CSV rows
/// when it has them. The header goes out with the first page, so a failure
/// to read that page is still an error status, not a cut-off file.
pub fn csv(columns: Vec<Column>, mut pages: Pages, ready: Option<CsvRows>) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let mut head = ::csv::Writer::from_writer(Vec::new());
        head.write_record(columns.iter().map(|c| c.name.as_bytes())).map_err(encode)?;
        let mut buf = head.into_inner().map_err(encode)?;
        if let Some(mut rows) = ready {
            while let Some(rows) = rows.next().await {
                let rows = rows?;
                if buf.is_empty() {
                    yield Bytes::from(rows);
                } else {
                    buf.extend_from_slice(&rows);
                    yield Bytes::from(std::mem::take(&mut buf));
                }
            }
        } else {
            while let Some(page) = pages.next().await {
                csv_page(&page?, &mut buf)?;
                yield Bytes::from(std::mem::take(&mut buf));
                buf.reserve(256 * 1024);
            }
        }
        if !buf.is_empty() {
            yield Bytes::from(buf);
        }
    })
}

/// A page's rows as CSV, appended to `out`.
pub fn csv_page(page: &Page, out: &mut Vec<u8>) -> Result<(), ExportError> {
    let mut w = ::csv::Writer::from_writer(std::mem::take(out));
    for row in page.rows() {
        for cell in row {
            match cell.text() {
                Some(t) => w.write_field(t.as_bytes()),
                None => w.write_field(b""),
            }
            .map_err(encode)?;
        }
        w.write_record(None::<&[u8]>).map_err(encode)?;
    }
    *out = w.into_inner().map_err(encode)?;
    Ok(())
}

/// One CSV field, quoted where it needs to be, appended to `out`.
pub fn csv_field(out: &mut Vec<u8>, field: &str) {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(std::mem::take(out));
    // Writing to memory cannot fail.
    let _ = w.write_field(field);
    *out = w.into_inner().unwrap_or_default();
}

fn encode(e: impl std::fmt::Display) -> ExportError {
    ExportError::Encode(e.to_string())
}

/// Rows as JSON objects, keys in column order (a `serde_json::Map` would
/// sort them), each key encoded once per table.
pub struct Objects {
    keys: Vec<Vec<u8>>,
}

/// The first row of a table as one JSON object, keys in column order;
/// `None` for an empty table. For answers that are one record.
pub async fn first_object(table: Table) -> Result<Option<Box<RawValue>>, ExportError> {
    let objects = Objects::new(&table.columns);
    let mut pages = table.pages;
    while let Some(page) = pages.next().await {
        if let Some(row) = page?.rows().next() {
            let mut buf = Vec::new();
            objects.write(&mut buf, row);
            let text = String::from_utf8(buf).map_err(encode)?;
            return RawValue::from_string(text).map(Some).map_err(encode);
        }
    }
    Ok(None)
}

impl Objects {
    pub fn new(columns: &[Column]) -> Self {
        let keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(&c.name).unwrap_or_else(|_| b"\"\"".to_vec());
                k.push(b':');
                k
            })
            .collect();
        Self { keys }
    }

    /// One row as an object, appended to `buf`.
    pub fn write<'a>(&self, buf: &mut Vec<u8>, row: impl Iterator<Item = Cell<'a>>) {
        buf.push(b'{');
        for (i, (key, cell)) in self.keys.iter().zip(row).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(key);
            value(buf, cell);
        }
        buf.push(b'}');
    }
}

fn value(buf: &mut Vec<u8>, cell: Cell<'_>) {
    match cell {
        Cell::Null => buf.extend_from_slice(b"null"),
        Cell::Text(s) | Cell::Number(_, s) | Cell::Time(_, s) => {
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *buf, s);
        }
        Cell::Integer(i) => {
            let _ = write!(buf, "{i}");
        }
        Cell::Bool(b) => buf.extend_from_slice(if b { b"true" } else { b"false" }),
    }
}

pub fn jsonl(columns: Vec<Column>, mut pages: Pages) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let objects = Objects::new(&columns);
        while let Some(page) = pages.next().await {
            let page = page?;
            let mut buf = Vec::with_capacity(256 * 1024);
            for row in page.rows() {
                objects.write(&mut buf, row);
                buf.push(b'\n');
            }
            yield Bytes::from(buf);
        }
    })
}

/// A JSON answer as a sequence of parts: fixed bytes, the rows of a table
/// as the items of an array, and the count of the rows just written.
enum Part {
    Bytes(Vec<u8>),
    Rows(Vec<Column>, Pages),
    Count,
}

/// Writes `parts` in order. Fixed bytes wait for the next page, so the
/// first chunk holds data: a failure to read it is still an error status,
/// not a cut-off document.
fn json_parts(parts: Vec<Part>) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let mut pending = Vec::new();
        let mut count = 0u64;
        for part in parts {
            match part {
                Part::Bytes(b) => pending.extend_from_slice(&b),
                Part::Count => {
                    let _ = write!(pending, "{count}");
                }
                Part::Rows(columns, mut pages) => {
                    let objects = Objects::new(&columns);
                    let mut n = 0u64;
                    while let Some(page) = pages.next().await {
                        let page = page?;
                        let mut buf = std::mem::take(&mut pending);
                        buf.reserve(256 * 1024);
                        for row in page.rows() {
                            if n > 0 {
                                buf.push(b',');
                            }
                            n += 1;
                            objects.write(&mut buf, row);
                        }
                        yield Bytes::from(buf);
                    }
                    count = n;
                }
            }
        }
        if !pending.is_empty() {
            yield Bytes::from(pending);
        }
    })
}

/// `"<key>":[`, after a comma unless it comes first.
fn opening(key: &str, first: bool) -> Result<Vec<u8>, ExportError> {
    let mut out = if first { Vec::new() } else { b",".to_vec() };
    serde_json::to_writer(&mut out, key).map_err(encode)?;
    out.extend_from_slice(b":[");
    Ok(out)
}

/// The rows as a JSON array of objects.
pub fn json_array(columns: Vec<Column>, pages: Pages) -> Chunks {
    json_parts(vec![
        Part::Bytes(b"[".to_vec()),
        Part::Rows(columns, pages),
        Part::Bytes(b"]".to_vec()),
    ])
}

/// `{"<name>": [rows…], …}`, one key per table in order, empty ones too.
pub fn json_object(columns: Vec<Column>, tables: Vec<(String, Pages)>) -> Chunks {
    let mut parts = vec![Part::Bytes(b"{".to_vec())];
    for (i, (name, pages)) in tables.into_iter().enumerate() {
        match opening(&name, i == 0) {
            Ok(open) => parts.push(Part::Bytes(open)),
            Err(e) => return Box::pin(futures_util::stream::once(async { Err(e) })),
        }
        parts.push(Part::Rows(columns.clone(), pages));
        parts.push(Part::Bytes(b"]".to_vec()));
    }
    parts.push(Part::Bytes(b"}".to_vec()));
    json_parts(parts)
}

/// One list inside a JSON document.
pub struct Section {
    pub key: String,
    pub columns: Vec<Column>,
    pub pages: Pages,
}

/// `{<head…>, "<key>": [rows…], …}`, where `head` is anything that
/// serializes as an object (a struct keeps its field order); with one
/// section, also `"count"`, the rows it held (known only once they are
/// written, so it comes last).
pub fn json_document(head: &impl serde::Serialize, sections: Vec<Section>) -> Chunks {
    let parts = || -> Result<Vec<Part>, ExportError> {
        let mut open = serde_json::to_vec(head).map_err(encode)?;
        if open.pop() != Some(b'}') {
            return Err(ExportError::Encode(
                "a document head is an object".to_owned(),
            ));
        }
        let mut first = open.len() == 1;
        let mut parts = vec![Part::Bytes(open)];
        let single = sections.len() == 1;
        for Section {
            key,
            columns,
            pages,
        } in sections
        {
            parts.push(Part::Bytes(opening(&key, first)?));
            first = false;
            parts.push(Part::Rows(columns, pages));
            parts.push(Part::Bytes(b"]".to_vec()));
        }
        if single {
            parts.push(Part::Bytes(
                opening("count", first)?
                    .split_last()
                    .map_or(Vec::new(), |(_, k)| k.to_vec()),
            ));
            parts.push(Part::Count);
        }
        parts.push(Part::Bytes(b"}".to_vec()));
        Ok(parts)
    };
    match parts() {
        Ok(parts) => json_parts(parts),
        Err(e) => Box::pin(futures_util::stream::once(async { Err(e) })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Kind, Page};
    use serde_json::{Map, Value};

    /// A page of rows of two cells: text and a number, `None` for nulls.
    fn page(rows: &[(Option<&str>, Option<f64>)]) -> Page {
        let mut p = Page::new(2, rows.len());
        for (t, n) in rows {
            p.opt(*t);
            match n {
                Some(n) => p.number(*n, &n.to_string()),
                None => p.null(),
            }
        }
        p
    }

    fn pages(pages: Vec<Page>) -> Pages {
        Box::pin(futures_util::stream::iter(pages.into_iter().map(Ok)))
    }

    async fn text(chunks: Chunks) -> String {
        let parts: Vec<Bytes> = chunks.map(|c| c.expect("chunk")).collect().await;
        String::from_utf8(parts.concat()).expect("utf-8")
    }

    fn cols() -> Vec<Column> {
        vec![
            Column::new("Name", Kind::Text),
            Column::new("Deal", Kind::Number),
        ]
    }

    #[tokio::test]
    async fn csv_quotes_what_needs_quoting_across_pages() {
        let rows = pages(vec![
            page(&[(Some("a, \"b\""), Some(1.5))]),
            page(&[(Some("line\nbreak"), None), (Some(""), Some(2.0))]),
        ]);
        assert_eq!(
            text(csv(cols(), rows, None)).await,
            // An empty text reads back empty, as a missing one does in pandas.
            "Name,Deal\n\"a, \"\"b\"\"\",1.5\n\"line\nbreak\",\n,2\n"
        );
        assert_eq!(text(csv(cols(), pages(vec![]), None)).await, "Name,Deal\n");
    }

    #[tokio::test]
    async fn json_formats_are_valid_json_whatever_the_pages() {
        let rows = || {
            pages(vec![
                page(&[(Some("x \"quoted\"\n"), None)]),
                page(&[]),
                page(&[(Some("y"), Some(2.0))]),
            ])
        };
        let raw = text(json_array(cols(), rows())).await;
        assert!(
            raw.starts_with(r#"[{"Name":"x \"quoted\"\n","Deal":null}"#),
            "keys in column order: {raw}"
        );
        let array: Value = serde_json::from_str(&raw).expect("json");
        assert_eq!(array.as_array().map(Vec::len), Some(2));
        assert_eq!(array[1]["Deal"], "2");
        let object: Value = serde_json::from_str(
            &text(json_object(
                cols(),
                vec![("A".into(), rows()), ("B".into(), pages(vec![]))],
            ))
            .await,
        )
        .expect("json");
        assert_eq!(object["A"].as_array().map(Vec::len), Some(2));
        assert_eq!(object["B"], serde_json::json!([]), "an empty table is kept");
        let lines = text(jsonl(cols(), rows())).await;
        assert_eq!(lines.lines().count(), 2);
        for line in lines.lines() {
            serde_json::from_str::<Value>(line).expect("each line is JSON");
        }
        let mut head = Map::new();
        head.insert("days_back".into(), 7.into());
        let doc: Value = serde_json::from_str(
            &text(json_document(
                &head,
                vec![Section {
                    key: "invitees".into(),
                    columns: cols(),
                    pages: rows(),
                }],
            ))
            .await,
        )
        .expect("json");
        assert_eq!(doc["days_back"], 7);
        assert_eq!(doc["count"], 2);
        assert_eq!(doc["invitees"][0]["Name"], "x \"quoted\"\n");
        let empty: Value = serde_json::from_str(
            &text(json_document(
                &Map::new(),
                vec![Section {
                    key: "e".into(),
                    columns: cols(),
                    pages: pages(vec![]),
                }],
            ))
            .await,
        )
        .expect("json");
        assert_eq!(empty, serde_json::json!({"e": [], "count": 0}));
    }

    /// Text that CSV must quote, or that looks like it must: quotes, commas,
    /// line breaks of every kind, control and non-ASCII characters.
    fn awkward() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(
            "([\",\r\n \\t]|[a-z]|[\\x00-\\x1f]|[\\u{80}-\\u{10ffff}]){0,12}",
        )
        .expect("regex")
    }

    proptest::proptest! {
        #[test]
        fn the_csv_writer_round_trips_through_the_csv_reader(
            rows in proptest::collection::vec((awkward(), awkward()), 0..20),
            split in 0usize..20,
        ) {
            let split = split.min(rows.len());
            let cols = vec![Column::new("A", Kind::Text), Column::new("B", Kind::Text)];
            let page = |rows: &[(String, String)]| {
                let mut p = Page::new(2, rows.len());
                for (a, b) in rows {
                    p.text(a);
                    p.text(b);
                }
                p
            };
            let stream = pages(vec![page(&rows[..split]), page(&rows[split..])]);
            let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let body = runtime.block_on(text(csv(cols, stream, None)));
            let mut reader = ::csv::Reader::from_reader(body.as_bytes());
            let back: Vec<(String, String)> = reader
                .records()
                .map(|r| {
                    let r = r.expect("a record");
                    (r[0].to_owned(), r[1].to_owned())
                })
                .collect();
            proptest::prop_assert_eq!(back, rows);
        }
    }
}
