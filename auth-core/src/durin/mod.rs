//! Django-Rest-Durin 1.1.0's clients and tokens (feature `durin`), on Durin's
//! own tables, so that a Django site running Durin and this library share
//! every client and every token.
//!
//! - `durin_client`: a named API client (`web`, `ios`, ...) with its own
//!   token lifetime (`token_ttl`, Django's `DurationField`: see
//!   [`crate::db::duration`]) and its own throttle rate (`throttle_rate`,
//!   `""` for none).
//! - `durin_authtoken`: one token per user and client (the constraint
//!   `unique token for user per client`), `expiry` NOT NULL. Durin stores
//!   the token itself, 64 hex characters from the OS random generator
//!   (`binascii.hexlify(os.urandom(TOKEN_CHARACTER_LENGTH / 2))`), so a
//!   lookup is one indexed query; the found row is compared with the
//!   presented token in constant time (MySQL's collation would otherwise
//!   match another case, or trailing spaces).
//!
//! [`DurinStore`](crate::durin::DurinStore) holds the queries, over a [`Database`]; [`DurinSettings`](crate::durin::DurinSettings)
//! holds `REST_DURIN` with Durin's defaults. The web half (the
//! authentication class, views, throttle and permissions) is
//! `auth_actix::durin`.
//!
//! ```
//! use auth_core::durin::{DurinSettings, DurinStore};
//! use auth_core::{AuthStore, NewUser, PoolConfig};
//! use chrono::TimeDelta;
//!
//! let store = AuthStore::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! store.migrate().unwrap();
//! let user = store.create_user(NewUser::new("alice", Some("pw".into()))).unwrap();
//! let durin = DurinStore::from(&store);
//! let web = durin.create_client("web", TimeDelta::hours(2), "").unwrap();
//! let token = durin.login(user.id, &web, &DurinSettings::default()).unwrap();
//! assert_eq!(token.token().len(), 64);
//! // One token per user and client: the next login returns the same one.
//! assert_eq!(durin.login(user.id, &web, &DurinSettings::default()).unwrap().token(), token.token());
//! ```

pub(crate) mod commands;
mod humanize;

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::crypto;
use crate::db::duration::{self, micros_of, placeholder, stored_from_micros};
use crate::db::schema::{auth_user, durin_authtoken, durin_client};
use crate::db::{self, AnyConnection, Database, StoreError, TimestampColumn};
use crate::models::User;
use crate::store::{is_unique_violation, now_utc};
use crate::AuthStore;

pub use humanize::naturaldelta;

/// `max_length` of `AuthToken.token` (Durin's `TOKEN_CHARACTER_LENGTH` at
/// migration time): no longer token can be stored.
pub const TOKEN_MAX_LENGTH: usize = 64;

/// `max_length` of `Client.name`.
pub const CLIENT_NAME_MAX_LENGTH: usize = 64;

/// `max_length` of `Client.throttle_rate`.
pub const THROTTLE_RATE_MAX_LENGTH: usize = 64;

/// The clock tokens are created, renewed and expired by: now, in UTC
/// (Django's `timezone.now()`). Tests inject their own.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

// ----------------------------------------------------------------------------
// Settings

/// Durin's `REST_DURIN` settings, with Durin's defaults
/// (`durin/settings.py`).
///
/// Durin's settings that only tune its Django implementation have no
/// counterpart: `AUTHTOKEN_SELECT_RELATED_LIST` (the lookup here is always
/// one query joining the token, its client and its user),
/// `TOKEN_CACHE_TIMEOUT` (for `CachedTokenAuthentication`) and
/// `EXPIRY_DATETIME_FORMAT` (datetimes render as DRF's default ISO 8601, in
/// the site's `TIME_ZONE`). `USER_SERIALIZER` is [`Self::user_serializer`]:
/// Durin's `UserSerializer` (`{"username": ...}`) or none.
#[derive(Clone, PartialEq, Eq)]
pub struct DurinSettings {
    default_token_ttl: TimeDelta,
    token_character_length: usize,
    auth_header_prefix: String,
    user_serializer: bool,
    refresh_token_on_login: bool,
    api_access_client_name: Option<String>,
    api_access_exclude_from_sessions: bool,
    api_access_response_include_token: bool,
}

impl Default for DurinSettings {
    fn default() -> Self {
        DurinSettings {
            default_token_ttl: TimeDelta::days(1),
            token_character_length: 64,
            auth_header_prefix: "Token".into(),
            user_serializer: false,
            refresh_token_on_login: false,
            api_access_client_name: None,
            api_access_exclude_from_sessions: false,
            api_access_response_include_token: false,
        }
    }
}

