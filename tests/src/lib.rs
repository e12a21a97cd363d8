//! Helpers shared by the workspace integration tests: which backends to run on, skip messages,
//! temporary SQLite databases, unique names for shared servers, and the repository's fixtures.
//!
//! SQLite always runs. PostgreSQL, MariaDB and Redis run when `TEST_POSTGRES_URL`,
//! `TEST_MYSQL_URL` and `TEST_REDIS_URL` are set; otherwise a test prints one line
//! `SKIPPED: <test>: ... (set TEST_POSTGRES_URL to run)` on stderr and passes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{AuthStore, PoolConfig};

/// The environment variable naming a PostgreSQL database for tests.
pub const POSTGRES_ENV: &str = "TEST_POSTGRES_URL";
/// The environment variable naming a MySQL or MariaDB database for tests.
pub const MYSQL_ENV: &str = "TEST_MYSQL_URL";
/// The environment variable naming a Redis server for tests.
pub const REDIS_ENV: &str = "TEST_REDIS_URL";

pub use auth_core::db::Backend;

/// The server backends, in the order suites run them.
pub const SERVERS: [Backend; 2] = [Backend::Postgres, Backend::Mysql];

/// The environment variable with `backend`'s URL for tests (`None` for SQLite, which needs none).
pub fn env_var(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(POSTGRES_ENV),
        Backend::Mysql => Some(MYSQL_ENV),
    }
}

/// Print the skip line for `test` on stderr, past the test harness's output
/// capture (which hides `eprintln!` of a passing test), so that `cargo test`
/// shows it.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// The value of `var` when it is set and not blank.
pub fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The URL of a server backend for `test`, or `None` after printing why the test is skipped
/// (the variable is unset, or the backend's feature is not compiled in).
///
/// SQLite has no server: for it this returns `None` without a message; use [`TempSqlite`].
pub fn server_url(backend: Backend, test: &str) -> Option<String> {
    let var = env_var(backend)?;
    let Some(url) = env_nonempty(var) else {
        skip(
            test,
            &format!("needs {} (set {var} to run)", backend.name()),
        );
        return None;
    };
    if !backend.is_compiled_in() {
        skip(
            test,
            &format!(
                "{var} is set but this build has no {} support (run with --features {})",
                backend.name(),
                backend.feature()
            ),
        );
        return None;
    }
    Some(url)
}

/// The Redis URL for `test`, or `None` after printing why the test is skipped (the variable is
/// unset, or this crate is built without its `redis` feature).
pub fn redis_url(test: &str) -> Option<String> {
    let Some(url) = env_nonempty(REDIS_ENV) else {
        skip(test, &format!("needs Redis (set {REDIS_ENV} to run)"));
        return None;
    };
    if cfg!(not(feature = "redis")) {
        skip(
            test,
            &format!("{REDIS_ENV} is set but this build has no Redis support (run with --features redis)"),
        );
        return None;
    }
    Some(url)
}

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
}

impl Default for TempSqlite {
    fn default() -> Self {
        TempSqlite::new()
    }
}

/// A name no other test, process or earlier run uses: `<prefix>-<pid>-<n>-<time>`.
///
/// Suites on a shared server database (which keeps rows between runs) use it for usernames.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    format!("{prefix}-{}-{n}-{micros}", std::process::id())
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

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

/// A file in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
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

pub mod server;

