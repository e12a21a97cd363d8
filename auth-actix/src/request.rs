//! `AuthRequest`: DRF's `request.user`, `request.auth` and object permissions in a handler.

use std::any::Any;
use std::fmt;
use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use auth_core::identity::{Auth, Identity, RequestUser};
use auth_core::permissions::{Loaded, PermissionRequest, Preloaded};
use auth_core::view::ViewConfig;

use crate::error::misconfigured;
use crate::error::ApiError;
use crate::settings::AuthSettings;
use crate::state::{RequestState, CURRENT};

/// The authenticated request (DRF's `Request`): the extractor a view uses to
/// see who is calling.
///
/// ```
/// use auth_actix::prelude::*;
///
/// #[api_view(GET)]
/// #[permission_classes(IsAuthenticated)]
/// async fn whoami(request: AuthRequest) -> HttpResponse {
///     HttpResponse::Ok().json(serde_json::json!({ "user": request.user().to_string() }))
/// }
/// ```
///
/// It is available on views behind the pipeline (the attributes, a
/// class-based view or the middleware); elsewhere extracting it is a server
/// error rather than an anonymous user.
#[derive(Clone)]
pub struct AuthRequest {
    request: HttpRequest,
    state: RequestState,
}

impl AuthRequest {
    /// `request.user`: the user, `AnonymousUser`, or `None` per `UNAUTHENTICATED_USER`.
    /// `to_string()` gives the username or `AnonymousUser`.
    pub fn user(&self) -> &RequestUser {
        self.state.identity.user()
    }

    /// `request.auth`: the token for Token authentication, `None` otherwise
    /// (or `UNAUTHENTICATED_TOKEN` when nobody authenticated).
    pub fn auth(&self) -> Option<&Auth> {
        self.state.identity.auth()
    }

    /// The name of the class that authenticated the request, if any.
    pub fn successful_authenticator(&self) -> Option<&'static str> {
        self.state.identity.successful_authenticator()
    }

    /// The whole authentication outcome.
    pub fn identity(&self) -> &Identity {
        &self.state.identity
    }

    /// The settings in force.
    pub fn settings(&self) -> &AuthSettings {
        &self.state.settings
    }

    /// The view's attributes (`#[view_config(..)]`).
    pub fn view_config(&self) -> &ViewConfig {
        self.state.policy.view_config()
    }

    /// A value the pipeline preloaded for the view's permissions
    /// ([`Permission::needs`](auth_core::permissions::Permission::needs)).
    pub fn loaded<T: Preloaded>(&self) -> Option<&T> {
        self.state.loaded.as_deref().and_then(Loaded::get::<T>)
    }

    /// The underlying actix request.
    pub fn http_request(&self) -> &HttpRequest {
        &self.request
    }

    /// DRF's `check_object_permissions`: each of the view's permissions'
    /// `has_object_permission`, in order. A denial is the same error a view
    /// denial would be (401/403 by the same rules). Call it after your own
    /// lookup's 404, as DRF's `get_object` does.
    pub fn check_object_permissions<T: Any>(&self, obj: &T) -> Result<(), ApiError> {
        let state = &self.state;
        let mut request = PermissionRequest::new(
            self.request.method().as_str(),
            &state.identity,
            &self.request,
        )
        .with_view(state.policy.view_config());
        if let Some(loaded) = &state.loaded {
            request = request.with_loaded(loaded);
        }
        let Err(denial) = state
            .policy
            .check_object_permissions(&request, obj, &state.settings)
        else {
            return Ok(());
        };
        let error = denial.into_error(
            state.policy.has_authenticators(&state.settings),
            &state.identity,
        );
        let header = if error.kind().is_authentication() {
            state
                .policy
                .authenticate_header(&self.request, &state.settings)
        } else {
            None
        };
        Err(ApiError::for_view(
            error,
            header,
            state.settings.error_body(),
        ))
    }
}

impl Deref for AuthRequest {
    type Target = HttpRequest;

    fn deref(&self) -> &HttpRequest {
        &self.request
    }
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", self.request.method())
            .field("path", &self.request.path())
            .field("identity", &self.state.identity)
            .finish()
    }
}

impl FromRequest for AuthRequest {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = CURRENT.with(|current| current.borrow().clone());
        ready(match state {
            Some(state) => Ok(AuthRequest { request: request.clone(), state }),
            None => Err(ApiError::from(misconfigured(
                "AuthRequest is extracted on a handler that is not behind the authentication pipeline: \
                 add #[api_view], #[authentication_classes] or #[permission_classes] to it, \
                 or wrap its scope in AuthPipeline",
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{ViewMeta, ViewSpec};
    use crate::state::with_state;
    use crate::{AllowAny, BasicAuthentication};
    use auth_core::identity::UnauthenticatedUser;
    use std::future::{poll_fn, Future};
    use std::pin::pin;
    use std::sync::Arc;

    fn state(user: UnauthenticatedUser) -> RequestState {
        let spec = ViewSpec::new(
            (BasicAuthentication,),
            (AllowAny,),
            (),
            None,
            ViewMeta::EMPTY,
        );
        RequestState {
            identity: Arc::new(Identity::unauthenticated(user, None)),
            loaded: None,
            policy: Arc::new(spec),
            settings: AuthSettings::builder().build().unwrap(),
        }
    }

    fn current_user() -> Option<String> {
        CURRENT.with(|current| {
            current
                .borrow()
                .as_ref()
                .map(|s| s.identity.user().to_string())
        })
    }

    #[actix_web::test]
    async fn the_state_is_scoped_to_the_polls_of_its_future_and_nests() {
        assert_eq!(current_user(), None);
        let outer = with_state(state(UnauthenticatedUser::AnonymousUser), async {
            let before = current_user();
            let inner = with_state(state(UnauthenticatedUser::None), async {
                actix_web::rt::task::yield_now().await;
                current_user()
            })
            .await;
            actix_web::rt::task::yield_now().await;
            (before, inner, current_user())
        });
        let other = async {
            actix_web::rt::task::yield_now().await;
            current_user()
        };
        let ((before, inner, after), seen_by_other) = futures_join(outer, other).await;
        assert_eq!(before.as_deref(), Some("AnonymousUser"));
        assert_eq!(inner.as_deref(), Some("None"));
        assert_eq!(
            after.as_deref(),
            Some("AnonymousUser"),
            "restored after the nested one"
        );
        assert_eq!(
            seen_by_other, None,
            "another future on the thread sees nothing"
        );
        assert_eq!(current_user(), None);
    }

    /// Poll two futures on one task until both finish.
    async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
        let (mut a, mut b) = (pin!(a), pin!(b));
        let (mut ra, mut rb) = (None, None);
        poll_fn(|cx| {
            if ra.is_none() {
                if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                    ra = Some(v);
                }
            }
            if rb.is_none() {
                if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                    rb = Some(v);
                }
            }
            match (ra.take(), rb.take()) {
                (Some(x), Some(y)) => std::task::Poll::Ready((x, y)),
                (x, y) => {
                    (ra, rb) = (x, y);
                    std::task::Poll::Pending
                }
            }
        })
        .await
    }
}
