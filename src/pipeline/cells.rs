//! A lead's board cells as readers see them: the text the board shows and,
//! for number and date columns, the typed value. The pipeline works them
//! out once, when it writes a lead, and stores the lead's export row ready
//! to copy (`ReadyRow`), so an export of a million leads copies rows
//! instead of parsing Monday's values a million times. Rows written before
//! there were ready rows keep only Monday's `{text, value}` (`RawCells`),
//! which readers type the same way as they go.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// How a board column's cells are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Text,
    Number,
    Time,
}

impl CellKind {
    /// The kind of a Monday column type.
    pub fn of(column_type: &str) -> Self {
        match column_type {
            "numbers" => Self::Number,
            "date" | "creation_log" | "last_updated" => Self::Time,
            _ => Self::Text,
        }
    }
}

/// A board number as Monday shows it (`1,500.5`).
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let n = if t.contains(',') {
        t.replace(',', "").parse::<f64>().ok()
    } else {
        t.parse::<f64>().ok()
    };
    n.filter(|n| n.is_finite())
}

/// A date column's moment: Monday's value `{"date","time"}` (UTC), which
/// may arrive JSON-encoded, else its text (`2026-01-02`, `2026-01-02
/// 10:00` or RFC 3339).
pub fn parse_time(value: Option<&Value>, text: &str) -> Option<DateTime<Utc>> {
    let decoded;
    let value = match value {
        Some(Value::String(s)) => {
            decoded = serde_json::from_str::<Value>(s).ok();
            decoded.as_ref()
        }
        other => other,
    };
    let from_value = value.and_then(|v| {
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

/// A cell's typed value: the number, or for a date column its moment in
/// milliseconds since the epoch; `None` for text, empty or unreadable
/// cells (which keep their text).
pub fn typed(kind: CellKind, text: &str, value: Option<&Value>) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    match kind {
        CellKind::Number => parse_number(text),
        CellKind::Time => parse_time(value, text).map(|t| t.timestamp_millis() as f64),
        CellKind::Text => None,
    }
}

/// Names a board's layout: its columns' ids and types in board order. A
/// ready row is only read under the layout it was rendered for.
pub fn layout<'a>(columns: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (id, kind) in columns {
        h.update(id.as_bytes());
        h.update([0]);
        h.update(kind.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// A lead's export row, ready to copy: `Item ID`, `Item Name` and the
/// board cells as CSV, quoted where needed, without `Group` and `origin`
/// (which change without the lead changing) and without the line end.
/// Stored behind a header that says how to finish and type it: `["group
/// id", "email key" or null, "layout", [typed values of the number and date
/// columns, in board order], length of the CSV in bytes]`. Headers make
/// ready rows self-delimiting, so a page of them read as one text splits
/// back exactly whatever the cells hold.
#[derive(Debug)]
pub struct ReadyRow<'a> {
    pub group_id: Cow<'a, str>,
    pub email_key: Option<Cow<'a, str>>,
    pub layout: Cow<'a, str>,
    /// The typed values as JSON, read only by those who need them.
    typed: &'a str,
    /// The CSV fields, comma-separated, no line end.
    pub csv: &'a str,
}

/// A ready row's header as written.
#[derive(serde::Serialize)]
struct HeadOut<'a>(&'a str, Option<&'a str>, &'a str, &'a [Option<f64>], usize);

/// A ready row's header as read, its typed values left for those who need
/// them.
#[derive(serde::Deserialize)]
struct Head<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] &'a RawValue,
    usize,
);

/// What a ready row is made of.
pub struct RowParts<'a, F> {
    pub group_id: &'a str,
    pub email_key: Option<&'a str>,
    pub layout: &'a str,
    /// The item id, the name, then every board cell's text.
    pub fields: F,
    /// The typed values of the number and date columns, in board order.
    pub typed: Vec<Option<f64>>,
}

impl ReadyRow<'_> {
    /// The stored form of a row.
    pub fn render<'f>(parts: RowParts<'_, impl IntoIterator<Item = &'f str>>) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = w.write_record(parts.fields);
        let mut row = w.into_inner().unwrap_or_default();
        row.pop();
        let row = String::from_utf8(row).unwrap_or_default();
        let head = HeadOut(
            parts.group_id,
            parts.email_key,
            parts.layout,
            &parts.typed,
            row.len(),
        );
        let mut out = serde_json::to_string(&head).unwrap_or_default();
        out.push_str(&row);
        out
    }

    /// Stored rows read back one after another from `text`.
    pub fn split(text: &str) -> ReadyRows<'_> {
        ReadyRows { text }
    }

    /// The typed values of the number and date columns, in board order.
    pub fn typed(&self) -> Result<Vec<Option<f64>>, String> {
        serde_json::from_str(self.typed).map_err(|e| format!("a ready row's values: {e}"))
    }

    /// The CSV fields, unquoted: borrowed unless a field was quoted with
    /// quotes inside.
    pub fn fields(&self) -> Result<Vec<Cow<'_, str>>, String> {
        if !self.csv.contains('"') {
            return Ok(self.csv.split(',').map(Cow::Borrowed).collect());
        }
        unquote(self.csv)
    }
}

