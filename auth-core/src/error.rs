//! DRF's API exceptions (`rest_framework.exceptions`) as one error type.
//!
//! [`AuthError`] carries what DRF's `APIException` carries: a kind (which fixes
//! the HTTP status), a detail (the body's `"detail"` text, or a structure for
//! validation errors) and a code (never shown in the body). Every default text
//! is DRF's, verbatim; the messages of the built-in authentication classes are
//! in [`messages`]. Rendering to HTTP lives in the web layer.

use std::borrow::Cow;
use std::fmt;

/// Every user-visible string of DRF's authentication and permission layer, verbatim.
pub mod messages {
    /// `NotAuthenticated.default_detail`.
    pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
    /// `AuthenticationFailed.default_detail`.
    pub const AUTHENTICATION_FAILED: &str = "Incorrect authentication credentials.";
    /// `PermissionDenied.default_detail`.
    pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";
    /// `NotFound.default_detail`.
    pub const NOT_FOUND: &str = "Not found.";
    /// `ParseError.default_detail`.
    pub const PARSE_ERROR: &str = "Malformed request.";
    /// `ValidationError.default_detail`.
    pub const INVALID_INPUT: &str = "Invalid input.";
    /// `NotAcceptable.default_detail`.
    pub const NOT_ACCEPTABLE: &str = "Could not satisfy the request Accept header.";
    /// `Throttled.default_detail`.
    pub const THROTTLED: &str = "Request was throttled.";
    /// `APIException.default_detail` (500).
    pub const SERVER_ERROR: &str = "A server error occurred.";
    /// 503 detail used when the user or token store cannot be reached during authentication.
    pub const SERVICE_UNAVAILABLE: &str = "Service temporarily unavailable, try again later.";

    /// `BasicAuthentication`: `Basic` without credentials.
    pub const BASIC_NO_CREDENTIALS: &str = "Invalid basic header. No credentials provided.";
    /// `BasicAuthentication`: more than two whitespace-separated parts.
    pub const BASIC_CONTAINS_SPACES: &str =
        "Invalid basic header. Credentials string should not contain spaces.";
    /// `BasicAuthentication`: undecodable base64, or no `:` in the decoded text.
    pub const BASIC_NOT_BASE64: &str =
        "Invalid basic header. Credentials not correctly base64 encoded.";
    /// `BasicAuthentication`: the backend returned no user.
    pub const INVALID_USERNAME_PASSWORD: &str = "Invalid username/password.";
    /// `BasicAuthentication` / `TokenAuthentication`: the user is inactive.
    pub const USER_INACTIVE: &str = "User inactive or deleted.";

    /// `TokenAuthentication`: keyword without a token.
    pub const TOKEN_NO_CREDENTIALS: &str = "Invalid token header. No credentials provided.";
    /// `TokenAuthentication`: more than two whitespace-separated parts.
    pub const TOKEN_CONTAINS_SPACES: &str =
        "Invalid token header. Token string should not contain spaces.";
    /// `TokenAuthentication`: the token is not valid UTF-8.
    pub const TOKEN_INVALID_CHARACTERS: &str =
        "Invalid token header. Token string should not contain invalid characters.";
    /// `TokenAuthentication`: no such key.
    pub const INVALID_TOKEN: &str = "Invalid token.";