impl DurinSettings {
    /// A builder starting from Durin's defaults.
    pub fn builder() -> DurinSettingsBuilder {
        DurinSettingsBuilder(DurinSettings::default())
    }

    /// `DEFAULT_TOKEN_TTL` (one day): the `token_ttl` of a client created
    /// without one.
    pub fn default_token_ttl(&self) -> TimeDelta {
        self.default_token_ttl
    }

    /// `TOKEN_CHARACTER_LENGTH` (64): new tokens are this many hex
    /// characters (`os.urandom(length / 2)`, hex-encoded).
    pub fn token_character_length(&self) -> usize {
        self.token_character_length
    }

    /// `AUTH_HEADER_PREFIX` (`Token`): the keyword of the `Authorization`
    /// header (compared case-insensitively) and the `WWW-Authenticate` value.
    pub fn auth_header_prefix(&self) -> &str {
        &self.auth_header_prefix
    }

    /// `USER_SERIALIZER`: `false` (Durin's default, `None`) gives login
    /// answers without a `user`; `true` is Durin's own
    /// `durin.serializers.UserSerializer`, `"user": {"username": ...}`.
    pub fn user_serializer(&self) -> bool {
        self.user_serializer
    }

    /// `REFRESH_TOKEN_ON_LOGIN` (`false`): whether a login that finds the
    /// user's token for the client renews its expiry.
    pub fn refresh_token_on_login(&self) -> bool {
        self.refresh_token_on_login
    }

    /// `API_ACCESS_CLIENT_NAME` (`None`): the client of `apiaccess/` tokens.
    pub fn api_access_client_name(&self) -> Option<&str> {
        self.api_access_client_name.as_deref()
    }

    /// `API_ACCESS_EXCLUDE_FROM_SESSIONS` (`false`): leave the API-access
    /// token out of the `sessions/` list.
    pub fn api_access_exclude_from_sessions(&self) -> bool {
        self.api_access_exclude_from_sessions
    }

    /// `API_ACCESS_RESPONSE_INCLUDE_TOKEN` (`false`): show the token in
    /// `apiaccess/` answers other than the one creating it.
    pub fn api_access_response_include_token(&self) -> bool {
        self.api_access_response_include_token
    }

    /// A new random token as Durin makes one.
    pub fn new_token(&self) -> String {
        let mut bytes = vec![0u8; self.token_character_length / 2];
        crypto::fill_random(&mut bytes);
        crypto::hex(&bytes)
    }
}

impl fmt::Debug for DurinSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurinSettings")
            .field("default_token_ttl", &self.default_token_ttl)
            .field("token_character_length", &self.token_character_length)
            .field("auth_header_prefix", &self.auth_header_prefix)
            .field("user_serializer", &self.user_serializer)
            .field("refresh_token_on_login", &self.refresh_token_on_login)
            .field("api_access_client_name", &self.api_access_client_name)
            .field(
                "api_access_exclude_from_sessions",
                &self.api_access_exclude_from_sessions,
            )
            .field(
                "api_access_response_include_token",
                &self.api_access_response_include_token,
            )
            .finish()
    }
}

/// Builds [`DurinSettings`] from Durin's defaults.
#[derive(Debug, Clone)]
pub struct DurinSettingsBuilder(DurinSettings);

/// Why [`DurinSettingsBuilder::build`] refused the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid REST_DURIN settings: {0}")]
pub struct DurinSettingsError(String);

impl DurinSettingsBuilder {
    /// `DEFAULT_TOKEN_TTL`.
    pub fn default_token_ttl(mut self, ttl: TimeDelta) -> Self {
        self.0.default_token_ttl = ttl;
        self
    }

    /// `TOKEN_CHARACTER_LENGTH` (2 to 64: the column holds 64).
    pub fn token_character_length(mut self, length: usize) -> Self {
        self.0.token_character_length = length;
        self
    }

