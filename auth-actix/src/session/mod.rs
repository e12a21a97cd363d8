//! Server-side sessions for actix-session's [`SessionMiddleware`].
//!
//! Session authentication is only as good as logging out: the session must
//! end on the server, so that a copy of the cookie taken before the logout
//! (from a shared computer, a proxy log, a stolen backup) opens nothing
//! afterwards. That rules out keeping the state in the cookie itself. Pick a
//! store by how the application is deployed:
//!
//! | store | where the state lives | logout revokes | for |
//! |---|---|---|---|
//! | [`DieselSessionStore`] (default) | the `actix_auth_session` table of the application's database | yes | one or more nodes sharing the database; no extra service |
//! | `RedisSessionStore` (cargo feature `redis`) | Redis, with Redis's own expiry | yes | several nodes, or a database you'd rather not write on every login |
//! | [`DjangoSessions::db`] (Django's `db` engine) | Django's `django_session` table, keys stored as they are | yes | sharing logins with a Django site on the same database and `SECRET_KEY` |
//! | [`DjangoSessions::signed_cookies`] (Django's `signed_cookies` engine) | the cookie, signed with `SECRET_KEY` | **no** | sharing logins with a Django site that uses this engine |
//! | actix-session's `CookieSessionStore` | the cookie (signed or encrypted) | **no** | not for authentication |
//!
//! The first two are actix-session stores behind actix-session's
//! `SessionMiddleware` (the cookie holds an encrypted key); the Django ones
//! are a middleware of their own, [`DjangoSessions`], whose cookie is the
//! bare key (or signed data) Django reads. Either way handlers see
//! actix-session's [`Session`]. Prefer the Diesel store unless a Django site
//! shares the logins: it stores only a SHA-256 of each key, so a copy of the
//! table opens no session.
//!
//! # The Diesel store
//!
//! [`DieselSessionStore`] keeps each session in a row of `actix_auth_session`
//! (created by `migrate`; see `auth_core::sessions`): the cookie carries a
//! random 64-character key from the operating system's CSPRNG, the table only
//! its SHA-256. `Session::purge()` deletes the row, so the old cookie is
//! worthless at once; `Session::renew()` (at login, against session
//! fixation) deletes the old row and stores the state under a fresh key.
//! Expired rows count as absent; `clearsessions` (or
//! [`DieselSessionStore::clear_expired`]) deletes them, e.g. from a daily job.
//!
//! ```no_run
//! use actix_web::{cookie::Key, web, App, HttpServer, HttpResponse};
//! use auth_actix::session::{self, DieselSessionStore};
//! use auth_core::{AuthStore, PoolConfig};
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let store = AuthStore::connect("sqlite://db.sqlite3", &PoolConfig::default())
//!         .expect("database");
//!     store.migrate().expect("migrate");
//!     let sessions = DieselSessionStore::from(&store);
//!     // Read the signing key from configuration: a key made at start-up
//!     // logs everyone out at every restart and differs between nodes.
//!     let key = Key::generate();
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(session::django_defaults(sessions.clone(), key.clone()).build())
//!             .default_service(web::to(HttpResponse::Ok))
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! Every query runs on actix-web's blocking thread pool, through the worker's
//! queue of short queries ([`run_query`](crate::run_query) explains it), with
//! the pool connection taken there; nothing waits on an async worker.
//!
//! # When the store is down
//!
//! actix-session answers an empty 500 when its store fails. Wrap the session
//! middleware in [`FailClosed`] to answer DRF's 503 JSON instead
//! (`{"detail": "Service temporarily unavailable, try again later."}`): a
//! session that cannot be loaded stops the request before any handler runs
//! (it is never treated as anonymous), and a login whose session cannot be
//! saved is not reported as a success. The error is logged without the
//! session key.
//!
//! # The Redis store
//!
//! With the cargo feature `redis`, actix-session's `RedisSessionStore` is
//! re-exported here. The state is server-side too, so purge and renew revoke
//! exactly as with the Diesel store, and every node that shares the Redis
//! server and the cookie signing key shares the sessions:
//!
//! ```ignore
//! let redis = RedisSessionStore::new("redis://127.0.0.1:6379").await?;
//! App::new().wrap(session::django_defaults(redis.clone(), key.clone()).build())
//! ```
//!
//! Redis expires the keys itself (`SET ... EX`), so it needs no
//! `clearsessions`; ending all of one user's sessions at once
//! ([`DieselSessionStore::delete_user_sessions`]) has no Redis equivalent, and
//! relies on the password-derived hash kept in each session instead.
//!
//! # The cookie store cannot revoke
//!
//! actix-session's `CookieSessionStore` (its feature `cookie-session`, not
//! enabled by this crate) puts the whole state in the cookie. `purge()` only
//! asks the browser to drop it: whoever kept a copy of the cookie stays
//! logged in until it expires, and renewing gives no protection either.
//! Do not use it for session authentication.

mod auth;
mod diesel_store;
mod django;
mod fail_closed;

pub use actix_session::config::{
    BrowserSession, CookieContentSecurity, PersistentSession, SessionLifecycle, TtlExtensionPolicy,
};
#[cfg(feature = "redis")]
pub use actix_session::storage::RedisSessionStore;
pub use actix_session::storage::SessionStore;
pub use actix_session::{
    Session, SessionExt, SessionGetError, SessionInsertError, SessionMiddleware, SessionStatus,
};
pub use auth::{change_password, login, logout, update_session_auth_hash};
pub use auth_core::sessions::session_user_id;
pub use auth_core::sessions::{SESSION_BACKEND_KEY, SESSION_HASH_KEY, SESSION_USER_ID_KEY};
pub use diesel_store::{DieselSessionStore, SessionStoreError};
pub use django::{DjangoSessionMiddleware, DjangoSessions};
pub use fail_closed::FailClosed;

use actix_session::config::SessionMiddlewareBuilder;
use actix_web::cookie::{time::Duration, Key, SameSite};

pub use crate::http::session_of;

/// Django's `SESSION_COOKIE_NAME`.
pub const SESSION_COOKIE_NAME: &str = "sessionid";

/// Django's `SESSION_COOKIE_AGE`: two weeks, in seconds.
pub const SESSION_COOKIE_AGE: i64 = 60 * 60 * 24 * 7 * 2;

/// A [`SessionMiddleware`] builder with Django's session defaults: cookie
/// `sessionid`, `HttpOnly`, `SameSite=Lax`, path `/`, no domain, not `Secure`
/// (call `.cookie_secure(true)` behind HTTPS), a persistent cookie and state
/// of two weeks, renewed when the state changes (`SESSION_SAVE_EVERY_REQUEST
/// = False`). The cookie is encrypted and authenticated with `key`
/// (actix-session's default), so only this application can make one.
pub fn django_defaults<S: SessionStore>(store: S, key: Key) -> SessionMiddlewareBuilder<S> {
    SessionMiddleware::builder(store, key)
        .cookie_name(SESSION_COOKIE_NAME.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .cookie_domain(None)
        .cookie_secure(false)
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(Duration::seconds(SESSION_COOKIE_AGE))
                .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
        )
}
