//! [`OAuth2Settings`]: Django OAuth Toolkit's `OAUTH2_PROVIDER` setting, with
//! DOT 3.4.1's defaults (`oauth2_provider/settings.py`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

/// Where "now" comes from: the store and the endpoints read the time only
/// through this, so tests can move it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> NaiveDateTime + Send + Sync>);

impl Clock {
    /// The system clock (UTC, microseconds, as Django stores it).
    pub fn system() -> Self {
        Clock(Arc::new(crate::store::now_utc))
    }

    /// A clock of your own (tests: a fixed or advancing instant, naive UTC).
    pub fn new(now: impl Fn() -> NaiveDateTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current instant, naive UTC.
    pub fn now(&self) -> NaiveDateTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// DOT's `OAUTH2_PROVIDER` settings this crate implements. `Default` is
/// DOT's defaults; change them with the builder:
///
/// ```
/// use auth_core::oauth2::OAuth2Settings;
///
/// let settings = OAuth2Settings::builder()
///     .scopes([("read", "Reading scope"), ("write", "Writing scope"), ("introspection", "Introspect token scope")])
///     .access_token_expire_seconds(3600)
///     .build();
/// assert_eq!(settings.default_scopes(), vec!["read", "write", "introspection"]);
/// assert!(settings.pkce_required);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuth2Settings {
    /// `ACCESS_TOKEN_EXPIRE_SECONDS` (36000).
    pub access_token_expire_seconds: i64,
    /// `AUTHORIZATION_CODE_EXPIRE_SECONDS` (60).
    pub authorization_code_expire_seconds: i64,
    /// `REFRESH_TOKEN_EXPIRE_SECONDS` (`None`: refresh tokens live until
    /// revoked); counted from the access token's expiry, as DOT counts it.
    pub refresh_token_expire_seconds: Option<i64>,
    /// `ROTATE_REFRESH_TOKEN` (`true`): a refresh gives a new refresh token
    /// and revokes the old one.
    pub rotate_refresh_token: bool,
    /// `REFRESH_TOKEN_GRACE_PERIOD_SECONDS` (0): how long a rotated refresh
    /// token still answers with the pair it already produced.
    pub refresh_token_grace_period_seconds: i64,
    /// `REFRESH_TOKEN_REUSE_PROTECTION` (`false`): reusing a revoked refresh
    /// token revokes its whole family.
    pub refresh_token_reuse_protection: bool,
    /// `PKCE_REQUIRED` (`true`).
    pub pkce_required: bool,
    /// `SCOPES`: name and description, in order (`read`, `write`).
    pub scopes: Vec<(String, String)>,
    /// `DEFAULT_SCOPES` (`["__all__"]`: every scope of `SCOPES`).
    pub default_scopes: Vec<String>,
    /// `READ_SCOPE` (`read`).
    pub read_scope: String,
    /// `WRITE_SCOPE` (`write`).
    pub write_scope: String,
    /// `ALLOWED_REDIRECT_URI_SCHEMES` (`http`, `https`).
    pub allowed_redirect_uri_schemes: Vec<String>,
    /// `REQUEST_APPROVAL_PROMPT` (`force`).
    pub request_approval_prompt: String,
    /// `CLIENT_SECRET_GENERATOR_LENGTH` (128).
    pub client_secret_generator_length: usize,
    /// `CLEAR_EXPIRED_TOKENS_BATCH_SIZE` (10000).
    pub clear_expired_tokens_batch_size: usize,
    /// `CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL` (0 s).
    pub clear_expired_tokens_batch_interval: Duration,
    /// `ERROR_RESPONSE_WITH_SCOPES` (`false`).
    pub error_response_with_scopes: bool,
    /// Where the clock reads "now".
    pub clock: Clock,
}

impl Default for OAuth2Settings {
    fn default() -> Self {
        OAuth2Settings {
            access_token_expire_seconds: 36000,
            authorization_code_expire_seconds: 60,
            refresh_token_expire_seconds: None,
            rotate_refresh_token: true,
            refresh_token_grace_period_seconds: 0,
            refresh_token_reuse_protection: false,
            pkce_required: true,
            scopes: vec![
                ("read".into(), "Reading scope".into()),
                ("write".into(), "Writing scope".into()),
            ],
            default_scopes: vec!["__all__".into()],
            read_scope: "read".into(),
            write_scope: "write".into(),
            allowed_redirect_uri_schemes: vec!["http".into(), "https".into()],
            request_approval_prompt: "force".into(),
            client_secret_generator_length: 128,
            clear_expired_tokens_batch_size: 10000,
            clear_expired_tokens_batch_interval: Duration::ZERO,
            error_response_with_scopes: false,
            clock: Clock::system(),
        }
    }
}

impl OAuth2Settings {
    /// A builder starting from DOT's defaults.
    pub fn builder() -> OAuth2SettingsBuilder {
        OAuth2SettingsBuilder(OAuth2Settings::default())
    }

