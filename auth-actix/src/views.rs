//! Ready-made views: DRF's `obtain_auth_token`, and session `login`,
//! `logout` and `csrf` for browser clients.
//!
//! Each view is written as yours are, with `#[api_view(.., path = "/…")]`:
//! a value that is both a service (registered at its usual path with
//! `.service(view)`) and a handler (`web::resource(path).to(view)`, at any
//! path). Every method reaches the view, so an unsupported one gets DRF's
//! 405 with `Allow`, after authentication, as in DRF.
//!
//! ```
//! use actix_web::{web, App};
//! use auth_actix::views::{csrf, login, logout, obtain_auth_token};
//!
//! let app = App::new()
//!     .service(obtain_auth_token) // POST /api-token-auth/
//!     .service(web::resource("/token/").to(obtain_auth_token))
//!     .service(csrf) // GET /api-auth/csrf/
//!     .service(login) // POST /api-auth/login/
//!     .service(logout); // POST /api-auth/logout/
//!
//! // The four at those paths at once, as each family offers its own routes:
//! let app = App::new().configure(auth_actix::views::urls);
//! ```
//!
//! A browser client first `GET`s [`csrf`] (which sets the `csrftoken`
//! cookie and returns a token), then `POST`s to [`login`] with the token in
//! the `X-CSRFToken` header (or the `csrfmiddlewaretoken` form field), and
//! sends the token with every unsafe request after that; login rotates it,
//! so read the new cookie (or `GET` [`csrf`] again) after logging in. The
//! session views need actix-session's middleware (see
//! [`session`](crate::session)) and a secret key in the settings.
//!
//! The views run the app's `DEFAULT_AUTHENTICATION_CLASSES` first (so a bad
//! `Authorization` header, or a logged-in session without its CSRF token,
//! fails before any password is checked), no permission classes and no
//! throttles (DRF's `ObtainAuthToken` sets `permission_classes = ()` and
//! `throttle_classes = ()`; the session views follow it). The
//! password check and every query run on the blocking thread pool; a store
//! that cannot be reached is a 503, never a 500.

/// Every view of this module at its usual path (DRF's `rest_framework.urls`
/// plus `obtain_auth_token` at `api-token-auth/`), for `App::configure` or a
/// scope's `configure`. Each family offers the same: one function with its
/// routes.
pub fn urls(config: &mut web::ServiceConfig) {
    config.service((obtain_auth_token, csrf, login, logout));
}

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::error::{messages, AuthError};
use auth_core::sessions::SESSION_USER_ID_KEY;
use auth_core::{AuthStore, StoreError, User};
use auth_macros::api_view;

use crate::blocking::run_blocking;
use crate::csrf::{self as csrf_check, enforce_csrf, CSRF_FORM_FIELD};
use crate::error::{missing_settings, push_json_str, ApiError};
use crate::fields::{non_field_error, Credentials};
use crate::metadata::{FieldInfo, Metadata};
use crate::parsers::{
    content_type, is_form_post, parse_async, read_body, request_data, RequestData,
    CREDENTIAL_PARSERS,
};
use crate::settings::AuthSettings;

/// A compact JSON object of string members, as DRF's `JSONRenderer` writes it.
pub(crate) fn json_response(status: StatusCode, members: &[(&str, &str)]) -> HttpResponse {
    let mut body = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        push_json_str(&mut body, name);
        body.push(':');
        push_json_str(&mut body, value);
    }
    body.push('}');
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body)
}

/// The settings a view runs with (present: `dispatch` checked).
fn settings_of(request: &HttpRequest) -> Result<&AuthSettings, ApiError> {
    AuthSettings::from_request(request).ok_or_else(missing_settings)
}

