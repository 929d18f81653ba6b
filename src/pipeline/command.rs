//! `bridgeboard pipeline run|status`: a run from the command line, with a
//! progress bar per stream on a terminal and plain lines otherwise (a log
//! file, a CI job), and the summary `GET /api/status` answers.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::{Mode, PipelineService, RunStatus, StreamProgress, Trigger};

#[derive(Debug, Clone, Subcommand)]
pub enum PipelineAction {
    /// Run the pipeline now and follow it to the end (incremental unless
    /// `--full`); exits non-zero when the run fails.
    Run {
        #[arg(long)]
        full: bool,
    },
    /// Print the last run, what runs now, and the row counts, as JSON.
    Status,
}

pub async fn run(service: Arc<PipelineService>, action: PipelineAction) -> anyhow::Result<()> {
    match action {
        PipelineAction::Status => {
            let summary = service.summary().await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        PipelineAction::Run { full } => {
            let runner = tokio::spawn(service.clone().run_jobs());
            let mode = if full { Mode::Full } else { Mode::Incremental };
            let started = service.start(Trigger::Manual, mode, None).await?;
            if !started.started {
                eprintln!("run {} is already going; following it", started.run.number);
            }
            let outcome = follow(&service, started.run.id).await;
            runner.abort();
            outcome
        }
    }
}

/// Shows a run's progress until it ends.
async fn follow(service: &PipelineService, id: uuid::Uuid) -> anyhow::Result<()> {
    let tty = std::io::stderr().is_terminal();
    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template("{prefix:>22} {bar:30} {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut shown: HashMap<String, (ProgressBar, u64)> = HashMap::new();
    let mut after = None;
    loop {
        let Some(run) = service.run(id).await? else {
            anyhow::bail!("the run disappeared");
        };
        // The log itself reaches stderr through tracing; only errors are
        // worth repeating above the bars.
        let (lines, _) = service.log(id, after, 100).await?;
        after = lines.last().map(|l| l.id).or(after);
        if tty {
            for l in lines.iter().filter(|l| l.level == "ERROR") {
                bars.println(&l.message).ok();
            }
        }
        let progress: Vec<StreamProgress> = serde_json::from_str(&run.progress).unwrap_or_default();
        for p in progress {
            let total = p.total.unwrap_or(p.done.max(1));
            let entry = shown.entry(p.stream.clone()).or_insert_with(|| {
                let bar = bars.add(ProgressBar::new(total));
                bar.set_style(style.clone());
                bar.set_prefix(p.stream.clone());
                if !tty {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
                }
                (bar, 0)
            });
            entry.0.set_length(total);
            entry.0.set_position(p.done);
            // Without a terminal, a line each tenth of the way.
            if !tty
                && (p.done * 10 / total.max(1) > entry.1 * 10 / total.max(1) || p.done == total)
                && p.done != entry.1
            {
                eprintln!("{}: {}/{}", p.stream, p.done, total);
            }
            entry.1 = p.done;
        }
        if run.status != RunStatus::Running.code() {
            for (bar, _) in shown.values() {
                bar.finish();
            }
            let stats: Vec<super::StreamStats> =
                serde_json::from_str(&run.stats).unwrap_or_default();
            for s in stats {
                eprintln!(
                    "{:>22}: fetched {}, inserted {}, updated {}, deleted {}",
                    s.stream, s.fetched, s.inserted, s.updated, s.deleted
                );
            }
            return match RunStatus::from_code(&run.status) {
                Some(RunStatus::Succeeded) => {
                    println!("run {} succeeded", run.number);
                    Ok(())
                }
                _ => anyhow::bail!(
                    "run {} {}: {}",
                    run.number,
                    run.status.to_lowercase(),
                    run.error.unwrap_or_default()
                ),
            };
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