    /// `AUTH_HEADER_PREFIX`.
    pub fn auth_header_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.0.auth_header_prefix = prefix.into();
        self
    }

    /// `USER_SERIALIZER = "durin.serializers.UserSerializer"` (`true`) or
    /// `None` (`false`).
    pub fn user_serializer(mut self, on: bool) -> Self {
        self.0.user_serializer = on;
        self
    }

    /// `REFRESH_TOKEN_ON_LOGIN`.
    pub fn refresh_token_on_login(mut self, on: bool) -> Self {
        self.0.refresh_token_on_login = on;
        self
    }

    /// `API_ACCESS_CLIENT_NAME`.
    pub fn api_access_client_name(mut self, name: impl Into<String>) -> Self {
        self.0.api_access_client_name = Some(name.into());
        self
    }

    /// `API_ACCESS_EXCLUDE_FROM_SESSIONS`.
    pub fn api_access_exclude_from_sessions(mut self, on: bool) -> Self {
        self.0.api_access_exclude_from_sessions = on;
        self
    }

    /// `API_ACCESS_RESPONSE_INCLUDE_TOKEN`.
    pub fn api_access_response_include_token(mut self, on: bool) -> Self {
        self.0.api_access_response_include_token = on;
        self
    }

    /// The settings, or why they cannot work: a token length outside 2 to
    /// 64 (Durin's column holds 64 characters; fewer than 2 makes empty
    /// tokens), an empty or space-holding header prefix, a negative TTL.
    pub fn build(self) -> Result<DurinSettings, DurinSettingsError> {
        let s = self.0;
        if !(2..=TOKEN_MAX_LENGTH).contains(&s.token_character_length) {
            return Err(DurinSettingsError(format!(
                "TOKEN_CHARACTER_LENGTH must be 2 to {TOKEN_MAX_LENGTH}, not {}",
                s.token_character_length
            )));
        }
        if s.auth_header_prefix.is_empty() || s.auth_header_prefix.chars().any(char::is_whitespace)
        {
            return Err(DurinSettingsError(format!(
                "AUTH_HEADER_PREFIX must be one word, not {:?}",
                s.auth_header_prefix
            )));
        }
        if s.default_token_ttl < TimeDelta::zero() {
            return Err(DurinSettingsError(
                "DEFAULT_TOKEN_TTL must not be negative".into(),
            ));
        }
        Ok(s)
    }
}

// ----------------------------------------------------------------------------
// Client throttle rates

/// Why a client's `throttle_rate` is refused by Durin's validator
/// (`UserClientRateThrottle.validate_client_throttle_rate`); the message is
/// the one Django shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClientRateError(String);

/// Durin's `validate_client_throttle_rate`: `""` (no rate of its own), or
/// `"<int>/<period>"` with the period exactly `s`, `m`, `h` or `d` (stricter
/// than DRF's `parse_rate`, which reads only the period's first letter).
/// Returns `(num_requests, seconds)`, `None` for `""`. The messages are
/// Python's: `not enough values to unpack (expected 2, got 1)`,
/// `invalid literal for int() with base 10: 'x'`, `invalid period 'hour'.`.
pub fn validate_client_throttle_rate(rate: &str) -> Result<Option<(i64, u32)>, ClientRateError> {
    if rate.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = rate.split('/').collect();
    let (num, period) = match parts.as_slice() {
        [num, period] => (*num, *period),
        [_] => {
            return Err(ClientRateError(
                "not enough values to unpack (expected 2, got 1)".into(),
            ))
        }
        _ => {
            return Err(ClientRateError(
                "too many values to unpack (expected 2)".into(),
            ))
        }
    };
    let Some(num) = crate::throttling::python_int(num) else {
        return Err(ClientRateError(format!(
            "invalid literal for int() with base 10: {}",
            crate::compat::py_repr_str(num)
        )));
    };
    let seconds = match period {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(ClientRateError(format!(
                "invalid period {}.",
                crate::compat::py_repr_str(period)
            )))
        }
    };
    Ok(Some((num, seconds)))
}

// ----------------------------------------------------------------------------
// Rows

/// A row of `durin_client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Primary key.
    pub id: i64,
    /// Unique name, at most 64 characters.
    pub name: String,
    /// How long its tokens live, from creation or renewal.
    pub token_ttl: TimeDelta,
    /// Its own throttle rate (`""`: none).
    pub throttle_rate: String,
}

/// A row of `durin_authtoken`. `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = durin_authtoken)]
pub struct AuthToken {
    /// Primary key: the `id` of the `sessions/` list.
    pub id: i64,
    token: String,
    /// When it was created (UTC).
    #[diesel(deserialize_as = TimestampColumn)]
    pub created: NaiveDateTime,
    /// When it stops working (UTC).
    #[diesel(deserialize_as = TimestampColumn)]
    pub expiry: NaiveDateTime,
    /// Its client.
    pub client_id: i64,
    /// Its user.
    pub user_id: i32,
}

impl AuthToken {
    /// The token, as the client sends it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Durin's `has_expired`: `now > expiry`.
    pub fn has_expired(&self, now: NaiveDateTime) -> bool {
        now > self.expiry
    }