    /// `Field.default_error_messages['required']`.
    pub const FIELD_REQUIRED: &str = "This field is required.";
    /// `Field.default_error_messages['null']`.
    pub const FIELD_NULL: &str = "This field may not be null.";
    /// `CharField.default_error_messages['blank']`.
    pub const FIELD_BLANK: &str = "This field may not be blank.";
    /// `CharField.default_error_messages['invalid']` (a bool, list or object given).
    pub const FIELD_NOT_A_STRING: &str = "Not a valid string.";
    /// `ProhibitNullCharactersValidator.message`.
    pub const FIELD_NULL_CHARACTERS: &str = "Null characters are not allowed.";
    /// `Serializer.errors` for a `null` body.
    pub const NO_DATA_PROVIDED: &str = "No data provided";
    /// `AuthTokenSerializer`: `authenticate()` returned no user.
    pub const UNABLE_TO_LOG_IN: &str = "Unable to log in with provided credentials.";
    /// DRF's `NON_FIELD_ERRORS_KEY`.
    pub const NON_FIELD_ERRORS: &str = "non_field_errors";
    /// 413 detail: the request body is larger than the configured limit.
    pub const PAYLOAD_TOO_LARGE: &str = "Request body is too large.";
    /// 408 detail: the request body did not arrive within the read deadline.
    pub const REQUEST_TIMEOUT: &str = "Request body was not received in time.";
}

/// Text of an error detail: usually a `'static` message, sometimes built at run time.
pub type Text = Cow<'static, str>;

/// Which of DRF's exceptions this is; fixes the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `ValidationError` (400).
    Validation,
    /// `ParseError` (400).
    Parse,
    /// `AuthenticationFailed` (401, or 403 when the view's first class has no `WWW-Authenticate`).
    AuthenticationFailed,
    /// `NotAuthenticated` (401, or 403 when the view's first class has no `WWW-Authenticate`).
    NotAuthenticated,
    /// `PermissionDenied` (403, including CSRF failures).
    PermissionDenied,
    /// `NotFound` (404).
    NotFound,
    /// `MethodNotAllowed` (405).
    MethodNotAllowed,
    /// `NotAcceptable` (406).
    NotAcceptable,
    /// `UnsupportedMediaType` (415).
    UnsupportedMediaType,
    /// The request body is over the size limit (413; Django answers a 400
    /// `RequestDataTooBig` there, outside DRF's error format).
    PayloadTooLarge,
    /// The request body did not arrive within the read deadline (408; Django
    /// leaves this to the server in front of it).
    RequestTimeout,
    /// `Throttled` (429, with `Retry-After` when the wait is known).
    Throttled,
    /// `APIException` (500).
    Server,
    /// The user or token store is unreachable (503). Never an anonymous pass.
    ServiceUnavailable,
}

impl ErrorKind {
    /// The HTTP status DRF gives this exception before the 401/403 selection.
    pub const fn status(self) -> u16 {
        match self {
            ErrorKind::Validation | ErrorKind::Parse => 400,
            ErrorKind::AuthenticationFailed | ErrorKind::NotAuthenticated => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::NotAcceptable => 406,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Throttled => 429,
            ErrorKind::Server => 500,
            ErrorKind::ServiceUnavailable => 503,
        }
    }

    /// DRF's `default_code`.
    pub const fn default_code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "invalid",
            ErrorKind::Parse => "parse_error",
            ErrorKind::AuthenticationFailed => "authentication_failed",
            ErrorKind::NotAuthenticated => "not_authenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::NotAcceptable => "not_acceptable",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server => "error",
            ErrorKind::ServiceUnavailable => "service_unavailable",
        }
    }

    /// `true` for the two kinds whose status depends on the view's first
    /// authentication class (DRF's `handle_exception`).
    pub const fn is_authentication(self) -> bool {
        matches!(
            self,
            ErrorKind::AuthenticationFailed | ErrorKind::NotAuthenticated
        )
    }
}

/// An error detail: a string, a list, or a string-keyed map (DRF's `ErrorDetail`
/// trees). A [`ErrorDetail::Text`] renders as `{"detail": text}`; a list or map
/// is the whole body, as DRF renders a `ValidationError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorDetail {
    /// A message.
    Text(Text),
    /// A list of details.
    List(Vec<ErrorDetail>),
    /// Field name to detail, in insertion order.
    Map(Vec<(Text, ErrorDetail)>),
}

impl ErrorDetail {
    /// The message, when this detail is a string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ErrorDetail::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl From<&'static str> for ErrorDetail {
    fn from(text: &'static str) -> Self {
        ErrorDetail::Text(Cow::Borrowed(text))
    }
}

