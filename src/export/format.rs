//! The formats: CSV, JSON Lines, JSON arrays and objects, Parquet. Each
//! turns a table's pages into chunks of bytes as they arrive, one chunk per
//! page (a row group for Parquet), so nothing holds a whole table.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::{Column, ExportError, Pages, Row, Table, parquet};

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
        Format::Csv => csv(table.columns, table.pages),
        Format::Jsonl => jsonl(table.columns, table.pages),
        Format::Json => json_array(table.columns, table.pages),
        Format::Parquet => parquet::write(table.columns, table.pages),
    }
}

pub fn csv(columns: Vec<Column>, mut pages: Pages) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let header = csv_line(columns.iter().map(|c| Some(c.name.as_str())))?;
        yield Bytes::from(header);
        while let Some(page) = pages.next().await {
            let mut w = ::csv::Writer::from_writer(Vec::with_capacity(512 * 1024));
            for row in page? {
                w.write_record(row.iter().map(|c| c.as_text().unwrap_or_default().into_owned()))
                    .map_err(|e| ExportError::Encode(e.to_string()))?;
            }
            let buf = w.into_inner().map_err(|e| ExportError::Encode(e.to_string()))?;
            yield Bytes::from(buf);
        }
    })
}

fn csv_line<'a>(fields: impl Iterator<Item = Option<&'a str>>) -> Result<Vec<u8>, ExportError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(fields.map(Option::unwrap_or_default))
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    w.into_inner()
        .map_err(|e| ExportError::Encode(e.to_string()))
}

/// A row as a JSON object, keys in column order (a `serde_json::Map` would
/// sort them).
struct Object<'a>(&'a [Column], &'a Row);

impl serde::Serialize for Object<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (c, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(&c.name, &v.to_json())?;
        }
        map.end()
    }
}

fn object<'a>(columns: &'a [Column], row: &'a Row) -> Object<'a> {
    Object(columns, row)
}

pub fn jsonl(columns: Vec<Column>, mut pages: Pages) -> Chunks {
    Box::pin(async_stream::try_stream! {
        while let Some(page) = pages.next().await {
            let mut buf = Vec::with_capacity(64 * 1024);
            for row in page? {
                serde_json::to_writer(&mut buf, &object(&columns, &row))
                    .map_err(|e| ExportError::Encode(e.to_string()))?;
                buf.push(b'\n');
            }
            yield Bytes::from(buf);
        }
    })
}

/// The rows as a JSON array of objects.
pub fn json_array(columns: Vec<Column>, mut pages: Pages) -> Chunks {
    Box::pin(async_stream::try_stream! {
        yield Bytes::from_static(b"[");
        let mut first = true;
        while let Some(page) = pages.next().await {
            let mut buf = Vec::with_capacity(64 * 1024);
            for row in page? {
                if !first {
                    buf.push(b',');
                }
                first = false;
                serde_json::to_writer(&mut buf, &object(&columns, &row))
                    .map_err(|e| ExportError::Encode(e.to_string()))?;
            }
            yield Bytes::from(buf);
        }
        yield Bytes::from_static(b"]");
    })
}

/// `{"<name>": [rows…], …}`, one key per table in order, empty ones too.
pub fn json_object(columns: Vec<Column>, tables: Vec<(String, Pages)>) -> Chunks {
    Box::pin(async_stream::try_stream! {
        yield Bytes::from_static(b"{");
        for (i, (name, pages)) in tables.into_iter().enumerate() {
            let key = serde_json::to_string(&name).map_err(|e| ExportError::Encode(e.to_string()))?;
            let sep = if i == 0 { "" } else { "," };
            yield Bytes::from(format!("{sep}{key}:"));
            let mut inner = json_array(columns.clone(), pages);
            while let Some(chunk) = inner.next().await {
                yield chunk?;
            }
        }
        yield Bytes::from_static(b"}");
    })
}

/// One list inside a JSON document.
pub struct Section {
    pub key: String,
    pub columns: Vec<Column>,
    pub pages: Pages,
}

/// `{<head…>, "<key>": [rows…], …}`; with one section, also `"count"`, the
/// rows it held (known only once they are written, so it comes last).
pub fn json_document(
    head: serde_json::Map<String, serde_json::Value>,
    sections: Vec<Section>,
) -> Chunks {
    Box::pin(async_stream::try_stream! {
        let encode = |e: serde_json::Error| ExportError::Encode(e.to_string());
        let mut open = serde_json::to_vec(&serde_json::Value::Object(head)).map_err(encode)?;
        open.pop();
        let mut first = open.len() == 1;
        yield Bytes::from(open);
        let single = sections.len() == 1;
        let mut count = 0u64;
        for Section { key, columns, mut pages } in sections {
            let key = serde_json::to_string(&key).map_err(encode)?;
            let sep = if first { "" } else { "," };
            first = false;
            yield Bytes::from(format!("{sep}{key}:["));
            let mut n = 0u64;
            while let Some(page) = pages.next().await {
                let mut buf = Vec::with_capacity(64 * 1024);
                for row in page? {
                    if n > 0 {
                        buf.push(b',');
                    }
                    n += 1;
                    serde_json::to_writer(&mut buf, &object(&columns, &row)).map_err(encode)?;
                }
                yield Bytes::from(buf);
            }
            yield Bytes::from_static(b"]");
            count = n;
        }
        if single {
            let sep = if first { "" } else { "," };
            yield Bytes::from(format!("{sep}\"count\":{count}"));
        }
        yield Bytes::from_static(b"}");
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Cell, Kind};

    fn pages(rows: Vec<Vec<Row>>) -> Pages {
        Box::pin(futures_util::stream::iter(rows.into_iter().map(Ok)))
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
            vec![vec![
                Cell::Text("a, \"b\"".into()),
                Cell::Number(1.5, "1.5".into()),
            ]],
            vec![vec![Cell::Text("line\nbreak".into()), Cell::Null]],
        ]);
        assert_eq!(
            text(csv(cols(), rows)).await,
            "Name,Deal\n\"a, \"\"b\"\"\",1.5\n\"line\nbreak\",\n"
        );
    }

    #[tokio::test]
    async fn json_formats_are_valid_json_whatever_the_pages() {
        let rows = || {
            pages(vec![
                vec![vec![Cell::Text("x".into()), Cell::Null]],
                vec![],
                vec![vec![Cell::Text("y".into()), Cell::Number(2.0, "2".into())]],
            ])
        };
        let raw = text(json_array(cols(), rows())).await;
        assert!(
            raw.starts_with(r#"[{"Name":"x","Deal":null}"#),
            "keys in column order: {raw}"
        );
        let array: serde_json::Value = serde_json::from_str(&raw).expect("json");
        assert_eq!(array.as_array().map(Vec::len), Some(2));
        assert_eq!(array[1]["Deal"], "2");
        let object: serde_json::Value = serde_json::from_str(
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
        let mut head = serde_json::Map::new();
        head.insert("days_back".into(), 7.into());
        let doc: serde_json::Value = serde_json::from_str(
            &text(json_document(
                head,
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
        assert_eq!(doc["invitees"][0]["Name"], "x");
        let empty: serde_json::Value = serde_json::from_str(
            &text(json_document(
                serde_json::Map::new(),
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
}
