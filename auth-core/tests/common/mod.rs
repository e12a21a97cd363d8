//! Test databases: a temp SQLite file always; a fresh PostgreSQL or MariaDB
//! database (created and dropped per test) when `TEST_POSTGRES_URL` /
//! `TEST_MYSQL_URL` name a server and the backend is compiled in.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::db::{AnyConnection, Backend, PoolConfig};
use auth_core::{AuthStore, Hashers};
use diesel::connection::SimpleConnection;

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_sql: Option<(String, String)>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("authcore_t{}_{n}_{nanos}", std::process::id())
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

impl TestDb {
    /// A fresh database on `backend`, or `None` (with a SKIPPED line) when it
    /// is not configured or not compiled in.
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite if !backend.is_compiled_in() => {
                skipped("SKIPPED: SQLite tests (build with --features sqlite to run)");
                None
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
                Some(TestDb {
                    backend,
                    url,
                    _dir: Some(dir),
                    drop_sql: None,
                })
            }
            Backend::Postgres => Self::server(backend, "TEST_POSTGRES_URL", |name| {
                (
                    format!("CREATE DATABASE {name}"),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
            }),
            Backend::Mysql => Self::server(backend, "TEST_MYSQL_URL", |name| {
                (
                    format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
                    format!("DROP DATABASE IF EXISTS {name}"),
                )
            }),
        }
    }

    fn server(
        backend: Backend,
        var: &str,
        sql: impl Fn(&str) -> (String, String),
    ) -> Option<TestDb> {
        let Ok(base) = std::env::var(var) else {
            skipped(&format!(
                "SKIPPED: {} tests (set {var} to run)",
                backend.name()
            ));
            return None;
        };
        if !backend.is_compiled_in() {
            skipped(&format!(
                "SKIPPED: {} tests (build with --features {} to run)",
                backend.name(),
                backend.feature()
            ));
            return None;
        }
        let name = unique_name();
        let (create, drop) = sql(&name);
        admin_execute(&base, &create);
        Some(TestDb {
            backend,
            url: with_database(&base, &name),
            _dir: None,
            drop_sql: Some((base, drop)),
        })
    }

    /// A store over this database with fast test hashers (not migrated).
    pub fn store(&self) -> AuthStore {
        self.store_with(PoolConfig {
            max_size: 8,
            ..PoolConfig::default()
        })
    }

    pub fn store_with(&self, config: PoolConfig) -> AuthStore {
        AuthStore::connect(&self.url, &config)
            .expect("connect")
            .with_hashers(fast_hashers())
    }

    /// A migrated store whose pool holds one connection and waits 200 ms for
    /// it: a test that holds the connection makes the database unreachable.
    pub fn single_connection(&self) -> AuthStore {
        let store = self.store_with(PoolConfig {
            max_size: 1,
            min_idle: Some(0),
            connection_timeout: std::time::Duration::from_millis(200),
            ..PoolConfig::default()
        });
        store.migrate().expect("migrate");
        store
    }

    /// A migrated store.
    pub fn migrated(&self) -> AuthStore {
        let store = self.store();
        store.migrate().expect("migrate");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, drop)) = &self.drop_sql {
            admin_execute(base, drop);
        }
    }
}

/// Runs `sql` on the server database named by `base`.
fn admin_execute(base: &str, sql: &str) {
    let parsed = auth_core::db::DatabaseUrl::parse(base).expect("server URL");
    let manager = auth_core::db::ConnectionManager::new(parsed, &PoolConfig::default());
    let mut conn = manager.establish().expect("connect to the test server");
    conn.batch_execute(sql).expect(sql);
}

/// PBKDF2 at 1,000 iterations: fast, and (unlike the default) "outdated", so
/// hashes made by Django or with the default count get `must_update`.
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

/// A username unique across parallel tests and runs.
pub fn username(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{n}")
}

