//! The leads stream: the Monday leads board into its snapshot tables. A full
//! run walks every page (`items_page` at 500, then `next_items_page`); an
//! incremental run reads the board's activity log since the last successful
//! run and re-reads only the items it names, which also catches deletions,
//! archives and moves between groups. Requests wait for the complexity
//! budget Monday reports, and a walk never lets its cursor expire because of
//! that waiting; a cursor that expires anyway starts the walk over, and the
//! writer's record of what it saw keeps the result exact.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use serde_json::{Map, Value, json};

use super::cells::{self, CellKind, ReadyRow, RowParts};
use super::error::PipelineError;
use super::model::streams::{LEAD_COLUMNS, LEAD_GROUPS, LEADS};
use super::run::RunCtx;
use super::writer::{Record, Writer, content_hash};
use crate::db::entities::{lead, lead_column, lead_group, lead_value};
use crate::upstream::monday::leads::{BoardColumn, BoardShape};
use crate::upstream::monday::{MondayClient, MondayItem};

/// Items per page: Monday's maximum.
const PAGE: i64 = 500;
/// Activity entries per page.
const ACTIVITY_PAGE: i64 = 500;
/// Items per `items(ids:)` call: Monday's maximum.
const BY_IDS: usize = 100;
/// A cursor lives 60 minutes from the walk's first page.
const CURSOR_TTL: Duration = Duration::from_secs(60 * 60);
/// Start over rather than send a cursor this close to its end.
const CURSOR_MARGIN: Duration = Duration::from_secs(120);
const MAX_RESTARTS: u32 = 3;
/// An incremental run reads the activity log back this far at most; older
/// than that, a full walk is both safer and not much dearer.
const MAX_LOG_AGE: chrono::Duration = chrono::Duration::days(30);

/// A lead version and its Monday values, written together.
type LeadRecord = Record<lead::ActiveModel, lead_value::ActiveModel>;

pub struct Leads {
    pub monday: Arc<MondayClient>,
    pub board_id: String,
}

/// How a board's items become lead rows: which columns feed a lead's named
/// fields, and the layout its ready rows are rendered for.
pub struct Mapping {
    shape: BoardShape,
    /// The board's layout, which ready rows are rendered for.
    layout: String,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    owner: Option<String>,
}

impl Mapping {
    pub fn new(shape: BoardShape) -> Self {
        let by_kind = |kind: &str| {
            shape
                .columns
                .iter()
                .find(|c| c.kind == kind)
                .map(|c| c.id.clone())
        };
        let by_title = |title: &str| {
            shape
                .columns
                .iter()
                .find(|c| c.title.trim().eq_ignore_ascii_case(title))
                .map(|c| c.id.clone())
        };
        let layout = cells::layout(
            shape
                .columns
                .iter()
                .filter(|c| c.id != "name")
                .map(|c| (c.id.as_str(), c.kind.as_str())),
        );
        Self {
            layout,
            email: by_kind("email").or_else(|| by_title("email")),
            phone: by_kind("phone").or_else(|| by_title("phone")),
            company: by_title("company").or_else(|| by_title("organization")),
            owner: by_kind("people").or_else(|| by_title("owner")),
            shape,
        }
    }

