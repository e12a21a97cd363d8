//! Django's own sessions: the `django_session` table of the `db` session
//! engine and the signed session data, shared with a Django site on the same
//! database and `SECRET_KEY`.
//!
//! - **Keys**: 32 characters from `[a-z0-9]` (Django's `VALID_KEY_CHARS`),
//!   from the operating system's CSPRNG ([`new_session_key`]). Django stores
//!   the key itself, so unlike our own table a copy of `django_session` holds
//!   usable keys: pick this store for one login shared with a Django site,
//!   ours when nobody else reads the sessions.
//! - **Data**: Django 5.2's `SessionBase.encode`: `signing.dumps` of the
//!   session's JSON object with the salt `django.contrib.sessions.SessionStore`,
//!   compressed; [`decode_session`] checks it against `SECRET_KEY` and then
//!   `SECRET_KEY_FALLBACKS`. Data that does not verify is an empty session, as
//!   in Django (which logs `Session data corrupted`), never an error.
//! - **Expiry**: a row counts while `expire_date` (UTC) is in the future
//!   (Django's `expire_date__gt=now()`); [`DjangoSessionDb::clear_expired`]
//!   is `clearsessions`.
//!
//! ```
//! use auth_core::db::Database;
//! use auth_core::sessions::django::{decode_session, encode_session, DjangoSessionDb};
//! use auth_core::signing::{JsonObject, JsonValue, SecretKey};
//! use auth_core::PoolConfig;
//! use std::time::Duration;
//!
//! let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! db.migrate().unwrap();
//! let sessions = DjangoSessionDb::new(db);
//! let key = SecretKey::new("django-insecure-key").unwrap();
//!
//! let mut data = JsonObject::new();
//! data.insert("_auth_user_id", JsonValue::String("1".into()));
//! let session_key = sessions
//!     .create(&encode_session(&data, &key).unwrap(), Duration::from_secs(1209600))
//!     .unwrap();
//! let stored = sessions.load(&session_key).unwrap().unwrap();
//! assert_eq!(decode_session(&stored, &key, &[]), data);
//! // Another key (or tampered data) reads as an empty session.
//! let other = SecretKey::new("another-key").unwrap();
//! assert!(decode_session(&stored, &other, &[]).is_empty());
//! ```

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::crypto;
use crate::db::schema::django_session;
use crate::db::{self, Database, KeyLookup, StoreError};
use crate::signing::{self, JsonObject, JsonValue, SecretKey, SigningError};
use crate::store::{is_unique_violation, now_utc};

/// Django's `django_session` table.
pub const DJANGO_SESSION_TABLE: &str = "django_session";

/// The salt of the `db` engine's session data: `"django.contrib.sessions." +
/// SessionStore.__qualname__` (`SessionBase.key_salt`).
pub const SESSION_DATA_SALT: &str = "django.contrib.sessions.SessionStore";

/// The salt of the `signed_cookies` engine's cookie.
pub const SIGNED_COOKIES_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// Django's `VALID_KEY_CHARS`: the alphabet of session keys.
pub const VALID_KEY_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The length of the keys Django (and this store) make.
pub const SESSION_KEY_LENGTH: usize = 32;

/// The longest key the `session_key` column holds.
pub const MAX_SESSION_KEY_LENGTH: usize = 40;

/// The key under which Django keeps a session's own expiry
/// (`SessionBase.set_expiry`): seconds of inactivity, or an ISO date.
pub const SESSION_EXPIRY_KEY: &str = "_session_expiry";

/// How often a new key is drawn when it collides with an existing row.
const MAX_ATTEMPTS: usize = 5;

/// A fresh session key: Django's `get_random_string(32, VALID_KEY_CHARS)`.
pub fn new_session_key() -> String {
    crypto::random_string(SESSION_KEY_LENGTH, VALID_KEY_CHARS)
}

/// Django's `SessionBase._validate_session_key` (at least 8 characters),
/// and short enough for the column; anything else names no session.
pub fn is_valid_session_key(key: &str) -> bool {
    (8..=MAX_SESSION_KEY_LENGTH).contains(&key.len())
}

/// Django's `SessionBase.encode`: the session signed with `key` (Django's
/// `SECRET_KEY`), timestamped and compressed.
pub fn encode_session(data: &JsonObject, key: &SecretKey) -> Result<String, SigningError> {
    signing::dumps(data, key, SESSION_DATA_SALT, true)
}

/// Django's `SessionBase.decode`: the session in `session_data`, signed with
/// `key` or one of `fallbacks`. Anything else (a bad signature, data that is
/// not a JSON object) is an empty session; a bad signature is logged as
/// Django logs it (`Session data corrupted`, a warning).
pub fn decode_session(session_data: &str, key: &SecretKey, fallbacks: &[SecretKey]) -> JsonObject {
    match signing::loads::<JsonValue>(session_data, key, SESSION_DATA_SALT, None, fallbacks) {
        Ok(JsonValue::Object(data)) => data,
        Ok(_) => JsonObject::new(),
        Err(err) if err.is_bad_signature() => {
            tracing::warn!(target: "django.security.SuspiciousSession", "Session data corrupted");
            JsonObject::new()
        }
        Err(err) => {
            tracing::debug!(error = %err, "session data could not be read");
            JsonObject::new()
        }
    }
}

