//! [`OAuth2Store`]: DOT's applications, access and refresh tokens on the
//! shared [`Database`].

use std::fmt;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{
    oauth2_provider_accesstoken as at, oauth2_provider_application as app,
    oauth2_provider_grant as gr, oauth2_provider_refreshtoken as rt,
};
use super::{generate_token, token_checksum, OAuth2Settings};
use crate::crypto;
use crate::db::schema::auth_user;
use crate::db::{self, AnyConnection, Database, KeyLookup, StoreError};
use crate::hashers::Hashers;
use crate::models::User;
use crate::store::is_retryable;

/// How many times a transaction that lost a race is run.
const MAX_ATTEMPTS: usize = 5;

/// `client_type` values.
pub mod client_type {
    /// A client that can keep a secret.
    pub const CONFIDENTIAL: &str = "confidential";
    /// A client that cannot (a browser or mobile app).
    pub const PUBLIC: &str = "public";
}

/// `authorization_grant_type` values.
pub mod grant_type {
    /// The authorization code grant (with PKCE).
    pub const AUTHORIZATION_CODE: &str = "authorization-code";
    /// The device code grant (not served here).
    pub const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
    /// The implicit grant (not served here).
    pub const IMPLICIT: &str = "implicit";
    /// The resource owner password grant.
    pub const PASSWORD: &str = "password";
    /// The client credentials grant.
    pub const CLIENT_CREDENTIALS: &str = "client-credentials";
    /// OpenID Connect's hybrid flow (not served here).
    pub const OPENID_HYBRID: &str = "openid-hybrid";
    /// Every value DOT accepts.
    pub const ALL: &[&str] = &[
        AUTHORIZATION_CODE,
        DEVICE_CODE,
        IMPLICIT,
        PASSWORD,
        CLIENT_CREDENTIALS,
        OPENID_HYBRID,
    ];
}

/// A row of `oauth2_provider_application` (the columns this crate uses).
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = app)]
pub struct Application {
    /// Primary key.
    pub id: i64,
    /// The public client identifier.
    pub client_id: String,
    /// The owner, if any.
    pub user_id: Option<i32>,
    /// Space-separated allowed redirect URIs.
    pub redirect_uris: String,
    /// `confidential` or `public`.
    pub client_type: String,
    /// One of [`grant_type::ALL`].
    pub authorization_grant_type: String,
    /// A Django password hash of the secret, or the secret itself (legacy
    /// rows, `hash_client_secret = false`). Never shown by `Debug`.
    pub client_secret: String,
    /// Whether new secrets are stored hashed.
    pub hash_client_secret: bool,
    /// Display name.
    pub name: String,
    /// Skip the consent page.
    pub skip_authorization: bool,
    /// `''`, `RS256` or `HS256` (OpenID Connect).
    pub algorithm: String,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("client_type", &self.client_type)
            .field("authorization_grant_type", &self.authorization_grant_type)
            .field("client_secret", &"<redacted>")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// DOT's `allows_grant_type`.
    pub fn allows_grant_type(&self, types: &[&str]) -> bool {
        types.contains(&self.authorization_grant_type.as_str())
    }

    /// Whether the client is confidential.
    pub fn is_confidential(&self) -> bool {
        self.client_type == client_type::CONFIDENTIAL
    }
}

/// A row of `oauth2_provider_accesstoken` (the columns this crate uses).
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = at)]
pub struct AccessToken {
    /// Primary key.
    pub id: i64,
    /// The user (`None` for a client credentials token).
    pub user_id: Option<i32>,
    /// The refresh token this one was made from.
    pub source_refresh_token_id: Option<i64>,
    /// The token as DOT stores it (plaintext). Never shown by `Debug`.
    pub token: String,
    /// The application.
    pub application_id: Option<i64>,
    /// Expiry, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub expires: NaiveDateTime,
    /// Space-separated scopes.
    pub scope: String,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("token", &"<redacted>")
            .field("application_id", &self.application_id)
            .field("expires", &self.expires)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The scopes, as DOT's `scopes` splits them.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }

    /// DOT's `is_expired` (`now >= expires`).
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        now >= self.expires
    }

    /// DOT's `allow_scopes`: every scope of `required` is one of the token's.
    pub fn allow_scopes<S: AsRef<str>>(&self, required: &[S]) -> bool {
        required
            .iter()
            .all(|need| self.scopes().any(|have| have == need.as_ref()))
    }

    /// DOT's `is_valid(scopes)`: not expired and allowing `required`.
    pub fn is_valid<S: AsRef<str>>(&self, required: &[S], now: NaiveDateTime) -> bool {
        !self.is_expired(now) && self.allow_scopes(required)
    }
}

