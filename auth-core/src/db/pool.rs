//! The r2d2 pool of [`AnyConnection`]s and the per-connection session setup.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::Connection;
#[cfg(feature = "sqlite")]
use diesel::{QueryDsl, RunQueryDsl};

use super::StoreError;
use super::{AnyConnection, Backend, DatabaseUrl};

/// The connection pool. Cheap to clone (it is an `Arc` inside).
pub type DbPool = r2d2::Pool<ConnectionManager>;

/// A connection checked out of a [`DbPool`]; returns to the pool on drop.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Pool settings. `PoolConfig::default()` suits a small web service.
///
/// # Sizing
///
/// A token request holds a connection for one indexed query (well under a
/// millisecond on a local database), so a few connections serve thousands of
/// requests a second; the queries run on actix's blocking threads, never on
/// the async workers, so a pool that is momentarily exhausted delays only the
/// requests that need the database. The default of 10 suits:
///
/// - **SQLite** (a file in WAL mode): readers run in parallel and writers take
///   turns on the database lock anyway, so more connections than CPU cores add
///   only memory (each keeps its own page cache and statement cache). For a
///   minute after any query failed, every checkout reads the file's catalogue
///   (`SELECT 1` would not touch the file): a connection that once met a
///   damaged or replaced file keeps failing even when the file is whole
///   again, and this check replaces it. The rest of the time the check is
///   skipped, since its read transaction costs a fifth of a token request.
/// - **PostgreSQL / MySQL**: every server process of every node counts against
///   the server's `max_connections` (100 / 151 by default), so 10 per process
///   leaves room for several nodes. More rarely helps: past about twice the
///   server's cores, extra connections queue inside the database instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most connections open at once (default 10). Requests beyond this wait
    /// up to `connection_timeout` for a free connection.
    pub max_size: u32,
    /// Idle connections kept open (default `Some(1)`); `None` keeps `max_size`.
    pub min_idle: Option<u32>,
    /// How long a request waits for a connection before the store answers
    /// [`StoreError::Unavailable`] (default 5 s). Also bounds the check made by
    /// [`build_pool`] that the database is reachable.
    pub connection_timeout: Duration,
    /// Idle connections above `min_idle` are closed after this (default 10 min).
    pub idle_timeout: Option<Duration>,
    /// Connections are replaced after this age (default 30 min).
    pub max_lifetime: Option<Duration>,
    /// SQLite only: how long a statement waits for another connection's write
    /// lock (`PRAGMA busy_timeout`, default 5 s).
    pub sqlite_busy_timeout: Duration,
    /// PostgreSQL and MySQL only: ping a connection each time it is taken
    /// from the pool (default `true`). The ping costs a round trip to the
    /// server per checkout, but a connection the server dropped (a restart, an
    /// idle timeout) is then replaced before a query fails on it. With `false`
    /// such a connection fails its next queries (503) until it reaches
    /// `max_lifetime`; only turn it off when the server never drops connections.
    /// SQLite ignores it: its connections are checked against the file for a
    /// minute after a query failed (see the sizing notes above).
    pub test_on_check_out: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: 10,
            min_idle: Some(1),
            connection_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(10 * 60)),
            max_lifetime: Some(Duration::from_secs(30 * 60)),
            sqlite_busy_timeout: Duration::from_secs(5),
            test_on_check_out: true,
        }
    }
}

/// Opens [`AnyConnection`]s for one [`DatabaseUrl`] and prepares each session:
///
/// - SQLite: `PRAGMA busy_timeout`, `PRAGMA foreign_keys = ON`, and
///   `PRAGMA journal_mode = WAL` for files (readers never block the writer);
/// - PostgreSQL: `SET TIME ZONE 'UTC'`;
/// - MySQL/MariaDB: `SET time_zone = '+00:00'`.
///
/// Timestamps are stored as naive UTC, as Django does with `USE_TZ = True`;
/// the UTC session time zone makes PostgreSQL's `timestamp with time zone`
/// and MySQL's `datetime(6)` read and write the same instants Django does.
///
/// A checked-out connection is first tested (on SQLite, for a minute after a
/// query failed, by counting the file's catalogue, `sqlite_master`, which a
/// connection that once found the file unreadable keeps failing; elsewhere by
/// a round trip), so a broken connection is replaced rather than handed out.
pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_busy_timeout: Duration,
}

