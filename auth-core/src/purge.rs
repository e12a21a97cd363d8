//! Expired tokens, purged off the request path: each family whose tables
//! keep expired rows lists a [`TokenPurge`] in [`TOKEN_PURGES`] (behind its
//! feature), and the one `purge-tokens` command runs every one compiled in.

use chrono::NaiveDateTime;

use crate::db::{AnyConnection, StoreError};

/// How one family deletes its expired tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenPurge {
    /// What the rows are, for the command's report (`durin tokens`).
    pub what: &'static str,
    /// Deletes the rows that expired before `now` (UTC) and returns how many.
    pub purge: fn(&mut AnyConnection, NaiveDateTime) -> Result<usize, StoreError>,
}

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
    #[cfg(feature = "durin")]
    DURIN,
];
