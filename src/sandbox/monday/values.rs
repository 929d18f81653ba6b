//! Column types and values: how Monday parses the JSON-encoded values clients
//! write, and the exact `text` / `value` / webhook shapes it reads them back in.
//! Values are kept compact (one small enum per cell) so 100k-item boards stay lean.

use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;

use super::errors::SimError;
pub use super::formats::{api_value, api_value_text, iso, text, webhook_value};

/// The column types the simulator supports (a subset of `ColumnType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Name,
    Text,
    LongText,
    Email,
    Phone,
    Status,
    Date,
    Numbers,
    People,
}

impl ColumnKind {
    /// The `ColumnType` enum value of the official schema.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Text => "text",
            Self::LongText => "long_text",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Status => "status",
            Self::Date => "date",
            Self::Numbers => "numbers",
            Self::People => "people",
        }
    }

    /// Webhooks still use Monday's legacy type names (`color` for status…).
    pub fn webhook_name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Text => "text",
            Self::LongText => "long-text",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Status => "color",
            Self::Date => "date",
            Self::Numbers => "numeric",
            Self::People => "multiple-person",
        }
    }

    /// `error_data.column_type` of a `ColumnValueException`.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Name => "NameColumn",
            Self::Text => "TextColumn",
            Self::LongText => "LongTextColumn",
            Self::Email => "EmailColumn",
            Self::Phone => "PhoneColumn",
            Self::Status => "StatusColumn",
            Self::Date => "DateColumn",
            Self::Numbers => "NumbersColumn",
            Self::People => "PeopleColumn",
        }
    }

    pub fn from_api(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Self::Name,
            "text" => Self::Text,
            "long_text" => Self::LongText,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "status" => Self::Status,
            "date" => Self::Date,
            "numbers" => Self::Numbers,
            "people" => Self::People,
            _ => return None,
        })
    }
}

/// One status label; `index` is the label's stable id, not its position.
#[derive(Clone, Debug)]
pub struct Label {
    pub index: u16,
    pub text: String,
    pub color: &'static str,
    pub border: &'static str,
    pub var_name: &'static str,
    pub done: bool,
}

/// Monday's default palette, in the order it hands colours to new labels.
const PALETTE: &[(&str, &str, &str)] = &[
    ("#fdab3d", "#e99729", "orange"),
    ("#00c875", "#00b461", "green-shadow"),
    ("#e2445c", "#ce3048", "red-shadow"),
    ("#0086c0", "#3db0df", "blue-links"),
    ("#a25ddc", "#9238af", "purple"),
    ("#579bfc", "#4387e8", "bright-blue"),
    ("#ff642e", "#e8541f", "dark-orange"),
    ("#66ccff", "#4ca6d8", "sky"),
];

/// Real status columns hold at most 40 labels.
pub const MAX_LABELS: usize = 40;

pub fn label(index: u16, text: &str, done: bool) -> Label {
    let (color, border, var_name) = PALETTE[usize::from(index) % PALETTE.len()];
    Label {
        index,
        text: text.to_owned(),
        color,
        border,
        var_name,
        done,
    }
}

/// One stored cell. Strings are boxed to keep the enum small.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Text(Box<str>),
    LongText(Box<str>),
    Email {
        email: Box<str>,
        text: Box<str>,
    },
    Phone {
        phone: Box<str>,
        country: Box<str>,
    },
    Status(u16),
    Date {
        date: NaiveDate,
        time: Option<NaiveTime>,
    },
    Number(f64),
    People(Box<[u64]>),
}

/// A cell plus when it was last written (unix seconds), for `changed_at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub val: Val,
    pub changed_at: i64,
}

fn bad(kind: ColumnKind, raw: &Value, why: &str) -> SimError {
    SimError::ColumnValue {
        message: why.to_owned(),
        column_type: kind.class_name(),
        value: raw.to_string(),
    }
}

