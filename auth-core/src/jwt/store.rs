//! [`JwtStore`]: simplejwt's blacklist app on its own tables,
//! `token_blacklist_outstandingtoken` and `token_blacklist_blacklistedtoken`.
//!
//! Rows are written as simplejwt writes them: `jti` the token's, `token`
//! the whole signed token, `created_at` the token's `current_time`
//! (microseconds), `expires_at` its `exp` (whole seconds), `user_id` the
//! user the id claim names (NULL when there is none). A sliding token's row
//! expires at the token's first `exp`, as simplejwt writes it, so
//! `flushexpiredtokens` deletes it while the token is still refreshable
//! (its blacklisting then writes a new row): we match that.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use jsonwebtoken::DecodingKey;

use super::settings::{JwtSettings, UserIdField};
use super::{Token, TokenClass, TokenError};
use crate::db::schema::auth_user;
use crate::db::{self, Database, StoreError};
use crate::models::User;
use crate::store::is_unique_violation;

diesel::table! {
    /// simplejwt's `OutstandingToken`.
    token_blacklist_outstandingtoken (id) {
        id -> BigInt,
        user_id -> Nullable<Integer>,
        #[max_length = 255]
        jti -> Varchar,
        token -> Text,
        created_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// simplejwt's `BlacklistedToken`.
    token_blacklist_blacklistedtoken (id) {
        id -> BigInt,
        token_id -> BigInt,
        blacklisted_at -> Timestamp,
    }
}

diesel::joinable!(token_blacklist_blacklistedtoken -> token_blacklist_outstandingtoken (token_id));
diesel::allow_tables_to_appear_in_same_query!(
    token_blacklist_blacklistedtoken,
    token_blacklist_outstandingtoken
);

use token_blacklist_blacklistedtoken as blacklisted;
use token_blacklist_outstandingtoken as outstanding;

/// The user a token's id claim names (`User.objects.get(**{USER_ID_FIELD:
/// claim})`), if any.
pub fn user_for_claim(
    users: &crate::AuthStore,
    settings: &JwtSettings,
    claim: &str,
) -> Result<Option<User>, StoreError> {
    match settings.user_id_field() {
        UserIdField::Id => match claim.parse::<i32>() {
            Ok(id) => users.user_by_id(id),
            Err(_) => Ok(None),
        },
        UserIdField::Username => users.user_by_username(claim),
    }
}

/// One `OutstandingToken` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Outstanding {
    /// The row id.
    pub id: i64,
    /// The user (NULL once deleted, or when the claim named nobody).
    pub user_id: Option<i32>,
    /// The token's `jti`.
    pub jti: String,
    /// The signed token.
    pub token: String,
    /// When the token was made (UTC).
    pub created_at: Option<NaiveDateTime>,
    /// The token's `exp` (UTC).
    pub expires_at: NaiveDateTime,
}

/// The blacklist over one [`Database`]. Cheap to clone; every method is
/// synchronous (run it off the async worker) and takes a pooled connection
/// for its queries only.
#[derive(Clone)]
pub struct JwtStore {
    db: Database,
}

impl fmt::Debug for JwtStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtStore").field("db", &self.db).finish()
    }
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(6)
}

