//! How stored cells read back: the `text` a board shows, the `value` JSON the
//! API serves, and the `value`/`previousValue` shapes webhooks carry.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::values::{Cell, Label, Val};

/// `2026-01-05T00:00:00.000Z`. Hand-formatted: strftime dominated paging profiles.
pub fn iso(ts: i64) -> String {
    use chrono::{Datelike, Timelike};
    Utc.timestamp_opt(ts, 0)
        .single()
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_default()
}

/// The `text` field: what the board shows.
pub fn text(val: &Val, labels: &[Label], people: &dyn Fn(u64) -> String) -> String {
    match val {
        Val::Text(t) | Val::LongText(t) => t.to_string(),
        Val::Email { text, .. } => text.to_string(),
        Val::Phone { phone, .. } => phone.to_string(),
        Val::Status(i) => labels
            .iter()
            .find(|l| l.index == *i)
            .map(|l| l.text.clone())
            .unwrap_or_default(),
        Val::Date { date, time: None } => date.format("%Y-%m-%d").to_string(),
        Val::Date {
            date,
            time: Some(t),
        } => format!("{} {}", date.format("%Y-%m-%d"), t.format("%H:%M")),
        Val::Number(n) => number_text(*n),
        Val::People(ids) => ids
            .iter()
            .map(|i| people(*i))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The `value` field as a document (read-backs and tests).
pub fn api_value(cell: &Cell) -> Value {
    serde_json::from_str(&api_value_text(cell)).unwrap_or(Value::Null)
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The `value` field exactly as served (a JSON-encoded string, keys in
/// Monday's order). Written by hand because paging 100k items spends most of
/// its time here.
pub fn api_value_text(cell: &Cell) -> String {
    let at = iso(cell.changed_at);
    match &cell.val {
        Val::Text(t) => q(t),
        Val::LongText(t) => format!(r#"{{"text":{},"changed_at":"{at}"}}"#, q(t)),
        Val::Email { email, text } => {
            format!(
                r#"{{"email":{},"text":{},"changed_at":"{at}"}}"#,
                q(email),
                q(text)
            )
        }
        Val::Phone { phone, country } => format!(
            r#"{{"phone":{},"countryShortName":{},"changed_at":"{at}"}}"#,
            q(phone),
            q(country)
        ),
        Val::Status(i) => format!(r#"{{"index":{i},"post_id":null,"changed_at":"{at}"}}"#),
        Val::Date { date, time } => format!(
            r#"{{"date":"{}","icon":null,"time":{},"changed_at":"{at}"}}"#,
            date.format("%Y-%m-%d"),
            time.map_or("null".to_owned(), |t| format!(
                "\"{}\"",
                t.format("%H:%M:%S")
            ))
        ),
        Val::Number(n) => q(&number_text(*n)),
        Val::People(ids) => {
            let list: Vec<String> = ids
                .iter()
                .map(|i| format!(r#"{{"id":{i},"kind":"person"}}"#))
                .collect();
            format!(
                r#"{{"personsAndTeams":[{}],"changed_at":"{at}"}}"#,
                list.join(",")
            )
        }
    }
}

/// The `value` / `previousValue` of an `update_column_value` webhook event.
pub fn webhook_value(val: &Val, labels: &[Label], changed_at: i64) -> Value {
    match val {
        Val::Text(t) => json!({"value": t.as_ref()}),
        Val::LongText(t) => json!({"text": t.as_ref()}),
        Val::Email { email, text } => json!({"email": email.as_ref(), "text": text.as_ref()}),
        Val::Phone { phone, country } => {
            json!({"phone": phone.as_ref(), "countryShortName": country.as_ref()})
        }
        Val::Status(i) => {
            let l = labels.iter().find(|l| l.index == *i);
            json!({
                "label": {
                    "index": i,
                    "text": l.map(|l| l.text.as_str()),
                    "style": {
                        "color": l.map(|l| l.color),
                        "border": l.map(|l| l.border),
                        "var_name": l.map(|l| l.var_name),
                    },
                    "is_done": l.is_some_and(|l| l.done),
                },
                "post_id": null,
            })
        }
        Val::Date { date, time } => json!({
            "date": date.format("%Y-%m-%d").to_string(),
            "icon": null,
            "time": time.map(|t| t.format("%H:%M:%S").to_string()),
        }),
        Val::Number(n) => json!({"value": n, "unit": null}),
        Val::People(ids) => json!({
            "personsAndTeams": ids.iter().map(|i| json!({"id": i, "kind": "person"})).collect::<Vec<_>>(),
            "changed_at": iso(changed_at),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::monday::values::{ColumnKind, label, parse};

    fn status_labels() -> Vec<Label> {
        vec![label(0, "Open", false), label(1, "Closed", true)]
    }

    #[test]
    fn read_formats_match_monday() {
        let labels = status_labels();
        let none = |_: u64| String::new();
        let cell = |val| Cell { val, changed_at: 0 };
        assert_eq!(api_value(&cell(Val::Text("hi".into()))), json!("hi"));
        assert_eq!(api_value(&cell(Val::Status(1)))["index"], json!(1));
        assert_eq!(text(&Val::Status(1), &labels, &none), "Closed");
        let d = parse(
            ColumnKind::Date,
            &json!({"date": "2026-01-02"}),
            &mut vec![],
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(text(&d, &labels, &none), "2026-01-02");
        assert_eq!(api_value(&cell(d))["date"], json!("2026-01-02"));
        assert_eq!(text(&Val::Number(12.0), &labels, &none), "12");
        assert_eq!(api_value(&cell(Val::Number(2.5))), json!("2.5"));
        let w = webhook_value(&Val::Status(1), &labels, 0);
        assert_eq!(w["label"]["text"], json!("Closed"));
        assert_eq!(w["label"]["is_done"], json!(true));
    }
}