/// The fields of one CSV record as the csv writer quotes them: a field is
/// quoted when it holds a comma, a quote or a line break, and a quote
/// inside is doubled.
fn unquote(mut rest: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut fields = Vec::new();
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut tail = quoted;
            loop {
                let Some(end) = tail.find('"') else {
                    return Err("a ready row's quoted field does not end".to_owned());
                };
                field.push_str(&tail[..end]);
                tail = &tail[end + 1..];
                match tail.strip_prefix('"') {
                    Some(after) => {
                        field.push('"');
                        tail = after;
                    }
                    None => break,
                }
            }
            fields.push(Cow::Owned(field));
            rest = match tail.strip_prefix(',') {
                Some(next) => next,
                None if tail.is_empty() => return Ok(fields),
                None => return Err("a ready row's quoted field runs on".to_owned()),
            };
        } else {
            match rest.find(',') {
                Some(end) => {
                    fields.push(Cow::Borrowed(&rest[..end]));
                    rest = &rest[end + 1..];
                }
                None => {
                    fields.push(Cow::Borrowed(rest));
                    return Ok(fields);
                }
            }
        }
    }
}

/// The rows of a text of stored rows; an error ends it.
pub struct ReadyRows<'a> {
    text: &'a str,
}

impl<'a> Iterator for ReadyRows<'a> {
    type Item = Result<ReadyRow<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.text.is_empty() {
            return None;
        }
        let head = match plain_head(self.text) {
            Some(head) => Ok(head),
            None => {
                let mut heads =
                    serde_json::Deserializer::from_str(self.text).into_iter::<Head<'a>>();
                match heads.next() {
                    Some(Ok(Head(group_id, email_key, layout, typed, len))) => {
                        let parts = (group_id, email_key, layout, typed.get(), len);
                        Ok((parts, heads.byte_offset()))
                    }
                    Some(Err(e)) => Err(format!("a ready row's header: {e}")),
                    None => Err("a ready row without a header".to_owned()),
                }
            }
        };
        let row = head.and_then(|((group_id, email_key, layout, typed, len), start)| {
            let csv = self
                .text
                .get(start..start + len)
                .ok_or_else(|| "a ready row is cut short".to_owned())?;
            self.text = &self.text[start + len..];
            Ok(ReadyRow {
                group_id,
                email_key,
                layout,
                typed,
                csv,
            })
        });
        if row.is_err() {
            self.text = "";
        }
        Some(row)
    }
}

/// A header's parts, and where the CSV after it starts.
type HeadParts<'a> = (
    (
        Cow<'a, str>,
        Option<Cow<'a, str>>,
        Cow<'a, str>,
        &'a str,
        usize,
    ),
    usize,
);

/// A header read by hand, as `render` writes it when no string in it needs
/// unescaping (nearly always): through a JSON parser, the headers were the
/// largest share of the server's time in a million-row export. Anything
/// else is `None`, and left to serde_json.
fn plain_head(text: &str) -> Option<HeadParts<'_>> {
    /// A JSON string's content up to its closing quote, if it has no escape.
    fn plain(s: &str) -> Option<(&str, &str)> {
        // Bytes, not chars: both are ASCII, and a char pattern decodes.
        let end = s.bytes().position(|b| b == b'"' || b == b'\\')?;
        (s.as_bytes()[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
    }
    let (group, s) = plain(text.strip_prefix("[\"")?)?;
    let s = s.strip_prefix(',')?;
    let (email, s) = match s.strip_prefix("null") {
        Some(s) => (None, s),
        None => {
            let (e, s) = plain(s.strip_prefix('"')?)?;
            (Some(Cow::Borrowed(e)), s)
        }
    };
    let (layout, s) = plain(s.strip_prefix(",\"")?)?;
    let s = s.strip_prefix(',')?;
    // Numbers and nulls only: the first `]` closes it.
    if !s.starts_with('[') {
        return None;
    }
    let close = s.bytes().position(|b| b == b']')?;
    let (typed, s) = (&s[..=close], &s[close + 1..]);
    let s = s.strip_prefix(',')?;
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let len = s[..digits].parse().ok()?;
    let s = s[digits..].strip_prefix(']')?;
    let parts = (
        Cow::Borrowed(group),
        email,
        Cow::Borrowed(layout),
        typed,
        len,
    );
    Some((parts, text.len() - s.len()))
}

/// One of Monday's cells as stored in a lead's values.
#[derive(Debug, serde::Deserialize)]
pub struct RawCell<'a> {
    #[serde(borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub value: Option<&'a RawValue>,
}