impl From<String> for ErrorDetail {
    fn from(text: String) -> Self {
        ErrorDetail::Text(Cow::Owned(text))
    }
}

impl From<Text> for ErrorDetail {
    fn from(text: Text) -> Self {
        ErrorDetail::Text(text)
    }
}

/// One of DRF's API exceptions: kind, detail and code.
///
/// ```
/// use auth_core::error::{AuthError, ErrorKind};
///
/// let err = AuthError::method_not_allowed("DELETE");
/// assert_eq!(err.kind(), ErrorKind::MethodNotAllowed);
/// assert_eq!(err.to_string(), "Method \"DELETE\" not allowed.");
/// assert_eq!(err.code(), "method_not_allowed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    kind: ErrorKind,
    detail: ErrorDetail,
    code: Text,
    wait: Option<u64>,
    challenge: Option<Box<Challenge>>,
}

/// A `WWW-Authenticate` challenge (RFC 7235): a scheme and its parameters,
/// e.g. RFC 6750's `Bearer realm="api", error="invalid_token",
/// error_description="The access token expired"`.
///
/// A class builds one in `authenticate_header`, or a failure carries one
/// ([`AuthError::with_challenge`]) when what went wrong changes the header.
///
/// ```
/// use auth_core::error::Challenge;
///
/// let challenge = Challenge::bearer()
///     .realm("api")
///     .param("error", "invalid_token")
///     .param("error_description", "The access token is invalid.");
/// assert_eq!(
///     challenge.to_string(),
///     r#"Bearer realm="api", error="invalid_token", error_description="The access token is invalid.""#
/// );
/// // Django OAuth Toolkit joins its parameters with a bare comma.
/// assert_eq!(
///     challenge.separator(",").to_string(),
///     r#"Bearer realm="api",error="invalid_token",error_description="The access token is invalid.""#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: Text,
    params: Vec<(Text, String)>,
    separator: &'static str,
}

impl Challenge {
    /// A challenge for `scheme` (`Basic`, `Bearer`, `Token`, ...), no parameters yet.
    pub fn new(scheme: impl Into<Text>) -> Self {
        Challenge {
            scheme: scheme.into(),
            params: Vec::new(),
            separator: ", ",
        }
    }

    /// `Bearer` (RFC 6750).
    pub fn bearer() -> Self {
        Self::new("Bearer")
    }

    /// `realm="…"`.
    pub fn realm(self, realm: impl Into<String>) -> Self {
        self.param("realm", realm)
    }

