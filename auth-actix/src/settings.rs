//! `AuthSettings`: DRF's `REST_FRAMEWORK` settings for the pipeline, as app data.

pub use crate::error::{ConfigError, ErrorBodyHook};

use crate::error::{misconfigured, short_type_name};

use std::fmt;
use std::sync::Arc;

use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::identity::{Auth, Identity, UnauthenticatedUser};
use auth_core::permissions::{AllowAny, DynPermission, Needs, Permission};
use auth_core::AuthStore;

use crate::authentication::{Authentication, AuthenticationConfig, DynAuthentication, TokenStore};
use crate::csrf::CsrfConfig;
use crate::http::app_data;
use crate::site::SiteSettings;
use crate::throttling::{DynThrottle, Throttle, ThrottleConfig, ThrottleStore};

/// The pipeline's settings (DRF's `REST_FRAMEWORK` dict), registered once as
/// app data: `App::new().app_data(settings.clone())`. Cheap to clone.
///
/// ```
/// use auth_actix::prelude::*;
///
/// // The lists are written as in the attributes: tuples of classes.
/// let settings = AuthSettings::builder()
///     .default_authentication_classes((TokenAuthentication::<Bearer>::default(), BasicAuthentication))
///     .default_permission_classes((IsAuthenticated | ReadOnly,))
///     .build()
///     .expect("valid settings");
/// assert_eq!(settings.authentication_classes().len(), 2);
/// // DRF's `TokenAuthentication()`: the keyword `Token`.
/// let token = TokenAuthentication::default();
/// # let _ = token;
/// ```
#[derive(Clone)]
pub struct AuthSettings(Arc<Inner>);

struct Inner {
    authentication: AuthenticationConfig,
    permission_classes: Vec<DynPermission>,
    unauthenticated_user: UnauthenticatedUser,
    unauthenticated_token: Option<Auth>,
    /// The identity of every unauthenticated request, built once.
    anonymous: Arc<Identity>,
    error_body: Option<ErrorBodyHook>,
    renders: Vec<String>,
    parses: Vec<String>,
    throttling: ThrottleConfig,
    permission_needs: Arc<Needs>,
}

impl AuthSettings {
    /// Start from DRF's defaults.
    pub fn builder() -> AuthSettingsBuilder {
        AuthSettingsBuilder::default()
    }

    /// The settings registered on the app (`AuthSettings` or `web::Data<AuthSettings>`).
    pub fn from_request(request: &HttpRequest) -> Option<&AuthSettings> {
        app_data::<AuthSettings>(request)
    }

    /// `DEFAULT_AUTHENTICATION_CLASSES`.
    pub fn authentication_classes(&self) -> &Vec<DynAuthentication> {
        self.0.authentication.default_classes()
    }

    /// What authentication classes read: `DEFAULT_AUTHENTICATION_CLASSES`,
    /// the stores, the site and CSRF settings.
    pub fn authentication(&self) -> &AuthenticationConfig {
        &self.0.authentication
    }

    /// `DEFAULT_PERMISSION_CLASSES`.
    pub fn permission_classes(&self) -> &Vec<DynPermission> {
        &self.0.permission_classes
    }

    /// `UNAUTHENTICATED_USER`.
    pub fn unauthenticated_user(&self) -> UnauthenticatedUser {
        self.0.unauthenticated_user
    }

    /// `UNAUTHENTICATED_TOKEN`.
    pub fn unauthenticated_token(&self) -> Option<&Auth> {
        self.0.unauthenticated_token.as_ref()
    }

    /// What an unauthenticated request is (DRF's `_not_authenticated`), shared.
    pub(crate) fn anonymous(&self) -> &Arc<Identity> {
        &self.0.anonymous
    }

    /// The user store (Basic, RemoteUser, custom classes); a server error when none was set.
    pub fn store(&self) -> Result<&AuthStore, AuthError> {
        self.0.authentication.store()
    }

    /// The token store (Token authentication): the one set with
    /// [`AuthSettingsBuilder::token_store`], else the user store.
    pub fn token_store(&self) -> Result<&Arc<dyn TokenStore>, AuthError> {
        self.0.authentication.token_store()
    }

    /// The error-body hook, if any.
    pub fn error_body(&self) -> Option<&ErrorBodyHook> {
        self.0.error_body.as_ref()
    }

    /// The media types an `OPTIONS` response lists under `renders`.
    pub fn renders(&self) -> &[String] {
        &self.0.renders
    }

