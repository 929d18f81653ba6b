//! Exports read each lead's ready row when it matches the board and its
//! raw values when it doesn't: rows written before the ready rows existed,
//! and rows kept from before the board's columns changed, export exactly
//! as fresh ones would.

use migration::{Migrator, MigratorTrait};
use serde_json::{Value, json};

use super::{hub, json_of, key, parse_csv};
use crate::helpers::TestApp;

async fn body(app: &TestApp, key: &str, path: &str) -> bytes::Bytes {
    let res = app.get_key(key, path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.bytes().await.unwrap()
}

/// The CSV, the grouped JSON and the Parquet file's rows, as readers see them.
async fn exports(app: &TestApp, key: &str) -> (bytes::Bytes, Value, Vec<String>) {
    let csv = body(app, key, "/api/combined_csv").await;
    let json = json_of(app.get_key(key, "/api/json").await, 200).await;
    let parquet = body(app, key, "/api/export/leads.parquet").await;
    let file = parquet::file::serialized_reader::SerializedFileReader::new(parquet).unwrap();
    let rows = parquet::file::reader::FileReader::get_row_iter(&file, None)
        .unwrap()
        .map(|r| r.unwrap().to_string())
        .collect();
    (csv, json, rows)
}

#[tokio::test]
async fn an_upgrade_from_wide_rows_keeps_every_export_identical() {
    // More than one page of leads.
    let (_sandbox, app, admin) = hub(2_600, 5).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let before = exports(&app, &reader).await;

    // Back to the schema before the ready rows, and up again: every lead
    // is now as an older server wrote it, with no ready row.
    let db = app.db.connect().await;
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let narrow = names
        .iter()
        .position(|n| n.contains("narrow_leads"))
        .unwrap();
    let steps = u32::try_from(names.len() - narrow).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let ready: i64 = sea_orm::ConnectionTrait::query_one_raw(
        &db,
        sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(export_row) AS n FROM leads",
        ),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap();
    assert_eq!(ready, 0, "the upgrade leaves no ready rows");

    let after = exports(&app, &reader).await;
    assert_eq!(after.0, before.0, "the CSV, byte for byte");
    assert_eq!(after.1, before.1);
    assert_eq!(after.2, before.2, "the Parquet rows");
}

#[tokio::test]
async fn leads_kept_from_before_a_new_column_export_it_empty() {
    let (sandbox, app, admin) = hub(2_600, 5).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let (old_header, old_rows) = parse_csv(&body(&app, &reader, "/api/combined_csv").await);

    // Staff add a column on Monday and rename one lead; an incremental run
    // rewrites that lead only, so the rest keep rows of the old layout.
    let res = reqwest::Client::new()
        .post(sandbox.monday_url())
        .header("authorization", sandbox.monday_token())
        .json(&json!({
            "query": "mutation($board: ID!) { create_column(board_id: $board, title: \"Follow-up notes\", column_type: text) { id } }",
            "variables": { "board": sandbox.leads_board_id().to_string() },
        }))
        .send()
        .await
        .unwrap();
    let created: Value = res.json().await.unwrap();
    assert!(
        created["data"]["create_column"]["id"].is_string(),
        "{created}"
    );
    let monday = sandbox.monday();
    let renamed = monday.board_item_ids(sandbox.leads_board_id())[0];
    monday
        .staff_rename(renamed, "Renamed after the column")
        .unwrap();
    crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "INCREMENTAL").await);

    let (header, rows) = parse_csv(&body(&app, &reader, "/api/combined_csv").await);
    let notes = header.iter().position(|h| h == "Follow-up notes");
    let notes = notes.unwrap_or_else(|| panic!("the new column: {header:?}"));
    assert_eq!(notes, header.len() - 3, "after the board's other columns");
    let mut without: Vec<String> = header.clone();
    without.remove(notes);
    assert_eq!(without, old_header);
    assert_eq!(rows.len(), old_rows.len());
    for (row, old) in rows.iter().zip(&old_rows) {
        assert_eq!(row[notes], "", "{}", row[0]);
        let mut rest = row.clone();
        rest.remove(notes);
        if row[0] == renamed.to_string() {
            assert_eq!(rest[1], "Renamed after the column");
            rest[1].clone_from(&old[1]);
        }
        assert_eq!(&rest, old, "{}", row[0]);
    }
    // A full run rewrites every lead for the new layout: nothing changes.
    let kept = (
        body(&app, &reader, "/api/combined_csv").await,
        json_of(app.get_key(&reader, "/api/json").await, 200).await,
    );
    crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let rewritten = (
        body(&app, &reader, "/api/combined_csv").await,
        json_of(app.get_key(&reader, "/api/json").await, 200).await,
    );
    assert_eq!(kept.0, rewritten.0);
    assert_eq!(kept.1, rewritten.1);
}