    /// Durin's `expires_in`: `naturaldelta(expiry - created)`, e.g.
    /// `"a day"` (the token's lifetime, not the time left).
    pub fn expires_in(&self) -> String {
        naturaldelta(self.expiry - self.created)
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("id", &self.id)
            .field("token", &"********")
            .field("created", &self.created)
            .field("expiry", &self.expiry)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// What a request authenticated by a Durin token carries (`request.auth`):
/// the token row and what the throttle and permissions read of its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurinAuth {
    /// The token's row.
    pub token: AuthToken,
    /// Its client's name (`AllowSpecificClients`).
    pub client_name: String,
    /// Its client's throttle rate (`UserClientRateThrottle`; `""`: none).
    pub client_throttle_rate: String,
}

/// A token of the `sessions/` list, with its client's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The token's row.
    pub token: AuthToken,
    /// Its client's name.
    pub client_name: String,
}

/// What [`DurinStore::authenticate`] found for a presented token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A live token; its user (active or not: the caller words that).
    Valid(Box<(User, DurinAuth)>),
    /// The token had expired; its row is now deleted (Durin's
    /// `_cleanup_token`).
    Expired,
    /// No such token.
    Missing,
}

/// Why [`DurinStore::create_client`] refused a client: Durin's
/// `ClientSerializer` errors, field by field (`name: client with this name
/// already exists.`), or the store's error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The fields' errors, in Durin's order, as `(field, message)`.
    #[error("{}", fields_text(.0))]
    Invalid(Vec<(&'static str, String)>),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn fields_text(errors: &[(&'static str, String)]) -> String {
    errors
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

// ----------------------------------------------------------------------------
// Store

/// Durin's clients and tokens over a [`Database`]. Cheap to clone.
/// Synchronous: a web server runs it on the blocking pool.
#[derive(Clone)]
pub struct DurinStore {
    db: Database,
    clock: Clock,
}

impl fmt::Debug for DurinStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurinStore")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl From<&AuthStore> for DurinStore {
    /// The clients and tokens of the same database as `store`.
    fn from(store: &AuthStore) -> Self {
        DurinStore::new(store.database().clone())
    }
}

/// `(client id, name, token_ttl in µs, throttle_rate)`.
type ClientRow = (i64, String, i64, String);

fn client_of(row: ClientRow) -> Client {
    Client {
        id: row.0,
        name: row.1,
        token_ttl: duration::from_micros(row.2),
        throttle_rate: row.3,
    }
}

/// The columns of a client, its TTL in microseconds on `backend`.
macro_rules! client_columns {
    ($backend:expr) => {
        (
            durin_client::id,
            durin_client::name,
            sql::<BigInt>(&micros_of($backend, "durin_client.token_ttl")),
            durin_client::throttle_rate,
        )
    };
}

impl DurinStore {
    /// The store over `db` (migrated with the `durin` feature), on the
    /// system clock.
    pub fn new(db: Database) -> Self {
        DurinStore {
            db,
            clock: Arc::new(now_utc),
        }
    }