    /// The media types an `OPTIONS` response lists under `parses`.
    pub fn parses(&self) -> &[String] {
        &self.0.parses
    }

    /// Django's site-wide settings (`SECRET_KEY`, `ALLOWED_HOSTS`, the
    /// proxy headers, the body limits).
    pub fn site(&self) -> &SiteSettings {
        self.0.authentication.site()
    }

    /// Django's CSRF settings (cookie, header, trusted origins), used by
    /// session authentication and the login, logout and csrf views.
    pub fn csrf(&self) -> &CsrfConfig {
        self.0.authentication.csrf()
    }

    /// `DEFAULT_THROTTLE_CLASSES`.
    pub fn throttle_classes(&self) -> &Vec<DynThrottle> {
        self.0.throttling.default_classes()
    }

    /// `DEFAULT_THROTTLE_RATES`, `NUM_PROXIES`, the throttle store and clock.
    pub fn throttling(&self) -> &ThrottleConfig {
        &self.0.throttling
    }

    /// What `DEFAULT_PERMISSION_CLASSES` need preloaded.
    pub(crate) fn permission_needs(&self) -> &Arc<Needs> {
        &self.0.permission_needs
    }
}

/// The convention for a feature's own settings type (Django keeps
/// `SIMPLE_JWT`, `REST_KNOX`, `OAUTH2_PROVIDER` apart from
/// `REST_FRAMEWORK`; so do we): registered once as app data, plain or in
/// `web::Data`, and found with [`AppSettings::get`], where a missing one is
/// the 500 that names the fix (in debug builds, and once on stderr).
///
/// ```
/// use actix_web::test::TestRequest;
/// use auth_actix::settings::AppSettings;
///
/// #[derive(Debug)]
/// struct KnoxSettings { token_ttl_hours: u32 }
///
/// impl AppSettings for KnoxSettings {
///     const REGISTER: &'static str = "add `.app_data(KnoxSettings::default())` to the App";
/// }
///
/// let request = TestRequest::default()
///     .app_data(KnoxSettings { token_ttl_hours: 10 })
///     .to_http_request();
/// assert_eq!(KnoxSettings::get(&request).unwrap().token_ttl_hours, 10);
/// assert_eq!(KnoxSettings::get(&TestRequest::default().to_http_request()).unwrap_err().status(), 500);
/// ```
pub trait AppSettings: Sized + 'static {
    /// How to register it, for the message when it is missing.
    const REGISTER: &'static str;

    /// The settings registered on the app, or the misconfiguration error.
    fn get(request: &HttpRequest) -> Result<&Self, AuthError> {
        app_data::<Self>(request).ok_or_else(|| {
            let name = short_type_name::<Self>();
            misconfigured(&format!("no {name} in the app data: {}", Self::REGISTER))
        })
    }
}

impl SiteSettings {
    /// The site settings registered on the app (with its [`AuthSettings`]).
    pub fn from_request(request: &HttpRequest) -> Option<&SiteSettings> {
        AuthSettings::from_request(request).map(AuthSettings::site)
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("authentication", &self.0.authentication)
            .field("permission_classes", &self.0.permission_classes.len())
            .field("throttling", &self.0.throttling)
            .field("unauthenticated_user", &self.0.unauthenticated_user)
            .finish_non_exhaustive()
    }
}

/// What [`AuthSettingsBuilder::default_authentication_classes`] takes: a
/// tuple of classes (each [`Authentication`]), or an array or `Vec` of
/// [`DynAuthentication`].
pub trait AuthenticationClassList {
    /// The classes, in order.
    fn into_classes(self) -> Vec<DynAuthentication>;
}

/// What [`AuthSettingsBuilder::default_permission_classes`] takes: a tuple
/// of permissions (each [`Permission`]), or an array or `Vec` of one
/// permission type.
pub trait PermissionClassList {
    /// The permissions, in order.
    fn into_classes(self) -> Vec<DynPermission>;
}

/// What [`AuthSettingsBuilder::default_throttle_classes`] takes: a tuple of
/// throttles (each [`Throttle`]), or an array or `Vec` of [`DynThrottle`].
pub trait ThrottleClassList {
    /// The throttles, in order.
    fn into_classes(self) -> Vec<DynThrottle>;
}

impl ThrottleClassList for Vec<DynThrottle> {
    fn into_classes(self) -> Vec<DynThrottle> {
        self
    }
}

