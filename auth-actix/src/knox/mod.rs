//! django-rest-knox 5.1.0 for actix-web (feature `knox`):
//! [`KnoxTokenAuthentication`], the [`login`], [`logout`] and [`logoutall`]
//! views, and the device list knox lacks ([`tokens`], [`revoke_token`]),
//! over knox's own `knox_authtoken` table ([`auth_core::knox`]), so tokens
//! made by a Django site running knox work here and ours work there.
//!
//! Register the [`KnoxStore`] (the app's database and the
//! [`KnoxSettings`], knox's `REST_KNOX`) as app data:
//!
//! ```
//! use actix_web::App;
//! use auth_actix::auth_core::knox::{KnoxSettings, KnoxStore};
//! use auth_actix::auth_core::{AuthStore, PoolConfig};
//! use auth_actix::AuthSettings;
//!
//! let store = AuthStore::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
//! store.migrate().unwrap(); // knox_authtoken too, with the feature on
//! let knox = KnoxStore::new(store.database().clone(), KnoxSettings::default());
//! let settings = AuthSettings::builder().store(store).build().unwrap();
//! let app = App::new()
//!     .app_data(settings)
//!     .app_data(knox)
//!     .configure(auth_actix::knox::urls); // /api/auth/login/, logout/, logoutall/, tokens/
//! ```
//!
//! Answers, as knox's:
//!
//! | request | status | body |
//! |---|---|---|
//! | `POST login/`, authenticated by the view's classes | 200 | `{"expiry": "<DRF datetime>" \| null, "token": "<token>"}` (+ `"user"` with a `USER_SERIALIZER`) |
//! | the same beyond `TOKEN_LIMIT_PER_USER` | 403 | `{"error": "Maximum amount of tokens allowed per user exceeded."}` |
//! | `POST logout/` | 204 | none; the token is deleted |
//! | `POST logoutall/` | 204 | none; every token of the user is deleted |
//! | `Token` and nothing else | 401 | `{"detail": "Invalid token header. No credentials provided."}` |
//! | `Token a b` | 401 | `{"detail": "Invalid token header. Token string should not contain spaces."}` |
//! | an unknown or expired token (its row deleted) | 401 | `{"detail": "Invalid token."}` |
//! | an inactive user | 401 | `{"detail": "User inactive or deleted."}` |
//!
//! `WWW-Authenticate: Token` (knox's `AUTH_HEADER_PREFIX`), keyword
//! case-insensitive. Where we differ from knox: a token that is not UTF-8
//! is 401 `Invalid token.` (knox answers 500, a `UnicodeDecodeError`); the
//! database down is 503 (knox: 500); and see [`auth_core::knox`] for the
//! request path (one query, no scan of the user's other tokens) and the
//! per-user limit under concurrent logins.
//!
//! The device list: `GET tokens/` answers the caller's live tokens, oldest
//! first, `[{"id": "<16 hex>", "created": "…", "expiry": "…" | null,
//! "current": true | false}]` (`current`: the token of this request);
//! `DELETE tokens/<id>/` revokes one (204), and an id that is not one of
//! the caller's tokens is 404 `{"detail": "Not found."}`.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::error::{messages, AuthError};
use auth_core::identity::{Auth, Authenticated};
use auth_core::knox::{ExpiryFormat, TOKEN_LIMIT_MESSAGE};
use auth_core::permissions::IsAuthenticated;
use auth_core::render::{self, datetime_to_representation};
use auth_core::{StoreError, User};
use auth_macros::api_view;
use chrono::NaiveDateTime;
use serde::Serialize;

pub use auth_core::knox::{KnoxSettings, KnoxStore, KnoxToken};

use crate::authentication::parse::split_credentials;
use crate::authentication::{
    get_authorization_header, keyword_matches, refuse_repeated_authorization, AuthResult,
    Authentication, AuthenticationConfig,
};
use crate::blocking::{run_blocking, run_query};
use crate::error::ApiError;
use crate::request::AuthRequest;
use crate::settings::AppSettings;
use crate::site::SiteSettings;
use crate::views::json_response;

/// knox's views and the device list at knox's usual paths (`api/auth/`):
/// `login/` (the app's default authentication classes, as knox's
/// `LoginView`), `logout/`, `logoutall/`, `tokens/` and `tokens/{id}/`.
pub fn urls(config: &mut web::ServiceConfig) {
    config
        .route("/api/auth/login/", web::to(login))
        .route("/api/auth/logout/", web::to(logout))
        .route("/api/auth/logoutall/", web::to(logoutall))
        .route("/api/auth/tokens/", web::to(tokens))
        .route("/api/auth/tokens/{id}/", web::to(revoke_token));
}

