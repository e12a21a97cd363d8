//! CONTRACT (skeleton): `AuthStore` is the synchronous facade over the pool that
//! the actix layer calls inside `web::block`. Signatures are fixed; bodies are
//! filled in by the database work.
#![allow(missing_docs, unused_variables)]

use crate::db::{AnyConnection, DbPool, PoolConfig};
use crate::hashers::Hashers;
use crate::models::{NewUser, Token, User};

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL's scheme is unknown, or its backend was not compiled in.
    #[error("{0}")]
    Config(String),
    /// No connection could be had from the pool in time, or connecting failed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// Running migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// `create_user` with a username that exists.
    #[error("Error: That username is already taken.")]
    DuplicateUsername,
    /// `create_user` with an empty or over-long username.
    #[error("Error: {0}")]
    InvalidUsername(String),
}

/// Hook called (inside the creating transaction) after a user row is inserted.
pub type UserCreatedHook =
    std::sync::Arc<dyn Fn(&mut AnyConnection, &User) -> Result<(), StoreError> + Send + Sync>;

/// Users and tokens over an r2d2 pool. Cheap to clone.
#[derive(Clone)]
pub struct AuthStore {
    _pool: DbPool,
}

impl AuthStore {
    pub fn connect(url: &str, config: &PoolConfig) -> Result<Self, StoreError> {
        unimplemented!()
    }
    pub fn from_pool(pool: DbPool) -> Self {
        unimplemented!()
    }
    pub fn with_hashers(self, hashers: Hashers) -> Self {
        unimplemented!()
    }
    pub fn with_auto_create_token(self, on: bool) -> Self {
        unimplemented!()
    }
    pub fn on_user_created(self, hook: UserCreatedHook) -> Self {
        unimplemented!()
    }
    pub fn pool(&self) -> &DbPool {
        unimplemented!()
    }
    pub fn hashers(&self) -> &Hashers {
        unimplemented!()
    }
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        unimplemented!()
    }
    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        unimplemented!()
    }
    pub fn user_by_id(&self, id: i32) -> Result<Option<User>, StoreError> {
        unimplemented!()
    }
    pub fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        unimplemented!()
    }
    pub fn set_password(&self, user_id: i32, raw: &str) -> Result<(), StoreError> {
        unimplemented!()
    }
    pub fn update_last_login(&self, user_id: i32) -> Result<(), StoreError> {
        unimplemented!()
    }
    /// Django's `ModelBackend.authenticate`: exact username; dummy hash for a
    /// missing user; `Some` only when the password checks and the user is
    /// active; rehashes a stored hash that `must_update`.
    pub fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, StoreError> {
        unimplemented!()
    }
    /// `(token, created)`; race-safe, one row per user.
    pub fn token_get_or_create(&self, user_id: i32) -> Result<(Token, bool), StoreError> {
        unimplemented!()
    }
    pub fn token_regenerate(&self, user_id: i32) -> Result<Token, StoreError> {
        unimplemented!()
    }
    pub fn token_delete(&self, user_id: i32) -> Result<bool, StoreError> {
        unimplemented!()
    }
    /// One query, token joined with its user; exact, case-sensitive key match.
    pub fn token_with_user(&self, key: &str) -> Result<Option<(Token, User)>, StoreError> {
        unimplemented!()
    }
}
