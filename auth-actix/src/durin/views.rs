//! Durin's views (`durin.views`), at Durin's paths relative to where the
//! scope mounts them.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::compat::py_float_repr;
use auth_core::durin::{AuthToken, Client, DurinAuth, DurinSettings, DurinStore};
use auth_core::error::{AuthError, ErrorDetail};
use auth_core::parsers::{Value, DEFAULT_PARSERS};
use auth_core::render::{datetime_to_representation, to_json};
use auth_core::serializers::fields::Credentials;
use auth_core::StoreError;
use auth_macros::api_view;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::DurinTokenAuthentication;
use crate::blocking::{run_blocking, run_query};
use crate::error::{misconfigured, ApiError};
use crate::parsers::request_data;
use crate::request::AuthRequest;
use crate::settings::{AppSettings, AuthSettings};
use crate::views::authenticate_and;
use auth_core::permissions::IsAuthenticated;

/// Durin's `ValidationError({"detail": message})`: 400 `{"detail": "…"}`.
fn detail_error(message: &'static str) -> AuthError {
    AuthError::validation(ErrorDetail::Map(vec![(
        "detail".into(),
        ErrorDetail::Text(message.into()),
    )]))
}

/// The settings and a handle on the store (500 naming the fix when missing).
fn durin_of(request: &HttpRequest) -> Result<(&DurinSettings, DurinStore), ApiError> {
    Ok((
        DurinSettings::get(request)?,
        DurinStore::get(request)?.clone(),
    ))
}

/// The request's Durin token (`request._auth`): always there behind
/// [`DurinTokenAuthentication`] with `IsAuthenticated`.
fn durin_auth(request: &AuthRequest) -> Result<&DurinAuth, ApiError> {
    request
        .auth()
        .and_then(|auth| auth.get::<DurinAuth>())
        .ok_or_else(|| {
            misconfigured("a Durin view ran without DurinTokenAuthentication's token").into()
        })
}

/// DRF's `DateTimeField().to_representation`, in the site's `TIME_ZONE`.
fn datetime(request: &HttpRequest, value: NaiveDateTime) -> Result<String, ApiError> {
    let zone = AuthSettings::from_request(request)
        .map_or(Some(Default::default()), |s| s.site().default_timezone());
    datetime_to_representation(&value.and_utc(), zone).map_err(|e| {
        tracing::error!(target: "auth_actix::durin", "{e}");
        AuthError::server_error().into()
    })
}

/// `data` rendered by DRF's `JSONRenderer`, with `status`.
fn json<T: Serialize>(status: StatusCode, data: &T) -> Result<HttpResponse, ApiError> {
    let body = to_json(data).map_err(|e| {
        tracing::error!(target: "auth_actix::durin", "{e}");
        ApiError::from(AuthError::server_error())
    })?;
    Ok(HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body))
}

/// DRF's `Response(None, status=204)`: no body, no `Content-Type`.
fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

// ----------------------------------------------------------------------------
// login

/// `request.data.get("client")` as Django's `CharField` looks it up
/// (`str(value)`); `None` when falsy (Durin: `if not client_name`).
fn client_name(value: Option<&Value>) -> Option<Option<String>> {
    match value? {
        Value::Null | Value::Bool(false) => None,
        Value::Str(s) if s.as_str().is_empty() => None,
        Value::Int(i) if i == "0" => None,
        Value::Float(f) if *f == 0.0 => None,
        Value::Str(s) => Some(Some(s.as_str().to_owned())),
        Value::Int(i) => Some(Some(i.clone())),
        Value::Float(f) => Some(Some(py_float_repr(*f))),
        Value::Bool(true) => Some(Some("True".to_owned())),
        // A list, an object or a file: no client has that name.
        Value::List | Value::Dict | Value::File => Some(None),
    }
}

#[derive(Serialize)]
struct LoginUser<'a> {
    username: &'a str,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    expiry: String,
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<LoginUser<'a>>,
}

