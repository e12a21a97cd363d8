//! [`KeyLookup`]: the row of a unique key, without the `LIMIT ?` of Diesel's `first`.
//!
//! SQLite (3.45 and later, which libsqlite3-sys bundles) reads a bound `LIMIT` value while it
//! plans a statement and marks the parameter as one the plan depends on; binding it again,
//! even to the same 1, expires the statement, so every execution parses and plans it anew.
//! For a request's one lookup that costs more than the lookup itself (about 120,000
//! instructions per request on `/jwt/`'s user, `scripts/bench/instructions.sh`). A lookup by
//! a primary or unique key matches one row at most, so it needs no `LIMIT`: Diesel's cached
//! statement is then reused as is.

use diesel::query_dsl::methods::LoadQuery;
use diesel::{QueryResult, RunQueryDsl};

/// `query.first(conn).optional()` for queries that match one row at most (a primary or
/// unique key): the first row, or `None`, without `LIMIT`, which SQLite would
/// otherwise plan with its bound value and so prepare anew at every execution.
pub trait KeyLookup<Conn>: RunQueryDsl<Conn> + Sized {
    /// The row, if any.
    fn key_lookup<'query, U>(self, conn: &mut Conn) -> QueryResult<Option<U>>
    where
        Self: LoadQuery<'query, Conn, U>,
    {
        Ok(self.load(conn)?.into_iter().next())
    }
}

impl<Conn, Q: RunQueryDsl<Conn>> KeyLookup<Conn> for Q {}
