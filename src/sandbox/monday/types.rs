//! The main object types Monday serves (`Board`, `Item`, `Column`, `Group`,
//! `ItemsResponse`; smaller ones are in `misc_types`), with the official
//! names and nullability. Each holds an `Arc` snapshot so
//! field resolution never touches the store lock.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use serde_json::json;

use super::activity::{ActivityLogObj, LogFilter, parse_time};
use super::column_values::{ColumnValue, column_value};
use super::errors::{SimError, SimResult, gql};
use super::inputs::{
    BoardKind, ColumnType, DateScalar, IsoDateTime, ItemsQuery, JsonScalar, State,
};
pub use super::misc_types::{
    ComplexityObj, UpdateObj, UserObj, VersionObj, WebhookObj, strip_html,
};
use super::query::ItemsFilter;
use super::store::{BoardMeta, ColumnRec, ItemRec};
use super::values::{ColumnKind, iso};
use super::{MondaySim, sim};

pub fn parse_id(id: &ID) -> Result<u64, async_graphql::Error> {
    id.parse::<u64>().map_err(|_| {
        gql(SimError::InvalidArgument(format!(
            "Invalid ID: {}",
            id.as_str()
        )))
    })
}

fn date(ts: i64) -> DateScalar {
    DateScalar(iso(ts))
}

pub struct BoardObj(pub Arc<BoardMeta>);

/// Serves one page of a board's items (shared by every paging field).
pub fn items_page(
    ctx: &Context<'_>,
    board_id: u64,
    filter: Option<ItemsFilter>,
    limit: i32,
    cursor: Option<String>,
) -> SimResult<ItemsResponse> {
    let sim = sim(ctx);
    sim.page(board_id, filter, limit, cursor.as_deref())
        .map_err(gql)
}

#[Object(
    name = "Board",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl BoardObj {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn board_kind(&self) -> BoardKind {
        match self.0.kind.as_str() {
            "private" => BoardKind::Private,
            "share" => BoardKind::Share,
            _ => BoardKind::Public,
        }
    }
    async fn state(&self) -> State {
        State::Active
    }
    async fn permissions(&self) -> &str {
        "everyone"
    }
    async fn item_terminology(&self) -> Option<&str> {
        Some("item")
    }
    async fn url(&self) -> String {
        format!("https://sandbox.monday.com/boards/{}", self.0.id)
    }
    async fn created_at(&self) -> Option<IsoDateTime> {
        Some(IsoDateTime(iso(self.0.created_at)))
    }
    async fn workspace_id(&self) -> Option<ID> {
        None
    }
    async fn items_count(&self, ctx: &Context<'_>) -> Option<i32> {
        Some(i32::try_from(sim(ctx).item_count(self.0.id)).unwrap_or(i32::MAX))
    }
    async fn columns(
        &self,
        ids: Option<Vec<Option<String>>>,
        types: Option<Vec<ColumnType>>,
    ) -> Option<Vec<Option<ColumnObj>>> {
        let cols = self.0.columns.iter().filter(|c| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().flatten().any(|i| *i == c.id))
                && types
                    .as_ref()
                    .is_none_or(|t| t.contains(&ColumnType::from_name(c.kind.api_name())))
        });
        Some(cols.map(|c| Some(ColumnObj(c.clone()))).collect())
    }
    async fn groups(&self, ids: Option<Vec<Option<String>>>) -> Option<Vec<Option<GroupObj>>> {
        let groups = (0..self.0.groups.len()).filter(|i| {
            ids.as_ref()
                .is_none_or(|ids| ids.iter().flatten().any(|id| *id == self.0.groups[*i].id))
        });
        Some(groups.map(|i| Some(GroupObj(self.0.clone(), i))).collect())
    }
    async fn top_group(&self) -> GroupObj {
        GroupObj(self.0.clone(), 0)
    }
    async fn items_page(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        hierarchy_scope_config: Option<String>,
        #[graphql(default = 25)] limit: i32,
        query_params: Option<ItemsQuery>,
    ) -> SimResult<ItemsResponse> {
        let _ = hierarchy_scope_config;
        let filter = query_params.map(|q| q.filter()).transpose().map_err(gql)?;
        items_page(ctx, self.0.id, filter, limit, cursor)
    }
    #[allow(clippy::too_many_arguments)]
    async fn activity_logs(
        &self,
        ctx: &Context<'_>,
        column_ids: Option<Vec<Option<String>>>,
        from: Option<IsoDateTime>,
        group_ids: Option<Vec<Option<String>>>,
        item_ids: Option<Vec<ID>>,
        #[graphql(default_with = "Some(25)")] limit: Option<i32>,
        #[graphql(default_with = "Some(1)")] page: Option<i32>,
        to: Option<IsoDateTime>,
        user_ids: Option<Vec<ID>>,
    ) -> SimResult<Option<Vec<Option<ActivityLogObj>>>> {
        let ids = |v: Option<Vec<ID>>| {
            v.map(|v| v.iter().map(parse_id).collect::<Result<Vec<_>, _>>())
                .transpose()
        };
        let time = |arg: &str, t: Option<IsoDateTime>| {
            t.map(|t| parse_time(arg, &t.0)).transpose().map_err(gql)
        };
        let strings = |v: Option<Vec<Option<String>>>| v.map(|v| v.into_iter().flatten().collect());
        let filter = LogFilter {
            from: time("from", from)?,
            to: time("to", to)?,
            item_ids: ids(item_ids)?,
            group_ids: strings(group_ids),
            column_ids: strings(column_ids),
            user_ids: ids(user_ids)?,
        };
        let logs = sim(ctx)
            .activity_logs(self.0.id, &filter, limit.unwrap_or(25), page.unwrap_or(1))
            .map_err(gql)?;
        Ok(Some(
            logs.into_iter().map(|l| Some(ActivityLogObj(l))).collect(),
        ))
    }
}

