//! Benchmark: the combined leads CSV and the Parquet export of a large
//! snapshot, from the server binary, against the database's own export of
//! the same rows.
//!
//! ```sh
//! cargo build --release --bin bridgeboard
//! cargo run --release --example bench_export -- --rows 1000000
//! cargo run --release --example bench_export -- --rows 1000000 \
//!     --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```
//!
//! For each size (10,000 rows, then `--rows`) it writes a published
//! snapshot of that many leads (ten board columns of the usual kinds) into
//! a fresh database, starts `target/release/bridgeboard serve` on it as its
//! own process (configured as a deployment, without the simulators), and
//! downloads `/api/combined_csv` and
//! `/api/export/leads.parquet` as staff: MB/s, and the server's peak RSS
//! (VmHWM) after the downloads. In the same run, the database's own CSV of
//! the same rows (`sqlite3 -csv`, or `COPY … TO STDOUT WITH CSV` through
//! `psql`) gives the ratio.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bridgeboard::Config;
use bridgeboard::db::entities::{api_key, lead, lead_column, lead_group, pipeline_run};
use chrono::Utc;
use clap::Parser;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// A PostgreSQL server URL (its database is only used to create ours).
    #[arg(long)]
    postgres: Option<String>,
    /// Only seed `--rows` into this SQLite file and stop (for profiling a
    /// server on it by hand).
    #[arg(long)]
    seed_only: Option<std::path::PathBuf>,
}

const COLUMNS: [(&str, &str, &str); 10] = [
    ("status", "Status", "status"),
    ("email", "Email", "email"),
    ("phone", "Phone", "phone"),
    ("text_company", "Company", "text"),
    ("numbers_deal", "Deal Value", "numbers"),
    ("date_call", "Next Call", "date"),
    ("people_owner", "Owner", "people"),
    ("dropdown_source", "Source", "dropdown"),
    ("long_text_notes", "Notes", "long_text"),
    ("numbers_score", "Score", "numbers"),
];
const GROUPS: [&str; 7] = [
    "Scheduled",
    "Unqualified",
    "Won",
    "Cancelled",
    "Noshow",
    "Proposal",
    "Lost",
];

fn lead_row(i: usize) -> lead::ActiveModel {
    let email = format!("lead{i}@example{}.com", i % 97);
    let company = format!("Company {} Ltd", i % 5_003);
    let deal = format!("{}", (i * 37) % 250_000);
    let day = 1 + i % 28;
    let values = json!({
        "status": {"text": (["Working on it", "Done", "Stuck"][i % 3]), "value": format!("{{\"index\":{}}}", i % 3)},
        "email": {"text": email, "value": format!("{{\"email\":\"{email}\",\"text\":\"{email}\"}}")},
        "phone": {"text": format!("+1 555 {:07}", i), "value": null},
        "text_company": {"text": company, "value": format!("\"{company}\"")},
        "numbers_deal": {"text": deal, "value": format!("\"{deal}\"")},
        "date_call": {"text": format!("2026-11-{day:02}"), "value": format!("{{\"date\":\"2026-11-{day:02}\",\"time\":\"10:30:00\"}}")},
        "people_owner": {"text": (["Ana Rivera", "Sam Okafor", "Lee Chen"][i % 3]), "value": null},
        "dropdown_source": {"text": (["Website", "Referral", "Event"][i % 3]), "value": null},
        "long_text_notes": {"text": if i.is_multiple_of(4) { "Called twice, asked for a proposal, \"urgent\"" } else { "" }, "value": null},
        "numbers_score": {"text": format!("{}.5", i % 100), "value": null},
    });
    lead::ActiveModel {
        item_id: Set(format!("{}", 1_000_000_000 + i)),
        valid_from: Set(1),
        valid_to: Set(None),
        hash: Set(format!("{i:016x}")),
        name: Set(format!("Lead {i}")),
        group_id: Set(format!("group_{}", i % GROUPS.len())),
        email: Set(Some(email.clone())),
        email_key: Set(Some(email)),
        phone: Set(Some(format!("+1 555 {:07}", i))),
        company: Set(Some(company)),
        owner: Set(None),
        created_at: Set(Some(Utc::now())),
        updated_at: Set(Some(Utc::now())),
        column_values: Set(values.to_string()),
    }
}

