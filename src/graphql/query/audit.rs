//! The audit log, newest first, for admins.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

use crate::auth::RoleGuard;
use crate::auth::audit::Filter;
use crate::error::AppError;
use crate::graphql::guard::app_state;
use crate::graphql::pagination::{self, page_cost, page_size};
use crate::graphql::types::audit::AuditEntry;

#[derive(Default)]
pub struct AuditQuery;

/// Longest filter text accepted.
const MAX_FILTER_CHARS: usize = 200;

/// A filter's text: blank means no filter.
fn text<'a>(value: &'a Option<String>, name: &str) -> Result<Option<&'a str>, AppError> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_FILTER_CHARS {
        return Err(AppError::bad_request(format!(
            "{name} is longer than {MAX_FILTER_CHARS} characters"
        )));
    }
    Ok(Some(v))
}

const LIST: &str = "audit";

#[Object]
impl AuditQuery {
    /// Logins, failed logins, logouts, magic links, API keys and client
    /// changes, newest first. Filters are matched literally and combine;
    /// pass the same ones with every page.
    #[graphql(
        guard = "RoleGuard::admin()",
        complexity = "page_cost(first, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Contained in the actor or the target.")] search: Option<String>,
        #[graphql(desc = "The action starts with it: `login`, `api_key.`, …")] action: Option<
            String,
        >,
        #[graphql(desc = "Entries at or after this time.")] since: Option<DateTime<Utc>>,
        #[graphql(desc = "Entries before this time.")] until: Option<DateTime<Utc>>,
    ) -> Result<Connection<String, AuditEntry>> {
        let limit = page_size(first)?;
        let after = pagination::after::<i32>(LIST, after.as_deref())?;
        let filter = Filter {
            mentions: text(&search, "search")?,
            action_prefix: text(&action, "action")?,
            since,
            until,
        };
        let mut rows = app_state(ctx)?
            .audit
            .page(&filter, limit + 1, after)
            .await?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(pagination::connection(
            LIST,
            rows,
            after.is_some(),
            has_next,
            |a| a.id,
            AuditEntry::from,
        ))
    }
}
