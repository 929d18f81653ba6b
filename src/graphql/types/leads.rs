//! GraphQL shapes of the leads board as the pipeline published it.

use std::collections::HashMap;

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, ID, Json, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::entities::lead;
use crate::graphql::loaders::data::{
    ColumnsOf, DataLoaders, EventTypeAt, GroupsOf, MeetingsOf, ValuesOf,
};
use crate::graphql::types::calendly::CalendlyInvitee;

/// One item of the Monday leads board.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Lead {
    /// The Monday item id.
    pub id: ID,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    /// The people in the board's people column.
    pub owner: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub snapshot: i64,
    #[graphql(skip)]
    pub group_id: String,
    #[graphql(skip)]
    pub email_key: Option<String>,
    /// The version read, for its Monday values.
    #[graphql(skip)]
    pub valid_from: i64,
}

impl Lead {
    pub fn new(l: lead::Model, snapshot: i64) -> Self {
        Self {
            id: ID(l.item_id),
            name: l.name,
            email: l.email,
            phone: l.phone,
            company: l.company,
            owner: l.owner,
            created_at: l.created_at,
            updated_at: l.updated_at,
            snapshot,
            group_id: l.group_id,
            email_key: l.email_key,
            valid_from: l.valid_from,
        }
    }
}

/// A group of the leads board: scheduled, unqualified, won, cancelled,
/// noshow, proposal, lost, or any other the board has.
#[derive(SimpleObject, Clone)]
pub struct LeadGroup {
    pub id: String,
    pub title: String,
}

/// One column of a lead, with the board's current title.
#[derive(SimpleObject, Clone)]
pub struct LeadColumnValue {
    pub id: String,
    pub title: String,
    /// Monday's column type (`email`, `numbers`, `date`, `status`, …).
    #[graphql(name = "type")]
    pub kind: String,
    pub text: Option<String>,
    /// The value as Monday types it (e.g. `{"date": "2026-03-01"}`).
    pub value: Option<Json<Value>>,
}

fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<DataLoaders>> {
    ctx.data::<DataLoader<DataLoaders>>()
}

#[ComplexObject]
impl Lead {
    async fn group(&self, ctx: &Context<'_>) -> Result<LeadGroup> {
        let groups = loader(ctx)?.load_one(GroupsOf(self.snapshot)).await?;
        let title = groups
            .unwrap_or_default()
            .into_iter()
            .find(|g| g.group_id == self.group_id)
            .map_or_else(|| self.group_id.clone(), |g| g.title);
        Ok(LeadGroup {
            id: self.group_id.clone(),
            title,
        })
    }

    /// Every column of the board, in board order, with its text and value.
    async fn columns(&self, ctx: &Context<'_>) -> Result<Vec<LeadColumnValue>> {
        let columns = loader(ctx)?
            .load_one(ColumnsOf(self.snapshot))
            .await?
            .unwrap_or_default();
        let values = loader(ctx)?
            .load_one(ValuesOf(self.id.0.clone(), self.valid_from))
            .await?
            .unwrap_or_default();
        Ok(columns
            .into_iter()
            .filter(|c| c.column_id != "name")
            .map(|c| {
                let cell = values.get(&c.column_id);
                LeadColumnValue {
                    text: cell
                        .and_then(|v| v.get("text"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    value: cell
                        .and_then(|v| v.get("value"))
                        .filter(|v| !v.is_null())
                        .cloned()
                        .map(Json),
                    id: c.column_id,
                    title: c.title,
                    kind: c.column_type,
                }
            })
            .collect())
    }

    /// The Calendly invitees (with their events) that share this lead's
    /// email, ignoring case and surrounding space; oldest booking first.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<CalendlyInvitee>> {
        let Some(key) = &self.email_key else {
            return Ok(Vec::new());
        };
        let meetings = loader(ctx)?
            .load_one(MeetingsOf(self.snapshot, key.clone()))
            .await?
            .unwrap_or_default();
        Ok(meetings
            .into_iter()
            .map(|m| CalendlyInvitee::new(m.invitee, self.snapshot))
            .collect())
    }

    /// Where the lead came from: the origin label of its first meeting's
    /// event type (`PIPELINE_ORIGIN_MAP`); empty when it booked nothing.
    async fn origin(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(key) = &self.email_key else {
            return Ok(None);
        };
        let loader = loader(ctx)?;
        let meetings = loader
            .load_one(MeetingsOf(self.snapshot, key.clone()))
            .await?
            .unwrap_or_default();
        let Some(type_uri) = meetings
            .iter()
            .min_by_key(|m| m.invitee.created_at)
            .and_then(|m| m.event.as_ref())
            .and_then(|e| e.event_type_uri.clone())
        else {
            return Ok(None);
        };
        let types: HashMap<_, _> = loader
            .load_one(EventTypeAt(self.snapshot, type_uri.clone()))
            .await?
            .map(|t| (type_uri, t))
            .into_iter()
            .collect();
        Ok(loader.loader().0.origin(&meetings, &types))
    }
}
