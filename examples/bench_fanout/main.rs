//! Benchmark: subscription fan-out. 1,000 clients hold one
//! graphql-transport-ws socket each with 10 `ticketUpdates` subscriptions
//! (10,000 in all) while Monday webhooks arrive at 100 a second, each a
//! staff rename of a random ticket. For every webhook it measures the time
//! to the last of the owner's 10 frames, from the webhook's receipt (a tap
//! notes it on its way to the server) and from the staff edit; checks that
//! every frame reached its own client's subscriptions and nobody else's;
//! and reads the server's RSS per open subscription.
//!
//! ```sh
//! cargo build --release --bin bridgeboard --example bench_fanout
//! target/release/examples/bench_fanout                      # one replica, SQLite
//! target/release/examples/bench_fanout --replicas 2 \
//!     --postgres postgres://postgres@127.0.0.1:5432/postgres # webhooks to A, sockets on B
//! ```
//!
//! The server runs as its own process (`bridgeboard serve`, in sandbox
//! mode), so its RSS is its own; with two replicas the second is a plain
//! deployment pointed at the first one's simulated Monday, and every socket
//! sits on it, so each frame crosses replicas through PostgreSQL.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use bridgeboard::auth::jwt;
use bridgeboard::auth::keys::JwtKeys;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[path = "../support/server.rs"]
mod server;
mod tap;

use server::{Server, free_port};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    subscriptions: usize,
    /// Webhooks per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// 1, or 2 (needs --postgres): sockets on the second, webhooks to the first.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// A PostgreSQL server URL; a fresh database is made on it.
    #[arg(long)]
    postgres: Option<String>,
}

const SECRET: &str = "bench-fanout-jwt-secret-0123456789abcdef";
const PASSWORD: &str = "bench-fanout-admin-password";
const SUBSCRIBE: &str = "subscription { ticketUpdates { kind ticket { id title } } }";

/// The server's resident set now, in KiB.
fn rss_kib(server: &Server) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("VmRSS")
}

async fn start(envs: Vec<(&str, String)>, dir: &std::path::Path) -> anyhow::Result<Server> {
    let mut envs = envs;
    envs.push(("JWT_SECRET_KEY", SECRET.to_owned()));
    envs.push(("RUST_LOG", "warn".to_owned()));
    server::start(envs, dir, Stdio::inherit(), Duration::from_secs(300)).await
}

