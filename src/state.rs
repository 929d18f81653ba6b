//! Everything a request handler may need, built once at startup. Cheap to clone:
//! each part is a pool or sits behind an `Arc`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::keys::JwtKeys;
use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub keys: Arc<JwtKeys>,
}
