//! Server-side sessions in the `actix_auth_session` table.
//!
//! This is the storage behind auth-actix's Diesel session store (an
//! actix-session `SessionStore`): because the state lives in the database and
//! the cookie only names it, deleting the row ends the session everywhere, so
//! logging out really revokes it. The table is our own (Django's is
//! `django_session`; its rows are signed with Django's secret key and are not
//! shared).
//!
//! - **Keys**: 64 characters from `a-z`, `A-Z`, `0-9` drawn from the operating
//!   system's CSPRNG ([`SessionKey::generate`], about 381 bits). Only their
//!   SHA-256 is stored, so a copy of the table does not hold a usable key;
//!   lookups go by that hash, so nothing secret is compared in SQL. Neither
//!   [`SessionKey`] nor [`SessionRecord`] shows a key or the state in `Debug`.
//! - **Expiry**: a row is valid while `expire_date` (UTC) is in the future, as
//!   Django's `expire_date__gt=now()`. Expired rows count as absent for every
//!   operation here and are removed by [`SessionDb::clear_expired`] (the
//!   `clearsessions` command).
//! - **Users**: the web layer passes the logged-in user's id with the state,
//!   so [`SessionDb::delete_user_sessions`] can end all of a user's sessions
//!   (password change, "log out everywhere").
//!
//! Every method is synchronous and checks a connection out of the pool only
//! for its query: a web server calls them from a blocking thread pool.

pub mod django;

use std::fmt;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use crate::crypto::{self, RANDOM_STRING_CHARS};
use crate::db::schema::actix_auth_session;
use crate::db::{self, Backend, Database, DbPool, KeyLookup, PooledConnection};
use crate::models;
use crate::store::{now_utc, AuthStore, StoreError};

/// The session table's name.
pub const SESSION_TABLE: &str = "actix_auth_session";

/// Length of a session key, in characters.
pub const SESSION_KEY_LENGTH: usize = 64;

/// Django's `SESSION_KEY`: the state entry holding the logged-in user's id.
/// The store copies it into the row's `user_id` column.
pub const SESSION_USER_ID_KEY: &str = "_auth_user_id";

/// Django's `HASH_SESSION_KEY`: the state entry holding the hash derived from
/// the user's password hash (`get_session_auth_hash`), so that changing the
/// password ends the user's other sessions.
pub const SESSION_HASH_KEY: &str = "_auth_user_hash";

/// Django's `BACKEND_SESSION_KEY`: the state entry naming the authentication
/// backend that logged the user in.
pub const SESSION_BACKEND_KEY: &str = "_auth_user_backend";

/// How often an insert that collided with an existing key is retried with a
/// fresh key (a collision of 381-bit random keys does not happen; this bounds
/// the loop anyway).
const MAX_ATTEMPTS: usize = 5;

/// A session key: what the session cookie carries. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(String);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// A new random key: [`SESSION_KEY_LENGTH`] characters from `a-z`, `A-Z`,
    /// `0-9`, drawn from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply randomness (see
    /// [`crypto::fill_random`]).
    pub fn generate() -> Self {
        SessionKey(crypto::random_string(
            SESSION_KEY_LENGTH,
            RANDOM_STRING_CHARS,
        ))
    }

    /// The key, to put in the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether `key` could have been made by [`SessionKey::generate`]. Anything
/// else (empty, oversized, other characters) cannot name a row and is treated
/// as absent without a query.
pub fn is_well_formed_key(key: &str) -> bool {
    key.len() == SESSION_KEY_LENGTH && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// PostgreSQL cannot store NUL in text, so no backend gets one (the JSON the
/// web layer writes escapes it as `\u0000` anyway).
fn check_data(data: &str) -> Result<(), StoreError> {
    if models::storable(data) {
        Ok(())
    } else {
        Err(StoreError::InvalidField(format!(
            "session_data: {}",
            models::NULL_CHARACTERS_MESSAGE
        )))
    }
}

/// The stored form of a key: lowercase hex SHA-256.
fn key_hash(key: &str) -> String {
    crypto::hex(&Sha256::digest(key.as_bytes()))
}

pub use crate::signing::{SecretKey, SESSION_AUTH_HASH_SALT};

/// A live session row. `Debug` shows neither the key nor the state.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = actix_auth_session)]
pub struct SessionRecord {
    /// The session state, as the web layer wrote it (a JSON object).
    pub session_data: String,
    /// When the session ends, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub expire_date: NaiveDateTime,
    /// The logged-in user, if the state names one.
    pub user_id: Option<i32>,
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field(
                "session_data",
                &format_args!("<{} bytes>", self.session_data.len()),
            )
            .field("expire_date", &self.expire_date)
            .field("user_id", &self.user_id)
            .finish()
    }
}

