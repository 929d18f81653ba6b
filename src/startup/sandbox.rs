//! Sandbox mode: starts the Monday and Calendly simulators on loopback and
//! points the configuration at them, as a real deployment's settings would.

use secrecy::{ExposeSecret, SecretString};

use super::StartupError;
use crate::config::Config;
use crate::sandbox::{Sandbox, SandboxHandle, SandboxOptions};

pub(super) async fn start(config: &mut Config) -> Result<SandboxHandle, StartupError> {
    let s = &config.sandbox;
    let options = SandboxOptions {
        host: "127.0.0.1".to_owned(),
        port: s.port,
        seed: s.seed,
        clients: s.clients,
        tickets: s.tickets,
        leads: s.leads,
        events: s.events,
        users: s.users,
        webhook_retry_delay: s.webhook_retry,
        signing_secret: config
            .monday
            .signing_secret
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        calendly_signing_key: config
            .calendly
            .signing_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        ..Default::default()
    };
    let handle = Sandbox::start(options).await?;
    // Both URLs come from a formatted socket address, so they parse.
    if let Ok(u) = url::Url::parse(handle.monday_url()) {
        config.monday.api_url = u;
    }
    if let Ok(u) = url::Url::parse(handle.calendly_url()) {
        config.calendly.api_url = u;
    }
    config.monday.api_token = Some(SecretString::from(handle.monday_token().to_owned()));
    config.calendly.access_token = Some(SecretString::from(handle.calendly_token().to_owned()));
    config.monday.tickets_board_id = Some(handle.tickets_board_id().to_string());
    config.monday.leads_board_id = Some(handle.leads_board_id().to_string());
    config.sandbox.running = true;
    tracing::warn!(
        monday = %handle.monday_url(),
        calendly = %handle.calendly_url(),
        control = %handle.control_url(),
        tickets_board_id = handle.tickets_board_id(),
        leads_board_id = handle.leads_board_id(),
        "SANDBOX MODE: no Monday or Calendly token configured; serving simulated upstreams with seeded data"
    );
    Ok(handle)
}
