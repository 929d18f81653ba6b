//! Decoding what the upstreams answer: Monday's envelope and items, Calendly's
//! models.

use bridgeboard::upstream::calendly::models::{Invitee, ScheduledEvent};
use bridgeboard::upstream::monday::client::read_response;
use bridgeboard::upstream::monday::operations::items_by_ids;
use bridgeboard::upstream::monday::{ErrorClass, MondayItem};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Arbitrary JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::hash_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_monday_answer_is_classified_without_panicking(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        match read_response(status, None, &body) {
            Ok(_) => prop_assert!((200..300).contains(&status)),
            Err(e) => {
                if (500..600).contains(&status) || status == 429 {
                    prop_assert_eq!(e.class(), ErrorClass::Transient);
                }
                if status == 401 || status == 403 {
                    prop_assert_eq!(e.class(), ErrorClass::Setup);
                }
            }
        }
    }

    #[test]
    fn monday_data_is_returned_and_refusals_are_permanent(
        data in any_json(),
        message in "\\PC{0,40}",
        code in "[A-Z][A-Za-z]{3,20}Exception",
    ) {
        let ok = json!({ "data": data, "account_id": 1 }).to_string();
        match read_response(200, None, ok.as_bytes()) {
            Ok(d) => prop_assert_eq!(d, data),
            Err(_) => prop_assert!(data.is_null()),
        }
        prop_assume!(!["ComplexityException", "TimeoutException", "UserUnauthorizedException",
            "InvalidVersionException", "BoardNotFoundException", "InvalidBoardIdException",
            "InvalidColumnIdException", "MissingPermissionsException"].contains(&code.as_str()));
        let refused = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }).to_string();
        let e = read_response(200, None, refused.as_bytes()).unwrap_err();
        prop_assert_eq!(e.class(), ErrorClass::Permanent);
    }

    #[test]
    fn monday_items_decode_with_their_ids_names_and_texts(
        id in 1u64..=9_007_199_254_740_991,
        name in "\\PC{0,60}",
        text in proptest::option::of("\\PC{0,60}"),
        update in "\\PC{0,60}",
    ) {
        let data = json!({ "items": [{
            "id": id.to_string(), "name": name, "created_at": null, "updated_at": null,
            "group": { "id": "topics" },
            "column_values": [{ "__typename": "TextValue", "id": "text_1", "text": text, "value": null }],
            "updates": [{ "id": "1", "text_body": update, "created_at": null, "creator": null }],
        }]});
        let decoded: items_by_ids::ResponseData = serde_json::from_value(data).unwrap();
        let items: Vec<MondayItem> = decoded.items.into_iter().flatten().flatten().map(Into::into).collect();
        prop_assert_eq!(items.len(), 1);
        prop_assert_eq!(&items[0].id, &id.to_string());
        prop_assert_eq!(&items[0].name, &name);
        prop_assert_eq!(items[0].columns["text_1"].text.clone(), text);
        prop_assert_eq!(&items[0].updates[0].text, &update);
    }

    #[test]
    fn any_json_into_monday_and_calendly_models_never_panics(v in any_json()) {
        let _ = serde_json::from_value::<items_by_ids::ResponseData>(v.clone());
        let _ = serde_json::from_value::<Invitee>(v.clone());
        let _ = serde_json::from_value::<ScheduledEvent>(v);
    }

    #[test]
    fn calendly_invitees_decode_with_their_fields(
        email in "[a-z]{1,10}@[a-z]{1,10}\\.com",
        name in "\\PC{0,40}",
        canceled in any::<bool>(),
        extra in "\\PC{0,20}",
    ) {
        let v = json!({
            "uri": "https://api.calendly.com/scheduled_events/EV1/invitees/IN1",
            "email": email, "name": name,
            "status": if canceled { "canceled" } else { "active" },
            "questions_and_answers": [],
            "event": "https://api.calendly.com/scheduled_events/EV1",
            "created_at": "2020-11-23T17:51:18.327602Z",
            "updated_at": "2020-11-23T17:54:22.356897Z",
            "rescheduled": false,
            "something_new": extra,
        });
        let i: Invitee = serde_json::from_value(v).unwrap();
        prop_assert_eq!(&i.email, &email);
        prop_assert_eq!(&i.name, &name);
        prop_assert_eq!(i.extra.get("something_new"), Some(&Value::String(extra)));
    }
}