/// Django's `signed_cookies` engine's `load`: the session carried by the
/// cookie itself, signed with `key` or one of `fallbacks` at most `max_age`
/// ago; `None` when it does not verify (Django then starts an empty
/// session and replaces the cookie).
pub fn load_signed_cookie(
    cookie: &str,
    key: &SecretKey,
    fallbacks: &[SecretKey],
    max_age: Duration,
) -> Option<JsonObject> {
    match signing::loads::<JsonValue>(cookie, key, SIGNED_COOKIES_SALT, Some(max_age), fallbacks) {
        Ok(JsonValue::Object(data)) => Some(data),
        _ => None,
    }
}

/// The `signed_cookies` engine's cookie value for `data`
/// (`_get_session_key`).
pub fn signed_cookie(data: &JsonObject, key: &SecretKey) -> Result<String, SigningError> {
    signing::dumps(data, key, SIGNED_COOKIES_SALT, true)
}

/// Django's `SessionBase.get_expiry_age`: the session's own
/// `_session_expiry` (seconds of inactivity, or an ISO 8601 date) in
/// seconds from now, else `default_age` (`SESSION_COOKIE_AGE`).
pub fn expiry_age(data: &JsonObject, default_age: i64) -> i64 {
    match data.get(SESSION_EXPIRY_KEY) {
        Some(JsonValue::Number(n)) => match n.as_i64() {
            Some(0) | None => default_age,
            Some(seconds) => seconds,
        },
        Some(JsonValue::String(date)) => {
            let at = DateTime::parse_from_rfc3339(date)
                .map(|d| d.with_timezone(&Utc).naive_utc())
                .or_else(|_| date.parse::<NaiveDateTime>());
            match at {
                Ok(at) => (at - Utc::now().naive_utc()).num_seconds(),
                Err(_) => default_age,
            }
        }
        _ => default_age,
    }
}

/// Django's `SessionBase.get_expire_at_browser_close`: a session whose
/// `_session_expiry` is 0 ends with the browser; one without follows
/// `default` (`SESSION_EXPIRE_AT_BROWSER_CLOSE`).
pub fn expire_at_browser_close(data: &JsonObject, default: bool) -> bool {
    match data.get(SESSION_EXPIRY_KEY) {
        None | Some(JsonValue::Null) => default,
        Some(JsonValue::Number(n)) => n.as_i64() == Some(0),
        Some(_) => false,
    }
}

/// Django's `django_session` table. Cheap to clone; every method is
/// synchronous and checks a connection out of the pool only for its query.
#[derive(Clone)]
pub struct DjangoSessionDb {
    db: Database,
}

impl fmt::Debug for DjangoSessionDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DjangoSessionDb")
            .field("db", &self.db)
            .finish()
    }
}

/// Django's `get_expiry_date`: now plus `age` (at most the last second a
/// `datetime(6)` column holds, on every backend).
fn expire_date(now: NaiveDateTime, age: Duration) -> NaiveDateTime {
    super::capped_expiry(now, age, super::last_datetime())
}