/// Runs `sql` (several statements) on a single fresh connection, for
/// replaying fixtures: some fixtures change session settings.
pub fn replay(db: &TestDb, sql: &str) {
    let parsed = auth_core::db::DatabaseUrl::parse(&db.url).expect("url");
    let manager = auth_core::db::ConnectionManager::new(parsed, &PoolConfig::default());
    let mut conn = manager.establish().expect("connect");
    conn.batch_execute(sql).expect("replay fixture");
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

/// One text line per schema object of [`DJANGO_TABLES`] (columns with type
/// and nullability, indexes, constraints), so two schemas can be compared.
pub fn schema_snapshot(conn: &mut AnyConnection) -> Vec<String> {
    let tables = DJANGO_TABLES.map(|t| format!("'{t}'")).join(", ");
    let queries = match conn.backend() {
        Backend::Sqlite => vec![
            format!("SELECT 'column|' || m.name || '|' || p.name || '|' || p.type || '|' || p.\"notnull\" || '|' || p.pk AS line \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name IN ({tables}) ORDER BY 1"),
            format!("SELECT 'index|' || m.name || '|' || il.name || '|' || il.\"unique\" || '|' || ii.name AS line \
             FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
             WHERE m.type = 'table' AND m.name IN ({tables}) ORDER BY 1"),
            format!("SELECT 'fk|' || m.name || '|' || f.\"from\" || '|' || f.\"table\" || '|' || f.\"to\" || '|' || f.on_delete AS line \
             FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name IN ({tables}) ORDER BY 1"),
            format!("SELECT 'sql|' || name || '|' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE tbl_name IN ({tables}) ORDER BY name"),
        ],
        Backend::Postgres => vec![
            format!("SELECT table_name || '|' || column_name || '|' || data_type || '|' || \
               COALESCE(character_maximum_length::text, '') || '|' || is_nullable || '|' || \
               COALESCE(column_default, '') || '|' || is_identity AS line \
             FROM information_schema.columns WHERE table_schema = 'public' \
               AND table_name IN ({tables}) ORDER BY table_name, column_name"),
            format!("SELECT indexname || '|' || indexdef AS line FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename IN ({tables}) ORDER BY indexname"),
            format!("SELECT conname || '|' || pg_get_constraintdef(c.oid) AS line \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND t.relname IN ({tables}) ORDER BY conname"),
        ],
        Backend::Mysql => vec![
            format!("SELECT CONCAT_WS('|', table_name, column_name, column_type, is_nullable, \
               COALESCE(column_default, ''), column_key, extra, COALESCE(collation_name, '')) AS line \
             FROM information_schema.columns WHERE table_schema = DATABASE() \
               AND table_name IN ({tables}) ORDER BY table_name, column_name"),
            format!("SELECT CONCAT_WS('|', table_name, index_name, non_unique, seq_in_index, column_name) AS line \
             FROM information_schema.statistics WHERE table_schema = DATABASE() \
               AND table_name IN ({tables}) ORDER BY table_name, index_name, seq_in_index"),
            format!("SELECT CONCAT_WS('|', constraint_name, table_name, referenced_table_name, delete_rule) AS line \
             FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() \
               AND table_name IN ({tables}) ORDER BY constraint_name"),
        ],
    };
    queries.iter().flat_map(|q| query_lines(conn, q)).collect()
}

/// The content types and permissions of the `auth` and `contenttypes` apps,
/// one `app_label|model|codename|name` line each, sorted: what Django's
/// `post_migrate` creates, whatever the ids.
pub fn default_permission_rows(conn: &mut AnyConnection) -> Vec<String> {
    let mut rows = query_lines(
        conn,
        "SELECT CONCAT(ct.app_label, '|', ct.model, '|', p.codename, '|', p.name) AS line \
         FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id \
         WHERE ct.app_label IN ('auth', 'contenttypes')",
    );
    rows.sort();
    rows
}

/// Runs `sql`, whose single text column is named `line`, on any backend.
pub fn query_lines(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }

    let rows: Vec<Line> = match conn {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => diesel::sql_query(sql).load(c),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => diesel::sql_query(sql).load(c),
    }
    .expect(sql);
    rows.into_iter().map(|r| r.line).collect()
}

/// Generates one `#[test]` per backend for each listed function
/// `fn case(db: &TestDb)`.
#[allow(unused_macros)] // not every test binary uses it
macro_rules! per_backend {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $case() {
                if let Some(db) = $crate::common::TestDb::new(auth_core::db::Backend::Sqlite) {
                    super::$case(&db);
                }
            })*
        }
        mod postgres {
            $(#[test] fn $case() {
                if let Some(db) = $crate::common::TestDb::new(auth_core::db::Backend::Postgres) {
                    super::$case(&db);
                }
            })*
        }
        mod mysql {
            $(#[test] fn $case() {
                if let Some(db) = $crate::common::TestDb::new(auth_core::db::Backend::Mysql) {
                    super::$case(&db);
                }
            })*
        }
    };
}

/// Print a `SKIPPED: ...` line on the real stderr (the test harness captures
/// `eprintln!` of passing tests, which would hide it from `cargo test`), once
/// per test binary: every test of a backend would say the same.
pub fn skipped(line: &str) {
    use std::io::Write as _;
    static PRINTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut printed = PRINTED.lock().unwrap_or_else(|e| e.into_inner());
    if !printed.iter().any(|p| p == line) {
        printed.push(line.to_owned());
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}
