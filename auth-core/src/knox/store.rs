//! [`KnoxStore`]: `knox_authtoken` over a [`Database`].

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::{generate_token, hash_token, token_id, token_key, KnoxSettings};
use crate::crypto;
use crate::db::schema::{auth_user, knox_authtoken};
use crate::db::{self, Database, StoreError};
use crate::models::{self, User};
use crate::purge;
use crate::store::{is_unique_violation, retry_conflicts};

/// How often an insert whose digest collided with an existing row is tried
/// with a fresh token (a SHA-512 collision does not happen; this bounds the
/// loop anyway).
const MAX_ATTEMPTS: usize = 3;

/// A row of knox's `knox_authtoken`. `Debug` shows neither the digest nor
/// the token key.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = knox_authtoken)]
pub struct KnoxToken {
    /// Lowercase hex SHA-512 of the token: the primary key.
    pub digest: String,
    /// When the token was made, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub created: NaiveDateTime,
    /// The owner.
    pub user_id: i32,
    /// When it stops working, UTC (`None`: never).
    #[diesel(deserialize_as = crate::db::NullableTimestampColumn)]
    pub expiry: Option<NaiveDateTime>,
    /// The token's first 15 characters.
    pub token_key: String,
}

impl KnoxToken {
    /// The device list's id: [`token_id`] of the digest.
    pub fn id(&self) -> String {
        token_id(&self.digest)
    }

    /// Whether the token has expired at `now`: knox's `expiry < now` (a
    /// token is still good at the instant of its expiry).
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        self.expiry.is_some_and(|expiry| expiry < now)
    }
}

impl fmt::Debug for KnoxToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnoxToken")
            .field("id", &self.id())
            .field("user_id", &self.user_id)
            .field("created", &self.created)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = knox_authtoken)]
struct NewRow<'a> {
    digest: &'a str,
    created: NaiveDateTime,
    user_id: i32,
    expiry: Option<NaiveDateTime>,
    token_key: &'a str,
}

/// A token just made: the token itself (shown once, never stored) and its
/// row. `Debug` hides the token.
#[derive(Clone)]
pub struct NewKnoxToken {
    token: String,
    row: KnoxToken,
}

impl NewKnoxToken {
    /// The token, for the client (`Authorization: Token <token>`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Its row.
    pub fn row(&self) -> &KnoxToken {
        &self.row
    }
}

impl fmt::Debug for NewKnoxToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKnoxToken")
            .field("token", &"<redacted>")
            .field("row", &self.row)
            .finish()
    }
}

/// knox's tokens over a [`Database`] (the app's, shared with the
/// [`AuthStore`](crate::AuthStore)), with the [`KnoxSettings`] they follow.
/// Cheap to clone; every method is synchronous and checks a connection out
/// of the pool only for its queries: a web server calls them from a
/// blocking task.
#[derive(Clone)]
pub struct KnoxStore {
    db: Database,
    settings: Arc<KnoxSettings>,
}

impl fmt::Debug for KnoxStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnoxStore")
            .field("db", &self.db)
            .field("settings", &self.settings)
            .finish()
    }
}

/// A transaction holding a lock on one user, on the concrete connection of
/// each backend: what keeps `TOKEN_LIMIT_PER_USER` under concurrent logins.
trait UserLock: Connection + Sized {
    /// Runs `body` in a transaction that no other [`UserLock`] of the same
    /// user runs beside; `None` when the user does not exist.
    fn locked<T>(
        &mut self,
        user_id: i32,
        body: impl FnOnce(&mut Self) -> QueryResult<T>,
    ) -> QueryResult<Option<T>>;
}

/// SQLite: a write transaction (`BEGIN IMMEDIATE`) from the start, which one
/// connection holds at a time (others wait up to the busy timeout). A
/// deferred one would read under a shared lock and fail to upgrade it.
#[cfg(feature = "sqlite")]
impl UserLock for diesel::SqliteConnection {
    fn locked<T>(
        &mut self,
        user_id: i32,
        body: impl FnOnce(&mut Self) -> QueryResult<T>,
    ) -> QueryResult<Option<T>> {
        self.immediate_transaction(|c| {
            let exists = auth_user::table
                .find(user_id)
                .select(auth_user::id)
                .first::<i32>(c)
                .optional()?;
            match exists {
                Some(_) => body(c).map(Some),
                None => Ok(None),
            }
        })
    }
}

