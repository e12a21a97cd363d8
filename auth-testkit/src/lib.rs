//! The test kit of the workspace: what every crate's tests (and every family's) share.
//!
//! - **Backend matrix** ([`env`](mod@env)): SQLite always; PostgreSQL, MariaDB and Redis when
//!   `TEST_POSTGRES_URL`, `TEST_MYSQL_URL` and `TEST_REDIS_URL` are set. Otherwise a test prints
//!   one `SKIPPED: <what>: <why> (set <VAR> to run)` line on stderr and passes.
//! - **Test databases** ([`db`]): [`TempSqlite`], [`TestDb`] (a fresh database per test, dropped
//!   afterwards, on any backend), [`connect`] to a shared server database, stores with fast
//!   password hashing ([`fast_hashers`]), [`unique_name`]s for shared servers, [`per_backend!`].
//! - **HTTP** (feature `actix`): [`TestApp`] drives an app in process or a real
//!   server with a cookie jar, CSRF handling, `login` and `token`; [`Reply`] is what
//!   came back; [`server`] runs an app on a real socket and speaks raw HTTP/1.1 to it.
//! - **Store conformance** ([`conformance`]): [`session_store_tests!`] (feature `actix`) for any
//!   actix-session `SessionStore`, [`token_store_tests!`] for DRF's authtoken store.
//!
//! The kit is a development dependency only. auth-core's tests use it without the `actix`
//! feature, so they never build the web layer; auth-actix's integration tests use it with the
//! feature, which links the same auth-actix library they test (one copy: integration tests link
//! the crate as any dependent does).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The overview links to the web half, which only exists with the feature `actix` (the workspace's
// documentation has it on).
#![cfg_attr(not(feature = "actix"), allow(rustdoc::broken_intra_doc_links))]

pub mod conformance;
pub mod db;
pub mod env;
pub mod jwks;

#[cfg(feature = "actix")]
pub mod app;
#[cfg(feature = "actix")]
pub mod server;

pub use db::{
    broken_store, connect, fast_hashers, hashers_with, redact, sqlite_store, test_pool_config,
    unique_name, username, TempSqlite, TestDb, DJANGO_TABLES,
};
pub use env::{
    env_nonempty, env_var, redis_url, server_url, skip, skipped, Backend, MYSQL_ENV, POSTGRES_ENV,
    REDIS_ENV, SERVERS,
};

#[cfg(feature = "actix")]
pub use app::{Reply, TestApp};

/// Runs `future` to completion on a new actix system (the runtime `#[actix_web::test]` gives a
/// test): what the conformance tests run in, and a plain `#[test]` can use too.
#[cfg(feature = "actix")]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    actix_web::rt::System::new().block_on(future)
}

/// A Redis session store at `url` whose keys all start with `prefix`: nodes given the same
/// prefix share sessions, and a [`unique_name`] in it keeps parallel runs apart.
#[cfg(feature = "redis")]
pub async fn redis_sessions(url: &str, prefix: &str) -> auth_actix::session::RedisSessionStore {
    let prefix = prefix.to_owned();
    auth_actix::session::RedisSessionStore::builder(url)
        .cache_keygen(move |key| format!("{prefix}{key}"))
        .build()
        .await
        .expect("connect to Redis")
}
