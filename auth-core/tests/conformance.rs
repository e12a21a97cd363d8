//! `AuthStore` as DRF's authtoken store (auth-testkit's `token_store_tests!`), on SQLite
//! (always), PostgreSQL and MariaDB (`TEST_POSTGRES_URL`, `TEST_MYSQL_URL`), each with and
//! without the in-process token cache, which must forget a key the moment it stops being valid.

use std::time::Duration;

use auth_core::db::Backend;
use auth_core::token_cache::TokenCacheConfig;
use auth_core::AuthStore;
use auth_testkit::TestDb;

/// A migrated store on a fresh database of `backend`, with the token cache when `cached`.
fn store(backend: Backend, suite: &str, cached: bool) -> Option<(AuthStore, TestDb)> {
    let db = TestDb::for_test(backend, suite)?;
    let mut store = db.migrated();
    if cached {
        store = store
            .with_token_cache(TokenCacheConfig::with_ttl(Duration::from_secs(60)))
            .expect("a valid cache configuration");
    }
    Some((store, db))
}

token_store_tests!(sqlite, |suite| store(Backend::Sqlite, suite, false));
token_store_tests!(sqlite_cached, |suite| store(Backend::Sqlite, suite, true));
token_store_tests!(postgres, |suite| store(Backend::Postgres, suite, false));
token_store_tests!(postgres_cached, |suite| store(
    Backend::Postgres,
    suite,
    true
));
token_store_tests!(mysql, |suite| store(Backend::Mysql, suite, false));
token_store_tests!(mysql_cached, |suite| store(Backend::Mysql, suite, true));
