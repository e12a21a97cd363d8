//! JSON Web Tokens the djangorestframework-simplejwt 5.5.1 way (feature `jwt`).
//!
//! - [`JwtSettings`]: `SIMPLE_JWT` with simplejwt's defaults; `SIGNING_KEY`
//!   defaults to the site's `SECRET_KEY`.
//! - [`Token`]: simplejwt's `AccessToken`, `RefreshToken`, `SlidingToken`
//!   and `UntypedToken`, one type with a [`TokenClass`]. Claims are
//!   simplejwt's: `token_type`, `exp`, `iat`, `jti` (32 hex digits, a UUID4),
//!   the user id claim as a string (integers from tokens of simplejwt ≤ 5.5.0
//!   are accepted), `refresh_exp` for sliding tokens, `aud` and `iss` when
//!   configured, `hash_password` with `CHECK_REVOKE_TOKEN`.
//! - Decoding checks what PyJWT 2.10 checks, in its order (signature, then a
//!   future `iat` or `nbf`, `exp`, `iss`, `aud`, `sub` and `jti` types), with
//!   `LEEWAY` (default 0: the `jsonwebtoken` crate's own 60 seconds are not
//!   used), then simplejwt's `verify` (the blacklist for refresh and sliding
//!   tokens, `exp`, `jti`, `token_type`).
//! - [`JwtStore`]: the blacklist app's tables
//!   `token_blacklist_outstandingtoken` and `token_blacklist_blacklistedtoken`.
//!
//! ```
//! use auth_core::jwt::{JwtSettings, Token, TokenClass};
//! use auth_core::signing::SecretKey;
//!
//! let settings = JwtSettings::builder()
//!     .secret_key(&SecretKey::new("django-insecure-key").unwrap())
//!     .build()
//!     .unwrap();
//! let refresh = Token::for_user_id(TokenClass::Refresh, &settings, "1", None);
//! let access = refresh.access_token();
//! let raw = access.encode().unwrap();
//! let parsed = Token::parse(TokenClass::Access, raw.as_bytes(), &settings).unwrap();
//! assert_eq!(parsed.user_id().as_deref(), Some("1"));
//! // An access token is no refresh token.
//! let err = Token::parse(TokenClass::Refresh, raw.as_bytes(), &settings).unwrap_err();
//! assert_eq!(err.to_string(), "Token has wrong type");
//! ```

pub mod backend;
pub mod jwks;
mod settings;
mod store;
mod token;

pub use settings::{
    Audience, Clock, JwtAlgorithm, JwtConfigError, JwtSettings, JwtSettingsBuilder, UserIdField,
};
pub use crate::db::migrations::JWT;
pub use jsonwebtoken::DecodingKey;
pub use jwks::{Jwks, JwksOptions, KeyLookup};
pub use store::{user_for_claim, JwtStore, Outstanding};
pub use token::{md5_hash_password, Token};

use crate::db::StoreError;

impl TokenError {
    /// Whether this is one of simplejwt's refusals of the token itself (a
    /// 401 with its message), rather than a failure of the server (the
    /// blacklist unreadable, no signing key, the `JWK_URL` unreachable: a
    /// 503).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            TokenError::Store(_) | TokenError::NoSigningKey | TokenError::KeysUnavailable
        )
    }
}

/// simplejwt's token classes (`AUTH_TOKEN_CLASSES` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenClass {
    /// `AccessToken` (`token_type` `access`).
    Access,
    /// `RefreshToken` (`refresh`): recorded and checked by the blacklist.
    Refresh,
    /// `SlidingToken` (`sliding`): recorded and checked by the blacklist.
    Sliding,
    /// `UntypedToken`: any type (what `verify` uses).
    Untyped,
}

impl TokenClass {
    /// The `token_type` claim (`untyped` for [`TokenClass::Untyped`]).
    pub const fn token_type(self) -> &'static str {
        match self {
            TokenClass::Access => "access",
            TokenClass::Refresh => "refresh",
            TokenClass::Sliding => "sliding",
            TokenClass::Untyped => "untyped",
        }
    }

    /// The Python class name (`AccessToken`), as error `messages` show it.
    pub const fn class_name(self) -> &'static str {
        match self {
            TokenClass::Access => "AccessToken",
            TokenClass::Refresh => "RefreshToken",
            TokenClass::Sliding => "SlidingToken",
            TokenClass::Untyped => "UntypedToken",
        }
    }

    /// Whether the blacklist records and checks tokens of this class
    /// (simplejwt's `BlacklistMixin`).
    pub const fn uses_blacklist(self) -> bool {
        matches!(self, TokenClass::Refresh | TokenClass::Sliding)
    }
}

/// Why a token was refused (simplejwt's `TokenError`), with its message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Any decoding failure but expiry.
    #[error("Token is invalid")]
    Invalid,
    /// PyJWT's `ExpiredSignatureError`.
    #[error("Token is expired")]
    Expired,
    /// No `jti` claim.
    #[error("Token has no id")]
    NoId,
    /// No `token_type` claim.
    #[error("Token has no type")]
    NoType,
    /// Another `token_type`.
    #[error("Token has wrong type")]
    WrongType,
    /// A time claim is missing (`Token has no 'exp' claim`).
    #[error("Token has no '{0}' claim")]
    NoClaim(String),
    /// A time claim has passed (`Token 'refresh_exp' claim has expired`).
    #[error("Token '{0}' claim has expired")]
    ClaimExpired(String),
    /// The token's `jti` is blacklisted.
    #[error("Token is blacklisted")]
    Blacklisted,
    /// No signing key (a verify-only setup asked to issue a token).
    #[error("no JWT signing key is configured")]
    NoSigningKey,
    /// The key set of `JWK_URL` could not be fetched (see [`jwks`]): never a
    /// pass.
    #[error("the key set of JWK_URL could not be fetched")]
    KeysUnavailable,
    /// The blacklist could not be read: never a pass.
    #[error(transparent)]
    Store(#[from] StoreError),
}