impl JwtStore {
    /// The blacklist tables of `db`.
    pub fn new(db: Database) -> Self {
        JwtStore { db }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Checks that both tables exist (a start-up check: the blacklist
    /// configured without its tables must not pass silently).
    pub fn check_tables(&self) -> Result<(), StoreError> {
        let mut conn = self.db.connection()?;
        let checked: Result<Vec<i64>, diesel::result::Error> = db::on_backend!(&mut *conn, |c| {
            outstanding::table
                .select(outstanding::id)
                .limit(0)
                .load::<i64>(c)
                .and_then(|_| blacklisted::table.select(blacklisted::id).limit(0).load::<i64>(c))
        });
        checked.map(drop).map_err(|err| {
            StoreError::Config(format!(
                "the simplejwt blacklist tables are missing (run `migrate`): {err}"
            ))
        })
    }

    /// The primary key of the user the id claim names, if any.
    fn user_pk(conn: &mut db::AnyConnection, settings: &JwtSettings, token: &Token) -> Result<Option<i32>, StoreError> {
        let Some(claim) = token.user_id() else {
            return Ok(None);
        };
        Ok(match settings.user_id_field() {
            UserIdField::Id => match claim.parse::<i32>() {
                Ok(id) => db::on_backend!(&mut *conn, |c| auth_user::table
                    .filter(auth_user::id.eq(id))
                    .select(auth_user::id)
                    .first::<i32>(c)
                    .optional()?),
                Err(_) => None,
            },
            UserIdField::Username => db::on_backend!(&mut *conn, |c| auth_user::table
                .filter(auth_user::username.eq(&claim))
                .select(auth_user::id)
                .first::<i32>(c)
                .optional()?),
        })
    }

    fn insert_row(
        conn: &mut db::AnyConnection,
        token: &Token,
        user_id: Option<i32>,
    ) -> Result<Result<(), diesel::result::Error>, StoreError> {
        let jti = token.jti().ok_or(StoreError::Config("a token without jti".into()))?;
        let exp = token
            .exp()
            .ok_or(StoreError::Config("a token without exp".into()))?;
        let signed = token
            .encode()
            .map_err(|err| StoreError::Config(err.to_string()))?;
        Ok(diesel::insert_into(outstanding::table)
            .values((
                outstanding::user_id.eq(user_id),
                outstanding::jti.eq(jti),
                outstanding::token.eq(&signed),
                outstanding::created_at.eq(Some(naive(token.current_time()))),
                outstanding::expires_at.eq(naive(exp)),
            ))
            .execute(conn)
            .map(drop))
    }

    /// `for_user(user)` of a blacklisted class (refresh, sliding): the
    /// token, and its `OutstandingToken` row (`objects.create`).
    pub fn for_user(&self, class: TokenClass, settings: &JwtSettings, user: &User) -> Result<Token, StoreError> {
        let token = Token::for_user(class, settings, user);
        if class.uses_blacklist() && settings.blacklist() {
            let mut conn = self.db.connection()?;
            Self::insert_row(&mut conn, &token, Some(user.id))??;
        }
        Ok(token)
    }

    /// `outstand()`: the token's row, created (for the user its claim names)
    /// unless one exists for its `jti` (`get_or_create`). Returns the row id.
    pub fn outstand(&self, token: &Token) -> Result<i64, StoreError> {
        let mut conn = self.db.connection()?;
        let jti = token.jti().ok_or(StoreError::Config("a token without jti".into()))?;
        let find = |conn: &mut db::AnyConnection| -> Result<Option<i64>, StoreError> {
            Ok(db::on_backend!(&mut *conn, |c| outstanding::table
                .filter(outstanding::jti.eq(jti))
                .select(outstanding::id)
                .first::<i64>(c)
                .optional()?))
        };
        if let Some(id) = find(&mut conn)? {
            return Ok(id);
        }
        let user = Self::user_pk(&mut conn, token.settings(), token)?;
        match Self::insert_row(&mut conn, token, user)? {
            Ok(()) => {}
            // Another request made it in between.
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        find(&mut conn)?.ok_or(StoreError::UserNotFound)
    }

    /// `blacklist()`: outstands the token, then blacklists its row
    /// (`get_or_create` both: blacklisting twice is fine).
    pub fn blacklist(&self, token: &Token) -> Result<(), StoreError> {
        let id = self.outstand(token)?;
        let mut conn = self.db.connection()?;
        let inserted = diesel::insert_into(blacklisted::table)
            .values((
                blacklisted::token_id.eq(id),
                blacklisted::blacklisted_at.eq(naive(token.settings().now())),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// `BlacklistedToken.objects.filter(token__jti=jti).exists()`.
    pub fn is_blacklisted(&self, jti: &str) -> Result<bool, StoreError> {
        let mut conn = self.db.connection()?;
        let found: Option<i64> = db::on_backend!(&mut *conn, |c| blacklisted::table
            .inner_join(outstanding::table)
            .filter(outstanding::jti.eq(jti))
            .select(blacklisted::id)
            .first(c)
            .optional()?);
        Ok(found.is_some())
    }

    /// `TokenClass(raw)` with the blacklist checked (for refresh and
    /// sliding tokens, when it is on).
    pub fn parse(&self, class: TokenClass, raw: &[u8], settings: &JwtSettings) -> Result<Token, TokenError> {
        Token::parse_with(class, raw, settings, None, |jti| self.is_blacklisted(jti))
    }

    /// [`parse`](Self::parse) with a verifying key (from `JWK_URL`'s set).
    pub fn parse_with_key(
        &self,
        class: TokenClass,
        raw: &[u8],
        settings: &JwtSettings,
        key: Option<&DecodingKey>,
    ) -> Result<Token, TokenError> {
        Token::parse_with(class, raw, settings, key, |jti| self.is_blacklisted(jti))
    }

    /// The row of `jti`, if any.
    pub fn outstanding(&self, jti: &str) -> Result<Option<Outstanding>, StoreError> {
        let mut conn = self.db.connection()?;
        Ok(db::on_backend!(&mut *conn, |c| outstanding::table
            .filter(outstanding::jti.eq(jti))
            .first::<Outstanding>(c)
            .optional()?))
    }

    /// `flushexpiredtokens`: deletes the rows whose `expires_at` is at or
    /// before `now`, and their blacklist entries (Django cascades in
    /// Python; a Django-made table has no `ON DELETE`). Returns how many
    /// outstanding rows went.
    pub fn flush_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let now = naive(now);
        let mut conn = self.db.connection()?;
        let expired = outstanding::table
            .filter(outstanding::expires_at.le(now))
            .select(outstanding::id);
        diesel::delete(blacklisted::table.filter(blacklisted::token_id.eq_any(expired)))
            .execute(&mut *conn)?;
        Ok(
            diesel::delete(outstanding::table.filter(outstanding::expires_at.le(now)))
                .execute(&mut *conn)?,
        )
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::signing::SecretKey;
    use crate::{AuthStore, NewUser, PoolConfig};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    fn setup() -> (JwtStore, JwtSettings, User, Arc<AtomicI64>) {
        let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
        db.migrate().unwrap();
        let users = AuthStore::new(db.clone());
        let user = users.create_user(NewUser::new("alice", Some("pw".into()))).unwrap();
        let clock = Arc::new(AtomicI64::new(1_700_000_000));
        let at = clock.clone();
        let settings = JwtSettings::builder()
            .secret_key(&SecretKey::new("k").unwrap())
            .blacklist(true)
            .clock(Arc::new(move || {
                DateTime::from_timestamp(at.load(Ordering::SeqCst), 0).unwrap()
            }))
            .build()
            .unwrap();
        (JwtStore::new(db), settings, user, clock)
    }

    #[test]
    fn issued_tokens_are_outstanding_and_blacklisting_refuses_them() {
        let (store, settings, user, clock) = setup();
        store.check_tables().unwrap();
        let refresh = store.for_user(TokenClass::Refresh, &settings, &user).unwrap();
        let row = store.outstanding(refresh.jti().unwrap()).unwrap().unwrap();
        assert_eq!(row.user_id, Some(user.id));
        assert_eq!(row.token, refresh.encode().unwrap());
        assert_eq!(row.expires_at, naive(refresh.exp().unwrap()));
        let raw = refresh.encode().unwrap();
        assert!(store.parse(TokenClass::Refresh, raw.as_bytes(), &settings).is_ok());
        store.blacklist(&refresh).unwrap();
        store.blacklist(&refresh).unwrap();
        let err = store.parse(TokenClass::Refresh, raw.as_bytes(), &settings).unwrap_err();
        assert_eq!(err.to_string(), "Token is blacklisted");
        // Access tokens are never checked nor recorded.
        let access = refresh.access_token().encode().unwrap();
        assert!(store.parse(TokenClass::Access, access.as_bytes(), &settings).is_ok());
        // flushexpiredtokens: nothing before exp, the row and its entry at exp.
        assert_eq!(store.flush_expired(settings.now()).unwrap(), 0);
        clock.store(1_700_000_000 + 86_400, Ordering::SeqCst);
        assert_eq!(store.flush_expired(settings.now()).unwrap(), 1);
        assert!(!store.is_blacklisted(refresh.jti().unwrap()).unwrap());
    }

    #[test]
    fn missing_tables_are_an_error() {
        let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
        let err = JwtStore::new(db).check_tables().unwrap_err();
        assert!(err.to_string().contains("blacklist tables are missing"), "{err}");
    }
}