    /// DOT's `SettingsScopes.get_available_scopes`: the names of `SCOPES`.
    pub fn available_scopes(&self) -> Vec<&str> {
        self.scopes.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// DOT's `get_default_scopes`: `DEFAULT_SCOPES`, where `__all__` means
    /// every scope of `SCOPES`.
    pub fn default_scopes(&self) -> Vec<&str> {
        if self.default_scopes.iter().any(|s| s == "__all__") {
            return self.available_scopes();
        }
        self.default_scopes.iter().map(String::as_str).collect()
    }

    /// The current instant from the settings' clock.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }
}

/// Builds [`OAuth2Settings`] (see [`OAuth2Settings::builder`]).
#[derive(Debug, Clone)]
pub struct OAuth2SettingsBuilder(OAuth2Settings);

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.0.$name = value;
            self
        }
    };
}

impl OAuth2SettingsBuilder {
    setter!(/// `ACCESS_TOKEN_EXPIRE_SECONDS`.
        access_token_expire_seconds: i64);
    setter!(/// `AUTHORIZATION_CODE_EXPIRE_SECONDS`.
        authorization_code_expire_seconds: i64);
    setter!(/// `REFRESH_TOKEN_EXPIRE_SECONDS`.
        refresh_token_expire_seconds: Option<i64>);
    setter!(/// `ROTATE_REFRESH_TOKEN`.
        rotate_refresh_token: bool);
    setter!(/// `REFRESH_TOKEN_GRACE_PERIOD_SECONDS`.
        refresh_token_grace_period_seconds: i64);
    setter!(/// `REFRESH_TOKEN_REUSE_PROTECTION`.
        refresh_token_reuse_protection: bool);
    setter!(/// `PKCE_REQUIRED`.
        pkce_required: bool);
    setter!(/// `CLEAR_EXPIRED_TOKENS_BATCH_SIZE`.
        clear_expired_tokens_batch_size: usize);
    setter!(/// `CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL`.
        clear_expired_tokens_batch_interval: Duration);
    setter!(/// `ERROR_RESPONSE_WITH_SCOPES`.
        error_response_with_scopes: bool);
    setter!(/// The clock (tests).
        clock: Clock);

    /// `SCOPES`, in order: `(name, description)`.
    pub fn scopes<N: Into<String>, D: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = (N, D)>,
    ) -> Self {
        self.0.scopes = scopes
            .into_iter()
            .map(|(n, d)| (n.into(), d.into()))
            .collect();
        self
    }

    /// `DEFAULT_SCOPES` (`__all__` for every scope).
    pub fn default_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.0.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// `READ_SCOPE`.
    pub fn read_scope(mut self, scope: impl Into<String>) -> Self {
        self.0.read_scope = scope.into();
        self
    }

    /// `WRITE_SCOPE`.
    pub fn write_scope(mut self, scope: impl Into<String>) -> Self {
        self.0.write_scope = scope.into();
        self
    }

    /// `ALLOWED_REDIRECT_URI_SCHEMES`.
    pub fn allowed_redirect_uri_schemes<S: Into<String>>(
        mut self,
        schemes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.0.allowed_redirect_uri_schemes = schemes.into_iter().map(Into::into).collect();
        self
    }

    /// The settings.
    pub fn build(self) -> OAuth2Settings {
        self.0
    }
}
