//! `bridgeboard sandbox`: both simulators standalone, for demos, manual
//! testing and benchmarks. Prints where they answer and with which tokens and
//! board ids (also as `KEY=value` lines ready for a `.env`), then serves until
//! Ctrl-C.

use std::time::Duration;

use clap::{Args, ValueEnum};

use super::faults::FaultConfig;
use super::options::{DEFAULT_CALENDLY_TOKEN, DEFAULT_MONDAY_TOKEN, SandboxOptions};
use super::server::Sandbox;
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultTarget {
    Both,
    Monday,
    Calendly,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 9090)]
    pub port: u16,
    /// Seed of the generated data (default: SANDBOX_SEED, else 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Distinct clients owning tickets (default: SANDBOX_CLIENTS).
    #[arg(long)]
    pub clients: Option<usize>,
    /// Items on the tickets board (default: SANDBOX_TICKETS).
    #[arg(long)]
    pub tickets: Option<usize>,
    /// Items on the leads board (default: SANDBOX_LEADS).
    #[arg(long)]
    pub leads: Option<usize>,
    /// Calendly scheduled events (default: SANDBOX_EVENTS).
    #[arg(long)]
    pub events: Option<usize>,
    /// Calendly users (default: SANDBOX_USERS).
    #[arg(long)]
    pub users: Option<usize>,
    /// Token Monday accepts in `Authorization`.
    #[arg(long, default_value = DEFAULT_MONDAY_TOKEN)]
    pub monday_token: String,
    /// Token Calendly accepts as `Bearer`.
    #[arg(long, default_value = DEFAULT_CALENDLY_TOKEN)]
    pub calendly_token: String,
    /// Signs Monday webhook JWTs and (unless --calendly-signing-key) Calendly
    /// deliveries of subscriptions created without a key.
    #[arg(long)]
    pub signing_secret: Option<String>,
    /// Signing key for Calendly deliveries.
    #[arg(long)]
    pub calendly_signing_key: Option<String>,
    /// Calendly requests per minute per token.
    #[arg(long, default_value_t = 500)]
    pub calendly_rate_limit: u32,
    /// Monday complexity budget per minute.
    #[arg(long, default_value_t = 10_000_000)]
    pub complexity_budget: u64,
    /// Monday cursor lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub cursor_ttl_secs: u64,
    /// Delay between webhook delivery retries, in milliseconds (default:
    /// SANDBOX_WEBHOOK_RETRY_MS, else one minute as on Monday).
    #[arg(long)]
    pub webhook_retry_ms: Option<u64>,
    /// Which upstream the fault flags below apply to.
    #[arg(long, value_enum, default_value_t = FaultTarget::Both)]
    pub fault_target: FaultTarget,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests answered 500 (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub error_rate: f64,
    /// Share of requests that hang past a client timeout (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub timeout_rate: f64,
    /// Share of requests answered 429 (0.0-1.0).
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub rate_limit_rate: f64,
    /// Start with the upstream(s) down (every request 503).
    #[arg(long)]
    pub down: bool,
    /// Seed of the fault dice (default: the data seed).
    #[arg(long)]
    pub fault_seed: Option<u64>,
}

fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("expected a number between 0 and 1, got {s:?}")),
    }
}

impl SandboxArgs {
    /// Flags first, then the `SANDBOX_*` configuration, then defaults.
    pub fn options(&self, config: &Config) -> SandboxOptions {
        let s = &config.sandbox;
        let faults = FaultConfig {
            latency_ms: self.latency_ms,
            error_rate: self.error_rate,
            timeout_rate: self.timeout_rate,
            rate_limit_rate: self.rate_limit_rate,
            down: self.down,
            ..FaultConfig::default()
        };
        let pick = |t: FaultTarget| {
            if self.fault_target == FaultTarget::Both || self.fault_target == t {
                faults.clone()
            } else {
                FaultConfig::default()
            }
        };
        SandboxOptions {
            host: self.host.clone(),
            port: self.port,
            seed: self.seed.unwrap_or(s.seed),
            clients: self.clients.unwrap_or(s.clients).max(1),
            tickets: self.tickets.unwrap_or(s.tickets),
            leads: self.leads.unwrap_or(s.leads),
            events: self.events.unwrap_or(s.events),
            users: self.users.unwrap_or(s.users).max(1),
            monday_token: self.monday_token.clone(),
            calendly_token: self.calendly_token.clone(),
            signing_secret: self.signing_secret.clone(),
            calendly_signing_key: self.calendly_signing_key.clone(),
            calendly_rate_limit: self.calendly_rate_limit,
            monday_complexity_budget: self.complexity_budget,
            cursor_ttl: Duration::from_secs(self.cursor_ttl_secs),
            webhook_retry_delay: self
                .webhook_retry_ms
                .map_or(s.webhook_retry, Duration::from_millis),
            monday_faults: pick(FaultTarget::Monday),
            calendly_faults: pick(FaultTarget::Calendly),
            fault_seed: self.fault_seed,
            ..SandboxOptions::default()
        }
    }
}

/// Runs the sandbox until Ctrl-C (or SIGTERM).
pub async fn run(config: Config, args: SandboxArgs) -> anyhow::Result<()> {
    let options = args.options(&config);
    let handle = Sandbox::start(options.clone()).await?;
    println!("bridgeboard sandbox (seed {})", options.seed);
    println!(
        "  Monday API    {}  token {}",
        handle.monday_url(),
        handle.monday_token()
    );
    println!(
        "  Calendly API  {}  token {}",
        handle.calendly_url(),
        handle.calendly_token()
    );
    println!("  control API   {}", handle.control_url());
    println!(
        "  boards        tickets {} ({} items), leads {} ({} items); {} Calendly events",
        handle.tickets_board_id(),
        options.tickets,
        handle.leads_board_id(),
        options.leads,
        options.events
    );
    println!();
    println!("# point `bridgeboard serve` at it:");
    println!("SANDBOX_URL={}", handle.base_url());
    println!("MONDAY_API_URL={}", handle.monday_url());
    println!("MONDAY_API_TOKEN={}", handle.monday_token());
    println!("MONDAY_TICKETS_BOARD_ID={}", handle.tickets_board_id());
    println!("MONDAY_LEADS_BOARD_ID={}", handle.leads_board_id());
    println!("CALENDLY_API_URL={}", handle.calendly_url());
    println!("CALENDLY_ACCESS_TOKEN={}", handle.calendly_token());
    if let Some(s) = &options.signing_secret {
        println!("MONDAY_SIGNING_SECRET={s}");
    }
    if let Some(k) = options
        .calendly_signing_key
        .as_ref()
        .or(options.signing_secret.as_ref())
    {
        println!("CALENDLY_SIGNING_KEY={k}");
    }
    tracing::info!(url = %handle.base_url(), "sandbox serving; Ctrl-C to stop");
    shutdown_signal().await;
    handle.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            () = term => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
