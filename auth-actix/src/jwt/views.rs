//! simplejwt's views (`TokenViewBase` and its six subclasses): no
//! authentication, no permissions, `POST` only, and every 401 with
//! `WWW-Authenticate: Bearer realm="api"`. Token and store work runs off the
//! async worker; a store that cannot be reached is a 503.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::error::AuthError;
use auth_core::jwt::{user_for_claim, JwtStore, Token, TokenClass, TokenError};
use auth_core::parsers::RequestData;
use auth_core::serializers::fields::{non_field_error, CharField, Credentials};
use auth_core::signing::JsonValue;
use auth_core::{AuthStore, StoreError, User};
use auth_macros::api_view;

use super::{failed_plain, invalid_token, verifying_key_blocking, Jwt};
use crate::blocking::run_blocking;
use crate::error::{missing_settings, ApiError};
use crate::parsers::{request_data, CREDENTIAL_PARSERS};
use crate::settings::AuthSettings;
use crate::views::json_response;

/// Every view of simplejwt at the paths its documentation uses, under
/// `api/token/`.
pub fn urls(config: &mut web::ServiceConfig) {
    config.service((
        token_obtain_pair,
        token_refresh,
        token_verify,
        token_blacklist,
        token_obtain_sliding,
        token_refresh_sliding,
    ));
}

const NO_ACTIVE_ACCOUNT: &str = "No active account found with the given credentials";
const NO_ACTIVE_ACCOUNT_FOR_TOKEN: &str = "No active account found for the given token.";

/// What each view needs, with its errors rendered as `TokenViewBase` does.
struct Ctx {
    jwt: Jwt,
    users: AuthStore,
    data: RequestData,
    header: String,
}

impl Ctx {
    async fn new(request: &HttpRequest, payload: web::Payload) -> Result<Ctx, ApiError> {
        let settings = AuthSettings::from_request(request).ok_or_else(missing_settings)?;
        let jwt = Jwt::from_request(request)?.clone();
        let header = jwt.settings().www_authenticate();
        let data = request_data(
            request,
            &mut payload.into_inner(),
            &CREDENTIAL_PARSERS,
            settings.site().body_limits(),
        )
        .await
        .map_err(|err| view_error(request, err, &header))?;
        Ok(Ctx {
            users: settings.store()?.clone(),
            jwt,
            data,
            header,
        })
    }

    /// A required `CharField` of the body: 400 `{"<name>": ["This field is required."]}`.
    fn field(&self, name: &'static str) -> Result<String, AuthError> {
        if let RequestData::NotAMapping(_) = &self.data {
            return Err(Credentials::from_data(&self.data)
                .err()
                .unwrap_or_else(|| non_field_error(auth_core::error::messages::NO_DATA_PROVIDED)));
        }
        CharField::new()
            .run_validation(self.data.get(name))
            .map_err(|errors| {
                AuthError::validation(auth_core::error::ErrorDetail::Map(vec![(
                    name.into(),
                    auth_core::error::ErrorDetail::List(
                        errors
                            .into_iter()
                            .map(auth_core::error::ErrorDetail::Text)
                            .collect(),
                    ),
                )]))
            })
    }

    fn error(&self, request: &HttpRequest, err: AuthError) -> ApiError {
        view_error(request, err, &self.header)
    }
}

fn view_error(request: &HttpRequest, err: AuthError, header: &str) -> ApiError {
    let hook = AuthSettings::from_request(request).and_then(|s| s.error_body());
    ApiError::for_view(err, Some(header.to_owned().into()), hook)
}

fn blacklist_store(jwt: &Jwt) -> Option<JwtStore> {
    jwt.store().filter(|_| jwt.settings().blacklist()).cloned()
}

/// Parses `raw` as `class` off the worker (with the blacklist when on, and
/// `JWK_URL`'s key when set).
fn parse(jwt: &Jwt, class: TokenClass, raw: &str) -> Result<Token, TokenError> {
    let (raw, settings) = (raw.as_bytes(), jwt.settings());
    let key = verifying_key_blocking(settings, raw)?;
    match blacklist_store(jwt) {
        Some(store) => store.parse_with_key(class, raw, settings, key.as_deref()),
        None => Token::parse_with(class, raw, settings, key.as_deref(), |_| Ok(false)),
    }
}

