//! An incremental run after staff change the board and people book and
//! cancel meetings: the right rows change, deletions and moves are
//! reconciled, and nothing else is re-read (upstream calls are counted).

use bridgeboard::sandbox::calendly::Booking;
use serde_json::{Map, json};

use super::*;

const LEAD: &str =
    "query($id: ID!) { lead(id: $id) { id company group { id } meetings { id status email } } }";
const INVITEES: &str = "query($status: String) { calendlyInvitees(first: 100, status: $status) { edges { node { id email status } } } }";

#[tokio::test]
async fn an_incremental_run_reads_only_what_changed() {
    let sandbox = pipeline_sandbox(600, 30, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);

    let monday = sandbox.monday();
    let board = sandbox.leads_board_id();
    let ids = monday.board_item_ids(board);
    let renamed: Map<String, Value> = [("Company".to_owned(), json!("Renamed Co"))]
        .into_iter()
        .collect();
    for id in &ids[0..3] {
        monday.staff_set_columns(*id, &renamed).unwrap();
    }
    let mut moved = Vec::new();
    for id in &ids[3..5] {
        let now = monday.item_json(*id).unwrap()["group"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let to = if now == "won" { "lost" } else { "won" };
        monday.staff_move(*id, to).unwrap();
        moved.push((*id, to));
    }
    let email: Map<String, Value> = [(
        "Email".to_owned(),
        json!({"email": "New.Lead@Example.com", "text": "New.Lead@Example.com"}),
    )]
    .into_iter()
    .collect();
    let new_a = monday
        .staff_create_item(board, "New lead A", Some("proposal"), &email)
        .unwrap();
    let new_b = monday
        .staff_create_item(board, "New lead B", Some("proposal"), &Map::new())
        .unwrap();
    monday.staff_delete(ids[5]).unwrap();
    monday.staff_archive(ids[6]).unwrap();

    // One invitee cancels; the new lead books a meeting, in other case.
    let body = app
        .graphql_as(&admin, INVITEES, json!({ "status": "active" }))
        .await;
    let active = data(body)["calendlyInvitees"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = active.rsplit('/').collect();
    let calendly = sandbox.calendly();
    calendly
        .cancel_invitee(parts[2], parts[0], Some("changed plans".into()))
        .unwrap();
    calendly
        .book(Booking {
            email: "new.lead@example.com ".into(),
            ..Booking::default()
        })
        .unwrap();

    monday.reset_items_served(board);
    let client = app.state.calendly.clone().unwrap();
    let calendly_before = client.requests_sent();
    let run = app.run_pipeline(&admin, "INCREMENTAL").await;
    assert_succeeded(&run);
    assert_eq!(run["mode"], "INCREMENTAL");

    let leads = stats(&run, "leads");
    assert_eq!(
        leads["fetched"], 7,
        "three changed, two moved, two new: {run}"
    );
    assert_eq!(leads["inserted"], 2);
    assert_eq!(leads["updated"], 5);
    assert_eq!(leads["deleted"], 2, "one deleted, one archived");
    // The seven present items, and the archived one Monday still serves by id.
    assert_eq!(monday.items_served(board), 8, "nothing else was read");
    let calendly_requests = client.requests_sent() - calendly_before;
    assert!(
        calendly_requests <= 7,
        "user, members, event types, one page of events, and the invitees of the two changed events; not all 30: {calendly_requests}"
    );

    let lead = |id: u64| {
        let app = &app;
        let admin = admin.clone();
        async move {
            data(
                app.graphql_as(&admin, LEAD, json!({ "id": id.to_string() }))
                    .await,
            )["lead"]
                .clone()
        }
    };
    assert_eq!(lead(ids[0]).await["company"], "Renamed Co");
    for (id, to) in moved {
        assert_eq!(lead(id).await["group"]["id"], to);
    }
    assert!(lead(ids[5]).await.is_null(), "deleted on the board");
    assert!(lead(ids[6]).await.is_null(), "archived on the board");
    assert!(!lead(new_b).await.is_null());
    let a = lead(new_a).await;
    let meetings = a["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 1, "matched ignoring case and space: {a}");
    assert_eq!(meetings[0]["status"], "active");

    let body = app
        .graphql_as(&admin, INVITEES, json!({ "status": "canceled" }))
        .await;
    let canceled: Vec<String> = data(body)["calendlyInvitees"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(canceled.contains(&active), "the cancellation arrived");

    let status = app.pipeline_status(&admin).await;
    assert_eq!(
        status["counts"]["leads"],
        monday.board_item_ids(board).len() as u64
    );
    assert_eq!(
        status["counts"]["calendlyEvents"],
        calendly.event_count() as u64
    );
    assert_eq!(
        status["counts"]["calendlyInvitees"],
        calendly.invitee_emails().len() as u64
    );
}

/// The versions one run replaces are pruned by a later run, with their
/// Monday values: nothing is left behind that no reader can see.
#[tokio::test]
async fn replaced_versions_go_with_their_values() {
    use sea_orm::{ConnectionTrait, Statement};

    let sandbox = pipeline_sandbox(40, 0, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let monday = sandbox.monday();
    let board = sandbox.leads_board_id();
    let ids = monday.board_item_ids(board);
    let renamed: Map<String, Value> = [("Company".to_owned(), json!("Renamed Co"))]
        .into_iter()
        .collect();
    for id in &ids[0..5] {
        monday.staff_set_columns(*id, &renamed).unwrap();
    }
    monday.staff_delete(ids[5]).unwrap();
    assert_succeeded(&app.run_pipeline(&admin, "INCREMENTAL").await);
    // The next run prunes what only the snapshot before the last could see.
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);

    let db = app.db.connect().await;
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM leads").await,
        ids.len() as i64 - 1,
        "the six replaced versions are pruned"
    );
    assert_eq!(
        unmatched_lead_values(&app).await,
        (0, 0),
        "no values outlive their version, and none is missing"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM lead_values").await,
        ids.len() as i64 - 1,
        "every version has its values"
    );
    let lead = app
        .graphql_as(&admin, LEAD, json!({ "id": ids[0].to_string() }))
        .await;
    assert_eq!(data(lead)["lead"]["company"], "Renamed Co");
}
