//! Benchmark: the data hub pipeline against the sandbox upstreams.
//!
//! ```sh
//! cargo run --release --example bench_pipeline -- --leads 100000
//! cargo run --release --example bench_pipeline -- --leads 100000 --constrained-budget 2000000
//! cargo run --release --example bench_pipeline -- --calendly-events 2000 --skip-leads
//! ```
//!
//! Leads: a full sync of an N-item board with the budget at the real
//! 10,000,000 per minute, against the ideal the budget allows: the same sync
//! with an unlimited budget (the pure work), plus every minute the budget
//! forces one to wait (from the complexity the pages really cost). Then 1% of
//! the items change and an incremental run reports how much of the board it
//! read. Calendly: a full read of E events with 3 invitees each at the real
//! rate limit (500 requests a minute), against the time that limit allows
//! for the requests it took.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bridgeboard::pipeline::{Mode, PipelineService, RunStatus, Trigger};
use bridgeboard::sandbox::{Sandbox, SandboxHandle, SandboxOptions};
use bridgeboard::state::AppState;
use bridgeboard::{Application, Config};
use clap::Parser;
use serde_json::{Map, Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    leads: usize,
    /// The real per-minute complexity budget of a personal token.
    #[arg(long, default_value_t = 10_000_000)]
    budget: u64,
    /// Also sync under this smaller budget, to see the pacing at work.
    #[arg(long)]
    constrained_budget: Option<u64>,
    /// Percent of the items changed before the incremental run.
    #[arg(long, default_value_t = 1.0)]
    changed_percent: f64,
    #[arg(long, default_value_t = 2_000)]
    calendly_events: usize,
    #[arg(long, default_value_t = 3)]
    invitees_per_event: usize,
    #[arg(long, default_value_t = 500)]
    calendly_rate_limit: u32,
    #[arg(long)]
    skip_leads: bool,
    #[arg(long)]
    skip_calendly: bool,
    #[arg(long)]
    database_url: Option<String>,
    /// Runs of each full sync; the median is reported (runs on this kind of
    /// machine vary by about 10%).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An app on a fresh database, pulling from `sandbox`: the leads board or
/// Calendly, as asked.
/// A running app; it stops when this is dropped, so finished runs' apps
/// never compete with the one measured.
struct Running {
    state: AppState,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn app(
    sandbox: &SandboxHandle,
    db_url: Option<&str>,
    leads: bool,
    calendly: bool,
) -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let url = db_url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let mut vars = vec![
        ("PORT", "0".to_owned()),
        ("DATABASE_URL", url),
        ("DATA_DIR", dir.path().display().to_string()),
        ("ADMIN_USER", "admin".to_owned()),
        ("ADMIN_PASSWORD", "bench-admin-password".to_owned()),
        ("PIPELINE_RUN_ON_STARTUP", "false".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
        ("MONDAY_API_URL", sandbox.monday_url().to_owned()),
        ("MONDAY_API_TOKEN", sandbox.monday_token().to_owned()),
        // Never let one call wait less than a whole budget window.
        ("MONDAY_MAX_RATE_LIMIT_WAIT_MS", "65000".to_owned()),
    ];
    if leads {
        vars.push((
            "MONDAY_LEADS_BOARD_ID",
            sandbox.leads_board_id().to_string(),
        ));
    }
    if calendly {
        vars.push(("CALENDLY_API_URL", sandbox.calendly_url().to_owned()));
        vars.push(("CALENDLY_ACCESS_TOKEN", sandbox.calendly_token().to_owned()));
    }
    let config = Config::from_vars(vars)?;
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        state,
        _dir: dir,
        _stop: stop,
    })
}