impl AppSettings for KnoxStore {
    const REGISTER: &'static str = "add `.app_data(KnoxStore::new(store.database().clone(), \
                                    KnoxSettings::default()))` to the App";
}

/// knox's `TokenAuthentication.authenticate`'s header rules: `Ok(None)`
/// when the first word is not `keyword` (case-insensitive, as knox
/// compares `auth[0].lower()`), else the token or knox's error. A token
/// whose bytes are not UTF-8 is `Invalid token.` (knox answers 500).
pub fn parse_header<'a>(header: &'a [u8], keyword: &str) -> Result<Option<&'a str>, AuthError> {
    let Some(split) = split_credentials(header) else {
        return Ok(None);
    };
    if !keyword_matches(split.keyword, keyword) {
        return Ok(None);
    }
    match (split.credentials, split.extra) {
        (None, _) => Err(AuthError::authentication_failed(
            messages::TOKEN_NO_CREDENTIALS,
        )),
        (Some(_), true) => Err(AuthError::authentication_failed(
            messages::TOKEN_CONTAINS_SPACES,
        )),
        (Some(token), false) => std::str::from_utf8(token)
            .map(Some)
            .map_err(|_| AuthError::authentication_failed(messages::INVALID_TOKEN)),
    }
}

/// knox's `TokenAuthentication`: `Authorization: Token <token>` against
/// `knox_authtoken`. Success sets `request.auth` to the token's
/// [`KnoxToken`] row (`request.auth().and_then(Auth::get::<KnoxToken>)`).
/// Needs the [`KnoxStore`] in the app data.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnoxTokenAuthentication;

impl Authentication for KnoxTokenAuthentication {
    async fn authenticate(&self, request: &HttpRequest, _: &AuthenticationConfig) -> AuthResult {
        let store = KnoxStore::get(request)?;
        let keyword = store.settings().auth_header_prefix();
        refuse_repeated_authorization(
            request,
            |value| split_credentials(value).is_some_and(|s| keyword_matches(s.keyword, keyword)),
            messages::TOKEN_CONTAINS_SPACES,
        )?;
        let header = get_authorization_header(request);
        let Some(token) = parse_header(&header, keyword)? else {
            return Ok(None);
        };
        let store = store.clone();
        let token = token.to_owned();
        match run_query(move || store.authenticate(&token)).await? {
            None => Err(AuthError::authentication_failed(messages::INVALID_TOKEN)),
            Some((_, user)) if !user.is_active => {
                Err(AuthError::authentication_failed(messages::USER_INACTIVE))
            }
            Some((row, user)) => Ok(Some(Authenticated::with_auth(user, Auth::custom(row)))),
        }
    }

    fn authenticate_header(
        &self,
        request: &HttpRequest,
        _: &AuthenticationConfig,
    ) -> Option<Cow<'static, str>> {
        let keyword = KnoxStore::get(request)
            .map(|store| store.settings().auth_header_prefix().to_owned())
            .unwrap_or_else(|_| "Token".to_owned());
        Some(Cow::Owned(keyword))
    }
}

/// A datetime of the tables as DRF renders it (the site's `TIME_ZONE`).
fn render_datetime(request: &HttpRequest, value: NaiveDateTime) -> Result<String, AuthError> {
    let zone = SiteSettings::from_request(request).and_then(SiteSettings::default_timezone);
    datetime_to_representation(&value.and_utc(), zone).map_err(|_| AuthError::server_error())
}

/// The login response's `expiry`, in `EXPIRY_DATETIME_FORMAT`.
fn render_expiry(
    request: &HttpRequest,
    settings: &KnoxSettings,
    expiry: Option<NaiveDateTime>,
) -> Result<Option<String>, AuthError> {
    match (settings.expiry_datetime_format(), expiry) {
        (_, None) => Ok(None),
        (ExpiryFormat::Iso8601, Some(expiry)) => render_datetime(request, expiry).map(Some),
    }
}

/// A JSON body as DRF's `JSONRenderer` writes it.
fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<HttpResponse, ApiError> {
    let body = render::to_json(body).map_err(|_| AuthError::server_error())?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(body))
}

#[derive(Serialize)]
struct LoginBody<'a> {
    expiry: Option<String>,
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<serde_json::Value>,
}

