//! Throttle classes (DRF's `rest_framework.throttling`): the third check of
//! every view, after authentication and permissions.
//!
//! Every throttle of the view is consulted (DRF's `check_throttles` does not
//! stop at the first refusal, so each records the request in its history);
//! when any refuses, the answer is DRF's 429 with the longest wait any of
//! them reported, `{"detail": "Request was throttled. Expected available in
//! N seconds."}` and `Retry-After: N`.
//!
//! A throttle implements [`Throttle`]:
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use auth_actix::throttling::{Throttle, ThrottleDecision, ThrottleRequest};
//! use auth_actix::AuthError;
//!
//! /// Lets ten requests through for the whole process, then asks for a minute.
//! #[derive(Default)]
//! struct TenPerProcess(AtomicU32);
//!
//! impl Throttle for TenPerProcess {
//!     async fn allow_request(
//!         &self,
//!         _request: &ThrottleRequest<'_>,
//!     ) -> Result<ThrottleDecision, AuthError> {
//!         if self.0.fetch_add(1, Ordering::Relaxed) < 10 {
//!             Ok(ThrottleDecision::Allow)
//!         } else {
//!             Ok(ThrottleDecision::wait(Duration::from_secs(60)))
//!         }
//!     }
//! }
//! ```
//!
//! and is listed with `#[throttle_classes(..)]`, on [`AuthPipeline`](crate::AuthPipeline),
//! or app-wide with [`AuthSettingsBuilder::default_throttle_classes`](crate::settings::AuthSettingsBuilder::default_throttle_classes).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::identity::Identity;
use auth_core::view::ViewConfig;

pub(crate) use crate::error::short_type_name;

mod classes;
#[cfg(feature = "redis")]
mod redis;
mod store;

pub use classes::{
    cache_key, check_rate, AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle,
    ThrottleConfig, Timer, UserRateThrottle,
};
#[cfg(feature = "redis")]
pub use redis::{OutagePolicy, RedisThrottleStore};
pub use store::{HitFuture, LocalThrottleStore, ThrottleStore, ThrottleStoreError};

/// What a throttle decides for one request (DRF's `allow_request` and `wait`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThrottleDecision {
    /// `allow_request` returned `True`.
    Allow,
    /// `allow_request` returned `False`; `wait` is DRF's `wait()`: how long
    /// until the client may try again, if known.
    Throttle {
        /// `wait()`; `None` gives the 429 without "Expected available in …".
        wait: Option<Duration>,
    },
}

impl ThrottleDecision {
    /// Refused, available again after `wait`.
    pub fn wait(wait: Duration) -> Self {
        ThrottleDecision::Throttle { wait: Some(wait) }
    }
}

/// What a throttle sees of the request: the actix request, who made it, the
/// view's attributes (`throttle_scope`) and the throttle settings in force
/// (the rates, the store, the clock). The rest of the app's settings are
/// `AuthSettings::from_request(request.http_request())`.
#[derive(Clone, Copy)]
pub struct ThrottleRequest<'a> {
    request: &'a HttpRequest,
    identity: &'a Identity,
    view: &'a ViewConfig,
    config: &'a ThrottleConfig,
}

impl<'a> ThrottleRequest<'a> {
    /// A throttle request for a view with these attributes.
    pub fn new(
        request: &'a HttpRequest,
        identity: &'a Identity,
        view: &'a ViewConfig,
        config: &'a ThrottleConfig,
    ) -> Self {
        ThrottleRequest {
            request,
            identity,
            view,
            config,
        }
    }

    /// The actix request (peer address, headers).
    pub fn http_request(&self) -> &'a HttpRequest {
        self.request
    }

    /// The authentication outcome (`request.user`, `request.auth`).
    pub fn identity(&self) -> &'a Identity {
        self.identity
    }

    /// The view's attributes (DRF's `view` argument).
    pub fn view(&self) -> &'a ViewConfig {
        self.view
    }

    /// The throttle settings in force (`AuthSettings::throttling`).
    pub fn config(&self) -> &'a ThrottleConfig {
        self.config
    }
}