impl<const N: usize> ThrottleClassList for [DynThrottle; N] {
    fn into_classes(self) -> Vec<DynThrottle> {
        self.into()
    }
}

impl AuthenticationClassList for Vec<DynAuthentication> {
    fn into_classes(self) -> Vec<DynAuthentication> {
        self
    }
}

impl<const N: usize> AuthenticationClassList for [DynAuthentication; N] {
    fn into_classes(self) -> Vec<DynAuthentication> {
        self.into()
    }
}

impl<P: Permission> PermissionClassList for Vec<P> {
    fn into_classes(self) -> Vec<DynPermission> {
        self.into_iter().map(DynPermission::new).collect()
    }
}

impl<P: Permission, const N: usize> PermissionClassList for [P; N] {
    fn into_classes(self) -> Vec<DynPermission> {
        self.into_iter().map(DynPermission::new).collect()
    }
}

/// The tuple impls: `()` and `(A,)` to eight classes.
macro_rules! class_list_tuples {
    ($(($($name:ident)*))*) => {$(
        impl<$($name: Authentication),*> AuthenticationClassList for ($($name,)*) {
            #[allow(non_snake_case)]
            fn into_classes(self) -> Vec<DynAuthentication> {
                let ($($name,)*) = self;
                vec![$(DynAuthentication::new($name)),*]
            }
        }
        impl<$($name: Permission),*> PermissionClassList for ($($name,)*) {
            #[allow(non_snake_case)]
            fn into_classes(self) -> Vec<DynPermission> {
                let ($($name,)*) = self;
                vec![$(DynPermission::new($name)),*]
            }
        }
        impl<$($name: Throttle),*> ThrottleClassList for ($($name,)*) {
            #[allow(non_snake_case)]
            fn into_classes(self) -> Vec<DynThrottle> {
                let ($($name,)*) = self;
                vec![$(DynThrottle::new($name)),*]
            }
        }
    )*};
}

class_list_tuples! {
    ()
    (A)
    (A B)
    (A B C)
    (A B C D)
    (A B C D E)
    (A B C D E F)
    (A B C D E F G)
    (A B C D E F G H)
}

/// Builds [`AuthSettings`]; starts from DRF's defaults.
pub struct AuthSettingsBuilder {
    inner: Inner,
    /// `DEFAULT_THROTTLE_RATES` as written, parsed by `build`.
    rate_texts: Vec<(String, Option<String>)>,
}

impl Default for AuthSettingsBuilder {
    /// DRF's defaults: `[SessionAuthentication, BasicAuthentication]`,
    /// `[AllowAny]`, `AnonymousUser`.
    fn default() -> Self {
        let inner = Inner {
            authentication: AuthenticationConfig::default(),
            permission_classes: vec![DynPermission::new(AllowAny)],
            unauthenticated_user: UnauthenticatedUser::AnonymousUser,
            unauthenticated_token: None,
            anonymous: Arc::new(Identity::unauthenticated(
                UnauthenticatedUser::AnonymousUser,
                None,
            )),
            error_body: None,
            renders: vec!["application/json".to_owned()],
            parses: [
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ]
            .map(str::to_owned)
            .to_vec(),
            throttling: ThrottleConfig::default(),
            permission_needs: Arc::new(Needs::new()),
        };
        AuthSettingsBuilder {
            inner,
            rate_texts: Vec::new(),
        }
    }
}

impl AuthSettingsBuilder {
    /// The user and token store (users for Basic and RemoteUser, tokens for Token).
    pub fn store(mut self, store: AuthStore) -> Self {
        self.inner.authentication.store = Some(store);
        self
    }

    /// A replacement token store (DRF's custom token model).
    pub fn token_store<S: TokenStore>(mut self, store: S) -> Self {
        self.inner.authentication.token_store = Some(Arc::new(store));
        self
    }

    /// `DEFAULT_AUTHENTICATION_CLASSES`, in order: a tuple of classes, as in
    /// `#[authentication_classes(..)]`
    /// (`(SessionAuthentication, TokenAuthentication::default())`), or an
    /// array or `Vec` of [`DynAuthentication`]; `()` or `[]` for none.
    pub fn default_authentication_classes(mut self, classes: impl AuthenticationClassList) -> Self {
        self.inner.authentication.classes = classes.into_classes();
        self
    }

    /// Append one class to `DEFAULT_AUTHENTICATION_CLASSES` (after clearing it
    /// with `default_authentication_classes([])` if DRF's default is unwanted).
    pub fn add_default_authentication_class<C: Authentication>(mut self, class: C) -> Self {
        self.inner
            .authentication
            .classes
            .push(DynAuthentication::new(class));
        self
    }