    /// The same store on another clock (tests: expiry without waiting).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Now, by the store's clock, to the microsecond (what Django stores).
    pub fn now(&self) -> NaiveDateTime {
        use chrono::SubsecRound;
        (self.clock)().trunc_subsecs(6)
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Durin's `create_client` command (`ClientSerializer`): a client named
    /// `name` whose tokens live `token_ttl`, throttled at `throttle_rate`
    /// (`""`: not by its own rate). Both are stripped of surrounding white
    /// space (DRF's `CharField`); the name must then be 1 to 64 characters
    /// and unused, the rate as [`validate_client_throttle_rate`] accepts it.
    pub fn create_client(
        &self,
        name: &str,
        token_ttl: TimeDelta,
        throttle_rate: &str,
    ) -> Result<Client, ClientError> {
        // DRF's `CharField(trim_whitespace=True)`.
        let name = crate::compat::py_strip(name);
        let throttle_rate = crate::compat::py_strip(throttle_rate);
        let mut errors = Vec::new();
        if name.is_empty() {
            errors.push(("name", "This field may not be blank.".to_owned()));
        } else if name.chars().count() > CLIENT_NAME_MAX_LENGTH {
            errors.push((
                "name",
                format!("Ensure this field has no more than {CLIENT_NAME_MAX_LENGTH} characters."),
            ));
        } else if !crate::models::storable(name) {
            errors.push(("name", "Null characters are not allowed.".to_owned()));
        } else if self.client_by_name(name)?.is_some() {
            errors.push(("name", "client with this name already exists.".to_owned()));
        }
        if throttle_rate.chars().count() > THROTTLE_RATE_MAX_LENGTH {
            errors.push((
                "throttle_rate",
                format!(
                    "Ensure this field has no more than {THROTTLE_RATE_MAX_LENGTH} characters."
                ),
            ));
        } else if let Err(e) = validate_client_throttle_rate(throttle_rate) {
            errors.push(("throttle_rate", e.to_string()));
        }
        if !errors.is_empty() {
            return Err(ClientError::Invalid(errors));
        }
        let micros = duration::to_micros(token_ttl);
        let inserted = self.db.run(|conn| {
            let backend = conn.backend();
            let query = format!(
                "INSERT INTO durin_client (name, token_ttl, throttle_rate) VALUES ({}, {}, {})",
                placeholder(backend, 1),
                stored_from_micros(backend, &placeholder(backend, 2)),
                placeholder(backend, 3),
            );
            Ok(diesel::sql_query(query)
                .bind::<Text, _>(name)
                .bind::<BigInt, _>(micros)
                .bind::<Text, _>(throttle_rate)
                .execute(conn))
        })?;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(ClientError::Invalid(vec![(
                    "name",
                    "client with this name already exists.".to_owned(),
                )]))
            }
            Err(e) => return Err(StoreError::from(e).into()),
        }
        self.client_by_name(name)?
            .ok_or_else(|| StoreError::Database(diesel::result::Error::NotFound).into())
    }

    /// The client named `name` (exactly: MySQL's collation is not trusted).
    pub fn client_by_name(&self, name: &str) -> Result<Option<Client>, StoreError> {
        if name.chars().count() > CLIENT_NAME_MAX_LENGTH || !crate::models::storable(name) {
            return Ok(None);
        }
        self.db.run(|conn| {
            let backend = conn.backend();
            let rows: Vec<ClientRow> = db::on_backend!(conn, |c| durin_client::table
                .filter(durin_client::name.eq(name))
                .select(client_columns!(backend))
                .load(c)?);
            Ok(rows.into_iter().find(|row| row.1 == name).map(client_of))
        })
    }

    /// The client `id`.
    pub fn client_by_id(&self, id: i64) -> Result<Option<Client>, StoreError> {
        self.db.run(|conn| {
            let backend = conn.backend();
            let row: Option<ClientRow> = db::on_backend!(conn, |c| durin_client::table
                .filter(durin_client::id.eq(id))
                .select(client_columns!(backend))
                .first(c)
                .optional()?);
            Ok(row.map(client_of))
        })
    }

    /// Durin's `TokenAuthentication.authenticate_credentials`: one query for
    /// the token, its client and its user; an expired token is deleted and
    /// reported as [`Lookup::Expired`]. A token no row can hold (empty,
    /// longer than 64 characters, holding a NUL) is [`Lookup::Missing`]
    /// without a query.
    pub fn authenticate(&self, token: &str) -> Result<Lookup, StoreError> {
        if token.is_empty()
            || token.chars().count() > TOKEN_MAX_LENGTH
            || !crate::models::storable(token)
        {
            return Ok(Lookup::Missing);
        }
        let now = self.now();
        self.db.run(|conn| {
            let rows: Vec<(AuthToken, String, String, User)> = db::on_backend!(conn, |c| {
                durin_authtoken::table
                    .inner_join(durin_client::table)
                    .inner_join(auth_user::table)
                    .filter(durin_authtoken::token.eq(token))
                    .select((
                        AuthToken::as_select(),
                        durin_client::name,
                        durin_client::throttle_rate,
                        User::as_select(),
                    ))
                    .load(c)?
            });
            let Some((row, client_name, client_throttle_rate, user)) = rows
                .into_iter()
                .find(|(row, ..)| crypto::constant_time_eq(row.token.as_bytes(), token.as_bytes()))
            else {
                return Ok(Lookup::Missing);
            };
            if row.has_expired(now) {
                diesel::delete(durin_authtoken::table.filter(durin_authtoken::id.eq(row.id)))
                    .execute(conn)?;
                return Ok(Lookup::Expired);
            }
            Ok(Lookup::Valid(Box::new((
                user,
                DurinAuth {
                    token: row,
                    client_name,
                    client_throttle_rate,
                },
            ))))
        })
    }

    /// The user's token for `client_id`, if any.
    pub fn token_for(&self, user_id: i32, client_id: i64) -> Result<Option<AuthToken>, StoreError> {
        self.db.run(|conn| token_for(conn, user_id, client_id))
    }

    /// Durin's `AuthToken.objects.create(user, client, delta_ttl)`: a new
    /// token expiring at now + `delta_ttl`, or + the client's `token_ttl`.
    /// Fails with the unique violation when the user has one for the client
    /// (use [`Self::login`] for Durin's login flow).
    pub fn create_token(
        &self,
        user_id: i32,
        client: &Client,
        delta_ttl: Option<TimeDelta>,
        settings: &DurinSettings,
    ) -> Result<AuthToken, StoreError> {
        let row = self.new_row(user_id, client, delta_ttl, settings);
        self.db.run(|conn| Ok(insert(conn, row)?))
    }

    /// [`Self::create_token`], or `None` when the user already has a token
    /// for the client (also when a concurrent call made it first).
    pub fn try_create_token(
        &self,
        user_id: i32,
        client: &Client,
        delta_ttl: Option<TimeDelta>,
        settings: &DurinSettings,
    ) -> Result<Option<AuthToken>, StoreError> {
        let row = self.new_row(user_id, client, delta_ttl, settings);
        match self.db.run(|conn| Ok(insert(conn, row)))? {
            Ok(token) => Ok(Some(token)),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn new_row(
        &self,
        user_id: i32,
        client: &Client,
        delta_ttl: Option<TimeDelta>,
        settings: &DurinSettings,
    ) -> AuthToken {
        let now = self.now();
        AuthToken {
            id: 0,
            token: settings.new_token(),
            created: now,
            expiry: add(now, delta_ttl.unwrap_or(client.token_ttl)),
            client_id: client.id,
            user_id,
        }
    }

    /// Durin's `LoginView.get_token_obj`: the user's token for `client`
    /// (renewed when `REFRESH_TOKEN_ON_LOGIN`), or a new one. Concurrent
    /// logins of one user and client end with one token, which all of them
    /// return. [`StoreError::UserNotFound`] when the user was deleted.
    pub fn login(
        &self,
        user_id: i32,
        client: &Client,
        settings: &DurinSettings,
    ) -> Result<AuthToken, StoreError> {
        for _ in 0..3 {
            if let Some(mut token) = self.token_for(user_id, client.id)? {
                if settings.refresh_token_on_login() {
                    token.expiry = self.renew(&token, client)?;
                }
                return Ok(token);
            }
            let row = self.new_row(user_id, client, None, settings);
            match self.db.run(|conn| Ok(insert(conn, row)))? {
                Ok(token) => return Ok(token),
                // Another login made it first: return that one.
                Err(e) if is_unique_violation(&e) => continue,
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                )) => return Err(StoreError::UserNotFound),
                Err(e) => return Err(e.into()),
            }
        }
        // The token was deleted between the insert's conflict and the
        // read, three times over: report the conflict.
        Err(StoreError::Database(diesel::result::Error::NotFound))
    }

    /// Durin's `renew_token`: the token now expires at now + its client's
    /// `token_ttl`; returns the new expiry (also when the row is gone, as
    /// Django's `save(update_fields=...)` of a deleted row raises, which
    /// Durin does not expect either: here the answer stands).
    pub fn renew(&self, token: &AuthToken, client: &Client) -> Result<NaiveDateTime, StoreError> {
        let expiry = add(self.now(), client.token_ttl);
        self.db.run(|conn| {
            diesel::update(durin_authtoken::table.filter(durin_authtoken::id.eq(token.id)))
                .set(durin_authtoken::expiry.eq(expiry))
                .execute(conn)?;
            Ok(expiry)
        })
    }

    /// Deletes the token `id`; whether there was one.
    pub fn delete_token(&self, id: i64) -> Result<bool, StoreError> {
        self.db.run(|conn| {
            Ok(
                diesel::delete(durin_authtoken::table.filter(durin_authtoken::id.eq(id)))
                    .execute(conn)?
                    > 0,
            )
        })
    }

    /// Durin's `LogoutAllView`: deletes every token of the user; how many.
    pub fn delete_user_tokens(&self, user_id: i32) -> Result<usize, StoreError> {
        self.db.run(|conn| {
            Ok(
                diesel::delete(durin_authtoken::table.filter(durin_authtoken::user_id.eq(user_id)))
                    .execute(conn)?,
            )
        })
    }

    /// Durin's `TokenSessionsViewSet` queryset: the user's tokens, expired
    /// or not, with their clients' names, by id; without the client named
    /// `exclude_client` when given.
    pub fn sessions(
        &self,
        user_id: i32,
        exclude_client: Option<&str>,
    ) -> Result<Vec<Session>, StoreError> {
        self.db.run(|conn| {
            let rows: Vec<(AuthToken, String)> = db::on_backend!(conn, |c| durin_authtoken::table
                .inner_join(durin_client::table)
                .filter(durin_authtoken::user_id.eq(user_id))
                .order(durin_authtoken::id)
                .select((AuthToken::as_select(), durin_client::name))
                .load(c)?);
            Ok(rows
                .into_iter()
                .filter(|(_, name)| Some(name.as_str()) != exclude_client)
                .map(|(token, client_name)| Session { token, client_name })
                .collect())
        })
    }

    /// The user's token for the client named `client_name` (Durin's
    /// `APIAccessTokenView.get_object`).
    pub fn token_for_client_name(
        &self,
        user_id: i32,
        client_name: &str,
    ) -> Result<Option<AuthToken>, StoreError> {
        match self.client_by_name(client_name)? {
            Some(client) => self.token_for(user_id, client.id),
            None => Ok(None),
        }
    }

    /// Deletes the tokens that expired before now (by the store's clock);
    /// how many. Durin deletes an expired token only when it is presented;
    /// run this (or the `purge-tokens` command) now and then.
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.now();
        self.db.run(|conn| (crate::purge::DURIN.purge)(conn, now))
    }
}