impl fmt::Debug for ThrottleRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleRequest")
            .field("method", self.request.method())
            .field("path", &self.request.path())
            .field("identity", self.identity)
            .field("view", self.view)
            .finish()
    }
}

/// A throttle class (DRF's `BaseThrottle`).
///
/// `allow_request` may do I/O (a cache round trip); an error fails the
/// request closed with that error (a 503 when the throttle's store is down,
/// never a request let through unthrottled). Classes named in
/// `#[throttle_classes(..)]` are built once per view with `Default`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a throttle class",
    label = "not a throttle class",
    note = "implement `Throttle`, or `SimpleRateThrottle` for a rate, for `{Self}` (and `Default`)"
)]
pub trait Throttle: Send + Sync + 'static {
    /// Let the request through, or refuse it with a wait.
    fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> impl Future<Output = Result<ThrottleDecision, AuthError>>;

    /// The class's name (for logs).
    fn name(&self) -> &'static str {
        short_type_name::<Self>()
    }

    /// Why the class cannot run with these settings (DRF's
    /// `ImproperlyConfigured` from a throttle's constructor: a scope
    /// without a rate), if it cannot. Checked for the app-wide
    /// `DEFAULT_THROTTLE_CLASSES` when the settings are built.
    fn configuration_error(&self, config: &ThrottleConfig) -> Option<String> {
        let _ = config;
        None
    }
}

type BoxedDecision<'a> = Pin<Box<dyn Future<Output = Result<ThrottleDecision, AuthError>> + 'a>>;

/// The object-safe face of [`Throttle`].
trait ErasedThrottle: Send + Sync {
    fn allow_boxed<'a>(&'a self, request: &'a ThrottleRequest<'a>) -> BoxedDecision<'a>;
    fn class_name(&self) -> &'static str;
    fn config_error(&self, config: &ThrottleConfig) -> Option<String>;
}

impl<T: Throttle> ErasedThrottle for T {
    fn allow_boxed<'a>(&'a self, request: &'a ThrottleRequest<'a>) -> BoxedDecision<'a> {
        Box::pin(self.allow_request(request))
    }
    fn class_name(&self) -> &'static str {
        self.name()
    }
    fn config_error(&self, config: &ThrottleConfig) -> Option<String> {
        self.configuration_error(config)
    }
}

/// A shared, type-erased throttle, for lists chosen at run time (the
/// app-wide `DEFAULT_THROTTLE_CLASSES`).
#[derive(Clone)]
pub struct DynThrottle(Arc<dyn ErasedThrottle>);

impl DynThrottle {
    /// Erase `throttle`'s type.
    pub fn new<T: Throttle>(throttle: T) -> Self {
        DynThrottle(Arc::new(throttle))
    }
}

impl fmt::Debug for DynThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DynThrottle")
            .field(&self.0.class_name())
            .finish()
    }
}

impl Throttle for DynThrottle {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        self.0.allow_boxed(request).await
    }
    fn name(&self) -> &'static str {
        self.0.class_name()
    }
    fn configuration_error(&self, config: &ThrottleConfig) -> Option<String> {
        self.0.config_error(config)
    }
}

/// The longest wait so far (DRF's `max(durations)`), over refusals.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    refused: bool,
    longest: Option<Duration>,
}

impl Refusals {
    fn note(&mut self, decision: ThrottleDecision) {
        if let ThrottleDecision::Throttle { wait } = decision {
            self.refused = true;
            self.longest = self.longest.max(wait);
        }
    }

    fn into_result(self) -> Result<(), AuthError> {
        if self.refused {
            Err(AuthError::throttled(self.longest.map(|w| w.as_secs_f64())))
        } else {
            Ok(())
        }
    }
}

