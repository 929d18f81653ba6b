//! Soak benchmark: the release server under a mixed load for N minutes,
//! against simulated upstreams that fail 5% of requests.
//!
//! ```sh
//! cargo run --release --example bench_soak -- --minutes 30
//! ```
//!
//! Builds and starts `target/release/bridgeboard` as a child process pointed
//! at an in-process sandbox (Monday and Calendly), signs in portal clients,
//! then at once: 50 clients read tickets, tickets are created, Monday
//! webhooks arrive at 20 per second, 500 ticket subscriptions stay open, the
//! pipeline runs every 2 minutes (its cron) and the leads CSV is exported.
//! Faults (5xx and 429s) are switched on after setup.
//!
//! Reports, per operation, the count, the errors a client saw (webhooks
//! answered 503 for an injected Monday fault are counted apart: Monday is
//! meant to retry those), p50 and p99; the server's RSS and open file
//! descriptors every minute; and, once the outbox has drained, tickets lost
//! (not on the board) or duplicated (on it twice). The summary is Markdown,
//! ready for BENCHMARKS.md.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use bridgeboard::sandbox::faults::Upstream;
use bridgeboard::sandbox::{Sandbox, SandboxHandle, SandboxOptions};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser)]
struct Args {
    /// How long the mixed load runs.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    #[arg(long, default_value_t = 50)]
    readers: usize,
    /// Pause between one reader's requests (a person, not a flood).
    #[arg(long, default_value_t = 200)]
    think_ms: u64,
    #[arg(long, default_value_t = 500)]
    subscriptions: usize,
    #[arg(long, default_value_t = 20)]
    webhooks_per_sec: u32,
    /// Tickets created per second, in all.
    #[arg(long, default_value_t = 1.0)]
    creates_per_sec: f64,
    /// Seconds between CSV exports.
    #[arg(long, default_value_t = 10)]
    export_every: u64,
    /// Share of upstream requests that fail (5xx; a fifth of them 429s).
    #[arg(long, default_value_t = 0.05)]
    fault_rate: f64,
    #[arg(long, default_value_t = 10)]
    clients: usize,
    #[arg(long)]
    database_url: Option<String>,
}

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "soak-admin-password";
const READ_LIST: &str =
    "query { tickets(first: 20) { edges { node { id number title status syncState } } } }";
const READ_ONE: &str = "query($id: ID!) { ticket(id: $id) { id title status comments { body } } }";
const CREATE: &str = "mutation($t: String!) { createTicket(input: { title: $t }) { id } }";
const SUBSCRIBE: &str = "subscription { ticketUpdates { kind ticket { id syncState } } }";

/// Latencies (µs) and errors of one kind of operation.
#[derive(Default)]
struct Op {
    lat: Vec<u64>,
    errors: u64,
    /// Failures a client is meant to see (an injected upstream fault).
    expected: u64,
    first_error: Option<String>,
}

#[derive(Default)]
struct Stats {
    ops: Mutex<BTreeMap<&'static str, Op>>,
}

impl Stats {
    fn ok(&self, op: &'static str, t: Instant) {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        ops.entry(op)
            .or_default()
            .lat
            .push(t.elapsed().as_micros() as u64);
    }

    fn err(&self, op: &'static str, expected: bool, what: String) {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let o = ops.entry(op).or_default();
        if expected {
            o.expected += 1;
        } else {
            o.errors += 1;
            o.first_error.get_or_insert(what);
        }
    }
}

