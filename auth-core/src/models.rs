//! Django's `auth_user` and DRF's `authtoken_token` rows.
//!
//! CONTRACT (skeleton): field names and types are fixed; the Diesel derives and
//! the redacting `Debug` impls are filled in by the database work.

use chrono::NaiveDateTime;

/// A row of Django's `auth_user` table.
#[derive(Clone)]
pub struct User {
    /// Primary key (`integer` AUTO_INCREMENT / serial / INTEGER PRIMARY KEY).
    pub id: i32,
    /// Django's encoded password (`algorithm$...`). Never shown by `Debug`.
    pub password: String,
    /// Last successful login, UTC.
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
    pub date_joined: NaiveDateTime,
}

/// A row of DRF's `authtoken_token` table.
#[derive(Clone)]
pub struct Token {
    /// The key, up to 40 characters (40 lowercase hex for keys we generate). Never shown by `Debug`.
    pub key: String,
    /// The owner (one token per user).
    pub user_id: i32,
    /// Creation time, UTC.
    pub created: NaiveDateTime,
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
