//! Benchmark: `tickets(first: 50)` for one client with 10,000 tickets in the
//! database, over 64 concurrent keep-alive connections on loopback.
//!
//! ```sh
//! cargo run --release --example bench_tickets -- --seconds 20
//! # the cost of sharing: then two replicas, every request paying the shared limit
//! cargo run --release --example bench_tickets -- --seconds 10 --compare-sharing \
//!     --database-url postgres://postgres@127.0.0.1:5432/bench_tickets
//! ```
//!
//! Self-contained: boots bridgeboard in sandbox mode with a fresh SQLite file
//! (or `--database-url postgres://…`), lets the startup sync import a 10k
//! ticket board that belongs to a single client, signs that client in through
//! the magic-link mail, then drives the load and prints req/s, p50 and p99.
//! Server and load generator share the machine's cores.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use bridgeboard::{Application, Config};
use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// The same allocator as the server binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Extra server settings, e.g. `--env CACHE_RESPONSE_TTL_MS=0` to measure
    /// with the response cache off.
    #[arg(long = "env", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Edits per second to one of the client's tickets during the run, each
    /// invalidating the client's cached pages (a live portal, not a frozen one).
    #[arg(long, default_value_t = 0)]
    churn: u32,
    /// After the usual run, the same load again through two replicas with
    /// API keys, every request paying the shared rate limit (PostgreSQL, or
    /// Redis with `--env REDIS_URL=…`); prints both and their ratio.
    #[arg(long)]
    compare_sharing: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
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
    let mut vars: Vec<(String, String)> = [
        ("PORT", "0".to_owned()),
        ("DATABASE_URL", db_url),
        ("DATA_DIR", dir.path().display().to_string()),
        ("ADMIN_USER", "admin".to_owned()),
        ("ADMIN_PASSWORD", "bench-admin-password".to_owned()),
        ("SANDBOX_TICKETS", args.tickets.to_string()),
        ("SANDBOX_CLIENTS", "1".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(args.vars.iter().cloned());
    let config = Config::from_vars(vars)?;
    let app = Application::build(config).await?;
    let port = app.port();
    let base = format!("http://127.0.0.1:{port}");
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();

    let token = sign_in_the_client(&http, &base, &state, args.tickets).await?;
    let body = json!({ "query": args.query.as_deref().unwrap_or(QUERY) }).to_string();
    let token = if args.anonymous { String::new() } else { token };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let targets = vec![(addr, Arc::new(raw_request(addr, &token, &body)))];

    if args.churn > 0 {
        tokio::spawn(churn(http.clone(), base.clone(), token.clone(), args.churn));
    }
    eprintln!("warming up for {} s…", args.warmup_seconds);
    run_load(
        &targets,
        args.connections,
        Duration::from_secs(args.warmup_seconds),
    )
    .await?;
    let label = format!(
        "{}, {} tickets, {} connections",
        args.query.as_deref().unwrap_or("tickets(first: 50)"),
        args.tickets,
        args.connections
    );
    let alone = measure(&label, &targets, &args).await?;
    if args.compare_sharing {
        let targets = sharing_targets(&http, &base, &state, &body, args.connections).await?;
        run_load(
            &targets,
            args.connections,
            Duration::from_secs(args.warmup_seconds),
        )
        .await?;
        let label = format!(
            "{label}, 2 replicas, an API key per connection, shared limit in {}",
            state.limits.store_name()
        );
        let shared = measure(&label, &targets, &args).await?;
        println!(
            "two replicas with the shared limit / one replica without: {:.2}x",
            shared / alone
        );
    }
    Ok(())
}

/// One measured run; prints it and returns its req/s.
async fn measure(
    label: &str,
    targets: &[(SocketAddr, Arc<Vec<u8>>)],
    args: &Args,
) -> anyhow::Result<f64> {
    eprintln!(
        "measuring for {} s with {} connections…",
        args.seconds, args.connections
    );
    let started = Instant::now();
    let mut lat = run_load(targets, args.connections, Duration::from_secs(args.seconds)).await?;
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    let rate = lat.len() as f64 / elapsed;
    println!(
        "{label}: {rate:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests in {:.1} s)",
        pct(0.50),
        pct(0.99),
        lat.len(),
        elapsed
    );
    Ok(rate)
}

/// A second replica of the server on the same database and simulators, and
/// one API key per connection (a key's budget is at most 100,000 a minute),
/// the connections alternating between the two replicas.
async fn sharing_targets(
    http: &reqwest::Client,
    base: &str,
    state: &bridgeboard::state::AppState,
    body: &str,
    connections: usize,
) -> anyhow::Result<Vec<(SocketAddr, Arc<Vec<u8>>)>> {
    let first_port = state.config.server.public_url.port().context("port")?;
    let mut config = (*state.config).clone();
    config.server.port = 0;
    let _ = config.server.public_url.set_port(Some(0));
    let second = Application::build(config).await?;
    let addrs = [
        SocketAddr::from(([127, 0, 0, 1], first_port)),
        SocketAddr::from(([127, 0, 0, 1], second.port())),
    ];
    tokio::spawn(second.run_until(std::future::pending()));
    let login: Value = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "mutation { login(username:\"admin\", password:\"bench-admin-password\") { token } }" }))
        .send()
        .await?
        .json()
        .await?;
    let admin = login["data"]["login"]["token"]
        .as_str()
        .context("admin login")?
        .to_owned();
    let mut targets = Vec::new();
    for n in 0..connections {
        let made: Value = http
            .post(format!("{base}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({
                "query": "mutation($n: String!) { createApiKey(input: { name: $n, permission: READ_ONLY, rateLimitPerMinute: 100000 }) { key } }",
                "variables": { "n": format!("bench {n}") },
            }))
            .send()
            .await?
            .json()
            .await?;
        let key = made["data"]["createApiKey"]["key"]
            .as_str()
            .with_context(|| format!("createApiKey: {made}"))?;
        let addr = addrs[n % 2];
        targets.push((addr, Arc::new(raw_key_request(addr, key, body))));
    }
    Ok(targets)
}

