//! `SessionAuthentication`.

use actix_session::Session;
use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::identity::Authenticated;
use auth_core::sessions::SESSION_HASH_KEY;
use auth_core::User;

use super::AuthenticationConfig;
use super::{AuthResult, Authentication};
use crate::blocking::run_query;
use crate::csrf::enforce_csrf;
use crate::error::misconfigured;
use crate::parsers::csrf_form_token;
use auth_core::sessions::session_user_id;

/// The logged-in user of an actix-session session (DRF's
/// `SessionAuthentication` over Django's `AuthenticationMiddleware`).
///
/// The session holds the user's id (`_auth_user_id`) and Django's session
/// auth hash of the user's password hash (`_auth_user_hash`, derived with the
/// settings' secret key); [`login`](crate::views::login) writes both.
///
/// - **Misconfigured**: without actix-session's `SessionMiddleware` in front
///   of the view, a 500 that names the fix (printed on stderr once, logged
///   every time), never an anonymous pass.
/// - **Not attempted** (the next class is tried; no CSRF check): no session,
///   no user id in it, a user that no longer exists or is inactive, or a hash
///   that does not match the user's password any more (the password changed:
///   that session is flushed, as Django's `get_user` does: its state is
///   dropped and its key deleted on the server). A hash made with
///   one of the settings' fallback keys is accepted and upgraded to the
///   current key under a fresh session key.
/// - **Success**: `request.user()` is the user, `request.auth()` is `None` —
///   once Django's CSRF checks pass on an unsafe method (anything but `GET`,
///   `HEAD`, `OPTIONS`, `TRACE`), with the `X-CSRFToken` header, or the
///   `csrfmiddlewaretoken` field of a form `POST`, against the `csrftoken`
///   cookie (settings: [`AuthSettings::csrf`](crate::AuthSettings::csrf)).
/// - **Failure**: 403 `{"detail": "CSRF Failed: <Django's reason>"}`, e.g.
///   `CSRF Failed: CSRF token missing.`.
///
/// No `WWW-Authenticate` challenge: a view whose first class is this one
/// answers 403 where Basic would answer 401 (DRF's rule). The session comes
/// from actix-session's `SessionMiddleware` (see [`session`](crate::session)).
/// The form field is read when the view runs through the pipeline (the
/// attribute macros, [`AuthPipeline`](crate::AuthPipeline), the views here);
/// the handler still gets the whole body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionAuthentication;

impl Authentication for SessionAuthentication {
    async fn authenticate(
        &self,
        request: &HttpRequest,
        config: &AuthenticationConfig,
    ) -> AuthResult {
        if !crate::http::middleware_ran(request) {
            return Err(misconfigured(
                "SessionAuthentication runs without actix-session's SessionMiddleware, so \
                 every request would be anonymous: wrap the app or scope in \
                 `auth_actix::session::django_defaults(store, key).build()` (and \
                 `auth_actix::session::FailClosed` outside it)",
            ));
        }
        let session = crate::http::session_of(request);
        let Some(user_id) = session_user_id(&session.entries()) else {
            return Ok(None);
        };
        let Some(user) = Box::pin(session_user(&session, user_id, config)).await? else {
            return Ok(None);
        };
        if !crate::csrf::is_safe_method(request.method()) {
            let form_token = csrf_form_token(request, config.site().body_limits()).await?;
            enforce_csrf(request, config.csrf(), config.site(), form_token.as_deref()).map_err(
                |reason| AuthError::permission_denied_with(format!("CSRF Failed: {reason}")),
            )?;
        }
        Ok(Some(Authenticated::user(user)))
    }
}

/// Django's `get_user(request)`: the session's user if it exists, is active,
/// and the session's hash matches its password; flushes a session whose hash
/// does not match.
pub(crate) async fn session_user(
    session: &Session,
    user_id: i32,
    config: &AuthenticationConfig,
) -> Result<Option<User>, AuthError> {
    let store = config.store()?.clone();
    let Some(user) = run_query(move || store.user_by_id(user_id)).await? else {
        return Ok(None);
    };
    if !user.is_active {
        // `ModelBackend.get_user` refuses inactive users: anonymous, not flushed.
        return Ok(None);
    }
    let key = config.site().secret_key()?;
    let stored = session
        .get::<String>(SESSION_HASH_KEY)
        .ok()
        .flatten()
        .filter(|hash| !hash.is_empty());
    let Some(stored) = stored else {
        flush(session);
        return Ok(None);
    };
    if key.verifies(&stored, &user.password) {
        return Ok(Some(user));
    }
    if config
        .site()
        .secret_key_fallbacks()
        .iter()
        .any(|fallback| fallback.verifies(&stored, &user.password))
    {
        session.renew();
        session
            .insert(SESSION_HASH_KEY, key.session_auth_hash(&user.password))
            .map_err(|err| {
                tracing::error!(error = %err, "the session auth hash could not be stored");
                AuthError::server_error()
            })?;
        return Ok(Some(user));
    }
    tracing::debug!(
        user_id,
        "the session's auth hash does not match the user's password: session flushed"
    );
    flush(session);
    Ok(None)
}

/// Django's `session.flush()`: the state is dropped and the old key deleted
/// on the server; the request goes on with an empty session under a new key
/// (so that a login later in the same request can still write to it, which
/// actix-session's `purge` would prevent).
fn flush(session: &Session) {
    session.clear();
    session.renew();
}