    fn text<'a>(&self, item: &'a MondayItem, column: &Option<String>) -> Option<&'a str> {
        column.as_deref().and_then(|c| item.text(c))
    }

    /// The rows run `run` writes for `item`: the lead version and its
    /// Monday values.
    pub fn rows(
        &self,
        run: i64,
        item: &MondayItem,
    ) -> (lead::ActiveModel, lead_value::ActiveModel) {
        let r = self.record(run, item);
        (r.row, r.extra)
    }

    fn record(&self, run: i64, item: &MondayItem) -> LeadRecord {
        let mut values = Map::new();
        for c in self.shape.columns.iter().filter(|c| c.id != "name") {
            let cell = item.columns.get(&c.id);
            values.insert(
                c.id.clone(),
                json!({
                    "text": cell.and_then(|v| v.text.clone()),
                    "value": cell.and_then(|v| v.value.clone()),
                }),
            );
        }
        let email = self
            .email
            .as_deref()
            .and_then(|c| item.columns.get(c))
            .and_then(|cell| {
                cell.value
                    .as_ref()
                    .and_then(|v| v.get("email"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| cell.text.clone())
            })
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        let board = || self.shape.columns.iter().filter(|c| c.id != "name");
        let email_key = email.as_deref().map(str::to_lowercase);
        let group = item.group_id.clone().unwrap_or_default();
        let text = |c: &BoardColumn| {
            item.columns
                .get(&c.id)
                .and_then(|v| v.text.as_deref())
                .unwrap_or_default()
        };
        let ready = ReadyRow::render(RowParts {
            group_id: &group,
            email_key: email_key.as_deref(),
            layout: &self.layout,
            fields: [item.id.as_str(), item.name.as_str()]
                .into_iter()
                .chain(board().map(text)),
            typed: board()
                .filter_map(|c| match CellKind::of(&c.kind) {
                    CellKind::Text => None,
                    kind => Some(cells::typed(
                        kind,
                        text(c),
                        item.columns.get(&c.id).and_then(|v| v.value.as_ref()),
                    )),
                })
                .collect(),
        });
        // The layout counts too: a column that is added, moved or retyped
        // changes what a reader gets, so the lead is written again.
        let content = json!({
            "layout": self.layout,
            "name": item.name,
            "group": group,
            "email": email,
            "phone": self.text(item, &self.phone),
            "company": self.text(item, &self.company),
            "owner": self.text(item, &self.owner),
            "created": item.created_at,
            "updated": item.updated_at,
            "values": values,
        });
        let hash = content_hash(&content);
        Record {
            key: item.id.clone(),
            hash: hash.clone(),
            row: lead::ActiveModel {
                item_id: Set(item.id.clone()),
                valid_from: Set(run),
                valid_to: Set(None),
                hash: Set(hash),
                name: Set(item.name.clone()),
                group_id: Set(group),
                email_key: Set(email_key),
                email: Set(email),
                phone: Set(self.text(item, &self.phone).map(str::to_owned)),
                company: Set(self.text(item, &self.company).map(str::to_owned)),
                owner: Set(self.text(item, &self.owner).map(str::to_owned)),
                created_at: Set(parse_time(item.created_at.as_deref())),
                updated_at: Set(parse_time(item.updated_at.as_deref())),
                export_row: Set(Some(ready)),
            },
            extra: lead_value::ActiveModel {
                item_id: Set(item.id.clone()),
                valid_from: Set(run),
                column_values: Set(Value::Object(values).to_string()),
            },
        }
    }
}

impl Leads {
    #[tracing::instrument(skip_all, fields(board = %self.board_id))]
    pub async fn run(
        &self,
        ctx: &RunCtx,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), PipelineError> {
        let shape = self.monday.board_shape(&self.board_id).await?;
        ctx.info(
            LEADS,
            format!(
                "board {:?}: {} items, {} columns, {} groups",
                shape.name,
                shape.items_count.unwrap_or_default(),
                shape.columns.len(),
                shape.groups.len()
            ),
        )
        .await;
        let reshaped = self.write_shape(ctx, &shape).await?;
        let total = shape.items_count;
        let mapping = Mapping::new(shape);
        match since {
            // A renamed or added column changes every item's row.
            Some(_) if reshaped => {
                ctx.info(
                    LEADS,
                    "the board's columns or groups changed; reading every item",
                )
                .await;
                self.walk(ctx, &mapping, total).await?;
            }
            Some(since) if Utc::now() - since > MAX_LOG_AGE => {
                self.walk(ctx, &mapping, total).await?;
            }
            Some(since) => self.changed_since(ctx, &mapping, since).await?,
            None => self.walk(ctx, &mapping, total).await?,
        }
        let budget = self.monday.budget();
        ctx.info(
            LEADS,
            format!(
                "done; complexity budget left {}, waited {} ms for it",
                budget.map_or(-1, |b| b.after),
                self.monday.budget_waited().as_millis()
            ),
        )
        .await;
        Ok(())
    }