#[derive(Insertable)]
#[diesel(table_name = actix_auth_session)]
struct NewSessionRow<'a> {
    key_hash: &'a str,
    session_data: &'a str,
    expire_date: NaiveDateTime,
    user_id: Option<i32>,
}

/// The latest expiry stored on `backend`. Diesel binds timestamps to
/// MySQL/MariaDB as `TIMESTAMP` parameters, which end at 2038-01-19 03:14:07
/// UTC (later values arrive as NULL); the other backends take any date up to
/// 9999.
fn latest_expiry(backend: Backend) -> NaiveDateTime {
    match backend {
        Backend::Mysql => NaiveDate::from_ymd_opt(2038, 1, 19)
            .and_then(|d| d.and_hms_opt(3, 14, 7))
            .unwrap_or(NaiveDateTime::MAX),
        Backend::Sqlite | Backend::Postgres => last_datetime(),
    }
}

/// 9999-12-31 23:59:59, the last second a `datetime` column of every
/// backend stores.
pub(super) fn last_datetime() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .unwrap_or(NaiveDateTime::MAX)
}

/// `now + ttl`, clamped to what `backend` can store.
fn expiry(backend: Backend, now: NaiveDateTime, ttl: Duration) -> NaiveDateTime {
    capped_expiry(now, ttl, latest_expiry(backend))
}

/// `now + ttl`, at most `latest`.
pub(super) fn capped_expiry(now: NaiveDateTime, ttl: Duration, latest: NaiveDateTime) -> NaiveDateTime {
    TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .map_or(latest, |t| t.min(latest))
}

/// The live (unexpired) row of the key whose hash is `hash`.
#[diesel::dsl::auto_type]
fn live_row(hash: String, now: NaiveDateTime) -> _ {
    actix_auth_session::table
        .filter(actix_auth_session::key_hash.eq(hash))
        .filter(actix_auth_session::expire_date.gt(now))
}

/// The session table over a pool. Cheap to clone.
#[derive(Clone)]
pub struct SessionDb {
    pool: DbPool,
}

impl fmt::Debug for SessionDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pool.state();
        f.debug_struct("SessionDb")
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .field("max_size", &self.pool.max_size())
            .finish()
    }
}

impl From<&Database> for SessionDb {
    /// The sessions of `db`.
    fn from(db: &Database) -> Self {
        SessionDb::new(db.pool().clone())
    }
}

impl From<&AuthStore> for SessionDb {
    /// The sessions of the same database as `store`.
    fn from(store: &AuthStore) -> Self {
        SessionDb::new(store.pool().clone())
    }
}

impl SessionDb {
    /// Sessions over `pool` (migrated with [`AuthStore::migrate`]).
    pub fn new(pool: DbPool) -> Self {
        SessionDb { pool }
    }