impl RawCell<'_> {
    /// The cell's typed value for a column of `kind` (see `typed`).
    pub fn typed(&self, kind: CellKind) -> Option<f64> {
        let text = self.text.as_deref()?;
        let value = match kind {
            CellKind::Time => self.value.and_then(|v| serde_json::from_str(v.get()).ok()),
            _ => None,
        };
        typed(kind, text, value.as_ref())
    }
}

/// A lead's Monday values by column id, in stored (board) order: a board
/// has a few dozen columns at most, so a scan beats hashing.
#[derive(Debug, Default)]
pub struct RawCells<'a>(Vec<(Cow<'a, str>, RawCell<'a>)>);

impl<'a> RawCells<'a> {
    pub fn get(&self, id: &str) -> Option<&RawCell<'a>> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawCells<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = RawCells<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of column cells")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<RawCells<'a>, M::Error> {
                let mut cells = Vec::with_capacity(m.size_hint().unwrap_or(16));
                while let Some(entry) = m.next_entry::<Cow<'a, str>, RawCell<'a>>()? {
                    cells.push(entry);
                }
                Ok(RawCells(cells))
            }
            fn visit_unit<E>(self) -> Result<RawCells<'a>, E> {
                Ok(RawCells(Vec::new()))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_typed_by_their_column() {
        let date = json!({"date": "2026-01-02", "time": "10:30:00"});
        assert_eq!(typed(CellKind::Number, "1,500.5", None), Some(1500.5));
        assert_eq!(typed(CellKind::Number, "lots", None), None);
        assert_eq!(
            typed(CellKind::Time, "2026-01-02", Some(&date)),
            Some(1_767_349_800_000.0),
            "the value's time counts"
        );
        let encoded = Value::from(date.to_string());
        assert_eq!(
            typed(CellKind::Time, "2026-01-02", Some(&encoded)),
            Some(1_767_349_800_000.0),
            "a JSON-encoded value too"
        );
        assert_eq!(
            typed(CellKind::Time, "2026-01-03", None),
            Some(1_767_398_400_000.0)
        );
        assert_eq!(typed(CellKind::Text, "12", None), None);
        assert_eq!(typed(CellKind::Number, "", None), None);
    }

    #[test]
    fn mondays_values_read_typed() {
        let raw = json!({
            "deal": {"text": "1,500.5", "value": "\"1500.5\""},
            "call": {"text": "2026-01-02", "value": "{\"date\":\"2026-01-02\",\"time\":\"10:30:00\"}"},
            "note": {"text": null, "value": null},
        })
        .to_string();
        let cells: RawCells<'_> = serde_json::from_str(&raw).expect("cells");
        let get = |id| cells.get(id).expect(id);
        assert_eq!(get("deal").typed(CellKind::Number), Some(1500.5));
        assert_eq!(get("call").typed(CellKind::Time), Some(1_767_349_800_000.0));
        assert_eq!(get("note").text, None);
        assert!(cells.get("missing").is_none());
    }

