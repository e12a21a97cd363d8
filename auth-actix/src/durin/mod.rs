//! Django-Rest-Durin 1.1.0 for actix-web (feature `durin`): one token per
//! user per named client, each client with its own token lifetime and
//! throttle rate, on Durin's own tables (`auth_core::durin`), so a Django
//! site running Durin and this library share every client and token.
//!
//! - [`DurinTokenAuthentication`]: `Authorization: Token <token>` (the
//!   keyword is `AUTH_HEADER_PREFIX`, case-insensitive), Durin's 401 bodies
//!   (`Invalid token.`, `The given token has expired.` (the row is deleted),
//!   `User inactive or deleted.`, the header-parse messages) with
//!   `WWW-Authenticate: Token`.
//! - The views, registered by [`urls`] under a scope (Durin's
//!   `path("durin/", include("durin.urls"))`): [`login`] (`client` in the
//!   body), [`refresh`], [`logout`], [`logoutall`], [`sessions`] (`GET`),
//!   [`delete_session`] (`DELETE sessions/<id>`), [`apiaccess`].
//! - [`UserClientRateThrottle`]: per user and client, at the client's own
//!   `throttle_rate`.
//! - [`AllowSpecificClients`] / [`DisallowSpecificClients`]: by client name.
//!
//! The app registers the settings and the store as app data:
//!
//! ```
//! use actix_web::{web, App};
//! use auth_actix::auth_core::durin::{DurinSettings, DurinStore};
//! use auth_actix::auth_core::PoolConfig;
//! use auth_actix::{durin, AuthSettings, AuthStore};
//!
//! let store = AuthStore::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! store.migrate().unwrap();
//! let app = App::new()
//!     .app_data(AuthSettings::builder().store(store.clone()).build().unwrap())
//!     .app_data(DurinSettings::default())
//!     .app_data(DurinStore::from(&store))
//!     .service(web::scope("/durin").configure(durin::urls));
//! ```
//!
//! Where this differs from Durin, deliberately:
//!
//! - A database failure is a 503 (`Service temporarily unavailable, try
//!   again later.`); Durin's `authenticate_credentials` catches every
//!   exception and answers 401 `Invalid token.`, so an outage logs
//!   everyone out.
//! - A token that is not UTF-8 is 401 `Invalid token.` (Durin decodes it
//!   outside its `try` and answers 500).
//! - `DELETE sessions/<id>` (Durin's router registers the prefix
//!   `"sessions/"` with `trailing_slash=False`, so its route is
//!   `sessions//<id>`, and `sessions/<id>` is a 404).
//! - `refresh/` and the other views always carry Durin's authentication
//!   (Durin's crash `'NoneType' object has no attribute 'renew_token'`,
//!   Durin issue #27, cannot happen).
//! - A client without a throttle rate falls back to
//!   `DEFAULT_THROTTLE_RATES["user_per_client"]` and, without one, is not
//!   throttled (Durin raises `ImproperlyConfigured`, a 500).
//! - Expired tokens are deleted when presented (as Durin does) and by
//!   [`DurinStore::purge_expired`](auth_core::durin::DurinStore::purge_expired)
//!   (the `purge-tokens` command).

use actix_web::web;
use auth_core::durin::{DurinSettings, DurinStore};

use crate::settings::AppSettings;

mod authentication;
mod permissions;
mod throttle;
mod views;

pub use authentication::{DurinTokenAuthentication, TOKEN_EXPIRED};
pub use permissions::{AllowSpecificClients, ClientNames, DisallowSpecificClients};
pub use throttle::{UserClientRateThrottle, USER_PER_CLIENT_SCOPE};
pub use views::{apiaccess, delete_session, login, logout, logoutall, refresh, sessions};

impl AppSettings for DurinSettings {
    const REGISTER: &'static str =
        "add `.app_data(DurinSettings::default())` (auth_core::durin) to the App";
}

impl AppSettings for DurinStore {
    const REGISTER: &'static str =
        "add `.app_data(DurinStore::from(&store))` (auth_core::durin) to the App";
}

/// Durin's `durin.urls`, for a scope's `configure` (mount it where Django
/// includes it, e.g. `web::scope("/durin")`): `login/`, `refresh/`,
/// `logout/`, `logoutall/`, `apiaccess/`, `sessions/` and `sessions/<id>`.
pub fn urls(config: &mut web::ServiceConfig) {
    config.service((
        login,
        refresh,
        logout,
        logoutall,
        apiaccess,
        sessions,
        delete_session,
    ));
}