fn encode(token: &Token) -> Result<String, AuthError> {
    token
        .encode()
        .map_err(|err| AuthError::from(StoreError::Config(err.to_string())))
}

/// A token view: the body's `field`, then `work` off the worker with the
/// app's JWT data and user store, answered as `{member: value, ...}`.
async fn token_view(
    request: &HttpRequest,
    payload: web::Payload,
    field: &'static str,
    work: impl FnOnce(&Jwt, &AuthStore, String) -> Result<Members, AuthError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let ctx = Ctx::new(request, payload).await?;
    let raw = ctx.field(field).map_err(|e| ctx.error(request, e))?;
    let (jwt, users) = (ctx.jwt.clone(), ctx.users.clone());
    let members = run_blocking(move || work(&jwt, &users, raw))
        .await
        .map_err(|e| ctx.error(request, e))?;
    Ok(members_response(&members))
}

/// A view's answer: its members, in order.
type Members = Vec<(&'static str, String)>;

fn members_response(members: &Members) -> HttpResponse {
    let members: Vec<(&str, &str)> = members.iter().map(|(k, v)| (*k, v.as_str())).collect();
    json_response(StatusCode::OK, &members)
}

/// `TokenObtainSerializer.validate` then `for_user` of `class`.
async fn obtain(
    request: &HttpRequest,
    payload: web::Payload,
    class: TokenClass,
) -> Result<HttpResponse, ApiError> {
    let ctx = Ctx::new(request, payload).await?;
    let credentials = Credentials::from_data(&ctx.data).map_err(|e| ctx.error(request, e))?;
    let (jwt, users) = (ctx.jwt.clone(), ctx.users.clone());
    let issued: Result<Option<Members>, AuthError> = run_blocking(move || {
        let Some(user) = users.authenticate(&credentials.username, &credentials.password)? else {
            return Ok(None);
        };
        if !user.is_active && jwt.settings().check_user_is_active() {
            return Ok(None);
        }
        let token = match blacklist_store(&jwt) {
            Some(store) => store.for_user(class, jwt.settings(), &user)?,
            None => Token::for_user(class, jwt.settings(), &user),
        };
        let body = if class == TokenClass::Refresh {
            vec![
                ("refresh", encode(&token)?),
                ("access", encode(&token.access_token())?),
            ]
        } else {
            vec![("token", encode(&token)?)]
        };
        if jwt.settings().update_last_login() {
            users.update_last_login(user.id)?;
        }
        Ok(Some(body))
    })
    .await;
    match issued.map_err(|e| ctx.error(request, e))? {
        Some(body) => Ok(members_response(&body)),
        None => Err(ctx.error(request, failed_plain(ctx.jwt.settings(), NO_ACTIVE_ACCOUNT))),
    }
}

/// simplejwt's `TokenObtainPairView`: `POST {"username", "password"}` →
/// `{"refresh": …, "access": …}`; wrong credentials or an inactive user:
/// 401 `{"detail": "No active account found with the given credentials"}`.
#[api_view(POST, path = "/api/token/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_obtain_pair(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    obtain(&request, payload, TokenClass::Refresh).await
}

/// simplejwt's `TokenObtainSlidingView`: `POST {"username", "password"}` →
/// `{"token": …}`.
#[api_view(POST, path = "/api/token/sliding/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_obtain_sliding(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    obtain(&request, payload, TokenClass::Sliding).await
}

/// The user the refresh token names: `None` when it names none (simplejwt
/// then skips the check), `Err` when it is gone or inactive.
fn refresh_user(jwt: &Jwt, users: &AuthStore, token: &Token) -> Result<Option<User>, AuthError> {
    let settings = jwt.settings();
    // `if user_id and ...`: Python skips the check for a missing, empty or
    // zero claim (the string "0" is truthy).
    let truthy = match token.get(settings.user_id_claim()) {
        Some(JsonValue::String(id)) => !id.is_empty(),
        Some(JsonValue::Number(n)) => n.as_f64() != Some(0.0),
        _ => false,
    };
    let Some(id) = token.user_id().filter(|_| truthy) else {
        return Ok(None);
    };
    let user = user_for_claim(users, settings, &id)?;
    match user {
        Some(user) if user.is_active || !settings.check_user_is_active() => Ok(Some(user)),
        // simplejwt 5.5.1 answers a 500 for a deleted user (User.DoesNotExist).
        _ => Err(failed_plain(settings, NO_ACTIVE_ACCOUNT_FOR_TOKEN)),
    }
}

