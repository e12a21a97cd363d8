//! DOT's scope permissions (`contrib.rest_framework.permissions`), reading
//! the view's `required_scopes` (`#[view_config(required_scopes = [..])]`).

use actix_web::{web, HttpRequest};
use auth_core::oauth2::AccessToken;
use auth_core::permissions::{Permission, PermissionRequest};

use super::OAuth2;
use crate::authentication::short_type_name;

/// `READ_SCOPE`, `WRITE_SCOPE` and now, from the app's [`OAuth2`] (DOT's
/// defaults without one).
fn scope_names(
    request: &PermissionRequest<'_>,
) -> (String, String, auth_core::oauth2::NaiveDateTime) {
    match request
        .request::<HttpRequest>()
        .and_then(|r| r.app_data::<web::Data<OAuth2>>())
    {
        Some(oauth2) => {
            let s = oauth2.settings();
            (s.read_scope.clone(), s.write_scope.clone(), s.now())
        }
        None => ("read".into(), "write".into(), auth_core::store::now_utc()),
    }
}

/// `token.is_valid(required)` for an OAuth 2.0 `request.auth`; `false` for
/// anything else (DOT denies rather than raises, #1169).
fn token_allows(request: &PermissionRequest<'_>, required: &[String]) -> bool {
    let now = scope_names(request).2;
    request
        .auth()
        .and_then(|auth| auth.get::<AccessToken>())
        .is_some_and(|token| token.is_valid(required, now))
}

fn view_scopes(request: &PermissionRequest<'_>) -> Vec<String> {
    request
        .view()
        .required_scopes()
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// DOT's `TokenHasScope`: the token holds every scope of the view's
/// `required_scopes`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenHasScope;

impl Permission for TokenHasScope {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        token_allows(request, &view_scopes(request))
    }
}

/// DOT's `TokenHasReadWriteScope`: `required_scopes` plus `READ_SCOPE` for
/// GET, HEAD and OPTIONS, `WRITE_SCOPE` otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenHasReadWriteScope;

impl Permission for TokenHasReadWriteScope {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        let (read, write, _) = scope_names(request);
        let mut scopes = view_scopes(request);
        scopes.push(if request.is_safe_method() {
            read
        } else {
            write
        });
        token_allows(request, &scopes)
    }
}

/// DOT's `TokenHasResourceScope`: each of `required_scopes` as
/// `<scope>:read` for safe methods, `<scope>:write` otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenHasResourceScope;

impl Permission for TokenHasResourceScope {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        let (read, write, _) = scope_names(request);
        let kind = if request.is_safe_method() {
            read
        } else {
            write
        };
        let scopes: Vec<String> = view_scopes(request)
            .into_iter()
            .map(|s| format!("{s}:{kind}"))
            .collect();
        token_allows(request, &scopes)
    }
}

/// DOT's `IsAuthenticatedOrTokenHasScope`: a user authenticated by another
/// class, or an OAuth 2.0 token with the view's `required_scopes`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IsAuthenticatedOrTokenHasScope;

impl Permission for IsAuthenticatedOrTokenHasScope {
    fn has_permission(&self, request: &PermissionRequest<'_>) -> bool {
        let authenticated = request.user().is_authenticated();
        let by_oauth2 = request.identity().successful_authenticator()
            == Some(short_type_name::<super::OAuth2Authentication>());
        (authenticated && !by_oauth2) || TokenHasScope.has_permission(request)
    }
}