impl ConnectionManager {
    /// A manager for `url`; `config` supplies the SQLite busy timeout.
    pub fn new(url: DatabaseUrl, config: &PoolConfig) -> Self {
        ConnectionManager {
            url,
            sqlite_busy_timeout: config.sqlite_busy_timeout,
        }
    }

    /// The URL this manager connects to.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Opens and prepares one connection outside any pool.
    pub fn establish(&self) -> Result<AnyConnection, r2d2::Error> {
        use super::Backend;
        let target = self.url.target();
        Ok(match self.url.backend() {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let busy_ms = self.sqlite_busy_timeout.as_millis().min(i32::MAX as u128);
                let mut setup =
                    format!("PRAGMA busy_timeout = {busy_ms}; PRAGMA foreign_keys = ON;");
                if !self.url.is_memory() {
                    setup.push_str(" PRAGMA journal_mode = WAL;");
                }
                AnyConnection::Sqlite(open(target, &setup)?)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => AnyConnection::Postgres(open(target, "SET TIME ZONE 'UTC'")?),
            #[cfg(feature = "mysql")]
            Backend::Mysql => AnyConnection::Mysql(open(target, "SET time_zone = '+00:00'")?),
            // `DatabaseUrl::parse` only lets compiled-in backends through.
            #[allow(unreachable_patterns)]
            other => {
                return Err(r2d2::Error::ConnectionError(
                    diesel::ConnectionError::BadConnection(format!(
                        "{} support is not compiled in",
                        other.name()
                    )),
                ))
            }
        })
    }
}

/// Connects with `target` and runs the session `setup` statements.
fn open<C: Connection>(target: &str, setup: &str) -> Result<C, r2d2::Error> {
    let mut conn = C::establish(target).map_err(r2d2::Error::ConnectionError)?;
    conn.batch_execute(setup).map_err(r2d2::Error::QueryError)?;
    Ok(conn)
}

impl fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("url", &self.url)
            .field("sqlite_busy_timeout", &self.sqlite_busy_timeout)
            .finish()
    }
}

