//! OAuth 2.0 the Django OAuth Toolkit way (feature `oauth2`): DOT's
//! `OAuth2Authentication` and scope permissions for a resource server, and
//! its token endpoint, on DOT's tables ([`auth_core::oauth2`]).
//!
//! Register one [`OAuth2`] as app data (`web::Data<OAuth2>`); the classes
//! and the views read it there.
//!
//! ```no_run
//! use actix_web::{web, App};
//! use auth_actix::oauth2::{token, OAuth2};
//! use auth_actix::auth_core::oauth2::{OAuth2Settings, OAuth2Store};
//! use auth_actix::auth_core::{AuthStore, Database, PoolConfig};
//!
//! let db = Database::connect("sqlite://db.sqlite3", &PoolConfig::default()).unwrap();
//! let oauth2 = OAuth2::new(OAuth2Store::new(db.clone()), AuthStore::new(db), OAuth2Settings::default());
//! let app = App::new()
//!     .app_data(web::Data::new(oauth2))
//!     .service(web::resource("/o/token/").to(token));
//! ```
//!
//! Where we differ from DOT, deliberately: a token whose user is inactive is
//! refused (DOT never checks `is_active` on bearer tokens), and a store that
//! cannot be reached answers 503 instead of a 500.

mod authentication;
mod permissions;
mod views;

use std::sync::Arc;

use auth_core::oauth2::{OAuth2Settings, OAuth2Store};
use auth_core::AuthStore;

pub use authentication::OAuth2Authentication;
pub use permissions::{
    IsAuthenticatedOrTokenHasScope, TokenHasReadWriteScope, TokenHasResourceScope, TokenHasScope,
};
pub use views::{introspect, revoke_token, token};

/// The OAuth 2.0 family's app data: DOT's tables, the user store (the
/// password grant), and `OAUTH2_PROVIDER`.
#[derive(Debug, Clone)]
pub struct OAuth2 {
    store: OAuth2Store,
    users: AuthStore,
    settings: Arc<OAuth2Settings>,
}

impl OAuth2 {
    /// The family's state.
    pub fn new(store: OAuth2Store, users: AuthStore, settings: OAuth2Settings) -> Self {
        OAuth2 {
            store,
            users,
            settings: Arc::new(settings),
        }
    }

    /// DOT's tables.
    pub fn store(&self) -> &OAuth2Store {
        &self.store
    }

    /// The users.
    pub fn users(&self) -> &AuthStore {
        &self.users
    }

    /// `OAUTH2_PROVIDER`.
    pub fn settings(&self) -> &OAuth2Settings {
        &self.settings
    }
}