    fn row<'a>(group: &'a str, fields: &'a [&'a str], typed: Vec<Option<f64>>) -> String {
        ReadyRow::render(RowParts {
            group_id: group,
            email_key: Some("ana@x.com"),
            layout: "L",
            fields: fields.iter().copied(),
            typed,
        })
    }

    #[test]
    fn ready_rows_split_back_exactly_whatever_the_cells_hold() {
        let nasty = "a \"quoted\", ]line\nbreak[\"]";
        let one = row("g1", &["1", "Ana", nasty, ""], vec![Some(2.5)]);
        let two = row("g\"2", &["2", "Bo", "", "x"], vec![None]);
        let text = format!("{one}{two}");
        let rows: Vec<_> = ReadyRow::split(&text)
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].group_id, "g1");
        assert_eq!(rows[0].email_key.as_deref(), Some("ana@x.com"));
        assert_eq!(rows[0].layout, "L");
        assert_eq!(rows[0].typed(), Ok(vec![Some(2.5)]));
        assert_eq!(rows[1].group_id, "g\"2");
        assert_eq!(rows[1].typed(), Ok(vec![None]));
        assert_eq!(
            rows[0].fields().expect("fields"),
            ["1", "Ana", nasty, ""],
            "quoted fields come back unquoted"
        );
        assert_eq!(rows[1].csv, "2,Bo,,x");
        assert_eq!(rows[1].fields().expect("fields"), ["2", "Bo", "", "x"]);
        for fields in [
            vec!["\"", "", "\"\"", ","],
            vec!["", ""],
            vec!["a\r\nb", "\"x\" y", "z"],
        ] {
            let text = row("g", &fields, vec![]);
            let back: Vec<_> = ReadyRow::split(&text)
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(back[0].fields().expect("fields"), fields, "{text}");
        }
        assert!(
            ReadyRow::split(&text[..text.len() - 2]).any(|r| r.is_err()),
            "a cut-off text is an error, not a short row"
        );
    }

    #[test]
    fn a_plain_header_is_read_by_hand_and_anything_else_by_serde() {
        let text = ReadyRow::render(RowParts {
            group_id: "g",
            email_key: None,
            layout: "L",
            fields: ["1", "x"],
            typed: vec![Some(1.5), None],
        });
        let ((g, e, l, typed, len), start) = plain_head(&text).expect("plain");
        assert_eq!(
            (g.as_ref(), e, l.as_ref(), typed, len),
            ("g", None, "L", "[1.5,null]", 3)
        );
        assert_eq!(&text[start..], "1,x");
        assert!(plain_head(&row("g\"2", &["2"], vec![])).is_none());
        assert!(plain_head("[\"g\", null]").is_none());
    }

    #[test]
    fn a_layout_names_the_columns_and_their_order() {
        let a = layout([("status", "status"), ("deal", "numbers")]);
        assert_eq!(a, layout([("status", "status"), ("deal", "numbers")]));
        assert_ne!(a, layout([("deal", "numbers"), ("status", "status")]));
        assert_ne!(a, layout([("status", "status"), ("deal", "text")]));
    }

    proptest::proptest! {
        /// Whatever a header holds, reading it by hand (when that is
        /// possible) gives what serde_json gives.
        #[test]
        fn a_header_read_by_hand_is_the_one_serde_reads(
            group in "[a-z_\"\\\\\u{0}-\u{1f}\u{80}-\u{10ffff}]{1,8}",
            email in proptest::option::of("[a-z@.\"\\\\\u{80}-\u{10ffff}]{0,8}"),
            numbers in proptest::collection::vec(proptest::option::of(proptest::num::f64::ANY), 0..4),
        ) {
            let text = ReadyRow::render(RowParts {
                group_id: &group,
                email_key: email.as_deref(),
                layout: "abc123",
                fields: ["1", "x,\"y\""],
                typed: numbers,
            });
            let mut heads = serde_json::Deserializer::from_str(&text).into_iter::<Head<'_>>();
            let Head(g, e, l, typed, len) = heads.next().expect("a header").expect("valid");
            let start = heads.byte_offset();
            if let Some(((pg, pe, pl, ptyped, plen), pstart)) = plain_head(&text) {
                proptest::prop_assert_eq!(pg, g);
                proptest::prop_assert_eq!(pe, e);
                proptest::prop_assert_eq!(pl, l);
                proptest::prop_assert_eq!(ptyped, typed.get());
                proptest::prop_assert_eq!((plen, pstart), (len, start));
            } else {
                proptest::prop_assert!(text[..start].contains('\\'), "only escapes need serde: {}", text);
            }
        }

        #[test]
        fn any_ready_row_splits_back_to_its_fields(
            cells in proptest::collection::vec("([\",\r\n\\]\\[ ]|[a-z]|[\\u{80}-\\u{10ffff}]){0,10}", 0..8),
            group in "[a-z_\"]{1,8}",
            numbers in proptest::collection::vec(proptest::option::of(-1e12f64..1e12), 0..4),
        ) {
            let mut fields = vec!["42".to_owned(), "A lead".to_owned()];
            fields.extend(cells);
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            let one = row(&group, &refs, numbers.clone());
            let text = format!("{one}{one}");
            let back: Vec<_> = ReadyRow::split(&text).collect::<Result<_, _>>().expect("rows");
            proptest::prop_assert_eq!(back.len(), 2);
            for r in &back {
                proptest::prop_assert_eq!(r.group_id.as_ref(), group.as_str());
                proptest::prop_assert_eq!(r.fields().expect("fields"), fields.clone());
                proptest::prop_assert_eq!(r.typed().expect("typed"), numbers.clone());
            }
        }
    }
}