/// simplejwt's `TokenRefreshView`: `POST {"refresh"}` → `{"access": …}`,
/// plus a new `"refresh"` with `ROTATE_REFRESH_TOKENS` (the old one
/// blacklisted with `BLACKLIST_AFTER_ROTATION`, the new one outstanded).
#[api_view(POST, path = "/api/token/refresh/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_refresh(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    token_view(&request, payload, "refresh", |jwt, users, raw| {
        let settings = jwt.settings();
        let mut refresh =
            parse(jwt, TokenClass::Refresh, &raw).map_err(|e| invalid_token(settings, e))?;
        refresh_user(jwt, users, &refresh)?;
        let mut body = vec![("access", encode(&refresh.access_token())?)];
        if settings.rotate_refresh_tokens() {
            let store = blacklist_store(jwt);
            if settings.blacklist_after_rotation() {
                if let Some(store) = &store {
                    store.blacklist(&refresh)?;
                }
            }
            refresh.set_jti();
            refresh.set_exp();
            refresh.set_iat();
            if let Some(store) = &store {
                store.outstand(&refresh)?;
            }
            body.push(("refresh", encode(&refresh)?));
        }
        Ok(body)
    })
    .await
}

/// simplejwt's `TokenRefreshSlidingView`: `POST {"token"}` → `{"token": …}`
/// with a new `exp` and `iat`, the same `jti`, while `refresh_exp` holds.
#[api_view(POST, path = "/api/token/sliding/refresh/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_refresh_sliding(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    token_view(&request, payload, "token", |jwt, _, raw| {
        let settings = jwt.settings();
        let mut token =
            parse(jwt, TokenClass::Sliding, &raw).map_err(|e| invalid_token(settings, e))?;
        token
            .refresh_sliding()
            .map_err(|e| invalid_token(settings, e))?;
        Ok(vec![("token", encode(&token)?)])
    })
    .await
}

/// simplejwt's `TokenVerifyView`: `POST {"token"}` → `{}` for a valid token
/// of any type. A blacklisted one is 400 `{"non_field_errors": ["Token is
/// blacklisted"]}` whenever the blacklist is on (simplejwt: only with
/// `BLACKLIST_AFTER_ROTATION`, #786).
#[api_view(POST, path = "/api/token/verify/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_verify(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    token_view(&request, payload, "token", |jwt, _, raw| {
        let settings = jwt.settings();
        let key = verifying_key_blocking(settings, raw.as_bytes())
            .map_err(|e| invalid_token(settings, e))?;
        let token = Token::parse_with(
            TokenClass::Untyped,
            raw.as_bytes(),
            settings,
            key.as_deref(),
            |_| Ok(false),
        )
        .map_err(|e| invalid_token(settings, e))?;
        if let (Some(store), Some(jti)) = (blacklist_store(jwt), token.jti()) {
            if store.is_blacklisted(jti)? {
                return Err(non_field_error("Token is blacklisted").with_code("invalid"));
            }
        }
        Ok(Vec::new())
    })
    .await
}

/// simplejwt's `TokenBlacklistView`: `POST {"refresh"}` → `{}`, the token
/// blacklisted (no authentication: whoever holds a refresh token may end it).
#[api_view(POST, path = "/api/token/blacklist/")]
#[authentication_classes()]
#[permission_classes()]
pub async fn token_blacklist(
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    token_view(&request, payload, "refresh", |jwt, _, raw| {
        let settings = jwt.settings();
        let refresh =
            parse(jwt, TokenClass::Refresh, &raw).map_err(|e| invalid_token(settings, e))?;
        if let Some(store) = blacklist_store(jwt) {
            store.blacklist(&refresh)?;
        }
        Ok(Vec::new())
    })
    .await
}
