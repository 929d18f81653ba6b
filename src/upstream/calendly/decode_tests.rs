//! Decoding answers shaped like Calendly's own examples: fields left out,
//! nulls where the spec allows them, and fields this client does not know.

use serde_json::json;

use super::models::{Collection, Resource};
use super::*;

#[test]
fn a_full_invitee_decodes_and_keeps_unmodelled_fields() {
    let v = json!({
        "uri": "https://api.calendly.com/scheduled_events/EV1/invitees/IN1",
        "email": "test@example.com",
        "first_name": "John",
        "last_name": "Doe",
        "name": "John Doe",
        "status": "canceled",
        "questions_and_answers": [{"question": "Company", "answer": "Acme", "position": 0}],
        "timezone": "America/New_York",
        "event": "https://api.calendly.com/scheduled_events/EV1",
        "created_at": "2020-11-23T17:51:18.327602Z",
        "updated_at": "2020-11-23T17:54:22.356897Z",
        "tracking": {"utm_campaign": "spring", "utm_source": null, "utm_medium": null,
                     "utm_content": null, "utm_term": null, "salesforce_uuid": "5003000000D8cuIQAA"},
        "text_reminder_number": null,
        "rescheduled": false,
        "old_invitee": null,
        "new_invitee": null,
        "cancel_url": "https://calendly.com/cancellations/IN1",
        "reschedule_url": "https://calendly.com/reschedulings/IN1",
        "routing_form_submission": null,
        "cancellation": {"canceled_by": "John Doe", "reason": "Meeting Conflict"},
        "payment": {"external_id": "ch_1", "provider": "stripe", "amount": 1234.56,
                    "currency": "USD", "terms": null, "successful": true},
        "no_show": {"uri": "https://api.calendly.com/invitee_no_shows/6ee96ed4-83a3", "created_at": "2020-11-23T17:51:18.341657Z"},
        "reconfirmation": null,
        "invitee_scheduled_by": "https://api.calendly.com/users/U1"
    });
    let i: Invitee = serde_json::from_value(v).unwrap();
    assert_eq!(i.status, Status::Canceled);
    assert_eq!(i.questions_and_answers[0].answer, "Acme");
    assert_eq!(
        i.tracking.as_ref().and_then(|t| t.utm_campaign.as_deref()),
        Some("spring")
    );
    let c = i.cancellation.as_ref().unwrap();
    assert_eq!(c.reason.as_deref(), Some("Meeting Conflict"));
    assert_eq!(c.canceler_type, None, "older answers leave it out");
    assert!(i.no_show.is_some());
    assert_eq!(i.extra["payment"]["amount"], 1234.56);
    assert!(i.extra.contains_key("invitee_scheduled_by"));
    assert!(
        !i.extra.contains_key("email"),
        "modelled fields are not repeated"
    );
    // What we store re-encodes to what Calendly sent.
    let again = serde_json::to_value(&i).unwrap();
    assert_eq!(again["payment"]["currency"], "USD");
}

#[test]
fn a_minimal_invitee_decodes() {
    let v = json!({
        "uri": "https://api.calendly.com/scheduled_events/EV1/invitees/IN1",
        "email": "x@example.com",
        "status": "active",
        "event": "https://api.calendly.com/scheduled_events/EV1",
        "created_at": "2022-04-21T17:11:43.092010Z",
        "updated_at": "2022-04-21T17:11:43Z",
        "first_name": null,
        "tracking": null
    });
    let i: Invitee = serde_json::from_value(v).unwrap();
    assert_eq!(i.first_name, None);
    assert!(i.questions_and_answers.is_empty());
    assert!(i.cancellation.is_none() && !i.rescheduled);
}

#[test]
fn an_event_list_page_decodes_with_unknown_statuses_and_fields() {
    let v = json!({
        "collection": [{
            "uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2",
            "name": "15 Minute Meeting",
            "status": "active",
            "start_time": "2019-08-24T14:15:22.123456Z",
            "end_time": "2019-08-24T14:30:22.123456Z",
            "event_type": "https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2",
            "location": {"type": "zoom", "join_url": "https://zoom.us/j/1", "data": {"id": 1}},
            "invitees_counter": {"total": 2, "active": 1, "limit": 5},
            "created_at": "2019-01-02T03:04:05.092125Z",
            "updated_at": "2019-01-02T03:04:05.092125Z",
            "event_memberships": [{"user": "https://api.calendly.com/users/U1", "user_email": "h@example.com"}],
            "event_guests": [{"email": "g@example.com", "created_at": "2022-04-21T17:10:48.484945Z",
                              "updated_at": "2022-04-21T17:11:01.758636Z"}],
            "calendar_event": {"kind": "google", "external_id": "8suu9k3hj00mni03ss12ba0ce0"},
            "meeting_notes_plain": "bring slides"
        }, {
            "uri": "https://api.calendly.com/scheduled_events/OTHER",
            "status": "archived",
            "start_time": "2019-08-25T14:15:22Z",
            "end_time": "2019-08-25T14:30:22Z",
            "location": null,
            "created_at": "2019-01-02T03:04:05Z",
            "updated_at": "2019-01-02T03:04:05Z",
            "calendar_event": null
        }],
        "pagination": {"count": 2, "next_page": null, "previous_page": null,
                       "next_page_token": null, "previous_page_token": null}
    });
    let page: Collection<ScheduledEvent> = serde_json::from_value(v).unwrap();
    let [a, b] = &page.collection[..] else {
        panic!("two events")
    };
    assert_eq!(a.invitees_counter.limit, 5);
    let loc = a.location.as_ref().unwrap();
    assert_eq!(loc.kind, "zoom");
    assert_eq!(loc.extra["data"]["id"], 1);
    assert_eq!(a.extra["meeting_notes_plain"], "bring slides");
    assert_eq!(b.status, Status::Other);
    assert!(b.location.is_none() && b.event_memberships.is_empty());
    assert_eq!(next_token(&page.pagination), None);
}

