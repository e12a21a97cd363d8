//! The one place errors become HTTP responses (DRF's `handle_exception` and
//! `exception_handler`, rendered by its `JSONRenderer`).

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth_core::error::{AuthError, ErrorDetail, ErrorKind};
use auth_core::render::detail_body;
pub(crate) use auth_core::render::push_json_str;

/// An [`AuthError`] ready to be rendered, with what the view knows: the first
/// authentication class's `WWW-Authenticate` value and the body hook.
///
/// Handlers return it (`Result<_, ApiError>`; `?` converts an `AuthError`). An
/// error returned by a view without context gets the view's context when the
/// pipeline finalizes the response, as DRF's `handle_exception` does.
pub struct ApiError {
    error: AuthError,
    context: Option<Box<ErrorContext>>,
}

struct ErrorContext {
    www_authenticate: Option<HeaderValue>,
    hook: Option<ErrorBodyHook>,
}

impl ApiError {
    /// An error without view context: an authentication error renders as 403.
    pub fn new(error: AuthError) -> Self {
        ApiError {
            error,
            context: None,
        }
    }

    /// An error rendered for a view whose first authentication class answers
    /// `www_authenticate` (DRF: non-empty gives 401 with the header, else 403).
    pub fn for_view(
        error: AuthError,
        www_authenticate: Option<Cow<'static, str>>,
        hook: Option<&ErrorBodyHook>,
    ) -> Self {
        let www_authenticate =
            www_authenticate
                .filter(|value| !value.is_empty())
                .and_then(|value| {
                    HeaderValue::from_str(&value)
                        .inspect_err(|_| {
                            tracing::error!(?value, "WWW-Authenticate value is not a valid header")
                        })
                        .ok()
                });
        let hook = hook.cloned();
        ApiError {
            error,
            context: Some(Box::new(ErrorContext {
                www_authenticate,
                hook,
            })),
        }
    }

    /// The error.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// Whether a view's context has been applied.
    pub fn has_context(&self) -> bool {
        self.context.is_some()
    }

    fn www_authenticate(&self) -> Option<&HeaderValue> {
        self.context
            .as_ref()
            .and_then(|c| c.www_authenticate.as_ref())
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::new(error)
    }
}

