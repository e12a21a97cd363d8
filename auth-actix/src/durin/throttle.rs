//! `UserClientRateThrottle` (Durin's `durin.throttling.UserClientRateThrottle`).

use auth_core::durin::DurinAuth;
use auth_core::error::AuthError;
use auth_core::throttling::Rate;

use crate::error::misconfigured;
use crate::throttling::{cache_key, check_rate, Throttle, ThrottleDecision, ThrottleRequest};

/// The throttle's scope: its histories are `throttle_user_per_client_<ident>`
/// and its fallback rate `DEFAULT_THROTTLE_RATES["user_per_client"]`.
pub const USER_PER_CLIENT_SCOPE: &str = "user_per_client";

/// Durin's per-client throttle: a request authenticated by a Durin token is
/// counted per user and client (`user-<user id>.client-<client id>`) at the
/// client's own `throttle_rate`; another request per user (or client
/// address) at `DEFAULT_THROTTLE_RATES["user_per_client"]`. A client without
/// a rate uses that one too, and without one (unlike Durin, which raises
/// `ImproperlyConfigured`) it is not throttled. Built on this crate's
/// throttle machinery: the same store, clock and 429 as DRF's throttles.
///
/// A stored rate DRF cannot read (`parse_rate` raises in Durin too) is a
/// 500 naming the client's rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserClientRateThrottle;

impl Throttle for UserClientRateThrottle {
    async fn allow_request(
        &self,
        request: &ThrottleRequest<'_>,
    ) -> Result<ThrottleDecision, AuthError> {
        // DRF's `get_rate`; a missing scope is no rate here.
        let default_rate = || request.config().rate(USER_PER_CLIENT_SCOPE).ok().flatten();
        let durin = request
            .identity()
            .auth()
            .and_then(|auth| auth.get::<DurinAuth>())
            .filter(|_| request.identity().user().is_authenticated());
        let (rate, ident) = match durin {
            Some(auth) => {
                let rate = match auth.client_throttle_rate.as_str() {
                    "" => default_rate(),
                    rate => Some(Rate::parse(rate).map_err(|e| {
                        misconfigured(&format!(
                            "the throttle_rate of the Durin client {:?}: {e}",
                            auth.client_name
                        ))
                    })?),
                };
                let ident = format!(
                    "user-{}.client-{}",
                    auth.token.user_id, auth.token.client_id
                );
                (rate, ident)
            }
            None => (default_rate(), request.user_or_ident()),
        };
        match rate {
            Some(rate) => {
                check_rate(request, rate, &cache_key(USER_PER_CLIENT_SCOPE, &ident)).await
            }
            None => Ok(ThrottleDecision::Allow),
        }
    }
}
