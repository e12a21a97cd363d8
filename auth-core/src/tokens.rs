//! [`TokenStore`]: where token authentication looks a key up (DRF's token
//! `model`), the seam for a custom token table; [`AuthStore`]'s
//! `authtoken_token` by default.

use crate::identity::Auth;
use crate::models::User;
use crate::store::{AuthStore, StoreError};

/// Where tokens are looked up (DRF's token `model`); the default is the
/// [`AuthStore`]'s `authtoken_token` table.
pub trait TokenStore: Send + Sync + 'static {
    /// The token's user and the value for `request.auth`, by exact key.
    /// Called inside a blocking task (it may query a database).
    fn lookup(&self, key: &str) -> Result<Option<(User, Auth)>, StoreError>;

    /// An answer from memory, called on the async worker before
    /// [`lookup`](TokenStore::lookup): `Some` is used as is, without the hop
    /// to the blocking pool; `None` (the default) means "ask `lookup`". It
    /// must not block. The [`AuthStore`] answers from its token cache
    /// ([`AuthStore::with_token_cache`](crate::AuthStore::with_token_cache)) when it has one.
    fn cached(&self, key: &str) -> Option<(User, Auth)> {
        let _ = key;
        None
    }
}

impl TokenStore for AuthStore {
    /// The query, caching what it finds: auth-actix's `TokenAuthentication` has already
    /// asked [`cached`](TokenStore::cached).
    fn lookup(&self, key: &str) -> Result<Option<(User, Auth)>, StoreError> {
        Ok(self
            .token_with_user_queried(key)?
            .map(|(token, user)| (user, Auth::Token(token))))
    }

    fn cached(&self, key: &str) -> Option<(User, Auth)> {
        self.cached_token_with_user(key)
            .map(|(token, user)| (user, Auth::Token(token)))
    }
}

