//! Django's signing: `django.utils.crypto.salted_hmac` and the
//! `SECRET_KEY` it is keyed with, and Django 5.2's `django.core.signing`
//! ([`Signer`], [`TimestampSigner`], [`dumps`] and [`loads`]), shared by
//! every feature that signs or derives from the secret key: the session auth
//! hash, Django's session data, and the families' signed values, reset tokens
//! and JWT default keys.
//!
//! ```
//! use auth_core::signing::{Algorithm, SecretKey};
//!
//! let key = SecretKey::new("django-insecure-key").unwrap();
//! // Django: salted_hmac("salt", "value", secret="django-insecure-key").hexdigest()
//! let mac = key.salted_hmac("salt", b"value", Algorithm::Sha1);
//! assert_eq!(mac.len(), 20);
//! assert_eq!(key.salted_hmac("salt", b"value", Algorithm::Sha256).len(), 32);
//! ```
//!
//! Values signed here and by Django 5.2 are interchangeable: the same key,
//! salt and time give the same bytes (compressed objects aside: zlib's
//! output is not reproduced byte for byte, but each side reads the other's).
//! Objects travel as JSON written as Python's `json.dumps` writes it; read
//! them as [`JsonValue`] to keep a dict's key order.
//!
//! ```
//! use auth_core::signing::{dumps, loads, JsonValue, SecretKey, SigningError};
//!
//! let key = SecretKey::new("django-insecure-key").unwrap();
//! let old = SecretKey::new("the-previous-key").unwrap();
//! let salt = "django.contrib.sessions.SessionStore";
//! let signed = dumps(&serde_json::json!({"_auth_user_id": "1"}), &old, salt, true).unwrap();
//! // Verifies against SECRET_KEY_FALLBACKS, as Django's loads does.
//! let data: JsonValue = loads(&signed, &key, salt, None, &[old]).unwrap();
//! let JsonValue::Object(session) = data else { unreachable!() };
//! assert_eq!(session.get("_auth_user_id"), Some(&JsonValue::String("1".into())));
//! let err = loads::<JsonValue>(&signed, &key, salt, None, &[]).unwrap_err();
//! assert!(matches!(err, SigningError::BadSignature(_)));
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Digest;

use crate::crypto;

mod encoding;
mod json;
mod signer;
#[cfg(test)]
mod vectors;

pub use encoding::{b62_decode, b62_encode, b64_decode, b64_encode};
pub use json::{from_json, to_json, JsonObject, JsonValue};
pub use signer::{
    base64_hmac, dumps, loads, Clock, Signer, SigningError, TimestampSigner, DUMPS_SALT,
    MAX_DECOMPRESSED_LEN, SIGNER_SALT, TIMESTAMP_SIGNER_SALT,
};

/// The `key_salt` of Django's `AbstractBaseUser.get_session_auth_hash`.
pub const SESSION_AUTH_HASH_SALT: &str =
    "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/// The digest of a `salted_hmac` (Django's `algorithm` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// `sha1`: Django's default for `salted_hmac` (and `Signer` before 3.1;
    /// Django 5.2's `Signer(algorithm="sha1")` still uses it).
    #[default]
    Sha1,
    /// `sha256`: the session auth hash, [`Signer`]'s default since Django 3.1.
    Sha256,
}

/// Django's `SECRET_KEY` (or one of `SECRET_KEY_FALLBACKS`). `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// A secret key; `None` when it is empty (Django refuses to start then).
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        (!key.is_empty()).then_some(SecretKey(key))
    }

    /// The key's bytes, for the families that sign with `SECRET_KEY` itself
    /// (simplejwt's default `SIGNING_KEY`).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Django's `salted_hmac(key_salt, value, secret=<this key>, algorithm)`:
    /// the HMAC of `value` keyed with the digest of `key_salt + secret`.
    pub fn salted_hmac(&self, key_salt: &str, value: &[u8], algorithm: Algorithm) -> Vec<u8> {
        match algorithm {
            Algorithm::Sha256 => {
                crypto::salted_hmac_sha256(key_salt.as_bytes(), value, self.0.as_bytes()).to_vec()
            }
            Algorithm::Sha1 => {
                let key = Sha1::new()
                    .chain_update(key_salt.as_bytes())
                    .chain_update(self.0.as_bytes())
                    .finalize();
                // Any key length is valid for HMAC.
                let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                mac.update(value);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// Django's `user.get_session_auth_hash()` for a user whose stored
    /// password is `password_hash`: `salted_hmac(SESSION_AUTH_HASH_SALT,
    /// password_hash, secret=SECRET_KEY, algorithm="sha256").hexdigest()`.
    /// It changes when the password does, which ends the user's sessions.
    pub fn session_auth_hash(&self, password_hash: &str) -> String {
        crypto::hex(&crypto::salted_hmac_sha256(
            SESSION_AUTH_HASH_SALT.as_bytes(),
            password_hash.as_bytes(),
            self.0.as_bytes(),
        ))
    }

    /// Whether `session_hash` (from a session) is this key's hash of
    /// `password_hash`, compared in constant time.
    pub fn verifies(&self, session_hash: &str, password_hash: &str) -> bool {
        crypto::constant_time_eq(
            session_hash.as_bytes(),
            self.session_auth_hash(password_hash).as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated with Django 5.2:
    /// `salted_hmac("django.core.signing.Signer", "hello", secret="s3cret").hexdigest()`
    /// and the same with `algorithm="sha256"`.
    #[test]
    fn salted_hmac_is_djangos() {
        let key = SecretKey::new("s3cret").unwrap();
        assert_eq!(
            crypto::hex(&key.salted_hmac("django.core.signing.Signer", b"hello", Algorithm::Sha1)),
            SHA1_VECTOR
        );
        assert_eq!(
            crypto::hex(&key.salted_hmac(
                "django.core.signing.Signer",
                b"hello",
                Algorithm::Sha256
            )),
            SHA256_VECTOR
        );
    }

    const SHA1_VECTOR: &str = "4f1e745c75929048b03eb470f366b5e127cc7e05";
    const SHA256_VECTOR: &str = "29cffe62446e76fd96aa44fcad6eb1635821cf9b645e97ccdeef86b933bb9053";
}
