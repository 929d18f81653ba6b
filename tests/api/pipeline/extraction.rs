//! A full run reads the whole leads board and the whole Calendly
//! organization: exact counts per group and per stream, and the data equal
//! to the sandbox's, field by field.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;

const LEADS: &str = "query($after: String) { leads(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id name email phone company owner group { id title } columns { id title type text value } createdAt updatedAt } } } }";

async fn all_leads(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .graphql_as(token, LEADS, json!({ "after": after }))
            .await;
        let page = data(body)["leads"].clone();
        out.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn a_full_run_reads_every_lead_and_the_whole_organization() {
    let sandbox = pipeline_sandbox(20_000, 60, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    let run = app.run_pipeline(&admin, "FULL").await;
    assert_succeeded(&run);

    let monday = sandbox.monday();
    let board = sandbox.leads_board_id();
    let ids = monday.board_item_ids(board);
    assert_eq!(ids.len(), 20_000);
    let mut per_group: HashMap<String, u64> = HashMap::new();
    for id in &ids {
        let item = monday.item_json(*id).unwrap();
        *per_group
            .entry(item["group"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(stats(&run, "leads")["fetched"], 20_000);
    assert_eq!(stats(&run, "leads")["inserted"], 20_000);

    let status = app.pipeline_status(&admin).await;
    let counts = &status["counts"];
    assert_eq!(counts["leads"], 20_000);
    let groups = counts["leadGroups"].as_array().unwrap();
    let titles: Vec<&str> = groups
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Scheduled",
            "Unqualified",
            "Won",
            "Cancelled",
            "Noshow",
            "Proposal",
            "Lost"
        ]
    );
    for g in groups {
        let id = g["id"].as_str().unwrap();
        assert_eq!(
            g["count"],
            per_group.get(id).copied().unwrap_or(0),
            "group {id}"
        );
    }

    let calendly = sandbox.calendly();
    assert_eq!(counts["calendlyEvents"], calendly.event_count() as u64);
    assert_eq!(
        counts["calendlyInvitees"],
        calendly.invitee_emails().len() as u64,
        "every invitee, not only the first of each event"
    );
    assert_eq!(counts["calendlyUsers"], 2);
    assert_eq!(counts["calendlyMemberships"], 2);
    assert!(counts["calendlyEventTypes"].as_u64().unwrap() > 0);
    assert_eq!(status["lastSuccess"]["id"], run["id"]);
    assert_eq!(status["freshness"]["stale"], false);
}

#[tokio::test]
async fn leads_equal_the_board_field_by_field() {
    let sandbox = pipeline_sandbox(150, 10, |_| {}).await;
    let app = pipeline_app(&sandbox, &[]).await;
    let admin = app.login_admin().await;
    assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let leads = all_leads(&app, &admin).await;
    let monday = sandbox.monday();
    assert_eq!(
        leads.len(),
        monday.board_item_ids(sandbox.leads_board_id()).len()
    );
    for lead in leads.iter().step_by(7) {
        let id: u64 = lead["id"].as_str().unwrap().parse().unwrap();
        let item = monday.item_json(id).unwrap();
        assert_eq!(lead["name"], item["name"]);
        assert_eq!(lead["group"]["id"], item["group"]["id"]);
        assert_eq!(lead["group"]["title"], item["group"]["title"]);
        let cols = item["column_values"].as_object().unwrap();
        assert_eq!(lead["email"], cols["email"]["value"]["email"], "{item}");
        assert_eq!(lead["phone"], cols["phone"]["text"]);
        assert_eq!(lead["company"], cols["company"]["text"]);
        assert_eq!(lead["owner"], cols["owner"]["text"]);
        let ours = lead["columns"].as_array().unwrap();
        assert_eq!(ours.len(), cols.len(), "every column of the board");
        for c in ours {
            let theirs = &cols[c["id"].as_str().unwrap()];
            assert_eq!(c["title"], theirs["title"]);
            // The API shows an empty cell's text as "".
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            assert_eq!(text(&c["text"]), text(&theirs["text"]), "{}", c["id"]);
            if theirs["value"].is_null() {
                assert!(c["value"].is_null());
            } else {
                assert_eq!(c["value"], theirs["value"], "{}", c["id"]);
            }
        }
    }
}