/// An ordered list of throttles: a tuple (from `#[throttle_classes(..)]`), a
/// `Vec<DynThrottle>`, or [`DefaultThrottles`] (the app-wide list).
pub trait ThrottleList: Send + Sync + 'static {
    /// DRF's `check_throttles`: consult every throttle; refuse with the
    /// longest wait when any refused.
    fn check_throttles(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> impl Future<Output = Result<(), AuthError>>;

    /// Whether the list has no throttle (the pipeline then skips the step);
    /// `config` holds the app-wide list.
    fn is_empty(&self, config: &ThrottleConfig) -> bool;
}

macro_rules! tuple_throttle_list {
    ($($name:ident)*) => {
        impl<$($name: Throttle),*> ThrottleList for ($($name,)*) {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            async fn check_throttles(&self, request: &ThrottleRequest<'_>) -> Result<(), AuthError> {
                let ($($name,)*) = self;
                let mut refusals = Refusals::default();
                $(refusals.note($name.allow_request(request).await?);)*
                refusals.into_result()
            }
            fn is_empty(&self, _: &ThrottleConfig) -> bool {
                let names: &[&str] = &[$(stringify!($name)),*];
                names.is_empty()
            }
        }
    };
}

tuple_throttle_list!();
tuple_throttle_list!(T0);
tuple_throttle_list!(T0 T1);
tuple_throttle_list!(T0 T1 T2);
tuple_throttle_list!(T0 T1 T2 T3);
tuple_throttle_list!(T0 T1 T2 T3 T4);
tuple_throttle_list!(T0 T1 T2 T3 T4 T5);
tuple_throttle_list!(T0 T1 T2 T3 T4 T5 T6);
tuple_throttle_list!(T0 T1 T2 T3 T4 T5 T6 T7);

impl ThrottleList for Vec<DynThrottle> {
    async fn check_throttles(&self, request: &ThrottleRequest<'_>) -> Result<(), AuthError> {
        let mut refusals = Refusals::default();
        for throttle in self {
            refusals.note(throttle.allow_request(request).await?);
        }
        refusals.into_result()
    }
    fn is_empty(&self, _: &ThrottleConfig) -> bool {
        Vec::is_empty(self)
    }
}

/// The app-wide `DEFAULT_THROTTLE_CLASSES` of the settings: what a view
/// without `#[throttle_classes(..)]` uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultThrottles;

impl ThrottleList for DefaultThrottles {
    async fn check_throttles(&self, request: &ThrottleRequest<'_>) -> Result<(), AuthError> {
        request
            .config()
            .default_classes()
            .check_throttles(request)
            .await
    }
    fn is_empty(&self, config: &ThrottleConfig) -> bool {
        config.default_classes().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_wait_wins_and_an_unknown_wait_does_not_hide_it() {
        let mut refusals = Refusals::default();
        refusals.note(ThrottleDecision::Allow);
        assert!(refusals.into_result().is_ok());

        let mut refusals = Refusals::default();
        refusals.note(ThrottleDecision::wait(Duration::from_millis(2_500)));
        refusals.note(ThrottleDecision::Throttle { wait: None });
        refusals.note(ThrottleDecision::wait(Duration::from_secs(1)));
        let err = refusals.into_result().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Request was throttled. Expected available in 3 seconds."
        );
        assert_eq!(err.wait(), Some(3));

        let mut refusals = Refusals::default();
        refusals.note(ThrottleDecision::Throttle { wait: None });
        let err = refusals.into_result().unwrap_err();
        assert_eq!(err.to_string(), "Request was throttled.");
        assert_eq!(err.wait(), None);
    }

    #[test]
    fn names() {
        #[derive(Default)]
        struct Burst;
        impl Throttle for Burst {
            async fn allow_request(
                &self,
                _: &ThrottleRequest<'_>,
            ) -> Result<ThrottleDecision, AuthError> {
                Ok(ThrottleDecision::Allow)
            }
        }
        assert_eq!(DynThrottle::new(Burst).name(), "Burst");
        assert_eq!(
            format!("{:?}", DynThrottle::new(Burst)),
            "DynThrottle(\"Burst\")"
        );
    }
}
