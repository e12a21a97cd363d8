//! The session stores against auth-testkit's `session_store_tests!`: the Diesel store on SQLite
//! (always), PostgreSQL and MariaDB (`TEST_POSTGRES_URL`, `TEST_MYSQL_URL`), and actix-session's
//! Redis store (`TEST_REDIS_URL`, cargo feature `redis`), each suite skipping with one line when
//! its server is not configured.

use auth_actix::session::DieselSessionStore;
use auth_testkit::{Backend, TestDb};

/// The Diesel store on a fresh, migrated database of `backend`.
fn diesel(backend: Backend, suite: &str) -> Option<(DieselSessionStore, TestDb)> {
    let db = TestDb::for_test(backend, suite)?;
    Some((DieselSessionStore::from(&db.migrated()), db))
}

session_store_tests!(diesel_sqlite, |suite| async move {
    diesel(Backend::Sqlite, suite)
});
session_store_tests!(diesel_postgres, |suite| async move {
    diesel(Backend::Postgres, suite)
});
session_store_tests!(diesel_mysql, |suite| async move {
    diesel(Backend::Mysql, suite)
});

// Keys of this run only (a unique prefix), so parallel runs on one Redis never meet.
#[cfg(feature = "redis")]
session_store_tests!(redis, |suite| async move {
    let url = auth_testkit::redis_url(suite)?;
    let prefix = format!("{}:", auth_testkit::unique_name("conformance"));
    Some((auth_testkit::redis_sessions(&url, &prefix).await, ()))
});
