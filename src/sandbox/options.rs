//! Everything one sandbox run is made of: address, seed, sizes, tokens,
//! limits and the initial faults. One struct feeds both simulators so the
//! CLI, `serve`'s sandbox mode and the tests configure them the same way.

use std::time::Duration;

use super::calendly::CalendlyOptions;
use super::faults::FaultConfig;
use super::monday::MondayOptions;

pub const DEFAULT_MONDAY_TOKEN: &str = "sandbox-monday-token";
pub const DEFAULT_CALENDLY_TOKEN: &str = "sandbox-calendly-token";

#[derive(Clone, Debug)]
pub struct SandboxOptions {
    pub host: String,
    /// 0 picks any free port.
    pub port: u16,
    pub seed: u64,
    pub clients: usize,
    pub tickets: usize,
    pub leads: usize,
    pub events: usize,
    /// Calendly users (the first is the token's owner).
    pub users: usize,
    pub monday_token: String,
    pub calendly_token: String,
    /// Monday: signs webhook JWTs. Calendly: signs deliveries of
    /// subscriptions created without their own `signing_key`.
    pub signing_secret: Option<String>,
    /// Overrides `signing_secret` for Calendly when set.
    pub calendly_signing_key: Option<String>,
    pub calendly_rate_limit: u32,
    /// Invitees of each seeded Calendly event (default: 1 to 3).
    pub calendly_invitees_per_event: Option<usize>,
    pub monday_complexity_budget: u64,
    /// How long one complexity budget lasts (real: 60 s); tests shorten it.
    pub monday_complexity_window: Duration,
    pub cursor_ttl: Duration,
    /// Monday activity log entries kept per board.
    pub monday_activity_log_capacity: usize,
    /// Delay between webhook retries, both upstreams.
    pub webhook_retry_delay: Duration,
    pub webhook_max_retries: u32,
    pub monday_faults: FaultConfig,
    pub calendly_faults: FaultConfig,
    /// Seeds the fault dice; None uses `seed`.
    pub fault_seed: Option<u64>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        let monday = MondayOptions::default();
        let calendly = CalendlyOptions::default();
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            seed: 1,
            clients: monday.clients,
            tickets: monday.tickets,
            leads: monday.leads,
            events: calendly.events,
            users: calendly.users,
            monday_token: DEFAULT_MONDAY_TOKEN.to_owned(),
            calendly_token: DEFAULT_CALENDLY_TOKEN.to_owned(),
            signing_secret: None,
            calendly_signing_key: None,
            calendly_rate_limit: calendly.rate_limit_per_minute,
            calendly_invitees_per_event: calendly.invitees_per_event,
            monday_complexity_budget: monday.complexity_budget_per_minute,
            monday_complexity_window: monday.complexity_window,
            cursor_ttl: monday.cursor_ttl,
            monday_activity_log_capacity: monday.activity_log_capacity,
            webhook_retry_delay: monday.webhook_retry_delay,
            webhook_max_retries: monday.webhook_max_retries,
            monday_faults: FaultConfig::default(),
            calendly_faults: FaultConfig::default(),
            fault_seed: None,
        }
    }
}

impl SandboxOptions {
    pub fn monday(&self) -> MondayOptions {
        MondayOptions {
            seed: self.seed,
            clients: self.clients,
            tickets: self.tickets,
            leads: self.leads,
            token: self.monday_token.clone(),
            complexity_budget_per_minute: self.monday_complexity_budget,
            complexity_window: self.monday_complexity_window,
            cursor_ttl: self.cursor_ttl,
            webhook_retry_delay: self.webhook_retry_delay,
            webhook_max_retries: self.webhook_max_retries,
            signing_secret: self.signing_secret.clone(),
            activity_log_capacity: self.monday_activity_log_capacity,
        }
    }

    pub fn calendly(&self) -> CalendlyOptions {
        CalendlyOptions {
            seed: self.seed,
            users: self.users,
            events: self.events,
            // Leads are people 0..leads of the seed's population.
            population: self.leads as u64,
            invitees_per_event: self.calendly_invitees_per_event,
            token: self.calendly_token.clone(),
            rate_limit_per_minute: self.calendly_rate_limit,
            signing_key: self
                .calendly_signing_key
                .clone()
                .or_else(|| self.signing_secret.clone()),
            anchor: None,
            webhook_retry_delay: self.webhook_retry_delay,
            webhook_max_retries: self.webhook_max_retries,
        }
    }
}
