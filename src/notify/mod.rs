//! Email notifications: a client hears when staff answer a ticket publicly or
//! change its status. A change is recorded in the same transaction as the
//! change itself, with an outbox entry due after the gathering window, so a
//! crash or an SMTP outage delays the email but never drops it; the entry
//! that fires first mails everything gathered by then, and later ones find
//! nothing left. Clients opt out in the portal or with the one-click link
//! every message carries.

pub mod message;
pub mod unsubscribe;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::json;
use url::Url;
use uuid::Uuid;

use crate::auth::keys::JwtKeys;
use crate::auth::magic_link::MagicLinkService;
use crate::config::NotifyConfig;
use crate::db::entities::{ticket, ticket_notification};
pub use crate::db::repo::notifications::NewNotification;
use crate::db::repo::{clients, notifications, tickets};
use crate::error::AppError;
use crate::mail::{Mail, Mailer};
use crate::outbox::{Claimed, Failure, Handler, Outbox};

/// The outbox kind that mails one client's gathered changes.
pub const KIND_NOTIFY: &str = "notify.client";
/// What a recorded change is.
pub const REPLY: &str = "REPLY";
pub const STATUS: &str = "STATUS";

/// The longest text kept for one change.
const MAX_DETAIL_CHARS: usize = 2000;
/// How long mailed changes are kept (what was told to whom, for support
/// questions) before they are dropped.
const KEEP_SENT: chrono::Duration = chrono::Duration::days(30);
/// How long a delivery holds the changes it is mailing: longer than one
/// SMTP exchange may take.
const CLAIM: chrono::Duration = chrono::Duration::minutes(2);

/// Why a notification was not mailed this time.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("the sign-in link could not be made: {0:?}")]
    Link(AppError),
    #[error("the mail server did not take the message: {0:?}")]
    Mail(AppError),
}

impl From<NotifyError> for Failure {
    fn from(e: NotifyError) -> Self {
        match e {
            // Only mail is held up by a mail server that is down.
            NotifyError::Mail(_) => Failure::Later(e.to_string()),
            _ => Failure::Transient(e.to_string()),
        }
    }
}

/// What the ticket domain holds to record changes clients should hear of.
#[derive(Clone)]
pub struct Notifier {
    outbox: Outbox,
    debounce: Duration,
}

impl Notifier {
    pub fn new(outbox: Outbox, cfg: &NotifyConfig) -> Self {
        Self {
            outbox,
            debounce: cfg.debounce,
        }
    }

    /// Records, inside the caller's transaction, that a client should hear
    /// of a change (`REPLY` with its text and comment, `STATUS` with the new
    /// status's label). Nothing is kept for a client who opted out.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        n: NewNotification<'_>,
    ) -> Result<(), DbErr> {
        let client_id = n.client_id;
        let wants = clients::find_by_id(db, client_id)
            .await?
            .is_some_and(|c| c.notify_email);
        if !wants {
            return Ok(());
        }
        let now = Utc::now();
        let detail: String = n.detail.chars().take(MAX_DETAIL_CHARS).collect();
        notifications::record(
            db,
            NewNotification {
                detail: &detail,
                ..n
            },
            now,
        )
        .await?;
        let due = now + chrono::Duration::from_std(self.debounce).unwrap_or_default();
        self.outbox
            .enqueue_at(db, KIND_NOTIFY, &client_id.to_string(), &json!({}), due)
            .await
    }
}

/// A client's notification settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preferences {
    pub email_notifications: bool,
}

pub struct NotifyService {
    db: DatabaseConnection,
    mailer: Arc<Mailer>,
    links: Arc<MagicLinkService>,
    keys: Arc<JwtKeys>,
    /// `PUBLIC_URL/notifications/unsubscribe`.
    unsubscribe_url: Url,
    cfg: NotifyConfig,
}

impl NotifyService {
    pub fn new(
        db: DatabaseConnection,
        mailer: Arc<Mailer>,
        links: Arc<MagicLinkService>,
        keys: Arc<JwtKeys>,
        public_url: &Url,
        cfg: NotifyConfig,
    ) -> Self {
        let mut unsubscribe_url = public_url.clone();
        unsubscribe_url.set_path(&format!(
            "{}/notifications/unsubscribe",
            public_url.path().trim_end_matches('/')
        ));
        Self {
            db,
            mailer,
            links,
            keys,
            unsubscribe_url,
            cfg,
        }
    }

    pub async fn preferences(&self, client_id: Uuid) -> Result<Preferences, AppError> {
        let c = clients::find_by_id(&self.db, client_id)
            .await?
            .ok_or_else(|| AppError::NotFound("no such client".to_owned()))?;
        Ok(Preferences {
            email_notifications: c.notify_email,
        })
    }

    /// `updateMyPreferences`. Changes waiting to be mailed stay unsent when
    /// emails are turned off.
    pub async fn set_email(&self, client_id: Uuid, on: bool) -> Result<Preferences, AppError> {
        let c = notifications::set_opt_in(&self.db, client_id, on, Utc::now())
            .await?
            .ok_or_else(|| AppError::NotFound("no such client".to_owned()))?;
        Ok(Preferences {
            email_notifications: c.notify_email,
        })
    }

    /// The one-click unsubscribe (RFC 8058), by the token in the mail.
    pub async fn unsubscribe(&self, token: &str) -> Result<(), AppError> {
        let client_id = unsubscribe::verify(&self.keys, token)?;
        // A token for a client deleted since says nothing worth telling.
        notifications::set_opt_in(&self.db, client_id, false, Utc::now()).await?;
        Ok(())
    }