/// Durin's `LoginView`: `POST` a `username`, a `password` and a `client`
/// name (JSON, form or multipart); `200 {"expiry": "…", "token": "…"}`
/// (plus `"user": {"username": …}` with `USER_SERIALIZER`).
///
/// The user's token for that client when there is one (renewed with
/// `REFRESH_TOKEN_ON_LOGIN`), else a new one expiring after the client's
/// `token_ttl`; `last_login` is updated (Django's `user_logged_in`). Errors,
/// in Durin's order: the credentials' field errors and 400
/// `{"non_field_errors": ["Unable to log in with provided credentials."]}`
/// (DRF's `AuthTokenSerializer`), then 400 `{"detail": "No client
/// specified."}` and `{"detail": "No client with that name."}`.
#[api_view(
    POST,
    path = "/login/",
    description = "Log in with a username, a password and a client name; get the token of that user and client."
)]
#[authentication_classes()]
#[permission_classes()]
pub async fn login(request: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let (settings, store) = durin_of(&request)?;
    let auth_settings =
        AuthSettings::from_request(&request).ok_or_else(crate::error::missing_settings)?;
    let data = request_data(
        &request,
        &mut payload.into_inner(),
        &DEFAULT_PARSERS,
        auth_settings.site().body_limits(),
    )
    .await?;
    let credentials = Credentials::from_data(&data)?;
    let (user, ()) = authenticate_and(auth_settings, credentials, |_, _| Ok(())).await?;
    let Some(name) = client_name(data.get("client")) else {
        return Err(detail_error("No client specified.").into());
    };
    let lookup = store.clone();
    let client = match name {
        Some(name) => run_query(move || lookup.client_by_name(&name)).await?,
        None => None,
    };
    let Some(client) = client else {
        return Err(detail_error("No client with that name.").into());
    };
    let (token, user) = {
        let settings = settings.clone();
        let users = auth_settings.store()?.clone();
        let result = run_blocking(move || {
            let token = store.login(user.id, &client, &settings)?;
            users.update_last_login(user.id)?;
            Ok::<_, StoreError>((token, user))
        })
        .await;
        match result {
            Ok(found) => found,
            // Deleted between the password check and the token.
            Err(StoreError::UserNotFound) => {
                return Err(crate::fields::non_field_error(
                    auth_core::error::messages::UNABLE_TO_LOG_IN,
                )
                .into())
            }
            Err(e) => return Err(AuthError::from(e).into()),
        }
    };
    json(
        StatusCode::OK,
        &LoginBody {
            expiry: datetime(&request, token.expiry)?,
            token: token.token(),
            user: settings.user_serializer().then(|| LoginUser {
                username: &user.username,
            }),
        },
    )
}

// ----------------------------------------------------------------------------
// refresh, logout, logoutall

#[derive(Serialize)]
struct ExpiryBody {
    expiry: String,
}

/// Durin's `RefreshView`: `POST`; the token now expires after its client's
/// `token_ttl` from now: `200 {"expiry": "…"}`.
#[api_view(
    POST,
    path = "/refresh/",
    description = "Extend the token's expiry by its client's token_ttl from now."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn refresh(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let (_, store) = durin_of(&request)?;
    let token = durin_auth(&request)?.token.clone();
    let expiry = run_query(move || -> Result<Option<NaiveDateTime>, StoreError> {
        match store.client_by_id(token.client_id)? {
            Some(client) => store.renew(&token, &client).map(Some),
            None => Ok(None),
        }
    })
    .await?;
    // The client was deleted since the token authenticated (its tokens with it).
    let Some(expiry) = expiry else {
        return Err(
            AuthError::authentication_failed(auth_core::error::messages::INVALID_TOKEN).into(),
        );
    };
    json(
        StatusCode::OK,
        &ExpiryBody {
            expiry: datetime(&request, expiry)?,
        },
    )
}

/// Durin's `LogoutView`: `POST`; the token is deleted: 204.
#[api_view(
    POST,
    path = "/logout/",
    description = "Delete the token of the request."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn logout(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let (_, store) = durin_of(&request)?;
    let id = durin_auth(&request)?.token.id;
    run_query(move || store.delete_token(id)).await?;
    Ok(no_content())
}

/// Durin's `LogoutAllView`: `POST`; every token of the user, for every
/// client, is deleted: 204.
#[api_view(
    POST,
    path = "/logoutall/",
    description = "Delete every token of the user."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn logoutall(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let (_, store) = durin_of(&request)?;
    let user_id = durin_auth(&request)?.token.user_id;
    run_query(move || store.delete_user_tokens(user_id)).await?;
    Ok(no_content())
}

