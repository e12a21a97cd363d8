//! [`Database`]: one database's handle, what every store is built on.

use std::fmt;

use super::{build_pool, get, migrations, AnyConnection, DbPool, PoolConfig, PooledConnection};
use super::StoreError;

/// One database: its connection pool, and the migrations of every feature
/// compiled in (`migrate` runs them all, in order, over one migration
/// record). Cheap to clone; clones share the pool.
///
/// It is what the stores are built on: the user and token store
/// ([`AuthStore::new`](crate::AuthStore::new)), the session table
/// ([`SessionDb::from`](crate::SessionDb)), and each feature's own store, which takes a
/// `Database` rather than growing [`AuthStore`](crate::AuthStore).
///
/// ```
/// use auth_core::db::Database;
/// use auth_core::{AuthStore, PoolConfig};
///
/// let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
/// db.migrate().unwrap();
/// let store = AuthStore::new(db.clone());
/// assert!(store.user_by_username("nobody").unwrap().is_none());
/// // Queries of your own, on a pooled connection.
/// let pending = db.run(|conn| auth_core::db::migrations::pending(conn)).unwrap();
/// assert!(pending.is_empty());
/// ```
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
}

impl Database {
    /// Connects to `url` (see [`DatabaseUrl`](super::DatabaseUrl) for the
    /// forms) and checks that one connection can be had.
    ///
    /// Errors: [`StoreError::Config`] for a bad URL or a backend not compiled
    /// in; [`StoreError::Unavailable`] when the database cannot be reached.
    pub fn connect(url: &str, config: &PoolConfig) -> Result<Self, StoreError> {
        Ok(Database {
            pool: build_pool(url, config)?,
        })
    }

    /// The database of an existing pool.
    pub fn from_pool(pool: DbPool) -> Self {
        Database { pool }
    }

    /// The pool.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// A connection from the pool: a timeout or a failed connect is
    /// [`StoreError::Unavailable`], with its cause.
    pub fn connection(&self) -> Result<PooledConnection, StoreError> {
        get(&self.pool)
    }

    /// Runs `query` on a pooled connection (returned to the pool after).
    /// Synchronous: a web server calls it from a blocking task.
    pub fn run<T>(
        &self,
        query: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        query(&mut *self.connection()?)
    }

    /// Applies the pending migrations of every feature compiled in; returns
    /// their names (empty when up to date).
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        migrations::run_pending(&mut *self.connection()?)
    }

    /// Names of the migrations not applied yet.
    pub fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        migrations::pending(&mut *self.connection()?)
    }
}

impl From<DbPool> for Database {
    fn from(pool: DbPool) -> Self {
        Database::from_pool(pool)
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pool.state();
        f.debug_struct("Database")
            .field("max_size", &self.pool.max_size())
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .finish()
    }
}
