//! The pipeline as middleware, for a scope or a resource without attributes.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage, ResponseError};

use auth_core::view::ViewConfig;

use crate::authentication::{AuthenticationList, DefaultAuthentication};
use crate::error::missing_settings;
use crate::http::{disallowed_host, finish_response};
use crate::parsers::{stash_payload, unstash_payload};
use crate::pipeline::{
    authorize, finalize_error, DefaultPermissions, PermissionClasses, ViewMeta, ViewSpec,
};
use crate::settings::AuthSettings;
use crate::state::with_state;
use crate::throttling::{DefaultThrottles, ThrottleList};

/// Authentication and permissions for everything behind it (DRF's
/// `APIView.initial` without the method dispatch, which stays the router's).
///
/// ```
/// use actix_web::{web, App};
/// use auth_actix::prelude::*;
/// use auth_actix::AuthPipeline;
///
/// async fn notes(request: AuthRequest) -> HttpResponse {
///     HttpResponse::Ok().body(request.user().to_string())
/// }
///
/// let app = App::new().service(
///     web::scope("/api")
///         .wrap(
///             AuthPipeline::new()
///                 .authentication_classes((TokenAuthentication::<Bearer>::new(),))
///                 .permission_classes((IsAuthenticated | ReadOnly,)),
///         )
///         .route("/notes", web::get().to(notes)),
/// );
/// ```
///
/// Without `authentication_classes` / `permission_classes` /
/// `throttle_classes` it uses the defaults of [`AuthSettings`]. Handlers
/// behind it use [`AuthRequest`](crate::AuthRequest).
pub struct AuthPipeline<A = DefaultAuthentication, P = DefaultPermissions, T = DefaultThrottles> {
    authentication: A,
    permissions: P,
    throttles: T,
    meta: ViewMeta,
}

impl AuthPipeline {
    /// The app-wide default classes, permissions and throttles.
    pub fn new() -> Self {
        AuthPipeline {
            authentication: DefaultAuthentication,
            permissions: DefaultPermissions,
            throttles: DefaultThrottles,
            meta: ViewMeta::EMPTY,
        }
    }
}

impl Default for AuthPipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl<A, P, T> AuthPipeline<A, P, T> {
    /// Replace the authentication classes: a tuple of classes, in order
    /// (`()` for none). Each worker gets a clone.
    pub fn authentication_classes<B: AuthenticationList + Clone>(
        self,
        classes: B,
    ) -> AuthPipeline<B, P, T> {
        AuthPipeline {
            authentication: classes,
            permissions: self.permissions,
            throttles: self.throttles,
            meta: self.meta,
        }
    }

    /// Replace the permissions: a tuple of permissions (compositions allowed),
    /// in order (`()` for none). Each worker gets a clone.
    pub fn permission_classes<Q: PermissionClasses + Clone>(
        self,
        permissions: Q,
    ) -> AuthPipeline<A, Q, T> {
        AuthPipeline {
            authentication: self.authentication,
            permissions,
            throttles: self.throttles,
            meta: self.meta,
        }
    }

    /// Replace the throttles: a tuple of throttles, in order (`()` for
    /// none). Each worker gets a clone.
    pub fn throttle_classes<U: ThrottleList + Clone>(self, throttles: U) -> AuthPipeline<A, P, U> {
        AuthPipeline {
            authentication: self.authentication,
            permissions: self.permissions,
            throttles,
            meta: self.meta,
        }
    }

    /// The attributes permissions and throttles read for everything behind
    /// the middleware (what `#[view_config(..)]` gives a view).
    pub fn view_config(mut self, config: ViewConfig) -> Self {
        self.meta.config = config;
        self
    }
}

impl<S, B, A, P, T> Transform<S, ServiceRequest> for AuthPipeline<A, P, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: AuthenticationList + Clone,
    P: PermissionClasses + Clone,
    T: ThrottleList + Clone,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthPipelineService<S, A, P, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let spec = ViewSpec::new(
            self.authentication.clone(),
            self.permissions.clone(),
            self.throttles.clone(),
            None,
            self.meta,
        );
        ready(Ok(AuthPipelineService {
            service: Rc::new(service),
            spec: Arc::new(spec),
        }))
    }
}

/// The service [`AuthPipeline`] wraps around the inner one.
pub struct AuthPipelineService<S, A, P, T = DefaultThrottles> {
    service: Rc<S>,
    spec: Arc<ViewSpec<A, P, T>>,
}

impl<S, B, A, P, T> Service<ServiceRequest> for AuthPipelineService<S, A, P, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: AuthenticationList,
    P: PermissionClasses,
    T: ThrottleList,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let spec = self.spec.clone();
        Box::pin(async move {
            let Some(settings) = AuthSettings::from_request(request.request()).cloned() else {
                let response = missing_settings().error_response();
                return Ok(request.into_response(response).map_into_right_body());
            };
            if let Some(refused) = disallowed_host(request.request(), settings.site()) {
                return Ok(request.into_response(refused).map_into_right_body());
            }
            // A form POST's body may be read by authentication (the CSRF
            // form field); the service then gets a copy.
            let payload = request.take_payload();
            let stashed = match stash_payload(request.request(), payload) {
                Some(payload) => {
                    request.set_payload(payload);
                    false
                }
                None => true,
            };
            let authorized = authorize(request.request(), &settings, &spec).await;
            if stashed {
                request.set_payload(unstash_payload(request.request()));
            }
            let state = match authorized {
                Ok(state) => state,
                Err(err) => {
                    let mut response = err.error_response();
                    finish_response(request.request(), &mut response);
                    return Ok(request.into_response(response).map_into_right_body());
                }
            };
            let mut response = with_state(state, service.call(request)).await?;
            let needs_context = response.response().error().is_some_and(|e| {
                e.as_error::<crate::ApiError>()
                    .is_some_and(|e| !e.has_context())
            });
            if !needs_context {
                let request = response.request().clone();
                finish_response(&request, response.response_mut());
                return Ok(response.map_into_left_body());
            }
            let (request, response) = response.into_parts();
            let mut response =
                finalize_error(response.map_into_boxed_body(), &request, &settings, &spec);
            finish_response(&request, &mut response);
            Ok(ServiceResponse::new(request, response).map_into_right_body())
        })
    }
}
