//! Benchmark: seed a 100k-item Monday leads board and page through all of it
//! over loopback HTTP with limit 500, the way the data hub pipeline does.
//!
//! `cargo run --release --example bench_sandbox_paging [-- LEADS [light]]`
//! (`light` asks only for ids and names, to separate API cost from values).

use std::time::Instant;

use bridgeboard::sandbox::monday::{MondayOptions, MondaySim};
use serde_json::{Value, json};

const FIRST_LIGHT: &str = "query($board: ID!) { boards(ids: [$board]) { items_page(limit: 500) { cursor items { id name } } } }";
const NEXT_LIGHT: &str = "query($cursor: String!) { next_items_page(cursor: $cursor, limit: 500) { cursor items { id name } } }";
const FIRST: &str = "query($board: ID!) { boards(ids: [$board]) { items_page(limit: 500) { cursor items { id name group { id } column_values { id text value } } } } }";
const NEXT: &str = "query($cursor: String!) { next_items_page(cursor: $cursor, limit: 500) { cursor items { id name group { id } column_values { id text value } } } }";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let leads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let light = std::env::args().nth(2).as_deref() == Some("light");
    let (first, next) = if light {
        (FIRST_LIGHT, NEXT_LIGHT)
    } else {
        (FIRST, NEXT)
    };
    let opts = MondayOptions {
        leads,
        ..MondayOptions::default()
    };
    let token = opts.token.clone();

    let started = Instant::now();
    let sim = tokio::task::spawn_blocking(move || MondaySim::seeded(opts)).await?;
    let seed_time = started.elapsed();
    let board = sim.leads_board_id().to_string();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/monday/v2", listener.local_addr()?);
    let app = axum::Router::new().nest("/monday/v2", sim.clone().router());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let post = |query: &'static str, variables: Value| {
        let req = client
            .post(&url)
            .header("Authorization", &token)
            .json(&json!({"query": query, "variables": variables}));
        async move { req.send().await?.json::<Value>().await }
    };

    let started = Instant::now();
    let body = post(first, json!({"board": board})).await?;
    let mut page = body["data"]["boards"][0]["items_page"].clone();
    let (mut items, mut requests) = (0usize, 1usize);
    loop {
        items += page["items"].as_array().map_or(0, Vec::len);
        let Some(cursor) = page["cursor"].as_str().map(str::to_owned) else {
            break;
        };
        let body = post(next, json!({"cursor": cursor})).await?;
        if body.get("errors").is_some() {
            return Err(format!("paging failed: {body}").into());
        }
        page = body["data"]["next_items_page"].clone();
        requests += 1;
    }
    let page_time = started.elapsed();
    println!("seeded {leads} leads in {:.2?}", seed_time);
    println!(
        "paged {items} items in {requests} requests in {:.2?} ({:.0} items/s)",
        page_time,
        items as f64 / page_time.as_secs_f64()
    );
    Ok(())
}
