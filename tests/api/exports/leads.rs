//! The Monday leads routes: the columns and rows the old scripts read, the
//! filters, typed Parquet, snapshot identity, 304s, compression and who may
//! read.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use parquet::basic::{LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

use super::{hub, json_of, key, parse_csv};
use crate::helpers::TestApp;

/// The leads as the sandbox's board holds them now: id → item.
fn board(sandbox: &bridgeboard::sandbox::SandboxHandle) -> HashMap<String, Value> {
    let monday = sandbox.monday();
    monday
        .board_item_ids(sandbox.leads_board_id())
        .into_iter()
        .map(|id| (id.to_string(), monday.item_json(id).unwrap()))
        .collect()
}

async fn bytes(app: &TestApp, key: &str, path: &str) -> (reqwest::header::HeaderMap, Bytes) {
    let res = app.get_key(key, path).await;
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap())
}

#[tokio::test]
async fn the_combined_csv_has_the_old_columns_and_every_lead() {
    let (sandbox, app, admin) = hub(2_345, 20).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let (headers, body) = bytes(&app, &reader, "/api/combined_csv").await;
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let run = headers["x-snapshot-run"].to_str().unwrap().to_owned();
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("leads-run{run}.csv")),
        "{headers:?}"
    );
    assert!(headers.contains_key("x-snapshot-published"));

    let (header, rows) = parse_csv(&body);
    let items = board(&sandbox);
    assert_eq!(rows.len(), items.len(), "one row per item");
    assert_eq!(&header[..2], ["Item ID", "Item Name"]);
    assert_eq!(&header[header.len() - 2..], ["Group", "origin"]);
    let any = items.values().next().unwrap();
    let titles: HashSet<&str> = any["by_title"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let ours: HashSet<&str> = header[2..header.len() - 2]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(ours, titles, "the board's column titles");

    // Every cell is what the board shows.
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let item = &items[&row[0]];
        assert_eq!(row[1], item["name"]);
        assert_eq!(row[at("Group")], item["group"]["title"]);
        for t in &titles {
            let shown = item["by_title"][*t].as_str().unwrap_or_default();
            assert_eq!(row[at(t)], shown, "{t} of {}", row[0]);
        }
    }
}

#[tokio::test]
async fn groups_filters_and_bad_parameters() {
    let (sandbox, app, admin) = hub(1_200, 10).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let items = board(&sandbox);
    let won = items
        .values()
        .filter(|i| {
            i["group"]["title"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("won")
        })
        .count();
    assert!(won > 0);
    let (headers, body) = bytes(&app, &reader, "/api/group_csv/won").await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("leads-won-run")
    );
    let (header, rows) = parse_csv(&body);
    let g = header.iter().position(|h| h == "Group").unwrap();
    assert_eq!(rows.len(), won);
    assert!(rows.iter().all(|r| r[g].eq_ignore_ascii_case("won")));

    let unknown = json_of(app.get_key(&reader, "/api/group_csv/nowhere").await, 404).await;
    assert_eq!(unknown["error"], "NOT_FOUND");
    let groups: Vec<String> = unknown["available_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_lowercase())
        .collect();
    for g in [
        "scheduled",
        "unqualified",
        "won",
        "cancelled",
        "noshow",
        "proposal",
        "lost",
    ] {
        assert!(groups.contains(&g.to_owned()), "{g} in {groups:?}");
    }

    // Search by a name, and updated_since in the future: nothing.
    let (name, _) = items
        .values()
        .map(|i| (i["name"].as_str().unwrap().to_owned(), ()))
        .next()
        .unwrap();
    let (_, body) = bytes(
        &app,
        &reader,
        &format!("/api/combined_csv?search={}", urlencode(&name)),
    )
    .await;
    let (_, found) = parse_csv(&body);
    assert!(found.iter().any(|r| r[1] == name), "{name}");
    assert!(found.len() < items.len());
    let (_, body) = bytes(&app, &reader, "/api/combined_csv?updated_since=2999-01-01").await;
    assert_eq!(parse_csv(&body).1.len(), 0);
    let (_, body) = bytes(
        &app,
        &reader,
        "/api/combined_csv?updated_since=2000-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(parse_csv(&body).1.len(), items.len());

    for bad in [
        "/api/combined_csv?updated_since=yesterday",
        "/api/export/leads.parquet?updated_since=2026-13-45",
        "/api/combined_csv?updated_since=0000-01-01",
        "/api/json?updated_since=-5000-01-01T00:00:00Z",
    ] {
        let body = json_of(app.get_key(&reader, bad).await, 400).await;
        assert_eq!(body["error"], "BAD_USER_INPUT", "{bad}");
        assert!(body["message"].as_str().unwrap().contains("updated_since"));
    }
    let no_file = json_of(app.get_key(&reader, "/api/export/leads.xlsx").await, 404).await;
    assert_eq!(no_file["error"], "NOT_FOUND");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn json_jsonl_and_parquet_hold_the_same_leads() {
    let (sandbox, app, admin) = hub(1_500, 10).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let items = board(&sandbox);
    let (_, csv) = bytes(&app, &reader, "/api/combined_csv").await;
    let (header, rows) = parse_csv(&csv);

    let grouped = json_of(app.get_key(&reader, "/api/json").await, 200).await;
    let groups = grouped.as_object().unwrap();
    assert!(
        groups.len() >= 7,
        "every group, empty ones too: {:?}",
        groups.keys()
    );
    let total: usize = groups.values().map(|g| g.as_array().unwrap().len()).sum();
    assert_eq!(total, items.len());
    for (title, leads) in groups {
        for l in leads.as_array().unwrap() {
            assert_eq!(l["Group"], title.as_str());
            let keys: Vec<&String> = l.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), header.len(), "the CSV's keys");
        }
    }

    let (headers, jsonl) = bytes(&app, &reader, "/api/export/leads.jsonl").await;
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = std::str::from_utf8(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), rows.len());

    let (headers, parquet) = bytes(&app, &reader, "/api/export/leads.parquet").await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".parquet\"")
    );
    let file = SerializedFileReader::new(parquet).unwrap();
    let meta = file.metadata();
    assert_eq!(meta.file_metadata().num_rows() as usize, items.len());
    let schema = meta.file_metadata().schema_descr();
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, header.iter().map(String::as_str).collect::<Vec<_>>());
    let column = |n: &str| schema.columns().iter().find(|c| c.name() == n).unwrap();
    assert_eq!(
        column("Item ID").logical_type_ref(),
        Some(&LogicalType::String),
        "ids are strings"
    );
    let any = items.values().next().unwrap();
    for (_, v) in any["column_values"].as_object().unwrap() {
        let c = column(v["title"].as_str().unwrap());
        match v["type"].as_str().unwrap() {
            "numbers" => assert_eq!(c.physical_type(), Physical::DOUBLE, "{}", c.name()),
            "date" => assert!(
                matches!(
                    c.logical_type_ref(),
                    Some(LogicalType::Timestamp {
                        is_adjusted_to_u_t_c: true,
                        ..
                    })
                ),
                "{}",
                c.name()
            ),
            _ => assert_eq!(
                c.logical_type_ref(),
                Some(&LogicalType::String),
                "{}",
                c.name()
            ),
        }
    }
}

