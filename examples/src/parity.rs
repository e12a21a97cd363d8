//! `drf_parity`: every authentication and permission behaviour of Django REST
//! framework on one server, one view each, so that anyone can check parity
//! with DRF over HTTP.
//!
//! Each view answers `GET`, `POST`, `PUT` and `PATCH` with
//! `200 {"user": "<username>" | "AnonymousUser", "auth": "<token key>" | null}`;
//! any other method is a 405 once authentication and permissions have passed
//! (DRF's order); `OPTIONS` answers DRF's metadata and `HEAD` is a 405, as
//! with DRF's `@api_view(['GET', 'POST', 'PUT', 'PATCH'])`.
//!
//! | path | authentication | permission |
//! |---|---|---|
//! | `/basic/` | Basic | IsAuthenticated |
//! | `/token/` | Token | IsAuthenticated |
//! | `/bearer/` | Token with keyword `Bearer` | IsAuthenticated |
//! | `/session/` | Session | IsAuthenticated |
//! | `/remote/` | RemoteUser from header `Remote-User`, loopback peers trusted, unknown users created | IsAuthenticated |
//! | `/default/` | the app's defaults (Session, Basic) | the app's defaults (IsAuthenticated) |
//! | `/basic-token/` | Basic, Token | IsAuthenticated |
//! | `/token-session/` | Token, Session | IsAuthenticated |
//! | `/custom/` | [`XUsernameAuthentication`] | IsAuthenticated |
//! | `/open/` | Basic | AllowAny |
//! | `/ro/` | Basic | IsAuthenticatedOrReadOnly |
//! | `/admin/` | Basic | IsAdminUser |
//! | `/admin-or-ro/` | Basic | `IsAdminUser \| ReadOnly` |
//! | `/not-admin/` | Basic | `!IsAdminUser` |
//! | `/deny-msg/` | Basic | IsAuthenticated, then [`DenyWithMessage`] |
//! | `/and-deny/` | Basic | `IsAuthenticated & DenyWithMessage` (a composition shows the default message) |
//! | `/bare/` | none: a plain actix-web handler, `200 {"ok": true}` (the benchmark baseline) | none |
//! | `/model-perms/` | Basic | DjangoModelPermissions on `auth.user` |
//! | `/model-perms-anon-ro/` | Basic | DjangoModelPermissionsOrAnonReadOnly on `auth.user` |
//! | `/oauth/` | OAuth2Authentication | TokenHasScope, `required_scopes = ["read"]` |
//! | `/oauth-rw/` | OAuth2Authentication | TokenHasReadWriteScope |
//!
//! On `/oauth/` and `/oauth-rw/`, `auth` is the access token, and a client
//! credentials token has no user: `"user": "None"`, as DRF prints it.
//! `/o/token/` is Django OAuth Toolkit's token endpoint (the
//! `client_credentials`, `password` and `refresh_token` grants),
//! `/o/revoke_token/` its RFC 7009 revocation and `/o/introspect/` its
//! RFC 7662 introspection, with DOT's default settings and the scopes
//! `read`, `write` and `introspection`.
//!
//! The throttled views (rates `anon` = `3/min`, `user` = `4/min`, `burst` =
//! `2/min`, or `THROTTLE_RATES`; no default throttle classes):
//!
//! | path | authentication | permission | throttles |
//! |---|---|---|---|
//! | `/throttle/anon/` | Basic | AllowAny | AnonRateThrottle |
//! | `/throttle/user/` | Basic, Token | AllowAny | UserRateThrottle |
//! | `/throttle/scoped/`, `/throttle/scoped-2/` | Basic | AllowAny | ScopedRateThrottle, scope `burst` (one budget for both) |
//! | `/throttle/combined/` | Basic | AllowAny | AnonRateThrottle, ScopedRateThrottle with scope `burst` |
//!
//! django-rest-knox (knox's defaults but `TOKEN_LIMIT_PER_USER = 3`; datetimes in UTC):
//!
//! | path | authentication | permission | answers |
//! |---|---|---|---|
//! | `/knox/login/` | Basic | IsAuthenticated | `POST`: `{"expiry": "…Z", "token": "<token>"}`, or 403 `{"error": "Maximum amount of tokens allowed per user exceeded."}` |
//! | `/knox/logout/`, `/knox/logoutall/` | knox's token | IsAuthenticated | `POST`: 204 |
//! | `/knox/` | knox's token | IsAuthenticated | `{"user": "<username>", "auth": "<token_key>"}` for `GET`, `POST`, `PUT`, `PATCH` |
//! | `/knox/tokens/` | knox's token | IsAuthenticated | `GET`: the caller's tokens (the device list) |
//! | `/knox/tokens/<id>/` | knox's token | IsAuthenticated | `DELETE`: 204, or 404 for an id that is not the caller's |
//!
//! Django-Rest-Durin's views (feature `durin`), with Durin's settings at their defaults:
//!
//! | path | authentication | permission | throttles |
//! |---|---|---|---|
//! | `/durin/login/` (`POST {"username", "password", "client"}`) | none | none | none |
//! | `/durin/refresh/`, `/durin/logout/`, `/durin/logoutall/` (`POST`), `/durin/sessions/` (`GET`), `/durin/sessions/<id>` (`DELETE`), `/durin/apiaccess/` | DurinTokenAuthentication | IsAuthenticated | none |
//! | `/durin/` (`{"user": "<username>", "auth": "<the token>"}`) | DurinTokenAuthentication | IsAuthenticated | UserClientRateThrottle (the client's own rate; none without one) |
//!
//! Clients are made with the `create-client` command; `purge-tokens` deletes expired tokens.
//!
//! With the `jwt` feature (on by default), simplejwt 5.5.1's views and classes,
//! with its defaults except `AUTH_TOKEN_CLASSES` = access and sliding,
//! `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION` on (so the blacklist
//! app's tables are used), signed with `SECRET_KEY` (HS256):
//!
//! | path | view or authentication | permission |
//! |---|---|---|
//! | `/api/token/`, `/api/token/refresh/`, `/api/token/verify/`, `/api/token/blacklist/`, `/api/token/sliding/`, `/api/token/sliding/refresh/` | simplejwt's views | none |
//! | `/jwt/` | JWTAuthentication, `auth` = the token's `jti` | IsAuthenticated |
//! | `/jwt-stateless/` | JWTStatelessUserAuthentication (`user` = `TokenUser <id>`) | IsAuthenticated |
//!
//! `/api-token-auth/` is DRF's `obtain_auth_token`: `POST {"username", "password"}` (JSON,
//! urlencoded or multipart) answers `{"token": "<key>"}`. `/csrf/` answers
//! `{"csrftoken": "<masked token>"}` and sets the `csrftoken` cookie; `/login/` (a `POST`
//! with the credentials and that token) starts a session, `{"user": "<username>"}`;
//! `/logout/` ends it on the server.
//!
//! `/auth/` is Djoser ([`djoser_settings`]): `users/`, `users/me/`,
//! `users/{id}/`, `users/activation/`, `users/resend_activation/`,
//! `users/set_password/`, `users/reset_password/`,
//! `users/reset_password_confirm/`, `users/set_username/`,
//! `users/reset_username/`, `users/reset_username_confirm/`, `token/login/`
//! and `token/logout/`, authenticated by Token then Basic.
//!
//! `/dj-rest-auth/` is dj-rest-auth in token mode ([`dj_rest_auth_settings`]):
//! `login/`, `logout/`, `user/`, `password/change/`, `password/reset/` and
//! `password/reset/confirm/`, authenticated by Token then Session, with
//! `SESSION_LOGIN` on; its reset email is Django's, linking to
//! `http://localhost:8000/password-reset/confirm/{uid}/{token}/`.
//!
//! Sessions follow [`SessionOptions`]: this library's own table by default,
//! or Django's `db` or `signed_cookies` engine (shared with a Django site on
//! the same database and `SECRET_KEY`), with `SESSION_COOKIE_SECURE` and
//! `CSRF_USE_SESSIONS` as Django's settings.