    /// The pool.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    fn connection(&self) -> Result<PooledConnection, StoreError> {
        db::get(&self.pool)
    }

    /// The live session named by `key`: `None` when there is none, when it
    /// has expired, or when `key` is not [well formed](is_well_formed_key)
    /// (then without a query).
    pub fn load(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        if !is_well_formed_key(key) {
            return Ok(None);
        }
        let hash = key_hash(key);
        let mut conn = self.connection()?;
        let row: Option<(String, SessionRecord)> =
            db::on_backend!(&mut *conn, |c| live_row(hash.clone(), now_utc())
                .select((actix_auth_session::key_hash, SessionRecord::as_select()))
                .key_lookup(c)?);
        // The column is compared exactly on every backend; re-checking costs
        // nothing and keeps that true whatever collation a DBA sets.
        Ok(row
            .filter(|(stored, _)| crypto::constant_time_eq(stored.as_bytes(), hash.as_bytes()))
            .map(|(_, record)| record))
    }

    /// Stores a new session with state `data` for `ttl` and returns its fresh
    /// key (a key that collides with an existing row is replaced and retried).
    /// `data` with a NUL character is [`StoreError::InvalidField`].
    pub fn create(
        &self,
        data: &str,
        user_id: Option<i32>,
        ttl: Duration,
    ) -> Result<SessionKey, StoreError> {
        check_data(data)?;
        let mut conn = self.connection()?;
        let backend = conn.backend();
        let mut attempt = 1;
        loop {
            let key = SessionKey::generate();
            let hash = key_hash(key.as_str());
            let inserted = diesel::insert_into(actix_auth_session::table)
                .values(NewSessionRow {
                    key_hash: &hash,
                    session_data: data,
                    expire_date: expiry(backend, now_utc(), ttl),
                    user_id,
                })
                .execute(&mut conn);
            match inserted {
                Ok(_) => return Ok(key),
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
                    if attempt < MAX_ATTEMPTS =>
                {
                    attempt += 1
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Replaces the state of the live session `key` and restarts its `ttl`.
    ///
    /// `false` when there is no such live session (it expired, or was deleted
    /// by a logout in the meantime): then nothing is written, so a request
    /// that was already running can never bring an ended session back.
    /// `data` with a NUL character is [`StoreError::InvalidField`].
    pub fn update(
        &self,
        key: &str,
        data: &str,
        user_id: Option<i32>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        if !is_well_formed_key(key) {
            return Ok(false);
        }
        check_data(data)?;
        let now = now_utc();
        let mut conn = self.connection()?;
        let expire_date = expiry(conn.backend(), now, ttl);
        let updated = diesel::update(live_row(key_hash(key), now))
            .set((
                actix_auth_session::session_data.eq(data),
                actix_auth_session::user_id.eq(user_id),
                actix_auth_session::expire_date.eq(expire_date),
            ))
            .execute(&mut conn)?;
        Ok(updated > 0)
    }

    /// Restarts the `ttl` of the live session `key`; `false` (and nothing
    /// written) when there is no such live session.
    pub fn update_ttl(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        if !is_well_formed_key(key) {
            return Ok(false);
        }
        let now = now_utc();
        let mut conn = self.connection()?;
        let expire_date = expiry(conn.backend(), now, ttl);
        let updated = diesel::update(live_row(key_hash(key), now))
            .set(actix_auth_session::expire_date.eq(expire_date))
            .execute(&mut conn)?;
        Ok(updated > 0)
    }

    /// Deletes the session `key` (live or expired); `true` if there was one.
    pub fn delete(&self, key: &str) -> Result<bool, StoreError> {
        if !is_well_formed_key(key) {
            return Ok(false);
        }
        let mut conn = self.connection()?;
        let deleted = diesel::delete(
            actix_auth_session::table.filter(actix_auth_session::key_hash.eq(key_hash(key))),
        )
        .execute(&mut conn)?;
        Ok(deleted > 0)
    }

    /// Deletes every session of `user_id` except `keep` (the caller's own
    /// session, as Django's `update_session_auth_hash` keeps it after a
    /// password change; `None` ends them all). Returns how many were deleted.
    pub fn delete_user_sessions(
        &self,
        user_id: i32,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.connection()?;
        let mine = actix_auth_session::table.filter(actix_auth_session::user_id.eq(user_id));
        let deleted = match keep.filter(|k| is_well_formed_key(k)) {
            Some(key) => {
                diesel::delete(mine.filter(actix_auth_session::key_hash.ne(key_hash(key))))
                    .execute(&mut conn)?
            }
            None => diesel::delete(mine).execute(&mut conn)?,
        };
        Ok(deleted)
    }

    /// Django's `clearsessions`: deletes the sessions that have expired
    /// (`expire_date` before now) and returns how many.
    pub fn clear_expired(&self) -> Result<usize, StoreError> {
        let mut conn = self.connection()?;
        Ok(diesel::delete(
            actix_auth_session::table.filter(actix_auth_session::expire_date.lt(now_utc())),
        )
        .execute(&mut conn)?)
    }
}

/// The logged-in user's id in a session state: the entry
/// [`SESSION_USER_ID_KEY`] (`_auth_user_id`), a JSON number or, as Django
/// writes it, a JSON string of one. `None` when absent or not an `i32`.
pub fn session_user_id(state: &std::collections::HashMap<String, String>) -> Option<i32> {
    let raw = state.get(SESSION_USER_ID_KEY)?;
    match serde_json::from_str::<serde_json::Value>(raw).ok()? {
        serde_json::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(value: &str) -> std::collections::HashMap<String, String> {
        std::collections::HashMap::from([(SESSION_USER_ID_KEY.to_owned(), value.to_owned())])
    }

    #[test]
    fn user_id_from_state() {
        assert_eq!(session_user_id(&state("5")), Some(5));
        assert_eq!(session_user_id(&state("\"5\"")), Some(5));
        assert_eq!(session_user_id(&state("-3")), Some(-3));
        for bad in [
            "",
            "x",
            "5.5",
            "\"five\"",
            "null",
            "[5]",
            "{\"id\":5}",
            "2147483648",
            "\"2147483648\"",
            "true",
        ] {
            assert_eq!(session_user_id(&state(bad)), None, "{bad}");
        }
        assert_eq!(session_user_id(&std::collections::HashMap::new()), None);
    }

    #[test]
    fn keys_are_random_and_well_formed() {
        let keys: std::collections::HashSet<String> = (0..1000)
            .map(|_| SessionKey::generate().into_string())
            .collect();
        assert_eq!(keys.len(), 1000);
        for key in &keys {
            assert!(is_well_formed_key(key), "{key}");
        }
    }

    #[test]
    fn malformed_keys() {
        for key in [
            "",
            "short",
            &"a".repeat(63),
            &"a".repeat(65),
            &format!("{}-", "a".repeat(63)),
            &format!("{}é", "a".repeat(62)),
            &"a".repeat(5000),
        ] {
            assert!(!is_well_formed_key(key), "{key}");
        }
    }

    #[test]
    fn key_hash_is_sha256_hex() {
        // printf abc | sha256sum
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn session_auth_hash_is_djangos() {
        // Django 5.2: User(password=...).get_session_auth_hash() with this SECRET_KEY.
        let key = SecretKey::new("django-insecure-key-é").unwrap();
        let password = "pbkdf2_sha256$1500000$2YmPVSi7siDF0YXtAeMKHj$clzvKv4FLYsn0ZOChEykO4Fci1aYgkc61nEcWkJO0l0=";
        let hash = "20003f54118064fa4d289fc166918fd4eba8afdcf4e3023e85a723a328a3f590";
        assert_eq!(key.session_auth_hash(password), hash);
        assert!(key.verifies(hash, password));
        assert!(!key.verifies(hash, "pbkdf2_sha256$1500000$other"));
        assert!(!key.verifies("", password));
        assert!(SecretKey::new("").is_none());
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }

    #[test]
    fn debug_hides_key_and_state() {
        let key = SessionKey::generate();
        assert_eq!(format!("{key:?}"), "SessionKey(..)");
        let record = SessionRecord {
            session_data: r#"{"_auth_user_hash":"secret-hash"}"#.into(),
            expire_date: now_utc(),
            user_id: Some(3),
        };
        let shown = format!("{record:?}");
        assert!(!shown.contains("secret-hash"), "{shown}");
        assert!(shown.contains("user_id: Some(3)"), "{shown}");
    }

    #[test]
    fn expiry_is_clamped() {
        let now = now_utc();
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
            let latest = latest_expiry(backend);
            assert!(latest > now, "{backend}");
            assert_eq!(expiry(backend, now, Duration::ZERO), now);
            assert_eq!(
                expiry(backend, now, Duration::from_secs(60)),
                now + TimeDelta::seconds(60)
            );
            assert_eq!(expiry(backend, now, Duration::MAX), latest);
            assert_eq!(
                expiry(
                    backend,
                    now,
                    Duration::from_secs(u64::from(u32::MAX) * 1000)
                ),
                latest
            );
        }
        assert_eq!(
            latest_expiry(Backend::Mysql).to_string(),
            "2038-01-19 03:14:07"
        );
        assert_eq!(
            latest_expiry(Backend::Postgres).to_string(),
            "9999-12-31 23:59:59"
        );
    }
}
