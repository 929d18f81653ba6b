//! Benchmark: what one rate-limit decision costs a request, in each store
//! (memory, PostgreSQL, Redis), measured in the same run: 16 concurrent
//! callers spending from 100 API keys' budgets for a few seconds each.
//!
//! ```sh
//! cargo run --release --example bench_limits -- \
//!     --postgres postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bridgeboard::config::LimitsConfig;
use bridgeboard::limits::{Limits, OnOutage};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    postgres: Option<String>,
    #[arg(long)]
    redis: Option<String>,
    #[arg(long, default_value_t = 16)]
    callers: usize,
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::startup::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}/limits.db?mode=rwc", dir.path().display());
    let memory_db = connect(&sqlite).await?;
    measure(
        "memory (SQLite deployments)",
        Limits::new(&LimitsConfig::default(), &memory_db)?,
        &args,
    )
    .await;
    if let Some(pg) = &args.postgres {
        let name = format!("bench_limits_{}", std::process::id());
        let admin = Database::connect(pg).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let mut url = url::Url::parse(pg)?;
        url.set_path(&format!("/{name}"));
        let db = connect(url.as_str()).await?;
        measure(
            "PostgreSQL (no REDIS_URL)",
            Limits::new(&LimitsConfig::default(), &db)?,
            &args,
        )
        .await;
        db.close().await.ok();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    if let Some(redis) = &args.redis {
        let cfg = LimitsConfig {
            redis_url: Some(redis.clone().into()),
            fail_open: false,
        };
        measure("Redis (REDIS_URL)", Limits::new(&cfg, &memory_db)?, &args).await;
    }
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let cfg = bridgeboard::config::Config::from_vars([("DATABASE_URL", url)])?;
    let db = bridgeboard::db::connect(&cfg.database)
        .await
        .context("connect")?;
    bridgeboard::db::migrate(&db).await.context("migrate")?;
    Ok(db)
}

async fn measure(name: &str, limits: Limits, args: &Args) {
    let limits = Arc::new(limits);
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.callers)
        .map(|c| {
            let limits = limits.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut n = c;
                while Instant::now() < until {
                    let key = format!("key:bench-{}", n % 100);
                    n += 7;
                    let t = Instant::now();
                    let got = limits
                        .take(&key, 1_000_000, Duration::from_secs(60), OnOutage::Refuse)
                        .await;
                    lat.push(t.elapsed().as_micros() as u64);
                    if got.is_err() {
                        return Err(lat.len());
                    }
                }
                Ok(lat)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        match t.await {
            Ok(Ok(lat)) => all.extend(lat),
            Ok(Err(n)) => {
                println!("{name}: the store failed after {n} decisions");
                return;
            }
            Err(e) => {
                println!("{name}: {e}");
                return;
            }
        }
    }
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)] as f64 / 1000.0;
    println!(
        "{name}: {:.0} decisions/s with {} callers, p50 {:.3} ms, p99 {:.3} ms",
        all.len() as f64 / args.seconds as f64,
        args.callers,
        pct(0.50),
        pct(0.99)
    );
}
