//! Django's CSRF protection (`django/middleware/csrf.py`, Django 5.2) over
//! actix-web requests.
//!
//! DRF's `SessionAuthentication` runs Django's `CsrfViewMiddleware` checks for
//! a logged-in session user on every unsafe method; [`enforce_csrf`] is those
//! checks, in Django's order, with Django's reasons:
//!
//! 1. `GET`, `HEAD`, `OPTIONS` and `TRACE` pass.
//! 2. With an `Origin` header: it must be this site's origin (`http(s)://` +
//!    the `Host`, which must pass `ALLOWED_HOSTS` ([`SiteSettings`])), a trusted
//!    origin, or match a wildcard trusted origin (`https://*.example.com`).
//! 3. Without `Origin`, on HTTPS only: the `Referer` must be an `https` URL of
//!    this host, of a trusted origin's host, or of the cookie domain.
//! 4. The `csrftoken` cookie must hold a well-formed secret, and the token
//!    (the `csrfmiddlewaretoken` form field of a POST form, else the
//!    `X-CSRFToken` header), masked or not, must match it in constant time.
//!
//! ```
//! use actix_web::test::TestRequest;
//! use auth_actix::csrf::{enforce_csrf, CsrfConfig};
//! use auth_actix::site::SiteSettings;
//!
//! let (config, site) = (CsrfConfig::default(), SiteSettings::default());
//! let req = TestRequest::post()
//!     .insert_header(("Host", "example.com"))
//!     .insert_header(("Origin", "https://evil.example"))
//!     .to_http_request();
//! assert_eq!(
//!     enforce_csrf(&req, &config, &site, None).unwrap_err(),
//!     "Origin checking failed - https://evil.example does not match any trusted origins."
//! );
//! ```
//!
//! A rejection is `Err(reason)`; DRF answers it with 403
//! `{"detail": "CSRF Failed: <reason>"}`.
//!
//! Issuing the cookie: [`get_token`] (Django's `get_token`: the masked token
//! for a page or a client, and a cookie to set) and [`rotate_token`] (at login)
//! record in the request what the response must carry; the [`CsrfCookie`]
//! middleware writes it as Django's `Set-Cookie` (with `Vary: Cookie`), and
//! [`CsrfCookie::ensure`] is Django's `ensure_csrf_cookie`.
//!
//! Requests are read as Django reads its WSGI environment: header values as
//! latin-1 (one character per byte), several values of one header joined with
//! `,` (as WSGI servers join them), cookies decoded as UTF-8 with replacement
//! characters, the last of several cookies of one name winning. Deviation:
//! the method is not upper-cased, so only exactly `GET`, `HEAD`, `OPTIONS`
//! and `TRACE` are safe (actix-web does not treat `get` as `GET` either).

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::body::MessageBody;
use actix_web::cookie::SameSite;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue, HttpDate};
use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest};
use auth_core::compat::py_strip;
use auth_core::compat::urlsplit::urlsplit;
use auth_core::csrf as core;

pub use auth_core::csrf::{
    form_token_from_urlencoded, CsrfSecret, CSRF_COOKIE_AGE, CSRF_COOKIE_NAME, CSRF_FORM_FIELD,
    CSRF_HEADER_NAME,
};

use crate::http::{get_host, get_port, is_secure, meta, patch_vary_cookie};
use crate::site::SiteSettings;

/// Django's CSRF settings (and the request settings the checks read), with
/// Django's names and defaults.
///
/// Build it with struct update syntax:
///
/// ```
/// use auth_actix::csrf::CsrfConfig;
///
/// let config = CsrfConfig {
///     trusted_origins: vec!["https://*.example.com".into()],
///     cookie_secure: true,
///     ..CsrfConfig::default()
/// };
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfConfig {
    /// `CSRF_COOKIE_NAME`: `csrftoken`.
    pub cookie_name: String,
    /// `CSRF_COOKIE_AGE` in seconds: 31449600 (52 weeks); `None` makes a
    /// browser-session cookie.
    pub cookie_age: Option<u64>,
    /// `CSRF_COOKIE_DOMAIN`: `None` (the cookie is for this host only). When
    /// set, an HTTPS `Referer` from this domain (and the server's port unless
    /// 80 or 443) is accepted.
    pub cookie_domain: Option<String>,
    /// `CSRF_COOKIE_PATH`: `/`.
    pub cookie_path: String,
    /// `CSRF_COOKIE_SECURE`: `false`.
    pub cookie_secure: bool,
    /// `CSRF_COOKIE_HTTPONLY`: `false` (JavaScript reads the cookie to send
    /// the header).
    pub cookie_httponly: bool,
    /// `CSRF_COOKIE_SAMESITE`: `Some(SameSite::Lax)`; `None` omits the
    /// attribute.
    pub cookie_samesite: Option<SameSite>,
    /// `CSRF_HEADER_NAME`, in Django's `META` form: `HTTP_X_CSRFTOKEN` is the
    /// `X-CSRFToken` header.
    pub header_name: String,
    /// `CSRF_TRUSTED_ORIGINS`: origins such as `https://app.example.com`
    /// accepted besides this site's own; an entry with `*` such as
    /// `https://*.example.com` accepts that scheme on the domain and all its
    /// subdomains. Empty by default.
    pub trusted_origins: Vec<String>,
    /// `CSRF_USE_SESSIONS`: `false`. When `true` the secret is kept in the
    /// session (under [`CSRF_SESSION_KEY`]) instead of a cookie, so no CSRF
    /// cookie is sent and a client reads its token from a view (the `csrf`
    /// view, or [`get_token`] in a page). Needs a session middleware in
    /// front of the views, as in Django.
    pub use_sessions: bool,
}

