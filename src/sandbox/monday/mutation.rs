//! The root `Mutation`: the writes bridgeboard makes, with the official
//! argument names; every item write goes through the simulator so it emits
//! changes and webhooks.

use async_graphql::{Context, ErrorExtensions, ID, Object};

use super::assets::{AssetObj, FileScalar};
use super::errors::{SimError, SimResult, gql};
use super::inputs::{BoardKind, ColumnType, JsonScalar, WebhookEventType};
use super::misc_types::{UpdateObj, WebhookObj};
use super::store::ME_ID;
use super::types::{BoardObj, ColumnObj, GroupObj, ItemObj, board_meta, parse_id};
use super::values::{ColumnKind, label};
use super::{sim, webhooks};

pub struct MutationRoot;

/// The official SDL makes `item_id` optional; Monday refuses a call without it.
fn required_item(item_id: Option<ID>) -> Result<u64, async_graphql::Error> {
    parse_id(
        &item_id.ok_or_else(|| SimError::InvalidArgument("item_id is required".into()).extend())?,
    )
}

fn kind_name(k: BoardKind) -> &'static str {
    match k {
        BoardKind::Private => "private",
        BoardKind::Public => "public",
        BoardKind::Share => "share",
    }
}

#[Object(
    name = "Mutation",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl MutationRoot {
    #[allow(clippy::too_many_arguments)]
    async fn create_board(
        &self,
        ctx: &Context<'_>,
        board_kind: BoardKind,
        board_name: String,
        board_owner_ids: Option<Vec<ID>>,
        board_subscriber_ids: Option<Vec<ID>>,
        description: Option<String>,
        #[graphql(default_with = "Some(false)")] empty: Option<bool>,
        folder_id: Option<ID>,
        template_id: Option<ID>,
        workspace_id: Option<ID>,
    ) -> SimResult<Option<BoardObj>> {
        let _ = (
            board_owner_ids,
            board_subscriber_ids,
            empty,
            folder_id,
            template_id,
            workspace_id,
        );
        if board_name.trim().is_empty() {
            return Err(gql(SimError::InvalidArgument(
                "board_name can't be empty".into(),
            )));
        }
        let sim = sim(ctx);
        let id = sim
            .write()
            .create_board(&board_name, kind_name(board_kind), description);
        Ok(Some(BoardObj(board_meta(sim, id).map_err(gql)?)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_column(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        id: Option<String>,
        title: String,
        description: Option<String>,
        after_column_id: Option<ID>,
        defaults: Option<JsonScalar>,
        column_type: ColumnType,
    ) -> SimResult<Option<ColumnObj>> {
        let _ = after_column_id;
        let board_id = parse_id(&board_id)?;
        let kind = ColumnKind::from_api(column_type.name())
            .filter(|k| *k != ColumnKind::Name)
            .ok_or_else(|| {
                gql(SimError::InvalidArgument(format!(
                    "The sandbox does not support {} columns",
                    column_type.name()
                )))
            })?;
        let mut labels = Vec::new();
        if kind == ColumnKind::Status
            && let Some(serde_json::Value::Object(map)) = defaults
                .map(|d| d.decoded())
                .and_then(|d| d.get("labels").cloned())
        {
            for (k, v) in map {
                let index = k.parse::<u16>().map_err(|_| {
                    gql(SimError::InvalidArgument(format!(
                        "invalid label index {k}"
                    )))
                })?;
                labels.push(label(index, v.as_str().unwrap_or_default(), false));
            }
        }
        let mut col = sim(ctx)
            .write()
            .create_column(board_id, id.as_deref(), &title, kind, labels)
            .map_err(gql)?;
        col.description = description;
        Ok(Some(ColumnObj(col)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        group_color: Option<String>,
        group_name: String,
        position: Option<String>,
        relative_to: Option<String>,
    ) -> SimResult<Option<GroupObj>> {
        let _ = (position, relative_to);
        let board_id = parse_id(&board_id)?;
        let sim = sim(ctx);
        let group = sim
            .write()
            .create_group(board_id, &group_name, group_color.as_deref())
            .map_err(gql)?;
        let meta = board_meta(sim, board_id).map_err(gql)?;
        let idx = meta
            .groups
            .iter()
            .position(|g| g.id == group.id)
            .unwrap_or(0);
        Ok(Some(GroupObj(meta, idx)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_item(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        column_values: Option<JsonScalar>,
        create_labels_if_missing: Option<bool>,
        group_id: Option<String>,
        item_name: String,
        relative_to: Option<ID>,
    ) -> SimResult<Option<ItemObj>> {
        let _ = relative_to;
        let board_id = parse_id(&board_id)?;
        let values = column_values
            .map(|v| v.object())
            .transpose()
            .map_err(gql)?
            .unwrap_or_default();
        let sim = sim(ctx);
        let id = sim
            .api_create_item(
                board_id,
                group_id.as_deref(),
                &item_name,
                &values,
                create_labels_if_missing.unwrap_or(false),
                ME_ID,
            )
            .map_err(gql)?;
        Ok(sim.item_obj(id))
    }

    async fn change_multiple_column_values(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        column_values: JsonScalar,
        create_labels_if_missing: Option<bool>,
        item_id: Option<ID>,
    ) -> SimResult<Option<ItemObj>> {
        let board_id = parse_id(&board_id)?;
        let item_id = required_item(item_id)?;
        let values = column_values.object().map_err(gql)?;
        let sim = sim(ctx);
        sim.api_set_values(
            item_id,
            Some(board_id),
            &values,
            create_labels_if_missing.unwrap_or(false),
            ME_ID,
        )
        .map_err(gql)?;
        Ok(sim.item_obj(item_id))
    }

    async fn change_simple_column_value(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        column_id: String,
        create_labels_if_missing: Option<bool>,
        item_id: Option<ID>,
        value: Option<String>,
    ) -> SimResult<Option<ItemObj>> {
        let board_id = parse_id(&board_id)?;
        let item_id = required_item(item_id)?;
        let mut values = serde_json::Map::new();
        values.insert(
            column_id,
            value.map_or(serde_json::Value::Null, serde_json::Value::String),
        );
        let sim = sim(ctx);
        sim.api_set_values(
            item_id,
            Some(board_id),
            &values,
            create_labels_if_missing.unwrap_or(false),
            ME_ID,
        )
        .map_err(gql)?;
        Ok(sim.item_obj(item_id))
    }

    async fn change_column_value(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        column_id: String,
        create_labels_if_missing: Option<bool>,
        item_id: Option<ID>,
        value: JsonScalar,
    ) -> SimResult<Option<ItemObj>> {
        let board_id = parse_id(&board_id)?;
        let item_id = required_item(item_id)?;
        let mut values = serde_json::Map::new();
        values.insert(column_id, value.decoded());
        let sim = sim(ctx);
        sim.api_set_values(
            item_id,
            Some(board_id),
            &values,
            create_labels_if_missing.unwrap_or(false),
            ME_ID,
        )
        .map_err(gql)?;
        Ok(sim.item_obj(item_id))
    }

    async fn create_update(
        &self,
        ctx: &Context<'_>,
        body: String,
        item_id: Option<ID>,
        parent_id: Option<ID>,
    ) -> SimResult<Option<UpdateObj>> {
        let parent_id = parent_id.map(|p| parse_id(&p)).transpose()?;
        let item_id = match parent_id {
            Some(_) => None,
            None => Some(required_item(item_id)?),
        };
        let update = sim(ctx)
            .add_update(item_id, parent_id, &body, ME_ID)
            .map_err(gql)?;
        Ok(Some(UpdateObj(update)))
    }

    /// The file arrives through the multipart file endpoint.
    async fn add_file_to_update(
        &self,
        ctx: &Context<'_>,
        update_id: ID,
        file: FileScalar,
    ) -> SimResult<Option<AssetObj>> {
        let update_id = parse_id(&update_id)?;
        let file = file.take(ctx).map_err(gql)?;
        let asset = sim(ctx).add_file(update_id, file, ME_ID).map_err(gql)?;
        Ok(Some(AssetObj(asset)))
    }

    async fn edit_update(&self, ctx: &Context<'_>, id: ID, body: String) -> SimResult<UpdateObj> {
        let id = parse_id(&id)?;
        let update = sim(ctx).edit_update(id, &body, ME_ID).map_err(gql)?;
        Ok(UpdateObj(update))
    }

    async fn delete_update(&self, ctx: &Context<'_>, id: ID) -> SimResult<Option<UpdateObj>> {
        let id = parse_id(&id)?;
        let update = sim(ctx).delete_update(id, ME_ID).map_err(gql)?;
        Ok(Some(UpdateObj(update)))
    }

    async fn delete_item(
        &self,
        ctx: &Context<'_>,
        item_id: Option<ID>,
    ) -> SimResult<Option<ItemObj>> {
        let item_id = required_item(item_id)?;
        let (meta, item) = sim(ctx).remove_item(item_id, ME_ID).map_err(gql)?;
        Ok(Some(ItemObj(meta, item)))
    }

    /// Moving to the group it is in already changes nothing (and logs nothing).
    async fn move_item_to_group(
        &self,
        ctx: &Context<'_>,
        group_id: String,
        item_id: Option<ID>,
    ) -> SimResult<Option<ItemObj>> {
        let item_id = required_item(item_id)?;
        let sim = sim(ctx);
        sim.api_move(item_id, &group_id, ME_ID).map_err(gql)?;
        Ok(sim.item_obj(item_id))
    }

    /// Returns the item with `state: archived`.
    async fn archive_item(
        &self,
        ctx: &Context<'_>,
        item_id: Option<ID>,
    ) -> SimResult<Option<ItemObj>> {
        let item_id = required_item(item_id)?;
        let sim = sim(ctx);
        sim.api_archive(item_id, ME_ID).map_err(gql)?;
        Ok(sim.item_obj(item_id))
    }

    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        board_id: ID,
        config: Option<JsonScalar>,
        event: WebhookEventType,
        url: String,
    ) -> SimResult<Option<WebhookObj>> {
        let board_id = parse_id(&board_id)?;
        let sim = sim(ctx);
        sim.read().board(board_id).map_err(gql)?;
        if url.len() > 255 || !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(gql(SimError::InvalidArgument(
                "url must be an http(s) URL of at most 255 characters".into(),
            )));
        }
        let client = sim.http_client().ok_or_else(|| {
            gql(SimError::InvalidArgument(
                "Failed to communicate with URL provided.".into(),
            ))
        })?;
        webhooks::challenge(&client, &url).await.map_err(gql)?;
        let hook = sim.add_webhook(board_id, url, event.name(), config.map(|c| c.decoded()));
        Ok(Some(WebhookObj(hook)))
    }

    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> SimResult<Option<WebhookObj>> {
        let id = parse_id(&id)?;
        let hook = sim(ctx).remove_webhook(id).map_err(gql)?;
        Ok(Some(WebhookObj(hook)))
    }
}
