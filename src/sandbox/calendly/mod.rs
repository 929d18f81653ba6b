//! Simulator of the Calendly REST API v2: users, memberships, event types,
//! scheduled events and invitees, with its envelopes, errors, rate limit and
//! signed webhooks.

use std::sync::Arc;

use axum::Router;

#[derive(Clone, Debug)]
pub struct CalendlyOptions {
    pub seed: u64,
    pub users: usize,
    pub events: usize,
    /// Size of the seed population the Monday leads were drawn from, so that
    /// invitees can share their emails.
    pub population: u64,
    /// Accepted as `Authorization: Bearer <token>`.
    pub token: String,
    /// Requests per minute per token (real default: 500).
    pub rate_limit_per_minute: u32,
}

impl Default for CalendlyOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            users: 4,
            events: 40,
            population: 50,
            token: "sandbox-calendly-token".to_owned(),
            rate_limit_per_minute: 500,
        }
    }
}

pub struct CalendlySim {
    options: CalendlyOptions,
}

impl CalendlySim {
    pub fn seeded(options: CalendlyOptions) -> Arc<Self> {
        Arc::new(Self { options })
    }

    /// The REST API, to be nested at `/calendly` (paths as on api.calendly.com).
    /// `base_url` is the externally visible prefix used in resource URIs.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
    }

    pub fn options(&self) -> &CalendlyOptions {
        &self.options
    }
}
