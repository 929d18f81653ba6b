//! Unit-test support: the auth services on a fresh SQLite file, built the
//! way startup builds them, so service rules are tested without GraphQL.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::auth::identity_cache::IdentityCache;
use crate::auth::keys::JwtKeys;
use crate::auth::{AuthDeps, AuthServices};
use crate::changes::ChangeSignal;
use crate::config::Config;
use crate::mail::Mailer;

pub(crate) struct Services {
    pub db: DatabaseConnection,
    pub changes: Arc<ChangeSignal>,
    pub auth: AuthServices,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Services {
    type Target = AuthServices;

    fn deref(&self) -> &AuthServices {
        &self.auth
    }
}

#[allow(clippy::expect_used)]
pub(crate) async fn services() -> Services {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let data = dir.path().display().to_string();
    let config =
        Config::from_vars([("DATABASE_URL", url.as_str()), ("DATA_DIR", &data)]).expect("config");
    let db = crate::db::connect(&config.database).await.expect("db");
    crate::db::migrate(&db).await.expect("migrations");
    let identities = Arc::new(IdentityCache::new(Duration::from_secs(60), 100));
    let changes = Arc::new(ChangeSignal::new(vec![identities.clone()]));
    let keys = Arc::new(JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef"));
    let mailer = Arc::new(Mailer::new(&config.mail, &config.data_dir).expect("mailer"));
    let auth = AuthServices::new(AuthDeps {
        db: db.clone(),
        keys,
        jwt: config.jwt.clone(),
        auth: config.auth.clone(),
        magic_link_url: config.mail.magic_link_url.clone(),
        mailer,
        identities,
        changes: changes.clone(),
        limits: Arc::new(crate::limits::Limits::in_memory()),
    });
    Services {
        db,
        changes,
        auth,
        _dir: dir,
    }
}
