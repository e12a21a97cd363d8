//! Database URLs: which backend, and what to hand to it.

use std::fmt;

use super::StoreError;

/// The database engines this crate speaks to.
///
/// All three exist in every build so that a URL for a backend that was not
/// compiled in can be reported by name; only compiled-in ones can connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (cargo feature `sqlite`, on by default).
    Sqlite,
    /// PostgreSQL (cargo feature `postgres`).
    Postgres,
    /// MySQL or MariaDB (cargo feature `mysql`).
    Mysql,
}

impl Backend {
    /// Human name, e.g. `PostgreSQL`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL/MariaDB",
        }
    }

    /// The cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// Whether this build can connect to this backend.
    pub fn is_compiled_in(self) -> bool {
        match self {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::Mysql => cfg!(feature = "mysql"),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed database URL.
///
/// Accepted forms:
///
/// | URL | backend |
/// |---|---|
/// | `sqlite://db.sqlite3` (relative), `sqlite:///var/lib/app/db.sqlite3` (absolute) | SQLite file |
/// | a bare path such as `db.sqlite3` or `/var/lib/app/db.sqlite3` | SQLite file |
/// | `file:db.sqlite3?mode=ro` | SQLite URI filename, passed through |
/// | `sqlite://:memory:` or `:memory:` | private in-memory SQLite (the pool keeps exactly one connection) |
/// | `postgres://…`, `postgresql://…` | PostgreSQL (libpq syntax) |
/// | `mysql://…`, `mariadb://…` | MySQL / MariaDB |
///
/// `Debug` never shows a password: only the scheme, host, port and database.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the backend's `establish` receives (a path for SQLite).
    target: String,
    memory: bool,
}

impl DatabaseUrl {
    /// Parses `url` and checks that its backend is compiled into this build.
    ///
    /// An empty URL, an unknown scheme or a backend whose cargo feature is off is
    /// a [`StoreError::Config`] whose message says what to do.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let parsed = Self::parse_any(url)?;
        if !parsed.backend.is_compiled_in() {
            return Err(StoreError::Config(format!(
                "{} support is not compiled in; enable the `{}` feature of auth-core/auth-actix",
                parsed.backend.name(),
                parsed.backend.feature()
            )));
        }
        Ok(parsed)
    }

    fn parse_any(url: &str) -> Result<Self, StoreError> {
        if url.trim().is_empty() {
            return Err(StoreError::Config("the database URL is empty".into()));
        }
        let Some((scheme, rest)) = split_scheme(url) else {
            // A bare path (or `:memory:`, or an SQLite `file:` URI filename).
            return Ok(Self::sqlite(url));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => {
                if rest.is_empty() {
                    return Err(StoreError::Config(
                        "the sqlite:// URL has no path (e.g. sqlite://db.sqlite3 or sqlite:///var/lib/app/db.sqlite3)"
                            .into(),
                    ));
                }
                Ok(Self::sqlite(rest))
            }
            "file" => Ok(Self::sqlite(url)),
            "postgres" | "postgresql" => Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: url.to_owned(),
                memory: false,
            }),
            "mysql" => Ok(DatabaseUrl {
                backend: Backend::Mysql,
                target: url.to_owned(),
                memory: false,
            }),
            "mariadb" => Ok(DatabaseUrl {
                backend: Backend::Mysql,
                target: format!("mysql://{rest}"),
                memory: false,
            }),
            other => Err(StoreError::Config(format!(
                "unsupported database URL scheme `{other}://`; use sqlite://, postgres://, postgresql:// or mysql://"
            ))),
        }
    }

    fn sqlite(path: &str) -> Self {
        let memory = path == ":memory:";
        DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.to_owned(),
            memory,
        }
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `true` for a private in-memory SQLite database.
    pub fn is_memory(&self) -> bool {
        self.memory
    }

    /// The string handed to Diesel's `establish` (the file path for SQLite).
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// The URL without credentials or query string, for logs and `Debug`.
    pub fn redacted(&self) -> String {
        if self.backend == Backend::Sqlite {
            return format!("sqlite://{}", self.target);
        }
        let Some((scheme, rest)) = split_scheme(&self.target) else {
            return "<database URL>".into();
        };
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        format!("{scheme}://{host}{path}")
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("url", &self.redacted())
            .finish()
    }
}

