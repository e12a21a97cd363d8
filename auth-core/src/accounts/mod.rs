//! The account endpoints' logic without a web framework (feature
//! `accounts`): Djoser's and dj-rest-auth's messages, Django's email
//! validator, the queries and writes the endpoints need over the shared
//! [`AuthStore`], and reset tokens for a stored user.
//!
//! The HTTP views are in `auth_actix::accounts`.

use std::borrow::Cow;

use diesel::prelude::*;

use crate::db::schema::auth_user;
use crate::db::{self, StoreError};
use crate::error::{AuthError, ErrorDetail, Text};
use crate::models::{self, User, EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH};
use crate::reset_tokens::{self, PasswordResetTokenGenerator, ResetSubject};
use crate::store::{now_utc, AuthStore};

mod email_validator;

pub use email_validator::validate_email;

/// Djoser's `constants.Messages`.
pub mod messages {
    /// `INVALID_CREDENTIALS_ERROR`.
    pub const INVALID_CREDENTIALS: &str = "Unable to log in with provided credentials.";
    /// `INVALID_TOKEN_ERROR`.
    pub const INVALID_TOKEN: &str = "Invalid token for given user.";
    /// `INVALID_UID_ERROR`.
    pub const INVALID_UID: &str = "Invalid user id or user doesn't exist.";
    /// `STALE_TOKEN_ERROR` (a 403).
    pub const STALE_TOKEN: &str = "Stale token for given user.";
    /// `PASSWORD_MISMATCH_ERROR`.
    pub const PASSWORD_MISMATCH: &str = "The two password fields didn't match.";
    /// `INVALID_PASSWORD_ERROR`.
    pub const INVALID_PASSWORD: &str = "Invalid password.";
    /// `EMAIL_NOT_FOUND`.
    pub const EMAIL_NOT_FOUND: &str = "User with given email does not exist.";
    /// `CANNOT_CREATE_USER_ERROR`.
    pub const CANNOT_CREATE_USER: &str = "Unable to create account.";
    /// DRF's `EmailField` (Django's `EmailValidator`).
    pub const INVALID_EMAIL: &str = "Enter a valid email address.";
    /// Django's `unique` message for `User.username`.
    pub const USERNAME_TAKEN: &str = "A user with that username already exists.";
}

/// dj-rest-auth 7.2.0's messages, and those of Django's auth forms it
/// answers with.
pub mod dj_rest_auth_messages {
    /// `LoginSerializer.validate`, wrong credentials.
    pub const INVALID_CREDENTIALS: &str = "Unable to log in with provided credentials.";
    /// `LogoutView`.
    pub const LOGGED_OUT: &str = "Successfully logged out.";
    /// `LogoutView` without `SESSION_LOGIN` and without a token.
    pub const LOGOUT_NEEDS_LOGIN: &str =
        "You should be logged in to logout. Check whether the token is passed.";
    /// `PasswordChangeView`.
    pub const PASSWORD_SAVED: &str = "New password has been saved.";
    /// `PasswordResetView`, whether or not the address has an account.
    pub const RESET_SENT: &str = "Password reset e-mail has been sent.";
    /// `PasswordResetConfirmView`.
    pub const PASSWORD_RESET: &str = "Password has been reset with the new password.";
    /// `PasswordResetConfirmSerializer`, for a bad `uid` or `token`.
    pub const INVALID_VALUE: &str = "Invalid value";
    /// Django's `SetPasswordMixin` `password_mismatch` (a curly apostrophe).
    pub const PASSWORD_MISMATCH: &str = "The two password fields didn\u{2019}t match.";
    /// `PasswordChangeSerializer.validate_old_password`.
    pub const OLD_PASSWORD_INCORRECT: &str =
        "Your old password was entered incorrectly. Please enter it again.";
}

/// Field errors in the order a serializer reports them, rendered as DRF's
/// `{"field": ["message", ...], ...}`.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(Text, Vec<Text>)>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `messages` under `field` (appended when the field has some).
    pub fn add(&mut self, field: impl Into<Text>, messages: impl IntoIterator<Item = Text>) {
        let field = field.into();
        let messages: Vec<Text> = messages.into_iter().collect();
        if messages.is_empty() {
            return;
        }
        match self.0.iter_mut().find(|(name, _)| *name == field) {
            Some((_, existing)) => existing.extend(messages),
            None => self.0.push((field, messages)),
        }
    }

    /// Records the error of `result` under `field`; the value if none.
    pub fn take<T>(&mut self, field: &'static str, result: Result<T, Vec<Text>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(messages) => {
                self.add(field, messages);
                None
            }
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else the 400.
    pub fn check(self) -> Result<(), AuthError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// The 400 `ValidationError`.
    pub fn into_error(self) -> AuthError {
        AuthError::validation(ErrorDetail::Map(
            self.0
                .into_iter()
                .map(|(field, messages)| {
                    (
                        field,
                        ErrorDetail::List(messages.into_iter().map(ErrorDetail::Text).collect()),
                    )
                })
                .collect(),
        ))
    }
}