#[cfg(feature = "sqlite")]
mod sqlite_catalogue {
    #![allow(missing_docs)] // generated by `diesel::table!`
    diesel::table! {
        /// SQLite's own catalogue (`sqlite_schema`), which every database file has.
        sqlite_master (name) {
            name -> Text,
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        let checked = match conn {
            // `SELECT 1` never reads the file: a connection that met a
            // damaged or replaced file (SQLITE_NOTADB) answers it, yet fails
            // every real query for good, even once the file is whole again.
            // Counting the catalogue's rows reads the file; the statement is
            // prepared once per connection and reused. It costs a read
            // transaction, so it runs only while a query has failed lately:
            // a sound file never needs it, and a connection that met a
            // damaged one fails its query first, which starts the checks.
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(conn) if query_failed_lately() => {
                sqlite_catalogue::sqlite_master::table
                    .count()
                    .get_result::<i64>(conn)
                    .map(drop)
            }
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(_) => Ok(()),
            #[allow(unreachable_patterns)]
            conn => conn.ping(),
        };
        checked.map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Reports each failed connect or connection check at `debug`, and keeps the
/// latest as [`LATEST_FAILURE`]: the pool retries until its timeout, so one
/// unavailable database makes many of them. The request that gives up logs
/// the failure once, with the cause ([`get`] puts it in the error).
#[derive(Debug, Clone)]
struct TracingErrorHandler {
    /// The database, redacted.
    database: Arc<str>,
}

impl r2d2::HandleError<r2d2::Error> for TracingErrorHandler {
    fn handle_error(&self, error: r2d2::Error) {
        let message = error.to_string();
        tracing::debug!(database = %self.database, error = %message, "database connection failed");
        *LATEST_FAILURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Failure {
            at: Instant::now(),
            database: self.database.clone(),
            message,
        });
    }
}

/// How long after a failed query SQLite connections are checked at checkout.
const CHECK_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// When a query last failed for a reason other than a constraint, as
/// milliseconds since [`EPOCH`] plus one (0: never).
static LAST_QUERY_FAILURE: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();

fn millis_since_epoch() -> u64 {
    let epoch = EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
}

/// Records that a query failed (called where a Diesel error becomes a
/// [`StoreError`]): for a while, SQLite connections are checked against
/// their file when taken from the pool, so one that met a damaged or
/// replaced file is found and replaced.
pub(crate) fn note_query_failure() {
    LAST_QUERY_FAILURE.store(millis_since_epoch() + 1, Ordering::Relaxed);
}

fn query_failed_lately() -> bool {
    match LAST_QUERY_FAILURE.load(Ordering::Relaxed) {
        0 => false,
        at => millis_since_epoch().saturating_sub(at - 1) <= CHECK_AFTER_FAILURE.as_millis() as u64,
    }
}

/// A failed connect or connection check.
struct Failure {
    at: Instant,
    database: Arc<str>,
    message: String,
}

/// The latest connection failure of any pool in the process.
///
/// r2d2 hands its latest failure to one of the requests that time out
/// together; the others get a bare "timed out waiting for connection". r2d2
/// gives no way from a pool to its manager or handler, so [`get`] gives those
/// the cause from here, naming the database it came from.
static LATEST_FAILURE: Mutex<Option<Failure>> = Mutex::new(None);

/// r2d2's message for a timeout that carries no cause.
const BARE_TIMEOUT: &str = "timed out waiting for connection";

/// Parses `url`, builds a pool and checks that one connection can be had.
///
/// A private in-memory SQLite database (`sqlite://:memory:`) lives as long as
/// its connection, so its pool holds exactly one connection that never expires.
///
/// Errors: a bad URL or a backend not compiled in is [`StoreError::Config`];
/// a database that cannot be reached within `connection_timeout` is
/// [`StoreError::Unavailable`].
pub fn build_pool(url: &str, config: &PoolConfig) -> Result<DbPool, StoreError> {
    if config.max_size == 0 {
        return Err(StoreError::Config(
            "the pool's max_size must be at least 1".into(),
        ));
    }
    let url = DatabaseUrl::parse(url)?;
    let memory = url.is_memory();
    let database = url.redacted();
    // r2d2 must call `is_valid` on every SQLite checkout: a connection that
    // met a damaged or replaced file fails every query for good, and only
    // the check there (which reads the file, after a failed query) finds it.
    let test_on_check_out = config.test_on_check_out || url.backend() == Backend::Sqlite;
    let manager = ConnectionManager::new(url, config);
    let builder = r2d2::Pool::builder()
        .connection_timeout(config.connection_timeout)
        .test_on_check_out(test_on_check_out)
        .error_handler(Box::new(TracingErrorHandler {
            database: database.into(),
        }));
    let builder = if memory {
        builder
            .max_size(1)
            .min_idle(Some(1))
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        builder
            .max_size(config.max_size)
            .min_idle(config.min_idle.map(|n| n.min(config.max_size)))
            .idle_timeout(config.idle_timeout)
            .max_lifetime(config.max_lifetime)
    };
    let pool = builder
        .build(manager)
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    // With `min_idle = Some(0)` building does not connect: check once here so a
    // wrong URL or password fails now rather than on the first request.
    drop(get(&pool)?);
    Ok(pool)
}

/// Checks a connection out of `pool`, mapping a timeout or a failed connect to
/// [`StoreError::Unavailable`], with the cause in its message: r2d2's, e.g.
/// `timed out waiting for connection: file is not a database`, or when r2d2
/// gave it to another request timing out at the same moment, the latest
/// connection failure seen within the pool's timeout, e.g. `timed out waiting
/// for connection (latest connection failure, sqlite:///srv/db.sqlite3: file
/// is not a database)`.
pub fn get(pool: &DbPool) -> Result<PooledConnection, StoreError> {
    pool.get().map_err(|e| {
        let message = e.to_string();
        if message != BARE_TIMEOUT {
            return StoreError::Unavailable(message);
        }
        let latest = LATEST_FAILURE.lock().unwrap_or_else(|e| e.into_inner());
        match latest.as_ref() {
            Some(failure) if failure.at.elapsed() <= pool.connection_timeout() * 2 => {
                StoreError::Unavailable(format!(
                    "{message} (latest connection failure, {}: {})",
                    failure.database, failure.message
                ))
            }
            _ => StoreError::Unavailable(message),
        }
    })
}
