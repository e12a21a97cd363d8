//! Test databases and stores: a SQLite file in a temporary directory, a fresh database per test
//! on any backend, connections to a shared server database, and stores whose password hashing
//! is fast enough for tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::db::{Backend, ConnectionManager, DatabaseUrl, PoolConfig};
use auth_core::{AuthStore, Hashers};
use diesel::connection::SimpleConnection;

use crate::env::{availability, skip};

/// A SQLite database file in its own temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempSqlite {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempSqlite {
    /// A path for a new, not yet created, database.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("auth-tests-")
            .tempdir()
            .expect("create a temporary directory");
        let path = dir.path().join("db.sqlite3");
        TempSqlite { dir, path }
    }

    /// A private copy of the database file at `source` (a fixture must never be written to).
    pub fn copy_of(source: &Path) -> Self {
        let db = TempSqlite::new();
        std::fs::copy(source, &db.path)
            .unwrap_or_else(|e| panic!("copy {} to a temporary file: {e}", source.display()));
        db
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the file (for files a test writes beside it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `sqlite://` URL of the file.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    /// The directory, which removes the file when dropped.
    pub fn into_dir(self) -> tempfile::TempDir {
        self.dir
    }
}

impl Default for TempSqlite {
    fn default() -> Self {
        TempSqlite::new()
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test, process or earlier run uses: `<prefix>-<pid>-<n>-<time>`.
///
/// Suites on a shared server database (which keeps rows between runs) use it for usernames.
pub fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    format!("{prefix}-{}-{n}-{micros}", std::process::id())
}

/// A short username unique within this process, `<prefix>_<n>`: enough in a [`TestDb`], which
/// no other process uses.
pub fn username(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{n}")
}

/// Pool settings for tests: a few connections, and a bounded wait so a dead server fails fast.
pub fn test_pool_config() -> PoolConfig {
    PoolConfig {
        max_size: 4,
        connection_timeout: Duration::from_secs(10),
        ..PoolConfig::default()
    }
}

/// An [`AuthStore`] on `url` with [`test_pool_config`], panicking with the URL on failure.
pub fn connect(url: &str) -> AuthStore {
    AuthStore::connect(url, &test_pool_config())
        .unwrap_or_else(|e| panic!("connect to {}: {e}", redact(url)))
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// PBKDF2 at 1,000 iterations: fast, and (unlike the default) "outdated", so hashes made by
/// Django or with the default count get `must_update`.
pub fn fast_hashers() -> Hashers {
    hashers_with(1_000)
}

/// Default hashers with another PBKDF2 iteration count.
#[allow(clippy::field_reassign_with_default)] // stays valid if `Hashers` gains fields
pub fn hashers_with(pbkdf2_iterations: u32) -> Hashers {
    let mut hashers = Hashers::default();
    hashers.pbkdf2_iterations = pbkdf2_iterations;
    hashers
}

/// A migrated store with [`fast_hashers`] in a temporary SQLite database, and the directory that
/// removes it when dropped.
pub fn sqlite_store() -> (AuthStore, tempfile::TempDir) {
    let (store, dir) = broken_store();
    let store = store.with_hashers(fast_hashers());
    store.migrate().expect("migrate");
    (store, dir)
}

/// A store over a SQLite database without tables: every query fails.
pub fn broken_store() -> (AuthStore, tempfile::TempDir) {
    let db = TempSqlite::new();
    let store = AuthStore::connect(&db.url(), &PoolConfig::default()).expect("open SQLite");
    (store, db.into_dir())
}

/// The Django tables the core's migrations create.
pub const DJANGO_TABLES: [&str; 8] = [
    "auth_user",
    "authtoken_token",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "auth_user_groups",
    "auth_user_user_permissions",
];

/// A database that exists for one test: a SQLite file in a temporary directory, or a database
/// created on the server named by `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` and dropped with this
/// value (so server tests never see each other's rows).
#[derive(Debug)]
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    /// The database's URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_sql: Option<(String, String)>,
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("URL with a scheme");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

/// A database name no other test, process or run uses.
fn database_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("authcore_t{}_{n}_{nanos}", std::process::id())
}

impl TestDb {
    /// A fresh database on `backend`, or `None` after a `SKIPPED: <Backend> tests: ...` line
    /// when it is not configured or not compiled in.
    pub fn new(backend: Backend) -> Option<TestDb> {
        TestDb::for_test(backend, &format!("{} tests", backend.name()))
    }

    /// [`TestDb::new`] naming `test` (a test or a suite) in the skip line.
    pub fn for_test(backend: Backend, test: &str) -> Option<TestDb> {
        let base = match availability(backend) {
            Ok(url) => url,
            Err(reason) => {
                skip(test, &reason);
                return None;
            }
        };
        let Some(base) = base else {
            let dir = TempSqlite::new();
            return Some(TestDb {
                backend,
                url: dir.url(),
                _dir: Some(dir.into_dir()),
                drop_sql: None,
            });
        };
        let name = database_name();
        let (create, drop) = match backend {
            Backend::Postgres => (
                format!("CREATE DATABASE {name}"),
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ),
            _ => (
                format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
                format!("DROP DATABASE IF EXISTS {name}"),
            ),
        };
        execute_on(&base, &create);
        Some(TestDb {
            backend,
            url: with_database(&base, &name),
            _dir: None,
            drop_sql: Some((base, drop)),
        })
    }

    /// A store over this database with [`fast_hashers`] (not migrated), up to 8 connections.
    pub fn store(&self) -> AuthStore {
        self.store_with(PoolConfig {
            max_size: 8,
            ..PoolConfig::default()
        })
    }

    /// A store over this database with [`fast_hashers`] and `config` (not migrated).
    pub fn store_with(&self, config: PoolConfig) -> AuthStore {
        AuthStore::connect(&self.url, &config)
            .expect("connect")
            .with_hashers(fast_hashers())
    }

    /// A migrated store whose pool holds one connection and waits 200 ms for it: a test that
    /// holds the connection makes the database unreachable.
    pub fn single_connection(&self) -> AuthStore {
        let store = self.store_with(PoolConfig {
            max_size: 1,
            min_idle: Some(0),
            connection_timeout: Duration::from_millis(200),
            ..PoolConfig::default()
        });
        store.migrate().expect("migrate");
        store
    }

    /// A migrated store ([`TestDb::store`]).
    pub fn migrated(&self) -> AuthStore {
        let store = self.store();
        store.migrate().expect("migrate");
        store
    }

    /// Runs `sql` (several statements) on a single fresh connection, for replaying fixtures:
    /// some fixtures change session settings.
    pub fn execute(&self, sql: &str) {
        execute_on(&self.url, sql);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, drop)) = &self.drop_sql {
            execute_on(base, drop);
        }
    }
}

/// Runs `sql` on one new connection to `url`.
fn execute_on(url: &str, sql: &str) {
    let parsed = DatabaseUrl::parse(url).expect("a database URL");
    let manager = ConnectionManager::new(parsed, &PoolConfig::default());
    let mut conn = manager
        .establish()
        .unwrap_or_else(|e| panic!("connect to {}: {e}", redact(url)));
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One `#[test]` per backend (in modules `sqlite`, `postgres` and `mysql`) for each listed
/// function `fn case(db: &TestDb)`, skipped with a line when the backend is not there:
/// `per_backend!(round_trip, concurrent_logins);`.
#[macro_export]
macro_rules! per_backend {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $case() {
                if let Some(db) = $crate::TestDb::new($crate::Backend::Sqlite) {
                    super::$case(&db);
                }
            })*
        }
        mod postgres {
            $(#[test] fn $case() {
                if let Some(db) = $crate::TestDb::new($crate::Backend::Postgres) {
                    super::$case(&db);
                }
            })*
        }
        mod mysql {
            $(#[test] fn $case() {
                if let Some(db) = $crate::TestDb::new($crate::Backend::Mysql) {
                    super::$case(&db);
                }
            })*
        }
    };
}