// ----------------------------------------------------------------------------
// sessions

#[derive(Serialize)]
struct SessionBody {
    id: i64,
    client: String,
    created: String,
    expiry: String,
    has_expired: bool,
    is_current: bool,
    expires_in_str: String,
}

/// Durin's `TokenSessionsViewSet.list`: `GET`; the user's tokens (expired
/// ones too, until presented or purged), `200 [{"id", "client", "created",
/// "expiry", "has_expired", "is_current", "expires_in_str"}, …]` by id;
/// without the `API_ACCESS_CLIENT_NAME` token when
/// `API_ACCESS_EXCLUDE_FROM_SESSIONS`.
#[api_view(
    GET,
    path = "/sessions/",
    description = "The user's tokens, one per client."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn sessions(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let (settings, store) = durin_of(&request)?;
    let current = durin_auth(&request)?.token.clone();
    let exclude = settings
        .api_access_exclude_from_sessions()
        .then(|| settings.api_access_client_name().map(str::to_owned))
        .flatten();
    let now = store.now();
    let user_id = current.user_id;
    let rows = run_query(move || store.sessions(user_id, exclude.as_deref())).await?;
    let body = rows
        .into_iter()
        .map(|session| {
            Ok(SessionBody {
                id: session.token.id,
                client: session.client_name,
                created: datetime(&request, session.token.created)?,
                expiry: datetime(&request, session.token.expiry)?,
                has_expired: session.token.has_expired(now),
                is_current: session.token.id == current.id,
                expires_in_str: session.token.expires_in(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    json(StatusCode::OK, &body)
}

/// Django's `Http404` for the session's `get_object_or_404`, as DRF words it.
const NO_SUCH_SESSION: &str = "No AuthToken matches the given query.";

/// Durin's `TokenSessionsViewSet.destroy`: `DELETE sessions/<id>` (Durin's
/// own route is `sessions//<id>`); one of the user's tokens is deleted:
/// 204. Another user's or no token: 404 `{"detail": "No AuthToken matches
/// the given query."}`; the request's own token: 400 `["Can't delete token
/// if the request is authed with it.Use <logout path> instead."]` (Durin's
/// text, without the space).
#[api_view(
    DELETE,
    path = "/sessions/{id}",
    description = "Delete one of the user's tokens (not the request's own)."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn delete_session(
    request: AuthRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, store) = durin_of(&request)?;
    let current = durin_auth(&request)?.token.clone();
    // Django's `filter(pk=…)` of a non-integer: `ValueError`, a 404.
    let Ok(id) = id.trim().parse::<i64>() else {
        return Err(AuthError::new(auth_core::error::ErrorKind::NotFound, NO_SUCH_SESSION).into());
    };
    let user_id = current.user_id;
    let lookup = store.clone();
    let owned = run_query(move || lookup.sessions(user_id, None))
        .await?
        .into_iter()
        .any(|session| session.token.id == id);
    if !owned {
        return Err(AuthError::new(auth_core::error::ErrorKind::NotFound, NO_SUCH_SESSION).into());
    }
    if id == current.id {
        let path = request.path();
        let base = path.rfind("sessions/").map_or("/", |at| &path[..at]);
        return Err(AuthError::validation(format!(
            "Can't delete token if the request is authed with it.Use {base}logout/ instead."
        ))
        .into());
    }
    run_query(move || store.delete_token(id)).await?;
    Ok(no_content())
}

// ----------------------------------------------------------------------------
// apiaccess

#[derive(Serialize)]
struct ApiAccessBody<'a> {
    client: &'a str,
    created: String,
    expiry: String,
    has_expired: bool,
    expires_in_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

fn api_access_body(
    request: &HttpRequest,
    client: &str,
    token: &AuthToken,
    now: NaiveDateTime,
    show_token: bool,
) -> Result<HttpResponse, ApiError> {
    let status = if show_token && request.method() == actix_web::http::Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json(
        status,
        &ApiAccessBody {
            client,
            created: datetime(request, token.created)?,
            expiry: datetime(request, token.expiry)?,
            has_expired: token.has_expired(now),
            expires_in_str: token.expires_in(),
            token: show_token.then(|| token.token()),
        },
    )
}

/// Durin's `APIAccessTokenView`, for the client `API_ACCESS_CLIENT_NAME`
/// (a 500 naming the setting when unset, as Durin's `AssertionError`):
///
/// - `GET`: the user's token for it, `200 {"client", "created", "expiry",
///   "has_expired", "expires_in_str"}` (plus `"token"` with
///   `API_ACCESS_RESPONSE_INCLUDE_TOKEN`); 404 `{"detail": "Not found."}`
///   when there is none.
/// - `POST`: a new one, `201 {…, "token": "…"}`; 400 `["An API token was
///   already issued to you."]` when there is one.
/// - `DELETE`: deletes it, 204; 404 when there is none.
#[api_view(
    GET,
    POST,
    DELETE,
    path = "/apiaccess/",
    description = "The user's API access token: read, create or delete it."
)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn apiaccess(request: AuthRequest) -> Result<HttpResponse, ApiError> {
    let (settings, store) = durin_of(&request)?;
    let Some(client_name) = settings.api_access_client_name().map(str::to_owned) else {
        return Err(misconfigured(
            "setting `API_ACCESS_CLIENT_NAME` must be set to use this (DurinSettings::builder().api_access_client_name(..))",
        )
        .into());
    };
    let user_id = durin_auth(&request)?.token.user_id;
    let now = store.now();
    let method = request.method().clone();
    let settings = settings.clone();
    let name = client_name.clone();
    let found = run_query(move || -> Result<ApiAccess, StoreError> {
        let existing = store.token_for_client_name(user_id, &name)?;
        Ok(match (method.as_str(), existing) {
            ("POST", Some(_)) => ApiAccess::AlreadyIssued,
            ("POST", None) => match store.client_by_name(&name)? {
                Some(client) => create_api_token(&store, user_id, &client, &settings)?,
                None => ApiAccess::NoClient,
            },
            ("DELETE", Some(token)) => {
                store.delete_token(token.id)?;
                ApiAccess::Deleted
            }
            (_, Some(token)) => ApiAccess::Found(token),
            (_, None) => ApiAccess::Missing,
        })
    })
    .await?;
    let include = settings_include_token(&request)?;
    match found {
        ApiAccess::Found(token) => api_access_body(&request, &client_name, &token, now, include),
        ApiAccess::Created(token) => api_access_body(&request, &client_name, &token, now, true),
        ApiAccess::Deleted => Ok(no_content()),
        ApiAccess::Missing => Err(AuthError::not_found().into()),
        ApiAccess::AlreadyIssued => {
            Err(AuthError::validation("An API token was already issued to you.").into())
        }
        // Durin's `Client.objects.get` raises `DoesNotExist`: a 500.
        ApiAccess::NoClient => Err(misconfigured(&format!(
            "API_ACCESS_CLIENT_NAME names the Durin client {client_name:?}, which does not exist"
        ))
        .into()),
    }
}

fn settings_include_token(request: &HttpRequest) -> Result<bool, ApiError> {
    Ok(DurinSettings::get(request)?.api_access_response_include_token())
}

enum ApiAccess {
    Found(AuthToken),
    Created(AuthToken),
    Deleted,
    Missing,
    AlreadyIssued,
    NoClient,
}

/// `APIAccessTokenSerializer.create`: a token for the API client; a
/// concurrent creation is the same 400 as an existing one.
fn create_api_token(
    store: &DurinStore,
    user_id: i32,
    client: &Client,
    settings: &DurinSettings,
) -> Result<ApiAccess, StoreError> {
    Ok(
        match store.try_create_token(user_id, client, None, settings)? {
            Some(token) => ApiAccess::Created(token),
            None => ApiAccess::AlreadyIssued,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::parsers::PyString;

    #[test]
    fn client_names_as_django_looks_them_up() {
        assert_eq!(client_name(None), None);
        assert_eq!(client_name(Some(&Value::Null)), None);
        assert_eq!(client_name(Some(&Value::Int("0".into()))), None);
        assert_eq!(
            client_name(Some(&Value::Int("12".into()))),
            Some(Some("12".into()))
        );
        assert_eq!(
            client_name(Some(&Value::Bool(true))),
            Some(Some("True".into()))
        );
        assert_eq!(
            client_name(Some(&Value::Str(PyString::from("web")))),
            Some(Some("web".into()))
        );
        assert_eq!(client_name(Some(&Value::List)), Some(None));
    }
}
