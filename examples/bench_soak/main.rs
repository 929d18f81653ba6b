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

mod load;
mod report;
mod setup;

use load::*;
use report::*;
use setup::*;

#[derive(Parser)]
pub(crate) struct Args {
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

pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "soak-admin-password";
pub(crate) const READ_LIST: &str =
    "query { tickets(first: 20) { edges { node { id number title status syncState } } } }";
pub(crate) const READ_ONE: &str =
    "query($id: ID!) { ticket(id: $id) { id title status comments { body } } }";
pub(crate) const CREATE: &str =
    "mutation($t: String!) { createTicket(input: { title: $t }) { id } }";
pub(crate) const SUBSCRIBE: &str =
    "subscription { ticketUpdates { kind ticket { id syncState } } }";

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