/// A store failure: the logged 503 (`AuthError`'s conversion).
impl From<auth_core::StoreError> for ApiError {
    fn from(error: auth_core::StoreError) -> Self {
        ApiError::new(AuthError::from(error))
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("error", &self.error)
            .field("www_authenticate", &self.www_authenticate())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        if self.error.kind().is_authentication() {
            return match self.www_authenticate() {
                Some(_) => StatusCode::UNAUTHORIZED,
                None => StatusCode::FORBIDDEN,
            };
        }
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self.context.as_ref().and_then(|c| c.hook.as_ref()) {
            Some(hook) => value_to_json(&hook(&self.error)),
            None => detail_body(self.error.detail()),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        if status == StatusCode::UNAUTHORIZED {
            if let Some(value) = self.www_authenticate() {
                response.insert_header((header::WWW_AUTHENTICATE, value.clone()));
            }
        }
        if self.error.kind() == ErrorKind::Throttled {
            // DRF's `if getattr(exc, 'wait', None)`: no header for a wait of 0.
            if let Some(wait) = self.error.wait().filter(|wait| *wait > 0) {
                response.insert_header((header::RETRY_AFTER, wait));
            }
        }
        response.body(body)
    }
}

/// DRF's default body for `error` as a JSON value: `{"detail": text}`, or the
/// list or map itself (maps come out with sorted keys; the rendered default
/// keeps insertion order).
pub fn default_body(error: &AuthError) -> serde_json::Value {
    fn value(detail: &ErrorDetail) -> serde_json::Value {
        match detail {
            ErrorDetail::Text(text) => serde_json::Value::String(text.to_string()),
            ErrorDetail::List(items) => items.iter().map(value).collect(),
            ErrorDetail::Map(fields) => fields
                .iter()
                .map(|(key, detail)| (key.to_string(), value(detail)))
                .collect(),
        }
    }
    match error.detail() {
        text @ ErrorDetail::Text(_) => serde_json::json!({ "detail": value(text) }),
        other => value(other),
    }
}

/// A JSON value rendered compactly with DRF's escaping rules.
pub(crate) fn value_to_json(value: &serde_json::Value) -> String {
    let compact = value.to_string();
    if compact.contains(['\u{2028}', '\u{2029}']) {
        compact
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    } else {
        compact
    }
}

/// Replaces the JSON body of every error response (status and headers stay DRF's).
///
/// [`default_body`] gives the standard body, to
/// extend rather than replace.
pub type ErrorBodyHook = Arc<dyn Fn(&AuthError) -> serde_json::Value + Send + Sync>;

/// A mistake in the settings, reported by [`AuthSettingsBuilder::build`](crate::settings::AuthSettingsBuilder::build)
/// and [`SiteSettingsBuilder::build`](crate::site::SiteSettingsBuilder::build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The Basic realm cannot appear in a `WWW-Authenticate` header.
    #[error(
        "the Basic realm {0:?} cannot be sent in a WWW-Authenticate header (no control characters)"
    )]
    InvalidRealm(String),
    /// `SECRET_KEY` (or a fallback) is empty.
    #[error("the secret key must not be empty")]
    EmptySecretKey,
    /// `ALLOWED_HOSTS` is empty: no request could be served.
    #[error("ALLOWED_HOSTS is empty: name the hosts this site answers to")]
    NoAllowedHosts,
    /// `AUTHENTICATION_BACKENDS` is empty: no session could name its user's backend.
    #[error("AUTHENTICATION_BACKENDS is empty: list at least Django's ModelBackend")]
    NoAuthenticationBackends,
    /// `TIME_ZONE` names no zone of the IANA tz database (Django's
    /// `Incorrect timezone setting`).
    #[error(
        "Incorrect timezone setting: {0} (TIME_ZONE names an IANA time zone, such as \"UTC\" or \"Europe/Paris\"; names are case-sensitive)"
    )]
    UnknownTimeZone(String),
    /// The CSRF settings are not usable.
    #[error("CSRF settings: {0}")]
    Csrf(CsrfConfigError),
    /// A `DEFAULT_THROTTLE_RATES` entry is not a rate DRF would accept.
    #[error("DEFAULT_THROTTLE_RATES[{scope:?}]: {error}")]
    ThrottleRate {
        /// The scope.
        scope: String,
        /// What is wrong with its rate.
        error: auth_core::throttling::RateError,
    },
    /// A class of `DEFAULT_THROTTLE_CLASSES` cannot run with these
    /// settings (DRF's `ImproperlyConfigured`: a scope without a rate).
    #[error("DEFAULT_THROTTLE_CLASSES: {0}")]
    Throttle(String),
    /// The account endpoints' settings are incomplete or wrong (a link
    /// template an enabled email needs, a template that does not parse).
    #[error("{0}")]
    Accounts(String),
}

/// `a::b::Name<c::D>` → `Name`: how classes and settings types are named
/// in messages and logs.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics)
}

/// A configuration mistake found while handling a request: logged in full, a
/// 500 for the client (with the explanation in debug builds only), and
/// printed on stderr the first time each mistake is met, so that it is seen
/// without a `tracing` subscriber too.
pub(crate) fn misconfigured(explanation: &str) -> AuthError {
    tracing::error!("auth-actix is misconfigured: {explanation}");
    if first_time(explanation) {
        eprintln!(
            "auth-actix is misconfigured: {explanation}. (Printed once; every occurrence is \
             logged through `tracing`, and the client gets a 500.)"
        );
    }
    if cfg!(debug_assertions) {
        AuthError::new(
            auth_core::error::ErrorKind::Server,
            format!("Server misconfigured: {explanation}."),
        )
    } else {
        AuthError::server_error()
    }
}

