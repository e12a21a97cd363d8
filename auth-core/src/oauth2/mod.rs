//! OAuth 2.0 the Django OAuth Toolkit way (DOT 3.4.1 on oauthlib 4.0.1),
//! sharing DOT's tables with a live Django site (feature `oauth2`).
//!
//! - **Tables**: `oauth2_provider_application`, `_grant`, `_accesstoken`,
//!   `_refreshtoken` and `_idtoken` (left empty until OpenID Connect), with
//!   Django 5.2's DDL per backend, created by `migrate` when missing
//!   ([`MIGRATIONS`]).
//! - **Tokens**: 30 characters from `[A-Za-z0-9]` (oauthlib's
//!   `generate_token`), stored as DOT stores them: the plaintext `token` and
//!   its SHA-256 `token_checksum`, which every lookup uses ([`token_checksum`]).
//! - **Client secrets**: Django password hashes (`hash_client_secret`),
//!   checked with `check_password`, or in constant time for a legacy
//!   plaintext secret ([`store::check_client_secret`]).
//! - **Resource server**: [`OAuth2Store::access_token`] finds the token, its
//!   application and its user in one query; unlike DOT, the web layer refuses
//!   an inactive user's token.
//! - **Token endpoint** ([`endpoint`]): the `client_credentials`, `password`
//!   and `refresh_token` grants, with oauthlib's checks in oauthlib's order
//!   and its exact JSON bodies. A refresh token used twice at the same moment
//!   yields one new pair: the rotation is a single conditional `UPDATE`, so
//!   exactly one request wins on every backend and the other gets
//!   `invalid_grant` (DOT can answer it 500 on SQLite).
//!
//! ```
//! use auth_core::db::Database;
//! use auth_core::oauth2::{NewApplication, OAuth2Settings, OAuth2Store};
//! use auth_core::{Hashers, PoolConfig};
//!
//! let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! db.migrate().unwrap();
//! let store = OAuth2Store::new(db).with_hashers(Hashers { pbkdf2_iterations: 1_000 });
//! let settings = OAuth2Settings::default();
//! let (app, secret) = store
//!     .create_application(NewApplication::new("confidential", "client-credentials"), settings.now())
//!     .unwrap();
//! assert!(app.client_secret.starts_with("pbkdf2_sha256$"));
//! assert_eq!(secret.len(), 128);
//! let issued = store.issue(app.id, None, "read", false, &settings).unwrap();
//! let found = store.access_token(&issued.access_token).unwrap().unwrap();
//! assert_eq!(found.token.scope, "read");
//! assert!(found.user.is_none());
//! ```

pub use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::crypto;

pub mod commands;
pub mod endpoint;
pub mod redirect;
pub mod schema;
mod settings;
pub mod store;

pub use settings::{Clock, OAuth2Settings, OAuth2SettingsBuilder};
pub use store::{
    AccessToken, Application, Bearer, Grant, Issued, NewApplication, NewGrant, OAuth2Store,
    TokenInfo,
};

/// oauthlib's `generate_token()`: 30 characters from `[A-Za-z0-9]`, from the
/// operating system's CSPRNG (also the authorization code's format).
pub fn generate_token() -> String {
    crypto::random_string(30, crypto::RANDOM_STRING_CHARS)
}

/// DOT's `token_checksum`: `sha256(token utf-8).hexdigest()`.
pub fn token_checksum(token: &str) -> String {
    crypto::hex(&Sha256::digest(token.as_bytes()))
}

/// DOT's five tables (versions `2026-12-05-4000xx`), one of the sets
/// `migrate` runs.
pub use crate::db::migrations::OAUTH2 as MIGRATIONS;

#[cfg(test)]
mod tests;
