//! The command line: `serve` (the default), `migrate`, `schema`, and the
//! operational commands. Each command loads the configuration it needs once.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::config::Config;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(name = "bridgeboard", version, propagate_version = true, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve,
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Print the REST API's OpenAPI description (JSON) to stdout.
    Openapi,
    /// Manage staff accounts; passwords are read from stdin.
    User {
        #[command(subcommand)]
        action: crate::auth::command::UserAction,
    },
    /// Run the Monday and Calendly simulators standalone (seeded data,
    /// faults, control API at /_sandbox).
    #[cfg(feature = "sandbox")]
    Sandbox(crate::sandbox::command::SandboxArgs),
    /// Run the data hub pipeline now, or show its status.
    Pipeline {
        #[command(subcommand)]
        action: crate::pipeline::command::PipelineAction,
    },
    /// Create a Monday tickets board with the columns and labels bridgeboard
    /// binds to, and print its id (for MONDAY_TICKETS_BOARD_ID).
    SetupBoard {
        /// The board's name.
        #[arg(long, default_value = "Client Support Tickets")]
        name: String,
    },
    /// Register this server's webhook endpoints: on the Monday tickets board
    /// for every event it handles, and the Calendly organization's invitee
    /// events. Safe to re-run: existing registrations are kept.
    SetupWebhooks {
        /// The server's public base URL (default: PUBLIC_URL); events go to
        /// BASE/webhooks/monday and BASE/webhooks/calendly.
        #[arg(long)]
        url: Option<url::Url>,
    },
    /// Exit 0 when the server answers its liveness check, 1 otherwise: a
    /// container HEALTHCHECK that needs no curl in the image.
    Healthcheck {
        /// What to ask (default: /health on this host's HOST and PORT).
        #[arg(long)]
        url: Option<url::Url>,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migration.
    Down {
        /// How many migrations to revert.
        #[arg(long, short, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again.
    Fresh,
}

pub async fn run() -> ExitCode {
    crate::tls::install_crypto_provider();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            ExitCode::SUCCESS
        }
        Command::Openapi => {
            println!("{}", crate::http::api::openapi::json());
            ExitCode::SUCCESS
        }
        Command::Serve => with_config(serve).await,
        Command::Migrate { action } => with_config(|c| migrate(c, action)).await,
        Command::User { action } => with_config(|c| crate::auth::command::run(c, action)).await,
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => with_config(|c| crate::sandbox::command::run(c, args)).await,
        Command::Pipeline { action } => with_config(|c| pipeline(c, action)).await,
        Command::SetupBoard { name } => with_config(|c| setup_board(c, name)).await,
        Command::SetupWebhooks { url } => with_config(|c| setup_webhooks(c, url)).await,
        Command::Healthcheck { url } => with_config(|c| healthcheck(c, url)).await,
    }
}

/// Loads the configuration, sets up logging, runs `f`; reports any failure as
/// one line on stderr.
async fn with_config<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&config.log);
    match f(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    let cfg = &app.state().config;
    tracing::info!(
        address = %format!("http://{}:{}", cfg.server.host, app.port()),
        graphiql = %format!("http://{}:{}/graphql", cfg.server.host, app.port()),
        "bridgeboard listening"
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn healthcheck(config: Config, url: Option<url::Url>) -> anyhow::Result<()> {
    let url = match url {
        Some(u) => u,
        None => {
            // A server bound to every interface is reached on loopback.
            let host = match config.server.host.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                h => h,
            };
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            format!("http://{host}:{}/health", config.server.port).parse()?
        }
    };
    let status = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(url.clone())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?
        .status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    println!("{url}: {status}");
    Ok(())
}

async fn migrate(config: Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await?,
        MigrateAction::Fresh => Migrator::fresh(&db).await?,
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{:<10} {}", format!("{:?}", m.status()), m.name());
            }
        }
    }
    Ok(())
}

async fn pipeline(
    config: Config,
    action: crate::pipeline::command::PipelineAction,
) -> anyhow::Result<()> {
    let (service, _sandbox) = crate::startup::pipeline_command(config).await?;
    crate::pipeline::command::run(service, action).await
}

fn monday_client(config: &Config) -> anyhow::Result<crate::upstream::monday::MondayClient> {
    crate::tls::install_crypto_provider();
    let token = config
        .monday
        .api_token
        .clone()
        .ok_or_else(|| anyhow::anyhow!("MONDAY_API_TOKEN is not set"))?;
    Ok(crate::upstream::monday::MondayClient::new(
        config.monday.api_url.clone(),
        token,
        config.monday.api_version.clone(),
        crate::upstream::monday::RetryPolicy::default(),
    )?)
}

async fn setup_board(config: Config, name: String) -> anyhow::Result<()> {
    let client = monday_client(&config)?;
    let id = crate::tickets::setup::create_ticket_board(&client, &name).await?;
    println!("{id}");
    eprintln!("created board {name:?}; set MONDAY_TICKETS_BOARD_ID={id}");
    Ok(())
}

async fn setup_webhooks(mut config: Config, url: Option<url::Url>) -> anyhow::Result<()> {
    if let Some(u) = url {
        config.server.public_url = u;
    }
    let mut done = false;
    if let Some(board) = config.monday.tickets_board_id.clone()
        && config.monday.api_token.is_some()
    {
        let client = monday_client(&config)?;
        let target = config.server.webhook_url("monday");
        let db = crate::db::connect(&config.database).await?;
        crate::db::migrate(&db).await?;
        for (event, id, created) in
            crate::tickets::webhooks::ensure(&client, &db, &board, &target).await?
        {
            println!(
                "monday   {event:<20} {id:<12} {}",
                if created { "created" } else { "exists" }
            );
        }
        eprintln!("board {board} sends its events to {target}");
        done = true;
    }
    if config.calendly.access_token.is_some() {
        let target = config.server.webhook_url("calendly");
        let (pipeline, _guard) = crate::startup::pipeline_command(config).await?;
        let outcome = pipeline
            .ensure_calendly_webhook(&target)
            .await
            .map_err(|e| anyhow::anyhow!(e.public_message()))?;
        match outcome {
            crate::pipeline::webhooks::Subscription::Created(uri) => {
                println!("calendly {:<20} {uri} created", "invitee events");
            }
            crate::pipeline::webhooks::Subscription::Exists(uri) => {
                println!("calendly {:<20} {uri} exists", "invitee events");
            }
        }
        eprintln!("the Calendly organization sends its invitee events to {target}");
        done = true;
    }
    if !done {
        anyhow::bail!(
            "nothing to register: set MONDAY_API_TOKEN and MONDAY_TICKETS_BOARD_ID, or CALENDLY_ACCESS_TOKEN"
        );
    }
    Ok(())
}