pub struct ColumnObj(pub ColumnRec);

impl ColumnObj {
    fn settings_json(&self) -> serde_json::Value {
        if self.0.kind != ColumnKind::Status {
            return json!({});
        }
        let labels: serde_json::Map<_, _> = self
            .0
            .labels
            .iter()
            .map(|l| (l.index.to_string(), json!(l.text)))
            .collect();
        let colors: serde_json::Map<_, _> = self
            .0
            .labels
            .iter()
            .map(|l| {
                (
                    l.index.to_string(),
                    json!({"color": l.color, "border": l.border, "var_name": l.var_name}),
                )
            })
            .collect();
        let done: Vec<u16> = self
            .0
            .labels
            .iter()
            .filter(|l| l.done)
            .map(|l| l.index)
            .collect();
        json!({"labels": labels, "labels_colors": colors, "done_colors": done})
    }
}

#[Object(
    name = "Column",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl ColumnObj {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> ColumnType {
        ColumnType::from_name(self.0.kind.api_name())
    }
    async fn archived(&self) -> bool {
        false
    }
    async fn width(&self) -> Option<i32> {
        None
    }
    async fn settings(&self) -> Option<JsonScalar> {
        Some(JsonScalar::Doc(self.settings_json()))
    }
    async fn settings_str(&self) -> String {
        self.settings_json().to_string()
    }
    async fn revision(&self) -> String {
        format!("{:x}", self.0.labels.len())
    }
}

pub struct GroupObj(pub Arc<BoardMeta>, pub usize);

#[Object(
    name = "Group",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl GroupObj {
    async fn id(&self) -> ID {
        ID(self.0.groups[self.1].id.clone())
    }
    async fn title(&self) -> &str {
        &self.0.groups[self.1].title
    }
    async fn color(&self) -> &str {
        &self.0.groups[self.1].color
    }
    async fn position(&self) -> String {
        format!("{}", 65536 * (self.1 + 1))
    }
    async fn archived(&self) -> Option<bool> {
        Some(false)
    }
    async fn deleted(&self) -> Option<bool> {
        Some(false)
    }
    async fn items_page(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        hierarchy_scope_config: Option<String>,
        #[graphql(default = 25)] limit: i32,
        query_params: Option<ItemsQuery>,
    ) -> SimResult<ItemsResponse> {
        let _ = hierarchy_scope_config;
        let mut filter = query_params
            .map(|q| q.filter())
            .transpose()
            .map_err(gql)?
            .unwrap_or_default();
        filter.group = Some(self.0.groups[self.1].id.clone());
        items_page(ctx, self.0.id, Some(filter), limit, cursor)
    }
}