/// The key the downloads use; only its hash goes into the database.
fn bench_key() -> String {
    format!("bbk_{}", "b".repeat(43))
}

async fn seed(url: &str, rows: usize) -> anyhow::Result<()> {
    let config = Config::from_vars([("DATABASE_URL", url)])?;
    let db = bridgeboard::db::connect(&config.database).await?;
    bridgeboard::db::migrate(&db).await?;
    pipeline_run::Entity::insert(pipeline_run::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        number: Set(1),
        trigger: Set("MANUAL".into()),
        mode: Set("FULL".into()),
        status: Set("SUCCEEDED".into()),
        schedule_slot: Set(None),
        started_at: Set(Utc::now()),
        finished_at: Set(Some(Utc::now())),
        error: Set(None),
        stats: Set("[]".into()),
        progress: Set("[]".into()),
        cancel_requested: Set(false),
    })
    .exec(&db)
    .await?;
    // A key, as an admin would have made: no password hashing in the
    // server (argon2's working memory would dwarf the export's).
    api_key::Entity::insert(api_key::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        name: Set("bench".into()),
        description: Set(None),
        permission: Set("read_only".into()),
        key_hash: Set(bridgeboard::auth::api_keys::sha256_hex(&bench_key())),
        key_prefix: Set(bridgeboard::auth::api_keys::display_prefix(&bench_key())),
        rate_limit_per_minute: Set(100_000),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        expires_at: Set(None),
        last_used_at: Set(None),
        revoked_at: Set(None),
        usage_count: Set(0),
    })
    .exec(&db)
    .await?;
    lead_group::Entity::insert_many(GROUPS.iter().enumerate().map(|(i, t)| {
        lead_group::ActiveModel {
            group_id: Set(format!("group_{i}")),
            valid_from: Set(1),
            valid_to: Set(None),
            hash: Set(String::new()),
            title: Set((*t).to_owned()),
            position: Set(i as i32),
        }
    }))
    .exec(&db)
    .await?;
    lead_column::Entity::insert_many(COLUMNS.iter().enumerate().map(|(i, (id, t, k))| {
        lead_column::ActiveModel {
            column_id: Set((*id).to_owned()),
            valid_from: Set(1),
            valid_to: Set(None),
            hash: Set(String::new()),
            title: Set((*t).to_owned()),
            column_type: Set((*k).to_owned()),
            position: Set(i as i32 + 1),
        }
    }))
    .exec(&db)
    .await?;
    let mut i = 0;
    while i < rows {
        let txn = db.begin().await?;
        for _ in 0..40 {
            let end = (i + 500).min(rows);
            if i >= end {
                break;
            }
            lead::Entity::insert_many((i..end).map(lead_row))
                .exec(&txn)
                .await?;
            i = end;
        }
        txn.commit().await?;
    }
    if url.starts_with("postgres") {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn serve(url: &str, dir: &std::path::Path) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("bridgeboard"))
        .context("target dir")?;
    if !bin.exists() {
        bail!("build the server first: cargo build --release --bin bridgeboard");
    }
    let port = free_port()?;
    let child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("DATABASE_URL", url.to_owned()),
            ("PORT", port.to_string()),
            ("DATA_DIR", dir.display().to_string()),
            // A deployment's configuration (no simulators in the process);
            // nothing calls Monday, since no run starts.
            ("MONDAY_API_TOKEN", "bench-token".to_owned()),
            ("MONDAY_API_URL", "http://127.0.0.1:9/v2".to_owned()),
            ("MONDAY_LEADS_BOARD_ID", "1".to_owned()),
            ("PIPELINE_RUN_ON_STARTUP", "false".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{}/ready", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

/// The server's peak resident set (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM")?;
    Ok(kb / 1024.0)
}

