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

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bridgeboard::Config;
use bridgeboard::db::entities::{api_key, lead, lead_column, lead_group, lead_value, pipeline_run};
use bridgeboard::pipeline::leads::Mapping;
use bridgeboard::upstream::monday::MondayItem;
use bridgeboard::upstream::monday::item::ColumnCell;
use bridgeboard::upstream::monday::leads::{BoardColumn, BoardShape};
use chrono::Utc;
use clap::Parser;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::json;

#[path = "support/server.rs"]
mod server;

use server::Server;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// A PostgreSQL server URL (its database is only used to create ours).
    #[arg(long)]
    postgres: Option<String>,
    /// Timed runs of each download, after one untimed warm-up.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Only seed `--rows` into this SQLite file, or this (empty, existing)
    /// PostgreSQL database URL, and stop (for profiling a server on it by
    /// hand).
    #[arg(long)]
    seed_only: Option<String>,
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

/// The board the leads are on, as the pipeline reads it.
fn board() -> BoardShape {
    BoardShape {
        name: "Leads".to_owned(),
        items_count: None,
        columns: std::iter::once(("name", "Name", "name"))
            .chain(COLUMNS)
            .map(|(id, title, kind)| BoardColumn {
                id: id.to_owned(),
                title: title.to_owned(),
                kind: kind.to_owned(),
            })
            .collect(),
        groups: Vec::new(),
    }
}

/// Lead `i` as Monday gives it.
fn item(i: usize) -> MondayItem {
    let email = format!("lead{i}@example{}.com", i % 97);
    let company = format!("Company {} Ltd", i % 5_003);
    let deal = format!("{}", (i * 37) % 250_000);
    let day = 1 + i % 28;
    let cell = |text: &str, value: serde_json::Value| ColumnCell {
        text: Some(text.to_owned()),
        value: Some(value).filter(|v| !v.is_null()),
    };
    let notes = if i.is_multiple_of(4) {
        "Called twice, asked for a proposal, \"urgent\""
    } else {
        ""
    };
    let columns = [
        (
            "status",
            cell(
                ["Working on it", "Done", "Stuck"][i % 3],
                json!({"index": i % 3}),
            ),
        ),
        (
            "email",
            cell(&email, json!({"email": email, "text": email})),
        ),
        ("phone", cell(&format!("+1 555 {:07}", i), json!(null))),
        ("text_company", cell(&company, json!(company))),
        ("numbers_deal", cell(&deal, json!(deal))),
        (
            "date_call",
            cell(
                &format!("2026-11-{day:02} 10:30"),
                json!({"date": format!("2026-11-{day:02}"), "time": "10:30:00"}),
            ),
        ),
        (
            "people_owner",
            cell(["Ana Rivera", "Sam Okafor", "Lee Chen"][i % 3], json!(null)),
        ),
        (
            "dropdown_source",
            cell(["Website", "Referral", "Event"][i % 3], json!(null)),
        ),
        ("long_text_notes", cell(notes, json!(null))),
        (
            "numbers_score",
            cell(&format!("{}.5", i % 100), json!(null)),
        ),
    ];
    MondayItem {
        id: format!("{}", 1_000_000_000 + i),
        name: format!("Lead {i}"),
        created_at: Some("2026-01-05T10:00:00Z".to_owned()),
        updated_at: Some(Utc::now().to_rfc3339()),
        group_id: Some(format!("group_{}", i % GROUPS.len())),
        columns: columns
            .into_iter()
            .map(|(id, c)| (id.to_owned(), c))
            .collect(),
        updates: Vec::new(),
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
        handoff: Set(None),
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
    // Rows as the pipeline writes them.
    let mapping = Mapping::new(board());
    let mut i = 0;
    while i < rows {
        let txn = db.begin().await?;
        for _ in 0..40 {
            let end = (i + 500).min(rows);
            if i >= end {
                break;
            }
            let (leads, values): (Vec<_>, Vec<_>) =
                (i..end).map(|i| mapping.rows(1, &item(i))).unzip();
            lead::Entity::insert_many(leads).exec(&txn).await?;
            lead_value::Entity::insert_many(values).exec(&txn).await?;
            i = end;
        }
        txn.commit().await?;
    }
    if url.starts_with("postgres") {
        db.execute_unprepared("ANALYZE").await?;
    } else {
        // A database at rest, as between pipeline runs: the bulk load's
        // write-ahead log folded into the file.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    db.close().await?;
    Ok(())
}

async fn serve(url: &str, dir: &std::path::Path) -> anyhow::Result<Server> {
    server::start(
        vec![
            ("DATABASE_URL", url.to_owned()),
            // A deployment's configuration (no simulators in the process);
            // nothing calls Monday, since no run starts.
            ("MONDAY_API_TOKEN", "bench-token".to_owned()),
            ("MONDAY_API_URL", "http://127.0.0.1:9/v2".to_owned()),
            ("MONDAY_LEADS_BOARD_ID", "1".to_owned()),
            ("PIPELINE_RUN_ON_STARTUP", "false".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ],
        dir,
        Stdio::null(),
        Duration::from_secs(60),
    )
    .await
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

/// The CPU time a process has used (user and system), in seconds.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').context("stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// Downloads `path` with curl, a client of its own process that costs the
/// cores little, as the database's own export runs in `psql` or `sqlite3`;
/// bytes and seconds.
async fn download(base: &str, path: &str) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
        ])
        .args(["-H", &format!("x-api-key: {}", bench_key())])
        .arg(format!("{base}{path}"))
        .output()
        .context("curl (the benchmark's client)")?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, bytes) = text.split_once(' ').context("curl's summary")?;
    if status != "200" {
        bail!("{path}: {status}");
    }
    Ok((bytes.trim().parse()?, elapsed))
}