#[test]
fn users_memberships_event_types_and_subscriptions_decode() {
    let me: Resource<User> = serde_json::from_value(json!({"resource": {
        "uri": "https://api.calendly.com/users/AAAA", "name": "John Doe", "slug": "acmesales",
        "email": "test@example.com", "scheduling_url": "https://calendly.com/acmesales",
        "timezone": "America/New York", "avatar_url": null,
        "created_at": "2019-01-02T03:04:05.678123Z", "updated_at": "2019-08-07T06:05:04.321123Z",
        "current_organization": "https://api.calendly.com/organizations/ORG", "locale": "en"
    }}))
    .unwrap();
    assert_eq!(
        me.resource.current_organization.as_deref(),
        Some("https://api.calendly.com/organizations/ORG")
    );
    let m: OrganizationMembership = serde_json::from_value(json!({
        "uri": "https://api.calendly.com/organization_memberships/M1", "role": "admin",
        "user": {"uri": "https://api.calendly.com/users/U1", "name": "A", "email": "a@example.com",
                 "created_at": "2019-01-02T03:04:05Z", "updated_at": "2019-01-02T03:04:05Z"},
        "organization": "https://api.calendly.com/organizations/ORG",
        "created_at": "2019-01-02T03:04:05Z", "updated_at": "2019-01-02T03:04:05Z"
    }))
    .unwrap();
    assert_eq!(m.user.current_organization, None);
    let t: EventType = serde_json::from_value(json!({
        "uri": "https://api.calendly.com/event_types/T1", "name": null, "active": false,
        "duration": 30, "kind": "solo", "pooling_type": null, "type": "StandardEventType",
        "created_at": "2019-01-02T03:04:05Z", "updated_at": "2019-01-02T03:04:05Z",
        "profile": null, "deleted_at": null,
        "custom_questions": [{"name": "Phone", "type": "phone_number", "position": 0,
                              "enabled": true, "required": true, "answer_choices": null,
                              "include_other": false}]
    }))
    .unwrap();
    assert!(!t.active && t.custom_questions[0].answer_choices.is_none());
    assert_eq!(t.type_name.as_deref(), Some("StandardEventType"));
    let w: WebhookSubscription = serde_json::from_value(json!({
        "uri": "https://api.calendly.com/webhook_subscriptions/W1",
        "callback_url": "https://blah.foo/bar", "created_at": "2019-08-24T14:15:22.123456Z",
        "updated_at": "2019-08-24T14:15:22.123456Z", "retry_started_at": null,
        "state": "active", "events": ["invitee.created", "invitee.no_show"], "scope": "user",
        "organization": "https://api.calendly.com/organizations/ORG",
        "user": "https://api.calendly.com/users/U1", "creator": null
    }))
    .unwrap();
    assert_eq!(w.events.len(), 2);
}

#[test]
fn the_next_token_comes_from_the_token_or_the_next_page_url() {
    let p = Pagination {
        next_page: Some("https://api.calendly.com/event_types?count=1&page_token=FROMURL".into()),
        next_page_token: None,
        ..Pagination::default()
    };
    assert_eq!(next_token(&p).as_deref(), Some("FROMURL"));
    let p = Pagination {
        next_page_token: Some("TOKEN".into()),
        ..p
    };
    assert_eq!(next_token(&p).as_deref(), Some("TOKEN"));
}

#[test]
fn resource_uris_give_their_ids_and_nothing_else() {
    let ev = "https://api.calendly.com/scheduled_events/EV1";
    assert_eq!(uuids(ev, &["scheduled_events", "*"]).unwrap(), ["EV1"]);
    let inv = "https://api.calendly.com/api/v2/scheduled_events/EV1/invitees/IN1/";
    assert_eq!(
        uuids(inv, &["scheduled_events", "*", "invitees", "*"]).unwrap(),
        ["EV1", "IN1"]
    );
    for bad in [
        "EV1",
        "https://api.calendly.com/event_types/EV1",
        "https://api.calendly.com/scheduled_events/..%2Fusers",
        "https://api.calendly.com/",
    ] {
        assert!(
            matches!(
                uuids(bad, &["scheduled_events", "*"]),
                Err(CalendlyError::Protocol(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        timestamp("2020-01-02T03:04:05Z".parse().unwrap()),
        "2020-01-02T03:04:05.000000Z"
    );
}
