//! The data hub's datasets for staff and API keys: leads with their
//! meetings, and the Calendly organization. Clients of the support portal
//! are refused. Each root field reads the published snapshot once.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::auth::RoleGuard;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::query::pipeline::service;
use crate::graphql::types::calendly::{
    CalendlyEvent, CalendlyEventType, CalendlyInvitee, CalendlyMembership, CalendlyUser,
};
use crate::graphql::types::leads::{Lead, LeadGroup};
use crate::pipeline::data::{Datasets, EventFilter, InviteeFilter, LeadFilter, Snapshot};

#[derive(Default)]
pub struct LeadsQuery;

async fn datasets(ctx: &Context<'_>) -> Result<(Datasets, Snapshot), AppError> {
    let data = service(app_state(ctx)?)?.data();
    let snapshot = data.snapshot().await?;
    Ok((data, snapshot))
}

/// The snapshot a page reads: the one its cursor came from, so paging
/// through a list while a run publishes finishes on one snapshot.
async fn pinned(ctx: &Context<'_>, cursor: Option<i64>) -> Result<(Datasets, Snapshot), AppError> {
    let Some(number) = cursor else {
        return datasets(ctx).await;
    };
    let data = service(app_state(ctx)?)?.data();
    let snapshot = data.snapshot_at(number).await?.ok_or_else(|| {
        AppError::bad_request(
            "the data was refreshed twice since this page; start from the first page",
        )
    })?;
    Ok((data, snapshot))
}

fn status(s: Option<String>) -> Result<Option<String>, AppError> {
    match s.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some(v @ ("active" | "canceled")) => Ok(Some(v.to_owned())),
        Some(_) => Err(AppError::bad_request("status must be active or canceled")),
    }
}

#[Object]
impl LeadsQuery {
    /// Leads of the Monday leads board, by item id.
    #[graphql(
        guard = "RoleGuard::staff()",
        complexity = "page_cost(first, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "A group id or title, ignoring case.")] group: Option<String>,
        #[graphql(desc = "Text in the name, email or company, ignoring case.")] search: Option<
            String,
        >,
        updated_since: Option<DateTime<Utc>>,
        has_meetings: Option<bool>,
    ) -> Result<Connection<String, Lead>> {
        let limit = page_size(first)?;
        let after = pagination::after::<(i64, String)>("leads", after.as_deref())?;
        let (data, snapshot) = pinned(ctx, after.as_ref().map(|a| a.0)).await?;
        let after = after.map(|a| a.1);
        let group_id = match &group {
            Some(g) => Some(data.resolve_group(&snapshot, g).await?.ok_or_else(|| {
                AppError::bad_request(format!("the leads board has no group {g:?}"))
            })?),
            None => None,
        };
        let filter = LeadFilter {
            group,
            search,
            updated_since,
            has_meetings,
        };
        let (rows, more) = data
            .leads(
                &snapshot,
                &filter,
                group_id.as_deref(),
                after.as_deref(),
                limit,
            )
            .await?;
        let n = snapshot.number;
        Ok(pagination::connection(
            "leads",
            rows,
            after.is_some(),
            more,
            |l| (n, l.item_id.clone()),
            |l| Lead::new(l, n),
        ))
    }

    /// One lead by its Monday item id.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Lead>> {
        let id = crate::ids::parse_monday_id(&id, "id")?;
        let (data, snapshot) = datasets(ctx).await?;
        let n = snapshot.number;
        Ok(data.lead(&snapshot, &id).await?.map(|l| Lead::new(l, n)))
    }

    /// The board's groups, in board order.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn lead_groups(&self, ctx: &Context<'_>) -> Result<Vec<LeadGroup>> {
        let (data, snapshot) = datasets(ctx).await?;
        Ok(data
            .groups(&snapshot)
            .await?
            .into_iter()
            .map(|g| LeadGroup {
                id: g.group_id,
                title: g.title,
            })
            .collect())
    }

    /// Scheduled events in the window, by start time.
    #[graphql(
        guard = "RoleGuard::staff()",
        complexity = "page_cost(first, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn calendly_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Events starting at or after.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Events starting before.")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "`active` or `canceled`.")] status: Option<String>,
        #[graphql(desc = "An event type by id, name or slug.")] event_type: Option<String>,
    ) -> Result<Connection<String, CalendlyEvent>> {
        let limit = page_size(first)?;
        let after = pagination::after::<(i64, DateTime<Utc>, String)>("events", after.as_deref())?;
        let filter = EventFilter {
            from,
            to,
            status: self::status(status)?,
            event_type,
        };
        let (data, snapshot) = pinned(ctx, after.as_ref().map(|a| a.0)).await?;
        let after = after.map(|a| (a.1, a.2));
        let (rows, more) = data
            .events(&snapshot, &filter, after.clone(), limit)
            .await?;
        let n = snapshot.number;
        Ok(pagination::connection(
            "events",
            rows,
            after.is_some(),
            more,
            |e| (n, e.start_time.unwrap_or_default(), e.uri.clone()),
            |e| CalendlyEvent::new(e, n),
        ))
    }

    /// Invitees, by booking time.
    #[graphql(
        guard = "RoleGuard::staff()",
        complexity = "page_cost(first, child_complexity)"
    )]
    async fn calendly_invitees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Matched ignoring case and surrounding space.")] email: Option<String>,
        #[graphql(desc = "Only invitees of events that start at most this many days ago.")]
        days_back: Option<u32>,
        #[graphql(desc = "`active` or `canceled`.")] status: Option<String>,
    ) -> Result<Connection<String, CalendlyInvitee>> {
        let limit = page_size(first)?;
        let after =
            pagination::after::<(i64, DateTime<Utc>, String)>("invitees", after.as_deref())?;
        if days_back.is_some_and(|d| d > 3650) {
            return Err(AppError::bad_request("daysBack must be at most 3650").into());
        }
        let filter = InviteeFilter {
            email,
            days_back,
            status: self::status(status)?,
        };
        let (data, snapshot) = pinned(ctx, after.as_ref().map(|a| a.0)).await?;
        let after = after.map(|a| (a.1, a.2));
        let (rows, more) = data
            .invitees(&snapshot, &filter, after.clone(), limit)
            .await?;
        let n = snapshot.number;
        Ok(pagination::connection(
            "invitees",
            rows,
            after.is_some(),
            more,
            |i| (n, i.created_at.unwrap_or_default(), i.uri.clone()),
            |i| CalendlyInvitee::new(i, n),
        ))
    }

    /// The organization's users; the token's own user first.
    #[graphql(guard = "RoleGuard::staff()")]
    async fn calendly_users(&self, ctx: &Context<'_>) -> Result<Vec<CalendlyUser>> {
        let (data, snapshot) = datasets(ctx).await?;
        Ok(data
            .users(&snapshot)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(guard = "RoleGuard::staff()")]
    async fn calendly_memberships(&self, ctx: &Context<'_>) -> Result<Vec<CalendlyMembership>> {
        let (data, snapshot) = datasets(ctx).await?;
        let n = snapshot.number;
        Ok(data
            .memberships(&snapshot)
            .await?
            .into_iter()
            .map(|m| CalendlyMembership::new(m, n))
            .collect())
    }

    #[graphql(guard = "RoleGuard::staff()")]
    async fn calendly_event_types(&self, ctx: &Context<'_>) -> Result<Vec<CalendlyEventType>> {
        let (data, snapshot) = datasets(ctx).await?;
        Ok(data
            .event_types(&snapshot)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
