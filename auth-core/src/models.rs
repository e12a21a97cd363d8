//! Django's `auth_user` and DRF's `authtoken_token` rows, and Django's rules
//! for usernames and email addresses.

use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{auth_user, authtoken_token};

/// A row of Django's `auth_user` table.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = auth_user)]
pub struct User {
    /// Primary key (`integer` AUTO_INCREMENT / identity / INTEGER PRIMARY KEY).
    pub id: i32,
    /// Django's encoded password (`algorithm$...`). Never shown by `Debug`.
    pub password: String,
    /// Last successful login, UTC.
    #[diesel(deserialize_as = crate::db::NullableTimestampColumn)]
    pub last_login: Option<NaiveDateTime>,
    /// Django's `is_superuser`.
    pub is_superuser: bool,
    /// Unique, at most 150 characters.
    pub username: String,
    /// At most 150 characters.
    pub first_name: String,
    /// At most 150 characters.
    pub last_name: String,
    /// At most 254 characters.
    pub email: String,
    /// Django's `is_staff` (what `IsAdminUser` checks).
    pub is_staff: bool,
    /// Inactive users cannot authenticate.
    pub is_active: bool,
    /// When the user was created, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub date_joined: NaiveDateTime,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("password", &"<redacted>")
            .field("last_login", &self.last_login)
            .field("is_superuser", &self.is_superuser)
            .field("username", &self.username)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("email", &self.email)
            .field("is_staff", &self.is_staff)
            .field("is_active", &self.is_active)
            .field("date_joined", &self.date_joined)
            .finish()
    }
}

/// Django's `str(user)`: the username.
impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.username)
    }
}

/// A row of DRF's `authtoken_token` table.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = authtoken_token, primary_key(key), belongs_to(User))]
pub struct Token {
    /// The key, up to 40 characters (40 lowercase hex for keys we generate). Never shown by `Debug`.
    pub key: String,
    /// Creation time, UTC.
    #[diesel(deserialize_as = crate::db::TimestampColumn)]
    pub created: NaiveDateTime,
    /// The owner (one token per user).
    pub user_id: i32,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("key", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("created", &self.created)
            .finish()
    }
}

/// What `AuthStore::create_user` needs.
#[derive(Clone, Default)]
pub struct NewUser {
    /// Required, 1..=150 characters.
    pub username: String,
    /// Raw password; `None` stores an unusable password (`!` + 40 random chars).
    pub password: Option<String>,
    /// Email address (may be empty).
    pub email: String,
    /// First name (may be empty).
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
    /// `is_staff`.
    pub is_staff: bool,
    /// `is_superuser`.
    pub is_superuser: bool,
    /// `is_active` (Django's default is `true`; `Default` here gives `false`, so
    /// use [`NewUser::new`]).
    pub is_active: bool,
}

impl NewUser {
    /// An active, non-staff user with the given username and password.
    pub fn new(username: impl Into<String>, password: Option<String>) -> Self {
        NewUser {
            username: username.into(),
            password,
            is_active: true,
            ..Default::default()
        }
    }
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("is_staff", &self.is_staff)
            .field("is_superuser", &self.is_superuser)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// The `auth_user` row `create_user` inserts (the database assigns `id`).
#[derive(Insertable)]
#[diesel(table_name = auth_user)]
pub(crate) struct UserRow<'a> {
    pub password: &'a str,
    pub last_login: Option<NaiveDateTime>,
    pub is_superuser: bool,
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub is_staff: bool,
    pub is_active: bool,
    pub date_joined: NaiveDateTime,
}

/// An `authtoken_token` row to insert.
#[derive(Insertable)]
#[diesel(table_name = authtoken_token)]
pub(crate) struct TokenRow<'a> {
    pub key: &'a str,
    pub created: NaiveDateTime,
    pub user_id: i32,
}

/// Longest username Django accepts (`max_length=150`).
pub const USERNAME_MAX_LENGTH: usize = 150;
/// Longest email Django accepts (`max_length=254`).
pub const EMAIL_MAX_LENGTH: usize = 254;
/// Longest first or last name Django accepts (`max_length=150`).
pub const NAME_MAX_LENGTH: usize = 150;
/// Longest token key DRF stores (`max_length=40`).
pub const TOKEN_KEY_MAX_LENGTH: usize = 40;

/// Django's `UnicodeUsernameValidator` message.
pub const INVALID_USERNAME_MESSAGE: &str =
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

/// Django's message for an empty username (the field's `blank` error).
pub const BLANK_USERNAME_MESSAGE: &str = "Username cannot be blank.";

/// Django's `ProhibitNullCharactersValidator` message.
pub const NULL_CHARACTERS_MESSAGE: &str = "Null characters are not allowed.";

