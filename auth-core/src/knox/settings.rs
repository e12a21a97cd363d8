//! [`KnoxSettings`]: django-rest-knox's `REST_KNOX`, with its defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::store::now_utc;

/// knox's `CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH`: the longest `TOKEN_PREFIX`.
pub const MAXIMUM_TOKEN_PREFIX_LENGTH: usize = 10;

/// The clock the store reads "now" from: UTC, to the microsecond.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

/// How `expiry` is written in the login response (knox's
/// `EXPIRY_DATETIME_FORMAT`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExpiryFormat {
    /// DRF's `DATETIME_FORMAT` default, `'iso-8601'` (knox's default): in
    /// the site's `TIME_ZONE`, `Z` for UTC, microseconds when not zero.
    #[default]
    Iso8601,
}

/// django-rest-knox's settings (`REST_KNOX`), knox 5.1.0's defaults:
/// `KnoxSettings::default()` or [`KnoxSettings::builder`].
///
/// | knox | here | default |
/// |---|---|---|
/// | `TOKEN_TTL` | [`token_ttl`](KnoxSettingsBuilder::token_ttl) | 10 hours (`None`: tokens never expire) |
/// | `TOKEN_LIMIT_PER_USER` | [`token_limit_per_user`](KnoxSettingsBuilder::token_limit_per_user) | `None` (no limit) |
/// | `AUTO_REFRESH` | [`auto_refresh`](KnoxSettingsBuilder::auto_refresh) | `false` |
/// | `AUTO_REFRESH_MAX_TTL` | [`auto_refresh_max_ttl`](KnoxSettingsBuilder::auto_refresh_max_ttl) | `None` (no cap) |
/// | `MIN_REFRESH_INTERVAL` | [`min_refresh_interval`](KnoxSettingsBuilder::min_refresh_interval) | 60 seconds |
/// | `TOKEN_PREFIX` | [`token_prefix`](KnoxSettingsBuilder::token_prefix) | `""` (at most 10 characters) |
/// | `AUTH_HEADER_PREFIX` | [`auth_header_prefix`](KnoxSettingsBuilder::auth_header_prefix) | `Token` |
/// | `EXPIRY_DATETIME_FORMAT` | [`expiry_datetime_format`](KnoxSettingsBuilder::expiry_datetime_format) | DRF's `iso-8601` |
/// | `USER_SERIALIZER` | [`user_serializer`](KnoxSettingsBuilder::user_serializer) | `None` (no `user` in the login response) |
/// | `SECURE_HASH_ALGORITHM`, `AUTH_TOKEN_CHARACTER_LENGTH` | fixed: SHA-512, 64 | |
///
/// The clock ([`clock`](KnoxSettingsBuilder::clock)) is the system's; tests
/// inject their own to move time.
#[derive(Clone)]
pub struct KnoxSettings {
    pub(crate) token_ttl: Option<Duration>,
    pub(crate) token_limit_per_user: Option<u32>,
    pub(crate) auto_refresh: bool,
    pub(crate) auto_refresh_max_ttl: Option<Duration>,
    pub(crate) min_refresh_interval: Duration,
    pub(crate) token_prefix: String,
    pub(crate) auth_header_prefix: String,
    pub(crate) expiry_datetime_format: ExpiryFormat,
    pub(crate) user_serializer: Option<UserSerializer>,
    pub(crate) clock: Clock,
}

/// knox's `USER_SERIALIZER`: the `user` member of the login response.
pub type UserSerializer = Arc<dyn Fn(&crate::User) -> serde_json::Value + Send + Sync>;

impl Default for KnoxSettings {
    fn default() -> Self {
        KnoxSettings {
            token_ttl: Some(Duration::from_secs(10 * 3600)),
            token_limit_per_user: None,
            auto_refresh: false,
            auto_refresh_max_ttl: None,
            min_refresh_interval: Duration::from_secs(60),
            token_prefix: String::new(),
            auth_header_prefix: "Token".to_owned(),
            expiry_datetime_format: ExpiryFormat::Iso8601,
            user_serializer: None,
            clock: Arc::new(now_utc),
        }
    }
}

impl fmt::Debug for KnoxSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnoxSettings")
            .field("token_ttl", &self.token_ttl)
            .field("token_limit_per_user", &self.token_limit_per_user)
            .field("auto_refresh", &self.auto_refresh)
            .field("auto_refresh_max_ttl", &self.auto_refresh_max_ttl)
            .field("min_refresh_interval", &self.min_refresh_interval)
            .field("token_prefix", &self.token_prefix)
            .field("auth_header_prefix", &self.auth_header_prefix)
            .field("expiry_datetime_format", &self.expiry_datetime_format)
            .field("user_serializer", &self.user_serializer.is_some())
            .finish_non_exhaustive()
    }
}

impl KnoxSettings {
    /// A builder starting from knox's defaults.
    pub fn builder() -> KnoxSettingsBuilder {
        KnoxSettingsBuilder(KnoxSettings::default())
    }

    /// `TOKEN_TTL`.
    pub fn token_ttl(&self) -> Option<Duration> {
        self.token_ttl
    }

    /// `TOKEN_LIMIT_PER_USER`.
    pub fn token_limit_per_user(&self) -> Option<u32> {
        self.token_limit_per_user
    }

    /// `AUTO_REFRESH`.
    pub fn auto_refresh(&self) -> bool {
        self.auto_refresh
    }

    /// `AUTO_REFRESH_MAX_TTL`.
    pub fn auto_refresh_max_ttl(&self) -> Option<Duration> {
        self.auto_refresh_max_ttl
    }

    /// `MIN_REFRESH_INTERVAL`.
    pub fn min_refresh_interval(&self) -> Duration {
        self.min_refresh_interval
    }