use std::borrow::Cow;
use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::Condition;
use actix_web::{web, App, HttpResponse};
use auth_actix::accounts::dj_rest_auth::{self, DjRestAuthSettings, DjRestAuthSettingsBuilder};
use auth_actix::accounts::djoser::{self, DjoserSettings, DjoserSettingsBuilder};
#[cfg(feature = "durin")]
use auth_actix::auth_core::durin::{DurinAuth, DurinSettings, DurinStore};
use auth_actix::auth_core::oauth2::{AccessToken, OAuth2Settings, OAuth2Store};
use auth_actix::csrf::CsrfConfig;
#[cfg(feature = "durin")]
use auth_actix::durin::{self, DurinTokenAuthentication, UserClientRateThrottle};
use auth_actix::email::Mailer;
use auth_actix::knox::{self, KnoxSettings, KnoxStore, KnoxTokenAuthentication};
use auth_actix::oauth2::{
    self, OAuth2, OAuth2Authentication, TokenHasReadWriteScope, TokenHasScope,
};
use auth_actix::prelude::*;
use auth_actix::session::{self, DieselSessionStore};
use auth_actix::session::{DjangoSessions, FailClosed};
use auth_actix::views::{csrf, login, logout, obtain_auth_token};
use auth_actix::{AuthStore, PermissionRequest, RemoteUserConfig, TrustedProxy};
use serde::Serialize;