/// Django's `authenticate(username, password)`, then `then` with the user,
/// in one blocking task. Wrong credentials, an inactive user, or a user
/// deleted before `then` ran: 400 `{"non_field_errors": ["Unable to log in
/// with provided credentials."]}` (`AuthTokenSerializer.validate`).
pub(crate) async fn authenticate_and<T: Send + 'static>(
    settings: &AuthSettings,
    credentials: Credentials,
    then: impl FnOnce(&AuthStore, &User) -> Result<T, StoreError> + Send + 'static,
) -> Result<(User, T), ApiError> {
    let store = settings.store()?.clone();
    let outcome = run_blocking(move || {
        let Some(user) = store.authenticate(&credentials.username, &credentials.password)? else {
            return Ok(None);
        };
        then(&store, &user).map(|value| Some((user, value)))
    })
    .await;
    match outcome {
        Ok(Some(found)) => Ok(found),
        // Wrong credentials, or the user was deleted in between.
        Ok(None) | Err(StoreError::UserNotFound) => {
            Err(non_field_error(messages::UNABLE_TO_LOG_IN).into())
        }
        Err(err) => Err(AuthError::from(err).into()),
    }
}

// ----------------------------------------------------------------------------
// obtain_auth_token

/// DRF's `obtain_auth_token` (`ObtainAuthToken`): `POST` a `username` and a
/// `password` (JSON, form or multipart), get the user's token:
/// `200 {"token": "<key>"}`. The same key on every login; the first login of
/// a user without a token creates it (once, even under concurrent logins).
///
/// - Wrong credentials, or an inactive user: 400
///   `{"non_field_errors": ["Unable to log in with provided credentials."]}`.
/// - Field errors (both fields at once): 400 `{"username": ["This field is
///   required."], "password": [...]}`, with DRF's `CharField` rules (see
///   [`fields`](crate::fields)); body errors (415, 400 `JSON parse error - …`,
///   413) as in [`parsers`](crate::parsers).
/// - `GET` and the rest: 405 `Method "GET" not allowed.` with `Allow: POST,
///   OPTIONS`; `OPTIONS` answers DRF's metadata for the view.
///
/// Registered at `/api-token-auth/` by `.service(obtain_auth_token)`.
// DRF's `ObtainAuthToken` has no docstring: an empty description.
#[api_view(
    POST,
    path = "/api-token-auth/",
    description = "",
    metadata = OBTAIN_AUTH_TOKEN_METADATA
)]
#[permission_classes()]
#[throttle_classes()]
pub async fn obtain_auth_token(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let settings = settings_of(&request)?;
    let data = request_data(
        &request,
        &mut payload.into_inner(),
        &CREDENTIAL_PARSERS,
        settings.site().body_limits(),
    )
    .await?;
    let credentials = Credentials::from_data(&data)?;
    let (_, (token, _)) = authenticate_and(settings, credentials, |store, user| {
        store.token_get_or_create(user.id)
    })
    .await?;
    Ok(json_response(StatusCode::OK, &[("token", &token.key)]))
}

/// What DRF's `SimpleMetadata` says of `ObtainAuthToken` beyond its name: its
/// own renderer and parsers, and `AuthTokenSerializer`'s fields.
const OBTAIN_AUTH_TOKEN_METADATA: Metadata = Metadata::new()
    .renders(&["application/json"])
    .parses(&[
        CREDENTIAL_PARSERS[0].media_type(),
        CREDENTIAL_PARSERS[1].media_type(),
        CREDENTIAL_PARSERS[2].media_type(),
    ])
    .serializer(&[
        FieldInfo::new("username", "string", "Username"),
        FieldInfo::new("password", "string", "Password"),
        FieldInfo::new("token", "string", "Token").read_only(),
    ]);

// ----------------------------------------------------------------------------
// Session views

/// Django's CSRF check on the request, with `data` its parsed body (whose
/// `csrfmiddlewaretoken` counts for a form `POST`): 403 `CSRF Failed: …`.
fn check_csrf(
    request: &HttpRequest,
    settings: &AuthSettings,
    data: Option<&RequestData>,
) -> Result<(), AuthError> {
    let form_token = data
        .filter(|_| is_form_post(request))
        .and_then(|data| data.form_field(CSRF_FORM_FIELD));
    enforce_csrf(
        request,
        settings.csrf(),
        settings.site(),
        form_token.as_deref(),
    )
    .map_err(|reason| AuthError::permission_denied_with(format!("CSRF Failed: {reason}")))
}

/// A JSON response that also carries the CSRF cookie when the request asked
/// for one (Django's `CsrfViewMiddleware.process_response`).
fn with_csrf_cookie(
    request: &HttpRequest,
    settings: &AuthSettings,
    mut response: HttpResponse,
) -> HttpResponse {
    csrf_check::process_response(request, settings.csrf(), response.headers_mut());
    response
}