/// Downloads `path`; bytes and seconds.
async fn download(base: &str, path: &str) -> anyhow::Result<(u64, Duration)> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let res = client
        .get(format!("{base}{path}"))
        .header("x-api-key", bench_key())
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("{path}: {}", res.status());
    }
    let mut res = res;
    let mut n = 0u64;
    while let Some(chunk) = res.chunk().await? {
        n += chunk.len() as u64;
    }
    Ok((n, started.elapsed()))
}

const SAME_ROWS: &str = "SELECT item_id, name, group_id, column_values FROM leads \
     WHERE valid_from <= 1 AND (valid_to IS NULL OR valid_to > 1) ORDER BY item_id";

/// The database's own CSV of the same rows: bytes and seconds.
fn native_export(url: &str) -> anyhow::Result<(u64, Duration)> {
    let mut cmd = if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        let mut c = Command::new("sqlite3");
        c.args(["-csv", "-header", file, SAME_ROWS]);
        c
    } else {
        let mut c = Command::new("psql");
        c.args([
            url,
            "-q",
            "-c",
            &format!("COPY ({SAME_ROWS}) TO STDOUT WITH CSV HEADER"),
        ]);
        c
    };
    let started = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        bail!("the database's export failed");
    }
    Ok((out.stdout.len() as u64, started.elapsed()))
}

async fn one(url: &str, rows: usize, dir: &std::path::Path) -> anyhow::Result<()> {
    let seeding = Instant::now();
    seed(url, rows).await?;
    let seeded = seeding.elapsed();
    let server = serve(url, dir).await?;
    let after_start = peak_rss_mb(server.child.id())?;

    let (db_bytes, db_time) = native_export(url)?;
    let (csv_bytes, csv_time) = download(&server.base, "/api/combined_csv").await?;
    let csv_peak = peak_rss_mb(server.child.id())?;
    let (pq_bytes, pq_time) = download(&server.base, "/api/export/leads.parquet").await?;
    let peak = peak_rss_mb(server.child.id())?;
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "{rows} rows (seeded in {:.0} s): combined CSV {:.1} MB in {:.2} s = {:.0} MB/s; \
         the database's own CSV {:.1} MB in {:.2} s = {:.0} MB/s; ratio (its time / ours) {:.2}; \
         Parquet {:.1} MB in {:.2} s; server peak RSS {:.1} MB after start, {:.1} MB after the CSV, {:.1} MB after the Parquet",
        seeded.as_secs_f64(),
        mb(csv_bytes),
        csv_time.as_secs_f64(),
        mb(csv_bytes) / csv_time.as_secs_f64(),
        mb(db_bytes),
        db_time.as_secs_f64(),
        mb(db_bytes) / db_time.as_secs_f64(),
        db_time.as_secs_f64() / csv_time.as_secs_f64(),
        mb(pq_bytes),
        pq_time.as_secs_f64(),
        after_start,
        csv_peak,
        peak,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::tls::install_crypto_provider();
    if let Some(file) = &args.seed_only {
        let url = format!("sqlite://{}?mode=rwc", file.display());
        seed(&url, args.rows).await?;
        println!(
            "seeded {} rows into {}; key {}",
            args.rows,
            file.display(),
            bench_key()
        );
        return Ok(());
    }
    for rows in [10_000, args.rows] {
        let dir = tempfile::tempdir()?;
        match &args.postgres {
            None => {
                let url = format!("sqlite://{}/export.db?mode=rwc", dir.path().display());
                print!("SQLite: ");
                one(&url, rows, dir.path()).await?;
            }
            Some(server) => {
                let name = format!("bench_export_{}_{rows}", std::process::id());
                let admin = sea_orm::Database::connect(server.as_str()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                print!("PostgreSQL: ");
                let result = one(&url, rows, dir.path()).await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                result?;
            }
        }
    }
    Ok(())
}
