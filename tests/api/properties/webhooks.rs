//! Monday webhook bodies and Calendly invitee URIs.

use bridgeboard::ids::parse_monday_id;
use bridgeboard::upstream::calendly::is_invitee_uri;
use bridgeboard::upstream::monday::webhook::{Delivery, MAX_ID, WebhookError, parse};
use proptest::prelude::*;
use serde_json::Value;

/// An id as Monday may send it: a JSON number or a digit string.
fn id_text(id: u64, quoted: bool) -> String {
    if quoted {
        format!("\"{id}\"")
    } else {
        id.to_string()
    }
}

/// Raw JSON values that are not valid ids.
fn bad_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (MAX_ID + 1..=u64::MAX).prop_map(|n| n.to_string()),
        (MAX_ID + 1..=u64::MAX).prop_map(|n| format!("\"{n}\"")),
        (1..=i64::MAX).prop_map(|n| format!("-{n}")),
        (1u64..1_000_000, 1u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u64..1000, 1u32..30).prop_map(|(a, e)| format!("{a}e{e}")),
        "[1-9][0-9]{16,400}",
        "\"[0-9]*[^0-9\"\\\\][0-9]*\"",
        Just("0".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("\"\"".to_owned()),
    ]
}

proptest! {
    #[test]
    fn any_body_is_parsed_or_refused_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&body);
    }

    #[test]
    fn valid_ids_are_read_exactly(
        board in 1..=MAX_ID,
        pulse in 1..=MAX_ID,
        quoted in any::<(bool, bool)>(),
        name in ".{0,40}",
    ) {
        let body = format!(
            r#"{{"event":{{"type":"update_name","boardId":{},"pulseId":{},"pulseName":{}}}}}"#,
            id_text(board, quoted.0),
            id_text(pulse, quoted.1),
            Value::String(name.clone()),
        );
        let Ok(Delivery::Event(event)) = parse(body.as_bytes()) else {
            panic!("refused: {body}");
        };
        let read = |v: &Value| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        prop_assert_eq!(read(&event["boardId"]), Some(board));
        prop_assert_eq!(read(&event["pulseId"]), Some(pulse));
        prop_assert_eq!(&event["pulseName"], &Value::String(name));
    }

    #[test]
    fn invalid_ids_are_refused_naming_the_field(raw in bad_id(), field in prop_oneof![Just("boardId"), Just("pulseId"), Just("itemId")]) {
        let body = format!(r#"{{"event":{{"type":"create_pulse","{field}":{raw}}}}}"#);
        match parse(body.as_bytes()) {
            Err(WebhookError::BadId { field: f, got }) => {
                prop_assert_eq!(f, field);
                prop_assert!(got.chars().count() <= 41);
            }
            Err(WebhookError::NotJson) => {} // not even JSON (e.g. a leading zero)
            other => prop_assert!(false, "{raw}: {other:?}"),
        }
    }

    #[test]
    fn monday_ids_from_callers_are_canonical(s in "\\PC{0,24}") {
        if let Ok(id) = parse_monday_id(&s, "id") {
            prop_assert_eq!(&id, &s);
            let n: u64 = id.parse().unwrap();
            prop_assert!((1..=MAX_ID).contains(&n));
        }
    }

    #[test]
    fn invitee_uris_of_calendly_shape_are_accepted(
        host in "[a-z]{1,12}(\\.[a-z]{2,6})?",
        event in "[A-Za-z0-9-]{1,64}",
        invitee in "[A-Za-z0-9-]{1,64}",
        https in any::<bool>(),
    ) {
        let scheme = if https { "https" } else { "http" };
        let uri = format!("{scheme}://{host}/scheduled_events/{event}/invitees/{invitee}");
        prop_assert!(is_invitee_uri(&uri), "{}", uri);
        let with_query = format!("{uri}?x=1");
        prop_assert!(!is_invitee_uri(&with_query));
        let too_long = format!("{scheme}://{host}/scheduled_events/{event}/invitees/{}", "a".repeat(65));
        prop_assert!(!is_invitee_uri(&too_long));
    }

    #[test]
    fn any_string_is_checked_as_an_invitee_uri_without_panicking(s in "\\PC{0,200}") {
        let _ = is_invitee_uri(&s);
    }
}
