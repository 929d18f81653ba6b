//! The smaller object types: `Update` and `Reply`, `Webhook`, `User`, `Account`,
//! `Complexity` and `Version`, each with the official names and nullability.

use super::assets::AssetObj;
use async_graphql::{Context, ID, Object};

use super::complexity::Charge;
use super::inputs::{DateScalar, IsoDateTime, VersionKind, WebhookEventType};
use super::sim;
use super::store::{ACCOUNT_ID, USERS, UpdateRec, WebhookRec};
use super::values::iso;

fn date(ts: i64) -> DateScalar {
    DateScalar(iso(ts))
}

pub struct UpdateObj(pub UpdateRec);

#[Object(
    name = "Update",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl UpdateObj {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn text_body(&self) -> Option<String> {
        Some(strip_html(&self.0.body))
    }
    async fn item_id(&self) -> Option<String> {
        Some(self.0.item_id.to_string())
    }
    async fn creator_id(&self) -> Option<String> {
        Some(self.0.creator_id.to_string())
    }
    async fn creator(&self) -> Option<UserObj> {
        UserObj::find(self.0.creator_id)
    }
    async fn created_at(&self) -> Option<DateScalar> {
        Some(date(self.0.created_at))
    }
    async fn updated_at(&self) -> Option<DateScalar> {
        Some(date(self.0.edited_at))
    }
    async fn edited_at(&self) -> DateScalar {
        date(self.0.edited_at)
    }
    /// The files on this update.
    async fn assets(&self, ctx: &Context<'_>) -> Option<Vec<Option<AssetObj>>> {
        Some(files(ctx, self.0.id))
    }
    /// The thread under this update, oldest first.
    async fn replies(&self, ctx: &Context<'_>) -> Option<Vec<ReplyObj>> {
        Some(
            sim(ctx)
                .replies_of(self.0.id)
                .into_iter()
                .map(ReplyObj)
                .collect(),
        )
    }
}

/// A reply in an update's thread.
pub struct ReplyObj(pub UpdateRec);

#[Object(
    name = "Reply",
    rename_fields = "snake_case",
    rename_args = "snake_case"
)]
impl ReplyObj {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn text_body(&self) -> Option<String> {
        Some(strip_html(&self.0.body))
    }
    async fn kind(&self) -> &str {
        "text"
    }
    /// The files on this reply.
    async fn assets(&self, ctx: &Context<'_>) -> Option<Vec<Option<AssetObj>>> {
        Some(files(ctx, self.0.id))
    }
    async fn creator_id(&self) -> Option<String> {
        Some(self.0.creator_id.to_string())
    }
    async fn creator(&self) -> Option<UserObj> {
        UserObj::find(self.0.creator_id)
    }
    async fn created_at(&self) -> Option<DateScalar> {
        Some(date(self.0.created_at))
    }
    async fn updated_at(&self) -> Option<DateScalar> {
        Some(date(self.0.edited_at))
    }
    async fn edited_at(&self) -> DateScalar {
        date(self.0.edited_at)
    }
}

fn files(ctx: &Context<'_>, update_id: u64) -> Vec<Option<AssetObj>> {
    sim(ctx)
        .assets_of(update_id)
        .into_iter()
        .map(|a| Some(AssetObj(a)))
        .collect()
}

/// Monday's `textBody`: the body without its HTML tags.
pub fn strip_html(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

pub struct WebhookObj(pub WebhookRec);

#[Object(name = "Webhook", rename_fields = "snake_case")]
impl WebhookObj {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn board_id(&self) -> ID {
        ID(self.0.board_id.to_string())
    }
    async fn event(&self) -> WebhookEventType {
        WebhookEventType::from_name(&self.0.event).unwrap_or(WebhookEventType::ChangeColumnValue)
    }
    async fn config(&self) -> Option<String> {
        self.0.config.as_ref().map(|c| c.to_string())
    }
}

pub struct UserObj(pub u64, pub &'static str, pub &'static str);

impl UserObj {
    pub fn find(id: u64) -> Option<Self> {
        USERS
            .iter()
            .find(|u| u.0 == id)
            .map(|u| UserObj(u.0, u.1, u.2))
    }
}

#[Object(name = "User", rename_fields = "snake_case")]
impl UserObj {
    async fn id(&self) -> ID {
        ID(self.0.to_string())
    }
    async fn name(&self) -> &str {
        self.1
    }
    async fn email(&self) -> &str {
        self.2
    }
    async fn title(&self) -> &str {
        ""
    }
    async fn url(&self) -> String {
        format!("https://sandbox.monday.com/users/{}", self.0)
    }
    async fn created_at(&self) -> IsoDateTime {
        IsoDateTime("2024-01-01T00:00:00Z".into())
    }
    async fn account_id(&self) -> ID {
        ID(ACCOUNT_ID.to_string())
    }
    async fn kind(&self) -> &str {
        "admin"
    }
    async fn is_deleted(&self) -> bool {
        false
    }
    async fn time_zone_identifier(&self) -> Option<&str> {
        Some("Etc/UTC")
    }
    async fn account(&self) -> AccountObj {
        AccountObj
    }
}

pub struct AccountObj;

#[Object(name = "Account", rename_fields = "snake_case")]
impl AccountObj {
    async fn id(&self) -> ID {
        ID(ACCOUNT_ID.to_string())
    }
    async fn name(&self) -> &str {
        "Bridgeboard Sandbox"
    }
    async fn slug(&self) -> &str {
        "bridgeboard-sandbox"
    }
    async fn show_timeline_weekends(&self) -> bool {
        true
    }
    async fn tier(&self) -> Option<&str> {
        Some("pro")
    }
}

pub struct ComplexityObj(pub Charge);

#[Object(name = "Complexity", rename_fields = "snake_case")]
impl ComplexityObj {
    async fn before(&self) -> i32 {
        i32::try_from(self.0.before).unwrap_or(i32::MAX)
    }
    async fn after(&self) -> i32 {
        i32::try_from(self.0.after).unwrap_or(i32::MAX)
    }
    async fn query(&self) -> i32 {
        i32::try_from(self.0.query).unwrap_or(i32::MAX)
    }
    async fn reset_in_x_seconds(&self) -> i32 {
        i32::try_from(self.0.reset_in_x_seconds).unwrap_or(60)
    }
}

pub struct VersionObj(pub &'static str, pub VersionKind);

#[Object(name = "Version", rename_fields = "snake_case")]
impl VersionObj {
    async fn display_name(&self) -> &str {
        self.0
    }
    async fn kind(&self) -> VersionKind {
        self.1
    }
    async fn value(&self) -> &str {
        self.0
    }
}