/// DRF's `CharField(max_length=...)` message.
pub fn drf_max_length_message(limit: usize) -> String {
    format!("Ensure this field has no more than {limit} characters.")
}

/// One field's error as a 400: `{"field": ["message"]}`.
pub fn field_error(field: &'static str, message: impl Into<Text>) -> AuthError {
    let mut errors = FieldErrors::new();
    errors.add(field, [message.into()]);
    errors.into_error()
}

/// DRF's `EmailField` on an already-validated string: Django's
/// `EmailValidator`, and the model field's 254-character limit.
pub fn email_errors(value: &str) -> Vec<Text> {
    let mut errors = Vec::new();
    let len = value.chars().count();
    if len > EMAIL_MAX_LENGTH {
        errors.push(Cow::Owned(drf_max_length_message(EMAIL_MAX_LENGTH)));
    }
    if !validate_email(value) {
        errors.push(Cow::Borrowed(messages::INVALID_EMAIL));
    }
    errors
}

/// The username rules of Django's `User.username` as a serializer field
/// checks them, before uniqueness: the length limit, then the characters.
pub fn username_errors(value: &str) -> Vec<Text> {
    let mut errors = Vec::new();
    let len = value.chars().count();
    if len > USERNAME_MAX_LENGTH {
        errors.push(Cow::Owned(drf_max_length_message(USERNAME_MAX_LENGTH)));
    }
    if let Err(found) = models::validate_username(value) {
        for message in found {
            if message == models::INVALID_USERNAME_MESSAGE {
                errors.push(Cow::Borrowed(models::INVALID_USERNAME_MESSAGE));
            }
        }
    }
    errors
}

/// Djoser's `decode_uid` then `User.objects.get(pk=...)`'s conversion: the
/// primary key a link's `uid` names, `None` when it names none.
pub fn uid_to_pk(uid: &str) -> Option<i32> {
    let decoded = reset_tokens::decode_uid(uid)?;
    crate::compat::py_strip(&decoded).parse().ok()
}

/// The `uid` of a link for `user` (`Nw` for 7).
pub fn pk_to_uid(user: &User) -> String {
    reset_tokens::encode_uid(&user.id.to_string())
}

/// Django's `default_token_generator.make_token(user)`.
pub fn make_token(generator: &PasswordResetTokenGenerator, user: &User) -> String {
    let pk = user.id.to_string();
    generator.make_token(&subject(user, &pk))
}

/// Django's `default_token_generator.check_token(user, token)`.
pub fn check_token(generator: &PasswordResetTokenGenerator, user: &User, token: &str) -> bool {
    let pk = user.id.to_string();
    generator.check_token(&subject(user, &pk), token)
}

fn subject<'a>(user: &'a User, pk: &'a str) -> ResetSubject<'a> {
    ResetSubject {
        pk,
        password: &user.password,
        last_login: user.last_login,
        email: &user.email,
    }
}

diesel::define_sql_function!(
    /// SQL `LOWER`.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The columns `user/` may change (`None`: left as is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = auth_user)]
pub struct DetailsChange<'a> {
    /// `username`.
    pub username: Option<&'a str>,
    /// `first_name`.
    pub first_name: Option<&'a str>,
    /// `last_name`.
    pub last_name: Option<&'a str>,
}

/// Django's `_unicode_ci_compare`: equal after NFKC normalisation and
/// Python's `str.casefold()`.
pub fn unicode_ci_eq(a: &str, b: &str) -> bool {
    let fold = |s: &str| {
        crate::compat::py_casefold(
            &icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(s),
        )
    };
    fold(a) == fold(b)
}

/// The account writes and queries of the endpoints, over the core's store
/// (its pool, hashers and user-changed hooks).
#[derive(Debug, Clone)]
pub struct AccountStore {
    store: AuthStore,
}

impl AccountStore {
    /// Over `store`.
    pub fn new(store: AuthStore) -> Self {
        AccountStore { store }
    }

    /// The core store.
    pub fn store(&self) -> &AuthStore {
        &self.store
    }

