//! The typed Calendly client against the sandbox over real HTTP: complete
//! lists (canceled events, every invitee), paging to the end and lookups by
//! URI here; failures in `reliability`, subscriptions in `webhooks`.

mod reliability;
mod webhooks;

use std::collections::HashSet;
use std::time::Duration;

use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::upstream::Transient;
use bridgeboard::upstream::calendly::{CalendlyClient, CalendlyError, RetryPolicy, Status};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::spawn_sandbox;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_rate_limit_wait: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
    }
}

fn client_at(url: &str, token: &str, retry: RetryPolicy) -> CalendlyClient {
    CalendlyClient::new(
        url.parse().unwrap(),
        SecretString::from(token.to_owned()),
        retry,
    )
    .unwrap()
}

fn client(sb: &SandboxHandle) -> CalendlyClient {
    client_at(sb.calendly_url(), sb.calendly_token(), policy())
}

/// A window wider than anything the sandbox seeds or books.
fn everything() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    (
        now - chrono::Duration::days(400),
        now + chrono::Duration::days(400),
    )
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Lists `path_and_query` with plain HTTP, following `next_page` to the end:
/// the yardstick the client is measured against.
async fn raw_list(sb: &SandboxHandle, path_and_query: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let mut url = format!("{}{path_and_query}", sb.calendly_url());
    let mut rows = Vec::new();
    loop {
        let res = http
            .get(&url)
            .bearer_auth(sb.calendly_token())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let page: Value = res.json().await.unwrap();
        rows.extend(page["collection"].as_array().unwrap().iter().cloned());
        match page["pagination"]["next_page"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return rows,
        }
    }
}