struct Server {
    child: Child,
    base: String,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::tls::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::start(SandboxOptions {
        host: "127.0.0.1".into(),
        port: 0,
        clients: args.clients,
        tickets: 200,
        leads: 2_000,
        events: 300,
        users: 4,
        ..SandboxOptions::default()
    })
    .await?;
    let db_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/soak.db?mode=rwc", dir.path().display()));
    let server = serve(&sandbox, &db_url, dir.path()).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let admin = login(&http, &server.base).await?;
    let tokens = sign_in_clients(&http, &server, &admin, dir.path(), args.clients).await?;
    let items = board_items(&http, &server.base, &admin).await?;
    eprintln!(
        "{} clients signed in, {} board items for webhooks; opening {} subscriptions…",
        tokens.len(),
        items.len(),
        args.subscriptions
    );

    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(AtomicU64::new(0));
    let created = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for i in 0..args.subscriptions {
        let token = tokens[i % tokens.len()].clone();
        tasks.push(tokio::spawn(subscribe(
            server.port,
            token,
            stats.clone(),
            stop.clone(),
            events.clone(),
        )));
    }
    // Faults from here on.
    let errors = args.fault_rate * 0.8;
    let limits = args.fault_rate * 0.2;
    for u in [Upstream::Monday, Upstream::Calendly] {
        sandbox.faults().update(u, |f| {
            f.error_rate = errors;
            f.rate_limit_rate = limits;
            f.retry_after_secs = 1;
        });
    }
    eprintln!(
        "mixed load for {} min: {} readers, {:.1} creates/s, {} webhooks/s, CSV every {} s, pipeline every 2 min, {:.0}% upstream faults",
        args.minutes,
        args.readers,
        args.creates_per_sec,
        args.webhooks_per_sec,
        args.export_every,
        args.fault_rate * 100.0
    );
    for i in 0..args.readers {
        let token = tokens[i % tokens.len()].clone();
        tasks.push(tokio::spawn(reader(
            http.clone(),
            server.base.clone(),
            token,
            Duration::from_millis(args.think_ms),
            stats.clone(),
            stop.clone(),
        )));
    }
    tasks.push(tokio::spawn(creator(
        http.clone(),
        server.base.clone(),
        tokens.clone(),
        args.creates_per_sec,
        stats.clone(),
        stop.clone(),
        created.clone(),
    )));
    tasks.push(tokio::spawn(webhooks(
        http.clone(),
        server.base.clone(),
        sandbox.tickets_board_id(),
        items,
        args.webhooks_per_sec,
        stats.clone(),
        stop.clone(),
    )));
    tasks.push(tokio::spawn(exporter(
        http.clone(),
        server.base.clone(),
        admin.clone(),
        Duration::from_secs(args.export_every),
        stats.clone(),
        stop.clone(),
    )));