/// PostgreSQL and MySQL/MariaDB: the user's `auth_user` row locked with
/// `SELECT … FOR UPDATE` until the transaction ends.
macro_rules! user_lock_for_update {
    ($($(#[$cfg:meta])* $conn:ty;)+) => {$(
        $(#[$cfg])*
        impl UserLock for $conn {
            fn locked<T>(
                &mut self,
                user_id: i32,
                body: impl FnOnce(&mut Self) -> QueryResult<T>,
            ) -> QueryResult<Option<T>> {
                self.transaction(|c| {
                    let exists = auth_user::table
                        .find(user_id)
                        .select(auth_user::id)
                        .for_update()
                        .first::<i32>(c)
                        .optional()?;
                    match exists {
                        Some(_) => body(c).map(Some),
                        None => Ok(None),
                    }
                })
            }
        }
    )+};
}

user_lock_for_update! {
    #[cfg(feature = "postgres")] diesel::PgConnection;
    #[cfg(feature = "mysql")] diesel::MysqlConnection;
}

impl KnoxStore {
    /// knox's tokens in `db`, following `settings`.
    pub fn new(db: Database, settings: KnoxSettings) -> Self {
        KnoxStore {
            db,
            settings: Arc::new(settings),
        }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The settings.
    pub fn settings(&self) -> &KnoxSettings {
        &self.settings
    }

    /// `now + ttl`, or `None` when it would overflow a date (then the token
    /// never expires, as a TTL that long means).
    fn expiry_after(now: NaiveDateTime, ttl: std::time::Duration) -> Option<NaiveDateTime> {
        TimeDelta::from_std(ttl)
            .ok()
            .and_then(|ttl| now.checked_add_signed(ttl))
    }

    /// knox's `LoginView.post`: a new token for `user_id`, with `TOKEN_TTL`
    /// and `TOKEN_PREFIX`; `Ok(None)` when the user already holds
    /// `TOKEN_LIMIT_PER_USER` live tokens (a `NULL` expiry, or one after
    /// now). With a limit, the count and the insert run in one transaction
    /// holding a lock on the user, so concurrent logins never exceed it.
    /// [`StoreError::UserNotFound`] when the user does not exist.
    pub fn create(&self, user_id: i32) -> Result<Option<NewKnoxToken>, StoreError> {
        let mut conn = self.db.connection()?;
        let mut attempt = 1;
        loop {
            let now = self.settings.now();
            let token = generate_token(&self.settings.token_prefix);
            let digest = hash_token(&token);
            let row = KnoxToken {
                token_key: token_key(&token).to_owned(),
                digest,
                created: now,
                user_id,
                expiry: self
                    .settings
                    .token_ttl
                    .and_then(|ttl| Self::expiry_after(now, ttl)),
            };
            let new = NewRow {
                digest: &row.digest,
                created: row.created,
                user_id,
                expiry: row.expiry,
                token_key: &row.token_key,
            };
            let inserted = match self.settings.token_limit_per_user {
                None => diesel::insert_into(knox_authtoken::table)
                    .values(&new)
                    .execute(&mut *conn)
                    .map(|_| Some(true))
                    .map_err(StoreError::from),
                Some(limit) => retry_conflicts(|| {
                    Ok(db::on_backend!(&mut *conn, |c| c.locked(user_id, |c| {
                        let live: i64 = knox_authtoken::table
                            .filter(knox_authtoken::user_id.eq(user_id))
                            .filter(
                                knox_authtoken::expiry
                                    .gt(now)
                                    .or(knox_authtoken::expiry.is_null()),
                            )
                            .count()
                            .get_result(c)?;
                        if live >= i64::from(limit) {
                            return Ok(false);
                        }
                        diesel::insert_into(knox_authtoken::table)
                            .values(&new)
                            .execute(c)?;
                        Ok(true)
                    }))?)
                }),
            };
            match inserted {
                Ok(Some(true)) => return Ok(Some(NewKnoxToken { token, row })),
                Ok(Some(false)) => return Ok(None),
                Ok(None) => return Err(StoreError::UserNotFound),
                Err(StoreError::Database(e))
                    if is_unique_violation(&e) && attempt < MAX_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(StoreError::Database(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                ))) => return Err(StoreError::UserNotFound),
                Err(e) => return Err(e),
            }
        }
    }

    /// knox's `TokenAuthentication.authenticate_credentials` (the user's
    /// `is_active` is the caller's to check): the token's row and user, or
    /// `None` for a token that matches no row or has expired (then its row
    /// is deleted, as knox does).
    ///
    /// One indexed query: the rows of `token_key(token)` joined with their
    /// users; the digest is compared with every candidate in constant time.
    /// With `AUTO_REFRESH`, a token with an expiry gets `now + TOKEN_TTL`
    /// (at most `created + AUTO_REFRESH_MAX_TTL`), written only when that
    /// moves it by more than `MIN_REFRESH_INTERVAL`; the returned row
    /// carries the new expiry either way, as knox's does.
    pub fn authenticate(&self, token: &str) -> Result<Option<(KnoxToken, User)>, StoreError> {
        if token.is_empty() || !models::storable(token) {
            return Ok(None);
        }
        let key = token_key(token);
        let digest = hash_token(token);
        let mut conn = self.db.connection()?;
        let rows: Vec<(KnoxToken, User)> = db::on_backend!(&mut *conn, |c| knox_authtoken::table
            .inner_join(auth_user::table)
            .filter(knox_authtoken::token_key.eq(key))
            .select((KnoxToken::as_select(), User::as_select()))
            .load(c)?);
        // Every candidate compared, the match remembered without stopping.
        let mut found = None;
        for (i, (row, _)) in rows.iter().enumerate() {
            if crypto::constant_time_eq(row.digest.as_bytes(), digest.as_bytes()) {
                found = Some(i);
            }
        }
        let Some((mut row, user)) = found.and_then(|i| rows.into_iter().nth(i)) else {
            return Ok(None);
        };
        let now = self.settings.now();
        if row.is_expired(now) {
            diesel::delete(knox_authtoken::table.find(&row.digest)).execute(&mut *conn)?;
            return Ok(None);
        }
        if self.settings.auto_refresh {
            self.renew(&mut conn, &mut row, now)?;
        }
        Ok(Some((row, user)))
    }

    /// knox's `renew_token`.
    fn renew(
        &self,
        conn: &mut db::AnyConnection,
        row: &mut KnoxToken,
        now: NaiveDateTime,
    ) -> Result<(), StoreError> {
        // knox adds TOKEN_TTL to now: with no TTL there is nothing to add
        // (knox fails with a TypeError there).
        let (Some(current), Some(ttl)) = (row.expiry, self.settings.token_ttl) else {
            return Ok(());
        };
        let Some(mut new_expiry) = Self::expiry_after(now, ttl) else {
            return Ok(());
        };
        if let Some(max) = self.settings.auto_refresh_max_ttl {
            if let Some(max_expiry) = Self::expiry_after(row.created, max) {
                new_expiry = new_expiry.min(max_expiry);
            }
        }
        row.expiry = Some(new_expiry);
        let delta = new_expiry - current;
        let interval =
            TimeDelta::from_std(self.settings.min_refresh_interval).unwrap_or(TimeDelta::MAX);
        if delta > interval {
            diesel::update(knox_authtoken::table.find(&row.digest))
                .set(knox_authtoken::expiry.eq(new_expiry))
                .execute(conn)?;
        }
        Ok(())
    }

    /// knox's `LogoutView`: deletes the token whose digest is `digest`;
    /// `true` if there was one.
    pub fn delete(&self, digest: &str) -> Result<bool, StoreError> {
        let mut conn = self.db.connection()?;
        Ok(diesel::delete(knox_authtoken::table.find(digest)).execute(&mut *conn)? > 0)
    }

    /// knox's `LogoutAllView`: deletes every token of the user; how many.
    pub fn delete_all(&self, user_id: i32) -> Result<usize, StoreError> {
        let mut conn = self.db.connection()?;
        Ok(
            diesel::delete(knox_authtoken::table.filter(knox_authtoken::user_id.eq(user_id)))
                .execute(&mut *conn)?,
        )
    }

    /// The user's live tokens (not expired at now), oldest first: the device
    /// list.
    pub fn tokens_of(&self, user_id: i32) -> Result<Vec<KnoxToken>, StoreError> {
        let now = self.settings.now();
        let mut conn = self.db.connection()?;
        let rows: Vec<KnoxToken> = knox_authtoken::table
            .filter(knox_authtoken::user_id.eq(user_id))
            .select(KnoxToken::as_select())
            .order((knox_authtoken::created.asc(), knox_authtoken::digest.asc()))
            .load(&mut *conn)?;
        Ok(rows
            .into_iter()
            .filter(|row| !row.is_expired(now))
            .collect())
    }

    /// Revokes the user's token whose [`KnoxToken::id`] is `id`; `false`
    /// when the user has no such token (someone else's id is no id here).
    pub fn delete_by_id(&self, user_id: i32, id: &str) -> Result<bool, StoreError> {
        let mut conn = self.db.connection()?;
        let digests: Vec<String> = knox_authtoken::table
            .filter(knox_authtoken::user_id.eq(user_id))
            .select(knox_authtoken::digest)
            .load(&mut *conn)?;
        let Some(digest) = digests
            .into_iter()
            .find(|digest| crypto::constant_time_eq(token_id(digest).as_bytes(), id.as_bytes()))
        else {
            return Ok(false);
        };
        Ok(diesel::delete(
            knox_authtoken::table
                .find(&digest)
                .filter(knox_authtoken::user_id.eq(user_id)),
        )
        .execute(&mut *conn)?
            > 0)
    }

    /// Deletes every token that has expired (knox's per-request clean-up,
    /// done once for all users); how many. The `purge-tokens` command.
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.settings.now();
        self.db.run(|conn| (purge::KNOX.purge)(conn, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::NewUser;
    use crate::{AuthStore, PoolConfig};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;

    /// A store on a migrated in-memory database, its clock moved by hand
    /// (seconds after a fixed instant), and a user.
    fn store(settings: crate::knox::KnoxSettingsBuilder) -> (KnoxStore, Arc<AtomicI64>, User) {
        let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
        db.migrate().unwrap();
        let user = AuthStore::new(db.clone())
            .create_user(NewUser::new("alice", None))
            .unwrap();
        let offset = Arc::new(AtomicI64::new(0));
        let moved = Arc::clone(&offset);
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
            .unwrap()
            .and_hms_micro_opt(10, 0, 0, 250_000)
            .unwrap();
        let settings = settings
            .clock(Arc::new(move || {
                start + TimeDelta::seconds(moved.load(Ordering::SeqCst))
            }))
            .build()
            .unwrap();
        (KnoxStore::new(db, settings), offset, user)
    }

    #[test]
    fn expired_tokens_are_refused_and_deleted() {
        let (knox, clock, user) = store(KnoxSettings::builder());
        let new = knox.create(user.id).unwrap().unwrap();
        assert_eq!(
            new.row().expiry,
            Some(new.row().created + TimeDelta::hours(10))
        );
        clock.store(36_000, Ordering::SeqCst);
        // Still good at the instant of its expiry (knox: expiry < now).
        assert!(knox.authenticate(new.token()).unwrap().is_some());
        clock.store(36_001, Ordering::SeqCst);
        assert!(knox.authenticate(new.token()).unwrap().is_none());
        clock.store(0, Ordering::SeqCst);
        assert!(
            knox.authenticate(new.token()).unwrap().is_none(),
            "the row is gone"
        );
    }

    #[test]
    fn wrong_tokens_and_lookalikes_fail() {
        let (knox, _, user) = store(KnoxSettings::builder());
        let new = knox.create(user.id).unwrap().unwrap();
        let mut other = new.token().to_owned();
        other.replace_range(20..21, if &other[20..21] == "a" { "b" } else { "a" });
        assert!(knox.authenticate(&other).unwrap().is_none());
        assert!(knox.authenticate("").unwrap().is_none());
        assert!(knox.authenticate("a\0b").unwrap().is_none());
        assert!(knox.authenticate(&new.token()[..15]).unwrap().is_none());
        assert!(knox.authenticate(new.token()).unwrap().is_some());
    }

    #[test]
    fn auto_refresh_follows_min_interval_and_max_ttl() {
        let (knox, clock, user) = store(
            KnoxSettings::builder()
                .auto_refresh(true)
                .token_ttl(Some(Duration::from_secs(100)))
                .auto_refresh_max_ttl(Some(Duration::from_secs(260))),
        );
        let new = knox.create(user.id).unwrap().unwrap();
        let created = new.row().created;
        let stored = |knox: &KnoxStore| knox.tokens_of(user.id).unwrap()[0].expiry.unwrap();
        // 30 s later: the refresh would move it by 30 s, not more than 60: not written.
        clock.store(30, Ordering::SeqCst);
        let (row, _) = knox.authenticate(new.token()).unwrap().unwrap();
        assert_eq!(row.expiry, Some(created + TimeDelta::seconds(130)));
        assert_eq!(stored(&knox), created + TimeDelta::seconds(100));
        // 90 s later: moved by 90 s, written.
        clock.store(90, Ordering::SeqCst);
        knox.authenticate(new.token()).unwrap().unwrap();
        assert_eq!(stored(&knox), created + TimeDelta::seconds(190));
        // Capped at created + 260 (and written: moved by 70 s).
        clock.store(180, Ordering::SeqCst);
        let (row, _) = knox.authenticate(new.token()).unwrap().unwrap();
        assert_eq!(row.expiry, Some(created + TimeDelta::seconds(260)));
        assert_eq!(stored(&knox), created + TimeDelta::seconds(260));
        clock.store(260, Ordering::SeqCst);
        assert!(knox.authenticate(new.token()).unwrap().is_some());
        clock.store(261, Ordering::SeqCst);
        assert!(knox.authenticate(new.token()).unwrap().is_none());
    }

    #[test]
    fn limit_counts_live_tokens_only() {
        let (knox, clock, user) = store(KnoxSettings::builder().token_limit_per_user(Some(2)));
        knox.create(user.id).unwrap().unwrap();
        clock.store(10, Ordering::SeqCst);
        knox.create(user.id).unwrap().unwrap();
        assert!(knox.create(user.id).unwrap().is_none());
        // The first expires: room for one more (its row still there until purged).
        clock.store(36_001, Ordering::SeqCst);
        assert!(knox.create(user.id).unwrap().is_some());
        assert_eq!(knox.purge_expired().unwrap(), 1);
        assert_eq!(knox.tokens_of(user.id).unwrap().len(), 2);
        assert!(matches!(knox.create(9999), Err(StoreError::UserNotFound)));
    }

    #[test]
    fn device_list_and_revocation() {
        let (knox, _, user) = store(KnoxSettings::builder().token_ttl(None));
        let a = knox.create(user.id).unwrap().unwrap();
        let b = knox.create(user.id).unwrap().unwrap();
        assert_eq!(a.row().expiry, None);
        let listed = knox.tokens_of(user.id).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(!knox.delete_by_id(user.id + 1, &a.row().id()).unwrap());
        assert!(!knox.delete_by_id(user.id, "0000000000000000").unwrap());
        assert!(knox.delete_by_id(user.id, &a.row().id()).unwrap());
        assert!(knox.authenticate(a.token()).unwrap().is_none());
        assert!(knox.authenticate(b.token()).unwrap().is_some());
        assert_eq!(knox.delete_all(user.id).unwrap(), 1);
        assert!(format!("{b:?}").contains("<redacted>"));
        assert!(!format!("{b:?}").contains(&b.row().digest));
        assert!(!format!("{b:?}").contains(&b.row().token_key));
    }

    #[test]
    fn prefixed_tokens_keep_the_prefix_in_the_key() {
        let (knox, _, user) = store(KnoxSettings::builder().token_prefix("pfx_"));
        let new = knox.create(user.id).unwrap().unwrap();
        assert!(new.token().starts_with("pfx_"));
        assert_eq!(new.row().token_key, &new.token()[..15]);
        assert_eq!(new.row().digest, hash_token(new.token()));
        assert!(knox.authenticate(new.token()).unwrap().is_some());
    }

    #[test]
    fn concurrent_logins_never_exceed_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("knox.sqlite3").display());
        let db = Database::connect(&url, &PoolConfig::default()).unwrap();
        db.migrate().unwrap();
        let user = AuthStore::new(db.clone())
            .create_user(NewUser::new("alice", None))
            .unwrap();
        let knox = KnoxStore::new(
            db,
            KnoxSettings::builder()
                .token_limit_per_user(Some(3))
                .build()
                .unwrap(),
        );
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let knox = knox.clone();
                std::thread::spawn(move || knox.create(user.id).unwrap().is_some())
            })
            .collect();
        let created = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap().then_some(()))
            .count();
        assert_eq!(created, 3);
        assert_eq!(knox.tokens_of(user.id).unwrap().len(), 3);
    }
}
