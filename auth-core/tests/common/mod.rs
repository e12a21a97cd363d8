//! Test databases come from auth-testkit ([`TestDb`]: a temp SQLite file always; a fresh
//! PostgreSQL or MariaDB database, created and dropped per test, when `TEST_POSTGRES_URL` /
//! `TEST_MYSQL_URL` name a server and the backend is compiled in; `per_backend!`). What only the
//! core's tests look at stays here: schema snapshots and permission rows on any backend.
#![allow(dead_code)] // each test binary uses a different part

use auth_core::db::{AnyConnection, Backend};

pub use auth_testkit::{fast_hashers, hashers_with, skipped, username, TestDb, DJANGO_TABLES};

/// Runs `sql` (several statements) on a single fresh connection, for
/// replaying fixtures: some fixtures change session settings.
pub fn replay(db: &TestDb, sql: &str) {
    db.execute(sql);
}

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