/// `now + ttl`, saturating at the end of time (a TTL no `datetime` can add
/// raises `OverflowError` in Django).
fn add(now: NaiveDateTime, ttl: TimeDelta) -> NaiveDateTime {
    now.checked_add_signed(ttl).unwrap_or(NaiveDateTime::MAX)
}

fn token_for(
    conn: &mut AnyConnection,
    user_id: i32,
    client_id: i64,
) -> Result<Option<AuthToken>, StoreError> {
    Ok(db::on_backend!(conn, |c| durin_authtoken::table
        .filter(durin_authtoken::user_id.eq(user_id))
        .filter(durin_authtoken::client_id.eq(client_id))
        .select(AuthToken::as_select())
        .first(c)
        .optional()?))
}

/// Inserts `row` (its `id` ignored) and reads it back with its id.
fn insert(conn: &mut AnyConnection, row: AuthToken) -> QueryResult<AuthToken> {
    diesel::insert_into(durin_authtoken::table)
        .values((
            durin_authtoken::token.eq(&row.token),
            durin_authtoken::created.eq(row.created),
            durin_authtoken::expiry.eq(row.expiry),
            durin_authtoken::client_id.eq(row.client_id),
            durin_authtoken::user_id.eq(row.user_id),
        ))
        .execute(conn)?;
    let id = durin_authtoken::table
        .filter(durin_authtoken::token.eq(&row.token))
        .select(durin_authtoken::id)
        .first(conn)?;
    Ok(AuthToken { id, ..row })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewUser, PoolConfig};
    use std::sync::Mutex;

    fn setup() -> (AuthStore, DurinStore, User, Arc<Mutex<NaiveDateTime>>) {
        let store = AuthStore::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
        store.migrate().unwrap();
        let user = store
            .create_user(NewUser::new("alice", Some("pw".into())))
            .unwrap();
        let now = Arc::new(Mutex::new(now_utc()));
        let clock = now.clone();
        let durin = DurinStore::from(&store).with_clock(Arc::new(move || *clock.lock().unwrap()));
        (store, durin, user, now)
    }

    #[test]
    fn rates_are_validated_as_durin_does() {
        assert_eq!(validate_client_throttle_rate(""), Ok(None));
        assert_eq!(validate_client_throttle_rate("10/h"), Ok(Some((10, 3600))));
        assert_eq!(validate_client_throttle_rate(" 5 /s"), Ok(Some((5, 1))));
        for (rate, message) in [
            ("10/hour", "invalid period 'hour'."),
            ("abc", "not enough values to unpack (expected 2, got 1)"),
            ("a/h", "invalid literal for int() with base 10: 'a'"),
            ("1/2/3", "too many values to unpack (expected 2)"),
            ("1/", "invalid period ''."),
        ] {
            assert_eq!(
                validate_client_throttle_rate(rate).unwrap_err().to_string(),
                message,
                "{rate}"
            );
        }
    }

    #[test]
    fn clients_round_trip_and_names_are_unique() {
        let (_, durin, _, _) = setup();
        let web = durin
            .create_client("web", TimeDelta::hours(2), "5/m")
            .unwrap();
        assert_eq!(web.token_ttl, TimeDelta::hours(2));
        assert_eq!(durin.client_by_name("web").unwrap(), Some(web.clone()));
        assert_eq!(durin.client_by_id(web.id).unwrap(), Some(web));
        assert_eq!(durin.client_by_name("WEB").unwrap(), None);
        let err = durin
            .create_client("web", TimeDelta::days(1), "bad")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "name: client with this name already exists.\nthrottle_rate: not enough values to unpack (expected 2, got 1)"
        );
        let long = "n".repeat(65);
        assert_eq!(
            durin
                .create_client(&long, TimeDelta::days(1), "")
                .unwrap_err()
                .to_string(),
            "name: Ensure this field has no more than 64 characters."
        );
    }

    #[test]
    fn tokens_expire_by_the_clock_and_are_deleted_when_presented() {
        let (_, durin, user, now) = setup();
        let settings = DurinSettings::default();
        let web = durin.create_client("web", TimeDelta::hours(2), "").unwrap();
        let token = durin.login(user.id, &web, &settings).unwrap();
        assert!(token.token().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(token.expiry - token.created, TimeDelta::hours(2));
        assert_eq!(token.expires_in(), "2 hours");
        assert!(
            matches!(durin.authenticate(token.token()).unwrap(), Lookup::Valid(found) if found.0.id == user.id)
        );
        assert_eq!(
            durin.authenticate(&token.token().to_uppercase()).unwrap(),
            Lookup::Missing
        );
        assert_eq!(durin.authenticate("").unwrap(), Lookup::Missing);
        *now.lock().unwrap() += TimeDelta::hours(2);
        assert!(
            matches!(
                durin.authenticate(token.token()).unwrap(),
                Lookup::Valid(..)
            ),
            "expiry itself is still valid"
        );
        *now.lock().unwrap() += TimeDelta::microseconds(1);
        assert_eq!(durin.authenticate(token.token()).unwrap(), Lookup::Expired);
        assert_eq!(durin.authenticate(token.token()).unwrap(), Lookup::Missing);
    }

    #[test]
    fn login_returns_the_same_token_and_refreshes_when_asked() {
        let (_, durin, user, now) = setup();
        let web = durin.create_client("web", TimeDelta::hours(1), "").unwrap();
        let first = durin
            .login(user.id, &web, &DurinSettings::default())
            .unwrap();
        *now.lock().unwrap() += TimeDelta::minutes(10);
        let again = durin
            .login(user.id, &web, &DurinSettings::default())
            .unwrap();
        assert_eq!(again, first);
        let refreshing = DurinSettings::builder()
            .refresh_token_on_login(true)
            .build()
            .unwrap();
        let renewed = durin.login(user.id, &web, &refreshing).unwrap();
        assert_eq!(renewed.token(), first.token());
        assert_eq!(renewed.expiry, first.expiry + TimeDelta::minutes(10));
        assert_eq!(
            durin.login(999, &web, &refreshing).unwrap_err().to_string(),
            StoreError::UserNotFound.to_string()
        );
    }

    #[test]
    fn sessions_logoutall_and_purge() {
        let (_, durin, user, now) = setup();
        let settings = DurinSettings::default();
        let web = durin.create_client("web", TimeDelta::hours(1), "").unwrap();
        let ios = durin.create_client("ios", TimeDelta::days(30), "").unwrap();
        let a = durin.login(user.id, &web, &settings).unwrap();
        let b = durin.login(user.id, &ios, &settings).unwrap();
        let sessions = durin.sessions(user.id, None).unwrap();
        assert_eq!(
            sessions
                .iter()
                .map(|s| (s.token.id, s.client_name.as_str()))
                .collect::<Vec<_>>(),
            [(a.id, "web"), (b.id, "ios")]
        );
        assert_eq!(durin.sessions(user.id, Some("ios")).unwrap().len(), 1);
        *now.lock().unwrap() += TimeDelta::hours(2);
        assert_eq!(durin.purge_expired().unwrap(), 1);
        assert_eq!(durin.purge_expired().unwrap(), 0);
        assert_eq!(durin.delete_user_tokens(user.id).unwrap(), 1);
        assert!(durin.sessions(user.id, None).unwrap().is_empty());
    }

    #[test]
    fn settings_builder_checks() {
        assert!(DurinSettings::builder()
            .token_character_length(65)
            .build()
            .is_err());
        assert!(DurinSettings::builder()
            .auth_header_prefix("a b")
            .build()
            .is_err());
        let s = DurinSettings::builder()
            .token_character_length(40)
            .build()
            .unwrap();
        assert_eq!(s.new_token().len(), 40);
        assert!(!format!(
            "{:?}",
            AuthToken {
                id: 1,
                token: "secret-token".into(),
                created: now_utc(),
                expiry: now_utc(),
                client_id: 1,
                user_id: 1
            }
        )
        .contains("secret"));
    }
}