#[tokio::test]
async fn snapshots_answer_304_and_compress_on_request() {
    let (_sandbox, app, admin) = hub(800, 5).await;
    let reader = key(&app, &admin, "READ_ONLY", 1000).await;
    let (headers, body) = bytes(&app, &reader, "/api/combined_csv").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/api/combined_csv"))
        .header("x-api-key", &reader)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let (other, _) = bytes(&app, &reader, "/api/combined_csv?group=won").await;
    assert_ne!(
        other["etag"],
        etag.as_str(),
        "the filters are part of the tag"
    );

    for (encoding, magic) in [
        ("gzip", &[0x1f, 0x8b][..]),
        ("zstd", &[0x28, 0xb5, 0x2f, 0xfd][..]),
    ] {
        let res = app
            .client
            .get(app.url("/api/combined_csv"))
            .header("x-api-key", &reader)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
        let packed = res.bytes().await.unwrap();
        assert!(packed.starts_with(magic), "{encoding}");
        assert!(packed.len() < body.len() / 2, "{encoding} compresses CSV");
    }

    // A new run publishes a new snapshot: the old tag no longer matches.
    crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "INCREMENTAL").await);
    let after = app
        .client
        .get(app.url("/api/combined_csv"))
        .header("x-api-key", &reader)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["x-snapshot-run"], headers["x-snapshot-run"]);
}

#[tokio::test]
async fn every_data_route_needs_staff_or_a_key() {
    let sink = crate::smtp::SmtpSink::start().await;
    let sandbox = crate::pipeline::pipeline_sandbox(300, 5, |_| {}).await;
    let mut mail = Vec::new();
    sink.env(&mut mail);
    let mail: Vec<(&str, &str)> = mail.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = crate::pipeline::pipeline_app(&sandbox, &mail).await;
    let admin = app.login_admin().await;
    crate::pipeline::assert_succeeded(&app.run_pipeline(&admin, "FULL").await);
    let paths = [
        "/api/combined_csv",
        "/api/group_csv/won",
        "/api/json",
        "/api/export/leads.parquet",
        "/api/export/leads.jsonl",
        "/api/calendly/events",
        "/api/calendly/comprehensive",
        "/api/calendly/export/invitees",
        "/api/calendly/session/status",
    ];
    for p in paths {
        let anonymous = json_of(app.get(p).await, 401).await;
        assert_eq!(anonymous["error"], "UNAUTHENTICATED", "{p}");
        let bad = json_of(app.get_key("bbk_not-a-real-key", p).await, 401).await;
        assert_eq!(bad["error"], "UNAUTHENTICATED", "{p}");
        assert_eq!(app.get_bearer(&admin, p).await.status(), 200, "{p}");
    }
    // A client of the support portal, signed in by magic link.
    app.create_client(&admin, "portal@example.com", "Portal Client")
        .await;
    let link = crate::auth_support::request_link(&app, &sink, "portal@example.com").await;
    let session = crate::auth_support::redeem(&app, &link.magic_token()).await;
    let client = session["data"]["redeemMagicLink"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for p in paths {
        let refused = json_of(app.get_bearer(&client, p).await, 403).await;
        assert_eq!(refused["error"], "FORBIDDEN", "{p}");
    }
}