    /// `DEFAULT_PERMISSION_CLASSES`, in order (an implicit AND): a tuple of
    /// permissions, as in `#[permission_classes(..)]`
    /// (`(IsAuthenticated, IsAdminUser | ReadOnly)`), or an array or `Vec`
    /// of one permission type; `()` for none.
    pub fn default_permission_classes(mut self, permissions: impl PermissionClassList) -> Self {
        self.inner.permission_classes = permissions.into_classes();
        self
    }

    /// `DEFAULT_THROTTLE_CLASSES`, in order (every one is consulted): a
    /// tuple of throttles, as in `#[throttle_classes(..)]`, or an array or
    /// `Vec` of [`DynThrottle`]; DRF's default is none.
    pub fn default_throttle_classes(mut self, throttles: impl ThrottleClassList) -> Self {
        self.inner.throttling.classes = throttles.into_classes();
        self
    }

    /// `DEFAULT_THROTTLE_RATES`: `(scope, rate)` pairs, the rates written as
    /// DRF reads them (`"3/min"`, `"100/day"`); added to those set before.
    /// A rate DRF would not accept fails [`build`](Self::build).
    pub fn throttle_rates<S, R>(mut self, rates: impl IntoIterator<Item = (S, R)>) -> Self
    where
        S: Into<String>,
        R: Into<String>,
    {
        self.rate_texts.extend(
            rates
                .into_iter()
                .map(|(scope, rate)| (scope.into(), Some(rate.into()))),
        );
        self
    }

    /// A scope that is not throttled (DRF's `"scope": None` in
    /// `DEFAULT_THROTTLE_RATES`).
    pub fn unthrottled_scope(mut self, scope: impl Into<String>) -> Self {
        self.rate_texts.push((scope.into(), None));
        self
    }

    /// `NUM_PROXIES`: how many proxies in front of the app append to
    /// `X-Forwarded-For`. Unset (the default), throttles identify a client
    /// by its peer address and ignore the header, unlike DRF, which then
    /// trusts the whole header (so any client could claim a fresh
    /// identity per request). `Some(0)` is the same as unset.
    pub fn num_proxies(mut self, proxies: Option<usize>) -> Self {
        self.inner.throttling.num_proxies = proxies;
        self
    }

    /// Where throttles keep request histories (default: a
    /// [`LocalThrottleStore`](crate::throttling::LocalThrottleStore) shared
    /// by every worker holding these settings; the `RedisThrottleStore` of
    /// the cargo feature `redis` shares them between servers).
    pub fn throttle_store(mut self, store: impl ThrottleStore) -> Self {
        self.inner.throttling.store = Arc::new(store);
        self
    }

    /// The throttles' clock, in seconds since the Unix epoch (DRF's
    /// `SimpleRateThrottle.timer`; default: the system clock). Tests set
    /// one they can move.
    pub fn throttle_timer(mut self, timer: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.inner.throttling.timer = Arc::new(timer);
        self
    }

    /// `UNAUTHENTICATED_USER`.
    pub fn unauthenticated_user(mut self, user: UnauthenticatedUser) -> Self {
        self.inner.unauthenticated_user = user;
        self
    }

    /// `UNAUTHENTICATED_TOKEN` (`request.auth` when nobody authenticated).
    pub fn unauthenticated_token(mut self, token: Option<Auth>) -> Self {
        self.inner.unauthenticated_token = token;
        self
    }

    /// Replace the body of every error response.
    pub fn error_body(
        mut self,
        hook: impl Fn(&AuthError) -> serde_json::Value + Send + Sync + 'static,
    ) -> Self {
        self.inner.error_body = Some(Arc::new(hook));
        self
    }

    /// The `renders` and `parses` media types listed by `OPTIONS` responses.
    pub fn metadata_media_types<R, P>(mut self, renders: R, parses: P) -> Self
    where
        R: IntoIterator,
        R::Item: Into<String>,
        P: IntoIterator,
        P::Item: Into<String>,
    {
        self.inner.renders = renders.into_iter().map(Into::into).collect();
        self.inner.parses = parses.into_iter().map(Into::into).collect();
        self
    }

    /// Django's site-wide settings (default: Django's with `DEBUG` on: no
    /// secret key, the loopback hosts).
    pub fn site(mut self, site: SiteSettings) -> Self {
        self.inner.authentication.site = site;
        self
    }