    let pid = server.child.id();
    let started = Instant::now();
    let mut samples = vec![(0u64, rss_mb(pid)?, open_fds(pid)?)];
    for minute in 1..=args.minutes {
        tokio::time::sleep_until((started + Duration::from_secs(60 * minute)).into()).await;
        let s = (minute, rss_mb(pid)?, open_fds(pid)?);
        eprintln!(
            "minute {minute}: RSS {:.1} MB, {} fds, {} subscription events",
            s.1,
            s.2,
            events.load(Ordering::Relaxed)
        );
        samples.push(s);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    for u in [Upstream::Monday, Upstream::Calendly] {
        sandbox.faults().set(u, Default::default());
    }
    let runs = pipeline_runs(&http, &server.base, &admin).await?;
    let ids = created.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (lost, duplicated, waited) = check_delivery(&sandbox, &ids).await;
    report(
        &args,
        &stats,
        &samples,
        events.load(Ordering::Relaxed),
        runs,
        ids.len(),
        lost,
        duplicated,
        waited,
    );
    Ok(())
}

/// Builds the release binary if needed and starts it against the sandbox.
async fn serve(
    sandbox: &SandboxHandle,
    db_url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let target = exe
        .parent()
        .and_then(|p| p.parent())
        .context("target dir")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Built together with this example, so dependencies get the same
    // features and the binary is the one `cargo run --example` left fresh
    // (building the binary alone would rebuild them with fewer).
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "bridgeboard",
            "--example",
            "bench_soak",
        ])
        .status()?;
    if !built.success() {
        bail!("cargo build --release --bin bridgeboard --example bench_soak failed");
    }
    let bin = target.join("bridgeboard");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", port.to_string()),
            ("DATABASE_URL", db_url.to_owned()),
            ("DATA_DIR", dir.join("data").display().to_string()),
            ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
            ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
            (
                "MONDAY_TICKETS_BOARD_ID",
                sandbox.tickets_board_id().to_string(),
            ),
            (
                "MONDAY_LEADS_BOARD_ID",
                sandbox.leads_board_id().to_string(),
            ),
            ("CALENDLY_API_URL", sandbox.calendly_url().to_owned()),
            ("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token().to_owned()),
            ("PIPELINE_CRON", "0 */2 * * * *".to_owned()),
            ("ADMIN_USER", ADMIN.to_owned()),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
            ("RUST_LOG", "error".to_owned()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        port,
    };
    let client = reqwest::Client::new();
    for _ in 0..1200 {
        if let Ok(r) = client.get(format!("{}/ready", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

async fn gql(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut req = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() || body.get("errors").is_some() {
        bail!("HTTP {status}: {body}");
    }
    Ok(body["data"].clone())
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let data = gql(
        http,
        base,
        None,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
        json!({ "u": ADMIN, "p": ADMIN_PASSWORD }),
    )
    .await?;
    data["login"]["token"]
        .as_str()
        .map(str::to_owned)
        .context("admin token")
}

/// Creates portal clients and signs each in through its magic-link mail.
async fn sign_in_clients(
    http: &reqwest::Client,
    server: &Server,
    admin: &str,
    dir: &std::path::Path,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::new();
    for i in 0..n {
        let email = format!("soak{i}@example.com");
        gql(
            http,
            &server.base,
            Some(admin),
            "mutation($i: CreateClientInput!) { createClient(input: $i) { id } }",
            json!({ "i": { "email": email, "name": format!("Soak {i}"), "company": "Soak" } }),
        )
        .await?;
        gql(
            http,
            &server.base,
            None,
            "mutation($e: String!) { requestMagicLink(email: $e) }",
            json!({ "e": email }),
        )
        .await?;
        let link = magic_token(&dir.join("data").join("outbox"), &email).await?;
        let data = gql(
            http,
            &server.base,
            None,
            "mutation($t: String!) { redeemMagicLink(token: $t) { token } }",
            json!({ "t": link }),
        )
        .await?;
        tokens.push(
            data["redeemMagicLink"]["token"]
                .as_str()
                .context("client token")?
                .to_owned(),
        );
    }
    Ok(tokens)
}

async fn magic_token(outbox: &std::path::Path, email: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        let mail = std::fs::read_dir(outbox)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|m| m.contains(email));
        if let Some(mail) = mail {
            let plain = mail
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let at = plain.find("token=").context("link in mail")? + 6;
            return Ok(plain[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow!("no magic-link mail for {email}"))
}

/// Monday item ids of tickets on the board (what webhooks name).
async fn board_items(http: &reqwest::Client, base: &str, admin: &str) -> anyhow::Result<Vec<u64>> {
    let data = gql(
        http,
        base,
        Some(admin),
        "query { tickets(first: 100) { edges { node { mondayItemId } } } }",
        json!({}),
    )
    .await?;
    let items: Vec<u64> = data["tickets"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["mondayItemId"].as_str()?.parse().ok())
        .collect();
    anyhow::ensure!(!items.is_empty(), "no synced tickets: {data}");
    Ok(items)
}

async fn reader(
    http: reqwest::Client,
    base: String,
    token: String,
    think: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let list = gql(&http, &base, Some(&token), READ_LIST, json!({})).await;
        let id = match list {
            Ok(d) => {
                stats.ok("read tickets(first: 20)", t);
                d["tickets"]["edges"][0]["node"]["id"]
                    .as_str()
                    .map(str::to_owned)
            }
            Err(e) => {
                stats.err("read tickets(first: 20)", false, e.to_string());
                None
            }
        };
        tokio::time::sleep(think).await;
        if let Some(id) = id {
            let t = Instant::now();
            match gql(&http, &base, Some(&token), READ_ONE, json!({ "id": id })).await {
                Ok(_) => stats.ok("read ticket(id)", t),
                Err(e) => stats.err("read ticket(id)", false, e.to_string()),
            }
            tokio::time::sleep(think).await;
        }
    }
}

async fn creator(
    http: reqwest::Client,
    base: String,
    tokens: Vec<String>,
    per_sec: f64,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    created: Arc<Mutex<Vec<String>>>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec.max(0.01)));
    for n in 0usize.. {
        tick.tick().await;
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let token = &tokens[n % tokens.len()];
        let t = Instant::now();
        let vars = json!({ "t": format!("Soak ticket {n}") });
        match gql(&http, &base, Some(token), CREATE, vars).await {
            Ok(d) => {
                stats.ok("create ticket", t);
                if let Some(id) = d["createTicket"]["id"].as_str() {
                    created
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(id.to_owned());
                }
            }
            Err(e) => stats.err("create ticket", false, e.to_string()),
        }
    }
}

/// Monday's `update_name` events about board items, each with a fresh
/// trigger; a 503 is Monday's cue to retry (an injected fault upstream).
async fn webhooks(
    http: reqwest::Client,
    base: String,
    board: u64,
    items: Vec<u64>,
    per_sec: u32,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_sec.max(1));
    let mut inflight = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let item = items[rand::rng().random_range(0..items.len())];
        let body = json!({ "event": {
            "app": "monday", "type": "update_name", "boardId": board, "pulseId": item,
            "triggerUuid": uuid::Uuid::new_v4().to_string(),
            "triggerTime": chrono::Utc::now().to_rfc3339(),
        }});
        let (http, url, stats) = (
            http.clone(),
            format!("{base}/webhooks/monday"),
            stats.clone(),
        );
        inflight.push(tokio::spawn(async move {
            let t = Instant::now();
            match http.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => stats.ok("Monday webhook", t),
                Ok(r) if r.status() == 503 => stats.err("Monday webhook", true, "503".to_owned()),
                Ok(r) => stats.err("Monday webhook", false, format!("HTTP {}", r.status())),
                Err(e) => stats.err("Monday webhook", false, e.to_string()),
            }
        }));
        inflight.retain(|t| !t.is_finished());
    }
    for t in inflight {
        let _ = t.await;
    }
}