/// Whether every backend can store `value`: PostgreSQL text cannot hold NUL.
pub fn storable(value: &str) -> bool {
    !value.contains('\0')
}

/// Django's `MaxLengthValidator` message for `limit` (`len` is the actual length).
pub fn max_length_message(limit: usize, len: usize) -> String {
    let unit = if limit == 1 {
        "character"
    } else {
        "characters"
    };
    format!("Ensure this value has at most {limit} {unit} (it has {len}).")
}

/// Validates a username as Django's `User.username` field does, and returns
/// its messages (joined with `"; "` by the management commands).
///
/// The rules: not empty ("Username cannot be blank."), only characters
/// matching Python's `^[\w.@+-]+\Z` (letters, digits and other numerics,
/// `_`, `.`, `@`, `+`, `-`), and at most 150 characters (code points).
pub fn validate_username(username: &str) -> Result<(), Vec<String>> {
    if username.is_empty() {
        return Err(vec![BLANK_USERNAME_MESSAGE.to_owned()]);
    }
    let mut errors = Vec::new();
    if !username.chars().all(is_username_char) {
        errors.push(INVALID_USERNAME_MESSAGE.to_owned());
    }
    let len = username.chars().count();
    if len > USERNAME_MAX_LENGTH {
        errors.push(max_length_message(USERNAME_MAX_LENGTH, len));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether `c` matches Python's `[\w.@+-]` for a `str` pattern.
fn is_username_char(c: char) -> bool {
    matches!(c, '_' | '.' | '@' | '+' | '-') || crate::compat::py_isalnum(c)
}

/// Django's `AbstractBaseUser.normalize_username`: Unicode NFKC, so that
/// visually identical names (`ｂｏｂ`, `bob`) are stored identically.
pub fn normalize_username(username: &str) -> String {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
        .normalize(username)
        .into_owned()
}

/// Django's `BaseUserManager.normalize_email`: lowercases the domain part.
/// A value without `@` is kept as given.
pub fn normalize_email(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((name, domain)) => format!("{name}@{}", domain.to_lowercase()),
        None => email.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let user = User {
            id: 1,
            password: "pbkdf2_sha256$1$salt$SECRETHASH".into(),
            last_login: None,
            is_superuser: false,
            username: "alice".into(),
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            is_staff: false,
            is_active: true,
            date_joined: NaiveDateTime::default(),
        };
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("SECRETHASH") && shown.contains("alice"),
            "{shown}"
        );
        assert_eq!(user.to_string(), "alice");
        let token = Token {
            key: "0123456789abcdef0123456789abcdef01234567".into(),
            created: NaiveDateTime::default(),
            user_id: 1,
        };
        assert!(!format!("{token:?}").contains("0123456789"));
        let new = NewUser::new("bob", Some("hunter2".into()));
        assert!(!format!("{new:?}").contains("hunter2"));
    }

    #[test]
    fn username_rules_match_django() {
        for ok in [
            "alice",
            "a.b@c+d-e_f",
            "Ünïcödé",
            "用户",
            "x²",
            "①",
            "١٢٣",
            "ǅ",
        ] {
            assert_eq!(validate_username(ok), Ok(()), "{ok}");
        }
        for bad in [
            "a b",
            "tab\t",
            "new\n",
            "e\u{301}",
            "Ⓐ",
            "semi;colon",
            "sla/sh",
            "emoji😀",
        ] {
            assert_eq!(
                validate_username(bad),
                Err(vec![INVALID_USERNAME_MESSAGE.to_owned()]),
                "{bad:?}"
            );
        }
        assert_eq!(
            validate_username(""),
            Err(vec!["Username cannot be blank.".to_owned()])
        );
        assert_eq!(validate_username(&"a".repeat(150)), Ok(()));
        assert_eq!(validate_username(&"é".repeat(150)), Ok(()));
        assert_eq!(
            validate_username(&"a".repeat(151)),
            Err(vec![
                "Ensure this value has at most 150 characters (it has 151).".to_owned()
            ])
        );
        assert_eq!(
            validate_username(&"a b".repeat(60)),
            Err(vec![
                INVALID_USERNAME_MESSAGE.to_owned(),
                "Ensure this value has at most 150 characters (it has 180).".to_owned()
            ])
        );
    }

    #[test]
    fn normalization_matches_django() {
        assert_eq!(normalize_username("ｂｏｂ"), "bob");
        assert_eq!(normalize_username("e\u{301}"), "é");
        assert_eq!(normalize_username("ﬁ"), "fi");
        assert_eq!(normalize_email(" Foo@EXAMPLE.com "), "Foo@example.com");
        assert_eq!(normalize_email("noat "), "noat ");
        assert_eq!(normalize_email(""), "");
    }
}
