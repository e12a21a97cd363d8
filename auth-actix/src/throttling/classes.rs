//! DRF's rate throttles: `SimpleRateThrottle` and its three classes, and
//! the settings they read (`DEFAULT_THROTTLE_RATES`, `NUM_PROXIES`, the
//! store, the clock).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::HeaderName;
use auth_core::error::AuthError;
use auth_core::throttling::{client_ident, Rate};

use super::store::{LocalThrottleStore, ThrottleStore};
use super::{DynThrottle, Throttle, ThrottleDecision, ThrottleRequest};
use crate::error::misconfigured;

/// The clock throttles read (DRF's `SimpleRateThrottle.timer`, `time.time`):
/// seconds since the Unix epoch.
pub type Timer = Arc<dyn Fn() -> f64 + Send + Sync>;

fn system_time() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// The throttling part of the settings: `DEFAULT_THROTTLE_CLASSES`,
/// `DEFAULT_THROTTLE_RATES`, `NUM_PROXIES`, where histories are kept and
/// the clock. Set through
/// [`AuthSettingsBuilder`](crate::settings::AuthSettingsBuilder); read with
/// [`AuthSettings::throttling`](crate::settings::AuthSettings::throttling).
#[derive(Clone)]
pub struct ThrottleConfig {
    pub(crate) classes: Vec<DynThrottle>,
    pub(crate) rates: HashMap<String, Option<Rate>>,
    pub(crate) num_proxies: Option<usize>,
    pub(crate) store: Arc<dyn ThrottleStore>,
    pub(crate) timer: Timer,
}

impl Default for ThrottleConfig {
    /// DRF's defaults (no rates, `NUM_PROXIES` unset) with an in-process
    /// store and the system clock.
    fn default() -> Self {
        ThrottleConfig {
            classes: Vec::new(),
            rates: HashMap::new(),
            num_proxies: None,
            store: Arc::new(LocalThrottleStore::default()),
            timer: Arc::new(system_time),
        }
    }
}

impl ThrottleConfig {
    /// `DEFAULT_THROTTLE_CLASSES`.
    pub fn default_classes(&self) -> &Vec<DynThrottle> {
        &self.classes
    }

    /// `DEFAULT_THROTTLE_RATES[scope]` (DRF's `get_rate`): the rate, `None`
    /// for a scope set to `None` (not throttled), or DRF's
    /// `ImproperlyConfigured` message for a scope without an entry.
    pub fn rate(&self, scope: &str) -> Result<Option<Rate>, String> {
        self.rates
            .get(scope)
            .copied()
            .ok_or_else(|| format!("No default throttle rate set for '{scope}' scope"))
    }

    /// `NUM_PROXIES` (`None`: the peer address is the client).
    pub fn num_proxies(&self) -> Option<usize> {
        self.num_proxies
    }

    /// Now, by the configured clock.
    pub fn now(&self) -> f64 {
        (self.timer)()
    }

    /// The store histories are kept in.
    pub fn store(&self) -> &dyn ThrottleStore {
        &*self.store
    }
}

impl fmt::Debug for ThrottleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rates: Vec<_> = self.rates.iter().collect();
        rates.sort_by(|a, b| a.0.cmp(b.0));
        f.debug_struct("ThrottleConfig")
            .field("classes", &self.classes)
            .field("rates", &rates)
            .field("num_proxies", &self.num_proxies)
            .finish_non_exhaustive()
    }
}

impl ThrottleRequest<'_> {
    /// DRF's `get_ident`: the client's address (see
    /// [`client_ident`] for the one deliberate difference from DRF:
    /// `X-Forwarded-For` counts only when `NUM_PROXIES` is set above 0).
    pub fn ident(&self) -> String {
        let peer = self
            .http_request()
            .peer_addr()
            .map(|addr| addr.ip().to_string());
        let num_proxies = self.config().num_proxies();
        let xff = match num_proxies {
            Some(n) if n > 0 => self
                .http_request()
                .headers()
                .get(HeaderName::from_static("x-forwarded-for"))
                .and_then(|value| value.to_str().ok()),
            _ => None,
        };
        // The header counts only behind trusted proxies (then `xff` is set);
        // DRF formats a missing REMOTE_ADDR as `None`.
        xff.and_then(|xff| client_ident(None, Some(xff), num_proxies))
            .map(str::to_owned)
            .or(peer)
            .unwrap_or_else(|| "None".to_owned())
    }

    /// `request.user.pk` when authenticated, otherwise [`Self::ident`]
    /// (what `UserRateThrottle` and `ScopedRateThrottle` key on).
    pub fn user_or_ident(&self) -> String {
        let user = self.identity().user();
        if let Some(user) = user.user() {
            return user.id.to_string();
        }
        if let Some(user) = user.stateless() {
            return user.id.clone();
        }
        self.ident()
    }
}

/// DRF's `cache_format`: `throttle_<scope>_<ident>`.
pub fn cache_key(scope: &str, ident: &str) -> String {
    let mut key = String::with_capacity(10 + scope.len() + ident.len());
    key.push_str("throttle_");
    key.push_str(scope);
    key.push('_');
    key.push_str(ident);
    key
}