/// Django's `CSRF_SESSION_KEY`: the session key holding the secret with
/// [`CsrfConfig::use_sessions`].
pub const CSRF_SESSION_KEY: &str = "_csrftoken";

impl Default for CsrfConfig {
    fn default() -> Self {
        CsrfConfig {
            cookie_name: CSRF_COOKIE_NAME.to_owned(),
            cookie_age: Some(CSRF_COOKIE_AGE),
            cookie_domain: None,
            cookie_path: "/".to_owned(),
            cookie_secure: false,
            cookie_httponly: false,
            cookie_samesite: Some(SameSite::Lax),
            header_name: CSRF_HEADER_NAME.to_owned(),
            trusted_origins: Vec::new(),
            use_sessions: false,
        }
    }
}

pub use crate::error::CsrfConfigError;

/// Python's `http.cookies._LegalChars` (plus `:`): what a cookie name may hold.
fn is_legal_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:".contains(&b))
}

/// A cookie attribute value that keeps `Set-Cookie` one well-formed header.
fn is_safe_attribute(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

impl CsrfConfig {
    /// Checks the settings as Django's system checks and `set_cookie` would:
    /// every trusted origin starts with a scheme and parses, the header name
    /// names an HTTP header, the cookie name and attributes can be written,
    /// and some host is allowed. Requests checked against an invalid
    /// configuration still fail closed (an unusable trusted origin matches
    /// nothing, an unusable header name gives `CSRF token missing.`).
    pub fn validate(&self) -> Result<(), CsrfConfigError> {
        let mut problems = Vec::new();
        for origin in &self.trusted_origins {
            if !origin.contains("://") {
                problems.push(format!(
                    "CSRF_TRUSTED_ORIGINS entries must start with a scheme (usually http:// or https://) but found {origin}"
                ));
            } else if urlsplit(origin).is_err() {
                problems.push(format!(
                    "CSRF_TRUSTED_ORIGINS entry {origin} is not a valid URL"
                ));
            }
        }
        if meta_header_name(&self.header_name).is_none() {
            problems.push(format!(
                "CSRF_HEADER_NAME {} does not name an HTTP header (use the META form, e.g. HTTP_X_CSRFTOKEN)",
                self.header_name
            ));
        }
        if !is_legal_cookie_name(&self.cookie_name) {
            problems.push(format!(
                "CSRF_COOKIE_NAME {:?} is not a valid cookie name",
                self.cookie_name
            ));
        }
        if !is_safe_attribute(&self.cookie_path) {
            problems.push(format!(
                "CSRF_COOKIE_PATH {:?} cannot be sent in a cookie",
                self.cookie_path
            ));
        }
        if let Some(domain) = self
            .cookie_domain
            .as_deref()
            .filter(|d| !is_safe_attribute(d))
        {
            problems.push(format!(
                "CSRF_COOKIE_DOMAIN {domain:?} cannot be sent in a cookie"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CsrfConfigError(problems))
        }
    }
}

// ----------------------------------------------------------------------------
// Reading the request as Django's META and COOKIES.

/// The HTTP header behind a `META` key: `HTTP_X_CSRFTOKEN` is `x-csrftoken`,
/// `CONTENT_TYPE` and `CONTENT_LENGTH` are themselves. `None` for a key no
/// header produces (WSGI upper-cases header names).
fn meta_header_name(meta_name: &str) -> Option<HeaderName> {
    let name = match meta_name {
        "CONTENT_TYPE" | "CONTENT_LENGTH" => meta_name,
        _ => meta_name.strip_prefix("HTTP_")?,
    };
    if name.is_empty() || name.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    HeaderName::from_bytes(name.replace('_', "-").as_bytes()).ok()
}

/// Python's `http.cookies._unquote`: a value in double quotes loses them, and
/// `\ooo` (octal) and `\c` escapes inside are decoded.
fn cookie_unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|_| value.chars().count() >= 2)
    else {
        return value.to_owned();
    };
    let chars: Vec<char> = inner.chars().collect();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            // \\(?:([0-3][0-7][0-7])|(.))
            let octal = chars.get(i + 1..i + 4).filter(|d| {
                matches!(d[0], '0'..='3') && matches!(d[1], '0'..='7') && matches!(d[2], '0'..='7')
            });
            if let Some(digits) = octal {
                let code = digits
                    .iter()
                    .fold(0u32, |n, d| n * 8 + d.to_digit(8).unwrap_or(0));
                out.extend(char::from_u32(code));
                i += 4;
                continue;
            }
            if chars[i + 1] != '\n' {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Django's `parse_cookie(HTTP_COOKIE)[name]`: `;`-separated `name=value`
/// chunks (a chunk without `=` has the empty name), both stripped, the value
/// unquoted; the last of several cookies named `name` wins.
fn cookie_value(cookie_header: &str, name: &str) -> Option<String> {
    let mut found = None;
    for chunk in cookie_header.split(';') {
        let (key, value) = chunk.split_once('=').unwrap_or(("", chunk));
        let (key, value) = (py_strip(key), py_strip(value));
        if (!key.is_empty() || !value.is_empty()) && key == name {
            found = Some(cookie_unquote(value));
        }
    }
    found
}

/// The request's stored secret (Django's `_get_secret`): the session's
/// [`CSRF_SESSION_KEY`] with [`CsrfConfig::use_sessions`], else the cookie.
fn stored_secret(req: &HttpRequest, config: &CsrfConfig) -> Option<String> {
    if config.use_sessions {
        crate::http::session_of(req)
            .get::<String>(CSRF_SESSION_KEY)
            .ok()
            .flatten()
    } else {
        csrf_cookie(req, config)
    }
}

/// The request's CSRF cookie value as Django's `request.COOKIES` has it:
/// every `Cookie` header (joined with `; `) decoded as UTF-8 with replacement
/// characters, then parsed as Django's `parse_cookie` (`;`-separated
/// `name=value` pairs, stripped and unquoted; the last one named so wins).
pub fn csrf_cookie(req: &HttpRequest, config: &CsrfConfig) -> Option<String> {
    let mut raw = Vec::new();
    for (i, value) in req.headers().get_all(header::COOKIE).enumerate() {
        if i > 0 {
            raw.extend_from_slice(b"; ");
        }
        raw.extend_from_slice(value.as_bytes());
    }
    cookie_value(&String::from_utf8_lossy(&raw), &config.cookie_name)
}

// ----------------------------------------------------------------------------
// The checks.

/// RFC 9110's safe methods, which Django never checks: exactly `GET`, `HEAD`,
/// `OPTIONS` and `TRACE`.
pub fn is_safe_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

pub use crate::parsers::is_form_media_type;

/// Django's `_origin_verified`.
fn origin_verified(
    req: &HttpRequest,
    config: &CsrfConfig,
    site: &SiteSettings,
    origin: &str,
) -> bool {
    if let Some(host) = get_host(req, site) {
        let scheme = if is_secure(req, site) {
            "https"
        } else {
            "http"
        };
        if origin == format!("{scheme}://{host}") {
            return true;
        }
    }
    if config
        .trusted_origins
        .iter()
        .any(|trusted| !trusted.contains('*') && trusted == origin)
    {
        return true;
    }
    let Ok(parsed) = urlsplit(origin) else {
        return false;
    };
    config
        .trusted_origins
        .iter()
        .filter(|trusted| trusted.contains('*'))
        .filter_map(|trusted| urlsplit(trusted).ok())
        .filter(|trusted| trusted.scheme == parsed.scheme)
        .any(|trusted| core::is_same_domain(&parsed.netloc, trusted.netloc.trim_start_matches('*')))
}

/// Django's `_check_referer` (run for HTTPS requests without `Origin`).
fn check_referer(
    req: &HttpRequest,
    config: &CsrfConfig,
    site: &SiteSettings,
) -> Result<(), String> {
    let referer = meta(req, &header::REFERER).ok_or(core::REASON_NO_REFERER)?;
    let referer = urlsplit(&referer).map_err(|_| core::REASON_MALFORMED_REFERER)?;
    if referer.scheme.is_empty() || referer.netloc.is_empty() {
        return Err(core::REASON_MALFORMED_REFERER.to_owned());
    }
    if referer.scheme != "https" {
        return Err(core::REASON_INSECURE_REFERER.to_owned());
    }
    let trusted = config
        .trusted_origins
        .iter()
        .filter_map(|origin| urlsplit(origin).ok())
        .any(|origin| core::is_same_domain(&referer.netloc, origin.netloc.trim_start_matches('*')));
    if trusted {
        return Ok(());
    }
    let bad = || core::reason_bad_referer(&referer.geturl());
    let good_referer = match &config.cookie_domain {
        None => get_host(req, site).ok_or_else(bad)?,
        Some(domain) => match get_port(req, site).as_str() {
            "443" | "80" => domain.clone(),
            port => format!("{domain}:{port}"),
        },
    };
    if core::is_same_domain(&referer.netloc, &good_referer) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Django's `_check_token`: the cookie, then the token from the form field
/// (POST only) or the header, its format, then the match.
fn check_token(
    req: &HttpRequest,
    config: &CsrfConfig,
    form_token: Option<&str>,
) -> Result<(), String> {
    let cookie = stored_secret(req, config);
    let form_token = form_token.filter(|_| req.method() == Method::POST);
    let header_token = meta_header_name(&config.header_name).and_then(|name| meta(req, &name));
    core::check_token_with_header(
        cookie.as_deref(),
        form_token,
        header_token.as_deref(),
        &config.header_name,
    )
    .map(|_| ())
    .map_err(|rejection| rejection.reason().to_owned())
}

/// DRF's `SessionAuthentication.enforce_csrf`: Django's
/// `CsrfViewMiddleware.process_request` and `process_view`. `Ok(())` when the
/// request may proceed, else `Err` with Django's reason (DRF shows it as
/// `CSRF Failed: <reason>` with status 403).
///
/// `form_token` is the `csrfmiddlewaretoken` field of the request's form
/// body; pass it only when the body is a form ([`is_form_media_type`]), e.g.
/// from [`form_token_from_urlencoded`]. It counts for `POST` only, as in
/// Django; otherwise, or when it is empty, the header
/// ([`CsrfConfig::header_name`]) is read.
///
/// Like Django's `process_request`, this notes the cookie's secret in the
/// request, and replaces a malformed cookie by a fresh secret that the
/// [`CsrfCookie`] middleware sends back.
pub fn enforce_csrf(
    req: &HttpRequest,
    config: &CsrfConfig,
    site: &SiteSettings,
    form_token: Option<&str>,
) -> Result<(), String> {
    process_request(req, config);
    if is_safe_method(req.method()) {
        return Ok(());
    }
    if let Some(origin) = meta(req, &header::ORIGIN) {
        if !origin_verified(req, config, site, &origin) {
            return Err(core::reason_bad_origin(&origin));
        }
    } else if is_secure(req, site) {
        check_referer(req, config, site)?;
    }
    check_token(req, config, form_token)
}

// ----------------------------------------------------------------------------
// Issuing the cookie.

/// Django's `request.META["CSRF_COOKIE"]` and `["CSRF_COOKIE_NEEDS_UPDATE"]`,
/// kept in the request's extensions.
#[derive(Clone, Default)]
struct CookieState {
    secret: Option<CsrfSecret>,
    needs_update: bool,
}

/// Django's `process_request`: a well-formed cookie's secret is reused; a
/// malformed cookie is replaced by a fresh secret. Runs once per request.
fn process_request(req: &HttpRequest, config: &CsrfConfig) {
    if req.extensions().contains::<CookieState>() {
        return;
    }
    let state = match stored_secret(req, config).map(|value| CsrfSecret::from_cookie(&value)) {
        None => CookieState::default(),
        Some(Ok(secret)) => CookieState {
            secret: Some(secret),
            needs_update: false,
        },
        Some(Err(_)) => CookieState {
            secret: Some(CsrfSecret::generate()),
            needs_update: true,
        },
    };
    req.extensions_mut().insert(state);
}

fn with_state<T>(
    req: &HttpRequest,
    config: &CsrfConfig,
    f: impl FnOnce(&mut CookieState) -> T,
) -> T {
    process_request(req, config);
    let mut extensions = req.extensions_mut();
    match extensions.get_mut::<CookieState>() {
        Some(state) => f(state),
        None => {
            let mut state = CookieState::default();
            let out = f(&mut state);
            extensions.insert(state);
            out
        }
    }
}

/// Django's `get_token`: a fresh masked token (64 characters) for the
/// request's secret, making a secret if the request has none. The response
/// then sets the cookie (through [`CsrfCookie`]) even if the client has it,
/// which renews its expiry.
pub fn get_token(req: &HttpRequest, config: &CsrfConfig) -> String {
    with_state(req, config, |state| {
        state.needs_update = true;
        state.secret.get_or_insert_with(CsrfSecret::generate).mask()
    })
}

/// Django's `rotate_token`: a new secret for this request and its response's
/// cookie. Call it at login, so a token seen before the login is useless
/// after it.
pub fn rotate_token(req: &HttpRequest, config: &CsrfConfig) {
    with_state(req, config, |state| {
        state.secret = Some(CsrfSecret::generate());
        state.needs_update = true;
    });
}

/// Django's `Set-Cookie` for `secret` (its `response.set_cookie` with the
/// `CSRF_COOKIE_*` settings), attributes in Django's order:
/// `csrftoken=<secret>; Domain=…; expires=<now + age>; HttpOnly;
/// Max-Age=<age>; Path=/; SameSite=Lax; Secure`.
pub fn set_cookie_value(secret: &CsrfSecret, config: &CsrfConfig, now: SystemTime) -> String {
    let mut cookie = format!("{}={}", config.cookie_name, secret.as_str());
    if let Some(domain) = &config.cookie_domain {
        cookie.push_str("; Domain=");
        cookie.push_str(domain);
    }
    if let Some(age) = config.cookie_age {
        // An HTTP date ends with the year 9999 (and `HttpDate` panics after it).
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_add(age)
            .min(crate::http::LATEST_HTTP_DATE);
        let expires = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        cookie.push_str(&format!("; expires={}", HttpDate::from(expires)));
    }
    if config.cookie_httponly {
        cookie.push_str("; HttpOnly");
    }
    if let Some(age) = config.cookie_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie.push_str("; Path=");
    cookie.push_str(&config.cookie_path);
    if let Some(same_site) = config.cookie_samesite {
        cookie.push_str(match same_site {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        });
    }
    if config.cookie_secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Django's `process_response`: when [`get_token`], [`rotate_token`] or a
/// malformed cookie asked for it, adds the `Set-Cookie` of the request's
/// secret and `Vary: Cookie` to `headers`, once.
pub fn process_response(req: &HttpRequest, config: &CsrfConfig, headers: &mut HeaderMap) {
    let secret = {
        let mut extensions = req.extensions_mut();
        match extensions.get_mut::<CookieState>() {
            Some(state) if state.needs_update => {
                state.needs_update = false;
                state.secret.clone()
            }
            _ => None,
        }
    };
    let Some(secret) = secret else {
        return;
    };
    if config.use_sessions {
        // Django's `_set_csrf_cookie` with `CSRF_USE_SESSIONS`.
        let session = crate::http::session_of(req);
        let stored = session.get::<String>(CSRF_SESSION_KEY).ok().flatten();
        if stored.as_deref() != Some(secret.as_str()) {
            if let Err(err) = session.insert(CSRF_SESSION_KEY, secret.as_str()) {
                tracing::warn!(error = %err, "the CSRF secret could not be stored in the session");
            }
        }
        return;
    }
    match HeaderValue::from_str(&set_cookie_value(&secret, config, SystemTime::now())) {
        Ok(value) => {
            headers.append(header::SET_COOKIE, value);
            patch_vary_cookie(headers);
        }
        Err(_) => tracing::warn!(
            "the CSRF cookie cannot be sent: its name, path or domain is not a valid header value"
        ),
    }
}

/// Middleware that sends the CSRF cookie when the request asked for it
/// ([`get_token`], [`rotate_token`], a malformed cookie met by
/// [`enforce_csrf`]): Django's `CsrfViewMiddleware.process_response`.
/// [`CsrfCookie::ensure`] also makes every response carry the cookie
/// (Django's `ensure_csrf_cookie`), e.g. on the page or endpoint a
/// JavaScript client loads first.
///
/// ```
/// use actix_web::{web, App, HttpRequest, HttpResponse};
/// use auth_actix::csrf::{self, CsrfConfig, CsrfCookie};
///
/// let config = CsrfConfig::default();
/// let app = App::new()
///     .wrap(CsrfCookie::ensure(config.clone()))
///     .app_data(web::Data::new(config))
///     .route(
///         "/csrf",
///         web::get().to(|req: HttpRequest, config: web::Data<CsrfConfig>| async move {
///             HttpResponse::Ok().json(serde_json::json!({ "csrfToken": csrf::get_token(&req, &config) }))
///         }),
///     );
/// ```
#[derive(Debug, Clone)]
pub struct CsrfCookie {
    config: Arc<CsrfConfig>,
    ensure: bool,
}

impl CsrfCookie {
    /// Sends the cookie when the request asked for it.
    pub fn new(config: CsrfConfig) -> Self {
        CsrfCookie {
            config: Arc::new(config),
            ensure: false,
        }
    }

    /// Django's `ensure_csrf_cookie`: every response carries the cookie (a
    /// fresh secret for a client without a valid one).
    pub fn ensure(config: CsrfConfig) -> Self {
        CsrfCookie {
            config: Arc::new(config),
            ensure: true,
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for CsrfCookie
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = CsrfCookieMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfCookieMiddleware {
            service: Rc::new(service),
            config: self.config.clone(),
            ensure: self.ensure,
        }))
    }
}

/// The service [`CsrfCookie`] wraps around the application.
#[doc(hidden)]
pub struct CsrfCookieMiddleware<S> {
    service: Rc<S>,
    config: Arc<CsrfConfig>,
    ensure: bool,
}

impl<S, B> Service<ServiceRequest> for CsrfCookieMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let config = self.config.clone();
        process_request(req.request(), &config);
        if self.ensure {
            get_token(req.request(), &config);
        }
        let service = self.service.clone();
        Box::pin(async move {
            let mut res = service.call(req).await?;
            let request = res.request().clone();
            process_response(&request, &config, res.headers_mut());
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn default_config_is_djangos() {
        let c = CsrfConfig::default();
        assert_eq!(c.cookie_name, "csrftoken");
        assert_eq!(c.cookie_age, Some(31_449_600));
        assert_eq!(c.cookie_domain, None);
        assert_eq!(c.cookie_path, "/");
        assert!(!c.cookie_secure && !c.cookie_httponly);
        assert_eq!(c.cookie_samesite, Some(SameSite::Lax));
        assert_eq!(c.header_name, "HTTP_X_CSRFTOKEN");
        assert!(c.trusted_origins.is_empty());
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn config_problems_are_listed() {
        let c = CsrfConfig {
            trusted_origins: vec![
                "example.com".into(),
                "https://[::1".into(),
                "https://*.ok.example".into(),
            ],
            header_name: "X-CSRFToken".into(),
            cookie_name: "csrf token".into(),
            cookie_path: "/;x".into(),
            cookie_domain: Some("a\u{7f}".into()),
            ..CsrfConfig::default()
        };
        let err = c.validate().unwrap_err();
        assert_eq!(err.0.len(), 6, "{err}");
        assert_eq!(
            err.0[0],
            "CSRF_TRUSTED_ORIGINS entries must start with a scheme (usually http:// or https://) but found example.com"
        );
        assert!(err
            .to_string()
            .contains("CSRF_TRUSTED_ORIGINS entry https://[::1 is not a valid URL"));
    }

    #[test]
    fn meta_names_to_headers() {
        let name = |m: &str| meta_header_name(m).map(|h| h.as_str().to_owned());
        assert_eq!(name("HTTP_X_CSRFTOKEN").as_deref(), Some("x-csrftoken"));
        assert_eq!(name("HTTP_X_XSRF_TOKEN").as_deref(), Some("x-xsrf-token"));
        assert_eq!(name("CONTENT_TYPE").as_deref(), Some("content-type"));
        assert_eq!(name("X_CSRFTOKEN"), None);
        assert_eq!(name("HTTP_x_csrftoken"), None);
        assert_eq!(name("HTTP_"), None);
        assert_eq!(name("HTTP_BAD NAME"), None);
    }

    /// Python's `SimpleCookie`'s `_unquote`.
    #[test]
    fn cookie_unquoting() {
        for (raw, value) in [
            ("abc", "abc"),
            ("\"abc\"", "abc"),
            ("\"\"", ""),
            ("\"", "\""),
            ("\"abc", "\"abc"),
            ("\"a\\\"b\"", "a\"b"),
            ("\"a\\\\b\"", "a\\b"),
            ("\"\\101\\102\"", "AB"),
            ("\"\\400\"", "400"),
            ("\"\\1\"", "1"),
            ("\"a\\\"", "a\\"),
        ] {
            assert_eq!(cookie_unquote(raw), value, "{raw}");
        }
    }

    #[test]
    fn cookie_parsing_like_django() {
        let get = |header: &str| cookie_value(header, "csrftoken");
        assert_eq!(get("csrftoken=a"), Some("a".into()));
        assert_eq!(get(" csrftoken = a ; b=c"), Some("a".into()));
        assert_eq!(get("csrftoken=a; csrftoken=b"), Some("b".into()));
        assert_eq!(get("csrftoken=a=b"), Some("a=b".into()));
        assert_eq!(get("csrftoken"), None);
        assert_eq!(get("csrftoken="), Some(String::new()));
        assert_eq!(get("Csrftoken=a"), None);
        assert_eq!(get(""), None);
        assert_eq!(get(";;;"), None);
        assert_eq!(get("csrftoken=\"q\""), Some("q".into()));
        assert_eq!(get("csrftoken=\u{a0}x\u{1c}"), Some("x".into()));
        assert_eq!(cookie_value("abc", ""), Some("abc".into()));
    }

    #[test]
    fn cookie_headers_are_joined_and_decoded() {
        let config = CsrfConfig::default();
        let req = TestRequest::default()
            .append_header(("Cookie", "a=1; csrftoken=first"))
            .append_header(("Cookie", "csrftoken=second"))
            .to_http_request();
        assert_eq!(csrf_cookie(&req, &config), Some("second".into()));
        let req = TestRequest::default()
            .insert_header((
                "Cookie",
                HeaderValue::from_bytes(b"csrftoken=\xc3\xa9\xff").unwrap(),
            ))
            .to_http_request();
        assert_eq!(csrf_cookie(&req, &config), Some("\u{e9}\u{fffd}".into()));
    }

    #[test]
    fn headers_are_latin1_and_joined() {
        let req = TestRequest::default()
            .append_header(("X-CSRFToken", HeaderValue::from_bytes(b"a\xe9").unwrap()))
            .append_header(("X-CSRFToken", "b"))
            .to_http_request();
        let name = meta_header_name(CSRF_HEADER_NAME).unwrap();
        assert_eq!(meta(&req, &name), Some("a\u{e9},b".into()));
        assert_eq!(meta(&req, &header::ORIGIN), None);
    }

    #[test]
    fn form_media_types() {
        for yes in [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "Multipart/Form-Data; boundary=x",
            " multipart/form-data ",
        ] {
            assert!(is_form_media_type(yes), "{yes}");
        }
        for no in [
            "application/json",
            "text/plain",
            "",
            "multipart/mixed",
            "application/x-www-form-urlencodedx",
        ] {
            assert!(!is_form_media_type(no), "{no}");
        }
    }

    /// Django's `QueryDict(body).get("csrfmiddlewaretoken")`.
    #[test]
    fn urlencoded_form_token() {
        let get = |body: &[u8]| form_token_from_urlencoded(body);
        assert_eq!(get(b"csrfmiddlewaretoken=abc"), Some("abc".into()));
        assert_eq!(get(b"a=1&csrfmiddlewaretoken=abc&b=2"), Some("abc".into()));
        assert_eq!(
            get(b"csrfmiddlewaretoken=a&csrfmiddlewaretoken=b"),
            Some("b".into())
        );
        assert_eq!(get(b"csrfmiddlewaretoken"), Some(String::new()));
        assert_eq!(get(b"csrfmiddlewaretoken="), Some(String::new()));
        assert_eq!(get(b"csrfmiddlewaretoken=a+b%21"), Some("a b!".into()));
        assert_eq!(get(b"csrf%6Diddlewaretoken=x"), Some("x".into()));
        assert_eq!(get(b"csrfmiddlewaretoken=%zz%4"), Some("%zz%4".into()));
        assert_eq!(get(b"csrfmiddlewaretoken=%C3%A9"), Some("\u{e9}".into()));
        assert_eq!(get(b"csrfmiddlewaretoken=%C3"), Some("\u{fffd}".into()));
        assert_eq!(get(b"csrfmiddlewaretoken=\xe9"), Some("\u{e9}".into()));
        assert_eq!(get(b"csrfmiddlewaretoken=a;b"), Some("a;b".into()));
        assert_eq!(get(b""), None);
        assert_eq!(get(b"other=1"), None);
    }

    #[test]
    fn set_cookie_matches_django() {
        // Django 5.2: response.cookies["csrftoken"].output(header="") for the
        // default settings and for every attribute set.
        let secret = CsrfSecret::from_cookie("XapprULvGy9ftle0l7Vt9K8oOFvB81Ag").unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_827_106_709 - 31_449_600);
        assert_eq!(
            set_cookie_value(&secret, &CsrfConfig::default(), now),
            "csrftoken=XapprULvGy9ftle0l7Vt9K8oOFvB81Ag; expires=Thu, 25 Nov 2027 01:38:29 GMT; \
             Max-Age=31449600; Path=/; SameSite=Lax"
        );
        let config = CsrfConfig {
            cookie_domain: Some(".example.com".into()),
            cookie_secure: true,
            cookie_httponly: true,
            cookie_samesite: Some(SameSite::Strict),
            ..CsrfConfig::default()
        };
        assert_eq!(
            set_cookie_value(&secret, &config, now),
            "csrftoken=XapprULvGy9ftle0l7Vt9K8oOFvB81Ag; Domain=.example.com; \
             expires=Thu, 25 Nov 2027 01:38:29 GMT; HttpOnly; Max-Age=31449600; Path=/; \
             SameSite=Strict; Secure"
        );
        let config = CsrfConfig {
            cookie_samesite: None,
            cookie_age: None,
            cookie_path: "/api".into(),
            ..CsrfConfig::default()
        };
        assert_eq!(
            set_cookie_value(&secret, &config, now),
            "csrftoken=XapprULvGy9ftle0l7Vt9K8oOFvB81Ag; Path=/api"
        );
        // An age past the year 9999 is capped in `expires`, not a panic.
        let config = CsrfConfig {
            cookie_age: Some(u64::MAX),
            ..CsrfConfig::default()
        };
        assert_eq!(
            set_cookie_value(&secret, &config, now),
            format!(
                "csrftoken=XapprULvGy9ftle0l7Vt9K8oOFvB81Ag; expires=Fri, 31 Dec 9999 23:59:59 GMT; \
                 Max-Age={}; Path=/; SameSite=Lax",
                u64::MAX
            )
        );
    }

    #[test]
    fn vary_is_patched_like_django() {
        let vary = |existing: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in existing {
                headers.append(header::VARY, HeaderValue::from_str(v).unwrap());
            }
            patch_vary_cookie(&mut headers);
            let all: Vec<_> = headers.get_all(header::VARY).collect();
            assert_eq!(all.len(), 1);
            all[0].to_str().unwrap().to_owned()
        };
        assert_eq!(vary(&[]), "Cookie");
        assert_eq!(vary(&["Accept-Encoding"]), "Accept-Encoding, Cookie");
        assert_eq!(vary(&["Accept ,  cookie"]), "Accept, cookie");
        assert_eq!(vary(&["Accept", "Origin"]), "Accept, Origin, Cookie");
        assert_eq!(vary(&["*"]), "*");
    }

    #[test]
    fn token_state_per_request() {
        let config = CsrfConfig::default();
        let secret = CsrfSecret::generate();
        let req = TestRequest::default()
            .insert_header(("Cookie", format!("csrftoken={}", secret.as_str())))
            .to_http_request();
        // A valid cookie is kept and not re-sent unless a token is asked for.
        let mut headers = HeaderMap::new();
        process_request(&req, &config);
        process_response(&req, &config, &mut headers);
        assert!(headers.is_empty());
        let token = get_token(&req, &config);
        assert_eq!(core::unmask_cipher_token(&token).unwrap(), secret);
        assert_ne!(get_token(&req, &config), token, "a fresh mask each time");
        process_response(&req, &config, &mut headers);
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie.starts_with(&format!("csrftoken={};", secret.as_str())),
            "{cookie}"
        );
        assert_eq!(headers.get(header::VARY).unwrap(), "Cookie");
        // Once.
        let mut again = HeaderMap::new();
        process_response(&req, &config, &mut again);
        assert!(again.is_empty());
        // Rotation replaces the secret.
        rotate_token(&req, &config);
        let mut rotated = HeaderMap::new();
        process_response(&req, &config, &mut rotated);
        let cookie = rotated.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(!cookie.contains(secret.as_str()), "{cookie}");
        assert!(cookie.starts_with("csrftoken="));
    }

    #[test]
    fn malformed_cookie_is_replaced() {
        let config = CsrfConfig::default();
        let req = TestRequest::post()
            .insert_header(("Cookie", "csrftoken=garbage"))
            .to_http_request();
        assert_eq!(
            enforce_csrf(&req, &config, &SiteSettings::default(), None).unwrap_err(),
            "CSRF cookie has incorrect length."
        );
        let mut headers = HeaderMap::new();
        process_response(&req, &config, &mut headers);
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        let value = cookie
            .strip_prefix("csrftoken=")
            .and_then(|v| v.split(';').next())
            .unwrap();
        assert!(CsrfSecret::from_cookie(value).is_ok(), "{cookie}");
    }

    #[test]
    fn no_cookie_and_no_token_request_sets_nothing() {
        let config = CsrfConfig::default();
        let req = TestRequest::get().to_http_request();
        assert_eq!(
            enforce_csrf(&req, &config, &SiteSettings::default(), None),
            Ok(())
        );
        let mut headers = HeaderMap::new();
        process_response(&req, &config, &mut headers);
        assert!(headers.is_empty());
    }
}