use crate::config::{self, Secret};
use crate::custom::XUsernameAuthentication;

/// [`DenyWithMessage`]'s message.
pub const DENY_MESSAGE: &str = "Custom: You cannot access this resource";

/// A permission that always denies, with its own message (DRF's `message`
/// attribute). An authenticated caller sees the message; an anonymous one
/// sees "Authentication credentials were not provided." instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyWithMessage;

impl Permission for DenyWithMessage {
    fn has_permission(&self, _: &PermissionRequest<'_>) -> bool {
        false
    }

    fn message(&self) -> Option<Cow<'static, str>> {
        Some(DENY_MESSAGE.into())
    }
}

auth_actix::permission_operators!(DenyWithMessage);

/// The body every parity view answers: who the caller is, and the token
/// they authenticated with.
#[derive(Debug, Serialize)]
struct Caller<'a> {
    user: String,
    auth: Option<&'a str>,
}

fn caller(request: &AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(Caller {
        user: request.user().to_string(),
        auth: request.auth().and_then(|auth| {
            auth.as_token()
                .map(|token| token.key.as_str())
                .or_else(|| auth.get::<AccessToken>().map(|token| token.token.as_str()))
        }),
    })
}

/// Declares a parity view: its doc comment (the `OPTIONS` description), its
/// authentication classes and its permission classes.
macro_rules! parity_view {
    ($(#[doc = $doc:literal])* $name:ident, [$($auth:tt)*], [$($perm:tt)*] $(, #[$extra:meta])*) => {
        $(#[doc = $doc])*
        #[api_view(GET, POST, PUT, PATCH)]
        #[authentication_classes($($auth)*)]
        #[permission_classes($($perm)*)]
        $(#[$extra])*
        pub async fn $name(request: AuthRequest) -> HttpResponse {
            caller(&request)
        }
    };
}

parity_view!(
    /// Basic authentication, authenticated users only.
    basic, [BasicAuthentication], [IsAuthenticated]
);
parity_view!(
    /// Token authentication, authenticated users only.
    token, [TokenAuthentication], [IsAuthenticated]
);
parity_view!(
    /// OAuth 2.0 (Django OAuth Toolkit): a token with the `read` scope.
    oauth, [OAuth2Authentication], [TokenHasScope], #[view_config(required_scopes = ["read"])]
);
parity_view!(
    /// OAuth 2.0 (Django OAuth Toolkit): `read` to read, `write` to write.
    oauth_rw, [OAuth2Authentication], [TokenHasReadWriteScope]
);
parity_view!(
    /// Token authentication with the `Bearer` keyword, authenticated users only.
    bearer, [TokenAuthentication<Bearer>], [IsAuthenticated]
);
parity_view!(
    /// Session authentication (Django's CSRF rules for unsafe methods), authenticated users only.
    session, [SessionAuthentication], [IsAuthenticated]
);
parity_view!(
    /// Token, then Session.
    token_session, [TokenAuthentication, SessionAuthentication], [IsAuthenticated]
);
parity_view!(
    /// The `Remote-User` header from a loopback proxy, authenticated users only.
    remote, [RemoteUserAuthentication], [IsAuthenticated]
);
parity_view!(
    /// Basic, then Token.
    basic_token, [BasicAuthentication, TokenAuthentication], [IsAuthenticated]
);
parity_view!(
    /// A custom class: the user named by `X-Username`.
    custom, [XUsernameAuthentication], [IsAuthenticated]
);
parity_view!(
    /// Basic authentication, open to everyone.
    open, [BasicAuthentication], [AllowAny]
);
parity_view!(
    /// Reads for everyone, writes for authenticated users.
    ro, [BasicAuthentication], [IsAuthenticatedOrReadOnly]
);
parity_view!(
    /// Staff only.
    admin, [BasicAuthentication], [IsAdminUser]
);
parity_view!(
    /// Staff, or anyone reading.
    admin_or_ro, [BasicAuthentication], [IsAdminUser | ReadOnly]
);
parity_view!(
    /// Everyone but staff.
    not_admin, [BasicAuthentication], [!IsAdminUser]
);
parity_view!(
    /// Authenticated users, then a permission that always denies with its own message.
    deny_msg, [BasicAuthentication], [IsAuthenticated, DenyWithMessage]
);
parity_view!(
    /// The same two permissions composed with `&`: a composition has no message of its own.
    and_deny, [BasicAuthentication], [IsAuthenticated & DenyWithMessage]
);
parity_view!(
    /// Django's model permissions on `auth.user`: `add_user` to POST, `change_user` to PUT or PATCH.
    model_perms, [BasicAuthentication], [DjangoModelPermissions],
    #[view_config(model = "auth.user")]
);
parity_view!(
    /// Django's model permissions on `auth.user`, anonymous users may read.
    model_perms_anon_ro, [BasicAuthentication], [DjangoModelPermissionsOrAnonReadOnly],
    #[view_config(model = "auth.user")]
);
parity_view!(
    /// Anonymous clients throttled by address (`anon`).
    throttle_anon, [BasicAuthentication], [AllowAny],
    #[throttle_classes(AnonRateThrottle)]
);
parity_view!(
    /// Every client throttled, by user or by address (`user`).
    throttle_user, [BasicAuthentication, TokenAuthentication], [AllowAny],
    #[throttle_classes(UserRateThrottle)]
);
parity_view!(
    /// The `burst` scope, shared with `/throttle/scoped-2/`.
    throttle_scoped, [BasicAuthentication], [AllowAny],
    #[throttle_classes(ScopedRateThrottle)],
    #[view_config(throttle_scope = "burst")]
);
parity_view!(
    /// The `burst` scope, shared with `/throttle/scoped/`.
    throttle_scoped_2, [BasicAuthentication], [AllowAny],
    #[throttle_classes(ScopedRateThrottle)],
    #[view_config(throttle_scope = "burst")]
);
parity_view!(
    /// Both `anon` and the `burst` scope: every throttle consulted, the longest wait reported.
    throttle_combined, [BasicAuthentication], [AllowAny],
    #[throttle_classes(AnonRateThrottle, ScopedRateThrottle)],
    #[view_config(throttle_scope = "burst")]
);

/// knox's `LoginView` with `[BasicAuthentication]`: a new knox token.
#[api_view(POST)]
#[authentication_classes(BasicAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn knox_login(request: AuthRequest) -> Result<HttpResponse, auth_actix::ApiError> {
    knox::create_token(&request).await
}

/// knox's token authentication, authenticated users only: the user and the
/// token's `token_key`.
#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(KnoxTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
pub async fn knox_caller(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(Caller {
        user: request.user().to_string(),
        auth: request
            .auth()
            .and_then(|auth| auth.get::<knox::KnoxToken>())
            .map(|token| token.token_key.as_str()),
    })
}

/// `drf_parity`'s knox settings: knox's defaults, but `TOKEN_LIMIT_PER_USER = 3`.
pub fn knox_settings() -> KnoxSettings {
    KnoxSettings::builder()
        .token_limit_per_user(Some(3))
        .build()
        .unwrap_or_default()
}

/// The app's default authentication and permission classes.
#[api_view(GET, POST, PUT, PATCH)]
pub async fn default(request: AuthRequest) -> HttpResponse {
    caller(&request)
}

/// A plain actix-web handler, outside the pipeline: the baseline the
/// benchmarks compare the views against.
pub async fn bare() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

/// `/durin/`'s body: the user, and the Durin token they authenticated with.
#[cfg(feature = "durin")]
#[derive(Debug, Serialize)]
struct DurinCaller<'a> {
    user: String,
    auth: Option<&'a str>,
}

/// Durin's token authentication, authenticated users only, throttled per
/// user and client at the client's own rate.
#[cfg(feature = "durin")]
#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(DurinTokenAuthentication)]
#[permission_classes(IsAuthenticated)]
#[throttle_classes(UserClientRateThrottle)]
pub async fn durin_caller(request: AuthRequest) -> HttpResponse {
    HttpResponse::Ok().json(DurinCaller {
        user: request.user().to_string(),
        auth: request
            .auth()
            .and_then(|auth| auth.get::<DurinAuth>())
            .map(|auth| auth.token.token()),
    })
}

/// The peers whose `Remote-User` header `/remote/` believes: this machine.
pub fn loopback_proxies() -> [TrustedProxy; 2] {
    [
        TrustedProxy::from(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        TrustedProxy::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]
}

/// `{"user": str(request.user), "auth": <the token's jti>}`.
#[cfg(feature = "jwt")]
fn jwt_answer(request: &AuthRequest) -> HttpResponse {
    let jti = request
        .auth()
        .and_then(|auth| auth.get::<auth_actix::jwt::jwt::Token>())
        .and_then(|token| token.jti());
    HttpResponse::Ok().json(Caller {
        user: request.user().to_string(),
        auth: jti,
    })
}

#[cfg(feature = "jwt")]
#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(auth_actix::jwt::JWTAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn jwt(request: AuthRequest) -> HttpResponse {
    jwt_answer(&request)
}

#[cfg(feature = "jwt")]
#[api_view(GET, POST, PUT, PATCH)]
#[authentication_classes(auth_actix::jwt::JWTStatelessUserAuthentication)]
#[permission_classes(IsAuthenticated)]
async fn jwt_stateless(request: AuthRequest) -> HttpResponse {
    jwt_answer(&request)
}

/// simplejwt's settings for `drf_parity`: its defaults, access and sliding
/// tokens accepted, refresh tokens rotated and the old ones blacklisted,
/// HS256 with `SECRET_KEY`; the blacklist's tables must exist.
/// `JWT_ACCESS_TOKEN_LIFETIME` (seconds) changes `ACCESS_TOKEN_LIFETIME`
/// (for the load benchmark, whose runs outlast 5 minutes).
#[cfg(feature = "jwt")]
pub fn jwt_config(
    store: &AuthStore,
    secret: &Secret,
) -> Result<auth_actix::jwt::Jwt, Box<dyn Error>> {
    use auth_actix::jwt::jwt::{JwtSettings, JwtStore, TokenClass};
    let key = auth_actix::auth_core::signing::SecretKey::new(secret.expose())
        .ok_or("the SECRET_KEY setting must not be empty")?;
    let mut settings = JwtSettings::builder().secret_key(&key);
    if let Some(seconds) = config::var("JWT_ACCESS_TOKEN_LIFETIME") {
        let seconds: i64 = seconds.parse().map_err(|_| {
            config::EnvError::new("JWT_ACCESS_TOKEN_LIFETIME must be a number of seconds")
        })?;
        settings = settings.access_token_lifetime(chrono::TimeDelta::seconds(seconds));
    }
    let settings = settings
        .auth_token_classes([TokenClass::Access, TokenClass::Sliding])
        .rotate_refresh_tokens(true)
        .blacklist(true)
        .blacklist_after_rotation(true)
        .build()?;
    Ok(auth_actix::jwt::Jwt::new(
        settings,
        Some(JwtStore::new(store.database().clone())),
    )?)
}

/// The throttle rates when `THROTTLE_RATES` does not change them.
pub const THROTTLE_RATES: [(&str, &str); 3] =
    [("anon", "3/min"), ("user", "4/min"), ("burst", "2/min")];

/// The app's settings: DRF's default authentication classes (Session, then
/// Basic), `IsAuthenticated` by default, Django's `SECRET_KEY` for session
/// hashes, the hosts of `ALLOWED_HOSTS` (the loopback names when unset),
/// and the throttle settings of [`config::throttling`] (rates
/// [`THROTTLE_RATES`], then `THROTTLE_RATES`; `NUM_PROXIES`; `CACHE_URL`).
pub fn settings(
    store: AuthStore,
    secret: &Secret,
    sessions: &SessionOptions,
) -> Result<AuthSettings, Box<dyn Error>> {
    let csrf_config = CsrfConfig {
        use_sessions: sessions.csrf_use_sessions,
        ..CsrfConfig::default()
    };
    let builder = AuthSettings::builder()
        .store(store)
        .site(config::site(secret, &sessions.secret_key_fallbacks)?)
        .csrf(csrf_config)
        .default_authentication_classes((SessionAuthentication, BasicAuthentication))
        .default_permission_classes((IsAuthenticated,))
        .throttle_rates(THROTTLE_RATES);
    Ok(config::throttling(builder)?.build()?)
}

/// The routes, for `App::configure`, and `/remote/`'s configuration:
/// `Remote-User` believed from loopback peers.
pub fn routes(config: &mut web::ServiceConfig) {
    // The load benchmark's endpoints first: actix tries an app's routes in
    // the order they were registered (a few hundred instructions each), so
    // these pay the same routing and the ratios between them compare the
    // authentication alone.
    config
        .app_data(RemoteUserConfig::default().trusted_proxies(loopback_proxies()))
        .route("/bare/", web::to(bare))
        .route("/open/", web::to(open))
        .route("/token/", web::to(token))
        .route("/knox/", web::to(knox_caller))
        .route("/oauth/", web::to(oauth))
        .route("/throttle/user/", web::to(throttle_user))
        .route("/basic/", web::to(basic));
    #[cfg(feature = "jwt")]
    config
        .route("/jwt/", web::to(jwt))
        .route("/jwt-stateless/", web::to(jwt_stateless));
    config
        .route("/bearer/", web::to(bearer))
        .route("/oauth-rw/", web::to(oauth_rw))
        .service(web::resource("/o/token/").to(oauth2::token))
        .service(web::resource("/o/revoke_token/").to(oauth2::revoke_token))
        .service(web::resource("/o/introspect/").to(oauth2::introspect))
        .route("/session/", web::to(session))
        .route("/remote/", web::to(remote))
        .route("/default/", web::to(default))
        .route("/basic-token/", web::to(basic_token))
        .route("/token-session/", web::to(token_session))
        .route("/custom/", web::to(custom))
        .route("/ro/", web::to(ro))
        .route("/admin/", web::to(admin))
        .route("/admin-or-ro/", web::to(admin_or_ro))
        .route("/not-admin/", web::to(not_admin))
        .route("/deny-msg/", web::to(deny_msg))
        .route("/and-deny/", web::to(and_deny))
        .route("/model-perms/", web::to(model_perms))
        .route("/model-perms-anon-ro/", web::to(model_perms_anon_ro))
        .route("/throttle/anon/", web::to(throttle_anon))
        .route("/throttle/scoped/", web::to(throttle_scoped))
        .route("/throttle/scoped-2/", web::to(throttle_scoped_2))
        .route("/throttle/combined/", web::to(throttle_combined))
        .route("/knox/login/", web::to(knox_login))
        .route("/knox/logout/", web::to(knox::logout))
        .route("/knox/logoutall/", web::to(knox::logoutall))
        .route("/knox/tokens/", web::to(knox::tokens))
        .route("/knox/tokens/{id}/", web::to(knox::revoke_token))
        .service(obtain_auth_token)
        .service(web::resource("/csrf/").to(csrf))
        .service(web::resource("/login/").to(login))
        .service(web::resource("/logout/").to(logout));
    #[cfg(feature = "durin")]
    config.service(
        web::scope("/durin")
            .configure(durin::urls)
            .route("/", web::to(durin_caller)),
    );
    #[cfg(feature = "jwt")]
    config.configure(auth_actix::jwt::urls);
}

/// `OAUTH2_PROVIDER` of `drf_parity`: DOT's defaults with the scopes `read`,
/// `write` and `introspection`.
pub fn oauth2_settings() -> OAuth2Settings {
    OAuth2Settings::builder()
        .scopes([
            ("read", "Reading scope"),
            ("write", "Writing scope"),
            ("introspection", "Introspect token scope"),
        ])
        .build()
}

/// Where sessions live (`SESSION_ENGINE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionEngine {
    /// This library's table, `actix_auth_session` (unset).
    #[default]
    Ours,
    /// Django's `db` engine, `django_session` (`django`).
    Django,
    /// Django's `signed_cookies` engine (`signed_cookies`).
    SignedCookies,
}

