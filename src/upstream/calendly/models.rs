//! Calendly's records as the v2 API renders them. Decoding is lenient on
//! purpose: a field the spec marks nullable, or one a newer or older API may
//! leave out, is optional or defaulted, and unknown fields are ignored, so an
//! answer never fails over something we do not read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"resource": …}`: the envelope of every single-record answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Resource<T> {
    pub resource: T,
}

/// `{"collection": […], "pagination": …}`: the envelope of every list.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Collection<T> {
    pub collection: Vec<T>,
    #[serde(default)]
    pub pagination: Pagination,
}

/// Where a list continues; `next_page_token` is null on the last page.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Pagination {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default)]
    pub previous_page: Option<String>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub previous_page_token: Option<String>,
}

/// `active` or `canceled`, for events and invitees alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Canceled,
    /// A status this client does not know yet.
    #[serde(other)]
    Other,
}

/// A Calendly user (`/users/me`, or embedded in a membership, where
/// `current_organization` is absent).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct User {
    pub uri: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub scheduling_url: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub current_organization: Option<String>,
}

/// The organization record (`/organizations/{uuid}`); elsewhere the API
/// refers to it by URI only.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Organization {
    pub uri: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A user's place in the organization, with the user embedded.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OrganizationMembership {
    pub uri: String,
    /// `owner`, `admin` or `user`.
    pub role: String,
    pub user: User,
    pub organization: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who an event type belongs to: a user or a team.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Profile {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
}

/// A question on an event type's booking form.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CustomQuestion {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub position: i64,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub answer_choices: Option<Vec<String>>,
    #[serde(default)]
    pub include_other: bool,
}

/// A kind of meeting people can book (active or not).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct EventType {
    pub uri: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub scheduling_url: Option<String>,
    /// Minutes.
    #[serde(default)]
    pub duration: u32,
    /// `solo` or `group`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub pooling_type: Option<String>,
    /// `StandardEventType` or `AdhocEventType`.
    #[serde(rename = "type", default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub internal_note: Option<String>,
    #[serde(default)]
    pub description_plain: Option<String>,
    #[serde(default)]
    pub description_html: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub booking_method: Option<String>,
    #[serde(default)]
    pub custom_questions: Vec<CustomQuestion>,
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub kind_description: Option<String>,
    #[serde(default)]
    pub admin_managed: bool,
}

/// Where a meeting happens. The API has a dozen location shapes; the common
/// fields are typed and the rest kept as they came.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Location {
    /// `physical`, `google_conference`, `outbound_call`, `zoom`, ….
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Seats of an event: all invitees, the ones not canceled, and the maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct InviteesCounter {
    #[serde(default)]
    pub total: u32,
    #[serde(default)]
    pub active: u32,
    #[serde(default)]
    pub limit: u32,
}

/// A host of an event.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct EventMembership {
    pub user: String,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
}

/// Someone an invitee added to the meeting.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Guest {
    pub email: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Who canceled an event or an invitee, and why.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Cancellation {
    #[serde(default)]
    pub canceled_by: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// `host` or `invitee`; absent in some older answers.
    #[serde(default)]
    pub canceler_type: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// The calendar entry the provider created for the event.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CalendarEvent {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub external_id: String,
}

/// A booked meeting, active or canceled.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ScheduledEvent {
    pub uri: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: Status,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub invitees_counter: InviteesCounter,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub event_memberships: Vec<EventMembership>,
    #[serde(default)]
    pub event_guests: Vec<Guest>,
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    #[serde(default)]
    pub calendar_event: Option<CalendarEvent>,
    /// Every field not modelled above, as Calendly sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One answer on the booking form.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct QuestionAndAnswer {
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub position: i64,
}

/// UTM and Salesforce parameters the booking link carried.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Tracking {
    #[serde(default)]
    pub utm_campaign: Option<String>,
    #[serde(default)]
    pub utm_source: Option<String>,
    #[serde(default)]
    pub utm_medium: Option<String>,
    #[serde(default)]
    pub utm_content: Option<String>,
    #[serde(default)]
    pub utm_term: Option<String>,
    #[serde(default)]
    pub salesforce_uuid: Option<String>,
}

/// The host marked the invitee as not having shown up.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NoShow {
    pub uri: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A person booked on an event, active or canceled.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Invitee {
    pub uri: String,
    pub email: String,
    /// Null when the event type asks for one name field.
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub name: String,
    pub status: Status,
    #[serde(default)]
    pub questions_and_answers: Vec<QuestionAndAnswer>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// URI of the scheduled event.
    pub event: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub tracking: Option<Tracking>,
    #[serde(default)]
    pub text_reminder_number: Option<String>,
    #[serde(default)]
    pub rescheduled: bool,
    #[serde(default)]
    pub old_invitee: Option<String>,
    #[serde(default)]
    pub new_invitee: Option<String>,
    #[serde(default)]
    pub cancel_url: Option<String>,
    #[serde(default)]
    pub reschedule_url: Option<String>,
    #[serde(default)]
    pub routing_form_submission: Option<String>,
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    #[serde(default)]
    pub no_show: Option<NoShow>,
    /// Every field not modelled above (payment, reconfirmation, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A webhook subscription: where Calendly posts which events.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct WebhookSubscription {
    pub uri: String,
    pub callback_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub retry_started_at: Option<DateTime<Utc>>,
    /// `active` or `disabled`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub events: Vec<String>,
    /// `organization` or `user`.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub creator: Option<String>,
}
