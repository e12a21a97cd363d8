//! [`DjangoSessions`]: Django's own `SessionMiddleware`, on Django's
//! `django_session` table or Django's signed cookies, so that one `sessionid`
//! cookie is a login on a Django site and on this API alike.

use std::collections::HashMap;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_session::{SessionExt, SessionStatus};
use actix_web::body::MessageBody;
use actix_web::cookie::time::{Duration as CookieDuration, OffsetDateTime};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use auth_core::db::Database;
use auth_core::error::AuthError;
use auth_core::sessions::django::{
    decode_session, encode_session, expire_at_browser_close, expiry_age, is_valid_session_key,
    load_signed_cookie, signed_cookie, DjangoSessionDb,
};
use auth_core::signing::{JsonObject, JsonValue, SecretKey};
use auth_core::StoreError;

use crate::blocking::run_query;
use crate::error::{missing_settings, ApiError};
use crate::http::{patch_vary_cookie, SessionAccessed, BAD_REQUEST_PAGE};
use crate::settings::AuthSettings;

use super::{SESSION_COOKIE_AGE, SESSION_COOKIE_NAME};

/// Where Django's session engine keeps the sessions (`SESSION_ENGINE`).
#[derive(Clone, Debug)]
enum Engine {
    /// `django.contrib.sessions.backends.db`.
    Db(DjangoSessionDb),
    /// `django.contrib.sessions.backends.signed_cookies`.
    SignedCookies,
}

/// Django's `SESSION_*` settings for [`DjangoSessions`].
#[derive(Clone, Debug)]
struct Config {
    engine: Engine,
    cookie_name: String,
    cookie_age: i64,
    cookie_secure: bool,
    cookie_http_only: bool,
    cookie_same_site: Option<SameSite>,
    cookie_path: String,
    cookie_domain: Option<String>,
    save_every_request: bool,
    expire_at_browser_close: bool,
}

/// Django's `SessionMiddleware` with Django's session engines, so that a
/// browser logged in on a Django site (same database and `SECRET_KEY`) is
/// logged in here, and the other way round.
///
/// - [`DjangoSessions::db`]: Django's `db` engine. The `sessionid` cookie is
///   the key of a `django_session` row (created by `migrate` when missing),
///   whose data is signed with `SECRET_KEY` as Django signs it: either side
///   reads and writes the other's sessions, keys a Django app stored
///   included. Logging out on either side deletes the row, so the cookie is
///   then worthless on both.
/// - [`DjangoSessions::signed_cookies`]: Django's `signed_cookies` engine.
///   The session lives in the cookie, signed (not encrypted: the user can
///   read it) and dated; nothing is stored. **Logging out cannot revoke a
///   copy of the cookie** taken before: it stays valid until it is older than
///   the session age, or until the user's password (and so the session
///   hash) changes. Prefer `db` wherever logout must mean logout.
///
/// `SECRET_KEY` and `SECRET_KEY_FALLBACKS` come from the app's
/// [`AuthSettings`] ([`SiteSettings`](crate::site::SiteSettings)): a session
/// signed with a fallback key is read, and rewritten with the current key
/// the next time it is saved. The handlers see the session as
/// [`actix_session::Session`] (through [`session_of`](crate::session::session_of)),
/// as with actix-session's middleware: `SessionAuthentication`, [`login`](super::login)
/// and [`logout`](super::logout) work unchanged. Only values that are JSON
/// are stored, as Django's `JSONSerializer` requires.
///
/// Django's cookie defaults apply (`sessionid`, two weeks as both `Max-Age`
/// and `Expires`, `HttpOnly`, `SameSite=Lax`, `Path=/`, not `Secure`: set
/// [`cookie_secure`](Self::cookie_secure) behind HTTPS). The session is
/// loaded before the handler runs (one query when the request carries a
/// `sessionid` cookie), and saved after it only when it changed. A database
/// that cannot be reached is a 503, never an anonymous request; a session
/// deleted (by a logout elsewhere) while a request was changing it is
/// Django's 400 `SessionInterrupted`.
///
/// ```no_run
/// use actix_web::App;
/// use auth_actix::session::DjangoSessions;
/// use auth_core::{AuthStore, PoolConfig};
///
/// # fn app(store: AuthStore, settings: auth_actix::AuthSettings) {
/// let app = App::new()
///     .app_data(settings)
///     .wrap(DjangoSessions::db(store.database().clone()).cookie_secure(true));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DjangoSessions {
    config: Arc<Config>,
}

