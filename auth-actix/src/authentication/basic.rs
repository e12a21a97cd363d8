//! `BasicAuthentication`.

use std::borrow::Cow;

use actix_web::http::header::HeaderValue;
use actix_web::HttpRequest;
use auth_core::error::{messages, AuthError};
use auth_core::identity::Authenticated;
use auth_core::AuthStore;

use super::parse::{py_b64decode, split_credentials, utf8_or_latin1};
use super::AuthenticationConfig;
use super::{get_authorization_header, refuse_repeated_authorization, AuthResult, Authentication};
use crate::blocking::run_blocking;
use crate::error::ConfigError;
use crate::http::app_data;

/// HTTP Basic authentication against username and password (DRF's
/// `BasicAuthentication`), with the realm from [`AuthSettings`](crate::AuthSettings) (default `api`).
///
/// The password check runs Django's `ModelBackend` rules in a blocking task:
/// an inactive user gets "Invalid username/password.", as with Django's default backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BasicAuthentication;

impl BasicAuthentication {
    /// Parse an `Authorization` header as DRF does: `Ok(None)` when it is not
    /// a Basic header, else the `(userid, password)` pair or DRF's error.
    pub fn parse_header(header: &[u8]) -> Result<Option<(String, String)>, AuthError> {
        let Some(split) = split_credentials(header) else {
            return Ok(None);
        };
        if !split.keyword.eq_ignore_ascii_case(b"basic") {
            return Ok(None);
        }
        let credentials = match (split.credentials, split.extra) {
            (None, _) => {
                return Err(AuthError::authentication_failed(
                    messages::BASIC_NO_CREDENTIALS,
                ))
            }
            (Some(_), true) => {
                return Err(AuthError::authentication_failed(
                    messages::BASIC_CONTAINS_SPACES,
                ))
            }
            (Some(credentials), false) => credentials,
        };
        let not_base64 = || AuthError::authentication_failed(messages::BASIC_NOT_BASE64);
        let decoded = utf8_or_latin1(py_b64decode(credentials).ok_or_else(not_base64)?);
        let (userid, password) = decoded.split_once(':').ok_or_else(not_base64)?;
        Ok(Some((userid.to_owned(), password.to_owned())))
    }
}

impl Authentication for BasicAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        refuse_repeated_authorization(
            request,
            |value| {
                split_credentials(value).is_some_and(|s| s.keyword.eq_ignore_ascii_case(b"basic"))
            },
            messages::BASIC_CONTAINS_SPACES,
        )?;
        let Some((userid, password)) = Self::parse_header(&get_authorization_header(request))?
        else {
            return Ok(None);
        };
        // Boxed, so that views pay for the password check's future only when
        // there are credentials to check.
        Box::pin(check_password(config.store()?.clone(), userid, password)).await
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        Some(match app_data::<BasicConfig>(request) {
            Some(config) => Cow::Owned(config.header.clone()),
            None => Cow::Borrowed("Basic realm=\"api\""),
        })
    }
}

/// [`BasicAuthentication`]'s own settings (DRF's class attribute
/// `www_authenticate_realm`), registered as app data, for the app or a
/// scope: `.app_data(BasicConfig::new("admin")?)`. Without it the realm is
/// DRF's `api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicConfig {
    realm: String,
    header: String,
}

impl BasicConfig {
    /// The realm sent in `WWW-Authenticate: Basic realm="<realm>"`; one that
    /// cannot be sent in a header is an error.
    pub fn new(realm: impl Into<String>) -> Result<Self, ConfigError> {
        let realm = realm.into();
        let header = format!("Basic realm=\"{realm}\"");
        if HeaderValue::from_str(&header).is_err() {
            return Err(ConfigError::InvalidRealm(realm));
        }
        Ok(BasicConfig { realm, header })
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

/// Django's `authenticate(username, password)` and DRF's checks, off the worker thread.
async fn check_password(store: AuthStore, userid: String, password: String) -> AuthResult {
    match run_blocking(move || store.authenticate(&userid, &password)).await? {
        None => Err(AuthError::authentication_failed(
            messages::INVALID_USERNAME_PASSWORD,
        )),
        Some(user) if !user.is_active => {
            Err(AuthError::authentication_failed(messages::USER_INACTIVE))
        }
        Some(user) => Ok(Some(Authenticated::user(user))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &[u8]) -> Result<Option<(String, String)>, String> {
        BasicAuthentication::parse_header(header).map_err(|e| e.to_string())
    }

    #[test]
    fn not_attempted() {
        for header in [
            &b""[..],
            b"   ",
            b"Token abc",
            b"Basicx YQ==",
            b"Bearer",
            b"\xa0Basic YQ==",
        ] {
            assert_eq!(parse(header), Ok(None), "{header:?}");
        }
    }

    #[test]
    fn messages_are_drfs() {
        let none = Err("Invalid basic header. No credentials provided.".to_owned());
        let spaces =
            Err("Invalid basic header. Credentials string should not contain spaces.".to_owned());
        let b64 = Err("Invalid basic header. Credentials not correctly base64 encoded.".to_owned());
        assert_eq!(parse(b"Basic"), none);
        assert_eq!(parse(b"bAsIc   "), none);
        assert_eq!(parse(b"Basic a b"), spaces);
        assert_eq!(parse(b"Basic am9objpwYXNzd29yZA"), b64);
        assert_eq!(parse(b"Basic am9obg=="), b64, "no colon");
        assert_eq!(parse(b"Basic =a="), b64);
    }

    #[test]
    fn decoding() {
        let pair = |u: &str, p: &str| Ok(Some((u.to_owned(), p.to_owned())));
        assert_eq!(
            parse(b"Basic am9objpwYXNzd29yZA=="),
            pair("john", "password")
        );
        assert_eq!(
            parse(b"basic\tam9objpwYXNzd29yZA==\r\n"),
            pair("john", "password")
        );
        // The first colon splits; the password keeps the rest.
        assert_eq!(parse(b"Basic dTpwOnE6"), pair("u", "p:q:"));
        // Empty username and password are passed on.
        assert_eq!(parse(b"Basic Og=="), pair("", ""));
        // UTF-8, then latin-1.
        assert_eq!(parse(b"Basic w6k6w6k="), pair("é", "é"));
        assert_eq!(parse(b"Basic 6Trp"), pair("é", "é"));
        // Junk characters are skipped, data after the padding ignored.
        assert_eq!(parse(b"Basic am9o!bjpwYQ==junk"), pair("john", "pa"));
    }
}
