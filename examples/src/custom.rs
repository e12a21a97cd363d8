//! A custom authentication class: DRF's documentation example, which takes
//! the username from an `X-Username` header.
//!
//! ```python
//! class ExampleAuthentication(authentication.BaseAuthentication):
//!     def authenticate(self, request):
//!         username = request.META.get('HTTP_X_USERNAME')
//!         if not username:
//!             return None
//!         try:
//!             user = User.objects.get(username=username)
//!         except User.DoesNotExist:
//!             raise exceptions.AuthenticationFailed('No such user')
//!         return (user, None)
//! ```
//!
//! Trusting a header the client sends is only sound behind a proxy that sets
//! it and strips it from clients' requests: this class exists to show how a
//! class is written, not as a way to log in.

use actix_web::HttpRequest;
use auth_actix::{
    run_blocking, AuthError, AuthResult, Authenticated, Authentication, AuthenticationConfig,
};

/// The header the username comes from.
pub const HEADER: &str = "X-Username";

/// The failure for a username that names nobody.
pub const NO_SUCH_USER: &str = "No such user";

/// Authenticates the user named by the `X-Username` header (DRF's
/// `ExampleAuthentication`).
///
/// Not attempted when the header is absent or empty; fails with
/// `No such user` when nobody has that username. It has no
/// `WWW-Authenticate` challenge, so its denials are 403s.
#[derive(Debug, Clone, Copy, Default)]
pub struct XUsernameAuthentication;

impl Authentication for XUsernameAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        let Some(value) = request.headers().get(HEADER) else {
            return Ok(None);
        };
        // Django decodes request headers as latin-1: one character per byte.
        let username: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
        if username.is_empty() {
            return Ok(None);
        }
        let store = config.store()?.clone();
        match run_blocking(move || store.user_by_username(&username)).await? {
            Some(user) => Ok(Some(Authenticated::user(user))),
            None => Err(AuthError::authentication_failed(NO_SUCH_USER)),
        }
    }
}
