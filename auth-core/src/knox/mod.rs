//! django-rest-knox 5.1.0's tokens (feature `knox`): many per user, each
//! with its own expiry, stored only as a SHA-512 digest in knox's own
//! `knox_authtoken` table, so a Django site running knox and this library
//! share every token, both ways.
//!
//! - **Tokens** ([`generate_token`]): `TOKEN_PREFIX` followed by 64
//!   lowercase hex characters from the operating system's CSPRNG (knox's
//!   `hexlify(urandom(32))`). The row holds `digest` = lowercase hex
//!   SHA-512 of the token ([`hash_token`]) and `token_key` = its first 15
//!   characters, prefix included ([`token_key`]); the token itself is shown
//!   once, in the login response.
//! - **Authentication** ([`KnoxStore::authenticate`]): one indexed query
//!   (the rows of the token's `token_key`, joined with their user), the
//!   digest compared in constant time with every candidate, an expired
//!   token refused and its row deleted (as knox does), and `AUTO_REFRESH`
//!   honouring `MIN_REFRESH_INTERVAL` and `AUTO_REFRESH_MAX_TTL`.
//! - **Where we differ from knox, on purpose**: knox also deletes every
//!   other expired token of the user on every request (`_cleanup_token`,
//!   one `DELETE` each; knox #21): here authentication touches only the
//!   presented token's row, and [`KnoxStore::purge_expired`] (the
//!   `purge-tokens` command) deletes the rest off the request path. knox
//!   compares digests with Python's `compare_digest` but stops at the first
//!   match; here every candidate is compared. `TOKEN_LIMIT_PER_USER` holds
//!   under concurrent logins (knox counts and inserts without a lock, so
//!   simultaneous logins exceed it): the count and the insert run in one
//!   transaction holding a lock on the user (`SELECT … FOR UPDATE` of the
//!   `auth_user` row on PostgreSQL and MySQL/MariaDB, a write transaction,
//!   `BEGIN IMMEDIATE`, on SQLite).
//! - **A device list** knox lacks: [`KnoxStore::tokens_of`] lists a user's
//!   live tokens with a stable [`KnoxToken::id`] (not the digest, which
//!   is the row's key), and [`KnoxStore::delete_by_id`] revokes one.
//!
//! ```
//! use auth_core::db::Database;
//! use auth_core::knox::{KnoxSettings, KnoxStore};
//! use auth_core::{AuthStore, NewUser, PoolConfig};
//!
//! let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! db.migrate().unwrap();
//! let alice = AuthStore::new(db.clone()).create_user(NewUser::new("alice", None)).unwrap();
//! let knox = KnoxStore::new(db, KnoxSettings::default());
//!
//! let created = knox.create(alice.id).unwrap().expect("no limit set");
//! assert_eq!(created.token().len(), 64);
//! let (token, user) = knox.authenticate(created.token()).unwrap().unwrap();
//! assert_eq!((token.token_key.as_str(), user.id), (&created.token()[..15], alice.id));
//! assert!(knox.delete(&token.digest).unwrap());
//! assert!(knox.authenticate(created.token()).unwrap().is_none());
//! ```

mod settings;
mod store;

use sha2::{Digest, Sha256, Sha512};

pub use settings::{
    Clock, ExpiryFormat, KnoxSettings, KnoxSettingsBuilder, KnoxSettingsError, UserSerializer,
    MAXIMUM_TOKEN_PREFIX_LENGTH,
};
pub use store::{KnoxStore, KnoxToken, NewKnoxToken};

use crate::crypto;

/// knox's `CONSTANTS.TOKEN_KEY_LENGTH`: the characters of a token kept in
/// `token_key`.
pub const TOKEN_KEY_LENGTH: usize = 15;

/// knox's `AUTH_TOKEN_CHARACTER_LENGTH`: the hex characters after the prefix.
pub const AUTH_TOKEN_CHARACTER_LENGTH: usize = 64;

/// knox's `CONSTANTS.DIGEST_LENGTH`: a SHA-512 in hex.
pub const DIGEST_LENGTH: usize = 128;

/// The table's name.
pub const KNOX_TOKEN_TABLE: &str = "knox_authtoken";

/// The message of knox's 403 when `TOKEN_LIMIT_PER_USER` is reached (the
/// body is `{"error": "<this>"}`).
pub const TOKEN_LIMIT_MESSAGE: &str = "Maximum amount of tokens allowed per user exceeded.";

/// A new token: `prefix` then 64 lowercase hex characters from the
/// operating system's CSPRNG (knox's `get_digest_token`).
///
/// # Panics
///
/// If the operating system cannot supply randomness (see
/// [`crypto::fill_random`]).
pub fn generate_token(prefix: &str) -> String {
    let mut bytes = [0u8; AUTH_TOKEN_CHARACTER_LENGTH / 2];
    crypto::fill_random(&mut bytes);
    let mut token = String::with_capacity(prefix.len() + AUTH_TOKEN_CHARACTER_LENGTH);
    token.push_str(prefix);
    token.push_str(&crypto::hex(&bytes));
    token
}

/// knox's `hash_token`: the lowercase hex SHA-512 of the token's UTF-8
/// bytes (the `digest` column).
pub fn hash_token(token: &str) -> String {
    crypto::hex(&Sha512::digest(token.as_bytes()))
}

/// knox's `token[:TOKEN_KEY_LENGTH]`: the first 15 characters (Python
/// slices by character, not byte).
pub fn token_key(token: &str) -> &str {
    match token.char_indices().nth(TOKEN_KEY_LENGTH) {
        Some((end, _)) => &token[..end],
        None => token,
    }
}

/// The device list's id of the token whose digest is `digest`: the first 8
/// bytes of SHA-256 of the digest, in hex (16 characters): stable and
/// unique in practice, without showing the digest (the row's primary key).
pub fn token_id(digest: &str) -> String {
    crypto::hex(&Sha256::digest(digest.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_knoxs() {
        let token = generate_token("");
        assert_eq!(token.len(), 64);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(token, generate_token(""));
        let prefixed = generate_token("app_");
        assert_eq!(prefixed.len(), 68);
        assert!(prefixed.starts_with("app_"));
        assert_eq!(token_key(&prefixed), &prefixed[..15]);
    }

    #[test]
    fn digest_and_key_match_knox() {
        // knox 5.1.0: hash_token("abc") and "abc"[:15]
        assert_eq!(
            hash_token("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(hash_token("abc").len(), DIGEST_LENGTH);
        assert_eq!(token_key("0123456789abcdefXYZ"), "0123456789abcde");
        assert_eq!(token_key("short"), "short");
        assert_eq!(token_key("ééééééééééééééééé"), "ééééééééééééééé");
    }

    #[test]
    fn ids_are_stable_and_short() {
        let digest = hash_token("abc");
        assert_eq!(token_id(&digest), token_id(&digest));
        assert_eq!(token_id(&digest).len(), 16);
        assert_ne!(token_id(&digest), token_id(&hash_token("abd")));
    }
}
