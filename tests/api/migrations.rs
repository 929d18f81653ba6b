//! Every migration applies and reverts cleanly on the backend under test.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::helpers::spawn_app;

async fn tables(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY 1"
        }
        _ => {
            "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect()
}

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let app = spawn_app().await;
    let db = app.db.connect().await;
    let all = Migrator::migrations().len();
    let applied = Migrator::get_applied_migrations(&db).await.unwrap();
    assert_eq!(applied.len(), all, "startup applied every migration");
    let before = tables(&db).await;
    assert!(before.contains(&"settings".to_owned()), "{before:?}");

    // One step at a time, so every `down` runs against the schema it expects.
    for left in (0..all).rev() {
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(
            Migrator::get_applied_migrations(&db).await.unwrap().len(),
            left
        );
    }
    assert!(tables(&db).await.is_empty(), "down removes every table");

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(tables(&db).await, before);
}

#[tokio::test]
async fn generated_jwt_secret_is_stored_once_and_reused() {
    let app = spawn_app().await;
    let db = app.db.connect().await;
    let read = || async {
        bridgeboard::db::repo::settings::get(&db, "jwt_secret")
            .await
            .unwrap()
            .expect("secret stored")
    };
    let first = read().await;
    assert_eq!(first.len(), 64, "256 bits, hex");
    // A second app (a replica) on the same database signs with the same key.
    let again = bridgeboard::auth::keys::JwtKeys::load(&app.state.config.jwt, &db).await;
    assert!(again.is_ok());
    assert_eq!(read().await, first);
}

/// The outbox and the webhook receipts changed shape: entries queued and
/// deliveries recorded before the change survive it.
#[tokio::test]
async fn queued_entries_and_receipts_survive_the_generic_outbox() {
    use bridgeboard::db::repo::{outbox, webhook_receipts};

    let app = spawn_app().await;
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    // Back to the schema just before the outbox became generic.
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let generic = names
        .iter()
        .position(|n| n.contains("generic_outbox"))
        .expect("the generic outbox migration");
    let steps = u32::try_from(names.len() - generic).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    let ticket = uuid::Uuid::new_v4();
    // Due tomorrow, so the running app's worker leaves it alone.
    let due = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let now = chrono::Utc::now().to_rfc3339();
    let ticket_id = match backend {
        DatabaseBackend::Sqlite => format!("'{ticket}'"),
        _ => format!("'{ticket}'::uuid"),
    };
    let time = |t: &str| match backend {
        DatabaseBackend::Sqlite => format!("'{t}'"),
        _ => format!("'{t}'::timestamptz"),
    };
    for sql in [
        format!(
            "INSERT INTO outbox (ticket_id, kind, payload, attempts, next_attempt_at, created_at) \
             VALUES ({ticket_id}, 'update_item', '{{\"status\":\"Closed\"}}', 0, {}, {})",
            time(&due),
            time(&now)
        ),
        format!(
            "INSERT INTO webhook_receipts (trigger_uuid, event_type, received_at) \
             VALUES ('trigger-1', 'update_column_value', {})",
            time(&now)
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();

    let kept = outbox::undelivered(&db, &ticket.to_string()).await.unwrap();
    assert_eq!(kept.len(), 1, "the queued change is still queued");
    assert_eq!(kept[0].kind, "tickets.update_item");
    assert_eq!(kept[0].payload, "{\"status\":\"Closed\"}");
    assert!(
        webhook_receipts::exists(&db, "monday", "trigger-1")
            .await
            .unwrap(),
        "a retried Monday delivery is still recognised"
    );
    assert!(
        !webhook_receipts::exists(&db, "calendly", "trigger-1")
            .await
            .unwrap()
    );
}
