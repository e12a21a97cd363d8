//! Expired tokens, purged off the request path: each family whose tables
//! keep expired rows lists a [`TokenPurge`] in [`TOKEN_PURGES`] (behind its
//! feature), and the one `purge-tokens` command runs every one compiled in.
//!
//! django-rest-knox deletes a user's expired tokens while authenticating
//! each request (one `DELETE` per expired token, on every request); here
//! authentication touches only the presented token's row, and the rest
//! waits for [`TOKEN_PURGES`] (the `purge-tokens` command, a cron job, or a
//! store's own `purge_expired`).

use chrono::NaiveDateTime;

use crate::db::{AnyConnection, StoreError};

/// How one family deletes its expired tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenPurge {
    /// What the rows are, for the command's report (`knox tokens`, `durin tokens`).
    pub what: &'static str,
    /// Deletes the rows that expired before `now` (UTC) and returns how many.
    pub purge: fn(&mut AnyConnection, NaiveDateTime) -> Result<usize, StoreError>,
}

/// django-rest-knox's `knox_authtoken` (feature `knox`): rows whose
/// `expiry` is before `now` (knox's own test, `expiry < now`); a `NULL`
/// expiry never expires.
#[cfg(feature = "knox")]
pub const KNOX: TokenPurge = TokenPurge {
    what: "knox tokens",
    purge: |conn, now| {
        use crate::db::schema::knox_authtoken;
        use diesel::prelude::*;
        Ok(
            diesel::delete(knox_authtoken::table.filter(knox_authtoken::expiry.lt(now)))
                .execute(conn)?,
        )
    },
};

/// Django-Rest-Durin's `durin_authtoken` (feature `durin`): rows whose
/// `expiry` is before `now` (Durin's `has_expired` is `now > expiry`; it
/// deletes such a row only when it is presented).
#[cfg(feature = "durin")]
pub const DURIN: TokenPurge = TokenPurge {
    what: "durin tokens",
    purge: |conn, now| {
        use crate::db::schema::durin_authtoken;
        use diesel::prelude::*;
        Ok(
            diesel::delete(durin_authtoken::table.filter(durin_authtoken::expiry.lt(now)))
                .execute(conn)?,
        )
    },
};

/// The purges of every family compiled in, in the order the command runs
/// them (a family adds its own here, behind its feature).
pub const TOKEN_PURGES: &[TokenPurge] = &[
    #[cfg(feature = "knox")]
    KNOX,
    #[cfg(feature = "durin")]
    DURIN,
];
