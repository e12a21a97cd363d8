//! `AuthRequest`: DRF's `request.user`, `request.auth` and object permissions in a handler.

use std::any::Any;
use std::fmt;
use std::future::{ready, Ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth_core::identity::{Auth, Identity, RequestUser};
use auth_core::permissions::PermissionRequest;

use crate::error::ApiError;
use crate::pipeline::ViewPolicy;
use crate::settings::{misconfigured, AuthSettings};

/// The pipeline's outcome for one request, kept in its extensions.
pub(crate) struct RequestState {
    pub(crate) identity: Identity,
    pub(crate) policy: Arc<dyn ViewPolicy>,
    pub(crate) settings: AuthSettings,
}

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
    state: Arc<RequestState>,
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

    /// The underlying actix request.
    pub fn http_request(&self) -> &HttpRequest {
        &self.request
    }

    /// DRF's `check_object_permissions`: each of the view's permissions'
    /// `has_object_permission`, in order. A denial is the same error a view
    /// denial would be (401/403 by the same rules). Call it after your own
    /// lookup's 404, as DRF's `get_object` does.
    pub fn check_object_permissions<T: Any>(&self, obj: &T) -> Result<(), ApiError> {
        let state = &*self.state;
        let request = PermissionRequest::new(
            self.request.method().as_str(),
            &state.identity,
            &self.request,
        );
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
        Err(ApiError::for_view(error, header, Some(&state.settings)))
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
        let state = request.extensions().get::<Arc<RequestState>>().cloned();
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