    fn unsubscribe_link(&self, client_id: Uuid) -> Result<String, AppError> {
        let mut url = self.unsubscribe_url.clone();
        url.query_pairs_mut()
            .append_pair("token", &unsubscribe::token(&self.keys, client_id)?);
        Ok(url.to_string())
    }

    #[tracing::instrument(skip_all, fields(client = %entry.subject()))]
    async fn mail_gathered(&self, entry: &Claimed) -> Result<(), Failure> {
        let client_id: Uuid = entry
            .subject()
            .parse()
            .map_err(|_| Failure::Permanent(format!("{:?} is not a client id", entry.subject())))?;
        let now = Utc::now();
        let rows = notifications::claim(&self.db, client_id, entry.id(), now, now + CLAIM).await?;
        if rows.is_empty() {
            // An earlier entry of the same burst mailed them all.
            let txn = self.db.begin().await?;
            entry.complete(&txn).await?;
            txn.commit().await?;
            return Ok(());
        }
        let client = clients::find_by_id(&self.db, client_id).await?;
        let changes = match &client {
            Some(c) if c.notify_email => self.still_theirs(client_id, rows).await?,
            _ => Vec::new(),
        };
        if let (Some(client), Some((first, _))) = (&client, changes.first()) {
            let mail = self
                .mail(client, first.id, &changes, entry.id())
                .await
                .map_err(NotifyError::Link)?;
            match self.mailer.send(mail).await {
                Ok(()) => {}
                // An address the mail library cannot even write will not
                // improve by waiting: dropped, and said so.
                Err(AppError::BadRequest(e)) => {
                    tracing::warn!(error = %e, "notification dropped: bad recipient address");
                }
                Err(e) => {
                    notifications::release(&self.db, entry.id()).await?;
                    return Err(NotifyError::Mail(e).into());
                }
            }
            tracing::info!(changes = changes.len(), "notification mailed");
        }
        // Once per mail, not per entry: most entries of a burst find nothing.
        notifications::prune_sent(&self.db, now - KEEP_SENT).await?;
        // Mailed, or nothing to mail (opted out, tickets gone): either way
        // these changes are done with.
        let txn = self.db.begin().await?;
        notifications::mark_sent(&txn, entry.id(), Utc::now()).await?;
        entry.complete(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Groups the changes by ticket, keeping only tickets that still exist
    /// and still belong to the client: a ticket handed to someone else since
    /// must not show up in this client's mail. A reply is read again: one
    /// deleted or made internal since is left out, an edited one goes out as
    /// it reads now.
    async fn still_theirs(
        &self,
        client_id: Uuid,
        rows: Vec<ticket_notification::Model>,
    ) -> Result<Vec<(ticket::Model, Vec<ticket_notification::Model>)>, DbErr> {
        let mut by_ticket: BTreeMap<Uuid, Vec<ticket_notification::Model>> = BTreeMap::new();
        for mut r in rows {
            if let Some(comment) = r.comment_id {
                match tickets::find_comment(&self.db, comment).await? {
                    // The stored form of `tickets::Visibility::Public`.
                    Some(c) if c.visibility == "PUBLIC" && c.ticket_id == r.ticket_id => {
                        r.detail = c.body.chars().take(MAX_DETAIL_CHARS).collect();
                    }
                    _ => continue,
                }
            }
            by_ticket.entry(r.ticket_id).or_default().push(r);
        }
        let mut out = Vec::new();
        for (id, rows) in by_ticket {
            if let Some(t) = tickets::find_any(&self.db, id).await?
                && t.deleted_at.is_none()
                && t.client_id == Some(client_id)
            {
                out.push((t, rows));
            }
        }
        out.sort_by_key(|(t, _)| t.number);
        Ok(out)
    }

    async fn mail(
        &self,
        client: &crate::db::entities::client::Model,
        first_ticket: Uuid,
        changes: &[(ticket::Model, Vec<ticket_notification::Model>)],
        entry: i64,
    ) -> Result<Mail, AppError> {
        let link = self
            .links
            .link_to_ticket(client.id, first_ticket, self.cfg.link_ttl)
            .await?;
        let unsubscribe = self.unsubscribe_link(client.id)?;
        let m = message::compose(&client.name, changes, &link, &unsubscribe);
        Ok(Mail {
            to: client.email.clone(),
            to_name: Some(client.name.clone()),
            subject: m.subject,
            body: m.body,
            link: Some(link),
            headers: vec![
                ("List-Unsubscribe", format!("<{unsubscribe}>")),
                (
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_owned(),
                ),
            ],
            message_id: Some(message_id(entry, changes)),
        })
    }
}

/// The same entry sending the same changes again (after a crash between the
/// send and our commit) sends the same `Message-ID`, which mail systems
/// recognise; different changes never share one.
fn message_id(entry: i64, changes: &[(ticket::Model, Vec<ticket_notification::Model>)]) -> String {
    let ids: Vec<String> = changes
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|r| r.id.to_string()))
        .collect();
    format!("<notify-{entry}-{}@bridgeboard>", ids.join("."))
}

#[async_trait::async_trait]
impl Handler for NotifyService {
    async fn deliver(&self, entry: &Claimed) -> Result<(), Failure> {
        self.mail_gathered(entry).await
    }
}