/// Runs the pipeline and waits for it; the run's wall time.
async fn run(service: &Arc<PipelineService>, mode: Mode) -> anyhow::Result<(Duration, Value)> {
    let started = Instant::now();
    let s = service.start(Trigger::Manual, mode, None).await?;
    loop {
        let run = service.run(s.run.id).await?.context("the run vanished")?;
        if run.status != RunStatus::Running.code() {
            let took = started.elapsed();
            if run.status != RunStatus::Succeeded.code() {
                bail!("run {} {}: {:?}", run.number, run.status, run.error);
            }
            return Ok((took, serde_json::from_str(&run.stats)?));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn stream(stats: &Value, name: &str) -> Value {
    stats
        .as_array()
        .and_then(|s| s.iter().find(|x| x["stream"] == name).cloned())
        .unwrap_or(Value::Null)
}

/// The waiting a budget of `per_minute` forces on work costing `total`: one
/// whole window for every budget the work spends beyond the first.
fn forced_wait(total: u64, per_minute: u64) -> Duration {
    let windows = total.div_ceil(per_minute.max(1)).saturating_sub(1);
    Duration::from_secs(60 * windows)
}

async fn leads(args: &Args) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(SandboxOptions {
        leads: args.leads,
        events: 1,
        tickets: 0,
        clients: 1,
        monday_complexity_budget: u64::MAX / 4,
        ..SandboxOptions::default()
    })
    .await?;
    let sim = sandbox.monday();
    println!("## Leads: full sync of a {}-item board", args.leads);

    if args.database_url.is_some() {
        bail!("--database-url needs an empty database per run; the leads part uses SQLite files");
    }
    // The pure work (a budget that never binds) and the real budget,
    // alternated so that drift on the machine hits both alike.
    let unlimited = u64::MAX / 4;
    let (mut works, mut took) = (Vec::new(), Vec::new());
    let (mut cost, mut refused, mut waited, mut fetched) = (0, 0, 0.0, Value::Null);
    let mut kept = None;
    for _ in 0..args.repeat.max(1) {
        for budget in [unlimited, args.budget] {
            sim.set_complexity_budget(budget);
            // Each run starts with the account's budget unspent.
            sim.reset_complexity_window();
            let before = sim.budget_refusals();
            let running = app(&sandbox, None, true, false).await?;
            let pipeline = running.state.pipeline.clone().context("pipeline")?;
            let monday = running.state.monday.clone().context("monday")?;
            let (t, stats) = run(&pipeline, Mode::Full).await?;
            if budget == unlimited {
                works.push(t);
                cost = monday.complexity_spent();
            } else {
                took.push(t);
                refused += sim.budget_refusals() - before;
                waited = monday.budget_waited().as_secs_f64();
                fetched = stream(&stats, "leads")["fetched"].clone();
                kept = Some(running);
            }
        }
    }
    let secs = |v: &[Duration]| {
        v.iter()
            .map(|w| format!("{:.2}", w.as_secs_f64()))
            .collect::<Vec<_>>()
    };
    let work = median(works.clone());
    let pages = args.leads.div_ceil(500);
    println!(
        "unlimited budget: {:.2} s (runs {:?}); {} pages, complexity {} in all ({} a page)",
        work.as_secs_f64(),
        secs(&works),
        pages,
        cost,
        cost / pages as u64
    );
    let t = median(took.clone());
    let ideal = work + forced_wait(cost, args.budget);
    println!(
        "budget {}/min: {:.2} s (runs {:?}), ideal {:.2} s, ratio {:.3}; 429s: {refused}; waited {waited:.1} s; fetched {fetched}",
        args.budget,
        t.as_secs_f64(),
        secs(&took),
        ideal.as_secs_f64(),
        t.as_secs_f64() / ideal.as_secs_f64(),
    );

    // A budget that binds: once is enough, each run takes minutes.
    if let Some(budget) = args.constrained_budget {
        sim.set_complexity_budget(budget);
        sim.reset_complexity_window();
        let before = sim.budget_refusals();
        let running = app(&sandbox, None, true, false).await?;
        let pipeline = running.state.pipeline.clone().context("pipeline")?;
        let (t, stats) = run(&pipeline, Mode::Full).await?;
        let waited = running
            .state
            .monday
            .as_ref()
            .map_or(0.0, |m| m.budget_waited().as_secs_f64());
        // The run cannot end before the last window opens, and after it
        // still has the work that window's share of the complexity costs.
        let windows = forced_wait(cost, budget).as_secs() / 60;
        let left = cost.saturating_sub(windows * budget) as f64 / cost.max(1) as f64;
        let ideal = forced_wait(cost, budget) + work.mul_f64(left);
        println!(
            "budget {budget}/min: {:.2} s, ideal {:.2} s ({} forced windows, then the work of the last {:.0}%), ratio {:.3}; 429s: {}; waited {waited:.1} s; fetched {}",
            t.as_secs_f64(),
            ideal.as_secs_f64(),
            windows,
            100.0 * left,
            t.as_secs_f64() / ideal.as_secs_f64(),
            sim.budget_refusals() - before,
            stream(&stats, "leads")["fetched"],
        );
    }
    let pipeline = kept
        .as_ref()
        .and_then(|k| k.state.pipeline.clone())
        .context("one budgeted run")?;

    // 1% of the board changes; the incremental run reads what changed.
    sim.set_complexity_budget(args.budget);
    sim.reset_complexity_window();
    let board = sandbox.leads_board_id();
    let ids = sim.board_item_ids(board);
    let n = ((ids.len() as f64) * args.changed_percent / 100.0).round() as usize;
    let step = (ids.len() / n.max(1)).max(1);
    let mut cols = Map::new();
    cols.insert("Company".to_owned(), json!("Changed Inc"));
    for id in ids.iter().step_by(step).take(n) {
        sim.staff_set_columns(*id, &cols)?;
    }
    sim.reset_items_served(board);
    let (took, stats) = run(&pipeline, Mode::Incremental).await?;
    let served = sim.items_served(board);
    println!(
        "incremental after {n} changes: {:.2} s; read {served} items = {:.2}% of the board; updated {}",
        took.as_secs_f64(),
        100.0 * served as f64 / ids.len() as f64,
        stream(&stats, "leads")["updated"],
    );
    Ok(())
}

async fn calendly(args: &Args) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(SandboxOptions {
        leads: 1,
        tickets: 0,
        clients: 1,
        events: args.calendly_events,
        calendly_invitees_per_event: Some(args.invitees_per_event),
        calendly_rate_limit: args.calendly_rate_limit,
        ..SandboxOptions::default()
    })
    .await?;
    println!(
        "## Calendly: {} events with {} invitees each, at {} requests a minute",
        args.calendly_events, args.invitees_per_event, args.calendly_rate_limit
    );
    let running = app(&sandbox, args.database_url.as_deref(), false, true).await?;
    let pipeline = running.state.pipeline.clone().context("pipeline")?;
    let client = running.state.calendly.clone().context("calendly")?;
    let (took, stats) = run(&pipeline, Mode::Full).await?;
    let requests = client.requests_sent();
    // The limit allows `limit` requests a minute: this many take at least
    // the whole minutes before the last window.
    let ideal = forced_wait(requests, u64::from(args.calendly_rate_limit));
    println!(
        "{:.1} s for {requests} requests; the limit allows it in {:.1} s; ratio {:.3}; events {}, invitees {}",
        took.as_secs_f64(),
        ideal.as_secs_f64(),
        took.as_secs_f64() / ideal.as_secs_f64().max(1.0),
        stream(&stats, "calendly_events")["fetched"],
        stream(&stats, "calendly_invitees")["fetched"],
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::tls::install_crypto_provider();
    if !args.skip_leads {
        leads(&args).await?;
    }
    if !args.skip_calendly {
        calendly(&args).await?;
    }
    Ok(())
}