    /// The users whose email is exactly `email` (compared again here, so
    /// that MySQL's case-insensitive collations do not widen the match),
    /// with `is_active` as given, by id. Djoser's `get_user` expects one
    /// and fails with a 500 on two; every one is returned here.
    pub fn users_by_email(&self, email: &str, is_active: bool) -> Result<Vec<User>, StoreError> {
        if !models::storable(email) || email.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.store.connection()?;
        let found: Vec<User> = db::on_backend!(&mut *conn, |c| auth_user::table
            .filter(auth_user::email.eq(email))
            .filter(auth_user::is_active.eq(is_active))
            .order(auth_user::id)
            .select(User::as_select())
            .load(c)?);
        Ok(found
            .into_iter()
            .filter(|u| crate::crypto::constant_time_eq(u.email.as_bytes(), email.as_bytes()))
            .collect())
    }

    /// Candidates for Django's `email__iexact` lookup: the users whose
    /// email is `email` up to case (SQL `LOWER` on both sides), by id. The
    /// callers compare again in Rust, so that a database collation never
    /// widens the match (MySQL's accent-insensitive ones).
    fn users_by_email_lower(&self, email: &str) -> Result<Vec<User>, StoreError> {
        if !models::storable(email) || email.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.store.connection()?;
        Ok(db::on_backend!(&mut *conn, |c| auth_user::table
            .filter(lower(auth_user::email).eq(lower(email)))
            .order(auth_user::id)
            .select(User::as_select())
            .load(c)?))
    }

    /// Django's `PasswordResetForm.get_users(email)`: the active users with
    /// a usable password whose email matches `email` case-insensitively
    /// (`email__iexact`, then Unicode's caseless comparison,
    /// [`unicode_ci_eq`]), by id. Every one of them gets a reset email.
    pub fn users_for_password_reset(&self, email: &str) -> Result<Vec<User>, StoreError> {
        Ok(self
            .users_by_email_lower(email)?
            .into_iter()
            .filter(|u| {
                u.is_active
                    && crate::hashers::is_password_usable(&u.password)
                    && unicode_ci_eq(email, &u.email)
            })
            .collect())
    }

