//! Batched reads of the data hub's snapshot for one request: a page of leads
//! asks for its meetings, groups and columns in a constant number of
//! queries, not one per lead. Keys carry the snapshot number, so every field
//! of a request reads the snapshot its root field chose.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;

use crate::db::entities::{
    calendly_event, calendly_event_type, calendly_invitee, calendly_user, lead, lead_column,
    lead_group,
};
use crate::error::AppError;
use crate::pipeline::data::{Datasets, Meeting, Snapshot};

pub struct DataLoaders(pub Datasets);

/// The board's columns in one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColumnsOf(pub i64);
/// The board's groups in one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupsOf(pub i64);
/// `(snapshot, email key)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeetingsOf(pub i64, pub String);
/// `(snapshot, event type uri)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventTypeAt(pub i64, pub String);
/// `(snapshot, event uri)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventAt(pub i64, pub String);
/// `(snapshot, event uri)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InviteesOf(pub i64, pub String);
/// `(snapshot, email key)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeadWithEmail(pub i64, pub String);
/// `(snapshot, user uri)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserAt(pub i64, pub String);
/// A lead version's Monday values: `(item id, valid from)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValuesOf(pub String, pub i64);

fn err(e: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(e).into()
}

fn snapshot(number: i64) -> Snapshot {
    Snapshot { number, run: None }
}

/// Groups `(snapshot, key)` keys by snapshot; a request reads one.
fn by_snapshot<K: Clone>(
    keys: &[K],
    split: impl Fn(&K) -> (i64, String),
) -> HashMap<i64, Vec<String>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for k in keys {
        let (n, key) = split(k);
        out.entry(n).or_default().push(key);
    }
    out
}

impl Loader<ColumnsOf> for DataLoaders {
    type Value = Vec<lead_column::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ColumnsOf],
    ) -> Result<HashMap<ColumnsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for k in keys {
            out.insert(*k, self.0.columns(&snapshot(k.0)).await.map_err(err)?);
        }
        Ok(out)
    }
}

impl Loader<GroupsOf> for DataLoaders {
    type Value = Vec<lead_group::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[GroupsOf]) -> Result<HashMap<GroupsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for k in keys {
            out.insert(*k, self.0.groups(&snapshot(k.0)).await.map_err(err)?);
        }
        Ok(out)
    }
}

impl Loader<MeetingsOf> for DataLoaders {
    type Value = Vec<Meeting>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[MeetingsOf],
    ) -> Result<HashMap<MeetingsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (n, emails) in by_snapshot(keys, |k| (k.0, k.1.clone())) {
            let found = self.0.meetings(&snapshot(n), &emails).await.map_err(err)?;
            for (email, meetings) in found {
                out.insert(MeetingsOf(n, email), meetings);
            }
        }
        Ok(out)
    }
}

impl Loader<EventTypeAt> for DataLoaders {
    type Value = calendly_event_type::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[EventTypeAt],
    ) -> Result<HashMap<EventTypeAt, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (n, uris) in by_snapshot(keys, |k| (k.0, k.1.clone())) {
            for t in self
                .0
                .event_types_by_uri(&snapshot(n), &uris)
                .await
                .map_err(err)?
            {
                out.insert(EventTypeAt(n, t.uri.clone()), t);
            }
        }
        Ok(out)
    }
}

impl Loader<EventAt> for DataLoaders {
    type Value = calendly_event::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[EventAt]) -> Result<HashMap<EventAt, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (n, uris) in by_snapshot(keys, |k| (k.0, k.1.clone())) {
            for e in self
                .0
                .events_by_uri(&snapshot(n), &uris)
                .await
                .map_err(err)?
            {
                out.insert(EventAt(n, e.uri.clone()), e);
            }
        }
        Ok(out)
    }
}

impl Loader<InviteesOf> for DataLoaders {
    type Value = Vec<calendly_invitee::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[InviteesOf],
    ) -> Result<HashMap<InviteesOf, Self::Value>, Self::Error> {
        let mut out: HashMap<InviteesOf, Self::Value> = HashMap::new();
        for (n, uris) in by_snapshot(keys, |k| (k.0, k.1.clone())) {
            for i in self.0.invitees_of(&snapshot(n), &uris).await.map_err(err)? {
                out.entry(InviteesOf(n, i.event_uri.clone()))
                    .or_default()
                    .push(i);
            }
        }
        Ok(out)
    }
}

impl Loader<LeadWithEmail> for DataLoaders {
    type Value = lead::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LeadWithEmail],
    ) -> Result<HashMap<LeadWithEmail, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (n, emails) in by_snapshot(keys, |k| (k.0, k.1.clone())) {
            for l in self
                .0
                .leads_by_email(&snapshot(n), &emails)
                .await
                .map_err(err)?
            {
                if let Some(e) = l.email_key.clone() {
                    // Several leads may share an email: the oldest item wins.
                    out.entry(LeadWithEmail(n, e)).or_insert(l);
                }
            }
        }
        Ok(out)
    }
}

impl Loader<UserAt> for DataLoaders {
    type Value = calendly_user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserAt]) -> Result<HashMap<UserAt, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for n in keys
            .iter()
            .map(|k| k.0)
            .collect::<std::collections::HashSet<_>>()
        {
            for u in self.0.users(&snapshot(n)).await.map_err(err)? {
                let key = UserAt(n, u.uri.clone());
                if keys.contains(&key) {
                    out.insert(key, u);
                }
            }
        }
        Ok(out)
    }
}

impl Loader<ValuesOf> for DataLoaders {
    /// `{column id: {text, value}}`.
    type Value = serde_json::Value;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ValuesOf]) -> Result<HashMap<ValuesOf, Self::Value>, Self::Error> {
        let versions: Vec<(String, i64)> = keys.iter().map(|k| (k.0.clone(), k.1)).collect();
        Ok(self
            .0
            .lead_values(&versions)
            .await
            .map_err(err)?
            .into_iter()
            .map(|v| {
                let values = serde_json::from_str(&v.column_values).unwrap_or_default();
                (ValuesOf(v.item_id, v.valid_from), values)
            })
            .collect())
    }
}