pub struct ItemsResponse {
    pub cursor: Option<String>,
    pub items: Vec<ItemObj>,
}

#[Object(rename_fields = "snake_case")]
impl ItemsResponse {
    async fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
    async fn items(&self) -> &[ItemObj] {
        &self.items
    }
}

#[derive(Clone)]
pub struct ItemObj(pub Arc<BoardMeta>, pub Arc<ItemRec>);

#[Object(
    name = "Item",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl ItemObj {
    async fn id(&self) -> ID {
        ID(self.1.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.1.name
    }
    async fn state(&self) -> Option<State> {
        Some(if self.1.archived {
            State::Archived
        } else {
            State::Active
        })
    }
    async fn created_at(&self) -> Option<DateScalar> {
        Some(date(self.1.created_at))
    }
    async fn updated_at(&self) -> Option<DateScalar> {
        Some(date(self.1.updated_at))
    }
    async fn creator_id(&self) -> String {
        self.1.creator_id.to_string()
    }
    async fn creator(&self) -> Option<UserObj> {
        UserObj::find(self.1.creator_id)
    }
    async fn email(&self) -> String {
        format!("pulse-{}@sandbox.monday.com", self.1.id)
    }
    async fn url(&self) -> String {
        format!(
            "https://sandbox.monday.com/boards/{}/pulses/{}",
            self.0.id, self.1.id
        )
    }
    async fn relative_link(&self) -> Option<String> {
        Some(format!("/boards/{}/pulses/{}", self.0.id, self.1.id))
    }
    async fn board(&self) -> Option<BoardObj> {
        Some(BoardObj(self.0.clone()))
    }
    async fn group(&self) -> Option<GroupObj> {
        (self.1.group < self.0.groups.len()).then(|| GroupObj(self.0.clone(), self.1.group))
    }
    async fn subitems(&self) -> Option<Vec<Option<ItemObj>>> {
        Some(vec![])
    }
    async fn column_values(
        &self,
        ids: Option<Vec<String>>,
        types: Option<Vec<ColumnType>>,
    ) -> Vec<ColumnValue> {
        let wanted = |c: &ColumnRec| {
            c.kind != ColumnKind::Name
                && ids.as_ref().is_none_or(|ids| ids.contains(&c.id))
                && types
                    .as_ref()
                    .is_none_or(|t| t.contains(&ColumnType::from_name(c.kind.api_name())))
        };
        (0..self.0.columns.len())
            .filter(|i| wanted(&self.0.columns[*i]))
            .map(|i| column_value(self.0.clone(), self.1.clone(), i))
            .collect()
    }
    async fn updates(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        page: Option<i32>,
        ids: Option<Vec<ID>>,
    ) -> Option<Vec<UpdateObj>> {
        let limit = usize::try_from(limit.unwrap_or(25)).unwrap_or(25);
        let page = usize::try_from(page.unwrap_or(1).max(1) - 1).unwrap_or(0);
        let all = sim(ctx).updates_of(self.1.id);
        let ids: Option<Vec<String>> = ids.map(|v| v.into_iter().map(|i| i.0).collect());
        let list = all.into_iter().rev().filter(|u| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&u.id.to_string()))
        });
        Some(list.skip(page * limit).take(limit).map(UpdateObj).collect())
    }
}

pub fn board_meta(sim: &MondaySim, id: u64) -> Result<Arc<BoardMeta>, SimError> {
    sim.read().board(id).map(|b| b.meta.clone())
}