/// Log in to a session: `POST` a `username` and a `password` (JSON, form
/// or multipart); `200 {"user": "<username>"}`.
///
/// As Django's `LoginView`, it is CSRF-protected for every caller, logged in
/// or not: send the token from [`csrf`] (403 `CSRF Failed: <reason>`
/// otherwise, checked before the credentials). On success the session key is
/// renewed (a key planted before the login is worthless), the session holds
/// the user id and Django's session auth hash, the CSRF secret is rotated
/// (the response sets the new `csrftoken` cookie) and `last_login` is
/// updated. Wrong credentials or an inactive user: 400
/// `{"non_field_errors": ["Unable to log in with provided credentials."]}`;
/// field and body errors as [`obtain_auth_token`]'s.
///
/// Registered at `/api-auth/login/` by `.service(login)`. Needs the session
/// middleware and [`SiteSettingsBuilder::secret_key`](crate::site::SiteSettingsBuilder::secret_key).
#[api_view(
    POST,
    path = "/api-auth/login/",
    description = "Log in to a session with a username and a password."
)]
#[permission_classes()]
#[throttle_classes()]
pub async fn login(request: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let settings = settings_of(&request)?;
    let body = read_body(
        &request,
        &mut payload.into_inner(),
        settings.site().body_limits(),
    )
    .await?;
    let data = parse_async(content_type(&request), body, &CREDENTIAL_PARSERS).await;
    check_csrf(&request, settings, data.as_ref().ok())?;
    let credentials = Credentials::from_data(&data?)?;
    // Configuration errors before any database work.
    settings.site().secret_key()?;
    // Django's `user_logged_in` signal: `update_last_login`.
    let (user, ()) = authenticate_and(settings, credentials, |store, user| {
        store.update_last_login(user.id)
    })
    .await?;
    crate::session::login(&request, &user)?;
    let response = json_response(StatusCode::OK, &[("user", &user.username)]);
    Ok(with_csrf_cookie(&request, settings, response))
}

/// End the session: `POST`; `200 {"detail": "Successfully logged out."}`.
///
/// The session is deleted on the server, so a copy of its cookie opens
/// nothing afterwards. A logged-in session must send its CSRF token (403
/// `CSRF Failed: <reason>` otherwise); logging out without a session needs
/// none. Registered at `/api-auth/logout/` by `.service(logout)`.
#[api_view(POST, path = "/api-auth/logout/", description = "End the session.")]
#[permission_classes()]
#[throttle_classes()]
pub async fn logout(request: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let settings = settings_of(&request)?;
    if crate::session::session_of(&request).contains_key(SESSION_USER_ID_KEY) {
        let data = if is_form_post(&request) {
            let body = read_body(
                &request,
                &mut payload.into_inner(),
                settings.site().body_limits(),
            )
            .await?;
            parse_async(content_type(&request), body, &CREDENTIAL_PARSERS)
                .await
                .ok()
        } else {
            None
        };
        check_csrf(&request, settings, data.as_ref())?;
    }
    crate::session::logout(&request);
    Ok(json_response(
        StatusCode::OK,
        &[("detail", "Successfully logged out.")],
    ))
}

/// The CSRF token for a client: `GET`; `200 {"csrftoken": "<token>"}`, a
/// fresh 64-character masked token, and the `csrftoken` cookie (Django's
/// `get_token`, with Django's cookie attributes from
/// [`AuthSettings::csrf`]: `Max-Age=31449600; Path=/; SameSite=Lax`, not
/// `HttpOnly`, so that JavaScript can also read it). Send the token back in
/// the `X-CSRFToken` header. Registered at `/api-auth/csrf/` by
/// `.service(csrf)`.
#[api_view(
    GET,
    HEAD,
    path = "/api-auth/csrf/",
    description = "A CSRF token, and its cookie."
)]
#[permission_classes()]
#[throttle_classes()]
pub async fn csrf(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let settings = settings_of(&request)?;
    let token = csrf_check::get_token(&request, settings.csrf());
    let response = json_response(StatusCode::OK, &[("csrftoken", &token)]);
    Ok(with_csrf_cookie(&request, settings, response))
}
