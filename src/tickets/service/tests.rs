//! The ticket rules, exercised on the service itself: no GraphQL, no Monday
//! (nothing here reaches the outbox worker).

use serde_json::Value;
use url::Url;

use super::*;
use crate::auth::clients::NewClient;
use crate::auth::testing::{Services, services};
use crate::config::Config;
use crate::db::repo::outbox as queue;
use crate::upstream::monday::RetryPolicy;

struct World {
    s: Services,
    tickets: TicketService,
    ada: Identity,
    bob: Identity,
    staff: Identity,
    key: Identity,
}

#[allow(clippy::expect_used)]
async fn world() -> World {
    let s = services().await;
    let config = Config::from_vars([("TICKETS_RECONCILE_MS", "60000")]).expect("config");
    let monday = MondayClient::new(
        Url::parse("http://127.0.0.1:9/").expect("url"),
        "unused".to_owned().into(),
        "2026-10".to_owned(),
        RetryPolicy::default(),
    )
    .expect("client");
    let tickets = TicketService::new(TicketDeps {
        db: s.db.clone(),
        monday: Arc::new(monday),
        board_id: "1".to_owned(),
        notifier: crate::notify::Notifier::new(Outbox::default(), &config.notify),
        cfg: config.tickets,
        clients: s.clients.clone(),
        changes: s.changes.clone(),
        outbox: Outbox::default(),
        attachments: config.attachments,
        keys: Arc::new(crate::auth::keys::JwtKeys::from_secret(
            b"0123456789abcdef0123456789abcdef",
        )),
        public_url: config.server.public_url,
    });
    let admin = Identity::Anonymous;
    let mut clients = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let c = s
            .clients
            .create(
                Actor::new(&admin, None),
                NewClient {
                    email: email.to_owned(),
                    name: email.split('@').next().unwrap_or("x").to_owned(),
                    company: None,
                    portal_id: None,
                },
            )
            .await
            .expect("client");
        clients.push(Identity::Client {
            client_id: c.id,
            portal_id: c.portal_id,
            email: c.email,
            jti: "j".to_owned(),
        });
    }
    let bob = clients.pop().expect("bob");
    let ada = clients.pop().expect("ada");
    World {
        s,
        tickets,
        ada,
        bob,
        staff: Identity::Staff {
            user_id: Uuid::new_v4(),
            username: "sam".to_owned(),
            role: crate::auth::Role::User,
            jti: "s".to_owned(),
        },
        key: Identity::ApiKey {
            key_id: Uuid::new_v4(),
            name: "zapier".to_owned(),
            permission: crate::auth::ApiKeyPermission::Standard,
            per_minute: 100,
        },
    }
}

fn new(title: &str) -> NewTicket {
    NewTicket {
        title: title.to_owned(),
        description: String::new(),
        priority: TicketPriority::Medium,
        client_id: None,
        files: Vec::new(),
    }
}

fn query() -> TicketQuery {
    TicketQuery {
        first: 50,
        ..TicketQuery::default()
    }
}