/// Rows of snapshot 1, for table alias `t`.
fn visible(t: &str) -> String {
    format!("{t}valid_from <= 1 AND ({t}valid_to IS NULL OR {t}valid_to > 1)")
}

/// The database writing our CSV itself: the same rows and columns, each
/// cell's text taken out of the stored column values by its JSON functions.
fn same_csv(sqlite: bool) -> String {
    let cell = |id: &str| {
        if sqlite {
            format!("json_extract(v.column_values, '$.{id}.text')")
        } else {
            format!("v.column_values::json->'{id}'->>'text'")
        }
    };
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(id, title, _)| format!("{} AS \"{title}\"", cell(id)))
        .collect();
    format!(
        "SELECT l.item_id AS \"Item ID\", l.name AS \"Item Name\", {}, g.title AS \"Group\", \
         NULL AS origin FROM leads l JOIN lead_values v USING (item_id, valid_from) \
         LEFT JOIN lead_groups g ON g.group_id = l.group_id \
         AND {} WHERE {} ORDER BY l.item_id",
        columns.join(", "),
        visible("g."),
        visible("l.")
    )
}

/// The database dumping the stored rows an export reads, untouched.
fn stored_rows() -> String {
    format!(
        "SELECT item_id, group_id, export_row FROM leads WHERE {} ORDER BY item_id",
        visible("")
    )
}

/// The database's own CSV of `query`: bytes and seconds.
fn native_export(url: &str, query: &str) -> anyhow::Result<(u64, Duration)> {
    let mut cmd = if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        let mut c = Command::new("sqlite3");
        c.args(["-csv", "-header", file, query]);
        c
    } else {
        let mut c = Command::new("psql");
        c.args([
            url,
            "-q",
            "-c",
            &format!("COPY ({query}) TO STDOUT WITH CSV HEADER"),
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

/// `bytes, seconds` of one run of something measured.
type Run = (u64, Duration);

/// The median of `runs` runs of `f`, after one run that warms the caches
/// (the database's pages, the server's pool), which is not counted.
async fn median<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Run>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Run>>,
{
    f().await?;
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs {
        all.push(f().await?);
    }
    all.sort_by_key(|r| r.1);
    Ok(all[all.len() / 2])
}

async fn one(url: &str, rows: usize, runs: usize, dir: &std::path::Path) -> anyhow::Result<()> {
    let seeding = Instant::now();
    seed(url, rows).await?;
    let seeded = seeding.elapsed();
    let server = serve(url, dir).await?;
    let pid = server.child.id();
    let after_start = peak_rss_mb(pid)?;

    let sqlite = url.starts_with("sqlite");
    let same = median(runs, || async { native_export(url, &same_csv(sqlite)) }).await?;
    let stored = median(runs, || async { native_export(url, &stored_rows()) }).await?;
    let cpu0 = cpu_seconds(pid)?;
    let csv = median(runs, || download(&server.base, "/api/combined_csv")).await?;
    let csv_cpu = (cpu_seconds(pid)? - cpu0) / (runs + 1) as f64;
    let csv_peak = peak_rss_mb(pid)?;
    let cpu1 = cpu_seconds(pid)?;
    let pq = median(runs, || download(&server.base, "/api/export/leads.parquet")).await?;
    let pq_cpu = (cpu_seconds(pid)? - cpu1) / (runs + 1) as f64;
    let peak = peak_rss_mb(pid)?;
    let mb = |b: u64| b as f64 / 1e6;
    let secs = |r: &Run| r.1.as_secs_f64();
    println!(
        "{rows} rows (seeded in {:.0} s), the median of {runs} runs after a warm-up:",
        seeded.as_secs_f64()
    );
    println!(
        "  combined CSV: {:.1} MB in {:.2} s = {:.0} MB/s, {:.2} server CPU-s a run",
        mb(csv.0),
        secs(&csv),
        mb(csv.0) / secs(&csv),
        csv_cpu
    );
    println!(
        "  the database's CSV of the same columns: {:.1} MB in {:.2} s; ratio (its time / ours) {:.2}",
        mb(same.0),
        secs(&same),
        secs(&same) / secs(&csv)
    );
    println!(
        "  the database's dump of the stored rows: {:.1} MB in {:.2} s; ratio {:.2}",
        mb(stored.0),
        secs(&stored),
        secs(&stored) / secs(&csv)
    );
    println!(
        "  Parquet: {:.1} MB in {:.2} s, {:.2} server CPU-s a run",
        mb(pq.0),
        secs(&pq),
        pq_cpu
    );
    println!(
        "  server peak RSS: {after_start:.1} MB after start, {csv_peak:.1} MB after the CSVs, {peak:.1} MB after the Parquets"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    bridgeboard::tls::install_crypto_provider();
    if let Some(target) = &args.seed_only {
        let url = if target.starts_with("postgres") {
            target.clone()
        } else {
            format!("sqlite://{target}?mode=rwc")
        };
        seed(&url, args.rows).await?;
        println!(
            "seeded {} rows into {target}; key {}",
            args.rows,
            bench_key()
        );
        return Ok(());
    }
    for rows in [10_000, args.rows] {
        let dir = tempfile::tempdir()?;
        match &args.postgres {
            None => {
                let url = format!("sqlite://{}/export.db?mode=rwc", dir.path().display());
                print!("SQLite, ");
                one(&url, rows, args.runs, dir.path()).await?;
            }
            Some(server) => {
                let name = format!("bench_export_{}_{rows}", std::process::id());
                let admin = sea_orm::Database::connect(server.as_str()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                print!("PostgreSQL, ");
                let result = one(&url, rows, args.runs, dir.path()).await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                result?;
            }
        }
    }
    Ok(())
}