/// Renames the client's newest ticket `per_sec` times a second, as the client.
async fn churn(http: reqwest::Client, base: String, token: String, per_sec: u32) {
    let post = |body: Value| {
        http.post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let newest = json!({ "query": "{ tickets(first: 1) { edges { node { id } } } }" });
    let v = match post(newest).await {
        Ok(r) => r.json::<Value>().await.unwrap_or_default(),
        Err(e) => {
            eprintln!("churn: {e}");
            return;
        }
    };
    let Some(id) = v["data"]["tickets"]["edges"][0]["node"]["id"].as_str() else {
        eprintln!("churn: no ticket in {v}");
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_sec);
    for n in 0u64.. {
        tick.tick().await;
        let edit = json!({
            "query": "mutation($id: ID!, $t: String!) { updateTicket(id: $id, input: { title: $t }) { id } }",
            "variables": { "id": id, "t": format!("Edited {n}") },
        });
        if let Err(e) = post(edit).await {
            eprintln!("churn: {e}");
        }
    }
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

/// Closed loop, wrk-style: each connection is a raw keep-alive socket that
/// sends the next request when the last response has fully arrived. The
/// request bytes are built once, so what is measured is the server's work and
/// the kernel's, not a client library's. Returns every latency in
/// microseconds.
async fn run_load(
    targets: &[(SocketAddr, Arc<Vec<u8>>)],
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Vec<u64>> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for n in 0..connections {
        let (addr, request) = targets[n % targets.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut lat = Vec::with_capacity(100_000);
            let mut expected_len = None;
            while Instant::now() < deadline {
                let t = Instant::now();
                stream.write_all(&request).await?;
                let (status, body) = read_response(&mut stream, &mut buf).await?;
                lat.push(t.elapsed().as_micros() as u64);
                anyhow::ensure!(status == 200, "HTTP {status}");
                // An answer is checked in full when its size differs from
                // the last one checked (the first, or after a --churn edit).
                if expected_len != Some(body.len()) {
                    let v: Value = serde_json::from_slice(&buf[body.clone()])?;
                    anyhow::ensure!(v.get("errors").is_none(), "request failed: {v}");
                    expected_len = Some(body.len());
                }
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

/// Reads one HTTP/1.1 response into `buf`; returns its status and where its
/// body lies in `buf`.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<(u16, std::ops::Range<usize>)> {
    buf.clear();
    loop {
        if stream.read_buf(buf).await? == 0 {
            bail!("the server closed the connection");
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut head = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head_len) = head.parse(buf)? else {
            continue;
        };
        let status = head.code.unwrap_or(0);
        let len: usize = head
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
            .context("a response without content-length")?;
        while buf.len() < head_len + len {
            if stream.read_buf(buf).await? == 0 {
                bail!("the server closed the connection mid-body");
            }
        }
        return Ok((status, head_len..head_len + len));
    }
}

/// The bytes of one `POST /graphql` request with an API key.
fn raw_key_request(addr: SocketAddr, key: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\nx-api-key: {key}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The bytes of one `POST /graphql` request.
fn raw_request(addr: SocketAddr, token: &str, body: &str) -> Vec<u8> {
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("authorization: Bearer {token}\r\n")
    };
    format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