async fn pending(w: &World, ticket: Uuid) -> Vec<(String, Value)> {
    queue::undelivered(&w.s.db, &ticket.to_string())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            (
                e.kind,
                serde_json::from_str(&e.payload).unwrap_or(Value::Null),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_client_sees_only_its_own_tickets_and_staff_see_all() {
    let w = world().await;
    let t = w
        .tickets
        .create_as(Actor::new(&w.ada, None), new("Ada's"))
        .await
        .expect("created");
    w.tickets
        .create_as(Actor::new(&w.bob, None), new("Bob's"))
        .await
        .expect("created");
    let id = t.id.to_string();

    let (ada_sees, _) = w.tickets.list_visible(&w.ada, query()).await.unwrap();
    assert_eq!(
        ada_sees
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        ["Ada's"]
    );
    let (staff_sees, _) = w.tickets.list_visible(&w.staff, query()).await.unwrap();
    assert_eq!(staff_sees.len(), 2);
    assert!(w.tickets.get_visible(&w.key, &id).await.is_ok());
    assert!(matches!(
        w.tickets.get_visible(&w.bob, &id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        w.tickets.get_visible(&w.bob, "not-an-id").await,
        Err(AppError::NotFound(_))
    ));
    let ada_id = w.ada.client_id();
    let peek = TicketQuery {
        client_id: ada_id,
        ..query()
    };
    assert!(matches!(
        w.tickets.list_visible(&w.bob, peek).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(TicketService::visible_to(&w.ada, &t));
    assert!(!TicketService::visible_to(&w.bob, &t));
    assert!(!TicketService::visible_to(&Identity::Anonymous, &t));
}

#[tokio::test]
async fn clients_may_only_close_and_only_real_changes_are_queued() {
    let w = world().await;
    let t = w
        .tickets
        .create_as(Actor::new(&w.ada, None), new("Printer on fire"))
        .await
        .expect("created");
    let id = t.id.to_string();
    assert_eq!(pending(&w, t.id).await.len(), 1, "the item's creation");

    let ada = Actor::new(&w.ada, None);
    let raise = Change {
        priority: Some(TicketPriority::Urgent),
        ..Change::default()
    };
    assert!(matches!(
        w.tickets.update_as(ada, &id, raise.clone()).await,
        Err(AppError::Forbidden(_))
    ));
    let resolve = Change {
        status: Some(TicketStatus::Resolved),
        ..Change::default()
    };
    assert!(matches!(
        w.tickets.update_as(ada, &id, resolve).await,
        Err(AppError::Forbidden(_))
    ));
    let close = Change {
        status: Some(TicketStatus::Closed),
        title: Some("Printer on fire".to_owned()),
        ..Change::default()
    };
    let closed = w.tickets.update_as(ada, &id, close.clone()).await.unwrap();
    assert_eq!(closed.status, "CLOSED");
    let queued = pending(&w, t.id).await;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].0, KIND_UPDATE_ITEM);
    assert_eq!(queued[1].1["status"], "Closed", "{queued:?}");
    assert!(
        queued[1].1["title"].is_null(),
        "the unchanged title is not sent"
    );

    // The same change again changes nothing and queues nothing.
    w.tickets.update_as(ada, &id, close).await.unwrap();
    assert_eq!(pending(&w, t.id).await.len(), 2);
    // Staff may raise the priority.
    let staff = Actor::new(&w.staff, None);
    let raised = w.tickets.update_as(staff, &id, raise).await.unwrap();
    assert_eq!(raised.priority, "URGENT");
    let blank = Change {
        title: Some("   ".to_owned()),
        ..Change::default()
    };
    assert!(matches!(
        w.tickets.update_as(staff, &id, blank).await,
        Err(AppError::BadRequest(_))
    ));
}

#[tokio::test]
async fn staff_open_tickets_for_an_existing_client_and_comments_name_their_author() {
    let w = world().await;
    let staff = Actor::new(&w.staff, None);
    assert!(matches!(
        w.tickets.create_as(staff, new("For whom?")).await,
        Err(AppError::BadRequest(_))
    ));
    let nobody = NewTicket {
        client_id: Some(Uuid::new_v4()),
        ..new("For nobody")
    };
    assert!(matches!(
        w.tickets.create_as(staff, nobody).await,
        Err(AppError::NotFound(_))
    ));
    let for_ada = NewTicket {
        client_id: w.ada.client_id(),
        ..new("Renewal question")
    };
    let t = w.tickets.create_as(staff, for_ada).await.unwrap();
    assert_eq!(t.client_id, w.ada.client_id());
    // A client's own ticket stays its own, whatever clientId it sends.
    let sneaky = NewTicket {
        client_id: w.ada.client_id(),
        ..new("Bob's, really")
    };
    let bobs = w
        .tickets
        .create_as(Actor::new(&w.bob, None), sneaky)
        .await
        .unwrap();
    assert_eq!(bobs.client_id, w.bob.client_id());

    let id = t.id.to_string();
    let by_ada = w
        .tickets
        .comment_as(
            Actor::new(&w.ada, None),
            &id,
            " Thanks! ",
            Visibility::Public,
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (by_ada.author_name.as_str(), by_ada.author_kind.as_str()),
        ("ada", "CLIENT")
    );
    assert_eq!(by_ada.body, "Thanks!");
    let by_key = w
        .tickets
        .comment_as(
            Actor::new(&w.key, None),
            &id,
            "Synced from CRM",
            Visibility::Public,
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (by_key.author_name.as_str(), by_key.author_kind.as_str()),
        ("zapier", "STAFF")
    );
    // A client cannot write an internal note, even on its own ticket.
    assert!(matches!(
        w.tickets
            .comment_as(
                Actor::new(&w.ada, None),
                &id,
                "psst",
                Visibility::Internal,
                Vec::new()
            )
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        w.tickets
            .comment_as(
                Actor::new(&w.bob, None),
                &id,
                "hi",
                Visibility::Public,
                Vec::new()
            )
            .await,
        Err(AppError::NotFound(_))
    ));
    let kinds: Vec<String> = pending(&w, t.id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [KIND_CREATE_ITEM, KIND_CREATE_UPDATE, KIND_CREATE_UPDATE]
    );
}