    /// `TOKEN_PREFIX`.
    pub fn token_prefix(&self) -> &str {
        &self.token_prefix
    }

    /// `AUTH_HEADER_PREFIX`: the keyword of the `Authorization` header, and
    /// the `WWW-Authenticate` value.
    pub fn auth_header_prefix(&self) -> &str {
        &self.auth_header_prefix
    }

    /// `EXPIRY_DATETIME_FORMAT`.
    pub fn expiry_datetime_format(&self) -> &ExpiryFormat {
        &self.expiry_datetime_format
    }

    /// `USER_SERIALIZER`.
    pub fn user_serializer(&self) -> Option<&UserSerializer> {
        self.user_serializer.as_ref()
    }

    /// Now, by the settings' clock (UTC, to the microsecond).
    pub fn now(&self) -> NaiveDateTime {
        (self.clock)()
    }
}

/// What [`KnoxSettingsBuilder::build`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KnoxSettingsError {
    /// knox's own check: `ValueError("Illegal TOKEN_PREFIX length")`.
    #[error("Illegal TOKEN_PREFIX length")]
    IllegalTokenPrefixLength,
    /// A prefix or keyword that cannot travel in an `Authorization` header
    /// as one word (whitespace, control characters, nothing at all for the keyword).
    #[error("{0} must be printable ASCII without spaces")]
    NotAHeaderWord(&'static str),
}

/// Builds [`KnoxSettings`] from knox's defaults.
#[derive(Debug, Clone)]
pub struct KnoxSettingsBuilder(KnoxSettings);

impl KnoxSettingsBuilder {
    /// `TOKEN_TTL`: how long a new token lives; `None`, forever.
    pub fn token_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.0.token_ttl = ttl;
        self
    }

    /// `TOKEN_LIMIT_PER_USER`: at most this many live tokens per user; a
    /// login beyond it is a 403.
    pub fn token_limit_per_user(mut self, limit: Option<u32>) -> Self {
        self.0.token_limit_per_user = limit;
        self
    }

    /// `AUTO_REFRESH`: each authentication pushes the token's expiry to now
    /// plus `TOKEN_TTL`.
    pub fn auto_refresh(mut self, on: bool) -> Self {
        self.0.auto_refresh = on;
        self
    }

    /// `AUTO_REFRESH_MAX_TTL`: refreshing never moves a token's expiry past
    /// its creation plus this.
    pub fn auto_refresh_max_ttl(mut self, max: Option<Duration>) -> Self {
        self.0.auto_refresh_max_ttl = max;
        self
    }

    /// `MIN_REFRESH_INTERVAL`: a refresh is written only when it moves the
    /// expiry by more than this.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.0.min_refresh_interval = interval;
        self
    }

    /// `TOKEN_PREFIX`: put before every new token (at most 10 characters).
    pub fn token_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.0.token_prefix = prefix.into();
        self
    }

    /// `AUTH_HEADER_PREFIX`: the `Authorization` keyword (`Token`).
    pub fn auth_header_prefix(mut self, keyword: impl Into<String>) -> Self {
        self.0.auth_header_prefix = keyword.into();
        self
    }

    /// `EXPIRY_DATETIME_FORMAT`.
    pub fn expiry_datetime_format(mut self, format: ExpiryFormat) -> Self {
        self.0.expiry_datetime_format = format;
        self
    }

    /// `USER_SERIALIZER`: adds `"user": serializer(user)` to the login
    /// response.
    pub fn user_serializer(mut self, serializer: Option<UserSerializer>) -> Self {
        self.0.user_serializer = serializer;
        self
    }

    /// The clock "now" is read from (UTC, to the microsecond): the system's
    /// by default; tests move their own.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.0.clock = clock;
        self
    }

    /// The settings; a prefix longer than 10 characters is knox's
    /// `Illegal TOKEN_PREFIX length`.
    pub fn build(self) -> Result<KnoxSettings, KnoxSettingsError> {
        let settings = self.0;
        if settings.token_prefix.chars().count() > MAXIMUM_TOKEN_PREFIX_LENGTH {
            return Err(KnoxSettingsError::IllegalTokenPrefixLength);
        }
        let header_word = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        if !header_word(&settings.token_prefix) {
            return Err(KnoxSettingsError::NotAHeaderWord("TOKEN_PREFIX"));
        }
        if settings.auth_header_prefix.is_empty() || !header_word(&settings.auth_header_prefix) {
            return Err(KnoxSettingsError::NotAHeaderWord("AUTH_HEADER_PREFIX"));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_knoxs() {
        let s = KnoxSettings::default();
        assert_eq!(s.token_ttl(), Some(Duration::from_secs(36_000)));
        assert_eq!(s.token_limit_per_user(), None);
        assert!(!s.auto_refresh());
        assert_eq!(s.auto_refresh_max_ttl(), None);
        assert_eq!(s.min_refresh_interval(), Duration::from_secs(60));
        assert_eq!(s.token_prefix(), "");
        assert_eq!(s.auth_header_prefix(), "Token");
        assert_eq!(s.expiry_datetime_format(), &ExpiryFormat::Iso8601);
        assert!(s.user_serializer().is_none());
    }

    #[test]
    fn prefix_is_checked() {
        assert!(KnoxSettings::builder()
            .token_prefix("0123456789")
            .build()
            .is_ok());
        assert_eq!(
            KnoxSettings::builder()
                .token_prefix("0123456789a")
                .build()
                .unwrap_err()
                .to_string(),
            "Illegal TOKEN_PREFIX length"
        );
        assert!(KnoxSettings::builder().token_prefix("a b").build().is_err());
        assert!(KnoxSettings::builder()
            .auth_header_prefix("")
            .build()
            .is_err());
    }
}