/// A refresh token row.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = rt)]
pub struct RefreshToken {
    /// Primary key.
    pub id: i64,
    /// The user.
    pub user_id: i32,
    /// The application.
    pub application_id: i64,
    /// The access token it refreshes (none once revoked).
    pub access_token_id: Option<i64>,
    /// When it was revoked.
    #[diesel(deserialize_as = crate::db::NullableTimestampColumn)]
    pub revoked: Option<NaiveDateTime>,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("application_id", &self.application_id)
            .field("access_token_id", &self.access_token_id)
            .field("revoked", &self.revoked)
            .finish()
    }
}

/// What the resource server needs about a presented token: the token, its
/// application and its user, found in one query.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The access token.
    pub token: AccessToken,
    /// Its application (none if it was deleted).
    pub application: Option<Application>,
    /// Its user (none for a client credentials token).
    pub user: Option<User>,
}

/// A token as a request presents it ([`OAuth2Store::authenticating_token`]).
#[derive(Debug, Clone)]
pub struct Bearer {
    /// The access token.
    pub token: AccessToken,
    /// Whether its application still exists.
    pub has_application: bool,
    /// Its user (none for a client credentials token).
    pub user: Option<User>,
}

/// A freshly issued pair.
#[derive(Clone)]
pub struct Issued {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// The scopes, space-separated.
    pub scope: String,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Why a refresh failed (oauthlib answers both `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Unknown, revoked, expired, or of another application.
    Invalid,
    /// The scope asked for is wider than the original.
    InvalidScope,
}

/// A row of `oauth2_provider_grant`: an authorization code (the code
/// itself is not loaded).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = gr)]
pub struct Grant {
    /// Primary key.
    pub id: i64,
    /// Expiry, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub expires: NaiveDateTime,
    /// What was approved.
    #[diesel(embed)]
    pub details: NewGrant,
}

impl Grant {
    /// DOT's `Grant.is_expired` (`now >= expires`).
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        now >= self.expires
    }

    /// DOT's `Grant.redirect_uri_allowed`: exactly the URI the code was
    /// issued for.
    pub fn redirect_uri_allowed(&self, uri: &str) -> bool {
        uri == self.details.redirect_uri
    }
}

/// What DOT's `_create_authorization_code` writes for an approved request
/// (and reads back with the code).
#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = gr)]
pub struct NewGrant {
    /// The user who approved it.
    pub user_id: i32,
    /// The application.
    pub application_id: i64,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Space-separated scopes.
    pub scope: String,
    /// The PKCE challenge, `''` without one.
    pub code_challenge: String,
    /// `plain`, `S256` or `''`.
    pub code_challenge_method: String,
    /// The OpenID Connect nonce, `''` without one.
    pub nonce: String,
    /// The claims request as JSON (`{}` without one).
    pub claims: String,
}

/// What a new application gets (DOT's `Application` fields and defaults).
#[derive(Clone)]
pub struct NewApplication {
    /// `None`: 40 random characters from `[A-Za-z0-9]`.
    pub client_id: Option<String>,
    /// `None`: 128 random characters (`CLIENT_SECRET_GENERATOR_LENGTH`).
    pub client_secret: Option<String>,
    /// Store the secret hashed (DOT's default, `true`).
    pub hash_client_secret: bool,
    /// `confidential` or `public`.
    pub client_type: String,
    /// One of [`grant_type::ALL`].
    pub authorization_grant_type: String,
    /// Display name.
    pub name: String,
    /// Space-separated redirect URIs.
    pub redirect_uris: String,
    /// Skip the consent page.
    pub skip_authorization: bool,
    /// The owner.
    pub user_id: Option<i32>,
    /// `''`, `RS256` or `HS256`.
    pub algorithm: String,
}

impl fmt::Debug for NewApplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApplication")
            .field("client_id", &self.client_id)
            .field("client_type", &self.client_type)
            .field("authorization_grant_type", &self.authorization_grant_type)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl NewApplication {
    /// An application of `client_type` for `authorization_grant_type`, with
    /// DOT's defaults for the rest.
    pub fn new(client_type: &str, authorization_grant_type: &str) -> Self {
        NewApplication {
            client_id: None,
            client_secret: None,
            hash_client_secret: true,
            client_type: client_type.to_owned(),
            authorization_grant_type: authorization_grant_type.to_owned(),
            name: String::new(),
            redirect_uris: String::new(),
            skip_authorization: false,
            user_id: None,
            algorithm: String::new(),
        }
    }
}

/// The Django hashers' algorithm names (`identify_hasher` recognises a stored
/// secret as a hash by its prefix).
const HASH_ALGORITHMS: &[&str] = &[
    "pbkdf2_sha256",
    "pbkdf2_sha1",
    "argon2",
    "bcrypt_sha256",
    "scrypt",
];

/// DOT's `_check_secret`: `check_password` when `stored` is a Django hash,
/// else a constant-time comparison (legacy plaintext secrets).
pub fn check_client_secret(hashers: &Hashers, provided: &str, stored: &str) -> bool {
    match stored.split_once('$') {
        Some((algorithm, _)) if HASH_ALGORITHMS.contains(&algorithm) => {
            hashers.verify(provided, stored).is_valid()
        }
        _ => crypto::constant_time_eq(provided.as_bytes(), stored.as_bytes()),
    }
}

/// DOT's `ClientSecretField.pre_save`: the value to store for `secret`.
pub fn stored_client_secret(hashers: &Hashers, secret: &str, hash: bool) -> String {
    let already_hashed = secret
        .split_once('$')
        .is_some_and(|(algorithm, _)| HASH_ALGORITHMS.contains(&algorithm));
    if hash && !already_hashed {
        hashers.make_password(secret)
    } else {
        secret.to_owned()
    }
}

/// DOT's tables on one [`Database`].
#[derive(Clone)]
pub struct OAuth2Store {
    db: Database,
    hashers: Hashers,
}

impl fmt::Debug for OAuth2Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Store").field("db", &self.db).finish()
    }
}

/// A 32-hex UUID4 (DOT's `token_family`, as SQLite stores it; PostgreSQL
/// and MariaDB read the same text as a `uuid`).
fn new_family() -> String {
    let mut bytes = [0u8; 16];
    crypto::fill_random(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    crypto::hex(&bytes)
}

/// `token_family` read back as text on each backend.
fn family_as_text(conn: &AnyConnection) -> &'static str {
    match conn.backend() {
        db::Backend::Postgres => "CAST(token_family AS text)",
        db::Backend::Mysql => "CAST(token_family AS char)",
        db::Backend::Sqlite => "token_family",
    }
}

impl OAuth2Store {
    /// DOT's tables of `db`, client secrets hashed with Django's default hasher.
    pub fn new(db: Database) -> Self {
        OAuth2Store {
            db,
            hashers: Hashers::default(),
        }
    }

    /// The hashers new client secrets are made with.
    pub fn with_hashers(mut self, hashers: Hashers) -> Self {
        self.hashers = hashers;
        self
    }

    /// The hashers.
    pub fn hashers(&self) -> &Hashers {
        &self.hashers
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// DOT's `_load_access_token` with its `select_related`: the token with
    /// this checksum, its application and its user. `None` without a query
    /// for a token no row can hold. Requests use
    /// [`authenticating_token`](Self::authenticating_token), one query
    /// without the application's row; this reads that row after it.
    pub fn access_token(&self, token: &str) -> Result<Option<TokenInfo>, StoreError> {
        let Some(bearer) = self.authenticating_token(token)? else {
            return Ok(None);
        };
        let application = match bearer.token.application_id {
            Some(id) if bearer.has_application => {
                let mut conn = self.db.connection()?;
                app::table
                    .find(id)
                    .select(Application::as_select())
                    .key_lookup(&mut *conn)?
            }
            _ => None,
        };
        Ok(Some(TokenInfo {
            token: bearer.token,
            application,
            user: bearer.user,
        }))
    }

    /// What `OAuth2Authentication` needs of a token, in one query: the
    /// token with this checksum, whether its application still exists, and
    /// its user. `None` without a query for a token no row can hold. The
    /// application's row, which a request never reads, would be about a
    /// third of the lookup's work.
    pub fn authenticating_token(&self, token: &str) -> Result<Option<Bearer>, StoreError> {
        if token.is_empty() || token.contains('\0') {
            return Ok(None);
        }
        let checksum = token_checksum(token);
        let mut conn = self.db.connection()?;
        let row: Option<(AccessToken, Option<i64>, Option<User>)> =
            db::on_backend!(&mut *conn, |c| at::table
                .left_join(app::table)
                .left_join(auth_user::table)
                .filter(at::token_checksum.eq(&checksum))
                .select((
                    AccessToken::as_select(),
                    app::id.nullable(),
                    Option::<User>::as_select(),
                ))
                .key_lookup(c)?);
        Ok(row.map(|(token, application_id, user)| Bearer {
            token,
            has_application: application_id.is_some(),
            user,
        }))
    }

    /// The application with this `client_id` (DOT's `_load_application`).
    pub fn application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        if client_id.contains('\0') || client_id.chars().count() > 255 {
            return Ok(None);
        }
        let mut conn = self.db.connection()?;
        let found: Option<Application> = app::table
            .filter(app::client_id.eq(client_id))
            .select(Application::as_select())
            .key_lookup(&mut *conn)?;
        // MySQL's collation compares case-insensitively.
        Ok(found.filter(|a| a.client_id == client_id))
    }

    /// Creates an application; returns it and the plaintext secret (shown
    /// once: the row holds its hash unless `hash_client_secret` is off).
    pub fn create_application(
        &self,
        new: NewApplication,
        now: NaiveDateTime,
    ) -> Result<(Application, String), StoreError> {
        let client_id = new
            .client_id
            .unwrap_or_else(|| crypto::random_string(40, crypto::RANDOM_STRING_CHARS));
        let secret = new
            .client_secret
            .unwrap_or_else(|| crypto::random_string(128, crypto::RANDOM_STRING_CHARS));
        let stored = stored_client_secret(&self.hashers, &secret, new.hash_client_secret);
        let mut conn = self.db.connection()?;
        diesel::insert_into(app::table)
            .values((
                app::client_id.eq(&client_id),
                app::user_id.eq(new.user_id),
                app::redirect_uris.eq(&new.redirect_uris),
                app::post_logout_redirect_uris.eq(""),
                app::client_type.eq(&new.client_type),
                app::authorization_grant_type.eq(&new.authorization_grant_type),
                app::client_secret.eq(&stored),
                app::hash_client_secret.eq(new.hash_client_secret),
                app::name.eq(&new.name),
                app::skip_authorization.eq(new.skip_authorization),
                app::created.eq(now),
                app::updated.eq(now),
                app::algorithm.eq(&new.algorithm),
                app::allowed_origins.eq(""),
                app::registration_source.eq("manual"),
            ))
            .execute(&mut *conn)?;
        drop(conn);
        let created = self
            .application(&client_id)?
            .ok_or_else(|| StoreError::Unavailable("the new application vanished".into()))?;
        Ok((created, secret))
    }

    /// Issues an access token (and a refresh token when `with_refresh`) for
    /// `application`, as DOT's `save_bearer_token` does for a grant that is
    /// not a refresh: `token` and `token_checksum` written, a new token family.
    pub fn issue(
        &self,
        application_id: i64,
        user_id: Option<i32>,
        scope: &str,
        with_refresh: bool,
        settings: &OAuth2Settings,
    ) -> Result<Issued, StoreError> {
        let mut conn = self.db.connection()?;
        let now = settings.now();
        conn.transaction(|c| {
            let access = insert_access_token(c, application_id, user_id, scope, None, now, settings)?;
            let refresh = match (with_refresh, user_id) {
                (true, Some(user_id)) => Some(insert_refresh_token(
                    c,
                    application_id,
                    user_id,
                    access.0,
                    &new_family(),
                    now,
                )?),
                _ => None,
            };
            Ok(Issued {
                access_token: access.1,
                refresh_token: refresh,
                scope: scope.to_owned(),
            })
        })
    }

    /// Saves an authorization code as DOT's `_create_authorization_code`
    /// does (a fresh 30-character code, `expires` =
    /// now + `AUTHORIZATION_CODE_EXPIRE_SECONDS`, `resource` `[]`) and
    /// returns the code.
    pub fn create_grant(
        &self,
        new: &NewGrant,
        settings: &OAuth2Settings,
    ) -> Result<String, StoreError> {
        let now = settings.now();
        let code = generate_token();
        let claims = if new.claims.is_empty() { "{}" } else { &new.claims };
        let mut conn = self.db.connection()?;
        diesel::insert_into(gr::table)
            .values((
                gr::user_id.eq(new.user_id),
                gr::code.eq(&code),
                gr::application_id.eq(new.application_id),
                gr::expires.eq(now + TimeDelta::seconds(settings.authorization_code_expire_seconds)),
                gr::redirect_uri.eq(&new.redirect_uri),
                gr::scope.eq(&new.scope),
                gr::created.eq(now),
                gr::updated.eq(now),
                gr::code_challenge.eq(&new.code_challenge),
                gr::code_challenge_method.eq(&new.code_challenge_method),
                gr::nonce.eq(&new.nonce),
                gr::claims.eq(claims),
                gr::resource.eq(sql::<Text>("'[]'")),
            ))
            .execute(&mut *conn)?;
        Ok(code)
    }

    /// The authorization code grant: `check` sees the code's grant of
    /// `application` (`None` when there is none: unknown, another client's,
    /// or already redeemed) and refuses it with `Err`, or accepts it; an
    /// accepted code is deleted and a pair issued for its user and scopes
    /// (DOT's `validate_code`, `save_bearer_token` and
    /// `invalidate_authorization_code`), in one transaction. Of two requests
    /// redeeming one code at the same moment exactly one wins; the other's
    /// `check` sees `None`.
    pub fn redeem_code<E>(
        &self,
        code: &str,
        application: &Application,
        check: impl Fn(Option<&Grant>) -> Result<(), E>,
        settings: &OAuth2Settings,
    ) -> Result<Result<Issued, E>, StoreError> {
        let code = if code.contains('\0') || code.chars().count() > 255 { "" } else { code };
        let mut conn = self.db.connection()?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.redeem_once(&mut conn, code, application, &check, settings) {
                // A deadlock between concurrent redemptions (MariaDB): the
                // rerun finds the code gone.
                Err(StoreError::Database(e)) if is_retryable(&e) && attempts < MAX_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    fn redeem_once<E>(
        &self,
        conn: &mut AnyConnection,
        code: &str,
        application: &Application,
        check: &impl Fn(Option<&Grant>) -> Result<(), E>,
        settings: &OAuth2Settings,
    ) -> Result<Result<Issued, E>, StoreError> {
        conn.transaction(|c| {
            // Write first (changing nothing): SQLite takes its write lock now,
            // the other backends lock the row, so concurrent redemptions of
            // one code run one after the other and the later one finds it
            // deleted.
            diesel::update(gr::table.filter(gr::code.eq(code)))
                .set(gr::updated.eq(gr::updated))
                .execute(c)?;
            let grant: Option<Grant> = gr::table
                .filter(gr::code.eq(code))
                .filter(gr::application_id.eq(application.id))
                .select(Grant::as_select())
                .first(c)
                .optional()?;
            if let Err(refused) = check(grant.as_ref()) {
                return Ok(Err(refused));
            }
            let Some(grant) = grant else {
                // `check` accepted no grant: nothing to redeem.
                return Err(StoreError::Unavailable("an absent code was accepted".into()));
            };
            let deleted = diesel::delete(gr::table.filter(gr::id.eq(grant.id))).execute(c)?;
            if deleted == 0 {
                return match check(None) {
                    Err(refused) => Ok(Err(refused)),
                    Ok(()) => Err(StoreError::Unavailable("an absent code was accepted".into())),
                };
            }
            let now = settings.now();
            let access = insert_access_token(
                c,
                application.id,
                Some(grant.details.user_id),
                &grant.details.scope,
                None,
                now,
                settings,
            )?;
            let refresh = insert_refresh_token(
                c,
                application.id,
                grant.details.user_id,
                access.0,
                &new_family(),
                now,
            )?;
            Ok(Ok(Issued {
                access_token: access.1,
                refresh_token: Some(refresh),
                scope: grant.details.scope,
            }))
        })
    }

    /// The refresh token grant (DOT's `validate_refresh_token`,
    /// `get_original_scopes` and `save_bearer_token`), atomically: of two
    /// requests with one refresh token at the same moment exactly one
    /// rotates it; the other finds it revoked (and, within the grace period,
    /// gets the pair the first one made, as DOT answers).
    pub fn refresh(
        &self,
        refresh_token: &str,
        application: &Application,
        scope: Option<&[&str]>,
        settings: &OAuth2Settings,
    ) -> Result<Result<Issued, RefreshOutcome>, StoreError> {
        if refresh_token.contains('\0') {
            return Ok(Err(RefreshOutcome::Invalid));
        }
        let checksum = token_checksum(refresh_token);
        let mut conn = self.db.connection()?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.refresh_once(&mut conn, &checksum, refresh_token, application, scope, settings) {
                // A deadlock (MariaDB's gap locks between concurrent
                // refreshes) or a token collision: the database asks for
                // the transaction to run again; the rerun sees the winner.
                Err(StoreError::Database(e)) if is_retryable(&e) && attempts < MAX_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    fn refresh_once(
        &self,
        conn: &mut AnyConnection,
        checksum: &str,
        refresh_token: &str,
        application: &Application,
        scope: Option<&[&str]>,
        settings: &OAuth2Settings,
    ) -> Result<Result<Issued, RefreshOutcome>, StoreError> {
        let now = settings.now();
        conn.transaction(|c| {
            lock_refresh_tokens(c, checksum)?;
            // Several rows may share a checksum: the live one first, then the
            // most recently revoked.
            let rows: Vec<RefreshToken> = rt::table
                .filter(rt::token_checksum.eq(checksum))
                .select(RefreshToken::as_select())
                .load(c)?;
            let Some(found) = rows
                .iter()
                .find(|r| r.revoked.is_none())
                .or_else(|| rows.iter().max_by_key(|r| r.revoked))
                .cloned()
            else {
                return Ok(Err(RefreshOutcome::Invalid));
            };
            if found.application_id != application.id {
                return Ok(Err(RefreshOutcome::Invalid));
            }
            if found.revoked.is_some() {
                return grace(c, &found, scope, now, settings, true);
            }
            let Some(access_id) = found.access_token_id else {
                return Ok(Err(RefreshOutcome::Invalid));
            };
            let previous: Option<AccessToken> = at::table
                .filter(at::id.eq(access_id))
                .select(AccessToken::as_select())
                .first(c)
                .optional()?;
            let Some(previous) = previous else {
                return Ok(Err(RefreshOutcome::Invalid));
            };
            if let Some(seconds) = settings.refresh_token_expire_seconds {
                if previous.expires + TimeDelta::seconds(seconds) <= now {
                    return Ok(Err(RefreshOutcome::Invalid));
                }
            }
            let scope = match narrowed(&previous.scope, scope) {
                Some(scope) => scope,
                None => return Ok(Err(RefreshOutcome::InvalidScope)),
            };
            if !settings.rotate_refresh_token {
                let token = generate_token();
                diesel::update(at::table.filter(at::id.eq(access_id)))
                    .set((
                        at::token.eq(&token),
                        at::token_checksum.eq(token_checksum(&token)),
                        at::scope.eq(&scope),
                        at::expires.eq(now + TimeDelta::seconds(settings.access_token_expire_seconds)),
                        at::updated.eq(now),
                    ))
                    .execute(c)?;
                return Ok(Ok(Issued {
                    access_token: token,
                    refresh_token: Some(refresh_token.to_owned()),
                    scope,
                }));
            }
            // The race is decided here: one statement, on the live row only.
            let won = diesel::update(
                rt::table
                    .filter(rt::id.eq(found.id))
                    .filter(rt::revoked.is_null()),
            )
            .set((
                rt::revoked.eq(Some(now)),
                rt::access_token_id.eq(None::<i64>),
                rt::updated.eq(now),
            ))
            .execute(c)?;
            if won == 0 {
                let again: RefreshToken = rt::table
                    .filter(rt::id.eq(found.id))
                    .select(RefreshToken::as_select())
                    .first(c)?;
                return grace(
                    c,
                    &again,
                    Some(&scope.split(' ').collect::<Vec<_>>()),
                    now,
                    settings,
                    false,
                );
            }
            // DOT's `AccessToken.revoke()`: the old access token is deleted.
            diesel::delete(at::table.filter(at::id.eq(access_id))).execute(c)?;
            let family: Option<String> = rt::table
                .filter(rt::id.eq(found.id))
                .select(sql::<diesel::sql_types::Nullable<Text>>(family_as_text(c)))
                .first(c)?;
            let family = family
                .map(|f| f.replace('-', ""))
                .unwrap_or_else(new_family);
            let access = insert_access_token(
                c,
                application.id,
                Some(found.user_id),
                &scope,
                Some(found.id),
                now,
                settings,
            )?;
            let refresh =
                insert_refresh_token(c, application.id, found.user_id, access.0, &family, now)?;
            Ok(Ok(Issued {
                access_token: access.1,
                refresh_token: Some(refresh),
                scope,
            }))
        })
    }

    /// Revokes an access token (DOT's `AccessToken.revoke`: the row is
    /// deleted; its refresh token, if any, is revoked too, as DOT's
    /// `revoke_token` does). `application_id` restricts it to one client.
    /// `true` when something was revoked.
    pub fn revoke_access_token(
        &self,
        token: &str,
        application_id: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<bool, StoreError> {
        let checksum = token_checksum(token);
        let mut conn = self.db.connection()?;
        conn.transaction(|c| {
            // Write first, as the refresh does: SQLite takes its write lock
            // now (waiting its busy timeout) rather than failing to upgrade a
            // read lock later.
            diesel::update(at::table.filter(at::token_checksum.eq(&checksum)))
                .set(at::updated.eq(at::updated))
                .execute(c)?;
            let mut query = at::table.filter(at::token_checksum.eq(&checksum)).into_boxed();
            if let Some(id) = application_id {
                query = query.filter(at::application_id.eq(id));
            }
            let Some(id): Option<i64> = query.select(at::id).first(c).optional()? else {
                return Ok(false);
            };
            diesel::update(rt::table.filter(rt::access_token_id.eq(id)))
                .set((rt::revoked.eq(Some(now)), rt::access_token_id.eq(None::<i64>)))
                .execute(c)?;
            diesel::delete(at::table.filter(at::id.eq(id))).execute(c)?;
            Ok(true)
        })
    }

    /// Revokes a refresh token and deletes its access token (DOT's
    /// `RefreshToken.revoke`). `true` when a live one was revoked.
    pub fn revoke_refresh_token(
        &self,
        token: &str,
        application_id: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<bool, StoreError> {
        let checksum = token_checksum(token);
        let mut conn = self.db.connection()?;
        conn.transaction(|c| {
            lock_refresh_tokens(c, &checksum)?;
            let mut query = rt::table
                .filter(rt::token_checksum.eq(&checksum))
                .filter(rt::revoked.is_null())
                .into_boxed();
            if let Some(id) = application_id {
                query = query.filter(rt::application_id.eq(id));
            }
            let Some(found): Option<RefreshToken> =
                query.select(RefreshToken::as_select()).first(c).optional()?
            else {
                return Ok(false);
            };
            let won = diesel::update(
                rt::table
                    .filter(rt::id.eq(found.id))
                    .filter(rt::revoked.is_null()),
            )
            .set((rt::revoked.eq(Some(now)), rt::access_token_id.eq(None::<i64>)))
            .execute(c)?;
            if let Some(access_id) = found.access_token_id {
                diesel::delete(at::table.filter(at::id.eq(access_id))).execute(c)?;
            }
            Ok(won > 0)
        })
    }

    /// DOT's `clear_expired` (`cleartokens`) in batches of at most `batch`
    /// rows, each its own short transaction: revoked refresh tokens older than
    /// `REFRESH_TOKEN_EXPIRE_SECONDS` and those whose access token expired
    /// that long ago, then expired access tokens without a live refresh
    /// token. Returns `(refresh tokens, access tokens)` deleted.
    pub fn clear_expired(
        &self,
        settings: &OAuth2Settings,
        batch: usize,
    ) -> Result<(usize, usize), StoreError> {
        let batch = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let now = settings.now();
        let mut refresh_deleted = 0;
        if let Some(seconds) = settings.refresh_token_expire_seconds {
            let limit = now - TimeDelta::seconds(seconds);
            loop {
                let mut conn = self.db.connection()?;
                let revoked: Vec<i64> = rt::table
                    .filter(rt::revoked.lt(limit))
                    .select(rt::id)
                    .limit(batch)
                    .load(&mut *conn)?;
                let expired: Vec<i64> = rt::table
                    .inner_join(at::table.on(rt::access_token_id.eq(at::id.nullable())))
                    .filter(at::expires.lt(limit))
                    .select(rt::id)
                    .limit(batch)
                    .load(&mut *conn)?;
                let ids: Vec<i64> = revoked.into_iter().chain(expired).collect();
                if ids.is_empty() {
                    break;
                }
                refresh_deleted += conn.transaction(|c| {
                    diesel::update(at::table.filter(at::source_refresh_token_id.eq_any(&ids)))
                        .set(at::source_refresh_token_id.eq(None::<i64>))
                        .execute(c)?;
                    let access: Vec<i64> = rt::table
                        .filter(rt::id.eq_any(&ids))
                        .filter(rt::access_token_id.is_not_null())
                        .select(rt::access_token_id.assume_not_null())
                        .load(c)?;
                    let n = diesel::delete(rt::table.filter(rt::id.eq_any(&ids))).execute(c)?;
                    diesel::delete(at::table.filter(at::id.eq_any(&access))).execute(c)?;
                    Ok::<_, StoreError>(n)
                })?;
                std::thread::sleep(settings.clear_expired_tokens_batch_interval);
            }
        }
        let mut access_deleted = 0;
        loop {
            let mut conn = self.db.connection()?;
            let live_refresh = rt::table
                .filter(rt::access_token_id.is_not_null())
                .select(rt::access_token_id.assume_not_null());
            let ids: Vec<i64> = at::table
                .filter(at::expires.lt(now))
                .filter(at::id.ne_all(live_refresh))
                .select(at::id)
                .limit(batch)
                .load(&mut *conn)?;
            if ids.is_empty() {
                break;
            }
            access_deleted += conn.transaction(|c| {
                diesel::update(rt::table.filter(rt::access_token_id.eq_any(&ids)))
                    .set(rt::access_token_id.eq(None::<i64>))
                    .execute(c)?;
                Ok::<_, StoreError>(diesel::delete(at::table.filter(at::id.eq_any(&ids))).execute(c)?)
            })?;
            std::thread::sleep(settings.clear_expired_tokens_batch_interval);
        }
        Ok((refresh_deleted, access_deleted))
    }
}

/// The first statement of a transaction that reads refresh tokens and then
/// writes: a write on the rows with `checksum` (changing nothing). SQLite
/// then takes its write lock up front, waiting its busy timeout, instead of
/// failing ("database is locked") when a read lock cannot be upgraded; the
/// other backends lock those rows until the transaction ends, so concurrent
/// refreshes of one token run one after the other.
fn lock_refresh_tokens(c: &mut AnyConnection, checksum: &str) -> Result<(), StoreError> {
    diesel::update(rt::table.filter(rt::token_checksum.eq(checksum)))
        .set(rt::updated.eq(rt::updated))
        .execute(c)?;
    Ok(())
}

/// The scopes of a refresh: the original ones, or those asked for when all
/// of them are among the original (oauthlib's `validate_token_request`).
fn narrowed(original: &str, asked: Option<&[&str]>) -> Option<String> {
    match asked {
        None => Some(original.split_whitespace().collect::<Vec<_>>().join(" ")),
        Some(asked) => asked
            .iter()
            .all(|s| original.split_whitespace().any(|o| o == *s))
            .then(|| asked.join(" ")),
    }
}

/// A revoked refresh token presented again: within
/// `REFRESH_TOKEN_GRACE_PERIOD_SECONDS` of a rotation, the pair it produced;
/// otherwise `invalid_grant`. A `reused` token (found revoked, not one that
/// lost a rotation it was racing) refused here revokes its whole family
/// under `REFRESH_TOKEN_REUSE_PROTECTION`, as DOT's `validate_refresh_token`
/// does.
fn grace(
    c: &mut AnyConnection,
    found: &RefreshToken,
    scope: Option<&[&str]>,
    now: NaiveDateTime,
    settings: &OAuth2Settings,
    reused: bool,
) -> Result<Result<Issued, RefreshOutcome>, StoreError> {
    let Some(revoked) = found.revoked else {
        return Ok(Err(RefreshOutcome::Invalid));
    };
    // "Now" is read after the row lock was had: a request that waited for a
    // concurrent rotation must not see that rotation as in its future.
    let now = now.max(settings.now());
    let grace = settings.refresh_token_grace_period_seconds;
    let successor: Option<AccessToken> = at::table
        .filter(at::source_refresh_token_id.eq(found.id))
        .select(AccessToken::as_select())
        .first(c)
        .optional()?;
    let grace_expired = grace <= 0 || revoked <= now - TimeDelta::seconds(grace);
    let successor = match successor {
        Some(successor) if !grace_expired => successor,
        _ => {
            if reused && settings.refresh_token_reuse_protection {
                revoke_family(c, found.id, now)?;
            }
            return Ok(Err(RefreshOutcome::Invalid));
        }
    };
    if narrowed(&successor.scope, scope).is_none() {
        return Ok(Err(RefreshOutcome::InvalidScope));
    }
    let refresh: Option<String> = rt::table
        .filter(rt::access_token_id.eq(successor.id))
        .select(rt::token)
        .first(c)
        .optional()?;
    let Some(refresh) = refresh else {
        return Ok(Err(RefreshOutcome::Invalid));
    };
    Ok(Ok(Issued {
        access_token: successor.token,
        refresh_token: Some(refresh),
        scope: successor.scope,
    }))
}

/// DOT's `RefreshToken.revoke_family`: every live refresh token of the
/// family of refresh token `id` is revoked and the family's access tokens
/// are deleted. Nothing for a token without a family.
fn revoke_family(c: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<(), StoreError> {
    let family: Option<String> = rt::table
        .filter(rt::id.eq(id))
        .select(sql::<diesel::sql_types::Nullable<Text>>(family_as_text(c)))
        .first(c)?;
    let Some(family) = family else {
        return Ok(());
    };
    // Read back from the column: hex digits and dashes only, safe as a
    // literal each backend compares with its own column type.
    if family.is_empty() || !family.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Ok(());
    }
    let in_family = sql::<diesel::sql_types::Bool>(&format!("token_family = '{family}'"));
    let access: Vec<i64> = rt::table
        .filter(in_family.clone())
        .filter(rt::access_token_id.is_not_null())
        .select(rt::access_token_id.assume_not_null())
        .load(c)?;
    diesel::update(rt::table.filter(in_family).filter(rt::revoked.is_null()))
        .set((
            rt::revoked.eq(Some(now)),
            rt::access_token_id.eq(None::<i64>),
            rt::updated.eq(now),
        ))
        .execute(c)?;
    diesel::update(rt::table.filter(rt::access_token_id.eq_any(&access)))
        .set(rt::access_token_id.eq(None::<i64>))
        .execute(c)?;
    diesel::delete(at::table.filter(at::id.eq_any(&access))).execute(c)?;
    Ok(())
}

fn insert_access_token(
    c: &mut AnyConnection,
    application_id: i64,
    user_id: Option<i32>,
    scope: &str,
    source_refresh_token_id: Option<i64>,
    now: NaiveDateTime,
    settings: &OAuth2Settings,
) -> Result<(i64, String), StoreError> {
    let token = generate_token();
    let checksum = token_checksum(&token);
    diesel::insert_into(at::table)
        .values((
            at::user_id.eq(user_id),
            at::source_refresh_token_id.eq(source_refresh_token_id),
            at::token.eq(&token),
            at::token_checksum.eq(&checksum),
            at::application_id.eq(Some(application_id)),
            at::expires.eq(now + TimeDelta::seconds(settings.access_token_expire_seconds)),
            at::scope.eq(scope),
            at::resource.eq(sql::<Text>("'[]'")),
            at::created.eq(now),
            at::updated.eq(now),
        ))
        .execute(c)?;
    let id = at::table
        .filter(at::token_checksum.eq(&checksum))
        .select(at::id)
        .first(c)?;
    Ok((id, token))
}

fn insert_refresh_token(
    c: &mut AnyConnection,
    application_id: i64,
    user_id: i32,
    access_token_id: i64,
    family: &str,
    now: NaiveDateTime,
) -> Result<String, StoreError> {
    let token = generate_token();
    // The family is our own 32 hex digits: safe to write as a literal, which
    // each backend reads into its own column type.
    debug_assert!(family.bytes().all(|b| b.is_ascii_hexdigit()));
    let family: String = family.chars().filter(char::is_ascii_hexdigit).collect();
    diesel::insert_into(rt::table)
        .values((
            rt::user_id.eq(user_id),
            rt::token.eq(&token),
            rt::token_checksum.eq(token_checksum(&token)),
            rt::application_id.eq(application_id),
            rt::access_token_id.eq(Some(access_token_id)),
            rt::resource.eq(sql::<Text>("'[]'")),
            rt::created.eq(now),
            rt::updated.eq(now),
        ))
        .execute(c)?;
    diesel::sql_query(format!(
        "UPDATE oauth2_provider_refreshtoken SET token_family = '{family}' WHERE access_token_id = {access_token_id}"
    ))
    .execute(c)?;
    Ok(token)
}