/// DRF's `SimpleRateThrottle`: a rate from `DEFAULT_THROTTLE_RATES[scope]`
/// (or a fixed [`rate`](Self::rate)) over a history kept in the store under
/// [`cache_key`](Self::cache_key). Implementing it makes a [`Throttle`]:
///
/// ```
/// use auth_actix::throttling::{cache_key, SimpleRateThrottle, ThrottleRequest};
///
/// /// DRF's docs' `BurstRateThrottle`: `DEFAULT_THROTTLE_RATES["burst"]` per user.
/// #[derive(Default)]
/// struct BurstRateThrottle;
///
/// impl SimpleRateThrottle for BurstRateThrottle {
///     fn scope(&self) -> Option<&str> {
///         Some("burst")
///     }
///     fn cache_key(&self, request: &ThrottleRequest<'_>) -> Option<String> {
///         Some(cache_key("burst", &request.user_or_ident()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a throttle class",
    label = "not a throttle class",
    note = "implement `SimpleRateThrottle` (a rate and a cache key) or `Throttle` for `{Self}` (and `Default`)"
)]
pub trait SimpleRateThrottle: Send + Sync + 'static {
    /// DRF's `scope`: the key of `DEFAULT_THROTTLE_RATES`.
    fn scope(&self) -> Option<&str> {
        None
    }

    /// DRF's `rate` attribute: a fixed rate instead of the settings'.
    fn rate(&self) -> Option<Rate> {
        None
    }

    /// DRF's `get_cache_key`; `None` lets the request through unthrottled.
    fn cache_key(&self, request: &ThrottleRequest<'_>) -> Option<String>;
}

/// The rate a [`SimpleRateThrottle`] runs at (DRF's `get_rate`), or why
/// it has none.
fn simple_rate<T: SimpleRateThrottle + ?Sized>(
    throttle: &T,
    config: &ThrottleConfig,
) -> Result<Option<Rate>, String> {
    if let Some(rate) = throttle.rate() {
        return Ok(Some(rate));
    }
    let Some(scope) = throttle.scope() else {
        return Err(format!(
            "You must set either `.scope` or `.rate` for '{}' throttle",
            super::short_type_name::<T>()
        ));
    };
    config.rate(scope)
}

/// DRF's `allow_request` and `wait` for one history at one rate.
pub async fn check_rate(
    request: &ThrottleRequest<'_>,
    rate: Rate,
    key: &str,
) -> Result<ThrottleDecision, AuthError> {
    let config = request.config();
    let now = config.now();
    let hit = config.store().hit(key, rate, now).await.map_err(|err| {
        tracing::error!(target: "auth_actix::throttling", "{err}");
        AuthError::service_unavailable()
    })?;
    Ok(if hit.allowed {
        ThrottleDecision::Allow
    } else {
        ThrottleDecision::Throttle {
            // A clock gone wrong (infinite or NaN) gives no wait rather than a panic.
            wait: hit
                .wait(rate, now)
                .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds.max(0.0)).ok()),
        }
    })
}

impl<T: SimpleRateThrottle> Throttle for T {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        let rate = simple_rate(self, request.config())
            .map_err(|explanation| misconfigured(&explanation))?;
        let Some(rate) = rate else {
            return Ok(ThrottleDecision::Allow);
        };
        match self.cache_key(request) {
            Some(key) => check_rate(request, rate, &key).await,
            None => Ok(ThrottleDecision::Allow),
        }
    }

    fn configuration_error(&self, config: &ThrottleConfig) -> Option<String> {
        simple_rate(self, config).err()
    }
}

/// DRF's `AnonRateThrottle`: unauthenticated requests, per client address,
/// at `DEFAULT_THROTTLE_RATES["anon"]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnonRateThrottle;

impl SimpleRateThrottle for AnonRateThrottle {
    fn scope(&self) -> Option<&str> {
        Some("anon")
    }
    fn cache_key(&self, request: &ThrottleRequest<'_>) -> Option<String> {
        if request.identity().user().is_authenticated() {
            return None;
        }
        Some(cache_key("anon", &request.ident()))
    }
}

/// DRF's `UserRateThrottle`: per user (per client address when
/// unauthenticated), at `DEFAULT_THROTTLE_RATES["user"]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserRateThrottle;

impl SimpleRateThrottle for UserRateThrottle {
    fn scope(&self) -> Option<&str> {
        Some("user")
    }
    fn cache_key(&self, request: &ThrottleRequest<'_>) -> Option<String> {
        Some(cache_key("user", &request.user_or_ident()))
    }
}

/// DRF's `ScopedRateThrottle`: views with a `throttle_scope`
/// (`#[view_config(throttle_scope = "uploads")]`), per user (or client
/// address), at `DEFAULT_THROTTLE_RATES[<scope>]`; views sharing a scope
/// share a budget. A view without a scope is not throttled; a scope
/// without a rate is a misconfiguration (500), as in DRF.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopedRateThrottle;

impl Throttle for ScopedRateThrottle {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        let Some(scope) = request.view().throttle_scope() else {
            return Ok(ThrottleDecision::Allow);
        };
        let rate = request
            .config()
            .rate(scope)
            .map_err(|explanation| misconfigured(&explanation))?;
        match rate {
            Some(rate) => {
                check_rate(request, rate, &cache_key(scope, &request.user_or_ident())).await
            }
            None => Ok(ThrottleDecision::Allow),
        }
    }
}
