//! Embedded schema migrations: one [`MigrationSet`] per feature (the core's
//! tables, then each family's), one folder per backend in each.
//!
//! The core's `migrations/{sqlite,postgres,mysql}/<version>_<name>/{up,down}.sql`
//! create Django's `auth_user`, `django_content_type`, `auth_permission`,
//! `auth_group`, `auth_group_permissions`, `auth_user_groups` and
//! `auth_user_user_permissions`, and DRF's `authtoken_token`, with Django 5.2's
//! column names, types, nullability, constraints and index names, using
//! `CREATE TABLE IF NOT EXISTS` (and `CREATE INDEX IF NOT EXISTS`; MySQL's keys
//! are declared in the table), then insert the content types and default
//! permissions Django's `post_migrate` creates for the `contenttypes` and
//! `auth` apps where they are missing (`INSERT … WHERE NOT EXISTS`), so running
//! them on a database Django has already migrated changes nothing. A family's
//! set does the same for its package's tables.
//!
//! Every set records its applied versions in the one [`MIGRATIONS_TABLE`]
//! (Django never reads it), so the versions of different sets must never
//! collide: each set's versions start with its own date prefix. `migrate`
//! runs the sets compiled in, in the order of [`SETS`], each oldest first.
//! The same folders work with the Diesel CLI:
//! `diesel migration run --migration-dir auth-core/migrations/postgres`.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::AnyConnection;
use super::StoreError;

/// The table in which Diesel records applied migrations.
pub const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// One feature's migrations, for each backend compiled in.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    /// The feature (`core`, or a family's feature name).
    pub name: &'static str,
    /// The SQLite migrations (`|| embed_migrations!("migrations/<feature>/sqlite")`).
    #[cfg(feature = "sqlite")]
    pub sqlite: fn() -> EmbeddedMigrations,
    /// The PostgreSQL migrations.
    #[cfg(feature = "postgres")]
    pub postgres: fn() -> EmbeddedMigrations,
    /// The MySQL/MariaDB migrations.
    #[cfg(feature = "mysql")]
    pub mysql: fn() -> EmbeddedMigrations,
}

#[cfg(feature = "sqlite")]
const CORE_SQLITE: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const CORE_POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
const CORE_MYSQL: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/mysql");

/// The core's tables: `auth_user`, `authtoken_token`, `actix_auth_session`,
/// and Django's content type, permission and group tables with their default
/// rows.
pub const CORE: MigrationSet = MigrationSet {
    name: "core",
    #[cfg(feature = "sqlite")]
    sqlite: || CORE_SQLITE,
    #[cfg(feature = "postgres")]
    postgres: || CORE_POSTGRES,
    #[cfg(feature = "mysql")]
    mysql: || CORE_MYSQL,
};

#[cfg(all(feature = "knox", feature = "sqlite"))]
const KNOX_SQLITE: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/knox/sqlite");
#[cfg(all(feature = "knox", feature = "postgres"))]
const KNOX_POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/knox/postgres");
#[cfg(all(feature = "knox", feature = "mysql"))]
const KNOX_MYSQL: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/knox/mysql");

/// django-rest-knox's `knox_authtoken` (feature `knox`), versions
/// `2026-12-05-1000xx`.
#[cfg(feature = "knox")]
pub const KNOX: MigrationSet = MigrationSet {
    name: "knox",
    #[cfg(feature = "sqlite")]
    sqlite: || KNOX_SQLITE,
    #[cfg(feature = "postgres")]
    postgres: || KNOX_POSTGRES,
    #[cfg(feature = "mysql")]
    mysql: || KNOX_MYSQL,
};

#[cfg(all(feature = "durin", feature = "sqlite"))]
const DURIN_SQLITE: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/durin/sqlite");
#[cfg(all(feature = "durin", feature = "postgres"))]
const DURIN_POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/durin/postgres");
#[cfg(all(feature = "durin", feature = "mysql"))]
const DURIN_MYSQL: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/durin/mysql");

/// Django-Rest-Durin's `durin_client` and `durin_authtoken` (feature
/// `durin`), versions `2026-12-05-2000xx`.
#[cfg(feature = "durin")]
pub const DURIN: MigrationSet = MigrationSet {
    name: "durin",
    #[cfg(feature = "sqlite")]
    sqlite: || DURIN_SQLITE,
    #[cfg(feature = "postgres")]
    postgres: || DURIN_POSTGRES,
    #[cfg(feature = "mysql")]
    mysql: || DURIN_MYSQL,
};

#[cfg(all(feature = "jwt", feature = "sqlite"))]
const JWT_SQLITE: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/jwt/sqlite");
#[cfg(all(feature = "jwt", feature = "postgres"))]
const JWT_POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/jwt/postgres");
#[cfg(all(feature = "jwt", feature = "mysql"))]
const JWT_MYSQL: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/jwt/mysql");

/// The `jwt` family's tables: simplejwt's blacklist app
/// (`token_blacklist_outstandingtoken`, `token_blacklist_blacklistedtoken`),
/// created `IF NOT EXISTS`. Declared here, beside [`SETS`], so the core
/// names no family module.
#[cfg(feature = "jwt")]
pub const JWT: MigrationSet = MigrationSet {
    name: "jwt",
    #[cfg(feature = "sqlite")]
    sqlite: || JWT_SQLITE,
    #[cfg(feature = "postgres")]
    postgres: || JWT_POSTGRES,
    #[cfg(feature = "mysql")]
    mysql: || JWT_MYSQL,
};

