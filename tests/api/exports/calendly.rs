//! The Calendly routes: the shapes the old scripts read, answered from the
//! synced snapshot, CSV and Parquet exports, and `?live=true`.

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};

use super::{hub, json_of, key, parse_csv};

#[tokio::test]
async fn the_synced_organization_in_the_old_shapes() {
    let (sandbox, app, admin) = hub(200, 40).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let cal = sandbox.calendly();
    let invitees = cal.invitee_emails().len();
    let events = cal.event_count();

    let user = json_of(app.get_key(&reader, "/api/calendly/user-info").await, 200).await;
    assert_eq!(user["uri"], cal.me_uri());
    assert!(user["name"].is_string());

    let members = json_of(
        app.get_key(&reader, "/api/calendly/organization-members")
            .await,
        200,
    )
    .await;
    assert_eq!(
        members["count"],
        members["members"].as_array().unwrap().len()
    );
    assert!(members["count"].as_u64().unwrap() >= 2);
    assert!(members["metadata"]["snapshot_run"].as_i64().unwrap() >= 1);

    let all = json_of(app.get_key(&reader, "/api/calendly/events").await, 200).await;
    assert_eq!(all["count"], events, "past and future events");
    let canceled = json_of(
        app.get_key(&reader, "/api/calendly/events?status=canceled")
            .await,
        200,
    )
    .await;
    assert!(
        canceled["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "canceled")
    );

    let every = json_of(app.get_key(&reader, "/api/calendly/invitees").await, 200).await;
    assert_eq!(
        every["count"], invitees,
        "every invitee, not the first of each event"
    );
    let recent = json_of(
        app.get_key(&reader, "/api/calendly/invitees?days_back=7")
            .await,
        200,
    )
    .await;
    assert_eq!(recent["days_back"], 7);
    assert!(recent["count"].as_u64().unwrap() <= invitees as u64);

    let c = json_of(
        app.get_key(&reader, "/api/calendly/comprehensive").await,
        200,
    )
    .await;
    assert_eq!(c["user_info"]["name"], user["name"]);
    assert_eq!(c["user_data"]["uri"], user["uri"]);
    assert_eq!(c["summary"]["total_invitees"], invitees);
    assert_eq!(c["summary"]["total_events"], events);
    assert!(c["summary"]["event_types_count"].as_u64().unwrap() > 0);
    assert_eq!(
        c["event_types"].as_array().unwrap().len() as u64,
        c["summary"]["event_types_count"].as_u64().unwrap()
    );
    assert_eq!(c["invitees"].as_array().unwrap().len(), invitees);
    assert_eq!(c["events"].as_array().unwrap().len(), events);
    assert_eq!(c["organization_members"], members["members"]);
    assert!(c["metadata"]["published_at"].is_string());

    let bad = json_of(
        app.get_key(&reader, "/api/calendly/events?status=maybe")
            .await,
        400,
    )
    .await;
    assert_eq!(bad["error"], "BAD_USER_INPUT");
    let bad = json_of(
        app.get_key(&reader, "/api/calendly/invitees?days_back=-3")
            .await,
        400,
    )
    .await;
    assert_eq!(bad["error"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn exports_and_the_session_routes() {
    let (sandbox, app, admin) = hub(100, 30).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let invitees = sandbox.calendly().invitee_emails().len();

    let res = app.get_key(&reader, "/api/calendly/export/invitees").await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("calendly-invitees-run"),
        "{disposition}"
    );
    let (header, rows) = parse_csv(&res.bytes().await.unwrap());
    assert_eq!(rows.len(), invitees);
    assert!(header.contains(&"email".to_owned()) && header.contains(&"event_uri".to_owned()));

    let res = app
        .get_key(&reader, "/api/calendly/export/events.parquet")
        .await;
    assert_eq!(res.status(), 200);
    let body: Bytes = res.bytes().await.unwrap();
    let file = SerializedFileReader::new(body).unwrap();
    assert_eq!(
        file.metadata().file_metadata().num_rows() as usize,
        sandbox.calendly().event_count()
    );

    let status = json_of(
        app.get_key(&reader, "/api/calendly/session/status").await,
        200,
    )
    .await;
    assert_eq!(status["has_data"], true);
    assert_eq!(status["summary"]["total_invitees"], invitees);
    let summary = json_of(
        app.get_key(&reader, "/api/calendly/session/summary").await,
        200,
    )
    .await;
    assert_eq!(summary, status["summary"]);
    let user = json_of(
        app.get_key(&reader, "/api/calendly/session/user").await,
        200,
    )
    .await;
    assert_eq!(user["uri"], sandbox.calendly().me_uri());
    let members = json_of(
        app.get_key(&reader, "/api/calendly/session/members").await,
        200,
    )
    .await;
    let res = app
        .get_key(&reader, "/api/calendly/session/csv/members")
        .await;
    let (_, rows) = parse_csv(&res.bytes().await.unwrap());
    assert_eq!(rows.len() as u64, members["count"].as_u64().unwrap());

    for missing in [
        "/api/calendly/export/nothing",
        "/api/calendly/session/everything",
        "/api/calendly/session/csv/users.exe",
    ] {
        let body = json_of(app.get_key(&reader, missing).await, 404).await;
        assert_eq!(body["error"], "NOT_FOUND", "{missing}");
    }
}

#[tokio::test]
async fn live_refreshes_first_and_needs_a_key_that_may_write() {
    let (sandbox, app, admin) = hub(100, 10).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let writer = key(&app, &admin, "STANDARD", 1000).await;
    let before = json_of(app.get_key(&reader, "/api/calendly/invitees").await, 200).await;
    // Booked on Calendly; no webhook reaches this deployment.
    sandbox
        .calendly()
        .book(bridgeboard::sandbox::calendly::Booking {
            email: "live.refresh@example.com".into(),
            ..Default::default()
        })
        .unwrap();
    let refused = json_of(
        app.get_key(&reader, "/api/calendly/invitees?live=true")
            .await,
        403,
    )
    .await;
    assert_eq!(refused["error"], "FORBIDDEN");
    let live = json_of(
        app.get_key(&writer, "/api/calendly/invitees?live=true")
            .await,
        200,
    )
    .await;
    assert_eq!(
        live["count"].as_u64().unwrap(),
        before["count"].as_u64().unwrap() + 1,
        "the new booking is in"
    );
    assert!(
        live["metadata"]["snapshot_run"].as_i64() > before["metadata"]["snapshot_run"].as_i64()
    );
    assert!(
        live["invitees"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["email"] == "live.refresh@example.com")
    );
}