fn uris(rows: &[Value]) -> HashSet<String> {
    rows.iter()
        .map(|r| r["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn directory_calls_return_every_member_and_event_type() {
    let sb = spawn_sandbox(|o| o.users = 3).await;
    let c = client(&sb).with_page_size(3);
    let me = c.me().await.unwrap();
    assert_eq!(me.uri, sb.calendly().me_uri());
    let org = me.current_organization.clone().unwrap();
    assert_eq!(org, sb.calendly().organization_uri());

    let members = c.organization_memberships(&org).await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[0].role, "owner");
    assert_eq!(members[0].user.uri, me.uri);
    assert!(members.iter().all(|m| m.organization == org));

    // Three types per user, plus the owner's inactive one.
    let types = c.event_types(&org).await.unwrap();
    assert_eq!(types.len(), 10);
    assert_eq!(types.iter().filter(|t| !t.active).count(), 1);
    assert_eq!(
        uris(&raw_list(&sb, &format!("/event_types?organization={}", enc(&org))).await).len(),
        10
    );
    // me, one page of members (3 of 3), four pages of types (3+3+3+1).
    assert_eq!(c.requests_sent(), 6);
}

#[tokio::test]
async fn scheduled_events_cover_the_window_canceled_ones_included() {
    let sb = spawn_sandbox(|o| o.events = 250).await;
    let c = client(&sb);
    let org = sb.calendly().organization_uri();
    let (min, max) = everything();
    let events = c.scheduled_events(&org, min, max).await.unwrap();
    assert_eq!(events.len(), sb.calendly().event_count());
    assert_eq!(events.len(), 250);
    assert_eq!(c.requests_sent(), 3, "pages of 100, 100 and 50");
    let seen: HashSet<&str> = events.iter().map(|e| e.uri.as_str()).collect();
    assert_eq!(seen.len(), 250, "no event twice");
    assert!(
        events
            .windows(2)
            .all(|w| w[0].start_time <= w[1].start_time)
    );

    let canceled = raw_list(
        &sb,
        &format!(
            "/scheduled_events?organization={}&status=canceled&count=100",
            enc(&org)
        ),
    )
    .await;
    assert!(!canceled.is_empty(), "the seed cancels some events");
    let ours: Vec<_> = events
        .iter()
        .filter(|e| e.status == Status::Canceled)
        .collect();
    assert_eq!(ours.len(), canceled.len());
    assert!(ours.iter().all(|e| e.cancellation.is_some()));
    assert_eq!(
        events.iter().filter(|e| e.status == Status::Active).count(),
        250 - canceled.len()
    );

    // A narrower window: exactly what the API holds in it, both statuses.
    let now = Utc::now();
    let (min, max) = (
        now - chrono::Duration::days(30),
        now + chrono::Duration::days(7),
    );
    let window = c.scheduled_events(&org, min, max).await.unwrap();
    let q = |status: &str| {
        format!(
            "/scheduled_events?organization={}&status={status}&count=100&min_start_time={}&max_start_time={}",
            enc(&org),
            enc(&min.to_rfc3339()),
            enc(&max.to_rfc3339())
        )
    };
    let mut expected = uris(&raw_list(&sb, &q("active")).await);
    expected.extend(uris(&raw_list(&sb, &q("canceled")).await));
    let got: HashSet<String> = window.iter().map(|e| e.uri.clone()).collect();
    assert_eq!(got, expected);
    assert!(!got.is_empty() && got.len() < 250);
    assert!(
        window
            .iter()
            .all(|e| e.start_time >= min && e.start_time < max)
    );
}

#[tokio::test]
async fn small_pages_are_followed_to_the_end() {
    let sb = spawn_sandbox(|o| o.events = 250).await;
    let org = sb.calendly().organization_uri();
    let (min, max) = everything();
    let full = client(&sb).scheduled_events(&org, min, max).await.unwrap();

    let c = client(&sb).with_page_size(7);
    let paged = c.scheduled_events(&org, min, max).await.unwrap();
    assert_eq!(c.requests_sent(), 36, "250 events in pages of 7");
    let a: Vec<&str> = full.iter().map(|e| e.uri.as_str()).collect();
    let b: Vec<&str> = paged.iter().map(|e| e.uri.as_str()).collect();
    assert_eq!(a, b, "same events in the same order");

    // Page by page, as a caller that checks for cancellation would go.
    let (mut token, mut pages, mut items) = (None::<String>, 0, 0);
    loop {
        let page = c
            .scheduled_events_page(&org, min, max, token.as_deref())
            .await
            .unwrap();
        pages += 1;
        items += page.items.len();
        assert!(page.items.len() <= 7);
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!((pages, items), (36, 250));
}

/// Books through the control API (as a lead would) and returns the answer.
async fn control_post(sb: &SandboxHandle, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sb.control_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

fn last_segment(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn every_invitee_of_every_event_whatever_its_status() {
    let sb = spawn_sandbox(|o| o.events = 30).await;
    let c = client(&sb);
    let org = sb.calendly().organization_uri();

    // A group meeting with four invitees, one of whom cancels: the event
    // stays active and its canceled invitee must still be listed.
    let group = c
        .event_types(&org)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.kind.as_deref() == Some("group") && t.active)
        .unwrap();
    let first = control_post(
        &sb,
        "/calendly/bookings",
        json!({ "email": "guest0@example.org", "event_type": group.uri }),
    )
    .await;
    let event_uri = first["event"].as_str().unwrap().to_owned();
    let mut booked = vec![first["uri"].as_str().unwrap().to_owned()];
    for i in 1..4 {
        let b = control_post(
            &sb,
            "/calendly/bookings",
            json!({ "email": format!("guest{i}@example.org"), "event": event_uri }),
        )
        .await;
        booked.push(b["uri"].as_str().unwrap().to_owned());
    }
    control_post(
        &sb,
        &format!(
            "/calendly/scheduled_events/{}/invitees/{}/cancel",
            last_segment(&event_uri),
            last_segment(&booked[2])
        ),
        json!({ "reason": "Double-booked" }),
    )
    .await;

    let before = c.requests_sent();
    let (min, max) = everything();
    let events = c.scheduled_events(&org, min, max).await.unwrap();
    assert_eq!(events.len(), 31);
    let mut emails = Vec::new();
    for e in &events {
        let invitees = c.invitees(&e.uri).await.unwrap();
        assert_eq!(invitees.len() as u32, e.invitees_counter.total, "{}", e.uri);
        assert!(invitees.iter().all(|i| i.event == e.uri));
        if e.status == Status::Canceled {
            assert!(invitees.iter().all(|i| i.status == Status::Canceled));
        }
        emails.extend(invitees.into_iter().map(|i| i.email));
    }
    assert_eq!(c.requests_sent() - before, 1 + 31, "one page each");
    let mut held = sb.calendly().invitee_emails();
    held.sort();
    emails.sort();
    assert_eq!(emails, held, "exactly the invitees the sandbox holds");

    let ours = c.with_page_size(1);
    let before = ours.requests_sent();
    let invitees = ours.invitees(&event_uri).await.unwrap();
    assert_eq!(ours.requests_sent() - before, 4, "four pages of one");
    let got: Vec<&str> = invitees.iter().map(|i| i.uri.as_str()).collect();
    assert_eq!(got, booked.iter().map(String::as_str).collect::<Vec<_>>());
    let canceled: Vec<_> = invitees
        .iter()
        .filter(|i| i.status == Status::Canceled)
        .collect();
    assert_eq!(canceled.len(), 1);
    assert_eq!(canceled[0].uri, booked[2]);
    let reason = canceled[0]
        .cancellation
        .as_ref()
        .and_then(|c| c.reason.as_deref());
    assert_eq!(reason, Some("Double-booked"));
}

#[tokio::test]
async fn single_lookups_go_to_our_base_url_only() {
    let sb = spawn_sandbox(|o| o.events = 10).await;
    let c = client(&sb);
    let org = sb.calendly().organization_uri();
    let (min, max) = everything();
    let listed = c.scheduled_events(&org, min, max).await.unwrap().remove(0);
    let one = c.scheduled_event(&listed.uri).await.unwrap();
    assert_eq!(
        (one.uri.as_str(), one.start_time),
        (listed.uri.as_str(), listed.start_time)
    );
    let inv = c.invitees(&listed.uri).await.unwrap().remove(0);
    let again = c.invitee(&inv.uri).await.unwrap();
    assert_eq!(
        (again.uri.as_str(), again.email.as_str()),
        (inv.uri.as_str(), inv.email.as_str())
    );

    // A URI naming another host (say, from a forged webhook) is looked up
    // by its ids at our base URL; the token is never sent elsewhere.
    let foreign = inv
        .uri
        .replace(sb.calendly_url(), "https://attacker.example/calendly");
    assert_eq!(c.invitee(&foreign).await.unwrap().uri, inv.uri);

    let missing = format!("{}/scheduled_events/NOSUCHEVENT00000", sb.calendly_url());
    let err = c.scheduled_event(&missing).await.unwrap_err();
    assert!(
        matches!(err, CalendlyError::NotFound) && !err.is_transient(),
        "{err:?}"
    );
    let before = c.requests_sent();
    let err = c.invitee(&listed.uri).await.unwrap_err();
    assert!(matches!(err, CalendlyError::Protocol(_)), "{err:?}");
    assert_eq!(c.requests_sent(), before, "a malformed URI is not sent");
}
