//! `SiteSettings`: Django's site-wide settings (`SECRET_KEY`,
//! `ALLOWED_HOSTS`, the proxy headers, the request body limits, `TIME_ZONE`
//! and `USE_TZ`), apart from
//! DRF's `REST_FRAMEWORK` ([`AuthSettings`](crate::AuthSettings)) and `CSRF_*`
//! ([`CsrfConfig`](crate::csrf::CsrfConfig)), as Django keeps them apart.
//!
//! They are given to [`AuthSettingsBuilder::site`](crate::settings::AuthSettingsBuilder::site)
//! and registered with it (one `app_data`); the core and every feature read
//! them with [`SiteSettings::from_request`] or
//! [`AuthSettings::site`](crate::AuthSettings::site).
//!
//! ```
//! use auth_actix::site::SiteSettings;
//! use auth_actix::AuthSettings;
//!
//! let site = SiteSettings::builder()
//!     .secret_key("django-insecure-change-me")
//!     .allowed_hosts(["api.example.com", ".example.org"])
//!     .use_x_forwarded_proto(true)
//!     .build()
//!     .unwrap();
//! let settings = AuthSettings::builder().site(site).build().unwrap();
//! assert!(settings.site().secret_key().is_ok());
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::error::AuthError;
use auth_core::render::TimeZone;
use auth_core::signing::SecretKey;

use crate::error::{misconfigured, ConfigError};
use crate::parsers::{
    BodyLimits, DEFAULT_BODY_BUFFER_BUDGET, DEFAULT_BODY_LIMIT, DEFAULT_BODY_READ_TIMEOUT,
};

/// Django's `ALLOWED_HOSTS` when `DEBUG` is on and the setting is empty: the
/// loopback names, any port. The default of [`SiteSettingsBuilder::allowed_hosts`].
pub const DEBUG_ALLOWED_HOSTS: [&str; 3] = [".localhost", "127.0.0.1", "[::1]"];

/// Django's `ModelBackend`, the backend a session's user is recorded under.
pub const MODEL_BACKEND: &str = "django.contrib.auth.backends.ModelBackend";

/// Django's site-wide settings. Cheap to clone (shared).
#[derive(Clone)]
pub struct SiteSettings(Arc<Inner>);

struct Inner {
    secret_key: Option<SecretKey>,
    secret_key_fallbacks: Vec<SecretKey>,
    allowed_hosts: Vec<String>,
    use_x_forwarded_proto: bool,
    use_x_forwarded_host: bool,
    use_x_forwarded_port: bool,
    body: BodyLimits,
    authentication_backends: Vec<String>,
    time_zone: TimeZone,
    use_tz: bool,
}

impl Default for SiteSettings {
    /// Django's defaults with `DEBUG` on: no secret key, the loopback hosts,
    /// no proxy header trusted, 2.5 MB bodies, datetimes in UTC.
    fn default() -> Self {
        SiteSettings::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

impl SiteSettings {
    /// Start from Django's defaults.
    pub fn builder() -> SiteSettingsBuilder {
        SiteSettingsBuilder::default()
    }

    /// `SECRET_KEY`; a server error naming the fix when it was not given.
    pub fn secret_key(&self) -> Result<&SecretKey, AuthError> {
        self.0.secret_key.as_ref().ok_or_else(|| {
            misconfigured(
                "no secret key (Django's SECRET_KEY): give SiteSettings::builder().secret_key(..) to AuthSettings::builder().site(..)",
            )
        })
    }

    /// `SECRET_KEY_FALLBACKS`: older keys still accepted when checking.
    pub fn secret_key_fallbacks(&self) -> &[SecretKey] {
        &self.0.secret_key_fallbacks
    }

    /// `ALLOWED_HOSTS`.
    pub fn allowed_hosts(&self) -> &[String] {
        &self.0.allowed_hosts
    }

    /// `SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")`.
    pub fn use_x_forwarded_proto(&self) -> bool {
        self.0.use_x_forwarded_proto
    }

    /// `USE_X_FORWARDED_HOST`.
    pub fn use_x_forwarded_host(&self) -> bool {
        self.0.use_x_forwarded_host
    }

    /// `USE_X_FORWARDED_PORT`.
    pub fn use_x_forwarded_port(&self) -> bool {
        self.0.use_x_forwarded_port
    }

    /// `DATA_UPLOAD_MAX_MEMORY_SIZE` and the body read limits.
    pub fn body_limits(&self) -> &BodyLimits {
        &self.0.body
    }

    /// `AUTHENTICATION_BACKENDS`: the backends a session's user may have
    /// been logged in with; [`login`](crate::session::login) records the first.
    pub fn authentication_backends(&self) -> &[String] {
        &self.0.authentication_backends
    }

    /// `TIME_ZONE`.
    pub fn time_zone(&self) -> TimeZone {
        self.0.time_zone
    }

    /// `USE_TZ`.
    pub fn use_tz(&self) -> bool {
        self.0.use_tz
    }

    /// The zone DRF's `DateTimeField` renders datetimes in (its
    /// `default_timezone()`): `TIME_ZONE` when `USE_TZ` is on, `None` when it
    /// is off (naive UTC). The argument of
    /// [`auth_core::render::datetime_to_representation`].
    pub fn default_timezone(&self) -> Option<TimeZone> {
        self.0.use_tz.then_some(self.0.time_zone)
    }
}

impl fmt::Debug for SiteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteSettings")
            .field("has_secret_key", &self.0.secret_key.is_some())
            .field("secret_key_fallbacks", &self.0.secret_key_fallbacks.len())
            .field("allowed_hosts", &self.0.allowed_hosts)
            .field("use_x_forwarded_proto", &self.0.use_x_forwarded_proto)
            .field("use_x_forwarded_host", &self.0.use_x_forwarded_host)
            .field("use_x_forwarded_port", &self.0.use_x_forwarded_port)
            .field("body", &self.0.body)
            .field("authentication_backends", &self.0.authentication_backends)
            .field("time_zone", &self.0.time_zone)
            .field("use_tz", &self.0.use_tz)
            .finish()
    }
}

