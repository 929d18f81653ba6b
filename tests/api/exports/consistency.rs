//! An export that starts before a run publishes finishes on the snapshot it
//! started on: it never mixes two.

use futures_util::StreamExt;

use super::hub;
use bridgeboard::export::Page;
use bridgeboard::export::leads::LeadQuery;

/// Each row's item id and name, the first two columns of a leads export.
fn id_and_name(page: &Page) -> Vec<(String, String)> {
    (0..page.len())
        .map(|r| {
            let text = |c| page.get(r, c).text().unwrap_or_default().into_owned();
            (text(0), text(1))
        })
        .collect()
}

#[tokio::test]
async fn an_export_in_flight_keeps_its_snapshot_while_a_run_publishes() {
    // Three pages of leads: the change lands in the last one.
    let (sandbox, app, admin) = hub(5_000, 5).await;
    let exports = app.state.exports.clone().unwrap();
    let monday = sandbox.monday();
    let ids = monday.board_item_ids(sandbox.leads_board_id());
    let last = ids.iter().max().unwrap().to_string();
    let old_name = monday.item_json(last.parse().unwrap()).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut table = exports.leads(&LeadQuery::default()).await.unwrap();
    let started_on = table.snapshot.number;
    let first = id_and_name(&table.pages.next().await.unwrap().unwrap());
    assert!(first.len() < ids.len(), "the export is mid-way");

    monday
        .staff_rename(last.parse().unwrap(), "Renamed meanwhile")
        .unwrap();
    let run = app.run_pipeline(&admin, "FULL").await;
    crate::pipeline::assert_succeeded(&run);
    assert!(run["number"].as_i64().unwrap() > started_on);

    let mut rows = first;
    while let Some(page) = table.pages.next().await {
        rows.extend(id_and_name(&page.unwrap()));
    }
    assert_eq!(rows.len(), ids.len(), "every lead once");
    let ours = rows.iter().find(|r| r.0 == last).unwrap();
    assert_eq!(ours.1, old_name, "the old snapshot, to the end");

    let fresh = exports.leads(&LeadQuery::default()).await.unwrap();
    assert!(fresh.snapshot.number > started_on);
    let rows: Vec<_> = fresh
        .pages
        .flat_map(|p| futures_util::stream::iter(id_and_name(&p.unwrap())))
        .collect()
        .await;
    let ours = rows.iter().find(|r| r.0 == last).unwrap();
    assert_eq!(ours.1, "Renamed meanwhile");
}

#[tokio::test]
async fn an_export_outlived_by_two_publishes_stops_rather_than_miss_rows() {
    // Eight pages: more than the export reads ahead.
    let (sandbox, app, admin) = hub(16_000, 5).await;
    let exports = app.state.exports.clone().unwrap();
    let mut table = exports.leads(&LeadQuery::default()).await.unwrap();
    assert!(table.pages.next().await.unwrap().is_ok());
    // Two runs publish (each with a change, so the old versions go).
    let monday = sandbox.monday();
    let last = *monday
        .board_item_ids(sandbox.leads_board_id())
        .iter()
        .max()
        .unwrap();
    for name in ["First rename", "Second rename"] {
        monday.staff_rename(last, name).unwrap();
        crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    }
    let mut outcome = Vec::new();
    while let Some(page) = table.pages.next().await {
        outcome.push(page.map(|p| p.len()));
    }
    assert!(
        matches!(
            outcome.last(),
            Some(Err(bridgeboard::export::ExportError::SnapshotGone(_)))
        ),
        "{outcome:?}"
    );
}