impl DjangoSessionDb {
    /// The `django_session` table of `db` (created by `migrate` when
    /// missing, or by Django's).
    pub fn new(db: Database) -> Self {
        DjangoSessionDb { db }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The `session_data` of the live session `key` (Django's `load`):
    /// `None` when there is none, it has expired, or `key` is not valid
    /// (then without a query).
    pub fn load(&self, key: &str) -> Result<Option<String>, StoreError> {
        if !is_valid_session_key(key) {
            return Ok(None);
        }
        let mut conn = self.db.connection()?;
        let row: Option<(String, String)> = db::on_backend!(&mut *conn, |c| django_session::table
            .filter(django_session::session_key.eq(key))
            .filter(django_session::expire_date.gt(now_utc()))
            .select((django_session::session_key, django_session::session_data))
            .key_lookup(c)?);
        // MySQL's default collation compares case-insensitively: the key must
        // be the one stored, byte for byte.
        Ok(row
            .filter(|(stored, _)| crypto::constant_time_eq(stored.as_bytes(), key.as_bytes()))
            .map(|(_, data)| data))
    }

    /// Django's `create()`: stores `session_data` under a fresh key that no
    /// row has, valid for `age`, and returns the key.
    pub fn create(&self, session_data: &str, age: Duration) -> Result<String, StoreError> {
        let mut conn = self.db.connection()?;
        let mut attempt = 1;
        loop {
            let key = new_session_key();
            let inserted = diesel::insert_into(django_session::table)
                .values((
                    django_session::session_key.eq(&key),
                    django_session::session_data.eq(session_data),
                    django_session::expire_date.eq(expire_date(now_utc(), age)),
                ))
                .execute(&mut conn);
            match inserted {
                Ok(_) => return Ok(key),
                Err(e) if is_unique_violation(&e) && attempt < MAX_ATTEMPTS => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Django's `save()` of an existing session (`force_update`): replaces
    /// the data of `key` and restarts its `age`. `false` when the row is
    /// gone (deleted by a logout in the meantime: Django's `UpdateError`),
    /// and then nothing is written.
    pub fn save(&self, key: &str, session_data: &str, age: Duration) -> Result<bool, StoreError> {
        if !is_valid_session_key(key) {
            return Ok(false);
        }
        let mut conn = self.db.connection()?;
        let updated = diesel::update(django_session::table.filter(django_session::session_key.eq(key)))
            .set((
                django_session::session_data.eq(session_data),
                django_session::expire_date.eq(expire_date(now_utc(), age)),
            ))
            .execute(&mut conn)?;
        Ok(updated > 0)
    }

    /// Deletes the session `key` (Django's `delete`); `true` if there was one.
    pub fn delete(&self, key: &str) -> Result<bool, StoreError> {
        if !is_valid_session_key(key) {
            return Ok(false);
        }
        let mut conn = self.db.connection()?;
        let deleted =
            diesel::delete(django_session::table.filter(django_session::session_key.eq(key)))
                .execute(&mut conn)?;
        Ok(deleted > 0)
    }

    /// Django's `clearsessions` for this engine: deletes the sessions whose
    /// `expire_date` has passed and returns how many.
    pub fn clear_expired(&self) -> Result<usize, StoreError> {
        let mut conn = self.db.connection()?;
        Ok(
            diesel::delete(django_session::table.filter(django_session::expire_date.lt(now_utc())))
                .execute(&mut conn)?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn keys_are_djangos() {
        let key = new_session_key();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| VALID_KEY_CHARS.contains(&b)));
        assert_ne!(key, new_session_key());
        assert!(is_valid_session_key(&key));
        assert!(is_valid_session_key("12345678"));
        assert!(!is_valid_session_key("1234567"));
        assert!(!is_valid_session_key(&"a".repeat(41)));
    }

    #[test]
    fn data_round_trips_and_fallbacks_verify() {
        let key = SecretKey::new("current").unwrap();
        let old = SecretKey::new("old").unwrap();
        let mut data = JsonObject::new();
        data.insert("b", JsonValue::String("é".into()));
        data.insert("a", JsonValue::Bool(true));
        let signed = encode_session(&data, &old).unwrap();
        assert_eq!(decode_session(&signed, &key, std::slice::from_ref(&old)), data);
        assert!(decode_session(&signed, &key, &[]).is_empty());
        assert!(decode_session("garbage", &key, &[]).is_empty());
        let list = signing::dumps(&[1, 2], &key, SESSION_DATA_SALT, true).unwrap();
        assert!(decode_session(&list, &key, &[]).is_empty());
    }

    #[test]
    fn signed_cookies_expire() {
        let key = SecretKey::new("current").unwrap();
        let mut data = JsonObject::new();
        data.insert("x", JsonValue::Null);
        let cookie = signed_cookie(&data, &key).unwrap();
        assert_eq!(
            load_signed_cookie(&cookie, &key, &[], Duration::from_secs(60)),
            Some(data)
        );
        assert_eq!(load_signed_cookie("x:y:z", &key, &[], Duration::from_secs(60)), None);
        let other = SecretKey::new("other").unwrap();
        assert_eq!(load_signed_cookie(&cookie, &other, &[], Duration::from_secs(60)), None);
    }

    #[test]
    fn djangos_expiry_rules() {
        let mut data = JsonObject::new();
        assert_eq!(expiry_age(&data, 100), 100);
        assert!(!expire_at_browser_close(&data, false));
        assert!(expire_at_browser_close(&data, true));
        data.insert(SESSION_EXPIRY_KEY, JsonValue::Number(0.into()));
        assert_eq!(expiry_age(&data, 100), 100);
        assert!(expire_at_browser_close(&data, false));
        data.insert(SESSION_EXPIRY_KEY, JsonValue::Number(300.into()));
        assert_eq!(expiry_age(&data, 100), 300);
        assert!(!expire_at_browser_close(&data, true));
        let later = (Utc::now() + TimeDelta::seconds(3600)).to_rfc3339();
        data.insert(SESSION_EXPIRY_KEY, JsonValue::String(later));
        assert!((3598..=3600).contains(&expiry_age(&data, 100)));
    }

    #[test]
    fn expiry_is_capped() {
        let now = now_utc();
        assert_eq!(expire_date(now, Duration::from_secs(10)), now + TimeDelta::seconds(10));
        assert_eq!(expire_date(now, Duration::MAX), super::super::last_datetime());
    }
}