async fn exporter(
    http: reqwest::Client,
    base: String,
    admin: String,
    every: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(every);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/combined_csv"))
            .bearer_auth(&admin)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => match r.bytes().await {
                Ok(_) => stats.ok("CSV export", t),
                Err(e) => stats.err("CSV export", false, e.to_string()),
            },
            // No run has finished yet: nothing to export, not an error.
            Ok(r) if r.status() == 404 || r.status() == 409 => {}
            Ok(r) => stats.err("CSV export", false, format!("HTTP {}", r.status())),
            Err(e) => stats.err("CSV export", false, e.to_string()),
        }
    }
}

/// One subscriber: stays open for the whole run, counting events.
async fn subscribe(
    port: u16,
    token: String,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    events: Arc<AtomicU64>,
) {
    let t = Instant::now();
    let mut req = match format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request() {
        Ok(r) => r,
        Err(e) => return stats.err("subscription", false, e.to_string()),
    };
    req.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let mut ws = match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => ws,
        Err(e) => return stats.err("subscription", false, e.to_string()),
    };
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } });
    for m in [init, sub] {
        if let Err(e) = ws.send(Message::Text(m.to_string().into())).await {
            return stats.err("subscription", false, e.to_string());
        }
    }
    let mut opened = false;
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
            Err(_) => continue,
            Ok(Some(Ok(Message::Text(text)))) => {
                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                match v["type"].as_str() {
                    Some("connection_ack") if !opened => {
                        opened = true;
                        stats.ok("subscription", t);
                    }
                    Some("next") if v["payload"].get("errors").is_none() => {
                        events.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("ping") => {
                        let pong = json!({ "type": "pong" }).to_string();
                        let _ = ws.send(Message::Text(pong.into())).await;
                    }
                    Some("ka" | "pong" | "connection_ack") => {}
                    _ => return stats.err("subscription", false, text.to_string()),
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return stats.err("subscription", false, e.to_string()),
            Ok(None) => return stats.err("subscription", false, "closed by the server".into()),
        }
    }
    let _ = ws.close(None).await;
}

