//! [`StoreError`]: what a database operation can fail with, and which
//! failures mean the database is unavailable (a 503, and the pool's health
//! check) rather than a query gone wrong.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::AuthError;

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL's scheme is unknown, or its backend was not compiled in, or the
    /// pool settings are unusable.
    #[error("{0}")]
    Config(String),
    /// No connection could be had from the pool in time, connecting failed, or
    /// the connection was lost. A web layer answers 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[source] DieselError),
    /// Running migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// `create_user` with a username that exists (also when a concurrent
    /// insert of the same name won the race).
    #[error("Error: That username is already taken.")]
    DuplicateUsername,
    /// `create_user` with a username Django would reject; the message is
    /// Django's (several joined with `"; "`), e.g. `Username cannot be blank.`
    #[error("{0}")]
    InvalidUsername(String),
    /// `create_user` with another field Django would reject (too long), e.g.
    /// `email: Ensure this value has at most 254 characters (it has 300).`
    #[error("{0}")]
    InvalidField(String),
    /// The user id does not exist (e.g. `set_password` or a token for a
    /// deleted user).
    #[error("user does not exist")]
    UserNotFound,
    /// No permission is named by this `"<app_label>.<codename>"` (or the text
    /// names none at all: it has no `.`).
    #[error("permission '{0}' does not exist")]
    UnknownPermission(String),
    /// No group has exactly this name.
    #[error("group '{0}' does not exist")]
    UnknownGroup(String),
}

impl StoreError {
    /// `true` when the database could not be reached (pool timeout, failed
    /// connect, lost connection): the request may succeed later, so a web
    /// layer answers 503 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// A store error its caller did not answer: logged, and a 503 "Service
/// temporarily unavailable, try again later." (fail closed: never an
/// anonymous pass). Callers answer the domain errors they expect
/// (`DuplicateUsername`, `UserNotFound`, `UnknownPermission`, ...) before `?`.
impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "authentication store failed");
        AuthError::service_unavailable()
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        if !matches!(
            e,
            DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::NotNullViolation
                    | DatabaseErrorKind::CheckViolation,
                _
            ) | DieselError::NotFound
                | DieselError::RollbackTransaction
        ) {
            super::pool::note_query_failure();
        }
        match e {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if connection_lost(info.message()) =>
            {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Whether an error Diesel could not classify is the server going away: the
/// MySQL and MariaDB client libraries report a lost connection (client
/// errors 2002, 2003, 2006 and 2013, server errors 1053 and 1927, MySQL's
/// 4031) only by message, as an unknown kind, where PostgreSQL's becomes
/// `ClosedConnection`. Matched on the texts both libraries use, which name
/// MySQL only in MySQL's.
fn connection_lost(message: &str) -> bool {
    const LOST: [&str; 6] = [
        "server has gone away",                  // 2006
        "lost connection to",                    // 2013
        "can't connect to",                      // 2002, 2003
        "server shutdown in progress",           // 1053
        "connection was killed",                 // 1927 (MariaDB)
        "client was disconnected by the server", // 4031 (MySQL 8)
    ];
    let message = message.to_ascii_lowercase();
    LOST.iter().any(|lost| message.contains(lost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_unavailable() {
        struct Info;
        impl diesel::result::DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                "server closed the connection unexpectedly"
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        let lost = StoreError::from(DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new(Info),
        ));
        assert!(lost.is_unavailable(), "{lost:?}");
        assert_eq!(
            lost.to_string(),
            "database unavailable: server closed the connection unexpectedly"
        );
        let query = StoreError::from(DieselError::NotFound);
        assert!(!query.is_unavailable());
        assert_eq!(query.to_string(), "database error: Record not found");
    }

    /// MySQL and MariaDB report a lost server only by message, as an unknown
    /// kind: those messages are unavailability too, other unknown errors are
    /// not.
    #[test]
    fn mysql_lost_connections_are_unavailable() {
        fn unknown(message: &str) -> StoreError {
            StoreError::from(DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(message.to_owned()),
            ))
        }
        for message in [
            "MySQL server has gone away",
            "Server has gone away",
            "Lost connection to MySQL server during query",
            "Lost connection to server during query",
            "Lost connection to server at 'handshake: reading initial communication packet', system error: 104",
            "Can't connect to server on '127.0.0.1' (115)",
            "Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)",
            "Server shutdown in progress",
            "Connection was killed",
            "The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.",
        ] {
            let err = unknown(message);
            assert!(err.is_unavailable(), "{message}");
            assert_eq!(err.to_string(), format!("database unavailable: {message}"));
        }
        for message in [
            "Table 'test.auth_user' doesn't exist",
            "You have an error in your SQL syntax",
            "Deadlock found when trying to get lock; try restarting transaction",
        ] {
            let err = unknown(message);
            assert!(!err.is_unavailable(), "{message}");
            assert_eq!(err.to_string(), format!("database error: {message}"));
        }
    }
}
