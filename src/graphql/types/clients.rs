//! Types for support-portal clients.

use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::client;

/// A client of the support portal; signs in with a magic link.
#[derive(SimpleObject, Clone)]
pub struct Client {
    pub id: ID,
    /// Stable identifier of the client's portal; tickets are scoped by it.
    pub portal_id: String,
    /// Trimmed and lower-cased; unique.
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<client::Model> for Client {
    fn from(c: client::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            portal_id: c.portal_id,
            email: c.email,
            name: c.name,
            company: c.company,
            created_at: c.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateClientInput {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    /// Letters, digits and `-`, 3 to 64 characters; generated when left out.
    pub portal_id: Option<String>,
}

/// Only the fields given are changed.
#[derive(InputObject)]
pub struct UpdateClientInput {
    pub email: Option<String>,
    pub name: Option<String>,
    /// An empty string clears it.
    pub company: Option<String>,
}

/// A client's own notification settings.
#[derive(async_graphql::SimpleObject, Clone, Copy)]
pub struct NotificationPreferences {
    /// An email when support answers a ticket publicly or changes its status.
    pub email_notifications: bool,
}

impl From<crate::notify::Preferences> for NotificationPreferences {
    fn from(p: crate::notify::Preferences) -> Self {
        Self {
            email_notifications: p.email_notifications,
        }
    }
}

#[derive(async_graphql::InputObject)]
pub struct PreferencesInput {
    pub email_notifications: bool,
}
