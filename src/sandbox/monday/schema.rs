//! The root `Query` of the simulated API: the subset of the
//! official schema that bridgeboard uses, with the official argument names.

use async_graphql::{Context, EmptySubscription, ID, Object, Schema};

use super::assets::AssetObj;
use super::complexity::Charge;
use super::errors::{SimResult, gql};
use super::inputs::{BoardKind, ItemsPageByColumnValuesQuery, State, VersionKind};
use super::sim;
use super::store::ME_ID;
use super::types::{
    BoardObj, ComplexityObj, ItemObj, ItemsResponse, UserObj, VersionObj, WebhookObj, parse_id,
};

pub use super::mutation::MutationRoot;

pub type MondaySchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Per-request facts the handler works out before execution.
#[derive(Clone, Copy)]
pub struct RequestInfo {
    pub charge: Charge,
    pub version: &'static str,
    pub version_kind: VersionKind,
}

pub struct QueryRoot;

#[Object(
    name = "Query",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl QueryRoot {
    async fn me(&self) -> Option<UserObj> {
        UserObj::find(ME_ID)
    }

    async fn assets(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> SimResult<Option<Vec<Option<AssetObj>>>> {
        let ids = ids.iter().map(parse_id).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(
            sim(ctx)
                .assets_by_ids(&ids)
                .into_iter()
                .map(|a| Some(AssetObj(a)))
                .collect(),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn boards(
        &self,
        ctx: &Context<'_>,
        board_kind: Option<BoardKind>,
        ids: Option<Vec<ID>>,
        latest: Option<bool>,
        #[graphql(default_with = "Some(25)")] limit: Option<i32>,
        #[graphql(default_with = "Some(1)")] page: Option<i32>,
        #[graphql(default_with = "Some(State::Active)")] state: Option<State>,
        workspace_ids: Option<Vec<Option<ID>>>,
    ) -> SimResult<Option<Vec<Option<BoardObj>>>> {
        let _ = (latest, state, workspace_ids);
        let ids = ids
            .map(|v| v.iter().map(parse_id).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let limit = usize::try_from(limit.unwrap_or(25)).unwrap_or(25);
        let page = usize::try_from(page.unwrap_or(1).max(1) - 1).unwrap_or(0);
        let store = sim(ctx).read();
        let boards = store
            .boards
            .iter()
            .map(|b| b.meta.clone())
            .filter(|m| ids.as_ref().is_none_or(|ids| ids.contains(&m.id)))
            .filter(|m| {
                board_kind.is_none_or(|k| {
                    m.kind
                        == if k == BoardKind::Private {
                            "private"
                        } else if k == BoardKind::Share {
                            "share"
                        } else {
                            "public"
                        }
                })
            })
            .skip(page * limit)
            .take(limit)
            .map(|m| Some(BoardObj(m)))
            .collect();
        Ok(Some(boards))
    }

    async fn next_items_page(
        &self,
        ctx: &Context<'_>,
        cursor: String,
        #[graphql(default = 25)] limit: i32,
    ) -> SimResult<ItemsResponse> {
        sim(ctx).next_page(&cursor, limit).map_err(gql)
    }

    #[allow(clippy::too_many_arguments)]
    async fn items(
        &self,
        ctx: &Context<'_>,
        exclude_nonactive: Option<bool>,
        ids: Option<Vec<ID>>,
        #[graphql(default_with = "Some(25)")] limit: Option<i32>,
        newest_first: Option<bool>,
        #[graphql(default_with = "Some(1)")] page: Option<i32>,
    ) -> SimResult<Option<Vec<Option<ItemObj>>>> {
        let ids = ids
            .map(|v| v.iter().map(parse_id).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let limit = usize::try_from(limit.unwrap_or(25)).unwrap_or(25);
        let page = usize::try_from(page.unwrap_or(1).max(1) - 1).unwrap_or(0);
        let items = sim(ctx).items_by_ids(
            ids,
            newest_first == Some(true),
            exclude_nonactive == Some(true),
            page * limit,
            limit,
        );
        Ok(Some(items.into_iter().map(Some).collect()))
    }

    async fn items_page_by_column_values(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        columns: Option<Vec<ItemsPageByColumnValuesQuery>>,
        cursor: Option<String>,
        hierarchy_scope_config: Option<String>,
        #[graphql(default = 25)] limit: i32,
    ) -> SimResult<ItemsResponse> {
        let _ = hierarchy_scope_config;
        if let Some(cursor) = cursor {
            return sim(ctx).next_page(&cursor, limit).map_err(gql);
        }
        let board_id = parse_id(&board_id)?;
        let columns: Vec<(String, Vec<String>)> = columns
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.column_id, c.column_values.into_iter().flatten().collect()))
            .collect();
        let ids =
            super::query::by_column_values(&sim(ctx).read(), board_id, &columns).map_err(gql)?;
        sim(ctx).first_page(ids, limit).map_err(gql)
    }

    async fn complexity(&self, ctx: &Context<'_>) -> Option<ComplexityObj> {
        ctx.data_opt::<RequestInfo>()
            .map(|r| ComplexityObj(r.charge))
    }

    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        app_webhooks_only: Option<bool>,
        board_id: ID,
    ) -> SimResult<Option<Vec<Option<WebhookObj>>>> {
        let _ = app_webhooks_only;
        let board_id = parse_id(&board_id)?;
        let store = sim(ctx).read();
        store.board(board_id).map_err(gql)?;
        let hooks = store.webhooks.iter().filter(|w| w.board_id == board_id);
        Ok(Some(hooks.map(|w| Some(WebhookObj(w.clone()))).collect()))
    }

    async fn version(&self, ctx: &Context<'_>) -> VersionObj {
        match ctx.data_opt::<RequestInfo>() {
            Some(r) => VersionObj(r.version, r.version_kind),
            None => VersionObj(super::http::DEFAULT_VERSION, VersionKind::Current),
        }
    }

    async fn versions(&self) -> Option<Vec<VersionObj>> {
        Some(
            super::http::VERSIONS
                .iter()
                .map(|(v, k)| VersionObj(v, *k))
                .collect(),
        )
    }
}