    /// A parameter, rendered as a quoted string (`"` and `\` escaped).
    pub fn param(mut self, name: impl Into<Text>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// What goes between parameters (`", "` unless a package needs otherwise).
    pub fn separator(mut self, separator: &'static str) -> Self {
        self.separator = separator;
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The value of parameter `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The header value.
impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { self.separator })?;
            write!(f, "{name}=\"")?;
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

impl AuthError {
    /// An error of `kind` with the given detail and the kind's default code.
    pub fn new(kind: ErrorKind, detail: impl Into<ErrorDetail>) -> Self {
        AuthError {
            kind,
            detail: detail.into(),
            code: Cow::Borrowed(kind.default_code()),
            wait: None,
            challenge: None,
        }
    }

    /// The same error carrying the `WWW-Authenticate` challenge to send with
    /// it. DRF's rule still decides between 401 and 403 (a 401 only when the
    /// view's first authentication class has a header); the carried
    /// challenge then replaces that class's header, so a class can say what
    /// went wrong (RFC 6750's `error="invalid_token"`).
    pub fn with_challenge(mut self, challenge: Challenge) -> Self {
        self.challenge = Some(Box::new(challenge));
        self
    }

    /// The challenge this error carries, if any.
    pub fn challenge(&self) -> Option<&Challenge> {
        self.challenge.as_deref()
    }

    /// `NotAuthenticated()`: "Authentication credentials were not provided."
    pub fn not_authenticated() -> Self {
        Self::new(ErrorKind::NotAuthenticated, messages::NOT_AUTHENTICATED)
    }

    /// `AuthenticationFailed(message)`.
    pub fn authentication_failed(message: impl Into<Text>) -> Self {
        Self::new(
            ErrorKind::AuthenticationFailed,
            ErrorDetail::Text(message.into()),
        )
    }

    /// `AuthenticationFailed()` with DRF's default text, "Incorrect authentication credentials."
    pub fn authentication_failed_default() -> Self {
        Self::authentication_failed(messages::AUTHENTICATION_FAILED)
    }

    /// `PermissionDenied()` with DRF's default text.
    pub fn permission_denied() -> Self {
        Self::new(ErrorKind::PermissionDenied, messages::PERMISSION_DENIED)
    }

    /// `PermissionDenied(message)`.
    pub fn permission_denied_with(message: impl Into<Text>) -> Self {
        Self::new(
            ErrorKind::PermissionDenied,
            ErrorDetail::Text(message.into()),
        )
    }

    /// `NotFound()`: "Not found."
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, messages::NOT_FOUND)
    }

    /// `MethodNotAllowed(method)`: `Method "<method>" not allowed.`
    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            ErrorKind::MethodNotAllowed,
            format!("Method \"{method}\" not allowed."),
        )
    }

    /// `NotAcceptable()`.
    pub fn not_acceptable() -> Self {
        Self::new(ErrorKind::NotAcceptable, messages::NOT_ACCEPTABLE)
    }

    /// `UnsupportedMediaType(media_type)`: `Unsupported media type "<type>" in request.`
    pub fn unsupported_media_type(media_type: &str) -> Self {
        Self::new(
            ErrorKind::UnsupportedMediaType,
            format!("Unsupported media type \"{media_type}\" in request."),
        )
    }

    /// 413 "Request body is too large.": the body is over the configured limit.
    pub fn payload_too_large() -> Self {
        Self::new(ErrorKind::PayloadTooLarge, messages::PAYLOAD_TOO_LARGE)
    }

    /// 408 "Request body was not received in time.": the client did not send
    /// the body within the read deadline.
    pub fn request_timeout() -> Self {
        Self::new(ErrorKind::RequestTimeout, messages::REQUEST_TIMEOUT)
    }

    /// `ParseError(message)`; `None` gives "Malformed request."
    pub fn parse_error(message: Option<Text>) -> Self {
        let detail = message.unwrap_or(Cow::Borrowed(messages::PARSE_ERROR));
        Self::new(ErrorKind::Parse, ErrorDetail::Text(detail))
    }

    /// `ValidationError(detail)`. As in DRF, a plain message is wrapped in a list.
    pub fn validation(detail: impl Into<ErrorDetail>) -> Self {
        let detail = match detail.into() {
            text @ ErrorDetail::Text(_) => ErrorDetail::List(vec![text]),
            other => other,
        };
        Self::new(ErrorKind::Validation, detail)
    }

    /// `Throttled(wait)`: "Request was throttled." plus "Expected available in N second(s)."
    /// when the wait is known (rounded up, as DRF's `math.ceil`).
    pub fn throttled(wait_seconds: Option<f64>) -> Self {
        let wait = wait_seconds.map(|w| if w <= 0.0 { 0 } else { w.ceil() as u64 });
        let detail = match wait {
            None => Cow::Borrowed(messages::THROTTLED),
            Some(1) => Cow::Owned(format!(
                "{} Expected available in 1 second.",
                messages::THROTTLED
            )),
            Some(n) => Cow::Owned(format!(
                "{} Expected available in {n} seconds.",
                messages::THROTTLED
            )),
        };
        AuthError {
            wait,
            ..Self::new(ErrorKind::Throttled, ErrorDetail::Text(detail))
        }
    }

    /// 503 "Service temporarily unavailable, try again later.": the store failed.
    pub fn service_unavailable() -> Self {
        Self::new(ErrorKind::ServiceUnavailable, messages::SERVICE_UNAVAILABLE)
    }

    /// `APIException()` (500) "A server error occurred."
    pub fn server_error() -> Self {
        Self::new(ErrorKind::Server, messages::SERVER_ERROR)
    }

    /// Replace the code (DRF's `code=` argument; not shown in the body).
    pub fn with_code(mut self, code: impl Into<Text>) -> Self {
        self.code = code.into();
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The detail (body).
    pub fn detail(&self) -> &ErrorDetail {
        &self.detail
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The DRF status before the 401/403 selection.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// Seconds for `Retry-After` (throttling only).
    pub fn wait(&self) -> Option<u64> {
        self.wait
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            ErrorDetail::Text(text) => f.write_str(text),
            other => write!(f, "{other:?}"),
        }
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_drfs() {
        let cases = [
            (
                AuthError::not_authenticated(),
                401,
                "not_authenticated",
                messages::NOT_AUTHENTICATED,
            ),
            (
                AuthError::authentication_failed_default(),
                401,
                "authentication_failed",
                "Incorrect authentication credentials.",
            ),
            (
                AuthError::permission_denied(),
                403,
                "permission_denied",
                "You do not have permission to perform this action.",
            ),
            (AuthError::not_found(), 404, "not_found", "Not found."),
            (
                AuthError::not_acceptable(),
                406,
                "not_acceptable",
                "Could not satisfy the request Accept header.",
            ),
            (
                AuthError::parse_error(None),
                400,
                "parse_error",
                "Malformed request.",
            ),
            (
                AuthError::server_error(),
                500,
                "error",
                "A server error occurred.",
            ),
        ];
        for (err, status, code, text) in cases {
            assert_eq!(err.status(), status);
            assert_eq!(err.code(), code);
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn formatted_messages() {
        assert_eq!(
            AuthError::unsupported_media_type("text/plain").to_string(),
            "Unsupported media type \"text/plain\" in request."
        );
        assert_eq!(
            AuthError::method_not_allowed("PROPFIND").to_string(),
            "Method \"PROPFIND\" not allowed."
        );
        assert_eq!(
            AuthError::throttled(None).to_string(),
            "Request was throttled."
        );
        let one = AuthError::throttled(Some(0.2));
        assert_eq!(
            one.to_string(),
            "Request was throttled. Expected available in 1 second."
        );
        assert_eq!(one.wait(), Some(1));
        assert_eq!(
            AuthError::throttled(Some(59.5)).to_string(),
            "Request was throttled. Expected available in 60 seconds."
        );
        assert_eq!(AuthError::throttled(Some(0.0)).wait(), Some(0));
    }

    #[test]
    fn codes_can_be_overridden_and_are_separate_from_the_text() {
        let err = AuthError::permission_denied_with("Nope.").with_code("custom");
        assert_eq!(err.to_string(), "Nope.");
        assert_eq!(err.code(), "custom");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn validation_wraps_a_message_in_a_list() {
        let err = AuthError::validation("bad");
        assert_eq!(
            err.detail(),
            &ErrorDetail::List(vec![ErrorDetail::from("bad")])
        );
        assert_eq!(err.status(), 400);
        let map = ErrorDetail::Map(vec![(Cow::Borrowed("f"), ErrorDetail::from("x"))]);
        assert_eq!(AuthError::validation(map.clone()).detail(), &map);
    }

    #[test]
    fn only_authentication_kinds_take_part_in_the_401_403_selection() {
        assert!(ErrorKind::NotAuthenticated.is_authentication());
        assert!(ErrorKind::AuthenticationFailed.is_authentication());
        assert!(!ErrorKind::PermissionDenied.is_authentication());
        assert!(!ErrorKind::ServiceUnavailable.is_authentication());
    }
}
