//! Leads and their meetings: every invitee that shares a lead's email,
//! whatever its case, batched so a page of leads costs a constant number of
//! queries; and the data is for staff and API keys, not portal clients.

use bridgeboard::sandbox::calendly::Booking;

use super::*;

const MEETINGS: &str = "query($first: Int) { leads(first: $first) { edges { node { id email origin meetings { id email status event { id name eventType { name slug } } } } } } }";
const ONE: &str = "query($id: ID!) { lead(id: $id) { email origin meetings { id email event { id } lead { id } } } }";

#[tokio::test]
async fn a_lead_has_every_meeting_booked_with_its_email_in_any_case() {
    let sandbox = pipeline_sandbox(30, 5, |_| {}).await;
    // Every event type gets an origin label of its own.
    let client = bridgeboard::upstream::calendly::CalendlyClient::new(
        sandbox.calendly_url().parse().unwrap(),
        sandbox.calendly_token().to_owned().into(),
        Default::default(),
    )
    .unwrap();
    let org = sandbox.calendly().organization_uri();
    let map: Vec<String> = client
        .event_types(&org)
        .await
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}=from {}",
                t.slug.clone().unwrap(),
                t.slug.clone().unwrap()
            )
        })
        .collect();
    let map = map.join(",");
    let app = pipeline_app(&sandbox, &[("PIPELINE_ORIGIN_MAP", &map)]).await;
    let admin = app.login_admin().await;
    let monday = sandbox.monday();
    let id = monday.board_item_ids(sandbox.leads_board_id())[3];
    let email = monday.item_json(id).unwrap()["column_values"]["email"]["value"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let calendly = sandbox.calendly();
    let first = calendly
        .book(Booking {
            email: format!("  {}  ", email.to_uppercase()),
            ..Booking::default()
        })
        .unwrap();
    let second = calendly
        .book(Booking {
            email: email.clone(),
            start_time: Some(chrono::Utc::now() + chrono::Duration::days(3)),
            ..Booking::default()
        })
        .unwrap();
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);

    let body = app
        .graphql_as(&admin, ONE, json!({ "id": id.to_string() }))
        .await;
    let lead = data(body)["lead"].clone();
    let meetings = lead["meetings"].as_array().unwrap();
    let ids: Vec<&Value> = meetings.iter().map(|m| &m["id"]).collect();
    assert!(ids.contains(&&first["uri"]), "{lead}");
    assert!(ids.contains(&&second["uri"]), "{lead}");
    for m in meetings {
        assert_eq!(m["lead"]["id"], id.to_string(), "and back again");
        assert!(!m["event"]["id"].is_null());
    }
    // The origin is the first meeting's event type, through the map.
    let body = app
        .graphql_as(&admin, MEETINGS, json!({ "first": 100 }))
        .await;
    let all = data(body)["leads"]["edges"].as_array().unwrap().clone();
    let ours = all
        .iter()
        .find(|l| l["node"]["id"] == json!(id.to_string()))
        .unwrap();
    let first_type = client
        .scheduled_event(first["event"].as_str().unwrap())
        .await
        .unwrap()
        .event_type
        .unwrap();
    let slug = client
        .event_types(&org)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.uri == first_type)
        .unwrap()
        .slug
        .unwrap();
    assert_eq!(ours["node"]["origin"], format!("from {slug}"));
    let unbooked = all
        .iter()
        .find(|l| l["node"]["meetings"].as_array().unwrap().is_empty())
        .unwrap();
    assert!(
        unbooked["node"]["origin"].is_null(),
        "no meeting, no origin"
    );
}

#[tokio::test]
async fn a_page_of_leads_with_meetings_costs_a_constant_number_of_queries() {
    let sandbox = pipeline_sandbox(120, 80, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);

    let stats = app.state.db_stats.clone();
    let mut cost = Vec::new();
    for first in [5, 50] {
        let before = stats.on_table("calendly_invitees");
        let body = app
            .graphql_as(&admin, MEETINGS, json!({ "first": first }))
            .await;
        let leads = data(body)["leads"]["edges"].as_array().unwrap().clone();
        assert_eq!(leads.len(), first as usize);
        if first == 50 {
            let with = leads
                .iter()
                .filter(|l| !l["node"]["meetings"].as_array().unwrap().is_empty())
                .count();
            assert!(
                with >= 5,
                "the sandbox's invitees share leads' emails: {with}"
            );
        }
        cost.push(stats.on_table("calendly_invitees") - before);
    }
    // Batched, not one query per lead. (The loaders gather the keys that
    // arrive within a millisecond, so a slow machine may split 50 leads'
    // keys in two batches; the bound still holds.)
    assert!(
        cost.iter().all(|c| *c <= 2),
        "5 leads and 50 leads cost one or two queries: {cost:?}"
    );
}

#[tokio::test]
async fn portal_clients_are_refused_the_data_hub() {
    let sandbox = pipeline_sandbox(10, 5, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    app.create_client(&admin, "portal@example.com", "Portal User")
        .await;
    let client = app.magic_login("portal@example.com").await;
    for query in [
        "{ leads { edges { node { id } } } }",
        "{ calendlyEvents { edges { node { id } } } }",
        "{ calendlyInvitees { edges { node { id } } } }",
        "{ pipelineRuns { edges { node { id } } } }",
    ] {
        let body = app.graphql_as(&client, query, json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{query}: {body}");
    }
    let anonymous = app.graphql(MEETINGS, json!({ "first": 1 })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    // The status is public-safe.
    let status = app
        .graphql("{ pipelineStatus { counts { leads } } }", json!({}))
        .await;
    assert_eq!(data(status)["pipelineStatus"]["counts"]["leads"], 10);
}
