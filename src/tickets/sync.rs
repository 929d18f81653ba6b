//! Monday → us: the full board walk (at startup and on a schedule) and the
//! per-item refresh that webhooks trigger. Both go through `apply_item`, an
//! upsert that reports which fields changed, so live subscribers hear exactly
//! what staff did.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::TransactionTrait;
use tracing::Instrument;
use uuid::Uuid;

use super::board::{Change, ItemFields};
use super::delivery::update_text;
use super::error::TicketError;
use super::model::{SyncState, TicketPriority, TicketStatus};
use super::service::{KIND_CREATE_ITEM, KIND_UPDATE_ITEM, TicketService};
use super::visibility::Visibility;
use crate::changes::{Change as Changed, Scope, TicketEventKind};
use crate::db::entities::{ticket, ticket_comment};
use crate::db::repo::{outbox, tickets};
use crate::notify;
use crate::upstream::monday::MondayItem;
use crate::upstream::monday::item::ItemUpdate;

/// The startup sync's first and longest wait between attempts.
const STARTUP_RETRY_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const STARTUP_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(60);

/// The updates each item read asks for (`updates(limit: 100)` in
/// `graphql/monday/`).
const UPDATES_READ: usize = 100;

/// Which kinds of comment a merge added, changed or removed.
#[derive(Debug, Default, Clone, Copy)]
struct CommentsMerged {
    public: bool,
    internal: bool,
    /// Read from a walk and something would change: read the item again.
    recheck: bool,
}

/// How current an item's read is: just now (a webhook's refresh), or a page
/// of the board walk, which may be older than changes applied since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Fresh,
    Walk,
}

/// What applying an item did: the ticket, the event kind and the changed
/// fields (`None`: nothing).
type Applied = Option<(ticket::Model, TicketEventKind, Vec<String>)>;

