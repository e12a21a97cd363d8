//! Embedded schema migrations, one folder per backend.
//!
//! `migrations/{sqlite,postgres,mysql}/<version>_<name>/{up,down}.sql` create
//! Django's `auth_user` and DRF's `authtoken_token` with Django 5.2's column
//! names, types, nullability and constraints, using `CREATE TABLE IF NOT
//! EXISTS` (and `CREATE INDEX IF NOT EXISTS`), so running them on a database
//! Django has already migrated changes nothing. Diesel records applied versions
//! in [`MIGRATIONS_TABLE`]; Django never reads that table. The same folders
//! work with the Diesel CLI:
//! `diesel migration run --migration-dir auth-core/migrations/postgres`.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::AnyConnection;
use super::StoreError;

/// The table in which Diesel records applied migrations.
pub const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// The SQLite migrations.
#[cfg(feature = "sqlite")]
pub const SQLITE: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
/// The PostgreSQL migrations.
#[cfg(feature = "postgres")]
pub const POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");
/// The MySQL/MariaDB migrations.
#[cfg(feature = "mysql")]
pub const MYSQL: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/mysql");

fn migration_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Migration(e.to_string())
}

macro_rules! on_backend {
    ($conn:expr, |$c:ident, $source:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite($c) => {
                let $source = SQLITE;
                $body
            }
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres($c) => {
                let $source = POSTGRES;
                $body
            }
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql($c) => {
                let $source = MYSQL;
                $body
            }
        }
    };
}

/// Names (`<version>_<name>`) of the migrations not yet applied, oldest first.
pub fn pending(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    on_backend!(conn, |c, source| {
        let pending = c.pending_migrations(source).map_err(migration_error)?;
        Ok(pending.iter().map(|m| m.name().to_string()).collect())
    })
}

/// Applies every pending migration and returns their names, oldest first.
/// An up-to-date database gives an empty list.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    on_backend!(conn, |c, source| {
        let pending = c.pending_migrations(source).map_err(migration_error)?;
        let names = pending.iter().map(|m| m.name().to_string()).collect();
        c.run_migrations(&pending).map_err(migration_error)?;
        Ok(names)
    })
}