/// Direct access to a SQLite file, bypassing the stores: what a migration changed, and damage.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    use std::path::Path;

    use diesel::sql_types::{Nullable, Text};
    use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

    /// One row of `sqlite_master`: a table, index, trigger or view.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, QueryableByName)]
    pub struct SchemaObject {
        /// `table`, `index`, `trigger` or `view`.
        #[diesel(sql_type = Text)]
        pub kind: String,
        /// The object's name.
        #[diesel(sql_type = Text)]
        pub name: String,
        /// The table it belongs to.
        #[diesel(sql_type = Text)]
        pub tbl_name: String,
        /// Its `CREATE` statement (`NULL` for automatic indexes).
        #[diesel(sql_type = Nullable<Text>)]
        pub sql: Option<String>,
    }

    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }

    fn open(path: &Path) -> SqliteConnection {
        let path = path.to_str().expect("a UTF-8 path");
        SqliteConnection::establish(path).unwrap_or_else(|e| panic!("open {path}: {e}"))
    }

    fn lines(conn: &mut SqliteConnection, query: &str) -> Vec<String> {
        diesel::sql_query(query)
            .load::<Line>(conn)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .into_iter()
            .map(|l| l.line)
            .collect()
    }

    /// Moves every page of the write-ahead log into the database file and empties the log, from
    /// a connection of its own (a pooled connection would keep the pages in its cache).
    ///
    /// Then the main file alone holds the data, and damaging it damages the database.
    pub fn checkpoint(path: &Path) {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut open(path))
            .expect("checkpoint");
    }

    /// Writes `bytes` over the file's contents without replacing the file, so that connections
    /// holding it open see the change.
    pub fn overwrite_in_place(path: &Path, bytes: &[u8]) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .expect("open the database file");
        file.write_all(bytes).expect("overwrite the database file");
        file.sync_all().expect("sync the database file");
    }

    /// Every object in the file's schema, sorted.
    pub fn schema(path: &Path) -> Vec<SchemaObject> {
        let mut objects = diesel::sql_query(
            "SELECT type AS kind, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
        )
        .load::<SchemaObject>(&mut open(path))
        .expect("read sqlite_master");
        objects.sort();
        objects
    }

    /// Every row of `table`, each rendered as its `quote()`d columns joined by `|`, sorted.
    pub fn rows(path: &Path, table: &str) -> Vec<String> {
        let mut conn = open(path);
        let columns = lines(
            &mut conn,
            &format!("SELECT name AS line FROM pragma_table_info('{table}') ORDER BY cid"),
        );
        assert!(!columns.is_empty(), "no table {table}");
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        lines(
            &mut conn,
            &format!(
                "SELECT {} AS line FROM \"{table}\" ORDER BY 1",
                quoted.join(" || '|' || ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1:3306/test"),
            "mysql://root@127.0.0.1:3306/test"
        );
        assert_eq!(redact("/tmp/db.sqlite3"), "/tmp/db.sqlite3");
    }

    #[test]
    fn unique_names_differ() {
        let a = unique_name("u");
        let b = unique_name("u");
        assert_ne!(a, b);
        assert!(a.starts_with("u-") && a.len() <= 150, "{a}");
    }

    #[test]
    fn temp_sqlite_copies_and_cleans_up() {
        let source = TempSqlite::new();
        std::fs::write(source.path(), b"bytes").unwrap();
        let copy = TempSqlite::copy_of(source.path());
        assert_eq!(std::fs::read(copy.path()).unwrap(), b"bytes");
        assert!(copy.url().starts_with("sqlite://") && copy.url().ends_with("db.sqlite3"));
        let dir = copy.dir().to_path_buf();
        drop(copy);
        assert!(!dir.exists());
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_reads_the_django_fixture() {
        let path = fixture("django52.sqlite3");
        let schema = sqlite::schema(&path);
        assert!(schema
            .iter()
            .any(|o| o.kind == "table" && o.name == "auth_user"));
        assert!(schema
            .iter()
            .any(|o| o.kind == "table" && o.name == "authtoken_token"));
        let tokens = sqlite::rows(&path, "authtoken_token");
        assert_eq!(tokens.len(), 5, "{tokens:?}");
        assert!(
            tokens.iter().any(|row| row.starts_with("'abcd1234'|")),
            "{tokens:?}"
        );
    }

    #[test]
    fn fixtures_are_found() {
        assert!(fixture("django52.json").is_file());
        assert!(repo_root().join("scripts/django/check_ours.py").is_file());
    }
}