impl CommentsMerged {
    fn saw(&mut self, v: Visibility) {
        match v {
            Visibility::Public => self.public = true,
            Visibility::Internal => self.internal = true,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SyncReport {
    pub items: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
}

impl TicketService {
    /// Pages through the whole board and brings every ticket up to date.
    #[tracing::instrument(skip_all, fields(board = %self.board_id))]
    pub async fn full_sync(&self) -> Result<SyncReport, TicketError> {
        let board = self.board().await?;
        let mut report = SyncReport::default();
        // Only items we knew before the walk can have vanished: one created
        // meanwhile is missing from the walk's snapshot, not from the board.
        let linked = tickets::linked_item_ids(&self.db).await?;
        let mut seen = HashSet::new();
        // Atomics, not Cell: the sync future is spawned and must be Send.
        let counts = (AtomicU64::new(0), AtomicU64::new(0));
        let items = self
            .monday
            .walk_board(&board.board_id, |page| {
                seen.extend(page.iter().map(|i| i.id.clone()));
                let counts = &counts;
                let fut = self.apply_page(page);
                async move {
                    let (c, u) = fut.await?;
                    counts.0.fetch_add(c, Ordering::Relaxed);
                    counts.1.fetch_add(u, Ordering::Relaxed);
                    Ok::<(), TicketError>(())
                }
            })
            .await?;
        report.created = counts.0.load(Ordering::Relaxed);
        report.updated = counts.1.load(Ordering::Relaxed);
        report.items = items;
        let gone: Vec<String> = linked.difference(&seen).cloned().collect();
        let deleted = tickets::mark_items_deleted(&self.db, gone, Utc::now()).await;
        if deleted.is_err() {
            // It may have marked some before failing.
            self.changes.publish(Changed::Data(Scope::Everything));
        }
        for t in deleted? {
            report.deleted += 1;
            self.publish(TicketEventKind::Deleted, t, Vec::new());
        }
        if report.created >= 100 {
            crate::db::analyze(&self.db, "tickets").await?;
        }
        tracing::info!(?report, "ticket board synced");
        Ok(report)
    }

    async fn apply_page(&self, items: Vec<MondayItem>) -> Result<(u64, u64), TicketError> {
        let (mut created, mut updated) = (0, 0);
        for item in items {
            let (applied, recheck) = self.apply_read(&item, Read::Walk).await?;
            match applied {
                Some((_, TicketEventKind::Created, _)) => created += 1,
                Some(_) => updated += 1,
                None => {}
            }
            if recheck {
                self.refresh_item(&item.id).await?;
            }
        }
        Ok((created, updated))
    }

    /// Re-reads items from Monday and applies them (webhook path).
    #[tracing::instrument(skip_all, fields(item = %item_id))]
    pub async fn refresh_item(&self, item_id: &str) -> Result<(), TicketError> {
        let lock = self.item_lock(item_id);
        let _one_at_a_time = lock.lock().await;
        for item in self.monday.items_by_ids(vec![item_id.to_owned()]).await? {
            self.apply_item(&item).await?;
        }
        Ok(())
    }

    /// Marks a ticket deleted because its item was deleted in Monday. The
    /// event is checked against Monday first: an unsigned (or forged)
    /// delivery cannot hide a ticket whose item still exists.
    pub async fn apply_deleted(&self, item_id: &str) -> Result<(), TicketError> {
        let lock = self.item_lock(item_id);
        let _one_at_a_time = lock.lock().await;
        let still_there = self.monday.items_by_ids(vec![item_id.to_owned()]).await?;
        if let Some(item) = still_there.first() {
            self.apply_item(item).await?;
            return Ok(());
        }
        if let Some(t) = tickets::find_by_item(&self.db, item_id).await?
            && t.deleted_at.is_none()
        {
            let mut row: ticket::ActiveModel = t.into();
            row.deleted_at = Set(Some(Utc::now()));
            let t = tickets::update(&self.db, row).await?;
            self.publish(TicketEventKind::Deleted, t, Vec::new());
        }
        Ok(())
    }

    /// Upserts one item read just now; publishes and returns what changed
    /// (`None`: nothing).
    pub async fn apply_item(
        &self,
        item: &MondayItem,
    ) -> Result<Option<(ticket::Model, TicketEventKind, Vec<String>)>, TicketError> {
        Ok(self.apply_read(item, Read::Fresh).await?.0)
    }

    /// `apply_item` for a read of either kind; `true` beside the answer when
    /// the item's comments must be read again before they change.
    async fn apply_read(
        &self,
        item: &MondayItem,
        read: Read,
    ) -> Result<(Applied, bool), TicketError> {
        let applied = self.apply_item_steps(item, read).await;
        if applied.is_err() {
            // Some of its writes may have committed before the failure, with
            // no event to say so; cached answers must not outlive them.
            self.changes.publish(Changed::Data(Scope::Everything));
        }
        applied
    }

    async fn apply_item_steps(
        &self,
        item: &MondayItem,
        read: Read,
    ) -> Result<(Applied, bool), TicketError> {
        let board = self.board().await?;
        let f = board.read(item);
        let existing = match tickets::find_by_item(&self.db, &item.id).await? {
            Some(t) => Some(t),
            None => match f.ticket_id.as_deref().and_then(|s| s.parse::<Uuid>().ok()) {
                Some(id) => tickets::find_any(&self.db, id).await?,
                None => None,
            },
        };
        let result = match existing {
            // Our own item whose creation we never recorded (a crash between
            // Monday's create and our commit): link it.
            Some(t) if t.monday_item_id.is_none() => self.merge_item(t, item, &f, read).await?,
            Some(t) if t.monday_item_id.as_deref() == Some(&item.id) => {
                self.merge_item(t, item, &f, read).await?
            }
            // A copy of another ticket's item (Monday's "duplicate" copies the
            // Ticket ID column): a ticket of its own, never a takeover.
            Some(_) => self.insert_from_item(item, &f, false).await?,
            None => self.insert_from_item(item, &f, true).await?,
        };
        // A ticket first seen now brings its history: nothing to announce.
        let first_seen = matches!(result, Some((_, TicketEventKind::Created, _)));
        let mut merged = self
            .merge_comments(item, result.as_ref().map(|r| &r.0), first_seen, read)
            .await?;
        if !merged.recheck && item.updates.iter().any(|u| !u.assets.is_empty()) {
            let owner = match &result {
                Some((t, _, _)) => Some(t.clone()),
                None => tickets::find_by_item(&self.db, &item.id).await?,
            };
            if let Some(t) = owner {
                for v in self.merge_files(item, &t).await? {
                    merged.saw(v);
                }
            }
        }
        let mut out = result;
        if let Some((_, _, changed)) = &mut out
            && merged.public
        {
            changed.push("comments".to_owned());
        }
        if let Some((t, kind, changed)) = &out {
            self.publish(*kind, t.clone(), changed.clone());
        }
        // Notes alone are announced to staff only; public comments without
        // other changes get an event of their own.
        let notes_only = merged.internal && !merged.public;
        if notes_only || (merged.public && out.is_none()) {
            let t = match &out {
                Some((t, _, _)) => Some(t.clone()),
                None => tickets::find_by_item(&self.db, &item.id).await?,
            };
            if let Some(t) = t {
                let changed = vec!["comments".to_owned()];
                self.publish_to(
                    TicketEventKind::Commented,
                    t.clone(),
                    changed.clone(),
                    notes_only,
                );
                out.get_or_insert((t, TicketEventKind::Commented, changed));
            }
        }
        Ok((out, merged.recheck))
    }

    /// `key_free`: the item's Ticket ID is not any local ticket's id, so the
    /// new ticket may take it.
    async fn insert_from_item(
        &self,
        item: &MondayItem,
        f: &ItemFields,
        key_free: bool,
    ) -> Result<Option<(ticket::Model, TicketEventKind, Vec<String>)>, TicketError> {
        let client_id = self.discover_client(f, true).await?;
        let now = Utc::now();
        let t = tickets::insert(
            &self.db,
            ticket::ActiveModel {
                id: Set(f
                    .ticket_id
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .filter(|_| key_free)
                    .unwrap_or_else(Uuid::new_v4)),
                client_id: Set(client_id),
                title: Set(f.title.clone()),
                description: Set(f.description.clone()),
                status: Set(f.status.unwrap_or(TicketStatus::Open).code().to_owned()),
                priority: Set(f
                    .priority
                    .unwrap_or(TicketPriority::Medium)
                    .code()
                    .to_owned()),
                monday_item_id: Set(Some(item.id.clone())),
                sync_state: Set(SyncState::Synced.code().to_owned()),
                sync_error: Set(None),
                created_at: Set(parse_time(item.created_at.as_deref()).unwrap_or(now)),
                updated_at: Set(parse_time(item.updated_at.as_deref()).unwrap_or(now)),
                deleted_at: Set(None),
                ..Default::default()
            },
        )
        .await?;
        Ok(Some((t, TicketEventKind::Created, Vec::new())))
    }

    async fn merge_item(
        &self,
        t: ticket::Model,
        item: &MondayItem,
        f: &ItemFields,
        read: Read,
    ) -> Result<Applied, TicketError> {
        // Fields we changed and have not delivered yet are ours to keep: the
        // item still shows the old value until the outbox catches up.
        let pending = self.pending_fields(t.id).await?;
        let mut row: ticket::ActiveModel = t.clone().into();
        let mut changed = Vec::new();
        if t.monday_item_id.as_deref() != Some(&item.id) {
            row.monday_item_id = Set(Some(item.id.clone()));
            changed.push("mondayItemId");
        }
        if !pending.contains("title") && f.title != t.title {
            row.title = Set(f.title.clone());
            changed.push("title");
        }
        if !pending.contains("description") && f.description != t.description {
            row.description = Set(f.description.clone());
            changed.push("description");
        }
        if let Some(s) = f
            .status
            .filter(|s| !pending.contains("status") && s.code() != t.status)
        {
            row.status = Set(s.code().to_owned());
            changed.push("status");
        }
        if let Some(p) = f
            .priority
            .filter(|p| !pending.contains("priority") && p.code() != t.priority)
        {
            row.priority = Set(p.code().to_owned());
            changed.push("priority");
        }
        // Attach an existing client only: a ticket without one may belong to
        // a client an admin deleted, who must not come back by this route.
        if t.client_id.is_none()
            && let Some(c) = self.discover_client(f, false).await?
        {
            row.client_id = Set(Some(c));
            changed.push("client");
        }
        if t.deleted_at.is_some() {
            row.deleted_at = Set(None);
            changed.push("deletedAt");
        }
        if changed.is_empty() {
            return Ok(None);
        }
        row.updated_at = Set(parse_time(item.updated_at.as_deref()).unwrap_or_else(Utc::now));
        changed.push("updatedAt");
        // Staff moved the ticket in Monday: the client hears of it by email,
        // when the read is known to be current (a page of the board walk may
        // be older than the ticket's last change).
        let txn = self.db.begin().await?;
        let t = tickets::update(&txn, row).await?;
        if read == Read::Fresh
            && changed.contains(&"status")
            && let Some(s) = f.status
        {
            self.notify(&txn, &t, notify::STATUS, s.label(), None)
                .await?;
        }
        txn.commit().await?;
        Ok(Some((
            t,
            TicketEventKind::Updated,
            changed.into_iter().map(str::to_owned).collect(),
        )))
    }

    /// The fields with undelivered local changes.
    async fn pending_fields(&self, ticket_id: Uuid) -> Result<HashSet<&'static str>, TicketError> {
        let mut out = HashSet::new();
        for e in outbox::undelivered(&self.db, &ticket_id.to_string()).await? {
            match e.kind.as_str() {
                KIND_CREATE_ITEM => {
                    out.extend(["title", "description", "status", "priority"]);
                }
                KIND_UPDATE_ITEM => {
                    if let Ok(c) = serde_json::from_str::<Change>(&e.payload) {
                        out.extend(c.fields());
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Brings the ticket's comments in line with the item's updates and their
    /// threads: new ones are added, edited ones rewritten (and reclassified,
    /// so an edit can withdraw a note from the client or show it), and
    /// deleted ones removed. Our own comments come back as updates too; those
    /// are matched to the local comment, not duplicated.
    ///
    /// A public reply by staff, new or newly public, is mailed to the client
    /// unless `first_seen` (the ticket itself is new here) or it is older than a
    /// day (a backfill, not news).
    ///
    /// From a walk's page, which may be older than the comments here, nothing
    /// is written: a needed change is reported (`recheck`) for a fresh read.
    async fn merge_comments(
        &self,
        item: &MondayItem,
        t: Option<&ticket::Model>,
        first_seen: bool,
        read: Read,
    ) -> Result<CommentsMerged, TicketError> {
        let mut merged = CommentsMerged::default();
        let t = match t {
            Some(t) => t.clone(),
            None => match tickets::find_by_item(&self.db, &item.id).await? {
                Some(t) => t,
                None => return Ok(merged),
            },
        };
        let existing = tickets::comments(&self.db, t.id).await?;
        // Threads come update first, then its replies, so a reply's parent
        // is always classified before it.
        let mut classified: HashMap<&str, Visibility> = HashMap::new();
        for u in &item.updates {
            let parent = u
                .parent_id
                .as_deref()
                .and_then(|p| classified.get(p).copied());
            classified.insert(&u.id, self.markers.in_thread(parent, &u.text));
        }
        if read == Read::Walk && !first_seen && self.comments_differ(&existing, item, &classified) {
            merged.recheck = true;
            return Ok(merged);
        }
        for u in &item.updates {
            let visibility = classified[u.id.as_str()];
            if let Some(c) = existing
                .iter()
                .find(|c| c.monday_update_id.as_deref() == Some(&u.id))
            {
                let was = Visibility::from_code(&c.visibility);
                let edited = self.edited(u, c);
                if !edited && was == visibility {
                    continue;
                }
                let mut row: ticket_comment::ActiveModel = c.clone().into();
                if edited {
                    row.body = Set(u.text.clone());
                }
                row.visibility = Set(visibility.code().to_owned());
                let txn = self.db.begin().await?;
                let c = tickets::update_comment(&txn, row).await?;
                let shown = was == Visibility::Internal && visibility == Visibility::Public;
                if shown && c.author_kind == "STAFF" && !first_seen && recent(c.created_at) {
                    self.notify(&txn, &t, notify::REPLY, &c.body, Some(c.id))
                        .await?;
                }
                txn.commit().await?;
                merged.saw(was);
                merged.saw(visibility);
                continue;
            }
            let ours = existing.iter().find(|c| {
                c.monday_update_id.is_none()
                    && u.text.trim() == update_text(&self.markers, c).trim()
            });
            if let Some(c) = ours {
                let mut row: ticket_comment::ActiveModel = c.clone().into();
                row.monday_update_id = Set(Some(u.id.clone()));
                // Only the link changes, which no answer shows: the
                // comment's own syncState moves when its delivery finishes.
                tickets::update_comment(&self.db, row).await?;
                continue;
            }
            let txn = self.db.begin().await?;
            let c = tickets::insert_comment(
                &txn,
                ticket_comment::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    ticket_id: Set(t.id),
                    monday_update_id: Set(Some(u.id.clone())),
                    body: Set(u.text.clone()),
                    author_name: Set(u.author.clone().unwrap_or_else(|| "Support".to_owned())),
                    author_kind: Set("STAFF".to_owned()),
                    sync_state: Set(SyncState::Synced.code().to_owned()),
                    visibility: Set(visibility.code().to_owned()),
                    created_at: Set(parse_time(u.created_at.as_deref()).unwrap_or_else(Utc::now)),
                },
            )
            .await;
            let c = match c {
                Ok(c) => c,
                // Another replica applying the same event stored it first;
                // its merge announces it.
                Err(e) if crate::db::is_unique_violation(&e) => {
                    txn.rollback().await?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if visibility == Visibility::Public && !first_seen && recent(c.created_at) {
                self.notify(&txn, &t, notify::REPLY, &c.body, Some(c.id))
                    .await?;
            }
            txn.commit().await?;
            merged.saw(visibility);
        }
        let gone: Vec<&ticket_comment::Model> = existing
            .iter()
            .filter(|c| {
                c.monday_update_id
                    .as_deref()
                    .is_some_and(|id| !classified.contains_key(id))
            })
            .collect();
        if !gone.is_empty() {
            for c in self.confirm_deleted(&item.id, gone).await {
                let txn = self.db.begin().await?;
                tickets::delete_comment(&txn, c.id).await?;
                txn.commit().await?;
                merged.saw(Visibility::from_code(&c.visibility));
            }
        }
        Ok(merged)
    }

    /// Whether Monday's text of `u` differs from what we hold of it (ours are
    /// posted with the author in front).
    fn edited(&self, u: &ItemUpdate, c: &ticket_comment::Model) -> bool {
        u.text.trim() != c.body.trim() && u.text.trim() != update_text(&self.markers, c).trim()
    }

    /// Whether merging `item` would change the comments at all.
    fn comments_differ(
        &self,
        existing: &[ticket_comment::Model],
        item: &MondayItem,
        classified: &HashMap<&str, Visibility>,
    ) -> bool {
        let changed_or_new = item.updates.iter().any(|u| {
            match existing
                .iter()
                .find(|c| c.monday_update_id.as_deref() == Some(&u.id))
            {
                None => true,
                Some(c) => {
                    Visibility::from_code(&c.visibility) != classified[u.id.as_str()]
                        || self.edited(u, c)
                }
            }
        });
        changed_or_new
            || existing.iter().any(|c| {
                c.monday_update_id
                    .as_deref()
                    .is_some_and(|id| !classified.contains_key(id))
            })
    }

    /// The comments among `candidates` whose updates are really gone from
    /// Monday. The item in hand may be older than a comment's link to its
    /// update (a refresh read before our own comment was posted), so absence
    /// from it proves nothing. The candidates were linked before this fresh
    /// read starts, so their updates show in it unless deleted. A list cut
    /// off at the read limit, or a read that fails, deletes nothing.
    async fn confirm_deleted<'c>(
        &self,
        item_id: &str,
        candidates: Vec<&'c ticket_comment::Model>,
    ) -> Vec<&'c ticket_comment::Model> {
        let fresh = match self.monday.items_by_ids(vec![item_id.to_owned()]).await {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(error = %e, "could not confirm deleted updates; kept for now");
                return Vec::new();
            }
        };
        // An item that is gone entirely is the item's deletion, not its
        // updates': that path marks the ticket deleted.
        let Some(fresh) = fresh.into_iter().next() else {
            return Vec::new();
        };
        let top_level = fresh.updates.iter().filter(|u| u.parent_id.is_none());
        if top_level.count() >= UPDATES_READ {
            return Vec::new();
        }
        candidates
            .into_iter()
            .filter(|c| {
                !fresh
                    .updates
                    .iter()
                    .any(|u| c.monday_update_id.as_deref() == Some(u.id.as_str()))
            })
            .collect()
    }

    /// Finds the ticket's client by email or portal id, creating one for an
    /// email we have not seen: that is how staff-created tickets get owners.
    async fn discover_client(
        &self,
        f: &ItemFields,
        create: bool,
    ) -> Result<Option<Uuid>, TicketError> {
        self.clients
            .owner_of_ticket(
                f.client_email.as_deref(),
                f.client_portal_id.as_deref(),
                create,
            )
            .await
            .map_err(TicketError::Client)
    }

    /// Runs the startup sync, retried with backoff (1 s doubling up to 60 s)
    /// until it succeeds, then reconciles on a fixed interval.
    #[tracing::instrument(skip_all, name = "tickets.reconcile")]
    pub async fn run_reconcile(self: Arc<Self>) {
        let mut wait = STARTUP_RETRY_FIRST;
        loop {
            let attempt = self.sync_attempts.fetch_add(1, Ordering::Relaxed) + 1;
            let pass = tracing::info_span!("board_sync", pass = attempt);
            match self.full_sync().instrument(pass).await {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, pass = attempt, wait_ms = wait.as_millis() as u64, "startup board sync failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(STARTUP_RETRY_MAX);
                }
            }
        }
        self.synced.store(true, Ordering::Release);
        loop {
            tokio::time::sleep(self.cfg.reconcile_interval).await;
            let attempt = self.sync_attempts.fetch_add(1, Ordering::Relaxed) + 1;
            let pass = tracing::info_span!("board_sync", pass = attempt);
            if let Err(e) = self.full_sync().instrument(pass).await {
                tracing::warn!(error = %e, pass = attempt, "ticket board sync failed; will retry");
            }
        }
    }
}

/// Within the last day: old enough a reply is history, not news.
fn recent(at: DateTime<Utc>) -> bool {
    at > Utc::now() - chrono::Duration::days(1)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}
