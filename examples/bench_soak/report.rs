//! What the soak measured: delivery checked on the board, RSS and open
//! file descriptors, and the Markdown summary.

use super::*;

/// Waits (up to 2 minutes) for every created ticket to be on the board;
/// returns how many are missing, how many are there twice, and the wait.
pub(crate) async fn check_delivery(
    sandbox: &SandboxHandle,
    ids: &[String],
) -> (usize, usize, Duration) {
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

pub(crate) fn proc_status_kb(pid: u32, key: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| key.to_owned())
}

pub(crate) fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(proc_status_kb(pid, "VmRSS:")? / 1024.0)
}

pub(crate) fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
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