async fn pipeline_runs(http: &reqwest::Client, base: &str, admin: &str) -> anyhow::Result<Value> {
    let data = gql(
        http,
        base,
        Some(admin),
        "query { pipelineRuns(first: 50) { edges { node { status } } } }",
        json!({}),
    )
    .await?;
    let mut by_status = BTreeMap::<String, u64>::new();
    for e in data["pipelineRuns"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let s = e["node"]["status"].as_str().unwrap_or("?").to_owned();
        *by_status.entry(s).or_default() += 1;
    }
    Ok(json!(by_status))
}

/// Waits (up to 2 minutes) for every created ticket to be on the board;
/// returns how many are missing, how many are there twice, and the wait.
async fn check_delivery(sandbox: &SandboxHandle, ids: &[String]) -> (usize, usize, Duration) {
    let board = sandbox.tickets_board_id();
    let monday = sandbox.monday();
    let t = Instant::now();
    loop {
        let counts: Vec<usize> = ids
            .iter()
            .map(|id| monday.find_items_by_column(board, "ticket_id", id).len())
            .collect();
        let lost = counts.iter().filter(|&&n| n == 0).count();
        let duplicated = counts.iter().filter(|&&n| n > 1).count();
        if lost == 0 || t.elapsed() > Duration::from_secs(120) {
            return (lost, duplicated, t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn proc_status_kb(pid: u32, key: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| key.to_owned())
}

fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(proc_status_kb(pid, "VmRSS:")? / 1024.0)
}

fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    stats: &Stats,
    samples: &[(u64, f64, usize)],
    events: u64,
    runs: Value,
    created: usize,
    lost: usize,
    duplicated: usize,
    waited: Duration,
) {
    println!(
        "\n### Soak: {} min, {} readers, {} subscriptions, {} webhooks/s, {:.1} creates/s, CSV every {} s, pipeline every 2 min, {:.0}% upstream faults\n",
        args.minutes,
        args.readers,
        args.subscriptions,
        args.webhooks_per_sec,
        args.creates_per_sec,
        args.export_every,
        args.fault_rate * 100.0
    );
    println!("| operation | count | client-visible errors | expected (fault) | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut ops = stats.ops.lock().unwrap_or_else(|e| e.into_inner());
    let mut unexpected = 0;
    for (name, op) in ops.iter_mut() {
        op.lat.sort_unstable();
        let pct = |p: f64| {
            op.lat
                .get(((op.lat.len() as f64 * p) as usize).min(op.lat.len().saturating_sub(1)))
                .map_or(f64::NAN, |&us| us as f64 / 1000.0)
        };
        unexpected += op.errors;
        println!(
            "| {name} | {} | {} | {} | {:.1} | {:.1} |",
            op.lat.len() as u64 + op.errors + op.expected,
            op.errors,
            op.expected,
            pct(0.50),
            pct(0.99)
        );
    }
    println!("\nsubscription events received: {events}; pipeline runs: {runs}");
    println!(
        "tickets created: {created}; lost: {lost}; duplicated: {duplicated} (board checked {:.1} s after the load stopped)\n",
        waited.as_secs_f64()
    );
    println!("| minute | RSS MB | open fds |");
    println!("| ---: | ---: | ---: |");
    for (m, rss, fds) in samples {
        println!("| {m} | {rss:.1} | {fds} |");
    }
    let base = samples
        .iter()
        .find(|s| s.0 == 5)
        .or(samples.get(1))
        .copied();
    if let (Some(base), Some(last)) = (base, samples.last()) {
        println!(
            "\nRSS growth from minute {} to {}: {:+.1}% ; open fds {} -> {}",
            base.0,
            last.0,
            (last.1 / base.1 - 1.0) * 100.0,
            base.2,
            last.2
        );
    }
    for (name, op) in ops.iter() {
        if let Some(e) = &op.first_error {
            println!("first unexpected error, {name}: {e}");
        }
    }
    println!(
        "\nclient-visible errors not caused by an injected fault: {unexpected}{}",
        if unexpected == 0 && lost == 0 && duplicated == 0 {
            " (target met)"
        } else {
            ""
        }
    );
}