/// knox's `LoginView.post` for a request its view has authenticated (call
/// it from a login view with the authentication classes of your choice):
/// a new token, `200 {"expiry": …, "token": …}`, or knox's 403 `{"error":
/// "Maximum amount of tokens allowed per user exceeded."}`. A new token
/// sets the user's `last_login`, as knox's `user_logged_in` signal does
/// through Django's `update_last_login`.
pub async fn create_token(request: &AuthRequest) -> Result<HttpResponse, ApiError> {
    let store = KnoxStore::get(request)?.clone();
    let Some(user) = request.user().user().cloned() else {
        return Err(AuthError::not_authenticated().into());
    };
    let user_id = user.id;
    let job = store.clone();
    let users = request.settings().store()?.clone();
    // knox sends Django's `user_logged_in`, whose receiver sets `last_login`.
    let create = move || {
        let created = job.create(user_id)?;
        if created.is_some() {
            users.update_last_login(user_id)?;
        }
        Ok(created)
    };
    let created = match run_blocking(create).await {
        Ok(created) => created,
        // Deleted since its authentication: as a stale session would be.
        Err(StoreError::UserNotFound) => return Err(AuthError::not_authenticated().into()),
        Err(err) => return Err(AuthError::from(err).into()),
    };
    let Some(created) = created else {
        return Ok(json_response(
            StatusCode::FORBIDDEN,
            &[("error", TOKEN_LIMIT_MESSAGE)],
        ));
    };
    let settings = store.settings();
    json(
        StatusCode::OK,
        &LoginBody {
            expiry: render_expiry(request, settings, created.row().expiry)?,
            token: created.token(),
            user: settings.user_serializer().map(|serialize| serialize(&user)),
        },
    )
}

/// The [`KnoxToken`] the request authenticated with (knox's
/// `request._auth`), for a view behind [`KnoxTokenAuthentication`].
fn current_token(request: &AuthRequest) -> Result<&KnoxToken, AuthError> {
    request
        .auth()
        .and_then(Auth::get::<KnoxToken>)
        .ok_or_else(AuthError::not_authenticated)
}

/// The user of a view behind `IsAuthenticated`.
fn current_user(request: &AuthRequest) -> Result<&User, AuthError> {
    request
        .user()
        .user()
        .ok_or_else(AuthError::not_authenticated)
}

/// knox's `LoginView`: `POST` with credentials for the app's default
/// authentication classes (knox's default: DRF's
/// `DEFAULT_AUTHENTICATION_CLASSES`), `IsAuthenticated`; see
/// [`create_token`].
#[api_view(POST)]
#[permission_classes(IsAuthenticated)]
pub async fn login(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    create_token(&request).await
}

/// knox's `LogoutView`: deletes the token of the request; 204.
#[api_view(POST)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn logout(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let store = KnoxStore::get(&request)?.clone();
    let digest = current_token(&request)?.digest.clone();
    run_query(move || store.delete(&digest))
        .await
        .map_err(AuthError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// knox's `LogoutAllView`: deletes every token of the user; 204.
#[api_view(POST)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn logoutall(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let store = KnoxStore::get(&request)?.clone();
    let user_id = current_user(&request)?.id;
    run_query(move || store.delete_all(user_id))
        .await
        .map_err(AuthError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize)]
struct DeviceEntry {
    id: String,
    created: String,
    expiry: Option<String>,
    current: bool,
}

/// The device list: the caller's live tokens, oldest first, `[{"id",
/// "created", "expiry", "current"}]`.
#[api_view(GET)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn tokens(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let store = KnoxStore::get(&request)?.clone();
    let current = current_token(&request)?.digest.clone();
    let user_id = current_user(&request)?.id;
    let rows = run_query(move || store.tokens_of(user_id))
        .await
        .map_err(AuthError::from)?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        entries.push(DeviceEntry {
            id: row.id(),
            created: render_datetime(&request, row.created)?,
            expiry: row
                .expiry
                .map(|expiry| render_datetime(&request, expiry))
                .transpose()?,
            current: row.digest == current,
        });
    }
    json(StatusCode::OK, &entries)
}

/// Revokes one of the caller's tokens by its id (the `{id}` of the path):
/// 204; 404 `{"detail": "Not found."}` for an id that is not the caller's.
#[api_view(DELETE)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn revoke_token(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let store = KnoxStore::get(&request)?.clone();
    let user_id = current_user(&request)?.id;
    let id = request
        .match_info()
        .get("id")
        .unwrap_or_default()
        .to_owned();
    let deleted = run_query(move || store.delete_by_id(user_id, &id))
        .await
        .map_err(AuthError::from)?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AuthError::not_found().into())
    }
}
