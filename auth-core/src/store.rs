//! [`AuthStore`]: users and tokens over the pool.
//!
//! Every method is synchronous and checks a connection out of the pool only for
//! the queries it runs (never while hashing a password). A web server calls
//! them from a blocking thread pool (actix-web's `web::block`).

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::crypto;
use crate::db::schema::{auth_user, authtoken_token};
use crate::db::{self, AnyConnection, Database, DbPool, KeyLookup, PoolConfig, PooledConnection};
use crate::hashers::{self, Hashers, Verification};
use crate::models::{
    self, NewUser, Token, TokenRow, User, UserRow, EMAIL_MAX_LENGTH, NAME_MAX_LENGTH,
    TOKEN_KEY_MAX_LENGTH, USERNAME_MAX_LENGTH,
};
use crate::relations;
use crate::token_cache::{TokenCache, TokenCacheConfig};

pub use crate::db::StoreError;

/// Hook called (inside the creating transaction) after a user row is inserted.
/// An error rolls the whole creation back and is returned by `create_user`.
pub type UserCreatedHook =
    Arc<dyn Fn(&mut AnyConnection, &User) -> Result<(), StoreError> + Send + Sync>;

/// Hook called after a write that changed or removed a user (password,
/// activation, deletion, token changes), with the user's id: where a
/// feature drops what it caches about that user.
pub type UserChangedHook = Arc<dyn Fn(i32) + Send + Sync>;

/// How often an operation that lost a race (unique violation, deadlock) is tried.
const MAX_ATTEMPTS: usize = 10;

/// Users and tokens over an r2d2 pool. Cheap to clone.
#[derive(Clone)]
pub struct AuthStore {
    db: Database,
    hashers: Arc<Hashers>,
    auto_create_token: bool,
    hooks: Arc<Vec<UserCreatedHook>>,
    changed_hooks: Arc<Vec<UserChangedHook>>,
    token_cache: Option<Arc<TokenCache>>,
}

/// Drops a user's cached tokens, and tells the user-changed hooks, when it
/// goes out of scope: after the write, on every return path (errors
/// included).
struct InvalidateOnDrop<'a> {
    cache: Option<&'a TokenCache>,
    changed_hooks: &'a [UserChangedHook],
    user_id: i32,
}

impl Drop for InvalidateOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(cache) = self.cache {
            cache.invalidate_user(self.user_id);
        }
        for hook in self.changed_hooks {
            hook(self.user_id);
        }
    }
}

impl fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pool().state();
        f.debug_struct("AuthStore")
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .field("max_size", &self.pool().max_size())
            .field("hashers", &self.hashers)
            .field("auto_create_token", &self.auto_create_token)
            .field("user_created_hooks", &self.hooks.len())
            .field("token_cache", &self.token_cache)
            .finish()
    }
}

/// Now, in UTC, to the microsecond (what every backend stores).
pub fn now_utc() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub(crate) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A unique violation (lost race, key collision) or a deadlock/serialization
/// failure: an autocommit statement that hit one can simply run again.
pub(crate) fn is_retryable(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
            _
        )
    )
}

fn is_foreign_key_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)
    )
}

/// Before trying again an operation the database aborted to break a deadlock
/// or a serialization conflict, waits a random moment that grows with the
/// attempt (up to 64 ms): contenders that all retried at once would deadlock
/// again (32 concurrent `create-token -r` on MariaDB did, five times in a row).
/// Only ever called on the blocking threads that run store operations.
fn back_off(e: &DieselError, attempt: usize) {
    if let DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) = e {
        let mut random = [0; 4];
        crypto::fill_random(&mut random);
        let cap_us = 1_000u64 << attempt.min(6);
        let wait = u64::from(u32::from_le_bytes(random)) % cap_us;
        std::thread::sleep(std::time::Duration::from_micros(wait));
    }
}