    /// Writes the board's columns and groups; whether any changed.
    async fn write_shape(&self, ctx: &RunCtx, shape: &BoardShape) -> Result<bool, PipelineError> {
        let mut columns = Writer::<lead_column::Entity>::new(LEAD_COLUMNS);
        let rows = shape
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let hash = content_hash(&json!([c.title, c.kind, i]));
                Record {
                    key: c.id.clone(),
                    hash: hash.clone(),
                    row: lead_column::ActiveModel {
                        column_id: Set(c.id.clone()),
                        valid_from: Set(ctx.number),
                        valid_to: Set(None),
                        hash: Set(hash),
                        title: Set(c.title.clone()),
                        column_type: Set(c.kind.clone()),
                        position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                    },
                    extra: (),
                }
            })
            .collect();
        columns.write(ctx, rows).await?;
        columns.close_unseen(ctx).await?;
        let mut groups = Writer::<lead_group::Entity>::new(LEAD_GROUPS);
        let rows = shape
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let hash = content_hash(&json!([g.title, i]));
                Record {
                    key: g.id.clone(),
                    hash: hash.clone(),
                    row: lead_group::ActiveModel {
                        group_id: Set(g.id.clone()),
                        valid_from: Set(ctx.number),
                        valid_to: Set(None),
                        hash: Set(hash),
                        title: Set(g.title.clone()),
                        position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                    },
                    extra: (),
                }
            })
            .collect();
        groups.write(ctx, rows).await?;
        groups.close_unseen(ctx).await?;
        let changed = ctx.stats().iter().any(|s| {
            (s.stream == LEAD_COLUMNS || s.stream == LEAD_GROUPS)
                && s.inserted + s.updated + s.deleted > 0
        });
        Ok(changed)
    }

    /// Every item, page by page; what the walk did not see is gone.
    async fn walk(
        &self,
        ctx: &RunCtx,
        mapping: &Mapping,
        total: Option<u64>,
    ) -> Result<(), PipelineError> {
        let mut writer = Writer::<lead::Entity, lead_value::ActiveModel>::new(LEADS);
        let mut restarts = 0;
        'walk: loop {
            ctx.checkpoint()?;
            writer.restart();
            let started = Instant::now();
            let (items, mut cursor) = self.monday.leads_first_page(&self.board_id, PAGE).await?;
            self.page(ctx, mapping, &mut writer, items, total).await?;
            while let Some(c) = cursor.take() {
                ctx.checkpoint()?;
                if started.elapsed() + self.monday.budget_wait() + CURSOR_MARGIN >= CURSOR_TTL {
                    // Waiting for the budget would outlive the cursor.
                    restarts += 1;
                    if restarts > MAX_RESTARTS {
                        return Err(PipelineError::Upstream(
                            "the board cannot be read within a cursor's lifetime".to_owned(),
                        ));
                    }
                    ctx.info(LEADS, "the cursor would expire while waiting for the budget; starting the walk over").await;
                    continue 'walk;
                }
                match self.monday.leads_next_page(c, PAGE).await {
                    Ok((items, next)) => {
                        self.page(ctx, mapping, &mut writer, items, total).await?;
                        cursor = next;
                    }
                    Err(e) if e.is_cursor_expired() && restarts < MAX_RESTARTS => {
                        restarts += 1;
                        ctx.log(
                            "WARN",
                            Some(LEADS),
                            format!("the cursor expired; starting the walk over ({restarts} of {MAX_RESTARTS})"),
                        )
                        .await;
                        continue 'walk;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            break;
        }
        let gone = writer.close_unseen(ctx).await?;
        ctx.info(
            LEADS,
            format!(
                "read {} items; {gone} gone from the board",
                writer.seen().len()
            ),
        )
        .await;
        Ok(())
    }

    async fn page(
        &self,
        ctx: &RunCtx,
        mapping: &Mapping,
        writer: &mut Writer<lead::Entity, lead_value::ActiveModel>,
        items: Vec<MondayItem>,
        total: Option<u64>,
    ) -> Result<(), PipelineError> {
        ctx.count(LEADS, |s| s.fetched += items.len() as u64);
        let records = items
            .iter()
            .map(|i| mapping.record(ctx.number, i))
            .collect();
        writer.write(ctx, records).await?;
        let done = writer.seen().len() as u64;
        ctx.progress(LEADS, done, total.map(|t| t.max(done))).await;
        Ok(())
    }

    /// What the activity log names since `since`, re-read by id: present
    /// items are written, the others (deleted, archived, moved to another
    /// board) are gone.
    async fn changed_since(
        &self,
        ctx: &RunCtx,
        mapping: &Mapping,
        since: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        let mut named = BTreeSet::new();
        let mut entries = 0;
        for page in 1.. {
            ctx.checkpoint()?;
            let log = self
                .monday
                .board_activity(&self.board_id, since, ACTIVITY_PAGE, page)
                .await?;
            entries += log.len();
            named.extend(log.iter().filter_map(|a| a.item_id()));
            if (log.len() as i64) < ACTIVITY_PAGE {
                break;
            }
        }
        ctx.info(
            LEADS,
            format!(
                "{entries} activity entries since {since} name {} items",
                named.len()
            ),
        )
        .await;
        let ids: Vec<String> = named.into_iter().collect();
        let mut writer = Writer::<lead::Entity, lead_value::ActiveModel>::new(LEADS);
        let total = ids.len() as u64;
        let mut done = 0;
        for chunk in ids.chunks(BY_IDS) {
            ctx.checkpoint()?;
            let found = self.monday.leads_by_ids(chunk.to_vec()).await?;
            let present: Vec<MondayItem> = found
                .into_iter()
                .filter(|i| {
                    i.board_id.as_deref() == Some(self.board_id.as_str())
                        && i.state.as_deref().is_none_or(|s| s == "active")
                })
                .map(|i| i.item)
                .collect();
            let gone: Vec<String> = chunk
                .iter()
                .filter(|id| !present.iter().any(|p| &p.id == *id))
                .cloned()
                .collect();
            ctx.count(LEADS, |s| s.fetched += present.len() as u64);
            let records = present
                .iter()
                .map(|i| mapping.record(ctx.number, i))
                .collect();
            writer.write(ctx, records).await?;
            writer.close(ctx, &gone).await?;
            done += chunk.len() as u64;
            ctx.progress(LEADS, done, Some(total)).await;
        }
        Ok(())
    }
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}