fn is_clear(raw: &Value) -> bool {
    match raw {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Parses a written value. `Ok(None)` clears the cell. Status labels missing
/// from `labels` are appended when `create_labels` is set.
pub fn parse(
    kind: ColumnKind,
    raw: &Value,
    labels: &mut Vec<Label>,
    create_labels: bool,
) -> Result<Option<Val>, SimError> {
    if is_clear(raw) {
        return Ok(None);
    }
    let s = raw.as_str();
    let field = |k: &str| raw.get(k).and_then(Value::as_str);
    Ok(Some(match kind {
        ColumnKind::Name => {
            return Err(bad(
                kind,
                raw,
                "The name column is written as the item name",
            ));
        }
        ColumnKind::Text => match raw {
            Value::String(t) => Val::Text(t.as_str().into()),
            Value::Number(n) => Val::Text(n.to_string().into()),
            _ => return Err(bad(kind, raw, "invalid value, text columns take a string")),
        },
        ColumnKind::LongText => match s.or_else(|| field("text")) {
            Some(t) => Val::LongText(t.into()),
            None => return Err(bad(kind, raw, "invalid value, expected {\"text\": …}")),
        },
        ColumnKind::Email => {
            let (email, text) = match s {
                Some(t) => match t.split_once(' ') {
                    Some((e, l)) => (e.to_owned(), l.to_owned()),
                    None => (t.to_owned(), t.to_owned()),
                },
                None => {
                    let e = field("email").ok_or_else(|| bad(kind, raw, "invalid email value"))?;
                    (e.to_owned(), field("text").unwrap_or(e).to_owned())
                }
            };
            if !email.contains('@') {
                return Err(bad(kind, raw, "invalid email address"));
            }
            Val::Email {
                email: email.into(),
                text: text.into(),
            }
        }
        ColumnKind::Phone => {
            let (phone, country) = match s {
                Some(t) => t.split_once(' ').unwrap_or((t, "")),
                None => (
                    field("phone").ok_or_else(|| bad(kind, raw, "invalid phone value"))?,
                    field("countryShortName").unwrap_or(""),
                ),
            };
            Val::Phone {
                phone: phone.into(),
                country: country.into(),
            }
        }
        ColumnKind::Status => Val::Status(parse_status(raw, labels, create_labels)?),
        ColumnKind::Date => {
            let (d, t) = match s {
                Some(t) => match t.split_once(' ') {
                    Some((d, t)) => (d, Some(t)),
                    None => (t, None),
                },
                None => (
                    field("date").ok_or_else(|| bad(kind, raw, "invalid date value"))?,
                    field("time"),
                ),
            };
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| bad(kind, raw, "invalid date, expected YYYY-MM-DD"))?;
            let time = match t {
                Some(t) => Some(
                    NaiveTime::parse_from_str(t, "%H:%M:%S")
                        .map_err(|_| bad(kind, raw, "invalid time, expected HH:MM:SS"))?,
                ),
                None => None,
            };
            Val::Date { date, time }
        }
        ColumnKind::Numbers => {
            let n = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(t) => t.trim().parse::<f64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if n.is_finite() => Val::Number(n),
                _ => return Err(bad(kind, raw, "invalid number")),
            }
        }
        ColumnKind::People => {
            let ids: Option<Vec<u64>> = match (s, raw.get("personsAndTeams")) {
                (Some(t), _) => t.split(',').map(|p| p.trim().parse().ok()).collect(),
                (None, Some(Value::Array(list))) => list
                    .iter()
                    .map(|p| {
                        p.get("id")
                            .and_then(|i| i.as_u64().or_else(|| i.as_str()?.parse().ok()))
                    })
                    .collect(),
                _ => None,
            };
            match ids {
                Some(ids) if ids.is_empty() => return Ok(None),
                Some(ids) => Val::People(ids.into()),
                None => return Err(bad(kind, raw, "invalid people value")),
            }
        }
    }))
}

fn parse_status(raw: &Value, labels: &mut Vec<Label>, create: bool) -> Result<u16, SimError> {
    let by_index = |i: u64, labels: &[Label]| {
        labels
            .iter()
            .find(|l| u64::from(l.index) == i)
            .map(|l| l.index)
    };
    let (text, index) = match raw {
        Value::String(t) => (Some(t.as_str()), t.parse::<u64>().ok()),
        Value::Number(n) => (None, n.as_u64()),
        Value::Object(_) => (
            raw.get("label").and_then(Value::as_str),
            raw.get("index")
                .and_then(|i| i.as_u64().or_else(|| i.as_str()?.parse().ok())),
        ),
        _ => (None, None),
    };
    if let Some(found) = index.and_then(|i| by_index(i, labels)) {
        return Ok(found);
    }
    if let Some(text) = text {
        if let Some(l) = labels.iter().find(|l| l.text == text) {
            return Ok(l.index);
        }
        if create && index.is_none() && labels.len() < MAX_LABELS {
            let next = labels.iter().map(|l| l.index + 1).max().unwrap_or(0);
            labels.push(label(next, text, false));
            return Ok(next);
        }
    }
    let possible: Vec<String> = labels
        .iter()
        .map(|l| format!("{}: {}", l.index, l.text))
        .collect();
    Err(SimError::ColumnValue {
        message: format!(
            "This status label doesn't exist, possible statuses are: {{{}}}",
            possible.join(", ")
        ),
        column_type: ColumnKind::Status.class_name(),
        value: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status_labels() -> Vec<Label> {
        vec![label(0, "Open", false), label(1, "Closed", true)]
    }

    #[test]
    fn status_accepts_label_index_and_simple_string() {
        let mut labels = status_labels();
        let p =
            |raw: Value, labels: &mut Vec<Label>| parse(ColumnKind::Status, &raw, labels, false);
        assert_eq!(
            p(json!({"label": "Closed"}), &mut labels).unwrap(),
            Some(Val::Status(1))
        );
        assert_eq!(
            p(json!({"index": 0}), &mut labels).unwrap(),
            Some(Val::Status(0))
        );
        assert_eq!(p(json!("Open"), &mut labels).unwrap(), Some(Val::Status(0)));
        assert_eq!(p(json!("1"), &mut labels).unwrap(), Some(Val::Status(1)));
        assert_eq!(p(json!({}), &mut labels).unwrap(), None);
        let err = p(json!({"label": "Nope"}), &mut labels).unwrap_err();
        assert_eq!(err.code(), "ColumnValueException");
    }

    #[test]
    fn missing_labels_are_created_only_when_asked() {
        let mut labels = status_labels();
        let v = parse(
            ColumnKind::Status,
            &json!({"label": "Stuck"}),
            &mut labels,
            true,
        )
        .unwrap();
        assert_eq!(v, Some(Val::Status(2)));
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn bad_values_are_column_value_errors() {
        for (kind, raw) in [
            (ColumnKind::Date, json!("yesterday")),
            (ColumnKind::Numbers, json!("lots")),
            (ColumnKind::Email, json!({"email": "not-an-address"})),
            (ColumnKind::Text, json!({"nested": true})),
        ] {
            let err = parse(kind, &raw, &mut vec![], false).unwrap_err();
            assert_eq!(err.code(), "ColumnValueException", "{kind:?}");
        }
    }
}
