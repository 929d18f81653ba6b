//! Reading what Monday POSTs to our webhook endpoint, before it goes
//! anywhere: the challenge handshake, or one event whose ids are checked
//! from the raw JSON text. Ids must be positive integers Monday can issue
//! (up to 2^53 - 1: its payloads are written by JavaScript), as JSON numbers
//! or digit strings. They are never read through floating point, so 2^64 is
//! refused instead of turning into `1.8446744073709552e+19` on its way to
//! Monday, which would refuse it for good.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The largest id Monday issues (`Number.MAX_SAFE_INTEGER`).
pub const MAX_ID: u64 = (1 << 53) - 1;

/// The id fields of an event, and whether `null` is allowed there.
const ID_FIELDS: &[(&str, bool)] = &[
    ("boardId", false),
    ("pulseId", false),
    ("itemId", false),
    ("parentItemId", true),
    ("userId", true),
    ("updateId", true),
    ("replyId", true),
];

/// One delivery, as the endpoint must handle it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The handshake when a webhook is registered: echo it back.
    Challenge(String),
    /// An event whose ids are valid (`type` is a string).
    Event(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is not JSON")]
    NotJson,
    #[error("expected {{\"event\": {{…}}}} or {{\"challenge\": …}}")]
    NoEvent,
    #[error("event.type is missing")]
    NoType,
    #[error("event.{field} must be a positive integer id of at most {MAX_ID}, got {got}")]
    BadId { field: &'static str, got: String },
}

/// Parses a delivery body.
pub fn parse(body: &[u8]) -> Result<Delivery, WebhookError> {
    let text = std::str::from_utf8(body).map_err(|_| WebhookError::NotJson)?;
    let top: HashMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|_| WebhookError::NotJson)?;
    if let Some(challenge) = top
        .get("challenge")
        .and_then(|c| serde_json::from_str::<String>(c.get()).ok())
    {
        return Ok(Delivery::Challenge(challenge));
    }
    let raw = top.get("event").ok_or(WebhookError::NoEvent)?;
    let fields: HashMap<String, &RawValue> =
        serde_json::from_str(raw.get()).map_err(|_| WebhookError::NoEvent)?;
    for (field, nullable) in ID_FIELDS {
        let Some(value) = fields.get(*field) else {
            continue;
        };
        if *nullable && value.get() == "null" {
            continue;
        }
        parse_id(value.get()).ok_or_else(|| WebhookError::BadId {
            field,
            got: shown(value.get()),
        })?;
    }
    // The ids are now known to be small integers, which serde_json reads
    // exactly; the rest of the event is read as usual.
    let event: Map<String, Value> =
        serde_json::from_str(raw.get()).map_err(|_| WebhookError::NoEvent)?;
    if !event.get("type").is_some_and(Value::is_string) {
        return Err(WebhookError::NoType);
    }
    Ok(Delivery::Event(event))
}

/// An id from its raw JSON text: a number or a string of ASCII digits,
/// without sign, fraction, exponent or leading zero, from 1 to `MAX_ID`.
pub fn parse_id(raw: &str) -> Option<u64> {
    let digits = if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).ok()?
    } else {
        raw.to_owned()
    };
    digits_to_id(&digits)
}

/// An id from a string of digits (a GraphQL `ID`, a REST path segment).
pub fn digits_to_id(digits: &str) -> Option<u64> {
    // 16 digits hold every id up to MAX_ID; longer input is refused before
    // any arithmetic.
    if digits.is_empty()
        || digits.len() > 16
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok().filter(|id| *id <= MAX_ID)
}

/// The offending value as the error message shows it: short and printable.
fn shown(raw: &str) -> String {
    const MAX: usize = 40;
    let escaped = raw.escape_debug().to_string();
    let mut s: String = escaped.chars().take(MAX).collect();
    if escaped.chars().count() > MAX {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_with(field: &str, raw: &str) -> String {
        format!(r#"{{"event":{{"type":"create_pulse","boardId":1,"{field}":{raw}}}}}"#)
    }

    #[test]
    fn ids_are_positive_integers_in_range_read_exactly() {
        for good in ["1", "\"42\"", "9007199254740991", "\"5000000001\""] {
            assert!(
                parse(event_with("pulseId", good).as_bytes()).is_ok(),
                "{good}"
            );
        }
        let huge = "9".repeat(400);
        for bad in [
            "\"abc\"",
            "-1",
            "1.5",
            "18446744073709551616",
            "9007199254740992",
            "0",
            "\"007\"",
            "1e3",
            "null",
            "true",
            "[]",
            "{}",
            "\" 1\"",
            huge.as_str(),
        ] {
            match parse(event_with("pulseId", bad).as_bytes()) {
                Err(WebhookError::BadId { field, .. }) => assert_eq!(field, "pulseId"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn challenges_and_shapes() {
        assert_eq!(
            parse(br#"{"challenge":"abc"}"#),
            Ok(Delivery::Challenge("abc".into()))
        );
        assert_eq!(parse(b"nope"), Err(WebhookError::NotJson));
        assert_eq!(parse(b"{}"), Err(WebhookError::NoEvent));
        assert_eq!(parse(br#"{"event":{}}"#), Err(WebhookError::NoType));
        assert!(matches!(
            parse(br#"{"event":{"type":"x","replyId":null,"pulseId":"12"}}"#),
            Ok(Delivery::Event(_))
        ));
    }

    #[test]
    fn the_message_names_the_field_and_shows_a_short_value() {
        let e = parse(event_with("boardId", &"1".repeat(400)).as_bytes()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("event.boardId must be a positive integer id"),
            "{msg}"
        );
        assert!(msg.len() < 200, "{msg}");
    }
}
