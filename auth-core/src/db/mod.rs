//! Connections, the pool, database URLs, the schema and migrations.
//!
//! Backends are cargo features: `sqlite` (default, bundled libsqlite3),
//! `postgres` (libpq) and `mysql` (libmysqlclient or libmariadb). The URL given
//! to [`build_pool`] (or [`AuthStore::connect`](crate::AuthStore::connect))
//! chooses among those compiled in; see [`DatabaseUrl`] for the forms.

mod connection;
mod database;
pub mod duration;
mod error;
mod lookup;
pub mod migrations;
pub(crate) mod pool;
pub mod schema;
mod timestamp;
mod url;

pub(crate) use connection::on_backend;
pub use connection::{AnyConnection, MultiBackend};
pub use database::Database;
pub use error::StoreError;
pub use lookup::KeyLookup;
pub use pool::{build_pool, get, ConnectionManager, DbPool, PoolConfig, PooledConnection};
pub use timestamp::{NullableTimestampColumn, TimestampColumn};
pub use url::{Backend, DatabaseUrl};
