//! Contract tests of the Calendly simulator over real HTTP: envelopes and
//! pagination to the end, filters, errors, the rate limit, webhook
//! subscriptions and signed deliveries.

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use bridgeboard::sandbox::SandboxHandle;
use bridgeboard::sandbox::calendly::webhooks::SIGNATURE_HEADER;
use bridgeboard::upstream::calendly::signature::{SignatureError as VerifyError, verify};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::spawn_sandbox;

struct Calendly {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Calendly {
    fn new(sb: &SandboxHandle) -> Self {
        Self {
            base: sb.calendly_url().to_owned(),
            token: sb.calendly_token().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// GET a path (under the base) or a full URL, with the token.
    async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, path_or_url: &str) -> Value {
        let res = self.get(path_or_url).await;
        assert_eq!(res.status(), StatusCode::OK, "{path_or_url}");
        res.json().await.unwrap()
    }

    async fn org(&self) -> String {
        let me = self.json("/users/me").await;
        me["resource"]["current_organization"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn scheduled_events_page_to_the_end_following_next_page() {
    let sb = spawn_sandbox(|o| o.events = 250).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;

    let mut url = format!("/scheduled_events?organization={}&count=37", enc(&org));
    let mut seen = HashSet::new();
    let mut last_start = String::new();
    let mut pages = 0;
    loop {
        let page = c.json(&url).await;
        pages += 1;
        let events = page["collection"].as_array().unwrap();
        assert!(events.len() <= 37);
        assert_eq!(page["pagination"]["count"], events.len());
        for e in events {
            assert!(
                seen.insert(e["uri"].as_str().unwrap().to_owned()),
                "seen twice"
            );
            let start = e["start_time"].as_str().unwrap().to_owned();
            assert!(start >= last_start, "sorted by start_time ascending");
            last_start = start;
        }
        if pages > 1 {
            assert!(page["pagination"]["previous_page"].is_string());
        }
        match page["pagination"]["next_page"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&c.base), "full URL: {next}");
                assert!(next.contains("organization="), "filters kept: {next}");
                assert!(page["pagination"]["next_page_token"].is_string());
                url = next.to_owned();
            }
            None => {
                assert!(page["pagination"]["next_page_token"].is_null());
                break;
            }
        }
    }
    assert_eq!(seen.len(), 250, "every event exactly once");
    assert_eq!(pages, 7);

    // A resource's URI is where it lives.
    let first = seen.iter().next().unwrap();
    let one = c.json(first).await;
    assert_eq!(one["resource"]["uri"], first.as_str());
    for field in [
        "name",
        "status",
        "start_time",
        "end_time",
        "event_type",
        "location",
        "invitees_counter",
        "created_at",
        "updated_at",
        "event_memberships",
        "event_guests",
    ] {
        assert!(one["resource"].get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn filters_sorting_and_invitees() {
    let sb = spawn_sandbox(|o| o.events = 120).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;
    let all_q = format!("/scheduled_events?organization={}&count=100", enc(&org));

    let canceled = c.json(&format!("{all_q}&status=canceled")).await;
    let canceled = canceled["collection"].as_array().unwrap();
    assert!(!canceled.is_empty());
    assert!(
        canceled
            .iter()
            .all(|e| e["status"] == "canceled" && e["cancellation"].is_object())
    );

    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let future = c
        .json(&format!(
            "{all_q}&min_start_time={}&sort=start_time:desc",
            enc(&now)
        ))
        .await;
    let future = future["collection"].as_array().unwrap();
    assert!(!future.is_empty());
    assert!(
        future
            .iter()
            .all(|e| e["start_time"].as_str().unwrap() >= now.as_str())
    );
    let starts: Vec<&str> = future
        .iter()
        .map(|e| e["start_time"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "descending");
    let past = c
        .json(&format!("{all_q}&max_start_time={}", enc(&now)))
        .await;
    assert!(!past["collection"].as_array().unwrap().is_empty());

    // Invitees: 1-3 per event, drawn mostly from the leads' population.
    let event = &c.json(&all_q).await["collection"][0];
    let uri = event["uri"].as_str().unwrap();
    let invitees = c.json(&format!("{uri}/invitees")).await;
    let list = invitees["collection"].as_array().unwrap();
    assert!((1..=3).contains(&list.len()));
    assert_eq!(event["invitees_counter"]["total"], list.len());
    let inv = &list[0];
    assert_eq!(inv["event"], uri);
    assert_eq!(c.json(inv["uri"].as_str().unwrap()).await["resource"], *inv);
    let email = inv["email"].as_str().unwrap();
    let by_email = c
        .json(&format!("{all_q}&invitee_email={}", enc(email)))
        .await;
    let by_email = by_email["collection"].as_array().unwrap();
    assert!(by_email.iter().any(|e| e["uri"] == uri));
    let one = c
        .json(&format!("{uri}/invitees?email={}&count=1", enc(email)))
        .await;
    assert_eq!(one["collection"].as_array().unwrap().len(), 1);

    let leads: HashSet<String> = (0..20)
        .map(|i| bridgeboard::sandbox::seed::person(1, i).email)
        .collect();
    let emails = sb.calendly().invitee_emails();
    let matching = emails.iter().filter(|e| leads.contains(*e)).count();
    assert!(
        matching * 2 > emails.len(),
        "{matching} of {}",
        emails.len()
    );

    // The token's own events by user alone; someone else's need the org.
    let me = c.json("/users/me").await["resource"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    c.json(&format!("/scheduled_events?user={}", enc(&me)))
        .await;
    let members = c
        .json(&format!(
            "/organization_memberships?organization={}",
            enc(&org)
        ))
        .await;
    let members = members["collection"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[0]["role"], "owner");
    let other = members
        .iter()
        .map(|m| m["user"]["uri"].as_str().unwrap())
        .find(|u| *u != me)
        .unwrap();
    let res = c
        .get(&format!("/scheduled_events?user={}", enc(other)))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    c.json(&format!(
        "/scheduled_events?user={}&organization={}",
        enc(other),
        enc(&org)
    ))
    .await;

    let types = c.json(&format!("/event_types?user={}", enc(&me))).await;
    let types = types["collection"].as_array().unwrap();
    assert!(types.iter().any(|t| t["active"] == false));
    let active = c
        .json(&format!("/event_types?user={}&active=true", enc(&me)))
        .await;
    assert!(
        active["collection"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["active"] == true)
    );
}

#[tokio::test]
async fn errors_have_calendlys_shape() {
    let sb = spawn_sandbox(|_| {}).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;

    let res = reqwest::get(format!("{}/users/me", c.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Unauthenticated");
    assert_eq!(body["message"], "The access token is invalid");
    let res = c
        .http
        .get(format!("{}/users/me", c.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = c.get("/scheduled_events/NOSUCHEVENT00000").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Resource Not Found");

    for (query, parameter) in [
        (format!("organization={}&count=101", enc(&org)), "count"),
        (format!("organization={}&count=abc", enc(&org)), "count"),
        (
            format!("organization={}&page_token=garbage!", enc(&org)),
            "page_token",
        ),
        (format!("organization={}&status=done", enc(&org)), "status"),
        (format!("organization={}&sort=name:asc", enc(&org)), "sort"),
        (
            format!("organization={}&min_start_time=yesterday", enc(&org)),
            "min_start_time",
        ),
        (String::new(), "user"),
    ] {
        let res = c.get(&format!("/scheduled_events?{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["title"], "Invalid Argument", "{query}");
        assert!(body["message"].is_string());
        assert_eq!(body["details"][0]["parameter"], parameter, "{query}");
        assert!(body["details"][0]["message"].is_string());
    }

    let res = c
        .get("/scheduled_events?organization=https://api.calendly.com/organizations/OTHER")
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Permission Denied");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_its_headers() {
    let sb = spawn_sandbox(|o| o.calendly_rate_limit = 5).await;
    let c = Calendly::new(&sb);
    for i in 0..5u32 {
        let res = c.get("/users/me").await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        assert_eq!(h["x-ratelimit-limit"], "5");
        assert_eq!(h["x-ratelimit-remaining"], (4 - i).to_string().as_str());
        assert!(
            h["x-ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                <= 60
        );
    }
    let res = c.get("/users/me").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["x-ratelimit-limit"], "5");
    assert_eq!(res.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = res.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&reset));
    let body: Value = res.json().await.unwrap();
    assert!(body["title"].is_string() && body["message"].is_string());

    // A raised limit starts afresh.
    sb.calendly().set_rate_limit(500);
    assert_eq!(c.get("/users/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn webhook_subscriptions_create_list_and_delete() {
    let sb = spawn_sandbox(|_| {}).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;
    let post = |body: Value| {
        c.http
            .post(format!("{}/webhook_subscriptions", c.base))
            .bearer_auth(&c.token)
            .json(&body)
            .send()
    };
    let sub = json!({
        "url": "https://example.com/hooks/calendly",
        "events": ["invitee.created", "invitee.canceled"],
        "organization": org,
        "scope": "organization",
    });
    let res = post(sub.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let r = &created["resource"];
    assert_eq!(r["callback_url"], "https://example.com/hooks/calendly");
    assert_eq!(r["state"], "active");
    assert_eq!(r["scope"], "organization");
    assert_eq!(r["organization"], org.as_str());
    assert!(r["user"].is_null());

    let dup = post(sub.clone()).await.unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let body: Value = dup.json().await.unwrap();
    assert_eq!(body["title"], "Already Exists");

    let bad = post(json!({ "url": "https://example.com/x", "events": ["nope"], "organization": org, "scope": "organization" }))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = post(json!({ "url": "https://example.com/x", "events": ["invitee.created"], "organization": org }))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["details"][0]["parameter"], "scope");

    let list = c
        .json(&format!(
            "/webhook_subscriptions?organization={}&scope=organization",
            enc(&org)
        ))
        .await;
    assert_eq!(list["collection"].as_array().unwrap().len(), 1);
    let missing_scope = c
        .get(&format!(
            "/webhook_subscriptions?organization={}",
            enc(&org)
        ))
        .await;
    assert_eq!(missing_scope.status(), StatusCode::BAD_REQUEST);

    let uri = r["uri"].as_str().unwrap();
    assert_eq!(c.json(uri).await["resource"]["uri"], uri);
    let del = c
        .http
        .delete(uri)
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    let again = c
        .http
        .delete(uri)
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let list = c
        .json(&format!(
            "/webhook_subscriptions?organization={}&scope=organization",
            enc(&org)
        ))
        .await;
    assert!(list["collection"].as_array().unwrap().is_empty());
}

/// A local receiver: every POST is passed on as (headers, raw body).
async fn receiver() -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next_delivery(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) -> (HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery within 10 s")
        .unwrap()
}

#[tokio::test]
async fn signed_invitee_webhooks_on_booking_and_cancel() {
    const KEY: &str = "known-signing-key";
    let sb = spawn_sandbox(|_| {}).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;
    let (hook, mut rx) = receiver().await;
    let res = c
        .http
        .post(format!("{}/webhook_subscriptions", c.base))
        .bearer_auth(&c.token)
        .json(&json!({
            "url": hook,
            "events": ["invitee.created", "invitee.canceled"],
            "organization": org,
            "scope": "organization",
            "signing_key": KEY,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // A lead books through the control API.
    let lead = bridgeboard::sandbox::seed::person(1, 3);
    let res = c
        .http
        .post(format!("{}/calendly/bookings", sb.control_url()))
        .json(&json!({ "email": lead.email, "first_name": lead.first_name, "last_name": lead.last_name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let booked: Value = res.json().await.unwrap();

    let (headers, body) = next_delivery(&mut rx).await;
    let sig = headers[SIGNATURE_HEADER].to_str().unwrap();
    assert!(sig.starts_with("t=") && sig.contains(",v1="), "{sig}");
    let now = chrono::Utc::now().timestamp();
    assert_eq!(verify(sig, KEY.as_bytes(), &body, now, 180), Ok(()));
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert_eq!(
        verify(sig, KEY.as_bytes(), &tampered, now, 180),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify(sig, b"another-key", &body, now, 180),
        Err(VerifyError::Mismatch)
    );

    let delivery: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(delivery["event"], "invitee.created");
    assert!(delivery["created_at"].is_string());
    assert_eq!(
        delivery["created_by"],
        c.json("/users/me").await["resource"]["uri"]
    );
    let payload = &delivery["payload"];
    assert_eq!(payload["email"], lead.email.as_str());
    assert_eq!(payload["status"], "active");
    assert_eq!(payload["uri"], booked["uri"]);
    let event_uri = payload["event"].as_str().unwrap();
    assert_eq!(payload["scheduled_event"]["uri"], event_uri);
    // The booked meeting is now served by the API, invitee included.
    let invitees = c.json(&format!("{event_uri}/invitees")).await;
    assert_eq!(invitees["collection"][0]["email"], lead.email.as_str());

    // The invitee cancels.
    let event_uuid = event_uri.rsplit('/').next().unwrap();
    let invitee_uuid = payload["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    let res = c
        .http
        .post(format!(
            "{}/calendly/scheduled_events/{event_uuid}/invitees/{invitee_uuid}/cancel",
            sb.control_url()
        ))
        .json(&json!({ "reason": "Found another slot" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (headers, body) = next_delivery(&mut rx).await;
    let sig = headers[SIGNATURE_HEADER].to_str().unwrap();
    assert_eq!(
        verify(
            sig,
            KEY.as_bytes(),
            &body,
            chrono::Utc::now().timestamp(),
            180
        ),
        Ok(())
    );
    let delivery: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(delivery["event"], "invitee.canceled");
    assert_eq!(delivery["payload"]["status"], "canceled");
    assert_eq!(
        delivery["payload"]["cancellation"]["reason"],
        "Found another slot"
    );
    assert_eq!(
        delivery["payload"]["cancellation"]["canceler_type"],
        "invitee"
    );
    assert_eq!(delivery["payload"]["scheduled_event"]["status"], "canceled");
    let event = c.json(event_uri).await;
    assert_eq!(event["resource"]["status"], "canceled");
}

#[tokio::test]
async fn control_bookings_respect_capacity_and_host_cancels() {
    let sb = spawn_sandbox(|o| o.events = 60).await;
    let c = Calendly::new(&sb);
    let org = c.org().await;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let list = c
        .json(&format!(
            "/scheduled_events?organization={}&status=active&count=100&min_start_time={}",
            enc(&org),
            enc(&now)
        ))
        .await;
    let events = list["collection"].as_array().unwrap();
    let full = events
        .iter()
        .find(|e| e["invitees_counter"]["active"] == e["invitees_counter"]["limit"])
        .expect("a full upcoming event");
    let res = c
        .http
        .post(format!("{}/calendly/bookings", sb.control_url()))
        .json(&json!({ "email": "late@example.org", "event": full["uri"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BAD_REQUEST");

    let uuid = full["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    let res = c
        .http
        .post(format!(
            "{}/calendly/scheduled_events/{uuid}/cancel",
            sb.control_url()
        ))
        .json(&json!({ "reason": "Host is ill" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let event = c.json(full["uri"].as_str().unwrap()).await;
    assert_eq!(event["resource"]["status"], "canceled");
    assert_eq!(event["resource"]["cancellation"]["canceler_type"], "host");
    let invitees = c
        .json(&format!(
            "{}/invitees?status=active",
            full["uri"].as_str().unwrap()
        ))
        .await;
    assert!(invitees["collection"].as_array().unwrap().is_empty());
    let res = c
        .http
        .post(format!(
            "{}/calendly/scheduled_events/NOPE/cancel",
            sb.control_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
