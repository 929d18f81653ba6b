//! Benchmark: `tickets(first: 50)` for one client with 10,000 tickets in the
//! database, over 64 concurrent keep-alive connections on loopback.
//!
//! ```sh
//! cargo run --release --example bench_tickets -- --seconds 20
//! ```
//!
//! Self-contained: boots bridgeboard in sandbox mode with a fresh SQLite file
//! (or `--database-url postgres://…`), lets the startup sync import a 10k
//! ticket board that belongs to a single client, signs that client in through
//! the magic-link mail, then drives the load and prints req/s, p50 and p99.
//! Server and load generator share the machine's cores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use bridgeboard::{Application, Config};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    tickets: usize,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    #[arg(long, default_value_t = 3)]
    warmup_seconds: u64,
    #[arg(long)]
    database_url: Option<String>,
    /// Another query to drive instead (to isolate costs), e.g. "{ version }".
    #[arg(long)]
    query: Option<String>,
    /// Send no credentials (with --query, to measure without auth).
    #[arg(long)]
    anonymous: bool,
}

const QUERY: &str = "query Bench { tickets(first: 50) { edges { node { id number title status priority syncState updatedAt } } pageInfo { hasNextPage endCursor } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let db_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let config = Config::from_vars([
        ("PORT", "0".to_owned()),
        ("DATABASE_URL", db_url),
        ("DATA_DIR", dir.path().display().to_string()),
        ("ADMIN_USER", "admin".to_owned()),
        ("ADMIN_PASSWORD", "bench-admin-password".to_owned()),
        ("SANDBOX_TICKETS", args.tickets.to_string()),
        ("SANDBOX_CLIENTS", "1".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ])?;
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;

    let token = sign_in_the_client(&http, &base, &state, args.tickets).await?;
    let body = Arc::new(json!({ "query": args.query.as_deref().unwrap_or(QUERY) }).to_string());
    let token = if args.anonymous { String::new() } else { token };

    eprintln!("warming up for {} s…", args.warmup_seconds);
    run_load(
        &http,
        &base,
        &token,
        &body,
        args.connections,
        Duration::from_secs(args.warmup_seconds),
    )
    .await?;
    eprintln!(
        "measuring for {} s with {} connections…",
        args.seconds, args.connections
    );
    let started = Instant::now();
    let mut lat = run_load(
        &http,
        &base,
        &token,
        &body,
        args.connections,
        Duration::from_secs(args.seconds),
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!(
        "tickets(first: 50), {} tickets, {} connections: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests in {:.1} s)",
        args.tickets,
        args.connections,
        lat.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        lat.len(),
        elapsed
    );
    Ok(())
}

/// Waits for the import, then logs the board's one client in by magic link.
async fn sign_in_the_client(
    http: &reqwest::Client,
    base: &str,
    state: &bridgeboard::state::AppState,
    tickets: usize,
) -> anyhow::Result<String> {
    let gql = |token: Option<&str>, query: &str, vars: Value| {
        let mut req = http
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query, "variables": vars }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { Ok::<Value, anyhow::Error>(req.send().await?.json::<Value>().await?) }
    };
    let admin = gql(
        None,
        "mutation { login(username:\"admin\", password:\"bench-admin-password\") { token } }",
        json!({}),
    )
    .await?["data"]["login"]["token"]
        .as_str()
        .ok_or_else(|| anyhow!("admin login failed"))?
        .to_owned();
    eprintln!("importing {tickets} tickets from the sandbox board…");
    let email = loop {
        let r = gql(
            Some(&admin),
            "{ tickets(first: 1) { edges { node { number client { email } } } } }",
            json!({}),
        )
        .await?;
        let node = &r["data"]["tickets"]["edges"][0]["node"];
        let count = bridgeboard::db::repo::tickets::count_all(&state.db).await?;
        if count as usize >= tickets
            && let Some(e) = node["client"]["email"].as_str()
        {
            break e.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    gql(
        None,
        "mutation($e:String!){ requestMagicLink(email:$e) }",
        json!({ "e": email }),
    )
    .await?;
    let outbox = state.config.data_dir.join("outbox");
    // The mail is sent in the background; give it a moment.
    let mut mail = None;
    for _ in 0..100 {
        mail = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|m| m.contains(&email));
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail.context("magic-link mail")?;
    let plain = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = plain.find("token=").context("link in mail")? + 6;
    let link: String = plain[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let r = gql(
        None,
        "mutation($t:String!){ redeemMagicLink(token:$t) { token } }",
        json!({ "t": link }),
    )
    .await?;
    let token = r["data"]["redeemMagicLink"]["token"]
        .as_str()
        .context("client token")?
        .to_owned();
    let check = gql(Some(&token), QUERY, json!({})).await?;
    let n = check["data"]["tickets"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(n == 50, "expected a full page, got {check}");
    Ok(token)
}

/// Closed loop: each connection sends its next request when the last answers.
/// Returns every latency in microseconds.
async fn run_load(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Arc<String>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Vec<u64>> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (http, url, token, body) = (
            http.clone(),
            format!("{base}/graphql"),
            token.to_owned(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut req = http.post(&url);
                if !token.is_empty() {
                    req = req.bearer_auth(&token);
                }
                let res = req
                    .header("content-type", "application/json")
                    .body(body.as_str().to_owned())
                    .send()
                    .await?;
                let ok = res.status().is_success();
                let bytes = res.bytes().await?;
                anyhow::ensure!(
                    ok && !bytes.starts_with(b"{\"data\":null"),
                    "request failed"
                );
                lat.push(t.elapsed().as_micros() as u64);
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