/// Builds [`SiteSettings`].
pub struct SiteSettingsBuilder {
    secret_key: Option<String>,
    secret_key_fallbacks: Vec<String>,
    allowed_hosts: Vec<String>,
    use_x_forwarded_proto: bool,
    use_x_forwarded_host: bool,
    use_x_forwarded_port: bool,
    body_limit: usize,
    body_read_timeout: Duration,
    body_buffer_budget: usize,
    authentication_backends: Vec<String>,
    time_zone: String,
    use_tz: bool,
}

impl Default for SiteSettingsBuilder {
    fn default() -> Self {
        SiteSettingsBuilder {
            secret_key: None,
            secret_key_fallbacks: Vec::new(),
            allowed_hosts: DEBUG_ALLOWED_HOSTS.map(str::to_owned).to_vec(),
            use_x_forwarded_proto: false,
            use_x_forwarded_host: false,
            use_x_forwarded_port: false,
            body_limit: DEFAULT_BODY_LIMIT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            body_buffer_budget: DEFAULT_BODY_BUFFER_BUDGET,
            authentication_backends: vec![MODEL_BACKEND.to_owned()],
            time_zone: TimeZone::UTC.name().to_owned(),
            use_tz: true,
        }
    }
}

impl SiteSettingsBuilder {
    /// `SECRET_KEY`, needed by session authentication and `login` (the
    /// session auth hash) and by anything that signs. An empty key is an
    /// error at [`build`](Self::build), as in Django.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// `SECRET_KEY_FALLBACKS`: previous keys, still accepted when checking
    /// (rotate a key without logging everyone out).
    pub fn secret_key_fallbacks<K: Into<String>>(
        mut self,
        keys: impl IntoIterator<Item = K>,
    ) -> Self {
        self.secret_key_fallbacks = keys.into_iter().map(Into::into).collect();
        self
    }

