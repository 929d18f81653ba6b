//! `bridgeboard user add|passwd|remove`: staff accounts from the command line,
//! for the first admin of a production deployment and for recovery. The
//! password is read from stdin (one line) so it never appears in shell
//! history or the process list.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Subcommand, ValueEnum};

use crate::auth::{Role, accounts};
use crate::config::Config;
use crate::error::AppError;

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create a staff account; the password is read from stdin.
    Add {
        username: String,
        #[arg(long, value_enum, default_value_t = RoleArg::User)]
        role: RoleArg,
    },
    /// Set a new password (read from stdin); the user's sessions end.
    Passwd { username: String },
    /// Remove a staff account (never the last admin).
    Remove { username: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    User,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::User => Role::User,
        }
    }
}

pub async fn run(config: Config, action: UserAction) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database).await?;
    crate::db::migrate(&db).await?;
    match action {
        UserAction::Add { username, role } => {
            let password = read_password()?;
            let user = accounts::create(&db, &username, &password, role.into())
                .await
                .map_err(describe)?;
            println!("created {} ({:?})", user.username, Role::from(role));
        }
        UserAction::Passwd { username } => {
            let password = read_password()?;
            let user = accounts::set_password(&db, &username, &password)
                .await
                .map_err(describe)?;
            println!("password changed for {}", user.username);
        }
        UserAction::Remove { username } => {
            let user = accounts::remove(&db, &username).await.map_err(describe)?;
            println!("removed {}", user.username);
        }
    }
    Ok(())
}

/// One line from stdin, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!(
            "no password on stdin (pipe it in, e.g. `printf %s \"$PW\" | bridgeboard user add NAME`)"
        );
    }
    Ok(password)
}

/// The message a user should see, without internal detail.
fn describe(e: AppError) -> anyhow::Error {
    anyhow::anyhow!(e.public_message())
}
