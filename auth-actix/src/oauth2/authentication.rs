//! `OAuth2Authentication` (DOT's `contrib.rest_framework.authentication`).

use std::borrow::Cow;

use actix_web::{web, HttpMessage, HttpRequest};
use auth_core::identity::{Auth, Authenticated};
use auth_core::oauth2::Bearer;

use super::OAuth2;
use crate::authentication::{AuthResult, Authentication, AuthenticationConfig};
use crate::blocking::run_query;
use crate::error::misconfigured;
use crate::parsers::form_post_field;

/// DOT's `OAuth2Authentication`: a bearer token from the `Authorization`
/// header, or, when the request has no `Authorization` header at all, the
/// `access_token` parameter of a form POST's body, else of the query string
/// (oauthlib's `get_token_from_header` over its request parameters, where
/// the body's win). Success sets `request.user` to the token's user
/// (`None` for a client credentials token) and `request.auth` to the
/// [`AccessToken`](auth_core::oauth2::AccessToken).
///
/// A missing, unknown or expired token is **not attempted**, as DOT has it:
/// the view answers 401 `Authentication credentials were not provided.` with
/// `WWW-Authenticate: Bearer realm="api",error="invalid_token",error_description="…"`.
/// Unlike DOT, the token of an inactive user is refused the same way.
#[derive(Debug, Clone, Copy, Default)]
pub struct OAuth2Authentication;

/// DOT's `request.oauth2_error`, kept for `authenticate_header`.
#[derive(Debug, Clone, Copy)]
struct OAuth2Error(&'static str);

const INVALID: &str = "The access token is invalid.";
const EXPIRED: &str = "The access token has expired.";

impl OAuth2Authentication {
    /// oauthlib's `get_token_from_header` over DOT's `request.META`: the
    /// second of exactly two whitespace-separated words when the first is
    /// `bearer` (any case); with no `Authorization` header, the query's
    /// `access_token` (the last one). The form body, which oauthlib reads
    /// before the query, is added by [`Authentication::authenticate`].
    pub fn token_from_request(request: &HttpRequest) -> Option<String> {
        let headers = request
            .headers()
            .get_all(actix_web::http::header::AUTHORIZATION);
        let header = crate::authentication::get_authorization_header(request);
        if headers.count() > 0 {
            let text = String::from_utf8_lossy(&header);
            let words: Vec<&str> = text.split_whitespace().collect();
            return match words.as_slice() {
                [kind, token] if kind.eq_ignore_ascii_case("bearer") => Some((*token).to_owned()),
                _ => None,
            };
        }
        auth_core::parsers::query_pairs(request.query_string())
            .into_iter()
            .rev()
            .find(|(name, _)| name == "access_token")
            .map(|(_, value)| value)
    }
}

impl Authentication for OAuth2Authentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        let has_header = request
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION);
        let from_body = if has_header {
            None
        } else {
            form_post_field(request, config.site().body_limits(), "access_token").await?
        };
        let token = from_body.or_else(|| Self::token_from_request(request));
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let Some(oauth2) = request.app_data::<web::Data<OAuth2>>().cloned() else {
            return Err(misconfigured(
                "OAuth2Authentication needs `web::Data<auth_actix::oauth2::OAuth2>` app data",
            ));
        };
        let store = oauth2.store().clone();
        let found = run_query(move || store.authenticating_token(&token)).await?;
        let now = oauth2.settings().now();
        match found {
            Some(Bearer {
                token,
                user,
                has_application: true,
            }) if !token.is_expired(now) => match user {
                Some(user) if user.is_active => {
                    Ok(Some(Authenticated::with_auth(user, Auth::custom(token))))
                }
                // Do better than DOT: an inactive user's token is refused.
                Some(_) => not_attempted(request, INVALID),
                None if token.user_id.is_none() => {
                    Ok(Some(Authenticated::without_user(Auth::custom(token))))
                }
                None => not_attempted(request, INVALID),
            },
            Some(found) if found.token.is_expired(now) => not_attempted(request, EXPIRED),
            _ => not_attempted(request, INVALID),
        }
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        Some(match request.extensions().get::<OAuth2Error>() {
            Some(OAuth2Error(description)) => Cow::Owned(format!(
                "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"{description}\""
            )),
            None => Cow::Borrowed("Bearer realm=\"api\""),
        })
    }
}

fn not_attempted(request: &HttpRequest, description: &'static str) -> AuthResult {
    request.extensions_mut().insert(OAuth2Error(description));
    Ok(None)
}