/// Runs `op` again when the database aborted it to break a deadlock or a
/// serialization conflict (MySQL/MariaDB InnoDB, PostgreSQL).
pub(crate) fn retry_conflicts<T>(mut op: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match op() {
            Err(StoreError::Database(
                e @ DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _),
            )) if attempt < MAX_ATTEMPTS => {
                back_off(&e, attempt);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The user's token, if any.
fn token_of(conn: &mut AnyConnection, user_id: i32) -> QueryResult<Option<Token>> {
    authtoken_token::table
        .filter(authtoken_token::user_id.eq(user_id))
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// Inserts a token with `key` for `user_id`.
fn insert_token(conn: &mut AnyConnection, user_id: i32, key: String) -> QueryResult<Token> {
    let created = now_utc();
    diesel::insert_into(authtoken_token::table)
        .values(TokenRow {
            key: &key,
            created,
            user_id,
        })
        .execute(conn)?;
    Ok(Token {
        key,
        created,
        user_id,
    })
}

/// Creates a token for a user who has none, inside an open transaction
/// (used by `auto_create_token`): a savepoint per attempt, so that a key
/// collision can be retried with a fresh key without aborting the caller's
/// transaction.
pub fn create_token_in_transaction(
    conn: &mut AnyConnection,
    user_id: i32,
) -> Result<Token, StoreError> {
    let mut attempt = 1;
    loop {
        let key = crypto::generate_token_key();
        match conn.transaction(|c| insert_token(c, user_id, key)) {
            Err(e) if is_unique_violation(&e) && attempt < MAX_ATTEMPTS => attempt += 1,
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::UserNotFound),
            other => return other.map_err(StoreError::from),
        }
    }
}

impl AuthStore {
    /// Connects to `url` (see [`DatabaseUrl`](crate::db::DatabaseUrl) for the
    /// forms) and checks that one connection can be had.
    ///
    /// Errors: [`StoreError::Config`] for a bad URL or a backend not compiled
    /// in; [`StoreError::Unavailable`] when the database cannot be reached.
    pub fn connect(url: &str, config: &PoolConfig) -> Result<Self, StoreError> {
        Ok(Self::new(Database::connect(url, config)?))
    }

    /// A store over an existing pool, with default hashers, no automatic
    /// tokens and no hooks.
    pub fn from_pool(pool: DbPool) -> Self {
        Self::new(Database::from_pool(pool))
    }

    /// The users and tokens of `db`, with default hashers, no automatic
    /// tokens and no hooks.
    pub fn new(db: Database) -> Self {
        AuthStore {
            db,
            hashers: Arc::new(Hashers::default()),
            auto_create_token: false,
            hooks: Arc::new(Vec::new()),
            changed_hooks: Arc::new(Vec::new()),
            token_cache: None,
        }
    }

    /// Turns on the in-process token cache (off by default): a key found by
    /// [`AuthStore::token_with_user`] is answered from memory for
    /// `config.ttl`, without a query.
    ///
    /// **Trade-off**: a token deleted or regenerated, or a user deactivated or
    /// deleted, by *another process* (another node, Django, SQL) keeps working
    /// here for up to `config.ttl`. Changes made through this store (and its
    /// clones) take effect at once: [`token_regenerate`](Self::token_regenerate),
    /// [`token_delete`](Self::token_delete), [`delete_user`](Self::delete_user),
    /// [`set_active`](Self::set_active), [`set_password`](Self::set_password)
    /// and [`update_last_login`](Self::update_last_login) drop the user's
    /// entries before they return, whatever the outcome. Code that changes
    /// users or tokens with its own queries calls
    /// [`invalidate_cached_tokens`](Self::invalidate_cached_tokens). Unknown
    /// keys are never cached, so a new token works at once. See
    /// [`token_cache`](crate::token_cache) for the details.
    ///
    /// Errors: [`StoreError::Config`] when `config` is out of bounds
    /// ([`TokenCacheConfig::validate`]).
    pub fn with_token_cache(mut self, config: TokenCacheConfig) -> Result<Self, StoreError> {
        self.token_cache = Some(Arc::new(TokenCache::new(config)?));
        Ok(self)
    }

    #[cfg(test)]
    pub(crate) fn with_token_cache_clock(
        mut self,
        config: TokenCacheConfig,
        clock: crate::token_cache::Clock,
    ) -> Result<Self, StoreError> {
        self.token_cache = Some(Arc::new(TokenCache::with_clock(config, clock)?));
        Ok(self)
    }

    /// The token cache's settings, `None` when it is off (the default).
    pub fn token_cache_config(&self) -> Option<TokenCacheConfig> {
        self.token_cache.as_deref().map(TokenCache::config)
    }

    /// Drops the cached tokens of `user_id` (nothing without a cache) and
    /// runs the user-changed hooks. Call it after changing a user or a token
    /// with queries of your own; the store's own methods already do.
    pub fn invalidate_cached_tokens(&self, user_id: i32) {
        drop(self.invalidate_on_drop(user_id));
    }

    /// Empties the token cache (nothing without one).
    pub fn clear_token_cache(&self) {
        if let Some(cache) = &self.token_cache {
            cache.clear();
        }
    }

    /// The token and user for `key` from the token cache alone: `None` on a
    /// miss, an expired entry, or without a cache. Never touches the database,
    /// so it can run on an async worker thread.
    pub fn cached_token_with_user(&self, key: &str) -> Option<(Token, User)> {
        // A key longer than any stored one (40 characters of up to 4 bytes)
        // is not worth hashing.
        if key.is_empty() || key.len() > 4 * TOKEN_KEY_MAX_LENGTH {
            return None;
        }
        self.token_cache.as_deref()?.get(key)
    }

    fn invalidate_on_drop(&self, user_id: i32) -> InvalidateOnDrop<'_> {
        InvalidateOnDrop {
            cache: self.token_cache.as_deref(),
            changed_hooks: &self.changed_hooks,
            user_id,
        }
    }

    /// Uses `hashers` for new passwords and checks (Django's `PASSWORD_HASHERS`).
    pub fn with_hashers(mut self, hashers: Hashers) -> Self {
        self.hashers = Arc::new(hashers);
        self
    }

    /// DRF's `post_save` recipe: when on, `create_user` also creates the new
    /// user's token, in the same transaction.
    pub fn with_auto_create_token(mut self, on: bool) -> Self {
        self.auto_create_token = on;
        self
    }

    /// Adds a hook run by `create_user` after the row (and, with
    /// `auto_create_token`, its token) is inserted, in the same transaction.
    /// Hooks run in the order they were added.
    pub fn on_user_created(mut self, hook: UserCreatedHook) -> Self {
        Arc::make_mut(&mut self.hooks).push(hook);
        self
    }

    /// Adds a hook run after every write through the store that changes or
    /// removes a user or their token (the points where the token cache is
    /// invalidated), with the user's id, whether the write succeeded or not.
    pub fn on_user_changed(mut self, hook: UserChangedHook) -> Self {
        Arc::make_mut(&mut self.changed_hooks).push(hook);
        self
    }

    /// The database the store is built on (for a feature's own store).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The pool.
    pub fn pool(&self) -> &DbPool {
        self.db.pool()
    }

    /// The password hashers.
    pub fn hashers(&self) -> &Hashers {
        &self.hashers
    }

    /// Whether `create_user` creates a token too.
    pub fn auto_create_token(&self) -> bool {
        self.auto_create_token
    }

    /// A connection from the pool for queries of your own.
    pub fn connection(&self) -> Result<PooledConnection, StoreError> {
        self.db.connection()
    }

    /// Applies pending migrations ([`Database::migrate`]); returns their
    /// names (empty when up to date).
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        self.db.migrate()
    }

    /// Names of the migrations not applied yet.
    pub fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        self.db.pending_migrations()
    }

    /// Django's `get_by_natural_key`: the user whose username is exactly
    /// `username` (case-sensitive on every backend, also under MySQL's
    /// case-insensitive collations). A name with a NUL character cannot exist
    /// and is `None` without a query.
    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let mut conn = self.connection()?;
        Self::user_by_username_on(&mut conn, username)
    }

    pub(crate) fn user_by_username_on(
        conn: &mut AnyConnection,
        username: &str,
    ) -> Result<Option<User>, StoreError> {
        if !models::storable(username) {
            return Ok(None);
        }
        let candidates: Vec<User> = db::on_backend!(conn, |c| auth_user::table
            .filter(auth_user::username.eq(username))
            .select(User::as_select())
            .load(c)?);
        Ok(candidates
            .into_iter()
            .find(|u| crypto::constant_time_eq(u.username.as_bytes(), username.as_bytes())))
    }

    /// The user with primary key `id`, active or not.
    pub fn user_by_id(&self, id: i32) -> Result<Option<User>, StoreError> {
        let mut conn = self.connection()?;
        Ok(db::on_backend!(&mut *conn, |c| auth_user::table
            .find(id)
            .select(User::as_select())
            .key_lookup(c)?))
    }

    /// Django's `UserManager.create_user`: validates the username as the
    /// `username` field does, stores it NFKC-normalised, lowercases the email
    /// domain, hashes the password (or stores an unusable one for `None`),
    /// then inserts the row, the token (`auto_create_token`) and runs the
    /// hooks in one transaction.
    ///
    /// Errors: [`StoreError::InvalidUsername`] / [`StoreError::InvalidField`]
    /// with Django's messages; [`StoreError::DuplicateUsername`] when the name
    /// exists, also when a concurrent creation won the race.
    pub fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        models::validate_username(&new.username)
            .map_err(|errors| StoreError::InvalidUsername(errors.join("; ")))?;
        let username = models::normalize_username(&new.username);
        let normalized_len = username.chars().count();
        if normalized_len > USERNAME_MAX_LENGTH {
            return Err(StoreError::InvalidUsername(models::max_length_message(
                USERNAME_MAX_LENGTH,
                normalized_len,
            )));
        }
        let email = models::normalize_email(&new.email);
        for (field, value) in [
            ("email", email.as_str()),
            ("first_name", new.first_name.as_str()),
            ("last_name", new.last_name.as_str()),
        ] {
            if !models::storable(value) {
                return Err(StoreError::InvalidField(format!(
                    "{field}: {}",
                    models::NULL_CHARACTERS_MESSAGE
                )));
            }
        }
        for (field, value, limit) in [
            ("email", email.as_str(), EMAIL_MAX_LENGTH),
            ("first_name", new.first_name.as_str(), NAME_MAX_LENGTH),
            ("last_name", new.last_name.as_str(), NAME_MAX_LENGTH),
        ] {
            let len = value.chars().count();
            if len > limit {
                return Err(StoreError::InvalidField(format!(
                    "{field}: {}",
                    models::max_length_message(limit, len)
                )));
            }
        }
        // Hash before taking a connection: hashing is the slow part.
        let password = match &new.password {
            Some(raw) => self.hashers.make_password(raw),
            None => hashers::make_unusable_password(),
        };
        let row = UserRow {
            password: &password,
            last_login: None,
            is_superuser: new.is_superuser,
            username: &username,
            first_name: &new.first_name,
            last_name: &new.last_name,
            email: &email,
            is_staff: new.is_staff,
            is_active: new.is_active,
            date_joined: now_utc(),
        };
        self.insert_user(&row)
    }

    /// Django's `User.objects.get_or_create(username=username)`, as its
    /// `RemoteUserBackend` calls it: the user named exactly `username`, or a
    /// new active user of that exact name with an unusable password (`true`
    /// when created). Unlike [`create_user`](Self::create_user), the name is
    /// neither validated nor normalised, since a front end's names (`DOMAIN\user`,
    /// `John Smith`, `jörg`, `remoteªuser`) must map to one account each; only
    /// a name the `username` column cannot hold is refused with
    /// [`StoreError::InvalidUsername`]: empty, longer than 150 characters, or
    /// holding a NUL. The token (`auto_create_token`) and the hooks follow a
    /// creation as with `create_user`, and a creation that loses a race to
    /// another returns that one's user.
    pub fn get_or_create_user(&self, username: &str) -> Result<(User, bool), StoreError> {
        if let Some(user) = self.user_by_username(username)? {
            return Ok((user, false));
        }
        let len = username.chars().count();
        if username.is_empty() {
            return Err(StoreError::InvalidUsername(
                models::BLANK_USERNAME_MESSAGE.to_owned(),
            ));
        }
        if len > USERNAME_MAX_LENGTH {
            return Err(StoreError::InvalidUsername(models::max_length_message(
                USERNAME_MAX_LENGTH,
                len,
            )));
        }
        if !models::storable(username) {
            return Err(StoreError::InvalidUsername(
                models::NULL_CHARACTERS_MESSAGE.to_owned(),
            ));
        }
        let password = hashers::make_unusable_password();
        let row = UserRow {
            password: &password,
            last_login: None,
            is_superuser: false,
            username,
            first_name: "",
            last_name: "",
            email: "",
            is_staff: false,
            is_active: true,
            date_joined: now_utc(),
        };
        match self.insert_user(&row) {
            Ok(user) => Ok((user, true)),
            // Created meanwhile; or, under MySQL's case-insensitive
            // collations, a name differing only in case, which is not this one.
            Err(StoreError::DuplicateUsername) => match self.user_by_username(username)? {
                Some(user) => Ok((user, false)),
                None => Err(StoreError::DuplicateUsername),
            },
            Err(err) => Err(err),
        }
    }

    /// Inserts `row`, then (same transaction) the token with
    /// `auto_create_token` and the hooks; the new user.
    fn insert_user(&self, row: &UserRow<'_>) -> Result<User, StoreError> {
        let mut conn = self.connection()?;
        retry_conflicts(|| {
            conn.transaction(|c| {
                diesel::insert_into(auth_user::table)
                    .values(row)
                    .execute(c)
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::DuplicateUsername
                        } else {
                            StoreError::from(e)
                        }
                    })?;
                let user = Self::user_by_username_on(c, row.username)?
                    .ok_or(StoreError::Database(DieselError::NotFound))?;
                if self.auto_create_token {
                    create_token_in_transaction(c, user.id)?;
                }
                for hook in self.hooks.iter() {
                    hook(c, &user)?;
                }
                Ok(user)
            })
        })
    }

    /// Django's `set_password` + `save`: hashes `raw` with the current default
    /// hasher and stores it. [`StoreError::UserNotFound`] for an unknown id.
    pub fn set_password(&self, user_id: i32, raw: &str) -> Result<(), StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let encoded = self.hashers.make_password(raw);
        let mut conn = self.connection()?;
        let updated = diesel::update(auth_user::table.find(user_id))
            .set(auth_user::password.eq(&encoded))
            .execute(&mut conn)?;
        if updated == 0 {
            return Err(StoreError::UserNotFound);
        }
        Ok(())
    }

    /// Django's `update_last_login`: sets `last_login` to now (UTC).
    pub fn update_last_login(&self, user_id: i32) -> Result<(), StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        let updated = diesel::update(auth_user::table.find(user_id))
            .set(auth_user::last_login.eq(Some(now_utc())))
            .execute(&mut conn)?;
        if updated == 0 {
            return Err(StoreError::UserNotFound);
        }
        Ok(())
    }

    /// Sets `is_active`. [`StoreError::UserNotFound`] for an unknown id.
    pub fn set_active(&self, user_id: i32, active: bool) -> Result<(), StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        let updated = diesel::update(auth_user::table.find(user_id))
            .set(auth_user::is_active.eq(active))
            .execute(&mut conn)?;
        if updated == 0 {
            return Err(StoreError::UserNotFound);
        }
        Ok(())
    }

    /// Deletes the user in one transaction, first applying Django's
    /// `on_delete` to every table of the features compiled in that refers to
    /// it ([`USER_RELATIONS`](crate::relations::USER_RELATIONS): the token
    /// and the user's group memberships and direct permissions go), as Django's `Collector` does in Python (a database Django
    /// migrated has no `ON DELETE CASCADE`); `false` if there was no such
    /// user. Rows of Django tables no feature knows (the admin log) still
    /// referencing the user make this fail.
    pub fn delete_user(&self, user_id: i32) -> Result<bool, StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        retry_conflicts(|| {
            conn.transaction(|c| {
                relations::apply(c, user_id, relations::USER_RELATIONS)?;
                let deleted = diesel::delete(auth_user::table.find(user_id)).execute(c)?;
                Ok(deleted > 0)
            })
        })
    }

    /// Django's `ModelBackend.authenticate`: exact username; for an unknown
    /// username the default hasher still runs once (so timing does not tell
    /// which usernames exist); `Some` only when the password checks and the
    /// user is active. A correct password whose stored hash is outdated
    /// (`must_update`) is re-hashed and saved, as Django's `check_password`
    /// does, and the returned user carries the new hash.
    pub fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, StoreError> {
        let Some(mut user) = self.user_by_username(username)? else {
            self.hashers.run_dummy(password);
            return Ok(None);
        };
        let must_update = match self.hashers.verify(password, &user.password) {
            Verification::Invalid => return Ok(None),
            Verification::Valid { must_update } => must_update,
        };
        if must_update {
            let encoded = self.hashers.make_password(password);
            match self.replace_password(user.id, &user.password, &encoded) {
                Ok(true) => user.password = encoded,
                Ok(false) => {}
                // The login itself is valid; an upgrade that fails is retried next time.
                Err(error) => tracing::warn!(%error, user_id = user.id, "password rehash failed"),
            }
        }
        Ok(user.is_active.then_some(user))
    }

    /// Compare-and-set of the stored hash, so that a rehash never overwrites a
    /// password changed in the meantime.
    fn replace_password(&self, user_id: i32, old: &str, new: &str) -> Result<bool, StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        let updated = diesel::update(
            auth_user::table
                .filter(auth_user::id.eq(user_id))
                .filter(auth_user::password.eq(old)),
        )
        .set(auth_user::password.eq(new))
        .execute(&mut conn)?;
        Ok(updated > 0)
    }

    /// The user's token, without creating one.
    pub fn token_for_user(&self, user_id: i32) -> Result<Option<Token>, StoreError> {
        let mut conn = self.connection()?;
        Ok(token_of(&mut conn, user_id)?)
    }

    /// DRF's `Token.objects.get_or_create(user=user)`: `(token, created)`.
    ///
    /// Safe under concurrency: the unique `user_id` makes a second insert fail,
    /// and the loser of the race reads the winner's row back, so there is one
    /// key per user and no error. A key collision retries with a fresh key.
    /// [`StoreError::UserNotFound`] when the user does not exist.
    pub fn token_get_or_create(&self, user_id: i32) -> Result<(Token, bool), StoreError> {
        let mut conn = self.connection()?;
        let mut attempt = 1;
        loop {
            if let Some(token) = token_of(&mut conn, user_id)? {
                return Ok((token, false));
            }
            match insert_token(&mut conn, user_id, crypto::generate_token_key()) {
                Ok(token) => return Ok((token, true)),
                Err(e) if is_retryable(&e) && attempt < MAX_ATTEMPTS => {
                    back_off(&e, attempt);
                    attempt += 1;
                }
                Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::UserNotFound),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `drf_create_token --reset`: the user's token gets a fresh key and
    /// creation time (or is created). One atomic `UPDATE` (or an insert when
    /// there was none), so concurrent calls never leave two tokens; the last
    /// one wins. [`StoreError::UserNotFound`] when the user does not exist.
    pub fn token_regenerate(&self, user_id: i32) -> Result<Token, StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        let mut attempt = 1;
        loop {
            let key = crypto::generate_token_key();
            let created = now_utc();
            let result =
                diesel::update(authtoken_token::table.filter(authtoken_token::user_id.eq(user_id)))
                    .set((
                        authtoken_token::key.eq(&key),
                        authtoken_token::created.eq(created),
                    ))
                    .execute(&mut conn)
                    .and_then(|updated| {
                        if updated > 0 {
                            Ok(Token {
                                key: key.clone(),
                                created,
                                user_id,
                            })
                        } else {
                            insert_token(&mut conn, user_id, key.clone())
                        }
                    });
            match result {
                Ok(token) => return Ok(token),
                // A concurrent insert for this user, a key collision, or a
                // deadlock between concurrent regenerations: go again.
                Err(e) if is_retryable(&e) && attempt < MAX_ATTEMPTS => {
                    back_off(&e, attempt);
                    attempt += 1;
                }
                Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::UserNotFound),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Deletes the user's token; `true` if there was one.
    pub fn token_delete(&self, user_id: i32) -> Result<bool, StoreError> {
        let _invalidate = self.invalidate_on_drop(user_id);
        let mut conn = self.connection()?;
        let deleted =
            diesel::delete(authtoken_token::table.filter(authtoken_token::user_id.eq(user_id)))
                .execute(&mut conn)?;
        Ok(deleted > 0)
    }

    /// DRF's `Token.objects.select_related('user').get(key=key)`: one query,
    /// token joined with its user. The key must match exactly: MySQL/MariaDB
    /// compare case- and trailing-space-insensitively, so the row is
    /// re-checked here in constant time. Keys that cannot exist (empty, longer
    /// than 40 characters, or with a NUL character, which PostgreSQL cannot
    /// store) are rejected without a query.
    ///
    /// With a token cache ([`AuthStore::with_token_cache`]) a cached key is
    /// answered without a query, and a key found in the database is cached.
    pub fn token_with_user(&self, key: &str) -> Result<Option<(Token, User)>, StoreError> {
        if let Some(hit) = self.cached_token_with_user(key) {
            return Ok(Some(hit));
        }
        self.token_with_user_queried(key)
    }

    /// [`token_with_user`](Self::token_with_user) for a caller that has just
    /// missed the token cache ([`AuthStore::cached_token_with_user`]): always
    /// the query, and, with a cache, what it finds is cached. This spares the
    /// miss a second cache lookup.
    pub fn token_with_user_queried(&self, key: &str) -> Result<Option<(Token, User)>, StoreError> {
        let Some(cache) = self.token_cache.as_deref() else {
            return self.token_with_user_uncached(key);
        };
        // Read before the query: an invalidation meanwhile voids this row.
        let generation = cache.generation();
        let found = self.token_with_user_uncached(key)?;
        if let Some((token, user)) = &found {
            cache.insert(key, (token.clone(), user.clone()), user.id, generation);
        }
        Ok(found)
    }

    /// `token_with_user` without the cache: one query, or none for a key no
    /// stored token can have (empty, longer than a key, or holding a NUL,
    /// which PostgreSQL cannot store).
    fn token_with_user_uncached(&self, key: &str) -> Result<Option<(Token, User)>, StoreError> {
        if key.is_empty() || key.chars().count() > TOKEN_KEY_MAX_LENGTH || !models::storable(key) {
            return Ok(None);
        }
        let mut conn = self.connection()?;
        let rows: Vec<(Token, User)> = db::on_backend!(&mut *conn, |c| authtoken_token::table
            .inner_join(auth_user::table)
            .filter(authtoken_token::key.eq(key))
            .select((Token::as_select(), User::as_select()))
            .load(c)?);
        Ok(rows
            .into_iter()
            .find(|(token, _)| crypto::constant_time_eq(token.key.as_bytes(), key.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// A migrated private in-memory database (one pooled connection) with
    /// cheap hashing, and an active user `alice` with a token.
    fn memory_store() -> (AuthStore, User, Token) {
        let store = AuthStore::connect("sqlite://:memory:", &PoolConfig::default())
            .unwrap()
            .with_hashers(Hashers {
                pbkdf2_iterations: 1_000,
            });
        store.migrate().unwrap();
        let user = store
            .create_user(NewUser::new("alice", Some("pw".into())))
            .unwrap();
        let (token, _) = store.token_get_or_create(user.id).unwrap();
        (store, user, token)
    }

    /// A cache whose clock moves only when told to (milliseconds).
    fn cached(store: AuthStore, ttl_ms: u64) -> (AuthStore, Arc<AtomicU64>) {
        let start = Instant::now();
        let offset = Arc::new(AtomicU64::new(0));
        let moved = Arc::clone(&offset);
        let clock = Arc::new(move || start + Duration::from_millis(moved.load(Ordering::SeqCst)));
        let config = TokenCacheConfig {
            ttl: Duration::from_millis(ttl_ms),
            capacity: 100,
        };
        (store.with_token_cache_clock(config, clock).unwrap(), offset)
    }

    /// Counts the queries run and the statements prepared into the cache,
    /// leaving out the pool's check-out test (a count of `sqlite_master`).
    fn count_queries(store: &AuthStore) -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
        use diesel::connection::InstrumentationEvent;
        let started = Arc::new(AtomicUsize::new(0));
        let prepared = Arc::new(AtomicUsize::new(0));
        let (s, p) = (Arc::clone(&started), Arc::clone(&prepared));
        store
            .connection()
            .unwrap()
            .set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
                InstrumentationEvent::StartQuery { query, .. }
                    if !query.to_string().contains("sqlite_master") =>
                {
                    s.fetch_add(1, Ordering::SeqCst);
                }
                InstrumentationEvent::CacheQuery { sql, .. } if !sql.contains("sqlite_master") => {
                    p.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            });
        (started, prepared)
    }

    /// Deletes the token behind the store's back, as another process would.
    fn delete_token_in_sql(store: &AuthStore, key: &str) {
        diesel::sql_query("DELETE FROM authtoken_token WHERE key = ?")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(&mut *store.connection().unwrap())
            .unwrap();
    }

    #[test]
    fn the_token_query_is_one_prepared_statement_reused() {
        let (store, user, token) = memory_store();
        let (started, prepared) = count_queries(&store);
        for _ in 0..3 {
            let (found, owner) = store.token_with_user(&token.key).unwrap().unwrap();
            assert_eq!(
                (found.key.as_str(), owner.id),
                (token.key.as_str(), user.id)
            );
        }
        assert_eq!(store.token_with_user("unknown").unwrap(), None);
        // One query per lookup, prepared once and then taken from Diesel's cache.
        assert_eq!(started.load(Ordering::SeqCst), 4);
        assert_eq!(prepared.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn cache_is_off_by_default() {
        let (store, _, token) = memory_store();
        assert_eq!(store.token_cache_config(), None);
        assert!(store.token_with_user(&token.key).unwrap().is_some());
        assert_eq!(store.cached_token_with_user(&token.key), None);
        assert!(format!("{store:?}").contains("token_cache: None"));
        let err = store
            .clone()
            .with_token_cache(TokenCacheConfig {
                ttl: Duration::ZERO,
                capacity: 1,
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    }

    #[test]
    fn hits_skip_the_database_until_the_ttl() {
        let (store, user, token) = memory_store();
        let (store, clock) = cached(store, 1_000);
        let (started, _) = count_queries(&store);
        let (_, owner) = store.token_with_user(&token.key).unwrap().unwrap();
        assert_eq!(owner, user);
        assert_eq!(started.load(Ordering::SeqCst), 1);
        for _ in 0..5 {
            assert_eq!(store.token_with_user(&token.key).unwrap().unwrap().1, user);
        }
        assert_eq!(started.load(Ordering::SeqCst), 1, "answered from the cache");
        // Deleted by another process: still answered until the TTL ends.
        delete_token_in_sql(&store, &token.key);
        clock.store(999, Ordering::SeqCst);
        assert!(store.token_with_user(&token.key).unwrap().is_some());
        clock.store(1_000, Ordering::SeqCst);
        assert_eq!(store.token_with_user(&token.key).unwrap(), None);
        assert!(format!("{store:?}").contains("DigestCache { ttl: 1s, capacity: 100, len: "));
        assert!(!format!("{store:?}").contains(&token.key));
    }

    /// The path after a cache miss queries without reading the cache, and
    /// fills it for the next request.
    #[test]
    fn the_queried_lookup_always_queries_and_fills_the_cache() {
        let (store, user, token) = memory_store();
        let (store, _) = cached(store, 60_000);
        let (started, _) = count_queries(&store);
        assert_eq!(store.cached_token_with_user(&token.key), None);
        for expected in 1..=2 {
            let (_, owner) = store.token_with_user_queried(&token.key).unwrap().unwrap();
            assert_eq!(owner, user);
            assert_eq!(started.load(Ordering::SeqCst), expected);
        }
        assert_eq!(store.cached_token_with_user(&token.key).unwrap().1, user);
        assert_eq!(store.token_with_user(&token.key).unwrap().unwrap().1, user);
        assert_eq!(started.load(Ordering::SeqCst), 2, "the cache answered");
    }

    #[test]
    fn misses_are_not_cached() {
        let (store, user, _) = memory_store();
        let (store, _) = cached(store, 60_000);
        let (started, _) = count_queries(&store);
        let key = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(store.token_with_user(key).unwrap(), None);
        assert_eq!(store.cached_token_with_user(key), None);
        // A key created since (say by another process) works at once.
        diesel::sql_query("UPDATE authtoken_token SET key = ? WHERE user_id = ?")
            .bind::<diesel::sql_types::Text, _>(key)
            .bind::<diesel::sql_types::Integer, _>(user.id)
            .execute(&mut *store.connection().unwrap())
            .unwrap();
        assert_eq!(store.token_with_user(key).unwrap().unwrap().1.id, user.id);
        assert_eq!(started.load(Ordering::SeqCst), 3);
        // Keys that cannot exist never reach the cache nor the database.
        assert_eq!(store.token_with_user("").unwrap(), None);
        assert_eq!(store.token_with_user(&"k".repeat(41)).unwrap(), None);
        assert_eq!(started.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn inactive_users_are_cached_as_they_are_and_activation_invalidates() {
        let (store, user, token) = memory_store();
        let (store, _) = cached(store, 60_000);
        store.set_active(user.id, false).unwrap();
        let (_, owner) = store.token_with_user(&token.key).unwrap().unwrap();
        assert!(!owner.is_active);
        assert!(
            !store
                .cached_token_with_user(&token.key)
                .unwrap()
                .1
                .is_active
        );
        store.set_active(user.id, true).unwrap();
        assert_eq!(store.cached_token_with_user(&token.key), None);
        assert!(
            store
                .token_with_user(&token.key)
                .unwrap()
                .unwrap()
                .1
                .is_active
        );
        store.set_active(user.id, false).unwrap();
        assert!(
            !store
                .token_with_user(&token.key)
                .unwrap()
                .unwrap()
                .1
                .is_active
        );
    }

    #[test]
    fn user_changed_hooks_hear_every_change_and_deletion_applies_the_relations() {
        let (store, user, token) = memory_store();
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = heard.clone();
        let store = store.on_user_changed(Arc::new(move |id| log.lock().unwrap().push(id)));
        store.set_password(user.id, "new").unwrap();
        store.set_active(user.id, true).unwrap();
        store.token_regenerate(user.id).unwrap();
        store.invalidate_cached_tokens(user.id);
        assert_eq!(*heard.lock().unwrap(), [user.id; 4]);
        // The token goes with its user (the core's relation), in one transaction.
        assert!(store.delete_user(user.id).unwrap());
        assert_eq!(heard.lock().unwrap().len(), 5);
        assert_eq!(store.token_with_user(&token.key).unwrap(), None);
        assert_eq!(store.token_for_user(user.id).unwrap(), None);
    }

    #[test]
    fn every_change_through_the_store_invalidates() {
        type Change = fn(&AuthStore, i32);
        let changes: [(&str, Change); 8] = [
            ("token_regenerate", |s, id| {
                drop(s.token_regenerate(id).unwrap())
            }),
            ("token_delete", |s, id| assert!(s.token_delete(id).unwrap())),
            ("delete_user", |s, id| assert!(s.delete_user(id).unwrap())),
            ("set_active", |s, id| s.set_active(id, false).unwrap()),
            ("set_password", |s, id| s.set_password(id, "new").unwrap()),
            ("update_last_login", |s, id| {
                s.update_last_login(id).unwrap()
            }),
            ("invalidate_cached_tokens", |s, id| {
                s.invalidate_cached_tokens(id)
            }),
            ("clear_token_cache", |s, _| s.clear_token_cache()),
        ];
        for (name, change) in changes {
            let (store, user, token) = memory_store();
            let (store, _) = cached(store, 60_000);
            let other = store
                .create_user(NewUser::new("bob", Some("pw".into())))
                .unwrap();
            let (other_token, _) = store.token_get_or_create(other.id).unwrap();
            for key in [&token.key, &other_token.key] {
                assert!(store.token_with_user(key).unwrap().is_some());
                assert!(store.cached_token_with_user(key).is_some());
            }
            change(&store, user.id);
            assert_eq!(store.cached_token_with_user(&token.key), None, "{name}");
            if name != "clear_token_cache" {
                assert!(
                    store.cached_token_with_user(&other_token.key).is_some(),
                    "{name} keeps other users' entries"
                );
            }
            let now = store.token_with_user(&token.key).unwrap();
            match name {
                "token_regenerate" | "token_delete" | "delete_user" => {
                    assert_eq!(now, None, "{name} revokes at once")
                }
                "set_active" => assert!(!now.unwrap().1.is_active),
                "set_password" => assert_ne!(now.unwrap().1.password, user.password),
                "update_last_login" => assert!(now.unwrap().1.last_login.is_some()),
                _ => assert_eq!(now.unwrap().1, user),
            }
        }
    }

    #[test]
    fn failed_changes_still_invalidate() {
        let (store, user, token) = memory_store();
        let (store, _) = cached(store, 60_000);
        assert!(store.token_with_user(&token.key).unwrap().is_some());
        // The user vanishes behind the store's back: the update finds no row.
        diesel::sql_query("DELETE FROM authtoken_token")
            .execute(&mut *store.connection().unwrap())
            .unwrap();
        diesel::sql_query("DELETE FROM auth_user")
            .execute(&mut *store.connection().unwrap())
            .unwrap();
        assert!(store.cached_token_with_user(&token.key).is_some());
        let err = store.set_active(user.id, false).unwrap_err();
        assert!(matches!(err, StoreError::UserNotFound), "{err:?}");
        assert_eq!(store.cached_token_with_user(&token.key), None);
        // And when the database itself fails.
        let (store, user, token) = memory_store();
        let (store, _) = cached(store, 60_000);
        assert!(store.token_with_user(&token.key).unwrap().is_some());
        diesel::sql_query("DROP TABLE authtoken_token")
            .execute(&mut *store.connection().unwrap())
            .unwrap();
        assert!(store.token_regenerate(user.id).is_err());
        assert_eq!(store.cached_token_with_user(&token.key), None);
    }

    /// `get_or_create_user` keeps the exact name (no validation, no NFKC), so
    /// every distinct front-end name is its own account, found again later.
    #[test]
    fn get_or_create_user_keeps_the_exact_name() {
        let (store, alice, _) = memory_store();
        let store = store.with_auto_create_token(true);
        assert_eq!(store.get_or_create_user("alice").unwrap(), (alice, false));
        for name in [
            "remote\u{aa}user",
            "remoteauser",
            "DOMAIN\\user",
            "John Smith",
            "HTTP/host@REALM",
            "\u{bd}",
            &"x".repeat(150),
        ] {
            let (user, created) = store.get_or_create_user(name).unwrap();
            assert!(created, "{name}");
            assert_eq!(user.username, name);
            assert!(user.is_active && !user.is_staff && !user.is_superuser);
            assert!(!hashers::is_password_usable(&user.password), "{name}");
            assert!(store.token_for_user(user.id).unwrap().is_some(), "{name}");
            let (again, created) = store.get_or_create_user(name).unwrap();
            assert_eq!((again.id, created), (user.id, false), "{name}");
        }
        for name in ["", &"x".repeat(151), "nul\0name"] {
            assert!(
                matches!(
                    store.get_or_create_user(name),
                    Err(StoreError::InvalidUsername(_))
                ),
                "{name:?}"
            );
        }
        // `create_user` still validates and normalises as Django's manager does.
        assert!(matches!(
            store.create_user(NewUser::new("John Smith", None)),
            Err(StoreError::InvalidUsername(_))
        ));
    }

    #[test]
    fn store_and_errors_cross_threads() {
        // `web::block` moves the store into, and the error out of, a worker thread.
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<AuthStore>();
        send_sync::<StoreError>();
        send_sync::<UserCreatedHook>();
    }
}
