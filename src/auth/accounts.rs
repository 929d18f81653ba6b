//! Staff account management shared by startup bootstrap, the `user` CLI
//! command and the admin API, so all three apply the same rules. The
//! functions take only the database; `AccountService` adds what an
//! administrator's action also owes: the audit trail and ending sessions.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::ExposeSecret;

use crate::auth::audit::{Audit, actions};
use crate::auth::session::{normalize_username, role_to_db};
use crate::auth::{Actor, Identity, Role, password};
use crate::changes::{Change, ChangeSignal};
use crate::config::Config;
use crate::db::entities::user;
use crate::db::repo::users;
use crate::error::{AppError, OnUnique};

pub fn validate_username(username: &str) -> Result<(), AppError> {
    let ok = (2..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "usernames are 2 to 64 characters: letters, digits, '.', '_', '-' or '@'",
        ))
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    username: &str,
    password_plain: &str,
    role: Role,
) -> Result<user::Model, AppError> {
    let username = normalize_username(username);
    validate_username(&username)?;
    password::validate(password_plain)?;
    if users::find_by_username(db, &username).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "user {username} already exists"
        )));
    }
    let hash = password::hash(password_plain).await?;
    users::insert(db, &username, hash, role_to_db(role))
        .await
        .on_unique(|| AppError::Conflict(format!("user {username} already exists")))
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    username: &str,
    password_plain: &str,
) -> Result<user::Model, AppError> {
    password::validate(password_plain)?;
    let user = find(db, username).await?;
    let hash = password::hash(password_plain).await?;
    users::set_password(db, user.id, hash).await?;
    Ok(user)
}

/// Refuses to remove the last admin, which would lock everyone out.
pub async fn remove(db: &impl ConnectionTrait, username: &str) -> Result<user::Model, AppError> {
    let user = find(db, username).await?;
    if user.role == role_to_db(Role::Admin) && users::count_with_role(db, "admin").await? <= 1 {
        return Err(AppError::Conflict(
            "cannot remove the last admin".to_owned(),
        ));
    }
    users::delete(db, user.id).await?;
    Ok(user)
}

pub async fn find(db: &impl ConnectionTrait, username: &str) -> Result<user::Model, AppError> {
    let username = normalize_username(username);
    users::find_by_username(db, &username)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user named {username}")))
}

/// Startup: creates the configured accounts, or updates their role and, when
/// it no longer matches, their password (an unchanged password keeps existing
/// sessions valid). In sandbox mode with no admin configured and none in the
/// database, creates `admin` with a generated password, printed once.
pub async fn bootstrap(config: &Config, db: &impl ConnectionTrait) -> Result<(), AppError> {
    let seeds = config
        .admin
        .admins
        .iter()
        .map(|s| (s, Role::Admin))
        .chain(config.admin.users.iter().map(|s| (s, Role::User)));
    for (seed, role) in seeds {
        let pw = seed.password.expose_secret();
        match users::find_by_username(db, &normalize_username(&seed.username)).await? {
            None => {
                create(db, &seed.username, pw, role).await?;
                tracing::info!(username = %seed.username, ?role, "staff account created from the environment");
            }
            Some(existing) => {
                if existing.role != role_to_db(role) {
                    users::set_role(db, existing.id, role_to_db(role)).await?;
                }
                if !password::verify(Some(existing.password_hash.clone()), pw).await {
                    users::set_password(db, existing.id, password::hash(pw).await?).await?;
                    tracing::info!(username = %existing.username, "staff password updated from the environment");
                }
            }
        }
    }
    if config.sandbox_mode()
        && config.admin.admins.is_empty()
        && users::count_with_role(db, role_to_db(Role::Admin)).await? == 0
    {
        let generated = password::generate()?;
        create(db, "admin", &generated, Role::Admin).await?;
        // Printed to stderr, not logged: log pipelines keep lines forever.
        eprintln!(
            "\n  bridgeboard sandbox: created admin user \"admin\" with password\n\n      {generated}\n\n  It is shown only this once; change it with `bridgeboard user passwd admin`.\n"
        );
    }
    Ok(())
}

/// Staff accounts as administrators manage them.
pub struct AccountService {
    db: DatabaseConnection,
    changes: Arc<ChangeSignal>,
    audit: Audit,
}

impl AccountService {
    pub fn new(db: DatabaseConnection, changes: Arc<ChangeSignal>, audit: Audit) -> Self {
        Self { db, changes, audit }
    }

    pub async fn list(&self) -> Result<Vec<user::Model>, AppError> {
        Ok(users::list(&self.db).await?)
    }

    #[tracing::instrument(skip_all, fields(username))]
    pub async fn create(
        &self,
        actor: Actor<'_>,
        username: &str,
        password_plain: &str,
        role: Role,
    ) -> Result<user::Model, AppError> {
        let user = create(&self.db, username, password_plain, role).await?;
        let target = Some(format!("user:{}", user.username));
        self.audit
            .record(actor, actions::USER_CREATED, target)
            .await;
        Ok(user)
    }

    /// Sets a new password; the user's existing sessions end.
    #[tracing::instrument(skip_all, fields(username))]
    pub async fn set_password(
        &self,
        actor: Actor<'_>,
        username: &str,
        password_plain: &str,
    ) -> Result<user::Model, AppError> {
        let user = set_password(&self.db, username, password_plain).await?;
        self.changes.publish(Change::AccountsChanged);
        let target = Some(format!("user:{}", user.username));
        self.audit
            .record(actor, actions::USER_PASSWORD_CHANGED, target)
            .await;
        Ok(user)
    }

    /// Removes a staff account: not the caller's own, and not the last admin.
    #[tracing::instrument(skip_all, fields(username))]
    pub async fn remove(&self, actor: Actor<'_>, username: &str) -> Result<(), AppError> {
        if let Identity::Staff { username: me, .. } = actor.identity
            && me.eq_ignore_ascii_case(username.trim())
        {
            return Err(AppError::Conflict(
                "you cannot delete your own account".to_owned(),
            ));
        }
        let user = remove(&self.db, username).await?;
        self.changes.publish(Change::AccountsChanged);
        let target = Some(format!("user:{}", user.username));
        self.audit
            .record(actor, actions::USER_DELETED, target)
            .await;
        Ok(())
    }
}