impl DjangoSessions {
    fn with_engine(engine: Engine) -> Self {
        DjangoSessions {
            config: Arc::new(Config {
                engine,
                cookie_name: SESSION_COOKIE_NAME.to_owned(),
                cookie_age: SESSION_COOKIE_AGE,
                cookie_secure: false,
                cookie_http_only: true,
                cookie_same_site: Some(SameSite::Lax),
                cookie_path: "/".to_owned(),
                cookie_domain: None,
                save_every_request: false,
                expire_at_browser_close: false,
            }),
        }
    }

    /// Django's `db` session engine over `db`'s `django_session` table.
    pub fn db(db: Database) -> Self {
        Self::with_engine(Engine::Db(DjangoSessionDb::new(db)))
    }

    /// Django's `signed_cookies` session engine (see above: logout cannot
    /// revoke a copied cookie).
    pub fn signed_cookies() -> Self {
        Self::with_engine(Engine::SignedCookies)
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// `SESSION_COOKIE_NAME` (default `sessionid`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.config_mut().cookie_name = name.into();
        self
    }

    /// `SESSION_COOKIE_AGE` in seconds (default two weeks).
    pub fn cookie_age(mut self, seconds: i64) -> Self {
        self.config_mut().cookie_age = seconds;
        self
    }

    /// `SESSION_COOKIE_SECURE` (default `false`).
    pub fn cookie_secure(mut self, secure: bool) -> Self {
        self.config_mut().cookie_secure = secure;
        self
    }

    /// `SESSION_COOKIE_HTTPONLY` (default `true`).
    pub fn cookie_http_only(mut self, http_only: bool) -> Self {
        self.config_mut().cookie_http_only = http_only;
        self
    }

    /// `SESSION_COOKIE_SAMESITE` (default `Lax`; `None` sends no attribute).
    pub fn cookie_same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.config_mut().cookie_same_site = same_site;
        self
    }

    /// `SESSION_COOKIE_PATH` (default `/`).
    pub fn cookie_path(mut self, path: impl Into<String>) -> Self {
        self.config_mut().cookie_path = path.into();
        self
    }

    /// `SESSION_COOKIE_DOMAIN` (default none: the host only).
    pub fn cookie_domain(mut self, domain: Option<String>) -> Self {
        self.config_mut().cookie_domain = domain;
        self
    }

    /// `SESSION_SAVE_EVERY_REQUEST` (default `false`: saved when changed).
    pub fn save_every_request(mut self, on: bool) -> Self {
        self.config_mut().save_every_request = on;
        self
    }

    /// `SESSION_EXPIRE_AT_BROWSER_CLOSE` (default `false`).
    pub fn expire_at_browser_close(mut self, on: bool) -> Self {
        self.config_mut().expire_at_browser_close = on;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for DjangoSessions
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = DjangoSessionMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(DjangoSessionMiddleware {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service [`DjangoSessions`] wraps around the app.
#[doc(hidden)]
pub struct DjangoSessionMiddleware<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

/// The session as loaded: its key (`None`: a new session) and its state as
/// the handler received it, to tell whether it changed.
struct Loaded {
    key: Option<String>,
    data: JsonObject,
    /// The state as the handler received it (filled in once inserted).
    state: HashMap<String, String>,
    /// The keys in the order Django wrote them, kept on a rewrite.
    order: Vec<String>,
    /// The signed cookie did not verify: Django replaces it.
    replace_cookie: bool,
}

impl<S, B> Service<ServiceRequest> for DjangoSessionMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let cookie = request
                .cookie(&config.cookie_name)
                .map(|c| c.value().to_owned());
            let mut loaded = load(&config, request.request(), cookie.as_deref()).await?;
            let session = request.get_session();
            for (name, value) in loaded.data.iter() {
                session
                    .insert(name, value)
                    .map_err(|_| ApiError::new(AuthError::server_error()))?;
            }
            loaded.order = loaded
                .data
                .iter()
                .map(|(name, _)| name.to_owned())
                .collect();
            loaded.state = session.entries().clone();
            let mut response = service.call(request).await?;
            finish(&config, &mut response, cookie.is_some(), loaded).await?;
            Ok(response)
        })
    }
}