/// Splits `scheme://rest` when the prefix is a syntactically valid URL scheme.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_target(url: &str) -> String {
        let parsed = DatabaseUrl::parse_any(url).unwrap();
        assert_eq!(parsed.backend(), Backend::Sqlite, "{url}");
        parsed.target().to_owned()
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(sqlite_target("sqlite://db.sqlite3"), "db.sqlite3");
        assert_eq!(
            sqlite_target("sqlite:///var/lib/app/db.sqlite3"),
            "/var/lib/app/db.sqlite3"
        );
        assert_eq!(sqlite_target("SQLite://rel/x.db"), "rel/x.db");
        assert_eq!(sqlite_target("db.sqlite3"), "db.sqlite3");
        assert_eq!(sqlite_target("/abs/db.sqlite3"), "/abs/db.sqlite3");
        assert_eq!(sqlite_target("file:x.db?mode=ro"), "file:x.db?mode=ro");
        assert_eq!(sqlite_target("file:///tmp/x.db"), "file:///tmp/x.db");
        assert!(DatabaseUrl::parse_any("sqlite://:memory:")
            .unwrap()
            .is_memory());
        assert!(DatabaseUrl::parse_any(":memory:").unwrap().is_memory());
        assert!(!DatabaseUrl::parse_any("sqlite://db").unwrap().is_memory());
    }

    #[test]
    fn server_forms() {
        let pg = DatabaseUrl::parse_any("postgres://u:secret@h:5432/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.target(), "postgres://u:secret@h:5432/db");
        let pg = DatabaseUrl::parse_any("postgresql://h/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        let my = DatabaseUrl::parse_any("mysql://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(my.backend(), Backend::Mysql);
        let maria = DatabaseUrl::parse_any("mariadb://root@127.0.0.1/test").unwrap();
        assert_eq!(maria.backend(), Backend::Mysql);
        assert_eq!(maria.target(), "mysql://root@127.0.0.1/test");
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in [
            "",
            "   ",
            "redis://127.0.0.1:6379",
            "sqlite://",
            "http://x/y",
        ] {
            match DatabaseUrl::parse(url) {
                Err(StoreError::Config(msg)) => assert!(!msg.is_empty()),
                other => panic!("{url:?}: {other:?}"),
            }
        }
        match DatabaseUrl::parse("redis://u:pw@h/0") {
            Err(StoreError::Config(msg)) => {
                assert_eq!(
                    msg,
                    "unsupported database URL scheme `redis://`; use sqlite://, postgres://, postgresql:// or mysql://"
                );
                assert!(!msg.contains("pw"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_backend_names_the_feature() {
        for (url, backend) in [
            ("postgres://h/db", Backend::Postgres),
            ("mysql://h/db", Backend::Mysql),
            ("db.sqlite3", Backend::Sqlite),
        ] {
            let result = DatabaseUrl::parse(url);
            if backend.is_compiled_in() {
                assert!(result.is_ok(), "{url}");
                continue;
            }
            match result {
                Err(StoreError::Config(msg)) => assert_eq!(
                    msg,
                    format!(
                        "{} support is not compiled in; enable the `{}` feature of auth-core/auth-actix",
                        backend.name(),
                        backend.feature()
                    )
                ),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let url = DatabaseUrl::parse_any("postgres://user:s3cret@db.example:5432/app?password=x2")
            .unwrap();
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("x2"),
            "{shown}"
        );
        assert_eq!(url.redacted(), "postgres://db.example:5432/app");
        let url = DatabaseUrl::parse_any("mysql://root:p@ss@h/db").unwrap();
        assert_eq!(url.redacted(), "mysql://h/db");
    }
}