/// The session settings: `SESSION_ENGINE` (unset, `django` or
/// `signed_cookies`), `SESSION_COOKIE_SECURE=1`, `CSRF_USE_SESSIONS=1`, and
/// `SECRET_KEY_FALLBACKS` (comma-separated), the older keys sessions and
/// their hashes are still verified with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// `SESSION_ENGINE`.
    pub engine: SessionEngine,
    /// `SESSION_COOKIE_SECURE`.
    pub cookie_secure: bool,
    /// `CSRF_USE_SESSIONS`.
    pub csrf_use_sessions: bool,
    /// `SECRET_KEY_FALLBACKS`.
    pub secret_key_fallbacks: Vec<String>,
}

impl SessionOptions {
    /// The options the environment sets; an unknown engine or a flag other
    /// than `0`/`1` is an error naming the variable.
    pub fn from_env() -> Result<Self, config::EnvError> {
        let engine = match config::var("SESSION_ENGINE").as_deref() {
            None => SessionEngine::Ours,
            Some("django") => SessionEngine::Django,
            Some("signed_cookies") => SessionEngine::SignedCookies,
            Some(other) => {
                return Err(config::EnvError::new(format!(
                    "SESSION_ENGINE must be `django` or `signed_cookies` (unset: this \
                     library's own sessions), not {other:?}"
                )))
            }
        };
        Ok(SessionOptions {
            engine,
            cookie_secure: config::flag("SESSION_COOKIE_SECURE")?,
            csrf_use_sessions: config::flag("CSRF_USE_SESSIONS")?,
            secret_key_fallbacks: config::var("SECRET_KEY_FALLBACKS")
                .map(|keys| {
                    keys.split(',')
                        .filter(|key| !key.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// Djoser under `/auth/`, as `drf_parity` mounts it: `SEND_ACTIVATION_EMAIL`
/// on, the link templates `activate/{uid}/{token}`,
/// `password/reset/confirm/{uid}/{token}` and
/// `username/reset/confirm/{uid}/{token}` on `http://localhost:8000`,
/// Django's four password validators, email through `EMAIL_URL`
/// (`smtp://host:port`; the console when unset) from `webmaster@localhost`.
pub fn djoser_settings() -> Result<DjoserSettings, Box<dyn Error>> {
    Ok(djoser_builder().mailer(mailer()?).build()?)
}

/// The mailer of the account emails: SMTP at `EMAIL_URL`
/// (`smtp://host:port`), the console when unset.
pub fn mailer() -> Result<Mailer, Box<dyn Error>> {
    Ok(match config::var("EMAIL_URL") {
        Some(url) => Mailer::from_url(&url)?,
        None => Mailer::default(),
    })
}

/// dj-rest-auth under `/dj-rest-auth/`, as `drf_parity` mounts it: its
/// defaults (token mode, `SESSION_LOGIN` on), Django's four password
/// validators, Django's reset email linking to
/// `http://localhost:8000/password-reset/confirm/{uid}/{token}/`, through
/// [`mailer`].
pub fn dj_rest_auth_settings() -> Result<DjRestAuthSettings, Box<dyn Error>> {
    Ok(dj_rest_auth_builder().mailer(mailer()?).build()?)
}

/// [`dj_rest_auth_settings`] before its mailer is chosen.
pub fn dj_rest_auth_builder() -> DjRestAuthSettingsBuilder {
    DjRestAuthSettings::builder()
        .domain(DOMAIN)
        .protocol("http")
}

/// [`djoser_settings`] before its mailer is chosen.
pub fn djoser_builder() -> DjoserSettingsBuilder {
    DjoserSettings::builder()
        .send_activation_email(true)
        .activation_url("activate/{uid}/{token}")
        .password_reset_confirm_url("password/reset/confirm/{uid}/{token}")
        .username_reset_confirm_url("username/reset/confirm/{uid}/{token}")
        .domain(DOMAIN)
        .protocol("http")
}

/// The `DOMAIN` of the emailed links.
pub const DOMAIN: &str = "localhost:8000";

/// Everything the app needs, built once and shared by the workers.
#[derive(Clone)]
pub struct Parity {
    settings: AuthSettings,
    /// The settings of the `/auth/` scope: Djoser's, and DRF's settings
    /// with Token then Basic authentication.
    djoser: (AuthSettings, DjoserSettings),
    /// The settings of the `/dj-rest-auth/` scope: dj-rest-auth's, and
    /// DRF's settings with Token then Session authentication.
    dj_rest_auth: (AuthSettings, DjRestAuthSettings),
    sessions: DieselSessionStore,
    django: DjangoSessions,
    options: SessionOptions,
    key: Key,
    knox: KnoxStore,
    #[cfg(feature = "durin")]
    durin: DurinStore,
    oauth2: web::Data<OAuth2>,
    #[cfg(feature = "jwt")]
    jwt: auth_actix::jwt::Jwt,
}

impl Parity {
    /// The app over a migrated `store`, with this library's sessions;
    /// `secret` keys the session cookie and the session auth hashes.
    pub fn new(store: AuthStore, secret: &Secret) -> Result<Self, Box<dyn Error>> {
        Self::with_sessions(store, secret, SessionOptions::default())
    }

    /// The app over a migrated `store`, its sessions as `options` say.
    pub fn with_sessions(
        store: AuthStore,
        secret: &Secret,
        options: SessionOptions,
    ) -> Result<Self, Box<dyn Error>> {
        let django = match options.engine {
            SessionEngine::SignedCookies => DjangoSessions::signed_cookies(),
            _ => DjangoSessions::db(store.database().clone()),
        };
        let oauth2 = OAuth2::new(
            OAuth2Store::new(store.database().clone()).with_hashers(store.hashers().clone()),
            store.clone(),
            oauth2_settings(),
        );
        let djoser_auth = AuthSettings::builder()
            .store(store.clone())
            .site(config::site(secret, &options.secret_key_fallbacks)?)
            .default_authentication_classes((TokenAuthentication::default(), BasicAuthentication))
            .build()?;
        let rest_auth = AuthSettings::builder()
            .store(store.clone())
            .site(config::site(secret, &options.secret_key_fallbacks)?)
            .csrf(CsrfConfig {
                use_sessions: options.csrf_use_sessions,
                ..CsrfConfig::default()
            })
            .default_authentication_classes((TokenAuthentication::default(), SessionAuthentication))
            .build()?;
        Ok(Parity {
            djoser: (djoser_auth, djoser_settings()?),
            dj_rest_auth: (rest_auth, dj_rest_auth_settings()?),
            knox: KnoxStore::new(store.database().clone(), knox_settings()),
            #[cfg(feature = "durin")]
            durin: DurinStore::from(&store),
            oauth2: web::Data::new(oauth2),
            #[cfg(feature = "jwt")]
            jwt: jwt_config(&store, secret)?,
            sessions: DieselSessionStore::from(&store),
            django: django.cookie_secure(options.cookie_secure),
            settings: settings(store, secret, &options)?,
            options,
            key: secret.cookie_key(),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// The knox tokens' store and settings.
    pub fn knox(&self) -> &KnoxStore {
        &self.knox
    }

    /// The same app with other knox settings (tests move the clock).
    pub fn with_knox(mut self, knox: KnoxStore) -> Self {
        self.knox = knox;
        self
    }

    /// One worker's app.
    pub fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let ours = self.options.engine == SessionEngine::Ours;
        let app = App::new()
            .app_data(self.settings.clone())
            .app_data(self.knox.clone())
            .app_data(self.oauth2.clone());
        #[cfg(feature = "durin")]
        let app = app
            .app_data(DurinSettings::default())
            .app_data(self.durin.clone());
        #[cfg(feature = "jwt")]
        let app = app.app_data(self.jwt.clone());
        app.wrap(Condition::new(
            ours,
            session::django_defaults(self.sessions.clone(), self.key.clone())
                .cookie_secure(self.options.cookie_secure)
                .build(),
        ))
        // Outside the session middleware: a session store outage is a 503.
        .wrap(Condition::new(ours, FailClosed))
        // Django's engines answer a 503 themselves.
        .wrap(Condition::new(!ours, self.django.clone()))
        .service(
            web::scope("/auth")
                .app_data(self.djoser.0.clone())
                .app_data(self.djoser.1.clone())
                .configure(djoser::urls),
        )
        .service(
            web::scope("/dj-rest-auth")
                .app_data(self.dj_rest_auth.0.clone())
                .app_data(self.dj_rest_auth.1.clone())
                .configure(dj_rest_auth::urls),
        )
        .configure(routes)
    }
}