/// The database URL for the run: a fresh PostgreSQL database, or SQLite.
async fn database(args: &Args, dir: &std::path::Path) -> anyhow::Result<String> {
    let Some(pg) = &args.postgres else {
        return Ok(format!("sqlite://{}/fanout.db?mode=rwc", dir.display()));
    };
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("bench_fanout_{}", std::process::id());
    let admin = Database::connect(pg).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let mut url = url::Url::parse(pg)?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

struct Ticket {
    id: String,
    item: u64,
    client: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::startup::install_crypto_provider();
    if args.replicas == 2 && args.postgres.is_none() {
        bail!("two replicas share PostgreSQL: pass --postgres");
    }
    let dir = tempfile::tempdir()?;
    let db = database(&args, dir.path()).await?;
    let sandbox_port = free_port()?;
    let tickets_total = args.clients * 2;
    eprintln!(
        "starting the server ({} clients, {tickets_total} tickets)…",
        args.clients
    );
    let a = start(
        vec![
            ("DATABASE_URL", db.clone()),
            ("DATABASE_MAX_CONNECTIONS", "16".to_owned()),
            ("ADMIN_USER", "admin".to_owned()),
            ("ADMIN_PASSWORD", PASSWORD.to_owned()),
            ("SANDBOX_PORT", sandbox_port.to_string()),
            ("SANDBOX_CLIENTS", args.clients.to_string()),
            ("SANDBOX_TICKETS", tickets_total.to_string()),
            ("SANDBOX_LEADS", "10".to_owned()),
            ("PIPELINE_RUN_ON_STARTUP", "false".to_owned()),
        ],
        dir.path(),
    )
    .await?;
    let http = reqwest::Client::new();
    let control = format!("http://127.0.0.1:{sandbox_port}/_sandbox");
    let info: Value = http.get(&control).send().await?.json().await?;
    let b = if args.replicas == 2 {
        let bdir = dir.path().join("b");
        std::fs::create_dir_all(&bdir)?;
        Some(
            start(
                vec![
                    ("DATABASE_URL", db.clone()),
                    ("DATABASE_MAX_CONNECTIONS", "16".to_owned()),
                    ("MONDAY_API_TOKEN", str_of(&info, "monday_token")?),
                    ("MONDAY_API_URL", str_of(&info, "monday_url")?),
                    (
                        "MONDAY_TICKETS_BOARD_ID",
                        info["tickets_board_id"].to_string(),
                    ),
                ],
                &bdir,
            )
            .await?,
        )
    } else {
        None
    };
    let sockets_on = b.as_ref().unwrap_or(&a);

    let (tickets, client_ids) = import(&http, &a.base, tickets_total).await?;
    let owners: Vec<Vec<usize>> = {
        let mut o = vec![Vec::new(); client_ids.len()];
        for (i, t) in tickets.iter().enumerate() {
            o[t.client].push(i);
        }
        o
    };
    // Monday's rename webhooks now pass the tap on their way to the server.
    let (tap_url, received) = tap::start(&a.base).await?;
    tap::divert(
        &http,
        &str_of(&info, "monday_url")?,
        &str_of(&info, "monday_token")?,
        &info["tickets_board_id"].to_string(),
        &tap_url,
    )
    .await?;
    let keys = JwtKeys::from_secret(SECRET.as_bytes());
    if client_ids.len() < args.clients {
        bail!("only {} clients were imported", client_ids.len());
    }

    let rss_before = rss_kib(sockets_on)?;
    eprintln!(
        "opening {} sockets × {} subscriptions on {}…",
        args.clients, args.subscriptions, sockets_on.base
    );
    let arrivals: Arc<Mutex<HashMap<u64, Vec<Instant>>>> = Arc::default();
    let strays = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let ws_url = format!("{}/graphql/ws", sockets_on.base.replace("http", "ws"));
    let mut readers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(args.clients);
    for (n, (client_id, portal)) in client_ids.iter().enumerate().take(args.clients) {
        let token = jwt::issue_client(&keys, *client_id, portal, 24)
            .map_err(|e| anyhow!("{e:?}"))?
            .token;
        let own: Vec<String> = owners
            .get(n)
            .map(|ix| ix.iter().map(|i| tickets[*i].id.clone()).collect())
            .unwrap_or_default();
        let (url, subs) = (ws_url.clone(), args.subscriptions);
        let (arrivals, strays, ready) = (arrivals.clone(), strays.clone(), ready_tx.clone());
        readers.push(tokio::spawn(async move {
            if let Err(e) = client(url, token, subs, own, arrivals, strays, ready).await {
                eprintln!("client {n}: {e:#}");
            }
        }));
    }
    drop(ready_tx);
    let mut open = 0;
    while ready_rx.recv().await.is_some() {
        open += 1;
    }
    if open != args.clients {
        bail!("only {open} of {} sockets opened", args.clients);
    }
    // Subscriptions start as their `subscribe` is read; let them settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(sockets_on)?;
    let subs = (args.clients * args.subscriptions) as f64;
    let per_sub_kib = (rss_after.saturating_sub(rss_before)) as f64 / subs;

    eprintln!(
        "sending {} webhooks a second for {} s…",
        args.rate, args.seconds
    );
    let mut sent: HashMap<u64, (Instant, usize)> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate);
    let total = u64::from(args.rate) * args.seconds;
    let mut rng_state = 0x9e37_79b9_7f4a_7c15_u64;
    for seq in 0..total {
        tick.tick().await;
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let t = &tickets[(rng_state % tickets.len() as u64) as usize];
        let at = Instant::now();
        sent.insert(seq, (at, t.client));
        let http = http.clone();
        let url = format!("{control}/monday/items/{}", t.item);
        tokio::spawn(async move {
            let edit = json!({ "name": format!("fanout {seq}") });
            if let Err(e) = http.patch(url).json(&edit).send().await {
                eprintln!("staff edit {seq}: {e}");
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let arrivals = arrivals.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    let received = received.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    let (mut from_edit, mut from_receipt) = (Vec::new(), Vec::new());
    let (mut missing, mut extra) = (0u64, 0u64);
    for (seq, (at, _)) in &sent {
        match arrivals.get(seq) {
            Some(frames) if frames.len() == args.subscriptions => {
                let last = frames.iter().max().copied().unwrap_or(*at);
                from_edit.push(last.saturating_duration_since(*at));
                if let Some(got) = received.get(seq) {
                    from_receipt.push(last.saturating_duration_since(*got));
                }
            }
            Some(frames) if frames.len() > args.subscriptions => extra += 1,
            _ => missing += 1,
        }
    }
    let (receipt, edit) = (percentiles(&mut from_receipt), percentiles(&mut from_edit));
    println!(
        "{} replica(s), {} subscriptions on {} sockets, {}/s webhooks for {} s: from webhook receipt to the last frame {receipt}; from the staff edit {edit}; {} of {} webhooks reached all their owner's subscriptions ({} short, {} over), {} frames to a client that did not own the ticket; RSS {} -> {} KiB = {:.1} KiB per subscription",
        args.replicas,
        args.clients * args.subscriptions,
        args.clients,
        args.rate,
        args.seconds,
        from_edit.len(),
        sent.len(),
        missing,
        extra,
        strays.load(std::sync::atomic::Ordering::Relaxed),
        rss_before,
        rss_after,
        per_sub_kib,
    );
    // Where the time goes: the server's own count of webhook handling times
    // (the Monday re-read and the write, before the frames go out).
    let metrics = http
        .get(format!("{}/metrics", a.base))
        .send()
        .await?
        .text()
        .await?;
    let handled: Vec<String> = metrics
        .lines()
        .filter(|l| l.contains("route=\"/webhooks/monday\"") && l.contains("_bucket"))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let n = l.rsplit(' ').next()?;
            Some(format!("≤{le}s: {n}"))
        })
        .collect();
    println!(
        "webhook requests handled, cumulative: {}",
        handled.join(", ")
    );
    for r in readers {
        r.abort();
    }
    Ok(())
}

/// `p50 … ms, p99 … ms, max … ms` of `d`.
fn percentiles(d: &mut [Duration]) -> String {
    d.sort_unstable();
    let pct = |p: f64| {
        d.get(((d.len() as f64 * p) as usize).min(d.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    )
}

fn str_of(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no {key} in {v}"))
}

async fn admin_token(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let login = json!({
        "query": "mutation($p: String!) { login(username: \"admin\", password: $p) { token } }",
        "variables": { "p": PASSWORD },
    });
    let v: Value = http
        .post(format!("{base}/graphql"))
        .json(&login)
        .send()
        .await?
        .json()
        .await?;
    str_of(&v["data"]["login"], "token")
}

/// Every query page of `field`, as admin.
async fn pages(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    field: &str,
    selection: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = json!({
            "query": format!("query($a: String) {{ {field}(first: 100, after: $a) {{ edges {{ node {{ {selection} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"),
            "variables": { "a": after },
        });
        let v: Value = http
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&q)
            .send()
            .await?
            .json()
            .await?;
        let page = &v["data"][field];
        let edges = page["edges"]
            .as_array()
            .ok_or_else(|| anyhow!("{field}: {v}"))?;
        out.extend(edges.iter().map(|e| e["node"].clone()));
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(out);
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// Waits for the startup sync to import the board; the tickets that have a
/// client, with their Monday items.
async fn import(
    http: &reqwest::Client,
    base: &str,
    want: usize,
) -> anyhow::Result<(Vec<Ticket>, Vec<(uuid::Uuid, String)>)> {
    let token = admin_token(http, base).await?;
    let mut nodes = Vec::new();
    for _ in 0..600 {
        nodes = pages(
            http,
            base,
            &token,
            "tickets",
            "id mondayItemId client { id }",
        )
        .await?;
        if nodes.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let clients = clients(http, base).await?;
    let index: HashMap<String, usize> = clients
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.to_string(), i))
        .collect();
    let tickets: Vec<Ticket> = nodes
        .iter()
        .filter_map(|n| {
            Some(Ticket {
                id: n["id"].as_str()?.to_owned(),
                item: n["mondayItemId"].as_str()?.parse().ok()?,
                client: *index.get(n["client"]["id"].as_str()?)?,
            })
        })
        .collect();
    if tickets.is_empty() {
        bail!("no ticket with a client was imported");
    }
    eprintln!(
        "{} tickets of {} clients imported",
        tickets.len(),
        clients.len()
    );
    Ok((tickets, clients))
}

async fn clients(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
    let token = admin_token(http, base).await?;
    pages(http, base, &token, "clients", "id portalId")
        .await?
        .iter()
        .map(|n| Ok((str_of(n, "id")?.parse()?, str_of(n, "portalId")?)))
        .collect()
}

/// One client's socket: its subscriptions, then every frame recorded by the
/// webhook it answers (`fanout N` in the title), and counted as a stray if
/// the ticket is not the client's.
async fn client(
    url: String,
    token: String,
    subscriptions: usize,
    own: Vec<String>,
    arrivals: Arc<Mutex<HashMap<u64, Vec<Instant>>>>,
    strays: Arc<std::sync::atomic::AtomicU64>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    ws.send(Message::Text(init.to_string().into())).await?;
    loop {
        let Some(msg) = ws.next().await else {
            bail!("closed before its ack")
        };
        if let Message::Text(t) = msg? {
            let v: Value = serde_json::from_str(&t)?;
            if v["type"] == "connection_ack" {
                break;
            }
            bail!("refused: {v}");
        }
    }
    for i in 0..subscriptions {
        let sub =
            json!({ "id": i.to_string(), "type": "subscribe", "payload": { "query": SUBSCRIBE } });
        ws.send(Message::Text(sub.to_string().into())).await?;
    }
    ready.send(()).await.ok();
    drop(ready);
    while let Some(msg) = ws.next().await {
        let Message::Text(t) = msg? else { continue };
        let now = Instant::now();
        let v: Value = serde_json::from_str(&t)?;
        if v["type"] != "next" {
            continue;
        }
        let ticket = &v["payload"]["data"]["ticketUpdates"]["ticket"];
        if !own.iter().any(|id| ticket["id"] == id.as_str()) {
            strays.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let seq = ticket["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("fanout "))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(seq) = seq
            && let Ok(mut a) = arrivals.lock()
        {
            a.entry(seq).or_default().push(now);
        }
    }
    Ok(())
}