/// Whether `explanation` is met for the first time in this process. The
/// explanations are the crate's own messages, so the set stays small.
fn first_time(explanation: &str) -> bool {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    if seen.iter().any(|s| s == explanation) {
        return false;
    }
    seen.push(explanation.to_owned());
    true
}

/// The error a view gives when the app has no `AuthSettings`.
pub(crate) fn missing_settings() -> ApiError {
    ApiError::from(misconfigured(
        "no AuthSettings in the app data: add `.app_data(AuthSettings::builder().store(store).build()?)` to the App",
    ))
}

/// What is wrong with a [`CsrfConfig`](crate::csrf::CsrfConfig); `Display` lists every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfConfigError(pub Vec<String>);

impl fmt::Display for CsrfConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for CsrfConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(err: &ApiError) -> (u16, Vec<(String, String)>, String) {
        let response = err.error_response();
        let status = response.status().as_u16();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
            .collect();
        headers.sort();
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn hook_values_are_compact_with_drfs_escaping() {
        assert_eq!(
            value_to_json(&serde_json::json!({"d": "x\u{2028}"})),
            r#"{"d":"x\u2028"}"#
        );
    }

    #[test]
    fn authentication_errors_pick_401_or_403() {
        let with_header =
            ApiError::for_view(AuthError::not_authenticated(), Some("Token".into()), None);
        let (status, headers, body) = body_of(&with_header);
        assert_eq!(status, 401);
        assert_eq!(
            headers,
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                ("www-authenticate".to_owned(), "Token".to_owned())
            ]
        );
        assert_eq!(
            body,
            r#"{"detail":"Authentication credentials were not provided."}"#
        );

        for header in [None, Some(Cow::Borrowed(""))] {
            let err = ApiError::for_view(AuthError::authentication_failed("x"), header, None);
            let (status, headers, body) = body_of(&err);
            assert_eq!(status, 403);
            assert_eq!(headers.len(), 1);
            assert_eq!(body, r#"{"detail":"x"}"#);
        }
        assert_eq!(
            body_of(&ApiError::new(AuthError::not_authenticated())).0,
            403
        );
    }

    #[test]
    fn permission_denied_never_has_www_authenticate() {
        let err = ApiError::for_view(AuthError::permission_denied(), Some("Token".into()), None);
        let (status, headers, body) = body_of(&err);
        assert_eq!(status, 403);
        assert_eq!(headers.len(), 1);
        assert_eq!(
            body,
            r#"{"detail":"You do not have permission to perform this action."}"#
        );
    }

    #[test]
    fn throttled_has_retry_after_and_503_is_json() {
        let (status, headers, body) = body_of(&ApiError::new(AuthError::throttled(Some(3.2))));
        assert_eq!(status, 429);
        assert!(headers.contains(&("retry-after".to_owned(), "4".to_owned())));
        assert_eq!(
            body,
            r#"{"detail":"Request was throttled. Expected available in 4 seconds."}"#
        );
        let (status, _, body) = body_of(&ApiError::new(AuthError::service_unavailable()));
        assert_eq!(status, 503);
        assert_eq!(
            body,
            r#"{"detail":"Service temporarily unavailable, try again later."}"#
        );
    }

    #[test]
    fn the_hook_replaces_the_body_only() {
        let hook: ErrorBodyHook = Arc::new(
            |err: &AuthError| serde_json::json!({ "error": err.code(), "default": default_body(err) }),
        );
        let err = ApiError::for_view(
            AuthError::not_authenticated(),
            Some("Basic realm=\"api\"".into()),
            Some(&hook),
        );
        let (status, headers, body) = body_of(&err);
        assert_eq!(status, 401);
        assert!(headers.contains(&(
            "www-authenticate".to_owned(),
            "Basic realm=\"api\"".to_owned()
        )));
        assert_eq!(
            body,
            r#"{"default":{"detail":"Authentication credentials were not provided."},"error":"not_authenticated"}"#
        );
    }
}
