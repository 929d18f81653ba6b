//! Calendly deliveries between runs: a signed `invitee.created` shows at
//! once; forged, stale and unsigned deliveries are refused; a replayed
//! delivery changes nothing.

use bridgeboard::sandbox::calendly::Booking;
use bridgeboard::sandbox::calendly::webhooks::{SIGNATURE_HEADER, signature_header};

use super::*;

const KEY: &str = "calendly-signing-key-for-tests";
const INVITEES: &str = "query($email: String) { calendlyInvitees(first: 10, email: $email) { edges { node { id email status event { id } } } } }";

async fn invitees(app: &TestApp, token: &str, email: &str) -> Vec<Value> {
    let body = app
        .graphql_as(token, INVITEES, json!({ "email": email }))
        .await;
    data(body)["calendlyInvitees"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn post(app: &TestApp, body: &str, signature: Option<String>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/webhooks/calendly"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header(SIGNATURE_HEADER, s);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn signed_deliveries_apply_between_runs_and_others_are_refused() {
    let sandbox = pipeline_sandbox(40, 10, |o| o.calendly_signing_key = Some(KEY.into())).await;
    let app = pipeline_app(&sandbox, &[("CALENDLY_SIGNING_KEY", KEY)]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let service = app.state.pipeline.clone().unwrap();
    let url = app.url("/webhooks/calendly");
    service.ensure_calendly_webhook(&url).await.unwrap();
    assert!(
        matches!(
            service.ensure_calendly_webhook(&url).await.unwrap(),
            bridgeboard::pipeline::webhooks::Subscription::Exists(_)
        ),
        "registering again keeps the one subscription"
    );

    // A lead books; Calendly delivers, signed; it shows without a run.
    let booked = sandbox
        .calendly()
        .book(Booking {
            email: "walk.in@example.com".into(),
            ..Booking::default()
        })
        .unwrap();
    let found = crate::helpers::eventually("the booking to arrive", || async {
        let found = invitees(&app, &admin, "walk.in@example.com").await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(found[0]["id"], booked["uri"]);
    assert_eq!(found[0]["status"], "active");

    let delivery = json!({
        "event": "invitee.canceled",
        "created_at": "2026-12-04T10:00:00.000000Z",
        "payload": { "uri": booked["uri"], "event": booked["event"] },
    })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let forged = format!("t={now},v1={}", "ab".repeat(32));
    assert_eq!(post(&app, &delivery, Some(forged)).await.status(), 401);
    let stale = signature_header(KEY, now - 3_600, delivery.as_bytes());
    assert_eq!(post(&app, &delivery, Some(stale)).await.status(), 401);
    assert_eq!(post(&app, &delivery, None).await.status(), 401, "unsigned");
    let other_key = signature_header("not-our-key", now, delivery.as_bytes());
    assert_eq!(post(&app, &delivery, Some(other_key)).await.status(), 401);

    // A valid delivery, then the same one replayed.
    let good = signature_header(KEY, now, delivery.as_bytes());
    let first = post(&app, &delivery, Some(good.clone())).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["status"], "applied");
    let again = post(&app, &delivery, Some(good)).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["status"], "duplicate");
    // The payload named a cancellation, but Calendly says the invitee is
    // active: what we keep is what Calendly says.
    let found = invitees(&app, &admin, "walk.in@example.com").await;
    assert_eq!(found[0]["status"], "active");

    // When Calendly does cancel it, the delivery brings it over.
    let parts: Vec<String> = booked["uri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .map(str::to_owned)
        .collect();
    sandbox
        .calendly()
        .cancel_invitee(&parts[2], &parts[0], Some("no longer needed".into()))
        .unwrap();
    crate::helpers::eventually("the cancellation to arrive", || async {
        let found = invitees(&app, &admin, "walk.in@example.com").await;
        (found[0]["status"] == "canceled").then_some(())
    })
    .await;
}

fn signed(body: &str) -> Option<String> {
    Some(signature_header(
        KEY,
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    ))
}

#[tokio::test]
async fn a_delivery_that_is_not_json_or_names_no_invitee_is_a_clear_400() {
    let sandbox = pipeline_sandbox(10, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[("CALENDLY_SIGNING_KEY", KEY)]).await;
    for body in [
        "not json",
        r#"{"event":"invitee.created","payload":{"uri":"javascript:x"}}"#,
    ] {
        let res = post(&app, body, signed(body)).await;
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(
            !err.to_string().contains("line 1"),
            "no parser internals: {err}"
        );
    }
    let body = r#"{"event":"routing_form_submission.created","payload":{}}"#;
    let other = post(&app, body, signed(body)).await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.json::<Value>().await.unwrap()["status"], "ignored");
}

#[tokio::test]
async fn without_a_signing_key_deliveries_are_refused_outside_sandbox_mode() {
    let sandbox = pipeline_sandbox(10, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let body = r#"{"event":"invitee.created","payload":{"uri":"https://api.calendly.com/scheduled_events/A/invitees/B"}}"#;
    let before = app.state.calendly.clone().unwrap().requests_sent();
    let res = post(&app, body, None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        app.state.calendly.clone().unwrap().requests_sent(),
        before,
        "nothing was asked of Calendly for it"
    );
}

#[tokio::test]
async fn a_booking_that_arrives_during_a_run_survives_its_publication() {
    use bridgeboard::sandbox::Upstream;
    let sandbox = pipeline_sandbox(4_000, 20, |o| o.calendly_signing_key = Some(KEY.into())).await;
    let app = pipeline_app(&sandbox, &[("CALENDLY_SIGNING_KEY", KEY)]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let service = app.state.pipeline.clone().unwrap();
    service
        .ensure_calendly_webhook(&app.url("/webhooks/calendly"))
        .await
        .unwrap();
    // A slow full run: Calendly is read early, the leads take a while.
    sandbox
        .faults()
        .update(Upstream::Monday, |f| f.latency_ms = 150);
    let run = app.start_pipeline(&admin, "FULL").await;
    let id = run["id"].as_str().unwrap().to_owned();
    crate::helpers::eventually("Calendly to be read", || async {
        let run = app.pipeline_run(&admin, &id).await;
        run["progress"]
            .as_array()?
            .iter()
            .any(|p| p["stream"] == "calendly_invitees" && p["done"] == p["total"])
            .then_some(())
    })
    .await;
    let booked = sandbox
        .calendly()
        .book(Booking {
            email: "mid.run@example.com".into(),
            ..Booking::default()
        })
        .unwrap();
    crate::helpers::eventually("the booking to show", || async {
        (!invitees(&app, &admin, "mid.run@example.com")
            .await
            .is_empty())
        .then_some(())
    })
    .await;
    let ended = app.wait_run(&admin, &id).await;
    assert_succeeded(&ended);
    let found = invitees(&app, &admin, "mid.run@example.com").await;
    assert_eq!(
        found.len(),
        1,
        "still there, once, after the run published: {found:?}"
    );
    assert_eq!(found[0]["id"], booked["uri"]);
}