    /// `User.objects.get(email__iexact=email)` as dj-rest-auth's
    /// `LoginSerializer` runs it: the one user whose email matches `email`
    /// up to case, active or not; `None` for none, and for several (where
    /// Django raises `MultipleObjectsReturned`, a 500).
    pub fn user_by_email_iexact(&self, email: &str) -> Result<Option<User>, StoreError> {
        let mut found: Vec<User> = self
            .users_by_email_lower(email)?
            .into_iter()
            .filter(|u| u.email.to_lowercase() == email.to_lowercase())
            .collect();
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    /// Writes the given `username`, `first_name` and `last_name` (each
    /// only when `Some`) in one `UPDATE`: dj-rest-auth's
    /// `UserDetailsSerializer.update`. [`StoreError::DuplicateUsername`]
    /// when another user has the name.
    pub fn update_details(&self, user_id: i32, change: &DetailsChange<'_>) -> Result<(), StoreError> {
        if change.username.is_none() && change.first_name.is_none() && change.last_name.is_none()
        {
            // Django saves every column again; nothing changes.
            return match self.store.user_by_id(user_id)? {
                Some(_) => Ok(()),
                None => Err(StoreError::UserNotFound),
            };
        }
        let result = self.update(user_id, |c| {
            let target = auth_user::table.find(user_id);
            Ok(db::on_backend!(c, |c| diesel::update(target)
                .set(change)
                .execute(c)?))
        });
        match result {
            Err(StoreError::Database(e)) if crate::store::is_unique_violation(&e) => {
                Err(StoreError::DuplicateUsername)
            }
            other => other,
        }
    }

    /// Every user, by id (Djoser's list for staff).
    pub fn all_users(&self) -> Result<Vec<User>, StoreError> {
        let mut conn = self.store.connection()?;
        Ok(db::on_backend!(&mut *conn, |c| auth_user::table
            .order(auth_user::id)
            .select(User::as_select())
            .load(c)?))
    }

    /// Sets the password (hashed with the store's hashers) and, with
    /// `touch_last_login`, `last_login` to now, in one `UPDATE`: Djoser's
    /// `reset_password_confirm`, after which the token is spent.
    pub fn set_password(
        &self,
        user_id: i32,
        raw: &str,
        touch_last_login: bool,
    ) -> Result<(), StoreError> {
        let encoded = self.store.hashers().make_password(raw);
        self.update(user_id, |c| {
            let target = auth_user::table.find(user_id);
            Ok(if touch_last_login {
                db::on_backend!(c, |c| diesel::update(target)
                    .set((
                        auth_user::password.eq(&encoded),
                        auth_user::last_login.eq(Some(now_utc())),
                    ))
                    .execute(c)?)
            } else {
                db::on_backend!(c, |c| diesel::update(target)
                    .set(auth_user::password.eq(&encoded))
                    .execute(c)?)
            })
        })
    }

    /// Sets the username (and `last_login` with `touch_last_login`):
    /// [`StoreError::DuplicateUsername`] when another user has it.
    pub fn set_username(
        &self,
        user_id: i32,
        username: &str,
        touch_last_login: bool,
    ) -> Result<(), StoreError> {
        let result = self.update(user_id, |c| {
            let target = auth_user::table.find(user_id);
            Ok(if touch_last_login {
                db::on_backend!(c, |c| diesel::update(target)
                    .set((
                        auth_user::username.eq(username),
                        auth_user::last_login.eq(Some(now_utc())),
                    ))
                    .execute(c)?)
            } else {
                db::on_backend!(c, |c| diesel::update(target)
                    .set(auth_user::username.eq(username))
                    .execute(c)?)
            })
        });
        match result {
            Err(StoreError::Database(e)) if crate::store::is_unique_violation(&e) => {
                Err(StoreError::DuplicateUsername)
            }
            other => other,
        }
    }

    /// Sets the email, and `is_active` when given.
    pub fn set_email(
        &self,
        user_id: i32,
        email: &str,
        is_active: Option<bool>,
    ) -> Result<(), StoreError> {
        self.update(user_id, |c| {
            let target = auth_user::table.find(user_id);
            Ok(match is_active {
                Some(active) => db::on_backend!(c, |c| diesel::update(target)
                    .set((
                        auth_user::email.eq(email),
                        auth_user::is_active.eq(active),
                    ))
                    .execute(c)?),
                None => db::on_backend!(c, |c| diesel::update(target)
                    .set(auth_user::email.eq(email))
                    .execute(c)?),
            })
        })
    }

    fn update(
        &self,
        user_id: i32,
        write: impl FnOnce(&mut db::AnyConnection) -> Result<usize, StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.store.connection()?;
        let updated = write(&mut conn);
        // Cached tokens and hooks hear about the change whatever happened.
        self.store.invalidate_cached_tokens(user_id);
        if updated? == 0 {
            return Err(StoreError::UserNotFound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caseless_comparison_as_python() {
        // unicodedata.normalize("NFKC", s).casefold() on both sides.
        assert!(unicode_ci_eq("Ann@Example.COM", "ann@example.com"));
        assert!(unicode_ci_eq("stra\u{df}e@x.de", "STRASSE@x.de"));
        assert!(unicode_ci_eq("\u{ff41}nn@x", "ann@x")); // fullwidth a
        assert!(unicode_ci_eq("\u{3a3}\u{3c2}@x", "\u{3c3}\u{3c3}@x")); // Σ, final ς
        assert!(unicode_ci_eq("\u{ab70}@x", "\u{13a0}@x")); // Cherokee small and capital
        assert!(unicode_ci_eq("\u{b5}@x", "\u{3bc}@x")); // micro sign, mu
        assert!(!unicode_ci_eq("ann@x", "anne@x"));
    }

    #[test]
    fn uids() {
        assert_eq!(uid_to_pk("Nw"), Some(7));
        assert_eq!(uid_to_pk("MTIz"), Some(123));
        assert_eq!(uid_to_pk("zz"), None);
        assert_eq!(uid_to_pk(""), None);
        assert_eq!(uid_to_pk("YWJj"), None); // "abc"
    }

    #[test]
    fn field_errors_keep_their_order() {
        let mut errors = FieldErrors::new();
        errors.add("b", [Cow::Borrowed("one")]);
        errors.add("a", [Cow::Borrowed("two")]);
        errors.add("b", [Cow::Borrowed("three")]);
        errors.add("c", Vec::<Text>::new());
        let err = errors.into_error();
        assert_eq!(
            crate::render::detail_body(err.detail()),
            r#"{"b":["one","three"],"a":["two"]}"#
        );
    }

    #[test]
    fn usernames() {
        assert!(username_errors("carol.b+1@x").is_empty());
        assert_eq!(
            username_errors("a b"),
            [models::INVALID_USERNAME_MESSAGE]
        );
        assert_eq!(
            username_errors(&"a".repeat(151)),
            ["Ensure this field has no more than 150 characters."]
        );
    }
}