fn keys(request: &HttpRequest) -> Result<(SecretKey, Vec<SecretKey>), Error> {
    let settings = AuthSettings::from_request(request).ok_or_else(missing_settings)?;
    let site = settings.site();
    let key = site.secret_key().map_err(ApiError::new)?.clone();
    Ok((key, site.secret_key_fallbacks().to_vec()))
}

fn unavailable(err: StoreError) -> Error {
    ApiError::new(AuthError::from(err)).into()
}

/// Django's `SessionStore(session_key)` and its `load`.
async fn load(
    config: &Config,
    request: &HttpRequest,
    cookie: Option<&str>,
) -> Result<Loaded, Error> {
    let mut loaded = Loaded {
        key: None,
        data: JsonObject::new(),
        state: HashMap::new(),
        order: Vec::new(),
        replace_cookie: false,
    };
    // Django's `_validate_session_key`: at least 8 characters (and, for a
    // row, no longer than the column).
    let valid = |c: &&str| match config.engine {
        Engine::Db(_) => is_valid_session_key(c),
        Engine::SignedCookies => c.len() >= 8,
    };
    let Some(cookie) = cookie.filter(valid) else {
        return Ok(loaded);
    };
    let (key, fallbacks) = keys(request)?;
    loaded.data = match &config.engine {
        Engine::Db(table) => {
            let table = table.clone();
            let session_key = cookie.to_owned();
            let stored = run_query(move || table.load(&session_key))
                .await
                .map_err(unavailable)?;
            match stored {
                Some(stored) => {
                    loaded.key = Some(cookie.to_owned());
                    decode_session(&stored, &key, &fallbacks)
                }
                // Django forgets a key it does not know (no fixation).
                None => JsonObject::new(),
            }
        }
        Engine::SignedCookies => {
            loaded.key = Some(cookie.to_owned());
            let max_age = Duration::from_secs(u64::try_from(config.cookie_age).unwrap_or(0));
            match load_signed_cookie(cookie, &key, &fallbacks, max_age) {
                Some(data) => data,
                None => {
                    loaded.replace_cookie = true;
                    JsonObject::new()
                }
            }
        }
    };
    Ok(loaded)
}

/// The session as Django writes it: the keys it had, in their order, then
/// the new ones (sorted, so that the same state is the same bytes).
fn to_object(state: &HashMap<String, String>, order: &[String]) -> Result<JsonObject, Error> {
    let mut object = JsonObject::new();
    let mut rest: Vec<&String> = state.keys().filter(|k| !order.contains(k)).collect();
    rest.sort();
    for name in order.iter().filter(|k| state.contains_key(*k)).chain(rest) {
        // The state holds serde_json's text (UTF-8), not Django's latin-1.
        let value = serde_json::from_str::<JsonValue>(&state[name])
            .map_err(|_| ApiError::new(AuthError::server_error()))?;
        object.insert(name.clone(), value);
    }
    Ok(object)
}

fn cookie_base<'c>(config: &Config, value: String) -> actix_web::cookie::CookieBuilder<'c> {
    let mut cookie = Cookie::build(config.cookie_name.clone(), value)
        .path(config.cookie_path.clone())
        .http_only(config.cookie_http_only)
        .secure(config.cookie_secure);
    if let Some(same_site) = config.cookie_same_site {
        cookie = cookie.same_site(same_site);
    }
    if let Some(domain) = &config.cookie_domain {
        cookie = cookie.domain(domain.clone());
    }
    cookie
}

