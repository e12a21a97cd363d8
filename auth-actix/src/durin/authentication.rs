//! `DurinTokenAuthentication` (Durin's `durin.auth.TokenAuthentication`).

use std::borrow::Cow;

use actix_web::HttpRequest;
use auth_core::durin::{DurinSettings, DurinStore, Lookup};
use auth_core::error::{messages, AuthError};
use auth_core::identity::{Auth, Authenticated};

use crate::authentication::parse::{single_token, split_credentials};
use crate::authentication::{
    get_authorization_header, refuse_repeated_authorization, AuthResult, Authentication,
    AuthenticationConfig,
};
use crate::blocking::run_query;
use crate::settings::AppSettings;

/// Durin's answer to an expired token (whose row it then deletes).
pub const TOKEN_EXPIRED: &str = "The given token has expired.";

/// Durin's token authentication: `Authorization: <AUTH_HEADER_PREFIX>
/// <token>`, the prefix compared case-insensitively (Python's
/// `bytes.lower()`). Success sets `request.auth` to the token's
/// [`DurinAuth`](auth_core::durin::DurinAuth) (read it with
/// `request.auth().and_then(Auth::get::<DurinAuth>)`).
///
/// Needs [`DurinSettings`] and [`DurinStore`] in the app data (a 500 naming
/// the fix otherwise). The lookup is one indexed query off the worker
/// thread; a store failure is a 503.
#[derive(Debug, Clone, Copy, Default)]
pub struct DurinTokenAuthentication;

impl DurinTokenAuthentication {
    /// Durin's header rules on the raw `Authorization` bytes: `Ok(None)` when
    /// the first word is not `prefix`; the token; or Durin's error (`Invalid
    /// token header. No credentials provided.`, `Invalid token header. Token
    /// string should not contain spaces.`, and `Invalid token.` for a token
    /// that is not UTF-8, where Durin answers 500).
    pub fn parse_header<'h>(header: &'h [u8], prefix: &str) -> Result<Option<&'h str>, AuthError> {
        let Some(split) = split_credentials(header) else {
            return Ok(None);
        };
        if !split.keyword.eq_ignore_ascii_case(prefix.as_bytes()) {
            return Ok(None);
        }
        let token = single_token(&split)?;
        std::str::from_utf8(token)
            .map(Some)
            .map_err(|_| AuthError::authentication_failed(messages::INVALID_TOKEN))
    }
}

impl Authentication for DurinTokenAuthentication {
    async fn authenticate(&self, request: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        let settings = DurinSettings::get(request)?;
        let prefix = settings.auth_header_prefix();
        refuse_repeated_authorization(
            request,
            |value| {
                split_credentials(value)
                    .is_some_and(|s| s.keyword.eq_ignore_ascii_case(prefix.as_bytes()))
            },
            messages::TOKEN_CONTAINS_SPACES,
        )?;
        let header = get_authorization_header(request);
        let Some(token) = Self::parse_header(&header, prefix)? else {
            return Ok(None);
        };
        let store = DurinStore::get(request)?.clone();
        let token = token.to_owned();
        match run_query(move || store.authenticate(&token)).await? {
            Lookup::Missing => Err(AuthError::authentication_failed(messages::INVALID_TOKEN)),
            Lookup::Expired => Err(AuthError::authentication_failed(TOKEN_EXPIRED)),
            Lookup::Valid(found) => {
                let (user, auth) = *found;
                if !user.is_active {
                    return Err(AuthError::authentication_failed(messages::USER_INACTIVE));
                }
                Ok(Some(Authenticated::with_auth(user, Auth::custom(auth))))
            }
        }
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        let prefix = DurinSettings::get(request)
            .map(|settings| settings.auth_header_prefix().to_owned())
            .unwrap_or_else(|_| DurinSettings::default().auth_header_prefix().to_owned());
        Some(Cow::Owned(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &[u8]) -> Result<Option<String>, String> {
        DurinTokenAuthentication::parse_header(header, "Token")
            .map(|t| t.map(str::to_owned))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn durins_header_rules() {
        assert_eq!(parse(b"Token abc"), Ok(Some("abc".into())));
        assert_eq!(parse(b"tOKEN abc"), Ok(Some("abc".into())));
        assert_eq!(parse(b"Bearer abc"), Ok(None));
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(
            parse(b"Token"),
            Err("Invalid token header. No credentials provided.".into())
        );
        assert_eq!(
            parse(b"Token a b"),
            Err("Invalid token header. Token string should not contain spaces.".into())
        );
        assert_eq!(parse(b"Token \xff\xfe"), Err("Invalid token.".into()));
        assert_eq!(
            DurinTokenAuthentication::parse_header(b"bearer x", "Bearer").unwrap(),
            Some("x")
        );
    }
}
