//! Which backends a run has: the environment variables naming the test servers, and the
//! `SKIPPED:` lines a test prints when its server is not there.
//!
//! SQLite always runs. PostgreSQL, MariaDB and Redis run when [`POSTGRES_ENV`], [`MYSQL_ENV`]
//! and [`REDIS_ENV`] are set (and the backend's cargo feature is compiled in); otherwise a test
//! prints `SKIPPED: <test>: needs PostgreSQL (set TEST_POSTGRES_URL to run)` and passes.

use std::sync::Mutex;

pub use auth_core::db::Backend;

/// The environment variable naming a PostgreSQL database for tests.
pub const POSTGRES_ENV: &str = "TEST_POSTGRES_URL";
/// The environment variable naming a MySQL or MariaDB database for tests.
pub const MYSQL_ENV: &str = "TEST_MYSQL_URL";
/// The environment variable naming a Redis server for tests.
pub const REDIS_ENV: &str = "TEST_REDIS_URL";

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

/// The value of `var` when it is set and not blank.
pub fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Prints `line` on the real stderr, once per test binary: the test harness captures
/// `eprintln!` of a passing test, which would hide it from `cargo test`, and every test of a
/// suite skipped for one reason would otherwise print the same line.
pub fn skipped(line: &str) {
    use std::io::Write as _;
    static PRINTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut printed = PRINTED.lock().unwrap_or_else(|e| e.into_inner());
    if !printed.iter().any(|p| p == line) {
        printed.push(line.to_owned());
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// Prints `SKIPPED: <test>: <reason>` (see [`skipped`]).
pub fn skip(test: &str, reason: &str) {
    skipped(&format!("SKIPPED: {test}: {reason}"));
}

/// Why `backend` cannot run here, if it cannot: the build lacks its feature (SQLite too), or its
/// variable is unset. `Ok(None)` for SQLite, `Ok(Some(url))` for a server.
pub(crate) fn availability(backend: Backend) -> Result<Option<String>, String> {
    let var = env_var(backend);
    let url = match var {
        None => None,
        Some(var) => match env_nonempty(var) {
            Some(url) => Some(url),
            None => return Err(format!("needs {} (set {var} to run)", backend.name())),
        },
    };
    if !backend.is_compiled_in() {
        let set = var.map_or(String::new(), |var| format!("{var} is set but "));
        return Err(format!(
            "{set}this build has no {} support (run with --features {})",
            backend.name(),
            backend.feature()
        ));
    }
    Ok(url)
}

/// The URL of a server backend for `test`, or `None` after printing why the test is skipped
/// (the variable is unset, or the backend's feature is not compiled in).
///
/// SQLite has no server: for it this returns `None` without a message; use
/// [`TempSqlite`](crate::TempSqlite) or [`TestDb`](crate::TestDb).
pub fn server_url(backend: Backend, test: &str) -> Option<String> {
    env_var(backend)?;
    match availability(backend) {
        Ok(url) => url,
        Err(reason) => {
            skip(test, &reason);
            None
        }
    }
}

/// The Redis URL for `test`, or `None` after printing why the test is skipped (the variable is
/// unset, or the kit is built without its `redis` feature, which the crates using it turn on
/// with their own).
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
