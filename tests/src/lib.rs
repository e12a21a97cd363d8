//! What the workspace integration tests share: auth-testkit's backend matrix, skip lines,
//! temporary SQLite databases and unique names (re-exported here, so the suites keep their
//! `integration_tests::` paths), and what only these suites use: the repository's fixtures,
//! direct SQLite access, and the `drf_parity` server with a browser's Django cookies.
//!
//! SQLite always runs. PostgreSQL, MariaDB and Redis run when `TEST_POSTGRES_URL`,
//! `TEST_MYSQL_URL` and `TEST_REDIS_URL` are set; otherwise a test prints one line
//! `SKIPPED: <test>: ... (set TEST_POSTGRES_URL to run)` on stderr and passes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::{Path, PathBuf};

pub use auth_testkit::{
    connect, env_nonempty, env_var, redact, redis_url, server_url, skip, test_pool_config,
    unique_name, Backend, TempSqlite, MYSQL_ENV, POSTGRES_ENV, REDIS_ENV, SERVERS,
};

/// A Redis session store whose keys all start with a prefix (auth-testkit's).
#[cfg(feature = "redis")]
pub use auth_testkit::redis_sessions;

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

pub mod django;
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
