//! The pipeline as middleware, for a scope or a resource without attributes.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage, ResponseError};

use crate::authentication::{AuthenticationList, DefaultAuthentication};
use crate::http::{disallowed_host, finish_response};
use crate::parsers::{stash_payload, unstash_payload};
use crate::pipeline::{
    authorize, finalize_error, DefaultPermissions, PermissionClasses, ViewMeta, ViewSpec,
};
use crate::request::with_state;
use crate::settings::{missing_settings, AuthSettings};

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
/// Without `authentication_classes` / `permission_classes` it uses the
/// defaults of [`AuthSettings`]. Handlers behind it use [`AuthRequest`](crate::AuthRequest).
pub struct AuthPipeline<A = DefaultAuthentication, P = DefaultPermissions> {
    authentication: A,
    permissions: P,
}

impl AuthPipeline {
    /// The app-wide default classes and permissions.
    pub fn new() -> Self {
        AuthPipeline {
            authentication: DefaultAuthentication,
            permissions: DefaultPermissions,
        }
    }
}

impl Default for AuthPipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl<A, P> AuthPipeline<A, P> {
    /// Replace the authentication classes: a tuple of classes, in order
    /// (`()` for none). Each worker gets a clone.
    pub fn authentication_classes<B: AuthenticationList + Clone>(
        self,
        classes: B,
    ) -> AuthPipeline<B, P> {
        AuthPipeline {
            authentication: classes,
            permissions: self.permissions,
        }
    }

    /// Replace the permissions: a tuple of permissions (compositions allowed),
    /// in order (`()` for none). Each worker gets a clone.
    pub fn permission_classes<Q: PermissionClasses + Clone>(
        self,
        permissions: Q,
    ) -> AuthPipeline<A, Q> {
        AuthPipeline {
            authentication: self.authentication,
            permissions,
        }
    }
}

impl<S, B, A, P> Transform<S, ServiceRequest> for AuthPipeline<A, P>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: AuthenticationList + Clone,
    P: PermissionClasses + Clone,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthPipelineService<S, A, P>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let meta = ViewMeta {
            name: "",
            description: "",
        };
        let spec = ViewSpec::new(
            self.authentication.clone(),
            self.permissions.clone(),
            None,
            meta,
        );
        ready(Ok(AuthPipelineService {
            service: Rc::new(service),
            spec: Arc::new(spec),
        }))
    }
}

/// The service [`AuthPipeline`] wraps around the inner one.
pub struct AuthPipelineService<S, A, P> {
    service: Rc<S>,
    spec: Arc<ViewSpec<A, P>>,
}

impl<S, B, A, P> Service<ServiceRequest> for AuthPipelineService<S, A, P>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: AuthenticationList,
    P: PermissionClasses,
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
            if let Some(refused) = disallowed_host(request.request(), settings.csrf()) {
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
