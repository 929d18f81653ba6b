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

/// Page by page (SQLite), an export outlived by two publishes stops rather
/// than miss rows; on PostgreSQL the leads come from one `COPY`, whose
/// statement keeps its snapshot, so it finishes with every lead as it
/// started (no origin map is set here, so it reads nothing else).
#[tokio::test]
async fn an_export_outlived_by_two_publishes_stops_or_keeps_every_row() {
    // Eight pages: more than the export reads ahead.
    let (sandbox, app, admin) = hub(16_000, 5).await;
    let exports = app.state.exports.clone().unwrap();
    let mut table = exports.leads(&LeadQuery::default()).await.unwrap();
    let mut rows = id_and_name(&table.pages.next().await.unwrap().unwrap());
    // Two runs publish (each with a change, so the old versions go).
    let monday = sandbox.monday();
    let last = *monday
        .board_item_ids(sandbox.leads_board_id())
        .iter()
        .max()
        .unwrap();
    let old_name = monday.item_json(last).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["First rename", "Second rename"] {
        monday.staff_rename(last, name).unwrap();
        crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    }
    let mut outcome = Vec::new();
    while let Some(page) = table.pages.next().await {
        match page {
            Ok(p) => rows.extend(id_and_name(&p)),
            Err(e) => outcome.push(e),
        }
    }
    if app.db.is_postgres() {
        assert!(outcome.is_empty(), "{outcome:?}");
        let ids: std::collections::HashSet<String> = monday
            .board_item_ids(sandbox.leads_board_id())
            .iter()
            .map(u64::to_string)
            .collect();
        let got: std::collections::HashSet<String> = rows.iter().map(|r| r.0.clone()).collect();
        assert_eq!(rows.len(), ids.len(), "each lead once");
        assert_eq!(got, ids, "every lead");
        let ours = rows.iter().find(|r| r.0 == last.to_string()).unwrap();
        assert_eq!(ours.1, old_name, "the snapshot it started on");
    } else {
        assert!(
            matches!(
                outcome.last(),
                Some(bridgeboard::export::ExportError::SnapshotGone(_))
            ),
            "{outcome:?}"
        );
    }
}

/// Downloads that stream from a connection of their own are bounded; one
/// past the bound reads page by page, and both give the same bytes. The
/// test app's pool has 8 connections: were 16 exports each to hold one,
/// the later ones (and the crowded download) would fail to get any.
#[tokio::test]
async fn downloads_past_the_streaming_bound_still_get_every_row_the_same() {
    let (_sandbox, app, admin) = hub(5_000, 5).await;
    let reader = super::key(&app, &admin, "READ_ONLY", 1000).await;
    let exports = app.state.exports.clone().unwrap();
    let download = || async {
        let res = app.get_key(&reader, "/api/combined_csv").await;
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap()
    };
    let alone = download().await;

    // More exports in flight than any bound; each has read its first page.
    let mut held = Vec::new();
    for _ in 0..16 {
        let mut table = exports.leads(&LeadQuery::default()).await.unwrap();
        assert!(table.pages.next().await.unwrap().is_ok());
        held.push(table);
    }
    let crowded = download().await;
    drop(held);
    let after = download().await;

    let (_, rows) = super::parse_csv(&alone);
    assert_eq!(rows.len(), 5_000, "every lead");
    assert!(crowded == alone, "a crowded download is the same CSV");
    assert!(after == alone, "and so is the next one");
}