    /// Django's CSRF settings (default: Django's defaults).
    pub fn csrf(mut self, config: CsrfConfig) -> Self {
        self.inner.authentication.csrf = config;
        self
    }

    /// Check and freeze the settings.
    pub fn build(self) -> Result<AuthSettings, ConfigError> {
        let mut inner = self.inner;
        inner
            .authentication
            .csrf
            .validate()
            .map_err(ConfigError::Csrf)?;
        for (scope, text) in self.rate_texts {
            let rate = match text {
                Some(text) => Some(auth_core::throttling::Rate::parse(&text).map_err(|error| {
                    ConfigError::ThrottleRate {
                        scope: scope.clone(),
                        error,
                    }
                })?),
                None => None,
            };
            inner.throttling.rates.insert(scope, rate);
        }
        if let Some(error) = inner
            .throttling
            .classes
            .iter()
            .find_map(|throttle| throttle.configuration_error(&inner.throttling))
        {
            return Err(ConfigError::Throttle(error));
        }
        inner.permission_needs = Arc::new(Needs::of(&inner.permission_classes));
        inner.anonymous = Arc::new(Identity::unauthenticated(
            inner.unauthenticated_user,
            inner.unauthenticated_token.clone(),
        ));
        let authentication = &mut inner.authentication;
        if authentication.token_store.is_none() {
            authentication.token_store = authentication
                .store
                .clone()
                .map(|store| Arc::new(store) as Arc<dyn TokenStore>);
        }
        Ok(AuthSettings(Arc::new(inner)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drf_defaults() {
        let s = AuthSettings::builder().build().unwrap();
        assert_eq!(s.unauthenticated_user(), UnauthenticatedUser::AnonymousUser);
        assert!(s.unauthenticated_token().is_none());
        assert_eq!(s.permission_classes().len(), 1);
        assert_eq!(
            format!("{:?}", s.authentication_classes()),
            r#"[DynAuthentication("SessionAuthentication"), DynAuthentication("BasicAuthentication")]"#
        );
        assert!(s.site().secret_key().is_err());
        assert!(s.store().is_err());
        assert!(s.token_store().is_err());
    }

    #[test]
    fn class_lists_as_tuples_arrays_or_vecs() {
        use crate::{
            BasicAuthentication, IsAdminUser, IsAuthenticated, ReadOnly, TokenAuthentication,
        };
        let names = |s: &AuthSettings| format!("{:?}", s.authentication_classes());
        let tuple = AuthSettings::builder()
            .default_authentication_classes((BasicAuthentication, TokenAuthentication::default()))
            .default_permission_classes((IsAuthenticated, IsAdminUser | ReadOnly))
            .build()
            .unwrap();
        assert_eq!(
            names(&tuple),
            r#"[DynAuthentication("BasicAuthentication"), DynAuthentication("TokenAuthentication")]"#
        );
        assert_eq!(tuple.permission_classes().len(), 2);
        let array = AuthSettings::builder()
            .default_authentication_classes([
                DynAuthentication::new(BasicAuthentication),
                DynAuthentication::new(TokenAuthentication::default()),
            ])
            .default_permission_classes([IsAuthenticated])
            .build()
            .unwrap();
        assert_eq!(names(&array), names(&tuple));
        let none = AuthSettings::builder()
            .default_authentication_classes(())
            .default_permission_classes(())
            .build()
            .unwrap();
        assert!(none.authentication_classes().is_empty() && none.permission_classes().is_empty());
        let empty = AuthSettings::builder()
            .default_authentication_classes([])
            .default_permission_classes(Vec::<IsAuthenticated>::new())
            .build()
            .unwrap();
        assert!(empty.authentication_classes().is_empty());
    }

    #[test]
    fn secret_keys_are_hidden_and_csrf_checked() {
        let site = SiteSettings::builder()
            .secret_key("s3cret-key-value")
            .secret_key_fallbacks(["old-key-value"])
            .build()
            .unwrap();
        let s = AuthSettings::builder().site(site).build().unwrap();
        assert!(s.site().secret_key().is_ok());
        assert_eq!(s.site().secret_key_fallbacks().len(), 1);
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cret-key-value") && !shown.contains("old-key-value"),
            "{shown}"
        );
        let err = AuthSettings::builder()
            .csrf(CsrfConfig {
                trusted_origins: vec!["example.com".into()],
                ..CsrfConfig::default()
            })
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Csrf(_)), "{err}");
    }
}