#[cfg(all(feature = "oauth2", feature = "sqlite"))]
const OAUTH2_SQLITE: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/oauth2/sqlite");
#[cfg(all(feature = "oauth2", feature = "postgres"))]
const OAUTH2_POSTGRES: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/oauth2/postgres");
#[cfg(all(feature = "oauth2", feature = "mysql"))]
const OAUTH2_MYSQL: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/oauth2/mysql");

/// Django OAuth Toolkit's tables (feature `oauth2`): `oauth2_provider_application`,
/// `_grant`, `_accesstoken`, `_refreshtoken` and `_idtoken`.
#[cfg(feature = "oauth2")]
pub const OAUTH2: MigrationSet = MigrationSet {
    name: "oauth2",
    #[cfg(feature = "sqlite")]
    sqlite: || OAUTH2_SQLITE,
    #[cfg(feature = "postgres")]
    postgres: || OAUTH2_POSTGRES,
    #[cfg(feature = "mysql")]
    mysql: || OAUTH2_MYSQL,
};

/// The sets `migrate` runs, in order: the core first, then each family
/// compiled in (a family adds its set here, behind its feature).
pub const SETS: &[MigrationSet] = &[
    CORE,
    #[cfg(feature = "knox")]
    KNOX,
    #[cfg(feature = "durin")]
    DURIN,
    #[cfg(feature = "jwt")]
    JWT,
    #[cfg(feature = "oauth2")]
    OAUTH2,
];

fn migration_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Migration(e.to_string())
}

/// `set`'s migrations for the backend of `conn`.
macro_rules! on_backend {
    ($conn:expr, $set:expr, |$c:ident, $source:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite($c) => {
                let $source = ($set.sqlite)();
                $body
            }
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres($c) => {
                let $source = ($set.postgres)();
                $body
            }
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql($c) => {
                let $source = ($set.mysql)();
                $body
            }
        }
    };
}

/// The pending migrations of `sets`, set by set, oldest first; applied too
/// when `apply`.
fn walk_pending(
    conn: &mut AnyConnection,
    sets: &[MigrationSet],
    apply: bool,
) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    for set in sets {
        on_backend!(&mut *conn, set, |c, source| {
            let pending = c.pending_migrations(source).map_err(migration_error)?;
            names.extend(pending.iter().map(|m| m.name().to_string()));
            if apply {
                c.run_migrations(&pending).map_err(migration_error)?;
            }
        });
    }
    Ok(names)
}

/// Names (`<version>_<name>`) of the migrations of `sets` not yet applied,
/// set by set, oldest first.
pub fn pending_in(
    conn: &mut AnyConnection,
    sets: &[MigrationSet],
) -> Result<Vec<String>, StoreError> {
    walk_pending(conn, sets, false)
}

/// Applies every pending migration of `sets`, set by set, and returns their
/// names in the order applied. An up-to-date database gives an empty list.
pub fn run_pending_in(
    conn: &mut AnyConnection,
    sets: &[MigrationSet],
) -> Result<Vec<String>, StoreError> {
    walk_pending(conn, sets, true)
}

/// The pending migrations of every set compiled in ([`SETS`]).
pub fn pending(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    pending_in(conn, SETS)
}

/// Applies the pending migrations of every set compiled in ([`SETS`]).
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    run_pending_in(conn, SETS)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    const EXTRA_SQLITE: EmbeddedMigrations =
        diesel_migrations::embed_migrations!("tests/fixtures/migrations/extra/sqlite");

    /// A second feature's set, as a family would add one (SQLite only here).
    const EXTRA: MigrationSet = MigrationSet {
        name: "extra",
        sqlite: || EXTRA_SQLITE,
        #[cfg(feature = "postgres")]
        postgres: || EXTRA_SQLITE,
        #[cfg(feature = "mysql")]
        mysql: || EXTRA_SQLITE,
    };

    #[test]
    fn sets_run_in_order_once_and_share_one_record() {
        let mut conn = AnyConnection::Sqlite(
            diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite"),
        );
        // Every set compiled in (the core's, then the families'), then the extra one.
        let sets: Vec<MigrationSet> = SETS.iter().copied().chain([EXTRA]).collect();
        let core = pending_in(&mut conn, SETS).unwrap().len();
        let waiting = pending_in(&mut conn, &sets).unwrap();
        assert_eq!(waiting.len(), core + 1, "{waiting:?}");
        assert!(waiting[core].ends_with("_create_extra_note"), "{waiting:?}");
        assert_eq!(run_pending_in(&mut conn, &sets).unwrap(), waiting);
        // Each set sees only its own versions as applied: nothing left, and
        // a set run alone finds nothing either.
        assert!(pending_in(&mut conn, &sets).unwrap().is_empty());
        assert!(run_pending_in(&mut conn, &[EXTRA]).unwrap().is_empty());
        assert!(pending_in(&mut conn, &[CORE]).unwrap().is_empty());
        #[allow(irrefutable_let_patterns)] // refutable with the other backends compiled in
        let AnyConnection::Sqlite(c) = &mut conn
        else {
            unreachable!()
        };
        c.batch_execute("INSERT INTO extra_note (user_id) SELECT 1 WHERE 0")
            .expect("the extra set's table exists");
    }
}