    /// `ALLOWED_HOSTS`: the hosts this site answers to (`.example.com` is
    /// the domain and its subdomains, `*` is any syntactically valid host;
    /// the port never matters). Every request the pipeline runs (the
    /// attribute macros, [`AuthPipeline`](crate::AuthPipeline), the views) is
    /// checked first, as Django's `request.get_host()`: another host is a 400
    /// (Django's `Bad Request (400)` page, and its `DisallowedHost` message
    /// logged), before any authentication, so a page that rebinds its DNS
    /// name to this server cannot act as anyone (DNS rebinding). The origin
    /// and referer checks of CSRF use the same list.
    ///
    /// Default: [`DEBUG_ALLOWED_HOSTS`], what Django allows when `DEBUG` is on
    /// and `ALLOWED_HOSTS` is empty (`.localhost`, `127.0.0.1`, `[::1]`).
    /// A deployment names its own hosts.
    pub fn allowed_hosts<H: Into<String>>(mut self, hosts: impl IntoIterator<Item = H>) -> Self {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// `SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")`: trust
    /// the first `X-Forwarded-Proto` value to say whether the request is
    /// HTTPS. Off by default: then only the connection counts (an actix-web
    /// server bound with TLS). Turn it on only behind a proxy that sets the
    /// header and removes it from clients' requests.
    pub fn use_x_forwarded_proto(mut self, on: bool) -> Self {
        self.use_x_forwarded_proto = on;
        self
    }

    /// `USE_X_FORWARDED_HOST`: take the host from `X-Forwarded-Host`. Off.
    pub fn use_x_forwarded_host(mut self, on: bool) -> Self {
        self.use_x_forwarded_host = on;
        self
    }

    /// `USE_X_FORWARDED_PORT`: take the server port from `X-Forwarded-Port`
    /// (it matters with `CSRF_COOKIE_DOMAIN`). Off: the port the server
    /// listens on.
    pub fn use_x_forwarded_port(mut self, on: bool) -> Self {
        self.use_x_forwarded_port = on;
        self
    }

    /// `DATA_UPLOAD_MAX_MEMORY_SIZE`: the largest request body the parsers
    /// read (2.5 MB, Django's default); a larger one is a 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a request body may take to arrive once the pipeline reads it
    /// (30 s, gunicorn's worker timeout); after it, 408 and the connection
    /// is closed.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How many bytes of request bodies all requests together may hold while
    /// the parsers read them (64 MiB); past it, 503 at once.
    pub fn body_buffer_budget(mut self, bytes: usize) -> Self {
        self.body_buffer_budget = bytes;
        self
    }

    /// `AUTHENTICATION_BACKENDS` (default Django's `[ModelBackend]`): a
    /// session whose `_auth_user_backend` is not listed is anonymous, as in
    /// Django, and [`login`](crate::session::login) records the first one.
    /// List what the Django site lists when sessions are shared with it.
    pub fn authentication_backends<B: Into<String>>(
        mut self,
        backends: impl IntoIterator<Item = B>,
    ) -> Self {
        self.authentication_backends = backends.into_iter().map(Into::into).collect();
        self
    }

    /// `TIME_ZONE`: the IANA name of the zone datetimes are rendered in
    /// (`"UTC"`, the default of a new Django project; `"Europe/Paris"`).
    /// A name the tz database does not have (names are case-sensitive) is an
    /// error at [`build`](Self::build), as Django refuses it at start-up.
    pub fn time_zone(mut self, name: impl Into<String>) -> Self {
        self.time_zone = name.into();
        self
    }

    /// `USE_TZ` (on, the default of a new Django project): datetimes are
    /// rendered in `TIME_ZONE` with their offset; off, as naive UTC times.
    pub fn use_tz(mut self, on: bool) -> Self {
        self.use_tz = on;
        self
    }

    /// Check and freeze: an empty secret key (or fallback), no allowed
    /// host, no authentication backend, or an unknown time zone is an error.
    pub fn build(self) -> Result<SiteSettings, ConfigError> {
        let secret_key = match self.secret_key {
            None => None,
            Some(key) => Some(SecretKey::new(key).ok_or(ConfigError::EmptySecretKey)?),
        };
        let secret_key_fallbacks = self
            .secret_key_fallbacks
            .into_iter()
            .map(|key| SecretKey::new(key).ok_or(ConfigError::EmptySecretKey))
            .collect::<Result<Vec<_>, _>>()?;
        if self.allowed_hosts.is_empty() {
            return Err(ConfigError::NoAllowedHosts);
        }
        if self.authentication_backends.is_empty() {
            return Err(ConfigError::NoAuthenticationBackends);
        }
        let time_zone = TimeZone::from_name(&self.time_zone)
            .ok_or(ConfigError::UnknownTimeZone(self.time_zone))?;
        Ok(SiteSettings(Arc::new(Inner {
            secret_key,
            secret_key_fallbacks,
            allowed_hosts: self.allowed_hosts,
            use_x_forwarded_proto: self.use_x_forwarded_proto,
            use_x_forwarded_host: self.use_x_forwarded_host,
            use_x_forwarded_port: self.use_x_forwarded_port,
            body: BodyLimits::new(
                self.body_limit,
                self.body_read_timeout,
                self.body_buffer_budget,
            ),
            authentication_backends: self.authentication_backends,
            time_zone,
            use_tz: self.use_tz,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn djangos_defaults_and_mistakes() {
        let site = SiteSettings::default();
        assert!(site.secret_key().is_err());
        assert_eq!(site.allowed_hosts(), [".localhost", "127.0.0.1", "[::1]"]);
        assert!(!site.use_x_forwarded_proto() && !site.use_x_forwarded_host());
        assert!(!site.use_x_forwarded_port());
        assert_eq!((site.time_zone(), site.use_tz()), (TimeZone::UTC, true));
        assert_eq!(site.default_timezone(), Some(TimeZone::UTC));
        let paris = SiteSettings::builder()
            .time_zone("Europe/Paris")
            .use_tz(false)
            .build()
            .unwrap();
        assert_eq!(paris.time_zone().name(), "Europe/Paris");
        assert_eq!(paris.default_timezone(), None);
        let err = SiteSettings::builder()
            .time_zone("europe/paris")
            .build()
            .unwrap_err();
        assert_eq!(err, ConfigError::UnknownTimeZone("europe/paris".into()));
        assert!(err
            .to_string()
            .starts_with("Incorrect timezone setting: europe/paris"));
        assert_eq!(
            SiteSettings::builder().secret_key("").build().unwrap_err(),
            ConfigError::EmptySecretKey
        );
        assert_eq!(
            SiteSettings::builder()
                .secret_key_fallbacks(["old", ""])
                .build()
                .unwrap_err(),
            ConfigError::EmptySecretKey
        );
        assert_eq!(
            SiteSettings::builder()
                .allowed_hosts(Vec::<String>::new())
                .build()
                .unwrap_err(),
            ConfigError::NoAllowedHosts
        );
        let site = SiteSettings::builder()
            .secret_key("k")
            .secret_key_fallbacks(["old"])
            .build()
            .unwrap();
        assert_eq!(site.secret_key_fallbacks().len(), 1);
        let debug = format!("{site:?}");
        assert!(
            !debug.contains("old") && !debug.contains("\"k\""),
            "{debug}"
        );
    }
}