/// Django's `SessionMiddleware.process_response`.
async fn finish<B>(
    config: &Config,
    response: &mut ServiceResponse<B>,
    had_cookie: bool,
    loaded: Loaded,
) -> Result<(), Error> {
    let session = response.request().get_session();
    let status = session.status();
    let state = session.entries().clone();
    let accessed = response
        .request()
        .extensions()
        .contains::<SessionAccessed>();
    let mut key = loaded.key;
    // `purge`, or our `flush` (a renewed, emptied session): Django's `flush`.
    if status == SessionStatus::Purged || (status == SessionStatus::Renewed && state.is_empty()) {
        // Django's `flush`: the row goes, the session is a new, empty one.
        if let (Engine::Db(table), Some(old)) = (&config.engine, key.take()) {
            let table = table.clone();
            run_query(move || table.delete(&old))
                .await
                .map_err(unavailable)?;
        }
        key = None;
    }
    let modified = (status == SessionStatus::Renewed && key.is_some())
        || loaded.replace_cookie
        || (status != SessionStatus::Purged && state != loaded.state);
    let empty = key.is_none() && state.is_empty();
    if accessed || (had_cookie && empty) {
        patch_vary_cookie(response.headers_mut());
    }
    if had_cookie && empty {
        let removal = cookie_base(config, String::new())
            .max_age(CookieDuration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH)
            .finish();
        response.response_mut().add_cookie(&removal)?;
        return Ok(());
    }
    if !(modified || config.save_every_request) || empty {
        return Ok(());
    }
    if response.status().is_server_error() {
        return Ok(());
    }
    let data = to_object(&state, &loaded.order)?;
    let (secret, _) = keys(response.request())?;
    let age = expiry_age(&data, config.cookie_age);
    let storage_age = Duration::from_secs(u64::try_from(age).unwrap_or(0));
    let value = match &config.engine {
        Engine::Db(table) => {
            let encoded = encode_session(&data, &secret)
                .map_err(|_| ApiError::new(AuthError::server_error()))?;
            let table = table.clone();
            let renew = status == SessionStatus::Renewed;
            let saved = run_query(move || -> Result<Option<String>, StoreError> {
                match key {
                    // Django's `cycle_key`: the data under a new key, the old row gone.
                    Some(old) if renew => {
                        let new = table.create(&encoded, storage_age)?;
                        table.delete(&old)?;
                        Ok(Some(new))
                    }
                    Some(old) => Ok(table.save(&old, &encoded, storage_age)?.then_some(old)),
                    None => table.create(&encoded, storage_age).map(Some),
                }
            })
            .await
            .map_err(unavailable)?;
            match saved {
                Some(key) => key,
                None => return Err(session_interrupted()),
            }
        }
        Engine::SignedCookies => {
            signed_cookie(&data, &secret).map_err(|_| ApiError::new(AuthError::server_error()))?
        }
    };
    let mut cookie = cookie_base(config, value);
    if !expire_at_browser_close(&data, config.expire_at_browser_close) {
        // An HTTP date ends with the year 9999; a huge `_session_expiry` stops there.
        let latest = OffsetDateTime::from_unix_timestamp(crate::http::LATEST_HTTP_DATE as i64)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let expires = OffsetDateTime::now_utc()
            .checked_add(CookieDuration::seconds(age))
            .map_or(latest, |at| at.min(latest));
        cookie = cookie
            .max_age(CookieDuration::seconds(age))
            .expires(expires);
    }
    response.response_mut().add_cookie(&cookie.finish())?;
    Ok(())
}

/// Django's `SessionInterrupted`: the session was deleted (a logout in
/// another request) while this request changed it; Django's 400 page.
fn session_interrupted() -> Error {
    tracing::warn!(
        "The request's session was deleted before the request completed. The user may have \
         logged out in a concurrent request, for example."
    );
    InternalError::from_response(
        "session interrupted",
        HttpResponse::build(StatusCode::BAD_REQUEST)
            .content_type("text/html; charset=utf-8")
            .body(BAD_REQUEST_PAGE),
    )
    .into()
}
