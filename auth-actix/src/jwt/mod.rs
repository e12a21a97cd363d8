//! JSON Web Tokens the djangorestframework-simplejwt 5.5.1 way (feature
//! `jwt`): the authentication classes [`JWTAuthentication`] and
//! [`JWTStatelessUserAuthentication`], and simplejwt's views.
//!
//! Configuration is app data: a [`Jwt`] (the [`JwtSettings`] and, with the
//! blacklist on, the [`JwtStore`]) beside the app's
//! [`AuthSettings`](crate::AuthSettings).
//!
//! ```no_run
//! use actix_web::App;
//! use auth_actix::auth_core::jwt::{JwtSettings, JwtStore};
//! use auth_actix::jwt::Jwt;
//! # fn db() -> auth_actix::auth_core::db::Database { unimplemented!() }
//! let settings = JwtSettings::builder().signing_key("secret").blacklist(true).build().unwrap();
//! let jwt = Jwt::new(settings, Some(JwtStore::new(db()))).unwrap();
//! let app = App::new().app_data(jwt).configure(auth_actix::jwt::urls);
//! ```
//!
//! Where simplejwt 5.5.1 answers a 500 we answer better, as its own
//! unreleased changes do or as its issues ask:
//! - a refresh token whose user was deleted: 401 `{"detail": "No active
//!   account found for the given token."}` (the inactive user's answer);
//! - a refresh or sliding token without `jti` while the blacklist is on:
//!   401 `Token has no id`;
//! - `verify` refuses blacklisted tokens whenever the blacklist is on, not
//!   only with `BLACKLIST_AFTER_ROTATION` (#46, #786);
//! - `BLACKLIST_AFTER_ROTATION` without the blacklist is a settings error,
//!   not an `AttributeError` swallowed (#985); the blacklist without its
//!   tables fails [`Jwt::new`];
//! - non-numeric `exp`/`iat`/`nbf` claims are `Token is invalid`.
//! - `JWK_URL`: an issuer that cannot be reached is a 503 (simplejwt: 401
//!   `Token is invalid`, or a 500 for an answer that is not JSON), and a
//!   flood of unknown `kid`s fetches the set at most once per interval
//!   (see [`auth_core::jwt::jwks`]);
//! - invalid credentials read as anonymous, per class, with
//!   [`JWTAuthentication<AsAnonymous>`](AsAnonymous) (#182, #941).

mod authentication;
mod views;

use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::Challenge;
use auth_core::error::{AuthError, ErrorDetail, ErrorKind, Text};
use auth_core::jwt::{DecodingKey, JwtSettings, JwtStore, KeyLookup, TokenError};
use auth_core::StoreError;

pub use auth_core::jwt;
pub use authentication::{
    AsAnonymous, JWTAuthentication, JWTStatelessUserAuthentication, OnInvalid, Refuse,
    TOKEN_USER_KIND,
};
pub use views::{
    token_blacklist, token_obtain_pair, token_obtain_sliding, token_refresh, token_refresh_sliding,
    token_verify, urls,
};

use crate::blocking::run_blocking;
use crate::error::misconfigured;

/// The JWT family's app data: simplejwt's settings and, when the blacklist
/// is on, its store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Jwt(Arc<(JwtSettings, Option<JwtStore>)>);

impl Jwt {
    /// The settings and the blacklist store. With the blacklist on, the
    /// store is required and its tables must exist (a start-up error
    /// otherwise, never a silent pass).
    pub fn new(settings: JwtSettings, store: Option<JwtStore>) -> Result<Self, StoreError> {
        if settings.blacklist() {
            let Some(store) = &store else {
                return Err(StoreError::Config(
                    "the JWT blacklist is on but no JwtStore was given".into(),
                ));
            };
            store.check_tables()?;
        }
        Ok(Jwt(Arc::new((settings, store))))
    }

    /// The settings.
    pub fn settings(&self) -> &JwtSettings {
        &self.0 .0
    }

    /// The blacklist store (with the blacklist on).
    pub fn store(&self) -> Option<&JwtStore> {
        self.0 .1.as_ref()
    }

    /// The app's [`Jwt`].
    pub fn from_request(request: &HttpRequest) -> Result<&Jwt, AuthError> {
        request.app_data::<Jwt>().ok_or_else(|| {
            misconfigured("no JWT settings: add auth_actix::jwt::Jwt::new(..) with App::app_data")
        })
    }
}

fn text(value: impl Into<Text>) -> ErrorDetail {
    ErrorDetail::Text(value.into())
}

/// simplejwt's `AuthenticationFailed` (`DetailDictMixin`): 401
/// `{"detail": …, "code": …}` with `WWW-Authenticate: Bearer realm="api"`.
pub(crate) fn failed(
    settings: &JwtSettings,
    detail: impl Into<Text>,
    code: &'static str,
) -> AuthError {
    AuthError::new(
        ErrorKind::AuthenticationFailed,
        ErrorDetail::Map(vec![
            ("detail".into(), text(detail)),
            ("code".into(), text(code)),
        ]),
    )
    .with_code(code)
    .with_challenge(challenge(settings))
}

/// DRF's plain `AuthenticationFailed` (`{"detail": …}`, no `code`), with
/// simplejwt's challenge.
pub(crate) fn failed_plain(settings: &JwtSettings, detail: &'static str) -> AuthError {
    AuthError::authentication_failed(detail).with_challenge(challenge(settings))
}

/// `InvalidToken(e.args[0])`: `{"detail": message, "code": "token_not_valid"}`,
/// or a 503 when the blacklist could not be read.
pub(crate) fn invalid_token(settings: &JwtSettings, err: TokenError) -> AuthError {
    match err {
        TokenError::Store(store) => AuthError::from(store),
        // Logged where the fetch failed, once per fetch, not per request.
        TokenError::KeysUnavailable => AuthError::service_unavailable(),
        TokenError::NoSigningKey => AuthError::from(StoreError::Config(err.to_string())),
        other => failed(settings, other.to_string(), "token_not_valid"),
    }
}

/// The verifying key of `raw` when the settings verify with `JWK_URL`'s
/// set (`None` otherwise): from the cache on the worker, or fetched off it
/// (see [`auth_core::jwt::jwks`]).
pub(crate) async fn verifying_key(
    settings: &JwtSettings,
    raw: &[u8],
) -> Result<Option<Arc<DecodingKey>>, TokenError> {
    let Some(jwks) = settings.jwks() else {
        return Ok(None);
    };
    match jwks.lookup(raw) {
        KeyLookup::Ready(found) => found.map(Some),
        KeyLookup::Fetch => {
            let (jwks, raw) = (jwks.clone(), raw.to_vec());
            let fetched: Result<Result<Arc<DecodingKey>, TokenError>, AuthError> =
                run_blocking(move || Ok(jwks.key(&raw))).await;
            match fetched {
                Ok(found) => found.map(Some),
                Err(_) => Err(TokenError::KeysUnavailable),
            }
        }
    }
}

/// [`verifying_key`] where blocking is allowed (in a view's blocking job).
pub(crate) fn verifying_key_blocking(
    settings: &JwtSettings,
    raw: &[u8],
) -> Result<Option<Arc<DecodingKey>>, TokenError> {
    settings.jwks().map(|jwks| jwks.key(raw)).transpose()
}

fn challenge(settings: &JwtSettings) -> Challenge {
    Challenge::new(settings.auth_header_types()[0].clone()).realm("api")
}
